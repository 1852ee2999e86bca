//! A server tier built the way a person builds it in the console, untagged,
//! on a hand-built network: a security group, a target group, an
//! internet-facing application load balancer with an HTTP listener (and an
//! HTTPS one with a certificate requested in the console), a launch
//! template and an auto scaling group registering in the target group; and
//! in front of the tiers the distribution, DNS and private zones.

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, LoadBalancerSchemeEnum, LoadBalancerTypeEnum, ProtocolEnum, TargetTypeEnum,
};
use warmstandby_api::TierResources;
use warmstandby_tests::Emulator;

use crate::existing::HandBuilt;
use crate::support::ec2;

/// What the console made for one tier in one region, to compare after adoption.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ConsoleTier {
    pub(crate) names: TierResources,
    pub(crate) load_balancer_arn: String,
    pub(crate) dns_name: String,
    /// The load balancer's hosted zone, for alias records.
    pub(crate) zone_id: String,
    pub(crate) target_group_arn: String,
    pub(crate) launch_template_id: String,
    pub(crate) region: String,
}

/// `tier` (`web` or `api`) in `region`, instances in that tier's subnets, launching `ami`.
pub(crate) async fn build_tier(
    emulator: &Emulator,
    region: &str,
    network: &HandBuilt,
    tier: &str,
    ami: &str,
    certificate: Option<&str>,
) -> ConsoleTier {
    let config = emulator.sdk_config(region).await;
    let ec2 = ec2(emulator, region).await;
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    let asg = aws_sdk_autoscaling::Client::new(&config);
    let names = TierResources {
        load_balancer: format!("bookstore-{tier}-alb"),
        target_group: format!("bookstore-{tier}-targets"),
        launch_template: format!("bookstore-{tier}-template"),
        auto_scaling_group: format!("bookstore-{tier}-servers"),
    };
    let group = ec2
        .create_security_group()
        .group_name(format!("bookstore-{tier}-sg"))
        .description(format!("{tier} servers and their load balancer"))
        .vpc_id(&network.vpc)
        .send()
        .await
        .expect("CreateSecurityGroup");
    let group = group.group_id().expect("a group ID").to_string();
    let tg = elb
        .create_target_group()
        .name(&names.target_group)
        .protocol(ProtocolEnum::Http)
        .port(80)
        .vpc_id(&network.vpc)
        .target_type(TargetTypeEnum::Instance)
        .health_check_path("/")
        .send()
        .await
        .expect("CreateTargetGroup");
    let target_group_arn = tg.target_groups()[0].target_group_arn().expect("a target group ARN").to_string();
    let lb = elb
        .create_load_balancer()
        .name(&names.load_balancer)
        .r#type(LoadBalancerTypeEnum::Application)
        .scheme(LoadBalancerSchemeEnum::InternetFacing)
        .set_subnets(Some(network.subnets["public"].to_vec()))
        .security_groups(&group)
        .send()
        .await
        .expect("CreateLoadBalancer");
    let lb = &lb.load_balancers()[0];
    let load_balancer_arn = lb.load_balancer_arn().expect("a load balancer ARN").to_string();
    elb.create_listener()
        .load_balancer_arn(&load_balancer_arn)
        .protocol(ProtocolEnum::Http)
        .port(80)
        .default_actions(Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(&target_group_arn).build())
        .send()
        .await
        .expect("CreateListener");
    if let Some(arn) = certificate {
        elb.create_listener()
            .load_balancer_arn(&load_balancer_arn)
            .protocol(ProtocolEnum::Https)
            .port(443)
            .certificates(aws_sdk_elasticloadbalancingv2::types::Certificate::builder().certificate_arn(arn).build())
            .default_actions(
                Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(&target_group_arn).build(),
            )
            .send()
            .await
            .expect("CreateListener HTTPS");
    }
    let template = ec2
        .create_launch_template()
        .launch_template_name(&names.launch_template)
        .launch_template_data(
            aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                .image_id(ami)
                .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
                .security_group_ids(&group)
                .build(),
        )
        .send()
        .await
        .expect("CreateLaunchTemplate");
    let launch_template_id =
        template.launch_template().and_then(|t| t.launch_template_id()).expect("a template ID").to_string();
    let subnets = if tier == "web" { &network.subnets["web"] } else { &network.subnets["app"] };
    asg.create_auto_scaling_group()
        .auto_scaling_group_name(&names.auto_scaling_group)
        .launch_template(
            aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder()
                .launch_template_id(&launch_template_id)
                .version("$Default")
                .build(),
        )
        .min_size(1)
        .max_size(2)
        .desired_capacity(1)
        .vpc_zone_identifier(subnets.join(","))
        .target_group_arns(&target_group_arn)
        .send()
        .await
        .expect("CreateAutoScalingGroup");
    ConsoleTier {
        names,
        dns_name: lb.dns_name().unwrap_or_default().to_string(),
        zone_id: lb.canonical_hosted_zone_id().unwrap_or_default().to_string(),
        load_balancer_arn,
        target_group_arn,
        launch_template_id,
        region: region.to_string(),
    }
}

