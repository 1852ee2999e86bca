//! The family seam: one implementation of [`ResourceFamily`] per AWS resource
//! family holds everything the core knows of it (what the spec asks, what
//! AWS shows, its actions, plan, teardown, retention, condition, status and
//! its resources in the topology), and the aws crate adds its observation
//! and its calls (`warmstandby_aws::families`) to the same type. The stack
//! pass, the controller and the topology loop over the families registered
//! in [`seam_families!`], the one list: every other list is derived from it
//! (`FamiliesDesired`, `FamiliesObserved`, `SeamAction`, the aws crate's
//! observation and dispatch) or checked against it by a test.
//!
//! The network is the RegionPair's family ([`network`], owned by [`Pair`]),
//! driven by the RegionPair's reconciler; a family on the seam reads the
//! networks, and what it needs of the other seam families, through
//! [`Neighbours`].

pub mod alarm;
pub mod backup;
pub mod bastion;
pub mod cdn;
pub mod certificates;
pub mod compute;
pub mod database;
pub mod environment;
pub mod instance_roles;
pub mod load_balancing;
pub mod network;
pub mod private_dns;
pub mod public_dns;
pub mod secrets;
pub mod security_groups;
pub mod waf;

use warmstandby_api::{DriftItem, ThreeTierStackStatus};

use crate::data::desired::{DesiredDataTier, NetworkRefs};
use crate::data::observed::ObservedDataTier;
use crate::family::{Effect, Family, FamilyAction};
use crate::placement::Placement;
use crate::plan::{Place, Plan};
use crate::resource::{Kind, Resource, Scope, Tier};
use crate::servers::desired::DesiredRegionServers;
use crate::servers::observed::RegionServers;
use crate::servers::status::{Family as Verdict, ServerRegions};
use crate::validate::ValidatedStack;
use secrets::Writer;

/// A resource of the family found adopted (by its tags): what
/// `status.adopted` records of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adopted {
    pub region: String,
    pub kind: Kind,
    pub id: String,
    /// When (RFC 3339), from its tags.
    pub at: String,
}

/// What a family on the seam sees around it (read-only): the other seam
/// families, the networks, and the pass's circumstances.
#[derive(Clone, Copy, Debug)]
pub struct Neighbours<'a> {
    /// Every seam family's desired state and observation.
    pub seam: (&'a FamiliesDesired, &'a FamiliesObserved),
    /// The data-active region's database, whose password a rotation
    /// changes (`None` at teardown).
    pub writer: Option<Writer<'a>>,
    /// Regions (primary first) that could not be reached this pass:
    /// nothing of theirs is planned.
    pub unreachable: [bool; 2],
    /// What a teardown names the writer's final snapshot after (its time;
    /// empty when the pass plans).
    pub final_snapshot_suffix: &'a str,
    /// Both regions' networks (known when the pass plans; `None` at teardown).
    pub nets: Option<&'a [NetworkRefs; 2]>,
}

impl<'a> Neighbours<'a> {
    /// The credentials secret, as the secrets family wants and sees it.
    pub fn secret(&self) -> (&'a secrets::DesiredSecret, Option<&'a secrets::ObservedSecret>) {
        (&self.seam.0.secrets, self.seam.1.secrets.as_ref())
    }

    /// Region `i`'s server tiers (primary first), as the spec wants them and
    /// the load balancing and compute families see them.
    pub fn servers(&self, i: usize) -> (&'a DesiredRegionServers, RegionServers<'a>) {
        let (desired, seen) = self.seam;
        (&desired.load_balancing[i], RegionServers { balancing: &seen.load_balancing[i], compute: &seen.compute[i] })
    }

