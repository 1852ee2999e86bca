//! The changes of a pass, typed for people: what a `plan` shows (`+` create,
//! `~` change, `-` delete, `!` re-create what vanished) and what an `apply`
//! reports to a progress display. Every action kind of every family maps to
//! one change by an exhaustive match, so a new action cannot go unreported.

use serde::Serialize;
use warmstandby_api::{DriftItem, GLOBAL_REGION, PlannedChange, PlannedChanges};
use warmstandby_core::desired::{Resource, Scope, Tier, Topology};
use warmstandby_core::family::{Effect, FamilyAction};

/// What a change does to its resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Create,
    Update,
    Delete,
    /// Re-creates or restores what was made and then deleted or changed
    /// outside warmstandby.
    Repair,
    /// Takes an existing resource under management (tags it as ours).
    Adopt,
    /// Leaves a resource in place, no longer ours (retained).
    Release,
}

impl ChangeKind {
    /// As `status.planned` names it.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Create => "create",
            ChangeKind::Update => "update",
            ChangeKind::Delete => "delete",
            ChangeKind::Repair => "repair",
            ChangeKind::Adopt => "adopt",
            ChangeKind::Release => "release",
        }
    }

    pub fn sign(self) -> char {
        match self {
            ChangeKind::Create => '+',
            ChangeKind::Update => '~',
            ChangeKind::Delete => '-',
            ChangeKind::Repair => '!',
            ChangeKind::Adopt => '=',
            ChangeKind::Release => '<',
        }
    }
}

/// One field of an in-place change: what AWS has and what the spec wants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub from: String,
    pub to: String,
}

/// One change of one resource (or one Route 53 batch).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// The region, or `global`.
    pub region: String,
    pub kind: ChangeKind,
    pub resource_kind: String,
    pub tier: Tier,
    /// What is done, e.g. `create database bookstore-primary-db`.
    pub description: String,
    /// Field by field, for changes of an existing resource.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
    /// Resources this change creates or deletes (a record batch holds several).
    pub count: usize,
}

// The plan of what does not exist yet: every resource of the topology.
/// A resource of the desired topology, to be created (or adopted, when
/// the spec names an existing one).
fn creation(r: &Resource) -> Change {
    if r.properties.iter().any(|(k, _)| k == warmstandby_core::desired::ADOPTED) {
        return Change {
            kind: ChangeKind::Adopt,
            description: format!("adopt {} {}", r.kind, r.name),
            ..creation_of(r)
        };
    }
    creation_of(r)
}

fn creation_of(r: &Resource) -> Change {
    Change {
        region: match r.scope {
            Scope::Global => GLOBAL_NAME.to_string(),
            Scope::Region { ref region, .. } => region.clone(),
        },
        kind: ChangeKind::Create,
        resource_kind: r.kind.to_string(),
        tier: r.tier(),
        description: format!("create {} {}", r.kind, r.name),
        fields: Vec::new(),
        count: 1,
    }
}

/// Every resource of `topology` to create: the network's (`network`) or the stack's.
pub fn creations(topology: &Topology, network: bool) -> Vec<Change> {
    creations_of(topology.resources.iter().filter(|r| (r.tier() == Tier::Network) == network))
}

/// Creations of `resources`, but of an existing network's: used, never created.
pub fn creations_of<'a>(resources: impl IntoIterator<Item = &'a Resource>) -> Vec<Change> {
    resources
        .into_iter()
        .filter(|r| !r.properties.iter().any(|(k, _)| k == warmstandby_core::desired::EXISTING))
        .map(creation)
        .collect()
}

/// How many changes `status.planned` lists (the count says how many there are).
pub const PLANNED_SHOWN: usize = 50;

/// Said of a plan with creations that other resources need the IDs of.
pub const MORE_ONCE_CREATED: &str = "resources that need the IDs of these are planned once they exist";

/// `status.planned` of an object that only observes: the move the failover
/// machine would make first (in `region`, the active one), then the changes.
pub fn planned(changes: &[Change], would_move: Option<&str>, region: &str) -> PlannedChanges {
    let partial = changes.iter().any(|c| c.kind == ChangeKind::Create);
    PlannedChanges { note: partial.then(|| MORE_ONCE_CREATED.to_string()), ..listed(changes, would_move, region) }
}

/// `status.planned` of an object none of whose resources exist yet: all of them.
pub fn planned_creations(topology: &Topology, network: bool) -> PlannedChanges {
    planned_complete(&creations(topology, network))
}

/// `status.planned` when `changes` are all an apply would make (no round waits on another's IDs).
pub fn planned_complete(changes: &[Change]) -> PlannedChanges {
    listed(changes, None, "")
}

fn listed(changes: &[Change], would_move: Option<&str>, region: &str) -> PlannedChanges {
    let failover = would_move.map(|m| PlannedChange {
        region: region.to_string(),
        action: warmstandby_core::stack_pass::PLANNED_FAILOVER.to_string(),
        kind: "ThreeTierStack".to_string(),
        description: m.to_string(),
    });
    let listed = failover.into_iter().chain(changes.iter().map(|c| PlannedChange {
        region: c.region.clone(),
        action: c.kind.as_str().to_string(),
        kind: c.resource_kind.clone(),
        description: c.description.clone(),
    }));
    let all: Vec<PlannedChange> = listed.collect();
    PlannedChanges {
        count: i32::try_from(all.len()).unwrap_or(i32::MAX),
        changes: all.into_iter().take(PLANNED_SHOWN).collect(),
        note: None,
    }
}

