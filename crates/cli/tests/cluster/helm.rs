//! The chart installed for real: Helm's own Go SDK (helm-python-sdk) lints
//! it, installs it into the real API server, upgrades it with changed
//! values, rolls it back and uninstalls it; the objects are checked on the
//! server after each step, and wrong values are refused at install. The
//! upgrade comes while a switchover is in flight, and the upgraded
//! operator finishes it.

use std::process::Command;
use std::time::Duration;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use serde_json::{Value, json};
use warmstandby_tests::{emulator_python, repo_root};

use kube::api::{Patch, PatchParams};

use crate::failover::{finished_moves, step};
use crate::support::{Scenario, apply, wait_for};

/// One action of `tests/tools/helm_release.py`: Ok(its JSON) or Err(Helm's error).
fn helm(s: &Scenario, namespace: &str, action: &[&str]) -> Result<Value, String> {
    let python = emulator_python();
    assert!(python.exists(), "{} missing: run scripts/emulator-setup (installs helm-python-sdk)", python.display());
    let out = Command::new(&python)
        .arg(repo_root().join("tests/tools/helm_release.py"))
        .arg(&s.api.kubeconfig)
        .args([namespace, "helm-e2e"])
        .args(action)
        .output()
        .expect("run Helm");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).to_string());
    }
    Ok(serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("Helm's answer: {e}")))
}

/// The object at `path` on the API server, if it exists.
async fn get(s: &Scenario, path: &str) -> Option<Value> {
    let req = http::Request::get(path).body(Vec::new()).expect("a request");
    match s.admin.request_text(req).await {
        Ok(text) => Some(serde_json::from_str(&text).expect("JSON from the API server")),
        Err(kube::Error::Api(e)) if e.code == 404 => None,
        Err(e) => panic!("GET {path}: {e}"),
    }
}

