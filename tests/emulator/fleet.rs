//! Shared fleet observation: a few stacks on one RegionPair, resynced
//! together, read each kind once per region (per account for the global
//! kinds), still find drift made outside the operator after the window, and
//! see their own repairs at once.

use std::time::Duration;

use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, ProtocolEnum};
use warmstandby_aws::AwsContext;
use warmstandby_aws::pacing::PacingStats;
use warmstandby_tests::Emulator;
use warmstandby_tests::fleet::{DRIFT_MADE, run};

use crate::throttling::{Bucket, buckets, total, within_rates};

#[tokio::test]
async fn a_fleet_resync_reads_each_kind_once_per_region_and_still_finds_every_drift() {
    let emulator = Emulator::start();
    let stacks = 3u64;
    let f = run(&emulator, stacks as usize, 4).await.unwrap_or_else(|e| panic!("the fleet run failed: {e}"));
    println!(
        "fleet of {stacks}: shared resync {} calls, each stack alone {}, naive {}; create {} calls in {:.1} s\n{}",
        f.shared.total(),
        f.per_stack.total(),
        f.naive.total(),
        f.create.total(),
        f.create_wall.as_secs_f64(),
        f.shared.table()
    );
    // Listings shared by every stack: once per region of the pair, or once
    // for the account.
    for (operation, reads) in [
        ("DescribeSecurityGroups", 2),
        ("DescribeLaunchTemplates", 2),
        ("DescribeLoadBalancers", 2),
        ("DescribeTargetGroups", 2),
        ("DescribeAutoScalingGroups", 2),
        ("ListCertificates", 2),
        ("ListBackupVaults", 2),
        ("ListSecrets", 2),
        ("DescribeListeners", 2),
        ("DescribeInstances", 1),
        ("DescribeImages", 1),
        ("ListBackupPlans", 1),
        ("ListHealthChecks", 1),
        ("ListDistributions", 1),
        ("ListWebACLs", 1),
        ("GetAccountAuthorizationDetails", 1),
    ] {
        assert_eq!(f.shared.count(operation), reads, "{operation} in a resync of {stacks} stacks");
    }
    // What has no fleet-wide listing is read per stack: the records of its
    // public and two private zones, its backup plan's selections.
    for (operation, per_stack) in [("ListResourceRecordSets", 3), ("ListBackupSelections", 1)] {
        assert_eq!(f.shared.count(operation), per_stack * stacks, "{operation} in a resync of {stacks} stacks");
    }
    assert!(f.shared.total() < f.per_stack.total() && f.per_stack.total() < f.naive.total());
    assert_eq!(f.drift_found, DRIFT_MADE, "every hand-made change is found after the window");
    assert_eq!(f.drift_elsewhere, 0, "the other stacks have nothing to repair");
}

/// Two owners' load balancers with `listeners` listeners each, made by hand.
async fn listeners_of_two_owners(aws: &AwsContext, region: &str, listeners: i32) -> [Vec<String>; 2] {
    let ec2 = aws.ec2(region);
    let vpc = ec2.create_vpc().cidr_block("10.9.0.0/16").send().await.expect("vpc");
    let vpc_id = vpc.vpc().and_then(|v| v.vpc_id()).expect("vpc id").to_string();
    let mut subnets = Vec::new();
    for (i, zone) in ["a", "b"].iter().enumerate() {
        let out = ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block(format!("10.9.{i}.0/24"))
            .availability_zone(format!("{region}{zone}"))
            .send()
            .await
            .expect("subnet");
        subnets.push(out.subnet().and_then(|s| s.subnet_id()).expect("subnet id").to_string());
    }
    let elb = aws.elbv2(region);
    let mut out: [Vec<String>; 2] = Default::default();
    for (owner, arns) in out.iter_mut().enumerate() {
        let lb = elb.create_load_balancer().name(format!("fleet-lb-{owner}")).set_subnets(Some(subnets.clone()));
        let lb = lb.send().await.expect("load balancer");
        let lb_arn = lb.load_balancers()[0].load_balancer_arn().expect("lb arn").to_string();
        let tg = elb
            .create_target_group()
            .name(format!("fleet-tg-{owner}"))
            .protocol(ProtocolEnum::Http)
            .port(80)
            .vpc_id(&vpc_id)
            .send()
            .await
            .expect("target group");
        let tg_arn = tg.target_groups()[0].target_group_arn().expect("tg arn").to_string();
        for port in 0..listeners {
            let forward = Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(&tg_arn).build();
            let l = elb
                .create_listener()
                .load_balancer_arn(&lb_arn)
                .protocol(ProtocolEnum::Http)
                .port(8080 + port)
                .default_actions(forward)
                .send()
                .await
                .expect("listener");
            arns.push(l.listeners()[0].listener_arn().expect("listener arn").to_string());
        }
    }
    out
}

