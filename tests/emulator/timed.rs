//! The operator against AWS's time and replication health: the emulator on a
//! scaled clock (AWS's own durations from `emulator/aws_timings.json` times
//! [`SCALE`]), databases that take minutes, promotions that stay read-only,
//! distributions that deploy, replication that stops. Passes are paced as
//! the operator paces them (its `Pacer`), compressed by the same scale, so
//! the calls made while waiting are the ones the operator would make on AWS.

use std::time::{Duration, Instant};

use aws_sdk_cloudwatch::types::StateValue;
use warmstandby_api::{RegionPair, RegionRole, ThreeTierStackStatus};
use warmstandby_aws::AwsContext;
use warmstandby_controller::requeue::{Next, Pacer};
use warmstandby_controller::{Intent, TeardownOutcome, TeardownWait, region_pair, stack};
use warmstandby_core::failover::Request;
use warmstandby_tests::census::census;
use warmstandby_tests::{Emulator, LoopbackEndpoint as Endpoint};

use crate::failover::{alarm, primary_fails, with_probing_policy};
use crate::stack::Fixture;
use crate::support::context;

/// AWS's durations times this: a 10-minute database create takes 6 s.
pub(crate) const SCALE: f64 = 0.01;
/// Longer than any AWS wait here takes at [`SCALE`] (real seconds).
const LIMIT: Duration = Duration::from_secs(240);

const STANDBY_DB: &str = "bookstore-bookstore-standby-db";

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn now() -> String {
    warmstandby_controller::now_rfc3339()
}

/// The operator's delay for `next`, compressed by the scale.
fn paced(pacer: &Pacer, key: &str, next: Next) -> Duration {
    pacer.delay(key, next, None).unwrap_or(Duration::from_secs(30)).mul_f64(SCALE)
}

/// One stack pass as the operator makes it (the wall clock's time, the
/// status written back).
async fn pass(f: &mut Fixture, aws: &AwsContext, request: Option<&Request>) -> stack::StackOutcome {
    let mut inputs = f.checked.set.stack_inputs(&f.stack);
    inputs.region_pair = Some(&f.pair);
    let outcome = match request {
        Some(r) => stack::reconcile_with_request(aws, inputs, &now(), r.clone()).await,
        None => stack::reconcile(aws, inputs, Intent::Apply, &now()).await,
    };
    f.stack.status = Some(outcome.status.clone());
    outcome
}

/// The RegionPair's passes until Ready, paced.
async fn pair_until_ready(aws: &AwsContext, pair: &mut RegionPair, pacer: &Pacer) {
    let started = Instant::now();
    loop {
        let outcome = region_pair::reconcile(aws, pair, Intent::Apply, &now()).await;
        assert!(outcome.errors.is_empty(), "RegionPair: {:?}", outcome.errors);
        pair.status = Some(outcome.status.clone());
        if outcome.is_ready() {
            return;
        }
        assert!(started.elapsed() < LIMIT, "the RegionPair is not Ready: {:?}", pair.status);
        tokio::time::sleep(paced(pacer, "pair", outcome.next)).await;
    }
}

/// What a paced run of passes cost.
#[derive(Debug, Default)]
struct Run {
    passes: usize,
    /// Passes that only read what the stack waits on.
    waiting_passes: usize,
    calls: u64,
    /// Calls of the passes that changed nothing, after one that changed nothing either.
    calls_while_waiting: u64,
    /// One describe per waited resource every 10 s of AWS time (Terraform's waiters).
    waiter_reference: f64,
    aws_seconds: f64,
}

