//! Load balancing and compute planning for both regions of a stack.
//!
//! Each resource is resolved from the desired state and the IDs observed so
//! far into the same `*Spec` the adapter reports, so drift is a field-by-field
//! comparison and a repair is the desired spec applied again.

use crate::edge::regional;

pub use crate::edge::actions::*;
pub use crate::edge::inputs::*;
pub use crate::edge::teardown::plan_edge_teardown;

pub fn plan_edge(inputs: &EdgeInputs<'_>) -> EdgePlan {
    let mut plan = EdgePlan::default();
    for r in &inputs.regions {
        regional::plan_region(&mut plan, r);
    }
    plan
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