#[tokio::test]
async fn listeners_are_read_once_for_every_owner_and_a_vanished_one_sends_each_owner_to_its_own_read() {
    let emulator = Emulator::start();
    let region = "us-east-1";
    let config = emulator.sdk_config(region).await;
    let hands = AwsContext::new(config.clone());
    let [a, b] = listeners_of_two_owners(&hands, region, 2).await;
    let fleet = AwsContext::new(config).with_shared_window(Duration::from_secs(600));
    let read = |owner: &'static str, hints: Vec<String>| {
        let fleet = &fleet;
        async move { warmstandby_aws::fleet::listeners(fleet, region, owner, &hints).await.expect("the read") }
    };
    let arns = |found: Option<Vec<aws_sdk_elasticloadbalancingv2::types::Listener>>| {
        let mut v: Vec<String> =
            found.unwrap_or_default().iter().filter_map(|l| l.listener_arn().map(str::to_string)).collect();
        v.sort();
        v
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };

    // The first owner's read asks for its own; the second, named after that
    // read, is not covered by it and reads its own.
    assert_eq!(arns(read("a", a.clone()).await), sorted(a.clone()));
    assert!(read("b", b.clone()).await.is_none(), "a read made before b named its listeners does not cover them");
    // The next read (after the window) asks for both owners' at once.
    fleet.shared().expire();
    let before = fleet.calls().snapshot().count("DescribeListeners");
    assert_eq!(arns(read("a", a.clone()).await), sorted(a.clone()));
    assert_eq!(arns(read("b", b.clone()).await), sorted(b.clone()), "each owner gets only its own");
    assert_eq!(fleet.calls().snapshot().count("DescribeListeners") - before, 1, "one call for both owners");

    // One of b's listeners deleted by hand: AWS answers the batch with
    // ListenerNotFound, so each owner reads its own this time ...
    hands.elbv2(region).delete_listener().listener_arn(&b[0]).send().await.expect("delete by hand");
    fleet.shared().expire();
    assert!(read("a", a.clone()).await.is_none(), "the batch failed: a reads its own");
    assert!(read("b", b.clone()).await.is_none());
    // ... and the owners name their current listeners again: shared once more.
    fleet.shared().expire();
    read("a", a.clone()).await;
    read("b", b[1..].to_vec()).await;
    fleet.shared().expire();
    assert_eq!(arns(read("a", a.clone()).await), sorted(a.clone()));
    assert_eq!(arns(read("b", b[1..].to_vec()).await), sorted(b[1..].to_vec()));
}

/// A stack's last status, naming its listeners in `region` and its alarm.
fn status_naming(region: &str, listeners: &[String], alarm: &str) -> warmstandby_api::ThreeTierStackStatus {
    let lb = warmstandby_api::LoadBalancerStatus { listener_arns: listeners.to_vec(), ..Default::default() };
    warmstandby_api::ThreeTierStackStatus {
        primary: Some(warmstandby_api::RegionStackStatus {
            region: region.to_string(),
            load_balancers: [("api".to_string(), lb)].into_iter().collect(),
            ..Default::default()
        }),
        global: Some(warmstandby_api::GlobalStackStatus { alarm_name: Some(alarm.to_string()), ..Default::default() }),
        ..Default::default()
    }
}