/// A certificate requested in the console for `zone` and `*.zone`, validated by DNS, untagged. Its ARN.
pub(crate) async fn request_certificate(emulator: &Emulator, region: &str, zone: &str) -> String {
    let acm = aws_sdk_acm::Client::new(&emulator.sdk_config(region).await);
    let out = acm
        .request_certificate()
        .domain_name(zone)
        .subject_alternative_names(format!("*.{zone}"))
        .validation_method(aws_sdk_acm::types::ValidationMethod::Dns)
        .send()
        .await
        .expect("RequestCertificate");
    out.certificate_arn().expect("a certificate ARN").to_string()
}

/// Our tag keys on a certificate, or `None` when it is gone.
pub(crate) async fn certificate_tags(emulator: &Emulator, arn: &str) -> Option<Vec<String>> {
    let region = arn.split(':').nth(3).unwrap_or_default();
    let acm = aws_sdk_acm::Client::new(&emulator.sdk_config(region).await);
    let tags = acm.list_tags_for_certificate().certificate_arn(arn).send().await.ok()?;
    Some(tags.tags().iter().map(|t| t.key().to_string()).filter(|k| k.starts_with("warmstandby.dev/")).collect())
}

/// Whether the console tier's resources carry any tag of ours, and whether
/// they still exist (the same objects: the load balancer by ARN and DNS name).
pub(crate) async fn inspect(emulator: &Emulator, t: &ConsoleTier) -> (bool, Vec<String>) {
    let config = emulator.sdk_config(&t.region).await;
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
    let mut ours = Vec::new();
    let lbs = elb.describe_load_balancers().names(&t.names.load_balancer).send().await.expect("the load balancer");
    let same = lbs.load_balancers().first().is_some_and(|l| {
        l.load_balancer_arn() == Some(t.load_balancer_arn.as_str()) && l.dns_name() == Some(t.dns_name.as_str())
    });
    let listeners = elb.describe_listeners().load_balancer_arn(&t.load_balancer_arn).send().await.expect("listeners");
    let mut arns = vec![t.load_balancer_arn.clone(), t.target_group_arn.clone()];
    arns.extend(listeners.listeners().iter().filter_map(|l| l.listener_arn().map(str::to_string)));
    let tags = elb.describe_tags().set_resource_arns(Some(arns)).send().await.expect("DescribeTags");
    for d in tags.tag_descriptions() {
        for k in d.tags().iter().filter_map(|t| t.key()).filter(|k| k.starts_with("warmstandby.dev/")) {
            ours.push(format!("{} {k}", d.resource_arn().unwrap_or_default()));
        }
    }
    let templates = ec2(emulator, &t.region)
        .await
        .describe_launch_templates()
        .launch_template_ids(&t.launch_template_id)
        .send()
        .await
        .expect("the launch template");
    for lt in templates.launch_templates() {
        for k in lt.tags().iter().filter_map(|t| t.key()).filter(|k| k.starts_with("warmstandby.dev/")) {
            ours.push(format!("{} {k}", t.launch_template_id));
        }
    }
    let groups = aws_sdk_autoscaling::Client::new(&config)
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(&t.names.auto_scaling_group)
        .send()
        .await
        .expect("the auto scaling group");
    let group = groups.auto_scaling_groups().first().expect("the auto scaling group is there");
    for k in group.tags().iter().filter_map(|t| t.key()).filter(|k| k.starts_with("warmstandby.dev/")) {
        ours.push(format!("{} {k}", t.names.auto_scaling_group));
    }
    (same, ours)
}

