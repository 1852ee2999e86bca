//! What network planning and teardown share: the plan's type, drift found
//! field by field, and picking one record of a component.

use warmstandby_api::DriftItem;

use crate::network::actions::NetworkAction;

/// One region's network plan.
pub type NetworkPlan = crate::plan::Plan<NetworkAction>;

/// Picks the record for `component` (lowest ID when duplicated).
pub(super) fn pick<'a, T>(items: &'a [T], component: &str, get: impl Fn(&T) -> (&str, &str)) -> Option<&'a T> {
    items.iter().filter(|i| get(i).1 == component).min_by(|a, b| get(a).0.cmp(get(b).0))
}

pub(super) struct Drift<'a> {
    pub(super) region: &'a str,
    pub(super) items: Vec<DriftItem>,
}

impl Drift<'_> {
    pub(super) fn add(
        &mut self,
        kind: &str,
        resource: &str,
        field: &str,
        expected: impl ToString,
        found: impl ToString,
    ) {
        self.items.push(DriftItem::new(self.region, kind, resource, field, expected, found));
    }

    pub(super) fn missing(&mut self, kind: &str, component: &str) {
        self.add(kind, component, "existence", "present", "missing");
    }
}
