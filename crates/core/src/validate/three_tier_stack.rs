//! A ThreeTierStack: its references, and each part of its spec in turn.

use super::*;

pub fn validate_stack(inputs: StackInputs<'_>) -> Result<ValidatedStack, ValidationErrors> {
    validate_stack_for(inputs, false)
}

/// Validation for deleting a stack. Teardown needs where the stack lives and
/// what it is called, not how it would be built: the password Secret and the
/// FailoverPolicy may already be gone (`kubectl delete -f` removes a
/// directory's objects at once, and Secrets have no finalizer), so neither
/// is required; the password is never used by a teardown.
pub fn validate_stack_for_teardown(inputs: StackInputs<'_>) -> Result<ValidatedStack, ValidationErrors> {
    validate_stack_for(inputs, true)
}

pub(super) fn validate_stack_for(inputs: StackInputs<'_>, teardown: bool) -> Result<ValidatedStack, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let stack = inputs.stack;
    let name = stack.metadata.name.clone().unwrap_or_default();
    let namespace = stack.metadata.namespace.clone().unwrap_or_default();
    if name.is_empty() {
        errors.push("metadata.name", "is required");
    }
    if namespace.is_empty() {
        errors.push("metadata.namespace", "is required (ThreeTierStack is namespaced)");
    }
    let spec = &stack.spec;

    let pair = match inputs.region_pair {
        None => {
            errors.push("spec.regionPairRef.name", format!("RegionPair {:?} not found", spec.region_pair_ref.name));
            None
        }
        Some(pair) => match validate_region_pair(pair) {
            Ok(v) => Some(v),
            Err(e) => {
                errors.push(
                    "spec.regionPairRef.name",
                    format!(
                        "RegionPair {:?} is invalid ({} error(s), first: {})",
                        spec.region_pair_ref.name,
                        e.len(),
                        e.0[0]
                    ),
                );
                None
            }
        },
    };

    let policy = match (&spec.failover_policy_ref, inputs.policy) {
        (None, _) => None,
        (Some(_), _) if teardown => None,
        (Some(r), None) => {
            errors.push(
                "spec.failoverPolicyRef.name",
                format!("FailoverPolicy {:?} not found in namespace {namespace:?}", r.name),
            );
            None
        }
        (Some(r), Some(p)) => match validate_policy(p) {
            Ok(spec) => Some(spec),
            Err(e) => {
                errors.push(
                    "spec.failoverPolicyRef.name",
                    format!("FailoverPolicy {:?} is invalid ({} error(s), first: {})", r.name, e.len(), e.0[0]),
                );
                None
            }
        },
    };

    validate_domain(&mut errors, spec);
    validate_images(&mut errors, spec);
    let password = if teardown {
        // Only the password is optional: the rest of the database spec still names what to delete.
        let mut database = ValidationErrors::default();
        let found = validate_database(&mut database, spec, inputs.password);
        errors.0.extend(database.0.into_iter().filter(|e| !e.path.starts_with("spec.database.password")));
        Some(found.unwrap_or_else(|| Password::new(String::new())))
    } else {
        validate_database(&mut errors, spec, inputs.password)
    };
    validate_tier(&mut errors, "spec.web", &spec.web);
    validate_tier(&mut errors, "spec.api", &spec.api);
    validate_bastion(&mut errors, spec);
    validate_edge(&mut errors, spec);
    validate_certificate_adoption(&mut errors, spec, pair.as_ref());
    validate_backup(&mut errors, spec);

    match (pair, password) {
        (Some(pair), Some(password)) if errors.is_empty() => {
            let uid = stack.metadata.uid.clone().unwrap_or_default();
            Ok(ValidatedStack { namespace, name, uid, pair, spec: spec.clone(), policy, password })
        }
        _ => Err(errors),
    }
}

pub(super) fn validate_images(errors: &mut ValidationErrors, spec: &ThreeTierStackSpec) {
    for (tier, image) in [("web", &spec.images.web), ("api", &spec.images.api)] {
        if !names::is_ami_id(&image.primary) {
            errors.push(
                format!("spec.images.{tier}.primary"),
                format!("{:?} is not an AMI ID (ami- and 8 or 17 hex digits)", image.primary),
            );
        }
        if let Some(standby) = &image.standby {
            if !names::is_ami_id(standby) {
                errors.push(
                    format!("spec.images.{tier}.standby"),
                    format!("{standby:?} is not an AMI ID (ami- and 8 or 17 hex digits)"),
                );
            } else if *standby == image.primary {
                errors.push(
                    format!("spec.images.{tier}.standby"),
                    format!("AMI IDs are regional, so {standby} cannot be both the primary and the standby image; omit standby to copy the primary AMI"),
                );
            }
        }
    }
}
