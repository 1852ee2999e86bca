//! Replication into a read replica as RDS reports it, remembered across
//! passes, and the RPO estimate that the guards, drills and `StandbyReady`
//! take from it.
//!
//! RDS reports replication in two places: the `AWS/RDS ReplicaLag` metric
//! (seconds behind the source; `-1` while replication is not running, and no
//! datapoint at all while the replica is unavailable) and the replica's
//! `StatusInfos` (`read replication`: `replicating`, or not normal with
//! `stopped`, `error`, `terminated`). A reading that is not a lag is never
//! taken as one.
//! <https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Monitoring.html>

use warmstandby_api::ReplicationStatus;

/// RDS's `StatusInfos` entry of type `read replication`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatusInfo {
    pub status: String,
    pub normal: bool,
    pub message: Option<String>,
}

/// One pass's reading of a replica's replication.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reading {
    pub status_info: Option<StatusInfo>,
    /// `ReplicaLag` datapoints of the recent window, newest first:
    /// (seconds since the epoch, value as published).
    pub points: Vec<(i64, i64)>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum State {
    Replicating,
    /// Replication is not running (stopped, or in error).
    Stopped,
    /// No reading: the replica is unavailable or has published nothing yet.
    #[default]
    Unknown,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Replicating => "replicating",
            State::Stopped => "stopped",
            State::Unknown => "unknown",
        }
    }
}

/// Replication health: this pass's reading merged with what earlier passes
/// knew (the last lag and since when replication is stopped).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Health {
    pub state: State,
    /// Why replication is not running, in RDS's words.
    pub reason: Option<String>,
    /// The current lag, while replicating and published.
    pub lag_seconds: Option<i64>,
    /// The last lag known while replication ran: (seconds, when it was known to run).
    pub last_lag: Option<(i64, i64)>,
    /// When replication was first seen not running (seconds since the epoch).
    pub stopped_since: Option<i64>,
}

fn rfc3339(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn parse(text: Option<&str>) -> Option<i64> {
    text.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()).map(|t| t.timestamp())
}

impl Health {
    /// Merges `reading` with the `previous` status of the same replica.
    pub fn from_reading(reading: &Reading, previous: Option<&ReplicationStatus>, now: i64) -> Health {
        let latest = reading.points.first().copied();
        let lag_here = reading.points.iter().copied().find(|(_, v)| *v >= 0).map(|(at, v)| (v, at));
        let lag_before = previous.and_then(|p| Some((p.last_lag_seconds?, parse(p.last_lag_at.as_deref())?)));
        let last_lag = match (lag_here, lag_before) {
            (Some(a), Some(b)) => Some(if a.1 >= b.1 { a } else { b }),
            (a, b) => a.or(b),
        };
        let stopped_by_status = reading.status_info.as_ref().filter(|s| !s.normal).map(|s| match &s.message {
            Some(m) if !m.is_empty() => format!("RDS reports replication {}: {m}", s.status),
            _ => format!("RDS reports replication {}", s.status),
        });
        let stopped_by_metric =
            latest.filter(|(_, v)| *v < 0).map(|(_, v)| format!("ReplicaLag is {v}: replication is not running"));
        let Some(reason) = stopped_by_status.or(stopped_by_metric) else {
            let replicating = latest.is_some() || reading.status_info.as_ref().is_some_and(|s| s.normal);
            let lag_seconds = latest.map(|(_, v)| v).filter(|v| *v >= 0);
            return Health {
                state: if replicating { State::Replicating } else { State::Unknown },
                reason: None,
                lag_seconds,
                // RDS says it replicates now: this lag is known as of now, to
                // the pass rather than to CloudWatch's minute.
                last_lag: lag_seconds.filter(|_| replicating).map(|v| (v, now)).or(last_lag),
                stopped_since: None,
            };
        };
        // The first non-lag reading after the last lag, or the first pass that saw it.
        let first_seen = reading
            .points
            .iter()
            .take_while(|(at, v)| *v < 0 && lag_here.is_none_or(|(_, lag_at)| *at > lag_at))
            .map(|(at, _)| *at)
            .min();
        let before =
            previous.filter(|p| p.state == State::Stopped.as_str()).and_then(|p| parse(p.stopped_since.as_deref()));
        let stopped_since = [first_seen, before].into_iter().flatten().min().unwrap_or(now);
        Health {
            state: State::Stopped,
            reason: Some(reason),
            lag_seconds: None,
            last_lag,
            stopped_since: Some(stopped_since),
        }
    }

    /// What the status keeps of it.
    pub fn status(&self) -> ReplicationStatus {
        ReplicationStatus {
            state: self.state.as_str().to_string(),
            message: self.reason.clone(),
            last_lag_seconds: self.last_lag.map(|(v, _)| v),
            last_lag_at: self.last_lag.map(|(_, at)| rfc3339(at)),
            stopped_since: self.stopped_since.map(rfc3339),
        }
    }

    /// The writes a promotion now would lose, at most, for a failure that
    /// began at `failure_since`: the lag while replicating; once replication
    /// stopped, the last lag plus everything written between that reading
    /// and the failure (the replica saw none of it). An error says why it
    /// cannot be estimated; never negative, never invented.
    pub fn rpo_estimate(&self, failure_since: i64) -> Result<Rpo, String> {
        match self.state {
            State::Replicating => match self.lag_seconds {
                Some(lag) => Ok(Rpo { seconds: lag, replicating: true }),
                None => Err("replica lag is unknown (no ReplicaLag reading yet)".into()),
            },
            State::Stopped => {
                let reason = self.reason.as_deref().unwrap_or("replication is not running");
                match self.last_lag {
                    Some((lag, at)) => Ok(Rpo { seconds: lag + (failure_since - at).max(0), replicating: false }),
                    None => Err(format!("{reason}, and no lag was known before it stopped")),
                }
            }
            State::Unknown => Err("replica lag is unknown (the replica publishes no ReplicaLag)".into()),
        }
    }

