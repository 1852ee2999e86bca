//! Typed desired state of a stack's network-attached and data tier in one
//! region: security groups, DB subnet group and database (writer in the
//! active region, cross-region replica in the other). The backups are their
//! family's (`families::backup`).

use std::collections::BTreeMap;

use warmstandby_api::RegionRole;

use crate::placement::Placement;
use crate::validate::ValidatedStack;

/// Source of an ingress rule: a CIDR, or another of the stack's groups by role.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RuleSource {
    Cidr(String),
    Group(String),
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct IngressRule {
    pub port: i32,
    pub source: RuleSource,
}

impl std::fmt::Display for IngressRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.source {
            RuleSource::Cidr(c) => write!(f, "tcp/{} from {c}", self.port),
            RuleSource::Group(g) => write!(f, "tcp/{} from sg {g}", self.port),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredSecurityGroup {
    /// Role: `bastion`, `alb-web`, `alb-api`, `web`, `api`, `db`.
    pub role: String,
    pub name: String,
    pub description: String,
    pub ingress: Vec<IngressRule>,
}

impl DesiredSecurityGroup {
    pub fn component(&self) -> String {
        format!("security-group/{}", self.role)
    }
}

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
    },
}

/// One region's part of a stack beyond its network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredDataTier {
    pub role: RegionRole,
    pub region: String,
    /// `namespace/name`.
    pub owner: String,
    pub security_groups: Vec<DesiredSecurityGroup>,
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
    /// This region's database is fenced by the failover of this epoch.
    pub fence_epoch: Option<i64>,
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
    let group = |role_name: &str, description: &str, ingress: Vec<IngressRule>| DesiredSecurityGroup {
        role: role_name.to_string(),
        name: stack.aws_name(role_name, 255),
        description: description.to_string(),
        ingress,
    };
    let from = |port: i32, g: &str| IngressRule { port, source: RuleSource::Group(g.to_string()) };
    let world = |port: i32| IngressRule { port, source: RuleSource::Cidr("0.0.0.0/0".into()) };
    let mut sgs = vec![
        group(
            "bastion",
            "SSH to the bastion from the allowed networks",
            spec.bastion
                .allowed_cidrs
                .iter()
                .map(|c| IngressRule { port: 22, source: RuleSource::Cidr(c.clone()) })
                .collect(),
        ),
        group("alb-web", "HTTP(S) to the web load balancer", vec![world(80), world(443)]),
        group("alb-api", "HTTP(S) to the api load balancer", vec![world(80), world(443)]),
        group(
            "web",
            "web servers: from the web load balancer and the bastion",
            vec![from(spec.web.port, "alb-web"), from(22, "bastion")],
        ),
        group(
            "api",
            "api servers: from the api load balancer and the bastion",
            vec![from(spec.api.port, "alb-api"), from(22, "bastion")],
        ),
        // A fenced region's database takes no writes: nothing may reach it.
        group(
            "db",
            "MySQL: from the api servers only",
            if placement.fenced == Some(role) { Vec::new() } else { vec![from(spec.database.port, "api")] },
        ),
    ];
    for g in &mut sgs {
        g.ingress.sort();
    }
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
        }
    };
    DesiredDataTier {
        role,
        region,
        owner: format!("{}/{}", stack.namespace, stack.name),
        security_groups: sgs,
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
        fence_epoch: (placement.fenced == Some(role) && placement.fence_epoch > 0).then_some(placement.fence_epoch),
    }
}

/// Network IDs a stack needs from its RegionPair, by logical key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetworkRefs {
    pub vpc_id: String,
    pub subnet_ids: BTreeMap<String, String>,
}
