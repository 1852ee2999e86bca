//! FailoverPolicy against the emulator. The emulator models no health, so
//! the disaster is signalled the way the test controls it: a loopback HTTP
//! server stands for the primary's endpoints (the test stops it) and the
//! health check alarm is set to ALARM.

use std::time::Instant;

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StateValue};
use warmstandby_api::{RegionRole, TAG_EPOCH, TAG_UID, ThreeTierStackStatus};
use warmstandby_aws::AwsContext;
use warmstandby_controller::{Intent, stack};
use warmstandby_core::failover::Request;
use warmstandby_tests::{Emulator, LoopbackEndpoint as Endpoint};

use crate::stack::Fixture;
use crate::support::context;

const PRIMARY_DB: &str = "bookstore-bookstore-primary-db";
const STANDBY_DB: &str = "bookstore-bookstore-standby-db";

/// A Ready example stack detecting by the alarm and probes of a loopback
/// endpoint (policy edited by `edit`), and that endpoint.
pub(crate) async fn ready_stack(
    aws: &AwsContext,
    edit: impl FnOnce(&mut warmstandby_api::FailoverPolicySpec),
) -> (Fixture, Endpoint) {
    let endpoint = Endpoint::start(0).await.expect("a loopback endpoint");
    let mut f = Fixture::with_network(aws).await;
    with_probing_policy(&mut f, endpoint.port, edit);
    f.until_ready(aws).await;
    (f, endpoint)
}

/// The disaster: the endpoint stops answering and the health check alarm fires.
pub(crate) async fn primary_fails(emulator: &Emulator, endpoint: &mut Endpoint) {
    endpoint.stop();
    alarm(emulator, StateValue::Alarm).await;
}

/// The example policy, detecting by the alarm and the operator's probes of the endpoint.
pub(crate) fn with_probing_policy(
    f: &mut Fixture,
    port: u16,
    edit: impl FnOnce(&mut warmstandby_api::FailoverPolicySpec),
) {
    let p = &mut f.checked.set.policies[0].spec;
    p.detection.route53_health_check = false;
    p.detection.cloud_watch_alarm = true;
    p.detection.probes.enabled = true;
    p.detection.probes.api_url = Some(format!("http://127.0.0.1:{port}/health"));
    p.detection.probes.web_url = Some(format!("http://127.0.0.1:{port}/"));
    p.detection.probes.failure_threshold = 1;
    p.detection.probes.recovery_threshold = 1;
    p.detection.probes.timeout_seconds = 1;
    p.detection.probes.interval_seconds = 5;
    p.detection.required_signals = 2;
    p.detection.debounce_seconds = 0;
    edit(p);
}