    /// Both regions' server tiers.
    pub fn server_regions(&self) -> ServerRegions<'a> {
        [self.servers(0), self.servers(1)]
    }

    /// Instance profiles of ours that the servers of a kept (adopted or
    /// retained) tier run with.
    pub fn kept_profiles(&self) -> Vec<String> {
        self.server_regions().iter().flat_map(|(_, o)| o.kept_references().instance_profiles).collect()
    }

    /// Region `i`'s security group IDs by role (`alb-web`, `web`, ...).
    pub fn security_groups_by_role(&self, i: usize) -> std::collections::BTreeMap<String, String> {
        security_groups::ids_by_role(&self.seam.1.security_groups[i])
    }

    /// The certificate region `i`'s HTTPS listeners serve, once ours and issued.
    pub fn serving_certificate(&self, i: usize) -> Option<String> {
        let role = self.seam.0.load_balancing[i].role;
        certificates::issued(&self.seam.1.certificates, Place::Region(role))
    }

    /// The health check the public DNS family uses now (the one the alarm
    /// family watches): `None` while it is being made or adopted.
    pub fn health_check_in_use(&self) -> Option<String> {
        public_dns::health_check_in_use(&self.seam.0.public_dns, &self.seam.1.public_dns, self)
    }

    /// The health check the alarm family's alarm watches now.
    pub fn alarm_health_check(&self) -> Option<String> {
        alarm::watched_health_check(&self.seam.1.alarm).map(str::to_string)
    }

    /// The spec asks for the alarm and there is none yet (reported under `DnsReady`).
    pub fn alarm_missing(&self) -> bool {
        self.seam.0.alarm.is_some() && self.seam.1.alarm.is_none()
    }

    /// The ID of the security group of `role` (`bastion`, `db`, ...) in
    /// region `i` (primary first), once it exists.
    pub fn security_group(&self, i: usize, role: &str) -> Option<String> {
        security_groups::group_id(&self.seam.1.security_groups[i], role)
    }

    /// Instances of the bastion family's are not terminated yet (they use
    /// the primary's security groups).
    pub fn bastion_instances_left(&self) -> bool {
        bastion::instances_left(&self.seam.1.bastion)
    }

    /// Region `i`'s database (primary first), as the database family wants and sees it.
    pub fn database(&self, i: usize) -> (&'a DesiredDataTier, &'a ObservedDataTier) {
        (&self.seam.0.database[i], &self.seam.1.database[i])
    }

    /// The distribution, as the CDN family sees it.
    pub fn distribution(&self) -> Option<&'a cdn::ObservedDistribution> {
        self.seam.1.cdn.as_ref()
    }

    /// Auto scaling groups of ours are not gone yet: their instances may
    /// still run with our instance profiles.
    pub fn scaling_groups_left(&self) -> bool {
        self.seam.1.compute.iter().any(|o| o.scaling_groups_left())
    }
}

/// What owns a family's resources and plans them in one pass: a
/// ThreeTierStack ([`Stack`]: every family on the seam) or a RegionPair
/// ([`Pair`]: its networks).
pub trait Owner {
    /// Its validated spec.
    type Spec;
    /// Where its resources belong this pass.
    type Placement;
    /// What one of its families sees of the rest of it.
    type Around<'a>;
    /// Its status.
    type Status;
    /// What its families' calls may write and never show (a stack's
    /// database password).
    type Secrets;
}

/// A ThreeTierStack: the families on the seam.
#[derive(Clone, Copy, Debug)]
pub enum Stack {}

impl Owner for Stack {
    type Spec = ValidatedStack;
    type Placement = Placement;
    type Around<'a> = Neighbours<'a>;
    type Status = ThreeTierStackStatus;
    type Secrets = crate::secret::Password;
}

/// A RegionPair: both regions' networks (`families::network`).
#[derive(Clone, Copy, Debug)]
pub enum Pair {}

impl Owner for Pair {
    type Spec = crate::validate::ValidatedRegionPair;
    /// A network has no role to follow.
    type Placement = ();
    /// A network reads nothing of the rest.
    type Around<'a> = ();
    type Status = warmstandby_api::RegionPairStatus;
    type Secrets = ();
}

/// One AWS resource family, as the core plans it: every family is one
/// implementation (each method pure) for the owner that plans it, a stack's
/// pass ([`Stack`], the default) or a RegionPair's ([`Pair`]).
pub trait ResourceFamily<O: Owner = Stack> {
    const FAMILY: Family;
    /// What the spec asks of it.
    type Desired: Clone + std::fmt::Debug + PartialEq;
    /// What AWS shows of it (`Default`: nothing found).
    type Observed: Clone + std::fmt::Debug + Default + PartialEq;
    type Action: FamilyAction + Clone + std::fmt::Debug + PartialEq + Eq;

