//! The validating admission webhook on the real API server. The chart's
//! ValidatingWebhookConfiguration, pointed at the operator on loopback by
//! URL (there is no kubelet to back its Service); the operator, as its
//! ServiceAccount, issues its own CA and serving certificate and writes the
//! CA into the configuration. Every invalid example is then refused at
//! `kubectl apply --dry-run=server` with its exact error (the webhook's, in
//! the CLI's words, or the schema's naming the field), the valid ones pass,
//! and with the webhook down deletions, finalizers and status writes still
//! go through.

use std::time::Duration;

use k8s_openapi::api::admissionregistration::v1::ValidatingWebhookConfiguration;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{ApiResource, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde_json::{Value, json};
use warmstandby_api::{FailoverPolicy, RegionPair, ThreeTierStack};
use warmstandby_tests::repo_root;

use warmstandby_tests::cluster::free_port;

use crate::support::{SYSTEM_NS, Scenario, chart_documents, wait_for};

/// The webhook configuration of the test, deleted however the test ends
/// (with `Fail` and the operator gone it would refuse every later create).
struct Registered {
    kubeconfig: std::path::PathBuf,
    name: String,
}

impl Drop for Registered {
    fn drop(&mut self) {
        let (kubeconfig, name) = (self.kubeconfig.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            rt.block_on(async {
                let Ok(config) = kube::config::Kubeconfig::read_from(&kubeconfig) else { return };
                let options = kube::config::KubeConfigOptions::default();
                let Ok(config) = kube::Config::from_custom_kubeconfig(config, &options).await else { return };
                let Ok(client) = Client::try_from(config) else { return };
                let api: Api<ValidatingWebhookConfiguration> = Api::all(client);
                let _ = api.delete(&name, &DeleteParams::default()).await;
            });
        })
        .join();
    }
}

fn resource_of(kind: &str) -> Option<ApiResource> {
    match kind {
        "RegionPair" => Some(ApiResource::erase::<RegionPair>(&())),
        "ThreeTierStack" => Some(ApiResource::erase::<ThreeTierStack>(&())),
        "FailoverPolicy" => Some(ApiResource::erase::<FailoverPolicy>(&())),
        "Secret" => Some(ApiResource::erase::<Secret>(&())),
        _ => None,
    }
}

/// POSTs `obj` (dry run or for real, strict about unknown fields as
/// kubectl is); the API server's refusal if any.
async fn create(s: &Scenario, obj: &Value, dry_run: bool) -> Result<(), String> {
    let kind = obj["kind"].as_str().unwrap_or_default();
    let ar = resource_of(kind).unwrap_or_else(|| panic!("a kind of the examples: {kind}"));
    let ns = obj["metadata"]["namespace"].as_str();
    let base = match ns {
        Some(ns) => format!("/{}/namespaces/{ns}/{}", api_root(&ar), ar.plural),
        None => format!("/{}/{}", api_root(&ar), ar.plural),
    };
    let query = if dry_run { "?dryRun=All&fieldValidation=Strict" } else { "?fieldValidation=Strict" };
    let req = http::Request::post(format!("{base}{query}"))
        .header("Content-Type", "application/json")
        .body(serde_json::to_vec(obj).unwrap_or_default())
        .unwrap_or_else(|e| panic!("request: {e}"));
    match s.admin.request_text(req).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) => Err(e.message),
        Err(e) => panic!("{kind}: {e}"),
    }
}

fn api_root(ar: &ApiResource) -> String {
    if ar.group.is_empty() { format!("api/{}", ar.version) } else { format!("apis/{}", ar.api_version) }
}

async fn delete(s: &Scenario, obj: &Value) {
    let kind = obj["kind"].as_str().unwrap_or_default();
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    let ar = resource_of(kind).unwrap_or_else(|| panic!("a kind of the examples: {kind}"));
    let api: Api<DynamicObject> = match obj["metadata"]["namespace"].as_str() {
        Some(ns) => Api::namespaced_with(s.admin.clone(), ns, &ar),
        None => Api::all_with(s.admin.clone(), &ar),
    };
    let _ = api.delete(name, &DeleteParams::default()).await;
    wait_for(&format!("{kind} {name} to be gone"), Duration::from_secs(30), || async {
        api.get_opt(name).await.ok().flatten().is_none()
    })
    .await;
}

/// The documents of an example file, in this scenario's namespace.
fn documents(s: &Scenario, path: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::Deserializer::from_str(&text)
        .filter_map(|d| <Value as serde::Deserialize>::deserialize(d).ok())
        .filter(|v| v.is_object())
        .map(|mut v| {
            if v["kind"] != "RegionPair" {
                v["metadata"]["namespace"] = s.ns.clone().into();
            }
            v
        })
        .collect()
}

