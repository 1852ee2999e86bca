//! What edge planning works from besides the desired and observed edge:
//! the inputs of each region, and the plan's type.

use std::collections::BTreeMap;

use crate::data::desired::NetworkRefs;
use crate::edge::actions::{EdgeAction, Place};
use crate::edge::desired::DesiredRegionEdge;
use crate::edge::observed::ObservedRegionEdge;

/// The edge's plan, each action with the region it runs in.
pub type EdgePlan = crate::plan::Plan<(Place, EdgeAction)>;

/// What a tier's launch template gets from the access family: its
/// instance profile and the user data with the environment block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TierLaunch {
    pub instance_profile: String,
    /// Base64.
    pub user_data: String,
}

/// What one region's plan needs besides its own observation.
pub struct RegionEdgeInputs<'a> {
    pub desired: &'a DesiredRegionEdge,
    pub observed: &'a ObservedRegionEdge,
    pub network: &'a NetworkRefs,
    /// Security group IDs of the data tier by role (`alb-web`, `web`, ...).
    pub groups: &'a BTreeMap<String, String>,
    /// Per tier: what its launch template gets, or what that waits for.
    pub launch: &'a BTreeMap<String, Result<TierLaunch, String>>,
    /// The region's certificate the HTTPS listeners serve, once ours and
    /// issued (`families::certificates::issued`).
    pub certificate: Option<String>,
}

pub struct EdgeInputs<'a> {
    /// Primary first.
    pub regions: [RegionEdgeInputs<'a>; 2],
}