/// A distribution made in the console in front of the web load balancers
/// (one origin each, the primary's served) for `alias`, with `certificate`
/// (from ACM in us-east-1), untagged. Its ID, ARN and domain name.
pub(crate) async fn build_distribution(
    emulator: &Emulator,
    web: [&ConsoleTier; 2],
    alias: &str,
    certificate: &str,
) -> (String, String, String) {
    use aws_sdk_cloudfront::types::{
        Aliases, CustomOriginConfig, DefaultCacheBehavior, DistributionConfig, MinimumProtocolVersion, Origin,
        OriginProtocolPolicy, Origins, SslSupportMethod, ViewerCertificate, ViewerProtocolPolicy,
    };
    let cf = aws_sdk_cloudfront::Client::new(&emulator.sdk_config("us-east-1").await);
    let origin = |t: &ConsoleTier| {
        Origin::builder()
            .id(format!("{}-{}", t.names.load_balancer, t.region))
            .domain_name(&t.dns_name)
            .custom_origin_config(
                CustomOriginConfig::builder()
                    .http_port(80)
                    .https_port(443)
                    .origin_protocol_policy(OriginProtocolPolicy::HttpOnly)
                    .build()
                    .expect("origin config"),
            )
            .build()
            .expect("origin")
    };
    let config = DistributionConfig::builder()
        .caller_reference("console-bookstore-2026")
        .comment("bookstore")
        .enabled(true)
        .aliases(Aliases::builder().quantity(1).items(alias).build().expect("aliases"))
        .viewer_certificate(
            ViewerCertificate::builder()
                .acm_certificate_arn(certificate)
                .ssl_support_method(SslSupportMethod::SniOnly)
                .minimum_protocol_version(MinimumProtocolVersion::TlSv122021)
                .build(),
        )
        .origins(Origins::builder().quantity(2).items(origin(web[0])).items(origin(web[1])).build().expect("origins"))
        .default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id(format!("{}-{}", web[0].names.load_balancer, web[0].region))
                .viewer_protocol_policy(ViewerProtocolPolicy::AllowAll)
                .build()
                .expect("behavior"),
        )
        .build()
        .expect("distribution config");
    let out = cf.create_distribution().distribution_config(config).send().await.expect("CreateDistribution");
    let d = out.distribution().expect("the distribution");
    (d.id().to_string(), d.arn().to_string(), d.domain_name().to_string())
}

/// The distribution's caller reference and our tags on it (the same object
/// keeps its caller reference: CloudFront never changes it).
pub(crate) async fn inspect_distribution(emulator: &Emulator, id: &str, arn: &str) -> (String, Vec<String>) {
    let cf = aws_sdk_cloudfront::Client::new(&emulator.sdk_config("us-east-1").await);
    let d = cf.get_distribution().id(id).send().await.expect("GetDistribution");
    let reference = d
        .distribution()
        .and_then(|d| d.distribution_config())
        .map(|c| c.caller_reference().to_string())
        .unwrap_or_default();
    let tags = cf.list_tags_for_resource().resource(arn).send().await.expect("ListTagsForResource");
    let ours = tags
        .tags()
        .map(|t| t.items())
        .unwrap_or_default()
        .iter()
        .map(|t| t.key().to_string())
        .filter(|k| k.starts_with("warmstandby.dev/"))
        .collect();
    (reference, ours)
}

