//! Network planning: repair towards the desired network, and teardown.

use warmstandby_api::DriftItem;

use crate::desired::{DesiredNetwork, RouteTarget as DesiredTarget};
use crate::network::observed::{
    NatState, ObservedAddress, ObservedAssociation, ObservedInternetGateway, ObservedNatGateway, ObservedNetwork,
    ObservedRoute, ObservedRouteTable, ObservedSubnet, ObservedVpc, RouteTarget,
};

pub const DEFAULT_ROUTE: &str = "0.0.0.0/0";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VpcDnsAttribute {
    Support,
    Hostnames,
}

/// One AWS change. Creates carry the component tag value they will be tagged with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetworkAction {
    CreateVpc { component: String, name: String, cidr: String },
    EnableVpcDns { vpc_id: String, attribute: VpcDnsAttribute },
    CreateSubnet { component: String, name: String, vpc_id: String, cidr: String, zone: String },
    SetMapPublicIp { subnet_id: String, value: bool },
    CreateInternetGateway { component: String, name: String },
    AttachInternetGateway { igw_id: String, vpc_id: String },
    DetachInternetGateway { igw_id: String, vpc_id: String },
    AllocateAddress { component: String, name: String },
    CreateNatGateway { component: String, name: String, subnet_id: String, allocation_id: String },
    CreateRouteTable { component: String, name: String, vpc_id: String },
    CreateRoute { route_table_id: String, destination: String, target: RouteTarget },
    ReplaceRoute { route_table_id: String, destination: String, target: RouteTarget },
    DeleteRoute { route_table_id: String, destination: String },
    AssociateRouteTable { route_table_id: String, subnet_id: String },
    ReplaceAssociation { association_id: String, route_table_id: String },
    DisassociateRouteTable { association_id: String },
    DeleteRouteTable { route_table_id: String },
    DeleteNatGateway { nat_id: String },
    ReleaseAddress { allocation_id: String },
    DeleteInternetGateway { igw_id: String },
    DeleteSubnet { subnet_id: String },
    DeleteVpc { vpc_id: String },
}

impl NetworkAction {
    /// Short description for logs and CLI output.
    pub fn describe(&self) -> String {
        match self {
            NetworkAction::CreateVpc { component, cidr, .. } => format!("create {component} {cidr}"),
            NetworkAction::EnableVpcDns { vpc_id, attribute } => format!("enable DNS {attribute:?} on {vpc_id}"),
            NetworkAction::CreateSubnet { component, cidr, zone, .. } => format!("create {component} {cidr} in {zone}"),
            NetworkAction::SetMapPublicIp { subnet_id, value } => {
                format!("set mapPublicIpOnLaunch={value} on {subnet_id}")
            }
            NetworkAction::CreateInternetGateway { component, .. } => format!("create {component}"),
            NetworkAction::AttachInternetGateway { igw_id, vpc_id } => format!("attach {igw_id} to {vpc_id}"),
            NetworkAction::DetachInternetGateway { igw_id, vpc_id } => format!("detach {igw_id} from {vpc_id}"),
            NetworkAction::AllocateAddress { component, .. } => format!("allocate {component}"),
            NetworkAction::CreateNatGateway { component, .. } => format!("create {component}"),
            NetworkAction::CreateRouteTable { component, .. } => format!("create {component}"),
            NetworkAction::CreateRoute { route_table_id, destination, target } => {
                format!("add route {destination} -> {target} to {route_table_id}")
            }
            NetworkAction::ReplaceRoute { route_table_id, destination, target } => {
                format!("point route {destination} of {route_table_id} at {target}")
            }
            NetworkAction::DeleteRoute { route_table_id, destination } => {
                format!("delete route {destination} from {route_table_id}")
            }
            NetworkAction::AssociateRouteTable { route_table_id, subnet_id } => {
                format!("associate {subnet_id} with {route_table_id}")
            }
            NetworkAction::ReplaceAssociation { association_id, route_table_id } => {
                format!("move association {association_id} to {route_table_id}")
            }
            NetworkAction::DisassociateRouteTable { association_id } => format!("disassociate {association_id}"),
            NetworkAction::DeleteRouteTable { route_table_id } => format!("delete {route_table_id}"),
            NetworkAction::DeleteNatGateway { nat_id } => format!("delete {nat_id}"),
            NetworkAction::ReleaseAddress { allocation_id } => format!("release {allocation_id}"),
            NetworkAction::DeleteInternetGateway { igw_id } => format!("delete {igw_id}"),
            NetworkAction::DeleteSubnet { subnet_id } => format!("delete {subnet_id}"),
            NetworkAction::DeleteVpc { vpc_id } => format!("delete {vpc_id}"),
        }
    }

