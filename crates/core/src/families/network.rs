//! The network family, a RegionPair's: per region a VPC, its subnets, the
//! internet gateway, NAT gateways with their Elastic IPs and the route
//! tables that the pair builds; or an existing network (`spec.<role>.existing`)
//! it uses as it is, checked and never changed. Its model and planning are
//! in `network/`. The RegionPair's reconciler drives it region by region:
//! each region's plan is applied in rounds within one pass (an action's
//! outcome, a new ID, is what the next layer is planned from), so the
//! family plans each region on its own ([`plan_region`], [`teardown_region`])
//! and its plan over both regions is theirs together.

use warmstandby_api::{RegionNetworkStatus, RegionPairStatus, RegionRole};

use super::{Pair, ResourceFamily};
use crate::family::Family;
use crate::network::desired::{DesiredNetwork, desired_network, existing_resources};
use crate::network::existing::check_existing;
use crate::network::observed::ObservedNetwork;
use crate::network::plan::{NetworkAction, NetworkPlan, plan_network, plan_teardown};
use crate::network::status::network_ids;
use crate::plan::{PassOutcome, Place, Plan};
use crate::resource::{Kind, Resource};
use crate::validate::{ExistingNetwork, ValidatedRegionPair};

pub struct Network;

/// One region's network as the RegionPair asks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegionNetwork {
    /// One the pair builds, changes back to the spec and deletes.
    Built(DesiredNetwork),
    /// An existing one the stacks use as it is.
    Existing { role: RegionRole, region: String, network: ExistingNetwork },
}

impl RegionNetwork {
    pub fn region(&self) -> &str {
        match self {
            RegionNetwork::Built(d) => &d.region,
            RegionNetwork::Existing { region, .. } => region,
        }
    }

    /// The existing network's findings: the IDs it offers stacks and what
    /// is wrong with it (`None` for one the pair builds).
    pub fn existing_check(&self, observed: &ObservedNetwork) -> Option<(RegionNetworkStatus, PassOutcome)> {
        match self {
            RegionNetwork::Built(_) => None,
            RegionNetwork::Existing { role, region, network } => {
                Some(check_existing(network, region, &format!("spec.{}.existing", role.as_str()), observed))
            }
        }
    }

    /// Its resources in the pair's topology.
    pub fn resources(&self) -> Vec<Resource> {
        match self {
            RegionNetwork::Built(d) => d.resources(),
            RegionNetwork::Existing { role, region, network } => existing_resources(*role, region, network),
        }
    }

    /// The IDs the status reports for this region.
    pub fn ids(&self, observed: &ObservedNetwork) -> RegionNetworkStatus {
        match self.existing_check(observed) {
            Some((ids, _)) => ids,
            None => network_ids(self.region(), observed),
        }
    }
}

/// Both regions' networks, primary first.
pub type PairNetworks = [RegionNetwork; 2];

/// One region's plan now: the next layer of a network the pair builds
/// (re-planned after its outcomes are recorded), or an existing network's
/// findings (nothing to change).
pub fn plan_region(desired: &RegionNetwork, observed: &ObservedNetwork) -> NetworkPlan {
    match desired {
        RegionNetwork::Built(d) => plan_network(d, observed),
        RegionNetwork::Existing { .. } => {
            let mut plan = NetworkPlan::default();
            if let Some((_, found)) = desired.existing_check(observed) {
                plan.drift = found.drift;
                plan.blocked = found.blocked;
                plan.waiting = found.waiting;
            }
            plan
        }
    }
}

/// One region's teardown now, in the reverse of creation: a built network
/// is deleted (everything observed is ours); an existing one is left alone.
pub fn teardown_region(desired: &RegionNetwork, observed: &ObservedNetwork) -> NetworkPlan {
    match desired {
        RegionNetwork::Built(_) => plan_teardown(observed),
        RegionNetwork::Existing { .. } => NetworkPlan::default(),
    }
}

/// Both regions' plans as one, each action with its region.
fn both(
    desired: &PairNetworks,
    observed: &[ObservedNetwork; 2],
    plan: fn(&RegionNetwork, &ObservedNetwork) -> NetworkPlan,
) -> Plan<(Place, NetworkAction)> {
    let mut out = Plan::default();
    for (i, role) in RegionRole::BOTH.into_iter().enumerate() {
        out.append(plan(&desired[i], &observed[i]).map(|a| (Place::Region(role), a)));
    }
    out
}

impl ResourceFamily<Pair> for Network {
    const FAMILY: Family = Family::Network;
    type Desired = PairNetworks;
    /// Primary first: what the pair built, or the existing network read by its IDs.
    type Observed = [ObservedNetwork; 2];
    type Action = NetworkAction;

