//! `deploy/iam-policy.json` lists exactly the AWS actions the code calls
//! (every call is labelled `send!("<service>:<Operation>", ...)` in
//! crates/aws), plus the ones AWS requires implicitly for them.

use std::collections::BTreeSet;

use warmstandby_tests::repo_root;

/// Actions AWS checks besides the called operation itself.
const IMPLIED: &[(&str, &[&str])] = &[
    // Tags given at creation need the tagging permission of the service.
    ("ec2:CreateVpc", &["ec2:CreateTags"]),
    ("rds:CreateDBInstance", &["rds:AddTagsToResource"]),
    ("backup:CreateBackupVault", &["backup:TagResource", "backup-storage:MountCapsule"]),
    // Vaults and encrypted databases use KMS keys.
    (
        "backup:CreateBackupVault",
        &["kms:CreateGrant", "kms:GenerateDataKey", "kms:Decrypt", "kms:RetireGrant", "kms:DescribeKey"],
    ),
    // An encrypted cross-region replica is encrypted with a key of its own region.
    ("rds:CreateDBInstanceReadReplica", &["kms:CreateGrant", "kms:DescribeKey"]),
    // A backup selection hands the Backup service role to AWS Backup.
    ("backup:CreateBackupSelection", &["iam:PassRole"]),
    // Tags given at creation, edge and compute tiers.
    ("acm:RequestCertificate", &["acm:AddTagsToCertificate"]),
    ("elasticloadbalancing:CreateLoadBalancer", &["elasticloadbalancing:AddTags"]),
    ("autoscaling:CreateAutoScalingGroup", &["autoscaling:CreateOrUpdateTags"]),
    ("cloudfront:CreateDistributionWithTags", &["cloudfront:CreateDistribution", "cloudfront:TagResource"]),
    ("wafv2:CreateWebACL", &["wafv2:TagResource"]),
    ("cloudwatch:PutMetricAlarm", &["cloudwatch:TagResource"]),
    // Auto scaling groups launch from our launch templates as the caller.
    ("autoscaling:CreateAutoScalingGroup", &["ec2:RunInstances", "ec2:DescribeLaunchTemplateVersions"]),
    // Load balancers and auto scaling act through their service-linked roles,
    // created on first use in an account.
    ("elasticloadbalancing:CreateLoadBalancer", &["iam:CreateServiceLinkedRole"]),
    // Tags given at creation, access family.
    ("secretsmanager:CreateSecret", &["secretsmanager:TagResource"]),
    ("iam:CreateRole", &["iam:TagRole"]),
    ("iam:CreateInstanceProfile", &["iam:TagInstanceProfile"]),
    // Launch templates name the tiers' instance profiles: auto scaling
    // hands their roles to EC2 as the caller.
    ("autoscaling:CreateAutoScalingGroup", &["iam:PassRole"]),
    // The distribution is protected by the web ACL it names.
    ("cloudfront:UpdateDistribution", &["wafv2:GetWebACL"]),
];

/// Calls the operator and the CLI's commands never make: the demo's outage
/// (it sets the alarm's state as the account's owner, on the local emulator).
const DEMO_ONLY: &[&str] = &["cloudwatch:SetAlarmState"];

/// `deploy/iam-policy.json`.
fn policy() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(repo_root().join("deploy/iam-policy.json")).unwrap()).unwrap()
}

/// Every action some statement of `policy` grants.
fn granted_actions(policy: &serde_json::Value) -> BTreeSet<String> {
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["Action"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()))
        .collect()
}

