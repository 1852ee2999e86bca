//! `managementPolicy: Observe` through the operator: a stack that only
//! observes writes its full plan and drift into its status and events and
//! makes no mutating AWS call; switching to Manage converges; drift found
//! while observing is reported and left alone, then repaired under Manage;
//! deleting an observed stack leaves AWS as it is.

use std::time::Duration;

use aws_sdk_cloudwatch::types::StateValue;
use kube::api::{DeleteParams, Patch, PatchParams};
use serde_json::json;
use warmstandby_api::{ManagementPolicy, Phase, ThreeTierStack};

use crate::support::{Operator, Scenario, events, is_ready, wait_for};

/// The AWS calls the operator's stack passes made so far: (reads, mutating).
fn stack_calls(op: &Operator) -> (f64, f64) {
    let calls =
        |access| op.metric("warmstandby_pass_aws_calls_total", &[("kind", "ThreeTierStack"), ("access", access)]);
    (calls("read"), calls("mutating"))
}

async fn set_policy(s: &Scenario, policy: &str) -> i64 {
    let patch = json!({"spec": {"managementPolicy": policy}});
    let st = s.stacks().patch("bookstore", &PatchParams::default(), &Patch::Merge(&patch)).await.expect("patch");
    st.metadata.generation.unwrap_or_default()
}

/// A full pass now (an annotation brings one on at once).
async fn touch(s: &Scenario, value: &str) {
    let touch = json!({"metadata": {"annotations": {"warmstandby.dev/touched": value}}});
    s.stacks().patch("bookstore", &PatchParams::default(), &Patch::Merge(&touch)).await.expect("annotate the stack");
}

