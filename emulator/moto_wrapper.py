"""Local AWS emulator for warmstandby's tests and demo.

Runs moto's server on 127.0.0.1. Port 0 lets the OS choose a free port; the
chosen one is printed as `LISTENING <port>` on stdout so the caller never races
for a port. Where moto differs from AWS in a way that would force the product
to behave differently, the correction belongs here (see shared EMULATOR.md),
never in the product. Each correction is a `_patch_*` function below,
documented where it is defined. Besides correcting moto, the wrapper publishes
what AWS publishes by itself and moto does not: the `AWS/RDS ReplicaLag`
metric of every RDS read replica (0 s, once a minute, never masking a
datapoint a test puts; see `_patch_rds_replica_lag_metric`), and it answers
the faults a test's client marks in the service's own wire format (see
`InjectedFaults`).

The process exits when its stdin closes, so a test that dies cannot leak it.
"""

import json
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


def _patch_route53_recreate_after_delete() -> None:
    """A record set that was created, deleted and is created again.

    moto keeps a journal of changes; for a CREATE that is in the journal it
    looks for an existing record with a *listing* (every record from that
    name on), so re-creating a deleted record fails with "already exists"
    whenever any record sorts after it. AWS checks the exact name, type and
    set identifier. The correction drops journal entries of records that no
    longer exist before moto checks.
    """
    from moto.route53.models import Route53Backend

    original = Route53Backend.change_resource_record_sets

    def exists(zone, rrset):
        name = rrset["Name"].strip(".").lower()
        ident = rrset.get("SetIdentifier")
        return any(
            r.name.strip(".").lower() == name and r.type == rrset["Type"] and r.set_identifier == ident
            for r in zone.rrsets
        )

    def change_resource_record_sets(self, zoneid, change_list):
        zone = self.get_hosted_zone(zoneid)
        for value in change_list:
            if value.get("Action") == "CREATE" and not exists(zone, value["ResourceRecordSet"]):
                stale = value["ResourceRecordSet"]["Name"].strip(".").lower(), value["ResourceRecordSet"]["Type"]
                zone.rr_changes[:] = [
                    c
                    for c in zone.rr_changes
                    if (c["ResourceRecordSet"]["Name"].strip(".").lower(), c["ResourceRecordSet"]["Type"]) != stale
                    or c["ResourceRecordSet"].get("SetIdentifier") != value["ResourceRecordSet"].get("SetIdentifier")
                ]
        return original(self, zoneid, change_list)

    Route53Backend.change_resource_record_sets = change_resource_record_sets


def _patch_describe_listeners_by_arn() -> None:
    """AWS answers DescribeListeners by ARN with ListenerNotFound when any
    named listener does not exist; moto only when none does, and silently
    leaves the missing ones out."""
    from moto.elbv2.exceptions import ListenerNotFoundError
    from moto.elbv2.models import ELBv2Backend

    original = ELBv2Backend.describe_listeners

    def describe_listeners(self, load_balancer_arn, listener_arns):
        if load_balancer_arn or not listener_arns:
            return original(self, load_balancer_arn, listener_arns)
        by_arn = {arn: l for lb in self.load_balancers.values() for arn, l in lb.listeners.items()}
        if any(arn not in by_arn for arn in listener_arns):
            raise ListenerNotFoundError()
        return [by_arn[arn] for arn in dict.fromkeys(listener_arns)]

    ELBv2Backend.describe_listeners = describe_listeners


def _patch_tag_lookup_by_resource() -> None:
    """moto finds one resource's tags by matching every tag of the region
    against a pattern, so describing N tagged resources costs N x (all tags):
    a fleet's DescribeSecurityGroups grew with the square of its stacks. One
    resource's own tags (no wildcard) are a dictionary lookup, same answer."""
    from moto.ec2.models.tags import TagBackend
    from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix

    original = TagBackend.describe_tags

    def describe_tags(self, filters=None):
        ids = (filters or {}).get("resource-id") or []
        if list(filters or {}) == ["resource-id"] and len(ids) == 1 and not set(ids[0]) & set("*?[]\\"):
            resource_id = ids[0]
            resource_type = EC2_PREFIX_TO_RESOURCE.get(get_prefix(resource_id), "")
            own = dict(self.tags.get(resource_id, {}))
            return [
                {"resource_id": resource_id, "key": k, "value": v, "resource_type": resource_type}
                for k, v in own.items()
            ]
        return original(self, filters)

    TagBackend.describe_tags = describe_tags


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


