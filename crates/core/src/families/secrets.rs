//! The secrets family: the database credentials secret (Secrets Manager),
//! in the primary region with a replica in the standby. The secret never
//! moves: a failover changes nothing for it. Its value is compared by the
//! adapter, and only the names of differing keys reach the core; the
//! password itself is added at the one call that writes it.

use serde_json::{Value, json};
use warmstandby_api::{AccessStatus, DriftItem, RegionRole, ThreeTierStackStatus};

use crate::families::{Neighbours, ResourceFamily};
use crate::family::{Effect, Family, FamilyAction};
use crate::placement::Placement;
use crate::plan::{Place, Plan};
use crate::resource::{Kind, Resource, Scope, Tier};
use crate::validate::ValidatedStack;

/// The secrets family on the seam.
pub struct Secrets;

/// Every secret of ours is named under this prefix.
pub const SECRET_PREFIX: &str = "warmstandby/";

/// The secret's actions run where it lives: the primary region.
const HOME: Place = Place::Region(RegionRole::Primary);

/// The non-secret part of the credentials secret's value; the password is
/// added by the adapter at the one call that writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretFields {
    pub username: String,
    /// Region-independent: each region's private zone resolves it to its own database.
    pub host: String,
    pub port: i32,
    pub dbname: String,
    pub engine: String,
}

