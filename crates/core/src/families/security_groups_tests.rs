use warmstandby_api::{RegionRole, ThreeTierStack};

use super::*;
use crate::test_fixtures::{classic_stack, observed_groups as groups};

fn desired(edit: impl Fn(&mut ThreeTierStack)) -> [DesiredGroups; 2] {
    let v = classic_stack(|_, s| edit(s));
    SecurityGroups::desired(&v, &Placement::of_spec(&v))
}

fn plan_both(d: &[DesiredGroups; 2], o: &[Vec<ObservedSecurityGroup>; 2]) -> GroupsPlan {
    let mut plan = plan_groups(&d[0], &o[0], "vpc-east");
    plan.append(plan_groups(&d[1], &o[1], "vpc-west"));
    plan
}

fn kinds(plan: &GroupsPlan) -> Vec<String> {
    plan.actions
        .iter()
        .map(|(place, a)| {
            let role = match place {
                Place::Region(role) => role.as_str(),
                Place::Global => "global",
            };
            format!("{role}:{}", format!("{a:?}").split([' ', '{']).next().unwrap_or_default())
        })
        .collect()
}

fn rule(port: i32, from: &str) -> ObservedRule {
    ObservedRule { protocol: "tcp".into(), from_port: port, to_port: port, cidr: None, group_id: Some(from.into()) }
}

#[test]
fn groups_come_before_their_rules() {
    let d = desired(|_| {});
    let p = plan_both(&d, &[Vec::new(), Vec::new()]);
    let k = kinds(&p);
    assert_eq!(k.iter().filter(|x| x.ends_with("CreateSecurityGroup")).count(), 12);
    assert!(!k.iter().any(|x| x.ends_with("AuthorizeIngress")));
    assert!(p.drift.is_empty(), "nothing built yet is not drift");
    // Groups exist: rules. The db group admits only the api group, on the database port.
    let p = plan_both(&d, &[groups("east"), groups("west")]);
    let db_rules: Vec<&ObservedRule> = p
        .actions
        .iter()
        .filter_map(|(_, a)| match a {
            SecurityGroupAction::AuthorizeIngress { group_id, rule } if group_id == "sg-east-db" => Some(rule),
            _ => None,
        })
        .collect();
    assert_eq!(db_rules.len(), 1);
    let rule = db_rules[0];
    assert_eq!((rule.from_port, rule.group_id.as_deref(), rule.cidr.as_deref()), (3306, Some("sg-east-api"), None));
}

#[test]
fn an_extra_rule_is_drift_and_revoked() {
    let d = desired(|_| {});
    let mut o = [groups("east"), groups("west")];
    let db = o[0].iter_mut().find(|g| g.component == "security-group/db").unwrap();
    db.ingress.push(ObservedRule {
        protocol: "tcp".into(),
        from_port: 3306,
        to_port: 3306,
        cidr: Some("0.0.0.0/0".into()),
        group_id: None,
    });
    let p = plan_both(&d, &o);
    assert!(p.drift.iter().any(|x| x.resource == "sg-east-db"
        && x.field == "ingress[tcp/3306-3306 from 0.0.0.0/0]"
        && x.expected == "absent"));
    assert!(p.actions.iter().any(|(_, a)| matches!(a, SecurityGroupAction::RevokeIngress { group_id, rule } if group_id == "sg-east-db" && rule.cidr.as_deref() == Some("0.0.0.0/0"))));
}

