//! EC2's eventual consistency: a resource just created is missing from
//! describes for a moment. Passes run back to back inside that moment and
//! still create nothing twice.

use std::time::{Duration, Instant};

use warmstandby_controller::{Intent, region_pair};
use warmstandby_tests::Emulator;
use warmstandby_tests::census::{census, differences};

use crate::stack::{CLASSIC, Fixture, owned};
use crate::support::{CLASSIC_COUNTS, REGIONS, context, owned_counts};

/// How long the emulator hides a new EC2 resource.
const HIDDEN_FOR: f64 = 1.5;
const LIMIT: Duration = Duration::from_secs(120);

#[tokio::test]
async fn new_ec2_resources_missing_from_describes_for_a_moment_are_never_made_twice() {
    let emulator = Emulator::start();
    let baseline = census(&emulator).await;
    emulator.set_consistency_seconds(HIDDEN_FOR);
    let aws = context(&emulator).await;
    let checked =
        warmstandby_cli::check::load_and_check(&[warmstandby_tests::repo_root().join("deploy/examples")]).unwrap();
    let mut pair = checked.set.region_pairs[0].clone();
    let started = Instant::now();
    let mut waited_on_consistency = 0;
    let mut passes = 0;
    loop {
        passes += 1;
        let outcome = region_pair::reconcile(&aws, &pair, Intent::Apply, "2026-01-01T00:00:00Z").await;
        assert!(outcome.errors.is_empty(), "pass {passes}: {:?}", outcome.errors);
        let waiting = format!("{:?}", outcome.status.conditions);
        if waiting.contains("does not describe it yet") {
            waited_on_consistency += 1;
        }
        pair.status = Some(outcome.status.clone());
        if outcome.is_ready() {
            break;
        }
        assert!(started.elapsed() < LIMIT, "the networks are not Ready: {:?}", pair.status);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "networks Ready in {passes} passes, {waited_on_consistency} of them waiting for EC2 to describe what was just created"
    );
    assert!(waited_on_consistency > 0, "passes ran inside the moment EC2 hides new resources");

    let stack = checked.set.stacks[0].clone();
    let mut f = Fixture { checked, pair, stack };
    let mut stack_passes = 0;
    loop {
        stack_passes += 1;
        let outcome = f.pass(&aws, Intent::Apply).await;
        assert!(outcome.errors.is_empty(), "stack pass {stack_passes}: {:?}", outcome.errors);
        if outcome.is_ready() {
            break;
        }
        assert!(started.elapsed() < LIMIT, "the stack is not Ready: {:?}", f.stack.status);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Once everything is visible: exactly one of each.
    tokio::time::sleep(Duration::from_secs_f64(HIDDEN_FOR + 0.5)).await;
    let uid = f.pair.metadata.uid.clone().unwrap_or_default();
    assert_eq!(owned_counts(&emulator, &uid).await, REGIONS.map(|r| (r.to_string(), CLASSIC_COUNTS)).to_vec());
    assert_eq!(owned(&emulator, &f).await, CLASSIC.to_vec(), "no security group or bastion twice");

    f.teardown(&aws).await;
    loop {
        let t = region_pair::teardown(&aws, &f.pair, None).await;
        assert!(t.errors.is_empty(), "{:?}", t.errors);
        if t.finished {
            break;
        }
        assert!(started.elapsed() < LIMIT, "the networks were not deleted: {:?}", t.waiting);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs_f64(HIDDEN_FOR + 0.5)).await;
    let left = differences(&baseline, &census(&emulator).await);
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// A tag added to an existing resource is not seen by describes for a
/// moment either, and a changed tag shows its old value meanwhile.
#[tokio::test]
async fn a_tag_added_to_an_existing_resource_is_seen_a_moment_later() {
    let emulator = Emulator::start();
    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk_config("us-east-1").await);
    emulator.set_consistency_seconds(HIDDEN_FOR);
    let vpc = ec2.create_vpc().cidr_block("10.77.0.0/16").send().await.expect("a VPC");
    let vpc = vpc.vpc().and_then(|v| v.vpc_id()).expect("its ID").to_string();
    tokio::time::sleep(Duration::from_secs_f64(HIDDEN_FOR + 0.2)).await;
    let by_tag = |value: &'static str| {
        let ec2 = ec2.clone();
        async move {
            let filter = aws_sdk_ec2::types::Filter::builder().name("tag:team").values(value).build();
            ec2.describe_vpcs().filters(filter).send().await.expect("describe").vpcs().len()
        }
    };
    let tag = |value: &str| aws_sdk_ec2::types::Tag::builder().key("team").value(value).build();
    ec2.create_tags().resources(&vpc).tags(tag("blue")).send().await.expect("tagged");
    assert_eq!(by_tag("blue").await, 0, "a tag just added is not seen yet");
    tokio::time::sleep(Duration::from_secs_f64(HIDDEN_FOR + 0.2)).await;
    assert_eq!(by_tag("blue").await, 1, "and is seen a moment later");
    ec2.create_tags().resources(&vpc).tags(tag("green")).send().await.expect("retagged");
    assert_eq!((by_tag("blue").await, by_tag("green").await), (1, 0), "a changed tag shows its old value for a moment");
    tokio::time::sleep(Duration::from_secs_f64(HIDDEN_FOR + 0.2)).await;
    assert_eq!((by_tag("blue").await, by_tag("green").await), (0, 1));
}

/// The fence's epoch tag lags like any tag: the failover fences the old
/// writer, keeps to its steps and finishes with the fence carrying its
/// epoch, tagged once: the operator trusts the tag it set over a describe
/// that does not show it yet.
#[tokio::test]
async fn a_failover_whose_fence_tag_lags_finishes_fenced_and_tags_the_fence_once() {
    use crate::failover::{db_group_epoch, db_reachable, pass_following, primary_fails, ready_stack};

    let emulator = Emulator::start();
    let aws = context(&emulator).await;
    let (mut f, mut endpoint) = ready_stack(&aws, |_| {}).await;
    emulator.set_consistency_seconds(HIDDEN_FOR);
    primary_fails(&emulator, &mut endpoint).await;
    let before = aws.calls().snapshot();
    let started = Instant::now();
    let mut passes = 0;
    loop {
        passes += 1;
        let outcome = pass_following(&mut f, &aws, &mut endpoint, None).await;
        assert!(outcome.errors.is_empty(), "pass {passes}: {:?}", outcome.errors);
        if f.stack.status.as_ref().is_some_and(|s| !s.failover_history.is_empty()) {
            break;
        }
        assert!(started.elapsed() < LIMIT, "the failover did not finish: {:?}", f.stack.status);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    let tagged = aws.calls().snapshot().since(&before).count("CreateTags");
    println!("failover finished in {passes} passes with EC2 lagging {HIDDEN_FOR} s; the fence tagged {tagged} times");
    let record = f.stack.status.as_ref().and_then(|s| s.failover_history.last().cloned()).expect("a record");
    assert_eq!(record.outcome, "Succeeded", "{record:?}");
    let uid = f.uid();
    assert!(!db_reachable(&emulator, "us-east-1", &uid).await, "the old writer is fenced");
    tokio::time::sleep(Duration::from_secs_f64(HIDDEN_FOR + 0.2)).await;
    assert_eq!(db_group_epoch(&emulator, "us-east-1", &uid).await.as_deref(), Some("1"), "the fence carries the epoch");
    assert!(tagged >= 1, "the fence was tagged");
    assert_eq!(tagged, 1, "the fence is tagged once: what this process tagged counts while EC2 does not show it");
}
