//! The instance roles family: an IAM role and instance profile per tier
//! (IAM is global). The api's role may read exactly the credentials secret
//! (the secrets family's, in both regions); the web tier's gets no policy.
//! Launch templates wait for the profiles (`environment::launch_settings`);
//! teardown takes profiles and roles apart once no instance uses them.

use serde_json::{Value, json};
use warmstandby_api::{AccessStatus, DriftItem, GLOBAL_REGION, ThreeTierStackStatus};

use crate::families::secrets::secret_arns;
use crate::families::{Neighbours, ResourceFamily};
use crate::family::{Effect, Family, FamilyAction};
use crate::placement::Placement;
use crate::plan::{Place, Plan};
use crate::resource::{Kind, Resource, Scope, Tier};
use crate::validate::ValidatedStack;

/// The instance roles family on the seam.
pub struct InstanceRoles;

/// Path of every role and instance profile the operator creates; the
/// operator's own `iam:PassRole` is scoped to it.
pub const ROLE_PATH: &str = "/warmstandby/";
/// The api role's only inline policy.
pub const SECRET_READ_POLICY: &str = "read-database-credentials";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredRole {
    pub tier: &'static str,
    pub name: String,
    /// The instance profile has the role's name.
    pub profile_name: String,
    /// The api reads the credentials; the web tier gets no policy at all.
    pub reads_secret: bool,
}

/// A role and profile per tier: the api's reads the secret.
pub fn desired_roles(stack: &ValidatedStack) -> Vec<DesiredRole> {
    let role = |tier: &'static str, reads_secret: bool| {
        let name = stack.aws_name(tier, 64);
        DesiredRole { tier, profile_name: name.clone(), name, reads_secret }
    };
    vec![role("api", true), role("web", false)]
}

/// The role of `tier`.
pub fn role_of<'a>(roles: &'a [DesiredRole], tier: &str) -> Option<&'a DesiredRole> {
    roles.iter().find(|r| r.tier == tier)
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
pub struct ObservedRoles {
    /// Roles and profiles under the operator's path with our names.
    pub roles: Vec<ObservedRole>,
    pub profiles: Vec<ObservedProfile>,
    /// Profiles the last status named: one missing now was detached or
    /// deleted (a profile holding no role is listed under no role).
    pub known_profiles: Vec<String>,
}

impl ObservedRoles {
    pub fn role(&self, name: &str) -> Option<&ObservedRole> {
        self.roles.iter().find(|r| r.name == name)
    }

    pub fn profile(&self, name: &str) -> Option<&ObservedProfile> {
        self.profiles.iter().find(|p| p.name == name)
    }