def _patch_launch_template_version_user_data() -> None:
    """CreateLaunchTemplateVersion: moto 5.2.5 keeps the version's UserData as
    the raw parameter (CreateLaunchTemplate decodes it), so an auto scaling
    group launching from such a version fails an assertion with a 500. AWS
    launches from any version; the data is kept as CreateLaunchTemplate keeps it."""
    from moto.ec2.models.launch_templates import LaunchTemplate
    from moto.ec2.utils import parse_user_data

    original = LaunchTemplate.create_version

    def create_version(self, data, description):
        if isinstance(data.get("UserData"), (str, bytes)):
            data = dict(data, UserData=parse_user_data(data["UserData"]))
        return original(self, data, description)

    LaunchTemplate.create_version = create_version


def _patch_describe_launch_templates_pages() -> None:
    """DescribeLaunchTemplates: moto 5.2.5 cuts the answer at MaxResults
    (15 by default) and returns no NextToken, so the 16th template of an
    account can never be seen. AWS pages with NextToken; this pages the
    backend's (filtered) list the same way, MaxResults 1-200."""
    from moto.core.responses import ActionResult
    from moto.ec2.responses.launch_templates import LaunchTemplates

    def describe_launch_templates(self):
        max_results = self._get_int_param("MaxResults", 200)
        start = int(self._get_param("NextToken") or 0)
        self.error_on_dryrun()
        templates = self.ec2_backend.describe_launch_templates(
            template_names=self._get_param("LaunchTemplateNames", []),
            template_ids=self._get_param("LaunchTemplateIds", []),
            filters=self._filters_from_querystring(),
        )
        page = templates[start : start + max_results]
        result = {
            "LaunchTemplates": [
                {
                    "CreateTime": t.create_time,
                    "CreatedBy": f"arn:{self.partition}:iam::{self.current_account}:root",
                    "DefaultVersionNumber": t.default_version_number,
                    "LatestVersionNumber": t.latest_version_number,
                    "LaunchTemplateId": t.id,
                    "LaunchTemplateName": t.name,
                    "Tags": t.tags,
                }
                for t in page
            ]
        }
        if start + max_results < len(templates):
            result["NextToken"] = str(start + max_results)
        return ActionResult(result)

    LaunchTemplates.describe_launch_templates = describe_launch_templates


def _patch_subnet_out_of_addresses() -> None:
    """A launch into a subnet without enough free addresses: AWS refuses it
    whole with InsufficientFreeAddressesInSubnet; moto 5.2.5 launches until
    the addresses run out, keeps those instances, and lets a StopIteration
    escape as a bare 500 the client cannot read. moto launches an auto
    scaling group's instances inside CreateAutoScalingGroup, so there the
    group's create is refused (AWS creates the group and reports the failed
    launch in its scaling activities)."""
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models.instances import InstanceBackend

    original = InstanceBackend.run_instances

    def run_instances(self, image_id, count, user_data, security_group_names, **kwargs):
        subnet_id = kwargs.get("subnet_id")
        if subnet_id:
            subnet = self.get_subnet(subnet_id)
            if subnet.available_ip_address_count < int(count):
                raise EC2ClientError(
                    "InsufficientFreeAddressesInSubnet",
                    f"There are not enough free addresses in subnet '{subnet_id}' to satisfy the requested number of instances.",
                )
        return original(self, image_id, count, user_data, security_group_names, **kwargs)

    InstanceBackend.run_instances = run_instances


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


