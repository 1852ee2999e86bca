//! The access family's changes: Secrets Manager and IAM, one enum each.

use crate::access::desired::SecretFields;
use crate::family::{Effect, FamilyAction};
use crate::resource::{Kind, Scope, Tier};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccessAction {
    Secret(SecretAction),
    Iam(IamAction),
}

/// Runs in the secret's home region (the replica follows).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretAction {
    /// With the replica region; the value carries the password.
    Create {
        name: String,
        description: String,
        replica_region: String,
        fields: SecretFields,
    },
    /// A secret of ours scheduled for deletion comes back instead of a new one.
    Restore {
        arn: String,
    },
    Replicate {
        arn: String,
        region: String,
    },
    /// Writes the value; with a database, its master password changes
    /// first, so the secret never names a password the database refuses.
    Rotate {
        arn: String,
        fields: SecretFields,
        database: Option<(String, String)>,
    },
    RemoveReplica {
        arn: String,
        region: String,
    },
    /// Leaves it (and its replica) in place, untagged: the servers of a
    /// tier kept on deletion read it.
    Release {
        arn: String,
    },
    /// `recovery_window_days` 0: at once.
    Delete {
        arn: String,
        recovery_window_days: i32,
    },
}

/// IAM is global.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IamAction {
    CreateRole {
        tier: String,
        name: String,
    },
    UpdateTrust {
        role: String,
    },
    PutPolicy {
        role: String,
        policy: String,
        document: String,
    },
    DeletePolicy {
        role: String,
        policy: String,
    },
    DetachPolicy {
        role: String,
        policy_arn: String,
    },
    /// With its role in it.
    CreateProfile {
        tier: String,
        name: String,
        role: String,
    },
    AddRole {
        profile: String,
        role: String,
    },
    RemoveRole {
        profile: String,
        role: String,
    },
    DeleteProfile {
        name: String,
    },
    DeleteRole {
        name: String,
    },
    /// Leaves a profile and its roles (`roles`, ours) in place, untagged:
    /// the servers of a tier kept on deletion run with it.
    ReleaseProfile {
        name: String,
        roles: Vec<String>,
    },
}

crate::plan::into_family_action!(AccessAction { SecretAction => Secret, IamAction => Iam });

impl FamilyAction for SecretAction {
    fn effect(&self) -> (Effect, Kind) {
        let effect = match self {
            SecretAction::Create { .. } => Effect::Create,
            SecretAction::Delete { .. } => Effect::Delete,
            SecretAction::Release { .. } => Effect::Release,
            SecretAction::Restore { .. }
            | SecretAction::Replicate { .. }
            | SecretAction::Rotate { .. }
            | SecretAction::RemoveReplica { .. } => Effect::Update,
        };
        (effect, Kind::Secret)
    }

    /// The database's credentials: the data tier's, wherever reported.
    fn tier(&self, _scope: &Scope) -> Tier {
        Tier::Data
    }

    /// Never includes the secret's value.
    fn describe(&self) -> String {
        match self {
            SecretAction::Create { name, replica_region, .. } => {
                format!("create secret {name} (replica in {replica_region})")
            }
            SecretAction::Restore { arn } => format!("restore secret {arn}"),
            SecretAction::Replicate { arn, region } => format!("replicate secret {arn} to {region}"),
            SecretAction::Rotate { arn, database: Some((_, db)), .. } => {
                format!("rotate the password of {db} and secret {arn}")
            }
            SecretAction::Rotate { arn, database: None, .. } => format!("rewrite secret {arn}"),
            SecretAction::RemoveReplica { arn, region } => format!("remove the replica of {arn} in {region}"),
            SecretAction::Release { arn } => {
                format!("leave secret {arn} in place, untagged (a kept tier's servers read it)")
            }
            SecretAction::Delete { arn, recovery_window_days: 0 } => format!("delete secret {arn} at once"),
            SecretAction::Delete { arn, recovery_window_days } => {
                format!("delete secret {arn} (recoverable for {recovery_window_days} days)")
            }
        }
    }
}

impl FamilyAction for IamAction {
    fn effect(&self) -> (Effect, Kind) {
        use IamAction as A;
        match self {
            A::CreateRole { .. } => (Effect::Create, Kind::InstanceRole),
            A::UpdateTrust { .. } | A::PutPolicy { .. } | A::DeletePolicy { .. } | A::DetachPolicy { .. } => {
                (Effect::Update, Kind::InstanceRole)
            }
            A::DeleteRole { .. } => (Effect::Delete, Kind::InstanceRole),
            A::CreateProfile { .. } => (Effect::Create, Kind::InstanceProfile),
            A::AddRole { .. } | A::RemoveRole { .. } => (Effect::Update, Kind::InstanceProfile),
            A::DeleteProfile { .. } => (Effect::Delete, Kind::InstanceProfile),
            A::ReleaseProfile { .. } => (Effect::Release, Kind::InstanceProfile),
        }
    }

    /// IAM is global; a role or profile sits in the row its name tells.
    fn tier(&self, _scope: &Scope) -> Tier {
        use IamAction as A;
        let name = match self {
            A::CreateRole { tier, .. } | A::CreateProfile { tier, .. } => tier,
            A::UpdateTrust { role }
            | A::PutPolicy { role, .. }
            | A::DeletePolicy { role, .. }
            | A::DetachPolicy { role, .. } => role,
            A::AddRole { profile, .. } | A::RemoveRole { profile, .. } => profile,
            A::DeleteRole { name } | A::DeleteProfile { name } | A::ReleaseProfile { name, .. } => name,
        };
        Tier::of_component(name).unwrap_or(Tier::Api)
    }

    fn describe(&self) -> String {
        match self {
            IamAction::CreateRole { name, .. } => format!("create role {name}"),
            IamAction::UpdateTrust { role } => format!("restore the trust policy of {role}"),
            IamAction::PutPolicy { role, policy, .. } => format!("put policy {policy} of {role}"),
            IamAction::DeletePolicy { role, policy } => format!("delete policy {policy} of {role}"),
            IamAction::DetachPolicy { role, policy_arn } => format!("detach {policy_arn} from {role}"),
            IamAction::CreateProfile { name, .. } => format!("create instance profile {name}"),
            IamAction::AddRole { profile, role } => format!("add {role} to instance profile {profile}"),
            IamAction::RemoveRole { profile, role } => format!("remove {role} from instance profile {profile}"),
            IamAction::DeleteProfile { name } => format!("delete instance profile {name}"),
            IamAction::DeleteRole { name } => format!("delete role {name}"),
            IamAction::ReleaseProfile { name, .. } => {
                format!("leave instance profile {name} and its role in place, untagged (a kept tier's servers use it)")
            }
        }
    }
}
