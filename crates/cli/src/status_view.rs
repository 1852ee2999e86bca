//! `status` for people: one table per object (conditions, then the regions
//! side by side), endpoints, drift and the last failover.

use std::fmt::Write as _;

use warmstandby_api::{Condition, RegionPair, RegionPairStatus, ThreeTierStack, ThreeTierStackStatus};

use crate::style::Style;

/// Lays out rows of cells in columns two spaces apart (cells may carry colour
/// codes: widths count visible characters only).
fn table(rows: &[Vec<String>], indent: &str) -> String {
    let width = |s: &str| visible_len(s);
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> =
        (0..columns).map(|i| rows.iter().filter_map(|r| r.get(i)).map(|c| width(c)).max().unwrap_or(0)).collect();
    let mut s = String::new();
    for row in rows {
        let mut line = indent.to_string();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                line.push_str(&" ".repeat(widths[i] - width(cell) + 2));
            }
        }
        let _ = writeln!(s, "{}", line.trim_end());
    }
    s
}

/// Length without ANSI colour sequences.
fn visible_len(s: &str) -> usize {
    let mut n = 0;
    let mut in_escape = false;
    for ch in s.chars() {
        match (in_escape, ch) {
            (false, '\x1b') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) => n += 1,
        }
    }
    n
}

fn phase(style: Style, phase: Option<warmstandby_api::Phase>) -> String {
    let text = phase.map(|p| format!("{p:?}")).unwrap_or_else(|| "Unknown".into());
    match text.as_str() {
        "Ready" => style.good(&text),
        "Failed" | "Degraded" => style.bad(&text),
        _ => style.warn(&text),
    }
}

fn conditions(style: Style, conditions: &[Condition]) -> String {
    let mut rows = vec![vec![style.dim("CONDITION"), style.dim("STATUS"), style.dim("REASON"), style.dim("MESSAGE")]];
    for c in conditions {
        rows.push(vec![c.type_.clone(), style.condition(&c.type_, &c.status), c.reason.clone(), c.message.clone()]);
    }
    table(&rows, "  ")
}

fn or_dash(v: Option<&str>) -> String {
    v.filter(|s| !s.is_empty()).unwrap_or("-").to_string()
}

fn drift(style: Style, s: &mut String, items: &[warmstandby_api::DriftItem]) {
    if items.is_empty() {
        let _ = writeln!(s, "  drift: {}", style.good("none"));
        return;
    }
    let _ = writeln!(s, "  drift: {}", style.warn(&format!("{} item(s)", items.len())));
    for d in items {
        let _ = writeln!(
            s,
            "    {} {} {} {}: {} (expected {})",
            d.region, d.kind, d.resource, d.field, d.found, d.expected
        );
    }
}

/// What an object that only observes would change (`status.planned`).
fn planned(style: Style, s: &mut String, planned: Option<&warmstandby_api::PlannedChanges>) {
    let Some(p) = planned else { return };
    if p.count == 0 {
        let _ = writeln!(s, "  planned (observe only): {}", style.good("nothing"));
        return;
    }
    let _ = writeln!(s, "  planned (observe only): {}", style.warn(&format!("{} change(s)", p.count)));
    for c in &p.changes {
        let _ = writeln!(s, "    {} {} {}: {}", c.region, c.action, c.kind, c.description);
    }
    let shown = p.changes.len();
    if usize::try_from(p.count).unwrap_or_default() > shown {
        let _ = writeln!(s, "    ... and {} more", usize::try_from(p.count).unwrap_or_default() - shown);
    }
    if let Some(note) = &p.note {
        let _ = writeln!(s, "    ({note})");
    }
}

