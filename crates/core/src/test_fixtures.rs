//! Test fixtures shared by the core's unit tests.

use warmstandby_api::{FailoverPolicy, RegionPair, ThreeTierStack};

use crate::secret::{Password, PasswordLookup};
use crate::validate::{StackInputs, ValidatedStack, validate_stack};

/// The example stack of `deploy/examples/`, validated after `edit`.
/// The example RegionPair, FailoverPolicy and stack, as in `deploy/examples`.
pub(crate) fn example_objects() -> (RegionPair, FailoverPolicy, ThreeTierStack) {
    let pair = serde_yaml::from_str(include_str!("../../../deploy/examples/10-regionpair.yaml")).unwrap();
    let policy = serde_yaml::from_str(include_str!("../../../deploy/examples/20-failoverpolicy.yaml")).unwrap();
    let stack = serde_yaml::from_str(include_str!("../../../deploy/examples/30-bookstore.yaml")).unwrap();
    (pair, policy, stack)
}

pub(crate) fn classic_stack(edit: impl FnOnce(&mut RegionPair, &mut ThreeTierStack)) -> ValidatedStack {
    let (mut pair, policy, mut stack) = example_objects();
    // As the API server holds it: with a uid.
    stack.metadata.uid = Some("u1".into());
    edit(&mut pair, &mut stack);
    validate_stack(StackInputs {
        stack: &stack,
        region_pair: Some(&pair),
        policy: Some(&policy),
        password: PasswordLookup::Found(Password::new("Ch4nge-me-0n-day-1")),
    })
    .unwrap()
}

/// The example stack as the API holds it (with a uid) and validated.
pub(crate) fn classic_object(edit: impl FnOnce(&mut ThreeTierStack)) -> (ThreeTierStack, ValidatedStack) {
    let (_, _, mut stack) = example_objects();
    stack.metadata.uid = Some("u1".into());
    edit(&mut stack);
    let spec = stack.spec.clone();
    let validated = classic_stack(|_, s| s.spec = spec);
    (stack, validated)
}

/// An available MySQL instance as observation reports it.
pub(crate) fn observed_database(
    id: &str,
    replica_of: Option<&str>,
    protected: bool,
) -> crate::data::observed::ObservedDatabase {
    crate::data::observed::ObservedDatabase {
        identifier: id.into(),
        arn: format!("arn:aws:rds:us-east-1:123456789012:db:{id}"),
        status: "available".into(),
        endpoint: Some(format!("{id}.example")),
        instance_class: "db.t3.micro".into(),
        engine_version: "8.0.35".into(),
        allocated_storage_gib: 22,
        multi_az: true,
        storage_encrypted: true,
        backup_retention_days: 7,
        deletion_protection: protected,
        publicly_accessible: false,
        subnet_group: None,
        security_group_ids: Vec::new(),
        replica_source: replica_of.map(str::to_string),
        replication_reading: Default::default(),
        replication: Default::default(),
        epoch: None,
        vpc_id: None,
        master_username: "admin".into(),
        other_owner: None,
        adopted_at: None,
    }
}

/// A route table of `vpc`: its 0.0.0.0/0 route to `target` (none: no way
/// out), the subnets associated with it, and whether it is the VPC's main one.
pub(crate) fn route_table(
    id: &str,
    vpc: &str,
    target: Option<crate::network::observed::RouteTarget>,
    subnets: &[&str],
    main: bool,
) -> crate::network::observed::ObservedRouteTable {
    use crate::network::observed::{ObservedAssociation, ObservedRoute, ObservedRouteTable};
    let mut associations: Vec<ObservedAssociation> = subnets
        .iter()
        .map(|s| ObservedAssociation { id: format!("rtbassoc-{s}"), subnet_id: Some(s.to_string()), main: false })
        .collect();
    if main {
        associations.push(ObservedAssociation { id: format!("rtbassoc-main-{id}"), subnet_id: None, main: true });
    }
    ObservedRouteTable {
        id: id.into(),
        component: String::new(),
        vpc_id: vpc.into(),
        routes: target
            .into_iter()
            .map(|target| ObservedRoute { destination: "0.0.0.0/0".into(), target, blackhole: false })
            .collect(),
        associations,
    }
}

/// A region's six security groups of ours (`sg-<region>-<role>`), without rules.
pub(crate) fn observed_groups(region: &str) -> Vec<crate::families::security_groups::ObservedSecurityGroup> {
    ["bastion", "alb-web", "alb-api", "web", "api", "db"]
        .iter()
        .map(|r| crate::families::security_groups::ObservedSecurityGroup {
            id: format!("sg-{region}-{r}"),
            component: format!("security-group/{r}"),
            vpc_id: format!("vpc-{region}"),
            ingress: Vec::new(),
            epoch: None,
        })
        .collect()
}