    fn desired(spec: &O::Spec, placement: &O::Placement) -> Self::Desired;
    /// Its resources in the owner's topology (the picture, `plan`).
    fn topology(desired: &Self::Desired, out: &mut Vec<Resource>);
    /// What to change now to reach `desired`, and the drift found.
    fn plan(desired: &Self::Desired, observed: &Self::Observed, around: &O::Around<'_>) -> Plan<(Place, Self::Action)>;
    /// Deleting what is ours (and releasing what is adopted or retained),
    /// in the order AWS allows given what is left around it.
    fn teardown(
        desired: &Self::Desired,
        observed: &Self::Observed,
        around: &O::Around<'_>,
    ) -> Plan<(Place, Self::Action)>;
    /// At teardown, with `deletionPolicy: Retain`: what it made is taken as
    /// adopted, so its teardown releases it (`retention::hold`). A family
    /// without a deletion policy keeps the default: nothing is held.
    fn hold_retained(_desired: &Self::Desired, _observed: &mut Self::Observed) {}
    /// Its conditions in the status (listed in `conditions::types::FAMILIES`).
    /// The default, none: it has none of its own, and its findings count
    /// toward `Ready`.
    fn verdict(
        _desired: &Self::Desired,
        _observed: &Self::Observed,
        _around: &O::Around<'_>,
        _drift: &[DriftItem],
    ) -> Vec<Verdict> {
        Vec::new()
    }
    /// Its IDs in the status.
    fn status(desired: &Self::Desired, observed: &Self::Observed, around: &O::Around<'_>, status: &mut O::Status);
    /// What of it this pass found adopted (recorded in `status.adopted`);
    /// the default: it adopts nothing.
    fn adopted(_desired: &Self::Desired, _observed: &Self::Observed) -> Vec<Adopted> {
        Vec::new()
    }
    /// Resources of ours that still exist (teardown is done at zero).
    fn live_count(desired: &Self::Desired, observed: &Self::Observed) -> usize;
    /// The AWS ID its owner's status holds of `resource`, one of its kinds
    /// (the picture reads it back): `None` where the status names that
    /// kind by its parent only, `Some(None)` where it names it and has no
    /// ID for it now.
    fn live_id(resource: &Resource, status: &O::Status) -> Option<Option<String>>;
    /// What a finished teardown left in place on purpose, in words; the
    /// default: nothing of its own (what it leaves for another is told there).
    fn left_in_place(_desired: &Self::Desired, _status: Option<&O::Status>) -> Option<String> {
        None
    }
}

/// The status of `resource`'s region (`Some(None)`: not reported yet),
/// `None` for a global resource.
pub(crate) fn regional<'a>(
    resource: &Resource,
    status: &'a ThreeTierStackStatus,
) -> Option<Option<&'a warmstandby_api::RegionStackStatus>> {
    match &resource.scope {
        Scope::Region { role, .. } if *role == warmstandby_api::RegionRole::Primary => Some(status.primary.as_ref()),
        Scope::Region { .. } => Some(status.standby.as_ref()),
        Scope::Global => None,
    }
}

/// The last word of a resource's component (`web-a` of `subnet/web-a`).
pub(crate) fn leaf(resource: &Resource) -> &str {
    let component = resource.component();
    component.rsplit('/').next().unwrap_or(component)
}

/// The tier a resource's component names (`web` of `launch-template/web`),
/// else its last word.
pub(crate) fn tier_name(resource: &Resource) -> &str {
    Tier::of_component(resource.component()).map(Tier::as_str).unwrap_or_else(|| leaf(resource))
}

/// Where a region's resources that follow its data tier go in the
/// topology: after its database and the data resources placed after it
/// (its private zone and record, its backup vault), before its edge.
pub(crate) fn after_region_data(out: &[Resource], role: warmstandby_api::RegionRole) -> usize {
    let db = format!("{}/db-instance", role.as_str());
    match out.iter().position(|x| x.key == db) {
        Some(i) => {
            let scope = &out[i].scope;
            let data_row = |x: &&Resource| x.scope == *scope && Tier::of(&x.scope, x.kind, &x.key) == Tier::Data;
            i + 1 + out[i + 1..].iter().take_while(data_row).count()
        }
        None => out.len(),
    }
}

/// A family's verdict from its problems and the drift of its kinds.
pub fn verdict<F: ResourceFamily>(condition: &'static str, problems: Vec<String>, drift: &[DriftItem]) -> Verdict {
    let kinds: Vec<String> = F::FAMILY.kinds().iter().map(Kind::to_string).collect();
    let kinds: Vec<&str> = kinds.iter().map(String::as_str).collect();
    crate::servers::status::verdict(condition, problems, drift, &kinds)
}

