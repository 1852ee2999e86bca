//! `crds/` must match the API types; `warmstandby crd` prints the same.

use warmstandby_tests::repo_root;

const REGENERATE: &str = "run `scripts/crdgen` and commit the result";

#[test]
fn committed_crds_match_the_api_types() {
    let generated = warmstandby_api::crds_yaml().expect("CRDs render");
    for file in ["crds/warmstandby.yaml", "charts/warmstandby/crds/warmstandby.yaml"] {
        let path = repo_root().join(file);
        let committed =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}; {REGENERATE}", path.display()));
        assert!(committed == generated, "{file} is stale: {REGENERATE}");
    }
}

#[tokio::test]
async fn crd_command_prints_the_committed_crds() {
    let (code, out, err) = crate::cli::run(&["crd"]).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, warmstandby_api::crds_yaml().unwrap());
}

#[test]
fn crds_carry_names_columns_and_server_side_checks() {
    let crds = warmstandby_api::all_crds();
    let by_kind = |kind: &str| crds.iter().find(|c| c.spec.names.kind == kind).expect(kind);
    let json = |kind: &str| serde_json::to_string(by_kind(kind)).unwrap();

    let rp = by_kind("RegionPair");
    assert_eq!(rp.spec.scope, "Cluster");
    assert_eq!(rp.spec.names.short_names.as_deref(), Some(&["rp".to_string()][..]));
    let tts = by_kind("ThreeTierStack");
    assert_eq!(tts.spec.scope, "Namespaced");
    assert_eq!(tts.spec.names.short_names.as_deref(), Some(&["tts".to_string()][..]));
    assert_eq!(by_kind("FailoverPolicy").spec.names.short_names.as_deref(), Some(&["fp".to_string()][..]));
    for crd in &crds {
        assert_eq!(crd.spec.group, "warmstandby.dev");
        assert_eq!(crd.spec.versions[0].name, "v1alpha1");
        assert_eq!(crd.spec.names.categories.as_deref(), Some(&["warmstandby".to_string()][..]));
        assert!(crd.spec.versions[0].subresources.as_ref().and_then(|s| s.status.as_ref()).is_some());
    }
    let columns: Vec<&str> =
        tts.spec.versions[0].additional_printer_columns.as_ref().unwrap().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(columns, ["Ready", "Phase", "Active", "Drift", "Age"]);

    let stack = json("ThreeTierStack");
    // CEL rules and OpenAPI bounds that the API server enforces before the operator runs.
    for needle in [
        r#""rule":"self.min <= self.desired && self.desired <= self.max""#,
        r#""message":"inline passwords are refused; put the password in a Secret and set spec.database.passwordSecretRef""#,
        r#""rule":"self == 10 || self == 30""#,
        r#""x-kubernetes-list-map-keys":["type"]"#,
        r#""x-kubernetes-list-type":"map""#,
        r#""allocatedStorageGiB":{"default":22"#,
        r#""maximum":65536"#,
        r#""pattern":"^ami-[0-9a-f]{8,17}$""#,
    ] {
        assert!(stack.contains(needle), "ThreeTierStack CRD lacks {needle}");
    }
    let pair = json("RegionPair");
    assert!(pair.contains(r#""rule":"self.spec.primary.region != self.spec.standby.region""#));
    assert!(json("FailoverPolicy").contains(r#""message":"enable at least one detection source""#));
}

/// Every spec and status field explains itself to `kubectl explain` and to
/// editors: its schema has a description (with its unit, default and
/// limits where it has them).
#[test]
fn every_field_has_a_description() {
    fn walk(schema: &serde_json::Value, path: &str, fields: &mut usize, missing: &mut Vec<String>) {
        for (name, property) in schema["properties"].as_object().into_iter().flatten() {
            *fields += 1;
            let here = format!("{path}.{name}");
            if property["description"].as_str().is_none_or(|d| d.trim().is_empty()) {
                missing.push(here.clone());
            }
            walk(property, &here, fields, missing);
        }
        if schema["items"].is_object() {
            walk(&schema["items"], &format!("{path}[]"), fields, missing);
        }
        if schema["additionalProperties"].is_object() {
            walk(&schema["additionalProperties"], &format!("{path}{{}}"), fields, missing);
        }
    }
    let (mut fields, mut missing) = (0, Vec::new());
    for crd in warmstandby_api::all_crds() {
        for version in &crd.spec.versions {
            let schema = serde_json::to_value(version.schema.as_ref().and_then(|s| s.open_api_v3_schema.as_ref()))
                .expect("a schema");
            walk(&schema, &crd.spec.names.kind, &mut fields, &mut missing);
        }
    }
    assert!(fields > 300, "only {fields} fields found");
    assert!(missing.is_empty(), "fields without a description ({} of {fields}): {missing:#?}", missing.len());
}

/// The API server fills in defaults from the schema (structural defaulting):
/// each absent property with a `default` gets it, then its own properties do.
fn apply_schema_defaults(schema: &serde_json::Value, value: &mut serde_json::Value) {
    let Some(object) = value.as_object_mut() else { return };
    for (name, property) in schema["properties"].as_object().into_iter().flatten() {
        if !object.contains_key(name)
            && let Some(default) = property.get("default")
        {
            object.insert(name.clone(), default.clone());
        }
        if let Some(child) = object.get_mut(name) {
            apply_schema_defaults(property, child);
        }
    }
}

/// Every field of `operator` (the manifest as the operator reads it, its
/// defaults filled in) that `server` (as the API server stores it) lacks or
/// shows differently.
fn differences(operator: &serde_json::Value, server: &serde_json::Value, path: &str, out: &mut Vec<String>) {
    match (operator, server) {
        (serde_json::Value::Object(o), serde_json::Value::Object(s)) => {
            for (k, v) in o {
                match s.get(k) {
                    Some(w) => differences(v, w, &format!("{path}.{k}"), out),
                    None => out.push(format!("{path}.{k}: the operator uses {v}, the stored object has nothing")),
                }
            }
        }
        (o, s) if o != s => out.push(format!("{path}: the operator uses {o}, the stored object shows {s}")),
        _ => {}
    }
}

/// Defaults visible: for a manifest giving only what is required, the
/// object the API server stores (the schema's defaults applied) carries
/// every default the operator applies, so `kubectl get -o yaml` shows what
/// will be built.
#[test]
fn the_schema_carries_every_default_the_operator_applies() {
    use serde_json::json;
    let minimal = [
        (
            "RegionPair",
            json!({"primary": {"region": "us-east-1", "vpcCidr": "10.0.0.0/16"},
                   "standby": {"region": "us-west-2", "vpcCidr": "10.1.0.0/16"}}),
        ),
        (
            "ThreeTierStack",
            json!({"regionPairRef": {"name": "pair"}, "domain": {"zoneName": "example.com"},
                   "images": {"web": {"primary": "ami-0123456789abcdef0"}, "api": {"primary": "ami-0123456789abcdef1"}},
                   "database": {"passwordSecretRef": {"name": "db"}}}),
        ),
        ("FailoverPolicy", json!({})),
    ];
    let crds = warmstandby_api::all_crds();
    let mut found = Vec::new();
    for (kind, spec) in minimal {
        let crd = crds.iter().find(|c| c.spec.names.kind == kind).expect(kind);
        let schema =
            serde_json::to_value(crd.spec.versions[0].schema.as_ref().and_then(|s| s.open_api_v3_schema.as_ref()))
                .expect("a schema");
        let operator = match kind {
            "RegionPair" => {
                serde_json::to_value(serde_json::from_value::<warmstandby_api::RegionPairSpec>(spec.clone()).unwrap())
            }
            "ThreeTierStack" => serde_json::to_value(
                serde_json::from_value::<warmstandby_api::ThreeTierStackSpec>(spec.clone()).unwrap(),
            ),
            _ => serde_json::to_value(
                serde_json::from_value::<warmstandby_api::FailoverPolicySpec>(spec.clone()).unwrap(),
            ),
        }
        .expect("the spec serializes");
        let mut server = spec.clone();
        apply_schema_defaults(&schema["properties"]["spec"], &mut server);
        differences(&operator, &server, &format!("{kind}.spec"), &mut found);
    }
    assert!(found.is_empty(), "defaults the schema does not show:\n{}", found.join("\n"));
}
