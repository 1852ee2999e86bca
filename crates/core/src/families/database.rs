//! The database family: in each region a DB subnet group and a MySQL
//! instance, the writer in the data-active region and a cross-region read
//! replica of it in the other; a failover promotes the replica, and a
//! fenced former writer is rebuilt as a replica after a final snapshot. The
//! instances `spec.database.adopt` names are adopted (refused by field when
//! they would need replacing). Its desired state, observation, plan and
//! teardown are the data tier's (`data`); its conditions (`DatabaseReady`,
//! `ReplicationHealthy`) are the stack's, written with the failover
//! machine's results (`stack_pass::status`).

use warmstandby_api::{AdoptedResource, DatabaseStatus, DriftItem, RegionRole, ThreeTierStackStatus};

use crate::conditions::types;
use crate::data::actions::DatabaseAction;
use crate::data::desired::{DesiredDataTier, DesiredDatabase, desired_data_tier};
use crate::data::observed::ObservedDataTier;
use crate::data::plan::{RegionInputs, plan_data_tier};
use crate::data::teardown::plan_data_teardown;
use crate::families::{Adopted, Neighbours, ResourceFamily};
use crate::family::Family;
use crate::placement::Placement;
use crate::plan::{Place, Plan};
use crate::resource::{ADOPTED, Kind, Resource, Scope};
use crate::servers::status::Family as Verdict;
use crate::validate::ValidatedStack;

/// The database family on the seam.
pub struct Database;

/// The family's plan: each action with the region it runs in.
pub type DatabasePlan = Plan<(Place, DatabaseAction)>;

/// The data tier's plan as the family's.
fn placed(plan: crate::data::plan::DataPlan) -> DatabasePlan {
    plan.map(|(role, a)| (Place::Region(role), a))
}

impl ResourceFamily for Database {
    const FAMILY: Family = Family::Database;
    /// Primary first.
    type Desired = [DesiredDataTier; 2];
    /// Primary first.
    type Observed = [ObservedDataTier; 2];
    type Action = DatabaseAction;

    /// The database's identifier (its DB subnet group is named by it).
    fn live_id(r: &Resource, status: &ThreeTierStackStatus) -> Option<Option<String>> {
        let st = super::regional(r, status)?;
        matches!(r.kind, Kind::DbInstance | Kind::DbReadReplica)
            .then(|| st.and_then(|s| s.database.as_ref()).map(|d| d.instance_id.clone()))
    }

    fn desired(stack: &ValidatedStack, placement: &Placement) -> [DesiredDataTier; 2] {
        RegionRole::BOTH.map(|role| desired_data_tier(stack, placement, role))
    }

    /// Each region's subnet group and instance, first among its resources
    /// (the security groups family places its groups before them).
    fn topology(desired: &[DesiredDataTier; 2], out: &mut Vec<Resource>) {
        for data in desired {
            let role = data.role;
            let scope = Scope::Region { role, region: data.region.clone() };
            let k = |c: &str| format!("{}/{c}", role.as_str());
            let subnet_group =
                Resource::new(&scope, "db-subnet-group", Kind::DbSubnetGroup, data.db_subnet_group.clone())
                    .prop("subnets", "db-a,db-b")
                    .dep(k("subnet/db-a"))
                    .dep(k("subnet/db-b"));
            let db = match &data.database {
                DesiredDatabase::Writer(w) => {
                    Resource::new(&scope, "db-instance", Kind::DbInstance, data.db_identifier.clone())
                        .prop("engine", format!("mysql {}", w.engine_version))
                        .prop("class", &w.instance_class)
                        .prop("storageGiB", w.allocated_storage_gib)
                        .prop("multiAz", w.multi_az)
                        .prop("encrypted", w.storage_encrypted)
                        .prop("backupRetentionDays", w.backup_retention_days)
                        .prop("deletionProtection", w.deletion_protection)
                        .prop("port", w.port)
                        .prop("publiclyAccessible", false)
                        .prop("masterPassword", "from Secret (never shown)")
                }
                DesiredDatabase::Replica { instance_class, source_region, storage_encrypted, .. } => {
                    Resource::new(&scope, "db-instance", Kind::DbReadReplica, data.db_identifier.clone())
                        .prop("source", format!("{} db-instance in {source_region} (cross-region)", role.other()))
                        .prop("class", instance_class)
                        .prop("encrypted", *storage_encrypted)
                        .dep(format!("{}/db-instance", role.other().as_str()))
                }
            };
            let db = if data.adopt { db.prop(ADOPTED, "spec.database.adopt") } else { db };
            let db = db.dep(k("db-subnet-group")).dep(k("security-group/db"));
            let first = out.iter().position(|r| r.scope == scope).unwrap_or(out.len());
            out.splice(first..first, [subnet_group, db]);
        }
    }

