//! Prometheus metrics in the text exposition format. Labels are stable
//! strings (kinds, outcomes, error categories), never Debug output.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use warmstandby_aws::CallStats;

/// Upper bounds of the reconcile duration histogram, in seconds.
const BUCKETS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct State {
    reconciles: BTreeMap<(String, String), u64>,
    durations: BTreeMap<String, Histogram>,
    errors: BTreeMap<(String, String), u64>,
    drift: BTreeMap<(String, String), i64>,
    phases: BTreeMap<(String, String), String>,
    failover_transitions: BTreeMap<String, u64>,
    /// Last finished failover per object: (epoch, RTO seconds, RPO estimate seconds).
    failovers: BTreeMap<String, (i64, f64, i64)>,
    /// Standby readiness per object: (ready, predicted RTO, last successful drill as Unix seconds).
    standby: BTreeMap<String, (bool, i64, Option<i64>)>,
    /// Per stack: the serving region's role, the replica's lag and the
    /// policy's lag budget (`guards.maxReplicaLagSeconds`).
    stacks: BTreeMap<String, StackState>,
    /// Per stack: the last recorded move, (epoch, outcome).
    last_moves: BTreeMap<String, (i64, String)>,
    leader: bool,
    /// AWS calls of all passes by (kind, access).
    pass_calls: BTreeMap<(String, &'static str), u64>,
    /// AWS calls of each object's last pass: (reads, mutating).
    last_pass_calls: BTreeMap<(String, String), (u64, u64)>,
    /// Objects forgotten during their last pass (deleted): that pass's calls
    /// count in the totals but leave no per-object series behind.
    forgotten: std::collections::BTreeSet<(String, String)>,
}

/// What one stack's last pass showed of its serving region and replication.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StackState {
    /// `primary` or `standby`.
    pub active_role: Option<String>,
    pub replica_lag_seconds: Option<i64>,
    pub rpo_budget_seconds: Option<i64>,
}

