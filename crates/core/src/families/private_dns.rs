//! The private DNS family: in each region, a private hosted zone in the
//! region's VPC and the CNAME that names the region's database endpoint
//! (`<recordName>.<zoneName>`), so the application's host name follows the
//! writer across failovers. A zone `spec.database.privateDns.adopt` names is
//! adopted (refused by field when missing, of another name or VPC, or
//! someone else's) and left in place by teardown.

use warmstandby_api::{DriftItem, RegionRole, ThreeTierStackStatus};

use crate::families::{Adopted, Neighbours, ResourceFamily};
use crate::family::{Effect, Family, FamilyAction};
use crate::placement::Placement;
use crate::plan::{Place, Plan};
use crate::resource::{ADOPTED, Kind, Resource, Scope};
use crate::validate::ValidatedStack;

/// The private DNS family on the seam.
pub struct PrivateDns;

/// One region's zone and record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredPrivateZone {
    pub role: RegionRole,
    pub region: String,
    /// `spec.database.privateDns.zoneName`.
    pub zone: String,
    /// An existing private zone to adopt (`spec.database.privateDns.adopt`), by ID.
    pub adopt: Option<String>,
    /// `<recordName>.<zoneName>`.
    pub record: String,
}

pub fn desired_zone(stack: &ValidatedStack, role: RegionRole) -> DesiredPrivateZone {
    let dns = &stack.spec.database.private_dns;
    DesiredPrivateZone {
        role,
        region: stack.pair.region(role).region.clone(),
        zone: dns.zone_name.clone(),
        adopt: dns
            .adopt
            .as_ref()
            .map(|a| if role == RegionRole::Primary { a.primary.clone() } else { a.standby.clone() }),
        record: format!("{}.{}", dns.record_name, dns.zone_name),
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedZone {
    pub id: String,
    pub name: String,
    /// `None` when the zone was read by its known ID: a private zone can
    /// never lose its last VPC, so the association made at creation holds.
    pub vpc_ids: Option<Vec<String>>,
    /// The CNAME to the database, when present: (record name, value).
    pub record: Option<(String, String)>,
    /// Read from its tags when `spec.database.privateDns.adopt` names it.
    pub claim: crate::identity::Claim,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrivateDnsAction {
    CreatePrivateZone {
        name: String,
        vpc_id: String,
        component: String,
    },
    UpsertRecord {
        zone_id: String,
        name: String,
        value: String,
    },
    DeleteRecord {
        zone_id: String,
        name: String,
        value: String,
    },
    DeletePrivateZone {
        zone_id: String,
    },
    /// Tags an existing private zone as ours, with the time.
    AdoptPrivateZone {
        zone_id: String,
        name: String,
    },
    /// Leaves an adopted zone (and the record in it) in place, untagged.
    ReleasePrivateZone {
        zone_id: String,
        name: String,
    },
}

impl FamilyAction for PrivateDnsAction {
    fn effect(&self) -> (Effect, Kind) {
        use PrivateDnsAction as A;
        match self {
            A::CreatePrivateZone { .. } => (Effect::Create, Kind::PrivateHostedZone),
            A::UpsertRecord { .. } => (Effect::Update, Kind::PrivateDnsRecord),
            A::DeleteRecord { .. } => (Effect::Delete, Kind::PrivateDnsRecord),
            A::DeletePrivateZone { .. } => (Effect::Delete, Kind::PrivateHostedZone),
            A::AdoptPrivateZone { .. } => (Effect::Adopt, Kind::PrivateHostedZone),
            A::ReleasePrivateZone { .. } => (Effect::Release, Kind::PrivateHostedZone),
        }
    }

    fn describe(&self) -> String {
        match self {
            PrivateDnsAction::CreatePrivateZone { name, .. } => format!("create private zone {name}"),
            PrivateDnsAction::UpsertRecord { name, value, .. } => format!("point {name} at {value}"),
            PrivateDnsAction::DeleteRecord { name, .. } => format!("delete record {name}"),
            PrivateDnsAction::DeletePrivateZone { zone_id } => format!("delete private zone {zone_id}"),
            PrivateDnsAction::AdoptPrivateZone { zone_id, name } => format!("adopt private zone {name} ({zone_id})"),
            PrivateDnsAction::ReleasePrivateZone { zone_id, name } => {
                format!("leave private zone {name} ({zone_id}) in place, untagged (adopted)")
            }
        }
    }
}

/// One region's private zone and the CNAME to its database's `endpoint`,
/// in its VPC (`vpc_id`).
pub fn plan_private_zone(
    d: &DesiredPrivateZone,
    zones: &[ObservedZone],
    vpc_id: &str,
    endpoint: Option<&str>,
) -> Plan<(Place, PrivateDnsAction)> {
    let mut plan = Plan::default();
    let region = d.region.as_str();
    let at = Place::Region(d.role);
    let zone = zones.iter().find(|z| z.name.trim_end_matches('.') == d.zone);
    if let Some(id) = &d.adopt {
        let role = d.role.as_str();
        let field = format!("spec.database.privateDns.adopt.{role}");
        let found = zones.iter().find(|z| z.id == *id);
        let refusal = match found {
            None => Some(format!("{field}: there is no private zone {id}; nothing is created in its place")),
            Some(z) if z.name.trim_end_matches('.') != d.zone.trim_end_matches('.') => Some(format!(
                "{field}: zone {id} is {}, the spec's zoneName is {}",
                z.name.trim_end_matches('.'),
                d.zone
            )),
            Some(z) if z.vpc_ids.as_ref().is_some_and(|v| !v.iter().any(|x| x == vpc_id)) => {
                Some(format!("{field}: zone {id} is not associated with {region}'s VPC {}", vpc_id))
            }
            Some(z) => match &z.claim {
                crate::identity::Claim::Foreign { other_owner: Some(owner) } => {
                    Some(format!("{field}: zone {id} is managed by {owner}; it is left alone"))
                }
                _ => None,
            },
        };
        if let Some(refusal) = refusal {
            plan.blocked.push(refusal);
            return plan;
        }
        if let Some(z) = found.filter(|z| !z.claim.is_ours()) {
            plan.push(at, PrivateDnsAction::AdoptPrivateZone { zone_id: z.id.clone(), name: d.zone.clone() });
            return plan;
        }
    }
    match zone {
        None => plan.push(
            at,
            PrivateDnsAction::CreatePrivateZone {
                name: d.zone.clone(),
                vpc_id: vpc_id.to_string(),
                component: "private-zone".into(),
            },
        ),
        Some(z) => {
            if let Some(vpc_ids) = &z.vpc_ids
                && !vpc_ids.iter().any(|x| x == vpc_id)
            {
                plan.drift.push(DriftItem::new(region, "PrivateHostedZone", &z.id, "vpc", vpc_id, vpc_ids.join(",")));
                plan.blocked.push(format!("private zone {} is not associated with {}", z.id, vpc_id));
            }
            if let Some(endpoint) = endpoint.map(str::to_string) {
                match &z.record {
                    Some((_, value)) if value.trim_end_matches('.') == endpoint => {}
                    Some((_, value)) => {
                        plan.drift.push(DriftItem::new(
                            region,
                            "PrivateDnsRecord",
                            &d.record,
                            "value",
                            &endpoint,
                            value,
                        ));
                        plan.push(
                            at,
                            PrivateDnsAction::UpsertRecord {
                                zone_id: z.id.clone(),
                                name: d.record.clone(),
                                value: endpoint,
                            },
                        );
                    }
                    None => plan.push(
                        at,
                        PrivateDnsAction::UpsertRecord {
                            zone_id: z.id.clone(),
                            name: d.record.clone(),
                            value: endpoint,
                        },
                    ),
                }
            }
        }
    }
    plan
}

/// One region's teardown: the record, then the zone; an adopted zone is
/// left in place, untagged, with its record.
pub fn plan_private_zone_teardown(role: RegionRole, zones: &[ObservedZone]) -> Plan<(Place, PrivateDnsAction)> {
    let mut plan = Plan::default();
    let at = Place::Region(role);
    for z in zones.iter().filter(|z| z.claim.is_ours()) {
        if z.claim.adopted_at().is_some() {
            plan.push(at, PrivateDnsAction::ReleasePrivateZone { zone_id: z.id.clone(), name: z.name.clone() });
            continue;
        }
        match &z.record {
            Some((name, value)) => plan.push(
                at,
                PrivateDnsAction::DeleteRecord { zone_id: z.id.clone(), name: name.clone(), value: value.clone() },
            ),
            None => plan.push(at, PrivateDnsAction::DeletePrivateZone { zone_id: z.id.clone() }),
        }
    }
    plan
}

/// Both regions' plans, primary first.
fn both(
    desired: &[DesiredPrivateZone; 2],
    each: impl Fn(&DesiredPrivateZone, usize) -> Plan<(Place, PrivateDnsAction)>,
) -> Plan<(Place, PrivateDnsAction)> {
    let mut plan = Plan::default();
    for (i, d) in desired.iter().enumerate() {
        plan.append(each(d, i));
    }
    plan
}

impl ResourceFamily for PrivateDns {
    const FAMILY: Family = Family::PrivateDns;
    type Desired = [DesiredPrivateZone; 2];
    /// Per region (primary first): the zone found (by our caller reference,
    /// the last status's ID, or the ID the spec adopts).
    type Observed = [Vec<ObservedZone>; 2];
    type Action = PrivateDnsAction;

    /// The zone's ID (its record is named by it).
    fn live_id(r: &Resource, status: &ThreeTierStackStatus) -> Option<Option<String>> {
        let st = super::regional(r, status)?;
        (r.kind == Kind::PrivateHostedZone).then(|| st.and_then(|s| s.private_zone_id.clone()))
    }

    fn desired(stack: &ValidatedStack, _placement: &Placement) -> [DesiredPrivateZone; 2] {
        RegionRole::BOTH.map(|role| desired_zone(stack, role))
    }

    /// Each region's, just after its database, whose endpoint the record names.
    fn topology(desired: &[DesiredPrivateZone; 2], out: &mut Vec<Resource>) {
        for d in desired {
            let scope = Scope::Region { role: d.role, region: d.region.clone() };
            let key = |component: &str| format!("{}/{component}", d.role.as_str());
            let zone = Resource::new(&scope, "private-zone", Kind::PrivateHostedZone, d.zone.clone())
                .prop("vpc", "this region's VPC")
                .dep(key("vpc"));
            let zone = match &d.adopt {
                Some(id) => zone.prop(ADOPTED, "spec.database.privateDns.adopt").prop("zoneId", id),
                None => zone,
            };
            let record = Resource::new(&scope, "private-record/db", Kind::PrivateDnsRecord, d.record.clone())
                .prop("type", "CNAME")
                .prop("value", "this region's database endpoint")
                .dep(key("private-zone"))
                .dep(key("db-instance"));
            let db = key("db-instance");
            let at = out.iter().position(|r| r.key == db).map_or(out.len(), |i| i + 1);
            out.insert(at, record);
            out.insert(at, zone);
        }
    }

    /// In the region's VPC (the networks'), to its database's endpoint (the
    /// data tier's).
    fn plan(
        desired: &[DesiredPrivateZone; 2],
        observed: &[Vec<ObservedZone>; 2],
        around: &Neighbours<'_>,
    ) -> Plan<(Place, PrivateDnsAction)> {
        let Some(nets) = around.nets else { return Plan::default() };
        both(desired, |d, i| {
            let (data, seen) = around.database(i);
            let db = seen.databases.iter().find(|x| x.identifier == data.db_identifier);
            plan_private_zone(d, &observed[i], &nets[i].vpc_id, db.and_then(|x| x.endpoint.as_deref()))
        })
    }

    fn teardown(
        desired: &[DesiredPrivateZone; 2],
        observed: &[Vec<ObservedZone>; 2],
        _around: &Neighbours<'_>,
    ) -> Plan<(Place, PrivateDnsAction)> {
        both(desired, |d, i| plan_private_zone_teardown(d.role, &observed[i]))
    }

    /// Each region's `privateZoneId`.
    fn status(
        _desired: &[DesiredPrivateZone; 2],
        observed: &[Vec<ObservedZone>; 2],
        _around: &Neighbours<'_>,
        status: &mut ThreeTierStackStatus,
    ) {
        let [primary, standby] = observed;
        status.primary.get_or_insert_default().private_zone_id = primary.first().map(|z| z.id.clone());
        status.standby.get_or_insert_default().private_zone_id = standby.first().map(|z| z.id.clone());
    }

    fn adopted(desired: &[DesiredPrivateZone; 2], observed: &[Vec<ObservedZone>; 2]) -> Vec<Adopted> {
        let mut out = Vec::new();
        for (d, zones) in desired.iter().zip(observed) {
            for z in zones {
                if let Some(at) = z.claim.adopted_at() {
                    out.push(Adopted {
                        region: d.region.clone(),
                        kind: Kind::PrivateHostedZone,
                        id: z.id.clone(),
                        at: at.to_string(),
                    });
                }
            }
        }
        out
    }

    fn live_count(_desired: &[DesiredPrivateZone; 2], observed: &[Vec<ObservedZone>; 2]) -> usize {
        observed.iter().flatten().filter(|z| z.claim.is_ours()).count()
    }
}

#[cfg(test)]
#[path = "private_dns_tests.rs"]
mod tests;
