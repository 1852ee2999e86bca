//! Types shared by the three kinds.

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Reference to an object of this API by name (same namespace where namespaced).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    /// Name of the referenced object (1-253 characters).
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
}

/// A key of a Kubernetes `Secret` in the object's namespace.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretKeyRef {
    /// Name of the Secret, in the object's namespace (1-253 characters).
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Key in the Secret's data holding the value. Default `password`.
    #[serde(default = "default_password_key")]
    #[schemars(length(min = 1, max = 253))]
    pub key: String,
}

fn default_password_key() -> String {
    "password".into()
}

/// Whether the operator may change AWS for an object.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum ManagementPolicy {
    /// Create, repair, fail over and delete (the default).
    #[default]
    Manage,
    /// Observe only: the full plan and the drift go into the status and
    /// events, failure detection reports, and nothing in AWS is changed,
    /// neither by a pass, nor by a failover, nor when the object is deleted.
    Observe,
}

impl ManagementPolicy {
    /// How an object that changes nothing says why: `paused` wins (a pause
    /// is a hold on an object that is otherwise managed).
    pub fn hands_off(self, paused: bool) -> Option<HandsOff> {
        match (paused, self) {
            (true, _) => Some(HandsOff::Paused),
            (false, ManagementPolicy::Observe) => Some(HandsOff::Observe),
            (false, ManagementPolicy::Manage) => None,
        }
    }
}

/// Why an object's passes change nothing in AWS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandsOff {
    /// `spec.paused`.
    Paused,
    /// `spec.managementPolicy: Observe`.
    Observe,
}

/// What happens to the AWS resources when the custom resource is deleted.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum DeletionPolicy {
    /// Tear everything down (the database gets a final snapshot unless told otherwise).
    #[default]
    Delete,
    /// Leave every AWS resource in place; only stop managing it.
    Retain,
}

impl DeletionPolicy {
    /// A family's own, optional `deletionPolicy` says `Retain`.
    pub fn retains(policy: Option<DeletionPolicy>) -> bool {
        policy == Some(DeletionPolicy::Retain)
    }
}

/// Which region of the pair, by role.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum RegionRole {
    #[default]
    Primary,
    Standby,
}

impl RegionRole {
    pub const BOTH: [RegionRole; 2] = [RegionRole::Primary, RegionRole::Standby];

    /// Position in `BOTH`, for per-region pairs (primary first).
    pub fn index(self) -> usize {
        match self {
            RegionRole::Primary => 0,
            RegionRole::Standby => 1,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RegionRole::Primary => "primary",
            RegionRole::Standby => "standby",
        }
    }

    pub fn other(self) -> RegionRole {
        match self {
            RegionRole::Primary => RegionRole::Standby,
            RegionRole::Standby => RegionRole::Primary,
        }
    }
}

impl std::fmt::Display for RegionRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Minimum, desired and maximum size of an auto scaling group.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self.min <= self.desired && self.desired <= self.max").message("capacity must satisfy min <= desired <= max"))]
pub struct Capacity {
    /// Fewest instances (0-1000).
    #[schemars(range(min = 0, max = 1000))]
    pub min: i32,
    /// Instances to run (0-1000; between `min` and `max`).
    #[schemars(range(min = 0, max = 1000))]
    pub desired: i32,
    /// Most instances (0-1000).
    #[schemars(range(min = 0, max = 1000))]
    pub max: i32,
}

impl Capacity {
    pub const fn new(min: i32, desired: i32, max: i32) -> Self {
        Capacity { min, desired, max }
    }
}

impl Default for Capacity {
    fn default() -> Self {
        Capacity::new(1, 1, 1)
    }
}
