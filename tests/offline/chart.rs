//! The Helm chart rendered offline (helm-python-sdk) with default and custom
//! values; RBAC checked against the permissions the code uses; `deploy/`
//! checked against the chart.

use std::process::Command;

use serde_json::{Value, json};
use serde_yaml::Value as Yaml;
use warmstandby_controller::operator::rbac::{
    CLUSTER_RULES, LEASE_RULES, Rule, WEBHOOK_CLUSTER_RULES, WEBHOOK_NAMESPACED_RULES,
};
use warmstandby_tests::{emulator_python, repo_root};

struct Rendered {
    docs: Vec<Yaml>,
    crds: usize,
}

/// The renderer's error for values the chart refuses.
fn render_error(values: Value) -> String {
    let out = Command::new(emulator_python())
        .arg(repo_root().join("tests/tools/render_chart.py"))
        .arg(repo_root().join("charts/warmstandby"))
        .args(["ws", "warmstandby-system", &values.to_string()])
        .output()
        .expect("run the chart renderer");
    assert!(!out.status.success(), "{values} was accepted");
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn render(values: Value) -> Rendered {
    let python = emulator_python();
    assert!(python.exists(), "{} missing: run scripts/emulator-setup (installs helm-python-sdk)", python.display());
    let out = Command::new(&python)
        .arg(repo_root().join("tests/tools/render_chart.py"))
        .arg(repo_root().join("charts/warmstandby"))
        .args(["ws", "warmstandby-system", &values.to_string()])
        .output()
        .expect("run the chart renderer");
    assert!(out.status.success(), "render failed: {}", String::from_utf8_lossy(&out.stderr));
    let parsed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut docs = Vec::new();
    for text in parsed["templates"].as_object().unwrap().values() {
        for doc in serde_yaml::Deserializer::from_str(text.as_str().unwrap()) {
            let v = <Yaml as serde::Deserialize>::deserialize(doc).unwrap();
            if !v.is_null() {
                docs.push(v);
            }
        }
    }
    Rendered { docs, crds: parsed["crds"].as_array().map_or(0, Vec::len) }
}

impl Rendered {
    fn find(&self, kind: &str) -> Option<&Yaml> {
        self.docs.iter().find(|d| d["kind"].as_str() == Some(kind))
    }

    fn named(&self, kind: &str, name: &str) -> Option<&Yaml> {
        self.docs.iter().find(|d| d["kind"].as_str() == Some(kind) && d["metadata"]["name"].as_str() == Some(name))
    }

    fn get(&self, kind: &str) -> &Yaml {
        self.find(kind).unwrap_or_else(|| panic!("no {kind} rendered"))
    }
}

fn strings(v: &Yaml) -> Vec<String> {
    v.as_sequence().map(|s| s.iter().filter_map(|x| x.as_str().map(String::from)).collect()).unwrap_or_default()
}

/// Every (group, resource, verb) the code needs is granted by `role`.
fn covers(role: &Yaml, needed: &[Rule]) {
    for rule in needed {
        for resource in rule.resources {
            for verb in rule.verbs {
                let granted = role["rules"].as_sequence().unwrap().iter().any(|r| {
                    strings(&r["apiGroups"]).iter().any(|g| g == rule.group)
                        && strings(&r["resources"]).iter().any(|x| x == resource)
                        && strings(&r["verbs"]).iter().any(|v| v == verb)
                });
                assert!(granted, "{} lacks {verb} on {}/{resource}", role["kind"].as_str().unwrap(), rule.group);
            }
        }
    }
    // And nothing more: least privilege.
    let needed_count: usize = needed.iter().map(|r| r.resources.len() * r.verbs.len()).sum();
    let granted_count: usize = role["rules"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|r| strings(&r["apiGroups"]).len() * strings(&r["resources"]).len() * strings(&r["verbs"]).len())
        .sum();
    assert_eq!(granted_count, needed_count, "{} grants more than the code uses", role["kind"].as_str().unwrap());
}

#[test]
fn default_values_render_a_hardened_operator_with_exact_rbac() {
    let r = render(json!({}));
    assert_eq!(r.crds, 1, "the CRDs ship in the chart's crds/");
    let d = r.get("Deployment");
    assert_eq!(d["spec"]["replicas"].as_i64(), Some(2));
    let pod = &d["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"].as_bool(), Some(true));
    let c = &pod["containers"][0];
    assert_eq!(c["image"].as_str(), Some("ghcr.io/warmstandby/warmstandby:0.1.0"));
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"].as_bool(), Some(true));
    assert_eq!(c["securityContext"]["allowPrivilegeEscalation"].as_bool(), Some(false));
    assert_eq!(c["livenessProbe"]["httpGet"]["path"].as_str(), Some("/healthz"));
    assert_eq!(c["readinessProbe"]["httpGet"]["path"].as_str(), Some("/readyz"));
    assert!(c["resources"]["limits"]["memory"].as_str().is_some());
    let args = strings(&c["args"]);
    assert_eq!(args[0], "operator");
    for a in [
        "--leader-elect=true",
        "--log-format=json",
        "--resync=5m",
        "--shared-read-window=30s",
        "--http-addr=0.0.0.0:8080",
    ] {
        assert!(args.contains(&a.to_string()), "args lack {a}: {args:?}");
    }
    assert!(!args.iter().any(|a| a.starts_with("--namespace")));
    covers(r.get("ClusterRole"), CLUSTER_RULES);
    covers(r.get("Role"), LEASE_RULES);
    assert!(r.get("ServiceAccount")["metadata"]["annotations"].is_null());
    // The admission webhook, on by default, with the operator's own certificate.
    for a in [
        "--webhook-addr=0.0.0.0:9443",
        "--webhook-configuration=ws-warmstandby",
        "--webhook-secret=ws-warmstandby-webhook-tls",
    ] {
        assert!(args.contains(&a.to_string()), "args lack {a}: {args:?}");
    }
    covers(r.named("ClusterRole", "ws-warmstandby-webhook").expect("the webhook's ClusterRole"), WEBHOOK_CLUSTER_RULES);
    covers(r.named("Role", "ws-warmstandby-webhook").expect("the webhook's Role"), WEBHOOK_NAMESPACED_RULES);
    let hook = &r.get("ValidatingWebhookConfiguration")["webhooks"][0];
    assert_eq!(hook["failurePolicy"].as_str(), Some("Fail"));
    assert_eq!(strings(&hook["rules"][0]["operations"]), vec!["CREATE", "UPDATE"], "deletions never reach it");
    assert_eq!(hook["clientConfig"]["service"]["name"].as_str(), Some("ws-warmstandby-webhook"));
    assert!(r.find("Certificate").is_none(), "no cert-manager unless asked");
    assert!(r.find("ServiceMonitor").is_none());
}