#[derive(Default)]
pub struct Metrics {
    state: Mutex<State>,
}

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One reconcile of `kind` ended with `outcome` (`success`, `error`, `invalid`, `skipped`).
    pub fn reconciled(&self, kind: &str, outcome: &str, took: Duration) {
        let mut s = self.lock();
        *s.reconciles.entry((kind.to_string(), outcome.to_string())).or_default() += 1;
        let h = s.durations.entry(kind.to_string()).or_default();
        let secs = took.as_secs_f64();
        h.count += 1;
        h.sum += secs;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
    }

    pub fn error(&self, kind: &str, category: &str) {
        *self.lock().errors.entry((kind.to_string(), category.to_string())).or_default() += 1;
    }

    /// Current drift items and phase of one object (`object` is `ns/name` or `name`).
    pub fn object(&self, kind: &str, object: &str, drift: i64, phase: Option<&str>) {
        let mut s = self.lock();
        s.drift.insert((kind.to_string(), object.to_string()), drift);
        match phase {
            Some(p) => s.phases.insert((kind.to_string(), object.to_string()), p.to_string()),
            None => s.phases.remove(&(kind.to_string(), object.to_string())),
        };
    }

    pub fn forget(&self, kind: &str, object: &str) {
        let mut s = self.lock();
        let key = (kind.to_string(), object.to_string());
        s.drift.remove(&key);
        s.phases.remove(&key);
        s.last_pass_calls.remove(&key);
        s.forgotten.insert(key);
        if kind == "ThreeTierStack" {
            s.stacks.remove(object);
            s.last_moves.remove(object);
            s.failovers.remove(object);
            s.standby.remove(object);
        }
    }

    /// A stack's serving region and replication, as its last pass saw them.
    pub fn stack_state(&self, object: &str, state: StackState) {
        self.lock().stacks.insert(object.to_string(), state);
    }

    /// The last recorded move of a stack (`Succeeded`, `Refused` or `Failed`).
    pub fn move_recorded(&self, object: &str, epoch: i64, outcome: &str) {
        self.lock().last_moves.insert(object.to_string(), (epoch, outcome.to_string()));
    }

    /// A failover transition (a stable reason such as `FailoverStarted`).
    pub fn failover_transition(&self, reason: &str) {
        *self.lock().failover_transitions.entry(reason.to_string()).or_default() += 1;
    }

    /// The last finished failover of an object, with its measured RTO and RPO estimate.
    pub fn failover_finished(&self, object: &str, epoch: i64, rto_seconds: f64, rpo_seconds: i64) {
        self.lock().failovers.insert(object.to_string(), (epoch, rto_seconds, rpo_seconds));
    }

    /// Standby readiness of an object and when its last drill succeeded.
    pub fn standby(&self, object: &str, ready: bool, predicted_rto_seconds: i64, last_success: Option<i64>) {
        self.lock().standby.insert(object.to_string(), (ready, predicted_rto_seconds, last_success));
    }

    pub fn set_leader(&self, leader: bool) {
        self.lock().leader = leader;
    }

    /// The AWS calls one pass of `object` made (passes that made none count too:
    /// a skipped or invalid pass is a pass).
    pub fn pass_calls(&self, kind: &str, object: &str, calls: &warmstandby_aws::calls::PassCalls) {
        let mut s = self.lock();
        let (reads, mutating) = (calls.reads(), calls.mutating());
        *s.pass_calls.entry((kind.to_string(), "read")).or_default() += reads;
        *s.pass_calls.entry((kind.to_string(), "mutating")).or_default() += mutating;
        let key = (kind.to_string(), object.to_string());
        if !s.forgotten.remove(&key) {
            s.last_pass_calls.insert(key, (reads, mutating));
        }
    }

    /// The exposition text, with the AWS call counts of the process.
    pub fn render(&self, calls: &CallStats) -> String {
        let s = self.lock();
        let mut out = String::new();
        let _ = writeln!(out, "# HELP warmstandby_reconciles_total Reconciles by kind and outcome.");
        let _ = writeln!(out, "# TYPE warmstandby_reconciles_total counter");
        for ((kind, outcome), n) in &s.reconciles {
            let _ = writeln!(out, "warmstandby_reconciles_total{{kind=\"{kind}\",outcome=\"{outcome}\"}} {n}");
        }
        let _ = writeln!(out, "# HELP warmstandby_reconcile_duration_seconds Reconcile duration by kind.");
        let _ = writeln!(out, "# TYPE warmstandby_reconcile_duration_seconds histogram");
        for (kind, h) in &s.durations {
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "warmstandby_reconcile_duration_seconds_bucket{{kind=\"{kind}\",le=\"{bound}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "warmstandby_reconcile_duration_seconds_bucket{{kind=\"{kind}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(out, "warmstandby_reconcile_duration_seconds_sum{{kind=\"{kind}\"}} {}", h.sum);
            let _ = writeln!(out, "warmstandby_reconcile_duration_seconds_count{{kind=\"{kind}\"}} {}", h.count);
        }
        let _ = writeln!(out, "# HELP warmstandby_errors_total Reconcile errors by kind and stable category.");
        let _ = writeln!(out, "# TYPE warmstandby_errors_total counter");
        for ((kind, category), n) in &s.errors {
            let _ = writeln!(out, "warmstandby_errors_total{{kind=\"{kind}\",category=\"{category}\"}} {n}");
        }
        let _ = writeln!(out, "# HELP warmstandby_aws_calls_total AWS calls by service, operation and outcome.");
        let _ = writeln!(out, "# TYPE warmstandby_aws_calls_total counter");
        for (key, c) in &calls.by_operation {
            for (outcome, n) in [("ok", c.ok), ("error", c.err)] {
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "warmstandby_aws_calls_total{{service=\"{}\",operation=\"{}\",outcome=\"{outcome}\"}} {n}",
                        key.service, key.operation
                    );
                }
            }
        }
        let _ = writeln!(
            out,
            "# HELP warmstandby_pass_aws_calls_total AWS calls made by reconcile passes, by kind and access."
        );
        let _ = writeln!(out, "# TYPE warmstandby_pass_aws_calls_total counter");
        for ((kind, access), n) in &s.pass_calls {
            let _ = writeln!(out, "warmstandby_pass_aws_calls_total{{kind=\"{kind}\",access=\"{access}\"}} {n}");
        }
        let _ = writeln!(out, "# HELP warmstandby_last_pass_aws_calls AWS calls of each object's last reconcile pass.");
        let _ = writeln!(out, "# TYPE warmstandby_last_pass_aws_calls gauge");
        for ((kind, object), (reads, mutating)) in &s.last_pass_calls {
            for (access, n) in [("read", reads), ("mutating", mutating)] {
                let _ = writeln!(
                    out,
                    "warmstandby_last_pass_aws_calls{{kind=\"{kind}\",object=\"{object}\",access=\"{access}\"}} {n}"
                );
            }
        }
        let _ = writeln!(out, "# HELP warmstandby_drift_items Drift items per object.");
        let _ = writeln!(out, "# TYPE warmstandby_drift_items gauge");
        for ((kind, object), n) in &s.drift {
            let _ = writeln!(out, "warmstandby_drift_items{{kind=\"{kind}\",object=\"{object}\"}} {n}");
        }
        let _ = writeln!(out, "# HELP warmstandby_objects Objects by kind and phase.");
        let _ = writeln!(out, "# TYPE warmstandby_objects gauge");
        let mut by_phase: BTreeMap<(&str, &str), u64> = BTreeMap::new();
        for ((kind, _), phase) in &s.phases {
            *by_phase.entry((kind.as_str(), phase.as_str())).or_default() += 1;
        }
        for ((kind, phase), n) in by_phase {
            let _ = writeln!(out, "warmstandby_objects{{kind=\"{kind}\",phase=\"{phase}\"}} {n}");
        }
        let _ = writeln!(out, "# HELP warmstandby_object_phase 1 for each object's current phase.");
        let _ = writeln!(out, "# TYPE warmstandby_object_phase gauge");
        for ((kind, object), phase) in &s.phases {
            let _ =
                writeln!(out, "warmstandby_object_phase{{kind=\"{kind}\",object=\"{object}\",phase=\"{phase}\"}} 1");
        }
        let _ = writeln!(out, "# HELP warmstandby_active_role 1 for the role of the region serving each stack.");
        let _ = writeln!(out, "# TYPE warmstandby_active_role gauge");
        for (object, state) in &s.stacks {
            if let Some(role) = &state.active_role {
                let _ = writeln!(out, "warmstandby_active_role{{object=\"{object}\",role=\"{role}\"}} 1");
            }
        }
        let _ = writeln!(out, "# HELP warmstandby_replica_lag_seconds The standby replica's lag as RDS reports it.");
        let _ = writeln!(out, "# TYPE warmstandby_replica_lag_seconds gauge");
        for (object, state) in &s.stacks {
            if let Some(lag) = state.replica_lag_seconds {
                let _ = writeln!(out, "warmstandby_replica_lag_seconds{{object=\"{object}\"}} {lag}");
            }
        }
        let _ = writeln!(
            out,
            "# HELP warmstandby_rpo_budget_seconds The most replica lag a failover may lose (guards.maxReplicaLagSeconds)."
        );
        let _ = writeln!(out, "# TYPE warmstandby_rpo_budget_seconds gauge");
        for (object, state) in &s.stacks {
            if let Some(budget) = state.rpo_budget_seconds {
                let _ = writeln!(out, "warmstandby_rpo_budget_seconds{{object=\"{object}\"}} {budget}");
            }
        }
        let _ =
            writeln!(out, "# HELP warmstandby_last_move_outcome 1 for the outcome of each stack's last recorded move.");
        let _ = writeln!(out, "# TYPE warmstandby_last_move_outcome gauge");
        for (object, (epoch, outcome)) in &s.last_moves {
            let _ = writeln!(
                out,
                "warmstandby_last_move_outcome{{object=\"{object}\",outcome=\"{outcome}\",epoch=\"{epoch}\"}} 1"
            );
        }
        let _ = writeln!(
            out,
            "# HELP warmstandby_failover_transitions_total Failover state machine transitions by reason."
        );
        let _ = writeln!(out, "# TYPE warmstandby_failover_transitions_total counter");
        for (reason, n) in &s.failover_transitions {
            let _ = writeln!(out, "warmstandby_failover_transitions_total{{reason=\"{reason}\"}} {n}");
        }
        let _ = writeln!(out, "# HELP warmstandby_failover_rto_seconds Measured RTO of the last failover per stack.");
        let _ = writeln!(out, "# TYPE warmstandby_failover_rto_seconds gauge");
        for (object, (_, rto, _)) in &s.failovers {
            let _ = writeln!(out, "warmstandby_failover_rto_seconds{{object=\"{object}\"}} {rto}");
        }
        let _ =
            writeln!(out, "# HELP warmstandby_failover_rpo_seconds Replica lag when the last failover was decided.");
        let _ = writeln!(out, "# TYPE warmstandby_failover_rpo_seconds gauge");
        for (object, (_, _, rpo)) in &s.failovers {
            let _ = writeln!(out, "warmstandby_failover_rpo_seconds{{object=\"{object}\"}} {rpo}");
        }
        let _ = writeln!(out, "# HELP warmstandby_failover_epoch Epoch of the last failover per stack.");
        let _ = writeln!(out, "# TYPE warmstandby_failover_epoch gauge");
        for (object, (epoch, _, _)) in &s.failovers {
            let _ = writeln!(out, "warmstandby_failover_epoch{{object=\"{object}\"}} {epoch}");
        }
        let _ = writeln!(out, "# HELP warmstandby_standby_ready 1 while every standby readiness check passes.");
        let _ = writeln!(out, "# TYPE warmstandby_standby_ready gauge");
        for (object, (ready, _, _)) in &s.standby {
            let _ = writeln!(out, "warmstandby_standby_ready{{object=\"{object}\"}} {}", u8::from(*ready));
        }
        let _ = writeln!(out, "# HELP warmstandby_predicted_rto_seconds RTO a failover is expected to take now.");
        let _ = writeln!(out, "# TYPE warmstandby_predicted_rto_seconds gauge");
        for (object, (_, rto, _)) in &s.standby {
            let _ = writeln!(out, "warmstandby_predicted_rto_seconds{{object=\"{object}\"}} {rto}");
        }
        let _ = writeln!(out, "# HELP warmstandby_drill_last_success_timestamp_seconds When the last drill succeeded.");
        let _ = writeln!(out, "# TYPE warmstandby_drill_last_success_timestamp_seconds gauge");
        for (object, (_, _, at)) in &s.standby {
            if let Some(at) = at {
                let _ = writeln!(out, "warmstandby_drill_last_success_timestamp_seconds{{object=\"{object}\"}} {at}");
            }
        }
        let _ = writeln!(out, "# HELP warmstandby_leader 1 while this replica holds the leader lease.");
        let _ = writeln!(out, "# TYPE warmstandby_leader gauge");
        let _ = writeln!(out, "warmstandby_leader {}", u8::from(s.leader));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.reconciled("ThreeTierStack", "success", Duration::from_millis(300));
        m.error("RegionPair", "InvalidSpec");
        m.object("ThreeTierStack", "shop/bookstore", 2, Some("Ready"));
        m.set_leader(true);
        m.failover_transition("FailoverStarted");
        m.failover_finished("shop/bookstore", 1, 42.0, 3);
        let text = m.render(&CallStats::default());
        assert!(text.contains("warmstandby_failover_transitions_total{reason=\"FailoverStarted\"} 1"));
        assert!(text.contains("warmstandby_failover_rto_seconds{object=\"shop/bookstore\"} 42"));
        assert!(text.contains("warmstandby_failover_rpo_seconds{object=\"shop/bookstore\"} 3"));
        assert!(text.contains("warmstandby_reconciles_total{kind=\"ThreeTierStack\",outcome=\"success\"} 1"));
        assert!(text.contains("warmstandby_reconcile_duration_seconds_bucket{kind=\"ThreeTierStack\",le=\"0.5\"} 1"));
        assert!(text.contains("warmstandby_reconcile_duration_seconds_bucket{kind=\"ThreeTierStack\",le=\"0.25\"} 0"));
        assert!(text.contains("warmstandby_errors_total{kind=\"RegionPair\",category=\"InvalidSpec\"} 1"));
        assert!(text.contains("warmstandby_drift_items{kind=\"ThreeTierStack\",object=\"shop/bookstore\"} 2"));
        assert!(text.contains("warmstandby_objects{kind=\"ThreeTierStack\",phase=\"Ready\"} 1"));
        assert!(text.contains("warmstandby_leader 1"));
    }

    #[test]
    fn a_deleted_object_leaves_totals_but_no_series() {
        let m = Metrics::default();
        let calls = warmstandby_aws::calls::PassCalls::default();
        m.pass_calls("ThreeTierStack", "shop/bookstore", &calls);
        assert!(m.render(&CallStats::default()).contains("warmstandby_last_pass_aws_calls{kind=\"ThreeTierStack\""));
        // The last pass deletes it: forgotten during the pass, counted after it.
        m.forget("ThreeTierStack", "shop/bookstore");
        m.pass_calls("ThreeTierStack", "shop/bookstore", &calls);
        let text = m.render(&CallStats::default());
        assert!(!text.contains("warmstandby_last_pass_aws_calls{kind=\"ThreeTierStack\""), "{text}");
        assert!(text.contains("warmstandby_pass_aws_calls_total{kind=\"ThreeTierStack\",access=\"read\"} 0"));
        // A new object of the same name is reported again.
        m.pass_calls("ThreeTierStack", "shop/bookstore", &calls);
        assert!(m.render(&CallStats::default()).contains("warmstandby_last_pass_aws_calls{kind=\"ThreeTierStack\""));
    }

    #[test]
    fn a_stacks_serving_region_lag_budget_and_last_move_are_series_until_it_is_deleted() {
        let m = Metrics::default();
        m.object("ThreeTierStack", "shop/bookstore", 0, Some("FailingOver"));
        m.stack_state(
            "shop/bookstore",
            StackState {
                active_role: Some("standby".into()),
                replica_lag_seconds: Some(420),
                rpo_budget_seconds: Some(300),
            },
        );
        m.move_recorded("shop/bookstore", 3, "Failed");
        let text = m.render(&CallStats::default());
        for line in [
            "warmstandby_object_phase{kind=\"ThreeTierStack\",object=\"shop/bookstore\",phase=\"FailingOver\"} 1",
            "warmstandby_active_role{object=\"shop/bookstore\",role=\"standby\"} 1",
            "warmstandby_replica_lag_seconds{object=\"shop/bookstore\"} 420",
            "warmstandby_rpo_budget_seconds{object=\"shop/bookstore\"} 300",
            "warmstandby_last_move_outcome{object=\"shop/bookstore\",outcome=\"Failed\",epoch=\"3\"} 1",
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
        m.forget("ThreeTierStack", "shop/bookstore");
        let text = m.render(&CallStats::default());
        assert!(!text.contains("object=\"shop/bookstore\""), "a deleted stack leaves no series: {text}");
    }
}