/// After a restart the operator names every stack's listeners and alarm from
/// the statuses it lists, so the first shared reads already cover the whole
/// fleet; alarms are read by those names (someone else's is not listed).
#[tokio::test]
async fn after_a_restart_the_first_shared_reads_cover_every_stack_named_in_the_statuses() {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};

    let emulator = Emulator::start();
    let region = "us-east-1";
    let config = emulator.sdk_config(region).await;
    let hands = AwsContext::new(config.clone());
    let [a, b] = listeners_of_two_owners(&hands, region, 2).await;
    let cw = hands.cloudwatch(region);
    for name in ["a-api-health", "b-api-health", "someone-elses-alarm"] {
        cw.put_metric_alarm()
            .alarm_name(name)
            .namespace("AWS/Route53")
            .metric_name("HealthCheckStatus")
            .statistic(Statistic::Minimum)
            .period(60)
            .evaluation_periods(1)
            .threshold(1.0)
            .comparison_operator(ComparisonOperator::LessThanThreshold)
            .send()
            .await
            .expect("alarm by hand");
    }

    let restarted = AwsContext::new(config).with_shared_window(Duration::from_secs(600));
    warmstandby_aws::fleet::remember_from_status(&restarted, "a", &status_naming(region, &a, "a-api-health"));
    warmstandby_aws::fleet::remember_from_status(&restarted, "b", &status_naming(region, &b, "b-api-health"));
    for (owner, mine) in [("a", &a), ("b", &b)] {
        let found = warmstandby_aws::fleet::listeners(&restarted, region, owner, mine).await.expect("listeners");
        assert_eq!(found.map(|l| l.len()), Some(2), "{owner}'s listeners come from the fleet's read");
        let alarm = warmstandby_aws::fleet::alarm(&restarted, owner, &format!("{owner}-api-health")).await;
        assert!(alarm.expect("alarm").is_some(), "{owner}'s alarm is found");
    }
    let calls = restarted.calls().snapshot();
    assert_eq!(calls.count("DescribeListeners"), 1, "one read for both stacks' listeners");
    assert_eq!(calls.count("DescribeAlarms"), 1, "one read for both stacks' alarms");
}

/// Per bucket: what one resync of a fleet sent and how AWS answered.
fn peaks(seen: &std::collections::BTreeMap<String, Bucket>) -> String {
    ["route53/global/all", "ec2/us-east-1/read", "elasticloadbalancing/us-east-1/read", "monitoring/us-east-1/read"]
        .iter()
        .filter_map(|k| seen.get(*k).map(|b| format!("{k} peak {}/s of {}/s", b.peak, b.refill)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Fleet sizes resynced under AWS's rates (the README's figures). The fleet
/// is built unthrottled (50 stacks: about two minutes of the two-core CI
/// machine); each resync runs under AWS's rates.
const FLEET_SIZES: [usize; 3] = [1, 10, 50];

#[tokio::test]
async fn a_fleet_resyncs_under_aws_rates_with_every_throttle_retried_and_no_failed_pass() {
    let emulator = Emulator::start();
    let sizes = FLEET_SIZES;
    let largest = sizes.iter().copied().max().unwrap_or(1);
    let mut fleet = warmstandby_tests::fleet::ready_fleet(&emulator, largest, 4)
        .await
        .unwrap_or_else(|e| panic!("the fleet was not built: {e}"));
    for n in sizes {
        emulator.set_throttling(true, true);
        fleet.fleet.shared().expire();
        let before = warmstandby_aws::pacing::stats(&emulator.endpoint);
        let calls_before = fleet.fleet.calls().snapshot();
        let started = std::time::Instant::now();
        let outcomes =
            warmstandby_tests::fleet::resync_fleet(&fleet.fleet, &fleet.checked, &mut fleet.stacks[..n], 4).await;
        let wall = started.elapsed();
        let calls = fleet.fleet.calls().snapshot().since(&calls_before).total();
        let seen = buckets(&emulator);
        let after = warmstandby_aws::pacing::stats(&emulator.endpoint);
        let delta = |f: &dyn Fn(&PacingStats) -> u64| total(&after, f) - total(&before, f);
        let (throttled, retried, gave_up) = (delta(&|s| s.throttled), delta(&|s| s.retried), delta(&|s| s.gave_up));
        let failed = outcomes.iter().filter(|o| !o.errors.is_empty()).count();
        println!(
            "benchmark, resync of {n} stacks under AWS's rates: {:.1} s, {calls} calls; {}; {throttled} throttled, {retried} retried, {failed} failed passes",
            wall.as_secs_f64(),
            peaks(&seen)
        );
        assert_eq!(failed, 0, "no pass fails: {:?}", outcomes.iter().flat_map(|o| &o.errors).collect::<Vec<_>>());
        assert!(outcomes.iter().all(|o| o.is_ready()), "every stack stays Ready");
        assert!(within_rates(&seen).is_empty(), "AWS's rates hold: {:?}", within_rates(&seen));
        let server: u64 = seen.values().map(|b| b.throttled).sum();
        assert_eq!(server, throttled, "the throttles AWS answered are the ones the operator saw");
        assert_eq!(retried + gave_up, throttled, "every throttle is retried up to the last attempt");
    }
    emulator.set_throttling(false, true);
}
