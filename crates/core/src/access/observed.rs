//! What AWS shows of the access family. The secret's value is compared by
//! the adapter and only the names of differing keys are kept here.

use serde_json::Value;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedSecret {
    /// In the home region.
    pub arn: String,
    /// Tagged with this stack's uid.
    pub ours: bool,
    /// Scheduled for deletion (recoverable).
    pub deleted: bool,
    /// Replica regions and their status (`InSync`, `InProgress`, `Failed`).
    pub replicas: Vec<(String, String)>,
    /// When the value last changed (RFC 3339): the last rotation.
    pub last_changed: Option<String>,
    /// Keys of the value that differ from what they should be (`password`
    /// included); `None` when the value could not be read.
    pub differing: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObservedRole {
    pub name: String,
    pub arn: String,
    pub ours: bool,
    pub trust: Value,
    /// Inline policies by name.
    pub inline: Vec<(String, Value)>,
    /// ARNs of managed policies attached.
    pub attached: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedProfile {
    pub name: String,
    pub arn: String,
    pub roles: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ObservedAccess {
    pub secret: Option<ObservedSecret>,
    /// Roles and profiles under the operator's path with our names.
    pub roles: Vec<ObservedRole>,
    pub profiles: Vec<ObservedProfile>,
    /// Profiles the last status named: one missing now was detached or
    /// deleted (a profile holding no role is listed under no role).
    pub known_profiles: Vec<String>,
}

impl ObservedAccess {
    pub fn role(&self, name: &str) -> Option<&ObservedRole> {
        self.roles.iter().find(|r| r.name == name)
    }

    pub fn profile(&self, name: &str) -> Option<&ObservedProfile> {
        self.profiles.iter().find(|p| p.name == name)
    }

    /// Resources of ours that still exist (a secret scheduled for deletion
    /// is gone; a profile holding only roles not ours, released ones, is not ours).
    pub fn live_count(&self) -> usize {
        let ours =
            |p: &&ObservedProfile| p.roles.is_empty() || p.roles.iter().any(|r| self.role(r).is_some_and(|r| r.ours));
        usize::from(self.secret.as_ref().is_some_and(|s| s.ours && !s.deleted))
            + self.roles.iter().filter(|r| r.ours).count()
            + self.profiles.iter().filter(ours).count()
    }
}
