//! AWS's request rates: the emulator throttles at the documented rates
//! (`emulator/aws_rates.json`), the operator paces itself under them, and a
//! throttle that gets through anyway (another client of the account spent
//! the budget) is retried, never a failed pass.

use std::collections::BTreeMap;

use warmstandby_aws::pacing::PacingStats;
use warmstandby_controller::Intent;
use warmstandby_tests::Emulator;

use crate::stack::Fixture;
use crate::support::context;

/// The emulator's view of one bucket.
#[derive(Debug)]
pub(crate) struct Bucket {
    pub requests: u64,
    pub throttled: u64,
    pub peak: u64,
    pub refill: f64,
    pub capacity: f64,
}

pub(crate) fn buckets(emulator: &Emulator) -> BTreeMap<String, Bucket> {
    let view = emulator.throttling();
    view["buckets"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let n = |f: &str| v[f].as_u64().unwrap_or_default();
            let x = |f: &str| v[f].as_f64().unwrap_or_default();
            (
                k.clone(),
                Bucket {
                    requests: n("requests"),
                    throttled: n("throttled"),
                    peak: n("peak"),
                    refill: x("refill"),
                    capacity: x("capacity"),
                },
            )
        })
        .collect()
}

/// Peak admitted calls per second by bucket against AWS's rate, for figures.
pub(crate) fn table(buckets: &BTreeMap<String, Bucket>) -> String {
    buckets
        .iter()
        .map(|(k, b)| {
            format!(
                "  {k:<40} {:>6} requests, peak {:>3}/s (AWS: {} /s, burst {}), {} throttled\n",
                b.requests, b.peak, b.refill, b.capacity, b.throttled
            )
        })
        .collect()
}

/// What no second may exceed under a token bucket: the burst plus a second's refill.
pub(crate) fn within_rates(buckets: &BTreeMap<String, Bucket>) -> Vec<String> {
    buckets
        .iter()
        .filter(|(_, b)| b.peak as f64 > b.capacity + b.refill)
        .map(|(k, b)| format!("{k}: {} in one second", b.peak))
        .collect()
}

pub(crate) fn total(stats: &std::collections::HashMap<String, PacingStats>, f: impl Fn(&PacingStats) -> u64) -> u64 {
    stats.values().map(f).sum()
}

#[tokio::test]
async fn a_stack_built_under_aws_rates_is_paced_under_them_and_a_throttle_is_never_a_failed_pass() {
    let emulator = Emulator::start();
    emulator.set_throttling(true, true);
    let aws = context(&emulator).await;
    let mut f = Fixture::with_network(&aws).await;
    let passes = f.until_ready(&aws).await;
    let seen = buckets(&emulator);
    println!("benchmark, one stack created under AWS's rates in {passes} passes:\n{}", table(&seen));
    let throttled: u64 = seen.values().map(|b| b.throttled).sum();
    let paced = warmstandby_aws::pacing::stats(&emulator.endpoint);
    assert!(seen.contains_key("route53/global/all") && seen.contains_key("ec2/us-east-1/write"), "{seen:?}");
    assert_eq!(throttled, 0, "the operator paces itself under AWS's rates: {seen:?}");
    assert!(within_rates(&seen).is_empty(), "{:?}", within_rates(&seen));
    assert_eq!(total(&paced, |s| s.throttled), 0);

    // Another client of the account spends Route 53's budget (its bucket
    // emptied every 150 ms): the operator's calls are throttled, sent again
    // after a jittered backoff, and the passes neither fail nor report an
    // error; a call throttled on every attempt makes a pass wait, no more.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let competitor = {
        let (stop, port) = (stop.clone(), emulator.port);
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                warmstandby_tests::drain_bucket_at(port, "route53/global/all");
                std::thread::sleep(std::time::Duration::from_millis(150));
            }
        })
    };
    for round in 0..3 {
        let outcome = f.pass(&aws, Intent::Apply).await;
        assert!(outcome.errors.is_empty(), "round {round}: {:?}", outcome.errors);
        let status = outcome.status;
        assert!(
            status.conditions.iter().all(|c| c.reason != "AwsError"),
            "round {round}: a throttle is not an error condition: {:?}",
            status.conditions
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    competitor.join().expect("the competing client");
    let paced = warmstandby_aws::pacing::stats(&emulator.endpoint);
    let (throttled, retried, gave_up) =
        (total(&paced, |s| s.throttled), total(&paced, |s| s.retried), total(&paced, |s| s.gave_up));
    println!(
        "benchmark, Route 53's budget spent by another client: {throttled} throttles, {retried} retried, {gave_up} still throttled after every attempt (a waiting pass)"
    );
    assert!(throttled > 0, "the competing client's spending throttled the operator: {paced:?}");
    assert_eq!(retried + gave_up, throttled, "every throttle is retried up to the last attempt");
    assert_eq!(buckets(&emulator)["route53/global/all"].throttled, throttled, "the emulator saw the same throttles");
    let last = f.pass(&aws, Intent::Apply).await;
    assert!(last.is_ready(), "once the budget is back the stack is Ready: {:?}", last.status.conditions);
    f.teardown(&aws).await;
}
