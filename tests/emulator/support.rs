//! Helpers for emulator tests: the example objects, passes until Ready, and
//! leak checks through each service's own describe calls.

use aws_sdk_ec2::types::Filter;
use warmstandby_api::{RegionPair, TAG_UID};
use warmstandby_aws::AwsContext;
use warmstandby_controller::{Intent, region_pair};
use warmstandby_tests::{Emulator, repo_root};

pub const REGIONS: [&str; 2] = ["us-east-1", "us-west-2"];

pub fn example_pair(uid: &str) -> RegionPair {
    let text = std::fs::read_to_string(repo_root().join("deploy/examples/10-regionpair.yaml")).unwrap();
    let mut pair: RegionPair = serde_yaml::from_str(&text).unwrap();
    pair.metadata.uid = Some(uid.to_string());
    pair.metadata.generation = Some(1);
    pair
}

pub async fn context(emulator: &Emulator) -> AwsContext {
    AwsContext::new(emulator.sdk_config("us-east-1").await)
}

/// A context whose calls fail at random: `percent` of attempts, evenly
/// over the fault kinds AWS produces (each service's throttling error, 500,
/// 503, answers after the client's 3 s attempt timeout, connections dropped
/// after the call landed); deterministic per seed. Its clients retry as the
/// operator's do (three attempts; the backoff is shortened for the test), so
/// what reaches the product is what survives the SDK's retries, and a
/// retried change that had landed meets itself.
pub async fn faulty_context(emulator: &Emulator, percent: u64, seed: u64) -> AwsContext {
    faulty_context_on(emulator.sdk_config("us-east-1").await, percent, seed)
}

/// As [`faulty_context`], on the given settings (another identity's).
pub fn faulty_context_on(config: aws_config::SdkConfig, percent: u64, seed: u64) -> AwsContext {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_secs(5))
        .operation_attempt_timeout(std::time::Duration::from_secs(3))
        .operation_timeout(std::time::Duration::from_secs(60))
        .build();
    let retries = aws_config::retry::RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(std::time::Duration::from_millis(50))
        .with_max_backoff(std::time::Duration::from_secs(1));
    let config = config.to_builder().timeout_config(timeouts).retry_config(retries).build();
    let aws = AwsContext::new(config);
    aws.calls().random_faults(percent, seed, std::time::Duration::from_secs(4));
    aws
}

/// The emulator as a real account treats the operator: IAM enforced, AWS's
/// request rates on, and settings signed by an IAM user holding exactly
/// `deploy/iam-policy.json` (or `policy` when given).
pub async fn least_privilege(emulator: &Emulator, policy: Option<&str>) -> aws_config::SdkConfig {
    let file = std::fs::read_to_string(repo_root().join("deploy/iam-policy.json")).expect("deploy/iam-policy.json");
    let key = emulator.iam_user("warmstandby-operator", policy.unwrap_or(&file)).await;
    emulator.set_iam_enforced(true);
    emulator.set_throttling(true, true);
    emulator.sdk_config_as("us-east-1", &key).await
}

pub async fn ec2(emulator: &Emulator, region: &str) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&emulator.sdk_config(region).await)
}

/// Reconcile passes (writing status back like the operator) until Ready.
pub async fn apply_until_ready(aws: &AwsContext, pair: &mut RegionPair) -> region_pair::PairOutcome {
    for _ in 0..6 {
        let outcome = region_pair::reconcile(aws, pair, Intent::Apply, "2026-01-01T00:00:00Z").await;
        assert!(outcome.errors.is_empty(), "AWS errors: {:?}", outcome.errors);
        pair.status = Some(outcome.status.clone());
        if outcome.is_ready() {
            return outcome;
        }
    }
    panic!("not Ready after 6 passes: {:?}", pair.status);
}

/// Owned network resources per region, counted by kind with each service's
/// own describe (the tagging API misses kinds in the emulator).
pub async fn owned_counts(emulator: &Emulator, uid: &str) -> Vec<(String, [usize; 6])> {
    let mut out = Vec::new();
    for region in REGIONS {
        let ec2 = ec2(emulator, region).await;
        let f = || Filter::builder().name(format!("tag:{TAG_UID}")).values(uid).build();
        let vpcs = ec2.describe_vpcs().filters(f()).send().await.unwrap().vpcs().len();
        let subnets = ec2.describe_subnets().filters(f()).send().await.unwrap().subnets().len();
        let igws = ec2.describe_internet_gateways().filters(f()).send().await.unwrap().internet_gateways().len();
        let eips = ec2.describe_addresses().filters(f()).send().await.unwrap().addresses().len();
        let nats = ec2
            .describe_nat_gateways()
            .filter(f())
            .send()
            .await
            .unwrap()
            .nat_gateways()
            .iter()
            .filter(|n| n.state().map(|s| s.as_str()) != Some("deleted"))
            .count();
        let tables = ec2.describe_route_tables().filters(f()).send().await.unwrap().route_tables().len();
        out.push((region.to_string(), [vpcs, subnets, igws, eips, nats, tables]));
    }
    out
}

/// One of each: VPC, 8 subnets, IGW, EIP, NAT, 2 route tables per region.
pub const CLASSIC_COUNTS: [usize; 6] = [1, 8, 1, 1, 1, 2];
