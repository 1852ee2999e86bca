use warmstandby_api::{NatGatewayMode, RegionPair, RegionRole};

use super::*;
use crate::network::desired::{DesiredNetwork, desired_network};
use crate::network::observed::ObservedNetwork;
use crate::plan::ActionOutcome;
use crate::validate::validate_region_pair;

fn desired(mode: NatGatewayMode) -> DesiredNetwork {
    let mut pair: RegionPair =
        serde_yaml::from_str(include_str!("../../../../deploy/examples/10-regionpair.yaml")).unwrap();
    pair.spec.nat_gateways = mode;
    desired_network(&validate_region_pair(&pair).unwrap(), RegionRole::Primary).expect("a network it builds")
}

/// Applies plans to the model with fake IDs until nothing is left to do.
fn converge(
    observed: &mut ObservedNetwork,
    mut planner: impl FnMut(&ObservedNetwork) -> NetworkPlan,
) -> Vec<Vec<NetworkAction>> {
    let mut rounds = Vec::new();
    let mut next_id = 0;
    for _ in 0..20 {
        let plan = planner(observed);
        if plan.actions.is_empty() {
            return rounds;
        }
        for a in &plan.actions {
            next_id += 1;
            let outcome = match a {
                NetworkAction::AllocateAddress { .. } => ActionOutcome::CreatedAddress {
                    allocation_id: format!("eipalloc-{next_id}"),
                    public_ip: "198.51.100.1".into(),
                },
                NetworkAction::AssociateRouteTable { .. } | NetworkAction::ReplaceAssociation { .. } => {
                    ActionOutcome::Associated { association_id: format!("rtbassoc-{next_id}") }
                }
                NetworkAction::DeleteNatGateway { .. } => ActionOutcome::NotFound,
                a if a.is_delete() => ActionOutcome::Done,
                NetworkAction::EnableVpcDns { .. } | NetworkAction::SetMapPublicIp { .. } => ActionOutcome::Done,
                NetworkAction::AttachInternetGateway { .. }
                | NetworkAction::CreateRoute { .. }
                | NetworkAction::ReplaceRoute { .. } => ActionOutcome::Done,
                _ => ActionOutcome::Created { id: format!("id-{next_id}") },
            };
            observed.record(a, &outcome);
        }
        rounds.push(plan.actions);
    }
    panic!("did not converge");
}

fn kind(a: &NetworkAction) -> &'static str {
    match a {
        NetworkAction::CreateVpc { .. } => "CreateVpc",
        NetworkAction::EnableVpcDns { .. } => "EnableVpcDns",
        NetworkAction::CreateSubnet { .. } => "CreateSubnet",
        NetworkAction::SetMapPublicIp { .. } => "SetMapPublicIp",
        NetworkAction::CreateInternetGateway { .. } => "CreateInternetGateway",
        NetworkAction::AttachInternetGateway { .. } => "AttachInternetGateway",
        NetworkAction::DetachInternetGateway { .. } => "DetachInternetGateway",
        NetworkAction::AllocateAddress { .. } => "AllocateAddress",
        NetworkAction::CreateNatGateway { .. } => "CreateNatGateway",
        NetworkAction::CreateRouteTable { .. } => "CreateRouteTable",
        NetworkAction::CreateRoute { .. } => "CreateRoute",
        NetworkAction::ReplaceRoute { .. } => "ReplaceRoute",
        NetworkAction::DeleteRoute { .. } => "DeleteRoute",
        NetworkAction::AssociateRouteTable { .. } => "AssociateRouteTable",
        NetworkAction::ReplaceAssociation { .. } => "ReplaceAssociation",
        NetworkAction::DisassociateRouteTable { .. } => "DisassociateRouteTable",
        NetworkAction::DeleteRouteTable { .. } => "DeleteRouteTable",
        NetworkAction::DeleteNatGateway { .. } => "DeleteNatGateway",
        NetworkAction::ReleaseAddress { .. } => "ReleaseAddress",
        NetworkAction::DeleteInternetGateway { .. } => "DeleteInternetGateway",
        NetworkAction::DeleteSubnet { .. } => "DeleteSubnet",
        NetworkAction::DeleteVpc { .. } => "DeleteVpc",
    }
}

fn first_round(rounds: &[Vec<NetworkAction>], name: &str) -> usize {
    rounds.iter().position(|r| r.iter().any(|a| kind(a) == name)).unwrap_or_else(|| panic!("{name} never planned"))
}
fn last_round(rounds: &[Vec<NetworkAction>], name: &str) -> usize {
    rounds.iter().rposition(|r| r.iter().any(|a| kind(a) == name)).unwrap_or_else(|| panic!("{name} never planned"))
}

