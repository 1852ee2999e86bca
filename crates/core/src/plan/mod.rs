//! Pure planning: desired vs observed -> actions that can run now, plus
//! field-level drift. Planning is repeated after each batch of actions has
//! been recorded into the observed model, so one reconcile can walk several
//! dependency layers without re-reading AWS.

pub mod data_tier;
pub mod edge;
pub mod network;
