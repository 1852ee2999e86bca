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
        ..Default::default()
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

/// The certificate requested in the console in `region`.
fn console_certificate(region: &str) -> String {
    format!("arn:aws:acm:{region}:123456789012:certificate/console-{region}")
}

/// The console's tier in `region`: a group in `subnets` registering in a
/// target group an internet-facing load balancer forwards to.
fn console_tier(region: &mut SeenRegion, tier: &str, subnets: [String; 2]) {
    let tg = format!("arn:aws:elasticloadbalancing:{}:1:targetgroup/{tier}-targets/1", region.region);
    region.target_groups.push(SeenTargetGroup { name: format!("{tier}-targets"), arn: tg.clone() });
    region.load_balancers.push(SeenLoadBalancer {
        name: format!("{tier}-alb"),
        dns_name: format!("{tier}-alb-1.{}.elb.amazonaws.com", region.region),
        vpc_id: region.vpcs[1].id.clone(),
        scheme: "internet-facing".into(),
        forwards_to: vec![tg.clone()],
        certificates: if tier == "api" { vec![console_certificate(&region.region)] } else { Vec::new() },
    });
    region.auto_scaling_groups.push(SeenAutoScalingGroup {
        name: format!("{tier}-servers"),
        subnet_ids: subnets.to_vec(),
        target_group_arns: vec![tg],
        launch_template: Some(format!("{tier}-template")),
        ours: false,
    });
}

#[test]
fn the_tiers_are_followed_from_their_groups_to_their_load_balancers() {
    let (mut primary, mut standby) = classic();
    for (r, n) in [(&mut primary, 1), (&mut standby, 2)] {
        console_tier(r, "web", [format!("subnet-{n}10"), format!("subnet-{n}11")]);
        console_tier(r, "api", [format!("subnet-{n}20"), format!("subnet-{n}21")]);
        // A stack's own group, and an internal load balancer's, are not the console's.
        r.auto_scaling_groups.push(SeenAutoScalingGroup {
            name: "bookstore-bookstore-web".into(),
            subnet_ids: vec![format!("subnet-{n}10")],
            ours: true,
            ..Default::default()
        });
    }
    let found = discover(&primary, &standby);
    assert!(found.undecided.is_empty(), "{:?}", found.undecided);
    let web = found.tiers.get("web").expect("the web tier");
    assert_eq!(
        (
            &web.primary.load_balancer,
            &web.primary.target_group,
            &web.primary.launch_template,
            &web.primary.auto_scaling_group
        ),
        (&"web-alb".to_string(), &"web-targets".to_string(), &"web-template".to_string(), &"web-servers".to_string())
    );
    assert_eq!(found.tiers.get("api").map(|a| a.standby.auto_scaling_group.as_str()), Some("api-servers"));

    // Found in one region only, or a group registering where no public load balancer forwards: said.
    standby.auto_scaling_groups.retain(|g| g.name != "api-servers");
    primary.load_balancers.iter_mut().filter(|l| l.name == "web-alb").for_each(|l| l.scheme = "internal".into());
    let found = discover(&primary, &standby);
    assert!(found.tiers.is_empty(), "{:?}", found.tiers);
    assert!(
        found.undecided.iter().any(|u| u.contains("api tier (api-servers) was found in one region only")),
        "{:?}",
        found.undecided
    );
    assert!(
        found.undecided.iter().any(|u| u.starts_with("us-east-1: the web tier's group(s) web-servers")),
        "{:?}",
        found.undecided
    );
}