    /// Each region's network IDs, from the pair's status.
    fn live_id(r: &Resource, status: &RegionPairStatus) -> Option<Option<String>> {
        let crate::resource::Scope::Region { role, .. } = &r.scope else { return None };
        let net = if *role == RegionRole::Primary { status.primary.as_ref() } else { status.standby.as_ref() };
        let leaf = super::leaf(r);
        let id = |ids: fn(&RegionNetworkStatus) -> Option<String>| Some(net.and_then(ids));
        match r.kind {
            Kind::Vpc => id(|n| n.vpc_id.clone()),
            Kind::InternetGateway => id(|n| n.internet_gateway_id.clone()),
            Kind::Subnet => Some(net.and_then(|n| n.subnet_ids.get(leaf).cloned())),
            Kind::ElasticIp => Some(net.and_then(|n| n.elastic_ip_allocation_ids.get(leaf).cloned())),
            Kind::NatGateway => Some(net.and_then(|n| n.nat_gateway_ids.get(leaf).cloned())),
            Kind::RouteTable => Some(net.and_then(|n| n.route_table_ids.get(leaf).cloned())),
            _ => None,
        }
    }

    fn desired(pair: &ValidatedRegionPair, _placement: &()) -> PairNetworks {
        RegionRole::BOTH.map(|role| match desired_network(pair, role) {
            Some(d) => RegionNetwork::Built(d),
            None => {
                let net = pair.region(role);
                RegionNetwork::Existing {
                    role,
                    region: net.region.clone(),
                    network: net.existing().cloned().unwrap_or_default(),
                }
            }
        })
    }

    /// Each region's network (an existing one's VPC and subnets, marked
    /// existing: never created).
    fn topology(desired: &PairNetworks, out: &mut Vec<Resource>) {
        for d in desired {
            out.extend(d.resources());
        }
    }

    fn plan(desired: &PairNetworks, observed: &[ObservedNetwork; 2], _around: &()) -> Plan<(Place, NetworkAction)> {
        both(desired, observed, plan_region)
    }

    fn teardown(desired: &PairNetworks, observed: &[ObservedNetwork; 2], _around: &()) -> Plan<(Place, NetworkAction)> {
        both(desired, observed, teardown_region)
    }

    /// Each region's IDs.
    fn status(desired: &PairNetworks, observed: &[ObservedNetwork; 2], _around: &(), status: &mut RegionPairStatus) {
        status.primary = Some(desired[0].ids(&observed[0]));
        status.standby = Some(desired[1].ids(&observed[1]));
    }

    /// What the pair built that still exists (an existing network is never ours).
    fn live_count(desired: &PairNetworks, observed: &[ObservedNetwork; 2]) -> usize {
        desired
            .iter()
            .zip(observed)
            .filter(|(d, _)| matches!(d, RegionNetwork::Built(_)))
            .map(|(_, o)| o.live_count())
            .sum()
    }

    /// An existing network is used, never changed or deleted.
    fn left_in_place(desired: &PairNetworks, _status: Option<&RegionPairStatus>) -> Option<String> {
        let existing: Vec<String> = desired
            .iter()
            .filter_map(|d| match d {
                RegionNetwork::Existing { region, network, .. } => {
                    Some(format!("the existing network {} in {region}", network.vpc_id))
                }
                RegionNetwork::Built(_) => None,
            })
            .collect();
        (!existing.is_empty()).then(|| format!("{} (used, never changed)", existing.join(" and ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_built_network_is_planned_and_torn_down_per_region_and_an_existing_one_is_only_checked() {
        let (pair, _, _) = crate::test_fixtures::example_objects();
        let validated = crate::validate::validate_region_pair(&pair).expect("the example pair is valid");
        let desired = Network::desired(&validated, &());
        assert!(desired.iter().all(|d| matches!(d, RegionNetwork::Built(_))));
        let nothing = [ObservedNetwork::default(), ObservedNetwork::default()];
        let plan = Network::plan(&desired, &nothing, &());
        // Nothing exists: each region's VPC comes first, in its own region.
        let vpcs: Vec<&Place> = plan
            .actions
            .iter()
            .filter(|(_, a)| matches!(a, NetworkAction::CreateVpc { .. }))
            .map(|(place, _)| place)
            .collect();
        assert_eq!(vpcs, [&Place::Region(RegionRole::Primary), &Place::Region(RegionRole::Standby)]);
        assert!(Network::teardown(&desired, &nothing, &()).actions.is_empty());
        assert_eq!(Network::live_count(&desired, &nothing), 0);
        let mut topology = Vec::new();
        Network::topology(&desired, &mut topology);
        let vpcs: Vec<&str> = topology.iter().filter(|r| r.kind == Kind::Vpc).map(|r| r.key.as_str()).collect();
        assert_eq!(vpcs, ["primary/vpc", "standby/vpc"]);
        assert!(topology.iter().all(|r| r.properties.iter().all(|(k, _)| k != crate::desired::EXISTING)), "both built");

        let existing = RegionNetwork::Existing {
            role: RegionRole::Standby,
            region: "us-west-2".into(),
            network: ExistingNetwork { vpc_id: "vpc-1".into(), ..Default::default() },
        };
        let found = plan_region(&existing, &ObservedNetwork::default());
        assert!(found.actions.is_empty(), "an existing network is never changed");
        assert!(
            found.blocked.iter().any(|b| b.contains("spec.standby.existing.vpcId: vpc-1 does not exist")),
            "{:?}",
            found.blocked
        );
        assert!(teardown_region(&existing, &ObservedNetwork::default()).actions.is_empty());
        let kept = Network::left_in_place(&[desired[0].clone(), existing], None);
        assert_eq!(kept.as_deref(), Some("the existing network vpc-1 in us-west-2 (used, never changed)"));
    }
}
