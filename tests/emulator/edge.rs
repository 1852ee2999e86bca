//! The whole stack of DESIGN.md against the emulator: certificates, load
//! balancers, images, launch templates, auto scaling groups, Route 53
//! failover, CloudFront + WAF and the alarm, on top of the data tier.

use std::collections::BTreeMap;

use aws_sdk_route53::types::{AliasTarget, Change, ChangeAction, ChangeBatch, ResourceRecordSet, RrType};
use warmstandby_api::TAG_UID;
use warmstandby_aws::AwsContext;
use warmstandby_controller::Intent;
use warmstandby_tests::Emulator;

use crate::stack::{CLASSIC, Fixture, owned, report};
use crate::support::{REGIONS, context};

const ZONE: &str = "bookstore.example.com";

/// Every record of the public zone, as `name type [set] -> values`.
async fn zone_records(emulator: &Emulator) -> Vec<String> {
    let r53 = aws_sdk_route53::Client::new(&emulator.sdk_config("us-east-1").await);
    let zones = r53.list_hosted_zones_by_name().dns_name(ZONE).send().await.unwrap();
    let zone = zones.hosted_zones().iter().find(|z| z.name() == format!("{ZONE}.")).expect("the public zone exists");
    let records = r53.list_resource_record_sets().hosted_zone_id(zone.id()).send().await.unwrap();
    let mut out: Vec<String> = records
        .resource_record_sets()
        .iter()
        .map(|r| {
            let values: Vec<&str> = r.resource_records().iter().map(|v| v.value()).collect();
            let alias = r.alias_target().map(|a| a.dns_name().to_string()).unwrap_or_default();
            format!(
                "{} {} [{}] -> {}{alias}",
                r.name(),
                r.r#type().as_str(),
                r.set_identifier().unwrap_or_default(),
                values.join(",")
            )
        })
        .collect();
    out.sort();
    out
}

/// Edge resources that exist, by region and kind (the emulator's whole
/// census, narrowed to the edge kinds). The emulator is fresh per test, so
/// everything of these kinds counts.
pub(crate) async fn edge_census(emulator: &Emulator) -> BTreeMap<String, usize> {
    let edge = classic_edge();
    warmstandby_tests::census::census(emulator).await.into_iter().filter(|(kind, _)| edge.contains_key(kind)).collect()
}

/// The classic topology: per region one certificate, 2 ALBs with 3
/// listeners (HTTP on both, HTTPS on api), 2 target groups, 2 launch
/// templates and 2 ASGs; 2 image copies in the standby; globally one health
/// check, distribution, web ACL and alarm.
pub(crate) fn classic_edge() -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for region in REGIONS {
        for (kind, n) in [
            ("certificates", 1),
            ("load balancers", 2),
            ("listeners", 3),
            ("target groups", 2),
            ("images", if region == "us-west-2" { 2 } else { 0 }),
            ("launch templates", 2),
            ("auto scaling groups", 2),
        ] {
            out.insert(format!("{region} {kind}"), n);
        }
    }
    for kind in ["health checks", "distributions", "web ACLs", "alarms"] {
        out.insert(kind.into(), 1);
    }
    out
}

fn empty(census: &BTreeMap<String, usize>) -> BTreeMap<String, usize> {
    census.keys().map(|k| (k.clone(), 0)).collect()
}

async fn alb_dns(aws: &AwsContext, region: &str, name: &str) -> (String, String, String) {
    let out = aws.elbv2(region).describe_load_balancers().names(name).send().await.unwrap();
    let lb = &out.load_balancers()[0];
    (
        lb.load_balancer_arn().unwrap().to_string(),
        lb.dns_name().unwrap().to_string(),
        lb.canonical_hosted_zone_id().unwrap().to_string(),
    )
}

