//! Edge and compute planning for both regions and the global resources of a
//! stack at once: the global ones (records, CloudFront) point at regional
//! ones, and the active region decides which.
//!
//! Each resource is resolved from the desired state and the IDs observed so
//! far into the same `*Spec` the adapter reports, so drift is a field-by-field
//! comparison and a repair is the desired spec applied again.

use crate::edge::observed::ObservedGlobalEdge;
use crate::edge::{global, regional};

pub use crate::edge::actions::*;
pub use crate::edge::inputs::*;
pub use crate::edge::teardown::plan_edge_teardown;

pub fn plan_edge(inputs: &EdgeInputs<'_>) -> EdgePlan {
    plan_edge_with_health_check(inputs).0
}

/// The edge's plan, and the health check it uses now (which the alarm
/// family watches, `families::alarm`).
pub fn plan_edge_with_health_check(inputs: &EdgeInputs<'_>) -> (EdgePlan, Option<String>) {
    let mut plan = EdgePlan::default();
    for r in &inputs.regions {
        regional::plan_region(&mut plan, r);
    }
    let health_check_id = global::plan_global(&mut plan, inputs);
    (plan, health_check_id)
}

impl ObservedGlobalEdge {
    /// Resources of ours that still exist (a zone we did not create is not ours).
    pub fn live_count(&self, owner_marker: &str) -> usize {
        let marker_value = format!("\"{owner_marker}\"");
        let markers = self.records.iter().filter(|r| r.rtype == "TXT" && r.values.contains(&marker_value)).count();
        markers
            + usize::from(self.zone.as_ref().is_some_and(|z| z.ours))
            + self.health_checks.iter().filter(|h| h.claim.is_ours()).count()
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
