//! AWS adapter of warmstandby: clients, call accounting, error classes,
//! ownership tags, and one module per resource family with batched,
//! tag-filtered observation and the execution of planned actions.
#![forbid(unsafe_code)]

pub mod calls;
pub mod clients;
pub mod data_tier;
pub mod edge;
pub mod errors;
pub mod local;
pub mod network;
pub mod tags;

pub use calls::{CallCounter, CallStats};
pub use clients::AwsContext;
pub use errors::{AwsError, ErrorClass};
pub use tags::Ownership;
