//! Everything that exists in the emulator, counted by kind with each
//! service's own describe calls (the emulator's tagging API misses kinds).
//! A scenario has an emulator of its own, so after a teardown every count
//! must be back to its value before the objects were applied (the
//! emulator's defaults and the customer's world are in both).

use std::collections::BTreeMap;

use warmstandby_core::resource::Kind;

use crate::Emulator;

pub const REGIONS: [&str; 2] = ["us-east-1", "us-west-2"];

/// What each count of the census covers. Every resource kind is counted
/// (a test checks it against core's list of kinds), and [`census`] checks
/// on every run that it counted exactly these.
pub const COUNTED: &[(&str, &[Kind])] = &[
    ("VPCs", &[Kind::Vpc]),
    ("subnets", &[Kind::Subnet]),
    ("internet gateways", &[Kind::InternetGateway]),
    ("elastic IPs", &[Kind::ElasticIp]),
    ("NAT gateways", &[Kind::NatGateway]),
    ("route tables", &[Kind::RouteTable]),
    ("security groups", &[Kind::SecurityGroup]),
    ("instances", &[Kind::BastionInstance]),
    ("images", &[Kind::Image]),
    ("launch templates", &[Kind::LaunchTemplate]),
    ("databases", &[Kind::DbInstance, Kind::DbReadReplica]),
    ("DB subnet groups", &[Kind::DbSubnetGroup]),
    ("load balancers", &[Kind::LoadBalancer]),
    ("listeners", &[Kind::Listener]),
    ("target groups", &[Kind::TargetGroup]),
    ("auto scaling groups", &[Kind::AutoScalingGroup]),
    ("certificates", &[Kind::Certificate]),
    ("backup vaults", &[Kind::BackupVault]),
    // A plan's selections go with it.
    ("backup plans", &[Kind::BackupPlan, Kind::BackupSelection]),
    ("secrets", &[Kind::Secret]),
    ("hosted zones", &[Kind::PrivateHostedZone, Kind::PublicHostedZone]),
    ("records", &[Kind::PrivateDnsRecord, Kind::CertificateValidationRecord, Kind::FailoverRecord, Kind::AliasRecord]),
    ("health checks", &[Kind::HealthCheck]),
    ("distributions", &[Kind::Distribution]),
    ("web ACLs", &[Kind::WebAcl]),
    ("IAM roles", &[Kind::InstanceRole]),
    ("instance profiles", &[Kind::InstanceProfile]),
    ("alarms", &[Kind::Alarm]),
];

