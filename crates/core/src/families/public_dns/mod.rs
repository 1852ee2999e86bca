//! The public DNS family: the records of the customer's public zone (or one
//! the stack creates, `spec.domain.manageZone`) at the names the stack
//! manages (the api's failover pair on the health check, the web alias to
//! the CDN family's distribution, the certificates family's validation
//! CNAMEs), each beside an ownership marker, and the health check on the
//! active region's api load balancer. Records and a health check made by
//! hand are adopted when the spec says so and left in place by teardown.
//! The alarm family watches the health check it uses (`health_check_in_use`).

mod plan;
mod teardown;

use warmstandby_api::{DriftItem, GLOBAL_REGION, RegionRole, ThreeTierStackStatus};

pub use plan::plan_public_dns;
pub use teardown::{plan_dns_teardown, records_left};

use crate::compare::{Fields, list, opt};
use crate::conditions::types;
use crate::families::{Adopted, Neighbours, ResourceFamily};
use crate::family::{Effect, Family, FamilyAction};
use crate::identity::{Claim, Ownership};
use crate::placement::Placement;
use crate::plan::{Place, Plan};
use crate::resource::{ADOPTED, Kind, Resource, Scope, Tier};
use crate::servers::observed::ObservedLoadBalancer;
use crate::validate::ValidatedStack;

/// The public DNS family on the seam.
pub struct PublicDns;

/// The family's plan (its actions are global).
pub type DnsPlan = Plan<(Place, DnsAction)>;

/// What planning the public DNS works from besides its own state.
pub struct DnsInputs<'a> {
    pub desired: &'a DesiredPublicDns,
    pub observed: &'a ObservedPublicDns,
    /// Each region's api load balancer of ours (primary first): the
    /// failover records' targets, the active one's the health check's.
    pub api: [Option<&'a ObservedLoadBalancer>; 2],
    /// The certificates family's validation CNAMEs (name, value).
    pub validation_records: Vec<(String, String)>,
    /// The CDN family's distribution's domain, once ours.
    pub distribution: Option<String>,
    /// The health check the alarm family's alarm watches: a stale one is kept while it does.
    pub alarm_health_check: Option<String>,
}

impl<'a> DnsInputs<'a> {
    /// From what is around the family.
    pub fn of(desired: &'a DesiredPublicDns, observed: &'a ObservedPublicDns, around: &Neighbours<'a>) -> Self {
        let (_, seen) = around.seam;
        DnsInputs {
            desired,
            observed,
            api: around.server_regions().map(|(d, o)| {
                let lb = d.tier("api").and_then(|t| o.balancing.load_balancer(&t.load_balancer_name));
                lb.filter(|lb| lb.claim.is_ours())
            }),
            validation_records: crate::families::certificates::validation_records(&seen.certificates),
            distribution: crate::families::cdn::domain(&seen.cdn),
            alarm_health_check: around.alarm_health_check(),
        }
    }
}

/// The health check the public DNS uses now (the one the alarm family
/// watches): `None` while it is being made or adopted. Only the health
/// check is planned for it, not the records.
pub fn health_check_in_use(
    desired: &DesiredPublicDns,
    observed: &ObservedPublicDns,
    around: &Neighbours<'_>,
) -> Option<String> {
    plan::plan_health_check(&mut DnsPlan::default(), &DnsInputs::of(desired, observed, around))
}

/// CloudFront's fixed hosted zone for alias records.
pub const CLOUDFRONT_ZONE_ID: &str = "Z2FDTNDATAQYW2";
/// TTL of validation CNAMEs and ownership markers.
pub const RECORD_TTL: i64 = 300;

/// What an adopted name's marker carries besides the owner's marker: when
/// it was adopted (`"warmstandby.dev/adopted=<time>"`, TXT-quoted).
pub const ADOPTED_MARKER_PREFIX: &str = "\"warmstandby.dev/adopted=";

