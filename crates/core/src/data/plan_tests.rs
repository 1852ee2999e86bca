use warmstandby_api::{RegionRole, ThreeTierStack};

use super::*;
use crate::data::desired::{DesiredDataTier, NetworkRefs, desired_data_tier};
use crate::data::observed::{ObservedDataTier, ObservedDatabase};
use crate::data::teardown::plan_data_teardown;
use crate::families::ResourceFamily;
use crate::families::security_groups::{
    DesiredGroups, GroupsAround, GroupsPlan, ObservedRule, ObservedSecurityGroup, SecurityGroupAction, SecurityGroups,
    group_id, plan_groups_teardown,
};
use crate::placement::Placement;
use crate::test_fixtures::observed_groups as groups;

/// One region as these tests model it: the data tier, and the security
/// groups (their family's) it sits behind.
#[derive(Clone, Debug, Default)]
struct Region {
    data: ObservedDataTier,
    security_groups: Vec<ObservedSecurityGroup>,
}

impl std::ops::Deref for Region {
    type Target = ObservedDataTier;
    fn deref(&self) -> &ObservedDataTier {
        &self.data
    }
}

impl std::ops::DerefMut for Region {
    fn deref_mut(&mut self) -> &mut ObservedDataTier {
        &mut self.data
    }
}

/// The groups' desired state of `role`'s region (their teardown reads its place).
fn groups_desired(role: RegionRole) -> DesiredGroups {
    let v = crate::test_fixtures::classic_stack(|_, _| {});
    SecurityGroups::desired(&v, &Placement::of_spec(&v))[role.index()].clone()
}

fn desired(edit: impl Fn(&mut ThreeTierStack)) -> [DesiredDataTier; 2] {
    let v = crate::test_fixtures::classic_stack(|_, s| edit(s));
    [
        desired_data_tier(&v, &Placement::of_spec(&v), RegionRole::Primary),
        desired_data_tier(&v, &Placement::of_spec(&v), RegionRole::Standby),
    ]
}

fn net(region: &str) -> NetworkRefs {
    NetworkRefs {
        vpc_id: format!("vpc-{region}"),
        subnet_ids: ["public-a", "db-a", "db-b"]
            .iter()
            .map(|k| (k.to_string(), format!("subnet-{region}-{k}")))
            .collect(),
    }
}

fn database(id: &str, replica_of: Option<&str>, protected: bool) -> ObservedDatabase {
    crate::test_fixtures::observed_database(id, replica_of, protected)
}

/// Security groups and DB subnet groups exist in both regions, nothing else.
fn groups_and_subnet_groups(d: &[DesiredDataTier; 2]) -> [Region; 2] {
    let mut o = [
        Region { security_groups: groups("east"), ..Default::default() },
        Region { security_groups: groups("west"), ..Default::default() },
    ];
    for (i, r) in ["east", "west"].iter().enumerate() {
        o[i].db_subnet_groups.push(crate::data::observed::ObservedDbSubnetGroup {
            name: d[i].db_subnet_group.clone(),
            subnet_ids: vec![format!("subnet-{r}-db-a"), format!("subnet-{r}-db-b")],
            arn: String::new(),
        });
    }
    o
}

/// The data tier's plan, behind the `db` groups found.
fn plan_both(d: &[DesiredDataTier; 2], o: &[Region; 2], nets: &[NetworkRefs; 2]) -> DataPlan {
    plan_data_tier([0, 1].map(|i| RegionInputs {
        desired: &d[i],
        observed: &o[i].data,
        network: &nets[i],
        db_group: group_id(&o[i].security_groups, "db"),
    }))
}

