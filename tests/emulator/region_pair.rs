//! RegionPair through the whole pipeline against the emulator, both regions.

use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, Tag, TagSpecification, VpcAttributeName};
use warmstandby_api::{RegionPair, TAG_COMPONENT};
use warmstandby_aws::AwsContext;
use warmstandby_controller::{Intent, region_pair};
use warmstandby_tests::{Emulator, repo_root};

use crate::support::{CLASSIC_COUNTS, REGIONS, apply_until_ready, context, ec2, example_pair, owned_counts};

const UID: &str = "3f1c2a9e-0000-4000-8000-00000000aa01";

fn report(title: &str, stats: &warmstandby_aws::CallStats) {
    println!("AWS calls, {title}:\n{}", stats.table());
}

#[tokio::test]
async fn lifecycle_create_noop_drift_repair_destroy() {
    let emulator = Emulator::start();
    // Resources that are not ours: a user's VPC, even one carrying our
    // component tag, must survive everything below.
    let user_vpc = {
        let ec2 = ec2(&emulator, "us-east-1").await;
        let spec = TagSpecification::builder()
            .resource_type(ResourceType::Vpc)
            .tags(Tag::builder().key("Name").value("user").build())
            .tags(Tag::builder().key(TAG_COMPONENT).value("vpc").build())
            .build();
        let out = ec2.create_vpc().cidr_block("172.20.0.0/16").tag_specifications(spec).send().await.unwrap();
        out.vpc().unwrap().vpc_id().unwrap().to_string()
    };
    let aws = context(&emulator).await;
    let mut pair = example_pair(UID);

    // Create from nothing.
    let before = aws.calls().snapshot();
    let outcome = apply_until_ready(&aws, &mut pair).await;
    let create = aws.calls().snapshot().since(&before);
    report("create (both regions, until Ready)", &create);
    let status = pair.status.clone().unwrap();
    for region in [status.primary.as_ref().unwrap(), status.standby.as_ref().unwrap()] {
        assert!(region.vpc_id.is_some());
        assert_eq!(region.subnet_ids.len(), 8);
        assert_eq!(region.route_table_ids.keys().collect::<Vec<_>>(), ["private", "public"]);
        assert_eq!(region.nat_gateway_ids.len(), 1);
    }
    assert_eq!(owned_counts(&emulator, UID).await, REGIONS.map(|r| (r.to_string(), CLASSIC_COUNTS)).to_vec());
    assert!(outcome.status.drift.is_empty());

    // What AWS holds matches the spec, read back with the plain SDK.
    let east = ec2(&emulator, "us-east-1").await;
    let vpc_id = status.primary.as_ref().unwrap().vpc_id.clone().unwrap();
    let hostnames = east
        .describe_vpc_attribute()
        .vpc_id(&vpc_id)
        .attribute(VpcAttributeName::EnableDnsHostnames)
        .send()
        .await
        .unwrap();
    assert_eq!(hostnames.enable_dns_hostnames().and_then(|a| a.value()), Some(true));
    let public_a = status.primary.as_ref().unwrap().subnet_ids["public-a"].clone();
    let subnet = east.describe_subnets().subnet_ids(&public_a).send().await.unwrap();
    assert_eq!(subnet.subnets()[0].map_public_ip_on_launch(), Some(true));
    assert_eq!(subnet.subnets()[0].cidr_block(), Some("172.20.0.0/24"));

    // A second apply makes no change.
    let before = aws.calls().snapshot();
    let noop = region_pair::reconcile(&aws, &pair, Intent::Apply, "2026-01-01T00:01:00Z").await;
    let noop_calls = aws.calls().snapshot().since(&before);
    report("no-op reconcile (both regions)", &noop_calls);
    assert!(noop.is_ready() && noop.applied.is_empty());
    assert_eq!(noop_calls.mutating(), 0);
    // 6 kinds per region: one describe each, plus two DNS attributes of the VPC.
    assert_eq!(noop_calls.reads(), 16);
    assert!(noop_calls.reads() <= 2 * 6 * 2);

    // Out-of-band damage.
    let west = ec2(&emulator, "us-west-2").await;
    let west_status = status.standby.clone().unwrap();
    let private_rt = west_status.route_table_ids["private"].clone();
    west.delete_route().route_table_id(&private_rt).destination_cidr_block("0.0.0.0/0").send().await.unwrap();
    east.modify_subnet_attribute()
        .subnet_id(&public_a)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(false).build())
        .send()
        .await
        .unwrap();
    let east_igw = status.primary.as_ref().unwrap().internet_gateway_id.clone().unwrap();
    east.detach_internet_gateway().internet_gateway_id(&east_igw).vpc_id(&vpc_id).send().await.unwrap();
    let west_nat = west_status.nat_gateway_ids["nat-a"].clone();
    west.delete_nat_gateway().nat_gateway_id(&west_nat).send().await.unwrap();

    // `status` (observe only) reports each as field-level drift and changes nothing.
    let before = aws.calls().snapshot();
    let observed = region_pair::reconcile(&aws, &pair, Intent::Observe, "2026-01-01T00:02:00Z").await;
    assert_eq!(aws.calls().snapshot().since(&before).mutating(), 0);
    let drift: Vec<String> = observed.status.drift.iter().map(ToString::to_string).collect();
    // The NAT gateway is gone, so its route has no target to point at yet.
    for expected in [
        format!(
            "us-west-2 RouteTable {private_rt}: routes[0.0.0.0/0] expected a route once its target exists, found missing"
        ),
        format!("us-east-1 Subnet {public_a}: mapPublicIpOnLaunch expected true, found false"),
        format!("us-east-1 InternetGateway {east_igw}: attachment expected {vpc_id}, found detached"),
        "us-west-2 NatGateway nat-gateway/nat-a: existence expected present, found missing".to_string(),
    ] {
        assert!(drift.contains(&expected), "drift lacks {expected:?}; found {drift:#?}");
    }
    assert_eq!(drift.len(), 4, "{drift:#?}");
    assert!(!observed.is_ready());
    assert_eq!(observed.status.drift_count as usize, observed.status.drift.len());
    let drift_condition = warmstandby_core::conditions::get(&observed.status.conditions, "DriftDetected").unwrap();
    assert_eq!(drift_condition.status, "True");

    // The next apply repairs all of it.
    pair.status = Some(observed.status);
    apply_until_ready(&aws, &mut pair).await;
    let clean = region_pair::reconcile(&aws, &pair, Intent::Observe, "2026-01-01T00:03:00Z").await;
    assert!(clean.status.drift.is_empty(), "{:?}", clean.status.drift);
    assert!(clean.is_ready());
    assert_eq!(owned_counts(&emulator, UID).await, REGIONS.map(|r| (r.to_string(), CLASSIC_COUNTS)).to_vec());
    let subnet = east.describe_subnets().subnet_ids(&public_a).send().await.unwrap();
    assert_eq!(subnet.subnets()[0].map_public_ip_on_launch(), Some(true));

    // Destroy: nothing tagged with the uid remains; the default VPC and the user's VPC stay.
    let before = aws.calls().snapshot();
    let mut finished = false;
    for _ in 0..6 {
        let t = region_pair::teardown(&aws, &pair, None).await;
        assert!(t.errors.is_empty(), "{:?}", t.errors);
        if t.finished {
            finished = true;
            break;
        }
    }
    report("destroy (both regions)", &aws.calls().snapshot().since(&before));
    assert!(finished);
    assert_eq!(owned_counts(&emulator, UID).await, REGIONS.map(|r| (r.to_string(), [0; 6])).to_vec());
    for region in REGIONS {
        let vpcs = ec2(&emulator, region).await.describe_vpcs().send().await.unwrap();
        assert!(vpcs.vpcs().iter().any(|v| v.is_default() == Some(true)), "default VPC of {region} is gone");
    }
    let user = east.describe_vpcs().vpc_ids(&user_vpc).send().await.unwrap();
    assert_eq!(user.vpcs().len(), 1, "a VPC that is not ours was deleted");
}

