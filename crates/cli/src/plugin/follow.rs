//! Requests made through the stack, then followed: the operator's steps in
//! the status and its events about the stack, until the request is done or
//! refused, or the wait's deadline passes (the request itself goes on).

use std::collections::BTreeSet;
use std::io::Write;
use std::time::{Duration, Instant};

use k8s_openapi::api::events::v1::Event;
use kube::api::{ListParams, Patch, PatchParams};
use kube::{Api, Client, ResourceExt};
use warmstandby_api::{FailoverProgress, FailoverRecord, RegionRole, ThreeTierStack};

use super::{PluginError, drill_patch, get, role_name};
use crate::{EXIT_FAILURE, EXIT_INVALID};

/// How often the stack and its events are read while following.
const POLL: Duration = Duration::from_millis(500);
/// The operator's event for a refused move.
const REFUSED: &str = "FailoverRefused";
/// How long a refusal must hold to be the answer without two of its events
/// (a refusal after the guards has none: fencing disabled with a reachable writer).
const REFUSAL_HOLDS: Duration = Duration::from_secs(15);

/// The refusal a move waits on (it stays requested).
pub(crate) fn refusal(p: &FailoverProgress) -> Option<&str> {
    p.refused.as_deref()
}

/// The operator's events about one object, printed once each.
struct EventFeed {
    api: Api<Event>,
    selector: String,
    seen: BTreeSet<(String, i32)>,
}

impl EventFeed {
    /// Starts after the events that exist now: only what the request causes is told.
    async fn start(client: &Client, stack: &ThreeTierStack) -> Result<EventFeed, PluginError> {
        let ns = stack.namespace().unwrap_or_default();
        let api: Api<Event> = Api::namespaced(client.clone(), &ns);
        let selector = format!("regarding.uid={}", stack.uid().unwrap_or_default());
        let mut feed = EventFeed { api, selector, seen: BTreeSet::new() };
        for e in feed.list().await? {
            feed.seen.insert(key(&e));
        }
        Ok(feed)
    }

    async fn list(&self) -> Result<Vec<Event>, PluginError> {
        let params = ListParams::default().fields(&self.selector);
        let mut events = self.api.list(&params).await.map_err(PluginError::kube("list the stack's events"))?.items;
        events.sort_by_key(when);
        Ok(events)
    }

    /// Prints the events not printed yet; returns their reasons.
    async fn print_new(&mut self, out: &mut dyn Write) -> Result<Vec<String>, PluginError> {
        let mut reasons = Vec::new();
        for e in self.list().await? {
            if !self.seen.insert(key(&e)) {
                continue;
            }
            let at = when(&e).map(|t| t.format("%H:%M:%S").to_string()).unwrap_or_default();
            let reason = e.reason.clone().unwrap_or_default();
            let marker = if e.type_.as_deref() == Some("Warning") { "!" } else { " " };
            writeln!(out, "  {at} {marker} {reason:<20} {}", e.note.as_deref().unwrap_or_default())?;
            reasons.push(reason);
        }
        Ok(reasons)
    }
}

/// An event repeated by the recorder counts again as a series.
fn key(e: &Event) -> (String, i32) {
    (e.name_any(), e.series.as_ref().map(|s| s.count).unwrap_or(0))
}

/// When the event (or the last of its series) happened.
fn when(e: &Event) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    let text = e
        .series
        .as_ref()
        .map(|s| s.last_observed_time.0.to_string())
        .or(e.event_time.as_ref().map(|t| t.0.to_string()))
        .or(e.metadata.creation_timestamp.as_ref().map(|t| t.0.to_string()))?;
    chrono::DateTime::parse_from_rfc3339(&text).ok()
}

fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs())
}

