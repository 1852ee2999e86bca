//! Controller tests against a mock Kubernetes API (tower-test): each named
//! scenario states the requests the reconciler must make, in order, and
//! fails on a timeout instead of hanging.

use std::sync::Arc;
use std::time::Duration;

use kube::Resource;
use serde_json::json;
use warmstandby_api::{FINALIZER, RegionPair};
use warmstandby_aws::AwsContext;
use warmstandby_controller::operator::reconcilers::reconcile;
use warmstandby_tests::mock_api::{self, expect, expect_silence};
use warmstandby_tests::repo_root;

/// AWS settings that point nowhere: any AWS call would fail, and the call
/// counter shows whether one was attempted.
fn unreachable_aws() -> Arc<AwsContext> {
    let config = aws_types::SdkConfig::builder()
        .endpoint_url("http://127.0.0.1:9")
        .region(aws_types::region::Region::new("us-east-1"))
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    Arc::new(AwsContext::new(config))
}

fn context(leader: bool) -> (Arc<warmstandby_controller::operator::Context>, mock_api::Handle) {
    mock_api::context(leader, unreachable_aws())
}

fn pair() -> RegionPair {
    let text = std::fs::read_to_string(repo_root().join("deploy/examples/10-regionpair.yaml")).unwrap();
    let mut p: RegionPair = serde_yaml::from_str(&text).unwrap();
    p.metadata.uid = Some("11111111-2222-4333-8444-555555555555".into());
    p.metadata.generation = Some(1);
    p.metadata.resource_version = Some("100".into());
    p
}

#[tokio::test]
async fn scenario_new_object_gets_the_finalizer_first() {
    let (ctx, mut handle) = context(true);
    let p = pair();
    let mut with_finalizer = serde_json::to_value(&p).unwrap();
    with_finalizer["metadata"]["finalizers"] = json!([FINALIZER]);
    let task = tokio::spawn(reconcile::<RegionPair>(Arc::new(p), ctx.clone()));
    let patch = expect(
        &mut handle,
        "new object",
        "PATCH",
        "/apis/warmstandby.dev/v1alpha1/regionpairs/classic",
        with_finalizer,
    )
    .await;
    assert!(patch.to_string().contains(FINALIZER), "the patch adds the finalizer: {patch}");
    task.await.unwrap().expect("reconcile succeeds");
    expect_silence(&mut handle, "new object").await;
    assert_eq!(ctx.aws.calls().snapshot().total(), 0, "nothing is created in AWS before the finalizer is set");
}

#[tokio::test]
async fn scenario_invalid_spec_sets_conditions_and_a_warning_event_without_aws() {
    let (ctx, mut handle) = context(true);
    let mut p = pair();
    p.meta_mut().finalizers = Some(vec![FINALIZER.into()]);
    p.spec.standby.region = "us-east-1".into();
    let reply = serde_json::to_value(&p).unwrap();
    let task = tokio::spawn(reconcile::<RegionPair>(Arc::new(p), ctx.clone()));
    let status = expect(&mut handle, "invalid spec", "PATCH", "/regionpairs/classic/status", reply).await;
    let conditions = status["status"]["conditions"].as_array().unwrap();
    let valid = conditions.iter().find(|c| c["type"] == "SpecValid").unwrap();
    assert_eq!((valid["status"].as_str(), valid["reason"].as_str()), (Some("False"), Some("InvalidSpec")));
    assert!(valid["message"].as_str().unwrap().contains("spec.standby.region: must differ from spec.primary.region"));
    assert_eq!(status["status"]["phase"], "Failed");
    let event = expect(&mut handle, "invalid spec", "POST", "/events", json!({})).await;
    assert_eq!((event["type"].as_str(), event["reason"].as_str()), (Some("Warning"), Some("InvalidSpec")));
    task.await.unwrap().expect("an invalid spec is reported, not retried");
    assert_eq!(ctx.aws.calls().snapshot().total(), 0);
}

#[tokio::test]
async fn scenario_deletion_with_retain_removes_the_finalizer_without_aws() {
    let (ctx, mut handle) = context(true);
    let mut p = pair();
    p.spec.deletion_policy = warmstandby_api::DeletionPolicy::Retain;
    p.meta_mut().finalizers = Some(vec![FINALIZER.into()]);
    p.meta_mut().deletion_timestamp =
        Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(k8s_openapi::jiff::Timestamp::now()));
    let mut gone = serde_json::to_value(&p).unwrap();
    gone["metadata"]["finalizers"] = json!([]);
    let task = tokio::spawn(reconcile::<RegionPair>(Arc::new(p), ctx.clone()));
    let event = expect(&mut handle, "deletion", "POST", "/events", json!({})).await;
    assert_eq!(event["reason"], "Deleted");
    let patch = expect(&mut handle, "deletion", "PATCH", "/regionpairs/classic", gone).await;
    assert!(
        patch
            .as_array()
            .is_some_and(|ops| ops.iter().any(|op| op["op"] == "remove" && op["path"] == "/metadata/finalizers/0")),
        "{patch}"
    );
    task.await.unwrap().expect("cleanup succeeds");
    assert_eq!(ctx.aws.calls().snapshot().total(), 0);
}

#[tokio::test]
async fn scenario_a_follower_neither_calls_aws_nor_writes() {
    let (ctx, mut handle) = context(false);
    let action = reconcile::<RegionPair>(Arc::new(pair()), ctx.clone()).await.unwrap();
    assert_eq!(action, kube::runtime::controller::Action::requeue(Duration::from_secs(10)));
    expect_silence(&mut handle, "follower").await;
    assert_eq!(ctx.aws.calls().snapshot().total(), 0);
}

#[tokio::test]
async fn health_and_metrics_endpoints() {
    let (ctx, _handle) = context(true);
    let (status, _, _) = warmstandby_controller::operator::http::respond(&ctx, "/readyz");
    assert_eq!(status, "503 Service Unavailable", "not ready before the caches sync");
    ctx.set_ready();
    assert_eq!(warmstandby_controller::operator::http::respond(&ctx, "/readyz").0, "200 OK");
    assert_eq!(warmstandby_controller::operator::http::respond(&ctx, "/healthz").0, "200 OK");
    ctx.metrics.reconciled("RegionPair", "success", Duration::from_millis(20));
    let (status, content_type, body) = warmstandby_controller::operator::http::respond(&ctx, "/metrics");
    assert_eq!((status, content_type), ("200 OK", "text/plain; version=0.0.4"));
    assert!(body.contains("warmstandby_reconciles_total{kind=\"RegionPair\",outcome=\"success\"} 1"));
    assert_eq!(warmstandby_controller::operator::http::respond(&ctx, "/nope").0, "404 Not Found");
}
