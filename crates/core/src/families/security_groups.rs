//! The security groups family: in each region, one group per role
//! (`bastion`, `alb-web`, `alb-api`, `web`, `api`, `db`) with the rules
//! between them, in the RegionPair's VPC. A failover fences the former
//! writer by emptying its `db` group (and tagging it with the fencing
//! failover's epoch). Every other family names them (the load balancers,
//! the launch templates, the bastion, the database); teardown deletes them
//! last, after what uses them, and releases the groups what is left in
//! place uses (a retained database, an adopted tier).

use warmstandby_api::{DriftItem, RegionRole, ThreeTierStackStatus};

use crate::data::observed::ObservedDatabase;
use crate::families::{Neighbours, ResourceFamily};
use crate::family::{Effect, Family, FamilyAction};
use crate::placement::Placement;
use crate::plan::{Place, Plan};
use crate::resource::{Kind, Resource, Scope, Tier};
use crate::validate::ValidatedStack;

/// The security groups family on the seam.
pub struct SecurityGroups;

/// One region's groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredGroups {
    pub role: RegionRole,
    pub region: String,
    pub groups: Vec<DesiredSecurityGroup>,
    /// This region's database is fenced by the failover of this epoch.
    pub fence_epoch: Option<i64>,
}

/// The family's plan: each action with the region it runs in.
pub type GroupsPlan = Plan<(Place, SecurityGroupAction)>;

pub fn desired_groups(stack: &ValidatedStack, placement: &Placement, role: RegionRole) -> DesiredGroups {
    let spec = &stack.spec;
    let group = |role_name: &str, description: &str, ingress: Vec<IngressRule>| DesiredSecurityGroup {
        role: role_name.to_string(),
        name: stack.aws_name(role_name, 255),
        description: description.to_string(),
        ingress,
    };
    let from = |port: i32, g: &str| IngressRule { port, source: RuleSource::Group(g.to_string()) };
    let world = |port: i32| IngressRule { port, source: RuleSource::Cidr("0.0.0.0/0".into()) };
    let mut sgs = vec![
        group(
            "bastion",
            "SSH to the bastion from the allowed networks",
            spec.bastion
                .allowed_cidrs
                .iter()
                .map(|c| IngressRule { port: 22, source: RuleSource::Cidr(c.clone()) })
                .collect(),
        ),
        group("alb-web", "HTTP(S) to the web load balancer", vec![world(80), world(443)]),
        group("alb-api", "HTTP(S) to the api load balancer", vec![world(80), world(443)]),
        group(
            "web",
            "web servers: from the web load balancer and the bastion",
            vec![from(spec.web.port, "alb-web"), from(22, "bastion")],
        ),
        group(
            "api",
            "api servers: from the api load balancer and the bastion",
            vec![from(spec.api.port, "alb-api"), from(22, "bastion")],
        ),
        // A fenced region's database takes no writes: nothing may reach it.
        group(
            "db",
            "MySQL: from the api servers only",
            if placement.fenced == Some(role) { Vec::new() } else { vec![from(spec.database.port, "api")] },
        ),
    ];
    for g in &mut sgs {
        g.ingress.sort();
    }
    DesiredGroups {
        role,
        region: stack.pair.region(role).region.clone(),
        groups: sgs,
        fence_epoch: (placement.fenced == Some(role) && placement.fence_epoch > 0).then_some(placement.fence_epoch),
    }
}

/// Source of an ingress rule: a CIDR, or another of the stack's groups by role.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RuleSource {
    Cidr(String),
    Group(String),
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct IngressRule {
    pub port: i32,
    pub source: RuleSource,
}