    pub fn is_delete(&self) -> bool {
        matches!(
            self,
            NetworkAction::DeleteRoute { .. }
                | NetworkAction::DisassociateRouteTable { .. }
                | NetworkAction::DeleteRouteTable { .. }
                | NetworkAction::DeleteNatGateway { .. }
                | NetworkAction::ReleaseAddress { .. }
                | NetworkAction::DeleteInternetGateway { .. }
                | NetworkAction::DeleteSubnet { .. }
                | NetworkAction::DeleteVpc { .. }
                | NetworkAction::DetachInternetGateway { .. }
        )
    }
}

/// What AWS returned for an action, recorded into the observed model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionOutcome {
    Done,
    Created {
        id: String,
    },
    CreatedAddress {
        allocation_id: String,
        public_ip: String,
    },
    Associated {
        association_id: String,
    },
    /// The target was already gone: counts as done for deletes.
    NotFound,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetworkPlan {
    /// Actions whose prerequisites exist now; independent of each other.
    pub actions: Vec<NetworkAction>,
    /// Differences between desired and observed, field by field.
    pub drift: Vec<DriftItem>,
    /// Differences the operator will not fix by itself (replacement needed).
    pub blocked: Vec<String>,
    /// Things in progress in AWS (e.g. a NAT gateway still deleting).
    pub waiting: Vec<String>,
}

/// Picks the record for `component` (lowest ID when duplicated).
fn pick<'a, T>(items: &'a [T], component: &str, get: impl Fn(&T) -> (&str, &str)) -> Option<&'a T> {
    items.iter().filter(|i| get(i).1 == component).min_by(|a, b| get(a).0.cmp(get(b).0))
}

struct Drift<'a> {
    region: &'a str,
    items: Vec<DriftItem>,
}

impl Drift<'_> {
    fn add(&mut self, kind: &str, resource: &str, field: &str, expected: impl ToString, found: impl ToString) {
        self.items.push(DriftItem::new(self.region, kind, resource, field, expected, found));
    }

    fn missing(&mut self, kind: &str, component: &str) {
        self.add(kind, component, "existence", "present", "missing");
    }
}

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

