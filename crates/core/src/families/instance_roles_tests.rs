//! The instance roles family, planned together with the secrets family
//! whose secret the api's role reads, as the seam plans them.

use serde_json::json;
use warmstandby_api::RegionRole;

use crate::families::environment::launch_settings;
use crate::families::instance_roles::{
    DesiredRole, IamAction, ObservedProfile, ObservedRole, ObservedRoles, SECRET_READ_POLICY, SecretSeen, parse_policy,
    plan_roles, plan_roles_teardown, same_policy, secret_read_policy, trust_policy,
};
use crate::families::secrets::{
    DesiredSecret, ObservedSecret, SecretAction, SecretFields, Writer, plan_secret, plan_secret_teardown, secret_arns,
};
use crate::plan::Plan;

/// Both families' desired state.
struct DesiredAccess {
    secret: DesiredSecret,
    roles: Vec<DesiredRole>,
}

/// Both families' observation, with the roles' fields at hand.
#[derive(Clone, Debug, Default)]
struct ObservedAccess {
    secret: Option<ObservedSecret>,
    roles: Vec<ObservedRole>,
    profiles: Vec<ObservedProfile>,
    known_profiles: Vec<String>,
}

impl ObservedAccess {
    fn role(&self, name: &str) -> Option<&ObservedRole> {
        self.roles.iter().find(|r| r.name == name)
    }

    fn profile(&self, name: &str) -> Option<&ObservedProfile> {
        self.profiles.iter().find(|p| p.name == name)
    }

    /// Both families' resources of ours that still exist.
    fn live_count(&self) -> usize {
        usize::from(self.secret.as_ref().is_some_and(ObservedSecret::is_live)) + self.iam().live_count()
    }

