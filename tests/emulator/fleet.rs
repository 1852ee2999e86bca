//! Shared fleet observation: a few stacks on one RegionPair, resynced
//! together, read each kind once per region (per account for the global
//! kinds), still find drift made outside the operator after the window, and
//! see their own repairs at once.

use warmstandby_tests::Emulator;
use warmstandby_tests::fleet::{DRIFT_MADE, run};

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