impl std::fmt::Display for IngressRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.source {
            RuleSource::Cidr(c) => write!(f, "tcp/{} from {c}", self.port),
            RuleSource::Group(g) => write!(f, "tcp/{} from sg {g}", self.port),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredSecurityGroup {
    /// Role: `bastion`, `alb-web`, `alb-api`, `web`, `api`, `db`.
    pub role: String,
    pub name: String,
    pub description: String,
    pub ingress: Vec<IngressRule>,
}

impl DesiredSecurityGroup {
    pub fn component(&self) -> String {
        format!("security-group/{}", self.role)
    }
}

/// An ingress rule as AWS reports it; a group source is a group ID.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ObservedRule {
    pub protocol: String,
    pub from_port: i32,
    pub to_port: i32,
    pub cidr: Option<String>,
    pub group_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedSecurityGroup {
    pub id: String,
    pub component: String,
    pub vpc_id: String,
    pub ingress: Vec<ObservedRule>,
    /// The epoch of the failover that fenced it (tag `warmstandby.dev/epoch`).
    pub epoch: Option<i64>,
}

/// Desired rules resolved against observed group IDs.
pub fn rule_matches(want: &IngressRule, have: &ObservedRule, group_id_of: &dyn Fn(&str) -> Option<String>) -> bool {
    if have.protocol != "tcp" || have.from_port != want.port || have.to_port != want.port {
        return false;
    }
    match &want.source {
        RuleSource::Cidr(c) => have.cidr.as_deref() == Some(c.as_str()),
        RuleSource::Group(g) => have.group_id.is_some() && group_id_of(g).as_deref() == have.group_id.as_deref(),
    }
}

fn tcp(port: i32, source: &RuleSource, group_id_of: &dyn Fn(&str) -> Option<String>) -> Option<ObservedRule> {
    Some(ObservedRule {
        protocol: "tcp".into(),
        from_port: port,
        to_port: port,
        cidr: match source {
            RuleSource::Cidr(c) => Some(c.clone()),
            RuleSource::Group(_) => None,
        },
        group_id: match source {
            RuleSource::Cidr(_) => None,
            RuleSource::Group(g) => Some(group_id_of(g)?),
        },
    })
}

/// The ID of the security group of `role` (`db`, `alb-web`, ...), once it exists.
pub fn group_id(groups: &[ObservedSecurityGroup], role: &str) -> Option<String> {
    groups.iter().find(|g| g.component == format!("security-group/{role}")).map(|g| g.id.clone())
}

/// The IDs of the groups by role (`web`, `alb-api`, ...): what the load
/// balancers and launch templates name.
pub fn ids_by_role(groups: &[ObservedSecurityGroup]) -> std::collections::BTreeMap<String, String> {
    groups
        .iter()
        .filter_map(|g| g.component.strip_prefix("security-group/").map(|r| (r.to_string(), g.id.clone())))
        .collect()
}

/// One region's groups, then their rules (sources must exist first), and
/// the fence's epoch, in the RegionPair's VPC `vpc_id`.
pub fn plan_groups(d: &DesiredGroups, o: &[ObservedSecurityGroup], vpc_id: &str) -> GroupsPlan {
    let mut plan = GroupsPlan::default();
    let at = Place::Region(d.role);
    let region = d.region.as_str();
    let group_id_of = |role: &str| group_id(o, role);
    let mut all_groups_exist = true;
    for sg in &d.groups {
        if group_id(o, &sg.role).is_none() {
            all_groups_exist = false;
            plan.push(
                at,
                SecurityGroupAction::CreateSecurityGroup {
                    component: sg.component(),
                    name: sg.name.clone(),
                    description: sg.description.clone(),
                    vpc_id: vpc_id.to_string(),
                },
            );
        }
    }
    if all_groups_exist {
        for sg in &d.groups {
            let Some(have) = o.iter().find(|g| g.component == sg.component()) else { continue };
            for want in &sg.ingress {
                if !have.ingress.iter().any(|h| rule_matches(want, h, &group_id_of)) {
                    plan.drift.push(DriftItem::new(
                        region,
                        "SecurityGroup",
                        &have.id,
                        &format!("ingress[{want}]"),
                        "present",
                        "missing",
                    ));
                    if let Some(rule) = tcp(want.port, &want.source, &group_id_of) {
                        plan.push(at, SecurityGroupAction::AuthorizeIngress { group_id: have.id.clone(), rule });
                    }
                }
            }
            for h in &have.ingress {
                if !sg.ingress.iter().any(|w: &IngressRule| rule_matches(w, h, &group_id_of)) {
                    let source = h.cidr.clone().or(h.group_id.clone()).unwrap_or_default();
                    plan.drift.push(DriftItem::new(
                        region,
                        "SecurityGroup",
                        &have.id,
                        &format!("ingress[{}/{}-{} from {source}]", h.protocol, h.from_port, h.to_port),
                        "absent",
                        "present",
                    ));
                    plan.push(at, SecurityGroupAction::RevokeIngress { group_id: have.id.clone(), rule: h.clone() });
                }
            }
        }
    }

    // A fence carries the epoch of the failover that set it.
    if let (Some(epoch), Some(g)) = (d.fence_epoch, o.iter().find(|g| g.component == "security-group/db"))
        && g.epoch.is_none_or(|e| e < epoch)
    {
        plan.push(at, SecurityGroupAction::TagGroupEpoch { group_id: g.id.clone(), epoch });
    }
    plan
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecurityGroupAction {
    CreateSecurityGroup {
        component: String,
        name: String,
        description: String,
        vpc_id: String,
    },
    AuthorizeIngress {
        group_id: String,
        rule: ObservedRule,
    },
    RevokeIngress {
        group_id: String,
        rule: ObservedRule,
    },
    DeleteSecurityGroup {
        group_id: String,
    },
    /// Marks a fenced database's security group with the fencing failover's epoch.
    TagGroupEpoch {
        group_id: String,
        epoch: i64,
    },
    /// Leaves a group a retained database uses, without our tags.
    ReleaseGroup {
        group_id: String,
    },
}

impl FamilyAction for SecurityGroupAction {
    fn effect(&self) -> (Effect, Kind) {
        let effect = match self {
            SecurityGroupAction::CreateSecurityGroup { .. } => Effect::Create,
            SecurityGroupAction::AuthorizeIngress { .. }
            | SecurityGroupAction::RevokeIngress { .. }
            | SecurityGroupAction::TagGroupEpoch { .. } => Effect::Update,
            SecurityGroupAction::DeleteSecurityGroup { .. } => Effect::Delete,
            SecurityGroupAction::ReleaseGroup { .. } => Effect::Release,
        };
        (effect, Kind::SecurityGroup)
    }

    /// A new group's row is its component's (`security-group/alb-web`);
    /// an existing one is known by ID only and shown with the data tier.
    fn tier(&self, scope: &Scope) -> Tier {
        match self {
            SecurityGroupAction::CreateSecurityGroup { component, .. } => {
                Tier::of(scope, Kind::SecurityGroup, component)
            }
            _ => Tier::Data,
        }
    }

    fn describe(&self) -> String {
        match self {
            SecurityGroupAction::CreateSecurityGroup { component, .. } => format!("create {component}"),
            SecurityGroupAction::AuthorizeIngress { group_id, rule } => {
                format!("allow tcp/{} on {group_id}", rule.from_port)
            }
            SecurityGroupAction::RevokeIngress { group_id, rule } => {
                format!("revoke {}/{} on {group_id}", rule.protocol, rule.from_port)
            }
            SecurityGroupAction::DeleteSecurityGroup { group_id } => format!("delete {group_id}"),
            SecurityGroupAction::TagGroupEpoch { group_id, epoch } => {
                format!("tag the fence on {group_id} with epoch {epoch}")
            }
            SecurityGroupAction::ReleaseGroup { group_id } => {
                format!("leave {group_id} with the retained database, untagged")
            }
        }
    }
}

/// What is around a region's groups at teardown.
#[derive(Clone, Copy, Debug, Default)]
pub struct GroupsAround<'a> {
    /// Groups that what other families leave in place uses (an adopted
    /// tier's load balancer and servers): released, keeping their rules
    /// that name kept groups.
    pub kept: &'a [String],
    /// The region's databases (the data tier's).
    pub databases: &'a [ObservedDatabase],
    /// The databases are retained: left running with the groups of ours they use.
    pub retain_databases: bool,
    /// Load balancers and servers of ours are left (they use the groups).
    pub hold: bool,
    /// Instances of ours (the bastion family's) are not terminated yet.
    pub instances_left: bool,
}

impl GroupsAround<'_> {
    /// Kept in place: what other families leave uses, and a retained database's groups.
    fn kept(&self) -> Vec<&str> {
        let mut kept: Vec<&str> = self.kept.iter().map(String::as_str).collect();
        if self.retain_databases {
            kept.extend(self.databases.iter().flat_map(|db| db.security_group_ids.iter().map(String::as_str)));
        }
        kept
    }
}

