//! Load balancing and compute planning for one region of a stack, as the
//! two families plan it (`families::load_balancing`, `families::compute`).
//!
//! Each resource is resolved from the desired state and the IDs observed so
//! far into the same `*Spec` the adapter reports, so drift is a field-by-field
//! comparison and a repair is the desired spec applied again.

pub use crate::servers::actions::*;
pub use crate::servers::inputs::*;
pub use crate::servers::regional::{plan_balancing_region, plan_compute_region};
pub use crate::servers::teardown::{plan_balancing_teardown, plan_compute_teardown};

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
