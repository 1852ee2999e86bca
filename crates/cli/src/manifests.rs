//! Reading manifests: a file or a directory of `.yaml`/`.yml`/`.json` files,
//! multi-document, with the warmstandby kinds and `v1/Secret`.
//!
//! Unknown fields are errors (as with `kubectl apply`'s strict validation), so
//! a misspelt field is never silently ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::Secret;
use kube::Resource;
use serde::de::DeserializeOwned;
use warmstandby_api::{API_VERSION, FailoverPolicy, RegionPair, ThreeTierStack};
use warmstandby_core::secret::PasswordLookup;
use warmstandby_core::validate::StackInputs;

/// Namespace of namespaced objects whose manifest names none (as kubectl).
pub const DEFAULT_NAMESPACE: &str = "default";

/// Every object read, by kind; names are unique per kind and namespace.
#[derive(Clone, Default, Debug)]
pub struct ManifestSet {
    pub region_pairs: Vec<RegionPair>,
    pub stacks: Vec<ThreeTierStack>,
    pub policies: Vec<FailoverPolicy>,
    /// Secrets are kept only to resolve references; they are never printed.
    pub secrets: Vec<Secret>,
}

/// Problems reading manifests: one line each, with file and document.
#[derive(Debug, Default)]
pub struct LoadErrors(pub Vec<String>);

impl ManifestSet {
    pub fn region_pair(&self, name: &str) -> Option<&RegionPair> {
        self.region_pairs.iter().find(|p| p.metadata.name.as_deref() == Some(name))
    }

    pub fn policy(&self, namespace: &str, name: &str) -> Option<&FailoverPolicy> {
        self.policies
            .iter()
            .find(|p| p.metadata.namespace.as_deref() == Some(namespace) && p.metadata.name.as_deref() == Some(name))
    }

    /// The dereference step for a stack, from manifests instead of a cluster.
    pub fn stack_inputs<'a>(&'a self, stack: &'a ThreeTierStack) -> StackInputs<'a> {
        let namespace = stack.metadata.namespace.as_deref().unwrap_or(DEFAULT_NAMESPACE);
        let policy = stack.spec.failover_policy_ref.as_ref().and_then(|r| self.policy(namespace, &r.name));
        let password = match &stack.spec.database.password_secret_ref {
            None => PasswordLookup::NotReferenced,
            Some(r) => {
                let secret = self.secrets.iter().find(|s| {
                    s.metadata.namespace.as_deref() == Some(namespace) && s.metadata.name.as_deref() == Some(&r.name)
                });
                match secret {
                    None => PasswordLookup::SecretMissing,
                    Some(s) => warmstandby_core::secret::from_secret(s, &r.key),
                }
            }
        };
        StackInputs { stack, region_pair: self.region_pair(&stack.spec.region_pair_ref.name), policy, password }
    }

    /// The dereference step with the RegionPair as observed (its status
    /// carries the networks' IDs the stack builds on).
    pub fn stack_inputs_on<'a>(&'a self, stack: &'a ThreeTierStack, pair: Option<&'a RegionPair>) -> StackInputs<'a> {
        StackInputs { region_pair: pair, ..self.stack_inputs(stack) }
    }

    pub fn is_empty(&self) -> bool {
        self.region_pairs.is_empty() && self.stacks.is_empty() && self.policies.is_empty()
    }
}

/// Reads every manifest under `paths` (files, or directories read one level deep).
pub fn load(paths: &[PathBuf]) -> Result<ManifestSet, LoadErrors> {
    let mut files = Vec::new();
    let mut errors = LoadErrors::default();
    for path in paths {
        match manifest_files(path) {
            Ok(mut found) => files.append(&mut found),
            Err(e) => errors.0.push(e),
        }
    }
    let mut set = ManifestSet::default();
    for file in &files {
        match std::fs::read_to_string(file) {
            Ok(text) => load_text(&mut set, &mut errors, &file.display().to_string(), &text),
            Err(e) => errors.0.push(format!("{}: cannot read: {e}", file.display())),
        }
    }
    check_duplicates(&set, &mut errors);
    if errors.0.is_empty() { Ok(set) } else { Err(errors) }
}

fn manifest_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml" | "json")))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("{}: no .yaml, .yml or .json files in this directory", path.display()));
    }
    Ok(files)
}

