//! The picture drawn as Mermaid, Graphviz or SVG.

use std::fmt::Write as _;

use super::Format;
use super::layout::*;
use warmstandby_core::desired::{Kind, Tier};

impl Health {
    pub(super) fn fill(self) -> &'static str {
        match self {
            Health::Planned => "#eceff1",
            Health::Healthy => "#d7f5dd",
            Health::Drifted => "#ffe9b3",
            Health::Missing => "#ffd1d1",
        }
    }

    pub(super) fn stroke(self) -> &'static str {
        match self {
            Health::Planned => "#90a4ae",
            Health::Healthy => "#2e7d32",
            Health::Drifted => "#b26a00",
            Health::Missing => "#c62828",
        }
    }

    pub(super) fn class(self) -> &'static str {
        match self {
            Health::Planned => "planned",
            Health::Healthy => "healthy",
            Health::Drifted => "drifted",
            Health::Missing => "missing",
        }
    }
}

pub(super) fn esc_xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

pub(super) fn esc_mermaid(s: &str) -> String {
    s.replace('"', "#quot;").replace('<', "#lt;").replace('>', "#gt;")
}

pub(super) fn esc_dot(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

impl Diagram {
    pub fn mermaid(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "%% {}", self.title);
        let _ = writeln!(s, "flowchart TB");
        let node = |s: &mut String, g: &Group, indent: &str| {
            let lines: Vec<String> = g.items.iter().map(|i| esc_mermaid(&i.label())).collect();
            let _ = writeln!(
                s,
                "{indent}{}[\"<b>{}</b><br/>{}\"]:::{}",
                g.key,
                esc_mermaid(&g.title()),
                lines.join("<br/>"),
                g.health().class()
            );
        };
        let _ = writeln!(s, "  users((Users))");
        let _ = writeln!(s, "  subgraph global[\"global (us-east-1): Route 53, CloudFront, WAF\"]");
        let _ = writeln!(s, "    direction LR");
        for g in &self.global {
            node(&mut s, g, "    ");
        }
        let _ = writeln!(s, "  end");
        for c in &self.columns {
            let id = c.role.as_str();
            let _ = writeln!(s, "  subgraph {id}[\"{}\"]", esc_mermaid(&Self::column_label(c)));
            let _ = writeln!(s, "    direction TB");
            for tier in Tier::ALL {
                let Some(groups) = c.rows.get(&tier) else { continue };
                let _ = writeln!(s, "    subgraph {id}_{}[\"{}\"]", tier.as_str(), tier.as_str());
                let _ = writeln!(s, "      direction LR");
                for g in groups {
                    node(&mut s, g, "      ");
                }
                let _ = writeln!(s, "    end");
            }
            let _ = writeln!(s, "  end");
        }
        if let Some(cdn) = self.global_of(Kind::Distribution) {
            let _ = writeln!(s, "  users ==> {}", cdn.key);
        }
        if let Some(dns) = self.global_of(Kind::FailoverRecord) {
            let _ = writeln!(s, "  users ==> {}", dns.key);
        }
        let mut active_links = vec![0, 1];
        // Links 0 and 1 are the users' own.
        for (link, (from, to, on, label)) in (2..).zip(self.edges()) {
            let arrow = if on { "==>" } else { "-.->" };
            if label.is_empty() {
                let _ = writeln!(s, "  {from} {arrow} {to}");
            } else {
                let _ = writeln!(s, "  {from} {arrow}|{label}| {to}");
            }
            if on {
                active_links.push(link);
            }
        }
        for h in [Health::Planned, Health::Healthy, Health::Drifted, Health::Missing] {
            let _ = writeln!(s, "  classDef {} fill:{},stroke:{},color:#111", h.class(), h.fill(), h.stroke());
        }
        for c in &self.columns {
            if c.active {
                let _ = writeln!(s, "  style {} stroke:#1565c0,stroke-width:3px", c.role.as_str());
            }
        }
        if self.global_of(Kind::Distribution).is_none() {
            active_links.retain(|l| *l != 0);
        }
        let links: Vec<String> = active_links.iter().map(ToString::to_string).collect();
        if !links.is_empty() {
            let _ = writeln!(s, "  linkStyle {} stroke:#1565c0,stroke-width:3px", links.join(","));
        }
        s
    }

    pub fn dot(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "digraph warmstandby {{");
        let _ = writeln!(
            s,
            "  label=\"{}\"; labelloc=t; fontname=\"Helvetica\"; compound=true; newrank=true;",
            esc_dot(&self.title)
        );
        let _ = writeln!(s, "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10];");
        let node = |s: &mut String, g: &Group, indent: &str| {
            let lines: Vec<String> = g.items.iter().map(|i| esc_dot(&i.label())).collect();
            let h = g.health();
            let _ = writeln!(
                s,
                "{indent}{} [label=\"{}\\n{}\", fillcolor=\"{}\", color=\"{}\"];",
                g.key,
                esc_dot(&g.title()),
                lines.join("\\n"),
                h.fill(),
                h.stroke()
            );
        };
        let _ = writeln!(s, "  users [shape=ellipse, label=\"Users\", fillcolor=\"#ffffff\"];");
        let _ = writeln!(s, "  subgraph cluster_global {{");
        let _ = writeln!(s, "    label=\"global (us-east-1)\"; style=rounded;");
        for g in &self.global {
            node(&mut s, g, "    ");
        }
        let _ = writeln!(s, "  }}");
        for c in &self.columns {
            let id = c.role.as_str();
            let _ = writeln!(s, "  subgraph cluster_{id} {{");
            let pen = if c.active { "color=\"#1565c0\"; penwidth=3;" } else { "color=\"#90a4ae\";" };
            let _ = writeln!(s, "    label=\"{}\"; style=rounded; {pen}", esc_dot(&Self::column_label(c)));
            for tier in Tier::ALL {
                let Some(groups) = c.rows.get(&tier) else { continue };
                let _ = writeln!(s, "    subgraph cluster_{id}_{} {{", tier.as_str());
                let _ = writeln!(s, "      label=\"{}\"; style=dashed;", tier.as_str());
                for g in groups {
                    node(&mut s, g, "      ");
                }
                let _ = writeln!(s, "    }}");
            }
            let _ = writeln!(s, "  }}");
        }
        for kind in [Kind::Distribution, Kind::FailoverRecord] {
            if let Some(g) = self.global_of(kind) {
                let _ = writeln!(s, "  users -> {} [penwidth=3, color=\"#1565c0\"];", g.key);
            }
        }
        for (from, to, on, label) in self.edges() {
            let style = if on { "penwidth=3, color=\"#1565c0\"" } else { "style=dashed, color=\"#90a4ae\"" };
            let _ = writeln!(s, "  {from} -> {to} [label=\"{label}\", {style}];");
        }
        let _ = writeln!(s, "}}");
        s
    }

    /// An SVG laid out on a grid: global row on top, then one row per tier,
    /// the two regions side by side; the request path drawn over it.
    pub fn svg(&self) -> String {
        const BOX_W: f64 = 300.0;
        const LINE_H: f64 = 14.0;
        const GAP: f64 = 12.0;
        const COL_GAP: f64 = 60.0;
        const MARGIN: f64 = 20.0;
        let per_row = 2usize;
        let box_h = |g: &Group| 22.0 + LINE_H * g.items.len() as f64 + 6.0;
        // Lay out a list of groups in `per_row` columns starting at (x, y);
        // returns each group's rectangle and the height used.
        let layout = |groups: &[Group], x: f64, y: f64, per_row: usize| {
            let mut rects = Vec::new();
            let mut row_y = y;
            for chunk in groups.chunks(per_row) {
                let h = chunk.iter().map(box_h).fold(0.0, f64::max);
                for (i, g) in chunk.iter().enumerate() {
                    rects.push((g.clone(), x + i as f64 * (BOX_W + GAP), row_y, box_h(g)));
                }
                row_y += h + GAP;
            }
            (rects, row_y - y)
        };
        let column_w = per_row as f64 * BOX_W + (per_row as f64 - 1.0) * GAP + 2.0 * GAP;
        let width = 2.0 * MARGIN + 2.0 * column_w + COL_GAP;
        let mut body = String::new();
        let mut rects: Vec<(Group, f64, f64, f64)> = Vec::new();
        let mut y = MARGIN + 30.0;
        // Users and the global row.
        let users = (width / 2.0, y + 14.0);
        y += 40.0;
        let global_per_row = 3usize;
        let global_w = global_per_row as f64 * BOX_W + (global_per_row as f64 - 1.0) * GAP;
        let gx = (width - global_w) / 2.0;
        let (global_rects, gh) = layout(&self.global, gx, y + 24.0, global_per_row);
        let _ = writeln!(
            body,
            r##"<rect x="{:.0}" y="{:.0}" width="{:.0}" height="{:.0}" rx="10" fill="#fafafa" stroke="#607d8b"/><text x="{:.0}" y="{:.0}" class="h">global (us-east-1): Route 53, CloudFront, WAF</text>"##,
            gx - GAP,
            y,
            global_w + 2.0 * GAP,
            gh + 30.0,
            gx,
            y + 17.0
        );
        rects.extend(global_rects);
        y += gh + 50.0;
        // Tier rows: each as tall as the taller region's.
        let top = y;
        let mut tier_rects: Vec<(Group, f64, f64, f64)> = Vec::new();
        let mut row_y = y + 30.0;
        for tier in Tier::ALL {
            if tier == Tier::Global {
                continue;
            }
            let mut used: f64 = 0.0;
            for (i, c) in self.columns.iter().enumerate() {
                let x = MARGIN + i as f64 * (column_w + COL_GAP) + GAP;
                let groups = c.rows.get(&tier).cloned().unwrap_or_default();
                let (r, h) = layout(&groups, x, row_y + 18.0, per_row);
                tier_rects.extend(r);
                used = used.max(h);
            }
            let _ = writeln!(
                body,
                r##"<text x="{:.0}" y="{:.0}" class="tier">{}</text><line x1="{:.0}" y1="{:.0}" x2="{:.0}" y2="{:.0}" stroke="#cfd8dc" stroke-dasharray="4 4"/>"##,
                MARGIN + 4.0,
                row_y + 12.0,
                tier.as_str(),
                MARGIN,
                row_y,
                width - MARGIN,
                row_y
            );
            row_y += used + 26.0;
        }
        let bottom = row_y;
        for (i, c) in self.columns.iter().enumerate() {
            let x = MARGIN + i as f64 * (column_w + COL_GAP);
            let (stroke, sw) = if c.active { ("#1565c0", 3) } else { ("#90a4ae", 1) };
            let _ = writeln!(
                body,
                r##"<rect x="{x:.0}" y="{top:.0}" width="{column_w:.0}" height="{:.0}" rx="12" fill="none" stroke="{stroke}" stroke-width="{sw}"/><text x="{:.0}" y="{:.0}" class="h" text-anchor="middle">{}</text>"##,
                bottom - top,
                x + column_w / 2.0,
                top + 20.0,
                esc_xml(&Self::column_label(c))
            );
        }
        rects.extend(tier_rects);
        // Edges under the boxes.
        let centre =
            |key: &str| rects.iter().find(|(g, ..)| g.key == key).map(|(_, x, y, h)| (x + BOX_W / 2.0, y + h / 2.0));
        let mut edges = String::new();
        let mut path_to = |from: (f64, f64), to: (f64, f64), on: bool, label: &str| {
            let (stroke, extra) =
                if on { ("#1565c0", r#" stroke-width="3""#) } else { ("#90a4ae", r#" stroke-dasharray="6 4""#) };
            let _ = writeln!(
                edges,
                r##"<line x1="{:.0}" y1="{:.0}" x2="{:.0}" y2="{:.0}" stroke="{stroke}"{extra} marker-end="url(#arrow)"/>"##,
                from.0, from.1, to.0, to.1
            );
            if !label.is_empty() {
                let _ = writeln!(
                    edges,
                    r#"<text x="{:.0}" y="{:.0}" class="edge">{}</text>"#,
                    (from.0 + to.0) / 2.0 + 4.0,
                    (from.1 + to.1) / 2.0 - 4.0,
                    esc_xml(label)
                );
            }
        };
        for kind in [Kind::Distribution, Kind::FailoverRecord] {
            if let Some(to) = self.global_of(kind).and_then(|g| centre(&g.key)) {
                path_to(users, to, true, "");
            }
        }
        for (from, to, on, label) in self.edges() {
            if let (Some(a), Some(b)) = (centre(&from), centre(&to)) {
                path_to(a, b, on, label);
            }
        }
        let mut boxes = String::new();
        for (g, x, y, h) in &rects {
            let health = g.health();
            let _ = writeln!(
                boxes,
                r#"<g class="{}"><rect x="{x:.0}" y="{y:.0}" width="{BOX_W:.0}" height="{h:.0}" rx="6" fill="{}" stroke="{}"/><text x="{:.0}" y="{:.0}" class="k">{}</text>"#,
                health.class(),
                health.fill(),
                health.stroke(),
                x + 8.0,
                y + 16.0,
                esc_xml(&g.title())
            );
            for (i, item) in g.items.iter().enumerate() {
                let _ = writeln!(
                    boxes,
                    r#"<text x="{:.0}" y="{:.0}" class="r">{}</text>"#,
                    x + 8.0,
                    y + 32.0 + i as f64 * LINE_H,
                    esc_xml(&item.label())
                );
            }
            let _ = writeln!(boxes, "</g>");
        }
        let height = bottom + 60.0;
        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="Helvetica, Arial, sans-serif">"#
        );
        let _ = writeln!(s, "<title>{}</title>", esc_xml(&self.title));
        let _ = writeln!(
            s,
            r##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#455a64"/></marker></defs>"##
        );
        let _ = writeln!(
            s,
            "<style>.h{{font-size:13px;font-weight:bold;fill:#263238}} .tier{{font-size:12px;font-style:italic;fill:#78909c}} .k{{font-size:11px;font-weight:bold;fill:#263238}} .r{{font-size:10px;fill:#37474f}} .edge{{font-size:10px;fill:#1565c0}} .t{{font-size:16px;font-weight:bold}}</style>"
        );
        let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
        let _ =
            writeln!(s, r#"<text x="{MARGIN:.0}" y="{:.0}" class="t">{}</text>"#, MARGIN + 8.0, esc_xml(&self.title));
        let _ = writeln!(
            s,
            r##"<ellipse cx="{:.0}" cy="{:.0}" rx="40" ry="14" fill="#ffffff" stroke="#455a64"/><text x="{:.0}" y="{:.0}" class="k" text-anchor="middle">Users</text>"##,
            users.0,
            users.1,
            users.0,
            users.1 + 4.0
        );
        s.push_str(&body);
        s.push_str(&edges);
        s.push_str(&boxes);
        // Legend.
        let mut lx = MARGIN;
        for h in [Health::Planned, Health::Healthy, Health::Drifted, Health::Missing] {
            let _ = writeln!(
                s,
                r#"<rect x="{lx:.0}" y="{:.0}" width="14" height="14" fill="{}" stroke="{}"/><text x="{:.0}" y="{:.0}" class="r">{}</text>"#,
                height - 34.0,
                h.fill(),
                h.stroke(),
                lx + 20.0,
                height - 23.0,
                h.class()
            );
            lx += 100.0;
        }
        let _ = writeln!(
            s,
            r##"<line x1="{lx:.0}" y1="{:.0}" x2="{:.0}" y2="{:.0}" stroke="#1565c0" stroke-width="3"/><text x="{:.0}" y="{:.0}" class="r">active path</text>"##,
            height - 27.0,
            lx + 30.0,
            height - 27.0,
            lx + 36.0,
            height - 23.0
        );
        let _ = writeln!(s, "</svg>");
        s
    }

    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Mermaid => self.mermaid(),
            Format::Dot => self.dot(),
            Format::Svg => self.svg(),
        }
    }
}