def _patch_backup_selections() -> None:
    """AWS Backup: moto 5.2.5 has no backup selections (Create/List/Get/
    DeleteBackupSelection answer 500) and no UpdateBackupPlan. They are added
    here as AWS documents them: selections belong to a plan, a repeated
    CreatorRequestId returns the existing selection, unknown IDs answer
    ResourceNotFoundException, and a plan cannot be deleted while it has
    selections. A deleted plan's name can be used again, as on AWS."""
    import json
    import time
    import uuid

    from moto.backup.exceptions import InvalidRequestException, ResourceNotFoundException
    from moto.backup.models import BackupBackend, Plan
    from moto.backup.responses import BackupResponse

    def selections(backend, plan_id):
        store = backend.__dict__.setdefault("_selections", {})
        return store.setdefault(plan_id, {})

    def ids(path):
        parts = path.split("/backup/plans/")[-1].strip("/").split("/")
        return parts[0], (parts[2] if len(parts) > 2 else None)

    def summary(plan_id, sid, s):
        return {
            "SelectionId": sid,
            "SelectionName": s["BackupSelection"]["SelectionName"],
            "BackupPlanId": plan_id,
            "CreationDate": s["CreationDate"],
            "CreatorRequestId": s.get("CreatorRequestId"),
            "IamRoleArn": s["BackupSelection"].get("IamRoleArn"),
        }

    def create_backup_selection(self):
        plan_id, _ = ids(self.path)
        self.backup_backend.get_backup_plan(plan_id, None)
        params = json.loads(self.body)
        creator = params.get("CreatorRequestId")
        store = selections(self.backup_backend, plan_id)
        for sid, s in store.items():
            if creator and s.get("CreatorRequestId") == creator:
                return json.dumps({"SelectionId": sid, "BackupPlanId": plan_id, "CreationDate": s["CreationDate"]})
        sid = str(uuid.uuid4())
        store[sid] = {"BackupSelection": params["BackupSelection"], "CreatorRequestId": creator, "CreationDate": time.time()}
        return json.dumps({"SelectionId": sid, "BackupPlanId": plan_id, "CreationDate": store[sid]["CreationDate"]})

    def list_backup_selections(self):
        plan_id, _ = ids(self.path)
        self.backup_backend.get_backup_plan(plan_id, None)
        store = selections(self.backup_backend, plan_id)
        return json.dumps({"BackupSelectionsList": [summary(plan_id, sid, s) for sid, s in store.items()]})

    def get_backup_selection(self):
        plan_id, sid = ids(self.path)
        store = selections(self.backup_backend, plan_id)
        if sid not in store:
            raise ResourceNotFoundException(msg=f"Backup selection {sid} not found")
        s = store[sid]
        return json.dumps({**summary(plan_id, sid, s), "BackupSelection": s["BackupSelection"]})

    def delete_backup_selection(self):
        plan_id, sid = ids(self.path)
        store = selections(self.backup_backend, plan_id)
        if sid not in store:
            raise ResourceNotFoundException(msg=f"Backup selection {sid} not found")
        del store[sid]
        return "{}"

    def update_backup_plan(self):
        plan_id = self.path.split("/backup/plans/")[-1].strip("/")
        old = self.backup_backend.get_backup_plan(plan_id, None)
        params = json.loads(self.body)
        new = Plan(backup_plan=params["BackupPlan"], creator_request_id=old.creator_request_id, backend=self.backup_backend)
        new.backup_plan_id, new.backup_plan_arn, new.creation_date = old.backup_plan_id, old.backup_plan_arn, old.creation_date
        self.backup_backend.plans[plan_id] = new
        return json.dumps({"BackupPlanId": plan_id, "BackupPlanArn": new.backup_plan_arn, "CreationDate": new.creation_date, "VersionId": new.version_id})

    original_delete_plan = BackupBackend.delete_backup_plan

    def delete_backup_plan(self, backup_plan_id):
        if selections(self, backup_plan_id):
            raise InvalidRequestException(msg="Related backup plan selections must be deleted prior to backup plan deletion")
        return original_delete_plan(self, backup_plan_id)

    BackupResponse.create_backup_selection = create_backup_selection
    BackupResponse.list_backup_selections = list_backup_selections
    BackupResponse.get_backup_selection = get_backup_selection
    BackupResponse.delete_backup_selection = delete_backup_selection
    BackupResponse.update_backup_plan = update_backup_plan
    BackupBackend.delete_backup_plan = delete_backup_plan

    # moto refuses a new plan whose name a *deleted* plan had (it keeps
    # deleted plans, marked, for ListBackupPlans IncludeDeleted); AWS lets
    # the name be used again once the plan is deleted.
    original_create_plan = BackupBackend.create_backup_plan

    def create_backup_plan(self, backup_plan, backup_plan_tags, creator_request_id):
        deleted = {k: p for k, p in self.plans.items() if p.deletion_date is not None}
        for k in deleted:
            del self.plans[k]
        try:
            return original_create_plan(self, backup_plan, backup_plan_tags, creator_request_id)
        finally:
            self.plans.update(deleted)

    BackupBackend.create_backup_plan = create_backup_plan


