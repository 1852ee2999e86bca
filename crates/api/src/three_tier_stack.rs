//! `ThreeTierStack`: everything of one application in both regions and globally.

use std::collections::BTreeMap;

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{Capacity, DeletionPolicy, ManagementPolicy, ObjectRef, RegionRole, SecretKeyRef};
use crate::status::{Condition, DriftItem, Phase, PlannedChanges};

/// A three-tier web application (web, api, MySQL) in a primary and a warm-standby region.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "warmstandby.dev",
    version = "v1alpha1",
    kind = "ThreeTierStack",
    namespaced,
    shortname = "tts",
    category = "warmstandby",
    status = "ThreeTierStackStatus",
    doc = "A three-tier web application in a primary and a warm-standby AWS region, with DNS and CDN failover",
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
    printcolumn(name = "Phase", type_ = "string", json_path = ".status.phase"),
    printcolumn(name = "Active", type_ = "string", json_path = ".status.activeRegion"),
    printcolumn(name = "Drift", type_ = "integer", json_path = ".status.driftCount"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct ThreeTierStackSpec {
    /// The RegionPair whose networks this stack runs in.
    pub region_pair_ref: ObjectRef,
    /// The FailoverPolicy (same namespace); without one, failover is manual only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failover_policy_ref: Option<ObjectRef>,
    /// Which region serves: set to `standby` for a planned switchover.
    #[serde(default)]
    pub active_region: RegionRole,
    /// Public DNS names of the application.
    pub domain: DomainSpec,
    /// Machine images of the web and api tiers.
    pub images: ImagesSpec,
    /// RDS MySQL writer in the primary and its cross-region replica.
    pub database: DatabaseSpec,
    /// The web tier: instances, auto scaling and load balancer, behind CloudFront.
    #[serde(default = "TierSpec::web")]
    pub web: TierSpec,
    /// The api tier: instances, auto scaling and load balancer, at `<apiRecord>.<zoneName>`.
    #[serde(default = "TierSpec::api")]
    pub api: TierSpec,
    /// The bastion host in the primary region.
    #[serde(default)]
    pub bastion: BastionSpec,
    /// Route 53 health check of the primary api load balancer, which the failover records follow.
    #[serde(default)]
    pub health_check: HealthCheckSpec,
    /// The CloudFront distribution in front of the web tier.
    #[serde(default)]
    pub cdn: CdnSpec,
    /// The WAF web ACL on the distribution.
    #[serde(default)]
    pub waf: WafSpec,
    /// AWS Backup of the servers, copied to the standby region.
    #[serde(default)]
    pub backup: BackupSpec,
    /// The CloudWatch alarm on the health check.
    #[serde(default)]
    pub alarms: AlarmSpec,
    /// `Delete`: the stack's AWS resources are deleted with the object (the database after a final snapshot); `Retain`: left in AWS. Default `Delete`.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
    /// Observe and report only; never change AWS.
    #[serde(default)]
    pub paused: bool,
    /// `Manage` (default): create, repair, fail over and delete. `Observe`: compute the full plan and drift into the status and events, detect failures and report them, and change nothing in AWS (deleting the object leaves AWS as it is). Switching to `Manage` applies.
    #[serde(default)]
    pub management_policy: ManagementPolicy,
}

impl ThreeTierStackSpec {
    /// Why this stack's passes change nothing in AWS, if they do not.
    pub fn hands_off(&self) -> Option<crate::common::HandsOff> {
        self.management_policy.hands_off(self.paused)
    }
}

/// Public DNS names of the application.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
// What is adopted is the stack's identity, as for every other `adopt`.
#[x_kube(validation = Rule::new("has(self.adoptCertificates) == has(oldSelf.adoptCertificates) && (!has(self.adoptCertificates) || self.adoptCertificates == oldSelf.adoptCertificates)").message("adoptCertificates is set when the stack is created and cannot be added, changed or removed later"))]
#[x_kube(validation = Rule::new("(has(self.adoptRecords) && self.adoptRecords) == (has(oldSelf.adoptRecords) && oldSelf.adoptRecords)").message("adoptRecords is set when the stack is created and cannot be changed later"))]
pub struct DomainSpec {
    /// The public hosted zone, e.g. `example.com`.
    #[schemars(
        length(min = 3, max = 253),
        pattern(r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.?$")
    )]
    /// The public hosted zone, e.g. `example.com` (3-253 characters); created when the account has none of that name.
    pub zone_name: String,
    /// Record name of the api tier, relative to the zone.
    #[serde(default = "default_api_record")]
    #[schemars(length(min = 1, max = 63))]
    pub api_record: String,
    /// Record name of the web tier (served by CloudFront), relative to the zone.
    #[serde(default = "default_web_record")]
    #[schemars(length(min = 1, max = 63))]
    pub web_record: String,
    /// Create and delete the public zone; by default it must exist and is only written to.
    #[serde(default)]
    pub manage_zone: bool,
    /// Records made by hand at the api and web names are adopted (marked as
    /// this stack's, then changed to the spec) instead of refused; deleting
    /// the stack leaves them, unmarked. Needs `spec.healthCheck.adopt`: the
    /// failover records keep the health check they are adopted with.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub adopt_records: bool,
    /// Existing ACM certificates to adopt instead of requesting new ones
    /// (`warmstandby discover` finds those the console's listeners and
    /// distribution use). Each must cover the api and web names; it is
    /// tagged as this stack's and left in place, untagged, when the stack
    /// is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopt_certificates: Option<CertificateAdoption>,
}

