//! Automatic failover through the real API server: the operator's probes
//! watch loopback endpoints that the test stops, the health-check alarm is
//! set to ALARM (the emulator evaluates no health), and the operator alone
//! moves the stack to the standby; then a spec change moves it back.

use std::time::{Duration, Instant};

use aws_sdk_cloudwatch::types::StateValue;
use kube::api::{Patch, PatchParams};
use serde_json::json;
use warmstandby_api::{RegionRole, TAG_EPOCH, ThreeTierStack};

use crate::support::{Endpoint, Examples, Operator, Scenario, wait_for};

pub const INTERVAL: i32 = 2;
pub const THRESHOLD: i32 = 2;
pub const DEBOUNCE: i32 = 5;

/// The example policy, detecting by the alarm and the operator's probes of `port`.
pub fn probing(ex: &mut Examples, port: u16) {
    let d = &mut ex.policy.spec.detection;
    d.route53_health_check = false;
    d.cloud_watch_alarm = true;
    d.probes.enabled = true;
    d.probes.api_url = Some(format!("http://127.0.0.1:{port}/health"));
    d.probes.web_url = Some(format!("http://127.0.0.1:{port}/"));
    d.probes.interval_seconds = INTERVAL;
    d.probes.failure_threshold = THRESHOLD;
    d.probes.recovery_threshold = 1;
    d.probes.timeout_seconds = 1;
    d.required_signals = 2;
    d.debounce_seconds = DEBOUNCE;
}

/// Sets the stack's health-check alarm (the emulator never evaluates it).
pub async fn alarm(s: &Scenario, state: StateValue) {
    let cw = aws_sdk_cloudwatch::Client::new(&s.emulator.sdk_config("us-east-1").await);
    cw.set_alarm_state()
        .alarm_name(format!("{}-bookstore-api-health", s.ns))
        .state_value(state)
        .state_reason("cluster test")
        .send()
        .await
        .unwrap_or_else(|e| panic!("set the alarm state: {e}"));
}

/// The epoch tag and replica flag of a database, from RDS itself.
pub async fn database(s: &Scenario, region: &str, role: &str) -> Option<(bool, Option<String>)> {
    let rds = aws_sdk_rds::Client::new(&s.emulator.sdk_config(region).await);
    let id = format!("{}-bookstore-{role}-db", s.ns);
    let out = rds.describe_db_instances().db_instance_identifier(&id).send().await.ok()?;
    let db = out.db_instances().first()?;
    let epoch = db.tag_list().iter().find(|t| t.key() == Some(TAG_EPOCH)).and_then(|t| t.value()).map(str::to_string);
    Some((db.read_replica_source_db_instance_identifier().is_some(), epoch))
}

/// Which region the PRIMARY `api.<domain>` record sends traffic to.
pub async fn primary_record_region(s: &Scenario) -> Option<String> {
    let r53 = aws_sdk_route53::Client::new(&s.emulator.sdk_config("us-east-1").await);
    let zones = r53.list_hosted_zones_by_name().dns_name("bookstore.example.com").send().await.ok()?;
    let zone = zones.hosted_zones().iter().find(|z| z.name() == "bookstore.example.com.")?;
    let sets = r53.list_resource_record_sets().hosted_zone_id(zone.id()).send().await.ok()?;
    sets.resource_record_sets()
        .iter()
        .find(|r| r.name().starts_with("api.") && r.failover().map(|f| f.as_str()) == Some("PRIMARY"))
        .and_then(|r| r.set_identifier().map(str::to_string))
}

pub fn step(st: &ThreeTierStack) -> Option<String> {
    st.status.as_ref().and_then(|s| s.failover.as_ref()).map(|f| f.step.clone())
}

pub fn finished_moves(st: &ThreeTierStack) -> usize {
    st.status.as_ref().map(|s| s.failover_history.iter().filter(|r| r.kind != "drill").count()).unwrap_or(0)
}

