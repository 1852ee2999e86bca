//! Leader election on a `coordination.k8s.io/v1` Lease. Renewal runs on its
//! own task; the moment a renewal fails or another holder appears, the
//! replica stops mutating AWS (reconcilers check `LeaderState` before acting).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, Client};

#[derive(Debug, Default)]
pub struct LeaderState {
    leader: AtomicBool,
}

impl LeaderState {
    pub fn is_leader(&self) -> bool {
        self.leader.load(Ordering::SeqCst)
    }

    pub fn set(&self, leader: bool) {
        self.leader.store(leader, Ordering::SeqCst);
    }

    /// For a single replica without election (`--leader-elect=false`).
    pub fn always() -> Arc<LeaderState> {
        let s = LeaderState::default();
        s.set(true);
        Arc::new(s)
    }
}

#[derive(Clone, Debug)]
pub struct LeaseConfig {
    pub namespace: String,
    pub name: String,
    /// This replica (pod name).
    pub identity: String,
    pub lease_duration: Duration,
    pub renew_every: Duration,
}

/// How much longer another replica's lease runs (`None`: free, ours or expired).
pub fn held_by_other_for(spec: Option<&LeaseSpec>, identity: &str, now: Timestamp) -> Option<Duration> {
    let spec = spec?;
    match spec.holder_identity.as_deref() {
        None | Some("") => None,
        Some(holder) if holder == identity => None,
        Some(_) => {
            let duration_ms = i64::from(spec.lease_duration_seconds.unwrap_or(15)) * 1000;
            let MicroTime(renewed) = spec.renew_time.as_ref()?;
            let left = renewed.as_millisecond() + duration_ms - now.as_millisecond();
            (left >= 0).then(|| Duration::from_millis(u64::try_from(left).unwrap_or(0)))
        }
    }
}

/// The outcome of one acquire-or-renew attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hold {
    /// This replica holds the lease.
    Held,
    /// Another replica does; its lease runs out after this long (if known).
    Other(Option<Duration>),
}

fn held_spec(previous: Option<&LeaseSpec>, cfg: &LeaseConfig, now: Timestamp) -> LeaseSpec {
    let keeps = previous.and_then(|p| p.holder_identity.as_deref()) == Some(cfg.identity.as_str());
    let transitions = previous.and_then(|p| p.lease_transitions).unwrap_or(0);
    LeaseSpec {
        holder_identity: Some(cfg.identity.clone()),
        lease_duration_seconds: Some(i32::try_from(cfg.lease_duration.as_secs()).unwrap_or(15)),
        acquire_time: if keeps { previous.and_then(|p| p.acquire_time.clone()) } else { Some(MicroTime(now)) },
        renew_time: Some(MicroTime(now)),
        lease_transitions: Some(if keeps || previous.is_none() { transitions } else { transitions + 1 }),
        ..Default::default()
    }
}

/// One acquire-or-renew attempt. Uses the lease's resourceVersion, so two
/// replicas can never both win.
pub async fn try_hold(api: &Api<Lease>, cfg: &LeaseConfig) -> Result<Hold, kube::Error> {
    let now = Timestamp::now();
    match api.get_opt(&cfg.name).await? {
        None => {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(cfg.name.clone()),
                    namespace: Some(cfg.namespace.clone()),
                    ..Default::default()
                },
                spec: Some(held_spec(None, cfg, now)),
            };
            match api.create(&PostParams::default(), &lease).await {
                Ok(_) => Ok(Hold::Held),
                Err(kube::Error::Api(e)) if e.code == 409 => Ok(Hold::Other(None)),
                Err(e) => Err(e),
            }
        }
        Some(mut lease) => {
            if let Some(left) = held_by_other_for(lease.spec.as_ref(), &cfg.identity, now) {
                return Ok(Hold::Other(Some(left)));
            }
            lease.spec = Some(held_spec(lease.spec.as_ref(), cfg, now));
            match api.replace(&cfg.name, &PostParams::default(), &lease).await {
                Ok(_) => Ok(Hold::Held),
                Err(kube::Error::Api(e)) if e.code == 409 => Ok(Hold::Other(None)),
                Err(e) => Err(e),
            }
        }
    }
}