#[test]
fn a_fenced_database_group_admits_nothing_and_carries_the_fencing_epoch() {
    let v = classic_stack(|_, _| {});
    let mut placement = Placement::of_spec(&v);
    placement.fenced = Some(RegionRole::Primary);
    placement.fence_epoch = 3;
    let d = SecurityGroups::desired(&v, &placement);
    let db = d[0].groups.iter().find(|g| g.role == "db").expect("the db group");
    assert!(db.ingress.is_empty(), "{db:?}");
    assert_eq!((d[0].fence_epoch, d[1].fence_epoch), (Some(3), None));
    let mut o = [groups("east"), groups("west")];
    o[0][5].ingress.push(rule(3306, "sg-east-api"));
    let p = plan_both(&d, &o);
    assert!(
        p.actions
            .iter()
            .any(|(_, a)| matches!(a, SecurityGroupAction::RevokeIngress { group_id, .. } if group_id == "sg-east-db"))
    );
    assert!(p.actions.iter().any(
        |(_, a)| matches!(a, SecurityGroupAction::TagGroupEpoch { group_id, epoch: 3 } if group_id == "sg-east-db")
    ));
    // Tagged and emptied: fenced, as the failover machine reads it.
    o[0][5].ingress.clear();
    o[0][5].epoch = Some(3);
    o[1][5].ingress.push(rule(3306, "sg-west-api"));
    let on_db = |a: &SecurityGroupAction| match a {
        SecurityGroupAction::AuthorizeIngress { group_id, .. }
        | SecurityGroupAction::RevokeIngress { group_id, .. }
        | SecurityGroupAction::TagGroupEpoch { group_id, .. } => group_id == "sg-east-db",
        _ => false,
    };
    assert!(!plan_both(&d, &o).actions.iter().any(|(_, a)| on_db(a)), "the fence holds");
    assert_eq!(crate::stack_pass::observation::fenced(&o), [true, false]);
}

/// `plan --offline` and `apply` work from one desired state: with
/// non-default ports, the ingress the offline topology lists for each group
/// is exactly what the planner authorizes on an empty group.
#[test]
fn the_offline_topology_lists_the_rules_apply_makes_with_non_default_ports() {
    let v = classic_stack(|_, s| {
        s.spec.web.port = 8080;
        s.spec.api.port = 9000;
        s.spec.database.port = 3307;
    });
    let d = SecurityGroups::desired(&v, &Placement::of_spec(&v));
    let plan = plan_both(&d, &[groups("east"), groups("west")]);
    let topology = crate::desired::stack_topology(&v).unwrap();
    for (i, (role, region)) in [(RegionRole::Primary, "east"), (RegionRole::Standby, "west")].into_iter().enumerate() {
        let group_role = |id: &str| id.trim_start_matches(&format!("sg-{region}-")).to_string();
        for g in &d[i].groups {
            let id = format!("sg-{region}-{}", g.role);
            let mut planned: Vec<String> = plan
                .actions
                .iter()
                .filter_map(|(at, a)| match a {
                    SecurityGroupAction::AuthorizeIngress { group_id, rule }
                        if *at == Place::Region(role) && *group_id == id =>
                    {
                        Some(match (&rule.cidr, &rule.group_id) {
                            (Some(c), _) => format!("tcp/{} from {c}", rule.from_port),
                            (None, Some(other)) => format!("tcp/{} from sg {}", rule.from_port, group_role(other)),
                            (None, None) => format!("tcp/{} from nowhere", rule.from_port),
                        })
                    }
                    _ => None,
                })
                .collect();
            planned.sort();
            let resource = topology.get(&format!("{}/{}", role.as_str(), g.component())).unwrap();
            let listed = resource.properties.iter().find(|(k, _)| k == "ingress").map(|(_, v)| v.clone()).unwrap();
            let mut listed: Vec<String> = listed.split("; ").map(str::to_string).collect();
            listed.sort();
            assert_eq!(listed, planned, "{role} {}", g.role);
        }
    }
    let get = |key: &str, prop: &str| {
        let r = topology.get(key).unwrap();
        r.properties.iter().find(|(k, _)| k == prop).map(|(_, v)| v.clone()).unwrap()
    };
    assert_eq!(get("primary/security-group/web", "ingress"), "tcp/22 from sg bastion; tcp/8080 from sg alb-web");
    assert_eq!(get("standby/security-group/db", "ingress"), "tcp/3307 from sg api");
    assert_eq!(get("primary/target-group/api", "port"), "9000");
    assert_eq!(get("primary/db-instance", "port"), "3307");
}

