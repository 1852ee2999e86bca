//! Load + dereference + validate every object of a manifest set.

use std::path::PathBuf;

use warmstandby_core::validate::{
    ValidatedRegionPair, ValidatedStack, validate_policy, validate_region_pair, validate_stack,
};

use crate::manifests::{self, ManifestSet, object_id};

/// A manifest set in which every object validated.
pub struct Checked {
    pub set: ManifestSet,
    pub region_pairs: Vec<ValidatedRegionPair>,
    pub stacks: Vec<ValidatedStack>,
}

/// Every problem, one line each, prefixed with the object it belongs to.
#[derive(Debug)]
pub struct CheckFailure {
    pub lines: Vec<String>,
}

pub fn load_and_check(paths: &[PathBuf]) -> Result<Checked, CheckFailure> {
    let set = manifests::load(paths).map_err(|e| CheckFailure { lines: e.0 })?;
    check(set)
}

pub fn check(set: ManifestSet) -> Result<Checked, CheckFailure> {
    let mut lines = Vec::new();
    if set.is_empty() {
        lines.push("no RegionPair, ThreeTierStack or FailoverPolicy found".to_string());
    }
    let mut region_pairs = Vec::new();
    for pair in &set.region_pairs {
        match validate_region_pair(pair) {
            Ok(v) => region_pairs.push(v),
            Err(errors) => lines.extend(errors.iter().map(|e| format!("RegionPair {}: {e}", object_id(pair)))),
        }
    }
    for policy in &set.policies {
        if let Err(errors) = validate_policy(policy) {
            lines.extend(errors.iter().map(|e| format!("FailoverPolicy {}: {e}", object_id(policy))));
        }
    }
    let mut stacks = Vec::new();
    for stack in &set.stacks {
        match validate_stack(set.stack_inputs(stack)) {
            Ok(v) => stacks.push(v),
            Err(errors) => lines.extend(errors.iter().map(|e| format!("ThreeTierStack {}: {e}", object_id(stack)))),
        }
    }
    if lines.is_empty() { Ok(Checked { set, region_pairs, stacks }) } else { Err(CheckFailure { lines }) }
}