    /// Roles and profiles of ours that still exist (a profile holding only
    /// roles not ours, released ones, is not ours).
    pub fn live_count(&self) -> usize {
        let ours =
            |p: &&ObservedProfile| p.roles.is_empty() || p.roles.iter().any(|r| self.role(r).is_some_and(|r| r.ours));
        self.roles.iter().filter(|r| r.ours).count() + self.profiles.iter().filter(ours).count()
    }
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

/// What the roles see of the credentials secret.
#[derive(Clone, Copy, Debug)]
pub enum SecretSeen<'a> {
    /// Ours, with its ARNs in both regions.
    Arns(&'a [String]),
    /// Not created (or restored) yet: the api's policy waits for it.
    NotYet,
    /// Its home region cannot be reached: nothing is said of it.
    Unreachable,
}

/// What to change of the roles and profiles to reach `desired`.
pub fn plan_roles(desired: &[DesiredRole], observed: &ObservedRoles, secret: SecretSeen<'_>) -> Plan<IamAction> {
    let mut plan = Plan::default();
    for role in desired {
        plan_role(&mut plan, role, observed, secret);
    }
    plan
}

fn plan_role(plan: &mut Plan<IamAction>, want: &DesiredRole, observed: &ObservedRoles, secret: SecretSeen<'_>) {
    let g = GLOBAL_REGION;
    match observed.role(&want.name) {
        None => plan.actions.push(IamAction::CreateRole { tier: want.tier.into(), name: want.name.clone() }),
        Some(have) if !have.ours => {
            plan.blocked.push(format!("role {} exists and is not this stack's; it is left alone", want.name))
        }
        Some(have) => {
            if !same_policy(&have.trust, &trust_policy()) {
                plan.drift.push(DriftItem::new(g, "Role", &want.name, "trustPolicy", "ec2.amazonaws.com", "changed"));
                plan.actions.push(IamAction::UpdateTrust { role: want.name.clone() });
            }
            let wanted = match (want.reads_secret, secret) {
                (true, SecretSeen::Arns(arns)) => Some(secret_read_policy(arns)),
                (true, SecretSeen::NotYet) => {
                    plan.waiting.push(format!("the policy of role {} waits for the secret", want.name));
                    None
                }
                // Its home region cannot be read: nothing to wait for here.
                (true, SecretSeen::Unreachable) | (false, _) => None,
            };
            if let Some(doc) = &wanted {
                match have.inline.iter().find(|(n, _)| n == SECRET_READ_POLICY) {
                    Some((_, current)) if same_policy(current, doc) => {}
                    found => {
                        let state = if found.is_some() { "changed" } else { "missing" };
                        if found.is_some() || have.inline.iter().any(|(n, _)| n != SECRET_READ_POLICY) {
                            plan.drift.push(DriftItem::new(
                                g,
                                "Role",
                                &want.name,
                                SECRET_READ_POLICY,
                                "present",
                                state,
                            ));
                        }
                        plan.actions.push(IamAction::PutPolicy {
                            role: want.name.clone(),
                            policy: SECRET_READ_POLICY.into(),
                            document: doc.to_string(),
                        });
                    }
                }
            }
            // Anything else widens what the instances may do: removed.
            for (name, _) in have.inline.iter().filter(|(n, _)| !(want.reads_secret && n == SECRET_READ_POLICY)) {
                plan.drift.push(DriftItem::new(g, "Role", &want.name, &format!("policy {name}"), "absent", "present"));
                plan.actions.push(IamAction::DeletePolicy { role: want.name.clone(), policy: name.clone() });
            }
            for arn in &have.attached {
                plan.drift.push(DriftItem::new(g, "Role", &want.name, &format!("attached {arn}"), "absent", "present"));
                plan.actions.push(IamAction::DetachPolicy { role: want.name.clone(), policy_arn: arn.clone() });
            }
        }
    }
    let role_ready = observed.role(&want.name).is_some_and(|r| r.ours);
    match observed.profile(&want.profile_name) {
        // Created with its role in it. A profile holding no role is listed
        // under no role: one the last status named was detached or deleted.
        None if role_ready => {
            if observed.known_profiles.contains(&want.profile_name) {
                plan.drift.push(DriftItem::new(g, "InstanceProfile", &want.profile_name, "role", &want.name, "none"));
            }
            plan.actions.push(IamAction::CreateProfile {
                tier: want.tier.into(),
                name: want.profile_name.clone(),
                role: want.name.clone(),
            })
        }
        None => plan.waiting.push(format!("instance profile {} waits for its role", want.profile_name)),
        Some(p) => {
            for other in p.roles.iter().filter(|r| **r != want.name) {
                plan.drift.push(DriftItem::new(g, "InstanceProfile", &p.name, "role", &want.name, other));
                plan.actions.push(IamAction::RemoveRole { profile: p.name.clone(), role: other.clone() });
            }
            if !p.roles.contains(&want.name) {
                if p.roles.is_empty() {
                    plan.drift.push(DriftItem::new(g, "InstanceProfile", &p.name, "role", &want.name, "none"));
                }
                // A profile holds one role: another one goes first.
                if p.roles.is_empty() && role_ready {
                    plan.actions.push(IamAction::AddRole { profile: p.name.clone(), role: want.name.clone() });
                }
            }
        }
    }
}

/// Teardown: profiles and roles once `hold` (instances still running) is
/// over. `kept_profiles` are profiles the servers of a tier left in place
/// run with: they and their roles are released (left, our tags removed).
pub fn plan_roles_teardown(observed: &ObservedRoles, hold: bool, kept_profiles: &[String]) -> Plan<IamAction> {
    let mut plan = Plan::default();
    let kept = |p: &ObservedProfile| kept_profiles.contains(&p.name);
    let ours = |role: &String| observed.role(role).is_some_and(|r| r.ours);
    for p in observed.profiles.iter().filter(|p| kept(p)) {
        let roles: Vec<String> = p.roles.iter().filter(|r| ours(r)).cloned().collect();
        if !roles.is_empty() {
            plan.actions.push(IamAction::ReleaseProfile { name: p.name.clone(), roles });
        }
    }
    if hold {
        if observed.profiles.iter().any(|p| !kept(p)) || observed.roles.iter().any(|r| r.ours) {
            plan.waiting.push("instance profiles and roles wait for the instances to go".into());
        }
        return plan;
    }
    let kept_roles: Vec<&String> = observed.profiles.iter().filter(|p| kept(p)).flat_map(|p| &p.roles).collect();
    for p in observed.profiles.iter().filter(|p| !kept(p)) {
        if p.roles.is_empty() {
            plan.actions.push(IamAction::DeleteProfile { name: p.name.clone() });
        }
        for r in &p.roles {
            plan.actions.push(IamAction::RemoveRole { profile: p.name.clone(), role: r.clone() });
        }
    }
    for r in observed.roles.iter().filter(|r| r.ours && !kept_roles.contains(&&r.name)) {
        let in_profile = observed.profiles.iter().any(|p| p.roles.contains(&r.name));
        for (name, _) in &r.inline {
            plan.actions.push(IamAction::DeletePolicy { role: r.name.clone(), policy: name.clone() });
        }
        for arn in &r.attached {
            plan.actions.push(IamAction::DetachPolicy { role: r.name.clone(), policy_arn: arn.clone() });
        }
        if !in_profile && r.inline.is_empty() && r.attached.is_empty() {
            plan.actions.push(IamAction::DeleteRole { name: r.name.clone() });
        }
    }
    plan
}

/// Parses an IAM policy document (as listed) for the observation.
pub fn policy_document(text: &str) -> serde_json::Value {
    parse_policy(text).unwrap_or(serde_json::Value::String(text.to_string()))
}

/// EC2 may assume the roles, nothing else.
pub fn trust_policy() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole"
        }]
    })
}

