//! The harness works: both regions answer through aws-sdk-ec2, state is per
//! region, tag filters see only what the test created, and injected faults
//! arrive as each service's own errors.

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use warmstandby_aws::ErrorClass;
use warmstandby_aws::calls::FaultKind;
use warmstandby_tests::Emulator;

#[tokio::test]
async fn creates_and_describes_a_vpc_in_two_regions() {
    let emulator = Emulator::start();
    for (region, cidr) in [("us-east-1", "10.10.0.0/16"), ("us-west-2", "10.20.0.0/16")] {
        let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk_config(region).await);
        let created = ec2
            .create_vpc()
            .cidr_block(cidr)
            .tag_specifications(
                TagSpecification::builder()
                    .resource_type(ResourceType::Vpc)
                    .tags(Tag::builder().key("warmstandby.dev/uid").value("smoke").build())
                    .build(),
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateVpc in {region}: {e:?}"));
        let vpc_id = created.vpc().and_then(|v| v.vpc_id()).expect("a VPC id").to_string();

        let ours = ec2
            .describe_vpcs()
            .filters(Filter::builder().name("tag:warmstandby.dev/uid").values("smoke").build())
            .send()
            .await
            .unwrap_or_else(|e| panic!("DescribeVpcs in {region}: {e:?}"));
        let ids: Vec<&str> = ours.vpcs().iter().filter_map(|v| v.vpc_id()).collect();
        assert_eq!(ids, [vpc_id.as_str()], "exactly our VPC in {region}");
        assert_eq!(ours.vpcs()[0].cidr_block(), Some(cidr));

        // Every region has a default VPC, which a tag filter never returns.
        let all = ec2.describe_vpcs().send().await.expect("DescribeVpcs");
        assert!(all.vpcs().iter().any(|v| v.is_default() == Some(true)), "default VPC in {region}");
        assert_eq!(all.vpcs().len(), 2, "default + ours in {region}: state is per region");
    }
}

/// The current CloudWatch client speaks Smithy RPC v2 CBOR; the emulator
/// wrapper bridges it to moto. Alarms round-trip with their timestamps, state
/// changes stick, and errors keep their codes.
#[tokio::test]
async fn cloudwatch_speaks_rpc_v2_cbor_through_the_emulator() {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, StateValue, Statistic};

    let emulator = Emulator::start();
    let cw = aws_sdk_cloudwatch::Client::new(&emulator.sdk_config("us-east-1").await);
    cw.put_metric_alarm()
        .alarm_name("api-health")
        .namespace("AWS/Route53")
        .metric_name("HealthCheckStatus")
        .dimensions(Dimension::builder().name("HealthCheckId").value("hc-1").build())
        .statistic(Statistic::Minimum)
        .period(60)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::LessThanThreshold)
        .send()
        .await
        .expect("PutMetricAlarm over CBOR");
    let alarms = cw.describe_alarms().alarm_names("api-health").send().await.expect("DescribeAlarms over CBOR");
    let alarm = &alarms.metric_alarms()[0];
    assert_eq!(alarm.alarm_name(), Some("api-health"));
    assert_eq!(alarm.threshold(), Some(1.0));
    assert_eq!(alarm.dimensions()[0].value(), Some("hc-1"));
    assert!(alarm.state_updated_timestamp().is_some(), "timestamps decode");

    cw.set_alarm_state()
        .alarm_name("api-health")
        .state_value(StateValue::Alarm)
        .state_reason("test")
        .send()
        .await
        .expect("SetAlarmState over CBOR");
    let alarms = cw.describe_alarms().alarm_names("api-health").send().await.unwrap();
    assert_eq!(alarms.metric_alarms()[0].state_value(), Some(&StateValue::Alarm));

    let missing = cw.set_alarm_state().alarm_name("nope").state_value(StateValue::Ok).state_reason("x").send().await;
    let err = missing.expect_err("an unknown alarm is an error");
    let code = aws_sdk_cloudwatch::error::ProvideErrorMetadata::code(&err).map(str::to_string);
    assert_eq!(code.as_deref(), Some("ResourceNotFound"), "{err:?}");
}

#[tokio::test]
async fn an_injected_outage_stops_only_the_named_services_of_one_region() {
    let emulator = Emulator::start();
    let aws = warmstandby_aws::AwsContext::new(emulator.sdk_config("us-east-1").await);
    aws.calls().outage("us-east-1", &["EC2"]);
    let east = aws.ec2("us-east-1").describe_vpcs().send().await;
    assert!(east.is_err(), "EC2 in us-east-1 is down");
    assert!(aws.ec2("us-west-2").describe_vpcs().send().await.is_ok(), "another region answers");
    assert!(aws.rds("us-east-1").describe_db_instances().send().await.is_ok(), "another service answers");
}

/// One read per service through the context's clients, each error as the
/// product classifies it: (service, code, class).
async fn one_read_per_service(aws: &warmstandby_aws::AwsContext) -> Vec<(&'static str, String, ErrorClass)> {
    macro_rules! seen {
        ($service:literal, $result:expr $(,)?) => {
            match $result {
                Ok(_) => ($service, "answered".to_string(), ErrorClass::Other),
                Err(e) => {
                    let e = warmstandby_aws::AwsError::from_sdk($service, &e);
                    ($service, e.code, e.class)
                }
            }
        };
    }
    let east = "us-east-1";
    vec![
        seen!("EC2", aws.ec2(east).describe_vpcs().send().await),
        seen!("RDS", aws.rds(east).describe_db_instances().send().await),
        seen!("ELBv2", aws.elbv2(east).describe_load_balancers().send().await),
        seen!("AutoScaling", aws.autoscaling(east).describe_auto_scaling_groups().send().await),
        seen!("IAM", aws.iam().list_roles().send().await),
        seen!("Route 53", aws.route53().list_hosted_zones().send().await),
        seen!("CloudFront", aws.cloudfront().list_distributions().send().await),
        seen!("CloudWatch", aws.cloudwatch(east).describe_alarms().send().await),
        seen!("ACM", aws.acm(east).list_certificates().send().await),
        seen!(
            "WAFV2",
            aws.wafv2_cloudfront().list_web_acls().scope(aws_sdk_wafv2::types::Scope::Cloudfront).send().await,
        ),
        seen!("SecretsManager", aws.secretsmanager(east).list_secrets().send().await),
        seen!("Backup", aws.backup(east).list_backup_vaults().send().await),
    ]
}

