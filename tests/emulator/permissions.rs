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