fn observing_with_plan(st: &ThreeTierStack, generation: Option<i64>) -> bool {
    st.status.as_ref().is_some_and(|s| {
        s.observed_generation == generation
            && s.phase == Some(Phase::Observing)
            && s.planned.as_ref().is_some_and(|p| p.count > 0)
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn an_observed_stack_plans_reports_and_changes_nothing_until_managed() {
    let s = Scenario::start("observe").await;
    let op = s.operator("op-observe", &[]);
    let mut ex = s.examples();
    ex.stack.spec.management_policy = ManagementPolicy::Observe;
    // The alarm alone decides (the emulator evaluates no health check).
    let d = &mut ex.policy.spec.detection;
    (d.route53_health_check, d.cloud_watch_alarm, d.required_signals) = (false, true, 1);
    d.health_check_interval_seconds = 10;
    s.create(&ex).await;

    // Observe: the whole plan in the status, not one mutating call.
    let planned_in = wait_for("the observed stack to report its plan", Duration::from_secs(120), || async {
        let st = s.stack("bookstore").await;
        observing_with_plan(&st, st.metadata.generation)
    })
    .await;
    let st = s.stack("bookstore").await;
    let status = st.status.clone().expect("status");
    let planned = status.planned.clone().expect("status.planned");
    let creates = planned.changes.iter().filter(|c| c.action == "create").count();
    assert_eq!(creates, planned.changes.len(), "a new stack is all creations: {planned:?}");
    assert!(planned.count > 50 && planned.note.is_none(), "nothing exists: the whole topology is planned: {planned:?}");
    for kind in ["SecurityGroup", "DbInstance"] {
        assert!(planned.changes.iter().any(|c| c.kind == kind), "{kind} is planned: {planned:?}");
    }
    let ready = status.conditions.iter().find(|c| c.type_ == "Ready").expect("Ready");
    assert_eq!((ready.status.as_str(), ready.reason.as_str()), ("False", "Observing"), "{}", ready.message);
    assert!(ready.message.contains(&format!("{} change(s) planned", planned.count)), "{}", ready.message);
    let (reads, mutating) = stack_calls(&op);
    assert!(reads > 0.0, "the stack was observed");
    assert_eq!(mutating, 0.0, "an observed stack makes no mutating AWS call");
    let evs = events(&s).await;
    assert!(
        evs.iter().any(|(kind, reason, note)| kind == "ThreeTierStack"
            && reason == "ChangesPlanned"
            && note.starts_with(&format!("observe only: {} change(s) an apply would make: ", planned.count))),
        "{evs:?}"
    );

    // `kubectl warmstandby plan` shows it from the cluster (exit code 2: changes).
    let plugin = crate::plugin::plugin_binary(&s);
    let (code, text) = crate::plugin::kubectl_warmstandby(&s, &plugin, &["plan", "bookstore"]).await;
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("observe only (managementPolicy: Observe)") && text.contains("  + us-east-1 DbInstance: create"),
        "{text}"
    );
    assert!(text.contains(&format!("{} change(s), 0 drift item(s).", planned.count)), "{text}");

    // Manage: the plan is applied and the stack converges.
    set_policy(&s, "Manage").await;
    let to_ready = s.wait_ready("bookstore", Duration::from_secs(180)).await;
    let st = s.stack("bookstore").await;
    assert!(st.status.as_ref().is_some_and(|s| s.planned.is_none()), "a managed stack has no status.planned");

    // Observe again: a matching stack is Ready, and drift is reported, not repaired.
    let generation = set_policy(&s, "Observe").await;
    wait_for("the stack to observe and match", Duration::from_secs(60), || async {
        let st = s.stack("bookstore").await;
        st.status.as_ref().is_some_and(|x| x.observed_generation == Some(generation) && x.planned.is_some())
            && is_ready(&st)
    })
    .await;
    let before = stack_calls(&op).1;
    let asg = aws_sdk_autoscaling::Client::new(&s.emulator.sdk_config("us-east-1").await);
    let group_name =
        |groups: &aws_sdk_autoscaling::operation::describe_auto_scaling_groups::DescribeAutoScalingGroupsOutput| {
            groups
                .auto_scaling_groups()
                .iter()
                .find(|g| g.auto_scaling_group_name().is_some_and(|n| n.contains("web")))
                .map(|g| (g.auto_scaling_group_name().unwrap_or_default().to_string(), g.max_size()))
        };
    let groups = asg.describe_auto_scaling_groups().send().await.expect("describe auto scaling groups");
    let (web, spec_max) = group_name(&groups).expect("the primary web group");
    asg.update_auto_scaling_group().auto_scaling_group_name(&web).max_size(9).send().await.expect("resize by hand");
    touch(&s, "drift").await;
    wait_for("the drift to be reported with its repair planned", Duration::from_secs(60), || async {
        let st = s.stack("bookstore").await;
        let found = st.status.as_ref().is_some_and(|x| x.drift.iter().any(|d| d.resource == web && d.found == "9"));
        found && observing_with_plan(&st, Some(generation))
    })
    .await;
    let st = s.stack("bookstore").await;
    let status = st.status.clone().expect("status");
    let planned = status.planned.clone().expect("status.planned");
    assert!(
        planned.changes.iter().any(|c| c.kind == "AutoScalingGroup" && c.description.contains(&web)),
        "the repair is planned: {planned:?}"
    );
    let drift = status.conditions.iter().find(|c| c.type_ == "DriftDetected").expect("DriftDetected");
    assert_eq!((drift.status.as_str(), drift.reason.as_str()), ("True", "DriftNotRepaired"));
    assert_eq!(stack_calls(&op).1, before, "observing drift changes nothing");
    let groups = asg.describe_auto_scaling_groups().send().await.expect("describe auto scaling groups");
    assert_eq!(group_name(&groups).map(|(_, max)| max), Some(Some(9)), "the hand change stays");
    let (code, text) = crate::plugin::kubectl_warmstandby(&s, &plugin, &["plan", "bookstore"]).await;
    assert_eq!(code, 2, "{text}");
    assert!(text.contains(&format!("drift: us-east-1 AutoScalingGroup {web} ")), "{text}");

    // Manage repairs it.
    set_policy(&s, "Manage").await;
    let repaired = s.wait_ready("bookstore", Duration::from_secs(60)).await;
    let (code, text) = crate::plugin::kubectl_warmstandby(&s, &plugin, &["plan", "bookstore"]).await;
    assert_eq!(code, 1, "a managed stack has no plan to review: {text}");
    assert!(text.contains("is managed: the operator applies its changes as it finds them"), "{text}");
    let groups = asg.describe_auto_scaling_groups().send().await.expect("describe auto scaling groups");
    assert_eq!(group_name(&groups).map(|(_, max)| max), Some(spec_max), "Manage repaired the group");

    // Observe with the active region failing: detection reports the move, nothing moves.
    let generation = set_policy(&s, "Observe").await;
    let before = stack_calls(&op).1;
    crate::failover::alarm(&s, StateValue::Alarm).await;
    touch(&s, "failing").await;
    let would = wait_for("the failover it would make in status.planned", Duration::from_secs(60), || async {
        let st = s.stack("bookstore").await;
        let planned =
            st.status.as_ref().filter(|x| x.observed_generation == Some(generation)).and_then(|x| x.planned.clone());
        planned.and_then(|p| p.changes.first().cloned()).is_some_and(|c| c.action == "failover")
    })
    .await;
    let st = s.stack("bookstore").await;
    let status = st.status.clone().expect("status");
    let first = status.planned.as_ref().and_then(|p| p.changes.first()).expect("a planned change");
    assert_eq!(first.description, "failover from us-east-1 to us-west-2", "{first:?}");
    assert!(status.failover.is_none() && status.failover_history.is_empty(), "nothing moved: {status:?}");
    assert_eq!(status.detection.as_ref().map(|d| d.failing.clone()), Some(vec!["alarm".to_string()]));
    assert_eq!(status.active_region.as_deref(), Some("us-east-1"));
    let evs = events(&s).await;
    assert!(
        evs.iter().any(|(_, reason, note)| reason == "FailureDetected"
            && note == "observe only, nothing is changed: failover from us-east-1 to us-west-2"),
        "{evs:?}"
    );
    assert!(!evs.iter().any(|(_, reason, _)| reason == "FailoverStarted"), "{evs:?}");
    assert_eq!(
        crate::failover::database(&s, "us-west-2", "standby").await.map(|(replica, _)| replica),
        Some(true),
        "the standby database is still a replica"
    );
    assert_eq!(stack_calls(&op).1, before, "detection while observing changes nothing");

    // Deleting an observed stack leaves AWS as it is.
    let before = stack_calls(&op).1;
    s.stacks().delete("bookstore", &DeleteParams::default()).await.expect("delete the stack");
    wait_for("the observed stack to go", Duration::from_secs(30), || async {
        s.stacks().get_opt("bookstore").await.ok().flatten().is_none()
    })
    .await;
    assert_eq!(stack_calls(&op).1, before, "deleting an observed stack changes nothing in AWS");
    let groups = asg.describe_auto_scaling_groups().send().await.expect("describe auto scaling groups");
    assert!(group_name(&groups).is_some(), "its resources are still there");
    let evs = events(&s).await;
    assert!(
        evs.iter().any(|(kind, reason, note)| kind == "ThreeTierStack"
            && reason == "Deleted"
            && note.contains("nothing was deleted in AWS (managementPolicy is Observe)")),
        "{evs:?}"
    );
    println!(
        "figures, observe only: plan in status {:.1} s after create; Observe -> Manage -> Ready {:.1} s; drift repaired {:.1} s after Manage; a failing region reported {:.1} s after the alarm",
        planned_in.as_secs_f64(),
        to_ready.as_secs_f64(),
        repaired.as_secs_f64(),
        would.as_secs_f64()
    );
}