/// One teardown pass of the data tier and, beside it as the controller
/// plans them, of the security groups family (`instances_left`: the
/// bastion's in the primary); `kept`: the groups a kept tier uses.
fn teardown_pass(
    d: &[DesiredDataTier; 2],
    o: &[Region; 2],
    kept: [&[String]; 2],
    instances_left: bool,
) -> (DataPlan, GroupsPlan) {
    let groups = [o[0].security_groups.as_slice(), o[1].security_groups.as_slice()];
    let data = plan_data_teardown([(&d[0], &o[0].data), (&d[1], &o[1].data)], "20260101000000", groups, kept);
    let mut plan = GroupsPlan::default();
    for (i, role) in RegionRole::BOTH.into_iter().enumerate() {
        let around = GroupsAround {
            kept: kept[i],
            databases: &o[i].databases,
            retain_databases: d[i].retain_database,
            hold: false,
            instances_left: instances_left && role == RegionRole::Primary,
        };
        plan.append(plan_groups_teardown(&groups_desired(role), &o[i].security_groups, &around));
    }
    (data, plan)
}

/// `primary:ReleaseDatabase`, both families' actions.
fn pass_kinds((data, groups): &(DataPlan, GroupsPlan)) -> Vec<String> {
    let mut k = kinds(data);
    k.extend(groups.actions.iter().map(|(place, a)| group_action(place, a)));
    k.iter().map(|x| x.split([' ', '{']).next().unwrap_or_default().to_string()).collect()
}

fn group_action(place: &crate::plan::Place, a: &SecurityGroupAction) -> String {
    match place {
        crate::plan::Place::Region(role) => format!("{role}:{a:?}"),
        crate::plan::Place::Global => format!("global:{a:?}"),
    }
}

fn kinds(plan: &DataPlan) -> Vec<String> {
    plan.actions
        .iter()
        .map(|(role, a)| format!("{role}:{}", inner(a).split([' ', '{']).next().unwrap_or_default()))
        .collect()
}

/// An action's Debug text: `CreateWriter { .. }`.
fn inner(a: &DatabaseAction) -> String {
    format!("{a:?}")
}

#[test]
fn the_writer_waits_for_its_groups_and_comes_before_the_replica() {
    let d = desired(|_| {});
    let empty = [Region::default(), Region::default()];
    let nets = [net("east"), net("west")];
    let p = plan_both(&d, &empty, &nets);
    let k = kinds(&p);
    assert!(!k.iter().any(|x| x.ends_with("CreateWriter") || x.ends_with("CreateReplica")), "{k:?}");
    assert!(p.drift.is_empty(), "nothing built yet is not drift");

    // Groups (the security groups family's) exist: the writer; the replica
    // still waits for the writer (the bastion, beside them, is its own
    // family's: `families::bastion`).
    let o = groups_and_subnet_groups(&d);
    let p = plan_both(&d, &o, &nets);
    let k = kinds(&p);
    assert!(k.contains(&"primary:CreateWriter".to_string()), "{k:?}");
    assert!(!k.iter().any(|x| x.ends_with("CreateReplica")));
    assert!(p.waiting.iter().any(|w| w.contains("the replica waits")), "{:?}", p.waiting);
    let writer = p.actions.iter().find_map(|(_, a)| match a {
        DatabaseAction::CreateWriter { group_id, .. } => Some(group_id.as_str()),
        _ => None,
    });
    assert_eq!(writer, Some("sg-east-db"), "behind the db group alone");
}

fn built(d: &[DesiredDataTier; 2]) -> [Region; 2] {
    let mut east = Region { security_groups: groups("east"), ..Default::default() };
    let mut west = Region { security_groups: groups("west"), ..Default::default() };
    let api_rule = |region: &str| ObservedRule {
        protocol: "tcp".into(),
        from_port: 3306,
        to_port: 3306,
        cidr: None,
        group_id: Some(format!("sg-{region}-api")),
    };
    east.security_groups[5].ingress.push(api_rule("east"));
    west.security_groups[5].ingress.push(api_rule("west"));
    east.databases.push(database(&d[0].db_identifier, None, true));
    west.databases.push(database(&d[1].db_identifier, Some(&d[0].db_identifier), true));
    for (o, d) in [(&mut east, &d[0]), (&mut west, &d[1])] {
        o.db_subnet_groups.push(crate::data::observed::ObservedDbSubnetGroup {
            name: d.db_subnet_group.clone(),
            subnet_ids: vec![],
            arn: String::new(),
        });
    }
    [east, west]
}

