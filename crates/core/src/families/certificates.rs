//! The certificates family: ACM certificates validated by DNS, one per
//! region of the pair (the HTTPS listeners serve it) and, when no region of
//! the pair is us-east-1, CloudFront's own there. The stack requests
//! `*.<zone>`; one `spec.domain.adoptCertificates` names is adopted instead
//! (refused by field when missing, someone else's, not covering the names
//! the stack serves, or neither issued nor pending). Its validation CNAMEs
//! are written into the public zone by the public DNS family, which takes
//! them from here (`validation_records`), as the listeners and the
//! distribution take the issued ARNs (`issued`, `for_cloudfront`).
//! Teardown deletes a certificate once nothing of ours uses it, and
//! releases an adopted one or one that something left in place serves.

use warmstandby_api::{DriftItem, GLOBAL_REGION, RegionRole, ThreeTierStackStatus};

use crate::conditions::types;
use crate::families::{Adopted, Neighbours, ResourceFamily};
use crate::family::{Effect, Family, FamilyAction};
use crate::identity::Claim;
use crate::placement::Placement;
use crate::plan::{Place, Plan};
use crate::resource::{ADOPTED, Kind, Resource, Scope};
use crate::validate::ValidatedStack;

/// The certificates family on the seam.
pub struct Certificates;

/// A certificate the stack requests, or one it adopts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertificateChoice {
    /// The ARN `spec.domain.adoptCertificates` gives, and its field.
    pub adopt: Option<(String, &'static str)>,
    /// The names it serves (the api and web names), which an adopted one
    /// must cover.
    pub serves: Vec<String>,
}

/// Where CloudFront's certificate (always in us-east-1) comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloudFrontCertificate {
    /// The regional certificate of the region that is us-east-1.
    Regional(RegionRole),
    /// A certificate of its own in us-east-1.
    Own,
}

/// One certificate the stack needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredCertificate {
    /// A region of the pair, or `Place::Global` for CloudFront's own.
    pub place: Place,
    /// Its region's name (us-east-1 for CloudFront's own).
    pub region: String,
    /// `*.<zone>`: what the stack requests.
    pub domain: String,
    pub choice: CertificateChoice,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredCertificates {
    /// Primary first.
    pub regions: [DesiredCertificate; 2],
    /// Where CloudFront's certificate comes from.
    pub cloudfront_source: CloudFrontCertificate,
    /// CloudFront's own (`cloudfront_source` is `Own`).
    pub cloudfront: Option<DesiredCertificate>,
}

impl DesiredCertificates {
    /// Each certificate the stack needs with where it lives, the regions'
    /// first.
    pub fn all(&self) -> impl Iterator<Item = &DesiredCertificate> {
        self.regions.iter().chain(&self.cloudfront)
    }
}

/// What ACM shows: each region's certificate (primary first) and CloudFront's own.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedCertificates {
    pub regions: [Option<ObservedCertificate>; 2],
    pub cloudfront: Option<ObservedCertificate>,
}