async fn put_lag(emulator: &Emulator, region: &str, db: &str, seconds: f64) {
    let cw = aws_sdk_cloudwatch::Client::new(&emulator.sdk_config(region).await);
    cw.put_metric_data()
        .namespace("AWS/RDS")
        .metric_data(
            MetricDatum::builder()
                .metric_name("ReplicaLag")
                .dimensions(Dimension::builder().name("DBInstanceIdentifier").value(db).build())
                .value(seconds)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

pub(crate) async fn alarm(emulator: &Emulator, state: StateValue) {
    let cw = aws_sdk_cloudwatch::Client::new(&emulator.sdk_config("us-east-1").await);
    cw.set_alarm_state()
        .alarm_name("bookstore-bookstore-api-health")
        .state_value(state)
        .state_reason("test")
        .send()
        .await
        .unwrap();
}

struct Db {
    replica: bool,
    epoch: Option<String>,
}

async fn database(emulator: &Emulator, region: &str, id: &str) -> Option<Db> {
    let rds = aws_sdk_rds::Client::new(&emulator.sdk_config(region).await);
    let out = rds.describe_db_instances().db_instance_identifier(id).send().await.ok()?;
    let d = out.db_instances().first()?;
    Some(Db {
        replica: d.read_replica_source_db_instance_identifier().is_some(),
        epoch: d.tag_list().iter().find(|t| t.key() == Some(TAG_EPOCH)).and_then(|t| t.value()).map(str::to_string),
    })
}

/// A region's db security group, read with the plain SDK.
async fn db_group(emulator: &Emulator, region: &str, uid: &str) -> aws_sdk_ec2::types::SecurityGroup {
    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk_config(region).await);
    let filter = |k: &str, v: &str| aws_sdk_ec2::types::Filter::builder().name(format!("tag:{k}")).values(v).build();
    let out = ec2
        .describe_security_groups()
        .filters(filter(TAG_UID, uid))
        .filters(filter("warmstandby.dev/component", "security-group/db"))
        .send()
        .await
        .unwrap();
    out.security_groups()[0].clone()
}

/// The epoch tag of a region's db security group (set by the failover that fenced it).
pub(crate) async fn db_group_epoch(emulator: &Emulator, region: &str, uid: &str) -> Option<String> {
    let group = db_group(emulator, region, uid).await;
    group.tags().iter().find(|t| t.key() == Some(TAG_EPOCH)).and_then(|t| t.value()).map(str::to_string)
}

/// The db security group of a region admits the api group.
pub(crate) async fn db_reachable(emulator: &Emulator, region: &str, uid: &str) -> bool {
    !db_group(emulator, region, uid).await.ip_permissions().is_empty()
}

/// One pass, with `request` when given. Once traffic moves, the endpoint is
/// started again (the standby now answering under the same name).
pub(crate) async fn pass_following(
    f: &mut Fixture,
    aws: &AwsContext,
    endpoint: &mut Endpoint,
    request: Option<&Request>,
) -> stack::StackOutcome {
    let outcome = match request {
        Some(r) => {
            let mut inputs = f.checked.set.stack_inputs(&f.stack);
            inputs.region_pair = Some(&f.pair);
            stack::reconcile_with_request(aws, inputs, &warmstandby_controller::now_rfc3339(), r.clone()).await
        }
        None => f.pass(aws, Intent::Apply).await,
    };
    f.stack.status = Some(outcome.status.clone());
    let moving = outcome.status.failover.as_ref().is_some_and(|p| p.step == "switch" || p.step == "verify");
    if moving && !endpoint.running() {
        *endpoint = Endpoint::start(endpoint.port).await.expect("a loopback endpoint");
    }
    outcome
}

/// A switchover to the standby and one back, each succeeded and followed
/// by passes to Ready (replication is rebuilt towards the region it left
/// before the next move).
pub(crate) async fn switch_over_and_back(f: &mut Fixture, aws: &AwsContext) {
    let mut endpoint = warmstandby_tests::LoopbackEndpoint::start(0).await.expect("a loopback endpoint");
    for to in [RegionRole::Standby, RegionRole::Primary] {
        let request = Request { to, force: false, kind: "switchover" };
        run_until_finished(f, aws, &mut endpoint, Some(request)).await;
        let status = f.stack.status.clone().expect("status");
        let done = status.failover_history.last().expect("a finished move");
        assert_eq!((done.outcome.as_str(), done.to), ("Succeeded", to), "{done:?}");
        assert_eq!(status.active_role, Some(to));
        f.until_ready(aws).await;
    }
}

/// Passes until the failover records an outcome.
pub(crate) async fn run_until_finished(
    f: &mut Fixture,
    aws: &AwsContext,
    endpoint: &mut Endpoint,
    request: Option<Request>,
) -> (usize, Vec<String>) {
    let before = f.stack.status.as_ref().map(|s| s.failover_history.len()).unwrap_or(0);
    let mut steps = Vec::new();
    for n in 1..=30 {
        let outcome = pass_following(f, aws, endpoint, request.as_ref()).await;
        assert!(outcome.errors.is_empty(), "pass {n}: {:?}", outcome.errors);
        let status = f.stack.status.as_ref().unwrap();
        if let Some(p) = &status.failover {
            steps.push(p.step.clone());
        }
        if status.failover_history.len() > before {
            steps.dedup();
            return (n, steps);
        }
    }
    panic!("the failover did not finish: {:#?}", f.stack.status.as_ref().map(|s| (&s.failover, &s.conditions)));
}

fn last(status: &ThreeTierStackStatus) -> &warmstandby_api::FailoverRecord {
    status.failover_history.last().unwrap()
}

#[tokio::test]
async fn the_classic_drill_and_the_failback_round_trip() {
    let emulator = Emulator::start();
    let aws = context(&emulator).await;
    let (mut f, mut endpoint) = ready_stack(&aws, |_| {}).await;
    put_lag(&emulator, "us-west-2", STANDBY_DB, 2.0).await;
    let uid = f.uid();

    // Healthy: passes change nothing.
    let quiet = f.pass(&aws, Intent::Apply).await;
    assert!(quiet.status.failover.is_none() && quiet.events.is_empty(), "{:?}", quiet.events);

    // The primary region dies.
    primary_fails(&emulator, &mut endpoint).await;
    let calls_before = aws.calls().snapshot();
    let started = Instant::now();
    let (passes, steps) = run_until_finished(&mut f, &aws, &mut endpoint, None).await;
    let took = started.elapsed();
    let calls = aws.calls().snapshot().since(&calls_before);
    let status = f.stack.status.clone().unwrap();
    let done = last(&status);
    println!(
        "benchmark, failover: {passes} passes, {:.0} ms wall time from detection to done (the emulator has no AWS waits), {} AWS calls ({} mutating); steps {steps:?}; RTO {:?} s, RPO estimate {:?} s",
        took.as_secs_f64() * 1000.0,
        calls.total(),
        calls.mutating(),
        done.rto_seconds,
        done.rpo_estimate_seconds
    );
    assert_eq!(done.outcome, "Succeeded", "{done:?}");
    assert_eq!((done.epoch, done.to), (1, RegionRole::Standby));
    assert_eq!(done.rpo_estimate_seconds, Some(2));
    // Verify probes the endpoint in the pass after the switch and completes at once.
    assert_eq!(steps, ["fence", "promote", "scale", "switch"], "each step in order");
    assert_eq!(status.active_role, Some(RegionRole::Standby));
    assert_eq!(status.active_region.as_deref(), Some("us-west-2"));

    // The standby database is writable and carries the epoch; the old writer is fenced.
    let west = database(&emulator, "us-west-2", STANDBY_DB).await.unwrap();
    assert!(!west.replica, "the standby was promoted");
    assert_eq!(west.epoch.as_deref(), Some("1"));
    assert!(!db_reachable(&emulator, "us-east-1", &uid).await, "the old writer is fenced");
    assert_eq!(db_group_epoch(&emulator, "us-east-1", &uid).await.as_deref(), Some("1"), "the fence carries the epoch");
    // DNS and CloudFront point at the standby, whose groups carry full capacity.
    let g = status.global.clone().unwrap();
    let r53 = aws.route53();
    let sets = r53.list_resource_record_sets().hosted_zone_id(g.public_zone_id.unwrap()).send().await.unwrap();
    let primary =
        sets.resource_record_sets().iter().find(|r| r.failover().map(|f| f.as_str()) == Some("PRIMARY")).unwrap();
    assert_eq!(primary.set_identifier(), Some("us-west-2"));
    let dist = aws.cloudfront().get_distribution().id(g.distribution_id.unwrap()).send().await.unwrap();
    let group = &dist.distribution().unwrap().distribution_config().unwrap().origin_groups().unwrap().items()[0];
    assert_eq!(group.members().unwrap().items()[0].origin_id(), "web-us-west-2");
    let west_groups = aws.autoscaling("us-west-2").describe_auto_scaling_groups().send().await.unwrap();
    assert!(west_groups.auto_scaling_groups().iter().all(|a| a.desired_capacity() == Some(2)));

    // Steady after the failover: nothing is undone; replication is rebuilt in
    // the old region from the new writer (the old writer's data kept in a snapshot).
    alarm(&emulator, StateValue::Ok).await;
    for _ in 0..10 {
        let o = f.pass(&aws, Intent::Apply).await;
        assert!(o.errors.is_empty(), "{:?}", o.errors);
        if database(&emulator, "us-east-1", PRIMARY_DB).await.is_some_and(|d| d.replica) && o.is_ready() {
            break;
        }
    }
    let east = database(&emulator, "us-east-1", PRIMARY_DB).await.expect("a replica in the old region");
    assert!(east.replica, "replication rebuilt towards the old region");
    assert_eq!(f.stack.status.as_ref().unwrap().active_role, Some(RegionRole::Standby), "no undoing");
    let snapshots = aws.rds("us-east-1").describe_db_snapshots().send().await.unwrap();
    assert!(
        snapshots
            .db_snapshots()
            .iter()
            .any(|s| s.db_snapshot_identifier() == Some("bookstore-bookstore-primary-db-former-writer-e1")),
        "the old writer's data is kept"
    );
    let east_groups = aws.autoscaling("us-east-1").describe_auto_scaling_groups().send().await.unwrap();
    assert!(east_groups.auto_scaling_groups().iter().all(|a| a.desired_capacity() == Some(1)), "old region warm");

    // Failback by itself (`failback: Automatic`), the same safe way, once the
    // new replica caught up (a ReplicaLag of 0, which the emulator publishes
    // as AWS does). (On request: the CLI test.)
    f.checked.set.policies[0].spec.failback = warmstandby_api::FailbackMode::Automatic;
    let (_, steps) = run_until_finished(&mut f, &aws, &mut endpoint, None).await;
    assert_eq!(last(f.stack.status.as_ref().unwrap()).kind, "failback");
    let status = f.stack.status.clone().unwrap();
    assert_eq!(last(&status).outcome, "Succeeded", "{:?}", last(&status));
    assert_eq!(last(&status).epoch, 2);
    assert!(steps.contains(&"promote".to_string()), "{steps:?}");
    assert_eq!(status.active_role, Some(RegionRole::Primary));
    let east = database(&emulator, "us-east-1", PRIMARY_DB).await.unwrap();
    assert!(!east.replica && east.epoch.as_deref() == Some("2"));
    // Protected again: a replica in the standby.
    for _ in 0..10 {
        let o = f.pass(&aws, Intent::Apply).await;
        if o.is_ready() {
            break;
        }
    }
    assert!(database(&emulator, "us-west-2", STANDBY_DB).await.unwrap().replica, "a replica in the standby again");
    assert!(
        f.stack
            .status
            .as_ref()
            .unwrap()
            .conditions
            .iter()
            .any(|c| c.type_ == "ReplicationHealthy" && c.status == "True")
    );
}

#[tokio::test]
async fn guard_refusals_change_nothing_and_say_why() {
    let emulator = Emulator::start();
    let aws = context(&emulator).await;
    let (mut f, mut endpoint) = ready_stack(&aws, |p| p.guards.require_approval = true).await;

    // Lag above the RPO budget.
    put_lag(&emulator, "us-west-2", STANDBY_DB, 900.0).await;
    primary_fails(&emulator, &mut endpoint).await;
    let mut events = Vec::new();
    for _ in 0..4 {
        let o = f.pass(&aws, Intent::Apply).await;
        events.extend(o.events.iter().map(|(r, m)| format!("{r}: {m}")));
    }
    let status = f.stack.status.clone().unwrap();
    let progress = status.failover.clone().expect("a failover waiting at its guards");
    assert_eq!(progress.step, "guards");
    let why = progress.steps.last().unwrap().message.clone().unwrap();
    assert!(why.contains("exceeds the RPO budget of 300 s"), "{why}");
    assert!(events.iter().any(|e| e.starts_with("FailoverRefused")), "{events:?}");
    assert_eq!(status.epoch, 0);
    assert!(database(&emulator, "us-west-2", STANDBY_DB).await.unwrap().replica, "nothing promoted");
    assert!(db_reachable(&emulator, "us-east-1", &f.uid()).await, "nothing fenced");

    // A forced failover passes the budget but still waits for nothing else.
    let forced = Request { to: RegionRole::Standby, force: true, kind: "failover" };
    let (_, _) = run_until_finished(&mut f, &aws, &mut endpoint, Some(forced)).await;
    let status = f.stack.status.clone().unwrap();
    assert_eq!(last(&status).outcome, "Succeeded");
    assert_eq!(last(&status).rpo_estimate_seconds, Some(900), "the RPO estimate says what was risked");
}

#[tokio::test]
async fn a_crash_at_any_point_of_a_failover_completes_it_exactly_once() {
    let emulator = Emulator::start();
    // The failover's mutating calls, counted on one clean run.
    let total = {
        let aws = context(&emulator).await;
        let (mut f, mut endpoint) = ready_stack(&aws, |_| {}).await;
        put_lag(&emulator, "us-west-2", STANDBY_DB, 1.0).await;
        primary_fails(&emulator, &mut endpoint).await;
        let before = aws.calls().snapshot();
        run_until_finished(&mut f, &aws, &mut endpoint, None).await;
        aws.calls().snapshot().since(&before).mutating()
    };
    assert!(total >= 5, "{total}");
    for k in 1..=total {
        emulator.reset();
        let setup = context(&emulator).await;
        let (mut f, mut endpoint) = ready_stack(&setup, |_| {}).await;
        put_lag(&emulator, "us-west-2", STANDBY_DB, 1.0).await;
        primary_fails(&emulator, &mut endpoint).await;
        let crashing = context(&emulator).await;
        crashing.calls().crash_after_mutations(k);
        for _ in 0..30 {
            // A crashed pass never writes its status.
            let kept = f.stack.status.clone();
            f.pass(&crashing, Intent::Apply).await;
            if crashing.calls().crashed() {
                f.stack.status = kept;
                break;
            }
            if (f.stack.status.as_ref().unwrap().failover.as_ref()).is_some_and(|p| p.step == "verify")
                && !endpoint.running()
            {
                endpoint = Endpoint::start(endpoint.port).await.expect("a loopback endpoint");
            }
        }
        assert!(crashing.calls().crashed(), "k={k}: never reached mutating call {k}");
        let restarted = context(&emulator).await;
        if f.stack.status.as_ref().is_none_or(|s| s.failover_history.is_empty()) {
            run_until_finished(&mut f, &restarted, &mut endpoint, None).await;
        }
        let status = f.stack.status.clone().unwrap();
        let succeeded = status.failover_history.iter().filter(|r| r.outcome == "Succeeded").count();
        assert_eq!(succeeded, 1, "k={k}: {:?}", status.failover_history);
        assert_eq!(status.epoch, 1, "k={k}");
        let west = database(&emulator, "us-west-2", STANDBY_DB).await.unwrap();
        assert!(!west.replica && west.epoch.as_deref() == Some("1"), "k={k}");
        assert!(!db_reachable(&emulator, "us-east-1", &f.uid()).await, "k={k}: the old writer stays fenced");
    }
    println!(
        "failover crash test: crashed after each of the {total} mutating calls; every restart completed exactly once"
    );
}

/// The invariants, read back with plain SDK clients: at most one writable
/// database (a writer whose security group admits the api servers), and the
/// region the PRIMARY api record points at runs servers.
async fn check_invariants(emulator: &Emulator, uid: &str, zone: &str, context: &str) {
    let mut writable = Vec::new();
    for (region, id) in [("us-east-1", PRIMARY_DB), ("us-west-2", STANDBY_DB)] {
        if database(emulator, region, id).await.is_some_and(|d| !d.replica) && db_reachable(emulator, region, uid).await
        {
            writable.push(region);
        }
    }
    assert!(writable.len() <= 1, "{context}: two writable databases: {writable:?}");
    let r53 = aws_sdk_route53::Client::new(&emulator.sdk_config("us-east-1").await);
    let sets = r53.list_resource_record_sets().hosted_zone_id(zone).send().await.unwrap();
    let primary = sets
        .resource_record_sets()
        .iter()
        .find(|r| r.failover().map(|f| f.as_str()) == Some("PRIMARY"))
        .and_then(|r| r.set_identifier())
        .unwrap_or_else(|| panic!("{context}: no PRIMARY api record"))
        .to_string();
    let asg = aws_sdk_autoscaling::Client::new(&emulator.sdk_config(&primary).await);
    let groups = asg.describe_auto_scaling_groups().send().await.unwrap();
    assert!(
        !groups.auto_scaling_groups().is_empty()
            && groups.auto_scaling_groups().iter().all(|g| g.desired_capacity().unwrap_or(0) >= 1),
        "{context}: the region serving api ({primary}) runs no servers"
    );
}

#[tokio::test]
async fn a_failover_under_random_aws_faults_keeps_the_invariants() {
    let emulator = Emulator::start();
    let mut total_injected = 0;
    for seed in [7u64, 1234, 98765] {
        emulator.reset();
        let setup = context(&emulator).await;
        let (mut f, mut endpoint) = ready_stack(&setup, |_| {}).await;
        put_lag(&emulator, "us-west-2", STANDBY_DB, 1.0).await;
        let uid = f.uid();
        let zone = f.stack.status.as_ref().unwrap().global.as_ref().unwrap().public_zone_id.clone().unwrap();
        primary_fails(&emulator, &mut endpoint).await;
        // A pass reads ~35 times: 4% faults fail about half the passes somewhere.
        let faulty = crate::support::faulty_context(&emulator, 4, seed).await;
        let mut faults = 0;
        let mut finished = false;
        for n in 0..150 {
            let outcome = f.pass(&faulty, Intent::Apply).await;
            faults += outcome.errors.len();
            check_invariants(&emulator, &uid, &zone, &format!("seed {seed}, pass {n}")).await;
            let status = f.stack.status.as_ref().unwrap();
            if status.failover.as_ref().is_some_and(|p| p.step == "switch" || p.step == "verify") && !endpoint.running()
            {
                endpoint = Endpoint::start(endpoint.port).await.expect("a loopback endpoint");
            }
            if !status.failover_history.is_empty() {
                finished = true;
                break;
            }
        }
        assert!(finished, "seed {seed}: the failover did not finish under faults");
        let status = f.stack.status.clone().unwrap();
        let succeeded = status.failover_history.iter().filter(|r| r.outcome == "Succeeded").count();
        assert_eq!((succeeded, status.epoch), (1, 1), "seed {seed}: {:?}", status.failover_history);
        let injected = faulty.calls().injected();
        total_injected += injected;
        println!(
            "seed {seed}: failover completed through {injected} injected AWS faults ({faults} passes or actions failed); invariants held after every pass"
        );
    }
    assert!(total_injected > 0, "the faults were injected");
}

#[tokio::test]
async fn the_cli_drills_switches_over_and_back_and_apply_never_undoes_it() {
    let emulator = Emulator::start();
    let dir = warmstandby_tests::repo_root().join("deploy/examples");
    let dir = dir.to_str().unwrap();
    let cli = |args: Vec<&'static str>| {
        let emulator = &emulator;
        async move {
            let mut full = args.clone();
            full.extend(["-f", dir]);
            let started = Instant::now();
            let result = crate::region_pair::cli(emulator, &full).await;
            println!(
                "$ warmstandby {} ({:.1} s, exit {})\n{}",
                args.join(" "),
                started.elapsed().as_secs_f64(),
                result.0,
                result.1
            );
            result
        }
    };
    let (code, out, err) = cli(vec!["apply", "--wait", "--timeout", "1m"]).await;
    assert_eq!(code, 0, "{out}\n{err}");

    // The replica's lag is the 0 the emulator publishes, as AWS does.
    let (code, out, _) = cli(vec!["drill"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("drill passed") && out.contains("predicted RTO"), "{out}");

    let (code, out, _) = cli(vec!["failover", "--stack", "bookstore", "--to", "standby", "--dry-run"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("would move from the primary to the standby"), "{out}");
    assert!(database(&emulator, "us-west-2", STANDBY_DB).await.unwrap().replica, "a dry run changes nothing");

    let (code, out, err) =
        cli(vec!["failover", "--stack", "bookstore/bookstore", "--to", "standby", "--timeout", "1m"]).await;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("switchover Succeeded from the primary to the standby (epoch 1)"), "{out}");
    assert!(!database(&emulator, "us-west-2", STANDBY_DB).await.unwrap().replica);

    // A plain apply (no status on disk) finds where the stack serves in AWS
    // and rebuilds replication in the old region instead of undoing the move.
    let (code, out, err) = cli(vec!["apply", "--wait", "--timeout", "1m"]).await;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(!database(&emulator, "us-west-2", STANDBY_DB).await.unwrap().replica, "still the writer");
    assert!(database(&emulator, "us-east-1", PRIMARY_DB).await.unwrap().replica, "replication rebuilt");
    let (_, out, _) = cli(vec!["status"]).await;
    assert!(out.contains("ThreeTierStack bookstore/bookstore Ready  active us-west-2 (standby)"), "{out}");

    let (code, out, err) = cli(vec!["failover", "--stack", "bookstore", "--to", "primary", "--timeout", "1m"]).await;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("Succeeded from the standby to the primary (epoch 2)"), "{out}");
    let (code, out, _) = cli(vec!["failover", "--stack", "bookstore", "--to", "primary", "--timeout", "1m"]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("already serves"), "{out}");
}