/// Runs teardown passes on a model, applying each action's effect, and
/// returns the sequence of rounds; the security groups and a running
/// bastion in the primary (their families', torn down beside the data tier
/// as the controller does) go with it, the bastion terminated in each
/// pass's first half and gone in the next.
fn teardown_rounds(d: &[DesiredDataTier; 2], mut o: [Region; 2]) -> Vec<Vec<String>> {
    use crate::families::bastion::{COMPONENT, ObservedInstance, instances_left, plan_bastion_teardown};
    let mut bastion = vec![ObservedInstance {
        id: "i-1".into(),
        component: COMPONENT.into(),
        state: "running".into(),
        instance_type: "t3.micro".into(),
        image_id: "ami-1".into(),
        subnet_id: "subnet-east-public-a".into(),
    }];
    let mut rounds = Vec::new();
    for _ in 0..20 {
        let (p, groups) = teardown_pass(d, &o, [&[], &[]], instances_left(&bastion));
        // An instance shutting down last pass is terminated by now.
        bastion.iter_mut().filter(|i| i.state == "shutting-down").for_each(|i| i.state = "terminated".into());
        let terminate = plan_bastion_teardown(&bastion);
        if p.actions.is_empty() && groups.actions.is_empty() && terminate.actions.is_empty() {
            assert!(o.iter().all(|r| r.is_empty() && r.security_groups.is_empty()), "stuck: {:?} {o:?}", p.waiting);
            assert!(!instances_left(&bastion), "{bastion:?}");
            return rounds;
        }
        let mut round: Vec<String> = p.actions.iter().map(|(r, a)| format!("{r}:{}", inner(a))).collect();
        round.extend(groups.actions.iter().map(|(place, a)| group_action(place, a)));
        round.extend(terminate.actions.iter().map(|(_, a)| format!("primary:{a:?}")));
        rounds.push(round);
        bastion.iter_mut().filter(|i| i.is_live()).for_each(|i| i.state = "shutting-down".into());
        for (role, a) in p.actions {
            let m = &mut o[role.index()];
            match a {
                DatabaseAction::UnprotectDatabase { identifier } => m
                    .databases
                    .iter_mut()
                    .filter(|x| x.identifier == identifier)
                    .for_each(|x| x.deletion_protection = false),
                DatabaseAction::DeleteDatabase { identifier, .. } => m.databases.retain(|x| x.identifier != identifier),
                DatabaseAction::DeleteDbSubnetGroup { name } => m.db_subnet_groups.retain(|g| g.name != name),
                other => panic!("teardown planned a non-delete: {other:?}"),
            }
        }
        for (place, a) in groups.actions {
            let crate::plan::Place::Region(role) = place else { panic!("a group is regional: {a:?}") };
            let m = &mut o[role.index()];
            match a {
                SecurityGroupAction::RevokeIngress { group_id, rule } => m
                    .security_groups
                    .iter_mut()
                    .filter(|g| g.id == group_id)
                    .for_each(|g| g.ingress.retain(|r| *r != rule)),
                SecurityGroupAction::DeleteSecurityGroup { group_id } => m.security_groups.retain(|g| g.id != group_id),
                other => panic!("teardown planned a non-delete: {other:?}"),
            }
        }
    }
    panic!("teardown did not converge");
}

fn round_of(rounds: &[Vec<String>], needle: &str) -> usize {
    rounds
        .iter()
        .position(|r| r.iter().any(|a| a.contains(needle)))
        .unwrap_or_else(|| panic!("{needle} never planned: {rounds:#?}"))
}

