//! Applying a stack's planned changes (IO), each described and logged
//! without secrets, and typed for reports.

use std::future::Future;

use futures::future::join_all;
use warmstandby_api::RegionRole;
use warmstandby_aws::families::scope_region;
use warmstandby_aws::{AwsContext, AwsError, Ownership, families};
use warmstandby_core::families::SeamAction;
use warmstandby_core::family::FamilyAction;
use warmstandby_core::plan::ActionOutcome;
use warmstandby_core::plan::Place;
use warmstandby_core::stack_pass::Desired;
use warmstandby_core::validate::ValidatedStack;

use crate::change::{self, Change};

/// An action as a change of its region, or a global one.
pub(super) fn family_change(scope: Place, regions: [&str; 2], action: &impl FamilyAction) -> Change {
    match scope {
        Place::Region(role) => change::of(Some(regions[role.index()]), action),
        Place::Global => change::of(None, action),
    }
}

/// Runs a pass's (or a teardown pass's) actions at once: they are
/// independent of each other. Each is logged without the secret's value.
pub(super) async fn apply_all(
    aws: &AwsContext,
    stack: &ValidatedStack,
    desired: &Desired,
    owners: &[Ownership; 2],
    actions: &[(Place, SeamAction)],
) -> (Vec<(String, Change)>, Vec<AwsError>) {
    let regions = desired.families.load_balancing.each_ref().map(|r| r.region.as_str());
    apply_scoped(regions, owners, actions, |region, owner, action| {
        Box::pin(families::apply(aws, region, owner, action, &stack.password))
    })
    .await
}

/// Runs actions of a region or global (the primary's owner) concurrently.
async fn apply_scoped<'a, A: FamilyAction, Run: Future<Output = Result<ActionOutcome, AwsError>>>(
    regions: [&'a str; 2],
    owners: &'a [Ownership; 2],
    actions: &'a [(Place, A)],
    run: impl Fn(&'a str, &'a Ownership, &'a A) -> Run,
) -> (Vec<(String, Change)>, Vec<AwsError>) {
    let results = join_all(actions.iter().map(|(scope, action)| {
        let owner = if *scope == Place::Region(RegionRole::Standby) { &owners[1] } else { &owners[0] };
        run(scope_region(*scope, regions), owner, action)
    }))
    .await;
    report(actions.iter().zip(results).map(|((scope, action), result)| {
        (scope_region(*scope, regions), action.describe(), family_change(*scope, regions, action), result)
    }))
}

/// Logs each action's result (descriptions carry no secrets) and sorts the
/// results into the changes made, by `<region>: <description>`, and the errors.
fn report<'a, T>(
    results: impl Iterator<Item = (&'a str, String, Change, Result<T, AwsError>)>,
) -> (Vec<(String, Change)>, Vec<AwsError>) {
    let mut applied = Vec::new();
    let mut errors = Vec::new();
    for (region, what, change, result) in results {
        match result {
            Ok(_) => {
                tracing::info!(region, action = %what, "applied");
                applied.push((format!("{region}: {what}"), change));
            }
            Err(e) => {
                tracing::warn!(region, action = %what, error = %e, class = e.class.as_str(), "AWS call failed");
                errors.push(e);
            }
        }
    }
    (applied, errors)
}