def _patch_rds_cross_region_replicas() -> None:
    """RDS cross-region read replicas: moto 5.2.5 looks the replica's
    DBSubnetGroupName up in the source region (AWS uses the replica's own
    region), and deleting such a replica fails with a 500 because the source
    is looked up by ARN in the wrong region and the source forgets the replica
by name while it recorded it by ARN; a promoted replica keeps reporting its
source. All follow AWS here."""
    import copy

    from moto.rds.models import DBInstance, RDSBackend, rds_backends

    def create_db_instance_read_replica(self, db_kwargs):
        database_id = db_kwargs["db_instance_identifier"]
        source_id = db_kwargs["source_db_instance_identifier"]
        if self.arn_regex.match(source_id):
            parts = source_id.split(":")
            source_backend = rds_backends[parts[4]][parts[3]]
            primary = source_backend.find_db_from_id(parts[-1])
        else:
            source_backend = self
            primary = self.find_db_from_id(source_id)
        replica = copy.copy(primary)
        # The replica lives in this region (its `region` derives from its
        # backend): switch before anything, e.g. the subnet group, is resolved.
        replica.backend = self
        db_kwargs["backend"] = self
        replica.update(**db_kwargs)
        replica.set_as_replica()
        self.databases[database_id] = replica
        primary.add_replica(replica)
        return replica

    original_find = RDSBackend.find_db_from_id

    def find_db_from_id(self, db_id):
        if self.arn_regex.match(db_id):
            parts = db_id.split(":")
            if parts[3] != self.region_name:
                return rds_backends[parts[4]][parts[3]].find_db_from_id(parts[-1])
        return original_find(self, db_id)

    def remove_replica(self, replica):
        # add_replica records a cross-region replica by ARN, a local one by name.
        for key in (replica.db_instance_arn, replica.db_instance_identifier):
            if key in self.replicas:
                self.replicas.remove(key)

    def promote_read_replica(self, db_kwargs):
        # AWS: a promoted replica stands alone; its source forgets it.
        database = self.databases[db_kwargs["db_instance_identifier"]]
        if database.is_replica:
            source_id = database.source_db_instance_identifier
            try:
                self.find_db_from_id(source_id).remove_replica(database)
            except Exception:
                pass  # the source may be gone (its region lost)
            database.is_replica = False
            database.source_db_instance_identifier = None
        return database

    RDSBackend.create_db_instance_read_replica = create_db_instance_read_replica
    RDSBackend.find_db_from_id = find_db_from_id
    RDSBackend.promote_read_replica = promote_read_replica
    DBInstance.remove_replica = remove_replica


