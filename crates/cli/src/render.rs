//! Human and machine output of `validate` and `plan --offline`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use warmstandby_core::desired::{Resource, Scope, Topology, region_pair_topology, stack_topology};

use crate::OutputFormat;
use crate::check::Checked;

pub fn validation_summary(checked: &Checked) -> String {
    let mut s = String::new();
    for p in &checked.region_pairs {
        let _ =
            writeln!(s, "valid  RegionPair {} (primary {}, standby {})", p.name, p.primary.region, p.standby.region);
    }
    for st in &checked.stacks {
        let _ = writeln!(s, "valid  ThreeTierStack {}/{} (RegionPair {})", st.namespace, st.name, st.pair.name);
    }
    for p in &checked.set.policies {
        let _ = writeln!(s, "valid  FailoverPolicy {}", crate::manifests::object_id(p));
    }
    let n = checked.region_pairs.len() + checked.stacks.len() + checked.set.policies.len();
    let _ = writeln!(s, "{n} object(s) valid");
    s
}

/// One planned topology: a stack's (with its pair's networks), or a pair's alone.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedTopology {
    /// `ThreeTierStack ns/name` or `RegionPair name`.
    pub object: String,
    pub region_pair: String,
    pub primary_region: String,
    pub standby_region: String,
    pub active_region: String,
    /// Resource counts by scope (`primary`, `standby`, `global`) and in total.
    pub counts: BTreeMap<String, usize>,
    pub resources: Vec<PlannedResource>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedResource {
    /// Position in creation order, from 1.
    pub step: usize,
    pub key: String,
    pub kind: String,
    pub scope: String,
    pub region: String,
    pub name: String,
    pub properties: BTreeMap<String, String>,
    pub depends_on: Vec<String>,
}

/// Every topology the manifests describe: each stack, and each pair no stack uses.
pub fn planned(checked: &Checked) -> Result<Vec<PlannedTopology>, String> {
    let mut out = Vec::new();
    for st in &checked.stacks {
        let topo = stack_topology(st).map_err(|e| format!("ThreeTierStack {}/{}: {e}", st.namespace, st.name))?;
        out.push(planned_topology(
            format!("ThreeTierStack {}/{}", st.namespace, st.name),
            &st.pair,
            st.pair.region(st.spec.active_region).region.clone(),
            &topo,
        ));
    }
    for pair in &checked.region_pairs {
        if checked.stacks.iter().any(|s| s.pair.name == pair.name) {
            continue;
        }
        let topo = region_pair_topology(pair).map_err(|e| format!("RegionPair {}: {e}", pair.name))?;
        out.push(planned_topology(format!("RegionPair {}", pair.name), pair, pair.primary.region.clone(), &topo));
    }
    Ok(out)
}

fn planned_topology(
    object: String,
    pair: &warmstandby_core::validate::ValidatedRegionPair,
    active_region: String,
    topo: &Topology,
) -> PlannedTopology {
    let mut counts = BTreeMap::new();
    for r in &topo.resources {
        *counts.entry(r.scope.key_prefix().to_string()).or_insert(0) += 1;
    }
    counts.insert("total".into(), topo.resources.len());
    PlannedTopology {
        object,
        region_pair: pair.name.clone(),
        primary_region: pair.primary.region.clone(),
        standby_region: pair.standby.region.clone(),
        active_region,
        counts,
        resources: topo.resources.iter().enumerate().map(|(i, r)| planned_resource(i + 1, r)).collect(),
    }
}

fn planned_resource(step: usize, r: &Resource) -> PlannedResource {
    PlannedResource {
        step,
        key: r.key.clone(),
        kind: r.kind.to_string(),
        scope: r.scope.key_prefix().to_string(),
        region: r.scope.region().to_string(),
        name: r.name.clone(),
        properties: r.properties.iter().cloned().collect(),
        depends_on: r.depends_on.clone(),
    }
}

pub fn plan(checked: &Checked, format: OutputFormat) -> Result<String, String> {
    let topologies = planned(checked)?;
    match format {
        OutputFormat::Json => serde_json::to_string_pretty(&topologies).map(|s| s + "\n").map_err(|e| e.to_string()),
        OutputFormat::Yaml => serde_yaml::to_string(&topologies).map_err(|e| e.to_string()),
        OutputFormat::Text => Ok(plan_text(checked, &topologies)),
    }
}

fn plan_text(checked: &Checked, topologies: &[PlannedTopology]) -> String {
    let mut s = String::new();
    for (t, stack) in topologies.iter().zip(checked.stacks.iter().map(Some).chain(std::iter::repeat(None))) {
        let _ = writeln!(
            s,
            "{}  (RegionPair {}: primary {}, standby {}; active {})",
            t.object, t.region_pair, t.primary_region, t.standby_region, t.active_region
        );
        let count = |k: &str| t.counts.get(k).copied().unwrap_or(0);
        let _ = writeln!(
            s,
            "{} resources in creation order: {} primary, {} standby, {} global",
            count("total"),
            count("primary"),
            count("standby"),
            count("global")
        );
        let scopes: Vec<(String, String)> = match stack {
            Some(st) => vec![
                (
                    "primary".into(),
                    Scope::Region {
                        role: warmstandby_api::RegionRole::Primary,
                        region: st.pair.primary.region.clone(),
                    }
                    .label(),
                ),
                (
                    "standby".into(),
                    Scope::Region {
                        role: warmstandby_api::RegionRole::Standby,
                        region: st.pair.standby.region.clone(),
                    }
                    .label(),
                ),
                ("global".into(), Scope::Global.label()),
            ],
            None => vec![
                ("primary".into(), format!("primary ({})", t.primary_region)),
                ("standby".into(), format!("standby ({})", t.standby_region)),
            ],
        };
        for (prefix, label) in scopes {
            let _ = writeln!(s, "\n{label}");
            for r in t.resources.iter().filter(|r| r.scope == prefix) {
                let _ = writeln!(s, "  {:>3}. {:<28} {}  [{}]", r.step, r.kind, r.name, r.key);
                if !r.properties.is_empty() {
                    let props: Vec<String> = r.properties.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    let _ = writeln!(s, "       {}", props.join("  "));
                }
                if !r.depends_on.is_empty() {
                    let _ = writeln!(s, "       after: {}", r.depends_on.join(", "));
                }
            }
        }
        let _ = writeln!(s);
    }
    s
}