#[tokio::test]
async fn a_crash_after_any_mutating_call_never_duplicates() {
    let emulator = Emulator::start();
    let uid = "3f1c2a9e-0000-4000-8000-00000000cc01";

    // How many mutating calls a full create takes.
    let aws = context(&emulator).await;
    let mut pair = example_pair(uid);
    let before = aws.calls().snapshot();
    apply_until_ready(&aws, &mut pair).await;
    let total = aws.calls().snapshot().since(&before).mutating();
    assert!(total >= 50, "a full create of both regions takes more than {total} mutating calls");

    for k in 1..=total {
        emulator.reset();
        let crashing = context(&emulator).await;
        crashing.calls().crash_after_mutations(k);
        let first = region_pair::reconcile(&crashing, &example_pair(uid), Intent::Apply, "t").await;
        assert!(crashing.calls().crashed(), "k={k}: the run did not reach its {k}th mutating call");
        assert!(!first.errors.is_empty(), "k={k}: the crash was not reported");

        // A new process picks up where the crashed one stopped.
        let restarted = context(&emulator).await;
        let mut pair = example_pair(uid);
        apply_until_ready(&restarted, &mut pair).await;
        assert_eq!(
            owned_counts(&emulator, uid).await,
            REGIONS.map(|r| (r.to_string(), CLASSIC_COUNTS)).to_vec(),
            "k={k}: duplicates or leftovers after a crash at mutating call {k}"
        );
    }
    println!(
        "crash test: crashed after each of the {total} mutating calls of a full create; every rerun converged to exactly one of each resource"
    );
}

