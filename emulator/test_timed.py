"""Self-test of the emulator wrapper's AWS clock and replication health.

Spawns `moto_wrapper.py` twice on a free port (it prints `LISTENING <port>`):
once instant (`WARMSTANDBY_EMULATOR_TIME_SCALE` unset: everything is ready at
once, as the product's ordinary tests expect) and once on a scaled clock (AWS's
durations from `aws_timings.json` times SCALE), and checks with boto3 what AWS
would show: the states slow resources pass through, the refusals AWS gives
meanwhile, and the replication health of a cross-region read replica.

    python emulator/test_timed.py        # prints "N passed, M failed"

Runs under the emulator's venv python (re-executes itself with it;
WARMSTANDBY_EMULATOR_VENV overrides where that is), talks only to 127.0.0.1,
and takes well under a minute (TEST_TIMED_SCALE overrides the scale, 0.005).
Exits non-zero when a check fails.
"""

import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
VENV = os.environ.get("WARMSTANDBY_EMULATOR_VENV", os.path.expanduser("~/.cache/warmstandby/emulator-venv"))

# The emulator's venv has the pinned moto (5.2.5); another python's moto may
# differ, so run under the venv's python when there is one.
_VENV_PYTHON = os.path.join(VENV, "bin", "python")
if os.path.exists(_VENV_PYTHON) and os.path.abspath(sys.prefix) != os.path.abspath(VENV):
    os.execv(_VENV_PYTHON, [_VENV_PYTHON, os.path.abspath(__file__), *sys.argv[1:]])

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

# AWS seconds -> real seconds. 0.005: a 10-minute database create takes 3 s,
# a scaled minute (the metric cadence) 0.3 s.
SCALE = float(os.environ.get("TEST_TIMED_SCALE", "0.005"))
with open(os.path.join(HERE, "aws_timings.json"), encoding="utf-8") as f:
    TIMINGS = {k: v["seconds"] for k, v in json.load(f).items() if not k.startswith("_")}

PRIMARY_REGION, STANDBY_REGION = "us-east-1", "us-west-2"
RESULTS = {"passed": 0, "failed": 0}


# --- plumbing -----------------------------------------------------------------


class Emulator:
    def __init__(self, scale=None, env=None):
        environment = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
        environment.pop("WARMSTANDBY_EMULATOR_TIME_SCALE", None)
        if scale is not None:
            environment["WARMSTANDBY_EMULATOR_TIME_SCALE"] = str(scale)
        environment.update(env or {})
        self.log = tempfile.TemporaryFile(mode="w+")  # its stderr, shown if it fails to start
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "moto_wrapper.py"), "0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            env=environment,
            text=True,
        )
        line = self.proc.stdout.readline()
        if not line.startswith("LISTENING "):
            self.proc.kill()
            self.proc.wait()
            self.log.seek(0)
            raise RuntimeError(f"the wrapper did not start: {line!r}\n{self.log.read()[-2000:]}")
        self.port = int(line.split()[1])
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def client(self, service, region=PRIMARY_REGION):
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1}),
        )

    def control(self, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.endpoint + path, data=data, method="POST" if body is not None else "GET")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def stop(self):
        self.proc.stdin.close()  # the wrapper exits when its stdin closes
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def check(name, fn, *args):
    try:
        fn(*args)
    except Exception:
        RESULTS["failed"] += 1
        print(f"FAIL {name}\n{traceback.format_exc()}", flush=True)
    else:
        RESULTS["passed"] += 1
        print(f"ok   {name}", flush=True)


def real(key, fraction=1.0):
    """Real seconds for AWS's `key` on the scaled clock."""
    return TIMINGS[key] * fraction * SCALE


