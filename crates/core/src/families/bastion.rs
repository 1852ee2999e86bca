//! The bastion family: one EC2 instance in the primary region's first
//! public subnet, behind the data tier's `bastion` security group, for SSH
//! into the private tiers. It is found by our uid tag; a second one (a
//! retried launch) is terminated, and one of another type is drift that only
//! a new instance can repair (the operator never replaces it by itself).

use warmstandby_api::{DriftItem, RegionRole, ThreeTierStackStatus};

use crate::families::{Neighbours, ResourceFamily};
use crate::family::{Effect, Family, FamilyAction};
use crate::placement::Placement;
use crate::plan::{Place, Plan};
use crate::resource::{Kind, Resource, Scope};
use crate::validate::ValidatedStack;

/// The bastion family on the seam.
pub struct Bastion;

/// Its component tag (and key in the topology, in the primary region).
pub const COMPONENT: &str = "instance/bastion";

/// It lives in the primary region only.
const HOME: Place = Place::Region(RegionRole::Primary);

/// Where the bastion lives (its instances are read there whether the spec
/// asks for one or not), and the instance the spec asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredBastion {
    /// The primary region's.
    pub region: String,
    /// `None` without `spec.bastion.enabled`.
    pub instance: Option<BastionInstance>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BastionInstance {
    pub name: String,
    pub image_id: String,
    pub instance_type: String,
    pub key_name: Option<String>,
    pub subnet_key: String,
}

/// An instance of ours in the primary region (the bastion).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedInstance {
    pub id: String,
    pub component: String,
    /// `pending`, `running`, `stopping`, `stopped`, `shutting-down`, `terminated`.
    pub state: String,
    pub instance_type: String,
    pub image_id: String,
    pub subnet_id: String,
}

impl ObservedInstance {
    pub fn is_live(&self) -> bool {
        !matches!(self.state.as_str(), "shutting-down" | "terminated")
    }

