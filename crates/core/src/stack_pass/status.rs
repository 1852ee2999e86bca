//! Pure status computation for a ThreeTierStack: every family's conditions
//! (its verdicts, from the seam) and the overall Ready over all of them.

use warmstandby_api::{Condition, ThreeTierStackStatus};

use crate::conditions::{self, Status, types};
use crate::plan::PassOutcome;

/// What a pass found, for its status.
#[derive(Debug)]
pub struct StackPass {
    /// The verdicts of the families on the seam (`families`).
    pub seam: Vec<crate::servers::status::Family>,
    pub outcome: PassOutcome,
    /// The pass changed nothing on purpose, and why.
    pub hands_off: Option<warmstandby_api::HandsOff>,
    /// Region name of the active region.
    pub active_region: String,
}

pub fn stack_status(
    previous: &[Condition],
    generation: Option<i64>,
    pass: &StackPass,
    now: &str,
) -> ThreeTierStackStatus {
    let mut c = previous.to_vec();
    let set = |c: &mut Vec<Condition>, t: &str, s: Status, reason: &str, msg: String| {
        conditions::set(c, t, s, reason, msg, generation, now)
    };
    set(&mut c, types::SPEC_VALID, Status::True, "Valid", String::new());

    let mut families = pass.seam.clone();
    let listed = |f: &crate::servers::status::Family| types::FAMILIES.iter().position(|c| *c == f.condition);
    families.sort_by_key(|f| listed(f).unwrap_or(usize::MAX));
    for f in &families {
        set(&mut c, f.condition, Status::from_bool(f.ready), f.reason, f.message.clone());
    }
    let not_ready: Vec<&str> = families.iter().filter(|f| !f.ready).map(|f| f.condition).collect();
    // What degrades the stack rather than holds it back (a broken replication).
    let attention: Vec<String> = families.iter().flat_map(|f| f.attention.iter().cloned()).collect();
    let ready = pass.outcome.converged
        && pass.outcome.blocked.is_empty()
        && pass.outcome.waiting.is_empty()
        && pass.outcome.errors.is_empty()
        && not_ready.is_empty();
    let mut drift = pass.outcome.drift.clone();
    drift.sort();
    let phase = crate::overall::set_overall(
        &mut c,
        &crate::overall::Overall {
            ready,
            ready_message: "every tier exists in both regions and globally and matches the spec",
            errors: &pass.outcome.errors,
            blocked: &pass.outcome.blocked,
            waiting: &pass.outcome.waiting,
            applied: pass.outcome.applied,
            drift: &drift,
            hands_off: pass.hands_off,
            planned: pass.outcome.planned,
            attention: &attention,
            blocked_reason: "NeedsReplacement",
            degraded_reason: "NeedsAttention",
            idle_message: (!not_ready.is_empty()).then(|| format!("not ready yet: {}", not_ready.join(", "))),
        },
        generation,
        now,
    );
    ThreeTierStackStatus {
        observed_generation: generation,
        phase: Some(phase),
        active_region: Some(pass.active_region.clone()),
        conditions: c,
        // The regions' and the global IDs and the endpoints are the seam
        // families' (`families`), written after this.
        primary: Some(Default::default()),
        standby: Some(Default::default()),
        global: Some(Default::default()),
        endpoints: Some(Default::default()),
        drift_count: i32::try_from(drift.len()).unwrap_or(i32::MAX),
        drift,
        ..Default::default()
    }
}