/// Runs the CLI in-process against the emulator: (exit code, stdout, stderr).
pub(crate) async fn cli(emulator: &Emulator, args: &[&str]) -> (u8, String, String) {
    let config = emulator.sdk_config("us-east-1").await;
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let argv = std::iter::once("warmstandby").chain(args.iter().copied());
    let code = warmstandby_cli::run_with(argv, &mut out, &mut err, Some(config)).await;
    (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
}

/// `status -o json` prints exactly the status object the reconciler computes.
#[tokio::test]
async fn status_json_is_the_status_object() {
    let emulator = Emulator::start();
    let file = repo_root().join("deploy/examples/10-regionpair.yaml");
    let file = file.to_str().unwrap();
    let (code, out, err) = cli(&emulator, &["apply", "--wait", "--timeout", "2m", "-f", file]).await;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("RegionPair classic: Ready"), "{out}");
    let (code, out, err) = cli(&emulator, &["apply", "-f", file]).await;
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains(" + "), "a second apply changed something:\n{out}");

    let (code, out, err) = cli(&emulator, &["status", "-f", file, "-o", "json"]).await;
    assert_eq!(code, 0, "{err}");
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list["kind"], "List");
    let item = &list["items"][0];
    assert_eq!((item["kind"].as_str(), item["metadata"]["name"].as_str()), (Some("RegionPair"), Some("classic")));

    // The same object, computed by the reconciler the operator runs.
    let mut loaded: RegionPair = serde_yaml::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    loaded.metadata.uid = item["metadata"]["uid"].as_str().map(String::from);
    let aws = AwsContext::new(emulator.sdk_config("us-east-1").await);
    let expected = region_pair::reconcile(&aws, &loaded, Intent::Observe, "NOW").await.status;
    let mut printed: warmstandby_api::RegionPairStatus = serde_json::from_value(item["status"].clone()).unwrap();
    for c in &mut printed.conditions {
        c.last_transition_time = "NOW".into();
    }
    assert_eq!(printed, expected);
    assert_eq!(printed.phase, Some(warmstandby_api::Phase::Ready));

    let (code, out, err) = cli(&emulator, &["destroy", "--wait", "-f", file]).await;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("RegionPair classic: deleted; nothing owned by it is left"), "{out}");
    let uid = item["metadata"]["uid"].as_str().unwrap();
    assert_eq!(owned_counts(&emulator, uid).await, REGIONS.map(|r| (r.to_string(), [0; 6])).to_vec());
}