#[test]
fn teardown_order_replica_writer_snapshot_groups() {
    let d = desired(|_| {});
    let rounds = teardown_rounds(&d, built(&d));
    let replica = round_of(&rounds, "standby:DeleteDatabase");
    let unprotect_writer = round_of(&rounds, "primary:UnprotectDatabase");
    let writer = round_of(&rounds, "primary:DeleteDatabase");
    assert!(replica < writer && unprotect_writer < writer);
    assert!(
        rounds[writer]
            .iter()
            .any(|a| a.contains("final_snapshot: Some(\"bookstore-bookstore-primary-db-final-20260101000000\")")),
        "{:?}",
        rounds[writer]
    );
    assert!(round_of(&rounds, "RevokeIngress") < round_of(&rounds, "DeleteSecurityGroup"));
    assert!(writer < round_of(&rounds, "primary:DeleteSecurityGroup"), "groups go after the databases that use them");
    assert!(writer < round_of(&rounds, "primary:DeleteDbSubnetGroup"));
    let terminated = round_of(&rounds, "primary:TerminateInstance");
    assert!(terminated < round_of(&rounds, "primary:DeleteSecurityGroup"), "groups go after the bastion");
}

#[test]
fn no_final_snapshot_when_the_spec_says_so() {
    let d = desired(|s| s.spec.database.final_snapshot = false);
    let rounds = teardown_rounds(&d, built(&d));
    let writer = round_of(&rounds, "primary:DeleteDatabase");
    assert!(rounds[writer].iter().any(|a| a.contains("final_snapshot: None")));
}

#[test]
fn deletion_protection_is_only_lifted_for_a_requested_delete() {
    let d = desired(|_| {});
    let o = built(&d);
    let nets = [net("east"), net("west")];
    let p = plan_both(&d, &o, &nets);
    assert!(
        !p.actions.iter().any(|(_, a)| matches!(
            a,
            DatabaseAction::UnprotectDatabase { .. } | DatabaseAction::DeleteDatabase { .. }
        ))
    );
}

#[test]
fn an_encrypted_writer_gets_a_replica_with_a_key_of_its_own_region() {
    let d = desired(|_| {});
    let nets = [net("east"), net("west")];
    let mut o = groups_and_subnet_groups(&d);
    o[0].databases.push(database(&d[0].db_identifier, None, true));
    let p = plan_both(&d, &o, &nets);
    let replica = p.actions.iter().find_map(|(_, a)| match a {
        DatabaseAction::CreateReplica { kms_key_id, deletion_protection, source_arn, .. } => {
            Some((kms_key_id.clone(), *deletion_protection, source_arn.clone()))
        }
        _ => None,
    });
    let (key, protected, source) = replica.expect("the replica is planned once the writer is available");
    assert_eq!(key.as_deref(), Some(REPLICA_KMS_KEY));
    assert!(protected);
    assert!(source.ends_with(&d[0].db_identifier), "{source}");
}

/// The classic stack adopting `writer` (and `replica`), with its groups and
/// subnet groups built and the named instances found untagged in the pair's VPCs.
fn adopting(writer: &str, replica: Option<&str>) -> ([DesiredDataTier; 2], [Region; 2]) {
    let d = desired(|s| {
        s.spec.database.adopt =
            Some(warmstandby_api::DatabaseAdoption { writer: writer.to_string(), replica: replica.map(str::to_string) })
    });
    let mut o = groups_and_subnet_groups(&d);
    let mut found = database(writer, None, true);
    found.vpc_id = Some("vpc-east".into());
    o[0].adoptable.push(found);
    if let Some(replica) = replica {
        let mut found = database(replica, Some(&format!("arn:aws:rds:us-east-1:123456789012:db:{writer}")), false);
        found.vpc_id = Some("vpc-west".into());
        o[1].adoptable.push(found);
    }
    (d, o)
}

fn adopt_plan(d: &[DesiredDataTier; 2], o: &[Region; 2]) -> DataPlan {
    plan_both(d, o, &[net("east"), net("west")])
}