    fn iam(&self) -> ObservedRoles {
        ObservedRoles {
            roles: self.roles.clone(),
            profiles: self.profiles.clone(),
            known_profiles: self.known_profiles.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum AccessAction {
    Secret(SecretAction),
    Iam(IamAction),
}

type AccessPlan = Plan<AccessAction>;

/// The two plans joined, the secret's first.
fn joined(secret: Plan<SecretAction>, iam: Plan<IamAction>) -> AccessPlan {
    let mut plan = secret.map(AccessAction::Secret);
    plan.append(iam.map(AccessAction::Iam));
    plan
}

fn plan_access(d: &DesiredAccess, o: &ObservedAccess, writer: Option<Writer<'_>>) -> AccessPlan {
    let arns = secret_arns(&d.secret, o.secret.as_ref());
    let seen = arns.as_deref().map_or(SecretSeen::NotYet, SecretSeen::Arns);
    joined(plan_secret(&d.secret, o.secret.as_ref(), writer), plan_roles(&d.roles, &o.iam(), seen))
}

fn plan_access_teardown(d: &DesiredAccess, o: &ObservedAccess, hold: bool, kept: &[String]) -> AccessPlan {
    joined(
        plan_secret_teardown(&d.secret, o.secret.as_ref(), !kept.is_empty()),
        plan_roles_teardown(&o.iam(), hold, kept),
    )
}

fn desired() -> DesiredAccess {
    DesiredAccess {
        secret: DesiredSecret {
            name: "warmstandby/shop/bookstore/database".into(),
            home_region: "us-east-1".into(),
            replica_region: "us-west-2".into(),
            description: "d".into(),
            fields: SecretFields {
                username: "admin".into(),
                host: "book.internal".into(),
                port: 3306,
                dbname: "app".into(),
                engine: "mysql".into(),
            },
            recovery_window_days: 7,
        },
        roles: vec![
            DesiredRole {
                tier: "api",
                name: "shop-bookstore-api".into(),
                profile_name: "shop-bookstore-api".into(),
                reads_secret: true,
            },
            DesiredRole {
                tier: "web",
                name: "shop-bookstore-web".into(),
                profile_name: "shop-bookstore-web".into(),
                reads_secret: false,
            },
        ],
    }
}

const ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:warmstandby/shop/bookstore/database-AbCdEf";

/// Applies a plan the way AWS would.
fn apply(o: &mut ObservedAccess, d: &DesiredAccess, plan: &AccessPlan) {
    for a in &plan.actions {
        match a {
            AccessAction::Secret(SecretAction::Create { replica_region, .. }) => {
                o.secret = Some(ObservedSecret {
                    arn: ARN.into(),
                    ours: true,
                    deleted: false,
                    replicas: vec![(replica_region.clone(), "InSync".into())],
                    last_changed: None,
                    differing: Some(vec![]),
                })
            }
            AccessAction::Secret(SecretAction::Rotate { .. }) => {
                o.secret.as_mut().unwrap().differing = Some(vec![]);
            }
            AccessAction::Secret(SecretAction::Restore { .. }) => o.secret.as_mut().unwrap().deleted = false,
            AccessAction::Secret(SecretAction::Replicate { region, .. }) => {
                o.secret.as_mut().unwrap().replicas.push((region.clone(), "InSync".into()))
            }
            AccessAction::Secret(SecretAction::RemoveReplica { region, .. }) => {
                o.secret.as_mut().unwrap().replicas.retain(|(r, _)| r != region)
            }
            AccessAction::Secret(SecretAction::Delete { .. }) => o.secret.as_mut().unwrap().deleted = true,
            AccessAction::Secret(SecretAction::Release { .. }) => o.secret.as_mut().unwrap().ours = false,
            AccessAction::Iam(i) => match i {
                IamAction::CreateRole { name, .. } => o.roles.push(ObservedRole {
                    name: name.clone(),
                    arn: format!("arn:aws:iam::1:role/warmstandby/{name}"),
                    ours: true,
                    trust: trust_policy(),
                    inline: vec![],
                    attached: vec![],
                }),
                IamAction::UpdateTrust { role } => {
                    o.roles.iter_mut().find(|r| r.name == *role).unwrap().trust = trust_policy()
                }
                IamAction::PutPolicy { role, policy, document } => {
                    let r = o.roles.iter_mut().find(|r| r.name == *role).unwrap();
                    r.inline.retain(|(n, _)| n != policy);
                    r.inline.push((policy.clone(), serde_json::from_str(document).unwrap()));
                }
                IamAction::DeletePolicy { role, policy } => {
                    o.roles.iter_mut().find(|r| r.name == *role).unwrap().inline.retain(|(n, _)| n != policy)
                }
                IamAction::DetachPolicy { role, policy_arn } => {
                    o.roles.iter_mut().find(|r| r.name == *role).unwrap().attached.retain(|a| a != policy_arn)
                }
                IamAction::CreateProfile { name, role, .. } => o.profiles.push(ObservedProfile {
                    name: name.clone(),
                    arn: format!("arn:aws:iam::1:instance-profile/warmstandby/{name}"),
                    roles: vec![role.clone()],
                }),
                IamAction::AddRole { profile, role } => {
                    o.profiles.iter_mut().find(|p| p.name == *profile).unwrap().roles.push(role.clone())
                }
                IamAction::RemoveRole { profile, role } => {
                    o.profiles.iter_mut().find(|p| p.name == *profile).unwrap().roles.retain(|r| r != role)
                }
                IamAction::DeleteProfile { name } => o.profiles.retain(|p| p.name != *name),
                IamAction::DeleteRole { name } => o.roles.retain(|r| r.name != *name),
                IamAction::ReleaseProfile { roles, .. } => {
                    o.roles.iter_mut().filter(|r| roles.contains(&r.name)).for_each(|r| r.ours = false)
                }
            },
        }
    }
    let _ = d;
}

fn converge(o: &mut ObservedAccess, d: &DesiredAccess) -> usize {
    for round in 0..10 {
        let plan = plan_access(d, o, None);
        if plan.actions.is_empty() {
            return round;
        }
        apply(o, d, &plan);
    }
    panic!("did not converge: {o:?}");
}

#[test]
fn builds_secret_roles_and_profiles_and_then_has_nothing_to_do() {
    let d = desired();
    let mut o = ObservedAccess::default();
    let first = plan_access(&d, &o, None);
    assert!(first.drift.is_empty(), "nothing built yet is not drift: {:?}", first.drift);
    assert_eq!(converge(&mut o, &d), 2, "secret and roles, then policy and profiles");
    let api = o.role("shop-bookstore-api").unwrap();
    let (_, doc) = &api.inline[0];
    let resources = doc["Statement"][0]["Resource"].as_array().unwrap();
    assert_eq!(resources.len(), 2, "both regions' ARNs, nothing wider: {doc}");
    assert!(resources.iter().any(|r| r.as_str().unwrap().contains(":us-west-2:")));
    assert!(o.role("shop-bookstore-web").unwrap().inline.is_empty(), "the web tier reads nothing secret");
    let plan = plan_access(&d, &o, None);
    assert!(plan.actions.is_empty() && plan.drift.is_empty() && plan.waiting.is_empty(), "{plan:?}");

    let (profile, env) = launch_settings(
        (&d.secret, o.secret.as_ref()),
        (&d.roles, &o.iam()),
        "api",
        RegionRole::Standby,
        false,
        ("api.example.com", "www.example.com"),
    )
    .unwrap();
    assert_eq!(profile, "shop-bookstore-api");
    let (host, arn) = env.db.clone().unwrap();
    assert_eq!(host, "book.internal");
    assert!(arn.starts_with("arn:aws:secretsmanager:us-west-2:"), "the standby reads its own replica: {arn}");
    assert_eq!(env.role, "standby");
}

#[test]
fn a_widened_policy_a_detached_profile_and_a_changed_password_are_drift_and_repaired() {
    let d = desired();
    let mut o = ObservedAccess::default();
    converge(&mut o, &d);
    let api = o.roles.iter_mut().find(|r| r.name == "shop-bookstore-api").unwrap();
    api.inline[0].1 = secret_read_policy(&["*".into()]);
    api.attached.push("arn:aws:iam::aws:policy/AdministratorAccess".into());
    o.profiles.iter_mut().find(|p| p.name == "shop-bookstore-web").unwrap().roles.clear();
    o.secret.as_mut().unwrap().differing = Some(vec!["password".into()]);
    let writer = Writer { region: "us-east-1", identifier: "db-1", available: true };
    let plan = plan_access(&d, &o, Some(writer));
    let fields: Vec<&str> = plan.drift.iter().map(|i| i.field.as_str()).collect();
    assert!(fields.contains(&SECRET_READ_POLICY), "{fields:?}");
    assert!(fields.iter().any(|f| f.contains("AdministratorAccess")), "{fields:?}");
    assert!(fields.contains(&"role"), "{fields:?}");
    assert!(fields.contains(&"password"), "{fields:?}");
    assert!(plan.drift.iter().all(|i| !i.found.contains("pw")), "values never appear");
    assert!(plan.actions.contains(&AccessAction::Secret(SecretAction::Rotate {
        arn: ARN.into(),
        fields: d.secret.fields.clone(),
        database: Some(("us-east-1".into(), "db-1".into())),
    })));
    apply(&mut o, &d, &plan);
    assert!(plan_access(&d, &o, None).actions.is_empty());
}

#[test]
fn a_password_change_waits_for_an_available_writer() {
    let d = desired();
    let mut o = ObservedAccess::default();
    converge(&mut o, &d);
    o.secret.as_mut().unwrap().differing = Some(vec!["password".into()]);
    let plan = plan_access(&d, &o, Some(Writer { region: "us-east-1", identifier: "db-1", available: false }));
    assert!(plan.actions.is_empty(), "{plan:?}");
    assert_eq!(plan.waiting.len(), 1);
}

#[test]
fn someone_elses_secret_or_role_is_left_alone() {
    let d = desired();
    let o = ObservedAccess {
        secret: Some(ObservedSecret { arn: ARN.into(), ours: false, ..Default::default() }),
        roles: vec![ObservedRole {
            name: "shop-bookstore-api".into(),
            ours: false,
            trust: json!({}),
            ..Default::default()
        }],
        ..Default::default()
    };
    let plan = plan_access(&d, &o, None);
    assert!(plan.actions.iter().all(|a| !matches!(a, AccessAction::Secret(_))), "{plan:?}");
    assert!(!plan.actions.iter().any(|a| matches!(a, AccessAction::Iam(IamAction::UpdateTrust { .. }))));
    assert_eq!(plan.blocked.len(), 2, "{:?}", plan.blocked);
}

#[test]
fn teardown_removes_the_replica_then_schedules_the_secret_and_takes_roles_apart_after_the_instances() {
    let d = desired();
    let mut o = ObservedAccess::default();
    converge(&mut o, &d);
    let held = plan_access_teardown(&d, &o, true, &[]);
    assert!(held.actions.iter().all(|a| matches!(a, AccessAction::Secret(_))), "{held:?}");
    for _ in 0..6 {
        let plan = plan_access_teardown(&d, &o, false, &[]);
        if plan.actions.is_empty() {
            break;
        }
        apply(&mut o, &d, &plan);
    }
    assert_eq!(o.live_count(), 0, "{o:?}");
    assert!(o.secret.as_ref().unwrap().deleted, "scheduled for deletion, recoverable");
}

#[test]
fn a_deleted_secret_of_ours_is_restored() {
    let d = desired();
    let mut o = ObservedAccess::default();
    converge(&mut o, &d);
    o.secret.as_mut().unwrap().deleted = true;
    let plan = plan_access(&d, &o, None);
    assert_eq!(plan.actions, vec![AccessAction::Secret(SecretAction::Restore { arn: ARN.into() })]);
}

/// What a resource of the access family looks like before a pass.
#[derive(Clone, Copy, Debug)]
enum Found {
    Missing,
    Ours,
    Changed,
    Someone,
}

fn found() -> impl proptest::strategy::Strategy<Value = Found> {
    use proptest::prelude::*;
    prop_oneof![Just(Found::Missing), Just(Found::Ours), Just(Found::Changed), Just(Found::Someone)]
}

/// An access observation with each piece missing, as built, changed by
/// hand, or someone else's.
fn observed_state(secret: Found, roles: [Found; 2], profiles: [Found; 2]) -> ObservedAccess {
    let d = desired();
    let mut o = ObservedAccess::default();
    converge(&mut o, &d);
    match secret {
        Found::Missing => o.secret = None,
        Found::Ours => {}
        Found::Changed => {
            let s = o.secret.as_mut().unwrap();
            s.replicas.clear();
            s.differing = Some(vec!["password".into(), "port".into()]);
        }
        Found::Someone => o.secret.as_mut().unwrap().ours = false,
    }
    for (i, state) in roles.iter().enumerate() {
        let name = d.roles[i].name.clone();
        match state {
            Found::Missing => o.roles.retain(|r| r.name != name),
            Found::Ours => {}
            Found::Changed => {
                let r = o.roles.iter_mut().find(|r| r.name == name).unwrap();
                r.trust =
                    json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]});
                r.inline.push(("extra".into(), json!({"Statement": []})));
                r.attached.push("arn:aws:iam::1:policy/wide".into());
            }
            Found::Someone => o.roles.iter_mut().find(|r| r.name == name).unwrap().ours = false,
        }
    }
    for (i, state) in profiles.iter().enumerate() {
        let name = d.roles[i].profile_name.clone();
        match state {
            Found::Missing => o.profiles.retain(|p| p.name != name),
            Found::Ours => {}
            Found::Changed | Found::Someone => {
                o.profiles.iter_mut().find(|p| p.name == name).unwrap().roles = vec!["someone-elses-role".into()]
            }
        }
    }
    o
}

