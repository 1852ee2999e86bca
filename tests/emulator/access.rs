//! The application's access family against the emulator: the credentials
//! secret in both regions, the instance roles and profiles, and the
//! launch templates' environment block, through a rotation, a switchover
//! and a teardown.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::Filter;
use warmstandby_api::{RegionRole, TAG_UID};
use warmstandby_controller::Intent;
use warmstandby_core::failover::Request;
use warmstandby_core::families::environment::VARIABLES;
use warmstandby_tests::Emulator;

use crate::failover::{ready_stack, run_until_finished};
use crate::support::context;

const PASSWORD: &str = "Ch4nge-me-0n-day-1";
const ROTATED: &str = "R0tated-on-day-2";

/// The latest launch template data of `tier` in `region`: (user data
/// decoded, instance profile name).
async fn launch_template(emulator: &Emulator, region: &str, uid: &str, tier: &str) -> (String, Option<String>) {
    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk_config(region).await);
    let templates = ec2
        .describe_launch_templates()
        .filters(Filter::builder().name(format!("tag:{TAG_UID}")).values(uid).build())
        .send()
        .await
        .unwrap();
    let t = templates
        .launch_templates()
        .iter()
        .find(|t| t.launch_template_name().unwrap_or_default().ends_with(tier))
        .unwrap_or_else(|| panic!("no {tier} launch template in {region}"));
    let versions = ec2
        .describe_launch_template_versions()
        .launch_template_id(t.launch_template_id().unwrap())
        .versions("$Latest")
        .send()
        .await
        .unwrap();
    let data = versions.launch_template_versions()[0].launch_template_data().unwrap().clone();
    let user_data = decode(data.user_data().unwrap_or_default());
    (user_data, data.iam_instance_profile().and_then(|p| p.name()).map(str::to_string))
}

/// User data as the instance sees it.
pub(crate) fn decode(b64: &str) -> String {
    let bytes = warmstandby_core::base64::decode(b64).expect("user data is base64");
    String::from_utf8(bytes).expect("user data is text")
}

/// The environment block's variables as the instance would see them.
fn environment(user_data: &str) -> BTreeMap<String, String> {
    user_data
        .lines()
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| k.starts_with("WARMSTANDBY_"))
        .map(|(k, v)| (k.to_string(), v.trim_matches('\'').to_string()))
        .collect()
}

async fn secret_value(emulator: &Emulator, region: &str, id: &str) -> serde_json::Value {
    let sm = aws_sdk_secretsmanager::Client::new(&emulator.sdk_config(region).await);
    let out = sm.get_secret_value().secret_id(id).send().await.unwrap();
    serde_json::from_str(out.secret_string().unwrap()).unwrap()
}

