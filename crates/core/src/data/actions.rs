//! The database family's changes (`families::database`). Secrets are not
//! part of actions: the adapter receives the password separately, at the
//! call that needs it.

use crate::family::{Effect, FamilyAction};
use crate::resource::Kind;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseAction {
    CreateDbSubnetGroup {
        name: String,
        subnet_ids: Vec<String>,
    },
    DeleteDbSubnetGroup {
        name: String,
    },
    /// Leaves a retained database's subnet group, without our tags.
    ReleaseDbSubnetGroup {
        name: String,
        arn: String,
    },
    CreateWriter {
        identifier: String,
        subnet_group: String,
        group_id: String,
        /// The spec's engine, class, storage, backups and names.
        settings: Box<crate::data::desired::WriterSettings>,
    },
    CreateReplica {
        identifier: String,
        source_arn: String,
        source_region: String,
        subnet_group: String,
        group_id: String,
        instance_class: String,
        deletion_protection: bool,
        /// KMS key in the replica's region; required for an encrypted source.
        kms_key_id: Option<String>,
    },
    ModifyDatabase {
        identifier: String,
        changes: Vec<(String, String)>,
    },
    /// Makes a replica a writer (a failover); tagged with the failover epoch.
    PromoteReplica {
        identifier: String,
        epoch: i64,
    },
    /// Marks the writer with the failover epoch that made it one.
    TagEpoch {
        identifier: String,
        epoch: i64,
    },
    /// Lifts deletion protection: only ever planned for a requested delete,
    /// or to replace a fenced former writer (after its final snapshot).
    UnprotectDatabase {
        identifier: String,
    },
    DeleteDatabase {
        identifier: String,
        final_snapshot: Option<String>,
    },
    /// Takes an existing instance under management: tags it as this
    /// stack's, with the time (`warmstandby.dev/adopted`); nothing else.
    AdoptDatabase {
        identifier: String,
        arn: String,
    },
    /// Leaves a retained instance running and removes our tags from it.
    ReleaseDatabase {
        identifier: String,
        arn: String,
    },
}

impl FamilyAction for DatabaseAction {
    fn effect(&self) -> (Effect, Kind) {
        use DatabaseAction as A;
        match self {
            A::CreateDbSubnetGroup { .. } => (Effect::Create, Kind::DbSubnetGroup),
            A::DeleteDbSubnetGroup { .. } => (Effect::Delete, Kind::DbSubnetGroup),
            A::CreateWriter { .. } => (Effect::Create, Kind::DbInstance),
            A::CreateReplica { .. } => (Effect::Create, Kind::DbReadReplica),
            A::ModifyDatabase { .. } | A::PromoteReplica { .. } | A::TagEpoch { .. } | A::UnprotectDatabase { .. } => {
                (Effect::Update, Kind::DbInstance)
            }
            A::DeleteDatabase { .. } => (Effect::Delete, Kind::DbInstance),
            A::ReleaseDbSubnetGroup { .. } => (Effect::Release, Kind::DbSubnetGroup),
            A::AdoptDatabase { .. } => (Effect::Adopt, Kind::DbInstance),
            A::ReleaseDatabase { .. } => (Effect::Release, Kind::DbInstance),
        }
    }

    fn describe(&self) -> String {
        match self {
            DatabaseAction::CreateDbSubnetGroup { name, .. } => format!("create DB subnet group {name}"),
            DatabaseAction::DeleteDbSubnetGroup { name } => format!("delete DB subnet group {name}"),
            DatabaseAction::ReleaseDbSubnetGroup { name, .. } => {
                format!("leave DB subnet group {name} with the retained database, untagged")
            }
            DatabaseAction::AdoptDatabase { identifier, .. } => format!("adopt database {identifier}"),
            DatabaseAction::ReleaseDatabase { identifier, .. } => {
                format!("leave database {identifier} running, untagged (retained)")
            }
            DatabaseAction::CreateWriter { identifier, .. } => format!("create database {identifier}"),
            DatabaseAction::CreateReplica { identifier, source_region, .. } => {
                format!("create replica {identifier} of the writer in {source_region}")
            }
            DatabaseAction::ModifyDatabase { identifier, changes } => {
                format!(
                    "modify {identifier}: {}",
                    changes.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
                )
            }
            DatabaseAction::PromoteReplica { identifier, epoch } => format!("promote {identifier} (epoch {epoch})"),
            DatabaseAction::TagEpoch { identifier, epoch } => format!("tag {identifier} with epoch {epoch}"),
            DatabaseAction::UnprotectDatabase { identifier } => format!("lift deletion protection of {identifier}"),
            DatabaseAction::DeleteDatabase { identifier, final_snapshot } => match final_snapshot {
                Some(s) => format!("delete database {identifier} (final snapshot {s})"),
                None => format!("delete database {identifier}"),
            },
        }
    }
}
