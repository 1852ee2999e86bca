//! Fault sweeps over the lifecycle. The whole lifecycle (create, drift
//! repair, failover, failback, destroy) runs under 10 % injected AWS faults
//! for fixed seeds: each service's own throttling error, 500 and 503 (not
//! applied), answers that come after the client's timeout and connections
//! dropped after the call landed (applied, but the caller sees an error). A destroy crashes after each
//! of its mutating calls, as the create and the failover already do. CI
//! samples (one seed, every 8th crash point); `WARMSTANDBY_FULL_SWEEP=1`
//! runs them all.

use std::time::Instant;

use aws_sdk_cloudwatch::types::StateValue;
use warmstandby_api::RegionRole;
use warmstandby_aws::AwsContext;
use warmstandby_controller::stack;
use warmstandby_core::failover::Request;
use warmstandby_tests::census::{census, differences};
use warmstandby_tests::{Emulator, LoopbackEndpoint as Endpoint};

use crate::failover::{alarm, pass_following, primary_fails, ready_stack, with_probing_policy};
use crate::stack::{CLASSIC, Fixture, owned};
use crate::support::context;

/// How long one phase of the timed lifecycle may take (real time), and how
/// often a pass that only waits polls.
const PHASE_LIMIT: std::time::Duration = std::time::Duration::from_secs(240);
const WAIT_POLL: std::time::Duration = std::time::Duration::from_millis(100);

fn full() -> bool {
    std::env::var("WARMSTANDBY_FULL_SWEEP").is_ok_and(|v| v == "1")
}

/// What one phase took: passes, and the passes or actions that failed.
#[derive(Default)]
struct Phase {
    passes: usize,
    failed: usize,
    /// Per pass: what it applied and the errors it met (for failure messages).
    log: Vec<String>,
}

/// Passes of `f` with `aws` until `done` says so; at most `limit` passes.
async fn passes_until(
    f: &mut Fixture,
    aws: &AwsContext,
    endpoint: &mut Endpoint,
    request: Option<&Request>,
    what: &str,
    done: impl Fn(&stack::StackOutcome) -> bool,
) -> Phase {
    let mut phase = Phase::default();
    let mut last = Vec::new();
    let started = Instant::now();
    while started.elapsed() < PHASE_LIMIT {
        let outcome = pass_following(f, aws, endpoint, request).await;
        phase.passes += 1;
        phase.failed += outcome.errors.len();
        phase.log.push(format!(
            "pass {}: ready {}, drift {:?}, applied {:?}, errors {:?}",
            phase.passes,
            outcome.is_ready(),
            outcome.status.drift,
            outcome.applied,
            outcome.errors.iter().map(ToString::to_string).collect::<Vec<_>>()
        ));
        if done(&outcome) {
            return phase;
        }
        last = outcome.applied.iter().cloned().chain(outcome.errors.iter().map(ToString::to_string)).collect();
        if outcome.applied.is_empty() {
            // AWS is working (on the emulator's scaled clock).
            tokio::time::sleep(WAIT_POLL).await;
        }
    }
    panic!(
        "{what} did not finish in {PHASE_LIMIT:?} ({} passes); the last applied and failed {last:?}; conditions {:?}",
        phase.passes,
        f.stack.status.as_ref().map(|s| &s.conditions)
    );
}

fn history(s: &warmstandby_api::ThreeTierStackStatus) -> usize {
    s.failover_history.iter().filter(|r| r.outcome == "Succeeded").count()
}

