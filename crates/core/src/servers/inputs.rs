//! What the load balancing and compute families plan a region from besides
//! their desired state, and their plans' types.

use std::collections::BTreeMap;

use crate::data::desired::NetworkRefs;
use crate::servers::actions::{ComputeAction, LoadBalancingAction, Place};
use crate::servers::desired::DesiredRegionServers;
use crate::servers::observed::RegionServers;

/// The load balancing family's plan, each action with the region it runs in.
pub type BalancingPlan = crate::plan::Plan<(Place, LoadBalancingAction)>;

/// The compute family's plan.
pub type ComputePlan = crate::plan::Plan<(Place, ComputeAction)>;

/// What a tier's launch template gets from the access family: its
/// instance profile and the user data with the environment block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TierLaunch {
    pub instance_profile: String,
    /// Base64.
    pub user_data: String,
}

/// What one region's plan needs besides its own observation.
pub struct RegionServerInputs<'a> {
    pub desired: &'a DesiredRegionServers,
    /// Both families' observation of the region.
    pub observed: RegionServers<'a>,
    pub network: &'a NetworkRefs,
    /// Security group IDs of the data tier by role (`alb-web`, `web`, ...).
    pub groups: &'a BTreeMap<String, String>,
    /// Per tier: what its launch template gets, or what that waits for
    /// (the compute family's; empty for the load balancing family).
    pub launch: &'a BTreeMap<String, Result<TierLaunch, String>>,
    /// The region's certificate the HTTPS listeners serve, once ours and
    /// issued (`families::certificates::issued`).
    pub certificate: Option<String>,
}