proptest::proptest! {
    /// From any state, planning brings ours back to the spec and never
    /// touches a secret or role that is not ours.
    #[test]
    fn any_observed_state_plans_back_to_desired_and_never_touches_what_is_not_ours(
        secret in found(),
        roles in proptest::array::uniform2(found()),
        profiles in proptest::array::uniform2(found()),
    ) {
        let d = desired();
        let mut o = observed_state(secret, roles, profiles);
        let foreign_secret = matches!(secret, Found::Someone);
        let foreign_roles: Vec<String> = roles
            .iter()
            .zip(&d.roles)
            .filter(|(f, _)| matches!(f, Found::Someone))
            .map(|(_, r)| r.name.clone())
            .collect();
        for _ in 0..8 {
            let plan = plan_access(&d, &o, None);
            for a in &plan.actions {
                if foreign_secret {
                    proptest::prop_assert!(!matches!(a, AccessAction::Secret(_)), "{a:?} on someone else's secret");
                }
                let touches = match a {
                    AccessAction::Iam(IamAction::UpdateTrust { role } | IamAction::PutPolicy { role, .. }
                        | IamAction::DeletePolicy { role, .. } | IamAction::DetachPolicy { role, .. }) => Some(role),
                    AccessAction::Iam(IamAction::DeleteRole { name }) => Some(name),
                    _ => None,
                };
                if let Some(role) = touches {
                    proptest::prop_assert!(!foreign_roles.contains(role), "{a:?} on someone else's role");
                }
            }
            if plan.actions.is_empty() {
                break;
            }
            apply(&mut o, &d, &plan);
        }
        let plan = plan_access(&d, &o, None);
        proptest::prop_assert!(plan.actions.is_empty(), "still planning: {:?}", plan.actions);
        if !foreign_secret && foreign_roles.is_empty() {
            proptest::prop_assert!(plan.blocked.is_empty() && plan.drift.is_empty(), "{plan:?}");
            let fresh = {
                let mut f = ObservedAccess::default();
                converge(&mut f, &d);
                f
            };
            proptest::prop_assert_eq!(o.live_count(), fresh.live_count());
        }
    }
}

