//! Planning the access family: the secret first (the api's policy names
//! it), roles and profiles next; launch templates wait for both (see
//! `launch_settings`). Teardown removes the replica, schedules the secret's
//! deletion and takes profiles and roles apart once no instance uses them.

use warmstandby_api::{DriftItem, GLOBAL_REGION, RegionRole};

use crate::access::actions::{AccessAction, IamAction, SecretAction};
use crate::access::desired::{
    DesiredAccess, DesiredRole, SECRET_READ_POLICY, parse_policy, same_policy, secret_read_policy, trust_policy,
};
use crate::access::environment::Environment;
use crate::access::observed::{ObservedAccess, ObservedProfile};

/// The access family's plan.
pub type AccessPlan = crate::plan::Plan<AccessAction>;

impl crate::plan::Plan<AccessAction> {
    fn push(&mut self, action: impl Into<AccessAction>) {
        self.actions.push(action.into());
    }
}

/// The writer the password is rotated on: region, identifier, available.
pub struct Writer<'a> {
    pub region: &'a str,
    pub identifier: &'a str,
    pub available: bool,
}

pub fn plan_access(desired: &DesiredAccess, observed: &ObservedAccess, writer: Option<Writer<'_>>) -> AccessPlan {
    let mut plan = AccessPlan::default();
    let secret_arns = plan_secret(&mut plan, desired, observed, writer);
    for role in &desired.roles {
        plan_role(&mut plan, role, observed, secret_arns.as_deref());
    }
    plan
}

/// The secret's ARNs in both regions once it exists with its replica.
fn plan_secret(
    plan: &mut AccessPlan,
    desired: &DesiredAccess,
    observed: &ObservedAccess,
    writer: Option<Writer<'_>>,
) -> Option<Vec<String>> {
    let want = &desired.secret;
    let region = want.home_region.as_str();
    let Some(have) = &observed.secret else {
        plan.push(SecretAction::Create {
            name: want.name.clone(),
            description: want.description.clone(),
            replica_region: want.replica_region.clone(),
            fields: want.fields.clone(),
        });
        return None;
    };
    if !have.ours {
        plan.blocked.push(format!("secret {} exists and is not this stack's; it is left alone", want.name));
        return None;
    }
    if have.deleted {
        plan.push(SecretAction::Restore { arn: have.arn.clone() });
        return None;
    }
    match have.replicas.iter().find(|(r, _)| *r == want.replica_region) {
        None => {
            plan.drift.push(DriftItem::new(region, "Secret", &want.name, "replica", &want.replica_region, "missing"));
            plan.push(SecretAction::Replicate { arn: have.arn.clone(), region: want.replica_region.clone() });
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
                Some(w) if password => plan.push(SecretAction::Rotate {
                    arn: have.arn.clone(),
                    fields: want.fields.clone(),
                    database: Some((w.region.to_string(), w.identifier.to_string())),
                }),
                _ => plan.push(SecretAction::Rotate {
                    arn: have.arn.clone(),
                    fields: want.fields.clone(),
                    database: None,
                }),
            }
        }
    }
    Some(vec![have.arn.clone(), want.arn_in(&have.arn, &want.replica_region)])
}