def _patch_rds_replica_lag_metric() -> None:
    """CloudWatch `AWS/RDS ReplicaLag`: AWS publishes it every minute for
    every RDS read replica (same- or cross-region), in the replica's region,
    with the dimension DBInstanceIdentifier; moto 5.2.5 publishes no metric.
    Whenever metric data of a region is read (GetMetricData,
    GetMetricStatistics, ListMetrics, whatever the wire protocol: the CBOR
    bridge ends in the same backend), each read replica of that region's RDS
    backend (same account) that has no ReplicaLag datapoint from the last 60 s
    gets one: 0 seconds, stamped now (a second back). A datapoint a test puts (e.g. 900 s for a lagging
    replica) is newer and so wins until it is a minute old, then replication is
    caught up again, as on AWS. A promoted replica gets no new datapoints; its
    old ones stay, as on AWS."""
    import datetime

    from moto.cloudwatch.models import CloudWatchBackend, MetricDatum
    from moto.core.utils import utcnow
    from moto.rds.models import rds_backends

    lock = threading.Lock()
    fresh_for = datetime.timedelta(seconds=60)

    def naive_utc(t):
        # moto keeps naive UTC times; a test may have put an aware one.
        return t.astimezone(datetime.timezone.utc).replace(tzinfo=None) if t.tzinfo else t

    def publish_replica_lag(self):
        # dict.get: never create an account's or a region's RDS backend here.
        account = dict.get(rds_backends, self.account_id)
        rds = dict.get(account, self.region_name) if account is not None else None
        if rds is None:
            return
        replicas = [
            db.db_instance_identifier
            for db in list(rds.databases.values())
            if getattr(db, "is_replica", False) and db.source_db_instance_identifier
        ]
        if not replicas:
            return
        with lock:
            now = utcnow()
            # A whole second in the past: a read whose EndTime is "now" (moto
            # drops its microseconds, and the end is exclusive) still sees it.
            stamp = now.replace(microsecond=0) - datetime.timedelta(seconds=1)
            recent = {
                d.value
                for md in self.metric_data
                if md.namespace == "AWS/RDS" and md.name == "ReplicaLag" and naive_utc(md.timestamp) > now - fresh_for
                for d in md.dimensions
                if d.name == "DBInstanceIdentifier"
            }
            for identifier in replicas:
                if identifier not in recent:
                    self.metric_data.append(
                        MetricDatum(
                            "AWS/RDS",
                            "ReplicaLag",
                            0.0,
                            [{"Name": "DBInstanceIdentifier", "Value": identifier}],
                            stamp,
                            "Seconds",
                        )
                    )

    original = CloudWatchBackend.get_all_metrics

    def get_all_metrics(self):
        publish_replica_lag(self)
        return original(self)

    CloudWatchBackend.get_all_metrics = get_all_metrics


class RpcV2CborBridge:
    """Smithy RPC v2 CBOR -> awsJson1.0 -> moto -> back to CBOR.

    The current CloudWatch SDKs speak RPC v2 CBOR; moto 5.2.5 answers those
    requests with 404 and serves CloudWatch only over query and JSON. A CBOR
    request (`smithy-protocol: rpc-v2-cbor`, POST /service/<S>/operation/<Op>)
    is re-sent to moto as the equivalent awsJson1.0 request, and the JSON
    answer is encoded back to CBOR. Timestamps in answers are found through
    the service model (botocore, which moto ships) and tagged as CBOR epoch
    times, as the protocol requires.
    """

    def __init__(self, app):
        self.app = app
        self._models = {}

    def _model(self, target_prefix):
        if target_prefix not in self._models:
            import botocore.session

            session = botocore.session.get_session()
            for name in session.get_available_services():
                model = session.get_service_model(name)
                if model.metadata.get("targetPrefix") == target_prefix:
                    self._models[target_prefix] = model
                    break
            else:
                self._models[target_prefix] = None
        return self._models[target_prefix]

    @staticmethod
    def _tag_timestamps(value, shape):
        import cbor2

        if shape is None or value is None:
            return value
        kind = shape.type_name
        if kind == "timestamp" and isinstance(value, (int, float)):
            return cbor2.CBORTag(1, value)
        if kind == "structure" and isinstance(value, dict):
            return {k: RpcV2CborBridge._tag_timestamps(v, shape.members.get(k)) for k, v in value.items()}
        if kind == "list" and isinstance(value, list):
            return [RpcV2CborBridge._tag_timestamps(v, shape.member) for v in value]
        if kind == "map" and isinstance(value, dict):
            return {k: RpcV2CborBridge._tag_timestamps(v, shape.value) for k, v in value.items()}
        return value

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ.get("HTTP_SMITHY_PROTOCOL") != "rpc-v2-cbor" or "/operation/" not in path:
            return self.app(environ, start_response)
        import base64
        import datetime
        import io
        import json

        import cbor2

        service = path.split("/service/", 1)[1].split("/", 1)[0]
        operation = path.rsplit("/operation/", 1)[1]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        request = cbor2.loads(raw) if raw else {}

        def to_json(v):
            if isinstance(v, datetime.datetime):
                return v.timestamp()
            if isinstance(v, (bytes, bytearray)):
                return base64.b64encode(v).decode()
            raise TypeError(type(v))

        body = json.dumps(request, default=to_json).encode()
        forwarded = dict(environ)
        forwarded.pop("HTTP_SMITHY_PROTOCOL", None)
        forwarded.update(
            {
                "PATH_INFO": "/",
                "CONTENT_TYPE": "application/x-amz-json-1.0",
                "HTTP_X_AMZ_TARGET": f"{service}.{operation}",
                "CONTENT_LENGTH": str(len(body)),
                "wsgi.input": io.BytesIO(body),
            }
        )
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda _data: None

        answer = b"".join(self.app(forwarded, capture))
        decoded = json.loads(answer) if answer.strip() else {}
        ok = captured.get("status", "500").startswith("2")
        model = self._model(service)
        if ok and model is not None and operation in model.operation_names:
            decoded = self._tag_timestamps(decoded, model.operation_model(operation).output_shape)
        encoded = cbor2.dumps(decoded)
        headers = [
            ("Content-Type", "application/cbor"),
            ("smithy-protocol", "rpc-v2-cbor"),
            ("Content-Length", str(len(encoded))),
        ]
        headers += [(k, v) for k, v in captured.get("headers", []) if k.lower().startswith("x-amzn-requestid")]
        start_response(captured.get("status", "500 Internal Server Error"), headers)
        return [encoded]