#[tokio::test]
async fn full_stack_create_noop_drift_repair_destroy() {
    let emulator = Emulator::start();
    let aws = context(&emulator).await;
    let records_before = zone_records(&emulator).await;
    let mut f = Fixture::with_network(&aws).await;

    let before = aws.calls().snapshot();
    let started = std::time::Instant::now();
    let passes = f.until_ready(&aws).await;
    let create = aws.calls().snapshot().since(&before);
    report(&format!("create of the whole stack ({passes} passes, {:.1} s)", started.elapsed().as_secs_f64()), &create);
    assert_eq!(owned(&emulator, &f).await, CLASSIC);
    assert_eq!(edge_census(&emulator).await, classic_edge());

    // Status: every family ready, the endpoints and the IDs.
    let status = f.stack.status.clone().unwrap();
    for t in [
        "Ready",
        "CertificatesReady",
        "LoadBalancersReady",
        "ComputeReady",
        "DnsReady",
        "CdnReady",
        "WafReady",
        "DatabaseReady",
        "ReplicationHealthy",
    ] {
        let c = status.conditions.iter().find(|c| c.type_ == t).unwrap_or_else(|| panic!("no {t} condition"));
        assert_eq!(c.status, "True", "{t}: {} {}", c.reason, c.message);
    }
    let endpoints = status.endpoints.clone().unwrap();
    assert_eq!(endpoints.web, "https://www.bookstore.example.com");
    assert_eq!(endpoints.api, "https://api.bookstore.example.com");
    assert!(endpoints.cloudfront.as_deref().is_some_and(|d| d.ends_with(".cloudfront.net")), "{endpoints:?}");
    assert_eq!(endpoints.load_balancers.len(), 4, "{endpoints:?}");
    let global = status.global.clone().unwrap();
    let (east_api_arn, east_api, east_zone) = alb_dns(&aws, "us-east-1", "bookstore-bookstore-api").await;
    let (_, west_api, _) = alb_dns(&aws, "us-west-2", "bookstore-bookstore-api").await;
    let (_, east_web, _) = alb_dns(&aws, "us-east-1", "bookstore-bookstore-web").await;
    let (_, west_web, _) = alb_dns(&aws, "us-west-2", "bookstore-bookstore-web").await;

    // What AWS holds, read back with the plain SDK.
    let east_asg = aws.autoscaling("us-east-1");
    let west_asg = aws.autoscaling("us-west-2");
    let capacity = |g: &aws_sdk_autoscaling::types::AutoScalingGroup| {
        (g.min_size().unwrap(), g.desired_capacity().unwrap(), g.max_size().unwrap())
    };
    let groups = east_asg.describe_auto_scaling_groups().send().await.unwrap();
    assert!(groups.auto_scaling_groups().iter().all(|g| capacity(g) == (2, 2, 6)), "active capacity in the primary");
    let groups = west_asg.describe_auto_scaling_groups().send().await.unwrap();
    assert!(groups.auto_scaling_groups().iter().all(|g| capacity(g) == (1, 1, 6)), "warm capacity in the standby");
    let copies = aws.ec2("us-west-2").describe_images().owners("self").send().await.unwrap();
    let sources: Vec<&str> = copies.images().iter().filter_map(|i| i.name()).collect();
    assert!(sources.iter().any(|n| n.contains("ami-0a1b2c3d4e5f60718")), "{sources:?}");
    assert!(copies.images().iter().all(|i| i.tags().iter().any(|t| t.key() == Some(TAG_UID))), "copies are tagged");
    let lts = aws.ec2("us-west-2").describe_launch_templates().send().await.unwrap();
    let lt =
        lts.launch_templates().iter().find(|t| t.launch_template_name() == Some("bookstore-bookstore-web")).unwrap();
    let v = aws
        .ec2("us-west-2")
        .describe_launch_template_versions()
        .launch_template_id(lt.launch_template_id().unwrap())
        .versions("$Latest")
        .send()
        .await
        .unwrap();
    let data = v.launch_template_versions()[0].launch_template_data().unwrap();
    let copy_id = status.standby.as_ref().unwrap().image_ids.get("web").cloned().unwrap();
    assert_eq!(data.image_id(), Some(copy_id.as_str()), "the standby launches from the copy");
    assert!(data.user_data().is_some_and(|u| !u.contains("systemctl")), "user data is base64");

    let listeners = aws.elbv2("us-east-1").describe_listeners().load_balancer_arn(&east_api_arn).send().await.unwrap();
    let https = listeners.listeners().iter().find(|l| l.port() == Some(443)).expect("HTTPS listener on the api ALB");
    let east_cert = status.primary.as_ref().unwrap().certificate_arn.clone().unwrap();
    assert_eq!(https.certificates()[0].certificate_arn(), Some(east_cert.as_str()));

    let records = zone_records(&emulator).await;
    let primary = format!("api.{ZONE}. A [us-east-1] -> {}", east_api.to_lowercase());
    let secondary = format!("api.{ZONE}. A [us-west-2] -> {}", west_api.to_lowercase());
    for expected in [&primary, &secondary] {
        assert!(
            records.iter().any(|r| r.to_lowercase().starts_with(&expected.to_lowercase())),
            "missing {expected}: {records:#?}"
        );
    }
    let r53 = aws.route53();
    let zone_id = global.public_zone_id.clone().unwrap();
    let sets = r53.list_resource_record_sets().hosted_zone_id(&zone_id).send().await.unwrap();
    let primary_set = sets
        .resource_record_sets()
        .iter()
        .find(|r| r.set_identifier() == Some("us-east-1"))
        .expect("the PRIMARY api record");
    assert_eq!(primary_set.failover().map(|f| f.as_str()), Some("PRIMARY"));
    assert_eq!(primary_set.health_check_id(), global.health_check_id.as_deref());
    let hc = r53.get_health_check().health_check_id(global.health_check_id.clone().unwrap()).send().await.unwrap();
    let hc = hc.health_check().unwrap().health_check_config().unwrap();
    assert_eq!(hc.fully_qualified_domain_name().map(str::to_lowercase), Some(east_api.to_lowercase()));
    assert_eq!(
        (hc.request_interval(), hc.failure_threshold(), hc.resource_path()),
        (Some(30), Some(3), Some("/health"))
    );

    let cf = aws.cloudfront();
    let dist = cf.get_distribution().id(global.distribution_id.clone().unwrap()).send().await.unwrap();
    let config = dist.distribution().unwrap().distribution_config().unwrap();
    let group = &config.origin_groups().unwrap().items()[0];
    let members: Vec<&str> = group.members().unwrap().items().iter().map(|m| m.origin_id()).collect();
    assert_eq!(members, ["web-us-east-1", "web-us-west-2"], "the active region's origin first");
    let domains: Vec<String> =
        config.origins().unwrap().items().iter().map(|o| o.domain_name().to_lowercase()).collect();
    assert_eq!(domains, [east_web.to_lowercase(), west_web.to_lowercase()]);
    assert_eq!(config.web_acl_id(), global.web_acl_arn.as_deref());
    assert_eq!(config.aliases().unwrap().items(), [format!("www.{ZONE}")]);
    assert_eq!(config.default_cache_behavior().unwrap().target_origin_id(), "web-failover");

    // A second pass changes nothing and stays within the call budget.
    let before = aws.calls().snapshot();
    let started = std::time::Instant::now();
    let noop = f.pass(&aws, Intent::Apply).await;
    let noop_calls = aws.calls().snapshot().since(&before);
    report(
        &format!("no-op reconcile of the whole stack ({:.0} ms)", started.elapsed().as_secs_f64() * 1000.0),
        &noop_calls,
    );
    assert!(noop.is_ready() && noop.applied.is_empty(), "{:?}", noop.applied);
    assert_eq!(noop_calls.mutating(), 0);
    // 31 for the network-attached, data, edge and global families, and 2 for
    // the access family. A stack alone pays each shared listing in full (a
    // secret listing per region where it read one secret): in a fleet they
    // are read once per region for every stack (tests/emulator/fleet.rs).
    assert!(noop_calls.total() <= 33, "no-op budget is 33 AWS calls, took {}", noop_calls.total());
    let before = aws.calls().snapshot();
    let started = std::time::Instant::now();
    warmstandby_tests::fleet::naive_read_every_resource(&aws, &f.stack).await.unwrap();
    let naive = aws.calls().snapshot().since(&before);
    println!(
        "benchmark, no-op observation of the whole stack: warmstandby {} calls, naive one-by-one reads {} calls ({:.0} ms); peak RSS {:.0} MiB",
        noop_calls.total(),
        naive.total(),
        started.elapsed().as_secs_f64() * 1000.0,
        warmstandby_tests::fleet::peak_rss_mib().unwrap_or(0.0)
    );
    assert!(naive.total() > noop_calls.total());

    // Out-of-band changes, one per family.
    let https_arn = https.listener_arn().unwrap().to_string();
    aws.elbv2("us-east-1").delete_listener().listener_arn(&https_arn).send().await.unwrap();
    west_asg
        .update_auto_scaling_group()
        .auto_scaling_group_name("bookstore-bookstore-web")
        .desired_capacity(4)
        .send()
        .await
        .unwrap();
    let elsewhere = ResourceRecordSet::builder()
        .name(format!("api.{ZONE}"))
        .r#type(RrType::A)
        .set_identifier("us-east-1")
        .failover(aws_sdk_route53::types::ResourceRecordSetFailover::Primary)
        .health_check_id(global.health_check_id.clone().unwrap())
        .alias_target(
            AliasTarget::builder()
                .dns_name("attacker.example.net")
                .hosted_zone_id(&east_zone)
                .evaluate_target_health(true)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    r53.change_resource_record_sets()
        .hosted_zone_id(&zone_id)
        .change_batch(
            ChangeBatch::builder()
                .changes(Change::builder().action(ChangeAction::Upsert).resource_record_set(elsewhere).build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let mut altered = config.clone();
    let only_east = aws_sdk_cloudfront::types::OriginGroupMembers::builder()
        .quantity(1)
        .items(aws_sdk_cloudfront::types::OriginGroupMember::builder().origin_id("web-us-east-1").build().unwrap())
        .build()
        .unwrap();
    let mut group = group.clone();
    group.members = Some(only_east);
    altered.origin_groups =
        Some(aws_sdk_cloudfront::types::OriginGroups::builder().quantity(1).items(group).build().unwrap());
    altered.web_acl_id = Some(String::new());
    cf.update_distribution()
        .id(global.distribution_id.clone().unwrap())
        .if_match(dist.e_tag().unwrap())
        .distribution_config(altered)
        .send()
        .await
        .unwrap();

    let observed = f.pass(&aws, Intent::Observe).await;
    let drift: Vec<String> = observed.status.drift.iter().map(ToString::to_string).collect();
    let dist_id = global.distribution_id.clone().unwrap();
    for expected in [
        "us-east-1 Listener bookstore-bookstore-api:443: present expected present, found missing".to_string(),
        "us-west-2 AutoScalingGroup bookstore-bookstore-web: desiredCapacity expected 1, found 4".to_string(),
        format!(
            "us-east-1 Record api.{ZONE} A [us-east-1]: aliasTarget expected {}@{east_zone} evaluateTargetHealth=true, found attacker.example.net@{east_zone} evaluateTargetHealth=true",
            east_api.to_lowercase()
        ),
        format!(
            "us-east-1 Distribution {dist_id}: originGroup expected web-failover: web-us-east-1,web-us-west-2, found web-failover: web-us-east-1"
        ),
        format!(
            "us-east-1 Distribution {dist_id}: webAcl expected {}, found (none)",
            global.web_acl_arn.clone().unwrap()
        ),
    ] {
        assert!(drift.contains(&expected), "drift lacks {expected:?}; found {drift:#?}");
    }
    assert!(!observed.is_ready());
    let conditions: BTreeMap<&str, &str> =
        observed.status.conditions.iter().map(|c| (c.type_.as_str(), c.status.as_str())).collect();
    for t in ["LoadBalancersReady", "ComputeReady", "DnsReady", "CdnReady", "WafReady"] {
        assert_eq!(conditions.get(t), Some(&"False"), "{t} should report the drift: {conditions:?}");
    }

    f.until_ready(&aws).await;
    let clean = f.pass(&aws, Intent::Observe).await;
    assert!(clean.status.drift.is_empty(), "{:?}", clean.status.drift);
    assert_eq!(edge_census(&emulator).await, classic_edge(), "repairs made no duplicates");
    let groups = west_asg.describe_auto_scaling_groups().send().await.unwrap();
    assert!(groups.auto_scaling_groups().iter().all(|g| capacity(g) == (1, 1, 6)));

    // A spec change makes a new launch template version and points the ASG at it.
    f.stack.spec.api.instance_type = "t3.small".into();
    f.checked.set.stacks[0].spec.api.instance_type = "t3.small".into();
    f.until_ready(&aws).await;
    let api_group = east_asg
        .describe_auto_scaling_groups()
        .auto_scaling_group_names("bookstore-bookstore-api")
        .send()
        .await
        .unwrap();
    let template = api_group.auto_scaling_groups()[0].launch_template().unwrap();
    assert_eq!(template.version(), Some("2"), "the ASG uses the new version");

    // Destroy: nothing of ours left anywhere, the zone as it was.
    let before = aws.calls().snapshot();
    f.teardown(&aws).await;
    report("destroy of the whole stack", &aws.calls().snapshot().since(&before));
    let census = edge_census(&emulator).await;
    assert_eq!(census, empty(&census));
    assert_eq!(owned(&emulator, &f).await, [[0; 6], [0; 6]]);
    assert_eq!(zone_records(&emulator).await, records_before, "the public zone keeps only its own records");
}

/// The promise: one `apply --wait` of the examples builds the whole
/// design and reports Ready with the endpoints; `destroy --wait` leaves only
/// what was there before.
#[tokio::test]
async fn one_apply_of_the_examples_builds_everything_and_destroy_removes_it() {
    let emulator = Emulator::start();
    let records_before = zone_records(&emulator).await;
    let dir = warmstandby_tests::repo_root().join("deploy/examples");
    let dir = dir.to_str().unwrap();
    let started = std::time::Instant::now();
    let (code, out, err) = crate::region_pair::cli(&emulator, &["apply", "--wait", "--timeout", "5m", "-f", dir]).await;
    println!("apply --wait of deploy/examples/: {:.1} s", started.elapsed().as_secs_f64());
    assert_eq!(code, 0, "{out}\n{err}");
    let ready = out.lines().find(|l| l.starts_with("ThreeTierStack bookstore/bookstore: Ready")).unwrap_or_else(|| {
        panic!("the stack did not report Ready:\n{out}");
    });
    assert!(ready.contains("web https://www.bookstore.example.com"), "{ready}");
    assert!(ready.contains("api https://api.bookstore.example.com"), "{ready}");
    assert!(ready.contains(".cloudfront.net"), "{ready}");
    assert_eq!(edge_census(&emulator).await, classic_edge());

    let (code, out, err) = crate::region_pair::cli(&emulator, &["status", "-f", dir]).await;
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("endpoints: web https://www.bookstore.example.com"), "{out}");

    let (code, out, err) =
        crate::region_pair::cli(&emulator, &["destroy", "--wait", "--timeout", "5m", "-f", dir]).await;
    assert_eq!(code, 0, "{out}\n{err}");
    let census = edge_census(&emulator).await;
    assert_eq!(census, empty(&census));
    assert_eq!(zone_records(&emulator).await, records_before);
}
