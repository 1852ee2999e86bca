//! Observation of a stack (IO): every family on the seam, in both regions
//! and globally, read by the IDs of the last status where it has them.

use warmstandby_api::{RegionRole, ThreeTierStack};
use warmstandby_aws::families::{self, Reading};
use warmstandby_aws::{AwsContext, AwsError, Ownership};
use warmstandby_core::plan::Place;
use warmstandby_core::stack_pass::{Desired, Snapshot};
use warmstandby_core::validate::ValidatedStack;

/// Observes every family on the seam at once. With a failover policy, one
/// region that cannot be reached does not stop the pass: the other region
/// and the global resources can still serve, and each family keeps what it
/// knew of the unreachable one (the load balancers, the certificate).
pub(super) async fn observe(
    aws: &AwsContext,
    stack: &ThreeTierStack,
    validated: &ValidatedStack,
    desired: &Desired,
    owners: &[Ownership; 2],
) -> Result<Snapshot, AwsError> {
    let reading = Reading::Pass { status: stack.status.as_ref(), secrets: &validated.password };
    let seen = families::observe(aws, &desired.families, owners, &reading).await;
    let region_errors = RegionRole::BOTH.map(|role| seen.failure_at(Place::Region(role)).cloned());
    // A region is cut off when its reads failed as an outage fails, several
    // families' all alike (a throttled or single failed read means it answers).
    let cut_off = RegionRole::BOTH.map(|role| seen.cut_off(Place::Region(role)));
    // The global resources (the public DNS, CloudFront, the web ACL, IAM)
    // must answer for one region's outage to be tolerated.
    let global = seen.failure_at(Place::Global).cloned();
    let tolerated =
        |i: usize| validated.policy.is_some() && global.is_none() && region_errors[1 - i].is_none() && cut_off[i];
    let unreachable = [tolerated(0), tolerated(1)];
    let first_error =
        region_errors.iter().enumerate().find_map(|(i, e)| e.clone().filter(|_| !unreachable[i])).or(global);
    if let Some(e) = first_error {
        return Err(e);
    }
    for (i, down) in unreachable.iter().enumerate() {
        if *down {
            let region = &desired.families.load_balancing[i].region;
            tracing::warn!(region = %region, "region unreachable; going on with the other one");
        }
    }
    // A family that could not be read belongs to an unreachable region,
    // where nothing is planned (any other failure returned above).
    Ok(Snapshot { families: seen.observed, unreachable })
}

/// What teardown finds of every family on the seam: all of it or an error.
pub(super) async fn observe_for_teardown(
    aws: &AwsContext,
    desired: &Desired,
    owners: &[Ownership; 2],
) -> Result<warmstandby_core::families::FamiliesObserved, AwsError> {
    // Teardown searches for everything that is ours.
    families::observe(aws, &desired.families, owners, &Reading::Teardown).await.complete()
}
