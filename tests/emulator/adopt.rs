//! Adopting a stack built by hand: a MySQL writer and its cross-region
//! replica, both regions' web and api tiers (load balancer, target group,
//! launch template, auto scaling group) and a web ACL, made the way a person
//! makes them in the console (untagged, on networks built by hand), brought
//! under management by `spec.database.adopt`, `spec.<tier>.adopt` and
//! `spec.waf.adopt`: planned first (observe only), adopted as the same
//! objects, failed over and back, and left running, untagged, when the
//! stack is deleted. Wrong adoptions are refused with nothing changed.

use aws_sdk_rds::types::DbInstance;
use warmstandby_api::{
    BackupAdoption, CertificateAdoption, DatabaseAdoption, ManagementPolicy, PrivateZoneAdoption, TAG_ADOPTED, TAG_UID,
    TierAdoption,
};
use warmstandby_controller::{Intent, region_pair};
use warmstandby_tests::Emulator;
use warmstandby_tests::census::{census, differences};

use crate::console::{
    ConsoleTier, build_backups, build_distribution, build_dns, build_private_zone, build_tier, certificate_tags,
    inspect, inspect_backups, inspect_distribution, request_certificate,
};
use crate::existing::{hand_build, hand_build_database, pair_over};
use crate::stack::Fixture;
use crate::support::apply_until_ready;

async fn describe(emulator: &Emulator, region: &str, identifier: &str) -> Option<DbInstance> {
    let rds = aws_sdk_rds::Client::new(&emulator.sdk_config(region).await);
    match rds.describe_db_instances().db_instance_identifier(identifier).send().await {
        Ok(out) => out.db_instances().first().cloned(),
        Err(e) if format!("{e:?}").contains("DBInstanceNotFound") => None,
        Err(e) => panic!("DescribeDBInstances {identifier}: {e:?}"),
    }
}

fn tag<'a>(db: &'a DbInstance, key: &str) -> Option<&'a str> {
    db.tag_list().iter().find(|t| t.key() == Some(key)).and_then(|t| t.value())
}

/// What makes an instance the same one: its resource ID and creation time.
fn identity(db: &DbInstance) -> (String, String) {
    (
        db.dbi_resource_id().unwrap_or_default().to_string(),
        db.instance_create_time().map(|t| t.to_string()).unwrap_or_default(),
    )
}

/// The web ACL a person makes for CloudFront in the console: scope
/// CLOUDFRONT (us-east-1), one AWS managed rule group, untagged. Its ARN.
async fn hand_built_web_acl(emulator: &Emulator, name: &str) -> String {
    use aws_sdk_wafv2::types::{
        AllowAction, DefaultAction, ManagedRuleGroupStatement, NoneAction, OverrideAction, Rule, Scope, Statement,
        VisibilityConfig,
    };
    let waf = aws_sdk_wafv2::Client::new(&emulator.sdk_config("us-east-1").await);
    let visibility = |metric: &str| {
        VisibilityConfig::builder()
            .sampled_requests_enabled(true)
            .cloud_watch_metrics_enabled(true)
            .metric_name(metric)
            .build()
            .expect("visibility")
    };
    let rule = Rule::builder()
        .name("AWSManagedRulesCommonRuleSet")
        .priority(0)
        .statement(
            Statement::builder()
                .managed_rule_group_statement(
                    ManagedRuleGroupStatement::builder()
                        .vendor_name("AWS")
                        .name("AWSManagedRulesCommonRuleSet")
                        .build()
                        .expect("statement"),
                )
                .build(),
        )
        .override_action(OverrideAction::builder().none(NoneAction::builder().build()).build())
        .visibility_config(visibility("common"))
        .build()
        .expect("rule");
    let out = waf
        .create_web_acl()
        .name(name)
        .scope(Scope::Cloudfront)
        .default_action(DefaultAction::builder().allow(AllowAction::builder().build()).build())
        .rules(rule)
        .visibility_config(visibility(name))
        .send()
        .await
        .expect("CreateWebACL");
    out.summary().and_then(|s| s.arn()).expect("the ACL's ARN").to_string()
}

async fn web_acl_tags(emulator: &Emulator, arn: &str) -> Vec<(String, String)> {
    let waf = aws_sdk_wafv2::Client::new(&emulator.sdk_config("us-east-1").await);
    let out = waf.list_tags_for_resource().resource_arn(arn).send().await.expect("ListTagsForResource");
    let tags = out.tag_info_for_resource().map(|t| t.tag_list()).unwrap_or_default();
    tags.iter().map(|t| (t.key().to_string(), t.value().to_string())).collect()
}

const CONSOLE_ACL: &str = "bookstore-console-acl";
/// The backup vaults made in the console (the same name in both regions).
const CONSOLE_VAULT: &str = "bookstore-backups";
/// The company's zone, as the example stack names it.
const ZONE: &str = "bookstore.example.com";

/// The hand-built ACL's ARN, by name (`None` once it is gone).
async fn console_acl(emulator: &Emulator) -> Option<String> {
    let waf = aws_sdk_wafv2::Client::new(&emulator.sdk_config("us-east-1").await);
    let out = waf.list_web_acls().scope(aws_sdk_wafv2::types::Scope::Cloudfront).send().await.expect("ListWebACLs");
    out.web_acls().iter().find(|a| a.name() == Some(CONSOLE_ACL)).and_then(|a| a.arn()).map(str::to_string)
}

