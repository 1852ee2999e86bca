//! The overall conditions every kind reports the same way (Ready,
//! Progressing, Degraded, DriftDetected) and the phase they give, computed
//! once for RegionPairs and ThreeTierStacks alike.

use warmstandby_api::{Condition, DriftItem, HandsOff, Phase};

use crate::conditions::{self, Status, types};

/// What one pass of an object came to.
pub struct Overall<'a> {
    /// Every family is ready and nothing is left to do.
    pub ready: bool,
    /// The Ready message when it is.
    pub ready_message: &'a str,
    pub errors: &'a [String],
    /// Differences the operator will not fix by itself.
    pub blocked: &'a [String],
    /// What AWS is still doing.
    pub waiting: &'a [String],
    pub applied: usize,
    /// Sorted.
    pub drift: &'a [DriftItem],
    /// The pass changed nothing on purpose, and why.
    pub hands_off: Option<HandsOff>,
    /// What an apply would change now (passes that change nothing).
    pub planned: usize,
    /// Problems that degrade the object without blocking it (a broken replication).
    pub attention: &'a [String],
    /// Ready's reason for blocked problems.
    pub blocked_reason: &'static str,
    /// Degraded's reason for blocked or attention problems.
    pub degraded_reason: &'static str,
    /// Provisioning's message when nothing moves: what is not ready yet.
    pub idle_message: Option<String>,
}

/// Sets the four overall conditions on `c`; returns the phase.
pub fn set_overall(c: &mut Vec<Condition>, o: &Overall<'_>, generation: Option<i64>, now: &str) -> Phase {
    let set = |c: &mut Vec<Condition>, t: &str, s: Status, reason: &str, msg: String| {
        conditions::set(c, t, s, reason, msg, generation, now)
    };
    let (reason, message) = if o.ready {
        ("Ready", o.ready_message.to_string())
    } else if !o.errors.is_empty() {
        ("AwsError", o.errors.join("; "))
    } else if !o.blocked.is_empty() {
        (o.blocked_reason, o.blocked.join("; "))
    } else if o.hands_off == Some(HandsOff::Observe) {
        let message = format!(
            "observe only: {} change(s) planned, {} drift item(s); see status.planned and status.drift, and set spec.managementPolicy to Manage to apply",
            o.planned,
            o.drift.len()
        );
        ("Observing", message)
    } else if o.hands_off == Some(HandsOff::Paused) && !o.drift.is_empty() {
        ("Paused", format!("paused with {} drift item(s)", o.drift.len()))
    } else if !o.drift.is_empty() && o.applied == 0 {
        ("DriftDetected", format!("{} drift item(s)", o.drift.len()))
    } else {
        let message = match &o.idle_message {
            Some(m) if o.waiting.is_empty() && o.applied == 0 => m.clone(),
            _ => progress_message(o.applied, o.waiting),
        };
        ("Provisioning", message)
    };
    set(c, types::READY, Status::from_bool(o.ready), reason, message);
    let progressing = !o.ready && o.errors.is_empty() && o.blocked.is_empty() && o.hands_off.is_none();
    set(
        c,
        types::PROGRESSING,
        Status::from_bool(progressing),
        if progressing { "Reconciling" } else { "Idle" },
        if progressing { progress_message(o.applied, o.waiting) } else { String::new() },
    );
    let degraded = !o.errors.is_empty() || !o.blocked.is_empty() || !o.attention.is_empty();
    set(
        c,
        types::DEGRADED,
        Status::from_bool(degraded),
        if !o.errors.is_empty() {
            "AwsError"
        } else if degraded {
            o.degraded_reason
        } else {
            "Healthy"
        },
        o.errors.iter().chain(o.blocked).chain(o.attention).cloned().collect::<Vec<_>>().join("; "),
    );
    set(
        c,
        types::DRIFT_DETECTED,
        Status::from_bool(!o.drift.is_empty()),
        if o.drift.is_empty() {
            "NoDrift"
        } else if o.hands_off.is_some() {
            "DriftNotRepaired"
        } else if o.applied > 0 {
            "DriftRepairing"
        } else {
            "DriftDetected"
        },
        o.drift.iter().take(20).map(ToString::to_string).collect::<Vec<_>>().join("; "),
    );
    if o.ready {
        Phase::Ready
    } else if let Some(hands_off) = o.hands_off {
        match hands_off {
            HandsOff::Paused => Phase::Paused,
            HandsOff::Observe => Phase::Observing,
        }
    } else if degraded {
        Phase::Degraded
    } else {
        Phase::Provisioning
    }
}