/// Existing ACM certificates, by ARN; each may be left out (the stack then
/// requests its own).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CertificateAdoption {
    /// The primary region's, for the load balancers' HTTPS listeners.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]{1,64}$"))]
    pub primary: Option<String>,
    /// The standby region's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]{1,64}$"))]
    pub standby: Option<String>,
    /// CloudFront's, in us-east-1; only when neither region is us-east-1
    /// (otherwise that region's certificate serves CloudFront).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/[A-Za-z0-9-]{1,64}$"))]
    pub cloud_front: Option<String>,
}

fn default_api_record() -> String {
    "api".into()
}
fn default_web_record() -> String {
    "www".into()
}

/// Machine images of the two server tiers.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImagesSpec {
    /// AMI of the web tier.
    pub web: ImageSpec,
    /// AMI of the api tier.
    pub api: ImageSpec,
}

/// An AMI per region, or an AMI in the primary that is copied to the standby.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("!has(self.standby) || self.standby != self.primary").message("AMI IDs are regional, so one AMI cannot be both the primary and the standby image; omit standby to copy the primary AMI"))]
pub struct ImageSpec {
    /// AMI in the primary region, `ami-` and 8-17 hex digits.
    #[schemars(pattern(r"^ami-[0-9a-f]{8,17}$"))]
    pub primary: String,
    /// AMI in the standby region; when absent the primary AMI is copied there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^ami-[0-9a-f]{8,17}$"))]
    pub standby: Option<String>,
}

/// RDS MySQL in the primary and its cross-region read replica in the standby.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
// Adopting names the instances the stack's identity rests on: changed later,
// the stack would build new ones beside the instances it already owns.
#[x_kube(validation = Rule::new("has(self.adopt) == has(oldSelf.adopt) && (!has(self.adopt) || self.adopt == oldSelf.adopt)").message("adopt is set when the stack is created and cannot be added, changed or removed later"))]
pub struct DatabaseSpec {
    /// Secret key holding the master password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_secret_ref: Option<SecretKeyRef>,
    /// Refused: passwords are read only from a Secret. Present so that an inline
    /// password is rejected instead of being silently pruned by the API server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("false").message("inline passwords are refused; put the password in a Secret and set spec.database.passwordSecretRef"))]
    pub password: Option<String>,
    /// Master user name (letter first, up to 16 letters, digits and `_`; not a MySQL reserved user). Default `admin`.
    #[serde(default = "default_master_username")]
    #[schemars(pattern(r"^[A-Za-z][A-Za-z0-9_]{0,15}$"))]
    pub master_username: String,
    /// Name of the database created in the instance.
    #[serde(default = "default_database_name")]
    #[schemars(pattern(r"^[A-Za-z][A-Za-z0-9_]{0,63}$"))]
    pub database_name: String,
    /// MySQL version, 8.0 or 8.4 (with an optional minor). Default `8.0`.
    #[serde(default = "default_engine_version")]
    #[schemars(pattern(r"^8\.(0|4)(\.[0-9]+)?$"))]
    pub engine_version: String,
    /// RDS instance class, e.g. `db.t3.micro`. Default `db.t3.micro`.
    #[serde(default = "default_db_instance_class")]
    #[schemars(pattern(r"^db\.[a-z][-a-z0-9]*[0-9][-a-z0-9]*\.[a-z0-9]+$"))]
    pub instance_class: String,
    /// Storage in GiB (20-65536). Default 22.
    #[serde(default = "default_allocated_storage", rename = "allocatedStorageGiB")]
    #[schemars(range(min = 20, max = 65536))]
    pub allocated_storage_gib: i32,
    /// Run the writer in two availability zones. Default true.
    #[serde(default = "yes")]
    pub multi_az: bool,
    /// Encrypt storage (and the replica, with a key of its region). Default true.
    #[serde(default = "yes")]
    pub storage_encrypted: bool,
    /// Days of automated backups; at least 1 because the cross-region replica needs them.
    #[serde(default = "default_backup_retention")]
    #[schemars(range(min = 1, max = 35))]
    pub backup_retention_days: i32,
    /// RDS deletion protection; the operator lifts it only to tear down. Default true.
    #[serde(default = "yes")]
    pub deletion_protection: bool,
    /// Take a final snapshot before deleting the primary database.
    #[serde(default = "yes")]
    pub final_snapshot: bool,
    /// Port MySQL listens on (1150-65535). Default 3306.
    #[serde(default = "default_db_port")]
    #[schemars(range(min = 1150, max = 65535))]
    pub port: i32,
    /// The private DNS name of the writer, which follows it across failovers.
    #[serde(default)]
    pub private_dns: PrivateDnsSpec,
    /// The credentials secret in Secrets Manager the api instances read.
    #[serde(default)]
    pub credentials: CredentialsSpec,
    /// Existing MySQL instances to bring under management instead of
    /// creating new ones (by RDS identifier). They are tagged as this stack's
    /// when applied and never replaced: a difference that needs a new
    /// instance (encryption, engine version, master user name, another VPC)
    /// is refused with the reason. `passwordSecretRef` must hold the
    /// writer's current master password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopt: Option<DatabaseAdoption>,
    /// What deleting the stack does to its databases (both regions, with the
    /// subnet groups and the security group they use): `Delete` (after the
    /// final snapshot) or `Retain` (left running, warmstandby's ownership
    /// tags removed). Default: `Retain` when `adopt` is set, else the
    /// stack's `deletionPolicy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_policy: Option<DeletionPolicy>,
}