    pub fn is_terminated(&self) -> bool {
        self.state == "terminated"
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BastionAction {
    RunBastion {
        component: String,
        name: String,
        image_id: String,
        instance_type: String,
        key_name: Option<String>,
        subnet_id: String,
        group_id: String,
    },
    TerminateInstance {
        instance_id: String,
    },
}

impl FamilyAction for BastionAction {
    fn effect(&self) -> (Effect, Kind) {
        let effect = match self {
            BastionAction::RunBastion { .. } => Effect::Create,
            BastionAction::TerminateInstance { .. } => Effect::Delete,
        };
        (effect, Kind::BastionInstance)
    }

    fn describe(&self) -> String {
        match self {
            BastionAction::RunBastion { .. } => "launch the bastion".into(),
            BastionAction::TerminateInstance { instance_id } => format!("terminate {instance_id}"),
        }
    }
}

/// Instances of ours not terminated yet: the data tier's security groups
/// wait for them.
pub fn instances_left(observed: &[ObservedInstance]) -> bool {
    observed.iter().any(|i| !i.is_terminated())
}

/// What to change: launch it once its subnet and security group exist
/// (`subnet_id`, `group_id`), terminate a second one.
pub fn plan_bastion(
    region: &str,
    desired: &BastionInstance,
    observed: &[ObservedInstance],
    subnet_id: Option<&str>,
    group_id: Option<&str>,
) -> Plan<(Place, BastionAction)> {
    let mut plan = Plan::default();
    let live: Vec<_> = observed.iter().filter(|i| i.component == COMPONENT && i.is_live()).collect();
    match (live.first(), subnet_id, group_id) {
        (Some(i), _, _) => {
            if i.instance_type != desired.instance_type {
                plan.drift.push(DriftItem::new(
                    region,
                    "Instance",
                    &i.id,
                    "instanceType",
                    &desired.instance_type,
                    &i.instance_type,
                ));
                plan.blocked.push(format!(
                    "bastion {} has type {}; terminate it to have it rebuilt as {}",
                    i.id, i.instance_type, desired.instance_type
                ));
            }
            for extra in live.iter().skip(1) {
                plan.push(HOME, BastionAction::TerminateInstance { instance_id: extra.id.clone() });
            }
        }
        (None, Some(subnet), Some(group)) => plan.push(
            HOME,
            BastionAction::RunBastion {
                component: COMPONENT.into(),
                name: desired.name.clone(),
                image_id: desired.image_id.clone(),
                instance_type: desired.instance_type.clone(),
                key_name: desired.key_name.clone(),
                subnet_id: subnet.to_string(),
                group_id: group.to_string(),
            },
        ),
        (None, _, _) => plan.waiting.push("bastion waits for its subnet and security group".into()),
    }
    plan
}

/// Every live instance of ours is terminated (the bastion, and one the spec
/// no longer asks for); the security groups wait for them to be gone.
pub fn plan_bastion_teardown(observed: &[ObservedInstance]) -> Plan<(Place, BastionAction)> {
    let mut plan = Plan::default();
    for i in observed.iter().filter(|i| i.is_live()) {
        plan.push(HOME, BastionAction::TerminateInstance { instance_id: i.id.clone() });
    }
    if instances_left(observed) && observed.iter().all(|i| !i.is_live()) {
        plan.waiting.push("waiting for the bastion to terminate".into());
    }
    plan
}

impl ResourceFamily for Bastion {
    const FAMILY: Family = Family::Bastion;
    type Desired = DesiredBastion;
    type Observed = Vec<ObservedInstance>;
    type Action = BastionAction;

    fn live_id(r: &Resource, status: &ThreeTierStackStatus) -> Option<Option<String>> {
        let st = super::regional(r, status)?;
        (r.kind == Kind::BastionInstance).then(|| st.and_then(|s| s.bastion_instance_id.clone()))
    }

    fn desired(stack: &ValidatedStack, _placement: &Placement) -> DesiredBastion {
        let spec = &stack.spec;
        DesiredBastion {
            region: stack.pair.region(RegionRole::Primary).region.clone(),
            instance: spec.bastion.enabled.then(|| BastionInstance {
                name: stack.aws_name("bastion", 255),
                image_id: spec.images.api.primary.clone(),
                instance_type: spec.bastion.instance_type.clone(),
                key_name: spec.bastion.key_name.clone(),
                subnet_key: "public-a".into(),
            }),
        }
    }

    /// Just before the primary's DB subnet group: the natural creation
    /// order, after the subnet and security group it uses.
    fn topology(desired: &DesiredBastion, out: &mut Vec<Resource>) {
        let Some(b) = &desired.instance else { return };
        let scope = Scope::Region { role: RegionRole::Primary, region: desired.region.clone() };
        let r = Resource::new(&scope, COMPONENT, Kind::BastionInstance, b.name.clone())
            .prop("instanceType", &b.instance_type)
            .prop("keyName", b.key_name.as_deref().unwrap_or("(none)"))
            .prop("image", &b.image_id)
            .dep(format!("primary/subnet/{}", b.subnet_key))
            .dep("primary/security-group/bastion");
        let at = out.iter().position(|r| r.key == "primary/db-subnet-group").unwrap_or(out.len());
        out.insert(at, r);
    }

    /// Its subnet from the network, its security group from the security groups family.
    fn plan(
        desired: &DesiredBastion,
        observed: &Vec<ObservedInstance>,
        around: &Neighbours<'_>,
    ) -> Plan<(Place, BastionAction)> {
        let Some(b) = &desired.instance else { return Plan::default() };
        let primary = RegionRole::Primary.index();
        let subnet = around.nets.and_then(|n| n[primary].subnet_ids.get(&b.subnet_key)).map(String::as_str);
        let group = around.security_group(primary, "bastion");
        plan_bastion(&desired.region, b, observed, subnet, group.as_deref())
    }

    fn teardown(
        _desired: &DesiredBastion,
        observed: &Vec<ObservedInstance>,
        _around: &Neighbours<'_>,
    ) -> Plan<(Place, BastionAction)> {
        plan_bastion_teardown(observed)
    }

    /// The primary region's `bastionInstanceId`.
    fn status(
        _desired: &DesiredBastion,
        observed: &Vec<ObservedInstance>,
        _around: &Neighbours<'_>,
        status: &mut ThreeTierStackStatus,
    ) {
        status.primary.get_or_insert_default().bastion_instance_id =
            observed.iter().find(|i| i.is_live()).map(|i| i.id.clone());
    }

    fn live_count(_desired: &DesiredBastion, observed: &Vec<ObservedInstance>) -> usize {
        observed.iter().filter(|i| !i.is_terminated()).count()
    }
}

#[cfg(test)]
#[path = "bastion_tests.rs"]
mod tests;
