//! `FailoverPolicy`: when and how a stack moves to its standby region.

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::status::Condition;

/// When and how a ThreeTierStack fails over, fails back and is drilled.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "warmstandby.dev",
    version = "v1alpha1",
    kind = "FailoverPolicy",
    namespaced,
    shortname = "fp",
    category = "warmstandby",
    status = "FailoverPolicyStatus",
    doc = "Failure detection, guards, fencing, failback and drills for ThreeTierStacks",
    printcolumn(name = "Mode", type_ = "string", json_path = ".spec.mode"),
    printcolumn(name = "Failback", type_ = "string", json_path = ".spec.failback"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct FailoverPolicySpec {
    /// `Automatic`: fail over by itself once failure is confirmed and the guards pass; `Manual`: detect and report, move only on request. Default `Manual`.
    #[serde(default)]
    pub mode: FailoverMode,
    /// How failure of the active region is detected.
    #[serde(default)]
    pub detection: DetectionSpec,
    /// What must hold before a move (replica lag, approvals).
    #[serde(default)]
    pub guards: GuardsSpec,
    /// What a move does besides promoting and switching traffic.
    #[serde(default)]
    pub actions: ActionsSpec,
    /// Whether the stack moves back once the original region is healthy. Default `Manual`.
    #[serde(default)]
    pub failback: FailbackMode,
    /// Scheduled drills of the standby.
    #[serde(default)]
    pub drill: DrillSpec,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum FailoverMode {
    /// Fail over by itself once failure is confirmed and the guards pass.
    Automatic,
    /// Detect and report; fail over only when told (spec or CLI).
    #[default]
    Manual,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum FailbackMode {
    /// Rebuild replication to the old region, switch back when told.
    #[default]
    Manual,
    /// Switch back by itself once the old region is healthy and in sync.
    Automatic,
}

/// How failure of the primary is recognised.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self.route53HealthCheck || self.cloudWatchAlarm || self.probes.enabled").message("enable at least one detection source"))]
pub struct DetectionSpec {
    /// Use the Route 53 health check on the primary api ALB.
    #[serde(default = "yes")]
    pub route53_health_check: bool,
    /// Use the CloudWatch alarm on that health check.
    #[serde(default = "yes")]
    pub cloud_watch_alarm: bool,
    /// The operator's own HTTP(S) probes of the primary endpoints.
    #[serde(default)]
    pub probes: ProbesSpec,
    /// How many enabled sources must report failure (capped at the number enabled).
    #[serde(default = "default_required_signals")]
    #[schemars(range(min = 1, max = 3))]
    pub required_signals: i32,
    /// Failure must persist this long before it counts.
    #[serde(default = "default_debounce")]
    #[schemars(range(min = 0, max = 3600))]
    pub debounce_seconds: i32,
    /// Route 53 health check interval: 10 or 30.
    #[serde(default = "default_interval")]
    #[x_kube(validation = Rule::new("self == 10 || self == 30").message("healthCheckIntervalSeconds must be 10 or 30"))]
    pub health_check_interval_seconds: i32,
    /// Consecutive failed Route 53 checks before the health check reports failure (1-10). Default 3.
    #[serde(default = "default_threshold")]
    #[schemars(range(min = 1, max = 10))]
    pub health_check_failure_threshold: i32,
}

impl Default for DetectionSpec {
    fn default() -> Self {
        DetectionSpec {
            route53_health_check: true,
            cloud_watch_alarm: true,
            probes: ProbesSpec::default(),
            required_signals: default_required_signals(),
            debounce_seconds: default_debounce(),
            health_check_interval_seconds: default_interval(),
            health_check_failure_threshold: default_threshold(),
        }
    }
}

/// The operator's own probes; URLs default to the stack's primary endpoints.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self.timeoutSeconds < self.intervalSeconds").message("timeoutSeconds must be less than intervalSeconds"))]
pub struct ProbesSpec {
    /// Run the operator's own HTTP probes. Default false.
    #[serde(default)]
    pub enabled: bool,
    /// URL probed for the api tier (http or https). Default: the stack's primary api endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^https?://.+$"))]
    pub api_url: Option<String>,
    /// URL probed for the web tier (http or https). Default: the stack's primary web endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^https?://.+$"))]
    pub web_url: Option<String>,
    /// Seconds between probe rounds (1-3600). Default 10.
    #[serde(default = "default_probe_interval")]
    #[schemars(range(min = 1, max = 3600))]
    pub interval_seconds: i32,
    /// Seconds one probe may take (1-60, less than `intervalSeconds`). Default 3.
    #[serde(default = "default_probe_timeout")]
    #[schemars(range(min = 1, max = 60))]
    pub timeout_seconds: i32,
    /// Consecutive failed rounds before the probes report failure (1-100). Default 3.
    #[serde(default = "default_threshold")]
    #[schemars(range(min = 1, max = 100))]
    pub failure_threshold: i32,
    /// Consecutive successful rounds before the probes report recovery (1-100). Default 3.
    #[serde(default = "default_threshold")]
    #[schemars(range(min = 1, max = 100))]
    pub recovery_threshold: i32,
}

impl Default for ProbesSpec {
    fn default() -> Self {
        ProbesSpec {
            enabled: false,
            api_url: None,
            web_url: None,
            interval_seconds: default_probe_interval(),
            timeout_seconds: default_probe_timeout(),
            failure_threshold: default_threshold(),
            recovery_threshold: default_threshold(),
        }
    }
}

/// Conditions that must hold before the standby is promoted.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GuardsSpec {
    /// RPO budget: no automatic promotion while the replica lags more than this.
    #[serde(default = "default_max_lag")]
    #[schemars(range(min = 0, max = 86400))]
    pub max_replica_lag_seconds: i64,
    /// The replica must be `available` (not e.g. `backing-up`).
    #[serde(default = "yes")]
    pub require_replica_available: bool,
    /// Wait for a human to set the approval annotation on the stack.
    #[serde(default)]
    pub require_approval: bool,
}

impl Default for GuardsSpec {
    fn default() -> Self {
        GuardsSpec {
            max_replica_lag_seconds: default_max_lag(),
            require_replica_available: true,
            require_approval: false,
        }
    }
}

/// What a failover does besides promoting the replica.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActionsSpec {
    /// Cut the old primary off from writes (best effort when its region is unreachable).
    #[serde(default = "yes")]
    pub fence_old_primary: bool,
    /// Raise the standby auto scaling groups to the active capacity.
    #[serde(default = "yes")]
    pub scale_standby: bool,
    /// Point `api.<domain>` and the CloudFront origin order at the standby.
    #[serde(default = "yes")]
    pub switch_dns: bool,
    /// Check that the standby endpoints answer before declaring success.
    #[serde(default = "yes")]
    pub verify: bool,
    /// Seconds one step of a move may wait before it is reported overdue
    /// (`Progressing=False`, reason `ProgressDeadlineExceeded`, and a
    /// `FailoverStepOverdue` event naming what does not answer); the move
    /// goes on. Default: three times what AWS typically takes for the step,
    /// at least 2 minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 86400))]
    pub step_deadline_seconds: Option<i32>,
}

impl Default for ActionsSpec {
    fn default() -> Self {
        ActionsSpec {
            fence_old_primary: true,
            scale_standby: true,
            switch_dns: true,
            verify: true,
            step_deadline_seconds: None,
        }
    }
}

/// Readiness drills of the standby, run without moving traffic.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DrillSpec {
    /// Cron expression (UTC) for scheduled drills; none by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
}

fn yes() -> bool {
    true
}
fn default_required_signals() -> i32 {
    2
}
fn default_debounce() -> i32 {
    60
}
fn default_interval() -> i32 {
    30
}
fn default_threshold() -> i32 {
    3
}
fn default_probe_interval() -> i32 {
    10
}
fn default_probe_timeout() -> i32 {
    3
}
fn default_max_lag() -> i64 {
    300
}

/// Observed state of a FailoverPolicy.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FailoverPolicyStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Ready` and its reason; a rejected spec says why.
    #[serde(default)]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
    /// Stacks that reference this policy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stacks: Vec<String>,
}