/// One resource adopted by a stack.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdoptedResource {
    /// The region it is in.
    pub region: String,
    /// Its kind, e.g. `DbInstance`.
    pub kind: String,
    /// Its identifier in AWS.
    pub id: String,
    /// When it was adopted (RFC 3339).
    pub adopted_at: String,
}

/// Existing databases to adopt, by RDS DB instance identifier.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseAdoption {
    /// The MySQL writer in the primary region (1-63 lowercase letters,
    /// digits and hyphens, starting with a letter).
    #[schemars(pattern(r"^[a-z](-?[a-z0-9])*$"), length(max = 63))]
    pub writer: String,
    /// Its cross-region read replica in the standby region; without it the
    /// operator creates the replica.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[a-z](-?[a-z0-9])*$"), length(max = 63))]
    pub replica: Option<String>,
}

/// The secret holding the database's credentials (username, password, host,
/// port, database name), kept in the primary region with a replica in the
/// standby; the operator writes it from `passwordSecretRef`.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CredentialsSpec {
    /// Days the secret stays recoverable after the stack is deleted (7 to
    /// 30); 0 deletes it at once.
    #[serde(default = "default_recovery_window")]
    #[x_kube(validation = Rule::new("self == 0 || (self >= 7 && self <= 30)").message("must be 0 (delete at once) or 7 to 30 days"))]
    pub recovery_window_days: i32,
}

impl Default for CredentialsSpec {
    fn default() -> Self {
        CredentialsSpec { recovery_window_days: default_recovery_window() }
    }
}

fn default_recovery_window() -> i32 {
    7
}

fn default_master_username() -> String {
    "admin".into()
}
fn default_database_name() -> String {
    "app".into()
}
fn default_engine_version() -> String {
    "8.0".into()
}
fn default_db_instance_class() -> String {
    "db.t3.micro".into()
}
fn default_allocated_storage() -> i32 {
    22
}
fn default_backup_retention() -> i32 {
    7
}
fn default_db_port() -> i32 {
    3306
}
fn yes() -> bool {
    true
}

/// The private zone per region with a name that points at that region's database.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
// The zones adopted are the stack's identity, as for every other `adopt`.
#[x_kube(validation = Rule::new("has(self.adopt) == has(oldSelf.adopt) && (!has(self.adopt) || self.adopt == oldSelf.adopt)").message("adopt is set when the stack is created and cannot be added, changed or removed later"))]
pub struct PrivateDnsSpec {
    /// Private hosted zone attached to both VPCs. Default `db.internal`.
    #[serde(default = "default_private_zone")]
    pub zone_name: String,
    /// Record of the writer in the private zone. Default `book`.
    #[serde(default = "default_private_record")]
    pub record_name: String,
    /// Existing private zones named `zoneName` to adopt instead of creating
    /// one per region (by hosted zone ID; each associated with its region's
    /// VPC): tagged as this stack's, the record then pointed at the
    /// database; left in place, untagged, with the record, when the stack
    /// is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopt: Option<PrivateZoneAdoption>,
}

/// Existing private hosted zones, by ID.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrivateZoneAdoption {
    /// The zone associated with the primary region's VPC.
    #[schemars(pattern(r"^[A-Z0-9]{1,32}$"))]
    pub primary: String,
    /// The zone associated with the standby region's VPC.
    #[schemars(pattern(r"^[A-Z0-9]{1,32}$"))]
    pub standby: String,
}

impl Default for PrivateDnsSpec {
    fn default() -> Self {
        PrivateDnsSpec { zone_name: default_private_zone(), record_name: default_private_record(), adopt: None }
    }
}

fn default_private_zone() -> String {
    "db.internal".into()
}
fn default_private_record() -> String {
    "book".into()
}