#[test]
fn the_distribution_and_the_health_check_in_front_of_the_tiers_are_found() {
    let (mut primary, mut standby) = classic();
    for (r, n) in [(&mut primary, 1), (&mut standby, 2)] {
        console_tier(r, "web", [format!("subnet-{n}10"), format!("subnet-{n}11")]);
        console_tier(r, "api", [format!("subnet-{n}20"), format!("subnet-{n}21")]);
    }
    let global = SeenGlobal {
        distributions: vec![
            SeenDistribution { id: "EOTHER".into(), origins: vec!["blog.example.net".into()], certificate: None },
            SeenDistribution {
                id: "ESHOP".into(),
                origins: vec!["WEB-ALB-1.us-east-1.elb.amazonaws.com".into()],
                certificate: Some(console_certificate("us-east-1")),
            },
        ],
        health_checks: vec![
            SeenHealthCheck { id: "hc-standby".into(), fqdn: "api-alb-1.us-west-2.elb.amazonaws.com".into() },
            SeenHealthCheck { id: "hc-primary".into(), fqdn: "api-alb-1.us-east-1.elb.amazonaws.com".into() },
        ],
    };
    let mut found = discover(&primary, &standby);
    discover_edge(&mut found, &primary, &standby, &global);
    assert_eq!((found.distribution.as_deref(), found.health_check.as_deref()), (Some("ESHOP"), Some("hc-primary")));
    assert!(found.undecided.is_empty(), "{:?}", found.undecided);
    // The api listeners' certificates; CloudFront's is us-east-1's, the primary's.
    let certificates = warmstandby_api::CertificateAdoption {
        primary: Some(console_certificate("us-east-1")),
        standby: Some(console_certificate("us-west-2")),
        cloud_front: None,
    };
    assert_eq!(found.certificates.as_ref(), Some(&certificates));
    // CloudFront serving another certificate in us-east-1 than the listeners: said, not guessed.
    let mut other = global.clone();
    other.distributions[1].certificate = Some("arn:aws:acm:us-east-1:123456789012:certificate/cdn".into());
    let mut found = discover(&primary, &standby);
    discover_edge(&mut found, &primary, &standby, &other);
    let standby_only = warmstandby_api::CertificateAdoption { primary: None, ..certificates };
    assert_eq!(found.certificates, Some(standby_only));
    assert!(
        found.undecided.iter().any(|u| u.starts_with("us-east-1: the tiers serve several certificates")),
        "{:?}",
        found.undecided
    );
    // Two distributions in front of the same load balancers: said, not guessed.
    let mut twice = global.clone();
    twice.distributions[0].origins.push("web-alb-1.us-west-2.elb.amazonaws.com".into());
    let mut found = discover(&primary, &standby);
    discover_edge(&mut found, &primary, &standby, &twice);
    assert_eq!(found.distribution, None);
    assert!(
        found.undecided.iter().any(|u| u.starts_with("several distributions (EOTHER, ESHOP)")),
        "{:?}",
        found.undecided
    );
}

#[test]
fn the_backup_plan_copying_to_the_standby_is_found_with_its_vaults() {
    let (mut primary, mut standby) = classic();
    let vault = |region: &str, name: &str| (name.to_string(), format!("arn:aws:backup:{region}:1:backup-vault:{name}"));
    primary.backup_vaults = vec![vault("us-east-1", "Default"), vault("us-east-1", "bookstore-east")];
    standby.backup_vaults = vec![vault("us-west-2", "bookstore-west")];
    let plan = |id: &str, copy_to: Option<String>, ours: bool| SeenBackupPlan {
        id: id.into(),
        name: format!("{id}-name"),
        target_vault: "bookstore-east".into(),
        copy_to,
        ours,
    };
    let west = Some(standby.backup_vaults[0].1.clone());
    primary.backup_plans = vec![
        plan("local-only", None, false),
        plan("a-stacks-own", west.clone(), true),
        plan("console", west.clone(), false),
    ];
    let found = discover(&primary, &standby);
    assert_eq!(
        found.backup,
        Some(warmstandby_api::BackupAdoption {
            primary_vault: Some("bookstore-east".into()),
            standby_vault: Some("bookstore-west".into()),
            plan: Some("console".into()),
        })
    );
    // Two plans copying there: said, not guessed.
    primary.backup_plans.push(plan("second", west, false));
    let found = discover(&primary, &standby);
    assert_eq!(found.backup, None);
    assert!(
        found
            .undecided
            .iter()
            .any(|u| u
                == "us-east-1: several backup plans (console-name, second-name) copy to us-west-2; name the stack's"),
        "{:?}",
        found.undecided
    );
}