/// Applies a file as `kubectl apply --dry-run=server` would judge it with
/// what it references in place: each document dry-run, and created for real
/// when accepted, so the next ones find it. Returns the refusals; every
/// object created is deleted again.
async fn apply_file(s: &Scenario, path: &std::path::Path) -> Vec<String> {
    let mut refusals = Vec::new();
    let mut created = Vec::new();
    for doc in documents(s, path) {
        match create(s, &doc, true).await {
            Err(message) => refusals.push(message),
            Ok(()) => {
                create(s, &doc, false)
                    .await
                    .unwrap_or_else(|e| panic!("{}: accepted, then refused: {e}", path.display()));
                created.push(doc);
            }
        }
    }
    for doc in created.iter().rev() {
        delete(s, doc).await;
    }
    refusals
}

/// The chart's configuration, sent to `url` instead of its Service.
fn configuration(name: &str, url: &str) -> ValidatingWebhookConfiguration {
    let (_, mut doc) = chart_documents()
        .into_iter()
        .find(|(kind, _)| kind == "ValidatingWebhookConfiguration")
        .unwrap_or_else(|| panic!("deploy/operator.yaml has no ValidatingWebhookConfiguration"));
    doc["metadata"] = json!({"name": name});
    doc["webhooks"][0]["clientConfig"] = json!({"url": url});
    serde_json::from_value(doc).unwrap_or_else(|e| panic!("the chart's configuration: {e}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_webhook_refuses_every_invalid_example_at_apply_and_never_blocks_deletion() {
    let s = Scenario::start("webhook").await;
    let port = free_port();
    let name = format!("{}-webhook", s.ns);
    let configurations: Api<ValidatingWebhookConfiguration> = Api::all(s.admin.clone());
    configurations
        .create(&PostParams::default(), &configuration(&name, &format!("https://127.0.0.1:{port}/validate")))
        .await
        .expect("register the webhook");
    let _registered = Registered { kubeconfig: s.api.kubeconfig.clone(), name: name.clone() };
    let secret = format!("{}-webhook-tls", s.ns);
    let addr = format!("--webhook-addr=127.0.0.1:{port}");
    let (hosts, tls, config) = (
        "--webhook-hosts=127.0.0.1".to_string(),
        format!("--webhook-secret={secret}"),
        format!("--webhook-configuration={name}"),
    );
    let mut op = s.operator("hook-a", &[&addr, &hosts, &tls, &config]);

    // The operator's own CA reaches the configuration, and it answers.
    let started = std::time::Instant::now();
    wait_for("the CA in the configuration's caBundle", Duration::from_secs(60), || async {
        let c = configurations.get(&name).await.ok();
        c.and_then(|c| c.webhooks).and_then(|w| w.first().and_then(|h| h.client_config.ca_bundle.clone())).is_some()
    })
    .await;
    let valid_pair = json!({"apiVersion": "warmstandby.dev/v1alpha1", "kind": "RegionPair",
        "metadata": {"name": format!("{}-kept", s.ns)},
        "spec": {"primary": {"region": "us-east-1", "vpcCidr": "172.30.0.0/16"},
                 "standby": {"region": "us-west-2", "vpcCidr": "172.31.0.0/16"}}});
    wait_for("the webhook to answer", Duration::from_secs(30), || async {
        create(&s, &valid_pair, true).await.is_ok()
    })
    .await;
    println!(
        "benchmark, admission webhook: operator start to answering with its own certificate {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let stored =
        Api::<Secret>::namespaced(s.admin.clone(), SYSTEM_NS).get(&secret).await.expect("the certificate's Secret");
    assert_eq!(stored.type_.as_deref(), Some("kubernetes.io/tls"));

    // The valid examples pass.
    let examples = repo_root().join("deploy/examples");
    let mut files: Vec<_> =
        std::fs::read_dir(&examples).expect("deploy/examples").filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.retain(|p| p.extension().is_some_and(|e| e == "yaml"));
    files.sort();
    let mut made = Vec::new();
    for path in &files {
        for doc in documents(&s, path) {
            if resource_of(doc["kind"].as_str().unwrap_or_default()).is_none() {
                continue;
            }
            create(&s, &doc, true).await.unwrap_or_else(|e| panic!("{} is valid: {e}", path.display()));
            create(&s, &doc, false).await.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            made.push(doc);
        }
    }
    for doc in made.iter().rev() {
        delete(&s, doc).await;
    }

    // Every invalid example is refused with its exact error.
    let mut files: Vec<_> = std::fs::read_dir(examples.join("invalid"))
        .expect("deploy/examples/invalid")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let (mut by_webhook, mut by_schema, mut wrong) = (0, 0, Vec::new());
    for path in &files {
        let file = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let expected: Vec<String> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# expect: "))
            .map(|l| l.replace("bookstore/bookstore", &format!("{}/bookstore", s.ns)))
            .collect();
        let refusals = apply_file(&s, path).await;
        let schema = crate::crds::SCHEMA_CATCHES.iter().find(|(f, _)| *f == file).map(|(_, field)| *field);
        let webhook: Vec<&String> = refusals.iter().filter(|m| m.contains("denied the request")).collect();
        match schema {
            // The schema refuses these first, naming the field.
            Some(field)
                if refusals.iter().any(|m| m.contains(&format!("{field}:")) || m.contains(&format!("\"{field}\""))) =>
            {
                by_schema += 1
            }
            Some(field) => wrong.push(format!("{file}: the API server must refuse it naming {field}: {refusals:?}")),
            None => {
                let missing: Vec<&String> = expected
                    .iter()
                    .filter(|line| !webhook.iter().any(|m| m.lines().any(|l| l.ends_with(line.as_str()))))
                    .collect();
                if missing.is_empty() && !webhook.is_empty() {
                    by_webhook += 1;
                } else {
                    wrong.push(format!("{file}: the webhook must refuse it with {missing:?}; refusals {refusals:?}"));
                }
            }
        }
    }
    println!("invalid examples: {by_schema} refused by the schema, {by_webhook} by the webhook, of {}", files.len());
    assert!(wrong.is_empty(), "{}\n{}", wrong.join("\n"), op.log_tail(20));
    assert_eq!(by_schema + by_webhook, files.len(), "every invalid example is refused at apply");

    // Objects made before the webhook went down: a pair (with a finalizer,
    // as the operator sets them) and a stack that is invalid by now (its
    // Secret is gone: a rule it was admitted under no longer holds).
    create(&s, &valid_pair, false).await.expect("a valid pair");
    let pairs: Api<RegionPair> = Api::all(s.admin.clone());
    let pair_name = valid_pair["metadata"]["name"].as_str().unwrap_or_default().to_string();
    pairs
        .patch(
            &pair_name,
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"finalizers": ["warmstandby.dev/cleanup"]}})),
        )
        .await
        .expect("a finalizer while the webhook runs");

    // The webhook down: with failurePolicy Fail nothing new is admitted
    // unchecked, but deletion, finalizers and status writes go through.
    op.kill();
    let refused = create(
        &s,
        &json!({"apiVersion": "warmstandby.dev/v1alpha1", "kind": "RegionPair",
        "metadata": {"name": format!("{}-new", s.ns)},
        "spec": {"primary": {"region": "us-east-1", "vpcCidr": "172.32.0.0/16"},
                 "standby": {"region": "us-west-2", "vpcCidr": "172.33.0.0/16"}}}),
        true,
    )
    .await
    .expect_err("nothing is admitted unchecked");
    assert!(refused.contains("failed calling webhook"), "{refused}");
    pairs
        .patch_status(&pair_name, &PatchParams::default(), &Patch::Merge(json!({"status": {"phase": "Ready"}})))
        .await
        .expect("a status write with the webhook down");
    pairs
        .patch(
            &pair_name,
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"annotations": {"note": "kept"}}})),
        )
        .await
        .expect("a metadata change with the webhook down");
    pairs.delete(&pair_name, &DeleteParams::default()).await.expect("a deletion with the webhook down");
    pairs
        .patch(&pair_name, &PatchParams::default(), &Patch::Merge(json!({"metadata": {"finalizers": null}})))
        .await
        .expect("the finalizer removed with the webhook down");
    wait_for("the pair to be gone", Duration::from_secs(30), || async {
        pairs.get_opt(&pair_name).await.ok().flatten().is_none()
    })
    .await;

    // Every field explained: `kubectl explain` reads the API server's OpenAPI.
    let openapi = s
        .admin
        .request_text(
            http::Request::get("/openapi/v3/apis/warmstandby.dev/v1alpha1").body(Vec::new()).unwrap_or_default(),
        )
        .await
        .expect("the OpenAPI of the group");
    let openapi: Value = serde_json::from_str(&openapi).expect("OpenAPI JSON");
    let schemas = &openapi["components"]["schemas"];
    let stack = schemas
        .as_object()
        .and_then(|m| m.iter().find(|(k, _)| k.ends_with(".ThreeTierStack")).map(|(_, v)| v))
        .expect("the ThreeTierStack schema");
    for path in [
        "/properties/spec/properties/database/properties/allocatedStorageGiB",
        "/properties/spec/properties/web/properties/capacity",
        "/properties/status/properties/failover/properties/refused",
    ] {
        let description = stack.pointer(&format!("{path}/description")).and_then(Value::as_str).unwrap_or_default();
        assert!(!description.is_empty(), "{path} has a description in the served schema");
    }
}