/// A server tier (web or api): launch template, auto scaling group, target group, ALB.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self.standbyCapacity.min <= self.capacity.min && self.standbyCapacity.desired <= self.capacity.desired && self.standbyCapacity.max <= self.capacity.max").message("the warm standby must not be larger than the active capacity"))]
// As for the database: the adopted names are the tier's identity.
#[x_kube(validation = Rule::new("has(self.adopt) == has(oldSelf.adopt) && (!has(self.adopt) || self.adopt == oldSelf.adopt)").message("adopt is set when the stack is created and cannot be added, changed or removed later"))]
pub struct TierSpec {
    /// EC2 instance type, e.g. `t3.micro`. Default `t3.micro`.
    #[serde(default = "default_instance_type")]
    pub instance_type: String,
    /// Port the instances listen on.
    #[serde(default = "default_http_port")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: i32,
    /// Target group health check path.
    #[serde(default = "default_health_path")]
    #[schemars(pattern(r"^/.*$"))]
    pub health_check_path: String,
    /// Capacity while this tier's region is active.
    #[serde(default)]
    pub capacity: Capacity,
    /// Capacity kept warm while this tier's region is the standby.
    #[serde(default)]
    pub standby_capacity: Capacity,
    /// Plain-text user data (base64-encoded by the operator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_data: Option<String>,
    /// Existing resources of this tier to bring under management instead of
    /// creating new ones, in both regions. The tier is adopted whole (the
    /// load balancer with its listeners, the target group, the launch
    /// template and the auto scaling group), tagged as this stack's when
    /// applied, then changed to the spec in place (a new launch template
    /// version, the stack's security groups); a difference that needs a new
    /// resource (an internal load balancer, a target group's port) is
    /// refused. Deleting the stack leaves them running, untagged, with what
    /// of the stack's they use (security groups, instance profile, image copy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopt: Option<TierAdoption>,
    /// `Retain`: deleting the stack leaves the tier (load balancer with its listeners, target group, launch template, auto scaling group, and the security groups, instance role, image copy and certificate they use) in place, running,
    /// without our tags, while the rest is deleted. Unset or `Delete`: deleted
    /// with the stack, unless `spec.deletionPolicy` is `Retain` (then
    /// nothing is touched) or it was adopted (always left, untagged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_policy: Option<DeletionPolicy>,
}

/// A server tier's existing resources, per region (`warmstandby discover`
/// writes them for a stack built by hand).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TierAdoption {
    /// In the RegionPair's primary region.
    pub primary: TierResources,
    /// In the RegionPair's standby region.
    pub standby: TierResources,
}

/// One region's resources of a server tier, by name.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TierResources {
    /// The application load balancer (1-32 letters, digits and hyphens); its listeners come with it.
    #[schemars(pattern(r"^[A-Za-z0-9](-?[A-Za-z0-9])*$"), length(max = 32))]
    pub load_balancer: String,
    /// The target group it forwards to (1-32 letters, digits and hyphens).
    #[schemars(pattern(r"^[A-Za-z0-9](-?[A-Za-z0-9])*$"), length(max = 32))]
    pub target_group: String,
    /// The launch template of the servers (3-128 letters, digits and `( ) . - / _`).
    #[schemars(pattern(r"^[A-Za-z0-9().\-/_]{3,128}$"))]
    pub launch_template: String,
    /// The auto scaling group (1-255 characters, no colon).
    #[schemars(pattern(r"^[^:\s]([^:]{0,253}[^:\s])?$"))]
    pub auto_scaling_group: String,
}

impl TierSpec {
    pub fn web() -> Self {
        TierSpec {
            instance_type: default_instance_type(),
            port: default_http_port(),
            health_check_path: default_health_path(),
            capacity: Capacity::default(),
            standby_capacity: Capacity::default(),
            user_data: None,
            adopt: None,
            deletion_policy: None,
        }
    }

    pub fn api() -> Self {
        TierSpec::web()
    }
}

fn default_instance_type() -> String {
    "t3.micro".into()
}
fn default_http_port() -> i32 {
    80
}
fn default_health_path() -> String {
    "/health".into()
}

/// Bastion host in a public subnet of the primary region.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BastionSpec {
    /// Run a bastion in the primary region's public subnet. Default true.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// EC2 instance type of the bastion. Default `t3.micro`.
    #[serde(default = "default_instance_type")]
    pub instance_type: String,
    /// EC2 key pair for SSH.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_name: Option<String>,
    /// CIDRs allowed to reach the bastion on port 22; nothing by default.
    #[serde(default)]
    #[schemars(length(max = 50), inner(length(max = 43)))]
    #[x_kube(validation = Rule::new("self.all(c, !c.endsWith('/0'))").message("0.0.0.0/0 would open SSH to the whole internet; name the networks that may connect"))]
    pub allowed_cidrs: Vec<String>,
}

impl Default for BastionSpec {
    fn default() -> Self {
        BastionSpec { enabled: true, instance_type: default_instance_type(), key_name: None, allowed_cidrs: Vec::new() }
    }
}

