//! Edge and compute families of both regions: load balancing (ELBv2) and
//! compute (images, launch templates, auto scaling groups). Certificates,
//! public DNS, CDN, WAF and the alarm are on the family seam
//! (`crate::families`).
//!
//! Observation is one call per kind and region where the API allows it, and
//! uses hints (IDs from the last status) to read a resource directly instead
//! of searching for it; a stale hint falls back to a search. Identity is by
//! tag, caller reference or our deterministic names; resources found by name
//! are checked for our tags right before anything modifies or deletes them.

pub mod compute;
pub mod load_balancing;

use warmstandby_api::RegionRole;
use warmstandby_core::desired::DesiredRegionEdge;
use warmstandby_core::edge::observed::ObservedRegionEdge;
use warmstandby_core::edge::plan::EdgeAction;
use warmstandby_core::plan::ActionOutcome;
use warmstandby_core::plan::Place;

use crate::clients::AwsContext;
pub(crate) use crate::errors::ok_or_gone;
use crate::errors::{AwsError, ErrorClass};
use crate::tags::Ownership;

/// IDs from the last status that let observation read resources directly.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EdgeHints {
    /// Listener ARNs per region, primary first.
    pub listeners: [Vec<String>; 2],
}

/// Refused at the last moment: another manager claimed `what` since the plan.
pub(crate) fn managed_by_another(operation: &str, what: &str, other: &str) -> AwsError {
    AwsError::new(
        ErrorClass::InvalidSpec,
        operation,
        "NotOwned",
        format!("{what} is managed by {other}; it is left alone"),
    )
}

pub(crate) fn not_ours(operation: &str, what: &str) -> AwsError {
    AwsError::new(
        ErrorClass::InvalidSpec,
        operation,
        "NotOwned",
        format!("{what} is not tagged as this stack's; it is left alone"),
    )
}

/// Observes one region's edge and compute tier.
pub async fn observe_region(
    aws: &AwsContext,
    desired: &DesiredRegionEdge,
    owner: &Ownership,
    listener_hints: &[String],
) -> Result<ObservedRegionEdge, AwsError> {
    let (
        (target_groups, load_balancers, listeners, vanished_listeners),
        (images, launch_templates, auto_scaling_groups),
    ) = tokio::try_join!(
        Box::pin(load_balancing::observe(aws, desired, owner, listener_hints)),
        Box::pin(compute::observe(aws, desired, owner)),
    )?;
    Ok(ObservedRegionEdge {
        target_groups,
        load_balancers,
        listeners,
        vanished_listeners,
        images,
        launch_templates,
        auto_scaling_groups,
    })
}

/// Executes one edge action. `owner` is the region's (global: the primary's).
pub async fn apply(
    aws: &AwsContext,
    region: &str,
    owner: &Ownership,
    action: &EdgeAction,
) -> Result<ActionOutcome, AwsError> {
    match action {
        EdgeAction::LoadBalancing(a) => Box::pin(load_balancing::apply(aws, region, owner, a)).await,
        EdgeAction::Compute(a) => Box::pin(compute::apply(aws, region, owner, a)).await,
    }
}

/// The region an action of `scope` runs in.
pub fn scope_region(scope: Place, regions: [&str; 2]) -> &str {
    match scope {
        Place::Region(RegionRole::Primary) => regions[0],
        Place::Region(RegionRole::Standby) => regions[1],
        Place::Global => warmstandby_api::GLOBAL_REGION,
    }
}
