//! Pure core of warmstandby: no IO, no clocks, no AWS or Kubernetes clients.
//!
//! `validate` turns specs (plus what the dereference step found) into
//! validated models or a complete list of field errors; `desired` turns the
//! validated models into the topology of AWS resources; later steps diff that
//! against observations.
#![forbid(unsafe_code)]

pub mod aws_time;
pub mod base64;
pub mod compare;
pub mod conditions;
pub mod cron;
pub mod data;
pub mod desired;
pub mod discover;
pub mod drill;
pub mod failover;
pub mod families;
pub mod family;
pub mod field;
pub mod identity;
pub mod names;
pub mod net;
pub mod network;
pub mod next;
pub mod overall;
pub mod placement;
pub mod plan;
#[cfg(test)]
mod properties;
pub mod replication;
pub mod resource;
pub mod retention;
pub mod secret;
pub mod servers;
pub mod stack_pass;
#[cfg(test)]
mod test_fixtures;
pub mod validate;

pub use field::{FieldError, ValidationErrors};
pub use secret::Password;