/// Route 53 health check of the primary api ALB.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("has(self.adopt) == has(oldSelf.adopt) && (!has(self.adopt) || self.adopt == oldSelf.adopt)").message("adopt is set when the stack is created and cannot be added, changed or removed later"))]
pub struct HealthCheckSpec {
    /// Path requested on the api load balancer (starts with `/`). Default `/health`.
    #[serde(default = "default_health_path")]
    #[schemars(pattern(r"^/.*$"))]
    pub path: String,
    /// Port checked on the api ALB (443 when HTTPS).
    #[serde(default = "default_https_port")]
    #[schemars(range(min = 1, max = 65535))]
    pub port: i32,
    /// Check over HTTPS (with the stack's certificate). Default true.
    #[serde(default = "yes")]
    pub https: bool,
    /// Seconds between checks: 10 or 30.
    #[serde(default = "default_interval")]
    #[x_kube(validation = Rule::new("self == 10 || self == 30").message("intervalSeconds must be 10 or 30"))]
    pub interval_seconds: i32,
    /// Consecutive failed checks before Route 53 reports the endpoint unhealthy (1-10). Default 3.
    #[serde(default = "default_failure_threshold")]
    #[schemars(range(min = 1, max = 10))]
    pub failure_threshold: i32,
    /// The ID of an existing Route 53 health check to adopt instead of
    /// creating one (its type, HTTP or HTTPS, and interval must be the
    /// spec's: Route 53 cannot change them); left in place, untagged, when
    /// the stack is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"))]
    pub adopt: Option<String>,
}

impl Default for HealthCheckSpec {
    fn default() -> Self {
        HealthCheckSpec {
            path: default_health_path(),
            port: default_https_port(),
            https: true,
            interval_seconds: default_interval(),
            failure_threshold: default_failure_threshold(),
            adopt: None,
        }
    }
}

fn default_https_port() -> i32 {
    443
}
fn default_interval() -> i32 {
    30
}
fn default_failure_threshold() -> i32 {
    3
}

/// CloudFront distribution with an origin group over the two web ALBs.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("has(self.adopt) == has(oldSelf.adopt) && (!has(self.adopt) || self.adopt == oldSelf.adopt)").message("adopt is set when the stack is created and cannot be added, changed or removed later"))]
pub struct CdnSpec {
    /// Origin responses that make CloudFront retry on the other origin.
    #[serde(default = "default_failover_codes")]
    #[schemars(length(min = 1, max = 8), inner(range(min = 400, max = 599)))]
    #[x_kube(validation = Rule::new("self.all(c, c in [400, 403, 404, 416, 500, 502, 503, 504])").message("CloudFront fails over only on 400, 403, 404, 416, 500, 502, 503 or 504"))]
    pub failover_status_codes: Vec<i32>,
    /// Connection attempts per origin (1-3); low means fast failover.
    #[serde(default = "default_connection_attempts")]
    #[schemars(range(min = 1, max = 3))]
    pub connection_attempts: i32,
    /// Seconds per connection attempt (1-10).
    #[serde(default = "default_connection_timeout")]
    #[schemars(range(min = 1, max = 10))]
    pub connection_timeout_seconds: i32,
    /// `Disabled`: every request reaches the origin (managed CachingDisabled policy); `Optimized`: CachingOptimized. Default `Disabled`.
    #[serde(default)]
    pub caching: CachingMode,
    /// Protocol CloudFront uses towards the web ALBs.
    #[serde(default)]
    pub origin_protocol: OriginProtocol,
    /// CloudFront price class: `PriceClass_100`, `PriceClass_200` or `PriceClass_All`. Default `PriceClass_100`.
    #[serde(default)]
    pub price_class: PriceClass,
    /// The ID of an existing distribution to adopt instead of creating one:
    /// tagged as this stack's when applied, then changed to the spec in place
    /// (its origins become the two web load balancers, its aliases the web
    /// name); left in place, untagged, with the certificate and web ACL of
    /// the stack's it uses, when the stack is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[A-Z][A-Z0-9]{5,31}$"))]
    pub adopt: Option<String>,
    /// `Retain`: deleting the stack leaves the distribution (with the certificate and web ACL of the stack it uses) in place, running,
    /// without our tags, while the rest is deleted. Unset or `Delete`: deleted
    /// with the stack, unless `spec.deletionPolicy` is `Retain` (then
    /// nothing is touched) or it was adopted (always left, untagged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_policy: Option<DeletionPolicy>,
}

impl Default for CdnSpec {
    fn default() -> Self {
        CdnSpec {
            failover_status_codes: default_failover_codes(),
            connection_attempts: default_connection_attempts(),
            connection_timeout_seconds: default_connection_timeout(),
            caching: CachingMode::default(),
            origin_protocol: OriginProtocol::default(),
            price_class: PriceClass::default(),
            adopt: None,
            deletion_policy: None,
        }
    }
}