#[tokio::test]
async fn injected_faults_reach_the_sdk_as_each_services_own_errors() {
    let emulator = Emulator::start();
    let aws = warmstandby_aws::AwsContext::new(emulator.sdk_config("us-east-1").await);
    let late = std::time::Duration::from_secs(3);

    aws.calls().force_fault(Some(FaultKind::Throttled), late);
    let throttled = one_read_per_service(&aws).await;
    let codes: Vec<(&str, &str)> = throttled.iter().map(|(s, c, _)| (*s, c.as_str())).collect();
    assert_eq!(
        codes,
        [
            ("EC2", "RequestLimitExceeded"),
            ("RDS", "Throttling"),
            ("ELBv2", "Throttling"),
            ("AutoScaling", "Throttling"),
            ("IAM", "Throttling"),
            ("Route 53", "Throttling"),
            ("CloudFront", "Throttling"),
            ("CloudWatch", "Throttling"),
            ("ACM", "ThrottlingException"),
            ("WAFV2", "ThrottlingException"),
            ("SecretsManager", "ThrottlingException"),
            ("Backup", "ThrottlingException"),
        ],
        "each service's own throttling code, parsed from its own protocol"
    );
    assert!(throttled.iter().all(|(_, _, class)| *class == ErrorClass::Throttled), "{throttled:?}");

    for kind in [FaultKind::Internal, FaultKind::Unavailable] {
        aws.calls().force_fault(Some(kind), late);
        let failed = one_read_per_service(&aws).await;
        assert!(failed.iter().all(|(_, _, class)| *class == ErrorClass::Transient), "{kind:?}: {failed:?}");
    }

    aws.calls().force_fault(None, late);
    // A timed-out or dropped change landed although its caller saw an error.
    let timing_out = warmstandby_aws::AwsContext::new(
        emulator
            .sdk_config("us-east-1")
            .await
            .to_builder()
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .operation_attempt_timeout(std::time::Duration::from_secs(2))
                    .build(),
            )
            .build(),
    );
    for (kind, cidr, code) in
        [(FaultKind::TimedOut, "10.61.0.0/16", "Timeout"), (FaultKind::DroppedAfter, "10.62.0.0/16", "InjectedFault")]
    {
        timing_out.calls().force_fault(Some(kind), late);
        let created = timing_out.ec2("us-east-1").create_vpc().cidr_block(cidr).send().await;
        let error =
            warmstandby_aws::AwsError::from_sdk("ec2:CreateVpc", &created.expect_err("the caller sees an error"));
        assert_eq!((error.code.as_str(), error.class), (code, ErrorClass::Transient), "{kind:?}: {error}");
        timing_out.calls().force_fault(None, late);
        let vpcs = aws
            .ec2("us-east-1")
            .describe_vpcs()
            .filters(Filter::builder().name("cidr-block").values(cidr).build())
            .send()
            .await
            .expect("DescribeVpcs");
        assert_eq!(vpcs.vpcs().len(), 1, "{kind:?}: the change reached AWS");
    }
    assert_eq!(
        aws.calls().injected_by_kind().values().sum::<u64>()
            + timing_out.calls().injected_by_kind().values().sum::<u64>(),
        12 * 3 + 2
    );
}

/// More launch templates than moto's default page (it cut the answer at 15
/// with no NextToken, which hid every later stack's templates from the
/// fleet's listing): a page of 200, the most AWS returns, holds them all.
#[tokio::test]
async fn a_page_of_launch_templates_holds_more_than_fifteen() {
    let emulator = Emulator::start();
    let ec2 = aws_sdk_ec2::Client::new(&emulator.sdk_config("us-east-1").await);
    for i in 0..17 {
        ec2.create_launch_template()
            .launch_template_name(format!("page-{i:02}"))
            .launch_template_data(
                aws_sdk_ec2::types::RequestLaunchTemplateData::builder().instance_type("t3.micro".into()).build(),
            )
            .send()
            .await
            .expect("CreateLaunchTemplate");
    }
    let all = ec2.describe_launch_templates().max_results(200).send().await.expect("DescribeLaunchTemplates");
    assert_eq!(all.launch_templates().len(), 17, "one page of 200 holds them all");
}

/// The emulator's own checks of AWS's clock and replication health
/// (`emulator/test_timed.py`, boto3 against the wrapper): states, refusals,
/// ReplicaLag and StatusInfos, in the instant and the timed mode.
#[test]
fn the_emulators_aws_clock_and_replication_health_pass_their_own_checks() {
    let python = warmstandby_tests::emulator_python();
    assert!(python.exists(), "the emulator's python {} is missing: run scripts/emulator-setup", python.display());
    let script = warmstandby_tests::repo_root().join("emulator/test_timed.py");
    let out = std::process::Command::new(&python)
        .arg(&script)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let summary = text.lines().rev().find(|l| l.contains(" passed, ")).unwrap_or_default().to_string();
    println!("emulator self-test: {summary}");
    assert!(out.status.success() && summary.ends_with(" 0 failed"), "emulator/test_timed.py failed:\n{text}");
}