impl From<Effect> for ChangeKind {
    fn from(effect: Effect) -> Self {
        match effect {
            Effect::Create => ChangeKind::Create,
            Effect::Update => ChangeKind::Update,
            Effect::Delete => ChangeKind::Delete,
            Effect::Adopt => ChangeKind::Adopt,
            Effect::Release => ChangeKind::Release,
        }
    }
}

/// The change an action of any family makes, in `region` (a region's name,
/// the secret's home or `global`) or, with `None`, among the global
/// resources. What it does, to which kind and in which row is the action's
/// own answer (`FamilyAction`), so a new family needs nothing here.
pub fn of(region: Option<&str>, action: &impl FamilyAction) -> Change {
    let scope = match region {
        Some(region) => Scope::Region { role: warmstandby_api::RegionRole::Primary, region: region.to_string() },
        None => Scope::Global,
    };
    let (effect, kind) = action.effect();
    Change {
        region: region.unwrap_or(GLOBAL_NAME).to_string(),
        kind: effect.into(),
        resource_kind: kind.to_string(),
        tier: action.tier(&scope),
        description: action.describe(),
        fields: Vec::new(),
        count: action.count(),
    }
}

/// How global changes are labelled (they are served from us-east-1).
pub const GLOBAL_NAME: &str = "global";

/// Attaches each drift item to the change that repairs it (same region,
/// resource named in the change): its fields become the change's, and a
/// re-creation of something that went missing becomes a repair. Returns the
/// drift no change repairs (blocked, or repaired by a later pass).
pub fn attach_drift(changes: &mut [Change], drift: &[DriftItem]) -> Vec<DriftItem> {
    let mut unmatched = Vec::new();
    for d in drift {
        // Global resources report their drift in us-east-1, where they are served.
        let same_region = |c: &Change| c.region == d.region || (d.region == GLOBAL_REGION && c.region == GLOBAL_NAME);
        let target = changes
            .iter_mut()
            .find(|c| same_region(c) && !d.resource.is_empty() && c.description.contains(&d.resource));
        match target {
            Some(c) => {
                if d.found == "missing" && c.kind == ChangeKind::Create {
                    c.kind = ChangeKind::Repair;
                } else if matches!(c.kind, ChangeKind::Update | ChangeKind::Repair | ChangeKind::Adopt) {
                    c.fields.push(FieldChange {
                        field: d.field.clone(),
                        from: d.found.clone(),
                        to: d.expected.clone(),
                    });
                }
            }
            None => unmatched.push(d.clone()),
        }
    }
    unmatched
}

#[cfg(test)]
mod tests {
    use super::*;
    use warmstandby_core::families::SeamAction;
    use warmstandby_core::families::alarm::AlarmAction;
    use warmstandby_core::families::security_groups::SecurityGroupAction;
    use warmstandby_core::network::plan::NetworkAction;
    use warmstandby_core::servers::plan::ComputeAction;

    #[test]
    fn every_family_maps_to_signs_and_tiers() {
        let c = of(Some("us-east-1"), &NetworkAction::DeleteVpc { vpc_id: "vpc-1".into() });
        assert_eq!((c.kind.sign(), c.tier, c.resource_kind.as_str()), ('-', Tier::Network, "Vpc"));
        let c = of(
            Some("us-east-1"),
            &SecurityGroupAction::CreateSecurityGroup {
                component: "security-group/alb-web".into(),
                name: "n".into(),
                description: "d".into(),
                vpc_id: "v".into(),
            },
        );
        assert_eq!((c.kind.sign(), c.tier), ('+', Tier::Web));
        let c = of(
            Some("us-west-2"),
            &SeamAction::Compute(ComputeAction::DeleteAutoScalingGroup { name: "bookstore-bookstore-api".into() }),
        );
        assert_eq!((c.kind.sign(), c.tier, c.region.as_str()), ('-', Tier::Api, "us-west-2"));
        let c = of(None, &AlarmAction::DeleteAlarm { name: "a".into() });
        assert_eq!((c.tier, c.region.as_str()), (Tier::Global, "global"));
    }

    #[test]
    fn drift_becomes_fields_of_the_change_that_repairs_it() {
        let mut changes = vec![of(
            Some("us-east-1"),
            &SeamAction::Compute(ComputeAction::UpdateAutoScalingGroup {
                name: "bookstore-bookstore-web".into(),
                spec: warmstandby_core::servers::observed::AsgSpec {
                    launch_template_id: "lt-1".into(),
                    launch_template_version: "1".into(),
                    min: 2,
                    desired: 2,
                    max: 6,
                    subnet_ids: vec![],
                    target_group_arns: vec![],
                },
                attach: vec![],
                detach: vec![],
            }),
        )];
        let drift = vec![
            DriftItem::new("us-east-1", "AutoScalingGroup", "bookstore-bookstore-web", "desired", 2, 5),
            DriftItem::new("us-east-1", "Vpc", "vpc-9", "cidr", "10.0.0.0/16", "10.9.0.0/16"),
        ];
        let left = attach_drift(&mut changes, &drift);
        assert_eq!(changes[0].fields, vec![FieldChange { field: "desired".into(), from: "5".into(), to: "2".into() }]);
        assert_eq!(left.len(), 1, "the VPC's drift has no change here");
    }
}