fn default_failover_codes() -> Vec<i32> {
    vec![500, 502, 503, 504]
}
fn default_connection_attempts() -> i32 {
    1
}
fn default_connection_timeout() -> i32 {
    2
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum CachingMode {
    /// The managed CachingDisabled policy (the classic setup: dynamic pages).
    #[default]
    Disabled,
    /// The managed CachingOptimized policy.
    Optimized,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum OriginProtocol {
    #[default]
    HttpOnly,
    HttpsOnly,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[allow(non_camel_case_types)] // the names CloudFront uses
pub enum PriceClass {
    #[default]
    PriceClass_100,
    PriceClass_200,
    PriceClass_All,
}

/// WAFv2 web ACL (scope CLOUDFRONT) on the distribution.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("has(self.adopt) == has(oldSelf.adopt) && (!has(self.adopt) || self.adopt == oldSelf.adopt)").message("adopt is set when the stack is created and cannot be added, changed or removed later"))]
pub struct WafSpec {
    /// Attach a WAF web ACL to the distribution. Default true.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// AWS managed rule groups (vendor AWS), evaluated in this order.
    #[serde(default = "default_managed_rules")]
    #[schemars(inner(pattern(r"^AWSManagedRules[A-Za-z0-9]+$")))]
    pub managed_rule_groups: Vec<String>,
    /// Requests per 5 minutes per IP before blocking; none by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 10, max = 2000000000))]
    pub rate_limit: Option<i64>,
    /// The name of an existing web ACL (scope CLOUDFRONT) to adopt instead of
    /// creating one: tagged as this stack's when applied, its rules then
    /// managed like ours; left in place, untagged, when the stack is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[\w-]{1,128}$"))]
    pub adopt: Option<String>,
    /// `Retain`: deleting the stack leaves the web ACL in place, running,
    /// without our tags, while the rest is deleted. Unset or `Delete`: deleted
    /// with the stack, unless `spec.deletionPolicy` is `Retain` (then
    /// nothing is touched) or it was adopted (always left, untagged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_policy: Option<DeletionPolicy>,
}

impl Default for WafSpec {
    fn default() -> Self {
        WafSpec {
            enabled: true,
            managed_rule_groups: default_managed_rules(),
            rate_limit: None,
            adopt: None,
            deletion_policy: None,
        }
    }
}

fn default_managed_rules() -> Vec<String> {
    vec!["AWSManagedRulesCommonRuleSet".into(), "AWSManagedRulesKnownBadInputsRuleSet".into()]
}

/// AWS Backup vaults and a plan that copies recovery points to the standby.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
// What is adopted is the stack's identity, as for every other `adopt`.
#[x_kube(validation = Rule::new("has(self.adopt) == has(oldSelf.adopt) && (!has(self.adopt) || self.adopt == oldSelf.adopt)").message("adopt is set when the stack is created and cannot be added, changed or removed later"))]
pub struct BackupSpec {
    /// Back up the servers with AWS Backup and copy to the standby. Default true.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// AWS Backup schedule expression.
    #[serde(default = "default_backup_schedule")]
    pub schedule: String,
    /// Days a recovery point is kept (1-36500). Default 35.
    #[serde(default = "default_backup_retention_days")]
    #[schemars(range(min = 1, max = 36500))]
    pub retention_days: i32,
    /// Role AWS Backup assumes; default: the account's AWSBackupDefaultServiceRole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$"))]
    pub iam_role_arn: Option<String>,
    /// Existing vaults and plan to adopt instead of creating them (each may
    /// be left out): tagged as this stack's, the plan's rule then changed
    /// to the spec's (its selections other than the stack's kept); left in
    /// place, untagged, with the vaults the plan uses, when the stack is
    /// deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopt: Option<BackupAdoption>,
    /// `Retain`: deleting the stack leaves the vaults and the plan (recovery points are kept with them) in place, running,
    /// without our tags, while the rest is deleted. Unset or `Delete`: deleted
    /// with the stack, unless `spec.deletionPolicy` is `Retain` (then
    /// nothing is touched) or it was adopted (always left, untagged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_policy: Option<DeletionPolicy>,
}

/// Existing AWS Backup resources: vaults by name, the plan by ID.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackupAdoption {
    /// The primary region's vault, where the plan backs up (2-50 letters, digits, `-` and `_`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[A-Za-z0-9_-]{2,50}$"))]
    pub primary_vault: Option<String>,
    /// The standby region's vault, where the plan copies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[A-Za-z0-9_-]{2,50}$"))]
    pub standby_vault: Option<String>,
    /// The backup plan in the primary region, by its ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^[A-Za-z0-9-]{1,50}$"))]
    pub plan: Option<String>,
}

impl Default for BackupSpec {
    fn default() -> Self {
        BackupSpec {
            enabled: true,
            schedule: default_backup_schedule(),
            retention_days: default_backup_retention_days(),
            iam_role_arn: None,
            adopt: None,
            deletion_policy: None,
        }
    }
}

fn default_backup_schedule() -> String {
    "cron(0 5 ? * * *)".into()
}
fn default_backup_retention_days() -> i32 {
    35
}

/// CloudWatch alarm on the health check (us-east-1).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlarmSpec {
    /// Create the CloudWatch alarm on the health check. Default true.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// SNS topics notified on ALARM.
    #[serde(default)]
    pub sns_topic_arns: Vec<String>,
}

impl Default for AlarmSpec {
    fn default() -> Self {
        AlarmSpec { enabled: true, sns_topic_arns: Vec::new() }
    }
}

/// Observed state of a ThreeTierStack.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ThreeTierStackStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Coarse lifecycle: Pending, Provisioning, Ready, Degraded, Failed, Paused, Observing, FailingOver or Deleting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    /// Name of the region currently serving.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_region: Option<String>,
    /// Role of the region currently serving; differs from `spec.activeRegion`
    /// after an automatic failover, until the spec is changed to match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_role: Option<RegionRole>,
    /// Region whose database takes writes, as AWS shows it this pass
    /// (absent while none does, e.g. during a promotion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writer_region: Option<String>,
    /// Region that `api.<domain>` (PRIMARY record and health check) and
    /// CloudFront's first origin point at, as AWS shows it this pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic_region: Option<String>,
    /// `spec.activeRegion` as last acted on: a change of the field is a
    /// request for a planned switchover.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_active_region: Option<RegionRole>,
    /// Monotonic failover epoch; also tagged on the database a failover promotes.
    #[serde(default)]
    pub epoch: i64,
    /// What the failure detection currently sees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection: Option<DetectionStatus>,
    /// Readiness of the standby and the last drill.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill: Option<DrillStatus>,
    /// `Ready`, `StandbyReady`, `DriftDetected`, `FailoverInProgress` and others, each with its reason.
    #[serde(default)]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
    /// IDs and state of the primary region's resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<RegionStackStatus>,
    /// IDs and state of the standby region's resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standby: Option<RegionStackStatus>,
    /// IDs of the global resources (Route 53, CloudFront, WAF, the alarm, the backup plan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub global: Option<GlobalStackStatus>,
    /// Where the application answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<Endpoints>,
    /// The credentials secret and the instance roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<AccessStatus>,
    /// Number of differences between the spec and AWS found by the last pass.
    #[serde(default)]
    pub drift_count: i32,
    /// The differences found by the last pass, field by field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<DriftItem>,
    /// While only observing (`managementPolicy: Observe` or `paused`): what an apply would change now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned: Option<PlannedChanges>,
    /// Existing resources this stack adopted, as they were adopted; kept
    /// when a failover later replaces one (it is then recreated, not looked for).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adopted: Vec<AdoptedResource>,
    /// When the stack first became Ready (RFC 3339); failure detection
    /// watches it from then on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_ready_at: Option<String>,
    /// What AWS is still working on when a pass only waited: the next passes
    /// read just these until one changes (or the next full observation is due).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_on: Option<WaitingOn>,
    /// The failover in progress, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failover: Option<FailoverProgress>,
    /// Completed failovers, switchovers and drills, newest last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failover_history: Vec<FailoverRecord>,
}