/// Paced passes until `done`.
async fn paced_until(
    f: &mut Fixture,
    aws: &AwsContext,
    pacer: &Pacer,
    what: &str,
    done: impl Fn(&stack::StackOutcome) -> bool,
) -> Run {
    let started = Instant::now();
    let mut run = Run::default();
    let mut last_pass = Instant::now();
    let mut after_change = false;
    loop {
        let waited_on = f.stack.status.as_ref().and_then(|s| s.waiting_on.as_ref()).map_or(0, |w| w.resources.len());
        let since_last = last_pass.elapsed().as_secs_f64() / SCALE;
        let before = aws.calls().snapshot();
        let outcome = pass(f, aws, None).await;
        last_pass = Instant::now();
        let calls = aws.calls().snapshot().since(&before).total();
        run.passes += 1;
        run.calls += calls;
        assert!(outcome.errors.is_empty(), "{what}, pass {}: {:?}", run.passes, outcome.errors);
        // The pass right after a change finds out what the change unblocked;
        // the passes after it, changing nothing, are the waiting.
        let waiting = outcome.applied.is_empty() && !after_change;
        after_change = !outcome.applied.is_empty();
        if waiting {
            run.calls_while_waiting += calls;
            run.waiter_reference += waited_on.max(1) as f64 * (since_last / 10.0).max(1.0);
            if calls <= waited_on as u64 {
                run.waiting_passes += 1;
            }
        }
        if done(&outcome) {
            run.aws_seconds = started.elapsed().as_secs_f64() / SCALE;
            return run;
        }
        assert!(
            started.elapsed() < LIMIT,
            "{what} did not finish in {LIMIT:?}: {:#?}",
            f.stack.status.as_ref().map(|s| (&s.conditions, &s.waiting_on, &s.failover))
        );
        tokio::time::sleep(paced(pacer, "stack", outcome.next)).await;
    }
}

/// Paced teardown passes until nothing is left, each given what the last
/// one waited on; calls counted as [`paced_until`] counts them.
async fn paced_teardown(
    aws: &AwsContext,
    what: &str,
    mut pass: impl AsyncFnMut(Option<&TeardownWait>) -> TeardownOutcome,
) -> Run {
    let pacer = Pacer::new(Duration::from_secs(300));
    let started = Instant::now();
    let mut run = Run::default();
    let mut wait: Option<TeardownWait> = None;
    let mut last_pass = Instant::now();
    let mut after_change = false;
    loop {
        let waited_on = wait.as_ref().map_or(0, |w| w.on.resources.len());
        let since_last = last_pass.elapsed().as_secs_f64() / SCALE;
        let before = aws.calls().snapshot();
        let t = pass(wait.as_ref()).await;
        last_pass = Instant::now();
        let calls = aws.calls().snapshot().since(&before).total();
        run.passes += 1;
        run.calls += calls;
        assert!(t.errors.is_empty(), "{what}: teardown pass {}: {:?}", run.passes, t.errors);
        if t.finished {
            run.aws_seconds = started.elapsed().as_secs_f64() / SCALE;
            return run;
        }
        // As in `paced_until`: the pass right after a change is not waiting.
        let waiting = t.applied.is_empty() && !after_change;
        after_change = !t.applied.is_empty();
        if waiting {
            run.calls_while_waiting += calls;
            run.waiter_reference += waited_on.max(1) as f64 * (since_last / 10.0).max(1.0);
            if waited_on > 0 && calls <= waited_on as u64 {
                run.waiting_passes += 1;
            }
        }
        assert!(started.elapsed() < LIMIT, "the timed teardown of {what} did not finish: {:?}", t.waiting);
        let next = if t.applied.is_empty() { Next::WaitingOnAws } else { Next::Progress };
        wait = t.wait.clone();
        tokio::time::sleep(paced(&pacer, what, next)).await;
    }
}

/// The examples with their RegionPair Ready on the timed emulator.
pub(crate) async fn with_ready_network(aws: &AwsContext) -> Fixture {
    let pacer = Pacer::new(Duration::from_secs(300));
    let checked = warmstandby_cli::check::load_and_check(&[warmstandby_tests::repo_root().join("deploy/examples")])
        .expect("the examples are valid");
    let mut pair = checked.set.region_pairs[0].clone();
    pair_until_ready(aws, &mut pair, &pacer).await;
    let stack = checked.set.stacks[0].clone();
    Fixture { checked, pair, stack }
}

/// A Ready example stack on the timed emulator, its policy detecting by the
/// alarm and the probes of a loopback endpoint (edited by `edit`).
async fn ready_timed_stack(
    aws: &AwsContext,
    edit: impl FnOnce(&mut warmstandby_api::FailoverPolicySpec),
) -> (Fixture, Endpoint, Run) {
    let pacer = Pacer::new(Duration::from_secs(300));
    let endpoint = Endpoint::start(0).await.expect("a loopback endpoint");
    let mut f = with_ready_network(aws).await;
    with_probing_policy(&mut f, endpoint.port, edit);
    let run = paced_until(&mut f, aws, &pacer, "the timed create", stack::StackOutcome::is_ready).await;
    (f, endpoint, run)
}

fn status(f: &Fixture) -> ThreeTierStackStatus {
    f.stack.status.clone().unwrap_or_default()
}