fn teardown_drift(region: &str, extras: &ObservedNetwork) -> Vec<DriftItem> {
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

impl ObservedNetwork {
    /// Records an applied action, so the next planning round sees its effect
    /// without another read of AWS.
    pub fn record(&mut self, action: &NetworkAction, outcome: &ActionOutcome) {
        let new_id = match outcome {
            ActionOutcome::Created { id } => Some(id.clone()),
            _ => None,
        };
        match action {
            NetworkAction::CreateVpc { component, cidr, .. } => {
                if let Some(id) = new_id {
                    // New VPCs have DNS support on and hostnames off.
                    self.vpcs.push(ObservedVpc {
                        id,
                        component: component.clone(),
                        cidr: cidr.clone(),
                        dns_support: Some(true),
                        dns_hostnames: Some(false),
                    });
                }
            }
            NetworkAction::EnableVpcDns { vpc_id, attribute } => {
                if let Some(v) = self.vpcs.iter_mut().find(|v| v.id == *vpc_id) {
                    match attribute {
                        VpcDnsAttribute::Support => v.dns_support = Some(true),
                        VpcDnsAttribute::Hostnames => v.dns_hostnames = Some(true),
                    }
                }
            }
            NetworkAction::CreateSubnet { component, vpc_id, cidr, zone, .. } => {
                if let Some(id) = new_id {
                    self.subnets.push(ObservedSubnet {
                        id,
                        component: component.clone(),
                        vpc_id: vpc_id.clone(),
                        cidr: cidr.clone(),
                        zone: zone.clone(),
                        map_public_ip: false,
                    });
                }
            }
            NetworkAction::SetMapPublicIp { subnet_id, value } => {
                if let Some(s) = self.subnets.iter_mut().find(|s| s.id == *subnet_id) {
                    s.map_public_ip = *value;
                }
            }
            NetworkAction::CreateInternetGateway { component, .. } => {
                if let Some(id) = new_id {
                    self.internet_gateways.push(ObservedInternetGateway {
                        id,
                        component: component.clone(),
                        attached_vpcs: Vec::new(),
                    });
                }
            }
            NetworkAction::AttachInternetGateway { igw_id, vpc_id } => {
                if let Some(g) = self.internet_gateways.iter_mut().find(|g| g.id == *igw_id) {
                    g.attached_vpcs.push(vpc_id.clone());
                }
            }
            NetworkAction::DetachInternetGateway { igw_id, vpc_id } => {
                if let Some(g) = self.internet_gateways.iter_mut().find(|g| g.id == *igw_id) {
                    g.attached_vpcs.retain(|v| v != vpc_id);
                }
            }
            NetworkAction::AllocateAddress { component, .. } => {
                if let ActionOutcome::CreatedAddress { allocation_id, public_ip } = outcome {
                    self.addresses.push(ObservedAddress {
                        allocation_id: allocation_id.clone(),
                        component: component.clone(),
                        public_ip: public_ip.clone(),
                        association_id: None,
                    });
                }
            }
            NetworkAction::CreateNatGateway { component, subnet_id, allocation_id, .. } => {
                if let Some(id) = new_id {
                    self.nat_gateways.push(ObservedNatGateway {
                        id,
                        component: component.clone(),
                        subnet_id: subnet_id.clone(),
                        allocation_id: Some(allocation_id.clone()),
                        state: NatState::Pending,
                    });
                }
            }
            NetworkAction::CreateRouteTable { component, vpc_id, .. } => {
                if let Some(id) = new_id {
                    self.route_tables.push(ObservedRouteTable {
                        id,
                        component: component.clone(),
                        vpc_id: vpc_id.clone(),
                        routes: Vec::new(),
                        associations: Vec::new(),
                    });
                }
            }
            NetworkAction::CreateRoute { route_table_id, destination, target }
            | NetworkAction::ReplaceRoute { route_table_id, destination, target } => {
                if let Some(t) = self.route_tables.iter_mut().find(|t| t.id == *route_table_id) {
                    t.routes.retain(|r| r.destination != *destination);
                    t.routes.push(ObservedRoute {
                        destination: destination.clone(),
                        target: target.clone(),
                        blackhole: false,
                    });
                }
            }
            NetworkAction::DeleteRoute { route_table_id, destination } => {
                if let Some(t) = self.route_tables.iter_mut().find(|t| t.id == *route_table_id) {
                    t.routes.retain(|r| r.destination != *destination);
                }
            }
            NetworkAction::AssociateRouteTable { route_table_id, subnet_id } => {
                let id = match outcome {
                    ActionOutcome::Associated { association_id } => association_id.clone(),
                    _ => format!("{route_table_id}/{subnet_id}"),
                };
                if let Some(t) = self.route_tables.iter_mut().find(|t| t.id == *route_table_id) {
                    t.associations.push(ObservedAssociation { id, subnet_id: Some(subnet_id.clone()), main: false });
                }
            }
            NetworkAction::ReplaceAssociation { association_id, route_table_id } => {
                let mut moved = None;
                for t in &mut self.route_tables {
                    if let Some(pos) = t.associations.iter().position(|a| a.id == *association_id) {
                        moved = Some(t.associations.remove(pos));
                    }
                }
                if let (Some(mut a), Some(t)) = (moved, self.route_tables.iter_mut().find(|t| t.id == *route_table_id))
                {
                    if let ActionOutcome::Associated { association_id } = outcome {
                        a.id = association_id.clone();
                    }
                    t.associations.push(a);
                }
            }
            NetworkAction::DisassociateRouteTable { association_id } => {
                for t in &mut self.route_tables {
                    t.associations.retain(|a| a.id != *association_id);
                }
            }
            NetworkAction::DeleteRouteTable { route_table_id } => self.route_tables.retain(|t| t.id != *route_table_id),
            NetworkAction::DeleteNatGateway { nat_id } => {
                if let Some(n) = self.nat_gateways.iter_mut().find(|n| n.id == *nat_id) {
                    // AWS keeps it `deleting` for a while; NotFound means gone.
                    n.state = if *outcome == ActionOutcome::NotFound { NatState::Deleted } else { NatState::Deleting };
                }
            }
            NetworkAction::ReleaseAddress { allocation_id } => {
                self.addresses.retain(|a| a.allocation_id != *allocation_id)
            }
            NetworkAction::DeleteInternetGateway { igw_id } => self.internet_gateways.retain(|g| g.id != *igw_id),
            NetworkAction::DeleteSubnet { subnet_id } => self.subnets.retain(|s| s.id != *subnet_id),
            NetworkAction::DeleteVpc { vpc_id } => self.vpcs.retain(|v| v.id != *vpc_id),
        }
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
