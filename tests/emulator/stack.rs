//! ThreeTierStack network-attached and data tiers against the emulator.

use aws_sdk_ec2::types::{Filter, IpPermission, IpRange, UserIdGroupPair};
use warmstandby_api::{RegionPair, TAG_UID, ThreeTierStack};
use warmstandby_aws::AwsContext;
use warmstandby_cli::check::{Checked, load_and_check};
use warmstandby_controller::{Intent, region_pair, stack};
use warmstandby_tests::{Emulator, repo_root};

use crate::support::{apply_until_ready, context, ec2};

const PASSWORD: &str = "Ch4nge-me-0n-day-1";

fn examples() -> Checked {
    load_and_check(&[repo_root().join("deploy/examples")]).expect("the examples are valid")
}

pub(crate) struct Fixture {
    pub checked: Checked,
    pub pair: RegionPair,
    pub stack: ThreeTierStack,
}

impl Fixture {
    pub(crate) async fn with_network(aws: &AwsContext) -> Fixture {
        let checked = examples();
        let mut pair = checked.set.region_pairs[0].clone();
        apply_until_ready(aws, &mut pair).await;
        let stack = checked.set.stacks[0].clone();
        Fixture { checked, pair, stack }
    }

    pub(crate) async fn pass(&mut self, aws: &AwsContext, intent: Intent) -> stack::StackOutcome {
        let mut inputs = self.checked.set.stack_inputs(&self.stack);
        inputs.region_pair = Some(&self.pair);
        let outcome = stack::reconcile(aws, inputs, intent, "2026-01-01T00:00:00Z").await;
        self.stack.status = Some(outcome.status.clone());
        outcome
    }

    pub(crate) async fn until_ready(&mut self, aws: &AwsContext) -> usize {
        for n in 1..=10 {
            let outcome = self.pass(aws, Intent::Apply).await;
            assert!(outcome.errors.is_empty(), "pass {n}: {:?}", outcome.errors);
            if outcome.is_ready() {
                return n;
            }
        }
        panic!("stack not Ready: {:#?}", self.stack.status);
    }

    pub(crate) async fn teardown(&mut self, aws: &AwsContext) {
        for _ in 0..12 {
            let t = stack::teardown(aws, self.checked.set.stack_inputs(&self.stack), "20260101000000", None).await;
            assert!(t.errors.is_empty(), "{:?}", t.errors);
            if t.finished {
                return;
            }
        }
        panic!("stack teardown did not finish");
    }

    pub(crate) fn uid(&self) -> String {
        self.stack.metadata.uid.clone().unwrap()
    }
}

/// Owned data-tier resources per region: [security groups, live instances,
/// databases, private zones, backup vaults, backup plans].
pub(crate) async fn owned(emulator: &Emulator, f: &Fixture) -> Vec<[usize; 6]> {
    let uid = f.uid();
    let mut out = Vec::new();
    for region in ["us-east-1", "us-west-2"] {
        let config = emulator.sdk_config(region).await;
        let ec2 = aws_sdk_ec2::Client::new(&config);
        let rds = aws_sdk_rds::Client::new(&config);
        let backup = aws_sdk_backup::Client::new(&config);
        let by_uid = || Filter::builder().name(format!("tag:{TAG_UID}")).values(&uid).build();
        let sgs = ec2.describe_security_groups().filters(by_uid()).send().await.unwrap().security_groups().len();
        let instances = ec2
            .describe_instances()
            .filters(by_uid())
            .send()
            .await
            .unwrap()
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .filter(|i| i.state().and_then(|s| s.name()).map(|n| n.as_str()) != Some("terminated"))
            .count();
        let dbs = rds
            .describe_db_instances()
            .send()
            .await
            .unwrap()
            .db_instances()
            .iter()
            .filter(|d| d.tag_list().iter().any(|t| t.key() == Some(TAG_UID) && t.value() == Some(uid.as_str())))
            .count();
        let r53 = aws_sdk_route53::Client::new(&emulator.sdk_config("us-east-1").await);
        let zones = r53
            .list_hosted_zones_by_name()
            .dns_name("db.internal")
            .send()
            .await
            .unwrap()
            .hosted_zones()
            .iter()
            .filter(|z| z.name() == "db.internal." && z.config().map(|c| c.private_zone()) == Some(true))
            .filter(|z| {
                z.config()
                    .and_then(|c| c.comment())
                    .is_some_and(|c| c.ends_with(if region == "us-east-1" { "primary" } else { "standby" }))
            })
            .count();
        let vaults = backup.list_backup_vaults().send().await.unwrap().backup_vault_list().len();
        let plans = backup.list_backup_plans().send().await.unwrap().backup_plans_list().len();
        out.push([sgs, instances, dbs, zones, vaults, plans]);
    }
    out
}

