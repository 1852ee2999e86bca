//! A RegionPair over existing networks: VPCs, subnets, gateways and route
//! tables built by hand (untagged, the way a person builds them in the
//! console), a whole stack built on them and destroyed, and the networks
//! exactly as they were. Networks a stack cannot use are refused field by
//! field, with nothing changed in AWS.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{DomainType, Filter};
use warmstandby_api::{ExistingNetworkSpec, ExistingSubnets, Phase, RegionPair};
use warmstandby_controller::{Intent, region_pair};
use warmstandby_tests::Emulator;
use warmstandby_tests::census::{census, differences};

use crate::stack::Fixture;
use crate::support::{apply_until_ready, context, ec2};

/// A hand-built network: the VPC and its subnets by tier (first zone, second zone).
pub(crate) struct HandBuilt {
    pub(crate) vpc: String,
    pub(crate) subnets: BTreeMap<&'static str, [String; 2]>,
}

impl HandBuilt {
    fn spec(&self) -> ExistingNetworkSpec {
        let tier = |t: &str| self.subnets[t].to_vec();
        ExistingNetworkSpec {
            vpc_id: self.vpc.clone(),
            subnets: ExistingSubnets { public: tier("public"), web: tier("web"), app: tier("app"), db: tier("db") },
        }
    }
}

/// The classic console walkthrough: a VPC, two subnets per tier in two
/// zones, an internet gateway on a public route table, a NAT gateway that
/// the main route table (the private tiers') points at, and a database route
/// table with no way out. Nothing is tagged.
pub(crate) async fn hand_build(emulator: &Emulator, region: &str, second_octet: u8) -> HandBuilt {
    let ec2 = ec2(emulator, region).await;
    let vpc = ec2.create_vpc().cidr_block(format!("10.{second_octet}.0.0/16")).send().await.expect("CreateVpc");
    let vpc = vpc.vpc().and_then(|v| v.vpc_id()).expect("a VPC ID").to_string();
    let mut subnets = BTreeMap::new();
    for (i, tier) in ["public", "web", "app", "db"].into_iter().enumerate() {
        let mut pair = Vec::new();
        for (z, zone) in ["a", "b"].into_iter().enumerate() {
            let out = ec2
                .create_subnet()
                .vpc_id(&vpc)
                .cidr_block(format!("10.{second_octet}.{}.0/24", i * 2 + z))
                .availability_zone(format!("{region}{zone}"))
                .send()
                .await
                .expect("CreateSubnet");
            pair.push(out.subnet().and_then(|s| s.subnet_id()).expect("a subnet ID").to_string());
        }
        subnets.insert(tier, [pair[0].clone(), pair[1].clone()]);
    }
    let igw = ec2.create_internet_gateway().send().await.expect("CreateInternetGateway");
    let igw = igw.internet_gateway().and_then(|g| g.internet_gateway_id()).expect("an IGW ID").to_string();
    ec2.attach_internet_gateway().internet_gateway_id(&igw).vpc_id(&vpc).send().await.expect("attach");
    let public = ec2.create_route_table().vpc_id(&vpc).send().await.expect("CreateRouteTable");
    let public = public.route_table().and_then(|t| t.route_table_id()).expect("a table ID").to_string();
    ec2.create_route()
        .route_table_id(&public)
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(&igw)
        .send()
        .await
        .expect("CreateRoute");
    for s in &subnets["public"] {
        ec2.associate_route_table().route_table_id(&public).subnet_id(s).send().await.expect("associate");
    }
    let eip = ec2.allocate_address().domain(DomainType::Vpc).send().await.expect("AllocateAddress");
    let nat = ec2
        .create_nat_gateway()
        .subnet_id(&subnets["public"][0])
        .allocation_id(eip.allocation_id().expect("an allocation ID"))
        .send()
        .await
        .expect("CreateNatGateway");
    let nat = nat.nat_gateway().and_then(|n| n.nat_gateway_id()).expect("a NAT ID").to_string();
    let tables = ec2
        .describe_route_tables()
        .filters(Filter::builder().name("vpc-id").values(&vpc).build())
        .send()
        .await
        .expect("DescribeRouteTables");
    let main = tables
        .route_tables()
        .iter()
        .find(|t| t.associations().iter().any(|a| a.main() == Some(true)))
        .and_then(|t| t.route_table_id())
        .expect("the main route table")
        .to_string();
    ec2.create_route()
        .route_table_id(&main)
        .destination_cidr_block("0.0.0.0/0")
        .nat_gateway_id(&nat)
        .send()
        .await
        .expect("CreateRoute");
    let db = ec2.create_route_table().vpc_id(&vpc).send().await.expect("CreateRouteTable");
    let db = db.route_table().and_then(|t| t.route_table_id()).expect("a table ID").to_string();
    for s in &subnets["db"] {
        ec2.associate_route_table().route_table_id(&db).subnet_id(s).send().await.expect("associate");
    }
    HandBuilt { vpc, subnets }
}

