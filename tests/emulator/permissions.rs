//! IAM as AWS enforces it: the operator holding exactly
//! `deploy/iam-policy.json` builds, repairs, fails over, fails back and
//! tears down the whole stack; a permission taken away is a clear condition
//! naming the action and the policy file, and the stack converges once it
//! is granted again.

use aws_sdk_cloudwatch::types::StateValue;
use warmstandby_api::RegionRole;
use warmstandby_aws::AwsContext;
use warmstandby_controller::{Intent, region_pair};
use warmstandby_core::failover::Request;
use warmstandby_tests::census::{census, differences};
use warmstandby_tests::{Emulator, repo_root};

use crate::failover::{alarm, primary_fails, ready_stack, run_until_finished};

fn policy() -> String {
    std::fs::read_to_string(repo_root().join("deploy/iam-policy.json")).expect("deploy/iam-policy.json")
}

/// The policy without `action`.
fn policy_without(action: &str) -> String {
    let mut doc: serde_json::Value = serde_json::from_str(&policy()).expect("the policy is JSON");
    for statement in doc["Statement"].as_array_mut().into_iter().flatten() {
        if let Some(actions) = statement["Action"].as_array_mut() {
            actions.retain(|a| a.as_str() != Some(action));
        }
    }
    doc.to_string()
}

/// A context signed by an IAM user holding `policy`, on an emulator that
/// enforces IAM.
async fn operator(emulator: &Emulator, policy: &str) -> AwsContext {
    AwsContext::new(crate::support::least_privilege(emulator, Some(policy)).await)
}

