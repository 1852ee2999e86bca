//! Field-by-field comparison of a desired and an observed resource, shared
//! by every family: each `*Spec` lists its fields, and every difference
//! becomes a drift item with expected and found values.

use warmstandby_api::DriftItem;

/// Field name and value, for drift reports.
pub type Fields = Vec<(&'static str, String)>;

pub fn list<T: ToString>(items: &[T]) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
}

pub fn opt(v: &Option<impl ToString>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_else(|| "(none)".into())
}

/// Every field where `want` and `have` differ, as drift items.
pub fn diff(region: &str, kind: &str, resource: &str, want: &Fields, have: &Fields) -> Vec<DriftItem> {
    want.iter()
        .zip(have)
        .filter(|((_, w), (_, h))| w != h)
        .map(|((field, w), (_, h))| DriftItem::new(region, kind, resource, field, w, h))
        .collect()
}
