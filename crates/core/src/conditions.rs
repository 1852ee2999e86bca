//! Condition bookkeeping: `lastTransitionTime` moves only when status flips.

use warmstandby_api::Condition;

/// Condition types used across the kinds.
pub mod types {
    pub const READY: &str = "Ready";
    pub const PROGRESSING: &str = "Progressing";
    pub const DEGRADED: &str = "Degraded";
    pub const DRIFT_DETECTED: &str = "DriftDetected";
    pub const SPEC_VALID: &str = "SpecValid";
    pub const NETWORK_READY: &str = "NetworkReady";
    pub const DATABASE_READY: &str = "DatabaseReady";
    pub const CERTIFICATES_READY: &str = "CertificatesReady";
    pub const LOAD_BALANCERS_READY: &str = "LoadBalancersReady";
    pub const COMPUTE_READY: &str = "ComputeReady";
    pub const WAF_READY: &str = "WafReady";
    pub const DNS_READY: &str = "DnsReady";
    pub const CDN_READY: &str = "CdnReady";
    pub const STANDBY_READY: &str = "StandbyReady";
    pub const REPLICATION_HEALTHY: &str = "ReplicationHealthy";

    /// The families' own conditions in the order a new status lists them,
    /// whether a family is planned by its tier or on the family seam.
    pub const FAMILIES: &[&str] = &[
        DATABASE_READY,
        REPLICATION_HEALTHY,
        CERTIFICATES_READY,
        LOAD_BALANCERS_READY,
        COMPUTE_READY,
        DNS_READY,
        CDN_READY,
        WAF_READY,
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    True,
    False,
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::True => "True",
            Status::False => "False",
            Status::Unknown => "Unknown",
        }
    }

    pub fn from_bool(b: bool) -> Status {
        if b { Status::True } else { Status::False }
    }
}

/// Sets (or adds) a condition. `now` is RFC 3339 and is used only when the
/// status changes, so a steady object's conditions stay byte-identical.
pub fn set(
    conditions: &mut Vec<Condition>,
    type_: &str,
    status: Status,
    reason: &str,
    message: impl Into<String>,
    generation: Option<i64>,
    now: &str,
) {
    let message = message.into();
    match conditions.iter_mut().find(|c| c.type_ == type_) {
        Some(c) => {
            if c.status != status.as_str() {
                c.last_transition_time = now.to_string();
                c.status = status.as_str().to_string();
            }
            c.reason = reason.to_string();
            c.message = message;
            c.observed_generation = generation;
        }
        None => conditions.push(Condition {
            type_: type_.to_string(),
            status: status.as_str().to_string(),
            observed_generation: generation,
            last_transition_time: now.to_string(),
            reason: reason.to_string(),
            message,
        }),
    }
}

pub fn get<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

pub fn is_true(conditions: &[Condition], type_: &str) -> bool {
    get(conditions, type_).is_some_and(|c| c.status == "True")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transition_time_moves_only_on_flip() {
        let mut c = Vec::new();
        set(&mut c, types::READY, Status::False, "Provisioning", "creating", Some(1), "t1");
        set(&mut c, types::READY, Status::False, "Provisioning", "still creating", Some(2), "t2");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].last_transition_time, "t1");
        assert_eq!(c[0].message, "still creating");
        assert_eq!(c[0].observed_generation, Some(2));
        set(&mut c, types::READY, Status::True, "Ready", "", Some(2), "t3");
        assert_eq!(c[0].last_transition_time, "t3");
        assert!(is_true(&c, types::READY));
    }
}