#[tokio::test]
async fn the_whole_lifecycle_runs_with_only_the_least_privilege_policy() {
    let emulator = Emulator::start();
    let baseline = census(&emulator).await;
    let aws = operator(&emulator, &policy()).await;
    let (mut f, mut endpoint) = ready_stack(&aws, |_| {}).await;

    // Drift made by hand (as the account's root user) is repaired by the
    // operator: updating an auto scaling group whose launch template names an
    // instance profile also needs iam:PassRole on its role.
    let root = aws_sdk_autoscaling::Client::new(&emulator.sdk_config("us-west-2").await);
    root.update_auto_scaling_group()
        .auto_scaling_group_name("bookstore-bookstore-web")
        .desired_capacity(4)
        .send()
        .await
        .expect("a hand-made change");
    let repaired = f.pass(&aws, Intent::Apply).await;
    assert!(repaired.errors.is_empty(), "{:?}", repaired.errors);
    assert!(!repaired.applied.is_empty(), "the hand-made rule is repaired");

    // The primary region dies: an automatic failover, then a failback.
    primary_fails(&emulator, &mut endpoint).await;
    run_until_finished(&mut f, &aws, &mut endpoint, None).await;
    assert_eq!(f.stack.status.as_ref().and_then(|s| s.active_role), Some(RegionRole::Standby));
    alarm(&emulator, StateValue::Ok).await;
    for _ in 0..10 {
        let o = f.pass(&aws, Intent::Apply).await;
        assert!(o.errors.is_empty(), "{:?}", o.errors);
        if o.is_ready() {
            break;
        }
    }
    let back = Request { to: RegionRole::Primary, force: false, kind: "failback" };
    run_until_finished(&mut f, &aws, &mut endpoint, Some(back)).await;
    assert_eq!(f.stack.status.as_ref().and_then(|s| s.active_role), Some(RegionRole::Primary));

    f.teardown(&aws).await;
    for _ in 0..12 {
        let t = region_pair::teardown(&aws, &f.pair, None).await;
        assert!(t.errors.is_empty(), "{:?}", t.errors);
        if t.finished {
            break;
        }
    }
    let left = differences(&baseline, &census(&emulator).await);
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[tokio::test]
async fn a_permission_taken_away_is_a_condition_naming_it_and_granted_again_the_stack_converges() {
    let emulator = Emulator::start();
    let user = "warmstandby-operator";
    // Everything but creating the web ACL.
    let aws = operator(&emulator, &policy_without("wafv2:CreateWebACL")).await;
    let mut f = crate::stack::Fixture::with_network(&aws).await;
    let mut last = None;
    for _ in 0..6 {
        let o = f.pass(&aws, Intent::Apply).await;
        if !o.errors.is_empty() {
            last = Some(o);
            break;
        }
    }
    let denied = last.expect("a pass meets the missing permission");
    let error = &denied.errors[0];
    assert_eq!(error.class, warmstandby_aws::ErrorClass::AccessDenied, "{error}");
    let text = error.to_string();
    assert!(text.contains("wafv2:CreateWebACL") && text.contains("deploy/iam-policy.json"), "{text}");
    let ready = denied.status.conditions.iter().find(|c| c.type_ == "Ready").expect("a Ready condition");
    assert_eq!(ready.status, "False");
    assert!(ready.message.contains("wafv2:CreateWebACL"), "the condition names the action: {}", ready.message);
    // Nothing else is held back, and nothing is half-built: the rest of the
    // stack converges as far as it can without the web ACL.
    let again = f.pass(&aws, Intent::Apply).await;
    assert_eq!(again.errors.len(), 1, "only the web ACL is refused: {:?}", again.errors);

    emulator.put_user_policy(user, &policy()).await;
    let passes = f.until_ready(&aws).await;
    println!("granted again: Ready in {passes} passes");
    f.teardown(&aws).await;
}

#[tokio::test]
async fn what_is_not_ours_is_out_of_the_policys_reach_and_never_touched() {
    let emulator = Emulator::start();
    // Another team's role, instance profile and secret, made by the root user.
    let root_iam = aws_sdk_iam::Client::new(&emulator.sdk_config("us-east-1").await);
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let role =
        root_iam.create_role().role_name("payments").assume_role_policy_document(trust).send().await.expect("a role");
    let role_arn = role.role().map(|r| r.arn().to_string()).expect("its ARN");
    root_iam.create_instance_profile().instance_profile_name("payments").send().await.expect("a profile");
    root_iam
        .add_role_to_instance_profile()
        .instance_profile_name("payments")
        .role_name("payments")
        .send()
        .await
        .expect("the profile's role");
    let root_secrets = aws_sdk_secretsmanager::Client::new(&emulator.sdk_config("us-east-1").await);
    root_secrets.create_secret().name("payments/db").secret_string("s3cret").send().await.expect("a secret");

    let aws = operator(&emulator, &policy()).await;
    let denied = |what: &str, e: &dyn std::fmt::Debug| {
        let text = format!("{e:?}");
        assert!(text.contains("AccessDenied") || text.contains("UnauthorizedOperation"), "{what}: {text}");
    };
    let iam = aws.iam();
    denied("deleting another team's role", &iam.delete_role().role_name("payments").send().await.expect_err("denied"));
    denied(
        "changing its policy",
        &iam.put_role_policy()
            .role_name("payments")
            .policy_name("x")
            .policy_document(trust)
            .send()
            .await
            .expect_err("denied"),
    );
    let secrets = aws.secretsmanager("us-east-1");
    denied(
        "reading another team's secret",
        &secrets.get_secret_value().secret_id("payments/db").send().await.expect_err("denied"),
    );
    denied("deleting it", &secrets.delete_secret().secret_id("payments/db").send().await.expect_err("denied"));
    // Launching with another team's instance profile needs iam:PassRole on
    // its role, which the policy grants only for roles under warmstandby/.
    let launch = aws
        .ec2("us-east-1")
        .run_instances()
        .image_id("ami-12c6146b")
        .min_count(1)
        .max_count(1)
        .tag_specifications(ours(aws_sdk_ec2::types::ResourceType::Instance))
        .iam_instance_profile(aws_sdk_ec2::types::IamInstanceProfileSpecification::builder().name("payments").build())
        .send()
        .await
        .expect_err("denied");
    let text = format!("{launch:?}");
    assert!(text.contains("iam:PassRole") && text.contains(&role_arn), "AWS names the PassRole it refused: {text}");

    // The operator builds and tears down its stack beside them, and they stay.
    let (mut f, _endpoint) = ready_stack(&aws, |_| {}).await;
    f.teardown(&aws).await;
    root_iam.get_role().role_name("payments").send().await.expect("the other team's role is still there");
    let value = root_secrets.get_secret_value().secret_id("payments/db").send().await.expect("their secret");
    assert_eq!(value.secret_string(), Some("s3cret"));
}

/// Tags that claim a resource as the operator's (any stack's).
fn ours(kind: aws_sdk_ec2::types::ResourceType) -> aws_sdk_ec2::types::TagSpecification {
    aws_sdk_ec2::types::TagSpecification::builder()
        .resource_type(kind)
        .tags(aws_sdk_ec2::types::Tag::builder().key(warmstandby_api::TAG_UID).value("claimed").build())
        .build()
}

fn assert_denied(what: &str, e: &dyn std::fmt::Debug, action: &str) {
    let text = format!("{e:?}");
    assert!(
        (text.contains("AccessDenied") || text.contains("UnauthorizedOperation")) && text.contains(action),
        "{what} is refused as {action}: {text}"
    );
}

#[tokio::test]
async fn another_teams_network_database_and_load_balancer_are_out_of_reach_even_claimed_with_our_tags() {
    let emulator = Emulator::start();
    let region = "us-east-1";
    let root = emulator.sdk_config(region).await;
    // Another team's VPC, subnets, security group, database, load balancer,
    // target group and auto scaling group, made by the root user and tagged
    // as theirs; the broad grants (`*`) the policy once held would have
    // reached every one.
    let (root_ec2, root_rds) = (aws_sdk_ec2::Client::new(&root), aws_sdk_rds::Client::new(&root));
    let (root_elb, root_asg) =
        (aws_sdk_elasticloadbalancingv2::Client::new(&root), aws_sdk_autoscaling::Client::new(&root));
    let theirs = |kind| {
        aws_sdk_ec2::types::TagSpecification::builder()
            .resource_type(kind)
            .tags(aws_sdk_ec2::types::Tag::builder().key("team").value("payments").build())
            .build()
    };
    use aws_sdk_ec2::types::ResourceType as R;
    let vpc = root_ec2.create_vpc().cidr_block("10.90.0.0/16").tag_specifications(theirs(R::Vpc)).send().await;
    let vpc = vpc.expect("their VPC").vpc().and_then(|v| v.vpc_id()).expect("its ID").to_string();
    let mut subnets = Vec::new();
    for (cidr, zone) in [("10.90.1.0/24", "us-east-1a"), ("10.90.2.0/24", "us-east-1b")] {
        let made = root_ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(cidr)
            .availability_zone(zone)
            .tag_specifications(theirs(R::Subnet))
            .send()
            .await
            .expect("their subnet");
        subnets.push(made.subnet().and_then(|s| s.subnet_id()).expect("its ID").to_string());
    }
    let group = root_ec2
        .create_security_group()
        .group_name("payments")
        .description("payments")
        .vpc_id(&vpc)
        .tag_specifications(theirs(R::SecurityGroup))
        .send()
        .await
        .expect("their security group");
    let group = group.group_id().expect("its ID").to_string();
    root_rds
        .create_db_subnet_group()
        .db_subnet_group_name("payments")
        .db_subnet_group_description("payments")
        .set_subnet_ids(Some(subnets.clone()))
        .send()
        .await
        .expect("their subnet group");
    root_rds
        .create_db_instance()
        .db_instance_identifier("payments")
        .engine("mysql")
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("admin")
        .master_user_password("not-ours-1234")
        .db_subnet_group_name("payments")
        .tags(aws_sdk_rds::types::Tag::builder().key("team").value("payments").build())
        .send()
        .await
        .expect("their database");
    let balancer = root_elb
        .create_load_balancer()
        .name("payments")
        .set_subnets(Some(subnets.clone()))
        .tags(aws_sdk_elasticloadbalancingv2::types::Tag::builder().key("team").value("payments").build())
        .send()
        .await
        .expect("their load balancer");
    let balancer = balancer.load_balancers()[0].load_balancer_arn().expect("its ARN").to_string();
    let target_group = root_elb
        .create_target_group()
        .name("payments")
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .port(80)
        .vpc_id(&vpc)
        .send()
        .await
        .expect("their target group");
    let target_group = target_group.target_groups()[0].target_group_arn().expect("its ARN").to_string();
    root_ec2
        .create_launch_template()
        .launch_template_name("payments")
        .launch_template_data(
            aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                .image_id("ami-12c6146b")
                .instance_type("t3.micro".into())
                .build(),
        )
        .send()
        .await
        .expect("their launch template");
    root_asg
        .create_auto_scaling_group()
        .auto_scaling_group_name("payments")
        .launch_template(
            aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder().launch_template_name("payments").build(),
        )
        .min_size(0)
        .max_size(1)
        .vpc_zone_identifier(subnets.join(","))
        .tags(aws_sdk_autoscaling::types::Tag::builder().key("team").value("payments").build())
        .send()
        .await
        .expect("their auto scaling group");

    let aws = operator(&emulator, &policy()).await;
    let (ec2, rds, elb, asg) = (aws.ec2(region), aws.rds(region), aws.elbv2(region), aws.autoscaling(region));
    // Changing or deleting what is theirs.
    assert_denied(
        "deleting their VPC",
        &ec2.delete_vpc().vpc_id(&vpc).send().await.expect_err("denied"),
        "ec2:DeleteVpc",
    );
    assert_denied(
        "opening their security group",
        &ec2.authorize_security_group_ingress()
            .group_id(&group)
            .ip_permissions(
                aws_sdk_ec2::types::IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(22)
                    .to_port(22)
                    .ip_ranges(aws_sdk_ec2::types::IpRange::builder().cidr_ip("0.0.0.0/0").build())
                    .build(),
            )
            .send()
            .await
            .expect_err("denied"),
        "ec2:AuthorizeSecurityGroupIngress",
    );
    assert_denied(
        "deleting their database",
        &rds.delete_db_instance()
            .db_instance_identifier("payments")
            .skip_final_snapshot(true)
            .send()
            .await
            .expect_err("denied"),
        "rds:DeleteDBInstance",
    );
    assert_denied(
        "resizing their database",
        &rds.modify_db_instance()
            .db_instance_identifier("payments")
            .allocated_storage(40)
            .apply_immediately(true)
            .send()
            .await
            .expect_err("denied"),
        "rds:ModifyDBInstance",
    );
    assert_denied(
        "deleting their load balancer",
        &elb.delete_load_balancer().load_balancer_arn(&balancer).send().await.expect_err("denied"),
        "elasticloadbalancing:DeleteLoadBalancer",
    );
    assert_denied(
        "deleting their target group",
        &elb.delete_target_group().target_group_arn(&target_group).send().await.expect_err("denied"),
        "elasticloadbalancing:DeleteTargetGroup",
    );
    assert_denied(
        "scaling their auto scaling group",
        &asg.update_auto_scaling_group()
            .auto_scaling_group_name("payments")
            .max_size(5)
            .send()
            .await
            .expect_err("denied"),
        "autoscaling:UpdateAutoScalingGroup",
    );
    assert_denied(
        "deleting their auto scaling group",
        &asg.delete_auto_scaling_group()
            .auto_scaling_group_name("payments")
            .force_delete(true)
            .send()
            .await
            .expect_err("denied"),
        "autoscaling:DeleteAutoScalingGroup",
    );
    // Claiming it with our tags does not help: tags are ours to give only
    // as a resource is made, and building inside their network needs their
    // VPC, subnet and group to be ours.
    assert_denied(
        "tagging their VPC as ours",
        &ec2.create_tags()
            .resources(&vpc)
            .tags(aws_sdk_ec2::types::Tag::builder().key(warmstandby_api::TAG_UID).value("claimed").build())
            .send()
            .await
            .expect_err("denied"),
        "ec2:CreateTags",
    );
    assert_denied(
        "a subnet of ours in their VPC",
        &ec2.create_subnet()
            .vpc_id(&vpc)
            .cidr_block("10.90.9.0/24")
            .tag_specifications(ours(R::Subnet))
            .send()
            .await
            .expect_err("denied"),
        "ec2:CreateSubnet",
    );
    assert_denied(
        "an instance of ours in their subnet",
        &ec2.run_instances()
            .image_id("ami-12c6146b")
            .min_count(1)
            .max_count(1)
            .subnet_id(&subnets[0])
            .security_group_ids(&group)
            .tag_specifications(ours(R::Instance))
            .send()
            .await
            .expect_err("denied"),
        "ec2:RunInstances",
    );
    assert_denied(
        "a listener of ours on their load balancer",
        &elb.create_listener()
            .load_balancer_arn(&balancer)
            .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
            .port(8080)
            .default_actions(
                aws_sdk_elasticloadbalancingv2::types::Action::builder()
                    .r#type(aws_sdk_elasticloadbalancingv2::types::ActionTypeEnum::Forward)
                    .target_group_arn(&target_group)
                    .build(),
            )
            .tags(
                aws_sdk_elasticloadbalancingv2::types::Tag::builder()
                    .key(warmstandby_api::TAG_UID)
                    .value("claimed")
                    .build(),
            )
            .send()
            .await
            .expect_err("denied"),
        "elasticloadbalancing:CreateListener",
    );
    // Nor may the operator make anything untagged.
    assert_denied(
        "an untagged VPC",
        &ec2.create_vpc().cidr_block("10.91.0.0/16").send().await.expect_err("denied"),
        "ec2:CreateVpc",
    );

    // The operator builds and tears down its stack beside them, and they stay.
    let (mut f, _endpoint) = ready_stack(&aws, |_| {}).await;
    f.teardown(&aws).await;
    let still = root_ec2.describe_vpcs().vpc_ids(&vpc).send().await.expect("their VPC is still there");
    assert_eq!(still.vpcs().len(), 1);
    let tags = still.vpcs()[0].tags();
    assert!(tags.iter().all(|t| t.key() != Some(warmstandby_api::TAG_UID)), "their VPC was never claimed: {tags:?}");
    let db = root_rds.describe_db_instances().db_instance_identifier("payments").send().await.expect("their database");
    assert_eq!(db.db_instances()[0].allocated_storage(), Some(20));
    root_elb.describe_load_balancers().load_balancer_arns(&balancer).send().await.expect("their load balancer");
    root_elb.describe_target_groups().target_group_arns(&target_group).send().await.expect("their target group");
    let group_found = root_asg.describe_auto_scaling_groups().auto_scaling_group_names("payments").send().await;
    assert_eq!(group_found.expect("their group").auto_scaling_groups()[0].max_size(), Some(1));
}

#[tokio::test]
async fn another_teams_alarm_certificate_web_acl_and_backup_vault_are_out_of_reach() {
    let emulator = Emulator::start();
    let region = "us-east-1";
    let root = emulator.sdk_config(region).await;
    // Made by the root user and tagged as another team's.
    use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
    let cw = aws_sdk_cloudwatch::Client::new(&root);
    cw.put_metric_alarm()
        .alarm_name("payments-health")
        .namespace("AWS/Route53")
        .metric_name("HealthCheckStatus")
        .statistic(Statistic::Minimum)
        .period(60)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::LessThanThreshold)
        .tags(aws_sdk_cloudwatch::types::Tag::builder().key("team").value("payments").build())
        .send()
        .await
        .expect("their alarm");
    let acm = aws_sdk_acm::Client::new(&root);
    let cert = acm
        .request_certificate()
        .domain_name("payments.example.com")
        .tags(aws_sdk_acm::types::Tag::builder().key("team").value("payments").build().expect("a tag"))
        .send()
        .await
        .expect("their certificate");
    let cert = cert.certificate_arn().expect("its ARN").to_string();
    let waf = aws_sdk_wafv2::Client::new(&root);
    let acl = waf
        .create_web_acl()
        .name("payments")
        .scope(aws_sdk_wafv2::types::Scope::Cloudfront)
        .default_action(
            aws_sdk_wafv2::types::DefaultAction::builder()
                .allow(aws_sdk_wafv2::types::AllowAction::builder().build())
                .build(),
        )
        .visibility_config(
            aws_sdk_wafv2::types::VisibilityConfig::builder()
                .sampled_requests_enabled(false)
                .cloud_watch_metrics_enabled(false)
                .metric_name("payments")
                .build()
                .expect("a visibility config"),
        )
        .tags(aws_sdk_wafv2::types::Tag::builder().key("team").value("payments").build().expect("a tag"))
        .send()
        .await
        .expect("their web ACL");
    let acl = acl.summary().cloned().expect("its summary");
    let backup = aws_sdk_backup::Client::new(&root);
    backup
        .create_backup_vault()
        .backup_vault_name("payments")
        .backup_vault_tags("team", "payments")
        .send()
        .await
        .expect("their vault");

    let aws = operator(&emulator, &policy()).await;
    assert_denied(
        "deleting their alarm",
        &aws.cloudwatch(region).delete_alarms().alarm_names("payments-health").send().await.expect_err("denied"),
        "cloudwatch:DeleteAlarms",
    );
    assert_denied(
        "deleting their certificate",
        &aws.acm(region).delete_certificate().certificate_arn(&cert).send().await.expect_err("denied"),
        "acm:DeleteCertificate",
    );
    assert_denied(
        "deleting their web ACL",
        &aws.wafv2_cloudfront()
            .delete_web_acl()
            .name("payments")
            .scope(aws_sdk_wafv2::types::Scope::Cloudfront)
            .id(acl.id().unwrap_or_default())
            .lock_token(acl.lock_token().unwrap_or_default())
            .send()
            .await
            .expect_err("denied"),
        "wafv2:DeleteWebACL",
    );
    assert_denied(
        "deleting their vault",
        &aws.backup(region).delete_backup_vault().backup_vault_name("payments").send().await.expect_err("denied"),
        "backup:DeleteBackupVault",
    );
    // Nor may the operator make any of these untagged.
    assert_denied(
        "an untagged vault",
        &aws.backup(region).create_backup_vault().backup_vault_name("untagged").send().await.expect_err("denied"),
        "backup:CreateBackupVault",
    );

    // The operator builds and tears down its stack beside them, and they stay.
    let (mut f, _endpoint) = ready_stack(&aws, |_| {}).await;
    f.teardown(&aws).await;
    let alarms = cw.describe_alarms().alarm_names("payments-health").send().await.expect("their alarm");
    assert_eq!(alarms.metric_alarms().len(), 1);
    acm.describe_certificate().certificate_arn(&cert).send().await.expect("their certificate");
    let vaults = backup.list_backup_vaults().send().await.expect("vaults");
    assert!(vaults.backup_vault_list().iter().any(|v| v.backup_vault_name() == Some("payments")));
    let acls = waf.list_web_acls().scope(aws_sdk_wafv2::types::Scope::Cloudfront).send().await.expect("web ACLs");
    assert!(acls.web_acls().iter().any(|a| a.name() == Some("payments")));
}