#[test]
fn a_named_writer_and_replica_are_adopted_never_created() {
    let (d, o) = adopting("shop-db", Some("shop-db-replica"));
    assert_eq!((d[0].db_identifier.as_str(), d[1].db_identifier.as_str()), ("shop-db", "shop-db-replica"));
    assert!(d[0].adopt && d[1].adopt && d[0].retain_database, "adopted databases are retained by default");
    let p = adopt_plan(&d, &o);
    let k = kinds(&p);
    assert!(
        k.contains(&"primary:AdoptDatabase".to_string()) && k.contains(&"standby:AdoptDatabase".to_string()),
        "{k:?}"
    );
    assert!(!k.iter().any(|x| x.ends_with("CreateWriter") || x.ends_with("CreateReplica")), "{k:?}");
    assert!(p.blocked.is_empty(), "{:?}", p.blocked);
    // The adoption is its own kind of change.
    let adopt = p.actions.iter().find(|(_, a)| inner(a).starts_with("AdoptDatabase")).unwrap();
    assert_eq!(
        crate::family::FamilyAction::effect(&adopt.1),
        (crate::family::Effect::Adopt, crate::resource::Kind::DbInstance)
    );

    // Only the writer named: it is adopted, the replica is ours to create once the writer is ours.
    let (d, o) = adopting("shop-db", None);
    let p = adopt_plan(&d, &o);
    assert_eq!(kinds(&p).iter().filter(|x| x.ends_with("AdoptDatabase")).count(), 1);
    assert!(!d[1].adopt && p.waiting.iter().any(|w| w.contains("replica waits")), "{:?}", p.waiting);
}

#[test]
fn differences_made_in_place_follow_the_adoption_and_the_rest_refuse_it() {
    let (d, mut o) = adopting("shop-db", None);
    o[0].adoptable[0].instance_class = "db.r6g.large".into();
    let p = adopt_plan(&d, &o);
    assert!(kinds(&p).contains(&"primary:AdoptDatabase".to_string()));
    assert!(p.drift.iter().any(|x| x.resource == "shop-db" && x.field == "instanceClass" && x.found == "db.r6g.large"));

    o[0].adoptable[0].storage_encrypted = false;
    let p = adopt_plan(&d, &o);
    assert!(!kinds(&p).iter().any(|x| x.ends_with("AdoptDatabase")), "never adopted to be replaced");
    let refusal = p.blocked.iter().find(|b| b.starts_with("spec.database.adopt.writer")).expect("refused");
    assert!(refusal.contains("storageEncrypted") && refusal.contains("needs a new instance"), "{refusal}");
}

#[test]
fn each_wrong_adoption_is_refused_by_field_and_changes_nothing() {
    let refused = |edit: &dyn Fn(&mut [Region; 2]), replica: Option<&str>, says: &str| {
        let (d, mut o) = adopting("shop-db", replica);
        edit(&mut o);
        let p = adopt_plan(&d, &o);
        // The refused region adopts and creates nothing (a valid writer beside a wrong replica is still adopted).
        let region = if replica.is_some() { "standby:" } else { "primary:" };
        let database_made = |x: &String| {
            x.starts_with(region) && ["AdoptDatabase", "CreateWriter", "CreateReplica"].iter().any(|a| x.ends_with(a))
        };
        assert!(!kinds(&p).iter().any(database_made), "{:?}", kinds(&p));
        assert!(p.blocked.iter().any(|b| b.contains(says)), "{says}: {:?}", p.blocked);
    };
    refused(&|o| o[0].adoptable.clear(), None, "spec.database.adopt.writer: there is no DB instance shop-db");
    let theirs = |o: &mut [Region; 2]| o[0].adoptable[0].other_owner = Some("the CloudFormation stack shop".into());
    refused(&theirs, None, "shop-db in us-east-1 is managed by the CloudFormation stack shop; it is left alone");
    refused(&|o| o[0].adoptable[0].replica_source = Some("src".into()), None, "is a read replica of src, not a writer");
    refused(&|o| o[0].adoptable[0].vpc_id = Some("vpc-other".into()), None, "not in the RegionPair's vpc-east");
    refused(&|o| o[0].adoptable[0].master_username = "root".into(), None, "its master user is root");
    refused(
        &|o| o[1].adoptable[0].replica_source = None,
        Some("shop-db-replica"),
        "it is a writer, not a read replica",
    );
    refused(
        &|o| o[1].adoptable[0].replica_source = Some("elsewhere-db".into()),
        Some("shop-db-replica"),
        "it replicates elsewhere-db, not the writer shop-db",
    );
}