    /// One sentence for conditions and refusals when replication is not running.
    pub fn stopped_message(&self) -> Option<String> {
        (self.state == State::Stopped).then(|| {
            let since = self.stopped_since.map(|s| format!(" since {}", rfc3339(s))).unwrap_or_default();
            let last = match self.last_lag {
                Some((lag, at)) => format!("; last lag {lag} s at {}", rfc3339(at)),
                None => "; no lag known before".into(),
            };
            format!("replication is not running{since} ({}){last}", self.reason.as_deref().unwrap_or("unknown reason"))
        })
    }
}

/// An RPO estimate (an upper bound of the writes a promotion would lose).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rpo {
    pub seconds: i64,
    /// Taken from a running replication's lag (else from the last lag before it stopped).
    pub replicating: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stopped_status(since: &str, lag: i64, at: &str) -> ReplicationStatus {
        ReplicationStatus {
            state: "stopped".into(),
            message: Some("x".into()),
            last_lag_seconds: Some(lag),
            last_lag_at: Some(at.into()),
            stopped_since: Some(since.into()),
        }
    }

    #[test]
    fn a_running_replica_reports_its_latest_lag() {
        let r = Reading { status_info: None, points: vec![(1_000, 4), (940, 2)] };
        let h = Health::from_reading(&r, None, 1_010);
        assert_eq!(h.state, State::Replicating);
        assert_eq!(h.lag_seconds, Some(4));
        assert_eq!(h.last_lag, Some((4, 1_010)), "known as of this pass");
        assert_eq!(h.rpo_estimate(2_000), Ok(Rpo { seconds: 4, replicating: true }));
    }

    #[test]
    fn minus_one_is_never_a_lag() {
        let r = Reading { status_info: None, points: vec![(1_120, -1), (1_060, -1), (1_000, 3)] };
        let h = Health::from_reading(&r, None, 1_130);
        assert_eq!(h.state, State::Stopped);
        assert_eq!(h.lag_seconds, None);
        assert_eq!(h.last_lag, Some((3, 1_000)));
        assert_eq!(h.stopped_since, Some(1_060), "the first -1 after the last lag");
        // A failure that began with the stop: the last lag plus the minute after it.
        assert_eq!(h.rpo_estimate(1_060), Ok(Rpo { seconds: 63, replicating: false }));
        // A reading before the failure began never makes the estimate negative.
        assert_eq!(h.rpo_estimate(900).map(|r| r.seconds), Ok(3));
    }

    #[test]
    fn status_infos_say_it_stopped_even_before_the_metric_does() {
        let r = Reading {
            status_info: Some(StatusInfo {
                status: "error".into(),
                normal: false,
                message: Some("Error 1062 on the replica".into()),
            }),
            points: vec![(1_000, 0)],
        };
        let h = Health::from_reading(&r, None, 1_030);
        assert_eq!(h.state, State::Stopped);
        assert_eq!(h.stopped_since, Some(1_030), "first seen by this pass");
        assert!(h.reason.as_deref().is_some_and(|m| m.contains("error") && m.contains("1062")));
        assert!(h.stopped_message().is_some_and(|m| m.contains("last lag 0 s")));
    }

    #[test]
    fn the_status_remembers_the_last_lag_and_the_stop_when_the_window_has_moved_on() {
        let previous = stopped_status("2026-12-05T00:01:00Z", 2, "2026-12-05T00:00:00Z");
        // Only -1 left in the window, all after the remembered stop.
        let r = Reading { status_info: None, points: vec![(1_796_430_000, -1)] };
        let h = Health::from_reading(&r, Some(&previous), 1_796_430_010);
        assert_eq!(h.last_lag.map(|(v, _)| v), Some(2));
        assert_eq!(h.status().stopped_since.as_deref(), Some("2026-12-05T00:01:00Z"));
        assert_eq!(h.status().last_lag_at.as_deref(), Some("2026-12-05T00:00:00Z"));
        let failure = parse(Some("2026-12-05T01:00:00Z")).unwrap_or_default();
        assert_eq!(h.rpo_estimate(failure).map(|r| r.seconds), Ok(2 + 3_600), "stopped an hour before the failure");
    }

    #[test]
    fn without_any_lag_the_estimate_is_refused_not_invented() {
        let r = Reading { status_info: None, points: vec![(1_000, -1)] };
        let h = Health::from_reading(&r, None, 1_010);
        assert!(h.rpo_estimate(1_010).is_err());
        let unavailable = Health::from_reading(&Reading::default(), None, 1_010);
        assert_eq!(unavailable.state, State::Unknown);
        assert!(unavailable.rpo_estimate(1_010).is_err());
        let no_point_yet = Reading {
            status_info: Some(StatusInfo { status: "replicating".into(), normal: true, message: None }),
            points: Vec::new(),
        };
        let h = Health::from_reading(&no_point_yet, None, 1_010);
        assert_eq!(h.state, State::Replicating);
        assert!(h.rpo_estimate(1_010).is_err());
    }

    #[test]
    fn replication_running_again_forgets_the_stop() {
        let previous = stopped_status("2026-12-05T00:01:00Z", 2, "2026-12-05T00:00:00Z");
        let r = Reading { status_info: None, points: vec![(1_796_430_000, 0)] };
        let h = Health::from_reading(&r, Some(&previous), 1_796_430_010);
        assert_eq!(h.state, State::Replicating);
        assert_eq!(h.stopped_since, None);
        assert_eq!(h.last_lag, Some((0, 1_796_430_010)));
    }
}