/// A kept group's rule naming a group that goes (or one not ours) is
/// revoked before the group is left; among kept ones it stays.
fn goes(kept: &[&str], group: &str, named: Option<&str>) -> bool {
    !kept.contains(&group) || named.is_some_and(|n| !kept.contains(&n))
}

/// A retained database's groups still name groups of ours that go: the
/// database (and they) are left once those rules are revoked.
pub fn retained_database_waits(
    groups: &[ObservedSecurityGroup],
    db: &ObservedDatabase,
    around: &GroupsAround<'_>,
) -> bool {
    let kept = around.kept();
    groups
        .iter()
        .filter(|g| db.security_group_ids.contains(&g.id))
        .any(|g| g.ingress.iter().any(|r| r.group_id.is_some() && goes(&kept, &g.id, r.group_id.as_deref())))
}

/// One region's teardown: rules that name a group first; a retained
/// database's groups released with it; groups a kept tier uses released;
/// the rest deleted once nothing (rules, instances, databases, load
/// balancers, servers) uses them.
pub fn plan_groups_teardown(
    d: &DesiredGroups,
    groups: &[ObservedSecurityGroup],
    around: &GroupsAround<'_>,
) -> GroupsPlan {
    let mut plan = GroupsPlan::default();
    let at = Place::Region(d.role);
    let kept = around.kept();
    for db in around.databases.iter().filter(|_| around.retain_databases) {
        // Released with the database (the data tier's), once they name none of ours that go.
        if retained_database_waits(groups, db, around) {
            continue;
        }
        for g in groups.iter().filter(|g| db.security_group_ids.contains(&g.id)) {
            plan.push(at, SecurityGroupAction::ReleaseGroup { group_id: g.id.clone() });
        }
    }
    // Revoke every rule that references a group first; delete groups once
    // nothing (rules, instances, databases) uses them.
    let mut referencing = false;
    for g in groups {
        for rule in g.ingress.iter().filter(|r| r.group_id.is_some() && goes(&kept, &g.id, r.group_id.as_deref())) {
            referencing = true;
            plan.push(at, SecurityGroupAction::RevokeIngress { group_id: g.id.clone(), rule: rule.clone() });
        }
    }
    let database_groups: Vec<&String> = around.databases.iter().flat_map(|db| &db.security_group_ids).collect();
    if !referencing {
        for g in groups.iter().filter(|g| around.kept.contains(&g.id)) {
            // The retained database's groups are released with it, above.
            if !(around.retain_databases && database_groups.contains(&&g.id)) {
                plan.push(at, SecurityGroupAction::ReleaseGroup { group_id: g.id.clone() });
            }
        }
    }
    if around.hold {
        plan.waiting.push("security groups wait for the load balancers and servers to go".into());
    } else if !referencing && !around.instances_left && around.databases.is_empty() {
        for g in groups.iter().filter(|g| !kept.contains(&g.id.as_str())) {
            plan.push(at, SecurityGroupAction::DeleteSecurityGroup { group_id: g.id.clone() });
        }
    }
    plan
}

