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
