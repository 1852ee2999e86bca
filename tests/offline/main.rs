//! Tier 1 (cross-crate): the CLI on the examples, CRD drift, secret hygiene.

mod chart;
mod cli;
mod crds;
mod operator;