/// A RegionPair's status as a table.
pub fn pair(style: Style, pair: &RegionPair, status: &RegionPairStatus) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} {}",
        style.bold(&format!("RegionPair {}", pair.metadata.name.as_deref().unwrap_or_default())),
        phase(style, status.phase)
    );
    s.push_str(&conditions(style, &status.conditions));
    let regions: Vec<&warmstandby_api::RegionNetworkStatus> =
        [&status.primary, &status.standby].into_iter().flatten().collect();
    if !regions.is_empty() {
        let mut rows = vec![
            std::iter::once(style.dim("NETWORK"))
                .chain(
                    regions
                        .iter()
                        .zip(["primary", "standby"])
                        .map(|(r, role)| style.dim(&format!("{} ({role})", r.region))),
                )
                .collect::<Vec<_>>(),
        ];
        let row = |name: &str, f: &dyn Fn(&warmstandby_api::RegionNetworkStatus) -> String| {
            std::iter::once(name.to_string()).chain(regions.iter().map(|r| f(r))).collect::<Vec<_>>()
        };
        rows.push(row("vpc", &|r| or_dash(r.vpc_id.as_deref())));
        rows.push(row("subnets", &|r| r.subnet_ids.len().to_string()));
        rows.push(row("internet gateway", &|r| or_dash(r.internet_gateway_id.as_deref())));
        rows.push(row("nat gateways", &|r| join_or_dash(r.nat_gateway_ids.values())));
        rows.push(row("route tables", &|r| r.route_table_ids.len().to_string()));
        s.push_str(&table(&rows, "  "));
    }
    drift(style, &mut s, &status.drift);
    planned(style, &mut s, status.planned.as_ref());
    s
}

fn join_or_dash<'a>(values: impl Iterator<Item = &'a String>) -> String {
    let v: Vec<&str> = values.map(String::as_str).collect();
    if v.is_empty() { "-".into() } else { v.join(", ") }
}