impl SecretFields {
    /// The value's JSON keys and their wanted values (all but the password).
    pub fn fields(&self) -> [(&'static str, Value); 5] {
        [
            ("username", json!(self.username)),
            ("host", json!(self.host)),
            ("port", json!(self.port)),
            ("dbname", json!(self.dbname)),
            ("engine", json!(self.engine)),
        ]
    }

    /// The whole value as Secrets Manager stores it.
    pub fn value_with(&self, password: &str) -> String {
        let mut value: serde_json::Map<String, Value> =
            self.fields().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        value.insert("password".into(), json!(password));
        Value::Object(value).to_string()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredSecret {
    pub name: String,
    /// The primary region's; the secret never moves (a failover changes nothing for it).
    pub home_region: String,
    pub replica_region: String,
    pub description: String,
    pub fields: SecretFields,
    /// Days a deleted secret stays recoverable; 0 deletes it at once.
    pub recovery_window_days: i32,
}

impl DesiredSecret {
    pub fn region(&self, role: RegionRole) -> &str {
        match role {
            RegionRole::Primary => &self.home_region,
            RegionRole::Standby => &self.replica_region,
        }
    }

    /// The ARN of the secret in `region`: a replica has the primary's name
    /// and suffix in its own region.
    pub fn arn_in(&self, home_arn: &str, region: &str) -> String {
        home_arn.replacen(&format!(":{}:", self.home_region), &format!(":{region}:"), 1)
    }
}

pub fn desired_secret(stack: &ValidatedStack) -> DesiredSecret {
    let db = &stack.spec.database;
    DesiredSecret {
        name: secret_name(stack),
        home_region: stack.pair.region(RegionRole::Primary).region.clone(),
        replica_region: stack.pair.region(RegionRole::Standby).region.clone(),
        description: format!("database credentials of {}/{}", stack.namespace, stack.name),
        fields: SecretFields {
            username: db.master_username.clone(),
            host: format!("{}.{}", db.private_dns.record_name, db.private_dns.zone_name),
            port: db.port,
            dbname: db.database_name.clone(),
            engine: "mysql".into(),
        },
        recovery_window_days: db.credentials.recovery_window_days,
    }
}

/// `warmstandby/<namespace>/<name>/database-<uid>`: a deleted secret stays
/// recoverable for days, so a stack created again under the same name gets
/// a secret of its own rather than its predecessor's.
pub fn secret_name(stack: &ValidatedStack) -> String {
    let uid: String = stack.uid.chars().filter(char::is_ascii_alphanumeric).take(8).collect();
    let base = format!("{SECRET_PREFIX}{}/{}/database", stack.namespace, stack.name);
    if uid.is_empty() { base } else { format!("{base}-{uid}") }
}

/// What AWS shows of the secret in its home region (`None`: not found).
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

impl ObservedSecret {
    /// Ours and not scheduled for deletion.
    pub fn is_live(&self) -> bool {
        self.ours && !self.deleted
    }
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

/// The writer the password is rotated on: region, identifier, available.
#[derive(Clone, Copy, Debug)]
pub struct Writer<'a> {
    pub region: &'a str,
    pub identifier: &'a str,
    pub available: bool,
}

/// The secret's ARNs in both regions once it is ours (what the api role's
/// policy names and the launch templates' environment points at).
pub fn secret_arns(want: &DesiredSecret, have: Option<&ObservedSecret>) -> Option<Vec<String>> {
    let have = have.filter(|s| s.is_live())?;
    Some(vec![have.arn.clone(), want.arn_in(&have.arn, &want.replica_region)])
}

/// What to change of the secret: create or restore it, its replica, and a
/// value that differs (a new password on the writer first).
pub fn plan_secret(
    want: &DesiredSecret,
    have: Option<&ObservedSecret>,
    writer: Option<Writer<'_>>,
) -> Plan<SecretAction> {
    let mut plan = Plan::default();
    let region = want.home_region.as_str();
    let Some(have) = have else {
        plan.actions.push(SecretAction::Create {
            name: want.name.clone(),
            description: want.description.clone(),
            replica_region: want.replica_region.clone(),
            fields: want.fields.clone(),
        });
        return plan;
    };
    if !have.ours {
        plan.blocked.push(format!("secret {} exists and is not this stack's; it is left alone", want.name));
        return plan;
    }
    if have.deleted {
        plan.actions.push(SecretAction::Restore { arn: have.arn.clone() });
        return plan;
    }
    match have.replicas.iter().find(|(r, _)| *r == want.replica_region) {
        None => {
            plan.drift.push(DriftItem::new(region, "Secret", &want.name, "replica", &want.replica_region, "missing"));
            plan.actions.push(SecretAction::Replicate { arn: have.arn.clone(), region: want.replica_region.clone() });
        }
        Some((_, status)) if status == "Failed" => plan.blocked.push(format!(
            "the replica of secret {} in {} failed; see Secrets Manager",
            want.name, want.replica_region
        )),
        Some(_) => {}
    }
    match &have.differing {
        None => plan.waiting.push(format!("the value of secret {} could not be read", want.name)),
        Some(keys) if keys.is_empty() => {}
        Some(keys) => {
            for key in keys {
                // Never the value: only that the key differs.
                plan.drift.push(DriftItem::new(region, "Secret", &want.name, key, "the stack's", "different"));
            }
            let password = keys.iter().any(|k| k == "password");
            match writer {
                Some(w) if password && !w.available => {
                    plan.waiting.push(format!("the new password waits for database {} to be available", w.identifier))
                }
                Some(w) if password => plan.actions.push(SecretAction::Rotate {
                    arn: have.arn.clone(),
                    fields: want.fields.clone(),
                    database: Some((w.region.to_string(), w.identifier.to_string())),
                }),
                _ => plan.actions.push(SecretAction::Rotate {
                    arn: have.arn.clone(),
                    fields: want.fields.clone(),
                    database: None,
                }),
            }
        }
    }
    plan
}

/// Deletion: the replica, then the secret (recoverable unless the spec
/// says 0 days). `release`: the servers of a kept tier read it, so it is
/// left in place without our tags instead.
pub fn plan_secret_teardown(want: &DesiredSecret, have: Option<&ObservedSecret>, release: bool) -> Plan<SecretAction> {
    let mut plan = Plan::default();
    let Some(s) = have.filter(|s| s.is_live()) else { return plan };
    if release {
        plan.actions.push(SecretAction::Release { arn: s.arn.clone() });
    } else if s.replicas.is_empty() {
        plan.actions.push(SecretAction::Delete { arn: s.arn.clone(), recovery_window_days: want.recovery_window_days });
    } else {
        for (region, _) in &s.replicas {
            plan.actions.push(SecretAction::RemoveReplica { arn: s.arn.clone(), region: region.clone() });
        }
    }
    plan
}

impl ResourceFamily for Secrets {
    const FAMILY: Family = Family::Secrets;
    type Desired = DesiredSecret;
    type Observed = Option<ObservedSecret>;
    type Action = SecretAction;

    /// The secret's name, in its home region and where it is replicated.
    fn live_id(r: &Resource, status: &ThreeTierStackStatus) -> Option<Option<String>> {
        (r.kind == Kind::Secret).then(|| status.access.as_ref().map(|a| a.secret_name.clone()))
    }

    fn desired(stack: &ValidatedStack, _placement: &Placement) -> DesiredSecret {
        desired_secret(stack)
    }

    fn topology(desired: &DesiredSecret, out: &mut Vec<Resource>) {
        let primary = Scope::Region { role: RegionRole::Primary, region: desired.home_region.clone() };
        out.push(
            Resource::new(&primary, "secret/database", Kind::Secret, desired.name.clone())
                .prop("replica", &desired.replica_region)
                .prop("keys", "username, password, host, port, dbname, engine")
                .prop("host", &desired.fields.host)
                .prop("recoveryWindowDays", desired.recovery_window_days),
        );
    }

    /// Nothing while its home region (the primary) cannot be reached: it
    /// is that region's to read and change.
    fn plan(
        desired: &DesiredSecret,
        observed: &Option<ObservedSecret>,
        around: &Neighbours<'_>,
    ) -> Plan<(Place, SecretAction)> {
        if around.unreachable[RegionRole::Primary.index()] {
            return Plan::default();
        }
        plan_secret(desired, observed.as_ref(), around.writer).map(|a| (HOME, a))
    }

    /// Released instead while the servers of a kept tier run with one of
    /// our instance profiles (they read it).
    fn teardown(
        desired: &DesiredSecret,
        observed: &Option<ObservedSecret>,
        around: &Neighbours<'_>,
    ) -> Plan<(Place, SecretAction)> {
        plan_secret_teardown(desired, observed.as_ref(), !around.kept_profiles().is_empty()).map(|a| (HOME, a))
    }

    /// The secret's ARNs and its last change, once it is ours.
    fn status(
        desired: &DesiredSecret,
        observed: &Option<ObservedSecret>,
        _around: &Neighbours<'_>,
        status: &mut ThreeTierStackStatus,
    ) {
        let Some(s) = observed.as_ref().filter(|s| s.is_live()) else { return };
        let access = status
            .access
            .get_or_insert_with(|| AccessStatus { secret_name: desired.name.clone(), ..Default::default() });
        access.secret_arns.insert(desired.home_region.clone(), s.arn.clone());
        for (region, _) in &s.replicas {
            access.secret_arns.insert(region.clone(), desired.arn_in(&s.arn, region));
        }
        access.last_rotated = s.last_changed.clone();
    }

    /// A secret scheduled for deletion is gone.
    fn live_count(_desired: &Self::Desired, observed: &Option<ObservedSecret>) -> usize {
        usize::from(observed.as_ref().is_some_and(ObservedSecret::is_live))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_carries_every_key() {
        let f = SecretFields {
            username: "admin".into(),
            host: "book.internal".into(),
            port: 3306,
            dbname: "app".into(),
            engine: "mysql".into(),
        };
        let v: Value = serde_json::from_str(&f.value_with("pw")).unwrap();
        for key in ["username", "password", "host", "port", "dbname", "engine"] {
            assert!(v.get(key).is_some(), "{key}");
        }
    }
}
