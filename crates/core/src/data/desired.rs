//! Typed desired state of a stack's network-attached and data tier in one
//! region: security groups, DB subnet group and database (writer in the
//! active region, cross-region replica in the other). The backups are their
//! family's (`families::backup`).

use std::collections::BTreeMap;

use warmstandby_api::RegionRole;

use crate::placement::Placement;
use crate::validate::ValidatedStack;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriterSettings {
    pub engine_version: String,
    pub instance_class: String,
    pub allocated_storage_gib: i32,
    pub multi_az: bool,
    pub storage_encrypted: bool,
    pub backup_retention_days: i32,
    pub deletion_protection: bool,
    pub port: i32,
    pub database_name: String,
    pub master_username: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DesiredDatabase {
    Writer(WriterSettings),
    /// A cross-region read replica of the writer in the other region.
    Replica {
        instance_class: String,
        source_identifier: String,
        source_region: String,
        /// The replica is the disaster-recovery copy: protected like the writer.
        deletion_protection: bool,
        /// Encrypted like its writer (with a key of its own region).
        storage_encrypted: bool,
    },
}

/// One region's part of a stack beyond its network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredDataTier {
    pub role: RegionRole,
    pub region: String,
    /// `namespace/name`.
    pub owner: String,
    pub db_subnet_group: String,
    pub db_identifier: String,
    /// `db_identifier` names an existing instance to adopt (`spec.database.adopt`),
    /// never one to create.
    pub adopt: bool,
    /// Deleting the stack leaves the databases (and what they use) in place, untagged.
    pub retain_database: bool,
    pub database: DesiredDatabase,
    pub final_snapshot: bool,
    /// Failover epoch to tag on a database this pass promotes.
    pub epoch: i64,
    /// A former writer here may be replaced by a replica (after a final snapshot).
    pub rebuild_replica: bool,
}

/// RDS identifier of the database in `role`'s region (stable across
/// failovers): the adopted instance's, else ours.
pub fn db_identifier(stack: &ValidatedStack, role: RegionRole) -> String {
    adopted_identifier(&stack.spec, role)
        .map(str::to_string)
        .unwrap_or_else(|| stack.aws_name(&format!("{}-db", role.as_str()), 63).to_ascii_lowercase())
}

/// The instance `spec.database.adopt` names in `role`'s region: the writer
/// in the primary, the replica in the standby.
pub fn adopted_identifier(spec: &warmstandby_api::ThreeTierStackSpec, role: RegionRole) -> Option<&str> {
    let adopt = spec.database.adopt.as_ref()?;
    match role {
        RegionRole::Primary => Some(adopt.writer.as_str()),
        RegionRole::Standby => adopt.replica.as_deref(),
    }
}

pub fn desired_data_tier(stack: &ValidatedStack, placement: &Placement, role: RegionRole) -> DesiredDataTier {
    let spec = &stack.spec;
    let region = stack.pair.region(role).region.clone();
    let active = role == placement.data_active;
    let db = &spec.database;
    let database = if active {
        DesiredDatabase::Writer(WriterSettings {
            engine_version: db.engine_version.clone(),
            instance_class: db.instance_class.clone(),
            allocated_storage_gib: db.allocated_storage_gib,
            multi_az: db.multi_az,
            storage_encrypted: db.storage_encrypted,
            backup_retention_days: db.backup_retention_days,
            deletion_protection: db.deletion_protection,
            port: db.port,
            database_name: db.database_name.clone(),
            master_username: db.master_username.clone(),
        })
    } else {
        DesiredDatabase::Replica {
            instance_class: db.instance_class.clone(),
            source_identifier: db_identifier(stack, role.other()),
            source_region: stack.pair.region(role.other()).region.clone(),
            deletion_protection: db.deletion_protection,
            storage_encrypted: db.storage_encrypted,
        }
    };
    DesiredDataTier {
        role,
        region,
        owner: format!("{}/{}", stack.namespace, stack.name),
        db_subnet_group: stack.aws_name("db", 255).to_ascii_lowercase(),
        db_identifier: db_identifier(stack, role),
        adopt: adopted_identifier(spec, role).is_some(),
        retain_database: db.deletion_policy.unwrap_or(if db.adopt.is_some() {
            warmstandby_api::DeletionPolicy::Retain
        } else {
            spec.deletion_policy
        }) == warmstandby_api::DeletionPolicy::Retain,
        database,
        final_snapshot: db.final_snapshot,
        epoch: placement.epoch,
        rebuild_replica: !active && placement.fenced == Some(role) && placement.rebuild_allowed,
    }
}

/// Network IDs a stack needs from its RegionPair, by logical key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetworkRefs {
    pub vpc_id: String,
    pub subnet_ids: BTreeMap<String, String>,
}
