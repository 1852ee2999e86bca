//! The admission decision: the same validation as `validate` and the
//! reconciler, with the objects a stack references read from the API
//! server, every error at once in the words the CLI prints.

use k8s_openapi::api::core::v1::Secret;
use kube::core::DynamicObject;
use kube::core::admission::{AdmissionRequest, Operation};
use kube::{Api, Client, Resource};
use warmstandby_api::{FailoverPolicy, RegionPair, ThreeTierStack};
use warmstandby_core::secret::PasswordLookup;
use warmstandby_core::validate::{StackInputs, validate_policy, validate_region_pair, validate_stack};

/// What a request needs looked at: nothing (the operator's own writes,
/// deletions, changes outside the spec) or the object.
pub fn needs_review(request: &AdmissionRequest<DynamicObject>) -> bool {
    match request.operation {
        Operation::Create => true,
        Operation::Update => {
            let spec = |o: Option<&DynamicObject>| o.and_then(|o| o.data.get("spec")).cloned();
            let deleting = request.object.as_ref().is_some_and(|o| o.metadata.deletion_timestamp.is_some());
            // Finalizers, annotations, labels and status never change the
            // spec: a stack being deleted or one that was valid when made
            // must not be stuck by a rule that came later.
            !deleting && spec(request.object.as_ref()) != spec(request.old_object.as_ref())
        }
        Operation::Delete | Operation::Connect => false,
    }
}

/// The objects a stack references, as the API server has them now.
#[derive(Default)]
pub struct References {
    pub region_pair: Option<RegionPair>,
    pub policy: Option<FailoverPolicy>,
    pub password: Option<PasswordLookup>,
    /// A reference that could not be read (not: that does not exist): the
    /// stack is then left to the reconciler, which reports in status.
    pub unreadable: Option<String>,
}

/// Every error of `object` (of kind `kind`), one line each as the CLI
/// prints them; empty when it is valid. Objects of other kinds pass.
pub fn verdict(kind: &str, object: &DynamicObject, references: References) -> Result<Vec<String>, String> {
    let json = serde_json::to_value(object).map_err(|e| e.to_string())?;
    let id = |meta: &kube::core::ObjectMeta| match meta.namespace.as_deref() {
        Some(ns) if !ns.is_empty() => format!("{ns}/{}", meta.name.as_deref().unwrap_or("<unnamed>")),
        _ => meta.name.clone().unwrap_or_else(|| "<unnamed>".into()),
    };
    let lines = |kind: &str, id: String, errors: warmstandby_core::field::ValidationErrors| {
        errors.iter().map(|e| format!("{kind} {id}: {e}")).collect()
    };
    let parse = |what: &str| format!("the {what} does not match its schema");
    Ok(match kind {
        "RegionPair" => {
            let pair: RegionPair = serde_json::from_value(json).map_err(|e| format!("{}: {e}", parse(kind)))?;
            validate_region_pair(&pair).err().map(|e| lines(kind, id(pair.meta()), e)).unwrap_or_default()
        }
        "FailoverPolicy" => {
            let policy: FailoverPolicy = serde_json::from_value(json).map_err(|e| format!("{}: {e}", parse(kind)))?;
            validate_policy(&policy).err().map(|e| lines(kind, id(policy.meta()), e)).unwrap_or_default()
        }
        "ThreeTierStack" => {
            let stack: ThreeTierStack = serde_json::from_value(json).map_err(|e| format!("{}: {e}", parse(kind)))?;
            let inputs = StackInputs {
                stack: &stack,
                region_pair: references.region_pair.as_ref(),
                policy: references.policy.as_ref(),
                password: references.password.unwrap_or(PasswordLookup::NotReferenced),
            };
            validate_stack(inputs).err().map(|e| lines(kind, id(stack.meta()), e)).unwrap_or_default()
        }
        _ => Vec::new(),
    })
}

