"""Local AWS emulator for warmstandby's tests and demo.

Runs moto's server on 127.0.0.1. Port 0 lets the OS choose a free port; the
chosen one is printed as `LISTENING <port>` on stdout so the caller never races
for a port. Where moto differs from AWS in a way that would force the product
to behave differently, the correction belongs here (see shared EMULATOR.md),
never in the product.

The process exits when its stdin closes, so a test that dies cannot leak it.
"""

import os
import sys
import threading

# Certificates are issued at once instead of after 60 s.
os.environ.setdefault("MOTO_ACM_VALIDATION_WAIT", "0")

from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server  # noqa: E402


def _patch_nat_gateway_tag_filters() -> None:
    """DescribeNatGateways: AWS honours `tag:<key>` and `tag-key` filters;
    moto 5.2.5 ignores them and returns every NAT gateway of the region."""
    from moto.ec2.models.nat_gateways import NatGatewayBackend
    from moto.ec2.utils import generic_filter

    original = NatGatewayBackend.describe_nat_gateways

    def describe_nat_gateways(self, filters, nat_gateway_ids):
        found = original(self, filters, nat_gateway_ids)
        tag_filters = {
            k: v for k, v in (filters or {}).items() if k.startswith("tag:") or k in ("tag-key", "tag-value")
        }
        return generic_filter(tag_filters, found) if tag_filters else found

    NatGatewayBackend.describe_nat_gateways = describe_nat_gateways


def _patch_nat_gateway_delete() -> None:
    """DeleteNatGateway: on AWS the gateway's Elastic IP is disassociated when
    it is deleted, and an unknown ID answers InvalidNatGatewayID.NotFound;
    moto 5.2.5 keeps the association and answers an unknown ID with a 500."""
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models.nat_gateways import NatGatewayBackend

    original = NatGatewayBackend.delete_nat_gateway

    def delete_nat_gateway(self, nat_gateway_id):
        nat_gw = self.nat_gateways.get(nat_gateway_id)
        if nat_gw is None:
            raise EC2ClientError(
                "InvalidNatGatewayID.NotFound", f"The Nat Gateway {nat_gateway_id} was not found"
            )
        eni = getattr(nat_gw, "_eni", None)
        for address in list(self.addresses):
            if eni is not None and address.eni is eni and address.association_id:
                self.disassociate_address(association_id=address.association_id)
        return original(self, nat_gateway_id)

    NatGatewayBackend.delete_nat_gateway = delete_nat_gateway


_patch_nat_gateway_tag_filters()
_patch_nat_gateway_delete()


def _exit_when_parent_goes() -> None:
    try:
        while sys.stdin.read(4096):
            pass
    except Exception:
        pass
    os._exit(0)


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    watch_stdin = "--no-stdin-watch" not in sys.argv
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(
        "127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler
    )
    print(f"LISTENING {server.server_port}", flush=True)
    if watch_stdin:
        threading.Thread(target=_exit_when_parent_goes, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