/// `drill`: a new value of the annotation, then the drill's record.
pub(super) async fn drill(
    client: &Client,
    stacks: &Api<ThreeTierStack>,
    name: &str,
    timeout: Duration,
    out: &mut dyn Write,
) -> Result<u8, PluginError> {
    let st = get(stacks, name).await?;
    let mut feed = EventFeed::start(client, &st).await?;
    let token = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    stacks
        .patch(name, &PatchParams::default(), &Patch::Merge(&drill_patch(&token)))
        .await
        .map_err(PluginError::kube(format!("annotate ThreeTierStack {name}")))?;
    writeln!(out, "requested a drill of {name} ({})", warmstandby_api::ANNOTATION_RUN_DRILL)?;
    let started = Instant::now();
    loop {
        feed.print_new(out).await?;
        let st = get(stacks, name).await?;
        let drill =
            st.status.as_ref().and_then(|s| s.drill.clone()).filter(|d| d.last_request.as_deref() == Some(&token));
        if let Some(d) = drill {
            let rto = d.predicted_rto_seconds.map(|s| format!("{s} s")).unwrap_or_else(|| "unknown".into());
            if d.failures.is_empty() {
                writeln!(out, "drill passed: the standby could take over; predicted RTO {rto}")?;
                return Ok(0);
            }
            writeln!(out, "drill failed: the standby could not take over now:")?;
            for f in &d.failures {
                writeln!(out, "  - {f}")?;
            }
            return Ok(EXIT_INVALID);
        }
        if started.elapsed() >= timeout {
            writeln!(
                out,
                "gave up after {}: the operator has not run the drill requested at {token} (is it running?)",
                seconds(timeout)
            )?;
            return Ok(EXIT_FAILURE);
        }
        tokio::time::sleep(POLL).await;
    }
}

/// How a move is followed.
pub(super) struct Following {
    /// The longest it is followed.
    pub timeout: Duration,
    /// Refusals are printed and followed on, not the end.
    pub through_refusals: bool,
}