#[tokio::test]
async fn the_whole_lifecycle_converges_under_ten_percent_aws_faults() {
    let seeds: &[u64] = if full() { &[3, 11, 2026, 4242, 77] } else { &[2026] };
    for &seed in seeds {
        let started = Instant::now();
        // On AWS's clock: databases take minutes of it, promotions stay
        // read-only, distributions deploy, NAT gateways are pending.
        let emulator = Emulator::start_timed(crate::timed::SCALE);
        let baseline = census(&emulator).await;
        // As on AWS: the operator holds only its policy, and AWS throttles.
        let operator = crate::support::least_privilege(&emulator, None).await;
        let setup = AwsContext::new(operator.clone());
        let mut endpoint = Endpoint::start(0).await.expect("a loopback endpoint");
        let mut f = crate::timed::with_ready_network(&setup).await;
        with_probing_policy(&mut f, endpoint.port, |_| {});
        let faulty = crate::support::faulty_context_on(operator, 10, seed);

        let create = passes_until(&mut f, &faulty, &mut endpoint, None, "create", stack::StackOutcome::is_ready).await;
        assert_eq!(owned(&emulator, &f).await, CLASSIC, "seed {seed}: duplicates after the create");
        assert_eq!(crate::edge::edge_census(&emulator).await, crate::edge::classic_edge(), "seed {seed}");

        // Drift: the api's auto scaling group resized by hand.
        let asg = aws_sdk_autoscaling::Client::new(&emulator.sdk_config("us-east-1").await);
        asg.update_auto_scaling_group()
            .auto_scaling_group_name("bookstore-bookstore-api")
            .max_size(9)
            .send()
            .await
            .unwrap();
        // Done once a pass has found the change and a later one finds
        // nothing to repair: a pass that could not compare the group (its
        // launch template or target group unread under the faults) finds no
        // drift without having looked, and must not end the phase.
        let repaired = std::cell::Cell::new(false);
        let drift = passes_until(&mut f, &faulty, &mut endpoint, None, "drift repair", |o| {
            let done = repaired.get() && o.is_ready() && o.status.drift.is_empty();
            // Seen by the pass that repaired it (whether its call answered
            // or was dropped after it landed).
            let seen = o.status.drift.iter().any(|d| d.resource == "bookstore-bookstore-api" && d.found == "9");
            repaired.set(repaired.get() || seen);
            done
        })
        .await;
        let groups =
            asg.describe_auto_scaling_groups().auto_scaling_group_names("bookstore-bookstore-api").send().await;
        let max = groups.unwrap().auto_scaling_groups()[0].max_size();
        assert_eq!(max, Some(6), "seed {seed}: the hand-made change was repaired; passes {:#?}", drift.log);

        primary_fails(&emulator, &mut endpoint).await;
        let failover =
            passes_until(&mut f, &faulty, &mut endpoint, None, "failover", |o| history(&o.status) == 1).await;
        assert_eq!(f.stack.status.as_ref().unwrap().active_role, Some(RegionRole::Standby), "seed {seed}");

        alarm(&emulator, StateValue::Ok).await;
        let rebuild =
            passes_until(&mut f, &faulty, &mut endpoint, None, "rebuild", stack::StackOutcome::is_ready).await;
        let request = Request { to: RegionRole::Primary, force: false, kind: "failback" };
        let failback =
            passes_until(&mut f, &faulty, &mut endpoint, Some(&request), "failback", |o| history(&o.status) == 2).await;
        assert_eq!(f.stack.status.as_ref().unwrap().active_role, Some(RegionRole::Primary), "seed {seed}");

        let mut destroy = Phase::default();
        let mut wait = None;
        loop {
            let t =
                stack::teardown(&faulty, f.checked.set.stack_inputs(&f.stack), "20260101000000", wait.as_ref()).await;
            wait = t.wait.clone();
            destroy.passes += 1;
            destroy.failed += t.errors.len();
            if t.finished {
                break;
            }
            if t.applied.is_empty() {
                tokio::time::sleep(WAIT_POLL).await;
            }
            assert!(
                started.elapsed() < 4 * PHASE_LIMIT,
                "seed {seed}: the destroy did not finish: waiting {:?}, errors {:?}",
                t.waiting,
                t.errors.iter().map(ToString::to_string).collect::<Vec<_>>()
            );
        }
        let mut wait = None;
        loop {
            let t = warmstandby_controller::region_pair::teardown(&faulty, &f.pair, wait.as_ref()).await;
            wait = t.wait.clone();
            destroy.passes += 1;
            destroy.failed += t.errors.len();
            if t.finished {
                break;
            }
            if t.applied.is_empty() {
                tokio::time::sleep(WAIT_POLL).await;
            }
            assert!(started.elapsed() < 4 * PHASE_LIMIT, "seed {seed}: the networks were not deleted: {:?}", t.waiting);
        }
        let left = differences(&baseline, &census(&emulator).await);
        assert!(left.is_empty(), "seed {seed}: left behind: {left:?}");
        let injected = faulty.calls().injected();
        let by_kind = faulty.calls().injected_by_kind();
        assert_eq!(by_kind.len(), 5, "seed {seed}: every fault kind was injected: {by_kind:?}");
        let kinds: Vec<String> = by_kind.iter().map(|(k, n)| format!("{} {n}", k.as_str())).collect();
        println!(
            "sweep seed {seed}: {injected} faults injected ({}); passes (failed calls) create {} ({}), drift {} ({}), \
             failover {} ({}), rebuild {} ({}), failback {} ({}), destroy {} ({}); {:.1} s; no duplicates, nothing left",
            kinds.join(", "),
            create.passes,
            create.failed,
            drift.passes,
            drift.failed,
            failover.passes,
            failover.failed,
            rebuild.passes,
            rebuild.failed,
            failback.passes,
            failback.failed,
            destroy.passes,
            destroy.failed,
            started.elapsed().as_secs_f64()
        );
    }
}

/// A destroy killed after its k-th mutating call, then run again from
/// scratch (no status), leaves nothing and deletes nothing twice.
#[tokio::test]
async fn a_crash_after_any_mutating_call_of_a_destroy_leaves_nothing() {
    let emulator = Emulator::start();
    let baseline = census(&emulator).await;
    let aws = context(&emulator).await;
    let (mut f, _endpoint) = ready_stack(&aws, |_| {}).await;
    let before = aws.calls().snapshot();
    f.teardown(&aws).await;
    let total = aws.calls().snapshot().since(&before).mutating();
    assert!(total >= 40, "{total}");
    let step = if full() { 1 } else { 8 };
    let mut crashes = 0;
    for k in (1..=total).step_by(step) {
        emulator.reset();
        let setup = context(&emulator).await;
        let (mut f, _endpoint) = ready_stack(&setup, |_| {}).await;
        let crashing = context(&emulator).await;
        crashing.calls().crash_after_mutations(k);
        for _ in 0..30 {
            let t = stack::teardown(&crashing, f.checked.set.stack_inputs(&f.stack), "20260101000000", None).await;
            if crashing.calls().crashed() || t.finished {
                break;
            }
        }
        assert!(crashing.calls().crashed(), "k={k}: never reached mutating call {k}");
        crashes += 1;
        let restarted = context(&emulator).await;
        f.stack.status = None;
        f.teardown(&restarted).await;
        for _ in 0..30 {
            if warmstandby_controller::region_pair::teardown(&restarted, &f.pair, None).await.finished {
                break;
            }
        }
        let left = differences(&baseline, &census(&emulator).await);
        assert!(left.is_empty(), "k={k}: left behind after a crash at deleting call {k}: {left:?}");
    }
    println!("destroy crash sweep: {crashes} of {total} crash points (every {step}); each rerun left nothing");
}
