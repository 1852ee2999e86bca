//! Teardown of a stack (IO): everything that is ours, in reverse order.

use warmstandby_api::RegionRole;
use warmstandby_aws::AwsContext;
use warmstandby_aws::edge::EdgeHints;
use warmstandby_core::edge::observed::ObservedRegionEdge;
use warmstandby_core::edge::plan::plan_edge_teardown;
use warmstandby_core::placement::Placement;
use warmstandby_core::stack_pass::Desired;
use warmstandby_core::stack_pass::waiting::teardown_transitional;
use warmstandby_core::validate::{StackInputs, validate_stack_for_teardown};

use super::apply::{Batches, apply_all};
use super::observe::observe_edge;
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
    // No hints: teardown searches for everything that is ours.
    let no_hints = EdgeHints::default();
    let mut edge_observed = match observe_edge(aws, &wanted, &owners, &no_hints).await {
        Ok(o) => o,
        Err(e) => {
            let (errors, waiting) = crate::set_throttles_aside(vec![e]);
            return TeardownOutcome { errors, waiting, remaining: 1, ..Default::default() };
        }
    };
    // What a family retains is released like what was adopted.
    warmstandby_core::retention::hold_retained_edge(&wanted.regions, &mut edge_observed.regions);
    wanted.families.hold_retained(&mut edge_observed.families);
    let edge_remaining = edge_observed.regions.iter().map(ObservedRegionEdge::live_count).sum::<usize>();
    // The load balancers wait for what points at them: the distribution
    // (the CDN family's) and the records (the public DNS family's).
    let seam = &edge_observed.families;
    let distribution_left = warmstandby_core::families::cdn::left(&seam.cdn);
    let records_left =
        warmstandby_core::families::public_dns::records_left(&wanted.families.public_dns, &seam.public_dns);
    let edge_plan =
        plan_edge_teardown([&edge_observed.regions[0], &edge_observed.regions[1]], distribution_left, records_left);
    // The writer's final snapshot is named after this teardown's time.
    let around = warmstandby_core::stack_pass::neighbours_of(&wanted, &edge_observed.regions, seam, snapshot_suffix);
    let families_plan = wanted.families.teardown(seam, &around);
    let remaining = edge_remaining + wanted.families.live_count(seam);
    if remaining == 0 {
        return TeardownOutcome {
            finished: true,
            retained: retained(&wanted, stack.status.as_ref()),
            ..Default::default()
        };
    }
    let regions = wanted.regions.each_ref().map(|r| r.region.as_str());
    let batches = Batches { edge: &edge_plan.actions, families: &families_plan.actions };
    let (applied, errors) = apply_all(aws, &validated, &wanted, &owners, batches).await;
    let (errors, throttled) = crate::set_throttles_aside(errors);
    let mut waiting = throttled;
    waiting.extend(edge_plan.waiting);
    waiting.extend(families_plan.waiting);
    let only_waiting = applied.is_empty();
    let (applied, changes) = applied.into_iter().unzip();
    let mut out = TeardownOutcome { applied, changes, waiting, errors, remaining, ..Default::default() };
    let transitional = teardown_transitional(
        regions,
        [&edge_observed.families.database[0], &edge_observed.families.database[1]],
        [&edge_observed.regions[0], &edge_observed.regions[1]],
        &edge_observed.families,
    );
    out.wait = TeardownWait::after(&out, only_waiting, transitional);
    out
}

/// What a finished teardown left in place on purpose (released, untagged):
/// the kept server tiers and what each family on the seam says it left.
fn retained(wanted: &Desired, status: Option<&warmstandby_api::ThreeTierStackStatus>) -> Option<String> {
    let adopted = status.map(|s| s.adopted.as_slice()).unwrap_or_default();
    let mut kept = Vec::new();
    let tiers_before = kept.len();
    for (d, role) in wanted.regions.iter().zip(["primary", "standby"]) {
        let was_adopted = |t: &&warmstandby_core::desired::DesiredTier| {
            t.retain || (t.adopt && adopted.iter().any(|a| a.region == d.region && a.id == t.load_balancer_name))
        };
        for t in d.tiers.iter().filter(was_adopted) {
            let why = if t.adopt { "adopted" } else { "deletionPolicy Retain" };
            kept.push(format!(
                "the {} tier in {} ({role}, {why}: load balancer {}, target group {}, launch template {}, auto scaling group {}, with the security groups, instance profile and image of the stack's they use)",
                t.tier, d.region, t.load_balancer_name, t.target_group_name, t.launch_template_name, t.auto_scaling_group_name
            ));
        }
    }
    if kept.len() > tiers_before {
        kept.push("the credentials secret the kept servers read".into());
    }
    kept.extend(wanted.families.left_in_place(status));
    (!kept.is_empty()).then(|| format!("{}: left running without warmstandby's tags", kept.join(" and ")))
}
