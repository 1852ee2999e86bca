//! `RegionPair`: the two regions' networks (cluster-scoped, shared by stacks).

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{DeletionPolicy, ManagementPolicy};
use crate::status::{Condition, DriftItem, Phase, PlannedChanges};

/// The networks of a primary and a warm-standby region.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "warmstandby.dev",
    version = "v1alpha1",
    kind = "RegionPair",
    shortname = "rp",
    category = "warmstandby",
    status = "RegionPairStatus",
    doc = "Two AWS regions' networks (VPC, subnets, gateways, route tables) for warm-standby stacks",
    printcolumn(name = "Primary", type_ = "string", json_path = ".spec.primary.region"),
    printcolumn(name = "Standby", type_ = "string", json_path = ".spec.standby.region"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
    printcolumn(name = "Phase", type_ = "string", json_path = ".status.phase"),
    printcolumn(name = "Drift", type_ = "integer", json_path = ".status.driftCount"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp"),
    validation = Rule::new("self.spec.primary.region != self.spec.standby.region").message("spec.standby.region: must differ from spec.primary.region")
)]
#[serde(rename_all = "camelCase")]
pub struct RegionPairSpec {
    /// The region that serves traffic in normal operation.
    pub primary: RegionNetworkSpec,
    /// The warm-standby region.
    pub standby: RegionNetworkSpec,
    /// One NAT gateway per region (cheaper) or one per availability zone (survives an AZ loss).
    #[serde(default)]
    pub nat_gateways: NatGatewayMode,
    /// IAM role to assume for this pair's account (cross-account stacks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$"))]
    pub role_arn: Option<String>,
    /// `Delete`: the networks are deleted with the object; `Retain`: left in AWS. Default `Delete`.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
    /// Observe and report only; never change AWS.
    #[serde(default)]
    pub paused: bool,
    /// `Manage` (default): create, repair and delete the networks. `Observe`: compute the plan and drift into the status and events and change nothing in AWS (deleting the object leaves AWS as it is). Switching to `Manage` applies.
    #[serde(default)]
    pub management_policy: ManagementPolicy,
}

impl RegionPairSpec {
    /// Why this pair's passes change nothing in AWS, if they do not.
    pub fn hands_off(&self) -> Option<crate::common::HandsOff> {
        self.management_policy.hands_off(self.paused)
    }
}

/// One region's network: one the operator builds (`vpcCidr`) or an existing one it uses as it is (`existing`).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("size(self.availabilityZones) == 0 || size(self.availabilityZones) == 2").message("availabilityZones: give exactly two zones, or none for the default"))]
#[x_kube(validation = Rule::new("has(self.vpcCidr) != has(self.existing)").message("give vpcCidr (a network the operator builds) or existing (one it uses as it is), exactly one of them"))]
#[x_kube(validation = Rule::new("!has(self.existing) || (!has(self.subnets) && size(self.availabilityZones) == 0)").message("existing: its subnets are given by ID; subnets and availabilityZones describe a network the operator builds"))]
pub struct RegionNetworkSpec {
    /// AWS Region, e.g. `us-east-1`.
    #[schemars(pattern(r"^[a-z]{2}(-gov|-iso|-isob)?-(north|south|east|west|central|northeast|southeast|northwest|southwest)-[1-9][0-9]?$"))]
    pub region: String,
    /// VPC CIDR block (/16 to /28) of a network the operator builds; the default subnets need a /21 or larger.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[schemars(pattern(r"^([0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}$"))]
    pub vpc_cidr: String,
    /// An existing VPC and its subnets by tier, used as they are: observed and reported, never tagged, changed or deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing: Option<ExistingNetworkSpec>,
    /// Two availability zones; default `<region>a` and `<region>b`.
    #[serde(default)]
    #[schemars(length(max = 2), inner(pattern(r"^[a-z]{2}(-gov|-iso|-isob)?-[a-z]+-[1-9][0-9]?[a-z]$")))]
    pub availability_zones: Vec<String>,
    /// Subnet CIDRs per tier, one per zone; default: the first eight /24s of the VPC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnets: Option<SubnetLayout>,
}