fn built(mode: NatGatewayMode) -> (DesiredNetwork, ObservedNetwork, Vec<Vec<NetworkAction>>) {
    let d = desired(mode);
    let mut o = ObservedNetwork::default();
    let rounds = converge(&mut o, |o| plan_network(&d, o));
    (d, o, rounds)
}

#[test]
fn creation_walks_the_dependency_layers_and_converges() {
    let (d, o, rounds) = built(NatGatewayMode::Single);
    let all: Vec<&str> = rounds.iter().flatten().map(kind).collect();
    let count = |k: &str| all.iter().filter(|a| **a == k).count();
    assert_eq!(count("CreateVpc"), 1);
    assert_eq!(count("CreateSubnet"), 8);
    assert_eq!(count("SetMapPublicIp"), 2, "only the public subnets map public IPs");
    assert_eq!(count("EnableVpcDns"), 1, "support is on by default; hostnames are enabled");
    assert_eq!((count("CreateInternetGateway"), count("AttachInternetGateway")), (1, 1));
    assert_eq!((count("AllocateAddress"), count("CreateNatGateway")), (1, 1));
    assert_eq!((count("CreateRouteTable"), count("CreateRoute")), (2, 2));
    assert_eq!(count("AssociateRouteTable"), 8);
    assert_eq!(all.len(), 28);
    // Each layer after what it needs.
    assert!(first_round(&rounds, "CreateVpc") < first_round(&rounds, "CreateSubnet"));
    assert!(last_round(&rounds, "AttachInternetGateway") < first_round(&rounds, "CreateNatGateway"));
    assert!(last_round(&rounds, "AllocateAddress") < first_round(&rounds, "CreateNatGateway"));
    assert!(last_round(&rounds, "CreateNatGateway") < last_round(&rounds, "CreateRoute"));
    // Converged: nothing to do, no drift.
    let again = plan_network(&d, &o);
    assert!(again.actions.is_empty() && again.drift.is_empty() && again.blocked.is_empty(), "{again:?}");
}

#[test]
fn nothing_at_all_is_not_drift() {
    let p = plan_network(&desired(NatGatewayMode::Single), &ObservedNetwork::default());
    assert!(p.drift.is_empty());
    assert_eq!(p.actions.len(), 1);
}

#[test]
fn out_of_band_damage_is_reported_field_by_field_and_repaired() {
    let (d, mut o, _) = built(NatGatewayMode::Single);
    let private = o.route_tables.iter().position(|t| t.component == "route-table/private").unwrap();
    o.route_tables[private].routes.clear();
    let public_a = o.subnets.iter().position(|s| s.component == "subnet/public-a").unwrap();
    o.subnets[public_a].map_public_ip = false;
    o.internet_gateways[0].attached_vpcs.clear();
    o.nat_gateways[0].state = NatState::Deleted;
    o.vpcs[0].dns_hostnames = Some(false);

    let p = plan_network(&d, &o);
    let drift: Vec<String> =
        p.drift.iter().map(|d| format!("{} {} {} {}", d.kind, d.field, d.expected, d.found)).collect();
    let rt = &o.route_tables[private].id;
    let subnet = &o.subnets[public_a].id;
    assert!(drift.contains(&"Vpc enableDnsHostnames true false".to_string()), "{drift:?}");
    assert!(drift.contains(&"Subnet mapPublicIpOnLaunch true false".to_string()), "{drift:?}");
    assert!(drift.contains(&format!("InternetGateway attachment {} detached", o.vpcs[0].id)), "{drift:?}");
    assert!(drift.contains(&"NatGateway existence present missing".to_string()), "{drift:?}");
    assert!(
        drift.contains(&"RouteTable routes[0.0.0.0/0] a route once its target exists missing".to_string()),
        "{drift:?}"
    );
    assert!(p.drift.iter().any(|d| d.resource == *rt) && p.drift.iter().any(|d| d.resource == *subnet));

    converge(&mut o, |o| plan_network(&d, o));
    let after = plan_network(&d, &o);
    assert!(after.actions.is_empty() && after.drift.is_empty(), "{after:?}");
    let nat = o.nat_gateways.iter().find(|n| n.state.is_live()).unwrap();
    let route = o.route_tables[private].routes.iter().find(|r| r.destination == DEFAULT_ROUTE).unwrap();
    assert_eq!(route.target, RouteTarget::NatGateway(nat.id.clone()));
}

