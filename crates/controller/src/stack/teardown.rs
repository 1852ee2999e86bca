//! Teardown of a stack (IO): everything that is ours, in reverse order.

use warmstandby_api::RegionRole;
use warmstandby_aws::AwsContext;
use warmstandby_core::placement::Placement;
use warmstandby_core::stack_pass::Desired;
use warmstandby_core::stack_pass::waiting::teardown_transitional;
use warmstandby_core::validate::{StackInputs, validate_stack_for_teardown};

use super::apply::apply_all;
use super::observe::observe_for_teardown;
use super::owner;
use crate::{TeardownOutcome, TeardownWait};

/// One teardown pass of a stack. `Retain` and `Observe` touch nothing.
/// `snapshot_suffix` names the writer's final snapshot (e.g. a timestamp).
/// `previous` is what the last pass waited on, if it only waited: while that
/// is unchanged the pass reads only it.
pub async fn teardown(
    aws: &AwsContext,
    inputs: StackInputs<'_>,
    snapshot_suffix: &str,
    previous: Option<&TeardownWait>,
) -> TeardownOutcome {
    let stack = inputs.stack;
    if let Some(left) = TeardownOutcome::left_alone(stack.spec.deletion_policy, stack.spec.management_policy) {
        return left;
    }
    let validated = match validate_stack_for_teardown(inputs) {
        Ok(v) => v,
        Err(e) => {
            let mut out = TeardownOutcome::default();
            out.waiting.push(format!("cannot tear down an invalid stack: {}", e.to_message()));
            return out;
        }
    };
    let (Some(p), Some(s)) = (owner(stack, RegionRole::Primary), owner(stack, RegionRole::Standby)) else {
        return TeardownOutcome { waiting: vec!["metadata.uid is missing".into()], ..Default::default() };
    };
    if let Some(still) = TeardownWait::still_waiting(aws, previous).await {
        return still;
    }
    // Teardown deletes whatever is ours wherever it is: the spec's placement names it all.
    let wanted = Desired::of(&validated, &Placement::of_spec(&validated));
    let owners = [p, s];
    let mut seam = match observe_for_teardown(aws, &wanted, &owners).await {
        Ok(o) => o,
        Err(e) => {
            let (errors, waiting) = crate::set_throttles_aside(vec![e]);
            return TeardownOutcome { errors, waiting, remaining: 1, ..Default::default() };
        }
    };
    // What a family retains is released like what was adopted.
    wanted.families.hold_retained(&mut seam);
    // The writer's final snapshot is named after this teardown's time.
    let around = warmstandby_core::stack_pass::neighbours_of(&wanted, &seam, snapshot_suffix);
    let plan = wanted.families.teardown(&seam, &around);
    let remaining = wanted.families.live_count(&seam);
    if remaining == 0 {
        return TeardownOutcome {
            finished: true,
            retained: retained(&wanted, stack.status.as_ref()),
            ..Default::default()
        };
    }
    let regions = wanted.families.load_balancing.each_ref().map(|r| r.region.as_str());
    let (applied, errors) = apply_all(aws, &validated, &wanted, &owners, &plan.actions).await;
    let (errors, throttled) = crate::set_throttles_aside(errors);
    let mut waiting = throttled;
    waiting.extend(plan.waiting);
    let only_waiting = applied.is_empty();
    let (applied, changes) = applied.into_iter().unzip();
    let mut out = TeardownOutcome { applied, changes, waiting, errors, remaining, ..Default::default() };
    let transitional = teardown_transitional(regions, &seam);
    out.wait = TeardownWait::after(&out, only_waiting, transitional);
    out
}

/// What a finished teardown left in place on purpose (released, untagged),
/// as each family on the seam says it.
fn retained(wanted: &Desired, status: Option<&warmstandby_api::ThreeTierStackStatus>) -> Option<String> {
    let kept = wanted.families.left_in_place(status);
    (!kept.is_empty()).then(|| format!("{}: left running without warmstandby's tags", kept.join(" and ")))
}