def _patch_cloudfront_origin_groups() -> None:
    """AWS lets the default cache behaviour target an origin group; moto
    checks plain origins only (NoSuchOrigin). Validate against both."""
    from moto.cloudfront import models as cf

    original = cf.DistributionConfig.__init__

    def items(container, key):
        found = (container or {}).get("Items") or []
        if isinstance(found, dict):
            found = found.get(key, [])
        return [found] if isinstance(found, dict) else list(found)

    def __init__(self, config):
        group_ids = {g.get("Id") for g in items(config.get("OriginGroups"), "OriginGroup")}
        behaviour = config.get("DefaultCacheBehavior") or {}
        target = behaviour.get("TargetOriginId")
        origins = items(config.get("Origins"), "Origin")
        if target in group_ids and origins:
            behaviour["TargetOriginId"] = origins[0].get("Id")
            original(self, config)
            self.DefaultCacheBehavior.target_origin_id = target
        else:
            original(self, config)

    cf.DistributionConfig.__init__ = __init__


WORLD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "world.json")


def _load_world_amis() -> dict:
    """The customer's golden AMIs exist in every region, as public images of
    another account (so copies of them are ours, the originals are not)."""
    with open(WORLD, encoding="utf-8") as f:
        world = json.load(f)
    from moto.ec2.models import amis

    for ami in world.get("amis", []):
        amis.AMIS.append(
            {
                "state": "available",
                "public": True,
                "owner_id": "111122223333",
                "image_location": "bookstore/golden",
                "sriov": "simple",
                "root_device_type": "ebs",
                "root_device_name": "/dev/xvda",
                "image_type": "machine",
                "platform": None,
                "architecture": "x86_64",
                "virtualization_type": "hvm",
                "hypervisor": "xen",
                **ami,
            }
        )
    return world