#[test]
fn a_route_pointing_elsewhere_and_extra_routes_are_fixed() {
    let (d, mut o, _) = built(NatGatewayMode::Single);
    let public = o.route_tables.iter_mut().find(|t| t.component == "route-table/public").unwrap();
    public.routes[0].target = RouteTarget::Other("pcx-123".into());
    public.routes.push(ObservedRoute {
        destination: "10.99.0.0/16".into(),
        target: RouteTarget::Other("pcx-9".into()),
        blackhole: false,
    });
    let id = public.id.clone();
    let p = plan_network(&d, &o);
    let kinds: Vec<&str> = p.actions.iter().map(kind).collect();
    assert_eq!(kinds, ["ReplaceRoute", "DeleteRoute"]);
    assert!(p.drift.iter().any(|x| x.resource == id && x.field == "routes[0.0.0.0/0]" && x.found == "pcx-123"));
    assert!(p.drift.iter().any(|x| x.field == "routes[10.99.0.0/16]" && x.expected == "absent"));
}

#[test]
fn switching_to_a_nat_per_zone_adds_and_removes_the_right_things() {
    let (_, mut o, _) = built(NatGatewayMode::Single);
    let per_az = desired(NatGatewayMode::PerAz);
    converge(&mut o, |o| plan_network(&per_az, o));
    assert_eq!(o.nat_gateways.iter().filter(|n| n.state.is_live()).count(), 2);
    let tables: Vec<&str> = o.route_tables.iter().map(|t| t.component.as_str()).collect();
    assert_eq!(tables, ["route-table/public", "route-table/private-a", "route-table/private-b"]);
    assert!(plan_network(&per_az, &o).drift.is_empty());
}

#[test]
fn duplicates_from_a_lost_create_are_removed() {
    let (d, mut o, _) = built(NatGatewayMode::Single);
    let mut dup = o.subnets[0].clone();
    dup.id = "subnet-zzz".into();
    o.subnets.push(dup);
    let p = plan_network(&d, &o);
    assert_eq!(p.actions, [NetworkAction::DeleteSubnet { subnet_id: "subnet-zzz".into() }]);
}

#[test]
fn teardown_is_the_reverse_of_creation() {
    let (_, mut o, _) = built(NatGatewayMode::PerAz);
    let rounds = converge(&mut o, plan_teardown);
    assert!(o.is_empty(), "{o:?}");
    let before = |a: &str, b: &str| last_round(&rounds, a) < first_round(&rounds, b);
    assert!(before("DisassociateRouteTable", "DeleteRouteTable"));
    // A subnet goes once nothing routes through it; tables before the VPC.
    assert!(before("DisassociateRouteTable", "DeleteSubnet"));
    assert!(before("DeleteRouteTable", "DeleteVpc"));
    assert!(before("DeleteNatGateway", "ReleaseAddress"));
    assert!(before("ReleaseAddress", "DetachInternetGateway"));
    assert!(before("DetachInternetGateway", "DeleteInternetGateway"));
    assert!(before("DeleteNatGateway", "DeleteSubnet"));
    assert!(before("DeleteSubnet", "DeleteVpc"));
    assert!(before("DetachInternetGateway", "DeleteVpc"));
    assert!(rounds.last().unwrap().iter().any(|a| kind(a) == "DeleteVpc"));
}

#[test]
fn teardown_waits_for_a_deleting_nat_gateway() {
    let (_, mut o, _) = built(NatGatewayMode::Single);
    o.nat_gateways[0].state = NatState::Deleting;
    o.route_tables.clear();
    let p = plan_teardown(&o);
    assert!(
        !p.actions.iter().any(|a| matches!(a, NetworkAction::ReleaseAddress { .. } | NetworkAction::DeleteVpc { .. }))
    );
    assert!(
        !p.actions.iter().any(
            |a| matches!(a, NetworkAction::DeleteSubnet { subnet_id } if *subnet_id == o.nat_gateways[0].subnet_id)
        )
    );
    assert_eq!(p.waiting.len(), 1);
}

#[test]
fn an_eip_still_held_by_our_deleted_nat_is_waited_for_not_blocked() {
    let (d, mut o, _) = built(NatGatewayMode::Single);
    o.nat_gateways[0].state = NatState::Deleted;
    o.addresses[0].association_id = Some("eipassoc-1".into());
    let p = plan_network(&d, &o);
    assert!(p.blocked.is_empty(), "{:?}", p.blocked);
    assert_eq!(p.waiting, ["elastic-ip/nat-a is still held by a deleted NAT gateway"]);
    assert!(!p.actions.iter().any(|a| matches!(a, NetworkAction::CreateNatGateway { .. })));
    // Held by something that is not ours: blocked, never touched.
    o.nat_gateways.clear();
    let p = plan_network(&d, &o);
    assert_eq!(p.blocked.len(), 1);
}