/// IDs and state of one region's part of a stack.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegionStackStatus {
    /// AWS Region.
    pub region: String,
    /// Security group IDs by role (`alb-web`, `web`, `alb-api`, `api`, `db`, `bastion`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub security_group_ids: BTreeMap<String, String>,
    /// ID of the running bastion instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bastion_instance_id: Option<String>,
    /// The region's database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<DatabaseStatus>,
    /// ID of the private hosted zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_zone_id: Option<String>,
    /// ARN of the region's ACM certificate for the api load balancer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_arn: Option<String>,
    /// AMI per tier in this region (the standby's are copies unless given).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub image_ids: BTreeMap<String, String>,
    /// Target group ARN per tier.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub target_group_arns: BTreeMap<String, String>,
    /// Load balancer per tier.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub load_balancers: BTreeMap<String, LoadBalancerStatus>,
    /// Launch template per tier.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub launch_templates: BTreeMap<String, LaunchTemplateStatus>,
    /// Auto scaling group per tier.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub auto_scaling_groups: BTreeMap<String, AutoScalingGroupStatus>,
    /// Name of the region's backup vault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_vault_name: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseStatus {
    /// RDS DB instance identifier.
    pub instance_id: String,
    /// `writer` or `replica`.
    pub role: String,
    /// Host name RDS gives the instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// RDS status, e.g. `available`, `backing-up`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The replica's current `ReplicaLag` while replication runs; absent when RDS publishes no lag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica_lag_seconds: Option<i64>,
    /// Replication into the replica as RDS reports it, with what the RPO estimate needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replication: Option<ReplicationStatus>,
    /// When this instance was adopted (RFC 3339); absent for one warmstandby created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopted_at: Option<String>,
}

/// Slow AWS resources a stack waits on, as its last full observation saw them.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WaitingOn {
    /// When the stack was last observed whole (RFC 3339).
    pub observed_at: String,
    /// The resources still in a state AWS passes through.
    #[serde(default)]
    pub resources: Vec<WaitedResource>,
}

/// One resource in a state AWS passes through (creating, provisioning, pending, InProgress).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WaitedResource {
    /// `database`, `loadBalancer`, `image`, `certificate` or `distribution`.
    pub kind: String,
    /// The region (`us-east-1` for CloudFront and its certificate).
    pub region: String,
    /// Identifier, ARN or ID as the kind's describe call takes it.
    pub id: String,
    /// The state it was seen in.
    pub state: String,
}