/// An existing VPC and two subnets per tier (one per availability zone), by ID.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExistingNetworkSpec {
    /// The VPC, e.g. `vpc-0a1b2c3d4e5f60718`.
    #[schemars(pattern(r"^vpc-[0-9a-f]{8,17}$"))]
    pub vpc_id: String,
    /// The subnets by tier.
    pub subnets: ExistingSubnets,
}

/// Two subnet IDs per tier, in two different availability zones.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExistingSubnets {
    /// Public subnets (load balancers, bastion), routed to an internet gateway.
    #[schemars(length(min = 2, max = 2), inner(pattern(r"^subnet-[0-9a-f]{8,17}$")))]
    pub public: Vec<String>,
    /// The web tier's private subnets, with a route out (NAT).
    #[schemars(length(min = 2, max = 2), inner(pattern(r"^subnet-[0-9a-f]{8,17}$")))]
    pub web: Vec<String>,
    /// The api tier's private subnets, with a route out (NAT).
    #[schemars(length(min = 2, max = 2), inner(pattern(r"^subnet-[0-9a-f]{8,17}$")))]
    pub app: Vec<String>,
    /// The database subnets.
    #[schemars(length(min = 2, max = 2), inner(pattern(r"^subnet-[0-9a-f]{8,17}$")))]
    pub db: Vec<String>,
}

/// Subnet CIDR blocks per tier, the first in the first zone, the second in the second.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubnetLayout {
    /// Two CIDRs of the public subnets (load balancers, NAT gateways, bastion), inside the VPC.
    #[schemars(length(min = 2, max = 2), inner(pattern(r"^([0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}$")))]
    pub public: Vec<String>,
    /// Two CIDRs of the web tier's private subnets, inside the VPC.
    #[schemars(length(min = 2, max = 2), inner(pattern(r"^([0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}$")))]
    pub web: Vec<String>,
    /// Two CIDRs of the api tier's private subnets, inside the VPC.
    #[schemars(length(min = 2, max = 2), inner(pattern(r"^([0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}$")))]
    pub app: Vec<String>,
    /// Two CIDRs of the database subnets (no route out), inside the VPC.
    #[schemars(length(min = 2, max = 2), inner(pattern(r"^([0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}$")))]
    pub db: Vec<String>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum NatGatewayMode {
    /// One NAT gateway per region, in the first public subnet.
    #[default]
    Single,
    /// One NAT gateway per availability zone.
    PerAz,
}

/// Observed state of a RegionPair.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegionPairStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// Coarse lifecycle: Pending, Provisioning, Ready, Degraded, Failed, Paused, Observing or Deleting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    /// `Ready`, `NetworksReady`, `DriftDetected` and others, each with its reason.
    #[serde(default)]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
    /// The primary region's network IDs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<RegionNetworkStatus>,
    /// The standby region's network IDs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standby: Option<RegionNetworkStatus>,
    /// Number of differences between the spec and AWS found by the last pass.
    #[serde(default)]
    pub drift_count: i32,
    /// The differences found by the last pass, field by field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<DriftItem>,
    /// While only observing (`managementPolicy: Observe` or `paused`): what an apply would change now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned: Option<PlannedChanges>,
}

/// IDs of one region's network resources.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegionNetworkStatus {
    /// AWS Region.
    pub region: String,
    /// ID of the VPC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    /// Subnet IDs by tier and zone, e.g. `web-a`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub subnet_ids: std::collections::BTreeMap<String, String>,
    /// ID of the internet gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internet_gateway_id: Option<String>,
    /// NAT gateway IDs by zone slot (`a`, `b`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub nat_gateway_ids: std::collections::BTreeMap<String, String>,
    /// Allocation IDs of the NAT gateways' Elastic IPs by zone slot.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub elastic_ip_allocation_ids: std::collections::BTreeMap<String, String>,
    /// Route table IDs by name, e.g. `public`, `private-a` (an existing network: by the subnet key they route, e.g. `web-a`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub route_table_ids: std::collections::BTreeMap<String, String>,
    /// An existing network (`spec.<region>.existing`): observed, never changed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub existing: bool,
}
