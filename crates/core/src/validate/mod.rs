//! Validation: spec + referenced objects -> validated model, or every error,
//! one file per kind of object (and per part of a stack's spec).
//!
//! Pure and shared by the CLI, the operator and an admission webhook. Every
//! error names its field path; all errors are collected, not just the first.

use std::collections::BTreeSet;

use ipnet::Ipv4Net;
use warmstandby_api::{
    Capacity, DeletionPolicy, FailoverPolicy, FailoverPolicySpec, NatGatewayMode, RegionNetworkSpec, RegionPair,
    RegionRole, ThreeTierStack, ThreeTierStackSpec, TierSpec,
};

use crate::field::{ValidationErrors, check_range};
use crate::names;
use crate::net::{nth_subnet, overlaps, parse_cidr};
use crate::secret::{Password, PasswordLookup};

/// Subnet tiers, in the order their default blocks are carved from the VPC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SubnetTier {
    Public,
    Web,
    App,
    Db,
}

impl SubnetTier {
    pub const ALL: [SubnetTier; 4] = [SubnetTier::Public, SubnetTier::Web, SubnetTier::App, SubnetTier::Db];

    pub fn as_str(self) -> &'static str {
        match self {
            SubnetTier::Public => "public",
            SubnetTier::Web => "web",
            SubnetTier::App => "app",
            SubnetTier::Db => "db",
        }
    }
}

/// Letters that name the zone slots in resource keys: `web-a`, `web-b`.
pub const ZONE_SLOTS: [&str; 2] = ["a", "b"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubnetPlan {
    pub tier: SubnetTier,
    pub zone_index: usize,
    pub zone: String,
    pub cidr: Ipv4Net,
}

impl SubnetPlan {
    /// Stable logical key, e.g. `web-a`.
    pub fn key(&self) -> String {
        format!("{}-{}", self.tier.as_str(), ZONE_SLOTS[self.zone_index])
    }
}

/// One region's network, with defaults resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionNetwork {
    pub role: RegionRole,
    pub region: String,
    pub source: NetworkSource,
}

/// Where a region's network comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetworkSource {
    /// The operator builds it, owns it and deletes it.
    Built(NetworkLayout),
    /// Someone else's: used as it is, never tagged, changed or deleted.
    Existing(ExistingNetwork),
}

/// A network the operator builds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkLayout {
    pub vpc_cidr: Ipv4Net,
    pub zones: [String; 2],
    /// Eight subnets: every tier in both zones.
    pub subnets: Vec<SubnetPlan>,
}

/// An existing network, by ID.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExistingNetwork {
    pub vpc_id: String,
    /// Subnet IDs by key (`web-a`: the tier's first subnet): the same keys a built network has.
    pub subnet_ids: std::collections::BTreeMap<String, String>,
}

impl ExistingNetwork {
    /// The tier of a subnet key (`web-a` is Web).
    pub fn tier_of(key: &str) -> Option<SubnetTier> {
        let tier = key.rsplit_once('-').map_or(key, |(t, _)| t);
        SubnetTier::ALL.into_iter().find(|t| t.as_str() == tier)
    }
}

impl RegionNetwork {
    /// The layout of a network the operator builds.
    pub fn layout(&self) -> Option<&NetworkLayout> {
        match &self.source {
            NetworkSource::Built(layout) => Some(layout),
            NetworkSource::Existing(_) => None,
        }
    }

    pub fn existing(&self) -> Option<&ExistingNetwork> {
        match &self.source {
            NetworkSource::Built(_) => None,
            NetworkSource::Existing(existing) => Some(existing),
        }
    }
}

impl NetworkLayout {
    pub fn subnet(&self, tier: SubnetTier, zone_index: usize) -> Option<&SubnetPlan> {
        self.subnets.iter().find(|s| s.tier == tier && s.zone_index == zone_index)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatedRegionPair {
    pub name: String,
    pub primary: RegionNetwork,
    pub standby: RegionNetwork,
    pub nat_gateways: NatGatewayMode,
    pub role_arn: Option<String>,
    pub deletion_policy: DeletionPolicy,
    /// The pair's passes change nothing in AWS (`paused`, `managementPolicy: Observe`).
    pub hands_off: Option<warmstandby_api::HandsOff>,
}

impl ValidatedRegionPair {
    pub fn region(&self, role: RegionRole) -> &RegionNetwork {
        match role {
            RegionRole::Primary => &self.primary,
            RegionRole::Standby => &self.standby,
        }
    }
}

/// A stack whose spec and references all checked out.
#[derive(Clone, Debug)]
pub struct ValidatedStack {
    pub namespace: String,
    pub name: String,
    /// `metadata.uid` (empty before the API server assigns one): names what
    /// must not be mistaken for an earlier stack of the same name.
    pub uid: String,
    pub pair: ValidatedRegionPair,
    pub spec: ThreeTierStackSpec,
    pub policy: Option<FailoverPolicySpec>,
    pub password: Password,
}

impl ValidatedStack {
    /// The AWS name of one of the stack's resources:
    /// `<namespace>-<name>-<suffix>`, bounded to `max` characters.
    pub fn aws_name(&self, suffix: &str, max: usize) -> String {
        names::bounded_name(&format!("{}-{}-{suffix}", self.namespace, self.name), max)
    }
}

/// What the dereference step found for a stack.
pub struct StackInputs<'a> {
    pub stack: &'a ThreeTierStack,
    pub region_pair: Option<&'a RegionPair>,
    pub policy: Option<&'a FailoverPolicy>,
    pub password: PasswordLookup,
}

mod compute;
mod database;
mod edge;
mod policy;
mod region_pair;
mod three_tier_stack;

use compute::*;
use database::*;
use edge::*;
pub use policy::validate_policy;
pub use region_pair::validate_region_pair;
pub use three_tier_stack::{validate_stack, validate_stack_for_teardown};

#[cfg(test)]
mod tests;