/// "N change(s) applied; <what AWS is still doing>", or "reconciling".
pub fn progress_message(applied: usize, waiting: &[String]) -> String {
    let mut parts = Vec::new();
    if applied > 0 {
        parts.push(format!("{applied} change(s) applied"));
    }
    parts.extend(waiting.iter().cloned());
    if parts.is_empty() { "reconciling".into() } else { parts.join("; ") }
}

/// Status of an object whose spec was rejected: no AWS call was made.
pub fn invalid_status(previous: &[Condition], generation: Option<i64>, message: &str, now: &str) -> Vec<Condition> {
    let mut c = previous.to_vec();
    conditions::set(&mut c, types::SPEC_VALID, Status::False, "InvalidSpec", message, generation, now);
    conditions::set(&mut c, types::READY, Status::False, "InvalidSpec", message, generation, now);
    conditions::set(&mut c, types::PROGRESSING, Status::False, "InvalidSpec", "fix the spec", generation, now);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base<'a>() -> Overall<'a> {
        Overall {
            ready: false,
            ready_message: "all good",
            errors: &[],
            blocked: &[],
            waiting: &[],
            applied: 0,
            drift: &[],
            hands_off: None,
            planned: 0,
            attention: &[],
            blocked_reason: "NeedsReplacement",
            degraded_reason: "NeedsAttention",
            idle_message: Some("not ready yet: CdnReady".into()),
        }
    }

    fn reason(c: &[Condition], t: &str) -> (String, String) {
        let c = conditions::get(c, t).unwrap();
        (c.status.clone(), c.reason.clone())
    }

    #[test]
    fn one_rule_for_every_kind() {
        let mut c = Vec::new();
        assert_eq!(set_overall(&mut c, &base(), Some(1), "t"), Phase::Provisioning);
        assert_eq!(conditions::get(&c, types::READY).unwrap().message, "not ready yet: CdnReady");

        let attention = ["db-1 is a writer, not a replica".to_string()];
        let o = Overall { attention: &attention, ..base() };
        assert_eq!(set_overall(&mut c, &o, Some(1), "t"), Phase::Degraded);
        assert_eq!(reason(&c, types::DEGRADED), ("True".into(), "NeedsAttention".into()));

        let drift = [DriftItem::new("us-east-1", "Vpc", "vpc-1", "cidr", "a", "b")];
        let o = Overall { drift: &drift, hands_off: Some(HandsOff::Paused), ..base() };
        assert_eq!(set_overall(&mut c, &o, Some(1), "t"), Phase::Paused);
        assert_eq!(reason(&c, types::READY), ("False".into(), "Paused".into()));
        assert_eq!(reason(&c, types::DRIFT_DETECTED), ("True".into(), "DriftNotRepaired".into()));

        let o = Overall { drift: &drift, hands_off: Some(HandsOff::Observe), planned: 3, ..base() };
        assert_eq!(set_overall(&mut c, &o, Some(1), "t"), Phase::Observing);
        assert_eq!(reason(&c, types::READY), ("False".into(), "Observing".into()));
        assert!(
            conditions::get(&c, types::READY).unwrap().message.contains("3 change(s) planned, 1 drift item(s)"),
            "{c:?}"
        );
        assert_eq!(reason(&c, types::PROGRESSING), ("False".into(), "Idle".into()));
        assert_eq!(reason(&c, types::DRIFT_DETECTED), ("True".into(), "DriftNotRepaired".into()));

        // An observed object that matches its spec is Ready: nothing to apply.
        let o = Overall { ready: true, hands_off: Some(HandsOff::Observe), ..base() };
        assert_eq!(set_overall(&mut c, &o, Some(1), "t"), Phase::Ready);

        let o = Overall { ready: true, ..base() };
        assert_eq!(set_overall(&mut c, &o, Some(1), "t"), Phase::Ready);
        assert_eq!(reason(&c, types::PROGRESSING), ("False".into(), "Idle".into()));
    }
}