/// Networks, a database pair, both tiers in both regions and a web ACL
/// built by hand, a pair over the networks (Ready), and the example stack
/// adopting all of them, observing only.
async fn hand_built_stack(
    emulator: &Emulator,
    aws: &warmstandby_aws::AwsContext,
) -> (Fixture, Vec<ConsoleTier>, (String, String)) {
    let primary = hand_build(emulator, "us-east-1", 50).await;
    let standby = hand_build(emulator, "us-west-2", 60).await;
    let (writer, replica) = hand_build_database(emulator, &primary, &standby).await;
    hand_built_web_acl(emulator, CONSOLE_ACL).await;
    let mut tiers = Vec::new();
    let mut certificates = Vec::new();
    for (region, network) in [("us-east-1", &primary), ("us-west-2", &standby)] {
        // The api's HTTPS listener serves the region's certificate (us-east-1's serves CloudFront too).
        let certificate = request_certificate(emulator, region, ZONE).await;
        for (tier, ami) in [("web", "ami-0a1b2c3d4e5f60718"), ("api", "ami-0f1e2d3c4b5a69788")] {
            let https = (tier == "api").then_some(certificate.as_str());
            tiers.push(build_tier(emulator, region, network, tier, ami, https).await);
        }
        certificates.push(certificate);
    }
    let web: Vec<&ConsoleTier> = tiers.iter().filter(|t| t.names.load_balancer.contains("web")).collect();
    let alias = format!("www.{ZONE}");
    let (id, arn, domain) = build_distribution(emulator, [web[0], web[1]], &alias, &certificates[0]).await;
    let api: Vec<&ConsoleTier> = tiers.iter().filter(|t| t.names.load_balancer.contains("api")).collect();
    let check = build_dns(emulator, [api[0], api[1]], &domain).await;
    let backup_plan = build_backups(emulator, CONSOLE_VAULT).await;
    let mut zones = Vec::new();
    for (region, network, id) in [("us-east-1", &primary, &writer), ("us-west-2", &standby, &replica)] {
        let endpoint = describe(emulator, region, id)
            .await
            .and_then(|d| d.endpoint().and_then(|e| e.address().map(str::to_string)));
        zones.push(build_private_zone(emulator, region, network, &endpoint.unwrap_or_default()).await);
    }
    let distribution = (id, arn);
    let (mut checked, mut pair) = pair_over(&primary, &standby);
    apply_until_ready(aws, &mut pair).await;
    checked.set.region_pairs[0] = pair.clone();
    let mut stack = checked.set.stacks[0].clone();
    let found = describe(emulator, "us-east-1", &writer).await.expect("the hand-built writer");
    let db = &mut stack.spec.database;
    db.adopt = Some(DatabaseAdoption { writer, replica: Some(replica) });
    // What only a new instance could change is written as it is.
    db.storage_encrypted = found.storage_encrypted().unwrap_or(false);
    db.engine_version = found.engine_version().unwrap_or_default().split('.').take(2).collect::<Vec<_>>().join(".");
    stack.spec.waf.adopt = Some(CONSOLE_ACL.to_string());
    let names = |tier: &str, region: &str| {
        tiers.iter().find(|t| t.region == region && t.names.load_balancer.contains(tier)).map(|t| t.names.clone())
    };
    for (tier, spec) in [("web", &mut stack.spec.web), ("api", &mut stack.spec.api)] {
        spec.adopt = Some(TierAdoption {
            primary: names(tier, "us-east-1").expect("the primary's tier"),
            standby: names(tier, "us-west-2").expect("the standby's tier"),
        });
    }
    stack.spec.cdn.adopt = Some(distribution.0.clone());
    stack.spec.domain.adopt_records = true;
    stack.spec.backup.adopt = Some(BackupAdoption {
        primary_vault: Some(CONSOLE_VAULT.into()),
        standby_vault: Some(CONSOLE_VAULT.into()),
        plan: Some(backup_plan),
    });
    stack.spec.domain.adopt_certificates = Some(CertificateAdoption {
        primary: Some(certificates[0].clone()),
        standby: Some(certificates[1].clone()),
        cloud_front: None,
    });
    stack.spec.database.private_dns.adopt =
        Some(PrivateZoneAdoption { primary: zones[0].clone(), standby: zones[1].clone() });
    stack.spec.health_check.adopt = Some(check);
    stack.spec.management_policy = ManagementPolicy::Observe;
    (Fixture { checked, pair, stack }, tiers, distribution)
}

/// The company zone's records and our tag keys on the health check `check`.
async fn dns(emulator: &Emulator, check: &str) -> (Vec<aws_sdk_route53::types::ResourceRecordSet>, Vec<String>) {
    let r53 = aws_sdk_route53::Client::new(&emulator.sdk_config("us-east-1").await);
    let zones = r53.list_hosted_zones_by_name().dns_name("bookstore.example.com").send().await.expect("zones");
    let zone = zones.hosted_zones()[0].id().to_string();
    let sets = r53.list_resource_record_sets().hosted_zone_id(zone).send().await.expect("records");
    let tags = r53
        .list_tags_for_resource()
        .resource_type(aws_sdk_route53::types::TagResourceType::Healthcheck)
        .resource_id(check)
        .send()
        .await
        .expect("the health check's tags");
    let keys = tags.resource_tag_set().map(|s| s.tags()).unwrap_or_default();
    (sets.resource_record_sets().to_vec(), keys.iter().filter_map(|t| t.key().map(str::to_string)).collect())
}