/// Everything AWS says of a hand-built network that the operator must never
/// change: the VPC, its subnets and route tables with their tags, routes
/// and associations.
pub(crate) async fn fingerprint(emulator: &Emulator, region: &str, vpc: &str) -> String {
    let ec2 = ec2(emulator, region).await;
    let in_vpc = || Filter::builder().name("vpc-id").values(vpc).build();
    let vpcs = ec2.describe_vpcs().vpc_ids(vpc).send().await.expect("DescribeVpcs");
    let subnets = ec2.describe_subnets().filters(in_vpc()).send().await.expect("DescribeSubnets");
    let tables = ec2.describe_route_tables().filters(in_vpc()).send().await.expect("DescribeRouteTables");
    let mut lines: Vec<String> = vpcs.vpcs().iter().map(|v| format!("{:?} {:?}", v.vpc_id(), v.tags())).collect();
    lines.extend(subnets.subnets().iter().map(|s| {
        format!(
            "{:?} {:?} {:?} {:?} {:?}",
            s.subnet_id(),
            s.cidr_block(),
            s.availability_zone(),
            s.map_public_ip_on_launch(),
            s.tags()
        )
    }));
    lines.extend(tables.route_tables().iter().map(|t| {
        let routes: Vec<String> = t
            .routes()
            .iter()
            .map(|r| format!("{:?}->{:?}{:?}", r.destination_cidr_block(), r.gateway_id(), r.nat_gateway_id()))
            .collect();
        let mut associations: Vec<String> =
            t.associations().iter().map(|a| format!("{:?}/{:?}", a.subnet_id(), a.main())).collect();
        associations.sort();
        format!("{:?} {routes:?} {associations:?} {:?}", t.route_table_id(), t.tags())
    }));
    lines.sort();
    lines.join("\n")
}

pub(crate) fn pair_over(primary: &HandBuilt, standby: &HandBuilt) -> (warmstandby_cli::check::Checked, RegionPair) {
    let checked = warmstandby_cli::check::load_and_check(&[warmstandby_tests::repo_root().join("deploy/examples")])
        .expect("the examples are valid");
    let mut pair = checked.set.region_pairs[0].clone();
    for (spec, network) in [(&mut pair.spec.primary, primary), (&mut pair.spec.standby, standby)] {
        spec.vpc_cidr = String::new();
        spec.existing = Some(network.spec());
    }
    (checked, pair)
}

