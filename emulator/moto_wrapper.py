"""Local AWS emulator for warmstandby's tests and demo.

Runs moto's server on 127.0.0.1. Port 0 lets the OS choose a free port; the
chosen one is printed as `LISTENING <port>` on stdout so the caller never races
for a port. Where moto differs from AWS in a way that would force the product
to behave differently, the correction belongs here (see shared EMULATOR.md),
never in the product. Each correction is a `_patch_*` function below,
documented where it is defined. Besides correcting moto, the wrapper publishes
what AWS publishes by itself and moto does not: the `AWS/RDS ReplicaLag`
metric of every RDS read replica and their `StatusInfos` (replication
health a test can steer, see `Replication`), gives slow resources AWS's
states and durations on a scaled clock (`WARMSTANDBY_EMULATOR_TIME_SCALE`,
see `_timed`), and it answers
the faults a test's client marks in the service's own wire format (see
`InjectedFaults`).

The process exits when its stdin closes, so a test that dies cannot leak it.
"""

import copy
import json
import os
import re
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
    backend's (filtered) list the same way, MaxResults 1-200. Tags are the
    template's current ones: moto answers those it had when created, so
    CreateTags on a template (which AWS allows, and DescribeLaunchTemplates
    then reports: EC2 API Reference, CreateTags and the LaunchTemplate data
    type) was never seen."""
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
                    "Tags": t.get_tags(),
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

    # ListTags is `GET /tags/{ResourceArn}` (AWS Backup API Reference:
    # ListTags; the current SDKs send no trailing slash); moto 5.2.5 reads
    # the ARN as the path's second-to-last segment, as if the path ended in
    # a slash, so the SDK's request read the tags of "tags" (none).
    def list_tags(self):
        from urllib.parse import unquote

        path = str(self.path).split("?")[0]
        arn = unquote(path.split("/tags/", 1)[-1].strip("/"))
        return json.dumps({"Tags": self.backup_backend.list_tags(resource_arn=arn)})

    BackupResponse.list_tags = list_tags

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
        # A new instance: none of the source's timeline, pending changes or
        # replication state (the wrapper's `_ws_*` entries) comes with it.
        for key in [k for k in replica.__dict__ if k.startswith("_ws_")]:
            del replica.__dict__[key]
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


class Replication:
    """Replication into one read replica, as RDS reports it; kept on the
    replica (moto's DBInstance) itself, so a new replica, a reset or a
    promotion starts from nothing.

    State: `state` (replicating | stopped | error), RDS's `message` for a
    stop or an error, `load` (the source's write rate over the rate the
    replica applies it; 0 by default), `lag0` and `since` (the lag reached
    when the load or state last changed, and when).

    - Lag model (an integer number of seconds, a model, not a measurement):
      while replicating, lag(t) = max(0, lag0 + (load - 1) * t), t the AWS
      seconds since the last change (on the scaled clock; real seconds when
      instant). So at load <= 1 with nothing behind it is 0 (load 0 and
      everything running: 0, as before this model); above 1 it grows by
      load - 1 per second; lowering the load keeps the lag reached and
      drains it at 1 - load per second down to 0.
    - While replication is not running (stopped, or in error) RDS publishes
      -1: "If the ReplicaLag metric returns -1, then replication is currently
      not active" (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_MySQL.Replication.ReadReplicas.Monitor.html).
      Meanwhile the replica falls a second behind per second if the source
      writes at all (load > 0): ReplicaLag is Seconds_Behind_Master, the age
      of the event being applied, so replication that restarts reports the
      lag it had plus the time it was stopped, and drains it as above.
    - The replica's `StatusInfos` has its `read replication` entry:
      `replicating` (Normal), or `stopped` / `error` (not Normal, with the
      message) (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstanceStatusInfo.html,
      https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Monitoring.html).
    A test sets the load and the state through `POST /warmstandby/replication`.
    """

    STATES = ("replicating", "stopped", "error")

    @staticmethod
    def of(db) -> dict:
        import time

        entry = db.__dict__.get("_ws_replication")
        if entry is None:
            entry = {"state": "replicating", "message": None, "load": 0.0, "lag0": 0.0, "since": time.time(), "version": 0}
            db.__dict__["_ws_replication"] = entry
        return entry

    @staticmethod
    def behind(entry: dict, now: float) -> float:
        """Seconds the replica is behind at `now` (epoch), by the model."""
        elapsed = now - entry["since"]
        if TIME_SCALE > 0:
            elapsed /= TIME_SCALE
        if entry["state"] == "replicating":
            return max(0.0, entry["lag0"] + (entry["load"] - 1.0) * elapsed)
        return entry["lag0"] + (elapsed if entry["load"] > 0 else 0.0)

    @classmethod
    def lag(cls, entry: dict) -> int:
        import time

        if entry["state"] != "replicating":
            return -1
        return int(cls.behind(entry, time.time()))

    @classmethod
    def set(cls, db, state=None, load=None, message=None) -> dict:
        import time

        entry = cls.of(db)
        now = time.time()
        entry["lag0"], entry["since"] = cls.behind(entry, now), now
        if state is not None:
            entry["state"] = state
            entry["message"] = message if state != "replicating" else None
        elif message is not None and entry["state"] != "replicating":
            entry["message"] = message
        if load is not None:
            entry["load"] = float(load)
        entry["version"] += 1
        return entry

    @classmethod
    def view(cls, entry: dict) -> dict:
        return {
            "state": entry["state"],
            "message": entry["message"],
            "lag_seconds": cls.lag(entry),
            "write_load": entry["load"],
            "since": entry["since"],
        }

    @staticmethod
    def is_replica(db) -> bool:
        return bool(getattr(db, "is_replica", False) and db.source_db_instance_identifier)


def _patch_rds_replication_health() -> None:
    """Publishes what `Replication` models, as RDS does and moto 5.2.5 does
    not (no metric, no status infos), in both clock modes:
    - `AWS/RDS ReplicaLag` of every read replica (same- or cross-region), in
      the replica's region, dimension DBInstanceIdentifier, once a minute
      ("Amazon RDS sends metrics and dimensions to Amazon CloudWatch every
      minute", https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-metrics.html),
      once a scaled minute (60 s x scale) on the scaled clock. Lazily:
      whenever metric data of a region is read (GetMetricData,
      GetMetricStatistics, ListMetrics, whatever the wire protocol), each
      replica of that region that is `available` or `backing-up` and has no
      datapoint from the last minute gets one, stamped a second back on the
      wall clock; one at once after a test changed its replication. A
      datapoint a test puts (e.g. 900 s for a lagging replica) is newer and
      so wins until it is a minute old.
    - Nothing while the replica is unavailable (creating, modifying or
      rebooting, e.g. during its promotion): RDS cannot read the engine's
      replica status then; nothing for a primary or a promoted instance.
    - `StatusInfos` of every read replica in DescribeDBInstances."""
    import datetime

    from moto.cloudwatch.models import CloudWatchBackend, MetricDatum
    from moto.core.utils import utcnow
    from moto.rds.models import DBInstance, rds_backends

    lock = threading.Lock()
    minute = datetime.timedelta(seconds=60 * TIME_SCALE if TIME_SCALE > 0 else 60)

    def status_infos(db):
        if not Replication.is_replica(db):
            return None
        entry = Replication.of(db)
        normal = entry["state"] == "replicating"
        info = {"StatusType": "read replication", "Normal": normal, "Status": entry["state"]}
        if not normal and entry["message"]:
            info["Message"] = entry["message"]
        return [info]

    DBInstance.status_infos = property(status_infos)

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
            db
            for db in list(rds.databases.values())
            if Replication.is_replica(db) and db.status in ("available", "backing-up")
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
                if md.namespace == "AWS/RDS" and md.name == "ReplicaLag" and naive_utc(md.timestamp) > now - minute
                for d in md.dimensions
                if d.name == "DBInstanceIdentifier"
            }
            for db in replicas:
                entry = Replication.of(db)
                changed = entry.get("published", 0) != entry["version"]
                if db.db_instance_identifier in recent and not changed:
                    continue
                entry["published"] = entry["version"]
                self.metric_data.append(
                    MetricDatum(
                        "AWS/RDS",
                        "ReplicaLag",
                        float(Replication.lag(entry)),
                        [{"Name": "DBInstanceIdentifier", "Value": db.db_instance_identifier}],
                        stamp,
                        "Seconds",
                    )
                )

    original = CloudWatchBackend.get_all_metrics

    def get_all_metrics(self):
        publish_replica_lag(self)
        return original(self)

    CloudWatchBackend.get_all_metrics = get_all_metrics


def _patch_run_instances_client_token() -> None:
    """RunInstances with a ClientToken is idempotent: "if you repeat the
    request with the same client token, the same response is returned" and
    no further instance is launched
    (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html).
    moto records the token but launches again."""
    from moto.ec2.models.instances import InstanceBackend

    original = InstanceBackend.run_instances

    def run_instances(self, image_id, count, user_data, security_group_names, **kwargs):
        token = kwargs.get("client_token")
        if token and token != "ABCDE":
            for reservation in self.reservations.values():
                if any(getattr(i, "client_token", None) == token for i in reservation.instances):
                    return reservation
        return original(self, image_id, count, user_data, security_group_names, **kwargs)

    InstanceBackend.run_instances = run_instances


CONSISTENCY = {"seconds": float(os.environ.get("WARMSTANDBY_EMULATOR_CONSISTENCY_SECONDS") or 0)}


def _patch_copy_image_tag_specifications() -> None:
    """CopyImage with TagSpecifications tags the new AMI (`image`) and its
    new snapshots (`snapshot`), as AWS does
    (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CopyImage.html);
    moto ignored them, leaving the copy untagged."""
    from moto.ec2.responses.amis import AmisResponse

    original = AmisResponse.copy_image

    def copy_image(self):
        specs = self._parse_tag_specification()
        before = set(self.ec2_backend.amis)
        result = original(self)
        for ami_id in set(self.ec2_backend.amis) - before:
            ami = self.ec2_backend.amis[ami_id]
            if specs.get("image"):
                self.ec2_backend.create_tags([ami_id], specs["image"])
            snapshot = getattr(ami, "ebs_snapshot", None)
            if specs.get("snapshot") and snapshot is not None:
                self.ec2_backend.create_tags([snapshot.id], specs["snapshot"])
        return result

    AmisResponse.copy_image = copy_image


def _patch_ec2_eventual_consistency() -> None:
    """EC2's eventual consistency, when on (`WARMSTANDBY_EMULATOR_CONSISTENCY_SECONDS`
    or `POST /warmstandby/consistency {"seconds": s}`): for `s` seconds after
    a VPC, subnet, internet gateway, Elastic IP, security group, route table,
    NAT gateway or instance is created, describes do not show it (a listing
    leaves it out; a describe by ID answers the kind's NotFound), as AWS
    documents: "if you run a command to describe a resource immediately
    after creating it, the resource might not be returned"
    (https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html).
    Calls that act on the resource by ID keep working, as they usually do on
    AWS. AWS gives no bound; tests use a second or two."""
    import time

    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models import elastic_ip_addresses, instances, internet_gateways, nat_gateways
    from moto.ec2.models import route_tables, security_groups, subnets, vpcs
    from moto.ec2.models.instances import InstanceBackend
    from moto.ec2.responses import EC2Response

    describing = {"on": False}
    for cls in (
        vpcs.VPC,
        subnets.Subnet,
        internet_gateways.InternetGateway,
        elastic_ip_addresses.ElasticAddress,
        security_groups.SecurityGroup,
        route_tables.RouteTable,
        nat_gateways.NatGateway,
        instances.Instance,
    ):
        def init(self, *args, _original=cls.__init__, **kwargs):
            _original(self, *args, **kwargs)
            self.__dict__["_ws_visible_at"] = time.monotonic() + CONSISTENCY["seconds"]

        cls.__init__ = init

    def fresh(resource):
        return describing["on"] and resource.__dict__.get("_ws_visible_at", 0) > time.monotonic()

    def hiding(backend_cls, method, ids_arg, code):
        import inspect

        original = getattr(backend_cls, method)
        signature = inspect.signature(original)

        def describe(self, *args, **kwargs):
            found = original(self, *args, **kwargs)
            hidden = [r for r in found if fresh(r)]
            if not hidden:
                return found
            asked = signature.bind(self, *args, **kwargs).arguments.get(ids_arg)
            if asked:
                ident = getattr(hidden[0], "id", None) or getattr(hidden[0], "allocation_id", "")
                raise EC2ClientError(code, f"The ID '{ident}' does not exist")
            return [r for r in found if not fresh(r)]

        setattr(backend_cls, method, describe)

    hiding(vpcs.VPCBackend, "describe_vpcs", "vpc_ids", "InvalidVpcID.NotFound")
    hiding(subnets.SubnetBackend, "describe_subnets", "subnet_ids", "InvalidSubnetID.NotFound")
    hiding(internet_gateways.InternetGatewayBackend, "describe_internet_gateways", "internet_gateway_ids", "InvalidInternetGatewayID.NotFound")
    hiding(elastic_ip_addresses.ElasticAddressBackend, "describe_addresses", "allocation_ids", "InvalidAllocationID.NotFound")
    hiding(security_groups.SecurityGroupBackend, "describe_security_groups", "group_ids", "InvalidGroup.NotFound")
    hiding(route_tables.RouteBackend, "describe_route_tables", "route_table_ids", "InvalidRouteTableID.NotFound")
    hiding(nat_gateways.NatGatewayBackend, "describe_nat_gateways", "nat_gateway_ids", "NatGatewayNotFound")

    for method in ("get_reservations_by_instance_ids", "all_reservations"):
        original = getattr(InstanceBackend, method)

        def reservations(self, *args, _original=original, _by_id=(method == "get_reservations_by_instance_ids"), **kwargs):
            found = _original(self, *args, **kwargs)
            out = []
            for r in found:
                hidden = [i for i in r.instances if fresh(i)]
                if hidden and _by_id:
                    raise EC2ClientError("InvalidInstanceID.NotFound", f"The instance ID '{hidden[0].id}' does not exist")
                if hidden:
                    r = copy.copy(r)
                    r.instances = [i for i in r.instances if not fresh(i)]
                if r.instances:
                    out.append(r)
            return out

        setattr(InstanceBackend, method, reservations)

    # Tags lag too: a tag added or changed by CreateTags on an existing
    # resource is not seen by describes (in a tag filter, DescribeTags or the
    # resource's tag set) for the same `s` seconds; a changed tag shows its
    # old value meanwhile. "The result of an API command you run that
    # affects your Amazon EC2 resources might not be immediately visible to
    # all subsequent commands you run" (the page above). Tags given at
    # creation come with the resource, which is hidden anyway.
    from moto.ec2.models.tags import TagBackend

    tagging = {"on": False}
    lagging = {}  # (resource id, key) -> (visible at, value shown until then or None)
    original_create_tags = TagBackend.create_tags

    def create_tags(self, resource_ids, tags):
        if tagging["on"]:
            until = time.monotonic() + CONSISTENCY["seconds"]
            for rid in resource_ids:
                for key in tags:
                    shown = lagging.get((rid, key))
                    before = shown[1] if shown and shown[0] > time.monotonic() else self.tags.get(rid, {}).get(key)
                    lagging[(rid, key)] = (until, before)
        return original_create_tags(self, resource_ids, tags)

    TagBackend.create_tags = create_tags
    original_describe_tags = TagBackend.describe_tags

    def describe_tags(self, filters=None):
        found = original_describe_tags(self, filters)
        if not describing["on"] or not lagging:
            return found
        now = time.monotonic()
        out = []
        for tag in found:
            shown = lagging.get((tag.get("resource_id"), tag.get("key")))
            if shown is None or shown[0] <= now:
                out.append(tag)
            elif shown[1] is not None:
                out.append({**tag, "value": shown[1]})
        if filters and any(k in filters for k in ("key", "value")):
            wanted_keys, wanted_values = filters.get("key"), filters.get("value")
            out = [
                t for t in out
                if (not wanted_keys or t["key"] in wanted_keys) and (not wanted_values or t["value"] in wanted_values)
            ]
        return out

    TagBackend.describe_tags = describe_tags
    original_call = EC2Response.call_action

    def call_action(self):
        action = str(self._get_action() or "")
        describing["on"] = CONSISTENCY["seconds"] > 0 and action.startswith("Describe")
        tagging["on"] = CONSISTENCY["seconds"] > 0 and action == "CreateTags"
        try:
            return original_call(self)
        finally:
            describing["on"] = tagging["on"] = False

    EC2Response.call_action = call_action


IAM = {"enforced": os.environ.get("WARMSTANDBY_EMULATOR_IAM") == "enforce"}
# The account's root user: the key the tests and the demo sign with. As on
# AWS, the root user may do everything; IAM users and roles only what their
# policies grant.
ROOT_ACCESS_KEY = "testing"


def _patch_iam_enforcement() -> None:
    """IAM as AWS enforces it, when on (`WARMSTANDBY_EMULATOR_IAM=enforce`
    or `POST /warmstandby/iam {"enforced": true}`): every request signed by
    an IAM user's or an assumed role's key is checked against that
    identity's policies; the root user's key is allowed everything. moto
    can check policies but differs from AWS in four ways, corrected here:
    - it names an action by the signing name, so CloudWatch's calls come out
      as `monitoring:*` where IAM says `cloudwatch:*`
      (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html),
      and CloudFront's REST operations carry their API version
      (`GetDistribution2020_05_31`) where IAM says `cloudfront:GetDistribution`;
    - it answers a denial with one XML document whatever the protocol, which
      the SDK cannot read for JSON services ("HTTP 403 with no error"); AWS
      answers in the service's own format: EC2 `UnauthorizedOperation`
      (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html),
      query and REST-XML services `AccessDenied` (HTTP 403), JSON services
      `AccessDeniedException` (HTTP 400; AWS Backup's REST-JSON 403), each
      message naming the principal and the action, as AWS's does;
    - it counts requests before enforcing (INITIAL_NO_AUTH_ACTION_COUNT);
      enforcement here starts when switched on;
    - it recomputes SigV4 signatures from its own view of the request, which
      differs from the SDK's for bridged protocols; the signature is not
      checked (the emulator checks who calls and what they may do)."""
    import re

    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.iam import access_control
    from werkzeug.exceptions import HTTPException

    original_auth = ActionAuthenticatorMixin._authenticate_and_authorize_action
    key_re = re.compile(r"Credential=([^/]+)/")

    def _authenticate_and_authorize_action(self, iam_request_cls, resource="*"):
        if not IAM["enforced"]:
            return
        found = key_re.search(self.headers.get("Authorization", "") or "")
        if found is None or found.group(1) == ROOT_ACCESS_KEY:
            return
        settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
        return original_auth(self, iam_request_cls, resource)

    ActionAuthenticatorMixin._authenticate_and_authorize_action = _authenticate_and_authorize_action

    original_init = access_control.IAMRequestBase.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        service, _, action = self._action.partition(":")
        service = {"monitoring": "cloudwatch"}.get(service, service)
        if service == "cloudfront":
            action = re.sub(r"\d{4}_\d{2}_\d{2}$", "", action)
        self._action = f"{service}:{action}"

    access_control.IAMRequestBase.__init__ = __init__
    access_control.IAMRequest.check_signature = lambda self: None
    access_control.IAMRequestBase.check_action_permitted = lambda self, _resource: Authorizer(self).check()

    class WireAccessDenied(HTTPException):
        def __init__(self, request, action=None, resource="*"):
            principal, action = request._access_key.arn, action or request._action
            message = (
                f"User: {principal} is not authorized to perform: {action} on resource: {resource} "
                f"because no identity-based policy allows the {action} action"
            )
            headers = request._headers
            service = request._service
            if service == "ec2":
                self.code, body = 403, (
                    '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error>'
                    f"<Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation. {message}</Message>"
                    "</Error></Errors><RequestID>denied</RequestID></Response>"
                )
            elif headers.get("X-Amz-Target") or headers.get("x-amz-target") or service == "backup":
                kind = "AccessDenied" if service == "monitoring" else "AccessDeniedException"
                self.code = 403 if service in ("backup", "monitoring") else 400
                body = json.dumps({"__type": kind, "message": message, "Message": message})
            else:
                self.code, body = 403, (
                    f"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                    f"<Message>{message}</Message></Error><RequestId>denied</RequestId></ErrorResponse>"
                )
            super().__init__(description=body)

    def _raise_access_denied(self, action=None, resource="*"):
        raise WireAccessDenied(self, action, resource)

    access_control.IAMRequest._raise_access_denied = _raise_access_denied


class Authorizer:
    """IAM's policy evaluation for one request, as AWS documents it
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
    an explicit Deny wins, else an Allow whose action, resource and every
    condition match permits, else the request is implicitly denied. moto
    evaluates every request against resource `*` and treats an Allow whose
    condition does not hold as a Deny; this evaluates the resource AWS
    authorizes the action on (the ARN of the secret, role or instance profile
    named in the request, `*` for actions that support no resource) and the
    condition keys the request carries. Where AWS checks `iam:PassRole` as
    well (an instance launched with an instance profile, an auto scaling
    group whose launch template names one, a backup selection's role), so
    does this, with `iam:PassedToService`."""

    SUPPORTED_OPERATORS = ("StringEquals", "StringLike", "StringNotEquals", "StringNotLike", "ArnLike", "ArnEquals", "Null")

    def __init__(self, request):
        self.request = request
        self.account = request.account_id
        self.region = request._region
        self.params = self._params()

    def _params(self):
        body = self.request._body
        if isinstance(body, bytes) and body[:1] == b"{":
            try:
                return json.loads(body)
            except ValueError:
                pass
        data = self.request._data or {}
        return {k: (v[0] if isinstance(v, list) and len(v) == 1 else v) for k, v in data.items()}

    def check(self):
        action = self.request._action
        if action == "sts:GetCallerIdentity":
            return
        scoped = TaggedResources(self)
        targets = scoped.targets(action) or [(self.resource(action), self.condition_values(action))]
        for resource, conditions in targets:
            if not self.permitted(action, resource, conditions):
                self.request._raise_access_denied(action, resource)
        for tagging, resource, conditions in scoped.tagged_on_create(action):
            if not self.permitted(tagging, resource, conditions):
                self.request._raise_access_denied(tagging, resource)
        passed = self.passed_role(action)
        if passed is not None:
            role, service = passed
            if not self.permitted("iam:PassRole", role, {"iam:PassedToService": service}):
                self.request._raise_access_denied("iam:PassRole", role)

    # -- what the request is about ------------------------------------------

    def resource(self, action):
        service, _, name = action.partition(":")
        p = self.params
        if service == "secretsmanager" and name != "ListSecrets" and name != "GetRandomPassword":
            return self._secret_arn(p.get("SecretId") or p.get("Name"))
        if service == "iam":
            if "InstanceProfile" in name:
                return self._iam_arn("instance-profile", p.get("InstanceProfileName"), p.get("Path"))
            if name.endswith(("Role", "RolePolicy", "RolePolicies", "AssumeRolePolicy")) or name in ("TagRole", "UntagRole"):
                if name != "CreateServiceLinkedRole":
                    return self._iam_arn("role", p.get("RoleName"), p.get("Path"))
        return "*"

    def _secret_arn(self, name):
        if not name:
            return "*"
        if str(name).startswith("arn:"):
            return name
        try:
            from moto.secretsmanager.models import secretsmanager_backends

            secret = secretsmanager_backends[self.account][self.region].secrets.get(name)
            if secret is not None:
                return secret.arn
        except Exception:
            pass
        # A secret still to be created: its ARN ends in a random suffix.
        return f"arn:aws:secretsmanager:{self.region}:{self.account}:secret:{name}-AbCdEf"

    def _iam_arn(self, kind, name, path):
        if not name:
            return "*"
        backend = self.request.backend
        try:
            if kind == "role":
                return backend.get_role(name).arn
            return backend.get_instance_profile(name).arn
        except Exception:
            return f"arn:aws:iam::{self.account}:{kind}{path or '/'}{name}"

    def condition_values(self, action):
        values = {}
        if action == "iam:CreateServiceLinkedRole" and self.params.get("AWSServiceName"):
            values["iam:AWSServiceName"] = self.params["AWSServiceName"]
        return values

    def passed_role(self, action):
        """(role ARN, service) when AWS checks iam:PassRole for `action`."""
        p = self.params
        if action == "backup:CreateBackupSelection":
            selection = p.get("BackupSelection") or {}
            role = selection.get("IamRoleArn") if isinstance(selection, dict) else None
            return (role, "backup.amazonaws.com") if role else None
        profile = None
        if action == "ec2:RunInstances":
            profile = p.get("IamInstanceProfile.Name") or p.get("IamInstanceProfile.Arn")
        elif action in ("autoscaling:CreateAutoScalingGroup", "autoscaling:UpdateAutoScalingGroup"):
            profile = self._launch_template_profile(
                p.get("LaunchTemplate.LaunchTemplateId"), p.get("LaunchTemplate.LaunchTemplateName"), p.get("LaunchTemplate.Version")
            )
        if not profile:
            return None
        name = str(profile).rsplit("/", 1)[-1]
        try:
            roles = self.request.backend.get_instance_profile(name).roles
        except Exception:
            return None
        return (roles[0].arn, "ec2.amazonaws.com") if roles else None

    def _launch_template_profile(self, template_id, template_name, version):
        try:
            from moto.ec2.models import ec2_backends

            backend = ec2_backends[self.account][self.region]
            template = (
                backend.launch_templates.get(template_id)
                if template_id
                else backend.get_launch_template_by_name(template_name)
            )
            if template is None:
                return None
            chosen = template.latest_version() if version == "$Latest" else template.default_version()
            if version and version not in ("$Latest", "$Default"):
                chosen = template.get_version(version)
            spec = chosen.data.get("IamInstanceProfile") or {}
            return spec.get("Name") or spec.get("Arn")
        except Exception:
            return None

    # -- evaluation ---------------------------------------------------------

    def statements(self):
        from moto.iam import access_control

        for policy in self.request._access_key.collect_policies():
            try:
                document = access_control.IAMPolicy(policy)._policy_json
            except Exception:
                continue
            found = document.get("Statement", [])
            yield from (found if isinstance(found, list) else [found])

    def permitted(self, action, resource, conditions):
        allowed = False
        for st in self.statements():
            if not self._applies(st, action, resource, conditions):
                continue
            if st.get("Effect") == "Deny":
                return False
            allowed = True
        return allowed

    @staticmethod
    def _values(v):
        return v if isinstance(v, list) else [v]

    @staticmethod
    def _like(pattern, value):
        import fnmatch

        return fnmatch.fnmatchcase(str(value), str(pattern).replace("[", "[[]"))

    def _applies(self, st, action, resource, conditions):
        lower = action.lower()
        if "Action" in st:
            if not any(self._like(a.lower(), lower) for a in self._values(st["Action"])):
                return False
        elif "NotAction" in st:
            if any(self._like(a.lower(), lower) for a in self._values(st["NotAction"])):
                return False
        if "Resource" in st:
            if not any(self._like(r, resource) or r == "*" for r in self._values(st["Resource"])):
                return False
        elif "NotResource" in st:
            if any(self._like(r, resource) for r in self._values(st["NotResource"])):
                return False
        return self._conditions_hold(st.get("Condition") or {}, conditions)

    def _conditions_hold(self, block, values):
        for operator, tests in block.items():
            base = operator[:-8] if operator.endswith("IfExists") else operator
            if base not in self.SUPPORTED_OPERATORS:
                return False  # an operator this evaluator does not know never grants
            for key, expected in tests.items():
                actual = values.get(key)
                if base == "Null":
                    if (actual is None) != (str(expected).lower() == "true"):
                        return False
                    continue
                if actual is None:
                    if operator.endswith("IfExists"):
                        continue
                    return False
                wanted = self._values(expected)
                if base in ("StringEquals", "ArnEquals"):
                    ok = str(actual) in map(str, wanted)
                elif base in ("StringLike", "ArnLike"):
                    ok = any(self._like(w, actual) for w in wanted)
                elif base == "StringNotEquals":
                    ok = str(actual) not in map(str, wanted)
                else:  # StringNotLike
                    ok = not any(self._like(w, actual) for w in wanted)
                if not ok:
                    return False
        return True


class TaggedResources:
    """The resources AWS authorizes a request on, for the services whose
    policies the operator scopes by tag (EC2, RDS, Elastic Load Balancing,
    Auto Scaling), each with the condition keys AWS evaluates for it
    (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html):
    a resource the request creates is `<type>/*` with `aws:RequestTag/<key>`
    from the tags the request puts on that type; an existing resource named
    in the request is its ARN with `aws:ResourceTag/<key>` from its tags
    (and the service's own alias, `ec2:ResourceTag/<key>`,
    `rds:db-tag/<key>`, `autoscaling:ResourceTag/<key>`). A request naming
    several resources is allowed only if every one is, as AWS's RunInstances
    and CreateSubnet are. Describe and List calls, which AWS authorizes on
    `*`, are left to the caller. Creating an EC2 resource with tags is also
    authorized as `ec2:CreateTags` with `ec2:CreateAction`, as AWS does
    (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html)."""

    EC2_CREATES = {
        "CreateVpc": ("vpc",),
        "CreateSubnet": ("subnet",),
        "CreateInternetGateway": ("internet-gateway",),
        "AllocateAddress": ("elastic-ip",),
        "CreateNatGateway": ("natgateway",),
        "CreateRouteTable": ("route-table",),
        "CreateSecurityGroup": ("security-group",),
        "RunInstances": ("instance", "volume", "network-interface"),
        "CreateLaunchTemplate": ("launch-template",),
        "CopyImage": ("image", "snapshot"),
    }
    EC2_ID_TYPES = {
        "vpc": "vpc", "subnet": "subnet", "igw": "internet-gateway", "sg": "security-group",
        "rtb": "route-table", "nat": "natgateway", "eipalloc": "elastic-ip", "i": "instance",
        "lt": "launch-template", "ami": "image", "snap": "snapshot", "eni": "network-interface", "vol": "volume",
    }
    EC2_ID_PARAMS = (
        "VpcId", "SubnetId", "GroupId", "SecurityGroupId", "RouteTableId", "InternetGatewayId",
        "NatGatewayId", "AllocationId", "InstanceId", "ResourceId", "LaunchTemplateId", "ImageId", "SnapshotId",
    )
    # Where AWS authorizes fewer resources than the request names: a route's
    # target (gateway, NAT gateway) is not one of CreateRoute's resources.
    EC2_ONLY = {"CreateRoute": ("RouteTableId",), "ReplaceRoute": ("RouteTableId",), "DeleteRoute": ("RouteTableId",)}
    TAG_PARAM = re.compile(r"^Tags?\.(?:member\.|Tag\.)?(\d+)\.(Key|Value)$")

    def __init__(self, authorizer):
        self.auth = authorizer
        self.data = authorizer.request._data or {}
        self.region = authorizer.region
        self.account = authorizer.account

    def _param(self, key):
        v = self.data.get(key)
        return v[0] if isinstance(v, list) and v else v

    def _named(self, names):
        """Values of the parameters named `names` (and their `.N` lists)."""
        for key in sorted(self.data):
            parts = key.split(".")
            if parts[0] in names and all(p.isdigit() or p == "member" for p in parts[1:]):
                value = self._param(key)
                if value:
                    yield value

    def _request_tags(self):
        tags = {}
        for key in self.data:
            found = self.TAG_PARAM.match(key)
            if found and found.group(2) == "Key":
                prefix = key[: -len("Key")]
                tags[self._param(key)] = self._param(prefix + "Value") or ""
        return tags

    @staticmethod
    def _context(prefixes, tags):
        return {f"{p}/{k}": v for p in prefixes for k, v in tags.items()}

    def targets(self, action):
        service, _, name = action.partition(":")
        if name.startswith(("Describe", "List", "Get")):
            return None
        scoped = {
            "ec2": self._ec2,
            "rds": self._rds,
            "elasticloadbalancing": self._elb,
            "autoscaling": self._asg,
            "acm": self._acm,
            "cloudwatch": self._cloudwatch,
            "wafv2": self._wafv2,
            "backup": self._backup,
            "cloudfront": self._cloudfront,
        }.get(service)
        return scoped(name) if scoped else None

    # -- EC2 ----------------------------------------------------------------

    def _ec2_arn(self, kind, ident):
        account = "" if kind in ("image", "snapshot") else self.account
        return f"arn:aws:ec2:{self.region}:{account}:{kind}/{ident}"

    def _ec2_spec_tags(self):
        """{resource type: tags} from the request's TagSpecification.N."""
        out = {}
        for key in self.data:
            parts = key.split(".")
            if parts[0] in ("TagSpecification", "TagSpecifications") and len(parts) == 3 and parts[2] == "ResourceType":
                kind = self._param(key)
                tags = {}
                for k in self.data:
                    q = k.split(".")
                    if q[:2] == parts[:2] and len(q) == 5 and q[2] == "Tag" and q[4] == "Key":
                        tags[self._param(k)] = self._param(".".join(q[:4] + ["Value"])) or ""
                out.setdefault(kind, {}).update(tags)
        return out

    def _ec2_tags(self, ident):
        from moto.ec2.models import ec2_backends

        return dict(ec2_backends[self.account][self.region].tags.get(ident, {}))

    def _ec2_existing(self, ident):
        kind = self.EC2_ID_TYPES.get(str(ident).split("-")[0])
        if kind is None:
            return None
        tags = self._ec2_tags(ident)
        return (self._ec2_arn(kind, ident), self._context(("aws:ResourceTag", "ec2:ResourceTag"), tags))

    def _ec2(self, name):
        out = []
        spec_tags = self._ec2_spec_tags()
        for kind in self.EC2_CREATES.get(name, ()):
            tags = spec_tags.get(kind, {})
            out.append((self._ec2_arn(kind, "*"), self._context(("aws:RequestTag",), tags)))
        for ident in self._named(self.EC2_ONLY.get(name, self.EC2_ID_PARAMS)):
            existing = self._ec2_existing(ident)
            if existing is not None:
                if name == "CreateTags":
                    existing[1].update(self._context(("aws:RequestTag",), self._request_tags_ec2()))
                out.append(existing)
        association = self._param("AssociationId")
        if association:
            table = self._route_table_of(association)
            if table is not None:
                out.append(self._ec2_existing(table))
        return out

    def _request_tags_ec2(self):
        tags = {}
        for key in self.data:
            parts = key.split(".")
            if parts[0] == "Tag" and len(parts) == 3 and parts[2] == "Key":
                tags[self._param(key)] = self._param(f"Tag.{parts[1]}.Value") or ""
        return tags

    def _route_table_of(self, association_id):
        from moto.ec2.models import ec2_backends

        for table in ec2_backends[self.account][self.region].route_tables.values():
            if association_id in getattr(table, "all_associations_ids", ()):
                return table.id
        return None

    def tagged_on_create(self, action):
        """(tagging action, resource, conditions) AWS also authorizes when a
        create carries tags: `ec2:CreateTags` with `ec2:CreateAction`, and
        Elastic Load Balancing's `AddTags` with
        `elasticloadbalancing:CreateAction`
        (https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/security_iam_id-based-policy-examples.html)."""
        service, _, name = action.partition(":")
        if service == "ec2" and name in self.EC2_CREATES:
            return [
                ("ec2:CreateTags", self._ec2_arn(kind, "*"), {"ec2:CreateAction": name, **self._context(("aws:RequestTag",), tags)})
                for kind, tags in self._ec2_spec_tags().items()
                if tags
            ]
        if service == "elasticloadbalancing" and name.startswith("Create") and self._request_tags():
            new = self._elb_new(name)
            context = {"elasticloadbalancing:CreateAction": name, **self._context(("aws:RequestTag",), self._request_tags())}
            return [("elasticloadbalancing:AddTags", new, context)] if new else []
        return []

    # -- RDS ----------------------------------------------------------------

    RDS_CREATES = {"CreateDBInstance": "DBInstanceIdentifier", "CreateDBInstanceReadReplica": "DBInstanceIdentifier", "CreateDBSubnetGroup": "DBSubnetGroupName"}

    def _rds_existing(self, arn):
        from moto.rds.models import rds_backends

        region = arn.split(":")[3]
        try:
            found = rds_backends[self.account][region].list_tags_for_resource(arn)
        except Exception:
            found = []
        tags = {t.get("Key"): t.get("Value", "") for t in found or []}
        return (arn, self._context(("aws:ResourceTag", "rds:db-tag"), tags))

    def _rds(self, name):
        out = []
        created = self.RDS_CREATES.get(name)
        for param, kind in (("DBInstanceIdentifier", "db"), ("DBSubnetGroupName", "subgrp"), ("SourceDBInstanceIdentifier", "db"), ("ResourceName", None)):
            value = self._param(param)
            if not value:
                continue
            arn = value if value.startswith("arn:") else f"arn:aws:rds:{self.region}:{self.account}:{kind}:{value}"
            if param == created:
                out.append((arn, self._context(("aws:RequestTag",), self._request_tags())))
            else:
                existing = self._rds_existing(arn)
                if name == "AddTagsToResource":
                    existing[1].update(self._context(("aws:RequestTag",), self._request_tags()))
                out.append(existing)
        return out

    # -- Elastic Load Balancing ----------------------------------------------

    def _elb_existing(self, arn):
        from moto.elbv2.models import elbv2_backends

        region = arn.split(":")[3]
        try:
            tags = dict(elbv2_backends[self.account][region].tagging_service.get_tag_dict_for_resource(arn))
        except Exception:
            tags = {}
        return (arn, self._context(("aws:ResourceTag",), tags))

    def _elb_new(self, name):
        prefix = f"arn:aws:elasticloadbalancing:{self.region}:{self.account}"
        balancer = str(self._param("LoadBalancerArn") or "").partition(":loadbalancer/")[2]
        return {
            "CreateLoadBalancer": f"{prefix}:loadbalancer/app/{self._param('Name')}/*",
            "CreateTargetGroup": f"{prefix}:targetgroup/{self._param('Name')}/*",
            "CreateListener": f"{prefix}:listener/{balancer or 'app/*/*'}/*",
        }.get(name)

    def _elb(self, name):
        out = []
        new = self._elb_new(name)
        if new:
            out.append((new, self._context(("aws:RequestTag",), self._request_tags())))
        for arn in self._named(("LoadBalancerArn", "TargetGroupArn", "ListenerArn", "ResourceArns")):
            existing = self._elb_existing(arn)
            if name == "AddTags":
                existing[1].update(self._context(("aws:RequestTag",), self._request_tags()))
            out.append(existing)
        return out

    # -- ACM, CloudWatch, WAF, Backup, CloudFront ------------------------------

    @staticmethod
    def _tagger_tags(backends, arn):
        """The tags moto's tagging service holds for `arn`, in whichever of
        the account's backends (Regions, or the global one) it lives."""
        for backend in list(backends.values()):
            tagger = getattr(backend, "tagger", None) or getattr(backend, "tagging_service", None)
            if tagger is not None and arn in getattr(tagger, "tags", {}):
                return dict(tagger.get_tag_dict_for_resource(arn))
        return {}

    @staticmethod
    def _listed_tags(tags):
        if isinstance(tags, dict):
            return {str(k): str(v) for k, v in tags.items()}
        return {t.get("Key"): t.get("Value", "") for t in tags or [] if isinstance(t, dict)}

    def _json_request_tags(self, key="Tags"):
        return self._listed_tags(self.auth.params.get(key))

    def _existing(self, arn, tags, tagging=False, request_tags=None):
        context = self._context(("aws:ResourceTag",), tags)
        if tagging:
            context.update(self._context(("aws:RequestTag",), request_tags or {}))
        return (arn, context)

    def _new(self, arn, tags):
        return (arn, self._context(("aws:RequestTag",), tags))

    def _acm(self, name):
        from moto.acm.models import acm_backends

        p = self.auth.params
        if name == "RequestCertificate":
            return [self._new(f"arn:aws:acm:{self.region}:{self.account}:certificate/*", self._json_request_tags())]
        arn = p.get("CertificateArn")
        if not arn:
            return None
        cert = acm_backends[self.account][arn.split(":")[3]]._certificates.get(arn)
        tags = dict(cert.tags) if cert is not None else {}
        return [self._existing(arn, tags, name == "AddTagsToCertificate", self._json_request_tags())]

    def _cloudwatch(self, name):
        from moto.cloudwatch.models import cloudwatch_backends

        p = self.auth.params
        backends = cloudwatch_backends[self.account]
        alarm = f"arn:aws:cloudwatch:{self.region}:{self.account}:alarm:"
        if name == "PutMetricAlarm":
            arn = alarm + str(p.get("AlarmName"))
            tags = self._json_request_tags()
            existing = self._tagger_tags(backends, arn)
            return [(arn, {**self._context(("aws:RequestTag",), tags), **self._context(("aws:ResourceTag",), existing)})]
        if name == "DeleteAlarms":
            return [self._existing(alarm + str(n), self._tagger_tags(backends, alarm + str(n))) for n in p.get("AlarmNames") or []]
        if name in ("TagResource", "UntagResource") and p.get("ResourceARN"):
            arn = p["ResourceARN"]
            return [self._existing(arn, self._tagger_tags(backends, arn), True, self._json_request_tags())]
        return None

    def _wafv2(self, name):
        from moto.wafv2.models import wafv2_backends

        p = self.auth.params
        backends = wafv2_backends[self.account]
        scope = "global" if p.get("Scope") == "CLOUDFRONT" else "regional"
        region = "us-east-1" if scope == "global" else self.region
        if name == "CreateWebACL":
            return [self._new(f"arn:aws:wafv2:{region}:{self.account}:{scope}/webacl/{p.get('Name')}/*", self._json_request_tags())]
        if name in ("UpdateWebACL", "DeleteWebACL") and p.get("Id"):
            arn = f"arn:aws:wafv2:{region}:{self.account}:{scope}/webacl/{p.get('Name')}/{p.get('Id')}"
            return [self._existing(arn, self._tagger_tags(backends, arn))]
        if name in ("TagResource", "UntagResource") and p.get("ResourceARN"):
            arn = p["ResourceARN"]
            return [self._existing(arn, self._tagger_tags(backends, arn), True, self._json_request_tags())]
        return None

    def _backup(self, name):
        from urllib.parse import unquote

        from moto.backup.models import backup_backends

        backends = backup_backends[self.account]
        segments = [unquote(x) for x in str(self.auth.request._path or "").split("?")[0].split("/") if x]
        prefix = f"arn:aws:backup:{self.region}:{self.account}"
        if name == "CreateBackupVault":
            return [self._new(f"{prefix}:backup-vault:{segments[-1]}", self._json_request_tags("BackupVaultTags"))]
        if name == "CreateBackupPlan":
            return [self._new(f"{prefix}:backup-plan:*", self._json_request_tags("BackupPlanTags"))]
        if name == "DeleteBackupVault" and len(segments) >= 2:
            arn = f"{prefix}:backup-vault:{segments[1]}"
            return [self._existing(arn, self._tagger_tags(backends, arn))]
        if name in ("UpdateBackupPlan", "DeleteBackupPlan", "CreateBackupSelection", "DeleteBackupSelection") and len(segments) >= 3:
            arn = f"{prefix}:backup-plan:{segments[2]}"
            return [self._existing(arn, self._tagger_tags(backends, arn))]
        if name in ("TagResource", "UntagResource") and len(segments) >= 2:
            arn = "/".join(segments[1:])
            return [self._existing(arn, self._tagger_tags(backends, arn), True, self._json_request_tags("Tags"))]
        return None

    def _cloudfront(self, name):
        from urllib.parse import parse_qs, unquote

        from moto.cloudfront.models import cloudfront_backends

        backends = cloudfront_backends[self.account]
        path, _, query = str(self.auth.request._path or "").partition("?")
        segments = [unquote(x) for x in path.split("/") if x]
        body = self.auth.request._body
        body = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
        request_tags = {
            k: v for k, v in re.findall(r"<Tag>\s*<Key>([^<]*)</Key>\s*(?:<Value>([^<]*)</Value>)?\s*</Tag>", body)
        }
        if name in ("CreateDistribution", "CreateDistributionWithTags"):
            return [self._new(f"arn:aws:cloudfront::{self.account}:distribution/*", request_tags)]
        if name in ("UpdateDistribution", "DeleteDistribution") and len(segments) >= 3:
            arn = f"arn:aws:cloudfront::{self.account}:distribution/{segments[2]}"
            return [self._existing(arn, self._tagger_tags(backends, arn))]
        if name in ("TagResource", "UntagResource"):
            found = parse_qs(query).get("Resource") or [self._param("Resource")]
            arn = found[0] if found and found[0] else None
            if arn:
                return [self._existing(arn, self._tagger_tags(backends, arn), True, request_tags)]
        return None

    # -- Auto Scaling --------------------------------------------------------

    def _asg(self, name):
        from moto.autoscaling.models import autoscaling_backends

        backend = autoscaling_backends[self.account][self.region]
        groups = set(self._named(("AutoScalingGroupName",)))
        for key in self.data:
            if key.endswith(".ResourceId"):
                groups.add(self._param(key))
        out = []
        for group in sorted(groups):
            found = backend.autoscaling_groups.get(group)
            if name == "CreateAutoScalingGroup" or found is None:
                arn = f"arn:aws:autoscaling:{self.region}:{self.account}:autoScalingGroup:*:autoScalingGroupName/{group}"
                out.append((arn, self._context(("aws:RequestTag",), self._request_tags())))
                continue
            tags = {t.get("Key") or t.get("key"): t.get("Value") or t.get("value") or "" for t in found.tags}
            context = self._context(("aws:ResourceTag", "autoscaling:ResourceTag"), tags)
            if name == "CreateOrUpdateTags":
                context.update(self._context(("aws:RequestTag",), self._request_tags()))
            out.append((found.arn, context))
        return out


class TestControls:
    """What a test sets that AWS would decide (never an AWS API), answered
    as JSON and served under the same one-at-a-time lock as moto:
    - `POST /warmstandby/replication` with `{"account"?, "region",
      "db_instance_identifier", "state"?: replicating|stopped|error,
      "message"?, "write_load"?}` changes a read replica's replication
      (see `Replication`) and answers its view `{"state", "message",
      "lag_seconds" (the modelled lag, -1 when not replicating),
      "write_load", "since" (epoch seconds of the last change)}`; 404 for
      an unknown replica (or a promoted one), 400 for an unknown state;
    - `GET /warmstandby/replication?region=..&db_instance_identifier=..`
      (`account` optional) answers the same view;
    - `GET /warmstandby/clock` answers `{"time_scale": <float>}` (0: instant);
    - `POST /warmstandby/consistency` with `{"seconds": s}` sets how long a
      new EC2 resource stays out of describes (see
      `_patch_ec2_eventual_consistency`); GET answers it;
    - `POST /warmstandby/iam` with `{"enforced": bool}` turns IAM
      enforcement on or off (see `_patch_iam_enforcement`); GET answers it."""

    DEFAULT_ACCOUNT = "123456789012"  # moto's default account

    def __init__(self, app):
        self.app = app

    @staticmethod
    def json_body(environ):
        """A control request's JSON body ({} when empty); ValueError if not JSON."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        return json.loads(environ["wsgi.input"].read(length) or b"{}")

    @staticmethod
    def _answer(start_response, status, body):
        data = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/warmstandby/"):
            return self.app(environ, start_response)
        if path == "/warmstandby/clock":
            return self._answer(start_response, "200 OK", {"time_scale": TIME_SCALE})
        if path == "/warmstandby/consistency":
            if environ.get("REQUEST_METHOD") == "POST":
                try:
                    fields = self.json_body(environ)
                    CONSISTENCY["seconds"] = max(0.0, float(fields.get("seconds", CONSISTENCY["seconds"])))
                except (ValueError, TypeError) as e:
                    return self._answer(start_response, "400 Bad Request", {"error": f"bad request: {e}"})
            return self._answer(start_response, "200 OK", {"seconds": CONSISTENCY["seconds"]})
        if path == "/warmstandby/iam":
            if environ.get("REQUEST_METHOD") == "POST":
                try:
                    fields = self.json_body(environ)
                except ValueError as e:
                    return self._answer(start_response, "400 Bad Request", {"error": f"bad request: {e}"})
                if "enforced" in fields:
                    IAM["enforced"] = bool(fields["enforced"])
            return self._answer(start_response, "200 OK", {"enforced": IAM["enforced"]})
        if path != "/warmstandby/replication":
            return self._answer(start_response, "404 Not Found", {"error": f"no such control: {path}"})
        from urllib.parse import parse_qs

        from moto.rds.models import rds_backends

        posting = environ.get("REQUEST_METHOD") == "POST"
        try:
            if posting:
                fields = self.json_body(environ)
            else:
                fields = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
            load = fields.get("write_load")
            load = None if load is None else float(load)
        except (ValueError, TypeError) as e:
            return self._answer(start_response, "400 Bad Request", {"error": f"bad request: {e}"})
        account = fields.get("account") or self.DEFAULT_ACCOUNT
        region, identifier = fields.get("region", ""), fields.get("db_instance_identifier", "")
        backend = dict.get(dict.get(rds_backends, account) or {}, region)
        db = backend.databases.get(identifier) if backend is not None else None
        if db is None or not Replication.is_replica(db):
            return self._answer(start_response, "404 Not Found", {"error": f"no read replica {identifier} in {account}/{region}"})
        state = fields.get("state")
        if state not in (None, *Replication.STATES):
            return self._answer(start_response, "400 Bad Request", {"error": f"unknown state {state!r}"})
        if load is not None and load < 0:
            return self._answer(start_response, "400 Bad Request", {"error": "write_load must be >= 0"})
        if posting:
            entry = Replication.set(db, state, load, fields.get("message"))
        else:
            entry = Replication.of(db)
        return self._answer(start_response, "200 OK", Replication.view(entry))


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

    def _error(self, protocol, code, status, message=None):
        message = message or self.MESSAGES.get(status, "Error")
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


class Throttling:
    """AWS's request rates (`aws_rates.json`): a token bucket per account,
    service, scope (the Region, or the account for global services) and
    action class, refilled continuously; a request that finds its bucket
    empty is answered, without being processed, with the service's own
    throttling error in its wire format (see `InjectedFaults`), as AWS
    answers it. Off unless `WARMSTANDBY_EMULATOR_THROTTLE=aws` or a test
    turns it on: `POST /warmstandby/throttling` with `{"enabled": bool,
    "reset"?: bool}`; `GET /warmstandby/throttling` answers whether it is on
    and, per bucket (`service/scope/class`), the requests seen, how many
    were throttled, the most admitted in any one second and the bucket's
    refill rate and capacity. A test may also drain a bucket (as another
    client of the same account would): `{"drain": "route53/global/all"}`."""

    READ_PREFIXES = ("Describe", "Get", "List", "Search", "Head")

    def __init__(self, app, faults):
        import re
        import time

        self.app = app
        self.faults = faults
        self.time = time
        self.scope_re = re.compile(r"Credential=([^/]+)/[^/]+/([^/]+)/([^/]+)/")
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "aws_rates.json"), encoding="utf-8") as f:
            self.rates = {k: v for k, v in json.load(f).items() if not k.startswith("_")}
        self.enabled = os.environ.get("WARMSTANDBY_EMULATOR_THROTTLE") == "aws"
        self.lock = threading.Lock()
        self.buckets = {}  # key -> [tokens, last refill (monotonic)]
        self.stats = {}  # key -> {"requests", "throttled", "second", "in_second", "peak"}

    def _classify(self, environ, service, rates):
        from urllib.parse import parse_qs

        target = environ.get("HTTP_X_AMZ_TARGET")
        path = environ.get("PATH_INFO", "")
        action = None
        if target:
            action = target.split(".")[-1]
        elif environ.get("HTTP_SMITHY_PROTOCOL") == "rpc-v2-cbor" and "/operation/" in path:
            action = path.rsplit("/", 1)[-1]
        elif "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
            import io

            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            found = parse_qs(body.decode("utf-8", "replace")).get("Action")
            action = found[0] if found else None
        if action is None:
            found = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
            action = found[0] if found else None
        if action is None:
            action = self._rest_action(environ.get("REQUEST_METHOD", ""), path, rates)
        environ["warmstandby.action"] = action
        if action is not None and not rates.get("rest_actions"):
            cls = rates.get("actions", {}).get(action) or ("read" if action.startswith(self.READ_PREFIXES) else "write")
        else:
            # REST services: reads are GET and HEAD.
            cls = "read" if environ.get("REQUEST_METHOD") in ("GET", "HEAD") else "write"
        buckets = rates["buckets"]
        return cls if cls in buckets else "all" if "all" in buckets else "write"

    @staticmethod
    def _rest_action(method, path, rates):
        """The action of a REST request, by `rest_actions` (`*` is one path segment)."""
        segments = [p for p in path.split("/") if p]
        for m, pattern, action in rates.get("rest_actions", ()):
            wanted = [p for p in pattern.split("/") if p]
            if m == method and len(wanted) == len(segments) and all(w in ("*", s) for w, s in zip(wanted, segments)):
                return action
        return None

    @staticmethod
    def _protocol(environ, service):
        if service == "ec2":
            return "ec2"
        if environ.get("HTTP_SMITHY_PROTOCOL") == "rpc-v2-cbor":
            return "cbor"
        if environ.get("HTTP_X_AMZ_TARGET"):
            return "json"
        if "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
            return "query"
        if service in ("route53", "cloudfront"):
            return "restxml"
        return "restjson"

    def _admit(self, key, capacity, refill):
        now = self.time.monotonic()
        tokens, last = self.buckets.get(key, (capacity, now))
        tokens = min(capacity, tokens + (now - last) * refill)
        stat = self.stats.setdefault(
            key, {"requests": 0, "throttled": 0, "second": 0, "in_second": 0, "peak": 0, "refill": refill, "capacity": capacity}
        )
        stat["requests"] += 1
        if tokens < 1:
            self.buckets[key] = (tokens, now)
            stat["throttled"] += 1
            return False
        self.buckets[key] = (tokens - 1, now)
        second = int(self.time.time())
        if stat["second"] != second:
            stat["second"], stat["in_second"] = second, 0
        stat["in_second"] += 1
        stat["peak"] = max(stat["peak"], stat["in_second"])
        return True

    def _control(self, environ, start_response):
        answer = TestControls._answer
        if environ.get("REQUEST_METHOD") == "POST":
            try:
                fields = TestControls.json_body(environ)
            except ValueError as e:
                return answer(start_response, "400 Bad Request", {"error": f"bad request: {e}"})
            with self.lock:
                if "enabled" in fields:
                    self.enabled = bool(fields["enabled"])
                if fields.get("reset"):
                    self.buckets.clear()
                    self.stats.clear()
                drain = fields.get("drain")
                if drain:
                    self.buckets[drain] = (0.0, self.time.monotonic())
        with self.lock:
            view = {
                k: {n: v[n] for n in ("requests", "throttled", "peak", "refill", "capacity")}
                for k, v in sorted(self.stats.items())
            }
            return answer(start_response, "200 OK", {"enabled": self.enabled, "buckets": view})

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/warmstandby/throttling":
            return self._control(environ, start_response)
        if not self.enabled or path.startswith(("/warmstandby/", "/moto-api/")):
            return self.app(environ, start_response)
        found = self.scope_re.search(environ.get("HTTP_AUTHORIZATION", ""))
        rates = self.rates.get(found.group(3)) if found else None
        if rates is None:
            return self.app(environ, start_response)
        service, region = found.group(3), found.group(2)
        cls = self._classify(environ, service, rates)
        bucket = rates["buckets"][cls]
        # On the scaled clock AWS's rates are compressed like its durations.
        refill = bucket["refill"] / TIME_SCALE if 0 < TIME_SCALE < 1 else bucket["refill"]
        scope = "global" if rates["scope"] == "account" else region
        account = _account_of(found.group(1))
        key = f"{service}/{scope}/{cls}" if account == TestControls.DEFAULT_ACCOUNT else f"{account}/{service}/{scope}/{cls}"
        with self.lock:
            admitted = self._admit(key, bucket["capacity"], refill)
            single = rates.get("action_buckets", {}).get(environ.get("warmstandby.action") or "")
            if admitted and single is not None:
                # The action's own bucket as well: a token from both, or throttled.
                own = single["refill"] / TIME_SCALE if 0 < TIME_SCALE < 1 else single["refill"]
                admitted = self._admit(f"{key.rsplit('/', 1)[0]}/action:{environ['warmstandby.action']}", single["capacity"], own)
        if admitted:
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length:
            environ["wsgi.input"].read(length)
        error = rates["error"]
        message = "Request limit exceeded." if error["code"] == "RequestLimitExceeded" else "Rate exceeded"
        body, headers = self.faults._error(self._protocol(environ, service), error["code"], error["status"], message)
        headers += [("Content-Length", str(len(body))), ("x-amzn-RequestId", self.faults._request_id())]
        start_response(f"{error['status']} {InjectedFaults.REASONS.get(error['status'], 'Error')}", headers)
        return [body]


def _account_of(access_key):
    """The account an access key belongs to, as moto resolves it."""
    try:
        from moto.iam.models import get_account_id_from

        return get_account_id_from(access_key)
    except Exception:
        return TestControls.DEFAULT_ACCOUNT


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



def _patch_cloudfront_etags() -> None:
    """CloudFront versions a distribution by its ETag: UpdateDistribution
    and DeleteDistribution must name the current one in If-Match, else
    PreconditionFailed (HTTP 412, "The precondition in one or more of the
    request fields evaluated to false"), and each update gives a new one
    (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_UpdateDistribution.html,
    https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DeleteDistribution.html).
    moto 5.2.5 accepts any If-Match and keeps one ETag for life; a missing
    one it already answers as AWS does, InvalidIfMatchVersion (HTTP 400)."""
    from moto.cloudfront import models as cf
    from moto.cloudfront.exceptions import CloudFrontException
    from moto.moto_api._internal import mock_random

    class PreconditionFailed(CloudFrontException):
        code = "PreconditionFailed"

        def __init__(self):
            super().__init__(
                "PreconditionFailed", "The precondition given in one or more of the request-header fields evaluated to false."
            )

    def current(self, distribution_id, if_match):
        dist = self.distributions.get(distribution_id)
        if dist is not None and if_match and if_match != dist.etag:
            raise PreconditionFailed()

    original_update = cf.CloudFrontBackend.update_distribution

    def update_distribution(self, dist_config, _id, if_match):
        current(self, _id, if_match)
        dist, location, _ = original_update(self, dist_config, _id, if_match)
        dist.etag = mock_random.get_random_hex(13).upper()
        return dist, location, dist.etag

    original_delete = cf.CloudFrontBackend.delete_distribution

    def delete_distribution(self, distribution_id, if_match):
        current(self, distribution_id, if_match)
        return original_delete(self, distribution_id, if_match)

    cf.CloudFrontBackend.update_distribution = update_distribution
    cf.CloudFrontBackend.delete_distribution = delete_distribution


def _patch_acm_certificate_in_use() -> None:
    """ACM refuses to delete a certificate that a load balancer listener or a
    CloudFront distribution uses: ResourceInUseException, HTTP 400 ("The
    certificate is in use by another AWS service in the caller's account",
    https://docs.aws.amazon.com/acm/latest/APIReference/API_DeleteCertificate.html);
    moto 5.2.5 deletes it."""
    from moto.acm.models import AWSCertificateManagerBackend
    from moto.cloudfront.models import cloudfront_backends
    from moto.core.exceptions import JsonRESTError
    from moto.elbv2.models import elbv2_backends

    def in_use(account, region, arn) -> bool:
        elbv2 = dict.get(dict.get(elbv2_backends, account) or {}, region)
        listeners = [li for lb in (elbv2.load_balancers.values() if elbv2 else []) for li in lb.listeners.values()]
        if any(arn in (li.certificates or []) for li in listeners):
            return True
        cloudfront = dict.get(dict.get(cloudfront_backends, account) or {}, "aws")
        distributions = cloudfront.distributions.values() if cloudfront is not None else []
        return any(
            getattr(getattr(d.distribution_config, "ViewerCertificate", None), "acm_certificate_arn", "") == arn
            for d in distributions
        )

    original = AWSCertificateManagerBackend.delete_certificate

    def delete_certificate(self, arn):
        if in_use(self.account_id, self.region_name, arn):
            raise JsonRESTError("ResourceInUseException", f"Certificate {arn} is in use.")
        return original(self, arn)

    AWSCertificateManagerBackend.delete_certificate = delete_certificate

# --- AWS's time -------------------------------------------------------------
# `WARMSTANDBY_EMULATOR_TIME_SCALE` (a float) gives slow resources the states
# AWS reports, for AWS's durations times the scale (1.0: AWS's own time; the
# tests use a small fraction, 0.01 makes a 10-minute create take 6 s); unset
# or 0 keeps moto's instant world exactly as it was. Every duration comes from
# `aws_timings.json` beside this file, with its source; the operator reads
# the same table for its RTO prediction and step deadlines. Times run from the
# mutating call: each change records its phases on the moto object, and what
# moto answers (describe/get) and accepts (refusals) is patched to read them;
# no background threads.

TIME_SCALE = float(os.environ.get("WARMSTANDBY_EMULATOR_TIME_SCALE") or 0)


def _load_timings() -> dict:
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "aws_timings.json")
    with open(path, encoding="utf-8") as f:
        return {k: v for k, v in json.load(f).items() if not k.startswith("_")}


TIMINGS = _load_timings()


def _real_seconds(key: str, fraction: float = 1.0) -> float:
    """AWS's typical seconds for `key` (aws_timings.json), on the scaled
    clock: real seconds = AWS seconds x TIME_SCALE."""
    return TIMINGS[key]["seconds"] * fraction * TIME_SCALE


class Phases:
    """The states a resource passes through after one change, each until a
    moment on the real (monotonic) clock, kept on the resource itself; once
    the last one ends, the settled state shows and `then` (the change's
    effect, e.g. a promotion taking hold or a deleted resource going) runs
    once. The one helper for "state by elapsed time on the scaled clock"."""

    @staticmethod
    def start(obj, phases, then=None) -> None:
        import time

        end = time.monotonic()
        timeline = []
        for state, seconds in phases:
            end += seconds
            timeline.append((state, end))
        obj.__dict__["_ws_phases"] = timeline
        obj.__dict__["_ws_then"] = then

    @staticmethod
    def state(obj, settled):
        import time

        timeline = obj.__dict__.get("_ws_phases")
        if timeline:
            now = time.monotonic()
            for state, end in timeline:
                if now < end:
                    return state
            obj.__dict__["_ws_phases"] = None
            then = obj.__dict__.pop("_ws_then", None)
            if then is not None:
                then()
        return settled

    @staticmethod
    def ends(obj) -> float:
        """When the timeline just started ends (monotonic seconds)."""
        return obj.__dict__["_ws_phases"][-1][1]


def _timed_rds() -> None:
    """RDS on AWS's clock (statuses:
    https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html#Overview.DBInstance.Status):
    - CreateDBInstance: `creating`, then `backing-up` (its first automated
      backup, `rds.create.backing_up`), then `available` (`rds.create` in all).
    - CreateDBInstanceReadReplica: `creating` (`rds.read_replica`, longer
      across regions: `rds.read_replica.cross_region`).
    - PromoteReadReplica: the replica stays a read-only replica (still
      reporting its source) while `modifying`, then `rebooting` ("RDS reboots
      the DB instance before making it available",
      https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Promote.html),
      then stands alone.
    - ModifyDBInstance with ApplyImmediately: settings RDS lists in
      PendingModifiedValues (class, storage, Multi-AZ, backup retention,
      engine version, port, password...) show there, the old values in
      place, while the instance is `modifying`; then they are applied
      (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_PendingModifiedValues.html,
      https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.DBInstance.Modifying.html).
      Without ApplyImmediately they wait in PendingModifiedValues for the
      maintenance window (never here) or the next immediate change. Settings
      with no PendingModifiedValues member (deletion protection, security
      groups...) apply at once, without a `modifying` phase (a
      simplification; each setting's timing is in
      https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ModifyInstance.Settings.html).
    - RebootDBInstance: `rebooting`. CreateDBSnapshot: the snapshot
      `creating`, the instance `backing-up`. DeleteDBInstance: still listed
      as `deleting`, then gone (DBInstanceNotFound).
    moto 5.2.5 makes every one of these instant. RDS refuses work on an
    instance that is not `available` with InvalidDBInstanceState, HTTP 400
    ("The DB instance isn't in a valid state", in the API references of
    CreateDBInstanceReadReplica (for its source), PromoteReadReplica ("a
    read replica cannot be promoted ... when it is in the backing-up
    status"), ModifyDBInstance, RebootDBInstance, CreateDBSnapshot and
    DeleteDBInstance, https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/):
    here a replica of a source that is not available, a promotion, change,
    reboot or snapshot of an instance that is not, a second delete, and a
    delete with a final snapshot of an instance still creating."""
    from moto.rds.exceptions import InvalidDBInstanceStateFault
    from moto.rds.models import DBInstance, DBSnapshot, RDSBackend

    DBInstance.status = property(
        lambda db: Phases.state(db, db.__dict__.get("_ws_status", "available")),
        lambda db, v: db.__dict__.__setitem__("_ws_status", v),
    )
    DBSnapshot.status = property(
        lambda s: Phases.state(s, s.__dict__.get("_ws_status", "available")),
        lambda s, v: s.__dict__.__setitem__("_ws_status", v),
    )

    # ModifyDBInstance settings that wait in PendingModifiedValues, by moto's
    # attribute name (API_PendingModifiedValues members).
    pending_names = {
        "db_instance_class": "DBInstanceClass",
        "allocated_storage": "AllocatedStorage",
        "multi_az": "MultiAZ",
        "backup_retention_period": "BackupRetentionPeriod",
        "engine_version": "EngineVersion",
        "storage_type": "StorageType",
        "iops": "Iops",
        "port": "Port",
        "master_user_password": "MasterUserPassword",
    }

    def pending_modified_values(db):
        pending = db.__dict__.get("_ws_pending") or {}
        shown = {pending_names[k]: ("****" if k == "master_user_password" else v) for k, v in pending.items()}
        return shown or None

    DBInstance.pending_modified_values = property(pending_modified_values)

    def require_available(db, doing):
        state = db.status
        if state != "available":
            raise InvalidDBInstanceStateFault(
                f"DB instance {db.db_instance_identifier} is not in available state ({state}); cannot {doing}."
            )

    original_create = RDSBackend.create_db_instance

    def create_db_instance(self, db_kwargs):
        db = original_create(self, db_kwargs)
        backing_up = _real_seconds("rds.create.backing_up")
        Phases.start(db, [("creating", _real_seconds("rds.create") - backing_up), ("backing-up", backing_up)])
        return db

    original_replica = RDSBackend.create_db_instance_read_replica

    def create_db_instance_read_replica(self, db_kwargs):
        source_id = db_kwargs["source_db_instance_identifier"]
        require_available(self.find_db_from_id(source_id), "create a read replica of it")
        replica = original_replica(self, db_kwargs)
        cross_region = self.arn_regex.match(source_id) and source_id.split(":")[3] != self.region_name
        key = "rds.read_replica.cross_region" if cross_region else "rds.read_replica"
        Phases.start(replica, [("creating", _real_seconds(key))])
        return replica

    original_promote = RDSBackend.promote_read_replica

    def promote_read_replica(self, db_kwargs):
        database = self.databases[db_kwargs["db_instance_identifier"]]
        require_available(database, "promote it")
        if not database.is_replica:
            return original_promote(self, db_kwargs)
        # Still a replica, read-only, until the promotion takes hold.
        Phases.start(
            database,
            [
                ("modifying", _real_seconds("rds.promote_read_replica", 0.6)),
                ("rebooting", _real_seconds("rds.promote_read_replica", 0.4)),
            ],
            then=lambda: original_promote(self, db_kwargs),
        )
        return database

    original_modify = RDSBackend.modify_db_instance

    def modify_db_instance(self, db_instance_identifier, db_kwargs):
        db = self.databases.get(db_instance_identifier)
        if db is None:
            return original_modify(self, db_instance_identifier, db_kwargs)
        require_available(db, "modify it")
        # The pending settings wait (moto would apply them now), the others
        # go through; a setting back to its current value cancels its
        # pending change.
        queued = dict(db.__dict__.get("_ws_pending") or {})
        for name in [n for n in pending_names if db_kwargs.get(n) is not None]:
            value = db_kwargs[name]
            del db_kwargs[name]
            if value != getattr(db, name, None):
                queued[name] = value
            else:
                queued.pop(name, None)
        db = original_modify(self, db_instance_identifier, db_kwargs)
        db.__dict__["_ws_pending"] = queued
        if queued and db_kwargs.get("apply_immediately"):

            def apply():
                db.update(**db.__dict__.pop("_ws_pending", {}))

            Phases.start(db, [("modifying", _real_seconds("rds.modify"))], then=apply)
        return db

    original_reboot = RDSBackend.reboot_db_instance

    def reboot_db_instance(self, db_instance_identifier, *args, **kwargs):
        db = original_reboot(self, db_instance_identifier, *args, **kwargs)
        require_available(db, "reboot it")
        Phases.start(db, [("rebooting", _real_seconds("rds.reboot"))])
        return db

    original_snapshot = RDSBackend.create_db_snapshot

    def create_db_snapshot(self, db_instance_identifier, db_snapshot_identifier, *args, **kwargs):
        db = self.databases.get(db_instance_identifier) if isinstance(db_instance_identifier, str) else None
        if db is not None:
            require_available(db, "snapshot it")
        snapshot = original_snapshot(self, db_instance_identifier, db_snapshot_identifier, *args, **kwargs)
        Phases.start(snapshot, [("creating", _real_seconds("rds.snapshot"))])
        if db is not None:
            Phases.start(db, [("backing-up", _real_seconds("rds.snapshot"))])
        return snapshot

    original_delete = RDSBackend.delete_db_instance

    def delete_db_instance(self, db_instance_identifier, final_db_snapshot_identifier=None, skip_final_snapshot=False, delete_automated_backups=True):
        db = self.databases.get(db_instance_identifier)
        if db is not None:
            state = db.status
            if state == "deleting":
                raise InvalidDBInstanceStateFault(f"DB instance {db_instance_identifier} is already being deleted.")
            if final_db_snapshot_identifier and not skip_final_snapshot and state == "creating":
                raise InvalidDBInstanceStateFault(
                    f"Instance {db_instance_identifier} is currently creating - a final snapshot cannot be taken."
                )
        db = original_delete(
            self, db_instance_identifier, final_db_snapshot_identifier, skip_final_snapshot, delete_automated_backups
        )
        # Listed as `deleting` until AWS is done with it.
        self.databases[db_instance_identifier] = db
        Phases.start(
            db,
            [("deleting", _real_seconds("rds.delete"))],
            then=lambda: self.databases.pop(db_instance_identifier, None) if self.databases.get(db_instance_identifier) is db else None,
        )
        db.status = "deleting"
        return db

    original_describe = RDSBackend.describe_db_instances

    def describe_db_instances(self, db_instance_identifier=None, filters=None):
        for db in list(self.databases.values()):
            _ = db.status  # settles what has finished (a delete, a promotion)
        return original_describe(self, db_instance_identifier, filters=filters)

    RDSBackend.create_db_instance = create_db_instance
    RDSBackend.create_db_instance_read_replica = create_db_instance_read_replica
    RDSBackend.promote_read_replica = promote_read_replica
    RDSBackend.modify_db_instance = modify_db_instance
    RDSBackend.reboot_db_instance = reboot_db_instance
    RDSBackend.create_db_snapshot = create_db_snapshot
    RDSBackend.delete_db_instance = delete_db_instance
    RDSBackend.describe_db_instances = describe_db_instances


def _timed_cloudfront() -> None:
    """CloudFront on AWS's clock: a created or updated distribution is
    `InProgress` until its change reached the edge locations, then
    `Deployed` (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DistributionSummary.html,
    "When propagation is complete, the value of Status is Deployed");
    moto 5.2.5 turns it Deployed on the first read. DeleteDistribution needs
    it disabled and `Deployed`, else DistributionNotDisabled, HTTP 409
    ("Before you can delete a distribution, you must disable it", steps 6-7:
    wait for Deployed, https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_DeleteDistribution.html);
    moto deletes an enabled one."""
    from moto.cloudfront import models as cf
    from moto.cloudfront.exceptions import CloudFrontException, NoSuchDistribution

    class DistributionNotDisabled(CloudFrontException):
        def __init__(self):
            super().__init__(
                "DistributionNotDisabled",
                "The distribution you are trying to delete has not been disabled.",
            )

    cf.Distribution.status = property(lambda d: Phases.state(d, "Deployed"), lambda d, v: None)
    original_create = cf.CloudFrontBackend.create_distribution_with_tags

    def create_distribution_with_tags(self, distribution_config, tags):
        dist, location, etag = original_create(self, distribution_config, tags)
        Phases.start(dist, [("InProgress", _real_seconds("cloudfront.deploy"))])
        return dist, location, etag

    original_update = cf.CloudFrontBackend.update_distribution

    def update_distribution(self, dist_config, _id, if_match):
        answer = original_update(self, dist_config, _id, if_match)
        Phases.start(answer[0], [("InProgress", _real_seconds("cloudfront.deploy"))])
        return answer

    original_delete = cf.CloudFrontBackend.delete_distribution

    def delete_distribution(self, distribution_id, if_match):
        dist = self.distributions.get(distribution_id)
        if dist is None:
            raise NoSuchDistribution
        enabled = str(getattr(dist.distribution_config, "Enabled", False)).lower() == "true"
        if enabled or dist.status != "Deployed":
            raise DistributionNotDisabled()
        return original_delete(self, distribution_id, if_match)

    cf.CloudFrontBackend.create_distribution_with_tags = create_distribution_with_tags
    cf.CloudFrontBackend.update_distribution = update_distribution
    cf.CloudFrontBackend.delete_distribution = delete_distribution


def _timed_load_balancers() -> None:
    """ELBv2 on AWS's clock: a new load balancer is `provisioning`, then
    `active` (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_LoadBalancerState.html).
    A registered target is `initial` (Elb.RegistrationInProgress while its
    instance is still pending, then Elb.InitialHealthChecking) until it runs
    and has passed a health check, `elbv2.target.healthy` after it was
    registered and running ("After your target is registered, it must pass
    one health check to be considered healthy",
    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html;
    reason codes: https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html).
    A pending instance can be registered (auto scaling registers its
    launches); moto 5.2.5 refuses anything not running and reports every
    registered target healthy at once."""
    import time

    from moto.elbv2.exceptions import TargetNotRunning
    from moto.elbv2.models import ELBv2Backend, FakeHealthStatus, FakeLoadBalancer, FakeTargetGroup

    FakeLoadBalancer.state = property(lambda lb: Phases.state(lb, "active"), lambda lb, v: None)
    original = ELBv2Backend.create_load_balancer

    def create_load_balancer(self, *args, **kwargs):
        lb = original(self, *args, **kwargs)
        Phases.start(lb, [("provisioning", _real_seconds("elbv2.provision"))])
        return lb

    def register(self, targets):
        registered = self.__dict__.setdefault("_ws_registered", {})
        for target in targets:
            instance = self.ec2_backend.get_instance_by_id(target["Id"])
            if instance is not None and instance.state not in ("pending", "running"):
                raise TargetNotRunning(instance_id=target["Id"])
            if target["Id"] not in self.targets:
                registered[target["Id"]] = time.monotonic()
            self.targets[target["Id"]] = {"Id": target["Id"], "Port": target.get("Port", self.port)}
            self.deregistered_targets.pop(target["Id"], None)

    original_health = FakeTargetGroup.health_for

    def health_for(self, target, ec2_backend):
        health = original_health(self, target, ec2_backend)
        registered = self.__dict__.get("_ws_registered", {}).get(target["Id"])
        if health.status != "healthy" or registered is None or target["Id"] not in self.targets:
            return health
        instance = ec2_backend.get_instance_by_id(target["Id"]) if target["Id"].startswith("i-") else None
        if instance is not None and instance.state == "pending":
            reason, description = "Elb.RegistrationInProgress", "Target registration is in progress"
        elif time.monotonic() < max(registered, instance.__dict__.get("_ws_running_at", 0) if instance else 0) + _real_seconds("elbv2.target.healthy"):
            reason, description = "Elb.InitialHealthChecking", "Initial health checks in progress"
        else:
            return health
        return FakeHealthStatus(health.instance_id, health.port, health.health_check_port, "initial", reason, description)

    ELBv2Backend.create_load_balancer = create_load_balancer
    FakeTargetGroup.register = register
    FakeTargetGroup.health_for = health_for


def _timed_ec2() -> None:
    """EC2 on AWS's clock:
    - An instance is `pending`, then `running` (`ec2.instance.launch`;
      https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-lifecycle.html);
      moto 5.2.5 launches it running.
    - A NAT gateway is `pending`, then `available`; deleted, it is `deleting`
      and then `deleted` (https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-working-with.html).
      Until it is deleted its network interface holds its subnet (DeleteSubnet:
      DependencyViolation, HTTP 400, "The subnet has dependencies and cannot
      be deleted", https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html)
      and its Elastic IP stays associated: "Deleting a public NAT gateway
      disassociates its Elastic IP address" when it is gone
      (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteNatGateway.html).
      AWS manages that association itself: ReleaseAddress or
      DisassociateAddress of it answer AuthFailure, HTTP 400, "You do not
      have permission to access the specified resource" (seen by users
      releasing the address of a NAT gateway still deleting:
      https://github.com/eformat/sno-for-100/issues/5,
      https://github.com/kubernetes/kops/issues/1604; AWS-managed NAT
      associations: https://github.com/hashicorp/terraform-provider-aws/pull/4675).
      moto 5.2.5 deletes at once and releases anything.
    - A copied image is `pending`, then `available`
      (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/CopyingAMIs.html)."""
    from moto.core.exceptions import _RESTError
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models.amis import Ami, AmiBackend
    from moto.ec2.models.elastic_ip_addresses import ElasticAddressBackend
    from moto.ec2.models.instances import Instance, InstanceBackend
    from moto.ec2.models.nat_gateways import NatGateway, NatGatewayBackend
    from moto.ec2.models.subnets import SubnetBackend

    def launch_state(instance):
        Phases.state(instance, None)  # a finished launch sets it running
        return instance.__dict__.get("_ws_state")

    Instance._state = property(launch_state, lambda i, v: i.__dict__.__setitem__("_ws_state", v))
    original_run = InstanceBackend.run_instances

    def run_instances(self, *args, **kwargs):
        reservation = original_run(self, *args, **kwargs)
        for instance in reservation.instances:
            state = instance.__dict__["_ws_state"]
            state.name, state.code = "pending", 0

            def running(state=state):
                if state.name == "pending":  # not stopped or terminated meanwhile
                    state.name, state.code = "running", 16

            Phases.start(instance, [("pending", _real_seconds("ec2.instance.launch"))], then=running)
            instance.__dict__["_ws_running_at"] = Phases.ends(instance)
        return reservation

    NatGateway.state = property(
        lambda n: Phases.state(n, n.__dict__.get("_ws_state", "available")),
        lambda n, v: n.__dict__.__setitem__("_ws_state", v),
    )
    original_create = NatGatewayBackend.create_nat_gateway

    def create_nat_gateway(self, *args, **kwargs):
        nat = original_create(self, *args, **kwargs)
        Phases.start(nat, [("pending", _real_seconds("ec2.nat_gateway.create"))])
        return nat

    original_delete = NatGatewayBackend.delete_nat_gateway

    def delete_nat_gateway(self, nat_gateway_id):
        nat = self.nat_gateways.get(nat_gateway_id)
        if nat is None or nat.state in ("deleting", "deleted"):
            return original_delete(self, nat_gateway_id)

        def gone():
            nat.__dict__["_ws_state"] = "deleted"  # lets its Elastic IP go
            original_delete(self, nat_gateway_id)

        # The Elastic IP is released from it, and the subnet freed, when it is gone.
        Phases.start(nat, [("deleting", _real_seconds("ec2.nat_gateway.delete"))], then=gone)
        return nat

    original_delete_subnet = SubnetBackend.delete_subnet

    def delete_subnet(self, subnet_id):
        for nat in list(getattr(self, "nat_gateways", {}).values()):
            if nat.subnet_id == subnet_id and nat.state in ("pending", "available", "deleting"):
                raise EC2ClientError(
                    "DependencyViolation", f"The subnet '{subnet_id}' has dependencies and cannot be deleted."
                )
        return original_delete_subnet(self, subnet_id)

    class AddressHeldByNat(_RESTError):
        # moto's EC2 error table gives AuthFailure HTTP 401 (a bad
        # signature); this refusal is a 400, as observed
        # (https://github.com/hashicorp/terraform-provider-aws/issues/3572),
        # in EC2's own error format.
        code = 400

        def __init__(self):
            import uuid

            super().__init__("AuthFailure", "You do not have permission to access the specified resource.")
            self.description = (
                '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>AuthFailure</Code>'
                f"<Message>{self.message}</Message></Error></Errors><RequestID>{uuid.uuid4()}</RequestID></Response>"
            )

    def refuse_if_nat_holds(backend, eips):
        for nat in list(getattr(backend, "nat_gateways", {}).values()):
            eni = getattr(nat, "_eni", None)
            if eni is not None and nat.state != "deleted" and any(e.eni is eni for e in eips):
                raise AddressHeldByNat()

    original_release = ElasticAddressBackend.release_address
    original_disassociate = ElasticAddressBackend.disassociate_address

    def release_address(self, address=None, allocation_id=None):
        if address or allocation_id:
            refuse_if_nat_holds(self, self.address_by_ip([address]) if address else self.address_by_allocation([allocation_id]))
        return original_release(self, address=address, allocation_id=allocation_id)

    def disassociate_address(self, address=None, association_id=None):
        if address or association_id:
            refuse_if_nat_holds(self, self.address_by_ip([address]) if address else self.address_by_association([association_id]))
        return original_disassociate(self, address=address, association_id=association_id)

    Ami.state = property(
        lambda a: Phases.state(a, a.__dict__.get("_ws_state", "available")),
        lambda a, v: a.__dict__.__setitem__("_ws_state", v),
    )
    original_copy = AmiBackend.copy_image

    def copy_image(self, *args, **kwargs):
        ami = original_copy(self, *args, **kwargs)
        Phases.start(ami, [("pending", _real_seconds("ec2.copy_image"))])
        return ami

    InstanceBackend.run_instances = run_instances
    NatGatewayBackend.create_nat_gateway = create_nat_gateway
    NatGatewayBackend.delete_nat_gateway = delete_nat_gateway
    SubnetBackend.delete_subnet = delete_subnet
    ElasticAddressBackend.release_address = release_address
    ElasticAddressBackend.disassociate_address = disassociate_address
    AmiBackend.copy_image = copy_image


def _timed_autoscaling() -> None:
    """Auto scaling on AWS's clock: a group's new instance is `Pending`
    while EC2 launches it and `InService` once it runs (no lifecycle hooks
    here; https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-lifecycle.html);
    a pending instance already counts toward the desired capacity. moto
    5.2.5 reports every instance InService at once."""
    from moto.autoscaling.models import FakeAutoScalingGroup, InstanceState

    def lifecycle_state(s):
        value = s.__dict__.get("_ws_lifecycle", "InService")
        return "Pending" if value == "InService" and s.instance.state == "pending" else value

    InstanceState.lifecycle_state = property(lifecycle_state, lambda s, v: s.__dict__.__setitem__("_ws_lifecycle", v))
    FakeAutoScalingGroup.active_instances = lambda self: [
        x for x in self.instance_states if x.__dict__.get("_ws_lifecycle") == "InService"
    ]


def _timed_route53() -> None:
    """Route 53 on AWS's clock: every change (ChangeResourceRecordSets,
    CreateHostedZone, DeleteHostedZone, VPC associations) answers its own
    change ID, `PENDING`, and GetChange reports it `INSYNC` once it reached
    every Route 53 server (`route53.change`); an unknown ID is NoSuchChange,
    HTTP 404 (https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetChange.html).
    moto 5.2.5 answers one fixed ID, always INSYNC. The records themselves
    are readable at once, as on Route 53's API."""
    import uuid

    from moto.core.responses import ActionResult
    from moto.route53.exceptions import Route53ClientError
    from moto.route53.responses import Route53

    class Change:
        def __init__(self, submitted_at):
            self.submitted_at = submitted_at

    def changes(backend) -> dict:
        return backend.__dict__.setdefault("_ws_changes", {})

    def submitting(name):
        original = getattr(Route53, name)

        def answer_pending(self):
            answer = original(self)
            info = answer.result.get("ChangeInfo") if isinstance(getattr(answer, "result", None), dict) else None
            if info is not None:
                change_id = "C" + uuid.uuid4().hex[:13].upper()
                change = Change(info.get("SubmittedAt"))
                Phases.start(change, [("PENDING", _real_seconds("route53.change"))])
                changes(self.backend)[change_id] = change
                info["Id"], info["Status"] = f"/change/{change_id}", "PENDING"
            return answer

        setattr(Route53, name, answer_pending)

    for name in (
        "change_resource_record_sets",
        "create_hosted_zone",
        "delete_hosted_zone",
        "associate_vpc_with_hosted_zone",
        "disassociate_vpc_from_hosted_zone",
    ):
        submitting(name)

    def get_change(self):
        change_id = self._get_param("Id").split("/")[-1]
        change = changes(self.backend).get(change_id)
        if change is None:
            raise Route53ClientError("NoSuchChange", f"A change with the specified change ID does not exist: {change_id}")
        status = Phases.state(change, "INSYNC")
        return ActionResult({"ChangeInfo": {"Id": f"/change/{change_id}", "Status": status, "SubmittedAt": change.submitted_at}})

    Route53.get_change = get_change


def _timed_acm() -> None:
    """ACM on AWS's clock: a DNS-validated certificate stays
    `PENDING_VALIDATION` until its validation CNAME is in a public hosted zone
    of the account, and is `ISSUED` `acm.validation` after that
    (https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html);
    moto issues it after a fixed wait whether or not the record exists."""
    import time

    from moto.acm.models import CertBundle
    from moto.route53.models import route53_backends

    original_check = CertBundle.check

    def record_exists(cert) -> bool:
        cert.__dict__["_ws_checking"] = True
        try:
            options = cert.describe()["Certificate"].get("DomainValidationOptions", [])
        finally:
            cert.__dict__["_ws_checking"] = False
        names = {(o.get("ResourceRecord") or {}).get("Name", "").rstrip(".").lower() for o in options}
        names.discard("")
        account = dict.get(route53_backends, cert.arn.split(":")[4])
        backend = dict.get(account, "aws") if account is not None else None
        if backend is None or not names:
            return False
        return any(
            r.type == "CNAME" and r.name.rstrip(".").lower() in names
            for zone in backend.zones.values()
            if not zone.private_zone
            for r in zone.rrsets
        )

    def check(self):
        if self.__dict__.get("_ws_checking"):
            return
        if self.type == "AMAZON_ISSUED" and self.status == "PENDING_VALIDATION":
            seen = self.__dict__.get("_ws_record_seen")
            if seen is None and record_exists(self):
                self.__dict__["_ws_record_seen"] = seen = time.monotonic()
            if seen is not None and time.monotonic() - seen >= _real_seconds("acm.validation"):
                self.status = "ISSUED"
            return
        original_check(self)

    CertBundle.check = check


def _timed() -> None:
    if TIME_SCALE <= 0:
        return
    _timed_rds()
    _timed_cloudfront()
    _timed_load_balancers()
    _timed_ec2()
    _timed_autoscaling()
    _timed_route53()
    _timed_acm()


_patch_tag_lookup_by_resource()
_patch_describe_listeners_by_arn()
_patch_nat_gateway_tag_filters()
_patch_nat_gateway_delete()
_patch_subnet_out_of_addresses()
_patch_launch_template_version_user_data()
_patch_describe_launch_templates_pages()
_patch_route53_recreate_after_delete()
_patch_cloudfront_origin_groups()
_patch_cloudfront_etags()
_patch_acm_certificate_in_use()
_patch_backup_selections()
_patch_rds_cross_region_replicas()
_patch_rds_replication_health()
_patch_iam_enforcement()
_patch_run_instances_client_token()
_patch_copy_image_tag_specifications()
_patch_ec2_eventual_consistency()
_timed()


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
    app = OneAtATime(TestControls(RpcV2CborBridge(DomainDispatcherApplication(create_backend_app))))
    world = _load_world_amis() if "--empty-world" not in sys.argv else {}
    world_app = WorldOnReset(app, world)
    faults = InjectedFaults(world_app)
    served = Throttling(faults, faults)
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