/// Follows a move until it is recorded as finished. Once DNS and CloudFront
/// point at the target (step `verify`), the target's endpoints answer: the
/// test starts the loopback endpoint again, as the standby region would.
/// Returns (time until traffic pointed at the target, time until done).
pub async fn follow_move(
    s: &Scenario,
    endpoint: &mut Endpoint,
    before: usize,
    limit: Duration,
    op: &Operator,
) -> (Duration, Duration) {
    let started = Instant::now();
    let mut switched = None;
    loop {
        let st = s.stack("bookstore").await;
        let at = step(&st);
        if switched.is_none() && at.as_deref() == Some("verify") {
            switched = Some(started.elapsed());
        }
        if at.as_deref() == Some("verify") && !endpoint.running() {
            *endpoint = Endpoint::start(endpoint.port).await.expect("a loopback endpoint");
        }
        if finished_moves(&st) > before {
            let done = started.elapsed();
            return (switched.unwrap_or(done), done);
        }
        assert!(
            started.elapsed() < limit,
            "no move finished within {limit:?}; detection {:?}, move {:?}\n{}",
            st.status.as_ref().and_then(|s| s.detection.clone()),
            st.status.as_ref().and_then(|s| s.failover.clone()),
            op.log_tail(20)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_operator_fails_over_by_itself_and_back_on_a_spec_change() {
    // AWS's time, a hundred times faster: databases take minutes of it,
    // promotions stay read-only for minutes, distributions deploy.
    let s = Scenario::start_with("failover", warmstandby_tests::Clock::Scaled(0.01)).await;
    let mut endpoint = Endpoint::start(0).await.expect("a loopback endpoint");
    let op = s.operator("op-a", &[]);
    let mut ex = s.examples();
    probing(&mut ex, endpoint.port);
    s.create(&ex).await;
    s.wait_ready("bookstore", Duration::from_secs(240)).await;

    // Drift made by hand is found and repaired by the operator.
    let asg = aws_sdk_autoscaling::Client::new(&s.emulator.sdk_config("us-east-1").await);
    let web = asg
        .describe_auto_scaling_groups()
        .send()
        .await
        .expect("describe auto scaling groups")
        .auto_scaling_groups()
        .iter()
        .find(|g| g.auto_scaling_group_name().is_some_and(|n| n.contains("web")))
        .and_then(|g| g.auto_scaling_group_name().map(str::to_string))
        .expect("the primary web group");
    asg.update_auto_scaling_group()
        .auto_scaling_group_name(&web)
        .max_size(9)
        .send()
        .await
        .expect("drift the web group's maximum");
    wait_for("the drifted maximum to be repaired", Duration::from_secs(120), || async {
        let out = asg.describe_auto_scaling_groups().auto_scaling_group_names(&web).send().await;
        out.ok().and_then(|o| o.auto_scaling_groups().first().map(|g| g.max_size())) != Some(Some(9))
    })
    .await;
    s.wait_ready("bookstore", Duration::from_secs(60)).await;
    // Healthy for a few probe intervals: nothing moves.
    tokio::time::sleep(Duration::from_secs(u64::try_from(INTERVAL * 2).unwrap_or(4))).await;
    let st = s.stack("bookstore").await;
    assert_eq!((finished_moves(&st), st.status.as_ref().and_then(|s| s.active_role)), (0, Some(RegionRole::Primary)));

    // Every DriftRepaired told so far (the hand-made drift): name and count.
    let repairs = || async {
        let events: kube::Api<k8s_openapi::api::events::v1::Event> = kube::Api::namespaced(s.admin.clone(), &s.ns);
        let list = events.list(&Default::default()).await.expect("list events").items;
        list.into_iter()
            .filter(|e| e.reason.as_deref() == Some("DriftRepaired"))
            .map(|e| (e.metadata.name.unwrap_or_default(), e.series.map_or(1, |s| s.count)))
            .collect::<std::collections::BTreeMap<String, i32>>()
    };
    let repairs_before = repairs().await;

    // The disaster: the primary's endpoints stop answering and the alarm fires.
    endpoint.stop();
    alarm(&s, StateValue::Alarm).await;
    let (serving, done) = follow_move(&s, &mut endpoint, 0, Duration::from_secs(120), &op).await;
    let st = s.stack("bookstore").await;
    let status = st.status.clone().expect("status");
    let record = status.failover_history.last().cloned().expect("a finished move");
    assert_eq!((record.outcome.as_str(), record.to, record.epoch), ("Succeeded", RegionRole::Standby, 1), "{record:?}");
    assert_eq!(status.active_role, Some(RegionRole::Standby));
    assert_eq!(primary_record_region(&s).await.as_deref(), Some("us-west-2"), "api.<domain> leads to the standby");
    assert_eq!(database(&s, "us-west-2", "standby").await, Some((false, Some("1".into()))), "the standby writes");
    // The move is told as events with stable reasons; failures warn.
    let events: kube::Api<k8s_openapi::api::events::v1::Event> = kube::Api::namespaced(s.admin.clone(), &s.ns);
    let seen: Vec<(String, String)> = events
        .list(&Default::default())
        .await
        .expect("list events")
        .items
        .into_iter()
        .map(|e| (e.reason.unwrap_or_default(), e.type_.unwrap_or_default()))
        .collect();
    for (reason, type_) in [
        ("FailureDetected", "Warning"),
        ("FailoverStarted", "Normal"),
        ("FailoverDecided", "Normal"),
        ("FailoverStep", "Normal"),
        ("FailoverSucceeded", "Normal"),
    ] {
        assert!(seen.contains(&(reason.to_string(), type_.to_string())), "{reason} ({type_}) in {seen:?}");
    }
    // The move's changes are told as the move's, not as repaired drift.
    assert!(seen.iter().any(|(reason, _)| reason == "FailoverChangesApplied"), "{seen:?}");
    assert_eq!(repairs().await, repairs_before, "no DriftRepaired during the move: {seen:?}");
    let budget = f64::from(DEBOUNCE + INTERVAL * THRESHOLD) + 10.0;
    println!(
        "figures, automatic failover on the real API server: disaster to the standby serving {:.1} s, to the move \
         recorded as done {:.1} s (budget debounce {DEBOUNCE} s + probe interval {INTERVAL} s x threshold {THRESHOLD} + 10 s = {budget:.0} s); \
         RTO recorded {:?} s",
        serving.as_secs_f64(),
        done.as_secs_f64(),
        record.rto_seconds
    );

    // The primary region comes back: the alarm clears, the former writer is
    // rebuilt as a replica of the new writer.
    alarm(&s, StateValue::Ok).await;
    wait_for("the former writer to be rebuilt as a replica", Duration::from_secs(120), || async {
        database(&s, "us-east-1", "primary").await.is_some_and(|(replica, _)| replica)
    })
    .await;

    // Failback by a spec change: the field moves to where the stack now is,
    // then back home (a change of the field is the request).
    let stacks = s.stacks();
    let set_active = |region: &'static str| {
        let stacks = stacks.clone();
        async move {
            let patch = json!({"spec": {"activeRegion": region}});
            stacks
                .patch("bookstore", &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .expect("patch activeRegion");
        }
    };
    set_active("standby").await;
    wait_for("the stack to take spec.activeRegion=standby as where it is", Duration::from_secs(60), || async {
        let st = s.stack("bookstore").await;
        st.status.as_ref().and_then(|s| s.requested_active_region) == Some(RegionRole::Standby)
            && st.status.as_ref().and_then(|s| s.observed_generation) == st.metadata.generation
    })
    .await;
    assert_eq!(finished_moves(&s.stack("bookstore").await), 1, "acknowledging where the stack is moves nothing");
    set_active("primary").await;
    let (_, back) = follow_move(&s, &mut endpoint, 1, Duration::from_secs(180), &op).await;
    let st = s.stack("bookstore").await;
    let status = st.status.clone().expect("status");
    let record = status.failover_history.last().cloned().expect("the failback");
    assert_eq!((record.outcome.as_str(), record.to, record.epoch), ("Succeeded", RegionRole::Primary, 2), "{record:?}");
    assert_eq!(status.active_role, Some(RegionRole::Primary));
    assert_eq!(primary_record_region(&s).await.as_deref(), Some("us-east-1"));
    println!("figures, failback by a spec change: {:.1} s from the change to done", back.as_secs_f64());

    let _ = s.delete_all("bookstore", Duration::from_secs(120)).await;
    assert_eq!(s.leftovers().await, Vec::<String>::new(), "every AWS resource is gone");
}