/// The reason the product exists: the primary region's services stop
/// answering. The failover goes on from the standby and the global services,
/// fencing is recorded as best effort, and when the region returns its old
/// writer is fenced and rebuilt as a replica.
#[tokio::test]
async fn a_region_that_goes_dark_fails_over_and_is_fenced_when_it_returns() {
    let emulator = Emulator::start();
    let aws = context(&emulator).await;
    let (mut f, mut endpoint) = ready_stack(&aws, |_| {}).await;
    put_lag(&emulator, "us-west-2", STANDBY_DB, 3.0).await;
    let uid = f.uid();

    let dark = context(&emulator).await;
    dark.calls().outage("us-east-1", &["EC2", "RDS", "Elastic Load Balancing v2", "Auto Scaling", "ACM", "Backup"]);
    primary_fails(&emulator, &mut endpoint).await;
    let mut fence_note = None;
    let mut done = false;
    for _ in 0..20 {
        let o = f.pass(&dark, Intent::Apply).await;
        assert!(o.errors.is_empty(), "{:?}", o.errors);
        let status = f.stack.status.as_ref().unwrap();
        if let Some(p) = &status.failover {
            fence_note = p.steps.iter().find(|s| s.name == "fence").and_then(|s| s.message.clone()).or(fence_note);
            if (p.step == "switch" || p.step == "verify") && !endpoint.running() {
                endpoint = Endpoint::start(endpoint.port).await.expect("a loopback endpoint");
            }
        }
        if !status.failover_history.is_empty() {
            done = true;
            break;
        }
    }
    assert!(done, "{:#?}", f.stack.status.as_ref().map(|s| (&s.failover, &s.conditions)));
    let status = f.stack.status.clone().unwrap();
    assert_eq!(last(&status).outcome, "Succeeded");
    assert!(fence_note.as_deref().is_some_and(|n| n.contains("unreachable")), "{fence_note:?}");
    assert!(!database(&emulator, "us-west-2", STANDBY_DB).await.unwrap().replica, "the standby took over");
    assert!(db_reachable(&emulator, "us-east-1", &uid).await, "nothing could be changed in the dark region");
    assert!(
        status
            .conditions
            .iter()
            .any(|c| c.type_ == "Degraded" && c.status == "True" && c.message.contains("cannot be reached")),
        "{:?}",
        status.conditions
    );

    // The region returns: its old writer is fenced at once, then rebuilt as a replica.
    alarm(&emulator, StateValue::Ok).await;
    f.pass(&aws, Intent::Apply).await;
    assert!(!db_reachable(&emulator, "us-east-1", &uid).await, "the returning old writer is fenced first");
    for _ in 0..10 {
        if f.pass(&aws, Intent::Apply).await.is_ready() {
            break;
        }
    }
    assert!(database(&emulator, "us-east-1", PRIMARY_DB).await.unwrap().replica, "replication rebuilt");
    assert!(db_reachable(&emulator, "us-east-1", &uid).await, "a replica may be read again");
    assert_eq!(f.stack.status.as_ref().unwrap().active_role, Some(RegionRole::Standby));
}

