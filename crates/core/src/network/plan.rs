//! Network planning: repair towards the desired network (leftovers are
//! deleted with `teardown`'s steps).

use crate::network::desired::{DesiredNetwork, RouteTarget as DesiredTarget};
use crate::network::observed::{NatState, ObservedNatGateway, ObservedNetwork, ObservedRoute, RouteTarget};

pub use crate::network::actions::{NetworkAction, VpcDnsAttribute};
pub use crate::network::drift::NetworkPlan;
use crate::network::drift::{Drift, pick};
use crate::network::teardown::teardown_drift;
pub use crate::network::teardown::{extras, plan_teardown};

pub const DEFAULT_ROUTE: &str = "0.0.0.0/0";

/// Plans the repair of one region's network. Only actions that can run now
/// are returned; re-plan after recording their outcomes to get the next layer.
pub fn plan_network(desired: &DesiredNetwork, observed: &ObservedNetwork) -> NetworkPlan {
    let mut plan = NetworkPlan::default();
    let mut drift = Drift { region: &desired.region, items: Vec::new() };

    let Some(vpc) = pick(&observed.vpcs, "vpc", |v| (&v.id, &v.component)) else {
        // Nothing exists yet: not drift, just a network to build. Leftovers
        // of a half-deleted network are adopted once the VPC is back.
        plan.actions.push(NetworkAction::CreateVpc {
            component: "vpc".into(),
            name: desired.name("vpc"),
            cidr: desired.vpc_cidr.to_string(),
        });
        return plan;
    };
    if vpc.cidr != desired.vpc_cidr.to_string() {
        drift.add("Vpc", &vpc.id, "cidr", desired.vpc_cidr, &vpc.cidr);
        plan.blocked.push(format!(
            "{} has CIDR {}, the spec says {}: a VPC cannot change its CIDR; delete the RegionPair to rebuild",
            vpc.id, vpc.cidr, desired.vpc_cidr
        ));
    }
    match (vpc.dns_support, vpc.dns_hostnames) {
        (Some(true), Some(true)) => {}
        (Some(true), hostnames) => {
            drift.add("Vpc", &vpc.id, "enableDnsHostnames", true, fmt_opt(hostnames));
            plan.actions
                .push(NetworkAction::EnableVpcDns { vpc_id: vpc.id.clone(), attribute: VpcDnsAttribute::Hostnames });
        }
        (support, hostnames) => {
            drift.add("Vpc", &vpc.id, "enableDnsSupport", true, fmt_opt(support));
            if hostnames != Some(true) {
                drift.add("Vpc", &vpc.id, "enableDnsHostnames", true, fmt_opt(hostnames));
            }
            // Hostnames need support on first; the next round enables them.
            plan.actions
                .push(NetworkAction::EnableVpcDns { vpc_id: vpc.id.clone(), attribute: VpcDnsAttribute::Support });
        }
    }

    // Subnets.
    for want in &desired.subnets {
        let component = format!("subnet/{}", want.key);
        match pick(&observed.subnets, &component, |s| (&s.id, &s.component)) {
            None => {
                drift.missing("Subnet", &component);
                plan.actions.push(NetworkAction::CreateSubnet {
                    component,
                    name: desired.name(&want.key),
                    vpc_id: vpc.id.clone(),
                    cidr: want.cidr.to_string(),
                    zone: want.zone.clone(),
                });
            }
            Some(have) => {
                if have.cidr != want.cidr.to_string() || have.zone != want.zone {
                    drift.add(
                        "Subnet",
                        &have.id,
                        "cidr/zone",
                        format!("{} in {}", want.cidr, want.zone),
                        format!("{} in {}", have.cidr, have.zone),
                    );
                    plan.blocked.push(format!(
                        "subnet {} ({component}) needs replacement to move to {} in {}",
                        have.id, want.cidr, want.zone
                    ));
                }
                if have.map_public_ip != want.map_public_ip {
                    drift.add("Subnet", &have.id, "mapPublicIpOnLaunch", want.map_public_ip, have.map_public_ip);
                    plan.actions
                        .push(NetworkAction::SetMapPublicIp { subnet_id: have.id.clone(), value: want.map_public_ip });
                }
            }
        }
    }

    // Internet gateway.
    let igw = pick(&observed.internet_gateways, "internet-gateway", |g| (&g.id, &g.component));
    let igw_attached = match igw {
        None => {
            drift.missing("InternetGateway", "internet-gateway");
            plan.actions.push(NetworkAction::CreateInternetGateway {
                component: "internet-gateway".into(),
                name: desired.name("igw"),
            });
            false
        }
        Some(g) if g.attached_vpcs.contains(&vpc.id) => true,
        Some(g) => {
            drift.add(
                "InternetGateway",
                &g.id,
                "attachment",
                &vpc.id,
                if g.attached_vpcs.is_empty() { "detached".to_string() } else { g.attached_vpcs.join(",") },
            );
            if let Some(other) = g.attached_vpcs.first() {
                plan.actions.push(NetworkAction::DetachInternetGateway { igw_id: g.id.clone(), vpc_id: other.clone() });
            } else {
                plan.actions
                    .push(NetworkAction::AttachInternetGateway { igw_id: g.id.clone(), vpc_id: vpc.id.clone() });
            }
            false
        }
    };

    // Elastic IPs and NAT gateways.
    let mut live_nats: Vec<(&str, &ObservedNatGateway)> = Vec::new();
    for nat in &desired.nat_gateways {
        let eip_component = format!("elastic-ip/{}", nat.key);
        let nat_component = format!("nat-gateway/{}", nat.key);
        let eip = pick(&observed.addresses, &eip_component, |a| (&a.allocation_id, &a.component));
        let live = observed
            .nat_gateways
            .iter()
            .filter(|n| n.component == nat_component && n.state.is_live())
            .min_by(|a, b| a.id.cmp(&b.id));
        if eip.is_none() {
            drift.missing("ElasticIp", &eip_component);
            plan.actions.push(NetworkAction::AllocateAddress {
                component: eip_component.clone(),
                name: desired.name(&format!("{}-eip", nat.key)),
            });
        }
        let subnet = pick(&observed.subnets, &format!("subnet/{}", nat.subnet_key), |s| (&s.id, &s.component));
        match live {
            Some(n) => {
                if let Some(s) = subnet
                    && n.subnet_id != s.id
                {
                    drift.add("NatGateway", &n.id, "subnet", &s.id, &n.subnet_id);
                    plan.blocked.push(format!(
                        "NAT gateway {} is in {}, not {}; delete it to have it rebuilt",
                        n.id, n.subnet_id, s.id
                    ));
                }
                if n.state == NatState::Pending {
                    plan.waiting.push(format!("{nat_component} {} is pending", n.id));
                }
                live_nats.push((nat.key.as_str(), n));
            }
            None => {
                drift.missing("NatGateway", &nat_component);
                // A public NAT gateway needs its EIP, its subnet and an attached IGW.
                if let (Some(eip), Some(subnet), true) = (eip, subnet, igw_attached) {
                    // An EIP of one of our NAT gateways that is going away is
                    // released by AWS shortly; anything else holding it is not ours.
                    let held_by_our_old_nat = observed
                        .nat_gateways
                        .iter()
                        .any(|n| n.allocation_id.as_deref() == Some(&eip.allocation_id) && !n.state.is_live());
                    if eip.association_id.is_some() && held_by_our_old_nat {
                        plan.waiting.push(format!("{eip_component} is still held by a deleted NAT gateway"));
                    } else if eip.association_id.is_some() {
                        plan.blocked
                            .push(format!("Elastic IP {} is associated with something else", eip.allocation_id));
                    } else {
                        plan.actions.push(NetworkAction::CreateNatGateway {
                            component: nat_component,
                            name: desired.name(&nat.key),
                            subnet_id: subnet.id.clone(),
                            allocation_id: eip.allocation_id.clone(),
                        });
                    }
                }
            }
        }
    }

    // Route tables: default route and associations.
    let mut desired_association: Vec<(String, &str)> = Vec::new(); // (subnet id, rt component)
    for rt in &desired.route_tables {
        let component = format!("route-table/{}", rt.key);
        let Some(table) = pick(&observed.route_tables, &component, |t| (&t.id, &t.component)) else {
            drift.missing("RouteTable", &component);
            plan.actions.push(NetworkAction::CreateRouteTable {
                component,
                name: desired.name(&format!("{}-rt", rt.key)),
                vpc_id: vpc.id.clone(),
            });
            continue;
        };
        let target = match &rt.default_route {
            DesiredTarget::InternetGateway => igw.filter(|_| igw_attached).map(|g| RouteTarget::Gateway(g.id.clone())),
            DesiredTarget::NatGateway(key) => {
                live_nats.iter().find(|(k, _)| k == key).map(|(_, n)| RouteTarget::NatGateway(n.id.clone()))
            }
        };
        let current = table.routes.iter().find(|r| r.destination == DEFAULT_ROUTE);
        // A route to our own gateway that is merely detached is fixed by the
        // attachment (reported above), not by touching the route.
        let awaiting_attachment =
            |r: &ObservedRoute| !igw_attached && igw.is_some_and(|g| r.target == RouteTarget::Gateway(g.id.clone()));
        match (current, &target) {
            (Some(r), _) if awaiting_attachment(r) && rt.default_route == DesiredTarget::InternetGateway => {}
            (None, Some(t)) => {
                drift.add("RouteTable", &table.id, format!("routes[{DEFAULT_ROUTE}]").as_str(), t, "missing");
                plan.actions.push(NetworkAction::CreateRoute {
                    route_table_id: table.id.clone(),
                    destination: DEFAULT_ROUTE.into(),
                    target: t.clone(),
                });
            }
            (None, None) => drift.add(
                "RouteTable",
                &table.id,
                &format!("routes[{DEFAULT_ROUTE}]"),
                "a route once its target exists",
                "missing",
            ),
            (Some(r), Some(t)) if r.target != *t || r.blackhole => {
                let found = if r.blackhole { format!("{} (blackhole)", r.target) } else { r.target.to_string() };
                drift.add("RouteTable", &table.id, &format!("routes[{DEFAULT_ROUTE}]"), t, found);
                plan.actions.push(NetworkAction::ReplaceRoute {
                    route_table_id: table.id.clone(),
                    destination: DEFAULT_ROUTE.into(),
                    target: t.clone(),
                });
            }
            (Some(r), None) => drift.add(
                "RouteTable",
                &table.id,
                &format!("routes[{DEFAULT_ROUTE}]"),
                "a live target",
                r.target.to_string(),
            ),
            (Some(_), Some(_)) => {}
        }
        for r in &table.routes {
            let local = matches!(&r.target, RouteTarget::Other(t) if t == "local");
            if r.destination != DEFAULT_ROUTE && !local {
                drift.add(
                    "RouteTable",
                    &table.id,
                    &format!("routes[{}]", r.destination),
                    "absent",
                    r.target.to_string(),
                );
                plan.actions.push(NetworkAction::DeleteRoute {
                    route_table_id: table.id.clone(),
                    destination: r.destination.clone(),
                });
            }
        }
        for key in &rt.subnet_keys {
            if let Some(s) = pick(&observed.subnets, &format!("subnet/{key}"), |s| (&s.id, &s.component)) {
                desired_association.push((s.id.clone(), table.component.as_str()));
            }
        }
    }
    for (subnet_id, rt_component) in &desired_association {
        let Some(table) = pick(&observed.route_tables, rt_component, |t| (&t.id, &t.component)) else { continue };
        let current = observed
            .route_tables
            .iter()
            .find_map(|t| t.associations.iter().find(|a| a.subnet_id.as_deref() == Some(subnet_id)).map(|a| (t, a)));
        match current {
            Some((t, _)) if t.id == table.id => {}
            Some((t, a)) => {
                drift.add("Subnet", subnet_id, "routeTable", &table.id, &t.id);
                plan.actions.push(NetworkAction::ReplaceAssociation {
                    association_id: a.id.clone(),
                    route_table_id: table.id.clone(),
                });
            }
            None => {
                drift.add("Subnet", subnet_id, "routeTable", &table.id, "none (main table)");
                plan.actions.push(NetworkAction::AssociateRouteTable {
                    route_table_id: table.id.clone(),
                    subnet_id: subnet_id.clone(),
                });
            }
        }
    }
    // Associations of our tables with subnets that belong nowhere in the spec.
    for t in &observed.route_tables {
        for a in &t.associations {
            if let Some(sid) = &a.subnet_id
                && !a.main
                && !desired_association.iter().any(|(s, _)| s == sid)
            {
                drift.add("RouteTable", &t.id, &format!("associations[{sid}]"), "absent", "present");
                plan.actions.push(NetworkAction::DisassociateRouteTable { association_id: a.id.clone() });
            }
        }
    }

    // What we own but the spec no longer has (or duplicates after a lost create).
    let extras = extras(desired, observed);
    if !extras.is_empty() {
        let teardown = plan_teardown(&extras);
        for item in teardown_drift(&desired.region, &extras) {
            drift.items.push(item);
        }
        plan.actions.extend(teardown.actions);
        plan.waiting.extend(teardown.waiting);
    }

    plan.drift = drift.items;
    plan
}

fn fmt_opt(v: Option<bool>) -> String {
    v.map(|b| b.to_string()).unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