def _seed_zones(world: dict, port: int) -> None:
    """Creates the customer's public zones through the API, like they were."""
    import boto3

    r53 = boto3.client(
        "route53",
        region_name="us-east-1",
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    for zone in world.get("public_zones", []):
        created = r53.create_hosted_zone(Name=zone["name"], CallerReference=f"customer-{zone['name']}")
        changes = [
            {
                "Action": "CREATE",
                "ResourceRecordSet": {
                    "Name": r["name"],
                    "Type": r["type"],
                    "TTL": r["ttl"],
                    "ResourceRecords": [{"Value": v} for v in r["values"]],
                },
            }
            for r in zone.get("records", [])
        ]
        if changes:
            r53.change_resource_record_sets(
                HostedZoneId=created["HostedZone"]["Id"], ChangeBatch={"Changes": changes}
            )


class InjectedFaults:
    """Answers an attempt the client marked with the fault AWS would send.

    warmstandby's fault injection (a test's, never the product's) marks an
    attempt with `X-Warmstandby-Fault`:
    `error;code=<code>;status=<status>;protocol=<protocol>` is answered
    without being processed, as AWS answers a throttled or failed request,
    in that service's wire format (`ec2`, `query`, `restxml`, `json`,
    `restjson`, `cbor`), so the SDK parses the real code; `late;delay_ms=<ms>`
    is processed and answered that much later, after the client gave up.
    """

    MESSAGES = {400: "Rate exceeded", 500: "We encountered an internal error", 503: "Service unavailable"}
    REASONS = {400: "Bad Request", 500: "Internal Server Error", 503: "Service Unavailable"}

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        mark = environ.get("HTTP_X_WARMSTANDBY_FAULT")
        if not mark:
            return self.app(environ, start_response)
        kind, *rest = mark.split(";")
        fields = dict(part.split("=", 1) for part in rest if "=" in part)
        if kind == "late":
            import time

            captured = {}

            def capture(status, headers, exc_info=None):
                captured["status"], captured["headers"] = status, headers
                return lambda _data: None

            body = b"".join(self.app(environ, capture))
            time.sleep(int(fields.get("delay_ms", "0")) / 1000)
            start_response(captured.get("status", "200 OK"), captured.get("headers", []))
            return [body]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length:
            environ["wsgi.input"].read(length)
        status = int(fields.get("status", "500"))
        code = fields.get("code", "InternalFailure")
        protocol = fields.get("protocol", "query")
        body, headers = self._error(protocol, code, status)
        headers += [("Content-Length", str(len(body))), ("x-amzn-RequestId", self._request_id())]
        start_response(f"{status} {self.REASONS.get(status, 'Error')}", headers)
        return [body]

    @staticmethod
    def _request_id():
        import uuid

        return str(uuid.uuid4())

    def _error(self, protocol, code, status):
        message = self.MESSAGES.get(status, "Error")
        party = "Sender" if status < 500 else "Receiver"
        if protocol == "ec2":
            xml = (
                '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error>'
                f"<Code>{code}</Code><Message>{message}</Message></Error></Errors>"
                f"<RequestID>{self._request_id()}</RequestID></Response>"
            )
            return xml.encode(), [("Content-Type", "text/xml;charset=UTF-8")]
        if protocol in ("query", "restxml"):
            xml = (
                f"<ErrorResponse><Error><Type>{party}</Type><Code>{code}</Code>"
                f"<Message>{message}</Message></Error>"
                f"<RequestId>{self._request_id()}</RequestId></ErrorResponse>"
            )
            return xml.encode(), [("Content-Type", "text/xml")]
        if protocol == "restjson":
            body = json.dumps({"message": message}).encode()
            return body, [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)]
        if protocol == "cbor":
            import cbor2

            body = cbor2.dumps({"__type": code, "message": message})
            return body, [
                ("Content-Type", "application/cbor"),
                ("smithy-protocol", "rpc-v2-cbor"),
                ("x-amzn-query-error", f"{code};{party}"),
            ]
        body = json.dumps({"__type": code, "message": message}).encode()
        return body, [("Content-Type", "application/x-amz-json-1.1")]


