//! Deleting a region's network, and the leftovers of a repaired one.

use warmstandby_api::DriftItem;

use crate::network::actions::NetworkAction;
use crate::network::desired::DesiredNetwork;
use crate::network::drift::{Drift, NetworkPlan, pick};
use crate::network::observed::{NatState, ObservedAssociation, ObservedNetwork, ObservedSubnet};

/// Owned resources that are not the chosen record of a desired component.
pub fn extras(desired: &DesiredNetwork, observed: &ObservedNetwork) -> ObservedNetwork {
    let chosen_vpc = pick(&observed.vpcs, "vpc", |v| (&v.id, &v.component)).map(|v| v.id.clone());
    let wanted_subnets: Vec<String> = desired.subnets.iter().map(|s| format!("subnet/{}", s.key)).collect();
    let wanted_nats: Vec<String> = desired.nat_gateways.iter().map(|n| format!("nat-gateway/{}", n.key)).collect();
    let wanted_eips: Vec<String> = desired.nat_gateways.iter().map(|n| format!("elastic-ip/{}", n.key)).collect();
    let wanted_rts: Vec<String> = desired.route_tables.iter().map(|r| format!("route-table/{}", r.key)).collect();
    let is_chosen_subnet = |s: &ObservedSubnet| {
        wanted_subnets.contains(&s.component)
            && pick(&observed.subnets, &s.component, |x| (&x.id, &x.component)).is_some_and(|c| c.id == s.id)
    };
    let live_nat_ids: Vec<&str> = wanted_nats
        .iter()
        .filter_map(|c| {
            observed
                .nat_gateways
                .iter()
                .filter(|n| n.component == *c && n.state.is_live())
                .min_by(|a, b| a.id.cmp(&b.id))
        })
        .map(|n| n.id.as_str())
        .collect();
    ObservedNetwork {
        vpcs: observed.vpcs.iter().filter(|v| Some(&v.id) != chosen_vpc.as_ref()).cloned().collect(),
        subnets: observed.subnets.iter().filter(|s| !is_chosen_subnet(s)).cloned().collect(),
        internet_gateways: observed
            .internet_gateways
            .iter()
            .filter(|g| {
                pick(&observed.internet_gateways, "internet-gateway", |x| (&x.id, &x.component))
                    .is_none_or(|c| c.id != g.id)
            })
            .cloned()
            .collect(),
        addresses: observed
            .addresses
            .iter()
            .filter(|a| {
                !wanted_eips.contains(&a.component)
                    || pick(&observed.addresses, &a.component, |x| (&x.allocation_id, &x.component))
                        .is_none_or(|c| c.allocation_id != a.allocation_id)
            })
            .cloned()
            .collect(),
        nat_gateways: observed
            .nat_gateways
            .iter()
            .filter(|n| n.state != NatState::Deleted && !live_nat_ids.contains(&n.id.as_str()))
            .cloned()
            .collect(),
        route_tables: observed
            .route_tables
            .iter()
            .filter(|t| {
                !wanted_rts.contains(&t.component)
                    || pick(&observed.route_tables, &t.component, |x| (&x.id, &x.component))
                        .is_none_or(|c| c.id != t.id)
            })
            .cloned()
            .collect(),
    }
}

pub(super) fn teardown_drift(region: &str, extras: &ObservedNetwork) -> Vec<DriftItem> {
    let mut d = Drift { region, items: Vec::new() };
    for v in &extras.vpcs {
        d.add("Vpc", &v.id, "existence", "absent", format!("extra {}", v.component));
    }
    for s in &extras.subnets {
        d.add("Subnet", &s.id, "existence", "absent", format!("extra {}", s.component));
    }
    for g in &extras.internet_gateways {
        d.add("InternetGateway", &g.id, "existence", "absent", format!("extra {}", g.component));
    }
    for a in &extras.addresses {
        d.add("ElasticIp", &a.allocation_id, "existence", "absent", format!("extra {}", a.component));
    }
    for n in &extras.nat_gateways {
        // A failed NAT gateway is a leftover, not a difference the user made.
        if n.state != NatState::Deleting {
            d.add("NatGateway", &n.id, "existence", "absent", format!("extra {} ({:?})", n.component, n.state));
        }
    }
    for t in &extras.route_tables {
        d.add("RouteTable", &t.id, "existence", "absent", format!("extra {}", t.component));
    }
    d.items
}

/// Plans the deletion of everything in `observed` (all of it is ours). Only
/// steps whose dependents are already gone are returned, so each batch is
/// safe to run concurrently and the whole walk is the reverse of creation:
/// route tables, NAT gateways, Elastic IPs, the internet gateway, subnets, VPC.
pub fn plan_teardown(observed: &ObservedNetwork) -> NetworkPlan {
    let mut plan = NetworkPlan::default();
    for t in &observed.route_tables {
        let detachable: Vec<&ObservedAssociation> = t.associations.iter().filter(|a| !a.main).collect();
        if detachable.is_empty() {
            plan.actions.push(NetworkAction::DeleteRouteTable { route_table_id: t.id.clone() });
        }
        for a in detachable {
            plan.actions.push(NetworkAction::DisassociateRouteTable { association_id: a.id.clone() });
        }
    }
    for n in &observed.nat_gateways {
        match n.state {
            NatState::Pending | NatState::Available | NatState::Failed => {
                plan.actions.push(NetworkAction::DeleteNatGateway { nat_id: n.id.clone() })
            }
            NatState::Deleting => plan.waiting.push(format!("NAT gateway {} is deleting", n.id)),
            NatState::Deleted => {}
        }
    }
    let nat_holds = |allocation: &str| {
        observed
            .nat_gateways
            .iter()
            .any(|n| n.state.holds_resources() && n.allocation_id.as_deref() == Some(allocation))
    };
    for a in &observed.addresses {
        if !nat_holds(&a.allocation_id) {
            plan.actions.push(NetworkAction::ReleaseAddress { allocation_id: a.allocation_id.clone() });
        }
    }
    // Detaching fails while the VPC still has mapped public addresses.
    let nats_left = observed.nat_gateways.iter().any(|n| n.state.holds_resources());
    if !nats_left && observed.addresses.is_empty() {
        for g in &observed.internet_gateways {
            if g.attached_vpcs.is_empty() {
                plan.actions.push(NetworkAction::DeleteInternetGateway { igw_id: g.id.clone() });
            }
            for v in &g.attached_vpcs {
                plan.actions.push(NetworkAction::DetachInternetGateway { igw_id: g.id.clone(), vpc_id: v.clone() });
            }
        }
    }
    for s in &observed.subnets {
        let nat_inside = observed.nat_gateways.iter().any(|n| n.state.holds_resources() && n.subnet_id == s.id);
        let associated =
            observed.route_tables.iter().any(|t| t.associations.iter().any(|a| a.subnet_id.as_deref() == Some(&s.id)));
        if !nat_inside && !associated {
            plan.actions.push(NetworkAction::DeleteSubnet { subnet_id: s.id.clone() });
        }
    }
    for v in &observed.vpcs {
        let children = observed.subnets.iter().any(|s| s.vpc_id == v.id)
            || observed.route_tables.iter().any(|t| t.vpc_id == v.id)
            || observed.internet_gateways.iter().any(|g| g.attached_vpcs.contains(&v.id));
        if !children {
            plan.actions.push(NetworkAction::DeleteVpc { vpc_id: v.id.clone() });
        }
    }
    plan
}