/// The DNS a person sets up for the console's stack in the company's zone:
/// an HTTPS health check on the primary's api load balancer, failover
/// records for `api` (PRIMARY with the check, SECONDARY) and an alias for
/// `www` to the distribution. The health check's ID.
pub(crate) async fn build_dns(emulator: &Emulator, api: [&ConsoleTier; 2], distribution_domain: &str) -> String {
    use aws_sdk_route53::types::{
        AliasTarget, Change, ChangeAction, ChangeBatch, HealthCheckConfig, HealthCheckType, ResourceRecordSet,
        ResourceRecordSetFailover, RrType,
    };
    let r53 = aws_sdk_route53::Client::new(&emulator.sdk_config("us-east-1").await);
    let check = r53
        .create_health_check()
        .caller_reference("console-api-check")
        .health_check_config(
            HealthCheckConfig::builder()
                .r#type(HealthCheckType::Https)
                .fully_qualified_domain_name(&api[0].dns_name)
                .port(443)
                .resource_path("/")
                .request_interval(30)
                .failure_threshold(3)
                .build()
                .expect("check config"),
        )
        .send()
        .await
        .expect("CreateHealthCheck");
    let check = check.health_check().map(|h| h.id().to_string()).expect("a health check ID");
    let zones = r53.list_hosted_zones_by_name().dns_name("bookstore.example.com").send().await.expect("zones");
    let zone = zones.hosted_zones()[0].id().trim_start_matches("/hostedzone/").to_string();
    let alias = |dns: &str, zone: &str, evaluate: bool| {
        AliasTarget::builder()
            .dns_name(dns)
            .hosted_zone_id(zone)
            .evaluate_target_health(evaluate)
            .build()
            .expect("alias")
    };
    let failover = |set: &str, kind: ResourceRecordSetFailover, t: &ConsoleTier, check: Option<&str>| {
        ResourceRecordSet::builder()
            .name("api.bookstore.example.com")
            .r#type(RrType::A)
            .set_identifier(set)
            .failover(kind)
            .alias_target(alias(&t.dns_name, &t.zone_id, true))
            .set_health_check_id(check.map(str::to_string))
            .build()
            .expect("record")
    };
    let web = ResourceRecordSet::builder()
        .name("www.bookstore.example.com")
        .r#type(RrType::A)
        .alias_target(alias(distribution_domain, "Z2FDTNDATAQYW2", false))
        .build()
        .expect("record");
    let mut batch = ChangeBatch::builder();
    for record in [
        failover("primary", ResourceRecordSetFailover::Primary, api[0], Some(&check)),
        failover("secondary", ResourceRecordSetFailover::Secondary, api[1], None),
        web,
    ] {
        batch = batch.changes(
            Change::builder().action(ChangeAction::Create).resource_record_set(record).build().expect("change"),
        );
    }
    r53.change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(batch.build().expect("batch"))
        .send()
        .await
        .expect("ChangeResourceRecordSets");
    check
}

/// The private zone a person makes for the database in `region`:
/// `db.internal`, associated with the hand-built VPC, with a CNAME to the
/// database. Its ID.
pub(crate) async fn build_private_zone(
    emulator: &Emulator,
    region: &str,
    network: &HandBuilt,
    endpoint: &str,
) -> String {
    use aws_sdk_route53::types::{
        Change, ChangeAction, ChangeBatch, HostedZoneConfig, ResourceRecord, ResourceRecordSet, RrType, Vpc, VpcRegion,
    };
    let r53 = aws_sdk_route53::Client::new(&emulator.sdk_config(region).await);
    let zone = r53
        .create_hosted_zone()
        .name("db.internal")
        .caller_reference(format!("console-db-{region}"))
        .vpc(Vpc::builder().vpc_id(&network.vpc).vpc_region(VpcRegion::from(region)).build())
        .hosted_zone_config(HostedZoneConfig::builder().private_zone(true).build())
        .send()
        .await
        .expect("CreateHostedZone");
    let id = zone.hosted_zone().map(|z| z.id().trim_start_matches("/hostedzone/").to_string()).expect("a zone ID");
    let record = ResourceRecordSet::builder()
        .name("book.db.internal")
        .r#type(RrType::Cname)
        .ttl(60)
        .resource_records(ResourceRecord::builder().value(endpoint).build().expect("value"))
        .build()
        .expect("record");
    r53.change_resource_record_sets()
        .hosted_zone_id(&id)
        .change_batch(
            ChangeBatch::builder()
                .changes(
                    Change::builder().action(ChangeAction::Create).resource_record_set(record).build().expect("change"),
                )
                .build()
                .expect("batch"),
        )
        .send()
        .await
        .expect("ChangeResourceRecordSets");
    id
}

