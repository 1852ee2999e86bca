//! The operator's RegionPair reconcile on a mock Kubernetes API with real
//! AWS calls against the emulator: one status patch, with the right content.

use std::sync::Arc;

use kube::Resource;
use serde_json::json;
use warmstandby_api::FINALIZER;
use warmstandby_controller::operator::reconcilers::reconcile;
use warmstandby_tests::Emulator;
use warmstandby_tests::mock_api::{self, expect, expect_silence};

use crate::support::{context, example_pair};

#[tokio::test]
async fn scenario_reconcile_writes_one_status_patch_and_an_event() {
    let emulator = Emulator::start();
    let aws = Arc::new(context(&emulator).await);
    let (ctx, mut handle) = mock_api::context(true, aws.clone());
    let mut pair = example_pair("3f1c2a9e-0000-4000-8000-0000000000d1");
    pair.meta_mut().finalizers = Some(vec![FINALIZER.into()]);
    pair.meta_mut().resource_version = Some("7".into());
    let reply = serde_json::to_value(&pair).unwrap();
    let task = tokio::spawn(reconcile::<warmstandby_api::RegionPair>(Arc::new(pair), ctx.clone()));

    let patch = expect(&mut handle, "first reconcile", "PATCH", "/regionpairs/classic/status", reply).await;
    assert_eq!(patch["apiVersion"], "warmstandby.dev/v1alpha1");
    assert_eq!(patch["kind"], "RegionPair");
    let status = &patch["status"];
    assert_eq!(status["observedGeneration"], 1);
    let condition =
        |t: &str| status["conditions"].as_array().unwrap().iter().find(|c| c["type"] == t).cloned().unwrap();
    assert_eq!(condition("SpecValid")["status"], "True");
    assert_eq!(condition("Ready")["status"], "False", "a first pass creates, a later pass confirms");
    assert_eq!(condition("Progressing")["status"], "True");
    assert!(status["primary"]["vpcId"].as_str().is_some_and(|v| v.starts_with("vpc-")));
    assert_eq!(status["standby"]["subnetIds"].as_object().map(|m| m.len()), Some(8));

    let event = expect(&mut handle, "first reconcile", "POST", "/events", json!({})).await;
    assert_eq!((event["type"].as_str(), event["reason"].as_str()), (Some("Normal"), Some("Created")));
    let action = task.await.unwrap().expect("reconcile succeeds");
    assert_eq!(action, kube::runtime::controller::Action::requeue(warmstandby_controller::requeue::PROGRESS));
    expect_silence(&mut handle, "first reconcile").await;
    assert!(aws.calls().snapshot().mutating() > 0);
    let metrics = ctx.metrics.render(&aws.calls().snapshot());
    assert!(
        metrics.contains("warmstandby_aws_calls_total{service=\"EC2\",operation=\"CreateVpc\",outcome=\"ok\"} 2"),
        "{metrics}"
    );
}