fn condition(s: &ThreeTierStackStatus, t: &str) -> (String, String, String) {
    s.conditions
        .iter()
        .find(|c| c.type_ == t)
        .map(|c| (c.status.clone(), c.reason.clone(), c.message.clone()))
        .unwrap_or_default()
}

async fn standby_db(emulator: &Emulator) -> (bool, String) {
    let rds = aws_sdk_rds::Client::new(&emulator.sdk_config("us-west-2").await);
    let out = rds.describe_db_instances().db_instance_identifier(STANDBY_DB).send().await.expect("the standby db");
    let d = &out.db_instances()[0];
    (d.read_replica_source_db_instance_identifier().is_some(), d.db_instance_status().unwrap_or_default().to_string())
}

#[tokio::test]
async fn a_timed_create_and_destroy_wait_on_what_they_wait_on() {
    let emulator = Emulator::start_timed(SCALE);
    let aws = context(&emulator).await;
    let baseline = census(&emulator).await;
    let (f, _endpoint, create) = ready_timed_stack(&aws, |_| {}).await;
    println!(
        "benchmark, timed create to Ready (AWS time, scale {SCALE}): {:.0} s, {} passes ({} only reading what they waited on), {} AWS calls, {} of them while waiting (Terraform's waiters: about {:.0})",
        create.aws_seconds,
        create.passes,
        create.waiting_passes,
        create.calls,
        create.calls_while_waiting,
        create.waiter_reference
    );
    assert!(create.waiting_passes > 0, "some passes only read what the stack waited on: {create:?}");
    // About one describe per waited resource every 10 s of AWS time, as
    // Terraform's waiters make (a generous bound: the full observations
    // after each change count too).
    assert!(
        create.calls_while_waiting as f64 <= 1.5 * create.waiter_reference,
        "waiting costs about what Terraform's waiters cost: {create:?}"
    );

    // Destroy, paced the same way: the stack, then its networks.
    let started = Instant::now();
    let inputs = || f.checked.set.stack_inputs(&f.stack);
    let stack_run =
        paced_teardown(&aws, "the stack", async |w| stack::teardown(&aws, inputs(), "20260101000000", w).await).await;
    let pair_run = paced_teardown(&aws, "the networks", async |w| region_pair::teardown(&aws, &f.pair, w).await).await;
    println!(
        "benchmark, timed destroy (AWS time): {:.0} s, {} stack and {} network passes ({} only reading what they waited on), {} AWS calls, {} of them while waiting (Terraform's waiters: about {:.0})",
        started.elapsed().as_secs_f64() / SCALE,
        stack_run.passes,
        pair_run.passes,
        stack_run.waiting_passes + pair_run.waiting_passes,
        stack_run.calls + pair_run.calls,
        stack_run.calls_while_waiting + pair_run.calls_while_waiting,
        stack_run.waiter_reference + pair_run.waiter_reference,
    );
    for (what, run) in [("the stack", &stack_run), ("the networks", &pair_run)] {
        assert!(run.waiting_passes > 0, "some passes of {what}'s teardown only read what it waited on: {run:?}");
        assert!(
            run.calls_while_waiting as f64 <= 1.5 * run.waiter_reference,
            "waiting for {what} to go costs about what Terraform's waiters cost: {run:?}"
        );
    }
    let left = warmstandby_tests::census::differences(&baseline, &census(&emulator).await);
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[tokio::test]
async fn a_promotion_that_takes_minutes_moves_no_traffic_before_the_writer_is_writable() {
    let emulator = Emulator::start_timed(SCALE);
    let mut aws = context(&emulator).await;
    let (mut f, mut endpoint, _) = ready_timed_stack(&aws, |_| {}).await;
    let east = f.pair.spec.primary.region.clone();
    let west = f.pair.spec.standby.region.clone();

    let predicted = status(&f).drill.and_then(|d| d.predicted_rto_seconds);
    primary_fails(&emulator, &mut endpoint).await;
    let started = Instant::now();
    let mut restarted = false;
    let mut promotions = 0;
    let mut timeline: Vec<(String, f64)> = Vec::new();
    let mut saw_verify_wait = false;
    loop {
        let before = aws.calls().snapshot();
        let outcome = pass(&mut f, &aws, None).await;
        promotions += aws.calls().snapshot().since(&before).count("PromoteReadReplica");
        assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
        let s = status(&f);
        let step = s.failover.as_ref().map(|p| p.step.clone());
        if let Some(step) = &step
            && timeline.last().is_none_or(|(last, _)| last != step)
        {
            timeline.push((step.clone(), started.elapsed().as_secs_f64() / SCALE));
        }
        let (replica, db_state) = standby_db(&emulator).await;
        if replica || db_state != "available" {
            // Still promoting: nothing points at the standby yet.
            assert_ne!(
                s.traffic_region.as_deref(),
                Some(west.as_str()),
                "traffic moved before the writer was writable"
            );
            assert_ne!(s.writer_region.as_deref(), Some(west.as_str()), "a replica reported as the writer");
        }
        if step.as_deref() == Some("promote") {
            let (p, reason, message) = condition(&s, "Progressing");
            assert_eq!((p.as_str(), reason.as_str()), ("True", "FailoverInProgress"), "{message}");
            if !restarted {
                // The operator restarts in the middle of the promotion: a new
                // process, nothing cached, the status as written.
                aws = context(&emulator).await;
                restarted = true;
            }
        }
        if step.as_deref() == Some("verify") {
            // The standby's endpoints do not answer yet: the move waits and says where things are.
            let (p, reason, message) = condition(&s, "Progressing");
            assert_eq!((p.as_str(), reason.as_str()), ("True", "FailoverInProgress"), "{message}");
            assert_eq!(s.writer_region.as_deref(), Some(west.as_str()), "{message}");
            assert_eq!(s.traffic_region.as_deref(), Some(west.as_str()), "{message}");
            assert!(message.contains("do not answer"), "{message}");
            assert_eq!(condition(&s, "Ready").1, "FailoverInProgress");
            if saw_verify_wait && !endpoint.running() {
                endpoint = Endpoint::start(endpoint.port).await.expect("a loopback endpoint");
            }
            saw_verify_wait = true;
        }
        if s.failover.is_none() && s.failover_history.last().is_some_and(|r| r.kind == "failover") {
            break;
        }
        assert!(started.elapsed() < LIMIT, "the failover did not finish: {:#?}", (&s.failover, &s.conditions));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let s = status(&f);
    let done = s.failover_history.last().cloned().unwrap_or_default();
    let rto = started.elapsed().as_secs_f64() / SCALE;
    let steps: Vec<String> = timeline.iter().map(|(step, at)| format!("{step} from {at:.0} s")).collect();
    println!(
        "benchmark, timed failover (AWS time from the disaster): {}; done at {rto:.0} s; predicted RTO {predicted:?} s",
        steps.join(", ")
    );
    assert_eq!(done.outcome, "Succeeded", "{done:?}");
    assert!(restarted && saw_verify_wait, "the promotion and the verify step were seen waiting");
    assert_eq!(promotions, 1, "one promotion, whatever the restarts");
    assert_eq!(s.writer_region.as_deref(), Some(west.as_str()));
    assert_eq!(s.active_region.as_deref(), Some(west.as_str()));
    assert_ne!(s.writer_region.as_deref(), Some(east.as_str()));
}

/// Runs passes (the CLI's request when given) until the move records an
/// outcome or, with `until_refused`, until the guards refuse it.
async fn move_until(
    f: &mut Fixture,
    aws: &AwsContext,
    endpoint: &mut Endpoint,
    request: Option<&Request>,
    until_refused: bool,
) -> Vec<String> {
    let before = f.stack.status.as_ref().map_or(0, |s| s.failover_history.len());
    let started = Instant::now();
    let mut events = Vec::new();
    loop {
        let outcome = pass(f, aws, request).await;
        assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
        events.extend(outcome.events.iter().map(|(r, m)| format!("{r}: {m}")));
        let s = status(f);
        if s.failover.as_ref().is_some_and(|p| p.step == "switch" || p.step == "verify") && !endpoint.running() {
            *endpoint = Endpoint::start(endpoint.port).await.expect("a loopback endpoint");
        }
        if s.failover_history.len() > before
            || (until_refused && events.iter().any(|e| e.starts_with("FailoverRefused")))
        {
            return events;
        }
        assert!(started.elapsed() < LIMIT, "the move did not finish: {:#?}", (&s.failover, &s.conditions));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn replication_that_stops_with_the_disaster_is_promoted_with_an_honest_rpo() {
    let emulator = Emulator::start_timed(SCALE);
    let aws = context(&emulator).await;
    let (mut f, mut endpoint, _) = ready_timed_stack(&aws, |p| p.guards.max_replica_lag_seconds = 30).await;
    // Some write load: the replica reports a lag, then the region dies and
    // replication with it.
    emulator.set_replication("us-west-2", STANDBY_DB, None, Some(0.5));
    pass(&mut f, &aws, None).await;
    let failed_at = unix_now();
    emulator.set_replication("us-west-2", STANDBY_DB, Some("error"), None);
    primary_fails(&emulator, &mut endpoint).await;
    let events = move_until(&mut f, &aws, &mut endpoint, None, false).await;
    let s = status(&f);
    let done = s.failover_history.last().cloned().unwrap_or_default();
    assert_eq!(done.outcome, "Succeeded", "{done:?}; events {events:?}");
    let rpo = done.rpo_estimate_seconds.expect("an RPO estimate");
    let bound = unix_now() - failed_at + 1;
    assert!((0..=bound).contains(&rpo), "RPO {rpo} s: never negative, never more than what followed the stop");
    alarm(&emulator, StateValue::Ok).await;
}

#[tokio::test]
async fn replication_that_stopped_long_before_the_disaster_is_refused_and_force_records_an_unknown_rpo() {
    let emulator = Emulator::start_timed(SCALE);
    let aws = context(&emulator).await;
    let (mut f, mut endpoint, _) = ready_timed_stack(&aws, |p| p.guards.max_replica_lag_seconds = 5).await;
    emulator.set_replication("us-west-2", STANDBY_DB, Some("stopped"), None);
    // The operator sees replication stopped, well before the disaster.
    pass(&mut f, &aws, None).await;
    let s = status(&f);
    let (healthy, _, message) = condition(&s, "ReplicationHealthy");
    assert_eq!(healthy, "False", "{message}");
    assert!(message.contains("replication is not running"), "{message}");
    let (ready, _, standby_message) = condition(&s, "StandbyReady");
    assert_eq!(ready, "False", "{standby_message}");
    tokio::time::sleep(Duration::from_secs(8)).await;

    primary_fails(&emulator, &mut endpoint).await;
    let events = move_until(&mut f, &aws, &mut endpoint, None, true).await;
    let refused = events.iter().find(|e| e.starts_with("FailoverRefused")).cloned().unwrap_or_default();
    assert!(refused.contains("replication is not running since"), "{refused}");
    assert!(refused.contains("above the RPO budget of 5 s"), "{refused}");
    let (replica, _) = standby_db(&emulator).await;
    assert!(replica, "nothing was promoted");
    assert_eq!(status(&f).epoch, 0);

    // A human forces it: promoted, the RPO recorded as unknown.
    let forced = Request { to: RegionRole::Standby, force: true, kind: "failover" };
    let f_events = move_until(&mut f, &aws, &mut endpoint, Some(&forced), false).await;
    let done = status(&f).failover_history.last().cloned().unwrap_or_default();
    assert_eq!(done.outcome, "Succeeded", "{done:?}; {f_events:?}");
    assert_eq!(done.rpo_estimate_seconds, None, "forced past a stopped replication: the RPO is unknown");
    assert!(!standby_db(&emulator).await.0, "the standby was promoted");
}

/// The emulator itself, through the SDK: AWS's states and refusals on the
/// scaled clock, and replication health as RDS reports it.
#[tokio::test]
async fn the_emulator_passes_through_aws_states_and_refuses_what_aws_refuses() {
    let emulator = Emulator::start_timed(SCALE);
    let east = aws_sdk_rds::Client::new(&emulator.sdk_config("us-east-1").await);
    let west = aws_sdk_rds::Client::new(&emulator.sdk_config("us-west-2").await);
    let state = |c: &aws_sdk_rds::Client, id: &'static str| {
        let c = c.clone();
        async move {
            let out = c.describe_db_instances().db_instance_identifier(id).send().await.expect("describe");
            let d = out.db_instances()[0].clone();
            (
                d.db_instance_status().unwrap_or_default().to_string(),
                d.read_replica_source_db_instance_identifier().is_some(),
                d,
            )
        }
    };
    east.create_db_instance()
        .db_instance_identifier("w")
        .engine("mysql")
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("admin")
        .master_user_password("Ch4nge-me-0n-day-1")
        .backup_retention_period(7)
        .send()
        .await
        .expect("create");
    assert_eq!(state(&east, "w").await.0, "creating");
    let source = "arn:aws:rds:us-east-1:123456789012:db:w";
    let refused = west
        .create_db_instance_read_replica()
        .db_instance_identifier("r")
        .source_db_instance_identifier(source)
        .send()
        .await;
    let code = refused.err().and_then(|e| e.into_service_error().meta().code().map(str::to_string));
    assert_eq!(code.as_deref(), Some("InvalidDBInstanceState"), "a replica of a source still creating");
    let mut seen = Vec::new();
    let started = Instant::now();
    while started.elapsed() < LIMIT {
        let s = state(&east, "w").await.0;
        if seen.last() != Some(&s) {
            seen.push(s.clone());
        }
        if s == "available" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen, ["creating", "backing-up", "available"]);
    west.create_db_instance_read_replica()
        .db_instance_identifier("r")
        .source_db_instance_identifier(source)
        .send()
        .await
        .expect("replica");
    let cw = aws_sdk_cloudwatch::Client::new(&emulator.sdk_config("us-west-2").await);
    // The newest one-second bucket's Maximum (a lag grows) or Minimum (a -1 among lags).
    let lag = |stat: &'static str| {
        let cw = cw.clone();
        async move {
            use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
            let metric = Metric::builder()
                .namespace("AWS/RDS")
                .metric_name("ReplicaLag")
                .dimensions(Dimension::builder().name("DBInstanceIdentifier").value("r").build())
                .build();
            let now = unix_now();
            let out = cw
                .get_metric_data()
                .metric_data_queries(
                    MetricDataQuery::builder()
                        .id("l")
                        // One-second buckets: on the scaled clock a minute of
                        // AWS's datapoints falls into one real second or less.
                        .metric_stat(MetricStat::builder().metric(metric).period(1).stat(stat).build())
                        .build(),
                )
                .start_time(aws_sdk_cloudwatch::primitives::DateTime::from_secs(now - 600))
                .end_time(aws_sdk_cloudwatch::primitives::DateTime::from_secs(now + 60))
                .send()
                .await
                .expect("metric data");
            out.metric_data_results().first().and_then(|r| r.values().first().copied())
        }
    };
    assert_eq!(lag("Maximum").await, None, "no ReplicaLag while the replica is creating");
    while state(&west, "r").await.0 != "available" {
        assert!(started.elapsed() < LIMIT, "the replica never became available");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(lag("Maximum").await, Some(0.0), "caught up without load");
    emulator.set_replication("us-west-2", "r", None, Some(3.0));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(lag("Maximum").await.is_some_and(|l| l > 0.0), "a write load the replica cannot keep up with");
    emulator.set_replication("us-west-2", "r", Some("error"), None);
    assert_eq!(lag("Minimum").await, Some(-1.0), "-1 while replication is not running");
    let (_, _, d) = state(&west, "r").await;
    let info = d.status_infos().iter().find(|s| s.status_type() == Some("read replication")).cloned();
    assert_eq!(info.as_ref().and_then(|i| i.normal()), Some(false));
    assert_eq!(info.as_ref().and_then(|i| i.status()), Some("error"));

    // A promotion leaves it a read-only replica for minutes, and one at a time.
    west.promote_read_replica().db_instance_identifier("r").send().await.expect("promote");
    let (s, replica, _) = state(&west, "r").await;
    assert_eq!((s.as_str(), replica), ("modifying", true));
    let again = west.promote_read_replica().db_instance_identifier("r").send().await;
    let code = again.err().and_then(|e| e.into_service_error().meta().code().map(str::to_string));
    assert_eq!(code.as_deref(), Some("InvalidDBInstanceState"), "a second promotion");
    let mut seen = Vec::new();
    while started.elapsed() < LIMIT {
        let (s, replica, _) = state(&west, "r").await;
        if seen.last() != Some(&(s.clone(), replica)) {
            seen.push((s.clone(), replica));
        }
        if !replica {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let expected: Vec<(String, bool)> =
        vec![("modifying".into(), true), ("rebooting".into(), true), ("available".into(), false)];
    assert_eq!(seen, expected);

    // Deleted: listed as deleting, a second delete refused, then gone.
    east.delete_db_instance().db_instance_identifier("w").skip_final_snapshot(true).send().await.expect("delete");
    assert_eq!(state(&east, "w").await.0, "deleting");
    let again = east.delete_db_instance().db_instance_identifier("w").skip_final_snapshot(true).send().await;
    assert!(again.is_err(), "a second delete");
}
