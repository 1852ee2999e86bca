//! Observed data tier of one stack in one region.

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedDataTier {
    pub db_subnet_groups: Vec<ObservedDbSubnetGroup>,
    pub databases: Vec<ObservedDatabase>,
    /// Instances `spec.database.adopt` names that are not this stack's yet
    /// (untagged, or tagged by another owner: the plan refuses those).
    pub adoptable: Vec<ObservedDatabase>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedDbSubnetGroup {
    pub name: String,
    pub subnet_ids: Vec<String>,
    pub arn: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedDatabase {
    pub identifier: String,
    pub arn: String,
    /// RDS status: `creating`, `available`, `backing-up`, `modifying`, `deleting`, ...
    pub status: String,
    pub endpoint: Option<String>,
    pub instance_class: String,
    pub engine_version: String,
    pub allocated_storage_gib: i32,
    pub multi_az: bool,
    pub storage_encrypted: bool,
    pub backup_retention_days: i32,
    pub deletion_protection: bool,
    pub publicly_accessible: bool,
    pub subnet_group: Option<String>,
    pub security_group_ids: Vec<String>,
    /// Set on a read replica: the source's identifier or ARN.
    pub replica_source: Option<String>,
    /// What RDS reported of a replica's replication this pass (StatusInfos, ReplicaLag).
    pub replication_reading: crate::replication::Reading,
    /// That reading merged with what earlier passes knew (`stack_pass::memory::remember_replication`).
    pub replication: crate::replication::Health,
    /// The failover epoch that promoted it (tag `warmstandby.dev/epoch`).
    pub epoch: Option<i64>,
    /// The VPC of its subnet group.
    pub vpc_id: Option<String>,
    pub master_username: String,
    /// Someone else that manages it, by its tags (`identity::managed_by_another`).
    pub other_owner: Option<String>,
    /// When it was adopted (tag `warmstandby.dev/adopted`); `None`: created by us.
    pub adopted_at: Option<String>,
}

impl ObservedDatabase {
    pub fn is_replica(&self) -> bool {
        self.replica_source.is_some()
    }

    pub fn is_available(&self) -> bool {
        self.status == "available"
    }
}