/// A ThreeTierStack's status as a table.
pub fn stack(style: Style, st: &ThreeTierStack, status: &ThreeTierStackStatus) -> String {
    let mut s = String::new();
    let active = match (&status.active_region, status.active_role) {
        (Some(r), Some(role)) => format!("{r} ({role})"),
        (Some(r), None) => r.clone(),
        _ => "-".into(),
    };
    let _ = writeln!(
        s,
        "{} {}  active {}  epoch {}",
        style.bold(&format!("ThreeTierStack {}", crate::manifests::object_id(st))),
        phase(style, status.phase),
        style.bold(&active),
        status.epoch
    );
    if status.failover.is_some() || (status.writer_region.is_some() && status.writer_region != status.active_region) {
        let _ = writeln!(
            s,
            "  writes go to {}, traffic to {}",
            style.bold(status.writer_region.as_deref().unwrap_or("no region yet")),
            style.bold(status.traffic_region.as_deref().unwrap_or("no region yet"))
        );
    }
    s.push_str(&conditions(style, &status.conditions));
    if let Some(w) = &status.waiting_on {
        let what: Vec<String> =
            w.resources.iter().map(|r| format!("{} {} in {} ({})", r.kind, r.id, r.region, r.state)).collect();
        let _ = writeln!(s, "  {} {}", style.dim("AWS is still working on:"), what.join(", "));
    }
    let regions: Vec<&warmstandby_api::RegionStackStatus> =
        [&status.primary, &status.standby].into_iter().flatten().collect();
    if !regions.is_empty() {
        let mut rows = vec![
            std::iter::once(style.dim("REGION"))
                .chain(regions.iter().zip(["primary", "standby"]).map(|(r, role)| {
                    let label = format!("{} ({role})", r.region);
                    if status.active_region.as_deref() == Some(r.region.as_str()) {
                        style.bold(&format!("{label} *"))
                    } else {
                        style.dim(&label)
                    }
                }))
                .collect::<Vec<_>>(),
        ];
        let row = |name: &str, f: &dyn Fn(&warmstandby_api::RegionStackStatus) -> String| {
            std::iter::once(name.to_string()).chain(regions.iter().map(|r| f(r))).collect::<Vec<_>>()
        };
        rows.push(row("database", &|r| {
            r.database.as_ref().map_or("-".into(), |d| {
                let adopted = if d.adopted_at.is_some() { ", adopted" } else { "" };
                format!("{} {} ({}{adopted})", d.role, d.instance_id, d.state.as_deref().unwrap_or("unknown"))
            })
        }));
        rows.push(row("replica lag", &|r| {
            r.database.as_ref().filter(|d| d.role != "writer").map_or("-".into(), |d| {
                match (&d.replication, d.replica_lag_seconds) {
                    (Some(r), _) if r.state == "stopped" => format!(
                        "replication stopped{}; last lag {}",
                        r.stopped_since.as_deref().map(|s| format!(" since {s}")).unwrap_or_default(),
                        r.last_lag_seconds.map_or("unknown".into(), |l| format!("{l} s"))
                    ),
                    (_, Some(l)) => format!("{l} s"),
                    (_, None) => "unknown".into(),
                }
            })
        }));
        for tier in ["web", "api"] {
            rows.push(row(&format!("{tier} servers (min/desired/max)"), &|r| {
                r.auto_scaling_groups
                    .get(tier)
                    .map_or("-".into(), |g| format!("{}/{}/{}", g.capacity.min, g.capacity.desired, g.capacity.max))
            }));
            rows.push(row(&format!("{tier} load balancer"), &|r| {
                r.load_balancers.get(tier).map_or("-".into(), |l| l.dns_name.clone())
            }));
        }
        rows.push(row("security groups", &|r| r.security_group_ids.len().to_string()));
        rows.push(row("bastion", &|r| or_dash(r.bastion_instance_id.as_deref())));
        rows.push(row("certificate", &|r| if r.certificate_arn.is_some() { "issued".into() } else { "-".into() }));
        s.push_str(&table(&rows, "  "));
    }
    if let Some(g) = &status.global {
        let _ = writeln!(
            s,
            "  global: zone {}, health check {}, CloudFront {}, WAF {}, alarm {}",
            or_dash(g.public_zone_id.as_deref()),
            or_dash(g.health_check_id.as_deref()),
            or_dash(g.distribution_id.as_deref()),
            if g.web_acl_arn.is_some() { "attached" } else { "-" },
            or_dash(g.alarm_name.as_deref())
        );
    }
    if let Some(a) = &status.access {
        let regions: Vec<&str> = a.secret_arns.keys().map(String::as_str).collect();
        let profiles: Vec<String> = a.instance_profiles.keys().cloned().collect();
        let _ = writeln!(
            s,
            "  credentials: secret {} ({}), last rotated {}; instance profiles: {}",
            a.secret_name,
            if regions.is_empty() { "-".to_string() } else { regions.join(", ") },
            or_dash(a.last_rotated.as_deref()),
            if profiles.is_empty() { "-".to_string() } else { profiles.join(", ") }
        );
    }
    match &status.endpoints {
        Some(e) => {
            let _ = writeln!(
                s,
                "  endpoints: web {}  api {}  CloudFront {}",
                e.web,
                e.api,
                e.cloudfront.as_deref().unwrap_or("-")
            );
        }
        None => {
            let _ = writeln!(s, "  endpoints: -");
        }
    }
    drift(style, &mut s, &status.drift);
    planned(style, &mut s, status.planned.as_ref());
    if let Some(p) = &status.failover {
        let _ = writeln!(
            s,
            "  failover in progress: {} {} → {} (epoch {}), step {}",
            p.kind, p.from, p.to, p.epoch, p.step
        );
    }
    match status.failover_history.last() {
        Some(r) => {
            let _ = writeln!(
                s,
                "  last failover: {} {} {} → {} (epoch {}) at {}; RTO {}, RPO estimate {}",
                r.kind,
                if r.outcome == "Succeeded" { style.good(&r.outcome) } else { style.bad(&r.outcome) },
                r.from,
                r.to,
                r.epoch,
                r.finished_at,
                r.rto_seconds.map_or("-".into(), |x| format!("{x:.0} s")),
                r.rpo_estimate_seconds.map_or("-".into(), |x| format!("{x} s"))
            );
        }
        None => {
            let _ = writeln!(s, "  last failover: none");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_on_visible_width() {
        let style = Style::coloured();
        let rows = vec![vec![style.good("True"), "x".into()], vec!["Unknown".into(), "y".into()]];
        let t = table(&rows, "");
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(visible_len(lines[0]), visible_len(lines[1]));
        assert!(lines[0].contains("\x1b[32mTrue\x1b[0m"));
    }
}
