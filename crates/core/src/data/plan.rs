//! Data tier planning for both regions of a stack at once (the replica
//! depends on the writer in the other region).

use warmstandby_api::{DriftItem, RegionRole};

pub use crate::data::actions::*;
use crate::data::desired::{DesiredDataTier, DesiredDatabase, NetworkRefs};
use crate::data::observed::{ObservedDataTier, ObservedDatabase};

/// Both regions' data tier plan, each action with the region it runs in.
pub type DataPlan = crate::plan::Plan<(RegionRole, DatabaseAction)>;

/// What a region needs from outside its own observation.
pub struct RegionInputs<'a> {
    pub desired: &'a DesiredDataTier,
    pub observed: &'a ObservedDataTier,
    pub network: &'a NetworkRefs,
    /// The ID of the region's `db` security group, once it exists (the
    /// security groups family's): the database sits behind it alone.
    pub db_group: Option<String>,
}

/// Plans the repair of both regions' data tiers.
pub fn plan_data_tier(regions: [RegionInputs<'_>; 2]) -> DataPlan {
    let mut plan = DataPlan::default();
    let writer: Option<(&ObservedDatabase, &str)> = regions.iter().find_map(|r| match &r.desired.database {
        DesiredDatabase::Writer(_) => r
            .observed
            .databases
            .iter()
            .find(|d| d.identifier == r.desired.db_identifier)
            .map(|d| (d, r.desired.region.as_str())),
        DesiredDatabase::Replica { .. } => None,
    });
    for r in &regions {
        plan_region(&mut plan, r, writer);
    }
    plan
}

fn plan_region(plan: &mut DataPlan, r: &RegionInputs<'_>, writer: Option<(&ObservedDatabase, &str)>) {
    plan_database(plan, r, writer);
}

/// The DB subnet group and the database: a writer, a replica of the other
/// region's writer, a promotion or the rebuild of a fenced former writer.
fn plan_database(plan: &mut DataPlan, r: &RegionInputs<'_>, writer: Option<(&ObservedDatabase, &str)>) {
    let (d, o) = (r.desired, r.observed);
    let region = d.region.as_str();
    let db_subnets: Vec<String> =
        ["db-a", "db-b"].iter().filter_map(|k| r.network.subnet_ids.get(*k).cloned()).collect();
    let subnet_group = o.db_subnet_groups.iter().find(|g| g.name == d.db_subnet_group);
    match subnet_group {
        None if db_subnets.len() == 2 => plan.push(
            d.role,
            DatabaseAction::CreateDbSubnetGroup { name: d.db_subnet_group.clone(), subnet_ids: db_subnets },
        ),
        None => plan.waiting.push("the DB subnet group waits for the db subnets".into()),
        Some(g) => {
            let mut have = g.subnet_ids.clone();
            have.sort();
            let mut want = db_subnets.clone();
            want.sort();
            if have != want {
                plan.drift.push(DriftItem::new(
                    region,
                    "DbSubnetGroup",
                    &g.name,
                    "subnets",
                    want.join(","),
                    have.join(","),
                ));
                plan.blocked.push(format!("DB subnet group {} has other subnets than the db tier", g.name));
            }
        }
    }

    // Database.
    let db = o.databases.iter().find(|x| x.identifier == d.db_identifier);
    let db_group = r.db_group.clone();
    if d.adopt && db.is_none() {
        return plan_adoption(plan, r, db_group.as_deref());
    }
    match (&d.database, db) {
        (DesiredDatabase::Writer(w), None) => match (subnet_group, &db_group) {
            (Some(_), Some(g)) => plan.push(
                d.role,
                DatabaseAction::CreateWriter {
                    identifier: d.db_identifier.clone(),
                    subnet_group: d.db_subnet_group.clone(),
                    group_id: g.clone(),
                    settings: Box::new(w.clone()),
                },
            ),
            _ => plan.waiting.push("the database waits for its subnet group and security group".into()),
        },
        (DesiredDatabase::Replica { instance_class, source_region, deletion_protection, .. }, None) => {
            match (writer, subnet_group, &db_group) {
                (Some((w, _)), Some(_), Some(g)) if w.is_available() && w.backup_retention_days > 0 => {
                    plan.push(
                        d.role,
                        DatabaseAction::CreateReplica {
                            identifier: d.db_identifier.clone(),
                            source_arn: w.arn.clone(),
                            source_region: source_region.clone(),
                            subnet_group: d.db_subnet_group.clone(),
                            group_id: g.clone(),
                            instance_class: instance_class.clone(),
                            deletion_protection: *deletion_protection,
                            // The source's key does not exist in another region:
                            // an encrypted replica needs a key of its own region.
                            kms_key_id: w.storage_encrypted.then(|| REPLICA_KMS_KEY.to_string()),
                        },
                    )
                }
                (Some((w, _)), _, _) if !w.is_available() => {
                    plan.waiting.push(format!("the replica waits for the writer {} ({})", w.identifier, w.status))
                }
                _ => plan.waiting.push("the replica waits for the writer, its subnet group and security group".into()),
            }
        }
        (DesiredDatabase::Writer(_), Some(have)) if have.is_replica() => {
            // The failover machine moved the writer here: promote.
            if have.is_available() {
                plan.push(
                    d.role,
                    DatabaseAction::PromoteReplica { identifier: have.identifier.clone(), epoch: d.epoch },
                );
            } else {
                plan.waiting
                    .push(format!("promotion of {} waits for it to be available ({})", have.identifier, have.status));
            }
        }
        (DesiredDatabase::Replica { .. }, Some(have)) if !have.is_replica() && d.rebuild_replica => {
            // A fenced former writer: keep its data in a final snapshot, then
            // replace it with a replica of the active writer.
            plan.waiting.push(format!("replacing the fenced former writer {} with a replica", have.identifier));
            let writer_ready = writer.is_some_and(|(w, _)| w.is_available() && !w.is_replica());
            if have.status != "deleting" && have.deletion_protection {
                plan.push(d.role, DatabaseAction::UnprotectDatabase { identifier: have.identifier.clone() });
            } else if have.is_available() && writer_ready {
                plan.push(
                    d.role,
                    DatabaseAction::DeleteDatabase {
                        identifier: have.identifier.clone(),
                        final_snapshot: Some(format!("{}-former-writer-e{}", have.identifier, d.epoch)),
                    },
                );
            }
        }
        (want, Some(have)) => {
            if !have.is_available() {
                plan.waiting.push(format!("database {} is {}", have.identifier, have.status));
            }
            // A promotion interrupted before its tag: the writer still gets its epoch.
            if matches!(want, DesiredDatabase::Writer(_))
                && !have.is_replica()
                && d.epoch > 0
                && have.epoch.is_none_or(|e| e < d.epoch)
            {
                plan.push(d.role, DatabaseAction::TagEpoch { identifier: have.identifier.clone(), epoch: d.epoch });
            }
            let changes =
                database_drift(plan, region, want, have, db_group.as_deref().filter(|_| have.adopted_at.is_some()));
            if !changes.is_empty() && have.is_available() {
                plan.push(d.role, DatabaseAction::ModifyDatabase { identifier: have.identifier.clone(), changes });
            }
            if let (DesiredDatabase::Replica { .. }, false) = (want, have.is_replica()) {
                // Two writers are never created by the operator; only the
                // failover machine fences a former writer and has it rebuilt.
                plan.blocked.push(format!(
                    "{} in {region} is a writer but should be a replica; a failover fences and rebuilds it",
                    have.identifier
                ));
            }
        }
    }
}

/// The AWS-managed RDS key of the replica's region.
pub const REPLICA_KMS_KEY: &str = "alias/aws/rds";

/// `spec.database.adopt` names an instance that is not ours yet: adopt it
/// when it is what the spec describes up to changes made in place; refuse,
/// saying why, when it is missing, someone else's, the wrong kind, in
/// another VPC or different where only a new instance would do. Never
/// creates one in its place.
fn plan_adoption(plan: &mut DataPlan, r: &RegionInputs<'_>, db_group: Option<&str>) {
    let (d, o) = (r.desired, r.observed);
    let (region, id) = (d.region.as_str(), d.db_identifier.as_str());
    let field = match d.role {
        RegionRole::Primary => "spec.database.adopt.writer",
        RegionRole::Standby => "spec.database.adopt.replica",
    };
    let Some(found) = o.adoptable.iter().find(|x| x.identifier == id) else {
        plan.blocked
            .push(format!("{field}: there is no DB instance {id} in {region}; nothing is created in its place"));
        return;
    };
    if let Some(owner) = &found.other_owner {
        plan.blocked.push(format!("{field}: {id} in {region} is managed by {owner}; it is left alone"));
        return;
    }
    let mut refusals = Vec::new();
    match (d.role, &found.replica_source) {
        (RegionRole::Primary, Some(source)) => refusals.push(format!("it is a read replica of {source}, not a writer")),
        (RegionRole::Standby, None) => refusals.push("it is a writer, not a read replica".to_string()),
        (RegionRole::Standby, Some(source)) => {
            if let DesiredDatabase::Replica { source_identifier, .. } = &d.database
                && source != source_identifier
                && !source.ends_with(&format!(":db:{source_identifier}"))
            {
                refusals.push(format!("it replicates {source}, not the writer {source_identifier}"));
            }
        }
        (RegionRole::Primary, None) => {}
    }
    if found.vpc_id.as_deref() != Some(r.network.vpc_id.as_str()) {
        refusals.push(format!(
            "it is in {}, not in the RegionPair's {}; moving it needs a new instance",
            found.vpc_id.as_deref().unwrap_or("no VPC"),
            r.network.vpc_id
        ));
    }
    if let DesiredDatabase::Writer(w) = &d.database
        && found.master_username != w.master_username
    {
        refusals.push(format!(
            "its master user is {}, spec.database.masterUsername says {}; that needs a new instance",
            found.master_username, w.master_username
        ));
    }
    // What differs is shown as the changes that follow the adoption; what
    // only a new instance could change refuses it.
    let mut differences = DataPlan::default();
    database_drift(&mut differences, region, &d.database, found, db_group);
    refusals.extend(differences.blocked);
    if refusals.is_empty() {
        plan.drift.extend(differences.drift);
        plan.push(d.role, DatabaseAction::AdoptDatabase { identifier: id.to_string(), arn: found.arn.clone() });
    } else {
        plan.blocked.push(format!("{field}: {id} in {region} is not adopted: {}", refusals.join("; ")));
    }
}

/// The fields of `have` that differ from `want`, as drift; those RDS
/// changes in place are returned as ModifyDBInstance's changes, the rest
/// are refused. `db_group`: the instance should sit behind our db security
/// group alone (an adopted one: its own groups would let in what fencing
/// a failover cannot shut out).
fn database_drift(
    plan: &mut DataPlan,
    region: &str,
    want: &DesiredDatabase,
    have: &ObservedDatabase,
    db_group: Option<&str>,
) -> Vec<(String, String)> {
    let mut changes = Vec::new();
    let id = have.identifier.as_str();
    let mut check = |field: &str, expected: String, found: String, fixable: bool| {
        if expected != found {
            plan.drift.push(DriftItem::new(region, "DbInstance", id, field, &expected, &found));
            if fixable {
                changes.push((field.to_string(), expected));
            } else {
                plan.blocked
                    .push(format!("{id}: {field} is {found}, the spec says {expected}; this needs a new instance"));
            }
        }
    };
    match want {
        DesiredDatabase::Writer(w) => {
            check("instanceClass", w.instance_class.clone(), have.instance_class.clone(), true);
            check(
                "allocatedStorageGiB",
                w.allocated_storage_gib.to_string(),
                have.allocated_storage_gib.to_string(),
                have.allocated_storage_gib <= w.allocated_storage_gib,
            );
            check("multiAz", w.multi_az.to_string(), have.multi_az.to_string(), true);
            check(
                "backupRetentionDays",
                w.backup_retention_days.to_string(),
                have.backup_retention_days.to_string(),
                true,
            );
            check("deletionProtection", w.deletion_protection.to_string(), have.deletion_protection.to_string(), true);
            check("publiclyAccessible", "false".into(), have.publicly_accessible.to_string(), true);
            check("storageEncrypted", w.storage_encrypted.to_string(), have.storage_encrypted.to_string(), false);
            let version_ok = have.engine_version == w.engine_version
                || have.engine_version.starts_with(&format!("{}.", w.engine_version));
            if !version_ok {
                check("engineVersion", w.engine_version.clone(), have.engine_version.clone(), false);
            }
        }
        DesiredDatabase::Replica { instance_class, deletion_protection, .. } => {
            check("instanceClass", instance_class.clone(), have.instance_class.clone(), true);
            check("deletionProtection", deletion_protection.to_string(), have.deletion_protection.to_string(), true);
            check("publiclyAccessible", "false".into(), have.publicly_accessible.to_string(), true);
        }
    }
    if let Some(group) = db_group {
        let mut found = have.security_group_ids.clone();
        found.sort();
        check("securityGroups", group.to_string(), found.join(","), true);
    }
    changes
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
