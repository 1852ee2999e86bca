//! What edge planning works from besides the desired and observed edge:
//! the inputs of one region and of the whole edge, the plan's type, and the
//! fixed values and names global and regional planning share.

use std::collections::BTreeMap;

use crate::data::desired::NetworkRefs;
use crate::edge::actions::{EdgeAction, Place};
use crate::edge::desired::{DesiredGlobalEdge, DesiredRegionEdge};
use crate::edge::observed::{ObservedGlobalEdge, ObservedRegionEdge};
use crate::identity::Ownership;

/// The edge's plan, each action with the half (global, or a region) it runs in.
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
    pub global: &'a DesiredGlobalEdge,
    pub observed: &'a ObservedGlobalEdge,
    /// The owner of the global resources (the primary region's): the marker
    /// next to our records and the caller references derive from it.
    pub owner: &'a Ownership,
    /// The health check the alarm of ours watches (the alarm family's): a
    /// stale one is kept while it does.
    pub alarm_health_check: Option<String>,
    /// The domain name of the distribution of ours, which the web alias
    /// record points at (`families::cdn::domain`).
    pub distribution: Option<String>,
    /// The DNS validation CNAMEs (name, value) of the certificates the stack
    /// requested, written into the public zone
    /// (`families::certificates::validation_records`).
    pub validation_records: Vec<(String, String)>,
}

/// CloudFront's fixed hosted zone for alias records.
pub const CLOUDFRONT_ZONE_ID: &str = "Z2FDTNDATAQYW2";
/// TTL of validation CNAMEs and ownership markers.
pub const RECORD_TTL: i64 = 300;

/// What an adopted name's marker carries besides the owner's marker: when
/// it was adopted (`"warmstandby.dev/adopted=<time>"`, TXT-quoted).
pub const ADOPTED_MARKER_PREFIX: &str = "\"warmstandby.dev/adopted=";

/// A marker written by adoption: the records beside it were made by hand.
pub fn is_adopted_marker(marker: &crate::edge::observed::RecordSpec) -> bool {
    marker.values.iter().any(|v| v.starts_with(ADOPTED_MARKER_PREFIX))
}

/// The ownership marker record of a managed record name.
pub fn marker_name(record: &str) -> String {
    format!("_warmstandby.{record}")
}
