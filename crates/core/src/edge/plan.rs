//! Edge and compute planning for both regions and the global resources of a
//! stack at once: the global ones (records, CloudFront) point at regional
//! ones, and the active region decides which.
//!
//! Each resource is resolved from the desired state and the IDs observed so
//! far into the same `*Spec` the adapter reports, so drift is a field-by-field
//! comparison and a repair is the desired spec applied again.

use std::collections::BTreeMap;

use warmstandby_api::DriftItem;

use crate::desired::{DesiredGlobalEdge, DesiredRegionEdge, NetworkRefs};
use crate::edge::observed::{ObservedGlobalEdge, ObservedRegionEdge};
use crate::edge::{global, regional};
use crate::identity::Ownership;

pub use crate::edge::actions::*;
pub use crate::edge::teardown::plan_edge_teardown;

#[derive(Clone, Debug, Default)]
pub struct EdgePlan {
    pub actions: Vec<(EdgeScope, EdgeAction)>,
    pub drift: Vec<DriftItem>,
    pub blocked: Vec<String>,
    pub waiting: Vec<String>,
}

impl EdgePlan {
    pub(super) fn push(&mut self, scope: EdgeScope, action: impl Into<EdgeAction>) {
        self.actions.push((scope, action.into()));
    }
}

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
}

pub struct EdgeInputs<'a> {
    /// Primary first.
    pub regions: [RegionEdgeInputs<'a>; 2],
    pub global: &'a DesiredGlobalEdge,
    pub observed: &'a ObservedGlobalEdge,
    /// The owner of the global resources (the primary region's): the marker
    /// next to our records and the caller references derive from it.
    pub owner: &'a Ownership,
}

/// CloudFront's fixed hosted zone for alias records.
pub const CLOUDFRONT_ZONE_ID: &str = "Z2FDTNDATAQYW2";
/// Managed cache policies.
pub const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
pub const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
pub const ALL_METHODS: [&str; 7] = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"];
pub const ORIGIN_GROUP_ID: &str = "web-failover";
/// TTL of validation CNAMEs and ownership markers.
pub const RECORD_TTL: i64 = 300;

/// The ownership marker record of a managed record name.
pub fn marker_name(record: &str) -> String {
    format!("_warmstandby.{record}")
}

pub fn origin_id(region: &str) -> String {
    format!("web-{region}")
}

pub fn plan_edge(inputs: &EdgeInputs<'_>) -> EdgePlan {
    let mut plan = EdgePlan::default();
    for r in &inputs.regions {
        regional::plan_region(&mut plan, r);
    }
    global::plan_global(&mut plan, inputs);
    plan
}

impl ObservedGlobalEdge {
    /// Resources of ours that still exist (a zone we did not create is not ours).
    pub fn live_count(&self, owner_marker: &str) -> usize {
        let marker_value = format!("\"{owner_marker}\"");
        let markers = self.records.iter().filter(|r| r.rtype == "TXT" && r.values.contains(&marker_value)).count();
        markers
            + usize::from(self.zone.as_ref().is_some_and(|z| z.ours))
            + usize::from(self.certificate.is_some())
            + self.health_checks.len()
            + usize::from(self.distribution.is_some())
            + usize::from(self.web_acl.is_some())
            + usize::from(self.alarm.is_some())
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
