//! The examples through the real API server: the operator (the binary, as
//! the chart's ServiceAccount) takes them to Ready, applies a spec change,
//! and deletes everything to zero AWS resources. The same emulator first
//! runs the CLI's `apply --wait` and `destroy --wait`, so the figures printed
//! compare the two in one run.

use std::process::Command;
use std::time::{Duration, Instant};

use kube::ResourceExt;
use kube::api::{Patch, PatchParams};
use serde_json::json;
use warmstandby_tests::repo_root;

use crate::support::{Scenario, events, is_ready, metric_sum, wait_for};

/// Runs the `warmstandby` binary against the scenario's emulator; returns
/// (exit code, wall time, output).
fn cli(s: &Scenario, args: &[&str]) -> (i32, Duration, String) {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_warmstandby"))
        .args(args)
        .current_dir(repo_root())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_ENDPOINT_URL", &s.emulator.endpoint)
        .env("AWS_ACCESS_KEY_ID", &s.aws_key.0)
        .env("AWS_SECRET_ACCESS_KEY", &s.aws_key.1)
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run the warmstandby binary: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), started.elapsed(), text)
}

/// What one stack's steady state costs, from the operator's own metrics:
/// the AWS calls of the last pass of each object.
fn last_pass(op: &crate::support::Operator, kind: &str, object: &str) -> (f64, f64) {
    let text = op.metrics();
    let read =
        metric_sum(&text, "warmstandby_last_pass_aws_calls", &[("kind", kind), ("object", object), ("access", "read")]);
    let mutating = metric_sum(
        &text,
        "warmstandby_last_pass_aws_calls",
        &[("kind", kind), ("object", object), ("access", "mutating")],
    );
    (read, mutating)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_examples_go_to_ready_change_and_back_to_nothing() {
    let s = Scenario::start("lifecycle").await;

    // The CLI on the same emulator: the baseline for the operator's figures.
    let (code, cli_apply, out) = cli(&s, &["apply", "--wait", "-f", "deploy/examples/"]);
    assert_eq!(code, 0, "warmstandby apply --wait:\n{out}");
    let (code, cli_destroy, out) = cli(&s, &["destroy", "--wait", "-f", "deploy/examples/"]);
    assert_eq!(code, 0, "warmstandby destroy --wait:\n{out}");
    assert_eq!(s.leftovers().await, Vec::<String>::new(), "the CLI's destroy leaves nothing");

    let op = s.operator("op-a", &[]);
    let ex = s.examples();
    s.create(&ex).await;
    let to_ready = s.wait_ready("bookstore", Duration::from_secs(180)).await;
    let ready_calls = op.metric("warmstandby_aws_calls_total", &[]);
    let st = s.stack("bookstore").await;
    let status = st.status.clone().expect("status");
    assert!(st.finalizers().iter().any(|f| f == warmstandby_api::FINALIZER), "the finalizer is set");
    assert_eq!(status.active_region.as_deref(), Some("us-east-1"));
    assert!(status.endpoints.is_some(), "endpoints are reported: {status:?}");

    // Status is written by server-side apply under the operator's field manager.
    let managers: Vec<(String, String, String)> = st
        .managed_fields()
        .iter()
        .map(|m| {
            (
                m.manager.clone().unwrap_or_default(),
                m.operation.clone().unwrap_or_default(),
                m.subresource.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        managers.contains(&(warmstandby_api::FIELD_MANAGER.to_string(), "Apply".into(), "status".into())),
        "status is applied by {}: {managers:?}",
        warmstandby_api::FIELD_MANAGER
    );

    // Printer columns, as `kubectl get tts` shows them (the Table API).
    let table = table(&s, &format!("/apis/warmstandby.dev/v1alpha1/namespaces/{}/threetierstacks", s.ns)).await;
    let columns: Vec<&str> =
        table["columnDefinitions"].as_array().expect("columns").iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(columns, ["Name", "Ready", "Phase", "Active", "Drift", "Age"]);
    let row: Vec<String> = table["rows"][0]["cells"].as_array().expect("a row").iter().map(|c| c.to_string()).collect();
    assert_eq!(&row[..5], ["\"bookstore\"", "\"True\"", "\"Ready\"", "\"us-east-1\"", "0"], "{row:?}");

    // Events with stable reasons, about the stack and the pair.
    let events = events(&s).await;
    assert!(events.iter().any(|(kind, reason, _)| kind == "ThreeTierStack" && reason == "Created"), "{events:?}");
    assert!(events.iter().any(|(kind, reason, _)| kind == "RegionPair" && reason == "Created"), "{events:?}");
    for (_, reason, _) in &events {
        assert!(
            [
                "Created",
                "Updated",
                "DriftRepaired",
                "DriftDetected",
                "InvalidSpec",
                "ReconcileFailed",
                "DeletionBlocked",
                "Deleted"
            ]
            .contains(&reason.as_str())
                || reason.starts_with("Failover")
                || reason == "DrillRan",
            "unexpected event reason {reason}"
        );
    }

    // Steady state: one more pass of each with nothing to do (an annotation
    // brings it on at once), measured from the metrics.
    let passes = |kind: &'static str| op.metric("warmstandby_reconciles_total", &[("kind", kind)]);
    let before = (passes("ThreeTierStack"), passes("RegionPair"));
    let touch = json!({"metadata": {"annotations": {"warmstandby.dev/touched": "1"}}});
    s.stacks().patch("bookstore", &PatchParams::default(), &Patch::Merge(&touch)).await.expect("annotate the stack");
    s.pairs().patch(&s.pair, &PatchParams::default(), &Patch::Merge(&touch)).await.expect("annotate the pair");
    wait_for("a steady pass of the stack and of the pair", Duration::from_secs(30), || async {
        passes("ThreeTierStack") > before.0 && passes("RegionPair") > before.1
    })
    .await;
    let pair_label = s.pair.clone();
    let stack_label = format!("{}/bookstore", s.ns);
    let (stack_reads, stack_mutating) = last_pass(&op, "ThreeTierStack", &stack_label);
    let (pair_reads, pair_mutating) = last_pass(&op, "RegionPair", &pair_label);
    assert_eq!((stack_mutating, pair_mutating), (0.0, 0.0), "a steady pass changes nothing in AWS");

    // A spec change is applied in the next pass.
    let generation = st.metadata.generation.unwrap_or_default();
    let patch = json!({"spec": {"web": {"capacity": {"min": 2, "desired": 3, "max": 6}}}});
    s.stacks().patch("bookstore", &PatchParams::default(), &Patch::Merge(&patch)).await.expect("patch the spec");
    let change = wait_for("the capacity change to be applied and Ready", Duration::from_secs(60), || async {
        let st = s.stack("bookstore").await;
        st.metadata.generation == Some(generation + 1) && is_ready(&st)
    })
    .await;
    let asg = aws_sdk_autoscaling::Client::new(&s.emulator.sdk_config("us-east-1").await);
    let groups = asg.describe_auto_scaling_groups().send().await.expect("describe auto scaling groups");
    let web = groups
        .auto_scaling_groups()
        .iter()
        .find(|g| g.auto_scaling_group_name().is_some_and(|n| n.contains("web")))
        .expect("the primary web group");
    assert_eq!(web.desired_capacity(), Some(3), "the new capacity reached AWS");

    // The operator's memory with the examples.
    let memory = op.memory_mib();

    // Delete everything: finalizers run, the objects go, nothing is left in AWS.
    let to_gone = s.delete_all("bookstore", Duration::from_secs(180)).await;
    assert_eq!(s.leftovers().await, Vec::<String>::new(), "every AWS resource is gone");
    let log = op.log_text();
    assert!(
        !log.lines().any(|l| l.contains("WARN") && l.contains("reconcile failed")),
        "teardown in progress is not a failure:\n{}",
        op.log_tail(30)
    );
    let password = ex.secret.string_data.as_ref().and_then(|d| d.get("password")).cloned().unwrap_or_default();
    assert!(!password.is_empty() && !log.contains(&password), "the password never reaches the log");

    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64().max(0.001);
    println!(
        "figures, real API server + emulator (same run):\n\
         \x20 create to Ready:   operator {:>6.1} s   CLI apply --wait   {:>6.1} s   ratio {:.2} (target <= 1.5)\n\
         \x20 delete to gone:    operator {:>6.1} s   CLI destroy --wait {:>6.1} s   ratio {:.2} (target <= 1.5)\n\
         \x20 spec change to Ready again: {:.1} s\n\
         \x20 steady pass, ThreeTierStack: {} AWS calls ({} mutating) (target <= 32: 30 + 2 for the access family)\n\
         \x20 steady pass, RegionPair:     {} AWS calls ({} mutating) (target <= 16)\n\
         \x20 AWS calls from create to Ready: {}\n\
         \x20 operator memory with the examples: {}",
        to_ready.as_secs_f64(),
        cli_apply.as_secs_f64(),
        ratio(to_ready, cli_apply),
        to_gone.as_secs_f64(),
        cli_destroy.as_secs_f64(),
        ratio(to_gone, cli_destroy),
        change.as_secs_f64(),
        stack_reads + stack_mutating,
        stack_mutating,
        pair_reads + pair_mutating,
        pair_mutating,
        ready_calls,
        memory
            .map(|(rss, peak)| format!("{rss:.0} MiB resident, {peak:.0} MiB peak"))
            .unwrap_or_else(|| "unknown".into()),
    );
}

/// GETs `path` as a Table (what kubectl prints).
async fn table(s: &Scenario, path: &str) -> serde_json::Value {
    let req = http::Request::get(path)
        .header("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
        .body(Vec::new())
        .expect("a request");
    let text = s.admin.request_text(req).await.expect("the Table API answers");
    serde_json::from_str(&text).expect("a Table")
}

/// Run by hand against a cluster without the lease namespace, the operator
/// stops at once with one error that names the fix.
#[tokio::test(flavor = "multi_thread")]
async fn a_missing_lease_namespace_is_one_clear_error() {
    let s = Scenario::start("lease-namespace").await;
    let mut op = s.operator_as(&s.api.kubeconfig, "by-hand", &["--lease-namespace", "no-such-namespace"]);
    let code = op.wait_exit(Duration::from_secs(30)).await;
    let log = op.log_text();
    assert_eq!(code, Some(i32::from(warmstandby_cli::EXIT_FAILURE)), "the operator stops:\n{log}");
    assert!(log.contains("\"no-such-namespace\" does not exist"), "{log}");
    assert!(log.contains("--lease-namespace") && log.contains("kubectl create namespace no-such-namespace"), "{log}");
    assert!(!log.contains("lease renewal failed"), "no endless warnings:\n{log}");
}
