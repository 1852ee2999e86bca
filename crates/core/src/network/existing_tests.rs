use super::*;
use crate::network::observed::{ObservedRouteTable, ObservedSubnet, ObservedVpc};

const VPC: &str = "vpc-0a1b2c3d";

fn existing() -> ExistingNetwork {
    let ids = [
        ("public-a", "subnet-000000a1"),
        ("public-b", "subnet-000000b1"),
        ("web-a", "subnet-000000a2"),
        ("web-b", "subnet-000000b2"),
        ("app-a", "subnet-000000a3"),
        ("app-b", "subnet-000000b3"),
        ("db-a", "subnet-000000a4"),
        ("db-b", "subnet-000000b4"),
    ];
    ExistingNetwork {
        vpc_id: VPC.into(),
        subnet_ids: ids.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
    }
}

fn subnet(id: &str, zone: &str) -> ObservedSubnet {
    ObservedSubnet {
        id: id.into(),
        component: String::new(),
        vpc_id: VPC.into(),
        cidr: String::new(),
        zone: zone.into(),
        map_public_ip: false,
    }
}

fn table(id: &str, target: RouteTarget, subnets: &[&str], main: bool) -> ObservedRouteTable {
    crate::test_fixtures::route_table(id, VPC, Some(target), subnets, main)
}

/// The classic hand-built network: a public table to the internet gateway,
/// the private subnets on the main table through a NAT gateway, the
/// database subnets on a table with no route out.
fn console_built() -> ObservedNetwork {
    let e = existing();
    let zone = |key: &str| if key.ends_with("-a") { "us-east-1a" } else { "us-east-1b" };
    ObservedNetwork {
        vpcs: vec![ObservedVpc {
            id: VPC.into(),
            component: String::new(),
            cidr: "10.0.0.0/16".into(),
            dns_support: Some(true),
            dns_hostnames: Some(true),
        }],
        subnets: e.subnet_ids.iter().map(|(k, id)| subnet(id, zone(k))).collect(),
        route_tables: vec![
            table("rtb-public", RouteTarget::Gateway("igw-1".into()), &["subnet-000000a1", "subnet-000000b1"], false),
            table("rtb-main", RouteTarget::NatGateway("nat-1".into()), &[], true),
            ObservedRouteTable {
                routes: Vec::new(),
                ..table("rtb-db", RouteTarget::Other("local".into()), &["subnet-000000a4", "subnet-000000b4"], false)
            },
        ],
        ..Default::default()
    }
}

#[test]
fn a_console_built_network_offers_every_subnet_and_reports_nothing() {
    let (ids, outcome) = check_existing(&existing(), "us-east-1", "spec.primary.existing", &console_built());
    assert!(outcome.ready(), "{outcome:?}");
    assert!(outcome.drift.is_empty());
    assert!(ids.existing);
    assert_eq!(ids.vpc_id.as_deref(), Some(VPC));
    assert_eq!(ids.subnet_ids.len(), 8);
    assert_eq!(ids.route_table_ids.get("web-a").map(String::as_str), Some("rtb-main"), "the main table routes it");
    assert_eq!(ids.route_table_ids.get("public-b").map(String::as_str), Some("rtb-public"));
}

#[test]
fn what_a_stack_cannot_use_is_named_by_its_field_and_never_repaired() {
    let mut observed = console_built();
    // A subnet gone, one in another VPC, the web tier in one zone, the NAT route removed.
    observed.subnets.retain(|s| s.id != "subnet-000000b3");
    if let Some(s) = observed.subnets.iter_mut().find(|s| s.id == "subnet-000000a4") {
        s.vpc_id = "vpc-0fffffff".into();
    }
    if let Some(s) = observed.subnets.iter_mut().find(|s| s.id == "subnet-000000b2") {
        s.zone = "us-east-1a".into();
    }
    if let Some(t) = observed.route_tables.iter_mut().find(|t| t.id == "rtb-main") {
        t.routes.clear();
    }
    let (ids, outcome) = check_existing(&existing(), "us-east-1", "spec.primary.existing", &observed);
    let blocked = outcome.blocked.join("\n");
    for expected in [
        "spec.primary.existing.subnets.app[1]: subnet-000000b3 does not exist in us-east-1",
        "spec.primary.existing.subnets.db[0]: subnet-000000a4 is in vpc-0fffffff, not in vpc-0a1b2c3d",
        "spec.primary.existing.subnets.web: subnet-000000a2 and subnet-000000b2 are both in us-east-1a",
        "spec.primary.existing.subnets.web[0]: subnet-000000a2 has no 0.0.0.0/0 route to a route out (NAT) (route table rtb-main)",
    ] {
        assert!(blocked.contains(expected), "{expected}\nnot in:\n{blocked}");
    }
    assert!(!outcome.ready());
    assert!(outcome.drift.iter().any(|d| d.resource == "subnet-000000b3" && d.found == "missing"));
    assert!(!ids.subnet_ids.contains_key("app-b") && !ids.subnet_ids.contains_key("db-a"), "{ids:?}");

    // A public subnet routed to a NAT gateway has no way in from the internet.
    let mut observed = console_built();
    if let Some(t) = observed.route_tables.iter_mut().find(|t| t.id == "rtb-public") {
        t.routes[0].target = RouteTarget::NatGateway("nat-1".into());
    }
    let (_, outcome) = check_existing(&existing(), "us-east-1", "spec.primary.existing", &observed);
    assert!(outcome.blocked.iter().any(|b| b.contains("subnets.public[0]") && b.contains("an internet gateway")));

    // A VPC in another region is not found here.
    let (ids, outcome) = check_existing(&existing(), "us-east-1", "spec.primary.existing", &ObservedNetwork::default());
    assert!(outcome.blocked[0].starts_with("spec.primary.existing.vpcId: vpc-0a1b2c3d does not exist in us-east-1"));
    assert_eq!(ids.vpc_id, None);
}

#[test]
fn a_network_warmstandby_manages_is_not_someone_elses() {
    let mut observed = console_built();
    observed.vpcs[0].component = "vpc".into();
    let (_, outcome) = check_existing(&existing(), "us-east-1", "spec.primary.existing", &observed);
    assert!(
        outcome.blocked.iter().any(|b| b.starts_with(
            "spec.primary.existing.vpcId: vpc-0a1b2c3d is a network warmstandby manages for a RegionPair"
        )),
        "{:?}",
        outcome.blocked
    );
}