def until(what, fn, timeout, interval=0.02):
    """fn() until it returns something truthy; fails after timeout real seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what} (last: {value!r})")
        time.sleep(interval)


def refused(fn, code, status=None):
    try:
        fn()
    except ClientError as e:
        got = e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
        assert got[0] == code, f"expected {code}, got {got}: {e}"
        assert status is None or got[1] == status, f"expected HTTP {status}, got {got}"
        return
    raise AssertionError(f"expected {code}, the call succeeded")


def seen(values, fn, until_value, timeout):
    """Records every distinct value fn() returns until it returns until_value."""
    def step():
        v = fn()
        if not values or values[-1] != v:
            values.append(v)
        return v == until_value

    until(f"{until_value} (saw {values})", step, timeout)
    return values


# --- the resources ------------------------------------------------------------


def create_db(rds, identifier):
    rds.create_db_instance(
        DBInstanceIdentifier=identifier,
        DBInstanceClass="db.t3.micro",
        Engine="mysql",
        EngineVersion="8.0.35",
        MasterUsername="admin",
        MasterUserPassword="correct-horse-battery",
        AllocatedStorage=20,
        BackupRetentionPeriod=1,
        MultiAZ=True,
        StorageEncrypted=True,
    )


def db(rds, identifier):
    return rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]


def status(rds, identifier):
    return db(rds, identifier)["DBInstanceStatus"]


def arn(rds, identifier):
    return db(rds, identifier)["DBInstanceArn"]


def create_replica(rds, identifier, source_arn):
    rds.create_db_instance_read_replica(
        DBInstanceIdentifier=identifier, SourceDBInstanceIdentifier=source_arn, DBInstanceClass="db.t3.micro"
    )


def lag_points(cw, identifier, seconds=600):
    """The ReplicaLag datapoints of the last `seconds`, oldest first, one per second."""
    now = datetime.datetime.now(datetime.timezone.utc)
    found = cw.get_metric_statistics(
        Namespace="AWS/RDS",
        MetricName="ReplicaLag",
        Dimensions=[{"Name": "DBInstanceIdentifier", "Value": identifier}],
        StartTime=now - datetime.timedelta(seconds=seconds),
        EndTime=now + datetime.timedelta(seconds=5),
        Period=1,
        Statistics=["Minimum", "Maximum"],
    )["Datapoints"]
    return sorted(found, key=lambda d: d["Timestamp"])


def network(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"{PRIMARY_REGION}{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in ((1, "a"), (2, "b"))
    ]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    return vpc, subnets


def distribution_config(reference, enabled=True, comment="test"):
    return {
        "CallerReference": reference,
        "Comment": comment,
        "Enabled": enabled,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "app",
                    "DomainName": "app.bookstore.example.com",
                    "CustomOriginConfig": {
                        "HTTPPort": 80,
                        "HTTPSPort": 443,
                        "OriginProtocolPolicy": "https-only",
                    },
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "app",
            "ViewerProtocolPolicy": "redirect-to-https",
            "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
            "MinTTL": 0,
        },
    }


def first_ami(ec2):
    return ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]


# --- instant mode: today's behaviour --------------------------------------------


def instant_rds_and_replica_lag(emu):
    rds, rds_west = emu.client("rds"), emu.client("rds", STANDBY_REGION)
    create_db(rds, "db-instant")
    assert status(rds, "db-instant") == "available"
    create_replica(rds_west, "db-instant-standby", arn(rds, "db-instant"))
    replica = db(rds_west, "db-instant-standby")
    assert replica["DBInstanceStatus"] == "available", replica["DBInstanceStatus"]
    assert replica["StatusInfos"] == [{"StatusType": "read replication", "Normal": True, "Status": "replicating"}], replica.get("StatusInfos")
    cw = emu.client("cloudwatch", STANDBY_REGION)
    points = lag_points(cw, "db-instant-standby")
    assert len(points) == 1 and points[0]["Maximum"] == 0.0, points
    # Within the minute no second datapoint is published.
    assert len(lag_points(cw, "db-instant-standby")) == 1
    # A test's own datapoint is newer and wins.
    cw.put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": "ReplicaLag",
                "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "db-instant-standby"}],
                "Value": 900.0,
                "Unit": "Seconds",
            }
        ],
    )
    assert lag_points(cw, "db-instant-standby")[-1]["Maximum"] == 900.0
    # The primary has no ReplicaLag.
    assert lag_points(emu.client("cloudwatch"), "db-instant") == []
    # Nothing waits: modify, promote, delete take effect at once.
    rds_west.promote_read_replica(DBInstanceIdentifier="db-instant-standby")
    promoted = db(rds_west, "db-instant-standby")
    assert promoted["DBInstanceStatus"] == "available" and "ReadReplicaSourceDBInstanceIdentifier" not in promoted
    assert "StatusInfos" not in promoted or not promoted["StatusInfos"], promoted.get("StatusInfos")


def instant_control_steers_replication(emu):
    rds, rds_west = emu.client("rds"), emu.client("rds", STANDBY_REGION)
    create_db(rds, "db-steer")
    create_replica(rds_west, "db-steer-standby", arn(rds, "db-steer"))
    code, view = emu.control("/warmstandby/clock")
    assert (code, view) == (200, {"time_scale": 0.0}), (code, view)
    code, view = emu.control(
        "/warmstandby/replication",
        {"region": STANDBY_REGION, "db_instance_identifier": "db-steer-standby", "state": "stopped"},
    )
    assert code == 200 and view["state"] == "stopped" and view["lag_seconds"] == -1, view
    cw = emu.client("cloudwatch", STANDBY_REGION)
    assert lag_points(cw, "db-steer-standby")[-1]["Minimum"] == -1.0
    info = db(rds_west, "db-steer-standby")["StatusInfos"]
    assert info == [{"StatusType": "read replication", "Normal": False, "Status": "stopped"}], info
    code, _ = emu.control("/warmstandby/replication", {"region": STANDBY_REGION, "db_instance_identifier": "nope"})
    assert code == 404, code
    code, _ = emu.control(f"/warmstandby/replication?region={PRIMARY_REGION}&db_instance_identifier=db-steer")
    assert code == 404, "the primary is no replica"
    code, view = emu.control(f"/warmstandby/replication?region={STANDBY_REGION}&db_instance_identifier=db-steer-standby")
    assert code == 200 and view["state"] == "stopped", view


def instant_everything_ready(emu):
    ec2 = emu.client("ec2")
    vpc, subnets = network(ec2)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=eip)["NatGateway"]["NatGatewayId"]
    assert ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]["State"] == "available"
    elb = emu.client("elbv2")
    lb = elb.create_load_balancer(Name="instant-alb", Subnets=subnets, Type="application")["LoadBalancers"][0]
    assert elb.describe_load_balancers(LoadBalancerArns=[lb["LoadBalancerArn"]])["LoadBalancers"][0]["State"]["Code"] == "active"
    cf = emu.client("cloudfront")
    dist = cf.create_distribution(DistributionConfig=distribution_config("instant"))["Distribution"]
    assert cf.get_distribution(Id=dist["Id"])["Distribution"]["Status"] == "Deployed"
    r53 = emu.client("route53")
    zone = r53.create_hosted_zone(Name="instant.example.com", CallerReference="instant")["HostedZone"]["Id"]
    change = r53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {"Name": "a.instant.example.com", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.1"}]}}]},
    )["ChangeInfo"]
    assert change["Status"] == "INSYNC"
    instance = ec2.run_instances(ImageId=first_ami(ec2), MinCount=1, MaxCount=1, SubnetId=subnets[0])["Instances"][0]
    described = ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"][0]["Instances"][0]
    assert described["State"]["Name"] == "running", described["State"]


# --- timed mode ------------------------------------------------------------------


def timed_rds_lifecycle(emu):
    """Create, replica refused then created, lag, stop, promotion."""
    rds, rds_west = emu.client("rds"), emu.client("rds", STANDBY_REGION)
    cw_west = emu.client("cloudwatch", STANDBY_REGION)
    started = time.monotonic()
    create_db(rds, "db-timed")
    source_arn = arn(rds, "db-timed")
    # A replica of a source that is still creating is refused.
    refused(lambda: create_replica(rds_west, "db-timed-standby", source_arn), "InvalidDBInstanceState", 400)
    states = seen([], lambda: status(rds, "db-timed"), "available", real("rds.create") * 3 + 5)
    assert states == ["creating", "backing-up", "available"], states
    took = time.monotonic() - started
    assert took >= real("rds.create") * 0.9, f"available after {took:.2f}s, AWS takes {real('rds.create'):.2f}s"

    create_replica(rds_west, "db-timed-standby", source_arn)
    assert status(rds_west, "db-timed-standby") == "creating"
    # Nothing is published while the replica is being created.
    assert lag_points(cw_west, "db-timed-standby") == []
    refused(lambda: rds_west.promote_read_replica(DBInstanceIdentifier="db-timed-standby"), "InvalidDBInstanceState", 400)
    until("the replica available", lambda: status(rds_west, "db-timed-standby") == "available", real("rds.read_replica.cross_region") * 3 + 5)
    points = until("a first ReplicaLag", lambda: lag_points(cw_west, "db-timed-standby"), 60 * SCALE * 3 + 2)
    assert points[-1]["Maximum"] == 0.0, points
    replica = db(rds_west, "db-timed-standby")
    assert replica["StatusInfos"] == [{"StatusType": "read replication", "Normal": True, "Status": "replicating"}]
    assert replica["ReadReplicaSourceDBInstanceIdentifier"] == source_arn

    # A write load above what the replica applies: the lag grows by load - 1 per AWS second.
    code, view = emu.control("/warmstandby/replication", {"region": STANDBY_REGION, "db_instance_identifier": "db-timed-standby", "write_load": 3})
    assert code == 200 and view["write_load"] == 3 and view["lag_seconds"] == 0, view
    time.sleep(0.5)
    code, view = emu.control(f"/warmstandby/replication?region={STANDBY_REGION}&db_instance_identifier=db-timed-standby")
    expected = 2 * 0.5 / SCALE
    assert expected * 0.8 <= view["lag_seconds"] <= expected * 1.6, (view, expected)
    first = lag_points(cw_west, "db-timed-standby")[-1]["Maximum"]
    time.sleep(60 * SCALE * 2)
    second = lag_points(cw_west, "db-timed-standby")[-1]["Maximum"]
    assert second > first > 0, (first, second)
    # Lowering the load drains the lag it reached, down to 0.
    code, view = emu.control("/warmstandby/replication", {"region": STANDBY_REGION, "db_instance_identifier": "db-timed-standby", "write_load": 0})
    reached = view["lag_seconds"]
    assert reached > 0
    until("the lag drained", lambda: emu.control(f"/warmstandby/replication?region={STANDBY_REGION}&db_instance_identifier=db-timed-standby")[1]["lag_seconds"] == 0, reached * SCALE * 2 + 1)

    # Replication stopped: -1, and StatusInfos says so.
    code, view = emu.control(
        "/warmstandby/replication",
        {"region": STANDBY_REGION, "db_instance_identifier": "db-timed-standby", "state": "error", "message": "Error 1062 on the replica"},
    )
    assert view["state"] == "error" and view["lag_seconds"] == -1, view
    assert lag_points(cw_west, "db-timed-standby")[-1]["Minimum"] == -1.0
    info = db(rds_west, "db-timed-standby")["StatusInfos"]
    assert info == [{"StatusType": "read replication", "Normal": False, "Status": "error", "Message": "Error 1062 on the replica"}], info
    # With no writes on the source, restarting finds nothing behind.
    code, view = emu.control("/warmstandby/replication", {"region": STANDBY_REGION, "db_instance_identifier": "db-timed-standby", "state": "replicating"})
    assert view["lag_seconds"] == 0 and view["message"] is None, view
    # Stopped while the source writes: it restarts as far behind as it was stopped, and drains.
    emu.control("/warmstandby/replication", {"region": STANDBY_REGION, "db_instance_identifier": "db-timed-standby", "state": "stopped", "write_load": 0.5})
    time.sleep(0.3)
    code, view = emu.control("/warmstandby/replication", {"region": STANDBY_REGION, "db_instance_identifier": "db-timed-standby", "state": "replicating"})
    assert 0.3 / SCALE * 0.9 <= view["lag_seconds"] <= 0.3 / SCALE * 2, view
    emu.control("/warmstandby/replication", {"region": STANDBY_REGION, "db_instance_identifier": "db-timed-standby", "write_load": 0})

    # Promotion: still a read-only replica, modifying then rebooting, until it takes hold.
    rds_west.promote_read_replica(DBInstanceIdentifier="db-timed-standby")
    during = db(rds_west, "db-timed-standby")
    assert during["DBInstanceStatus"] == "modifying", during["DBInstanceStatus"]
    assert during["ReadReplicaSourceDBInstanceIdentifier"] == source_arn
    refused(lambda: rds_west.promote_read_replica(DBInstanceIdentifier="db-timed-standby"), "InvalidDBInstanceState", 400)
    before = len(lag_points(cw_west, "db-timed-standby"))
    time.sleep(60 * SCALE * 1.5)
    assert len(lag_points(cw_west, "db-timed-standby")) == before, "no ReplicaLag while the replica is unavailable"
    states = seen(["modifying"], lambda: status(rds_west, "db-timed-standby"), "available", real("rds.promote_read_replica") * 3 + 5)
    assert states == ["modifying", "rebooting", "available"], states
    promoted = db(rds_west, "db-timed-standby")
    assert "ReadReplicaSourceDBInstanceIdentifier" not in promoted
    assert not promoted.get("StatusInfos")
    assert not db(rds, "db-timed").get("ReadReplicaDBInstanceIdentifiers")
    settled = len(lag_points(cw_west, "db-timed-standby"))
    time.sleep(60 * SCALE * 2)
    assert len(lag_points(cw_west, "db-timed-standby")) == settled, "no ReplicaLag for a standalone instance"
    code, _ = emu.control(f"/warmstandby/replication?region={STANDBY_REGION}&db_instance_identifier=db-timed-standby")
    assert code == 404, "a promoted instance is no replica"


def timed_rds_changes(emu):
    """Modify (pending values), reboot, snapshot, delete."""
    rds = emu.client("rds")
    create_db(rds, "db-changes")
    until("available", lambda: status(rds, "db-changes") == "available", real("rds.create") * 3 + 5)
    rds.modify_db_instance(DBInstanceIdentifier="db-changes", DBInstanceClass="db.t3.small", ApplyImmediately=True)
    during = db(rds, "db-changes")
    assert during["DBInstanceStatus"] == "modifying", during["DBInstanceStatus"]
    assert during["DBInstanceClass"] == "db.t3.micro", during["DBInstanceClass"]
    assert during["PendingModifiedValues"] == {"DBInstanceClass": "db.t3.small"}, during["PendingModifiedValues"]
    refused(lambda: rds.modify_db_instance(DBInstanceIdentifier="db-changes", BackupRetentionPeriod=3, ApplyImmediately=True), "InvalidDBInstanceState", 400)
    refused(lambda: rds.create_db_snapshot(DBInstanceIdentifier="db-changes", DBSnapshotIdentifier="snap-early"), "InvalidDBInstanceState", 400)
    until("modified", lambda: status(rds, "db-changes") == "available", real("rds.modify") * 3 + 5)
    after = db(rds, "db-changes")
    assert after["DBInstanceClass"] == "db.t3.small" and not after.get("PendingModifiedValues"), after.get("PendingModifiedValues")

    rds.reboot_db_instance(DBInstanceIdentifier="db-changes")
    assert status(rds, "db-changes") == "rebooting"
    refused(lambda: rds.reboot_db_instance(DBInstanceIdentifier="db-changes"), "InvalidDBInstanceState", 400)
    until("rebooted", lambda: status(rds, "db-changes") == "available", real("rds.reboot") * 3 + 5)

    rds.create_db_snapshot(DBInstanceIdentifier="db-changes", DBSnapshotIdentifier="snap-1")
    snap = lambda: rds.describe_db_snapshots(DBSnapshotIdentifier="snap-1")["DBSnapshots"][0]["Status"]  # noqa: E731
    assert snap() == "creating"
    until("snapshot available", lambda: snap() == "available", real("rds.snapshot") * 3 + 5)
    until("instance available", lambda: status(rds, "db-changes") == "available", real("rds.snapshot") * 3 + 5)

    rds.delete_db_instance(DBInstanceIdentifier="db-changes", SkipFinalSnapshot=True)
    assert status(rds, "db-changes") == "deleting"
    refused(lambda: rds.delete_db_instance(DBInstanceIdentifier="db-changes", SkipFinalSnapshot=True), "InvalidDBInstanceState", 400)
    until("gone", lambda: not rds.describe_db_instances()["DBInstances"] or all(d["DBInstanceIdentifier"] != "db-changes" for d in rds.describe_db_instances()["DBInstances"]), real("rds.delete") * 3 + 5)
    refused(lambda: db(rds, "db-changes"), "DBInstanceNotFound", 404)


def timed_cloudfront(emu):
    cf = emu.client("cloudfront")
    created = cf.create_distribution(DistributionConfig=distribution_config("timed"))
    dist_id, etag = created["Distribution"]["Id"], created["ETag"]
    assert cf.get_distribution(Id=dist_id)["Distribution"]["Status"] == "InProgress"
    # Enabled: refused whatever its status.
    refused(lambda: cf.delete_distribution(Id=dist_id, IfMatch=etag), "DistributionNotDisabled", 409)
    until("deployed", lambda: cf.get_distribution(Id=dist_id)["Distribution"]["Status"] == "Deployed", real("cloudfront.deploy") * 3 + 5)
    refused(lambda: cf.delete_distribution(Id=dist_id, IfMatch=etag), "DistributionNotDisabled", 409)
    # A stale ETag: PreconditionFailed.
    config = cf.get_distribution_config(Id=dist_id)
    disabled = dict(config["DistributionConfig"], Enabled=False)
    refused(lambda: cf.update_distribution(Id=dist_id, IfMatch="E0STALEETAG", DistributionConfig=disabled), "PreconditionFailed", 412)
    refused(lambda: cf.update_distribution(Id=dist_id, IfMatch="", DistributionConfig=disabled), "InvalidIfMatchVersion", 400)
    updated = cf.update_distribution(Id=dist_id, IfMatch=config["ETag"], DistributionConfig=disabled)
    assert updated["ETag"] != config["ETag"]
    assert cf.get_distribution(Id=dist_id)["Distribution"]["Status"] == "InProgress"
    # Disabled but still deploying: refused.
    refused(lambda: cf.delete_distribution(Id=dist_id, IfMatch=updated["ETag"]), "DistributionNotDisabled", 409)
    until("deployed", lambda: cf.get_distribution(Id=dist_id)["Distribution"]["Status"] == "Deployed", real("cloudfront.deploy") * 3 + 5)
    refused(lambda: cf.delete_distribution(Id=dist_id, IfMatch=config["ETag"]), "PreconditionFailed", 412)
    cf.delete_distribution(Id=dist_id, IfMatch=updated["ETag"])
    refused(lambda: cf.get_distribution(Id=dist_id), "NoSuchDistribution", 404)


def timed_acm(emu):
    acm, r53 = emu.client("acm"), emu.client("route53")
    cert = acm.request_certificate(DomainName="shop.bookstore.example.com", ValidationMethod="DNS")["CertificateArn"]
    described = lambda: acm.describe_certificate(CertificateArn=cert)["Certificate"]  # noqa: E731
    assert described()["Status"] == "PENDING_VALIDATION"
    time.sleep(real("acm.validation") * 1.5)
    assert described()["Status"] == "PENDING_VALIDATION", "no validation record: it stays pending"
    record = described()["DomainValidationOptions"][0]["ResourceRecord"]
    zone = next(z["Id"] for z in r53.list_hosted_zones()["HostedZones"] if z["Name"] == "bookstore.example.com.")
    r53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {"Name": record["Name"], "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": record["Value"]}]}}]},
    )
    assert described()["Status"] == "PENDING_VALIDATION"
    until("issued", lambda: described()["Status"] == "ISSUED", real("acm.validation") * 3 + 5)


def timed_route53(emu):
    r53 = emu.client("route53")
    zone = r53.create_hosted_zone(Name="timed.example.com", CallerReference="timed")["HostedZone"]["Id"]
    change = r53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {"Name": "a.timed.example.com", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.1"}]}}]},
    )["ChangeInfo"]
    assert change["Status"] == "PENDING", change
    states = seen([], lambda: r53.get_change(Id=change["Id"])["ChangeInfo"]["Status"], "INSYNC", real("route53.change") * 3 + 5)
    assert states == ["PENDING", "INSYNC"], states
    refused(lambda: r53.get_change(Id="/change/CNOSUCHCHANGE"), "NoSuchChange", 404)


def timed_ec2_nat(emu):
    ec2 = emu.client("ec2")
    vpc, subnets = network(ec2)
    eip = ec2.allocate_address(Domain="vpc")
    nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=eip["AllocationId"])["NatGateway"]["NatGatewayId"]
    state = lambda: ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]["State"]  # noqa: E731
    states = seen([], state, "available", real("ec2.nat_gateway.create") * 3 + 5)
    assert states == ["pending", "available"], states
    ec2.delete_nat_gateway(NatGatewayId=nat)
    assert state() == "deleting"
    refused(lambda: ec2.delete_subnet(SubnetId=subnets[0]), "DependencyViolation", 400)
    refused(lambda: ec2.release_address(AllocationId=eip["AllocationId"]), "AuthFailure", 400)
    association = ec2.describe_addresses(AllocationIds=[eip["AllocationId"]])["Addresses"][0].get("AssociationId")
    assert association, "the Elastic IP stays associated while the NAT gateway is deleting"
    refused(lambda: ec2.disassociate_address(AssociationId=association), "AuthFailure", 400)
    until("deleted", lambda: state() == "deleted", real("ec2.nat_gateway.delete") * 3 + 5)
    assert not ec2.describe_addresses(AllocationIds=[eip["AllocationId"]])["Addresses"][0].get("AssociationId")
    ec2.delete_subnet(SubnetId=subnets[0])
    ec2.release_address(AllocationId=eip["AllocationId"])


def timed_compute(emu):
    """Load balancer provisioning, instances pending, ASG Pending, targets initial."""
    ec2, elb, asg = emu.client("ec2"), emu.client("elbv2"), emu.client("autoscaling")
    vpc, subnets = network(ec2)
    lb = elb.create_load_balancer(Name="timed-alb", Subnets=subnets, Type="application")["LoadBalancers"][0]
    assert lb["State"]["Code"] == "provisioning", lb["State"]
    lb_state = lambda: elb.describe_load_balancers(LoadBalancerArns=[lb["LoadBalancerArn"]])["LoadBalancers"][0]["State"]["Code"]  # noqa: E731
    tg = elb.create_target_group(Name="timed-tg", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]

    ami = first_ami(ec2)
    instance = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, SubnetId=subnets[0])["Instances"][0]["InstanceId"]
    instance_state = lambda: ec2.describe_instances(InstanceIds=[instance])["Reservations"][0]["Instances"][0]["State"]["Name"]  # noqa: E731
    assert instance_state() == "pending"
    # A pending instance can be registered; its health is initial until it runs and passes a check.
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": instance, "Port": 80}])
    health = lambda: elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"][0]["TargetHealth"]["State"]  # noqa: E731
    assert health() == "initial"
    until("running", lambda: instance_state() == "running", real("ec2.instance.launch") * 3 + 5)
    assert health() == "initial"
    until("healthy", lambda: health() == "healthy", real("elbv2.target.healthy") * 3 + 5)
    until("active", lambda: lb_state() == "active", real("elbv2.provision") * 3 + 5)

    template = ec2.create_launch_template(LaunchTemplateName="timed-lt", LaunchTemplateData={"ImageId": ami, "InstanceType": "t3.micro"})["LaunchTemplate"]["LaunchTemplateId"]
    asg.create_auto_scaling_group(
        AutoScalingGroupName="timed-asg",
        LaunchTemplate={"LaunchTemplateId": template, "Version": "$Latest"},
        MinSize=1,
        MaxSize=2,
        DesiredCapacity=1,
        VPCZoneIdentifier=subnets[0],
        TargetGroupARNs=[tg],
    )
    lifecycle = lambda: [i["LifecycleState"] for i in asg.describe_auto_scaling_groups(AutoScalingGroupNames=["timed-asg"])["AutoScalingGroups"][0]["Instances"]]  # noqa: E731
    assert lifecycle() == ["Pending"], lifecycle()
    # Still one instance: a pending one counts toward the desired capacity.
    asg.set_desired_capacity(AutoScalingGroupName="timed-asg", DesiredCapacity=1)
    assert lifecycle() == ["Pending"], lifecycle()
    until("in service", lambda: lifecycle() == ["InService"], real("ec2.instance.launch") * 3 + 5)


def timed_certificate_in_use(emu):
    ec2, elb, acm = emu.client("ec2"), emu.client("elbv2"), emu.client("acm")
    vpc, subnets = network(ec2)
    cert = acm.request_certificate(DomainName="inuse.bookstore.example.com", ValidationMethod="DNS")["CertificateArn"]
    lb = elb.create_load_balancer(Name="inuse-alb", Subnets=subnets, Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elb.create_target_group(Name="inuse-tg", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
    listener = elb.create_listener(
        LoadBalancerArn=lb, Protocol="HTTPS", Port=443, Certificates=[{"CertificateArn": cert}],
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
    )["Listeners"][0]["ListenerArn"]
    refused(lambda: acm.delete_certificate(CertificateArn=cert), "ResourceInUseException", 400)
    elb.delete_listener(ListenerArn=listener)
    acm.delete_certificate(CertificateArn=cert)


def main():
    started = time.monotonic()
    emu = Emulator()
    try:
        check("instant: RDS and a replica are ready at once, ReplicaLag 0, a put datapoint wins", instant_rds_and_replica_lag, emu)
        check("instant: the control steers replication (-1, StatusInfos, 404)", instant_control_steers_replication, emu)
        check("instant: NAT, load balancer, distribution, change, instance ready at once", instant_everything_ready, emu)
    finally:
        emu.stop()
    emu = Emulator(scale=SCALE)
    try:
        code, view = emu.control("/warmstandby/clock")
        check("timed: the clock reports its scale", lambda: (code, view) == (200, {"time_scale": SCALE}) or (_ for _ in ()).throw(AssertionError(view)))
        check("timed: CloudFront InProgress/Deployed, DistributionNotDisabled, PreconditionFailed", timed_cloudfront, emu)
        check("timed: ACM pending without its record, issued with it", timed_acm, emu)
        check("timed: Route 53 GetChange PENDING then INSYNC", timed_route53, emu)
        check("timed: NAT pending/available, deleting holds its subnet and Elastic IP", timed_ec2_nat, emu)
        check("timed: ELB provisioning, instance pending, target initial, ASG Pending", timed_compute, emu)
        check("timed: ACM certificate in use by a listener", timed_certificate_in_use, emu)
        check("timed: RDS modify/reboot/snapshot/delete states and refusals", timed_rds_changes, emu)
        check("timed: RDS create, replica, replication health, promotion", timed_rds_lifecycle, emu)
    finally:
        emu.stop()
    print(f"({time.monotonic() - started:.1f}s)")
    print(f"{RESULTS['passed']} passed, {RESULTS['failed']} failed")
    sys.exit(1 if RESULTS["failed"] else 0)


if __name__ == "__main__":
    main()