impl ResourceFamily for SecurityGroups {
    const FAMILY: Family = Family::SecurityGroups;
    /// Primary first.
    type Desired = [DesiredGroups; 2];
    /// Per region (primary first): the groups of ours.
    type Observed = [Vec<ObservedSecurityGroup>; 2];
    type Action = SecurityGroupAction;

    fn live_id(r: &Resource, status: &ThreeTierStackStatus) -> Option<Option<String>> {
        let st = super::regional(r, status)?;
        (r.kind == Kind::SecurityGroup).then(|| st.and_then(|s| s.security_group_ids.get(super::leaf(r)).cloned()))
    }

    fn desired(stack: &ValidatedStack, placement: &Placement) -> [DesiredGroups; 2] {
        RegionRole::BOTH.map(|role| desired_groups(stack, placement, role))
    }

    /// Each region's first, with the rules each names.
    fn topology(desired: &[DesiredGroups; 2], out: &mut Vec<Resource>) {
        for d in desired {
            let scope = Scope::Region { role: d.role, region: d.region.clone() };
            let k = |c: &str| format!("{}/{c}", d.role.as_str());
            let mut resources = Vec::new();
            for group in &d.groups {
                let rules: Vec<String> = group.ingress.iter().map(ToString::to_string).collect();
                let mut r = Resource::new(&scope, &group.component(), Kind::SecurityGroup, group.name.clone())
                    .prop("ingress", if rules.is_empty() { "(none)".to_string() } else { rules.join("; ") })
                    .dep(k("vpc"));
                let mut referenced: Vec<&str> = group
                    .ingress
                    .iter()
                    .filter_map(|rule| match &rule.source {
                        RuleSource::Group(g) => Some(g.as_str()),
                        RuleSource::Cidr(_) => None,
                    })
                    .collect();
                referenced.dedup();
                for g in referenced {
                    r = r.dep(k(&format!("security-group/{g}")));
                }
                resources.push(r);
            }
            let first = out.iter().position(|r| r.scope == scope).unwrap_or(out.len());
            out.splice(first..first, resources);
        }
    }