#[test]
fn a_profile_a_kept_tier_runs_with_is_released_with_its_role_and_the_secret() {
    let d = desired();
    let mut o = ObservedAccess::default();
    converge(&mut o, &d);
    let kept = ["shop-bookstore-web".to_string()];
    for _ in 0..6 {
        let plan = plan_access_teardown(&d, &o, false, &kept);
        if plan.actions.is_empty() {
            break;
        }
        assert!(
            !plan.actions.iter().any(|a| matches!(
                a,
                AccessAction::Iam(IamAction::DeleteProfile { name } | IamAction::RemoveRole { profile: name, .. })
                    if name == "shop-bookstore-web"
            ) || matches!(a, AccessAction::Secret(SecretAction::Delete { .. }))),
            "{plan:?}"
        );
        apply(&mut o, &d, &plan);
    }
    assert_eq!(o.live_count(), 0, "nothing of ours left: {o:?}");
    assert!(o.profile("shop-bookstore-web").is_some() && o.role("shop-bookstore-web").is_some_and(|r| !r.ours));
    assert!(o.profile("shop-bookstore-api").is_none(), "the other tier's profile goes");
    let secret = o.secret.as_ref().unwrap();
    assert!(!secret.deleted && !secret.ours, "left for the kept servers, untagged");
}

#[test]
fn policies_compare_as_json_and_decode_from_iam() {
    let doc = secret_read_policy(&["arn:b".into(), "arn:a".into()]);
    let encoded = doc.to_string().replace('{', "%7B").replace('}', "%7D").replace('"', "%22").replace(':', "%3A");
    assert!(same_policy(&parse_policy(&encoded).unwrap(), &doc));
    let single = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}});
    assert!(same_policy(&single, &trust_policy()));
    let wider = secret_read_policy(&["*".into()]);
    assert!(!same_policy(&wider, &doc));
}
