//! The desired topology: every AWS resource that should exist, its key
//! properties and what it depends on, in creation order.

mod stack;

// Each family's desired state lives with the family; here is the whole topology.
pub use crate::data::desired::*;
pub use crate::edge::desired::*;
pub use crate::network::desired::{
    DesiredNat, DesiredNetwork, DesiredRouteTable, DesiredSubnet, RouteTarget, desired_network,
};
pub use stack::stack_resources;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use warmstandby_api::{GLOBAL_REGION, RegionRole};

use crate::validate::{ValidatedRegionPair, ValidatedStack};

/// Where a resource lives.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Region {
        role: RegionRole,
        region: String,
    },
    /// Route 53, CloudFront, WAF (CLOUDFRONT) and their alarm: served from us-east-1.
    Global,
}

impl Scope {
    pub fn region(&self) -> &str {
        match self {
            Scope::Region { region, .. } => region,
            Scope::Global => GLOBAL_REGION,
        }
    }

    pub fn label(&self) -> String {
        match self {
            Scope::Region { role, region } => format!("{role} ({region})"),
            Scope::Global => format!("global ({GLOBAL_REGION})"),
        }
    }

    pub fn key_prefix(&self) -> &'static str {
        match self {
            Scope::Region { role, .. } => role.as_str(),
            Scope::Global => "global",
        }
    }
}

/// AWS resource kinds the operator manages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Vpc,
    Subnet,
    InternetGateway,
    ElasticIp,
    NatGateway,
    RouteTable,
    SecurityGroup,
    BastionInstance,
    DbSubnetGroup,
    DbInstance,
    DbReadReplica,
    PrivateHostedZone,
    PrivateDnsRecord,
    BackupVault,
    BackupPlan,
    BackupSelection,
    /// The database credentials (Secrets Manager), with its replica.
    Secret,
    /// IAM role and instance profile of a tier's instances.
    InstanceRole,
    InstanceProfile,
    Certificate,
    CertificateValidationRecord,
    Image,
    TargetGroup,
    LoadBalancer,
    Listener,
    LaunchTemplate,
    AutoScalingGroup,
    PublicHostedZone,
    HealthCheck,
    FailoverRecord,
    WebAcl,
    Distribution,
    AliasRecord,
    Alarm,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// The rows of the architecture: where a resource sits in the picture and in
/// the progress display. The regional certificate serves the api's HTTPS
/// listener, so it sits in the api row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// Route 53, CloudFront, WAF, the health check and its alarm.
    Global,
    Web,
    Api,
    /// Security groups of the bastion and database, the bastion, MySQL,
    /// private DNS and backups.
    Data,
    Network,
}

impl Tier {
    /// Top to bottom, as drawn.
    pub const ALL: [Tier; 5] = [Tier::Global, Tier::Web, Tier::Api, Tier::Data, Tier::Network];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Global => "global",
            Tier::Web => "web",
            Tier::Api => "api",
            Tier::Data => "data",
            Tier::Network => "network",
        }
    }

    /// The row of a resource of `kind` whose ownership component is `component`
    /// (e.g. `security-group/alb-web`), in `scope`.
    pub fn of(scope: &Scope, kind: Kind, component: &str) -> Tier {
        use Kind as K;
        if *scope == Scope::Global {
            return Tier::Global;
        }
        match kind {
            K::Vpc | K::Subnet | K::InternetGateway | K::ElasticIp | K::NatGateway | K::RouteTable => Tier::Network,
            K::BastionInstance
            | K::DbSubnetGroup
            | K::DbInstance
            | K::DbReadReplica
            | K::PrivateHostedZone
            | K::PrivateDnsRecord
            | K::BackupVault
            | K::BackupPlan
            | K::BackupSelection
            | K::Secret => Tier::Data,
            K::Certificate => Tier::Api,
            K::SecurityGroup
            | K::InstanceRole
            | K::InstanceProfile
            | K::CertificateValidationRecord
            | K::Image
            | K::TargetGroup
            | K::LoadBalancer
            | K::Listener
            | K::LaunchTemplate
            | K::AutoScalingGroup
            | K::PublicHostedZone
            | K::HealthCheck
            | K::FailoverRecord
            | K::WebAcl
            | K::Distribution
            | K::AliasRecord
            | K::Alarm => Tier::of_component(component).unwrap_or(Tier::Data),
        }
    }

    /// `web` or `api` when a component names one of them (`alb-web`, `web-http`).
    pub fn of_component(component: &str) -> Option<Tier> {
        let words = component.split(['/', '-']);
        let mut found = None;
        for w in words {
            match w {
                "web" => found = Some(Tier::Web),
                "api" => found = Some(Tier::Api),
                _ => {}
            }
        }
        found
    }
}

/// One resource of the desired topology.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    /// Stable logical key: `<scope>/<component>`, e.g. `primary/subnet/web-a`.
    pub key: String,
    pub kind: Kind,
    pub scope: Scope,
    /// The `Name` tag (or the AWS name where the API has one).
    pub name: String,
    pub properties: Vec<(String, String)>,
    pub depends_on: Vec<String>,
}

