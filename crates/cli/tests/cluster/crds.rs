//! The CRDs on a real API server: established, the examples accepted, and
//! what the schema can catch in `deploy/examples/invalid/` rejected by the
//! API server itself, naming the field.

use std::collections::BTreeMap;

use kube::api::{ApiResource, DynamicObject};
use warmstandby_api::{FailoverPolicy, RegionPair, ThreeTierStack};
use warmstandby_tests::repo_root;

use crate::support::Scenario;

/// Invalid examples the schema (OpenAPI bounds, patterns, CEL rules) rejects,
/// with the field the API server names. The others need more than one
/// object or AWS knowledge (overlaps, Secrets, references) and are caught by
/// the operator's validation, into the status.
pub(crate) const SCHEMA_CATCHES: &[(&str, &str)] = &[
    ("02-same-region.yaml", "spec.standby.region"),
    ("03-bad-region.yaml", "spec.primary.region"),
    ("09-storage-too-small.yaml", "spec.database.allocatedStorageGiB"),
    ("10-inline-password.yaml", "spec.database.password"),
    ("12-capacity-order.yaml", "spec.web.capacity"),
    ("13-standby-larger-than-active.yaml", "spec.api"),
    ("14-bad-zone-name.yaml", "spec.domain.zoneName"),
    ("15-db-instance-class.yaml", "spec.database.instanceClass"),
    ("17-port-out-of-range.yaml", "spec.web.port"),
    ("18-unknown-field.yaml", "spec.database.allocatedStorageGB"),
    ("19-ssh-open-to-world.yaml", "spec.bastion.allowedCidrs"),
    ("21-cdn-failover-code.yaml", "spec.cdn.failoverStatusCodes"),
    ("22-health-check-interval.yaml", "spec.healthCheck.intervalSeconds"),
    ("23-policy-without-detection.yaml", "spec.detection"),
    ("24-same-ami-in-both-regions.yaml", "spec.images.web"),
    ("25-several-errors-at-once.yaml", "spec.database.allocatedStorageGiB"),
    ("28-secret-recovery-window.yaml", "spec.database.credentials.recoveryWindowDays"),
    ("30-adopt-identifier.yaml", "spec.database.adopt.replica"),
    ("31-adopt-tier-name.yaml", "spec.web.adopt.standby.loadBalancer"),
];

fn resource_of(kind: &str) -> Option<ApiResource> {
    match kind {
        "RegionPair" => Some(ApiResource::erase::<RegionPair>(&())),
        "ThreeTierStack" => Some(ApiResource::erase::<ThreeTierStack>(&())),
        "FailoverPolicy" => Some(ApiResource::erase::<FailoverPolicy>(&())),
        _ => None,
    }
}

/// Dry-run creates every warmstandby document of `file` (as `kubectl apply
/// --dry-run=server` would, strict about unknown fields); returns the
/// API server's rejections.
async fn dry_run(s: &Scenario, file: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let mut rejections = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(&text) {
        let Ok(mut value) = <serde_json::Value as serde::Deserialize>::deserialize(doc) else { continue };
        let Some(ar) = value["kind"].as_str().and_then(resource_of) else { continue };
        let namespaced = value["kind"] != "RegionPair";
        if namespaced {
            value["metadata"]["namespace"] = s.ns.clone().into();
        }
        let obj: DynamicObject = serde_json::from_value(value).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        // Strict field validation, as kubectl applies by default.
        let req = api_request(&ar, namespaced.then_some(s.ns.as_str()), &obj);
        match s.admin.request_text(req).await {
            Ok(_) => {}
            Err(kube::Error::Api(e)) => rejections.push(e.message),
            Err(e) => panic!("{}: {e}", file.display()),
        }
    }
    rejections
}