/// An api instance launched from the operator's template, in either region,
/// finds the database and reads its credentials with its role; the password
/// is nowhere else. A new password in the Kubernetes Secret reaches RDS and
/// Secrets Manager together; a switchover changes nothing the instances
/// need; a teardown removes roles and profiles and schedules the secret's
/// deletion.
#[tokio::test]
async fn the_instances_are_wired_in_both_regions_through_rotation_switchover_and_teardown() {
    let emulator = Emulator::start();
    let aws = context(&emulator).await;
    let (mut f, mut endpoint) = ready_stack(&aws, |_| {}).await;
    let uid = f.uid();
    let status = f.stack.status.clone().unwrap();
    let access = status.access.clone().expect("status.access");
    assert!(access.secret_name.starts_with("warmstandby/bookstore/bookstore/database-"), "{access:?}");
    assert_eq!(access.secret_arns.len(), 2, "{access:?}");
    assert!(access.last_rotated.is_some());
    assert_eq!(access.instance_profiles.len(), 2);

    // The secret in both regions, with every key; the replica is readable in the standby.
    let mut before = BTreeMap::new();
    for (region, arn) in &access.secret_arns {
        let value = secret_value(&emulator, region, arn).await;
        for key in ["username", "password", "host", "port", "dbname", "engine"] {
            assert!(value.get(key).is_some(), "{region}: {key} missing");
        }
        assert_eq!(value["password"], PASSWORD);
        assert_eq!(value["host"], "book.db.internal", "region-independent");
        for tier in ["api", "web"] {
            let (user_data, profile) = launch_template(&emulator, region, &uid, tier).await;
            assert_eq!(profile.as_deref(), Some(format!("bookstore-bookstore-{tier}").as_str()));
            assert!(user_data.starts_with("#!/bin/bash\n# --- warmstandby environment"), "{user_data}");
            assert!(user_data.ends_with(&format!("systemctl enable --now bookstore-{tier}\n")), "{user_data}");
            assert!(!user_data.contains(PASSWORD), "the password is in the user data");
            let env = environment(&user_data);
            assert_eq!(env["WARMSTANDBY_REGION"], *region);
            if tier == "api" {
                assert_eq!(env.len(), VARIABLES.len(), "{env:?}");
                assert_eq!(env["WARMSTANDBY_DB_SECRET_ARN"], *arn, "each region reads its own copy");
                assert_eq!(env["WARMSTANDBY_DB_HOST"], "book.db.internal");
            } else {
                assert!(!env.contains_key("WARMSTANDBY_DB_SECRET_ARN"), "the web tier gets no database settings");
            }
            before.insert((region.clone(), tier), env);
        }
    }
    assert_eq!(before[&("us-east-1".to_string(), "api")]["WARMSTANDBY_ROLE"], "active");
    assert_eq!(before[&("us-west-2".to_string(), "api")]["WARMSTANDBY_ROLE"], "standby");

    // The roles: the api reads exactly the secret, the web tier nothing.
    let iam = aws_sdk_iam::Client::new(&emulator.sdk_config("us-east-1").await);
    let api_policy = iam
        .get_role_policy()
        .role_name("bookstore-bookstore-api")
        .policy_name("read-database-credentials")
        .send()
        .await
        .unwrap();
    // IAM may return the document URL-encoded.
    let doc = warmstandby_core::families::instance_roles::policy_document(api_policy.policy_document());
    let resources: Vec<&str> =
        doc["Statement"][0]["Resource"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    let mut arns: Vec<&str> = access.secret_arns.values().map(String::as_str).collect();
    arns.sort();
    assert_eq!(resources, arns);
    let web = iam.list_role_policies().role_name("bookstore-bookstore-web").send().await.unwrap();
    assert!(web.policy_names().is_empty());

    // Drift: a widened policy and a detached profile are reported and repaired.
    let wide = iam
        .create_policy()
        .policy_name("AdministratorAccess")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    iam.attach_role_policy()
        .role_name("bookstore-bookstore-api")
        .policy_arn(wide.policy().unwrap().arn().unwrap())
        .send()
        .await
        .unwrap();
    iam.remove_role_from_instance_profile()
        .instance_profile_name("bookstore-bookstore-web")
        .role_name("bookstore-bookstore-web")
        .send()
        .await
        .unwrap();
    let outcome = f.pass(&aws, Intent::Apply).await;
    let drift: Vec<String> =
        f.stack.status.as_ref().unwrap().drift.iter().map(|d| format!("{} {}", d.resource, d.field)).collect();
    assert!(drift.iter().any(|d| d.contains("AdministratorAccess")), "{drift:?}");
    assert!(drift.iter().any(|d| d == "bookstore-bookstore-web role"), "{drift:?}");
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    let attached = iam.list_attached_role_policies().role_name("bookstore-bookstore-api").send().await.unwrap();
    assert!(attached.attached_policies().is_empty(), "the widening was undone");
    let profile = iam.get_instance_profile().instance_profile_name("bookstore-bookstore-web").send().await.unwrap();
    assert_eq!(profile.instance_profile().unwrap().roles().len(), 1, "the role is back in its profile");
    f.until_ready(&aws).await;

    // Rotation: a new password in the Kubernetes Secret reaches RDS and the secret.
    for s in &mut f.checked.set.secrets {
        if let Some(data) = s.string_data.as_mut() {
            data.insert("password".into(), ROTATED.into());
        }
        if let Some(data) = s.data.as_mut() {
            data.insert("password".into(), k8s_openapi::ByteString(ROTATED.as_bytes().to_vec()));
        }
    }
    let calls = aws.calls().snapshot();
    f.until_ready(&aws).await;
    let made = aws.calls().snapshot().since(&calls);
    assert_eq!(made.count("ModifyDBInstance"), 1, "the writer's master password changed once");
    assert_eq!(made.count("PutSecretValue"), 1);
    for (region, arn) in &access.secret_arns {
        assert_eq!(secret_value(&emulator, region, arn).await["password"], ROTATED, "{region}");
    }
    let rotated = f.stack.status.as_ref().unwrap().access.clone().unwrap();
    assert!(rotated.last_rotated.is_some());

    // A switchover: the standby's instances need nothing new but their role label.
    let request = Request { to: RegionRole::Standby, force: false, kind: "switchover" };
    let (_, steps) = run_until_finished(&mut f, &aws, &mut endpoint, Some(request)).await;
    assert!(!steps.is_empty());
    for ((region, tier), env) in &before {
        let (user_data, profile) = launch_template(&emulator, region, &uid, tier).await;
        assert!(profile.is_some());
        let mut after = environment(&user_data);
        let role = after.remove("WARMSTANDBY_ROLE").unwrap();
        assert_eq!(role, if region == "us-west-2" { "active" } else { "standby" }, "{region}");
        let mut env = env.clone();
        env.remove("WARMSTANDBY_ROLE");
        assert_eq!(after, env, "{region} {tier}: host, secret and URLs stay");
    }
    let promoted = &access.secret_arns["us-west-2"];
    assert_eq!(
        secret_value(&emulator, "us-west-2", promoted).await["password"],
        ROTATED,
        "the promoted database keeps the password"
    );

    // Teardown: roles and profiles go, the secret is scheduled for deletion.
    f.teardown(&aws).await;
    let roles = iam.list_roles().path_prefix("/warmstandby/").send().await.unwrap();
    assert!(roles.roles().is_empty(), "{:?}", roles.roles());
    let profiles = iam.list_instance_profiles().path_prefix("/warmstandby/").send().await.unwrap();
    assert!(profiles.instance_profiles().is_empty());
    let sm = aws_sdk_secretsmanager::Client::new(&emulator.sdk_config("us-east-1").await);
    let gone = sm.describe_secret().secret_id(&access.secret_name).send().await.unwrap();
    assert!(gone.deleted_date().is_some(), "recoverable for the spec's window");
    assert!(gone.replication_status().is_empty(), "the replica was removed first");
}
