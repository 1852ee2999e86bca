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

/// Route 53 limits some actions on their own besides the account's bucket:
/// GetHealthCheckStatus, which detection reads while a region looks dead,
/// is allowed a burst of 4 and 1 a second. The operator's pacing keeps to
/// that bucket too; a client that does not is throttled by it while the
/// account's bucket still has room.
#[tokio::test]
async fn route53s_own_limit_on_health_check_status_is_kept_as_well_as_the_accounts() {
    use aws_sdk_route53::types::{HealthCheckConfig, HealthCheckType};

    let emulator = Emulator::start();
    emulator.set_throttling(true, true);
    let paced = aws_sdk_route53::Client::new(&emulator.paced_sdk_config("us-east-1").await);
    let config = HealthCheckConfig::builder()
        .r#type(HealthCheckType::Http)
        .fully_qualified_domain_name("shop.example.com")
        .port(80)
        .resource_path("/health")
        .build()
        .expect("a health check config");
    let made = paced.create_health_check().caller_reference("status-bucket").health_check_config(config).send().await;
    let id = made.expect("a health check").health_check().map(|h| h.id().to_string()).expect("its ID");

    let started = std::time::Instant::now();
    for n in 0..7 {
        paced.get_health_check_status().health_check_id(&id).send().await.unwrap_or_else(|e| panic!("read {n}: {e:?}"));
    }
    let own_key = "route53/global/action:GetHealthCheckStatus";
    let seen = buckets(&emulator);
    let own = &seen[own_key];
    let client = warmstandby_aws::pacing::stats(&emulator.endpoint);
    println!(
        "benchmark, 7 health check status reads paced under Route 53's 4 + 1/s: {:.1} s, {} waited for a token\n{}",
        started.elapsed().as_secs_f64(),
        client[own_key].paced,
        table(&seen)
    );
    assert_eq!((own.capacity, own.refill), (4.0, 1.0), "AWS's figures for the action");
    assert_eq!((own.requests, own.throttled), (7, 0), "paced under the action's own bucket: {seen:?}");
    assert!(client[own_key].paced >= 3, "the reads beyond the burst waited: {:?}", client[own_key]);
    assert_eq!(seen["route53/global/all"].throttled, 0);

    // The plain SDK, unpaced, is throttled by the action's bucket alone.
    let raw = aws_sdk_route53::Client::new(&emulator.sdk_config("us-east-1").await);
    for _ in 0..7 {
        let _ = raw.get_health_check_status().health_check_id(&id).send().await;
    }
    let seen = buckets(&emulator);
    assert!(seen[own_key].throttled > 0, "{seen:?}");
    assert_eq!(seen["route53/global/all"].throttled, 0, "the account's bucket had room: {seen:?}");
}