    /// In the region's db subnets (the networks'), behind its `db` group
    /// (the security groups family's).
    fn plan(desired: &[DesiredDataTier; 2], observed: &[ObservedDataTier; 2], around: &Neighbours<'_>) -> DatabasePlan {
        let Some(nets) = around.nets else { return DatabasePlan::default() };
        placed(plan_data_tier([0, 1].map(|i| RegionInputs {
            desired: &desired[i],
            observed: &observed[i],
            network: &nets[i],
            db_group: around.security_group(i, "db"),
        })))
    }

    /// Replica before writer; a retained database is left once its groups
    /// name none of ours that go.
    fn teardown(
        desired: &[DesiredDataTier; 2],
        observed: &[ObservedDataTier; 2],
        around: &Neighbours<'_>,
    ) -> DatabasePlan {
        let groups = &around.seam.1.security_groups;
        let kept = around.server_regions().map(|(_, o)| o.kept_references().security_groups);
        placed(plan_data_teardown(
            [(&desired[0], &observed[0]), (&desired[1], &observed[1])],
            around.final_snapshot_suffix,
            [&groups[0], &groups[1]],
            [&kept[0], &kept[1]],
        ))
    }

    /// Its conditions are the stack's (`stack_pass::status`); each region's
    /// `database` status is written there too.
    /// `DatabaseReady` (both databases exist and are available) and
    /// `ReplicationHealthy` (the replica replicates from the writer); a
    /// broken replication needs attention (the stack is `Degraded`).
    fn verdict(
        desired: &[DesiredDataTier; 2],
        observed: &[ObservedDataTier; 2],
        _around: &Neighbours<'_>,
        _drift: &[DriftItem],
    ) -> Vec<Verdict> {
        let mut db_problems = Vec::new();
        let mut replication = Vec::new();
        for (d, o) in desired.iter().zip(observed) {
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
        let repl_ok = db_ready && replication.is_empty();
        let replication_reason = if repl_ok {
            "Replicating"
        } else if !replication.is_empty() {
            "ReplicationBroken"
        } else {
            "NotReady"
        };
        vec![
            Verdict {
                condition: types::DATABASE_READY,
                ready: db_ready,
                reason: if db_ready { "Available" } else { "NotAvailable" },
                message: db_problems.join("; "),
                attention: Vec::new(),
            },
            Verdict {
                condition: types::REPLICATION_HEALTHY,
                ready: repl_ok,
                reason: replication_reason,
                message: replication.join("; "),
                attention: replication,
            },
        ]
    }

    /// Each region's name and database (its identifier, role, endpoint,
    /// state and replication).
    fn status(
        desired: &[DesiredDataTier; 2],
        observed: &[ObservedDataTier; 2],
        _around: &Neighbours<'_>,
        status: &mut ThreeTierStackStatus,
    ) {
        for (role, (d, o)) in RegionRole::BOTH.into_iter().zip(desired.iter().zip(observed)) {
            let region = if role == RegionRole::Primary { &mut status.primary } else { &mut status.standby };
            let region = region.get_or_insert_default();
            region.region = d.region.clone();
            let db = o.databases.iter().find(|x| x.identifier == d.db_identifier);
            region.database = db.map(|x| DatabaseStatus {
                instance_id: x.identifier.clone(),
                role: if x.is_replica() { "replica".into() } else { "writer".into() },
                endpoint: x.endpoint.clone(),
                state: Some(x.status.clone()),
                replica_lag_seconds: x.replication.lag_seconds,
                replication: x.is_replica().then(|| x.replication.status()),
                adopted_at: x.adopted_at.clone(),
            });
        }
    }

    /// An adopted writer or replica, by its identifier.
    fn adopted(desired: &[DesiredDataTier; 2], observed: &[ObservedDataTier; 2]) -> Vec<Adopted> {
        let mut out = Vec::new();
        for (d, o) in desired.iter().zip(observed) {
            let found = o.databases.iter().find(|db| db.identifier == d.db_identifier);
            if let Some((db, at)) = found.and_then(|db| db.adopted_at.as_ref().map(|at| (db, at))) {
                let kind = if db.is_replica() { Kind::DbReadReplica } else { Kind::DbInstance };
                out.push(Adopted { region: d.region.clone(), kind, id: db.identifier.clone(), at: at.clone() });
            }
        }
        out
    }

    fn live_count(_desired: &[DesiredDataTier; 2], observed: &[ObservedDataTier; 2]) -> usize {
        observed.iter().map(ObservedDataTier::live_count).sum()
    }

    /// The retained databases; those named for adoption but never adopted
    /// were never ours: not told.
    fn left_in_place(desired: &[DesiredDataTier; 2], status: Option<&ThreeTierStackStatus>) -> Option<String> {
        let adopted: &[AdoptedResource] = status.map(|s| s.adopted.as_slice()).unwrap_or_default();
        let was_ours = |d: &DesiredDataTier| !d.adopt || adopted.iter().any(|a| a.id == d.db_identifier);
        let [primary, standby] = desired;
        (primary.retain_database && desired.iter().any(was_ours)).then(|| {
            format!(
                "databases {} ({}) and {} ({}) (spec.database.deletionPolicy is Retain, the default for adopted ones)",
                primary.db_identifier, primary.region, standby.db_identifier, standby.region
            )
        })
    }
}
