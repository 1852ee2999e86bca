//! The desired topology: every AWS resource that should exist, its key
//! properties and what it depends on, in creation order.

mod three_tier_stack;

// Each family's desired state lives with the family; here is the whole topology.
pub use crate::data::desired::*;
pub use crate::network::desired::{
    DesiredNat, DesiredNetwork, DesiredRouteTable, DesiredSubnet, EXISTING, RouteTarget, desired_network,
};
pub use crate::resource::{ADOPTED, Kind, Resource, Scope, Tier};
pub use crate::servers::desired::*;
pub use three_tier_stack::stack_resources;

use std::collections::{BTreeMap, BTreeSet};

use crate::families::ResourceFamily;
use crate::families::network::Network;
use crate::validate::{ValidatedRegionPair, ValidatedStack};

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

/// The network topology of a region pair alone: its network family's.
pub fn region_pair_topology(pair: &ValidatedRegionPair) -> Result<Topology, TopologyError> {
    let mut resources = Vec::new();
    Network::topology(&Network::desired(pair, &()), &mut resources);
    Topology::new(resources)
}

/// The whole topology of a stack: its pair's networks, both regions' stack
/// resources and the global ones.
pub fn stack_topology(stack: &ValidatedStack) -> Result<Topology, TopologyError> {
    let mut resources = Vec::new();
    Network::topology(&Network::desired(&stack.pair, &()), &mut resources);
    resources.extend(stack_resources(stack));
    Topology::new(resources)
}

#[cfg(test)]
mod tests;