/// The Prometheus Operator's CRDs, as far as the API server needs them to
/// store the chart's ServiceMonitor and PrometheusRule.
fn monitoring_crd(kind: &str, plural: &str) -> CustomResourceDefinition {
    serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.monitoring.coreos.com")},
        "spec": {
            "group": "monitoring.coreos.com",
            "names": {"kind": kind, "plural": plural, "singular": kind.to_lowercase(), "listKind": format!("{kind}List")},
            "scope": "Namespaced",
            "versions": [{"name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]
        }
    }))
    .expect("a CRD")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_chart_installs_upgrades_rolls_back_and_uninstalls_on_a_real_api_server() {
    // On AWS's time (a hundred times faster), so that a failover is still
    // in flight when the release is upgraded.
    let s = Scenario::start_with("helm", warmstandby_tests::Clock::Scaled(0.01)).await;
    let ns = format!("{}-release", s.ns);
    let chart = repo_root().join("charts/warmstandby");
    let chart = chart.to_str().expect("a UTF-8 path");

    let lint = helm(&s, &ns, &["lint", chart]).expect("helm lint");
    let severe: Vec<&Value> = lint["lint"]["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["severity"].as_i64().unwrap_or(3) >= 2)
        .collect();
    assert!(severe.is_empty() && lint["lint"]["errors"].as_array().is_none_or(Vec::is_empty), "lint: {lint}");

    for (kind, plural) in [("ServiceMonitor", "servicemonitors"), ("PrometheusRule", "prometheusrules")] {
        apply(&s.admin, &monitoring_crd(kind, plural)).await;
    }
    wait_for("the monitoring kinds to be served", Duration::from_secs(30), || async {
        get(&s, "/apis/monitoring.coreos.com/v1/prometheusrules").await.is_some()
            && get(&s, "/apis/monitoring.coreos.com/v1/servicemonitors").await.is_some()
    })
    .await;

    // Wrong values are refused before anything is created.
    let refused = helm(&s, &ns, &["install", chart, &json!({"replicaCount": "two"}).to_string()])
        .expect_err("a string replica count is refused");
    assert!(refused.contains("replicaCount"), "the error names the field: {refused}");

    // Install, with monitoring on.
    // The webhook's Service has no endpoints here (no kubelet runs pods):
    // with Ignore the API server admits what it cannot send to it.
    let values = json!({"serviceMonitor": {"enabled": true}, "prometheusRule": {"enabled": true},
                        "grafanaDashboard": {"enabled": true}, "webhook": {"failurePolicy": "Ignore"}});
    let installed_at = std::time::Instant::now();
    let installed = helm(&s, &ns, &["install", chart, &values.to_string()]).expect("helm install");
    assert_eq!(installed["release"]["revision"], 1, "{installed}");
    assert_eq!(installed["release"]["status"], "deployed", "{installed}");
    let full = "helm-e2e-warmstandby";
    let deployment_path = format!("/apis/apps/v1/namespaces/{ns}/deployments/{full}");
    for path in [
        format!("/api/v1/namespaces/{ns}/serviceaccounts/{full}"),
        format!("/api/v1/namespaces/{ns}/services/{full}-metrics"),
        format!("/api/v1/namespaces/{ns}/configmaps/{full}-dashboard"),
        format!("/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets/{full}"),
        format!("/apis/monitoring.coreos.com/v1/namespaces/{ns}/servicemonitors/{full}"),
        format!("/apis/monitoring.coreos.com/v1/namespaces/{ns}/prometheusrules/{full}"),
        format!("/apis/rbac.authorization.k8s.io/v1/clusterroles/{full}"),
        format!("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/{full}"),
        deployment_path.clone(),
    ] {
        assert!(get(&s, &path).await.is_some(), "installed: {path}");
    }
    let args = |d: &Value| -> Vec<String> {
        d["spec"]["template"]["spec"]["containers"][0]["args"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a.as_str().map(str::to_string))
            .collect()
    };
    let deployment = get(&s, &deployment_path).await.expect("the Deployment");
    assert!(args(&deployment).contains(&"--concurrency=4".to_string()), "{:?}", args(&deployment));
    assert_eq!(deployment["spec"]["replicas"], 2);

    // The release's operator, run as its Deployment runs it (its
    // ServiceAccount's token, in-cluster configuration, the Deployment's
    // arguments), takes the example stack to Ready.
    let op = s.operator_in_cluster_as("helm-pod", &ns, full, &deployment).await;
    let ex = s.examples();
    s.create(&ex).await;
    s.wait_ready("bookstore", Duration::from_secs(180)).await;
    println!(
        "benchmark, Helm install to stack Ready: {:.1} s (the release's operator with its own token)",
        installed_at.elapsed().as_secs_f64()
    );
    assert!(op.metrics().contains("warmstandby_leader 1"), "{}", op.log_tail(20));

    // A switchover is requested; while it promotes the standby, the release
    // is upgraded with changed values, which change the operator's
    // arguments, and the Deployment's new pod takes over from the old one.
    let patch = json!({"spec": {"activeRegion": "standby"}});
    s.stacks().patch("bookstore", &PatchParams::default(), &Patch::Merge(&patch)).await.expect("request a switchover");
    wait_for("the switchover to reach the promotion", Duration::from_secs(60), || async {
        step(&s.stack("bookstore").await).as_deref() == Some("promote")
    })
    .await;
    let upgraded = json!({"serviceMonitor": {"enabled": true}, "prometheusRule": {"enabled": true},
                          "grafanaDashboard": {"enabled": true}, "webhook": {"failurePolicy": "Ignore"},
                          "concurrency": 8, "resync": "2m"});
    let upgrading = std::time::Instant::now();
    let release = helm(&s, &ns, &["upgrade", chart, &upgraded.to_string()]).expect("helm upgrade");
    assert_eq!(release["release"]["revision"], 2, "{release}");
    let deployment = get(&s, &deployment_path).await.expect("the Deployment");
    let now = args(&deployment);
    assert!(now.contains(&"--concurrency=8".to_string()) && now.contains(&"--resync=2m".to_string()), "{now:?}");
    // As the kubelet replaces a pod: SIGTERM, the new pod started meanwhile.
    let mut op = op;
    let old = op.pid().expect("the old pod runs");
    let new = s.operator_in_cluster_as("helm-pod-2", &ns, full, &deployment).await;
    let _ = Command::new("kill").args(["-TERM", &old.to_string()]).status();
    assert!(op.wait_exit(Duration::from_secs(30)).await.is_some(), "the old pod stops on SIGTERM");
    let op = new;
    wait_for("the switchover to finish under the upgraded operator", Duration::from_secs(120), || async {
        finished_moves(&s.stack("bookstore").await) > 0
    })
    .await;
    let done = upgrading.elapsed();
    let st = s.stack("bookstore").await;
    let status = st.status.clone().expect("status");
    let moves: Vec<_> =
        status.failover_history.iter().map(|r| (r.kind.as_str(), r.outcome.as_str(), r.epoch)).collect();
    assert_eq!(moves, vec![("switchover", "Succeeded", 1)], "one move, finished once: {:?}", status.failover_history);
    assert_eq!(status.active_role, Some(warmstandby_api::RegionRole::Standby));
    s.wait_ready("bookstore", Duration::from_secs(120)).await;
    let st = s.stack("bookstore").await;
    assert_eq!(st.status.as_ref().and_then(|s| s.observed_generation), st.metadata.generation, "no reconcile lost");
    assert!(op.metrics().contains("warmstandby_leader 1"), "the new pod leads: {}", op.log_tail(20));
    println!(
        "benchmark, Helm upgrade changing the operator's arguments with a switchover in flight: the move finished \
         {:.1} s after the upgrade, once, by the new pod",
        done.as_secs_f64()
    );
    s.delete_all("bookstore", Duration::from_secs(180)).await;
    drop(op);

    // Roll back to the first revision.
    let rolled = helm(&s, &ns, &["rollback", "1"]).expect("helm rollback");
    assert_eq!(rolled["release"]["revision"], 3, "{rolled}");
    let deployment = get(&s, &deployment_path).await.expect("the Deployment");
    assert!(args(&deployment).contains(&"--concurrency=4".to_string()), "{:?}", args(&deployment));
    let history = helm(&s, &ns, &["history"]).expect("helm history");
    assert_eq!(history["history"].as_array().map(Vec::len), Some(3), "{history}");

    // Uninstall: the release's objects go, the CRDs stay (Helm never deletes them).
    helm(&s, &ns, &["uninstall"]).expect("helm uninstall");
    for path in [
        deployment_path.clone(),
        format!("/apis/monitoring.coreos.com/v1/namespaces/{ns}/prometheusrules/{full}"),
        format!("/apis/rbac.authorization.k8s.io/v1/clusterroles/{full}"),
    ] {
        assert!(get(&s, &path).await.is_none(), "uninstalled: {path}");
    }
    for crd in ["threetierstacks.warmstandby.dev", "regionpairs.warmstandby.dev", "failoverpolicies.warmstandby.dev"] {
        let path = format!("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd}");
        assert!(get(&s, &path).await.is_some(), "the CRD {crd} is kept");
    }
}