/// Replication into a read replica, remembered across passes: the RPO
/// estimate needs the last lag known and when replication stopped.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReplicationStatus {
    /// `replicating`, `stopped` (not running, or in error) or `unknown` (no reading).
    pub state: String,
    /// Why replication is not running, in RDS's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The last `ReplicaLag` reading that was a lag (seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_lag_seconds: Option<i64>,
    /// When that reading was published (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_lag_at: Option<String>,
    /// When replication was first seen not running (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_since: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancerStatus {
    /// ARN of the load balancer.
    pub arn: String,
    /// DNS name of the load balancer.
    pub dns_name: String,
    /// Hosted zone of the DNS name (alias records), kept for when the region is unreachable.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub zone_id: String,
    /// Read directly on the next pass instead of per load balancer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub listener_arns: Vec<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LaunchTemplateStatus {
    /// ID of the launch template.
    pub id: String,
    /// Version the auto scaling group launches.
    pub version: i64,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutoScalingGroupStatus {
    /// Name of the auto scaling group.
    pub name: String,
    /// Its minimum, desired and maximum size as AWS reports them.
    pub capacity: Capacity,
}

/// IDs of the global resources (Route 53, CloudFront, WAF, alarms).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GlobalStackStatus {
    /// ID of the public hosted zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_zone_id: Option<String>,
    /// ID of the Route 53 health check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_id: Option<String>,
    /// ID of the CloudFront distribution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distribution_id: Option<String>,
    /// ARN of the distribution's ACM certificate (us-east-1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudfront_certificate_arn: Option<String>,
    /// ARN of the WAF web ACL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_acl_arn: Option<String>,
    /// Name of the CloudWatch alarm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm_name: Option<String>,
    /// ID of the AWS Backup plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_plan_id: Option<String>,
}

/// The credentials secret and the tiers' instance profiles. Never the value.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessStatus {
    /// Name of the database credentials secret in Secrets Manager.
    pub secret_name: String,
    /// The secret's ARN by region (the standby's is the replica).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secret_arns: BTreeMap<String, String>,
    /// When the secret's value last changed: created or rotated (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_rotated: Option<String>,
    /// Instance profile per tier.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub instance_profiles: BTreeMap<String, String>,
}

/// Where the application answers.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    /// Public web address (through CloudFront).
    pub web: String,
    /// Public api address (Route 53 failover records).
    pub api: String,
    /// The distribution's own domain name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudfront: Option<String>,
    /// ALB DNS names by `<region>/<tier>`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub load_balancers: BTreeMap<String, String>,
}

/// Standby readiness, checked on every pass; drills record it on demand or on schedule.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DrillStatus {
    /// Checks that fail now (empty: the standby could take over).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<String>,
    /// Expected time from failure to serving from the standby.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicted_rto_seconds: Option<i64>,
    /// When the last drill ran (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run_at: Option<String>,
    /// When a drill last passed (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_success_at: Option<String>,
    /// The `warmstandby.dev/run-drill` annotation value last acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_request: Option<String>,
}

/// Failure detection of the active region.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DetectionStatus {
    /// Sources reporting failure now, e.g. `alarm`, `healthCheck`, `probes`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failing: Vec<String>,
    /// Since when enough sources report failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<String>,
    /// Consecutive failed and successful probe rounds.
    #[serde(default)]
    pub probe_failures: i32,
    /// Consecutive successful probe rounds.
    #[serde(default)]
    pub probe_successes: i32,
}

/// A failover or switchover in progress.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FailoverProgress {
    /// Monotonic; also written as an AWS tag on what each step changes.
    pub epoch: i64,
    /// `failover`, `switchover`, `failback` or `drill`.
    pub kind: String,
    /// Role of the region traffic moves from.
    pub from: RegionRole,
    /// Role of the region traffic moves to.
    pub to: RegionRole,
    /// The step running now.
    pub step: String,
    /// The steps so far, in order.
    #[serde(default)]
    pub steps: Vec<FailoverStep>,
    /// When the move started (RFC 3339).
    pub started_at: String,
    /// Replica lag when the decision was taken (RPO estimate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpo_estimate_seconds: Option<i64>,
    /// Why the move is refused now (a guard, a missing approval). It stays
    /// requested, and goes on by itself once the refusal no longer holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FailoverStep {
    /// The step, e.g. `fence`, `promote`, `switch`, `verify`.
    pub name: String,
    /// When the step started (RFC 3339).
    pub started_at: String,
    /// When the step finished (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// What the step did or is waiting for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A finished failover, switchover, failback or drill.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FailoverRecord {
    /// The move's epoch.
    pub epoch: i64,
    /// `failover`, `switchover`, `failback` or `drill`.
    pub kind: String,
    /// Role of the region traffic moved from.
    pub from: RegionRole,
    /// Role of the region traffic moved to.
    pub to: RegionRole,
    /// When the move started (RFC 3339).
    pub started_at: String,
    /// When it finished (RFC 3339).
    pub finished_at: String,
    /// `Succeeded`, `Refused` or `Failed`.
    pub outcome: String,
    /// Seconds from the decision until the target region served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rto_seconds: Option<f64>,
    /// Replica lag in seconds when the move was decided: the writes that may be lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpo_estimate_seconds: Option<i64>,
    /// Why it was refused or failed, or what it did.
    #[serde(default)]
    pub message: String,
}