/// Parses one file's documents into `set`.
pub fn load_text(set: &mut ManifestSet, errors: &mut LoadErrors, origin: &str, text: &str) {
    for (i, doc) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let at = format!("{origin} (document {})", i + 1);
        let value = match serde_yaml::Value::deserialize(doc) {
            Ok(serde_yaml::Value::Null) => continue,
            Ok(v) => v,
            Err(e) => {
                // The document stream cannot resynchronise after a syntax
                // error (it would yield the same error forever): stop here.
                errors.0.push(format!("{at}: not valid YAML: {e}"));
                break;
            }
        };
        let field = |name: &str| value.get(name).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let (api_version, kind) = (field("apiVersion"), field("kind"));
        let result = match (api_version.as_str(), kind.as_str()) {
            (API_VERSION, "RegionPair") => typed::<RegionPair>(value).map(|mut o| {
                ensure_uid(&mut o);
                set.region_pairs.push(o)
            }),
            (API_VERSION, "ThreeTierStack") => typed::<ThreeTierStack>(value).map(|mut o| {
                default_namespace(&mut o);
                ensure_uid(&mut o);
                set.stacks.push(o)
            }),
            (API_VERSION, "FailoverPolicy") => typed::<FailoverPolicy>(value).map(|mut o| {
                default_namespace(&mut o);
                ensure_uid(&mut o);
                set.policies.push(o)
            }),
            ("v1", "Secret") => typed::<Secret>(value).map(|mut o| {
                default_namespace(&mut o);
                set.secrets.push(o)
            }),
            ("", _) | (_, "") => Err(vec!["apiVersion and kind are required".to_string()]),
            (v, k) => Err(vec![format!(
                "unsupported object {v}/{k}: expected {API_VERSION} RegionPair, ThreeTierStack or FailoverPolicy, or v1 Secret"
            )]),
        };
        if let Err(problems) = result {
            let what = if kind.is_empty() { String::new() } else { format!(" {kind}") };
            for p in problems {
                errors.0.push(format!("{at}{what}: {p}"));
            }
        }
    }
}

use serde::Deserialize as _;

/// Deserializes with field paths in errors and unknown fields reported.
fn typed<T: DeserializeOwned>(value: serde_yaml::Value) -> Result<T, Vec<String>> {
    let mut unknown = Vec::new();
    let mut record = |path: serde_ignored::Path<'_>| unknown.push(path.to_string());
    let ignoring = serde_ignored::Deserializer::new(value, &mut record);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(ignoring);
    match parsed {
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            Err(vec![if path == "." { inner } else { format!("{path}: {inner}") }])
        }
        Ok(v) => {
            let unknown: Vec<String> =
                unknown.into_iter().filter(|p| !is_envelope_field(p)).map(|p| format!("{p}: unknown field")).collect();
            if unknown.is_empty() { Ok(v) } else { Err(unknown) }
        }
    }
}

/// Fields the typed objects consume implicitly (`apiVersion`, `kind`) or that
/// the operator owns (`status`, e.g. in a manifest exported with kubectl).
fn is_envelope_field(path: &str) -> bool {
    path == "apiVersion" || path == "kind" || path == "status" || path.starts_with("status.")
}

/// Objects read from files get a stable uid derived from kind, namespace and
/// name when they carry none, so standalone runs find what earlier runs made.
pub fn ensure_uid<K: Resource<DynamicType = ()>>(obj: &mut K) {
    let kind = K::kind(&());
    let meta = obj.meta_mut();
    if meta.uid.as_deref().unwrap_or_default().is_empty() {
        let id = format!(
            "{kind}/{}/{}",
            meta.namespace.as_deref().unwrap_or_default(),
            meta.name.as_deref().unwrap_or_default()
        );
        meta.uid = Some(uuid::Uuid::new_v5(&STANDALONE_UID_NAMESPACE, id.as_bytes()).to_string());
    }
}

/// Namespace of the derived uids (fixed forever: changing it would orphan resources).
const STANDALONE_UID_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x5d0c_9d3e_7a51_4c6b_9b1e_3f2a_8c4d_6e70);

fn default_namespace<K: Resource>(obj: &mut K) {
    let meta = obj.meta_mut();
    if meta.namespace.as_deref().unwrap_or_default().is_empty() {
        meta.namespace = Some(DEFAULT_NAMESPACE.to_string());
    }
}

fn check_duplicates(set: &ManifestSet, errors: &mut LoadErrors) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let ids = set
        .region_pairs
        .iter()
        .map(|o| format!("RegionPair {}", o.metadata.name.as_deref().unwrap_or_default()))
        .chain(set.stacks.iter().map(|o| format!("ThreeTierStack {}", object_id(o))))
        .chain(set.policies.iter().map(|o| format!("FailoverPolicy {}", object_id(o))))
        .chain(set.secrets.iter().map(|o| format!("Secret {}", object_id(o))));
    for id in ids {
        *seen.entry(id).or_default() += 1;
    }
    for (id, n) in seen {
        if n > 1 {
            errors.0.push(format!("{id} is defined {n} times"));
        }
    }
}

/// `namespace/name` of a namespaced object, `name` of a cluster-scoped one.
pub fn object_id<K: Resource>(obj: &K) -> String {
    let meta = obj.meta();
    let name = meta.name.as_deref().unwrap_or("<unnamed>");
    match meta.namespace.as_deref() {
        Some(ns) if !ns.is_empty() => format!("{ns}/{name}"),
        _ => name.to_string(),
    }
}