#[test]
fn an_adopted_database_gets_the_stacks_db_group_alone_and_is_released_when_retained() {
    let (d, mut o) = adopting("shop-db", None);
    let mut adopted = o[0].adoptable.remove(0);
    adopted.adopted_at = Some("2026-12-05T10:00:00Z".into());
    adopted.security_group_ids = vec!["sg-console-db".into()];
    adopted.subnet_group = Some("console-db-subnets".into());
    o[0].databases.push(adopted.clone());
    let p = adopt_plan(&d, &o);
    let modify = p.actions.iter().find_map(|(_, a)| match a {
        DatabaseAction::ModifyDatabase { identifier, changes } if identifier == "shop-db" => Some(changes.clone()),
        _ => None,
    });
    assert_eq!(modify, Some(vec![("securityGroups".to_string(), "sg-east-db".to_string())]));

    // Retained on delete: released with the group of ours it uses; its
    // own subnet group is not ours; our unused subnet group goes.
    o[0].databases[0].security_group_ids = vec!["sg-east-db".into()];
    let p = teardown_pass(&d, &o, [&[], &[]], false);
    let k = pass_kinds(&p);
    assert!(k.contains(&"primary:ReleaseDatabase".to_string()), "{k:?}");
    assert!(k.contains(&"primary:ReleaseGroup".to_string()), "{k:?}");
    assert!(!k.iter().any(|x| x.contains("DeleteDatabase") || x.contains("UnprotectDatabase")), "{k:?}");
    assert!(!k.iter().any(|x| x == "primary:ReleaseDbSubnetGroup"), "{k:?}");
    // Released, it is no longer observed: the rest of the teardown goes on.
    o[0].databases.clear();
    let p = teardown_pass(&d, &o, [&[], &[]], false);
    assert!(pass_kinds(&p).contains(&"primary:DeleteDbSubnetGroup".to_string()), "{:?}", pass_kinds(&p));
}

#[test]
fn a_retained_database_of_ours_keeps_its_subnet_group() {
    let d = desired(|s| s.spec.database.deletion_policy = Some(warmstandby_api::DeletionPolicy::Retain));
    assert!(d[0].retain_database && !d[0].adopt);
    let mut o = built(&d);
    o[0].databases[0].subnet_group = Some(d[0].db_subnet_group.clone());
    o[0].databases[0].security_group_ids = vec!["sg-east-db".into()];
    // Its group still admits our api group: that rule goes before the group is left.
    let p = teardown_pass(&d, &o, [&[], &[]], false);
    let k = pass_kinds(&p);
    assert!(!k.contains(&"primary:ReleaseDatabase".to_string()) && k.contains(&"primary:RevokeIngress".to_string()));
    assert!(p.0.waiting.iter().any(|w| w.contains("names none of ours")), "{:?}", p.0.waiting);
    o[0].security_groups[5].ingress.clear();
    let p = teardown_pass(&d, &o, [&[], &[]], false);
    let k = pass_kinds(&p);
    assert!(k.contains(&"primary:ReleaseGroup".to_string()), "{k:?}");
    for expected in ["primary:ReleaseDatabase", "standby:ReleaseDatabase", "primary:ReleaseDbSubnetGroup"] {
        assert!(k.contains(&expected.to_string()), "{expected}: {k:?}");
    }
    assert!(!k.iter().any(|x| x.contains("DeleteDatabase")), "{k:?}");
}
