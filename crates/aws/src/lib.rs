//! AWS adapter of warmstandby: clients, call accounting, error classes,
//! ownership tags, and one module per resource family with batched,
//! tag-filtered observation and the execution of planned actions.
#![forbid(unsafe_code)]

/// Sends one SDK request; its error is classified once, named by the operation.
/// (Defined before the modules so every family uses this one.)
macro_rules! send {
    ($op:literal, $req:expr) => {
        $req.send().await.map_err(|e| $crate::errors::AwsError::from_sdk($op, &e))
    };
}

/// Every page of a paginated request, its items collected.
macro_rules! send_all {
    ($op:literal, $req:expr) => {
        $req.into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| $crate::errors::AwsError::from_sdk($op, &e))
    };
}

pub mod calls;
pub mod clients;
pub mod discover;
pub mod errors;
pub mod families;
pub mod fleet;
pub mod local;

pub mod pacing;
pub mod rds;
pub mod recent;
pub mod route53;
pub mod shared;
pub mod tags;
pub mod waits;

pub use calls::{CallCounter, CallStats};
pub use clients::AwsContext;
pub use errors::{AwsError, ErrorClass};
pub use tags::Ownership;