fn plan_role(plan: &mut AccessPlan, want: &DesiredRole, observed: &ObservedAccess, secret_arns: Option<&[String]>) {
    let g = GLOBAL_REGION;
    match observed.role(&want.name) {
        None => plan.push(IamAction::CreateRole { tier: want.tier.into(), name: want.name.clone() }),
        Some(have) if !have.ours => {
            plan.blocked.push(format!("role {} exists and is not this stack's; it is left alone", want.name))
        }
        Some(have) => {
            if !same_policy(&have.trust, &trust_policy()) {
                plan.drift.push(DriftItem::new(g, "Role", &want.name, "trustPolicy", "ec2.amazonaws.com", "changed"));
                plan.push(IamAction::UpdateTrust { role: want.name.clone() });
            }
            let wanted = match (want.reads_secret, secret_arns) {
                (true, Some(arns)) => Some(secret_read_policy(arns)),
                (true, None) => {
                    plan.waiting.push(format!("the policy of role {} waits for the secret", want.name));
                    None
                }
                (false, _) => None,
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
                        plan.push(IamAction::PutPolicy {
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
                plan.push(IamAction::DeletePolicy { role: want.name.clone(), policy: name.clone() });
            }
            for arn in &have.attached {
                plan.drift.push(DriftItem::new(g, "Role", &want.name, &format!("attached {arn}"), "absent", "present"));
                plan.push(IamAction::DetachPolicy { role: want.name.clone(), policy_arn: arn.clone() });
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
            plan.push(IamAction::CreateProfile {
                tier: want.tier.into(),
                name: want.profile_name.clone(),
                role: want.name.clone(),
            })
        }
        None => plan.waiting.push(format!("instance profile {} waits for its role", want.profile_name)),
        Some(p) => {
            for other in p.roles.iter().filter(|r| **r != want.name) {
                plan.drift.push(DriftItem::new(g, "InstanceProfile", &p.name, "role", &want.name, other));
                plan.push(IamAction::RemoveRole { profile: p.name.clone(), role: other.clone() });
            }
            if !p.roles.contains(&want.name) {
                if p.roles.is_empty() {
                    plan.drift.push(DriftItem::new(g, "InstanceProfile", &p.name, "role", &want.name, "none"));
                }
                // A profile holds one role: another one goes first.
                if p.roles.is_empty() && role_ready {
                    plan.push(IamAction::AddRole { profile: p.name.clone(), role: want.name.clone() });
                }
            }
        }
    }
}

/// What a tier's launch template needs from the access family in `role`'s
/// region: its instance profile and the environment block; `Err` says what
/// it waits for.
pub fn launch_settings(
    desired: &DesiredAccess,
    observed: &ObservedAccess,
    tier: &str,
    role: RegionRole,
    active: bool,
    urls: (&str, &str),
) -> Result<(String, Environment), String> {
    let want = desired.role(tier).ok_or_else(|| format!("no role for the {tier} tier"))?;
    let ready = observed.profile(&want.profile_name).is_some_and(|p| p.roles.contains(&want.name))
        && observed.role(&want.name).is_some_and(|r| r.ours);
    if !ready {
        return Err(format!("the {tier} launch template waits for instance profile {}", want.profile_name));
    }
    let secret = &desired.secret;
    let region = secret.region(role).to_string();
    let db = if want.reads_secret {
        let home = observed
            .secret
            .as_ref()
            .filter(|s| s.ours && !s.deleted)
            .ok_or_else(|| format!("the {tier} launch template waits for secret {}", secret.name))?;
        Some((secret.fields.host.clone(), secret.arn_in(&home.arn, &region)))
    } else {
        None
    };
    let environment = Environment {
        api_url: format!("https://{}", urls.0),
        web_url: format!("https://{}", urls.1),
        db,
        region,
        role: if active { "active" } else { "standby" },
    };
    Ok((want.profile_name.clone(), environment))
}

/// Deletion: the replica, then the secret (recoverable unless the spec says
/// 0 days); profiles and roles once `hold` (instances still running) is over.
/// `kept_profiles` are profiles the servers of a tier left in place run
/// with: they, their roles and the secret those servers read are released
/// (left, our tags removed) instead.
pub fn plan_access_teardown(
    desired: &DesiredAccess,
    observed: &ObservedAccess,
    hold: bool,
    kept_profiles: &[String],
) -> AccessPlan {
    let mut plan = AccessPlan::default();
    if let Some(s) = observed.secret.as_ref().filter(|s| s.ours && !s.deleted) {
        if !kept_profiles.is_empty() {
            plan.push(SecretAction::Release { arn: s.arn.clone() });
        } else if s.replicas.is_empty() {
            plan.push(SecretAction::Delete {
                arn: s.arn.clone(),
                recovery_window_days: desired.secret.recovery_window_days,
            });
        } else {
            for (region, _) in &s.replicas {
                plan.push(SecretAction::RemoveReplica { arn: s.arn.clone(), region: region.clone() });
            }
        }
    }
    let kept = |p: &ObservedProfile| kept_profiles.contains(&p.name);
    let ours = |role: &String| observed.role(role).is_some_and(|r| r.ours);
    for p in observed.profiles.iter().filter(|p| kept(p)) {
        let roles: Vec<String> = p.roles.iter().filter(|r| ours(r)).cloned().collect();
        if !roles.is_empty() {
            plan.push(IamAction::ReleaseProfile { name: p.name.clone(), roles });
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
            plan.push(IamAction::DeleteProfile { name: p.name.clone() });
        }
        for r in &p.roles {
            plan.push(IamAction::RemoveRole { profile: p.name.clone(), role: r.clone() });
        }
    }
    for r in observed.roles.iter().filter(|r| r.ours && !kept_roles.contains(&&r.name)) {
        let in_profile = observed.profiles.iter().any(|p| p.roles.contains(&r.name));
        for (name, _) in &r.inline {
            plan.push(IamAction::DeletePolicy { role: r.name.clone(), policy: name.clone() });
        }
        for arn in &r.attached {
            plan.push(IamAction::DetachPolicy { role: r.name.clone(), policy_arn: arn.clone() });
        }
        if !in_profile && r.inline.is_empty() && r.attached.is_empty() {
            plan.push(IamAction::DeleteRole { name: r.name.clone() });
        }
    }
    plan
}

/// Parses an IAM policy document (as listed) for the observation.
pub fn policy_document(text: &str) -> serde_json::Value {
    parse_policy(text).unwrap_or(serde_json::Value::String(text.to_string()))
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
