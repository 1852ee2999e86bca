//! Tier 1 (cross-crate): the CLI on the examples, CRD drift, secret hygiene.

mod argocd;
mod chart;
mod cli;
mod crds;
mod iam;
mod layering;
mod operator;
mod views;