/// Reading exactly the credentials secret, in both regions.
pub fn secret_read_policy(arns: &[String]) -> Value {
    let mut arns = arns.to_vec();
    arns.sort();
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "ReadDatabaseCredentials",
            "Effect": "Allow",
            "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
            "Resource": arns
        }]
    })
}

/// Policy documents compared as JSON, whatever their formatting, with a
/// single string and a one-element list taken as equal (as IAM does).
pub fn same_policy(a: &Value, b: &Value) -> bool {
    normalize(a) == normalize(b)
}

fn normalize(v: &Value) -> Value {
    match v {
        Value::Array(items) if items.len() == 1 => normalize(&items[0]),
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(normalize).collect();
            items.sort_by_key(|i| i.to_string());
            Value::Array(items)
        }
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), normalize(v))).collect()),
        other => other.clone(),
    }
}

/// A policy document as IAM returns it (URL-encoded JSON), parsed.
pub fn parse_policy(text: &str) -> Option<Value> {
    serde_json::from_str(text).ok().or_else(|| serde_json::from_str(&percent_decode(text)).ok())
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl ResourceFamily for InstanceRoles {
    const FAMILY: Family = Family::InstanceRoles;
    type Desired = Vec<DesiredRole>;
    type Observed = ObservedRoles;
    type Action = IamAction;

    /// Each tier's instance profile (its role is named by it).
    fn live_id(r: &Resource, status: &ThreeTierStackStatus) -> Option<Option<String>> {
        let profiles = status.access.as_ref().map(|a| &a.instance_profiles);
        (r.kind == Kind::InstanceProfile).then(|| profiles.and_then(|p| p.get(super::tier_name(r)).cloned()))
    }

    fn desired(stack: &ValidatedStack, _placement: &Placement) -> Vec<DesiredRole> {
        desired_roles(stack)
    }

    /// Each tier's instances run with a role of their own.
    fn topology(desired: &Vec<DesiredRole>, out: &mut Vec<Resource>) {
        for role in desired {
            let mut r =
                Resource::new(&Scope::Global, &format!("role/{}", role.tier), Kind::InstanceRole, role.name.clone())
                    .prop("path", ROLE_PATH)
                    .prop("trusts", "ec2.amazonaws.com")
                    .prop("policy", if role.reads_secret { "read the credentials secret" } else { "(none)" });
            if role.reads_secret {
                r = r.dep("primary/secret/database");
            }
            out.push(r);
            out.push(
                Resource::new(
                    &Scope::Global,
                    &format!("instance-profile/{}", role.tier),
                    Kind::InstanceProfile,
                    role.profile_name.clone(),
                )
                .dep(format!("global/role/{}", role.tier)),
            );
        }
    }

    /// The api's policy names the secret (the secrets family's).
    fn plan(desired: &Vec<DesiredRole>, observed: &ObservedRoles, around: &Neighbours<'_>) -> Plan<(Place, IamAction)> {
        let (secrets, seen) = around.secret();
        let arns = secret_arns(secrets, seen);
        let secret = match &arns {
            _ if around.unreachable[warmstandby_api::RegionRole::Primary.index()] => SecretSeen::Unreachable,
            Some(arns) => SecretSeen::Arns(arns),
            None => SecretSeen::NotYet,
        };
        // IAM is global.
        plan_roles(desired, observed, secret).map(|a| (Place::Global, a))
    }

    /// Instances run with the profiles until their auto scaling groups are gone.
    fn teardown(
        _desired: &Vec<DesiredRole>,
        observed: &ObservedRoles,
        around: &Neighbours<'_>,
    ) -> Plan<(Place, IamAction)> {
        plan_roles_teardown(observed, around.scaling_groups_left(), &around.kept_profiles()).map(|a| (Place::Global, a))
    }

    /// The instance profile of each tier, once it exists.
    fn status(
        desired: &Vec<DesiredRole>,
        observed: &ObservedRoles,
        around: &Neighbours<'_>,
        status: &mut ThreeTierStackStatus,
    ) {
        let profiles: Vec<(String, String)> = desired
            .iter()
            .filter_map(|r| observed.profile(&r.profile_name).map(|p| (r.tier.to_string(), p.arn.clone())))
            .collect();
        if profiles.is_empty() {
            return;
        }
        let secret_name = around.secret().0.name.clone();
        let access = status.access.get_or_insert_with(|| AccessStatus { secret_name, ..Default::default() });
        access.instance_profiles.extend(profiles);
    }

    fn live_count(_desired: &Self::Desired, observed: &ObservedRoles) -> usize {
        observed.live_count()
    }
}

#[cfg(test)]
#[path = "instance_roles_tests.rs"]
mod tests;