impl ObservedCertificates {
    /// The one found at `place`.
    pub fn at(&self, place: Place) -> Option<&ObservedCertificate> {
        match place {
            Place::Region(role) => self.regions[role.index()].as_ref(),
            Place::Global => self.cloudfront.as_ref(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedCertificate {
    pub arn: String,
    pub domain: String,
    /// `PENDING_VALIDATION`, `ISSUED`, `FAILED`, ...
    pub status: String,
    /// DNS validation CNAMEs: (name, value), names without the trailing dot.
    pub validation: Vec<(String, String)>,
    /// Its domain and subject alternative names.
    pub names: Vec<String>,
    /// Read from its tags when `spec.domain.adoptCertificates` names it.
    pub claim: Claim,
}

impl ObservedCertificate {
    pub fn is_issued(&self) -> bool {
        self.status == "ISSUED"
    }

    /// Whether it serves `name`: one of its names is `name`, or a wildcard
    /// over `name`'s first label (ACM's wildcards cover one label).
    pub fn covers(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        self.names.iter().map(|n| n.trim_end_matches('.').to_ascii_lowercase()).any(|n| {
            n == name
                || n.strip_prefix("*.").is_some_and(|parent| name.split_once('.').is_some_and(|(_, p)| p == parent))
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertificateAction {
    RequestCertificate {
        domain: String,
    },
    DeleteCertificate {
        arn: String,
    },
    /// Takes an existing certificate (`spec.domain.adoptCertificates`) as ours: tags it.
    AdoptCertificate {
        arn: String,
    },
    /// Leaves ours in place, untagged: an adopted one, or one an adopted
    /// listener or distribution kept on deletion uses.
    ReleaseCertificate {
        arn: String,
    },
}

impl FamilyAction for CertificateAction {
    fn effect(&self) -> (Effect, Kind) {
        let effect = match self {
            CertificateAction::RequestCertificate { .. } => Effect::Create,
            CertificateAction::DeleteCertificate { .. } => Effect::Delete,
            CertificateAction::AdoptCertificate { .. } => Effect::Adopt,
            CertificateAction::ReleaseCertificate { .. } => Effect::Release,
        };
        (effect, Kind::Certificate)
    }

    fn describe(&self) -> String {
        match self {
            CertificateAction::RequestCertificate { domain } => format!("request certificate {domain}"),
            CertificateAction::DeleteCertificate { arn } => format!("delete certificate {arn}"),
            CertificateAction::AdoptCertificate { arn } => format!("adopt certificate {arn}"),
            CertificateAction::ReleaseCertificate { arn } => format!("leave certificate {arn} in place, untagged"),
        }
    }
}

/// The family's plan: each action with where it runs.
pub type CertificatePlan = Plan<(Place, CertificateAction)>;

/// The certificate of `role`'s region (`None`: CloudFront's own).
fn certificate_choice(spec: &warmstandby_api::ThreeTierStackSpec, role: Option<RegionRole>) -> CertificateChoice {
    let zone = spec.domain.zone_name.trim_end_matches('.');
    let adopt = spec.domain.adopt_certificates.as_ref().and_then(|a| match role {
        Some(RegionRole::Primary) => a.primary.clone().map(|arn| (arn, "spec.domain.adoptCertificates.primary")),
        Some(RegionRole::Standby) => a.standby.clone().map(|arn| (arn, "spec.domain.adoptCertificates.standby")),
        None => a.cloud_front.clone().map(|arn| (arn, "spec.domain.adoptCertificates.cloudFront")),
    });
    let serves = [&spec.domain.api_record, &spec.domain.web_record].map(|r| format!("{r}.{zone}")).to_vec();
    CertificateChoice { adopt, serves }
}

pub fn desired_certificates(stack: &ValidatedStack) -> DesiredCertificates {
    let spec = &stack.spec;
    let domain = format!("*.{}", spec.domain.zone_name.trim_end_matches('.'));
    let regions = RegionRole::BOTH.map(|role| DesiredCertificate {
        place: Place::Region(role),
        region: stack.pair.region(role).region.clone(),
        domain: domain.clone(),
        choice: certificate_choice(spec, Some(role)),
    });
    let cloudfront_source = cloudfront_certificate(stack);
    let cloudfront = (cloudfront_source == CloudFrontCertificate::Own).then(|| DesiredCertificate {
        place: Place::Global,
        region: GLOBAL_REGION.to_string(),
        domain,
        choice: certificate_choice(spec, None),
    });
    DesiredCertificates { regions, cloudfront_source, cloudfront }
}

/// CloudFront takes its certificate from us-east-1: the regional one when
/// a region of the pair is us-east-1, else one of its own there.
pub fn cloudfront_certificate(stack: &ValidatedStack) -> CloudFrontCertificate {
    RegionRole::BOTH
        .into_iter()
        .find(|r| stack.pair.region(*r).region == GLOBAL_REGION)
        .map(CloudFrontCertificate::Regional)
        .unwrap_or(CloudFrontCertificate::Own)
}

/// The ARN of the certificate of ours at `place` once it is issued (what a
/// region's HTTPS listeners serve).
pub fn issued(observed: &ObservedCertificates, place: Place) -> Option<String> {
    observed.at(place).filter(|c| c.claim.is_ours() && c.is_issued()).map(|c| c.arn.clone())
}

/// The ARN of the certificate CloudFront serves, once ours and issued.
pub fn for_cloudfront(desired: &DesiredCertificates, observed: &ObservedCertificates) -> Option<String> {
    issued(observed, cloudfront_place(desired))
}

/// Where CloudFront's certificate lives.
pub fn cloudfront_place(desired: &DesiredCertificates) -> Place {
    match desired.cloudfront_source {
        CloudFrontCertificate::Regional(role) => Place::Region(role),
        CloudFrontCertificate::Own => Place::Global,
    }
}

/// The topology keys of the certificate at `place` and, for one the stack
/// requests, its validation record: what serves it waits for both.
pub fn serving_keys(desired: &DesiredCertificates, place: Place) -> Vec<String> {
    let Some(d) = desired.all().find(|d| d.place == place) else { return Vec::new() };
    let (certificate, validation) = match place {
        Place::Region(role) => (
            format!("{}/certificate/wildcard", role.as_str()),
            format!("global/certificate-validation/{}", role.as_str()),
        ),
        Place::Global => {
            ("global/certificate/cloudfront".to_string(), "global/certificate-validation/cloudfront".to_string())
        }
    };
    if d.choice.adopt.is_some() { vec![certificate] } else { vec![certificate, validation] }
}

/// The DNS validation CNAMEs (name, value) of the certificates the stack
/// requested, each name once: an adopted one's are its owner's.
pub fn validation_records(observed: &ObservedCertificates) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let requested = observed.regions.iter().chain([&observed.cloudfront]).flatten();
    for c in requested.filter(|c| c.claim == Claim::Created) {
        for (name, value) in &c.validation {
            let name = name.trim_end_matches('.').to_lowercase();
            if !out.iter().any(|(n, _)| *n == name) {
                out.push((name, value.trim_end_matches('.').to_string()));
            }
        }
    }
    out
}

/// Plans adopting the certificate `choice` names. `None`: it names none, or
/// it is ours already, so it is planned like one we requested; `Some(())`:
/// not usable yet (adopted now, or refused with the field and the reason,
/// and nothing requested in its place).
fn plan_adoption(
    plan: &mut CertificatePlan,
    d: &DesiredCertificate,
    found: Option<&ObservedCertificate>,
) -> Option<()> {
    let (arn, field) = d.choice.adopt.as_ref()?;
    let refuse = |why: String| format!("{field}: certificate {arn} {why}; nothing is requested in its place");
    let c = match found {
        None => {
            plan.blocked.push(refuse(format!("is not in ACM in {}", d.region)));
            return Some(());
        }
        Some(c) if c.claim.is_ours() => return None,
        Some(c) => c,
    };
    let uncovered: Vec<&str> = d.choice.serves.iter().map(String::as_str).filter(|n| !c.covers(n)).collect();
    if let Claim::Foreign { other_owner: Some(owner) } = &c.claim {
        plan.blocked.push(format!("{field}: certificate {arn} is managed by {owner}; it is left alone"));
    } else if !uncovered.is_empty() {
        plan.blocked.push(refuse(format!(
            "covers {} but not {}, which the stack serves",
            c.names.join(", "),
            uncovered.join(", ")
        )));
    } else if !matches!(c.status.as_str(), "ISSUED" | "PENDING_VALIDATION") {
        plan.blocked.push(refuse(format!("is {}; only an issued or pending one can serve", c.status)));
    } else {
        plan.push(d.place, CertificateAction::AdoptCertificate { arn: arn.clone() });
    }
    Some(())
}

/// A region's certificate: requested, adopted, or waited for.
/// `listened_with`: a certificate a listener of the region still names.
pub fn plan_regional(
    d: &DesiredCertificate,
    found: Option<&ObservedCertificate>,
    listened_with: Option<&str>,
) -> CertificatePlan {
    let mut plan = CertificatePlan::default();
    let region = d.region.as_str();
    if plan_adoption(&mut plan, d, found).is_some() {
        return plan;
    }
    match found {
        None => {
            // A listener still naming a certificate: ours was deleted out of band.
            if let Some(arn) = listened_with {
                plan.drift.push(DriftItem::new(region, "Certificate", arn, "present", "present", "missing"));
            }
            plan.push(d.place, CertificateAction::RequestCertificate { domain: d.domain.clone() });
        }
        Some(c) if c.is_issued() => {}
        Some(c) if c.status == "PENDING_VALIDATION" => {
            plan.waiting.push(format!("certificate {} in {region} is waiting for DNS validation", c.domain))
        }
        Some(c) => plan
            .blocked
            .push(format!("certificate {} in {region} is {}; delete it to request a new one", c.arn, c.status)),
    }
    plan
}

/// CloudFront's own certificate in us-east-1.
pub fn plan_cloudfront(d: &DesiredCertificate, found: Option<&ObservedCertificate>) -> CertificatePlan {
    let mut plan = CertificatePlan::default();
    if plan_adoption(&mut plan, d, found).is_some() {
        return plan;
    }
    match found {
        None => plan.push(d.place, CertificateAction::RequestCertificate { domain: d.domain.clone() }),
        Some(c) if !c.is_issued() => {
            plan.waiting.push(format!("CloudFront's certificate in {GLOBAL_REGION} is {}", c.status))
        }
        Some(_) => {}
    }
    plan
}

/// What the rest of the stack does with our certificates at teardown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InUse {
    /// Per region (primary first): listeners of ours are left (they serve it).
    pub listeners_left: [bool; 2],
    /// The distribution of ours is left (it serves the CloudFront one, and
    /// a regional one is kept with it).
    pub distribution_left: bool,
    /// Certificates that what a deletion leaves in place serves (an
    /// adopted tier's listeners, a kept distribution): released with it.
    pub kept: Vec<String>,
}

/// Deleting ours once nothing of ours uses it; releasing an adopted one,
/// or one that something left in place serves.
pub fn plan_certificate_teardown(observed: &ObservedCertificates, in_use: &InUse) -> CertificatePlan {
    let mut plan = CertificatePlan::default();
    for role in RegionRole::BOTH {
        let Some(c) = observed.regions[role.index()].as_ref().filter(|c| c.claim.is_ours()) else { continue };
        let at = Place::Region(role);
        if in_use.kept.contains(&c.arn) || c.claim.adopted_at().is_some() {
            plan.push(at, CertificateAction::ReleaseCertificate { arn: c.arn.clone() });
        } else if !in_use.listeners_left[role.index()] && !in_use.distribution_left {
            plan.push(at, CertificateAction::DeleteCertificate { arn: c.arn.clone() });
        }
    }
    match (observed.cloudfront.as_ref().filter(|c| c.claim.is_ours()), in_use.distribution_left) {
        (Some(c), _) if in_use.kept.contains(&c.arn) || c.claim.adopted_at().is_some() => {
            plan.push(Place::Global, CertificateAction::ReleaseCertificate { arn: c.arn.clone() })
        }
        (Some(c), false) => plan.push(Place::Global, CertificateAction::DeleteCertificate { arn: c.arn.clone() }),
        _ => {}
    }
    plan
}

/// What the edge around does with our certificates at teardown.
fn in_use(around: &Neighbours<'_>) -> InUse {
    let distribution = around.distribution();
    let mut kept = Vec::new();
    for (_, o) in around.server_regions() {
        kept.extend(o.kept_references().certificates);
    }
    // An adopted distribution (the CDN family's) stays serving, with the certificate of ours it uses.
    kept.extend(distribution.iter().filter(|d| d.claim != Claim::Created).map(|d| d.spec.certificate_arn.clone()));
    InUse {
        listeners_left: around
            .seam
            .1
            .load_balancing
            .each_ref()
            .map(|o| o.listeners.iter().any(|l| l.claim == Claim::Created)),
        distribution_left: distribution.is_some_and(|d| d.claim == Claim::Created),
        kept,
    }
}

impl ResourceFamily for Certificates {
    const FAMILY: Family = Family::Certificates;
    type Desired = DesiredCertificates;
    type Observed = ObservedCertificates;
    type Action = CertificateAction;

    /// Each region's certificate (CloudFront's own and the validation
    /// records are named by the distribution and the certificates).
    fn live_id(r: &Resource, status: &ThreeTierStackStatus) -> Option<Option<String>> {
        let st = super::regional(r, status)?;
        (r.kind == Kind::Certificate).then(|| st.and_then(|s| s.certificate_arn.clone()))
    }

    fn desired(stack: &ValidatedStack, _placement: &Placement) -> DesiredCertificates {
        desired_certificates(stack)
    }

    /// Each region's after its data resources (before its images);
    /// the validation records and CloudFront's own after the public zone
    /// they are written into.
    fn topology(desired: &DesiredCertificates, out: &mut Vec<Resource>) {
        for d in &desired.regions {
            let Place::Region(role) = d.place else { continue };
            let scope = Scope::Region { role, region: d.region.clone() };
            let r = match &d.choice.adopt {
                Some((arn, field)) => Resource::new(&scope, "certificate/wildcard", Kind::Certificate, arn.clone())
                    .prop(ADOPTED, *field)
                    .prop("serves", d.choice.serves.join(", ")),
                None => Resource::new(&scope, "certificate/wildcard", Kind::Certificate, d.domain.clone())
                    .prop("validation", "DNS")
                    .prop("subjectAlternativeNames", d.domain.trim_start_matches("*.")),
            };
            let at = crate::families::after_region_data(out, role);
            out.insert(at, r);
        }
        let global = Scope::Global;
        let zone_key = "global/public-zone";
        let zone = desired.regions[0].domain.trim_start_matches("*.");
        let mut after_zone = Vec::new();
        // Validation records for the certificates the stack requests; an adopted one's are its owner's.
        for d in desired.regions.iter().filter(|d| d.choice.adopt.is_none()) {
            let Place::Region(role) = d.place else { continue };
            after_zone.push(
                Resource::new(
                    &global,
                    &format!("certificate-validation/{}", role.as_str()),
                    Kind::CertificateValidationRecord,
                    format!("_acme.{zone} ({})", d.region),
                )
                .prop("type", "CNAME")
                .dep(zone_key)
                .dep(format!("{}/certificate/wildcard", role.as_str())),
            );
        }
        if let Some(d) = &desired.cloudfront {
            let cert = |name: &str| {
                Resource::new(&global, "certificate/cloudfront", Kind::Certificate, name).prop("region", GLOBAL_REGION)
            };
            match &d.choice.adopt {
                Some((arn, field)) => after_zone.push(cert(arn).prop(ADOPTED, *field)),
                None => {
                    after_zone.push(cert(&d.domain).prop("validation", "DNS"));
                    after_zone.push(
                        Resource::new(
                            &global,
                            "certificate-validation/cloudfront",
                            Kind::CertificateValidationRecord,
                            format!("_acme.{zone} ({GLOBAL_REGION})"),
                        )
                        .prop("type", "CNAME")
                        .dep(zone_key)
                        .dep("global/certificate/cloudfront"),
                    );
                }
            }
        }
        let at = out.iter().position(|x| x.key == zone_key).map_or(out.len(), |i| i + 1);
        out.splice(at..at, after_zone);
    }

    /// A listener still naming a certificate (the load balancing family's) tells ours was deleted out of band.
    fn plan(
        desired: &DesiredCertificates,
        observed: &ObservedCertificates,
        around: &Neighbours<'_>,
    ) -> CertificatePlan {
        let mut plan = CertificatePlan::default();
        for (i, d) in desired.regions.iter().enumerate() {
            let listened_with =
                around.seam.1.load_balancing[i].listeners.iter().find_map(|l| l.spec.certificate_arn.as_deref());
            plan.append(plan_regional(d, observed.regions[i].as_ref(), listened_with));
        }
        if let Some(d) = &desired.cloudfront {
            plan.append(plan_cloudfront(d, observed.cloudfront.as_ref()));
        }
        plan
    }

    /// After the listeners and the distribution that serve them.
    fn teardown(
        _desired: &DesiredCertificates,
        observed: &ObservedCertificates,
        around: &Neighbours<'_>,
    ) -> CertificatePlan {
        plan_certificate_teardown(observed, &in_use(around))
    }

    /// `CertificatesReady`: every certificate issued, none drifted.
    fn verdict(
        desired: &DesiredCertificates,
        observed: &ObservedCertificates,
        _around: &Neighbours<'_>,
        drift: &[DriftItem],
    ) -> Vec<crate::servers::status::Family> {
        let mut problems = Vec::new();
        for d in desired.all() {
            let who = if d.place == Place::Global { "CloudFront".to_string() } else { d.region.clone() };
            match observed.at(d.place) {
                Some(c) if c.is_issued() => {}
                Some(c) => problems.push(format!("{who}: {} is {}", c.domain, c.status)),
                None => problems.push(format!("{who}: no certificate yet")),
            }
        }
        vec![crate::families::verdict::<Self>(types::CERTIFICATES_READY, problems, drift)]
    }

    /// Each region's `certificateArn` and CloudFront's (ours only: one
    /// named for adoption is the stack's once adopted).
    fn status(
        desired: &DesiredCertificates,
        observed: &ObservedCertificates,
        _around: &Neighbours<'_>,
        status: &mut ThreeTierStackStatus,
    ) {
        let ours = |place: Place| observed.at(place).filter(|c| c.claim.is_ours()).map(|c| c.arn.clone());
        status.primary.get_or_insert_default().certificate_arn = ours(Place::Region(RegionRole::Primary));
        status.standby.get_or_insert_default().certificate_arn = ours(Place::Region(RegionRole::Standby));
        status.global.get_or_insert_default().cloudfront_certificate_arn = ours(cloudfront_place(desired));
    }

    fn adopted(desired: &DesiredCertificates, observed: &ObservedCertificates) -> Vec<Adopted> {
        let mut out = Vec::new();
        for d in desired.all() {
            if let Some((c, at)) = observed.at(d.place).and_then(|c| c.claim.adopted_at().map(|at| (c, at))) {
                let region = if d.place == Place::Global { GLOBAL_REGION.to_string() } else { d.region.clone() };
                out.push(Adopted { region, kind: Kind::Certificate, id: c.arn.clone(), at: at.to_string() });
            }
        }
        out
    }

    fn live_count(_desired: &DesiredCertificates, observed: &ObservedCertificates) -> usize {
        observed.regions.iter().chain([&observed.cloudfront]).flatten().filter(|c| c.claim.is_ours()).count()
    }
}

#[cfg(test)]
#[path = "certificates_tests.rs"]
mod tests;
