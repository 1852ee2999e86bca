//! Live progress of a build or teardown: a bar per region and tier with
//! resources done/total and the time taken, on a terminal; plain lines
//! (one per finished row) otherwise.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use warmstandby_controller::change::{Change, ChangeKind, GLOBAL_NAME};
use warmstandby_core::desired::{Scope, Tier, Topology};

/// One row: a region (or `global`) and a tier.
type Row = (String, Tier);

fn label(row: &Row) -> String {
    if row.1 == Tier::Global { row.0.clone() } else { format!("{} {}", row.0, row.1.as_str()) }
}

pub struct Progress {
    rows: BTreeMap<Row, (u64, u64, Option<ProgressBar>)>,
    /// Rows in display order.
    order: Vec<Row>,
    started: Instant,
    multi: Option<MultiProgress>,
    finished: Vec<Row>,
    /// Counting deletions instead of creations.
    teardown: bool,
}

impl Progress {
    /// Rows for every (region, tier) of `topology`, with its resources as totals.
    pub fn new(topology: &Topology, regions: &[String; 2], live: bool, teardown: bool) -> Progress {
        let mut rows: BTreeMap<Row, (u64, u64, Option<ProgressBar>)> = BTreeMap::new();
        for r in &topology.resources {
            let region = match &r.scope {
                Scope::Global => GLOBAL_NAME.to_string(),
                Scope::Region { region, .. } => region.clone(),
            };
            rows.entry((region, r.tier())).or_insert((0, 0, None)).1 += 1;
        }
        let mut order = Vec::new();
        for region in regions.iter().map(String::as_str).chain([GLOBAL_NAME]) {
            for tier in Tier::ALL.iter().rev() {
                let row = (region.to_string(), *tier);
                if rows.contains_key(&row) {
                    order.push(row);
                }
            }
        }
        let multi = live.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stdout_with_hz(10)));
        if let Some(m) = &multi {
            let style = ProgressStyle::with_template(
                "  {prefix:<22} {bar:30.green/white} {pos:>3}/{len:<3} {elapsed:>4} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("━━╌");
            for row in &order {
                if let Some(entry) = rows.get_mut(row) {
                    let bar = m.add(ProgressBar::new(entry.1));
                    bar.set_style(style.clone());
                    bar.set_prefix(label(row));
                    bar.enable_steady_tick(Duration::from_millis(200));
                    entry.2 = Some(bar);
                }
            }
        }
        Progress { rows, order, started: Instant::now(), multi, finished: Vec::new(), teardown }
    }

    /// Counts the changes of one pass.
    pub fn record(&mut self, changes: &[Change], out: &mut dyn Write) {
        for c in changes {
            let counts = if self.teardown {
                c.kind == ChangeKind::Delete
            } else {
                matches!(c.kind, ChangeKind::Create | ChangeKind::Repair)
            };
            if !counts {
                continue;
            }
            let row = (c.region.clone(), c.tier);
            if let Some(entry) = self.rows.get_mut(&row) {
                entry.0 = (entry.0 + c.count as u64).min(entry.1);
                if let Some(bar) = &entry.2 {
                    bar.set_position(entry.0);
                    bar.set_message(c.description.clone());
                }
            }
        }
        self.finish_full_rows(out);
    }

    /// Every row is done (the object is Ready, or gone).
    pub fn complete(&mut self, out: &mut dyn Write) {
        for entry in self.rows.values_mut() {
            entry.0 = entry.1;
            if let Some(bar) = &entry.2 {
                bar.set_position(entry.1);
            }
        }
        self.finish_full_rows(out);
        if let Some(m) = &self.multi {
            let _ = m.clear();
        }
    }

    fn finish_full_rows(&mut self, out: &mut dyn Write) {
        for row in &self.order {
            let Some(entry) = self.rows.get(row) else { continue };
            if entry.0 < entry.1 || self.finished.contains(row) {
                continue;
            }
            self.finished.push(row.clone());
            let elapsed = self.started.elapsed().as_secs_f64();
            match &entry.2 {
                Some(bar) => {
                    bar.set_message("done");
                    bar.finish();
                }
                None => {
                    let verb = if self.teardown { "deleted" } else { "ready" };
                    let _ =
                        writeln!(out, "  {:<22} {:>3}/{:<3} {verb} after {elapsed:.1} s", label(row), entry.1, entry.1);
                }
            }
        }
    }

    /// The rows for the summary after the bars are gone: (label, done, total).
    pub fn rows(&self) -> Vec<(String, u64, u64)> {
        self.order.iter().filter_map(|r| self.rows.get(r).map(|e| (label(r), e.0, e.1))).collect()
    }
}