    /// In each region's VPC (the networks').
    fn plan(
        desired: &[DesiredGroups; 2],
        observed: &[Vec<ObservedSecurityGroup>; 2],
        around: &Neighbours<'_>,
    ) -> GroupsPlan {
        let Some(nets) = around.nets else { return GroupsPlan::default() };
        let mut plan = GroupsPlan::default();
        for (i, d) in desired.iter().enumerate() {
            plan.append(plan_groups(d, &observed[i], &nets[i].vpc_id));
        }
        plan
    }

    /// After what uses them: the load balancing and compute families' load balancers and servers, the
    /// bastion family's instances (in the primary), the databases.
    fn teardown(
        desired: &[DesiredGroups; 2],
        observed: &[Vec<ObservedSecurityGroup>; 2],
        around: &Neighbours<'_>,
    ) -> GroupsPlan {
        let hold = around.server_regions().iter().map(|(_, o)| o.live_count()).sum::<usize>() > 0;
        let mut plan = GroupsPlan::default();
        for (i, d) in desired.iter().enumerate() {
            let kept = around.servers(i).1.kept_references().security_groups;
            let (data, seen) = around.database(i);
            let groups_around = GroupsAround {
                kept: &kept,
                databases: &seen.databases,
                retain_databases: data.retain_database,
                hold,
                instances_left: d.role == RegionRole::Primary && around.bastion_instances_left(),
            };
            plan.append(plan_groups_teardown(d, &observed[i], &groups_around));
        }
        plan
    }

    /// Each region's `securityGroupIds` by role.
    fn status(
        _desired: &[DesiredGroups; 2],
        observed: &[Vec<ObservedSecurityGroup>; 2],
        _around: &Neighbours<'_>,
        status: &mut ThreeTierStackStatus,
    ) {
        let [primary, standby] = observed;
        status.primary.get_or_insert_default().security_group_ids = ids_by_role(primary);
        status.standby.get_or_insert_default().security_group_ids = ids_by_role(standby);
    }

    fn live_count(_desired: &[DesiredGroups; 2], observed: &[Vec<ObservedSecurityGroup>; 2]) -> usize {
        observed.iter().map(Vec::len).sum()
    }
}

#[cfg(test)]
#[path = "security_groups_tests.rs"]
mod tests;
