//! Standby readiness: every guard and readiness check a failover would meet,
//! evaluated on observed state without moving traffic, and the RTO it
//! predicts. Drills record it; `StandbyReady` reports it on every pass.

use warmstandby_api::{FailoverPolicySpec, RegionRole, ThreeTierStackSpec};

use crate::data::observed::ObservedDataTier;
use crate::desired::{DesiredDataTier, DesiredRegionServers, ImageSource};
use crate::families::certificates::ObservedCertificates;
use crate::servers::observed::ObservedCompute;

/// What a move takes after the decision, from the AWS timing table the
/// emulator uses too: the promotion, with the standby's instances launching
/// and passing health checks meanwhile, then the DNS change reaching every
/// Route 53 server and resolvers following within the alias's 60 s TTL.
pub fn move_estimate_seconds() -> i64 {
    use crate::aws_time::typical;
    let promote = typical("rds.promote_read_replica");
    let capacity = typical("ec2.instance.launch") + typical("elbv2.target.healthy");
    promote.max(capacity) + typical("route53.change") + RESOLVER_TTL_SECONDS
}

/// Resolvers follow an alias failover within the record's TTL (an ALB alias: 60 s).
const RESOLVER_TTL_SECONDS: i64 = 60;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Readiness {
    pub checks: usize,
    pub failures: Vec<String>,
    pub predicted_rto_seconds: i64,
}

impl Readiness {
    pub fn ready(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Checks the passive region of `active` can take over.
pub fn readiness(
    policy: Option<&FailoverPolicySpec>,
    spec: &ThreeTierStackSpec,
    active: RegionRole,
    data: (&[DesiredDataTier; 2], &[ObservedDataTier; 2]),
    compute: (&[DesiredRegionServers; 2], &[ObservedCompute; 2]),
    certificates: &ObservedCertificates,
    now: i64,
) -> Readiness {
    let (dd, od) = data;
    let (de, oe) = compute;
    let (a, p) = (active.index(), active.other().index());
    let region = &de[p].region;
    let mut failures = Vec::new();
    let mut checks = 0;
    let mut check = |ok: bool, failure: String| {
        checks += 1;
        if !ok {
            failures.push(failure);
        }
    };

    for t in &de[p].tiers {
        // Images present in the standby.
        match de[p].image(t.tier).map(|i| &i.source) {
            Some(ImageSource::Copy { .. }) => check(
                oe[p].image(t.tier).is_some_and(|i| i.state == "available"),
                format!("{region}: the {} image copy is not available", t.tier),
            ),
            Some(ImageSource::Given(ami)) if de[p].role == RegionRole::Standby => check(
                oe[p].image(t.tier).is_some_and(|i| i.state == "available"),
                format!("{region}: AMI {ami} is not available"),
            ),
            _ => {}
        }
        // Launch templates the same as the active region's (but for region-local IDs).
        let same = match (oe[a].launch_template(t.tier), oe[p].launch_template(t.tier)) {
            (Some(x), Some(y)) => match (&x.latest, &y.latest) {
                (Some(x), Some(y)) => {
                    // The environment block names each region's own settings.
                    let user = |d: &crate::servers::observed::LaunchTemplateData| {
                        d.user_data.as_deref().map(crate::families::environment::user_part)
                    };
                    x.instance_type == y.instance_type
                        && user(x) == user(y)
                        && x.iam_instance_profile == y.iam_instance_profile
                }
                _ => false,
            },
            _ => false,
        };
        check(same, format!("{region}: the {} launch template differs from the active region's", t.tier));
        // Capacity can be raised to the active capacity.
        let full = if t.tier == "web" { spec.web.capacity } else { spec.api.capacity };
        check(
            oe[p].auto_scaling_group(&t.auto_scaling_group_name).is_some_and(|g| g.spec.max >= full.desired),
            format!("{region}: the {} auto scaling group cannot reach {} instances", t.tier, full.desired),
        );
    }
    for i in [a, p] {
        check(
            certificates.regions[i].as_ref().is_some_and(|c| c.is_issued()),
            format!("{}: the certificate is not issued", de[i].region),
        );
    }
    // The replica: available and within the RPO budget.
    let budget = policy.map(|p| p.guards.max_replica_lag_seconds).unwrap_or(300);
    match od[p].databases.iter().find(|d| d.identifier == dd[p].db_identifier) {
        Some(db) if db.is_replica() => {
            check(db.is_available(), format!("{region}: the replica is {}", db.status));
            // The same estimate the guards take, for a failure starting now.
            match db.replication.rpo_estimate(now) {
                Ok(rpo) if rpo.replicating => check(
                    rpo.seconds <= budget,
                    format!("{region}: replica lag {} s exceeds the budget of {budget} s", rpo.seconds),
                ),
                // Stopped replication leaves the standby further behind every
                // second, even while a failover now would still be in budget.
                Ok(rpo) => check(
                    false,
                    format!(
                        "{region}: {}; a failover now would lose up to {} s of writes (budget {budget} s)",
                        db.replication.stopped_message().unwrap_or_default(),
                        rpo.seconds
                    ),
                ),
                Err(why) => check(false, format!("{region}: {why}")),
            }
        }
        Some(_) => check(false, format!("{region}: the database is not a replica of the active writer")),
        None => check(false, format!("{region}: there is no replica")),
    }

    let detection = match policy {
        Some(p) if p.detection.probes.enabled => {
            i64::from(p.detection.probes.interval_seconds) * i64::from(p.detection.probes.failure_threshold)
        }
        Some(p) => {
            i64::from(p.detection.health_check_interval_seconds) * i64::from(p.detection.health_check_failure_threshold)
        }
        None => i64::from(spec.health_check.interval_seconds) * i64::from(spec.health_check.failure_threshold),
    };
    let debounce = policy.map(|p| i64::from(p.detection.debounce_seconds)).unwrap_or(0);
    Readiness { checks, failures, predicted_rto_seconds: detection + debounce + move_estimate_seconds() }
}
