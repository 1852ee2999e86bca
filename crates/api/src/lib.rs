//! Custom resource types of warmstandby (`warmstandby.dev/v1alpha1`).
//!
//! Defaults live in the types (and so in the generated CRD schema), so a
//! user's manifest states only what differs from the classic warm-standby
//! layout. Whatever the OpenAPI schema and CEL can check is checked here too,
//! so the API server rejects bad input before the operator sees it; the full
//! semantic checks live in `warmstandby-core::validate`.
#![forbid(unsafe_code)]
// kube's `printcolumn(...)` repeats `type_ = ...` once per column by design.
#![allow(clippy::duplicated_attributes)]

pub mod common;
pub mod constants;
pub mod policy;
pub mod region_pair;
pub mod status;
pub mod three_tier_stack;

pub use common::*;
pub use constants::*;
pub use policy::*;
pub use region_pair::*;
pub use status::*;
pub use three_tier_stack::*;

use kube::CustomResourceExt;

/// Every CRD of the API, in the order they should be installed.
pub fn all_crds() -> Vec<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition> {
    vec![RegionPair::crd(), ThreeTierStack::crd(), FailoverPolicy::crd()]
}

/// All CRDs as one multi-document YAML stream, as committed under `crds/`.
pub fn crds_yaml() -> Result<String, serde_yaml::Error> {
    let mut out = String::new();
    for crd in all_crds() {
        out.push_str("---\n");
        out.push_str(&serde_yaml::to_string(&crd)?);
    }
    Ok(out)
}