/// Keeps trying to hold the lease for as long as the process runs.
pub async fn run(client: Client, cfg: LeaseConfig, state: Arc<LeaderState>, on_change: impl Fn(bool) + Send + 'static) {
    let api: Api<Lease> = Api::namespaced(client, &cfg.namespace);
    loop {
        let hold = match try_hold(&api, &cfg).await {
            Ok(hold) => hold,
            Err(e) => {
                tracing::warn!(error = %e, "lease renewal failed; stepping down");
                Hold::Other(None)
            }
        };
        let held = hold == Hold::Held;
        if held != state.is_leader() {
            tracing::info!(leader = held, identity = %cfg.identity, "leadership changed");
            state.set(held);
            on_change(held);
        }
        tokio::time::sleep(next_attempt(hold, cfg.renew_every)).await;
    }
}

/// When to try again: a holder renews every `renew_every`; a candidate
/// also tries right after the other holder's lease runs out, so a dead
/// leader is replaced within the lease duration.
pub fn next_attempt(hold: Hold, renew_every: Duration) -> Duration {
    match hold {
        Hold::Other(Some(left)) => renew_every.min(left + Duration::from_millis(50)),
        _ => renew_every,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(holder: &str, renewed_secs: i64, duration: i32) -> LeaseSpec {
        LeaseSpec {
            holder_identity: Some(holder.into()),
            renew_time: Some(MicroTime(Timestamp::from_second(renewed_secs).unwrap())),
            lease_duration_seconds: Some(duration),
            ..Default::default()
        }
    }

    #[test]
    fn a_lease_is_taken_only_when_free_ours_or_expired() {
        let now = Timestamp::from_second(1_000).unwrap();
        let may_hold = |spec: Option<&LeaseSpec>| held_by_other_for(spec, "a", now).is_none();
        assert!(may_hold(None));
        assert!(may_hold(Some(&spec("a", 999, 15))));
        assert!(!may_hold(Some(&spec("b", 990, 15))), "b renewed 10 s ago");
        assert!(may_hold(Some(&spec("b", 980, 15))), "b expired 5 s ago");
    }

    #[test]
    fn a_candidate_tries_again_right_after_the_lease_runs_out() {
        let now = Timestamp::from_second(1_000).unwrap();
        let left = held_by_other_for(Some(&spec("b", 995, 6)), "a", now);
        assert_eq!(left, Some(Duration::from_secs(1)));
        assert_eq!(next_attempt(Hold::Other(left), Duration::from_secs(2)), Duration::from_millis(1050));
        assert_eq!(next_attempt(Hold::Other(None), Duration::from_secs(2)), Duration::from_secs(2));
        assert_eq!(next_attempt(Hold::Held, Duration::from_secs(2)), Duration::from_secs(2));
        assert_eq!(held_by_other_for(Some(&spec("b", 990, 6)), "a", now), None, "expired");
    }

    #[test]
    fn taking_over_counts_a_transition() {
        let cfg = LeaseConfig {
            namespace: "ns".into(),
            name: "l".into(),
            identity: "a".into(),
            lease_duration: Duration::from_secs(15),
            renew_every: Duration::from_secs(5),
        };
        let now = Timestamp::from_second(1_000).unwrap();
        let mut old = spec("b", 900, 15);
        old.lease_transitions = Some(3);
        let taken = held_spec(Some(&old), &cfg, now);
        assert_eq!((taken.holder_identity.as_deref(), taken.lease_transitions), (Some("a"), Some(4)));
        let renewed = held_spec(Some(&taken), &cfg, now);
        assert_eq!(renewed.lease_transitions, Some(4));
    }
}