#[tokio::test]
async fn a_stack_on_existing_networks_is_built_and_destroyed_and_the_networks_stay_as_they_were() {
    let emulator = Emulator::start();
    let primary = hand_build(&emulator, "us-east-1", 50).await;
    let standby = hand_build(&emulator, "us-west-2", 60).await;
    // As a real account treats the operator: its policy only, IAM and AWS's rates on.
    let aws = warmstandby_aws::AwsContext::new(crate::support::least_privilege(&emulator, None).await);
    let before = [
        fingerprint(&emulator, "us-east-1", &primary.vpc).await,
        fingerprint(&emulator, "us-west-2", &standby.vpc).await,
    ];
    let baseline = census(&emulator).await;
    let (checked, mut pair) = pair_over(&primary, &standby);
    warmstandby_core::validate::validate_region_pair(&pair).expect("a pair over existing networks is valid");

    let start = aws.calls().snapshot();
    let outcome = apply_until_ready(&aws, &mut pair).await;
    let pair_calls = aws.calls().snapshot().since(&start);
    assert_eq!(pair_calls.mutating(), 0, "an existing network is only read:\n{}", pair_calls.table());
    let status = outcome.status.primary.clone().expect("the primary's IDs");
    assert!(status.existing);
    assert_eq!(status.vpc_id.as_deref(), Some(primary.vpc.as_str()));
    assert_eq!(status.subnet_ids.get("web-b"), Some(&primary.subnets["web"][1]));
    assert_eq!(status.subnet_ids.len(), 8);

    // A whole stack on them.
    let mut checked = checked;
    checked.set.region_pairs[0] = pair.clone();
    let stack = checked.set.stacks[0].clone();
    let mut fixture = Fixture { checked, pair: pair.clone(), stack };
    let passes = fixture.until_ready(&aws).await;
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&emulator.sdk_config("us-east-1").await);
    let lbs = elb.describe_load_balancers().send().await.expect("DescribeLoadBalancers");
    for lb in lbs.load_balancers() {
        assert_eq!(lb.vpc_id(), Some(primary.vpc.as_str()), "{:?} is in the existing VPC", lb.load_balancer_name());
        let mut zones: Vec<&str> = lb.availability_zones().iter().filter_map(|z| z.subnet_id()).collect();
        zones.sort();
        let mut public: Vec<&str> = primary.subnets["public"].iter().map(String::as_str).collect();
        public.sort();
        assert_eq!(zones, public, "load balancers sit in the existing public subnets");
    }
    let rds = aws_sdk_rds::Client::new(&emulator.sdk_config("us-west-2").await);
    let groups = rds.describe_db_subnet_groups().send().await.expect("DescribeDBSubnetGroups");
    let mut db_subnets: Vec<String> = groups
        .db_subnet_groups()
        .iter()
        .flat_map(|g| g.subnets().iter().filter_map(|s| s.subnet_identifier().map(str::to_string)))
        .collect();
    db_subnets.sort();
    let mut expected = standby.subnets["db"].to_vec();
    expected.sort();
    assert_eq!(db_subnets, expected, "the replica's subnet group is the existing database subnets");

    // A switchover to the standby and back, as on networks the operator built.
    crate::failover::switch_over_and_back(&mut fixture, &aws).await;
    let moves = fixture.stack.status.as_ref().map_or(0, |s| s.failover_history.len());

    // Destroy: the stack's resources go; the networks stay, untouched.
    fixture.teardown(&aws).await;
    let gone = region_pair::teardown(&aws, &pair, None).await;
    assert!(gone.finished && gone.errors.is_empty(), "{gone:?}");
    assert_eq!(gone.left_in_aws.as_deref(), Some("its networks are existing ones, used and never changed"));
    let after = [
        fingerprint(&emulator, "us-east-1", &primary.vpc).await,
        fingerprint(&emulator, "us-west-2", &standby.vpc).await,
    ];
    assert_eq!(before, after, "the existing networks are exactly as they were");
    let left: Vec<String> =
        differences(&baseline, &census(&emulator).await).into_iter().filter(|d| !d.contains("DBSnapshot")).collect();
    assert_eq!(left, Vec::<String>::new(), "everything the operator created is gone");
    println!(
        "existing networks: pair Ready with {} AWS reads and no change; stack Ready in {passes} passes; {moves} switchovers there and back",
        pair_calls.reads()
    );
}

