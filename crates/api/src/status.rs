//! Status types shared by the kinds.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A Kubernetes condition (same fields as `metav1.Condition`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// The condition's type, e.g. `Ready`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// The `metadata.generation` the condition was set for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// RFC 3339; moves only when `status` flips.
    pub last_transition_time: String,
    /// CamelCase, machine-readable.
    pub reason: String,
    /// Human-readable detail.
    #[serde(default)]
    pub message: String,
}

/// Coarse lifecycle of an object, for `kubectl get`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum Phase {
    /// Spec accepted, nothing observed yet.
    Pending,
    /// Resources are being created or changed.
    Provisioning,
    /// Everything exists and matches the spec.
    Ready,
    /// Something exists but is unhealthy or drifted and could not be repaired.
    Degraded,
    /// Spec rejected or a non-retryable error.
    Failed,
    /// `spec.paused`: observed and reported only.
    Paused,
    /// `spec.managementPolicy: Observe` and AWS differs from the spec: the
    /// changes an apply would make are in `status.planned`.
    Observing,
    /// A failover or switchover is running.
    FailingOver,
    /// Teardown is running.
    Deleting,
}

/// What applying the spec would change now, reported by an object that only
/// observes (`spec.managementPolicy: Observe` or `spec.paused`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlannedChanges {
    /// How many changes an apply would make: every resource when nothing
    /// exists yet, else the next round (see `note`).
    pub count: i32,
    /// The first 50 of them, in the order they would be made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<PlannedChange>,
    /// Why the list may grow once these changes are made (resources that
    /// need the IDs of the ones created first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One change an apply would make.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlannedChange {
    /// Region name, or `global`.
    pub region: String,
    /// `create`, `update`, `delete`, `repair` (re-create or restore what was
    /// changed outside the operator) or `failover`.
    pub action: String,
    /// Resource kind, e.g. `AutoScalingGroup`.
    pub kind: String,
    /// What would be done, e.g. `update auto scaling group bookstore-primary-web`.
    pub description: String,
}

/// One field-level difference between the spec and what AWS reports.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DriftItem {
    /// Region name, or `global`.
    pub region: String,
    /// Resource kind, e.g. `RouteTable`.
    pub kind: String,
    /// AWS ID of the resource, or its logical name when it is missing.
    pub resource: String,
    /// The drifted field, e.g. `routes[0.0.0.0/0]`, or `existence`.
    pub field: String,
    /// What the spec asks for.
    pub expected: String,
    /// What AWS reports.
    pub found: String,
}

impl DriftItem {
    pub fn new(
        region: &str,
        kind: &str,
        resource: &str,
        field: &str,
        expected: impl ToString,
        found: impl ToString,
    ) -> DriftItem {
        DriftItem {
            region: region.to_string(),
            kind: kind.to_string(),
            resource: resource.to_string(),
            field: field.to_string(),
            expected: expected.to_string(),
            found: found.to_string(),
        }
    }
}

impl std::fmt::Display for DriftItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {}: {} expected {}, found {}",
            self.region, self.kind, self.resource, self.field, self.expected, self.found
        )
    }
}