#[test]
fn custom_values_reach_the_manifests() {
    let r = render(json!({
        "image": {"repository": "registry.example/ws", "tag": "1.2.3"},
        "replicaCount": 1,
        "leaderElection": {"enabled": false},
        "watchNamespace": "shop",
        "selector": "team=payments",
        "serviceAccount": {"roleArn": "arn:aws:iam::123456789012:role/warmstandby"},
        "serviceMonitor": {"enabled": true, "interval": "15s"},
        "aws": {"endpointUrl": "http://127.0.0.1:4566"},
        "webhook": {"certManager": {"enabled": true}, "failurePolicy": "Ignore"}
    }));
    let c = &r.get("Deployment")["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["image"].as_str(), Some("registry.example/ws:1.2.3"));
    let args = strings(&c["args"]);
    for a in ["--leader-elect=false", "--namespace=shop", "--selector=team=payments"] {
        assert!(args.contains(&a.to_string()), "args lack {a}: {args:?}");
    }
    let env = c["env"].as_sequence().unwrap();
    assert!(env.iter().any(|e| e["name"] == "AWS_ENDPOINT_URL" && e["value"] == "http://127.0.0.1:4566"));
    assert_eq!(
        r.get("ServiceAccount")["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].as_str(),
        Some("arn:aws:iam::123456789012:role/warmstandby")
    );
    assert!(
        r.named("Role", "ws-warmstandby-leader-election").is_none(),
        "no lease permissions without leader election"
    );
    assert_eq!(r.get("ServiceMonitor")["spec"]["endpoints"][0]["interval"].as_str(), Some("15s"));
    // cert-manager's certificate, mounted where the operator reads it, its CA injected.
    assert!(args.contains(&"--webhook-cert-dir=/var/run/warmstandby/webhook".to_string()), "{args:?}");
    assert!(!args.iter().any(|a| a.starts_with("--webhook-secret")), "{args:?}");
    assert_eq!(r.get("Certificate")["spec"]["secretName"].as_str(), Some("ws-warmstandby-webhook-tls"));
    assert_eq!(r.get("Issuer")["spec"]["selfSigned"], Yaml::Mapping(Default::default()));
    let config = r.get("ValidatingWebhookConfiguration");
    assert_eq!(
        config["metadata"]["annotations"]["cert-manager.io/inject-ca-from"].as_str(),
        Some("warmstandby-system/ws-warmstandby-webhook")
    );
    assert_eq!(config["webhooks"][0]["failurePolicy"].as_str(), Some("Ignore"));
    let volumes = &r.get("Deployment")["spec"]["template"]["spec"]["volumes"];
    assert_eq!(volumes[0]["secret"]["secretName"].as_str(), Some("ws-warmstandby-webhook-tls"));
}

#[test]
fn the_webhook_can_be_turned_off() {
    let r = render(json!({"webhook": {"enabled": false}}));
    let args = strings(&r.get("Deployment")["spec"]["template"]["spec"]["containers"][0]["args"]);
    assert!(!args.iter().any(|a| a.starts_with("--webhook")), "{args:?}");
    for kind in ["ValidatingWebhookConfiguration", "Certificate"] {
        assert!(r.find(kind).is_none(), "{kind} rendered with the webhook off");
    }
    assert!(r.named("ClusterRole", "ws-warmstandby-webhook").is_none(), "no webhook permissions when it is off");
    let refused = render_error(json!({"webhook": {"failurePolicy": "Sometimes"}}));
    assert!(refused.contains("failurePolicy"), "{refused}");
}

#[test]
fn plain_manifests_match_the_chart() {
    let python = emulator_python();
    let render = Command::new(&python)
        .arg(repo_root().join("tests/tools/render_chart.py"))
        .arg(repo_root().join("charts/warmstandby"))
        .args(["warmstandby", "warmstandby-system", "{}"])
        .output()
        .unwrap();
    assert!(render.status.success());
    let mut plain = Command::new(&python)
        .arg(repo_root().join("tests/tools/plain_manifests.py"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    plain.stdin.take().unwrap().write_all(&render.stdout).unwrap();
    let out = plain.wait_with_output().unwrap();
    let committed = std::fs::read_to_string(repo_root().join("deploy/operator.yaml")).unwrap();
    assert!(
        committed == String::from_utf8(out.stdout).unwrap(),
        "deploy/operator.yaml is stale: run scripts/render-deploy"
    );
}

/// Metric names an expression reads.
fn metrics_read(expr: &promql_parser::parser::Expr, out: &mut std::collections::BTreeSet<String>) {
    use promql_parser::parser::Expr;
    let selector = |vs: &promql_parser::parser::VectorSelector, out: &mut std::collections::BTreeSet<String>| {
        let named = vs.matchers.matchers.iter().find(|m| m.name == "__name__").map(|m| m.value.clone());
        if let Some(name) = vs.name.clone().or(named) {
            out.insert(name);
        }
    };
    match expr {
        Expr::Aggregate(a) => {
            metrics_read(&a.expr, out);
            if let Some(p) = &a.param {
                metrics_read(p, out);
            }
        }
        Expr::Unary(u) => metrics_read(&u.expr, out),
        Expr::Binary(b) => {
            metrics_read(&b.lhs, out);
            metrics_read(&b.rhs, out);
        }
        Expr::Paren(p) => metrics_read(&p.expr, out),
        Expr::Subquery(s) => metrics_read(&s.expr, out),
        Expr::VectorSelector(vs) => selector(vs, out),
        Expr::MatrixSelector(ms) => selector(&ms.vs, out),
        Expr::Call(c) => c.args.args.iter().for_each(|a| metrics_read(a, out)),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

/// Every metric the operator exports (its `# TYPE` lines; a histogram's
/// series are `_bucket`, `_sum` and `_count`).
fn exported_metrics() -> std::collections::BTreeSet<String> {
    let text = warmstandby_controller::operator::metrics::Metrics::default().render(&Default::default());
    let mut out = std::collections::BTreeSet::new();
    for line in text.lines().filter_map(|l| l.strip_prefix("# TYPE ")) {
        let mut parts = line.split_whitespace();
        let (Some(name), Some(kind)) = (parts.next(), parts.next()) else { continue };
        if kind == "histogram" {
            out.extend(["_bucket", "_sum", "_count"].map(|s| format!("{name}{s}")));
        } else {
            out.insert(name.to_string());
        }
    }
    out
}

/// The alerts and the dashboard: every expression parses as PromQL and
/// reads only metrics the operator exports, so renaming one fails here.
#[test]
fn alerts_and_dashboard_parse_and_read_only_the_operators_metrics() {
    let r = render(json!({"prometheusRule": {"enabled": true}, "grafanaDashboard": {"enabled": true}}));
    let exported = exported_metrics();
    assert!(exported.len() > 20 && exported.contains("warmstandby_leader"), "{exported:?}");
    let check = |what: &str, expr: &str| {
        let parsed =
            promql_parser::parser::parse(expr).unwrap_or_else(|e| panic!("{what}: {expr:?} is not PromQL: {e}"));
        let mut read = std::collections::BTreeSet::new();
        metrics_read(&parsed, &mut read);
        assert!(!read.is_empty(), "{what} reads no metric: {expr}");
        let unknown: Vec<_> = read.iter().filter(|m| !exported.contains(*m)).collect();
        assert!(unknown.is_empty(), "{what} reads metrics the operator does not export: {unknown:?}");
        read
    };

    let rule = r.get("PrometheusRule");
    let mut alerts = std::collections::BTreeSet::new();
    for group in rule["spec"]["groups"].as_sequence().expect("rule groups") {
        for a in group["rules"].as_sequence().expect("rules") {
            let name = a["alert"].as_str().expect("an alert name").to_string();
            check(&name, a["expr"].as_str().expect("an expression"));
            assert!(a["labels"]["severity"].as_str().is_some(), "{name} has a severity");
            for field in ["summary", "runbook"] {
                assert!(a["annotations"][field].as_str().is_some_and(|t| t.len() > 10), "{name} has a {field}");
            }
            alerts.insert(name);
        }
    }
    // What operator users expect to be told.
    for expected in [
        "WarmstandbyStackNotReady",
        "WarmstandbyDriftDetected",
        "WarmstandbyStandbyNotReady",
        "WarmstandbyReplicaLagOverBudget",
        "WarmstandbyFailoverStarted",
        "WarmstandbyFailoverRefused",
        "WarmstandbyLastMoveFailed",
        "WarmstandbyDrillOverdue",
        "WarmstandbyOperatorDown",
        "WarmstandbyNoLeader",
    ] {
        assert!(alerts.contains(expected), "{expected} among {alerts:?}");
    }

    let map = r.docs.iter().find(|d| d["kind"] == "ConfigMap" && d["metadata"]["labels"]["grafana_dashboard"] == "1");
    let map = map.expect("the dashboard ConfigMap, labelled for Grafana's sidecar");
    let dashboard: Value = serde_json::from_str(map["data"]["warmstandby.json"].as_str().expect("the dashboard JSON"))
        .expect("the dashboard is JSON");
    let mut read = std::collections::BTreeSet::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().into_iter().flatten() {
            read.extend(check(panel["title"].as_str().unwrap_or("a panel"), target["expr"].as_str().expect("expr")));
        }
    }
    for needed in [
        "warmstandby_object_phase",
        "warmstandby_active_role",
        "warmstandby_replica_lag_seconds",
        "warmstandby_rpo_budget_seconds",
        "warmstandby_failover_rto_seconds",
        "warmstandby_failover_rpo_seconds",
        "warmstandby_pass_aws_calls_total",
        "warmstandby_errors_total",
    ] {
        assert!(read.contains(needed), "the dashboard shows {needed}");
    }

    // Off by default.
    let plain = render(json!({}));
    assert!(plain.find("PrometheusRule").is_none());
    assert!(!plain.docs.iter().any(|d| d["metadata"]["labels"]["grafana_dashboard"] == "1"));
}

/// Two replicas are spread over nodes and zones and kept by a disruption
/// budget; one replica has no budget to block a drain with.
#[test]
fn replicas_are_spread_and_a_drain_leaves_one() {
    let r = render(json!({}));
    let deployment = r.get("Deployment");
    let selector = &deployment["spec"]["selector"]["matchLabels"];
    let pdb = r.get("PodDisruptionBudget");
    assert_eq!(pdb["spec"]["maxUnavailable"].as_i64(), Some(1));
    assert_eq!(&pdb["spec"]["selector"]["matchLabels"], selector, "the budget selects the operator's pods");
    let spread = deployment["spec"]["template"]["spec"]["topologySpreadConstraints"].as_sequence().expect("spread");
    let keys: Vec<&str> = spread.iter().filter_map(|c| c["topologyKey"].as_str()).collect();
    assert_eq!(keys, ["kubernetes.io/hostname", "topology.kubernetes.io/zone"]);
    assert!(
        spread
            .iter()
            .all(|c| c["whenUnsatisfiable"] == "ScheduleAnyway" && &c["labelSelector"]["matchLabels"] == selector)
    );
    let memory = deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["memory"].as_str();
    assert_eq!(memory, Some("96Mi"), "requests sized from the measured 80 MiB");
    let single = render(json!({"replicaCount": 1}));
    assert!(single.find("PodDisruptionBudget").is_none(), "one replica: no budget that would block a drain");
}

/// `values.schema.json`: wrong values fail at install with the field named.
#[test]
fn wrong_values_are_refused_naming_the_field() {
    for (values, field) in [
        (json!({"replicaCount": "two"}), "replicaCount"),
        (json!({"logging": {"format": "xml"}}), "format"),
        (json!({"resync": "five minutes"}), "resync"),
        (json!({"serviceAccount": {"roleArn": "my-role"}}), "roleArn"),
        (json!({"prometheusRule": {"enabled": "yes"}}), "enabled"),
        (json!({"replicas": 3}), "replicas"),
    ] {
        let error = render_error(values.clone());
        assert!(error.contains(field), "{values}: the error names {field}: {error}");
    }
}
