use super::*;
use crate::test_fixtures::route_table as table;

/// The console walkthrough in one region: the default VPC, the stack's VPC
/// with 8 subnets (no Name tags), a public table, NAT on the main table, a
/// database table with no way out, and a MySQL database in the db subnets.
fn region(name: &str, n: u8, database: SeenDatabase) -> SeenRegion {
    let vpc = format!("vpc-{n}");
    let subnet = |tier: usize, z: usize| format!("subnet-{n}{tier}{z}");
    let mut subnets = Vec::new();
    for tier in 0..4 {
        for z in 0..2 {
            subnets.push(SeenSubnet {
                id: subnet(tier, z),
                vpc_id: vpc.clone(),
                zone: format!("{name}{}", ["a", "b"][z]),
                cidr: format!("10.{n}.{}.0/24", tier * 2 + z),
                name: None,
            });
        }
    }
    subnets.push(SeenSubnet { id: "subnet-default".into(), vpc_id: "vpc-default".into(), ..Default::default() });
    let public = [subnet(0, 0), subnet(0, 1)];
    let db = vec![subnet(3, 0), subnet(3, 1)];
    let (public_ids, db_ids): (Vec<&str>, Vec<&str>) =
        (public.iter().map(String::as_str).collect(), db.iter().map(String::as_str).collect());
    SeenRegion {
        region: name.into(),
        vpcs: vec![
            SeenVpc { id: "vpc-default".into(), default: true, ..Default::default() },
            SeenVpc { id: vpc.clone(), cidr: format!("10.{n}.0.0/16"), ..Default::default() },
        ],
        subnets,
        route_tables: vec![
            table("rtb-public", &vpc, Some(RouteTarget::Gateway("igw-1".into())), &public_ids, false),
            table("rtb-main", &vpc, Some(RouteTarget::NatGateway("nat-1".into())), &[], true),
            table("rtb-db", &vpc, None, &db_ids, false),
        ],
        databases: vec![SeenDatabase { vpc_id: Some(vpc), subnet_ids: db, ..database }],
    }
}

fn classic() -> (SeenRegion, SeenRegion) {
    let writer = SeenDatabase {
        identifier: "bookstore-db".into(),
        engine: "mysql".into(),
        arn: "arn:aws:rds:us-east-1:123456789012:db:bookstore-db".into(),
        ..Default::default()
    };
    let replica = SeenDatabase {
        identifier: "bookstore-db-replica".into(),
        engine: "mysql".into(),
        replica_source: Some(writer.arn.clone()),
        arn: "arn:aws:rds:us-west-2:123456789012:db:bookstore-db-replica".into(),
        ..Default::default()
    };
    (region("us-east-1", 1, writer), region("us-west-2", 2, replica))
}

#[test]
fn the_console_walkthrough_is_found_with_its_tiers_and_its_database_pair() {
    let (primary, standby) = classic();
    let found = discover(&primary, &standby);
    assert_eq!(found.database, Some(("bookstore-db".into(), "bookstore-db-replica".into())));
    assert!(found.undecided.is_empty(), "{:?}", found.undecided);
    let net = found.networks[0].clone().expect("the primary network");
    assert_eq!(net.vpc_id, "vpc-1");
    assert_eq!(net.subnets.public, ["subnet-100", "subnet-101"]);
    assert_eq!(net.subnets.web, ["subnet-110", "subnet-111"]);
    assert_eq!(net.subnets.app, ["subnet-120", "subnet-121"]);
    assert_eq!(net.subnets.db, ["subnet-130", "subnet-131"]);
    assert_eq!(found.networks[1].as_ref().map(|n| n.vpc_id.as_str()), Some("vpc-2"));
    // Nothing names web and app: the address order decided, and it says so.
    assert_eq!(found.guesses.len(), 2, "{:?}", found.guesses);
    assert!(found.guesses[0].starts_with("us-east-1: web and app subnets told apart by address order"));
}

#[test]
fn name_tags_tell_web_from_app_and_what_is_missing_is_undecided() {
    let (mut primary, standby) = classic();
    // Named the other way round from their addresses.
    for s in primary.subnets.iter_mut() {
        s.name = match s.id.as_str() {
            "subnet-110" | "subnet-111" => Some("bookstore-app-private".into()),
            "subnet-120" | "subnet-121" => Some("bookstore-web-private".into()),
            _ => None,
        };
    }
    let found = discover(&primary, &standby);
    let net = found.networks[0].clone().expect("the primary network");
    assert_eq!(net.subnets.web, ["subnet-120", "subnet-121"]);
    assert_eq!(net.subnets.app, ["subnet-110", "subnet-111"]);
    assert_eq!(found.guesses.len(), 1, "only the standby's order was guessed: {:?}", found.guesses);

    // A public subnet gone and a second VPC with no database: undecided, said why.
    let (mut primary, mut standby) = classic();
    primary.subnets.retain(|s| s.id != "subnet-101");
    standby.databases.clear();
    standby.vpcs.push(SeenVpc { id: "vpc-other".into(), ..Default::default() });
    let found = discover(&primary, &standby);
    assert_eq!(found.networks, [None, None]);
    assert_eq!(found.database, None);
    let undecided = found.undecided.join("\n");
    for expected in [
        "no MySQL writer in us-east-1 has a read replica in us-west-2",
        "us-east-1 vpc-1: public subnets: found 1 (subnet-100) in 1 zone(s)",
        "us-west-2: several VPCs (vpc-2, vpc-other) and no database to tell which is the stack's",
    ] {
        assert!(undecided.contains(expected), "{expected}\nnot in:\n{undecided}");
    }
}