/// AWS Backup as a person sets it up in the console: a vault in each
/// region, a daily plan in the primary backing up to its vault and copying
/// to the standby's, with a selection of its own. Untagged. The plan's ID.
pub(crate) async fn build_backups(emulator: &Emulator, vault: &str) -> String {
    use aws_sdk_backup::types::{BackupPlanInput, BackupRuleInput, BackupSelection, CopyAction, Lifecycle};
    let mut arns = Vec::new();
    for region in ["us-east-1", "us-west-2"] {
        let backup = aws_sdk_backup::Client::new(&emulator.sdk_config(region).await);
        let out = backup.create_backup_vault().backup_vault_name(vault).send().await.expect("CreateBackupVault");
        arns.push(out.backup_vault_arn().expect("a vault ARN").to_string());
    }
    let backup = aws_sdk_backup::Client::new(&emulator.sdk_config("us-east-1").await);
    let week = Lifecycle::builder().delete_after_days(7).build();
    let rule = BackupRuleInput::builder()
        .rule_name("nightly")
        .target_backup_vault_name(vault)
        .schedule_expression("cron(0 3 * * ? *)")
        .lifecycle(week.clone())
        .copy_actions(
            CopyAction::builder().destination_backup_vault_arn(&arns[1]).lifecycle(week).build().expect("copy"),
        )
        .build()
        .expect("rule");
    let plan = BackupPlanInput::builder().backup_plan_name("bookstore-nightly").rules(rule).build().expect("plan");
    let out = backup.create_backup_plan().backup_plan(plan).send().await.expect("CreateBackupPlan");
    let id = out.backup_plan_id().expect("a plan ID").to_string();
    let selection = BackupSelection::builder()
        .selection_name("bookstore-servers-by-hand")
        .iam_role_arn("arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole")
        .resources("arn:aws:ec2:us-east-1:123456789012:instance/*")
        .build()
        .expect("selection");
    backup
        .create_backup_selection()
        .backup_plan_id(&id)
        .backup_selection(selection)
        .send()
        .await
        .expect("CreateBackupSelection");
    id
}

/// The backup plan: its rule's schedule, its selections' names, and our tag keys on it
/// and on the vault named `vault` in each region (`None`: gone).
pub(crate) async fn inspect_backups(
    emulator: &Emulator,
    plan: &str,
    vault: &str,
) -> (String, Vec<String>, Vec<String>, [Option<Vec<String>>; 2]) {
    let ours = |tags: Option<&std::collections::HashMap<String, String>>| -> Vec<String> {
        let mut keys: Vec<String> =
            tags.into_iter().flatten().map(|(k, _)| k.clone()).filter(|k| k.starts_with("warmstandby.dev/")).collect();
        keys.sort();
        keys
    };
    let backup = aws_sdk_backup::Client::new(&emulator.sdk_config("us-east-1").await);
    let detail = backup.get_backup_plan().backup_plan_id(plan).send().await.expect("GetBackupPlan");
    let schedule = detail
        .backup_plan()
        .and_then(|p| p.rules().first())
        .and_then(|r| r.schedule_expression())
        .unwrap_or_default()
        .to_string();
    let selections = backup.list_backup_selections().backup_plan_id(plan).send().await.expect("ListBackupSelections");
    let mut names: Vec<String> =
        selections.backup_selections_list().iter().filter_map(|s| s.selection_name().map(str::to_string)).collect();
    names.sort();
    let arn = detail.backup_plan_arn().unwrap_or_default();
    let plan_tags = ours(backup.list_tags().resource_arn(arn).send().await.expect("ListTags").tags());
    let mut vaults = [None, None];
    for (i, region) in ["us-east-1", "us-west-2"].into_iter().enumerate() {
        let backup = aws_sdk_backup::Client::new(&emulator.sdk_config(region).await);
        let Ok(v) = backup.describe_backup_vault().backup_vault_name(vault).send().await else { continue };
        let tags =
            backup.list_tags().resource_arn(v.backup_vault_arn().unwrap_or_default()).send().await.expect("ListTags");
        vaults[i] = Some(ours(tags.tags()));
    }
    (schedule, names, plan_tags, vaults)
}