impl Resource {
    pub fn new(scope: &Scope, component: &str, kind: Kind, name: impl Into<String>) -> Self {
        Resource {
            key: format!("{}/{component}", scope.key_prefix()),
            kind,
            scope: scope.clone(),
            name: name.into(),
            properties: Vec::new(),
            depends_on: Vec::new(),
        }
    }

    pub fn prop(mut self, k: &str, v: impl fmt::Display) -> Self {
        self.properties.push((k.to_string(), v.to_string()));
        self
    }

    pub fn dep(mut self, key: impl Into<String>) -> Self {
        self.depends_on.push(key.into());
        self
    }

    /// The ownership component tag value: the key without its scope.
    pub fn component(&self) -> &str {
        self.key.split_once('/').map(|(_, c)| c).unwrap_or(&self.key)
    }

    pub fn tier(&self) -> Tier {
        Tier::of(&self.scope, self.kind, self.component())
    }
}

/// A dependency names a key that is not in the topology, or the graph has a cycle.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TopologyError {
    #[error("{resource} depends on {missing}, which is not part of the topology")]
    MissingDependency { resource: String, missing: String },
    #[error("dependency cycle among: {0}")]
    Cycle(String),
}

/// Every desired resource, sorted so that each comes after what it depends on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topology {
    pub resources: Vec<Resource>,
}

impl Topology {
    /// Orders `resources` for creation: a stable topological sort that keeps
    /// the given order wherever dependencies allow it.
    pub fn new(resources: Vec<Resource>) -> Result<Topology, TopologyError> {
        let index: BTreeMap<&str, usize> = resources.iter().enumerate().map(|(i, r)| (r.key.as_str(), i)).collect();
        let mut indegree = vec![0usize; resources.len()];
        let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); resources.len()];
        for (i, r) in resources.iter().enumerate() {
            for d in &r.depends_on {
                let Some(&j) = index.get(d.as_str()) else {
                    return Err(TopologyError::MissingDependency { resource: r.key.clone(), missing: d.clone() });
                };
                indegree[i] += 1;
                dependents[j].push(i);
            }
        }
        let mut ready: BTreeSet<usize> = (0..resources.len()).filter(|i| indegree[*i] == 0).collect();
        let mut order = Vec::with_capacity(resources.len());
        while let Some(i) = ready.pop_first() {
            order.push(i);
            for &k in &dependents[i] {
                indegree[k] -= 1;
                if indegree[k] == 0 {
                    ready.insert(k);
                }
            }
        }
        if order.len() != resources.len() {
            let stuck: Vec<&str> =
                (0..resources.len()).filter(|i| indegree[*i] > 0).map(|i| resources[i].key.as_str()).collect();
            return Err(TopologyError::Cycle(stuck.join(", ")));
        }
        let mut slots: Vec<Option<Resource>> = resources.into_iter().map(Some).collect();
        let resources = order.into_iter().filter_map(|i| slots[i].take()).collect();
        Ok(Topology { resources })
    }

    /// Deletion order: the reverse of creation.
    pub fn deletion_order(&self) -> impl Iterator<Item = &Resource> {
        self.resources.iter().rev()
    }

    pub fn get(&self, key: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.key == key)
    }

    pub fn count_in(&self, scope_prefix: &str) -> usize {
        self.resources.iter().filter(|r| r.scope.key_prefix() == scope_prefix).count()
    }
}

/// The network topology of a region pair alone.
pub fn region_pair_topology(pair: &ValidatedRegionPair) -> Result<Topology, TopologyError> {
    let mut resources = Vec::new();
    for role in RegionRole::BOTH {
        resources.extend(desired_network(pair, role).resources());
    }
    Topology::new(resources)
}

/// The whole topology of a stack: its pair's networks, both regions' stack
/// resources and the global ones.
pub fn stack_topology(stack: &ValidatedStack) -> Result<Topology, TopologyError> {
    let mut resources = Vec::new();
    for role in RegionRole::BOTH {
        resources.extend(desired_network(&stack.pair, role).resources());
    }
    resources.extend(stack_resources(stack));
    Topology::new(resources)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(key: &str, deps: &[&str]) -> Resource {
        let mut res = Resource::new(&Scope::Global, key, Kind::Alarm, key);
        for d in deps {
            res = res.dep(format!("global/{d}"));
        }
        res
    }

    #[test]
    fn sort_is_stable_and_respects_dependencies() {
        let t = Topology::new(vec![r("c", &["b"]), r("a", &[]), r("b", &["a"]), r("d", &[])]).unwrap();
        let keys: Vec<_> = t.resources.iter().map(|r| r.component()).collect();
        assert_eq!(keys, ["a", "b", "c", "d"]);
        let rev: Vec<_> = t.deletion_order().map(|r| r.component()).collect();
        assert_eq!(rev, ["d", "c", "b", "a"]);
    }

    #[test]
    fn missing_dependency_and_cycle_are_errors() {
        assert!(matches!(Topology::new(vec![r("a", &["zz"])]), Err(TopologyError::MissingDependency { .. })));
        assert!(matches!(Topology::new(vec![r("a", &["b"]), r("b", &["a"])]), Err(TopologyError::Cycle(_))));
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod stack_tests;