#[test]
fn groups_a_kept_tier_uses_are_released_with_their_rules_among_them() {
    let d = desired(|_| {});
    let mut o = [groups("east"), groups("west")];
    let rule = |from: &str| ObservedRule {
        protocol: "tcp".into(),
        from_port: 80,
        to_port: 80,
        cidr: None,
        group_id: Some(from.to_string()),
    };
    // web admits its load balancer's group (both kept) and, by hand, the api's (not kept).
    let web = o[0].iter_mut().find(|g| g.id == "sg-east-web").unwrap();
    web.ingress.extend([rule("sg-east-alb-web"), rule("sg-east-api")]);
    let kept = ["sg-east-alb-web".to_string(), "sg-east-web".to_string()];
    let teardown = |o: &[Vec<ObservedSecurityGroup>; 2]| {
        let mut plan = plan_groups_teardown(&d[0], &o[0], &GroupsAround { kept: &kept, ..Default::default() });
        plan.append(plan_groups_teardown(&d[1], &o[1], &GroupsAround::default()));
        plan
    };
    let p = teardown(&o);
    let revoked: Vec<&ObservedRule> = p
        .actions
        .iter()
        .filter_map(|(_, a)| match a {
            SecurityGroupAction::RevokeIngress { rule, .. } => Some(rule),
            _ => None,
        })
        .collect();
    assert_eq!(revoked, vec![&rule("sg-east-api")], "the rule among kept groups stays");
    let primary = kinds(&p).into_iter().filter(|k| k.starts_with("primary:")).collect::<Vec<_>>();
    assert!(!primary.iter().any(|k| k.contains("ReleaseGroup") || k.contains("DeleteSecurityGroup")), "{primary:?}");
    o[0].iter_mut().for_each(|g| g.ingress.retain(|r| r.group_id.as_deref() != Some("sg-east-api")));
    let p = teardown(&o);
    let groups_of = |what: &str| -> Vec<String> {
        p.actions
            .iter()
            .filter_map(|(place, a)| {
                let Place::Region(role) = place else { return None };
                match a {
                    SecurityGroupAction::ReleaseGroup { group_id } if what == "release" => {
                        Some(format!("{role}:{group_id}"))
                    }
                    SecurityGroupAction::DeleteSecurityGroup { group_id } if what == "delete" => {
                        Some(format!("{role}:{group_id}"))
                    }
                    _ => None,
                }
            })
            .collect()
    };
    assert_eq!(groups_of("release"), vec!["primary:sg-east-alb-web", "primary:sg-east-web"]);
    let deleted = groups_of("delete");
    assert!(!deleted.iter().any(|g| kept.iter().any(|k| g.ends_with(k.as_str()))), "{deleted:?}");
    assert_eq!(deleted.len(), o[0].len() - 2 + o[1].len(), "{deleted:?}");
}

#[test]
fn groups_wait_for_what_uses_them() {
    let d = desired(|_| {});
    let o = groups("east");
    let deletes = |around: &GroupsAround<'_>| {
        plan_groups_teardown(&d[0], &o, around)
            .actions
            .iter()
            .filter(|(_, a)| matches!(a, SecurityGroupAction::DeleteSecurityGroup { .. }))
            .count()
    };
    assert_eq!(deletes(&GroupsAround::default()), 6);
    let hold = GroupsAround { hold: true, ..Default::default() };
    assert_eq!(deletes(&hold), 0);
    assert_eq!(
        plan_groups_teardown(&d[0], &o, &hold).waiting,
        ["security groups wait for the load balancers and servers to go"]
    );
    assert_eq!(deletes(&GroupsAround { instances_left: true, ..Default::default() }), 0, "the bastion's");
    let db = [crate::test_fixtures::observed_database("db-1", None, false)];
    assert_eq!(deletes(&GroupsAround { databases: &db, ..Default::default() }), 0, "the database's");
}