class RequestTimings:
    """Diagnostics: with `WARMSTANDBY_EMULATOR_TIMINGS=<file>` every request's
    service, action, wall and CPU milliseconds and status are appended to that
    file, to see where the emulator spends its time as the state grows; every
    error answer (and an unhandled failure's traceback) goes to `<file>.errors`."""

    def __init__(self, app, path):
        self.app = app
        self.path = path
        self.lock = threading.Lock()

    @staticmethod
    def _action(environ):
        import io
        import re
        from urllib.parse import parse_qs

        auth = environ.get("HTTP_AUTHORIZATION", "")
        scope = re.search(r"Credential=[^/]+/[^/]+/([^/]+)/([^/]+)/", auth)
        service = scope.group(2) if scope else "?"
        target = environ.get("HTTP_X_AMZ_TARGET")
        if target:
            return service, target.split(".")[-1]
        action = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
        if action:
            return service, action[0]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length and "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = io.BytesIO(body)
            action = parse_qs(body.decode("utf-8", "replace")).get("Action")
            if action:
                return service, action[0]
        path = re.sub(r"/[A-Za-z0-9_-]{12,}", "/{id}", environ.get("PATH_INFO", ""))
        return service, environ.get("REQUEST_METHOD", "") + " " + path

    def __call__(self, environ, start_response):
        import time
        import traceback

        service, action = self._action(environ)
        status = []

        def record_status(code, headers, *rest):
            status.append(code.split(" ")[0])
            return start_response(code, headers, *rest)

        started, cpu = time.monotonic(), time.thread_time()
        try:
            body = list(self.app(environ, record_status))
        except BaseException:
            # An unhandled emulator failure answers 500 with no AWS error in
            # it; keep its traceback, the client sees only "Unknown".
            with self.lock, open(self.path + ".errors", "a") as out:
                out.write(f"{service}\t{action}\t500\n{traceback.format_exc()}\n")
            raise
        elapsed, cpu = time.monotonic() - started, time.thread_time() - cpu
        code = status[0] if status else "?"
        with self.lock:
            with open(self.path, "a") as out:
                out.write(f"{service}\t{action}\t{elapsed * 1000:.1f}\t{cpu * 1000:.1f}\t{code}\n")
            if code.startswith("5") or (code.startswith("4") and code != "404"):
                with open(self.path + ".errors", "a") as out:
                    out.write(f"{service}\t{action}\t{code}\n{b''.join(body)[:600].decode('utf-8', 'replace')}\n\n")
        return body


class OneAtATime:
    """moto's backends are not thread-safe: two requests at once can break
    a listing ("dictionary changed size during iteration") or, worse, a
    subnet's address generator for good ("generator already executing"),
    after which every launch into that subnet fails. AWS serves concurrent
    requests, so the server stays threaded for the clients, and moto sees
    one request at a time. The GIL serialised most of the work anyway."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            return list(self.app(environ, start_response))


class WorldOnReset:
    """`POST /moto-api/reset` clears everything; the customer's world is
    part of the emulated account, so it comes back after a reset."""

    def __init__(self, app, world):
        self.app = app
        self.world = world
        self.port = 0

    def __call__(self, environ, start_response):
        answer = self.app(environ, start_response)
        if environ.get("PATH_INFO") == "/moto-api/reset" and environ.get("REQUEST_METHOD") == "POST":
            answer = list(answer)
            _seed_zones(self.world, self.port)
        return answer


_patch_tag_lookup_by_resource()
_patch_describe_listeners_by_arn()
_patch_nat_gateway_tag_filters()
_patch_nat_gateway_delete()
_patch_subnet_out_of_addresses()
_patch_launch_template_version_user_data()
_patch_describe_launch_templates_pages()
_patch_route53_recreate_after_delete()
_patch_cloudfront_origin_groups()
_patch_backup_selections()
_patch_rds_cross_region_replicas()
_patch_rds_replica_lag_metric()


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
    app = OneAtATime(RpcV2CborBridge(DomainDispatcherApplication(create_backend_app)))
    world = _load_world_amis() if "--empty-world" not in sys.argv else {}
    world_app = WorldOnReset(app, world)
    served = InjectedFaults(world_app)
    if os.environ.get("WARMSTANDBY_EMULATOR_TIMINGS"):
        served = RequestTimings(served, os.environ["WARMSTANDBY_EMULATOR_TIMINGS"])
    server = make_server(
        "127.0.0.1",
        port,
        served,
        threaded=True,
        request_handler=MotoRequestHandler,
    )
    world_app.port = server.server_port
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _seed_zones(world, server.server_port)
    print(f"LISTENING {server.server_port}", flush=True)
    if watch_stdin:
        _exit_when_parent_goes()
    else:
        threading.Event().wait()


if __name__ == "__main__":
    main()
