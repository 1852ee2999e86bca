//! Two replicas with leader election on the real API server: only the
//! leader changes AWS; killing it in the middle of a failover hands the
//! lease over within its duration and the other replica finishes the move
//! exactly once, with the same epoch.

use std::time::{Duration, Instant};

use aws_sdk_cloudwatch::types::StateValue;
use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;
use warmstandby_api::RegionRole;

use crate::failover::{alarm, database, finished_moves, probing, step};
use crate::support::{Endpoint, Operator, SYSTEM_NS, Scenario, wait_for};

const LEASE_SECONDS: u64 = 6;

async fn holder(s: &Scenario) -> Option<String> {
    let leases: Api<Lease> = Api::namespaced(s.admin.clone(), SYSTEM_NS);
    leases.get_opt(&s.lease).await.ok().flatten()?.spec?.holder_identity
}

/// Mutating AWS calls a replica has made (or tried).
fn mutating_calls(op: &Operator) -> f64 {
    op.metrics()
        .lines()
        .filter(|l| l.starts_with("warmstandby_aws_calls_total{"))
        .filter(|l| !["Describe", "Get", "List"].iter().any(|p| l.contains(&format!("operation=\"{p}"))))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_leader_hands_over_and_the_failover_finishes_exactly_once() {
    let s = Scenario::start("leader").await;
    let lease = format!("{LEASE_SECONDS}s");
    let mut a = s.operator("op-a", &["--lease-duration", &lease]);
    wait_for("op-a to hold the lease", Duration::from_secs(30), || async {
        holder(&s).await.as_deref() == Some("op-a")
    })
    .await;
    let b = s.operator("op-b", &["--lease-duration", &lease]);
    let mut endpoint = Endpoint::start(0).await.expect("a loopback endpoint");
    let mut ex = s.examples();
    probing(&mut ex, endpoint.port);
    s.create(&ex).await;
    s.wait_ready("bookstore", Duration::from_secs(120)).await;
    assert_eq!(holder(&s).await.as_deref(), Some("op-a"));
    wait_for("op-b to serve its metrics", Duration::from_secs(30), || async { !b.metrics().is_empty() }).await;
    // A scrape can come back empty on a busy machine: read until it answers.
    wait_for("the leader's metrics to show the calls that built the stack", Duration::from_secs(30), || async {
        mutating_calls(&a) > 0.0
    })
    .await;
    assert_eq!(mutating_calls(&b), 0.0, "the follower changed nothing in AWS");
    assert_eq!(b.metric("warmstandby_leader", &[]), 0.0, "the follower knows it is one");

    // The disaster; the move stops at verify while the endpoints are down.
    endpoint.stop();
    alarm(&s, StateValue::Alarm).await;
    wait_for("the failover to reach verify", Duration::from_secs(90), || async {
        step(&s.stack("bookstore").await).as_deref() == Some("verify")
    })
    .await;
    let st = s.stack("bookstore").await;
    let epoch = st.status.as_ref().and_then(|s| s.failover.as_ref()).map(|f| f.epoch).expect("a move in progress");
    assert_eq!(mutating_calls(&b), 0.0, "the follower changed nothing during the move");

    // The leader dies mid-failover.
    a.kill();
    let killed = Instant::now();
    let takeover = wait_for("op-b to take the lease", Duration::from_secs(LEASE_SECONDS * 3), || async {
        holder(&s).await.as_deref() == Some("op-b")
    })
    .await;
    // The standby answers now; the new leader verifies and finishes.
    endpoint = Endpoint::start(endpoint.port).await.expect("a loopback endpoint");
    wait_for("the failover to finish under op-b", Duration::from_secs(60), || async {
        finished_moves(&s.stack("bookstore").await) == 1
    })
    .await;
    let finished = killed.elapsed();
    let st = s.stack("bookstore").await;
    let status = st.status.clone().expect("status");
    let moves: Vec<_> = status.failover_history.iter().filter(|r| r.kind != "drill").collect();
    assert_eq!(moves.len(), 1, "the move finished exactly once: {moves:?}");
    assert_eq!((moves[0].epoch, moves[0].outcome.as_str(), moves[0].to), (epoch, "Succeeded", RegionRole::Standby));
    assert_eq!((status.epoch, status.active_role), (epoch, Some(RegionRole::Standby)), "the epoch is unchanged");
    assert_eq!(database(&s, "us-west-2", "standby").await, Some((false, Some(epoch.to_string()))));
    assert!(mutating_calls(&b) > 0.0, "the new leader acts");
    println!(
        "figures, leader handover: lease {LEASE_SECONDS} s; op-b held it {:.1} s after op-a was killed; \
         the failover finished {:.1} s after the kill",
        takeover.as_secs_f64(),
        finished.as_secs_f64()
    );

    alarm(&s, StateValue::Ok).await;
    let _ = s.delete_all("bookstore", Duration::from_secs(120)).await;
    assert_eq!(s.leftovers().await, Vec::<String>::new(), "every AWS resource is gone");
    drop(endpoint);
}