fn called_actions() -> BTreeSet<String> {
    let mut actions = BTreeSet::new();
    let mut files = Vec::new();
    let mut dirs = vec![repo_root().join("crates/aws/src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    for path in files {
        let text = std::fs::read_to_string(path).unwrap();
        // RegionPairs with a roleArn are served through an assumed role.
        if text.contains("AssumeRoleProvider::builder") {
            actions.insert("sts:AssumeRole".to_string());
        }
        // One request (`send!`) or every page of one (`send_all!`).
        for marker in ["send!(", "send_all!("] {
            let mut rest = text.as_str();
            while let Some(i) = rest.find(marker) {
                rest = &rest[i + marker.len()..];
                let label = rest.trim_start();
                if let Some(stripped) = label.strip_prefix('"') {
                    let end = stripped.find('"').unwrap();
                    let action = &stripped[..end];
                    assert!(action.contains(':'), "AWS call labelled {action:?}: label it <service>:<Operation>");
                    actions.insert(action.to_string());
                }
            }
        }
    }
    actions
}

#[test]
fn the_policy_allows_exactly_what_the_code_calls() {
    let mut called = called_actions();
    for demo in DEMO_ONLY {
        assert!(called.remove(*demo), "{demo} is no longer called: update DEMO_ONLY");
    }
    assert!(called.len() >= 60, "the scan found only {} actions", called.len());
    let mut expected = called.clone();
    for (trigger, extra) in IMPLIED {
        assert!(called.contains(*trigger), "{trigger} is no longer called: update IMPLIED");
        expected.extend(extra.iter().map(|s| s.to_string()));
    }
    let policy = policy();
    let granted = granted_actions(&policy);
    let missing: Vec<_> = expected.difference(&granted).collect();
    let extra: Vec<_> = granted.difference(&expected).collect();
    assert!(missing.is_empty(), "deploy/iam-policy.json lacks actions the code calls: {missing:?}");
    assert!(extra.is_empty(), "deploy/iam-policy.json grants actions the code never uses: {extra:?}");
    let pass_role = policy["Statement"].as_array().unwrap().iter().find(|s| s["Sid"] == "PassBackupRole").unwrap();
    assert_eq!(pass_role["Condition"]["StringEquals"]["iam:PassedToService"], "backup.amazonaws.com");
    // The instance roles are passed to EC2 only, and only those the operator creates.
    let statements = policy["Statement"].as_array().unwrap();
    let pass_instance = statements.iter().find(|s| s["Sid"] == "PassInstanceRoles").unwrap();
    assert_eq!(pass_instance["Resource"], "arn:aws:iam::*:role/warmstandby/*");
    assert_eq!(pass_instance["Condition"]["StringEquals"]["iam:PassedToService"], "ec2.amazonaws.com");
    let roles = statements.iter().find(|s| s["Sid"] == "InstanceRoles").unwrap();
    assert!(roles["Resource"].as_array().unwrap().iter().all(|r| r.as_str().unwrap().contains("/warmstandby/*")));
    let secret = statements.iter().find(|s| s["Sid"] == "DatabaseCredentialsSecret").unwrap();
    assert_eq!(secret["Resource"], "arn:aws:secretsmanager:*:*:secret:warmstandby/*");
}

/// EC2, RDS, Elastic Load Balancing, Auto Scaling, ACM, CloudWatch, WAF,
/// Backup and CloudFront scope by tag: every grant of a call that creates or
/// changes something in them holds only for resources tagged as ours
/// (`aws:ResourceTag`), for requests that tag what they create as ours
/// (`aws:RequestTag`), or for tags given at creation (`ec2:CreateAction`,
/// `elasticloadbalancing:CreateAction`). Only reads, which AWS authorizes on
/// `*` (or which list everything), the image, volume and network interface
/// an instance launches with, and the VPC and subnet a group or an instance
/// of ours is placed in go unconditioned.
#[test]
fn changes_in_the_tag_scoped_services_reach_only_what_is_ours() {
    let policy = policy();
    let scoped = [
        "ec2:",
        "rds:",
        "elasticloadbalancing:",
        "autoscaling:",
        "acm:",
        "cloudwatch:",
        "wafv2:",
        "backup:",
        "cloudfront:",
    ];
    let read = |a: &str| {
        let op = a.split(':').nth(1).unwrap_or_default();
        op.starts_with("Describe") || op.starts_with("List") || op.starts_with("Get")
    };
    let ownership = ["aws:ResourceTag/warmstandby.dev/uid", "aws:RequestTag/warmstandby.dev/uid"];
    let mut checked = 0;
    for statement in policy["Statement"].as_array().unwrap() {
        let sid = statement["Sid"].as_str().unwrap_or_default();
        let actions: Vec<&str> = statement["Action"].as_array().unwrap().iter().filter_map(|a| a.as_str()).collect();
        let changes: Vec<&&str> =
            actions.iter().filter(|a| scoped.iter().any(|s| a.starts_with(s)) && !read(a)).collect();
        if changes.is_empty() {
            continue;
        }
        checked += changes.len();
        let condition = statement["Condition"].to_string();
        let by_tag = ownership.iter().any(|k| condition.contains(k))
            || condition.contains("ec2:CreateAction")
            || condition.contains("elasticloadbalancing:CreateAction");
        if by_tag {
            continue;
        }
        let resources: Vec<&str> = match &statement["Resource"] {
            serde_json::Value::Array(list) => list.iter().filter_map(|r| r.as_str()).collect(),
            other => vec![other.as_str().unwrap_or_default()],
        };
        let launch_side = changes.iter().all(|a| **a == "ec2:RunInstances")
            && resources.iter().all(|r| ["image/*", "network-interface/*", "volume/*"].iter().any(|k| r.ends_with(k)));
        // Placing a group or an instance of ours (themselves tagged at
        // creation) in a network changes nothing of that network, which may
        // be an existing one: AWS authorizes the VPC and subnet as resources.
        let placement_side = changes.iter().all(|a| ["ec2:CreateSecurityGroup", "ec2:RunInstances"].contains(*a))
            && resources.iter().all(|r| r.ends_with(":vpc/*") || r.ends_with(":subnet/*"));
        // A group of ours gives its servers only the stack tag (they are the
        // group's, not tracked by uid): untagging them when the group is
        // released is scoped by that tag, to instances alone.
        let released_servers = changes.iter().all(|a| **a == "ec2:DeleteTags")
            && condition.contains("aws:ResourceTag/warmstandby.dev/stack")
            && resources.iter().all(|r| r.ends_with(":instance/*"));
        assert!(
            launch_side || placement_side || released_servers,
            "{sid} grants {changes:?} on {resources:?} with no condition on our tags"
        );
    }
    assert!(checked >= 50, "only {checked} tag-scoped grants were checked");
}

/// The policy's services are the families' (core's family list): a family
/// whose IAM prefix the policy lacks, or a grant no family calls for, fails.
/// STS is the one service no family owns: RegionPairs served through an
/// assumed role.
#[test]
fn the_policys_services_are_the_families_services() {
    use warmstandby_core::family::Family;
    let policy = policy();
    let granted: BTreeSet<String> =
        granted_actions(&policy).iter().filter_map(|a| a.split(':').next().map(str::to_string)).collect();
    let mut expected: BTreeSet<String> = Family::all_iam_prefixes().into_iter().map(str::to_string).collect();
    expected.insert("sts".into());
    assert_eq!(granted, expected, "the policy's services against the families'");
}