/// The one list of families on the seam: `field: type => variant`. It
/// calls back `$then!` with the list, so the aws crate derives its
/// observation and dispatch from the same list.
#[macro_export]
macro_rules! seam_families {
    ($then:ident) => {
        $then! {
            load_balancing: $crate::families::load_balancing::LoadBalancing => LoadBalancing,
            compute: $crate::families::compute::Compute => Compute,
            database: $crate::families::database::Database => Database,
            security_groups: $crate::families::security_groups::SecurityGroups => SecurityGroups,
            bastion: $crate::families::bastion::Bastion => Bastion,
            private_dns: $crate::families::private_dns::PrivateDns => PrivateDns,
            public_dns: $crate::families::public_dns::PublicDns => PublicDns,
            cdn: $crate::families::cdn::Cdn => Cdn,
            waf: $crate::families::waf::Waf => Waf,
            alarm: $crate::families::alarm::Alarm => Alarm,
            secrets: $crate::families::secrets::Secrets => Secrets,
            instance_roles: $crate::families::instance_roles::InstanceRoles => InstanceRoles,
            certificates: $crate::families::certificates::Certificates => Certificates,
            backup: $crate::families::backup::Backup => Backup,
        }
    };
}

/// The types and loops the stack pass uses, one field or arm per family.
macro_rules! define_seam {
    ($($field:ident: $family:ty => $variant:ident),* $(,)?) => {
        /// Every seam family's desired state.
        #[derive(Clone, Debug, PartialEq)]
        pub struct FamiliesDesired { $(pub $field: <$family as ResourceFamily>::Desired,)* }

        /// Every seam family's observation.
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct FamiliesObserved { $(pub $field: <$family as ResourceFamily>::Observed,)* }

        /// An action of a family on the seam.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum SeamAction { $($variant(<$family as ResourceFamily>::Action),)* }

        $(impl From<<$family as ResourceFamily>::Action> for SeamAction {
            fn from(action: <$family as ResourceFamily>::Action) -> Self {
                SeamAction::$variant(action)
            }
        })*

        impl FamilyAction for SeamAction {
            fn effect(&self) -> (Effect, Kind) {
                match self { $(SeamAction::$variant(a) => a.effect(),)* }
            }
            fn describe(&self) -> String {
                match self { $(SeamAction::$variant(a) => a.describe(),)* }
            }
            fn tier(&self, scope: &Scope) -> Tier {
                match self { $(SeamAction::$variant(a) => a.tier(scope),)* }
            }
            fn count(&self) -> usize {
                match self { $(SeamAction::$variant(a) => a.count(),)* }
            }
        }

        /// The families on the seam, in the order they are planned.
        pub const ON_THE_SEAM: &[Family] = &[$(<$family as ResourceFamily>::FAMILY,)*];

        impl FamiliesDesired {
            pub fn of(stack: &ValidatedStack, placement: &Placement) -> Self {
                FamiliesDesired { $($field: <$family as ResourceFamily>::desired(stack, placement),)* }
            }

            pub fn topology(&self, out: &mut Vec<Resource>) {
                $(<$family as ResourceFamily>::topology(&self.$field, out);)*
            }

            pub fn plan(&self, observed: &FamiliesObserved, around: &Neighbours<'_>) -> SeamPlan {
                let mut plan = SeamPlan::default();
                $(absorb(&mut plan, <$family as ResourceFamily>::plan(&self.$field, &observed.$field, around));)*
                plan
            }

            pub fn teardown(&self, observed: &FamiliesObserved, around: &Neighbours<'_>) -> SeamPlan {
                let mut plan = SeamPlan::default();
                $(absorb(&mut plan, <$family as ResourceFamily>::teardown(&self.$field, &observed.$field, around));)*
                plan
            }

            pub fn hold_retained(&self, observed: &mut FamiliesObserved) {
                $(<$family as ResourceFamily>::hold_retained(&self.$field, &mut observed.$field);)*
            }

            pub fn verdicts(&self, observed: &FamiliesObserved, around: &Neighbours<'_>, drift: &[DriftItem]) -> Vec<Verdict> {
                [$(<$family as ResourceFamily>::verdict(&self.$field, &observed.$field, around, drift),)*].into_iter().flatten().collect()
            }

            pub fn status(&self, observed: &FamiliesObserved, around: &Neighbours<'_>, status: &mut ThreeTierStackStatus) {
                $(<$family as ResourceFamily>::status(&self.$field, &observed.$field, around, status);)*
            }

            pub fn adopted(&self, observed: &FamiliesObserved) -> Vec<Adopted> {
                let mut out = Vec::new();
                $(out.extend(<$family as ResourceFamily>::adopted(&self.$field, &observed.$field));)*
                out
            }

            /// Resources of ours that still exist (teardown is done at zero).
            pub fn live_count(&self, observed: &FamiliesObserved) -> usize {
                0 $(+ <$family as ResourceFamily>::live_count(&self.$field, &observed.$field))*
            }

            /// The AWS ID a stack's status holds of `resource` (its family's
            /// answer, `ResourceFamily::live_id`).
            pub fn live_id(resource: &Resource, status: &ThreeTierStackStatus) -> Option<Option<String>> {
                let family = resource.kind.family();
                $(if family == <$family as ResourceFamily>::FAMILY {
                    return <$family as ResourceFamily>::live_id(resource, status);
                })*
                None
            }

            pub fn left_in_place(&self, status: Option<&ThreeTierStackStatus>) -> Vec<String> {
                [$(<$family as ResourceFamily>::left_in_place(&self.$field, status),)*].into_iter().flatten().collect()
            }
        }


    };
}