/// `failover --to`: the request through `spec.activeRegion`, then the move
/// followed step by step.
pub(super) async fn failover(
    client: &Client,
    stacks: &Api<ThreeTierStack>,
    name: &str,
    to: RegionRole,
    following: Following,
    out: &mut dyn Write,
) -> Result<u8, PluginError> {
    let Following { timeout, through_refusals } = following;
    let mut refusals_told = BTreeSet::new();
    let started = Instant::now();
    let st = get(stacks, name).await?;
    let status = st.status.clone().unwrap_or_default();
    let mut feed = EventFeed::start(client, &st).await?;
    let before = status.failover_history.last().cloned();
    match (&status.failover, status.active_role) {
        (Some(p), _) if p.to != to => {
            return Err(PluginError::Refused(format!(
                "ThreeTierStack {name}: a {} to the {} is in progress (step {}); one move at a time",
                p.kind, p.to, p.step
            )));
        }
        (Some(p), _) => writeln!(out, "following the {} of {name} to the {} in progress", p.kind, p.to)?,
        (None, Some(active)) if active == to => {
            if st.spec.active_region != to {
                // After an automatic failover: the spec is told where the
                // stack is, and the operator takes it before this returns
                // (a request right after must not meet it half taken).
                set_active(stacks, name, to).await?;
                wait_acknowledged(stacks, name, to, timeout).await?;
            }
            writeln!(out, "ThreeTierStack {name} already serves from the {to} region")?;
            return Ok(0);
        }
        (None, active) => {
            // A change of the field is the request: one the operator has
            // not taken yet (a change just made) would be undone unseen.
            let current = st.spec.active_region;
            wait_acknowledged(stacks, name, current, timeout).await?;
            if st.spec.active_region == to {
                // The spec already names the target (a failover moved the
                // stack away from it): a request is a change of the field,
                // so it first says where the stack is, then where to go.
                let here = active.unwrap_or(to.other());
                set_active(stacks, name, here).await?;
                wait_acknowledged(stacks, name, here, timeout.saturating_sub(started.elapsed())).await?;
            }
            set_active(stacks, name, to).await?;
            writeln!(out, "requested a switchover of {name} to the {to} (spec.activeRegion={})", role_name(to))?;
        }
    }
    let mut last_step = None;
    let mut refused_since = None;
    let mut refusals_seen = 0;
    loop {
        refusals_seen += feed.print_new(out).await?.iter().filter(|r| *r == REFUSED).count();
        let st = get(stacks, name).await?;
        let status = st.status.clone().unwrap_or_default();
        if let Some(done) = finished(&status.failover_history, before.as_ref()) {
            return Ok(report(&done, out)?);
        }
        if let Some(p) = &status.failover {
            let now = (p.step.clone(), p.steps.last().and_then(|s| s.message.clone()));
            if last_step.as_ref() != Some(&now) {
                let waits = now.1.as_deref().map(|m| format!(": {m}")).unwrap_or_default();
                let epoch = if p.epoch > 0 { format!(" (epoch {})", p.epoch) } else { String::new() };
                writeln!(out, "  step {}{epoch}{waits}", now.0)?;
                last_step = Some(now);
            }
            // A refusal in the status, even one whose event came after
            // following began, may be from a pass that started before the
            // latest change (an approval just given): it is the answer once
            // the operator has refused twice since, or it has held a while.
            let held =
                refusal(p).is_some() && refused_since.get_or_insert_with(Instant::now).elapsed() >= REFUSAL_HOLDS;
            if refusal(p).is_none() {
                refused_since = None;
            }
            if let Some(why) = refusal(p).filter(|_| refusals_seen >= 2 || held) {
                if through_refusals {
                    if refusals_told.insert(why.to_string()) {
                        writeln!(out, "  refused for now: {why}")?;
                    }
                } else {
                    writeln!(out, "refused: {why}")?;
                    writeln!(
                        out,
                        "the request stays: the operator goes on when the guard passes (`kubectl warmstandby approve {name}` \
                     when it waits for approval; `--wait` to follow it on)"
                    )?;
                    return Ok(EXIT_INVALID);
                }
            }
        }
        if started.elapsed() >= timeout {
            let at = status.failover.as_ref().map(|p| format!("at step {}", p.step)).unwrap_or("not started".into());
            writeln!(
                out,
                "gave up following after {}: the move to the {to} is {at}; it goes on (`kubectl warmstandby status {name}`)",
                seconds(timeout)
            )?;
            return Ok(EXIT_FAILURE);
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The first move recorded after `before` (the last record when following
/// began), if any; drills are not moves. The history keeps the last 20, so
/// `before` may have left it: then what finished after it is new.
fn finished(history: &[FailoverRecord], before: Option<&FailoverRecord>) -> Option<FailoverRecord> {
    let new = match before {
        None => history,
        Some(b) => match history.iter().rposition(|r| r == b) {
            Some(i) => &history[i + 1..],
            None => {
                let later = history.iter().position(|r| r.finished_at > b.finished_at).unwrap_or(history.len());
                &history[later..]
            }
        },
    };
    new.iter().find(|r| r.kind != "drill").cloned()
}

fn report(done: &FailoverRecord, out: &mut dyn Write) -> std::io::Result<u8> {
    let rto = done.rto_seconds.map(|s| format!("; RTO {s:.1} s")).unwrap_or_default();
    let rpo = done.rpo_estimate_seconds.map(|s| format!("; RPO estimate {s} s")).unwrap_or_default();
    let message = if done.message.is_empty() { String::new() } else { format!(": {}", done.message) };
    writeln!(
        out,
        "{}: {} to the {} (epoch {}){rto}{rpo}{message}",
        done.outcome.to_lowercase(),
        done.kind,
        done.to,
        done.epoch
    )?;
    Ok(if done.outcome == "Succeeded" { 0 } else { EXIT_INVALID })
}

async fn set_active(stacks: &Api<ThreeTierStack>, name: &str, role: RegionRole) -> Result<(), PluginError> {
    let patch = serde_json::json!({"spec": {"activeRegion": role_name(role)}});
    stacks
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(PluginError::kube(format!("set spec.activeRegion of ThreeTierStack {name}")))?;
    Ok(())
}

/// Until the operator has taken `spec.activeRegion=role` as where the stack is.
async fn wait_acknowledged(
    stacks: &Api<ThreeTierStack>,
    name: &str,
    role: RegionRole,
    limit: Duration,
) -> Result<(), PluginError> {
    let started = Instant::now();
    loop {
        let st = get(stacks, name).await?;
        let status = st.status.as_ref();
        if status.and_then(|s| s.requested_active_region) == Some(role)
            && status.and_then(|s| s.observed_generation) == st.metadata.generation
        {
            return Ok(());
        }
        if started.elapsed() >= limit {
            return Err(PluginError::Refused(format!(
                "ThreeTierStack {name}: the operator did not take spec.activeRegion={} within {}",
                role_name(role),
                seconds(limit)
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(epoch: i64, kind: &str) -> FailoverRecord {
        FailoverRecord { epoch, kind: kind.into(), outcome: "Succeeded".into(), ..Default::default() }
    }

    #[test]
    fn a_move_is_finished_once_a_new_record_follows_the_last_one_seen() {
        let old = record(1, "failover");
        assert_eq!(finished(std::slice::from_ref(&old), Some(&old)), None);
        assert_eq!(finished(&[old.clone(), record(1, "drill")], Some(&old)), None, "a drill is not the move");
        assert_eq!(finished(&[old.clone(), record(2, "switchover")], Some(&old)), Some(record(2, "switchover")));
        assert_eq!(finished(&[record(1, "switchover")], None), Some(record(1, "switchover")));
        assert_eq!(finished(&[], None), None);
    }
}
