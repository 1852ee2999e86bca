//! Pure status computation for a ThreeTierStack: the database's conditions
//! here (with the failover machine's findings), every other family's
//! verdict from the seam, and the overall Ready over all of them.

use std::collections::BTreeMap;

use warmstandby_api::{Condition, DatabaseStatus, RegionRole, RegionStackStatus, ThreeTierStackStatus};

use crate::conditions::{self, Status, types};
use crate::data::observed::ObservedDataTier;
use crate::desired::{DesiredDataTier, DesiredDatabase};
use crate::plan::PassOutcome;

/// One pass over both regions' data tiers.
#[derive(Debug)]
pub struct StackPass<'a> {
    pub regions: [(&'a DesiredDataTier, &'a ObservedDataTier); 2],
    /// The verdicts of the families on the seam (`families`).
    pub seam: Vec<crate::servers::status::Family>,
    pub outcome: PassOutcome,
    /// The pass changed nothing on purpose, and why.
    pub hands_off: Option<warmstandby_api::HandsOff>,
    /// Region name of the active region.
    pub active_region: String,
}

pub fn region_stack_status(d: &DesiredDataTier, o: &ObservedDataTier) -> RegionStackStatus {
    let db = o.databases.iter().find(|x| x.identifier == d.db_identifier);
    RegionStackStatus {
        region: d.region.clone(),
        // The security groups family's (`families::security_groups`).
        security_group_ids: BTreeMap::new(),
        // The bastion family's (`families::bastion`).
        bastion_instance_id: None,
        database: db.map(|x| DatabaseStatus {
            instance_id: x.identifier.clone(),
            role: if x.is_replica() { "replica".into() } else { "writer".into() },
            endpoint: x.endpoint.clone(),
            state: Some(x.status.clone()),
            replica_lag_seconds: x.replication.lag_seconds,
            replication: x.is_replica().then(|| x.replication.status()),
            adopted_at: x.adopted_at.clone(),
        }),
        // The private DNS family's (`families::private_dns`).
        private_zone_id: None,
        // The backup family's (`families::backup`).
        backup_vault_name: None,
        ..Default::default()
    }
}

pub fn stack_status(
    previous: &[Condition],
    generation: Option<i64>,
    pass: &StackPass<'_>,
    now: &str,
) -> ThreeTierStackStatus {
    let mut c = previous.to_vec();
    let set = |c: &mut Vec<Condition>, t: &str, s: Status, reason: &str, msg: String| {
        conditions::set(c, t, s, reason, msg, generation, now)
    };
    set(&mut c, types::SPEC_VALID, Status::True, "Valid", String::new());

    let mut db_problems = Vec::new();
    let mut replication = Vec::new();
    for (d, o) in &pass.regions {
        let db = o.databases.iter().find(|x| x.identifier == d.db_identifier);
        match (&d.database, db) {
            (_, None) => db_problems.push(format!("{} {} does not exist yet", d.region, d.db_identifier)),
            (_, Some(x)) if !x.is_available() => {
                db_problems.push(format!("{} {} is {}", d.region, x.identifier, x.status))
            }
            (DesiredDatabase::Replica { source_identifier, .. }, Some(x)) => match &x.replica_source {
                Some(src) if src == source_identifier || src.ends_with(&format!(":db:{source_identifier}")) => {
                    if let Some(stopped) = x.replication.stopped_message() {
                        replication.push(format!("{}: {stopped}", x.identifier));
                    }
                }
                Some(src) => {
                    replication.push(format!("{} replicates from {src}, not {source_identifier}", x.identifier))
                }
                None => replication.push(format!("{} is a writer, not a replica", x.identifier)),
            },
            (DesiredDatabase::Writer(_), Some(_)) => {}
        }
    }
    let db_ready = db_problems.is_empty();
    set(
        &mut c,
        types::DATABASE_READY,
        Status::from_bool(db_ready),
        if db_ready { "Available" } else { "NotAvailable" },
        db_problems.join("; "),
    );
    let repl_ok = db_ready && replication.is_empty();
    set(
        &mut c,
        types::REPLICATION_HEALTHY,
        Status::from_bool(repl_ok),
        if repl_ok {
            "Replicating"
        } else if !replication.is_empty() {
            "ReplicationBroken"
        } else {
            "NotReady"
        },
        replication.join("; "),
    );

    let mut families = pass.seam.clone();
    let listed = |f: &crate::servers::status::Family| types::FAMILIES.iter().position(|c| *c == f.condition);
    families.sort_by_key(|f| listed(f).unwrap_or(usize::MAX));
    for f in &families {
        set(&mut c, f.condition, Status::from_bool(f.ready), f.reason, f.message.clone());
    }
    let not_ready: Vec<&str> = families.iter().filter(|f| !f.ready).map(|f| f.condition).collect();
    let ready = pass.outcome.converged
        && pass.outcome.blocked.is_empty()
        && pass.outcome.waiting.is_empty()
        && pass.outcome.errors.is_empty()
        && db_ready
        && repl_ok
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
            attention: &replication,
            blocked_reason: "NeedsReplacement",
            degraded_reason: "NeedsAttention",
            idle_message: (!not_ready.is_empty()).then(|| format!("not ready yet: {}", not_ready.join(", "))),
        },
        generation,
        now,
    );
    let [(pd, po), (sd, so)] = pass.regions;
    let (primary, standby) = if pd.role == RegionRole::Primary {
        (region_stack_status(pd, po), region_stack_status(sd, so))
    } else {
        (region_stack_status(sd, so), region_stack_status(pd, po))
    };
    ThreeTierStackStatus {
        observed_generation: generation,
        phase: Some(phase),
        active_region: Some(pass.active_region.clone()),
        conditions: c,
        primary: Some(primary),
        standby: Some(standby),
        // The regions' and the global IDs and the endpoints are the seam
        // families' (`families`), written after this.
        global: Some(Default::default()),
        endpoints: Some(Default::default()),
        drift_count: i32::try_from(drift.len()).unwrap_or(i32::MAX),
        drift,
        ..Default::default()
    }
}