/// `spec.roleArn`: everything is created with the assumed role, in its
/// account, and nothing in the operator's own account.
#[tokio::test]
async fn a_role_arn_builds_the_networks_in_the_roles_account() {
    let emulator = Emulator::start();
    let base = std::sync::Arc::new(context(&emulator).await);
    let uid = "3f1c2a9e-0000-4000-8000-0000000000e1";
    let mut pair = example_pair(uid);
    pair.spec.role_arn = Some("arn:aws:iam::111111111111:role/warmstandby".into());
    let assumed = base.for_role(pair.spec.role_arn.as_deref()).await;
    apply_until_ready(&assumed, &mut pair).await;
    assert!(base.calls().snapshot().count("CreateVpc") == 2, "calls through the role count in the shared counter");

    let filter = || aws_sdk_ec2::types::Filter::builder().name("tag:warmstandby.dev/uid").values(uid).build();
    let own_account = ec2(&emulator, "us-east-1").await;
    assert!(
        own_account.describe_vpcs().filters(filter()).send().await.unwrap().vpcs().is_empty(),
        "built in the operator's account"
    );
    let role_account = assumed.ec2("us-east-1");
    assert_eq!(role_account.describe_vpcs().filters(filter()).send().await.unwrap().vpcs().len(), 1);
    let same = base.for_role(pair.spec.role_arn.as_deref()).await;
    assert!(std::sync::Arc::ptr_eq(&assumed, &same), "one context per role");
}

/// A fenced context (a replica that lost its lease) sends no mutating call:
/// reads still work, every change is refused before it leaves the process.
#[tokio::test]
async fn a_fenced_context_changes_nothing() {
    let emulator = Emulator::start();
    let aws = context(&emulator).await;
    aws.calls().fence(true);
    let outcome =
        region_pair::reconcile(&aws, &example_pair("3f1c2a9e-0000-4000-8000-0000000000f1"), Intent::Apply, "t").await;
    assert!(!outcome.errors.is_empty() && outcome.errors.iter().all(|e| e.code == "Fenced"), "{:?}", outcome.errors);
    assert!(outcome.errors.iter().all(|e| e.class.is_retryable()));
    for region in REGIONS {
        let vpcs = ec2(&emulator, region).await.describe_vpcs().send().await.unwrap();
        assert_eq!(vpcs.vpcs().len(), 1, "only the default VPC in {region}");
    }
    aws.calls().fence(false);
    let mut pair = example_pair("3f1c2a9e-0000-4000-8000-0000000000f1");
    apply_until_ready(&aws, &mut pair).await;
}

/// `managementPolicy: Observe`: a new pair plans its whole network into the
/// status and sends no mutating call; a built pair observed after a route
/// was removed plans the repair and leaves the route missing; Manage repairs.
#[tokio::test]
async fn an_observed_pair_plans_and_changes_nothing() {
    let emulator = Emulator::start();
    let aws = context(&emulator).await;
    let uid = "3f1c2a9e-0000-4000-8000-0000000000f2";
    let mut pair = example_pair(uid);
    pair.spec.management_policy = warmstandby_api::ManagementPolicy::Observe;
    let start = aws.calls().snapshot();
    let outcome = region_pair::reconcile(&aws, &pair, Intent::Apply, "t").await;
    assert_eq!(aws.calls().snapshot().since(&start).mutating(), 0, "an observed pair changes nothing");
    assert_eq!(outcome.status.phase, Some(warmstandby_api::Phase::Observing));
    let planned = outcome.status.planned.clone().expect("status.planned");
    let topology = warmstandby_core::desired::region_pair_topology(
        &warmstandby_core::validate::validate_region_pair(&pair).expect("valid"),
    )
    .expect("a topology");
    assert_eq!(usize::try_from(planned.count).unwrap_or_default(), topology.resources.len(), "all of it: {planned:?}");
    assert!(planned.changes.iter().all(|c| c.action == "create"));
    assert!(planned.note.is_none());
    let ready = outcome.status.conditions.iter().find(|c| c.type_ == "Ready").expect("Ready");
    assert_eq!(ready.reason, "Observing");
    assert!(ready.message.contains(&format!("observe only: {} change(s) planned", planned.count)), "{}", ready.message);

    // Built under Manage, then observed with a route removed by hand.
    pair.spec.management_policy = warmstandby_api::ManagementPolicy::Manage;
    let built = apply_until_ready(&aws, &mut pair).await;
    let primary = built.status.primary.clone().expect("primary IDs");
    let public = primary.route_table_ids.get("public").expect("the public route table").clone();
    let ec2 = ec2(&emulator, "us-east-1").await;
    ec2.delete_route().route_table_id(&public).destination_cidr_block("0.0.0.0/0").send().await.expect("DeleteRoute");
    pair.spec.management_policy = warmstandby_api::ManagementPolicy::Observe;
    let start = aws.calls().snapshot();
    let observed = region_pair::reconcile(&aws, &pair, Intent::Apply, "t").await;
    assert_eq!(aws.calls().snapshot().since(&start).mutating(), 0);
    let planned = observed.status.planned.clone().expect("status.planned");
    assert!(planned.changes.iter().any(|c| c.description.contains(&public)), "the repair is planned: {planned:?}");
    assert!(observed.status.drift.iter().any(|d| d.resource == public), "{:?}", observed.status.drift);
    let tables = ec2.describe_route_tables().route_table_ids(&public).send().await.expect("DescribeRouteTables");
    let routes =
        tables.route_tables()[0].routes().iter().filter(|r| r.destination_cidr_block() == Some("0.0.0.0/0")).count();
    assert_eq!(routes, 0, "the route stays removed while observed");
    pair.spec.management_policy = warmstandby_api::ManagementPolicy::Manage;
    let repaired = apply_until_ready(&aws, &mut pair).await;
    assert!(repaired.status.planned.is_none());
}