/// A marker written by adoption: the records beside it were made by hand.
pub fn is_adopted_marker(marker: &RecordSpec) -> bool {
    marker.values.iter().any(|v| v.starts_with(ADOPTED_MARKER_PREFIX))
}

/// The ownership marker record of a managed record name.
pub fn marker_name(record: &str) -> String {
    format!("_warmstandby.{record}")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordAction {
    Create,
    Upsert,
    Delete,
}

impl RecordAction {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordAction::Create => "CREATE",
            RecordAction::Upsert => "UPSERT",
            RecordAction::Delete => "DELETE",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DnsAction {
    CreatePublicZone {
        name: String,
    },
    DeletePublicZone {
        zone_id: String,
    },
    /// One atomic Route 53 batch.
    ChangeRecords {
        zone_id: String,
        changes: Vec<(RecordAction, RecordSpec)>,
    },
    CreateHealthCheck {
        caller_reference: String,
        name: String,
        config: HealthCheckConfig,
    },
    UpdateHealthCheck {
        id: String,
        config: HealthCheckConfig,
    },
    DeleteHealthCheck {
        id: String,
    },
    /// Tags an existing health check as ours, with the time.
    AdoptHealthCheck {
        id: String,
    },
    /// Leaves an adopted health check checking, untagged.
    ReleaseHealthCheck {
        id: String,
    },
    /// Marks records made by hand at `name` as ours: the ownership TXT
    /// `marker` beside them, with the time of adoption added to it.
    AdoptRecords {
        zone_id: String,
        name: String,
        marker: RecordSpec,
    },
    /// Leaves adopted records in place and deletes only our `marker` beside them.
    ReleaseRecords {
        zone_id: String,
        marker: RecordSpec,
    },
}

impl FamilyAction for DnsAction {
    fn effect(&self) -> (Effect, Kind) {
        match self {
            DnsAction::CreatePublicZone { .. } => (Effect::Create, Kind::PublicHostedZone),
            DnsAction::DeletePublicZone { .. } => (Effect::Delete, Kind::PublicHostedZone),
            DnsAction::ChangeRecords { changes, .. } => {
                let all = |a: RecordAction| changes.iter().all(|(x, _)| *x == a);
                let effect = if all(RecordAction::Create) {
                    Effect::Create
                } else if all(RecordAction::Delete) {
                    Effect::Delete
                } else {
                    Effect::Update
                };
                (effect, Kind::FailoverRecord)
            }
            DnsAction::CreateHealthCheck { .. } => (Effect::Create, Kind::HealthCheck),
            DnsAction::UpdateHealthCheck { .. } => (Effect::Update, Kind::HealthCheck),
            DnsAction::DeleteHealthCheck { .. } => (Effect::Delete, Kind::HealthCheck),
            DnsAction::AdoptHealthCheck { .. } => (Effect::Adopt, Kind::HealthCheck),
            DnsAction::ReleaseHealthCheck { .. } => (Effect::Release, Kind::HealthCheck),
            DnsAction::AdoptRecords { .. } => (Effect::Adopt, Kind::FailoverRecord),
            DnsAction::ReleaseRecords { .. } => (Effect::Release, Kind::FailoverRecord),
        }
    }

    fn count(&self) -> usize {
        match self {
            DnsAction::ChangeRecords { changes, .. } => changes.len().max(1),
            _ => 1,
        }
    }

    fn tier(&self, _scope: &Scope) -> Tier {
        Tier::Global
    }

    fn describe(&self) -> String {
        match self {
            DnsAction::CreatePublicZone { name } => format!("create public zone {name}"),
            DnsAction::DeletePublicZone { zone_id } => format!("delete public zone {zone_id}"),
            DnsAction::ChangeRecords { changes, .. } => format!(
                "change records: {}",
                changes.iter().map(|(a, r)| format!("{} {}", a.as_str(), r.label())).collect::<Vec<_>>().join(", ")
            ),
            DnsAction::CreateHealthCheck { config, .. } => format!("create health check of {}", config.fqdn),
            DnsAction::UpdateHealthCheck { id, .. } => format!("update health check {id}"),
            DnsAction::DeleteHealthCheck { id } => format!("delete health check {id}"),
            DnsAction::AdoptHealthCheck { id } => format!("adopt health check {id}"),
            DnsAction::ReleaseHealthCheck { id } => format!("leave health check {id} checking, untagged (adopted)"),
            DnsAction::AdoptRecords { name, .. } => format!("adopt the records of {name}"),
            DnsAction::ReleaseRecords { marker, .. } => format!(
                "leave the records of {} in place, without our marker (adopted)",
                marker.name.trim_start_matches("_warmstandby.")
            ),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredHealthCheck {
    pub name: String,
    pub https: bool,
    pub port: i32,
    pub path: String,
    pub interval_seconds: i32,
    pub failure_threshold: i32,
    /// An existing health check to adopt (`spec.healthCheck.adopt`), never one to create.
    pub adopt: Option<String>,
}

/// The public zone's names, the health check and who writes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredPublicDns {
    pub zone_name: String,
    pub manage_zone: bool,
    pub api_fqdn: String,
    pub web_fqdn: String,
    pub active: RegionRole,
    /// Both regions' names, primary first (the failover records' set identifiers).
    pub regions: [String; 2],
    /// The owner of the records (the primary region's): their ownership
    /// markers and the health check's caller reference derive from it.
    pub owner: Ownership,
    /// Records made by hand at the api and web names are adopted (`spec.domain.adoptRecords`).
    pub adopt_records: bool,
    pub health_check: DesiredHealthCheck,
}

pub fn desired_public_dns(stack: &ValidatedStack, placement: &Placement) -> DesiredPublicDns {
    let spec = &stack.spec;
    let zone = spec.domain.zone_name.trim_end_matches('.').to_string();
    let (interval, threshold) = match &stack.policy {
        Some(p) => (p.detection.health_check_interval_seconds, p.detection.health_check_failure_threshold),
        None => (spec.health_check.interval_seconds, spec.health_check.failure_threshold),
    };
    DesiredPublicDns {
        api_fqdn: format!("{}.{zone}", spec.domain.api_record),
        web_fqdn: format!("{}.{zone}", spec.domain.web_record),
        zone_name: zone,
        manage_zone: spec.domain.manage_zone,
        adopt_records: spec.domain.adopt_records,
        active: placement.edge_active,
        regions: RegionRole::BOTH.map(|role| stack.pair.region(role).region.clone()),
        owner: Ownership {
            owner: format!("{}/{}", stack.namespace, stack.name),
            uid: stack.uid.clone(),
            region_role: RegionRole::Primary,
        },
        health_check: DesiredHealthCheck {
            name: stack.aws_name("api", 255),
            https: spec.health_check.https,
            port: spec.health_check.port,
            path: spec.health_check.path.clone(),
            interval_seconds: interval,
            failure_threshold: threshold,
            adopt: spec.health_check.adopt.clone(),
        },
    }
}

/// A record set in the public zone. Names have no trailing dot.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RecordSpec {
    pub name: String,
    pub rtype: String,
    pub set_identifier: Option<String>,
    pub failover: Option<String>,
    /// Alias target: (DNS name, hosted zone ID, evaluate target health).
    pub alias: Option<(String, String, bool)>,
    pub health_check_id: Option<String>,
    pub ttl: Option<i64>,
    pub values: Vec<String>,
}

impl RecordSpec {
    /// A plain record of one value (validation CNAMEs, ownership markers).
    pub fn plain(name: impl Into<String>, rtype: &str, ttl: i64, value: impl Into<String>) -> RecordSpec {
        RecordSpec {
            name: name.into(),
            rtype: rtype.into(),
            set_identifier: None,
            failover: None,
            alias: None,
            health_check_id: None,
            ttl: Some(ttl),
            values: vec![value.into()],
        }
    }

    pub fn label(&self) -> String {
        match &self.set_identifier {
            Some(s) => format!("{} {} [{s}]", self.name, self.rtype),
            None => format!("{} {}", self.name, self.rtype),
        }
    }

    pub fn same_set(&self, other: &RecordSpec) -> bool {
        self.name == other.name && self.rtype == other.rtype && self.set_identifier == other.set_identifier
    }

    pub fn fields(&self) -> Fields {
        vec![
            ("failover", opt(&self.failover)),
            (
                "aliasTarget",
                self.alias
                    .as_ref()
                    .map(|(d, z, e)| format!("{}@{z} evaluateTargetHealth={e}", d.trim_end_matches('.').to_lowercase()))
                    .unwrap_or_else(|| "(none)".into()),
            ),
            ("healthCheck", opt(&self.health_check_id)),
            ("ttl", opt(&self.ttl)),
            ("values", list(&self.values)),
        ]
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicZone {
    pub id: String,
    pub name: String,
    /// Created by this stack (`spec.domain.manageZone`).
    pub ours: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthCheckConfig {
    pub fqdn: String,
    pub https: bool,
    pub port: i32,
    pub path: String,
    pub interval_seconds: i32,
    pub failure_threshold: i32,
}

impl HealthCheckConfig {
    pub fn fields(&self) -> Fields {
        vec![
            ("fqdn", self.fqdn.to_lowercase()),
            ("type", if self.https { "HTTPS" } else { "HTTP" }.into()),
            ("port", self.port.to_string()),
            ("path", self.path.clone()),
            ("requestInterval", self.interval_seconds.to_string()),
            ("failureThreshold", self.failure_threshold.to_string()),
        ]
    }

    /// Type and interval cannot be changed on a health check: a new one is needed.
    pub fn immutable_key(&self) -> String {
        format!("{}-{}", if self.https { "https" } else { "http" }, self.interval_seconds)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedHealthCheck {
    pub id: String,
    pub caller_reference: String,
    pub config: HealthCheckConfig,
    /// Read from its tags while `spec.healthCheck.adopt` names it.
    pub claim: Claim,
}

/// The public zone (at the names the stack manages) and the health checks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedPublicDns {
    pub zone: Option<PublicZone>,
    /// Record sets of the public zone at the names the stack manages (and
    /// their ownership markers); other records are not read into the model.
    pub records: Vec<RecordSpec>,
    /// Health checks of this stack (found by caller reference).
    pub health_checks: Vec<ObservedHealthCheck>,
}

impl ObservedPublicDns {
    pub fn records_named(&self, name: &str) -> impl Iterator<Item = &RecordSpec> {
        let name = name.to_lowercase();
        self.records.iter().filter(move |r| r.name == name)
    }
}

impl ObservedPublicDns {
    /// Resources of ours that still exist (a zone we did not create is not
    /// ours): our markers (one per name we manage), a zone we created, our
    /// health checks.
    fn live_count(&self, owner_marker: &str) -> usize {
        let marker_value = format!("\"{owner_marker}\"");
        let markers = self.records.iter().filter(|r| r.rtype == "TXT" && r.values.contains(&marker_value)).count();
        markers
            + usize::from(self.zone.as_ref().is_some_and(|z| z.ours))
            + self.health_checks.iter().filter(|h| h.claim.is_ours()).count()
    }
}

impl ResourceFamily for PublicDns {
    const FAMILY: Family = Family::PublicDns;
    type Desired = DesiredPublicDns;
    type Observed = ObservedPublicDns;
    type Action = DnsAction;

    /// The public zone and the health check (the records are named by the zone).
    fn live_id(r: &Resource, status: &ThreeTierStackStatus) -> Option<Option<String>> {
        if super::regional(r, status).is_some() {
            return None;
        }
        let g = status.global.as_ref();
        match r.kind {
            Kind::PublicHostedZone => Some(g.and_then(|g| g.public_zone_id.clone())),
            Kind::HealthCheck => Some(g.and_then(|g| g.health_check_id.clone())),
            _ => None,
        }
    }

    fn desired(stack: &ValidatedStack, placement: &Placement) -> DesiredPublicDns {
        desired_public_dns(stack, placement)
    }

    /// The zone, the health check, the api's failover pair and the web
    /// alias, appended after the regions' resources (the certificates
    /// family places its validation records after the zone, the CDN family
    /// its distribution before the alias).
    fn topology(g: &DesiredPublicDns, out: &mut Vec<Resource>) {
        let scope = Scope::Global;
        let key = |role: RegionRole, component: &str| format!("{}/{component}", role.as_str());
        let active = g.active;
        out.push(Resource::new(&scope, "public-zone", Kind::PublicHostedZone, g.zone_name.clone()).prop(
            "managed",
            if g.manage_zone { "created and deleted with the stack" } else { "must exist; only written to" },
        ));
        let hc = &g.health_check;
        // Named for adoption (a health check by ID; records made by hand, adopted where they exist).
        let adopted = |r: Resource, yes: bool, field: &str| if yes { r.prop(ADOPTED, field) } else { r };
        let check =
            Resource::new(&scope, "health-check/api", Kind::HealthCheck, hc.adopt.clone().unwrap_or(hc.name.clone()))
                .prop("target", format!("{} api load balancer", active))
                .prop("protocol", if hc.https { "HTTPS" } else { "HTTP" })
                .prop("port", hc.port)
                .prop("path", &hc.path)
                .prop("intervalSeconds", hc.interval_seconds)
                .prop("failureThreshold", hc.failure_threshold)
                .dep(key(active, "load-balancer/api"));
        out.push(adopted(check, hc.adopt.is_some(), "spec.healthCheck.adopt"));
        for (record, role) in [("PRIMARY", active), ("SECONDARY", active.other())] {
            let mut r = Resource::new(
                &scope,
                &format!("failover-record/api-{}", record.to_lowercase()),
                Kind::FailoverRecord,
                g.api_fqdn.clone(),
            )
            .prop("type", "A alias")
            .prop("failover", record)
            .prop("target", format!("{role} api load balancer ({})", g.regions[role.index()]))
            .prop("evaluateTargetHealth", true)
            .dep("global/public-zone")
            .dep(key(role, "load-balancer/api"));
            if record == "PRIMARY" {
                r = r.prop("healthCheck", "health-check/api").dep("global/health-check/api");
            }
            out.push(adopted(r, g.adopt_records, "spec.domain.adoptRecords"));
        }
        let web = Resource::new(&scope, "alias-record/web", Kind::AliasRecord, g.web_fqdn.clone())
            .prop("type", "A alias")
            .prop("target", "distribution")
            .dep("global/public-zone")
            .dep("global/distribution");
        out.push(adopted(web, g.adopt_records, "spec.domain.adoptRecords"));
    }

    /// Over the api load balancers (the load balancing family's), with the certificates
    /// family's validation records, the CDN family's distribution and the
    /// health check the alarm family watches.
    fn plan(desired: &DesiredPublicDns, observed: &ObservedPublicDns, around: &Neighbours<'_>) -> DnsPlan {
        let mut plan = DnsPlan::default();
        plan_public_dns(&mut plan, &DnsInputs::of(desired, observed, around));
        plan
    }

    /// A health check goes after the alarm (the alarm family's) that watches it.
    fn teardown(desired: &DesiredPublicDns, observed: &ObservedPublicDns, around: &Neighbours<'_>) -> DnsPlan {
        plan_dns_teardown(desired, observed, around.seam.1.alarm.is_some())
    }

    /// `DnsReady`: the zone, the health check (ours), both failover records
    /// and the web alias exist, and so does the alarm the spec asks for.
    fn verdict(
        g: &DesiredPublicDns,
        og: &ObservedPublicDns,
        around: &Neighbours<'_>,
        drift: &[DriftItem],
    ) -> Vec<crate::servers::status::Family> {
        let mut dns = Vec::new();
        if og.zone.is_none() {
            dns.push(format!("public zone {} not found", g.zone_name));
        }
        if let Some(h) = og.health_checks.iter().find(|h| !h.claim.is_ours()) {
            dns.push(format!("health check {} is not adopted yet", h.id));
        } else if og.health_checks.is_empty() {
            dns.push("no health check yet".into());
        }
        let api = og.records_named(&g.api_fqdn).filter(|r| r.failover.is_some()).count();
        if api < 2 {
            dns.push(format!("{} has {api} of 2 failover records", g.api_fqdn));
        }
        if og.records_named(&g.web_fqdn).all(|r| r.alias.is_none()) {
            dns.push(format!("{} has no alias record yet", g.web_fqdn));
        }
        // The alarm family's alarm is reported here, with its drift.
        if around.alarm_missing() {
            dns.push("no health check alarm yet".into());
        }
        vec![crate::servers::status::verdict(types::DNS_READY, dns, drift, &["Record", "HealthCheck", "Alarm"])]
    }

    /// The zone's and the health check's IDs, and the web and api endpoints
    /// (CloudFront's as the web alias names it).
    fn status(
        g: &DesiredPublicDns,
        o: &ObservedPublicDns,
        _around: &Neighbours<'_>,
        status: &mut ThreeTierStackStatus,
    ) {
        let global = status.global.get_or_insert_default();
        global.public_zone_id = o.zone.as_ref().map(|z| z.id.clone());
        // Ours only: a record made by hand may name a check not (yet) adopted.
        global.health_check_id = o
            .records_named(&g.api_fqdn)
            .find_map(|r| r.health_check_id.clone())
            .filter(|id| o.health_checks.iter().any(|h| h.id == *id && h.claim.is_ours()))
            .or_else(|| o.health_checks.iter().find(|h| h.claim.is_ours()).map(|h| h.id.clone()));
        let endpoints = status.endpoints.get_or_insert_default();
        endpoints.web = format!("https://{}", g.web_fqdn);
        endpoints.api = format!("https://{}", g.api_fqdn);
        let aliased = o
            .records_named(&g.web_fqdn)
            .find_map(|r| r.alias.as_ref().filter(|(_, z, _)| z == CLOUDFRONT_ZONE_ID).map(|(d, _, _)| d.clone()));
        // Else the distribution's own (the CDN family's).
        if aliased.is_some() {
            endpoints.cloudfront = aliased;
        }
    }

    /// An adopted health check, and the names whose records were adopted
    /// (their markers carry the time).
    fn adopted(g: &DesiredPublicDns, o: &ObservedPublicDns) -> Vec<Adopted> {
        let global = GLOBAL_REGION.to_string();
        let mut out: Vec<Adopted> = o
            .health_checks
            .iter()
            .filter_map(|h| {
                h.claim.adopted_at().map(|at| Adopted {
                    region: global.clone(),
                    kind: Kind::HealthCheck,
                    id: h.id.clone(),
                    at: at.to_string(),
                })
            })
            .collect();
        for m in o.records.iter().filter(|r| r.rtype == "TXT") {
            let at = m.values.iter().find_map(|v| v.strip_prefix(ADOPTED_MARKER_PREFIX));
            let name = m.name.trim_start_matches("_warmstandby.");
            let kind = if name == g.web_fqdn { Kind::AliasRecord } else { Kind::FailoverRecord };
            if let Some(at) = at {
                out.push(Adopted {
                    region: global.clone(),
                    kind,
                    id: name.to_string(),
                    at: at.trim_end_matches('"').to_string(),
                });
            }
        }
        out
    }

    fn live_count(desired: &DesiredPublicDns, observed: &ObservedPublicDns) -> usize {
        observed.live_count(&desired.owner.owner_marker())
    }
}

#[cfg(test)]
mod tests;