seam_families!(define_seam);

/// The seam families' plan: each action with where it runs.
pub type SeamPlan = Plan<(Place, SeamAction)>;

/// Adds one family's plan to the seam's.
pub(crate) fn absorb<A: Into<SeamAction>>(into: &mut SeamPlan, plan: Plan<(Place, A)>) {
    into.append(plan.map(|(place, a)| (place, a.into())));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A family's action enum's name, as `FamilyInfo::actions` gives it.
    fn action_name<O: Owner, F: ResourceFamily<O>>() -> &'static str {
        std::any::type_name::<F::Action>().rsplit("::").next().unwrap_or_default()
    }

    macro_rules! seam_action_names {
        ($($field:ident: $family:ty => $variant:ident),* $(,)?) => {
            vec![$((<$family as ResourceFamily>::FAMILY, action_name::<Stack, $family>()),)*]
        };
    }

    /// Every family is one implementation of `ResourceFamily`, planned and
    /// applied in exactly one place: a stack's seam or the RegionPair's
    /// networks; a family left out fails here.
    #[test]
    fn every_family_has_exactly_one_home() {
        let homes: [(&str, Vec<(Family, &str)>); 2] = [
            ("the stack's seam", crate::seam_families!(seam_action_names)),
            ("the RegionPair", vec![(network::Network::FAMILY, action_name::<Pair, network::Network>())]),
        ];
        for family in Family::ALL {
            let name = family.info().actions;
            let mut found = Vec::new();
            for (home, families) in &homes {
                if let Some((_, action)) = families.iter().find(|(f, _)| *f == family) {
                    assert_eq!(*action, name, "{family:?}: its action enum is not the one FamilyInfo names");
                    found.push(*home);
                }
            }
            assert_eq!(found.len(), 1, "{family:?} ({name}) is at home in {found:?}");
        }
    }

    /// The picture reads each resource's ID back from the status through
    /// its family: every kind the status names has its ID read, in the
    /// resource's own region (or globally), and every other kind is named
    /// by its parent only.
    #[test]
    fn every_resource_of_the_topology_reads_its_id_back_through_its_family() {
        use warmstandby_api::{
            AccessStatus, AutoScalingGroupStatus, DatabaseStatus, GlobalStackStatus, LaunchTemplateStatus,
            LoadBalancerStatus, RegionNetworkStatus, RegionPairStatus, RegionStackStatus,
        };
        let stack = crate::test_fixtures::classic_stack(|_, _| {});
        let topology = crate::desired::stack_topology(&stack).expect("a topology");
        // A status naming every resource by `<role>:<leaf>` (or `global:<leaf>`).
        let keyed = |role: &str, keys: &[&str]| keys.iter().map(|k| (k.to_string(), format!("{role}:{k}"))).collect();
        let tiers = ["web", "api"];
        let region = |role: &str| RegionStackStatus {
            security_group_ids: keyed(role, &["bastion", "alb-web", "alb-api", "web", "api", "db"]),
            bastion_instance_id: Some(format!("{role}:bastion")),
            database: Some(DatabaseStatus { instance_id: format!("{role}:db"), ..Default::default() }),
            private_zone_id: Some(format!("{role}:zone")),
            certificate_arn: Some(format!("{role}:certificate")),
            image_ids: keyed(role, &tiers),
            target_group_arns: keyed(role, &tiers),
            load_balancers: tiers
                .iter()
                .map(|t| (t.to_string(), LoadBalancerStatus { arn: format!("{role}:{t}"), ..Default::default() }))
                .collect(),
            launch_templates: tiers
                .iter()
                .map(|t| (t.to_string(), LaunchTemplateStatus { id: format!("{role}:{t}"), version: 1 }))
                .collect(),
            auto_scaling_groups: tiers
                .iter()
                .map(|t| (t.to_string(), AutoScalingGroupStatus { name: format!("{role}:{t}"), ..Default::default() }))
                .collect(),
            backup_vault_name: Some(format!("{role}:vault")),
            ..Default::default()
        };
        let status = ThreeTierStackStatus {
            primary: Some(region("primary")),
            standby: Some(region("standby")),
            global: Some(GlobalStackStatus {
                public_zone_id: Some("global:zone".into()),
                health_check_id: Some("global:health-check".into()),
                distribution_id: Some("global:distribution".into()),
                web_acl_arn: Some("global:web-acl".into()),
                alarm_name: Some("global:alarm".into()),
                backup_plan_id: Some("global:backup-plan".into()),
                ..Default::default()
            }),
            access: Some(AccessStatus {
                secret_name: "global:secret".into(),
                instance_profiles: keyed("global", &tiers),
                ..Default::default()
            }),
            ..Default::default()
        };
        let network = |role: &str| RegionNetworkStatus {
            vpc_id: Some(format!("{role}:vpc")),
            internet_gateway_id: Some(format!("{role}:igw")),
            subnet_ids: keyed(role, &["public-a", "public-b", "web-a", "web-b", "app-a", "app-b", "db-a", "db-b"]),
            ..Default::default()
        };
        let pair = RegionPairStatus {
            primary: Some(network("primary")),
            standby: Some(network("standby")),
            ..Default::default()
        };
        let named_by_parent = [
            Kind::Listener,
            Kind::DbSubnetGroup,
            Kind::PrivateDnsRecord,
            Kind::BackupSelection,
            Kind::InstanceRole,
            Kind::CertificateValidationRecord,
            Kind::FailoverRecord,
            Kind::AliasRecord,
        ];
        let read = |r: &Resource, stack: &ThreeTierStackStatus, pair: &RegionPairStatus| {
            if r.kind.family() == Family::Network {
                network::Network::live_id(r, pair)
            } else {
                FamiliesDesired::live_id(r, stack)
            }
        };
        let mut read_back = 0;
        for r in &topology.resources {
            let found = read(r, &status, &pair);
            let global_certificate = r.kind == Kind::Certificate && r.scope == Scope::Global;
            // The NAT gateways, their addresses and the route tables are left out of this status.
            let unlisted = matches!(r.kind, Kind::NatGateway | Kind::ElasticIp | Kind::RouteTable);
            if named_by_parent.contains(&r.kind) || global_certificate {
                assert_eq!(found, None, "{}: named by its parent", r.key);
            } else if unlisted {
                assert_eq!(found, Some(None), "{}: not in this status", r.key);
            } else {
                let id = found.clone().flatten().unwrap_or_else(|| panic!("{}: no ID read back", r.key));
                let place = if id.starts_with("global:") { "global" } else { r.scope.key_prefix() };
                assert!(id.starts_with(&format!("{place}:")), "{}: {id} is another region's", r.key);
                read_back += 1;
            }
            let empty = read(r, &ThreeTierStackStatus::default(), &RegionPairStatus::default());
            assert_eq!(empty, found.map(|_| None), "{}: nothing reported, nothing read", r.key);
        }
        assert!(read_back > 40, "only {read_back} IDs read back");
    }

    #[test]
    fn each_family_is_on_the_seam_at_most_once_and_owns_its_kinds() {
        let mut seen = std::collections::BTreeSet::new();
        for family in ON_THE_SEAM {
            assert!(seen.insert(*family), "{family:?} is registered twice");
            assert!(!family.kinds().is_empty(), "{family:?} owns no kind");
        }
    }
}