#[tokio::test]
async fn an_existing_network_a_stack_cannot_use_is_refused_by_field_and_nothing_changes() {
    let emulator = Emulator::start();
    let aws = context(&emulator).await;
    let primary = hand_build(&emulator, "us-east-1", 50).await;
    let standby = hand_build(&emulator, "us-west-2", 60).await;
    // The default VPC's subnets: in the region, in another VPC.
    let default_subnet = ec2(&emulator, "us-east-1")
        .await
        .describe_subnets()
        .filters(Filter::builder().name("default-for-az").values("true").build())
        .send()
        .await
        .expect("DescribeSubnets")
        .subnets()
        .first()
        .and_then(|s| s.subnet_id())
        .expect("a default subnet")
        .to_string();
    let (_, mut pair) = pair_over(&primary, &standby);
    if let Some(e) = pair.spec.primary.existing.as_mut() {
        e.subnets.web[0] = "subnet-0123456789abcdef0".into(); // unknown
        e.subnets.app[1] = standby.subnets["app"][1].clone(); // the other region's
        e.subnets.db[0] = default_subnet.clone(); // another VPC's
        e.subnets.public = primary.subnets["db"].to_vec(); // no way in from the internet
        e.subnets.db = vec![default_subnet.clone(), primary.subnets["public"][1].clone()];
    }
    let start = aws.calls().snapshot();
    let outcome = region_pair::reconcile(&aws, &pair, Intent::Apply, "2026-01-01T00:00:00Z").await;
    assert_eq!(aws.calls().snapshot().since(&start).mutating(), 0, "nothing is changed in AWS");
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    assert_eq!(outcome.status.phase, Some(Phase::Degraded));
    let ready = outcome.status.conditions.iter().find(|c| c.type_ == "Ready").expect("Ready");
    assert_eq!((ready.status.as_str(), ready.reason.as_str()), ("False", "ExistingNetworkUnusable"));
    for expected in [
        "spec.primary.existing.subnets.web[0]: subnet-0123456789abcdef0 does not exist in us-east-1".to_string(),
        format!("spec.primary.existing.subnets.app[1]: {} does not exist in us-east-1", standby.subnets["app"][1]),
        format!("spec.primary.existing.subnets.db[0]: {default_subnet} is in vpc-"),
        format!(
            "spec.primary.existing.subnets.public[0]: {} has no 0.0.0.0/0 route to an internet gateway",
            primary.subnets["db"][0]
        ),
    ] {
        assert!(ready.message.contains(&expected), "{expected}\nnot in: {}", ready.message);
    }
    // A stack on it waits for a network it can use, and makes no call that changes anything.
    let mut pair_status = pair.clone();
    pair_status.status = Some(outcome.status.clone());
    let checked = warmstandby_cli::check::load_and_check(&[warmstandby_tests::repo_root().join("deploy/examples")])
        .expect("the examples are valid");
    let stack = checked.set.stacks[0].clone();
    let mut fixture = Fixture { checked, pair: pair_status, stack };
    let start = aws.calls().snapshot();
    let stack = fixture.pass(&aws, Intent::Apply).await;
    assert_eq!(aws.calls().snapshot().since(&start).mutating(), 0);
    let ready = stack.status.conditions.iter().find(|c| c.type_ == "Ready").expect("Ready");
    assert_eq!(ready.reason, "WaitingForRegionPair", "{}", ready.message);
    assert!(ready.message.contains("cannot carry stacks"), "{}", ready.message);
    // The spec's own mistakes never reach AWS.
    let (_, mut pair) = pair_over(&primary, &standby);
    if let Some(e) = pair.spec.standby.existing.as_mut() {
        e.subnets.web[1] = e.subnets.web[0].clone();
        e.vpc_id = "vpc-nothex".into();
    }
    pair.spec.standby.vpc_cidr = "10.9.0.0/16".into();
    let errors = warmstandby_core::validate::validate_region_pair(&pair).expect_err("refused").to_message();
    for expected in [
        "spec.standby.vpcCidr: give vpcCidr",
        "spec.standby.existing.vpcId: \"vpc-nothex\" is not a VPC ID",
        "spec.standby.existing.subnets.web[1]: ",
    ] {
        assert!(errors.contains(expected), "{expected}\nnot in: {errors}");
    }
}

/// A MySQL writer in `primary`'s database subnets and its cross-region
/// replica in `standby`'s, made by hand (untagged).
pub(crate) async fn hand_build_database(
    emulator: &Emulator,
    primary: &HandBuilt,
    standby: &HandBuilt,
) -> (String, String) {
    let mut arn = String::new();
    for (region, network, role) in [("us-east-1", primary, "writer"), ("us-west-2", standby, "replica")] {
        let rds = aws_sdk_rds::Client::new(&emulator.sdk_config(region).await);
        rds.create_db_subnet_group()
            .db_subnet_group_name("bookstore-db-subnets")
            .db_subnet_group_description("bookstore database subnets")
            .set_subnet_ids(Some(network.subnets["db"].to_vec()))
            .send()
            .await
            .expect("CreateDBSubnetGroup");
        let identifier = format!("bookstore-{role}");
        if role == "writer" {
            let out = rds
                .create_db_instance()
                .db_instance_identifier(&identifier)
                .db_instance_class("db.t3.micro")
                .engine("mysql")
                .engine_version("8.0.35")
                .master_username("admin")
                .master_user_password("not-the-stacks-0")
                .allocated_storage(20)
                .backup_retention_period(7)
                .db_subnet_group_name("bookstore-db-subnets")
                .send()
                .await
                .expect("CreateDBInstance");
            arn = out.db_instance().and_then(|d| d.db_instance_arn()).expect("the writer's ARN").to_string();
        } else {
            rds.create_db_instance_read_replica()
                .db_instance_identifier(&identifier)
                .source_db_instance_identifier(&arn)
                .db_instance_class("db.t3.micro")
                .db_subnet_group_name("bookstore-db-subnets")
                .send()
                .await
                .expect("CreateDBInstanceReadReplica");
        }
    }
    ("bookstore-writer".into(), "bookstore-replica".into())
}