#[tokio::test]
async fn without_approval_nothing_moves_and_the_annotation_releases_it() {
    let emulator = Emulator::start();
    let aws = context(&emulator).await;
    let (mut f, mut endpoint) = ready_stack(&aws, |p| p.guards.require_approval = true).await;
    put_lag(&emulator, "us-west-2", STANDBY_DB, 1.0).await;
    primary_fails(&emulator, &mut endpoint).await;
    for _ in 0..3 {
        f.pass(&aws, Intent::Apply).await;
    }
    let status = f.stack.status.clone().unwrap();
    let why = status.failover.as_ref().and_then(|p| p.steps.last()).and_then(|s| s.message.clone()).unwrap();
    assert!(why.contains("waiting for approval: annotate the stack with warmstandby.dev/approve-failover=1"), "{why}");
    assert!(database(&emulator, "us-west-2", STANDBY_DB).await.unwrap().replica, "nothing promoted");
    assert!(db_reachable(&emulator, "us-east-1", &f.uid()).await, "nothing fenced");

    f.stack
        .metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(warmstandby_api::ANNOTATION_APPROVE_FAILOVER.to_string(), "1".to_string());
    run_until_finished(&mut f, &aws, &mut endpoint, None).await;
    assert_eq!(last(f.stack.status.as_ref().unwrap()).outcome, "Succeeded");
}