fn api_request(ar: &ApiResource, ns: Option<&str>, obj: &DynamicObject) -> http::Request<Vec<u8>> {
    let base = match ns {
        Some(ns) => format!("/apis/{}/namespaces/{ns}/{}", ar.api_version, ar.plural),
        None => format!("/apis/{}/{}", ar.api_version, ar.plural),
    };
    http::Request::post(format!("{base}?dryRun=All&fieldValidation=Strict"))
        .header("Content-Type", "application/json")
        .body(serde_json::to_vec(obj).unwrap_or_default())
        .unwrap_or_else(|e| panic!("request: {e}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_server_rejects_what_the_schema_can_catch_with_the_field_path() {
    let s = Scenario::start("crds").await;
    // The examples are accepted as they are.
    for file in ["10-regionpair.yaml", "20-failoverpolicy.yaml", "30-bookstore.yaml"] {
        let rejected = dry_run(&s, &repo_root().join("deploy/examples").join(file)).await;
        assert!(rejected.is_empty(), "{file} is valid: {rejected:?}");
    }
    let expected: BTreeMap<&str, &str> = SCHEMA_CATCHES.iter().copied().collect();
    let mut files: Vec<_> = std::fs::read_dir(repo_root().join("deploy/examples/invalid"))
        .expect("deploy/examples/invalid")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let (mut report, mut wrong) = (Vec::new(), Vec::new());
    for path in &files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let rejected = dry_run(&s, path).await;
        report.push(format!(
            "{name}: {}",
            if rejected.is_empty() { "accepted".to_string() } else { rejected.join(" | ") }
        ));
        match expected.get(name) {
            Some(field)
                if !rejected
                    .iter()
                    .any(|m| m.contains(&format!("{field}:")) || m.contains(&format!("\"{field}\""))) =>
            {
                wrong.push(format!("{name}: the API server must reject it naming {field}; it said {rejected:?}"))
            }
            None if !rejected.is_empty() => {
                wrong.push(format!("{name}: the schema now catches it ({rejected:?}); add it to SCHEMA_CATCHES"))
            }
            _ => {}
        }
    }
    println!("invalid examples on the real API server:\n  {}", report.join("\n  "));
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));

    // Defaults visible: a stack giving only what is required comes back
    // from a server-side dry run with the defaults the operator applies.
    let minimal = serde_json::json!({
        "apiVersion": "warmstandby.dev/v1alpha1", "kind": "ThreeTierStack",
        "metadata": {"name": "minimal", "namespace": s.ns},
        "spec": {"regionPairRef": {"name": "pair"}, "domain": {"zoneName": "example.com"},
                 "images": {"web": {"primary": "ami-0123456789abcdef0"}, "api": {"primary": "ami-0123456789abcdef1"}},
                 "database": {"passwordSecretRef": {"name": "db"}}}
    });
    let ar = ApiResource::erase::<ThreeTierStack>(&());
    let obj: DynamicObject = serde_json::from_value(minimal).expect("a minimal stack");
    let stored =
        s.admin.request_text(api_request(&ar, Some(&s.ns), &obj)).await.expect("the minimal stack is accepted");
    let stored: serde_json::Value = serde_json::from_str(&stored).expect("the stored object");
    let spec = &stored["spec"];
    for (path, expected) in [
        ("/database/engineVersion", serde_json::json!("8.0")),
        ("/database/allocatedStorageGiB", serde_json::json!(22)),
        ("/database/passwordSecretRef/key", serde_json::json!("password")),
        ("/web/instanceType", serde_json::json!("t3.micro")),
        ("/web/capacity", serde_json::json!({"min": 1, "desired": 1, "max": 1})),
        ("/backup/retentionDays", serde_json::json!(35)),
        ("/cdn/priceClass", serde_json::json!("PriceClass_100")),
        ("/deletionPolicy", serde_json::json!("Delete")),
    ] {
        assert_eq!(spec.pointer(path), Some(&expected), "spec{path} defaulted by the API server: {spec}");
    }

    // What a stack adopts is fixed when it is created: the API server
    // refuses adding, changing or removing it later (CEL transition rules).
    let stacks: kube::Api<ThreeTierStack> = kube::Api::namespaced(s.admin.clone(), &s.ns);
    let mut adopting: ThreeTierStack = serde_json::from_value(serde_json::json!({
        "apiVersion": "warmstandby.dev/v1alpha1", "kind": "ThreeTierStack",
        "metadata": {"name": "adopting", "namespace": s.ns},
        "spec": {"regionPairRef": {"name": "pair"}, "domain": {"zoneName": "example.com"},
                 "images": {"web": {"primary": "ami-0123456789abcdef0"}, "api": {"primary": "ami-0123456789abcdef1"}},
                 "database": {"passwordSecretRef": {"name": "db"}, "adopt": {"writer": "shop-db"}}}
    }))
    .expect("an adopting stack");
    adopting = stacks.create(&kube::api::PostParams::default(), &adopting).await.expect("created with adopt");
    let refused = |edit: &dyn Fn(&mut ThreeTierStack)| {
        let mut changed = adopting.clone();
        edit(&mut changed);
        let stacks = stacks.clone();
        async move { stacks.replace("adopting", &kube::api::PostParams::default(), &changed).await }
    };
    // `adopt`, `adoptCertificates` or `adoptRecords`, each saying so.
    let says = "is set when the stack is created and cannot be";
    for (what, edit) in [
        ("removed", &(|s: &mut ThreeTierStack| s.spec.database.adopt = None) as &dyn Fn(&mut ThreeTierStack)),
        ("changed", &|s: &mut ThreeTierStack| {
            s.spec.database.adopt = Some(warmstandby_api::DatabaseAdoption { writer: "other-db".into(), replica: None })
        }),
        ("added", &|s: &mut ThreeTierStack| s.spec.waf.adopt = Some("shop-acl".into())),
        ("added to a tier", &|s: &mut ThreeTierStack| {
            let names = warmstandby_api::TierResources {
                load_balancer: "web-alb".into(),
                target_group: "web-targets".into(),
                launch_template: "web-template".into(),
                auto_scaling_group: "web-servers".into(),
            };
            s.spec.web.adopt = Some(warmstandby_api::TierAdoption { primary: names.clone(), standby: names })
        }),
        ("added to the distribution", &|s: &mut ThreeTierStack| s.spec.cdn.adopt = Some("E2QWRUHAPOMQZL".into())),
        ("added to the private zones", &|s: &mut ThreeTierStack| {
            s.spec.database.private_dns.adopt =
                Some(warmstandby_api::PrivateZoneAdoption { primary: "Z1PRIMARY".into(), standby: "Z2STANDBY".into() })
        }),
        ("certificates added", &|s: &mut ThreeTierStack| {
            s.spec.domain.adopt_certificates = Some(warmstandby_api::CertificateAdoption {
                primary: Some("arn:aws:acm:us-east-1:123456789012:certificate/console".into()),
                ..Default::default()
            })
        }),
        ("records adopted later", &|s: &mut ThreeTierStack| s.spec.domain.adopt_records = true),
    ] {
        match refused(edit).await {
            Err(kube::Error::Api(e)) => assert!(e.message.contains(says), "{what}: {}", e.message),
            other => panic!("{what}: the API server must refuse it: {other:?}"),
        }
    }
    let mut other_change = adopting.clone();
    other_change.spec.web.port = 8081;
    stacks
        .replace("adopting", &kube::api::PostParams::default(), &other_change)
        .await
        .expect("other fields change freely");
}