#[tokio::test]
async fn discovery_finds_the_hand_built_networks_and_database_and_its_manifest_is_a_pair_that_works() {
    let emulator = Emulator::start();
    let primary = hand_build(&emulator, "us-east-1", 50).await;
    let standby = hand_build(&emulator, "us-west-2", 60).await;
    let (writer, replica) = hand_build_database(&emulator, &primary, &standby).await;
    let before = census(&emulator).await;

    let (mut out, mut err) = (Vec::new(), Vec::new());
    let args = ["warmstandby", "discover", "--primary", "us-east-1", "--standby", "us-west-2", "--name", "found"];
    // With the operator's policy only: discovery needs nothing more.
    let operator = crate::support::least_privilege(&emulator, None).await;
    let code = warmstandby_cli::run_with(args, &mut out, &mut err, Some(operator)).await;
    let (out, err) = (String::from_utf8_lossy(&out).to_string(), String::from_utf8_lossy(&err).to_string());
    assert_eq!(code, 0, "{out}\n{err}");
    println!("warmstandby discover:\n{out}");
    assert!(
        out.contains(&format!(
            "# MySQL writer {writer} (us-east-1) with its cross-region replica {replica} (us-west-2)."
        )),
        "{out}"
    );
    assert!(out.contains("# Guessed, check: us-east-1: web and app subnets told apart by address order"), "{out}");
    assert!(out.contains(&format!("#         adopt: {{writer: {writer}, replica: {replica}}}")), "{out}");
    assert_eq!(differences(&before, &census(&emulator).await), Vec::<String>::new(), "discovery only reads");

    let mut pair: RegionPair = serde_yaml::from_str(&out).expect("the manifest is a RegionPair");
    assert_eq!(pair.spec.management_policy, warmstandby_api::ManagementPolicy::Observe);
    assert_eq!(pair.spec.primary.existing, Some(primary.spec()), "{out}");
    assert_eq!(pair.spec.standby.existing, Some(standby.spec()), "{out}");
    pair.metadata.uid = Some("3f1c2a9e-0000-4000-8000-0000000000d1".into());
    let aws = context(&emulator).await;
    let ready = apply_until_ready(&aws, &mut pair).await;
    assert!(ready.status.primary.is_some_and(|p| p.existing && p.subnet_ids.len() == 8));
}

/// One region existing, the other built: the pair builds only its own
/// region, and deleting it removes only that region's network.
#[tokio::test]
async fn a_pair_with_one_existing_region_builds_and_deletes_only_the_other() {
    let emulator = Emulator::start();
    let aws = context(&emulator).await;
    let primary = hand_build(&emulator, "us-east-1", 50).await;
    let before = fingerprint(&emulator, "us-east-1", &primary.vpc).await;
    let uid = "3f1c2a9e-0000-4000-8000-0000000000d2";
    let mut pair = crate::support::example_pair(uid);
    pair.spec.primary.vpc_cidr = String::new();
    pair.spec.primary.existing = Some(primary.spec());
    let ready = apply_until_ready(&aws, &mut pair).await;
    let standby = ready.status.standby.clone().expect("the standby's IDs");
    assert!(!standby.existing && standby.vpc_id.is_some(), "the standby network is built: {standby:?}");
    let counts = crate::support::owned_counts(&emulator, uid).await;
    assert_eq!(counts[0].1, [0; 6], "nothing of ours in the existing region: {counts:?}");
    assert_eq!(counts[1].1, crate::support::CLASSIC_COUNTS, "the built region: {counts:?}");
    let mut finished = false;
    for _ in 0..10 {
        let t = region_pair::teardown(&aws, &pair, None).await;
        assert!(t.errors.is_empty(), "{:?}", t.errors);
        if t.finished {
            assert_eq!(t.left_in_aws, None, "the built region's network was deleted");
            finished = true;
            break;
        }
    }
    assert!(finished, "the teardown finished");
    let counts = crate::support::owned_counts(&emulator, uid).await;
    assert!(counts.iter().all(|(_, c)| *c == [0; 6]), "{counts:?}");
    assert_eq!(fingerprint(&emulator, "us-east-1", &primary.vpc).await, before, "the existing network is untouched");
}