/// `warmstandby plan -f DIR` (with the operator's policy) on the fixture's
/// pair and stack written as manifests, beside the examples' Secret and policy.
async fn plan_from_files(operator: aws_config::SdkConfig, fixture: &Fixture) -> (u8, String) {
    let dir = std::env::temp_dir().join(format!("warmstandby-adopt-plan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a manifest directory");
    let examples = warmstandby_tests::repo_root().join("deploy/examples");
    for file in ["00-secret.yaml", "20-failoverpolicy.yaml"] {
        std::fs::copy(examples.join(file), dir.join(file)).expect("an example");
    }
    let (mut pair, mut stack) = (fixture.pair.clone(), fixture.stack.clone());
    (pair.status, pair.metadata.uid, stack.status, stack.metadata.uid) = (None, None, None, None);
    std::fs::write(dir.join("10-regionpair.yaml"), serde_yaml::to_string(&pair).expect("yaml")).expect("write");
    std::fs::write(dir.join("30-stack.yaml"), serde_yaml::to_string(&stack).expect("yaml")).expect("write");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let args = ["warmstandby", "plan", "-f", dir.to_str().unwrap_or_default()];
    let code = warmstandby_cli::run_with(args, &mut out, &mut err, Some(operator)).await;
    let _ = std::fs::remove_dir_all(&dir);
    (code, format!("{}{}", String::from_utf8_lossy(&out), String::from_utf8_lossy(&err)))
}

#[tokio::test]
async fn a_hand_built_database_is_adopted_as_the_same_instances_fails_over_and_is_left_in_place() {
    let emulator = Emulator::start();
    // As a real account treats the operator: its policy only, IAM and AWS's rates on.
    let operator = crate::support::least_privilege(&emulator, None).await;
    let aws = warmstandby_aws::AwsContext::new(operator.clone());
    let baseline = census(&emulator).await;
    let (mut fixture, console_tiers, (distribution_id, distribution_arn)) = hand_built_stack(&emulator, &aws).await;
    let check = fixture.stack.spec.health_check.adopt.clone().expect("the console's health check");
    // Discovery finds what the stack adopts: the database pair and each tier
    // (by the group in its subnets, its target group and the load balancer
    // forwarding there, its launch template).
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let args = ["warmstandby", "discover", "--primary", "us-east-1", "--standby", "us-west-2", "--name", "found"];
    let code = warmstandby_cli::run_with(args, &mut out, &mut err, Some(operator.clone())).await;
    let out = String::from_utf8_lossy(&out).to_string();
    assert_eq!(code, 0, "{out}{}", String::from_utf8_lossy(&err));
    for t in &console_tiers {
        let role = if t.region == "us-east-1" { "primary" } else { "standby" };
        let line = format!(
            "#           {role}: {{loadBalancer: {}, targetGroup: {}, launchTemplate: {}, autoScalingGroup: {}}}",
            t.names.load_balancer, t.names.target_group, t.names.launch_template, t.names.auto_scaling_group
        );
        assert!(out.contains(&line), "{line}\n{out}");
    }
    // ... and in front of them the distribution (its origins) and the health
    // check (its target), and the certificates the listeners and the distribution serve.
    let certificates = fixture.stack.spec.domain.adopt_certificates.clone().expect("the console's certificates");
    let [east, west] = [&certificates.primary, &certificates.standby].map(|c| c.clone().expect("a certificate"));
    let backup_plan =
        fixture.stack.spec.backup.adopt.as_ref().and_then(|b| b.plan.clone()).expect("the console's plan");
    for line in [
        format!("#       cdn: {{adopt: {distribution_id}}}"),
        format!("#       healthCheck: {{adopt: {check}}}"),
        format!("#       domain: {{adoptCertificates: {{primary: {east}, standby: {west}}}}}"),
        format!(
            "#       backup: {{adopt: {{primaryVault: {CONSOLE_VAULT}, standbyVault: {CONSOLE_VAULT}, plan: {backup_plan}}}}}"
        ),
    ] {
        assert!(out.contains(&line), "{line}\n{out}");
    }
    // What a wrong adoption does first: nothing, on the same hand-built stack.
    wrong_adoptions_are_refused_by_field_and_nothing_changes(&emulator, &aws, &mut fixture).await;
    let adopt = fixture.stack.spec.database.adopt.clone().expect("adopt");
    let (writer, replica) = (adopt.writer.clone(), adopt.replica.clone().expect("replica"));
    let before = [
        describe(&emulator, "us-east-1", &writer).await.expect("writer"),
        describe(&emulator, "us-west-2", &replica).await.expect("replica"),
    ];
    let acl_arn = console_acl(&emulator).await.expect("the hand-built web ACL");
    let hand_built = census(&emulator).await;

    // Observe: the plan shows both adoptions and no database made or replaced; nothing changes.
    let start = aws.calls().snapshot();
    let observed = fixture.pass(&aws, Intent::Apply).await;
    let calls = aws.calls().snapshot().since(&start);
    assert!(observed.errors.is_empty(), "{:?}", observed.errors);
    assert_eq!(calls.mutating(), 0, "observing changes nothing:\n{}", calls.table());
    let planned = fixture.stack.status.as_ref().and_then(|s| s.planned.clone());
    let planned = planned.unwrap_or_else(|| panic!("status.planned: {:#?}", fixture.stack.status));
    let line = |action: &str, kind: &str| {
        planned
            .changes
            .iter()
            .filter(|c| c.action == action && c.kind == kind)
            .map(|c| c.description.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(line("adopt", "DbInstance"), vec![format!("adopt DbInstance {writer}")], "{planned:#?}");
    assert_eq!(line("adopt", "DbReadReplica"), vec![format!("adopt DbReadReplica {replica}")], "{planned:#?}");
    assert_eq!(line("adopt", "WebAcl"), vec![format!("adopt WebAcl {CONSOLE_ACL}")], "{planned:#?}");
    // (status.planned lists the first changes; the load balancers' and target groups' are among them.)
    let console_lines = |kind: &str| {
        let mut lines: Vec<String> = console_tiers
            .iter()
            .map(|t| {
                let name = match kind {
                    "LoadBalancer" => &t.names.load_balancer,
                    "TargetGroup" => &t.names.target_group,
                    "LaunchTemplate" => &t.names.launch_template,
                    _ => &t.names.auto_scaling_group,
                };
                format!("adopt {kind} {name}")
            })
            .collect();
        lines.sort();
        lines
    };
    for kind in ["LoadBalancer", "TargetGroup"] {
        let mut found = line("adopt", kind);
        found.sort();
        assert_eq!(found, console_lines(kind), "{planned:#?}");
    }
    for kind in
        ["DbInstance", "DbReadReplica", "WebAcl", "LoadBalancer", "TargetGroup", "LaunchTemplate", "AutoScalingGroup"]
    {
        assert!(line("create", kind).is_empty() && line("delete", kind).is_empty(), "{planned:#?}");
    }
    println!(
        "adoption planned: {} changes, {} of them adoptions, with {} reads and no change",
        planned.count,
        planned.changes.iter().filter(|c| c.action == "adopt").count(),
        calls.reads()
    );

    // `warmstandby plan` on the same manifests says it with its own sign and summary.
    let (code, out) = plan_from_files(operator, &fixture).await;
    assert_eq!(code, 2, "{out}");
    for line in [
        format!("    = adopt DbInstance {writer}"),
        format!("    = adopt DbReadReplica {replica}"),
        format!("    = adopt WebAcl {CONSOLE_ACL}"),
    ] {
        assert!(out.contains(&line), "{line}:\n{out}");
    }
    // The database pair, the ACL, and per region and tier the load balancer
    // with its HTTP listener, the target group, launch template and group.
    // ... and the health check, the api failover pair and the web alias, both
    // private zones, both certificates, and the backup vaults and plan.
    assert!(out.lines().any(|l| l.starts_with("Plan: ") && l.contains(", 35 to adopt")), "{out}");
    for line in [format!("    = adopt BackupVault {CONSOLE_VAULT}"), format!("    = adopt BackupPlan {backup_plan}")] {
        assert!(out.contains(&line), "{line}:\n{out}");
    }
    assert!(!out.contains("create BackupVault") && !out.contains("create BackupPlan"), "{out}");
    for arn in [&east, &west] {
        assert!(out.contains(&format!("    = adopt Certificate {arn}")), "{out}");
    }
    assert!(!out.contains("create Certificate"), "no certificate requested beside the console's:\n{out}");
    assert!(out.contains(&format!("    = adopt HealthCheck {check}")), "{out}");
    assert!(out.contains(&format!("    = adopt Distribution {distribution_id}")), "{out}");
    for kind in ["LoadBalancer", "TargetGroup", "LaunchTemplate", "AutoScalingGroup"] {
        for line in console_lines(kind) {
            assert!(out.contains(&format!("    = {line}")), "{line}:\n{out}");
        }
        assert!(!out.contains(&format!("create {kind} ")), "{kind}: nothing of an adopted tier is made:\n{out}");
    }
    assert!(!out.contains("create DbInstance") && !out.contains("create DbReadReplica"), "{out}");

    // Manage: adopted, the same instances, managed from then on.
    fixture.stack.spec.management_policy = ManagementPolicy::Manage;
    let start = aws.calls().snapshot();
    let passes = fixture.until_ready(&aws).await;
    let calls = aws.calls().snapshot().since(&start);
    let status = fixture.stack.status.clone().expect("status");
    let uid = fixture.uid();
    for (i, (region, id)) in [("us-east-1", &writer), ("us-west-2", &replica)].into_iter().enumerate() {
        let now = describe(&emulator, region, id).await.expect("still there");
        assert_eq!(identity(&now), identity(&before[i]), "{id} is the same instance");
        assert_eq!(tag(&now, TAG_UID), Some(uid.as_str()), "{id} is tagged as the stack's");
        assert!(tag(&now, TAG_ADOPTED).is_some_and(|t| t.ends_with('Z')), "{id}: {:?}", now.tag_list());
        let region_status = if i == 0 { &status.primary } else { &status.standby };
        let region_status = region_status.as_ref().expect("region status");
        let db = region_status.database.as_ref().expect("database status");
        assert_eq!((db.instance_id.as_str(), db.adopted_at.is_some()), (id.as_str(), true));
        // The differences from the spec were changed in place.
        let groups: Vec<&str> = now.vpc_security_groups().iter().filter_map(|g| g.vpc_security_group_id()).collect();
        assert_eq!(
            groups,
            vec![region_status.security_group_ids["db"].as_str()],
            "{id} sits behind the stack's db group"
        );
        assert_eq!(now.deletion_protection(), Some(true), "{id}");
    }
    // The same web ACL, ours now, protecting the distribution.
    let tags = web_acl_tags(&emulator, &acl_arn).await;
    assert!(
        tags.iter().any(|(k, v)| k == TAG_UID && *v == uid) && tags.iter().any(|(k, _)| k == TAG_ADOPTED),
        "{tags:?}"
    );
    assert_eq!(status.global.as_ref().and_then(|g| g.web_acl_arn.as_deref()), Some(acl_arn.as_str()));
    let recorded: Vec<(&str, &str)> = status.adopted.iter().map(|a| (a.kind.as_str(), a.id.as_str())).collect();
    let expected = [("DbInstance", writer.as_str()), ("DbReadReplica", replica.as_str()), ("WebAcl", CONSOLE_ACL)];
    // The databases, the ACL, the distribution, the health check, the two
    // record names, the private zones, the certificates and four resources per tier and region.
    assert_eq!(recorded.len(), 14 + 16, "{recorded:?}");
    // The same backup plan and vaults, ours, the rule changed to the spec's
    // schedule, the stack's selection beside the console's.
    for call in ["backup:CreateBackupVault", "backup:CreateBackupPlan"] {
        assert_eq!(calls.count(call), 0, "{call}: {}", calls.table());
    }
    let (schedule, selections, plan_tags, vault_tags) = inspect_backups(&emulator, &backup_plan, CONSOLE_VAULT).await;
    assert_eq!(schedule, fixture.stack.spec.backup.schedule);
    assert!(selections.contains(&"bookstore-servers-by-hand".to_string()) && selections.len() == 2, "{selections:?}");
    for tags in [Some(&plan_tags), vault_tags[0].as_ref(), vault_tags[1].as_ref()] {
        let tags = tags.expect("still there");
        assert!(tags.iter().any(|k| k == TAG_UID) && tags.iter().any(|k| k == TAG_ADOPTED), "{tags:?}");
    }
    assert!(recorded.contains(&("BackupPlan", backup_plan.as_str())), "{recorded:?}");
    assert_eq!(status.global.as_ref().and_then(|g| g.backup_plan_id.as_deref()), Some(backup_plan.as_str()));
    // The same certificates, ours, serving the api's HTTPS listeners (and
    // us-east-1's the distribution); none requested.
    assert_eq!(calls.count("acm:RequestCertificate"), 0, "{}", calls.table());
    for (arn, region_status) in [(&east, &status.primary), (&west, &status.standby)] {
        assert!(recorded.contains(&("Certificate", arn.as_str())), "{recorded:?}");
        let tags = certificate_tags(&emulator, arn).await.expect("the console's certificate");
        assert!(tags.iter().any(|k| k == TAG_UID) && tags.iter().any(|k| k == TAG_ADOPTED), "{tags:?}");
        let region_status = region_status.as_ref().expect("region status");
        assert_eq!(region_status.certificate_arn.as_ref(), Some(arn), "{region_status:#?}");
    }
    assert!(recorded.contains(&("AliasRecord", "www.bookstore.example.com")), "{recorded:?}");
    assert!(recorded.contains(&("FailoverRecord", "api.bookstore.example.com")), "{recorded:?}");
    // The same health check, ours, serving the api's PRIMARY record.
    let (records, check_tags) = dns(&emulator, &check).await;
    assert!(check_tags.iter().any(|k| k == TAG_UID) && check_tags.iter().any(|k| k == TAG_ADOPTED), "{check_tags:?}");
    assert!(
        records.iter().any(|r| r.name() == "api.bookstore.example.com." && r.health_check_id() == Some(check.as_str())),
        "{records:#?}"
    );
    // The same distribution (its caller reference is CloudFront's to keep), ours, over the adopted load balancers.
    let (reference, ours) = inspect_distribution(&emulator, &distribution_id, &distribution_arn).await;
    assert_eq!(reference, "console-bookstore-2026");
    assert!(ours.iter().any(|k| k == TAG_UID) && ours.iter().any(|k| k == TAG_ADOPTED), "{ours:?}");
    assert_eq!(status.global.as_ref().and_then(|g| g.distribution_id.as_deref()), Some(distribution_id.as_str()));
    assert_eq!(calls.count("cloudfront:CreateDistributionWithTags"), 0, "no distribution made anew");
    // The same load balancers, target groups and templates, tagged as ours
    // now, the groups running the stack's new template version.
    for t in &console_tiers {
        let (same, tags) = inspect(&emulator, t).await;
        assert!(same, "{} in {} is the same load balancer", t.names.load_balancer, t.region);
        assert!(tags.iter().filter(|k| k.ends_with(TAG_UID)).count() >= 5, "adopted with its listener: {tags:?}");
        let tier = if t.names.load_balancer.contains("web") { "web" } else { "api" };
        let region_status = if t.region == "us-east-1" { &status.primary } else { &status.standby };
        let region_status = region_status.as_ref().expect("region status");
        assert_eq!(region_status.load_balancers[tier].arn, t.load_balancer_arn);
        assert_eq!(region_status.launch_templates[tier].id, t.launch_template_id);
        assert!(region_status.launch_templates[tier].version >= 2, "a version of the stack's: {region_status:#?}");
        assert_eq!(region_status.auto_scaling_groups[tier].name, t.names.auto_scaling_group);
    }
    for kind in ["CreateLoadBalancer", "CreateTargetGroup", "CreateLaunchTemplate", "CreateAutoScalingGroup"] {
        let label = if kind.ends_with("AutoScalingGroup") {
            format!("autoscaling:{kind}")
        } else if kind.ends_with("LaunchTemplate") {
            format!("ec2:{kind}")
        } else {
            format!("elasticloadbalancing:{kind}")
        };
        assert_eq!(calls.count(&label), 0, "{label}: nothing of an adopted tier is made anew");
    }
    assert!(expected.iter().all(|e| recorded.contains(e)), "status.adopted: {recorded:?}");
    let shown = warmstandby_cli::status_view::stack(warmstandby_cli::style::Style::plain(), &fixture.stack, &status);
    assert!(shown.contains(&format!("writer {writer} (available, adopted)")), "{shown}");
    assert_eq!(calls.count("rds:CreateDBInstance") + calls.count("rds:CreateDBInstanceReadReplica"), 0);
    assert_eq!(calls.count("rds:DeleteDBInstance"), 0);
    println!("adopted and Ready in {passes} passes, {} AWS calls ({} changes)", calls.total(), calls.mutating());

    // A failover to the standby and back, as with databases the operator made.
    crate::failover::switch_over_and_back(&mut fixture, &aws).await;
    let writer_now = describe(&emulator, "us-east-1", &writer).await.expect("the writer");
    assert!(writer_now.read_replica_source_db_instance_identifier().is_none(), "us-east-1 writes again");

    // Destroy: the databases stay (adopted: Retain by default), without our
    // tags; what the stack made around them is gone.
    fixture.teardown(&aws).await;
    let done = warmstandby_controller::stack::teardown(
        &aws,
        fixture.checked.set.stack_inputs(&fixture.stack),
        "20260101000000",
        None,
    )
    .await;
    let kept = done.retained.clone().unwrap_or_default();
    assert!(
        done.finished && [writer.as_str(), replica.as_str(), CONSOLE_ACL].iter().all(|k| kept.contains(k)),
        "{done:?}"
    );
    let (_, ours) = inspect_distribution(&emulator, &distribution_id, &distribution_arn).await;
    assert!(ours.is_empty(), "the distribution is left serving without our tags: {ours:?}");
    // The records stay, without our marker, and the health check they use, untagged.
    let (records, check_tags) = dns(&emulator, &check).await;
    assert!(check_tags.iter().all(|k| !k.starts_with("warmstandby.dev/")), "{check_tags:?}");
    let named = |name: &str| records.iter().filter(|r| r.name() == name).count();
    assert_eq!(named("api.bookstore.example.com."), 2, "{records:#?}");
    assert_eq!(named("www.bookstore.example.com."), 1, "{records:#?}");
    assert!(!records.iter().any(|r| r.name().starts_with("_warmstandby.")), "{records:#?}");
    assert!(kept.contains(&distribution_id), "{kept}");
    for t in &console_tiers {
        assert!(kept.contains(&t.names.auto_scaling_group), "{kept}");
        let (same, tags) = inspect(&emulator, t).await;
        assert!(same, "{} in {} is left in place", t.names.load_balancer, t.region);
        assert!(tags.is_empty(), "{} keeps none of our tags: {tags:?}", t.names.load_balancer);
    }
    for arn in [&east, &west] {
        let tags = certificate_tags(&emulator, arn).await;
        assert_eq!(tags, Some(Vec::new()), "{arn} is left in place without our tags");
    }
    // The backup plan stays with its own selection, untagged, and so do its vaults.
    let (_, selections, plan_tags, vault_tags) = inspect_backups(&emulator, &backup_plan, CONSOLE_VAULT).await;
    assert_eq!(selections, ["bookstore-servers-by-hand"]);
    assert!(plan_tags.is_empty(), "{plan_tags:?}");
    assert_eq!(vault_tags, [Some(Vec::new()), Some(Vec::new())], "the vaults are left in place without our tags");
    let gone = region_pair::teardown(&aws, &fixture.pair, None).await;
    assert!(gone.finished && gone.errors.is_empty(), "{gone:?}");
    for (region, id) in [("us-east-1", &writer), ("us-west-2", &replica)] {
        let left = describe(&emulator, region, id).await.unwrap_or_else(|| panic!("{id} is left in place"));
        assert_eq!(left.db_instance_status(), Some("available"), "{id}");
        let ours: Vec<&str> =
            left.tag_list().iter().filter_map(|t| t.key()).filter(|k| k.starts_with("warmstandby.dev/")).collect();
        assert!(ours.is_empty(), "{id} keeps none of our tags: {ours:?}");
    }
    assert_eq!(console_acl(&emulator).await.as_deref(), Some(acl_arn.as_str()), "the adopted web ACL is left in place");
    let tags = web_acl_tags(&emulator, &acl_arn).await;
    assert!(
        !tags.iter().any(|(k, _)| k.starts_with("warmstandby.dev/")),
        "the web ACL keeps none of our tags: {tags:?}"
    );
    // Left beside them, untagged, because what is kept runs with it: in each
    // region the stack's db security group and the subnet group the instance
    // rebuilt there by a move uses; the load balancers' and servers' groups
    // (alb-web, alb-api, web, api); the instance roles and profiles and the
    // credentials secret (with its replica) the kept servers use; the
    // standby's image copies their launch templates launch. No certificate:
    // the adopted ones are the console's. The primary's groups run at the
    // spec's capacity (2 each, the console's was 1).
    let left: Vec<String> =
        differences(&hand_built, &census(&emulator).await).into_iter().filter(|d| !d.contains("DBSnapshot")).collect();
    let expected = [
        "IAM roles: 0 -> 2",
        "instance profiles: 0 -> 2",
        "us-east-1 DB subnet groups: 1 -> 2",
        "us-east-1 instances: 2 -> 4",
        "us-east-1 secrets: 0 -> 1",
        "us-east-1 security groups: 4 -> 9",
        "us-west-2 DB subnet groups: 1 -> 2",
        "us-west-2 images: 0 -> 2",
        "us-west-2 secrets: 0 -> 1",
        "us-west-2 security groups: 4 -> 9",
    ];
    assert_eq!(left, expected.map(str::to_string).to_vec());
    for region in ["us-east-1", "us-west-2"] {
        let config = emulator.sdk_config(region).await;
        let groups = aws_sdk_ec2::Client::new(&config).describe_security_groups().send().await.expect("groups");
        for g in groups.security_groups() {
            assert!(
                !g.tags().iter().any(|t| t.key().is_some_and(|k| k.starts_with("warmstandby.dev/"))),
                "{region} {:?} keeps none of our tags: {:?}",
                g.group_id(),
                g.tags()
            );
        }
        let rds = aws_sdk_rds::Client::new(&config);
        for g in rds.describe_db_subnet_groups().send().await.expect("subnet groups").db_subnet_groups() {
            let arn = g.db_subnet_group_arn().unwrap_or_default();
            let tags = rds.list_tags_for_resource().resource_name(arn).send().await.expect("ListTagsForResource");
            let ours: Vec<_> =
                tags.tag_list().iter().filter_map(|t| t.key()).filter(|k| k.starts_with("warmstandby.dev/")).collect();
            assert!(ours.is_empty(), "{region} {:?} keeps none of our tags: {ours:?}", g.db_subnet_group_name());
        }
        let ec2 = aws_sdk_ec2::Client::new(&config);
        let images = ec2.describe_images().owners("self").send().await.expect("images");
        for i in images.images() {
            let ours = i.tags().iter().any(|t| t.key().is_some_and(|k| k.starts_with("warmstandby.dev/")));
            assert!(!ours, "{region} image {:?} keeps none of our tags: {:?}", i.image_id(), i.tags());
        }
        let acm = aws_sdk_acm::Client::new(&config);
        for c in acm.list_certificates().send().await.expect("certificates").certificate_summary_list() {
            let arn = c.certificate_arn().unwrap_or_default();
            let tags = acm.list_tags_for_certificate().certificate_arn(arn).send().await.expect("tags");
            let ours = tags.tags().iter().any(|t| t.key().starts_with("warmstandby.dev/"));
            assert!(!ours, "{region} certificate {arn} keeps none of our tags: {:?}", tags.tags());
        }
        let secrets = aws_sdk_secretsmanager::Client::new(&config).list_secrets().send().await.expect("secrets");
        for x in secrets.secret_list() {
            let ours = x.tags().iter().any(|t| t.key().is_some_and(|k| k.starts_with("warmstandby.dev/")));
            assert!(!ours, "{region} secret {:?} keeps none of our tags: {:?}", x.name(), x.tags());
        }
    }
    let iam = aws_sdk_iam::Client::new(&emulator.sdk_config("us-east-1").await);
    for role in iam.list_roles().path_prefix("/warmstandby/").send().await.expect("roles").roles() {
        let tags = iam.list_role_tags().role_name(role.role_name()).send().await.expect("ListRoleTags");
        let ours: Vec<&str> =
            tags.tags().iter().map(|t| t.key()).filter(|k| k.starts_with("warmstandby.dev/")).collect();
        assert!(ours.is_empty(), "role {} keeps none of our tags: {ours:?}", role.role_name());
    }
    let total = differences(&baseline, &census(&emulator).await);
    println!("left after destroy beside the hand-built stack: {left:?}; against an empty account: {total:?}");
}

/// A MySQL writer made by hand in `region`'s hand-built subnet group, with `tags`.
async fn hand_built_writer(emulator: &Emulator, region: &str, identifier: &str, tags: &[(&str, &str)]) {
    let rds = aws_sdk_rds::Client::new(&emulator.sdk_config(region).await);
    let tags = tags.iter().map(|(k, v)| aws_sdk_rds::types::Tag::builder().key(*k).value(*v).build()).collect();
    rds.create_db_instance()
        .db_instance_identifier(identifier)
        .db_instance_class("db.t3.micro")
        .engine("mysql")
        .engine_version("8.0.35")
        .master_username("admin")
        .master_user_password("someone-elses-0")
        .allocated_storage(20)
        .db_subnet_group_name("bookstore-db-subnets")
        .set_tags(Some(tags))
        .send()
        .await
        .expect("CreateDBInstance");
}

/// Wrong adoptions on the hand-built stack, each a stack of its own: an
/// unknown instance and one of the other region planned while observing
/// (the refusal in the Ready condition, no change at all); a writer another
/// stack owns together with a writer named as the replica applied (refused,
/// no database made, tagged or changed, while the rest of the stack is
/// built and then torn down). Every database is as it was after.
async fn wrong_adoptions_are_refused_by_field_and_nothing_changes(
    emulator: &Emulator,
    aws: &warmstandby_aws::AwsContext,
    f: &mut Fixture,
) {
    let original = f.stack.clone();
    let adopt = original.spec.database.adopt.clone().expect("adopt");
    hand_built_writer(emulator, "us-west-2", "reporting-db", &[]).await;
    hand_built_writer(emulator, "us-east-1", "team-b-db", &[(TAG_UID, "another-stacks-uid")]).await;
    // A certificate for another site, named first: refused, none requested in its place.
    let blog = request_certificate(emulator, "us-west-2", "blog.example.net").await;
    let wrong_certificate = Some(CertificateAdoption { standby: Some(blog.clone()), ..Default::default() });
    let before = census(emulator).await;
    let refused =
        |field: &str, id: &str, region: &str, why: &str| format!("spec.database.adopt.{field}: {id} in {region} {why}");
    let other_region = adopt.replica.clone().unwrap_or_default();
    let cases = [
        (
            "an unknown instance",
            ManagementPolicy::Observe,
            DatabaseAdoption { writer: "no-such-db".into(), replica: None },
            vec![
                "spec.database.adopt.writer: there is no DB instance no-such-db in us-east-1".to_string(),
                format!(
                    "spec.domain.adoptCertificates.standby: certificate {blog} covers blog.example.net, \
                     *.blog.example.net but not api.{ZONE}, www.{ZONE}, which the stack serves; nothing is requested in its place"
                ),
            ],
            wrong_certificate,
        ),
        (
            "an instance of the other region",
            ManagementPolicy::Observe,
            DatabaseAdoption { writer: other_region.clone(), replica: None },
            vec![format!("spec.database.adopt.writer: there is no DB instance {other_region} in us-east-1")],
            None,
        ),
        (
            "a writer named as the replica, and a writer another stack owns",
            ManagementPolicy::Manage,
            DatabaseAdoption { writer: "team-b-db".into(), replica: Some("reporting-db".into()) },
            vec![
                refused(
                    "writer",
                    "team-b-db",
                    "us-east-1",
                    "is managed by another warmstandby object (warmstandby.dev/uid=another-stacks-uid); it is left alone",
                ),
                refused("replica", "reporting-db", "us-west-2", "is not adopted: it is a writer, not a read replica"),
            ],
            None,
        ),
    ];
    for (i, (what, policy, adoption, says, certificates)) in cases.into_iter().enumerate() {
        // Each case is a stack of its own (its own idempotency tokens).
        f.stack = original.clone();
        f.stack.metadata.uid = Some(format!("3f1c2a9e-0000-4000-8000-00000000ad0{i}"));
        f.stack.spec.database.adopt = Some(adoption);
        // The tiers, distribution and DNS stay the console's: these stacks build their own.
        (f.stack.spec.web.adopt, f.stack.spec.api.adopt, f.stack.spec.cdn.adopt) = (None, None, None);
        (f.stack.spec.domain.adopt_records, f.stack.spec.health_check.adopt) = (false, None);
        f.stack.spec.database.private_dns.adopt = None;
        f.stack.spec.domain.adopt_certificates = certificates.clone();
        f.stack.spec.backup.adopt = None;
        f.stack.spec.management_policy = policy;
        let start = aws.calls().snapshot();
        f.pass(aws, Intent::Apply).await;
        let status = f.stack.status.clone().expect("status");
        let ready = status.conditions.iter().find(|c| c.type_ == "Ready").expect("Ready");
        for said in &says {
            assert!(ready.message.contains(said.as_str()), "{what}: {said}\n{}", ready.message);
        }
        let calls = aws.calls().snapshot().since(&start);
        let made = [
            "rds:CreateDBInstance",
            "rds:CreateDBInstanceReadReplica",
            "rds:AddTagsToResource",
            "rds:ModifyDBInstance",
            "acm:AddTagsToCertificate",
        ];
        assert_eq!(
            made.iter().map(|c| calls.count(c)).sum::<u64>(),
            0,
            "{what}: no database made, adopted or changed:\n{}",
            calls.table()
        );
        if policy == ManagementPolicy::Observe {
            assert_eq!(calls.mutating(), 0, "{what}: observing changes nothing:\n{}", calls.table());
        } else {
            f.teardown(aws).await;
        }
    }
    assert_eq!(differences(&before, &census(emulator).await), Vec::<String>::new(), "every database is as it was");
    for (region, id) in
        [("us-east-1", "team-b-db"), ("us-west-2", "reporting-db"), ("us-east-1", adopt.writer.as_str())]
    {
        let db = describe(emulator, region, id).await.expect("still there");
        assert_ne!(tag(&db, TAG_UID), Some(f.uid().as_str()), "{id} was never tagged as a stack's");
        assert!(tag(&db, TAG_UID).is_none_or(|uid| uid == "another-stacks-uid"), "{id}: {:?}", db.tag_list());
    }
    f.stack = original;
}