/// `warmstandby apply --wait` on observed manifests: one pass each, the plan
/// reported, nothing changed in AWS, and no wait for a Ready that cannot come.
#[tokio::test]
async fn apply_on_observed_manifests_reports_the_plan_and_returns() {
    let emulator = Emulator::start();
    let dir = std::env::temp_dir().join(format!("warmstandby-observed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    for file in ["00-secret.yaml", "10-regionpair.yaml", "20-failoverpolicy.yaml", "30-bookstore.yaml"] {
        let text = std::fs::read_to_string(repo_root().join("deploy/examples").join(file)).expect("an example");
        let observed = if file.starts_with("00") || file.starts_with("20") {
            text
        } else {
            text.replacen("\nspec:\n", "\nspec:\n  managementPolicy: Observe\n", 1)
        };
        std::fs::write(dir.join(file), observed).expect("write the example");
    }
    let before = warmstandby_tests::census::census(&emulator).await;
    let config = emulator.sdk_config("us-east-1").await;
    let path = dir.to_string_lossy().to_string();
    let argv = ["warmstandby", "apply", "--wait", "--timeout", "2m", "-f", path.as_str()];
    let started = std::time::Instant::now();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = warmstandby_cli::run_with(argv, &mut out, &mut err, Some(config)).await;
    let text = format!("{}{}", String::from_utf8_lossy(&out), String::from_utf8_lossy(&err));
    assert_eq!(code, 0, "{text}");
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "no wait for Ready: {text}");
    println!("{text}");
    assert!(text.contains("RegionPair classic: Observing (observe only: "), "{text}");
    assert!(
        text.contains("ThreeTierStack bookstore/bookstore: Pending (RegionPair classic has no networks yet (it only observes: managementPolicy Observe))"),
        "{text}"
    );
    assert!(!text.contains("change(s) applied"), "{text}");
    assert_eq!(
        warmstandby_tests::census::differences(&before, &warmstandby_tests::census::census(&emulator).await),
        Vec::<String>::new(),
        "nothing was created"
    );
    // Destroy leaves observed objects alone and says why.
    let argv = ["warmstandby", "destroy", "--wait", "-f", path.as_str()];
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = warmstandby_cli::run_with(argv, &mut out, &mut err, Some(emulator.sdk_config("us-east-1").await)).await;
    let text = format!("{}{}", String::from_utf8_lossy(&out), String::from_utf8_lossy(&err));
    assert_eq!(code, 0, "{text}");
    for object in ["ThreeTierStack bookstore/bookstore", "RegionPair classic"] {
        let line = format!("{object}: managementPolicy is Observe: AWS resources left in place");
        assert!(text.contains(&line), "{line}\nnot in:\n{text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