/// Counts by `region kind` (or `kind` for global services).
pub async fn census(emulator: &Emulator) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for region in REGIONS {
        let config = emulator.paced_sdk_config(region).await;
        let ec2 = aws_sdk_ec2::Client::new(&config);
        let rds = aws_sdk_rds::Client::new(&config);
        let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
        let asg = aws_sdk_autoscaling::Client::new(&config);
        let acm = aws_sdk_acm::Client::new(&config);
        let backup = aws_sdk_backup::Client::new(&config);
        // Defaults (VPC, subnets, gateway, groups) are in the baseline census too.
        let vpcs = ec2.describe_vpcs().send().await.map(|o| o.vpcs().len());
        let subnets = ec2.describe_subnets().send().await.map(|o| o.subnets().len());
        let igws = ec2.describe_internet_gateways().send().await.map(|o| o.internet_gateways().len());
        let eips = ec2.describe_addresses().send().await.map(|o| o.addresses().len());
        let nats = ec2
            .describe_nat_gateways()
            .send()
            .await
            .map(|o| o.nat_gateways().iter().filter(|n| n.state().map(|s| s.as_str()) != Some("deleted")).count());
        let tables = ec2.describe_route_tables().send().await.map(|o| o.route_tables().len());
        let groups = ec2.describe_security_groups().send().await.map(|o| o.security_groups().len());
        let instances = ec2.describe_instances().send().await.map(|o| {
            o.reservations()
                .iter()
                .flat_map(|r| r.instances())
                .filter(|i| i.state().and_then(|s| s.name()).map(|n| n.as_str()) != Some("terminated"))
                .count()
        });
        let images = ec2.describe_images().owners("self").send().await.map(|o| o.images().len());
        let templates = ec2.describe_launch_templates().send().await.map(|o| o.launch_templates().len());
        let databases = rds.describe_db_instances().send().await.map(|o| o.db_instances().len());
        let subnet_groups = rds.describe_db_subnet_groups().send().await.map(|o| o.db_subnet_groups().len());
        let balancers = elb.describe_load_balancers().send().await;
        let mut listeners = Ok(0);
        if let Ok(out) = &balancers {
            for lb in out.load_balancers() {
                let arn = lb.load_balancer_arn().unwrap_or_default();
                listeners = match (listeners, elb.describe_listeners().load_balancer_arn(arn).send().await) {
                    (Ok(n), Ok(l)) => Ok(n + l.listeners().len()),
                    (_, Err(e)) => Err(e.to_string()),
                    (Err(e), _) => Err(e),
                };
            }
        }
        let lbs = balancers.map(|o| o.load_balancers().len());
        let tgs = elb.describe_target_groups().send().await.map(|o| o.target_groups().len());
        let asgs = asg.describe_auto_scaling_groups().send().await.map(|o| o.auto_scaling_groups().len());
        let certs = acm.list_certificates().send().await.map(|o| o.certificate_summary_list().len());
        let vaults = backup.list_backup_vaults().send().await.map(|o| o.backup_vault_list().len());
        let plans = backup.list_backup_plans().send().await.map(|o| o.backup_plans_list().len());
        // Secrets scheduled for deletion (recoverable for a while) are not listed.
        let secrets =
            aws_sdk_secretsmanager::Client::new(&config).list_secrets().send().await.map(|o| o.secret_list().len());
        for (kind, n) in [
            ("VPCs", vpcs.map_err(|e| e.to_string())),
            ("subnets", subnets.map_err(|e| e.to_string())),
            ("internet gateways", igws.map_err(|e| e.to_string())),
            ("elastic IPs", eips.map_err(|e| e.to_string())),
            ("NAT gateways", nats.map_err(|e| e.to_string())),
            ("route tables", tables.map_err(|e| e.to_string())),
            ("security groups", groups.map_err(|e| e.to_string())),
            ("instances", instances.map_err(|e| e.to_string())),
            ("images", images.map_err(|e| e.to_string())),
            ("launch templates", templates.map_err(|e| e.to_string())),
            ("databases", databases.map_err(|e| e.to_string())),
            ("DB subnet groups", subnet_groups.map_err(|e| e.to_string())),
            ("load balancers", lbs.map_err(|e| e.to_string())),
            ("listeners", listeners),
            ("target groups", tgs.map_err(|e| e.to_string())),
            ("auto scaling groups", asgs.map_err(|e| e.to_string())),
            ("certificates", certs.map_err(|e| e.to_string())),
            ("backup vaults", vaults.map_err(|e| e.to_string())),
            ("backup plans", plans.map_err(|e| e.to_string())),
            ("secrets", secrets.map_err(|e| e.to_string())),
        ] {
            let n = n.unwrap_or_else(|e| panic!("counting {kind} in {region}: {e}"));
            out.insert(format!("{region} {kind}"), n);
        }
    }
    let global = emulator.paced_sdk_config("us-east-1").await;
    let r53 = aws_sdk_route53::Client::new(&global);
    let cf = aws_sdk_cloudfront::Client::new(&global);
    let waf = aws_sdk_wafv2::Client::new(&global);
    let cw = aws_sdk_cloudwatch::Client::new(&global);
    let zones = r53.list_hosted_zones().send().await.unwrap_or_else(|e| panic!("listing hosted zones: {e}"));
    let mut records = 0;
    for zone in zones.hosted_zones() {
        let sets = r53
            .list_resource_record_sets()
            .hosted_zone_id(zone.id())
            .send()
            .await
            .unwrap_or_else(|e| panic!("listing the records of {}: {e}", zone.name()));
        records += sets.resource_record_sets().len();
    }
    out.insert("hosted zones".into(), zones.hosted_zones().len());
    out.insert("records".into(), records);
    let count = |what: &str, r: Result<usize, String>| r.unwrap_or_else(|e| panic!("counting {what}: {e}"));
    out.insert(
        "health checks".into(),
        count(
            "health checks",
            r53.list_health_checks().send().await.map(|o| o.health_checks().len()).map_err(|e| e.to_string()),
        ),
    );
    out.insert(
        "distributions".into(),
        count(
            "distributions",
            cf.list_distributions()
                .send()
                .await
                .map(|o| o.distribution_list().map(|l| l.items().len()).unwrap_or(0))
                .map_err(|e| e.to_string()),
        ),
    );
    out.insert(
        "web ACLs".into(),
        count(
            "web ACLs",
            waf.list_web_acls()
                .scope(aws_sdk_wafv2::types::Scope::Cloudfront)
                .send()
                .await
                .map(|o| o.web_acls().len())
                .map_err(|e| e.to_string()),
        ),
    );
    let iam = aws_sdk_iam::Client::new(&global);
    out.insert(
        "IAM roles".into(),
        count("IAM roles", iam.list_roles().send().await.map(|o| o.roles().len()).map_err(|e| e.to_string())),
    );
    out.insert(
        "instance profiles".into(),
        count(
            "instance profiles",
            iam.list_instance_profiles().send().await.map(|o| o.instance_profiles().len()).map_err(|e| e.to_string()),
        ),
    );
    out.insert(
        "alarms".into(),
        count("alarms", cw.describe_alarms().send().await.map(|o| o.metric_alarms().len()).map_err(|e| e.to_string())),
    );
    let counted: std::collections::BTreeSet<&str> =
        out.keys().map(|k| REGIONS.iter().find_map(|r| k.strip_prefix(&format!("{r} "))).unwrap_or(k)).collect();
    let declared: std::collections::BTreeSet<&str> = COUNTED.iter().map(|(name, _)| *name).collect();
    assert_eq!(counted, declared, "the census counts what COUNTED says it does");
    out
}

/// The kinds whose count differs between two censuses, as `kind: before -> after`.
pub fn differences(before: &BTreeMap<String, usize>, after: &BTreeMap<String, usize>) -> Vec<String> {
    let mut out = Vec::new();
    for (kind, n) in after {
        let was = before.get(kind).copied().unwrap_or(0);
        if was != *n {
            out.push(format!("{kind}: {was} -> {n}"));
        }
    }
    out
}