/// Primary: 6 groups, the bastion, the writer, its zone, a vault and the plan;
/// standby: 6 groups, the replica, its zone and a vault.
pub(crate) const CLASSIC: [[usize; 6]; 2] = [[6, 1, 1, 1, 1, 1], [6, 0, 1, 1, 1, 0]];

pub(crate) fn report(title: &str, stats: &warmstandby_aws::CallStats) {
    println!("AWS calls, {title}:\n{}", stats.table());
}

async fn group_id(emulator: &Emulator, region: &str, uid: &str, component: &str) -> String {
    let ec2 = ec2(emulator, region).await;
    let out = ec2
        .describe_security_groups()
        .filters(Filter::builder().name(format!("tag:{TAG_UID}")).values(uid).build())
        .filters(Filter::builder().name("tag:warmstandby.dev/component").values(component).build())
        .send()
        .await
        .unwrap();
    out.security_groups()[0].group_id().unwrap().to_string()
}

#[tokio::test]
async fn stack_lifecycle_create_noop_drift_repair_destroy() {
    let emulator = Emulator::start();
    let aws = context(&emulator).await;
    let mut f = Fixture::with_network(&aws).await;

    let before = aws.calls().snapshot();
    let passes = f.until_ready(&aws).await;
    report(&format!("create of the data tiers ({passes} passes)"), &aws.calls().snapshot().since(&before));
    assert_eq!(owned(&emulator, &f).await, CLASSIC);

    // What AWS holds, read back with the plain SDK.
    let east_rds = aws_sdk_rds::Client::new(&emulator.sdk_config("us-east-1").await);
    let writer =
        east_rds.describe_db_instances().db_instance_identifier("bookstore-bookstore-primary-db").send().await.unwrap();
    let w = &writer.db_instances()[0];
    assert_eq!(
        (w.multi_az(), w.storage_encrypted(), w.deletion_protection(), w.publicly_accessible()),
        (Some(true), Some(true), Some(true), Some(false))
    );
    assert_eq!(
        (w.engine(), w.db_instance_class(), w.allocated_storage(), w.backup_retention_period()),
        (Some("mysql"), Some("db.t3.micro"), Some(22), Some(7))
    );
    let west_rds = aws_sdk_rds::Client::new(&emulator.sdk_config("us-west-2").await);
    let replica =
        west_rds.describe_db_instances().db_instance_identifier("bookstore-bookstore-standby-db").send().await.unwrap();
    assert!(
        replica.db_instances()[0]
            .read_replica_source_db_instance_identifier()
            .is_some_and(|s| s.ends_with("bookstore-bookstore-primary-db"))
    );
    let uid = f.uid();
    let east = ec2(&emulator, "us-east-1").await;
    let db_sg = group_id(&emulator, "us-east-1", &uid, "security-group/db").await;
    let api_sg = group_id(&emulator, "us-east-1", &uid, "security-group/api").await;
    let rules = east.describe_security_groups().group_ids(&db_sg).send().await.unwrap();
    let perms = rules.security_groups()[0].ip_permissions();
    assert_eq!(perms.len(), 1, "db: 3306 from the api group only");
    assert_eq!(
        (perms[0].from_port(), perms[0].user_id_group_pairs()[0].group_id()),
        (Some(3306), Some(api_sg.as_str()))
    );
    let status = f.stack.status.clone().unwrap();
    let primary_db = status.primary.as_ref().unwrap().database.as_ref().unwrap();
    assert_eq!((primary_db.role.as_str(), primary_db.state.as_deref()), ("writer", Some("available")));
    assert_eq!(status.standby.as_ref().unwrap().database.as_ref().unwrap().role, "replica");
    assert_eq!(status.active_region.as_deref(), Some("us-east-1"));

    // A second pass changes nothing.
    let before = aws.calls().snapshot();
    let noop = f.pass(&aws, Intent::Apply).await;
    let noop_calls = aws.calls().snapshot().since(&before);
    report("no-op reconcile of the data tiers", &noop_calls);
    assert!(noop.is_ready() && noop.applied.is_empty());
    assert_eq!(noop_calls.mutating(), 0);

    // Out-of-band changes, one per family.
    east.authorize_security_group_ingress()
        .group_id(&db_sg)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(3306)
                .to_port(3306)
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let west = ec2(&emulator, "us-west-2").await;
    let west_db_sg = group_id(&emulator, "us-west-2", &uid, "security-group/db").await;
    let west_api_sg = group_id(&emulator, "us-west-2", &uid, "security-group/api").await;
    west.revoke_security_group_ingress()
        .group_id(&west_db_sg)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(3306)
                .to_port(3306)
                .user_id_group_pairs(UserIdGroupPair::builder().group_id(&west_api_sg).build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    east_rds
        .modify_db_instance()
        .db_instance_identifier("bookstore-bookstore-primary-db")
        .backup_retention_period(3)
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    let zone_id = status.primary.as_ref().unwrap().private_zone_id.clone().unwrap();
    let r53 = aws_sdk_route53::Client::new(&emulator.sdk_config("us-east-1").await);
    let record = aws_sdk_route53::types::ResourceRecordSet::builder()
        .name("book.db.internal")
        .r#type(aws_sdk_route53::types::RrType::Cname)
        .ttl(60)
        .resource_records(
            aws_sdk_route53::types::ResourceRecord::builder().value("elsewhere.example.com").build().unwrap(),
        )
        .build()
        .unwrap();
    r53.change_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .change_batch(
            aws_sdk_route53::types::ChangeBatch::builder()
                .changes(
                    aws_sdk_route53::types::Change::builder()
                        .action(aws_sdk_route53::types::ChangeAction::Upsert)
                        .resource_record_set(record)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let backup = aws_sdk_backup::Client::new(&emulator.sdk_config("us-east-1").await);
    let plan_id =
        backup.list_backup_plans().send().await.unwrap().backup_plans_list()[0].backup_plan_id().unwrap().to_string();
    let current = backup.get_backup_plan().backup_plan_id(&plan_id).send().await.unwrap();
    let rule = &current.backup_plan().unwrap().rules()[0];
    let altered = aws_sdk_backup::types::BackupPlanInput::builder()
        .backup_plan_name(current.backup_plan().unwrap().backup_plan_name())
        .rules(
            aws_sdk_backup::types::BackupRuleInput::builder()
                .rule_name(rule.rule_name())
                .target_backup_vault_name(rule.target_backup_vault_name())
                .schedule_expression("cron(0 1 ? * * *)")
                .set_lifecycle(rule.lifecycle().cloned())
                .set_copy_actions(Some(rule.copy_actions().to_vec()))
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    backup.update_backup_plan().backup_plan_id(&plan_id).backup_plan(altered).send().await.unwrap();

    let observed = f.pass(&aws, Intent::Observe).await;
    let drift: Vec<String> = observed.status.drift.iter().map(ToString::to_string).collect();
    let writer_endpoint = primary_db.endpoint.clone().unwrap();
    for expected in [
        format!(
            "us-east-1 SecurityGroup {db_sg}: ingress[tcp/3306-3306 from 0.0.0.0/0] expected absent, found present"
        ),
        format!("us-west-2 SecurityGroup {west_db_sg}: ingress[tcp/3306 from sg api] expected present, found missing"),
        "us-east-1 DbInstance bookstore-bookstore-primary-db: backupRetentionDays expected 7, found 3".to_string(),
        format!(
            "us-east-1 PrivateDnsRecord book.db.internal: value expected {writer_endpoint}, found elsewhere.example.com"
        ),
        format!("us-east-1 BackupPlan {plan_id}: schedule expected cron(0 5 ? * * *), found cron(0 1 ? * * *)"),
    ] {
        assert!(drift.contains(&expected), "drift lacks {expected:?}; found {drift:#?}");
    }
    assert_eq!(drift.len(), 5, "{drift:#?}");
    assert!(!observed.is_ready());

    f.until_ready(&aws).await;
    let clean = f.pass(&aws, Intent::Observe).await;
    assert!(clean.status.drift.is_empty(), "{:?}", clean.status.drift);
    let perms = east.describe_security_groups().group_ids(&db_sg).send().await.unwrap();
    assert_eq!(perms.security_groups()[0].ip_permissions().len(), 1, "the open 3306 rule was removed");
    let w =
        east_rds.describe_db_instances().db_instance_identifier("bookstore-bookstore-primary-db").send().await.unwrap();
    assert_eq!(w.db_instances()[0].backup_retention_period(), Some(7));

    // Destroy: replica before writer, a final snapshot of the writer, nothing left.
    let before = aws.calls().snapshot();
    f.teardown(&aws).await;
    report("destroy of the data tiers", &aws.calls().snapshot().since(&before));
    assert_eq!(owned(&emulator, &f).await, [[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]]);
    let snapshots = east_rds.describe_db_snapshots().send().await.unwrap();
    let names: Vec<&str> = snapshots.db_snapshots().iter().filter_map(|s| s.db_snapshot_identifier()).collect();
    assert!(
        names.contains(&"bookstore-bookstore-primary-db-final-20260101000000"),
        "final snapshot missing: {names:?}"
    );
    for _ in 0..6 {
        if region_pair::teardown(&aws, &f.pair, None).await.finished {
            return;
        }
    }
    panic!("the networks were not torn down after the stack");
}

#[tokio::test]
async fn a_crash_after_any_mutating_call_of_the_stack_never_duplicates() {
    let emulator = Emulator::start();
    let aws = context(&emulator).await;
    let mut f = Fixture::with_network(&aws).await;
    let before = aws.calls().snapshot();
    f.until_ready(&aws).await;
    let total = aws.calls().snapshot().since(&before).mutating();
    assert!(total >= 80, "{total}");

    for k in 1..=total {
        emulator.reset();
        let setup = context(&emulator).await;
        let mut f = Fixture::with_network(&setup).await;
        let crashing = context(&emulator).await;
        crashing.calls().crash_after_mutations(k);
        for _ in 0..10 {
            f.pass(&crashing, Intent::Apply).await;
            if crashing.calls().crashed() {
                break;
            }
        }
        assert!(crashing.calls().crashed(), "k={k}: never reached mutating call {k}");
        let restarted = context(&emulator).await;
        f.stack.status = None;
        f.until_ready(&restarted).await;
        assert_eq!(
            owned(&emulator, &f).await,
            CLASSIC,
            "k={k}: duplicates or leftovers after a crash at mutating call {k}"
        );
        assert_eq!(
            crate::edge::edge_census(&emulator).await,
            crate::edge::classic_edge(),
            "k={k}: duplicates or leftovers after a crash at mutating call {k}"
        );
    }
    println!(
        "stack crash test: crashed after each of the {total} mutating calls; every rerun converged to exactly one of each"
    );
}

/// The master password never appears in logs (every level, SDK included),
/// status, CLI output or AWS tags.
#[tokio::test]
async fn the_database_password_never_leaks() {
    use std::sync::{Arc, Mutex, OnceLock};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    // Process-wide: a thread-scoped subscriber misses events whose callsites
    // other test threads registered first. It sees every test's logs, which
    // must all be clean anyway.
    static LOGS: OnceLock<Buffer> = OnceLock::new();
    let logs = LOGS
        .get_or_init(|| {
            let buffer = Buffer::default();
            let writer = buffer.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_writer(move || writer.clone())
                .with_ansi(false)
                .finish();
            tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber in this binary");
            buffer
        })
        .clone();

    let emulator = Emulator::start();
    let aws = context(&emulator).await;
    let mut f = Fixture::with_network(&aws).await;
    f.until_ready(&aws).await;
    let status = serde_json::to_string(&f.stack.status).unwrap();
    assert!(!status.contains(PASSWORD), "status shows the password");

    let config = emulator.sdk_config("us-east-1").await;
    let dir = repo_root().join("deploy/examples");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = warmstandby_cli::run_with(
        ["warmstandby", "status", "-o", "yaml", "-f", dir.to_str().unwrap()],
        &mut out,
        &mut err,
        Some(config.clone()),
    )
    .await;
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
    let (mut plan_out, mut plan_err) = (Vec::new(), Vec::new());
    warmstandby_cli::run_with(
        ["warmstandby", "plan", "--offline", "-o", "json", "-f", dir.to_str().unwrap()],
        &mut plan_out,
        &mut plan_err,
        None,
    )
    .await;

    // Tags of everything created, and what instances are launched with.
    let mut tags = String::new();
    let mut launch_data = String::new();
    for region in ["us-east-1", "us-west-2"] {
        let c = emulator.sdk_config(region).await;
        let lts = aws_sdk_ec2::Client::new(&c).describe_launch_templates().send().await.unwrap();
        for t in lts.launch_templates() {
            let versions = aws_sdk_ec2::Client::new(&c)
                .describe_launch_template_versions()
                .launch_template_id(t.launch_template_id().unwrap())
                .send()
                .await
                .unwrap();
            for v in versions.launch_template_versions() {
                let data = v.launch_template_data().unwrap();
                launch_data.push_str(&format!("{data:?}"));
                launch_data.push_str(&crate::access::decode(data.user_data().unwrap_or_default()));
            }
        }
        let rds = aws_sdk_rds::Client::new(&c);
        for d in rds.describe_db_instances().send().await.unwrap().db_instances() {
            tags.push_str(&format!("{:?}", d.tag_list()));
        }
        let ec2 = aws_sdk_ec2::Client::new(&c);
        for g in ec2.describe_security_groups().send().await.unwrap().security_groups() {
            tags.push_str(&format!("{:?}", g.tags()));
        }
        for r in ec2.describe_instances().send().await.unwrap().reservations() {
            for i in r.instances() {
                tags.push_str(&format!("{:?}", i.tags()));
            }
        }
        let backup = aws_sdk_backup::Client::new(&c);
        for v in backup.list_backup_vaults().send().await.unwrap().backup_vault_list() {
            let arn = v.backup_vault_arn().unwrap();
            tags.push_str(&format!("{:?}", backup.list_tags().resource_arn(arn).send().await.unwrap().tags()));
        }
    }
    assert!(tags.contains(TAG_UID), "the tag sweep read no tags");
    assert!(launch_data.contains("WARMSTANDBY_DB_SECRET_ARN"), "the sweep read no user data");

    f.teardown(&aws).await;
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("CreateDBInstance") || logs.contains("create database"),
        "the log capture saw nothing: {} bytes: {}",
        logs.len(),
        &logs[..logs.len().min(2000)]
    );
    for (what, text) in [
        ("logs", logs.as_str()),
        ("status output", &String::from_utf8_lossy(&out)),
        ("status errors", &String::from_utf8_lossy(&err)),
        ("plan output", &String::from_utf8_lossy(&plan_out)),
        ("AWS tags", tags.as_str()),
        ("launch template data and user data", launch_data.as_str()),
    ] {
        assert!(!text.contains(PASSWORD), "{what} show the database password");
    }
}

/// `deletionPolicy: Retain` leaves everything in place: not a single AWS call.
#[tokio::test]
async fn retain_touches_nothing_and_a_family_that_retains_is_left_untagged() {
    let emulator = Emulator::start();
    let aws = context(&emulator).await;
    let mut f = Fixture::with_network(&aws).await;
    f.until_ready(&aws).await;
    let before = owned(&emulator, &f).await;
    f.stack.spec.deletion_policy = warmstandby_api::DeletionPolicy::Retain;
    f.pair.spec.deletion_policy = warmstandby_api::DeletionPolicy::Retain;
    let calls = aws.calls().snapshot();
    let t = stack::teardown(&aws, f.checked.set.stack_inputs(&f.stack), "x", None).await;
    let p = region_pair::teardown(&aws, &f.pair, None).await;
    assert!(t.finished && p.finished);
    assert_eq!(aws.calls().snapshot().since(&calls).total(), 0);
    assert_eq!(owned(&emulator, &f).await, before);

    // Retention per family: the stack deleted, its web tier (with what it
    // runs with) and its backups stay, untagged; the rest goes. Under the
    // operator's own policy, as a real account treats it.
    let stack_tagged = ec2(&emulator, "us-east-1")
        .await
        .describe_instances()
        .filters(Filter::builder().name("tag-key").values(warmstandby_api::TAG_STACK).build())
        .filters(Filter::builder().name("instance-state-name").values("running").build())
        .send()
        .await
        .unwrap();
    let stack_tagged = stack_tagged.reservations().iter().flat_map(|r| r.instances()).count();
    assert!(stack_tagged > 1, "the groups' servers (and the bastion) carry the stack tag: {stack_tagged}");
    let aws = AwsContext::new(crate::support::least_privilege(&emulator, None).await);
    let retain = Some(warmstandby_api::DeletionPolicy::Retain);
    f.stack.spec.deletion_policy = warmstandby_api::DeletionPolicy::Delete;
    (f.stack.spec.web.deletion_policy, f.stack.spec.backup.deletion_policy) = (retain, retain);
    let vault = f.stack.status.as_ref().and_then(|s| s.primary.as_ref()).and_then(|r| r.backup_vault_name.clone());
    let vault = vault.expect("the stack's backup vault");
    let mut retained = None;
    for _ in 0..12 {
        let t = stack::teardown(&aws, f.checked.set.stack_inputs(&f.stack), "x", None).await;
        assert!(t.errors.is_empty(), "{:?}", t.errors);
        if t.finished {
            retained = t.retained;
            break;
        }
    }
    let retained = retained.expect("finished, saying what it left");
    assert!(retained.contains("the web tier in us-east-1 (primary, deletionPolicy Retain"), "{retained}");
    assert!(retained.contains("spec.backup.deletionPolicy is Retain"), "{retained}");
    for region in ["us-east-1", "us-west-2"] {
        let config = emulator.sdk_config(region).await;
        let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
        let lbs = elb.describe_load_balancers().send().await.unwrap();
        let names: Vec<&str> = lbs.load_balancers().iter().filter_map(|l| l.load_balancer_name()).collect();
        assert_eq!(names, ["bookstore-bookstore-web"], "{region}: the web tier's stays, the api's is gone");
        let arn = lbs.load_balancers()[0].load_balancer_arn().unwrap_or_default();
        let tags = elb.describe_tags().resource_arns(arn).send().await.unwrap();
        let ours = tags.tag_descriptions().iter().flat_map(|d| d.tags()).filter_map(|t| t.key());
        assert_eq!(ours.filter(|k| k.starts_with("warmstandby.dev/")).count(), 0, "{region}: released");
        let groups = aws_sdk_autoscaling::Client::new(&config).describe_auto_scaling_groups().send().await.unwrap();
        let groups: Vec<&str> =
            groups.auto_scaling_groups().iter().filter_map(|g| g.auto_scaling_group_name()).collect();
        assert_eq!(groups, ["bookstore-bookstore-web"], "{region}: the web servers run on");
        // The servers the group launched keep running, without the stack tag it gave them.
        let servers = ec2(&emulator, region)
            .await
            .describe_instances()
            .filters(Filter::builder().name("instance-state-name").values("running").build())
            .send()
            .await
            .unwrap();
        let servers: Vec<_> = servers.reservations().iter().flat_map(|r| r.instances()).collect();
        assert!(!servers.is_empty(), "{region}: the web servers run on");
        for i in &servers {
            let ours: Vec<_> =
                i.tags().iter().filter_map(|t| t.key()).filter(|k| k.starts_with("warmstandby.dev/")).collect();
            assert!(ours.is_empty(), "{region} {:?} keeps {ours:?}", i.instance_id());
        }
        let backup = aws_sdk_backup::Client::new(&config);
        let found = backup.describe_backup_vault().backup_vault_name(&vault).send().await.expect("the vault stays");
        let tags = backup.list_tags().resource_arn(found.backup_vault_arn().unwrap_or_default()).send().await.unwrap();
        assert!(tags.tags().into_iter().flatten().all(|(k, _)| !k.starts_with("warmstandby.dev/")), "{tags:?}");
    }
    // Of the stack's: no security group (the web tier's are released with
    // it), database or private zone; the vaults and the plan, released.
    let left = owned(&emulator, &f).await;
    for (i, counts) in left.iter().enumerate() {
        assert_eq!([counts[0], counts[2], counts[3]], [0, 0, 0], "{left:?}");
        assert_eq!([counts[4], counts[5]], [1, usize::from(i == 0)], "{left:?}");
    }
}

/// RDS reports replica lag only as the CloudWatch metric `AWS/RDS ReplicaLag`
/// (the emulator publishes 0 each minute, as AWS does); the status shows the
/// latest value, and a datapoint put by the test wins.
#[tokio::test]
async fn replica_lag_reaches_the_status() {
    use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};

    let emulator = Emulator::start();
    let aws = context(&emulator).await;
    let mut f = Fixture::with_network(&aws).await;
    f.until_ready(&aws).await;
    let lag = |s: &warmstandby_api::ThreeTierStackStatus| {
        s.standby.as_ref().and_then(|r| r.database.as_ref()).and_then(|d| d.replica_lag_seconds)
    };
    assert_eq!(lag(f.stack.status.as_ref().unwrap()), Some(0), "published by the emulator, as AWS does");

    let cw = aws_sdk_cloudwatch::Client::new(&emulator.sdk_config("us-west-2").await);
    cw.put_metric_data()
        .namespace("AWS/RDS")
        .metric_data(
            MetricDatum::builder()
                .metric_name("ReplicaLag")
                .dimensions(
                    Dimension::builder().name("DBInstanceIdentifier").value("bookstore-bookstore-standby-db").build(),
                )
                .value(7.0)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let observed = f.pass(&aws, Intent::Observe).await;
    assert_eq!(lag(&observed.status), Some(7));
    assert!(observed.is_ready(), "lag is reported, not drift");
}

/// Stacks on one RegionPair share its subnets, and a fleet can fill them:
/// the launch is refused, the stack says which subnet and what to do, and
/// the half-built stack still tears down.
#[tokio::test]
async fn a_tier_that_outgrows_its_subnets_is_told_why_and_still_tears_down() {
    let emulator = Emulator::start();
    let aws = context(&emulator).await;
    let checked = examples();
    let mut pair = checked.set.region_pairs[0].clone();
    for (region, net) in [(&mut pair.spec.primary, "172.20"), (&mut pair.spec.standby, "172.21")] {
        let cidrs = |a: &str, b: &str| vec![format!("{net}.{a}"), format!("{net}.{b}")];
        region.subnets = Some(warmstandby_api::region_pair::SubnetLayout {
            public: cidrs("0.0/24", "1.0/24"),
            // 11 free addresses each, as on AWS (a /28 less the 5 AWS keeps).
            web: cidrs("2.0/28", "3.0/28"),
            app: cidrs("4.0/24", "5.0/24"),
            db: cidrs("6.0/24", "7.0/24"),
        });
    }
    apply_until_ready(&aws, &mut pair).await;
    let mut stack = checked.set.stacks[0].clone();
    stack.spec.web.capacity = warmstandby_api::Capacity { min: 12, desired: 12, max: 12 };
    let mut f = Fixture { checked, pair, stack };

    let mut refused = None;
    for _ in 0..12 {
        let outcome = f.pass(&aws, Intent::Apply).await;
        assert!(!outcome.is_ready(), "12 instances cannot fit in 11 addresses");
        if let Some(e) = outcome.errors.iter().find(|e| e.code == "InsufficientFreeAddressesInSubnet") {
            refused = Some(e.clone());
            break;
        }
    }
    let refused = refused.expect("the web group's launch is refused for want of addresses");
    assert_eq!(refused.operation, "autoscaling:CreateAutoScalingGroup");
    assert!(refused.message.contains("larger subnets"), "says what to do: {}", refused.message);
    let status = serde_json::to_string(&f.stack.status).unwrap();
    assert!(status.contains("InsufficientFreeAddressesInSubnet"), "the status says why: {status}");

    f.teardown(&aws).await;
}