/// Reads what a stack references (its RegionPair, FailoverPolicy and
/// password Secret), as the reconciler does.
pub async fn references(client: &Client, kind: &str, object: &DynamicObject, namespace: &str) -> References {
    if kind != "ThreeTierStack" {
        return References::default();
    }
    let Ok(stack) = serde_json::to_value(object).and_then(serde_json::from_value::<ThreeTierStack>) else {
        return References::default();
    };
    let mut unreadable = None;
    let mut note = |what: String, e: kube::Error| {
        tracing::warn!(error = %e, "webhook: cannot read {what}; leaving the stack to the reconciler");
        unreadable.get_or_insert(format!("{what} could not be read ({e}); the operator checks it instead"));
    };
    let pair_name = &stack.spec.region_pair_ref.name;
    let region_pair = match Api::<RegionPair>::all(client.clone()).get_opt(pair_name).await {
        Ok(found) => found,
        Err(e) => {
            note(format!("RegionPair {pair_name:?}"), e);
            None
        }
    };
    let policy = match &stack.spec.failover_policy_ref {
        Some(r) => match Api::<FailoverPolicy>::namespaced(client.clone(), namespace).get_opt(&r.name).await {
            Ok(found) => found,
            Err(e) => {
                note(format!("FailoverPolicy {:?}", r.name), e);
                None
            }
        },
        None => None,
    };
    let password = match &stack.spec.database.password_secret_ref {
        None => PasswordLookup::NotReferenced,
        Some(r) => match Api::<Secret>::namespaced(client.clone(), namespace).get_opt(&r.name).await {
            Ok(None) => PasswordLookup::SecretMissing,
            Ok(Some(secret)) => warmstandby_core::secret::from_secret(&secret, &r.key),
            Err(e) => {
                note(format!("Secret {:?}", r.name), e);
                PasswordLookup::NotReferenced
            }
        },
    };
    References { region_pair, policy, password: Some(password), unreadable }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dynamic(yaml: &str) -> DynamicObject {
        serde_yaml::from_str(yaml).expect("an object")
    }

    const PAIR: &str = "apiVersion: warmstandby.dev/v1alpha1\nkind: RegionPair\nmetadata: {name: classic}\nspec:\n  \
                        primary: {region: us-east-1, vpcCidr: 172.20.0.0/16}\n  standby: {region: us-west-2, vpcCidr: 172.20.0.0/16}\n";

    #[test]
    fn a_region_pair_is_refused_with_the_clis_words() {
        let lines = verdict("RegionPair", &dynamic(PAIR), References::default()).expect("a verdict");
        assert_eq!(
            lines,
            vec![
                "RegionPair classic: spec.standby.vpcCidr: 172.20.0.0/16 overlaps the primary VPC 172.20.0.0/16; the two \
                 VPCs must not overlap (replication and peering need distinct ranges)"
                    .to_string()
            ]
        );
        let fixed = PAIR.replace(
            "standby: {region: us-west-2, vpcCidr: 172.20.0.0/16}",
            "standby: {region: us-west-2, vpcCidr: 172.21.0.0/16}",
        );
        assert_eq!(verdict("RegionPair", &dynamic(&fixed), References::default()), Ok(Vec::new()));
    }

    #[test]
    fn a_stack_without_its_references_is_refused_naming_them() {
        let stack = dynamic(
            "apiVersion: warmstandby.dev/v1alpha1\nkind: ThreeTierStack\nmetadata: {name: bookstore, namespace: shop}\nspec:\n  \
             regionPairRef: {name: elsewhere}\n  domain: {zoneName: bookstore.example.com}\n  images:\n    \
             web: {primary: ami-0a1b2c3d4e5f60718}\n    api: {primary: ami-0f1e2d3c4b5a69788}\n  \
             database: {passwordSecretRef: {name: bookstore-db}}\n",
        );
        let references = References { password: Some(PasswordLookup::SecretMissing), ..Default::default() };
        let lines = verdict("ThreeTierStack", &stack, references).expect("a verdict");
        assert!(
            lines.contains(
                &"ThreeTierStack shop/bookstore: spec.regionPairRef.name: RegionPair \"elsewhere\" not found"
                    .to_string()
            ),
            "{lines:?}"
        );
        assert!(lines.iter().any(|l| l.contains("spec.database.passwordSecretRef.name")), "{lines:?}");
        assert_eq!(verdict("ConfigMap", &stack, References::default()), Ok(Vec::new()), "other kinds pass");
    }

    #[test]
    fn only_creations_and_changes_of_the_spec_are_reviewed() {
        let review = |operation: &str, old: Option<&str>, new: &str| -> bool {
            let request = serde_json::json!({
                "uid": "u", "kind": {"group": "warmstandby.dev", "version": "v1alpha1", "kind": "RegionPair"},
                "resource": {"group": "warmstandby.dev", "version": "v1alpha1", "resource": "regionpairs"},
                "operation": operation, "userInfo": {}, "name": "classic",
                "object": serde_yaml::from_str::<serde_json::Value>(new).ok(),
                "oldObject": old.and_then(|o| serde_yaml::from_str::<serde_json::Value>(o).ok()),
            });
            needs_review(&serde_json::from_value(request).expect("a request"))
        };
        assert!(review("CREATE", None, PAIR));
        assert!(!review("UPDATE", Some(PAIR), &PAIR.replace("{name: classic}", "{name: classic, finalizers: [x]}")));
        assert!(review("UPDATE", Some(PAIR), &PAIR.replace("172.20.0.0/16}\n  standby", "172.22.0.0/16}\n  standby")));
        assert!(!review("DELETE", Some(PAIR), PAIR));
    }
}
