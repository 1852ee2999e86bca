//! The CDN family: the CloudFront distribution over both regions' web load
//! balancers (the active region's first in its origin group, the other's
//! taking over on the failover status codes), serving the certificates
//! family's certificate behind the WAF family's web ACL. The one
//! `spec.cdn.adopt` names is adopted (refused when missing or someone
//! else's) and left serving by teardown; ours is disabled, then deleted
//! once deployed, or left serving, untagged, with `deletionPolicy: Retain`.
//! The public DNS family's alias record points at it (`EdgeInputs::distribution`).

use warmstandby_api::{
    CachingMode, DriftItem, GLOBAL_REGION, OriginProtocol, PriceClass, RegionRole, ThreeTierStackStatus,
};

use crate::compare::{Fields, diff, list};
use crate::conditions::types;
use crate::families::{Adopted, Neighbours, ResourceFamily};
use crate::family::{Effect, Family, FamilyAction};
use crate::identity::{Claim, adoption_refused};
use crate::placement::Placement;
use crate::plan::{Place, Plan};
use crate::resource::{ADOPTED, Kind, Resource, Scope, Tier};
use crate::servers::observed::ObservedLoadBalancer;
use crate::validate::ValidatedStack;

/// The CDN family on the seam.
pub struct Cdn;

/// What the distribution serves and where from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredCdn {
    /// The web name it serves (its alias).
    pub web_fqdn: String,
    /// The region whose web load balancer is its first origin.
    pub active: RegionRole,
    /// Both regions' names, primary first (its origins' IDs).
    pub regions: [String; 2],
    pub distribution: DesiredDistribution,
    /// The topology keys of the certificate it serves and of that one's
    /// validation (the certificates family's).
    pub certificate_keys: Vec<String>,
    /// It carries the WAF family's web ACL (`spec.waf.enabled`).
    pub web_acl: bool,
}

pub fn desired_cdn(stack: &ValidatedStack, placement: &Placement) -> DesiredCdn {
    let spec = &stack.spec;
    let zone = spec.domain.zone_name.trim_end_matches('.');
    DesiredCdn {
        web_fqdn: format!("{}.{zone}", spec.domain.web_record),
        active: placement.edge_active,
        regions: RegionRole::BOTH.map(|role| stack.pair.region(role).region.clone()),
        distribution: DesiredDistribution {
            comment: format!("warmstandby {}/{}", stack.namespace, stack.name),
            failover_status_codes: spec.cdn.failover_status_codes.clone(),
            connection_attempts: spec.cdn.connection_attempts,
            connection_timeout_seconds: spec.cdn.connection_timeout_seconds,
            caching: spec.cdn.caching,
            origin_protocol: spec.cdn.origin_protocol,
            price_class: spec.cdn.price_class,
            adopt: spec.cdn.adopt.clone(),
            retain: warmstandby_api::DeletionPolicy::retains(spec.cdn.deletion_policy),
        },
        certificate_keys: {
            let certificates = crate::families::certificates::desired_certificates(stack);
            let place = crate::families::certificates::cloudfront_place(&certificates);
            crate::families::certificates::serving_keys(&certificates, place)
        },
        web_acl: spec.waf.enabled,
    }
}

/// The distribution found: ours by its caller reference, or the one the spec adopts.
pub type ObservedCdn = Option<ObservedDistribution>;

/// The family's plan (its actions are global).
pub type CdnPlan = Plan<(Place, CdnAction)>;

/// Managed cache policies.
pub const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
pub const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
pub const ALL_METHODS: [&str; 7] = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"];
pub const ORIGIN_GROUP_ID: &str = "web-failover";

pub fn origin_id(region: &str) -> String {
    format!("web-{region}")
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredDistribution {
    pub comment: String,
    pub failover_status_codes: Vec<i32>,
    pub connection_attempts: i32,
    pub connection_timeout_seconds: i32,
    pub caching: CachingMode,
    pub origin_protocol: OriginProtocol,
    pub price_class: PriceClass,
    /// An existing distribution to adopt (`spec.cdn.adopt`), never one to
    /// create; adopted, it is left in place when the stack is deleted.
    pub adopt: Option<String>,
    /// `deletionPolicy: Retain`: left in place, untagged, when the stack is
    /// deleted (what it creates is then released like what is adopted).
    pub retain: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OriginSpec {
    pub id: String,
    pub domain_name: String,
    /// `http-only` or `https-only`.
    pub protocol_policy: String,
    pub connection_attempts: i32,
    pub connection_timeout: i32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DistributionSpec {
    pub comment: String,
    pub enabled: bool,
    pub aliases: Vec<String>,
    pub certificate_arn: String,
    pub origins: Vec<OriginSpec>,
    pub origin_group_id: String,
    /// Origin IDs, the first is tried first.
    pub origin_group_members: Vec<String>,
    /// Sorted.
    pub failover_status_codes: Vec<i32>,
    pub target_origin_id: String,
    pub viewer_protocol_policy: String,
    pub allowed_methods: Vec<String>,
    pub cache_policy_id: String,
    pub price_class: String,
    /// WAFv2 web ACL ARN, or empty.
    pub web_acl_id: String,
}

impl DistributionSpec {
    pub fn fields(&self) -> Fields {
        let origins = self
            .origins
            .iter()
            .map(|o| {
                format!(
                    "{}={} {} attempts={} timeout={}",
                    o.id,
                    o.domain_name.to_lowercase(),
                    o.protocol_policy,
                    o.connection_attempts,
                    o.connection_timeout
                )
            })
            .collect::<Vec<_>>();
        vec![
            ("enabled", self.enabled.to_string()),
            ("aliases", list(&self.aliases)),
            ("viewerCertificate", self.certificate_arn.clone()),
            ("origins", origins.join("; ")),
            ("originGroup", format!("{}: {}", self.origin_group_id, list(&self.origin_group_members))),
            ("failoverStatusCodes", list(&self.failover_status_codes)),
            ("defaultTarget", self.target_origin_id.clone()),
            ("viewerProtocolPolicy", self.viewer_protocol_policy.clone()),
            ("allowedMethods", list(&self.allowed_methods)),
            ("cachePolicy", self.cache_policy_id.clone()),
            ("priceClass", self.price_class.clone()),
            ("webAcl", if self.web_acl_id.is_empty() { "(none)".into() } else { self.web_acl_id.clone() }),
        ]
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedDistribution {
    pub id: String,
    pub arn: String,
    pub domain_name: String,
    /// `InProgress` or `Deployed`.
    pub status: String,
    /// For updates and deletion (If-Match).
    pub etag: String,
    /// Ours is derived from the owner; an adopted one keeps its own (CloudFront never changes it).
    pub caller_reference: String,
    pub spec: DistributionSpec,
    /// Read from its tags while `spec.cdn.adopt` names it.
    pub claim: Claim,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CdnAction {
    /// With the stack's caller reference (from its owner: `Ownership::distribution_reference`).
    CreateDistribution {
        spec: Box<DistributionSpec>,
    },
    /// With the distribution's own caller reference (an adopted one's is not ours).
    UpdateDistribution {
        id: String,
        etag: String,
        caller_reference: String,
        spec: Box<DistributionSpec>,
    },
    DeleteDistribution {
        id: String,
        etag: String,
    },
    /// Tags an existing distribution as ours, with the time.
    AdoptDistribution {
        id: String,
        arn: String,
    },
    /// Leaves an adopted distribution serving, untagged.
    ReleaseDistribution {
        id: String,
        arn: String,
    },
}

impl FamilyAction for CdnAction {
    fn effect(&self) -> (Effect, Kind) {
        let effect = match self {
            CdnAction::CreateDistribution { .. } => Effect::Create,
            CdnAction::UpdateDistribution { .. } => Effect::Update,
            CdnAction::DeleteDistribution { .. } => Effect::Delete,
            CdnAction::AdoptDistribution { .. } => Effect::Adopt,
            CdnAction::ReleaseDistribution { .. } => Effect::Release,
        };
        (effect, Kind::Distribution)
    }

    fn tier(&self, _scope: &Scope) -> Tier {
        Tier::Global
    }

    fn describe(&self) -> String {
        match self {
            CdnAction::CreateDistribution { .. } => "create the CloudFront distribution".into(),
            CdnAction::UpdateDistribution { id, spec, .. } if !spec.enabled => format!("disable distribution {id}"),
            CdnAction::UpdateDistribution { id, .. } => format!("update distribution {id}"),
            CdnAction::DeleteDistribution { id, .. } => format!("delete distribution {id}"),
            CdnAction::AdoptDistribution { id, .. } => format!("adopt distribution {id}"),
            CdnAction::ReleaseDistribution { id, .. } => {
                format!("leave distribution {id} serving, untagged (adopted)")
            }
        }
    }
}

/// The distribution the spec describes, once both web load balancers,
/// CloudFront's certificate and the web ACL exist: the active region's web
/// load balancer first in the origin group.
pub fn wanted_distribution(
    g: &DesiredCdn,
    webs: [Option<&ObservedLoadBalancer>; 2],
    certificate: Option<String>,
    web_acl_arn: Option<String>,
) -> Option<DistributionSpec> {
    let webs = (webs[g.active.index()], webs[g.active.other().index()]);
    let ((Some(first), Some(second)), Some(cert), Some(web_acl_arn)) = (webs, certificate, web_acl_arn) else {
        return None;
    };
    let d = &g.distribution;
    let policy = match d.origin_protocol {
        OriginProtocol::HttpOnly => "http-only",
        OriginProtocol::HttpsOnly => "https-only",
    };
    let origins: Vec<OriginSpec> = [(g.active, first), (g.active.other(), second)]
        .iter()
        .map(|(role, lb)| OriginSpec {
            id: origin_id(&g.regions[role.index()]),
            domain_name: lb.dns_name.to_lowercase(),
            protocol_policy: policy.into(),
            connection_attempts: d.connection_attempts,
            connection_timeout: d.connection_timeout_seconds,
        })
        .collect();
    let mut codes = d.failover_status_codes.clone();
    codes.sort_unstable();
    codes.dedup();
    let want = DistributionSpec {
        comment: d.comment.clone(),
        enabled: true,
        aliases: vec![g.web_fqdn.to_lowercase()],
        certificate_arn: cert,
        origin_group_members: origins.iter().map(|o| o.id.clone()).collect(),
        origins,
        origin_group_id: ORIGIN_GROUP_ID.into(),
        failover_status_codes: codes,
        target_origin_id: ORIGIN_GROUP_ID.into(),
        viewer_protocol_policy: "redirect-to-https".into(),
        allowed_methods: ALL_METHODS.iter().map(ToString::to_string).collect(),
        cache_policy_id: match d.caching {
            CachingMode::Disabled => CACHING_DISABLED.into(),
            CachingMode::Optimized => CACHING_OPTIMIZED.into(),
        },
        price_class: match d.price_class {
            PriceClass::PriceClass_100 => "PriceClass_100",
            PriceClass::PriceClass_200 => "PriceClass_200",
            PriceClass::PriceClass_All => "PriceClass_All",
        }
        .into(),
        web_acl_id: web_acl_arn,
    };
    Some(want)
}

/// Ours is created and kept as the spec says; one named for adoption is
/// adopted first (never created), then the same.
pub fn plan_distribution(
    g: &DesiredCdn,
    observed: Option<&ObservedDistribution>,
    want: Option<DistributionSpec>,
) -> CdnPlan {
    let mut plan = CdnPlan::default();
    let waits = "the distribution waits for both web load balancers, CloudFront's certificate and the web ACL";
    match (observed, &g.distribution.adopt) {
        (None, Some(id)) => {
            plan.blocked.extend(adoption_refused("spec.cdn.adopt", &format!("distribution {id}"), "", None))
        }
        (Some(have), _) if !have.claim.is_ours() => {
            let what = format!("distribution {}", have.id);
            if let Some(why) = adoption_refused("spec.cdn.adopt", &what, "", Some(&have.claim)) {
                plan.blocked.push(why);
                return plan;
            }
            // Adopted first; its differences show now and are changed after.
            plan.push(Place::Global, CdnAction::AdoptDistribution { id: have.id.clone(), arn: have.arn.clone() });
            if let Some(want) = want {
                plan.drift.extend(diff(GLOBAL_REGION, "Distribution", &have.id, &want.fields(), &have.spec.fields()));
            }
        }
        (None, None) => match want {
            Some(spec) => plan.push(Place::Global, CdnAction::CreateDistribution { spec: Box::new(spec) }),
            None => plan.waiting.push(waits.into()),
        },
        (Some(have), _) => {
            match want {
                Some(want) => {
                    let items = diff(GLOBAL_REGION, "Distribution", &have.id, &want.fields(), &have.spec.fields());
                    if !items.is_empty() {
                        plan.push(
                            Place::Global,
                            CdnAction::UpdateDistribution {
                                id: have.id.clone(),
                                etag: have.etag.clone(),
                                caller_reference: have.caller_reference.clone(),
                                spec: Box::new(want),
                            },
                        );
                    }
                    plan.drift.extend(items);
                }
                None => plan.waiting.push(waits.into()),
            }
            if have.status != "Deployed" {
                plan.waiting.push(format!("distribution {} is {}", have.id, have.status));
            }
        }
    }
    plan
}

/// Teardown: an adopted (or retained) distribution is left serving,
/// untagged, with what of ours it uses (released by their families); ours
/// is disabled, then deleted once CloudFront has deployed the change.
pub fn plan_distribution_teardown(observed: Option<&ObservedDistribution>) -> CdnPlan {
    let mut plan = CdnPlan::default();
    let g = Place::Global;
    match observed {
        Some(d) if d.claim != Claim::Created && d.claim.is_ours() => {
            plan.push(g, CdnAction::ReleaseDistribution { id: d.id.clone(), arn: d.arn.clone() })
        }
        // Someone else's (released already): left alone.
        Some(d) if d.claim != Claim::Created => {}
        Some(d) if d.spec.enabled => {
            let mut spec = d.spec.clone();
            spec.enabled = false;
            plan.push(
                g,
                CdnAction::UpdateDistribution {
                    id: d.id.clone(),
                    etag: d.etag.clone(),
                    caller_reference: d.caller_reference.clone(),
                    spec: Box::new(spec),
                },
            );
            plan.waiting.push(format!("distribution {} is being disabled", d.id));
        }
        Some(d) if d.status != "Deployed" => plan.waiting.push(format!("distribution {} is {}", d.id, d.status)),
        Some(d) => plan.push(g, CdnAction::DeleteDistribution { id: d.id.clone(), etag: d.etag.clone() }),
        None => {}
    }
    plan
}

/// A distribution of ours that teardown deletes is left (what it serves
/// from, the web load balancers, waits for it).
pub fn left(observed: &ObservedCdn) -> bool {
    observed.as_ref().is_some_and(|d| d.claim == Claim::Created)
}

/// Its domain name once ours: what the web alias record points at.
pub fn domain(observed: &ObservedCdn) -> Option<String> {
    observed.as_ref().filter(|d| d.claim.is_ours()).map(|d| d.domain_name.clone())
}

/// The region whose web load balancer it tries first.
pub fn serves_first(observed: &ObservedCdn, region: &str) -> bool {
    observed.as_ref().is_some_and(|d| d.spec.origin_group_members.first() == Some(&origin_id(region)))
}

/// Each region's web load balancer of ours (primary first): its origins.
fn web_load_balancers<'a>(around: &Neighbours<'a>) -> [Option<&'a ObservedLoadBalancer>; 2] {
    around.server_regions().map(|(d, o)| {
        d.tier("web").and_then(|t| o.balancing.load_balancer(&t.load_balancer_name)).filter(|lb| lb.claim.is_ours())
    })
}

impl ResourceFamily for Cdn {
    const FAMILY: Family = Family::Cdn;
    type Desired = DesiredCdn;
    type Observed = ObservedCdn;
    type Action = CdnAction;

    fn live_id(r: &Resource, status: &ThreeTierStackStatus) -> Option<Option<String>> {
        let global = super::regional(r, status).is_none() && r.kind == Kind::Distribution;
        global.then(|| status.global.as_ref().and_then(|g| g.distribution_id.clone()))
    }

    fn desired(stack: &ValidatedStack, placement: &Placement) -> DesiredCdn {
        desired_cdn(stack, placement)
    }

    /// Just before the web alias record that points at it; its certificate
    /// (and that one's validation) and the web ACL are named by key.
    fn topology(desired: &DesiredCdn, out: &mut Vec<Resource>) {
        let d = &desired.distribution;
        let active = desired.active;
        let codes: Vec<String> = d.failover_status_codes.iter().map(ToString::to_string).collect();
        let name = d.adopt.clone().unwrap_or_else(|| desired.web_fqdn.clone());
        let mut dist = Resource::new(&Scope::Global, "distribution", Kind::Distribution, name)
            .prop("origins", format!("{} web ALB, {} web ALB", active, active.other()))
            .prop("originProtocol", format!("{:?}", d.origin_protocol))
            .prop("originGroupFailoverCodes", codes.join(","))
            .prop("connectionAttempts", d.connection_attempts)
            .prop("connectionTimeoutSeconds", d.connection_timeout_seconds)
            .prop("viewerProtocol", "redirect-to-https")
            .prop("caching", format!("{:?}", d.caching))
            .prop("priceClass", format!("{:?}", d.price_class))
            .prop("alias", &desired.web_fqdn)
            .dep("primary/load-balancer/web")
            .dep("standby/load-balancer/web");
        for key in &desired.certificate_keys {
            dist = dist.dep(key);
        }
        if desired.web_acl {
            dist = dist.prop("webAcl", "web-acl").dep("global/web-acl");
        }
        if d.adopt.is_some() {
            dist = dist.prop(ADOPTED, "spec.cdn.adopt");
        }
        let at = out.iter().position(|r| r.key == "global/alias-record/web").unwrap_or(out.len());
        out.insert(at, dist);
    }

    /// Over the web load balancers (the load balancing family's), with CloudFront's
    /// certificate and the web ACL (the certificates and WAF families').
    fn plan(desired: &DesiredCdn, observed: &ObservedCdn, around: &Neighbours<'_>) -> CdnPlan {
        let (families, seen) = around.seam;
        let certificate = crate::families::certificates::for_cloudfront(&families.certificates, &seen.certificates);
        let web_acl = crate::families::waf::association(&families.waf, &seen.waf);
        let want = wanted_distribution(desired, web_load_balancers(around), certificate, web_acl);
        plan_distribution(desired, observed.as_ref(), want)
    }

    fn teardown(_desired: &DesiredCdn, observed: &ObservedCdn, _around: &Neighbours<'_>) -> CdnPlan {
        plan_distribution_teardown(observed.as_ref())
    }

    /// `deletionPolicy: Retain`: ours is taken as adopted, so teardown releases it.
    fn hold_retained(desired: &DesiredCdn, observed: &mut ObservedCdn) {
        if desired.distribution.retain
            && let Some(d) = observed
        {
            crate::retention::hold(&mut d.claim);
        }
    }

    /// `CdnReady`: ours (or adopted), enabled and deployed, not drifted.
    fn verdict(
        _desired: &DesiredCdn,
        observed: &ObservedCdn,
        _around: &Neighbours<'_>,
        drift: &[DriftItem],
    ) -> Vec<crate::servers::status::Family> {
        let mut problems = Vec::new();
        match observed {
            Some(d) if !d.claim.is_ours() => problems.push(format!("distribution {} is not adopted yet", d.id)),
            Some(d) if d.status == "Deployed" && d.spec.enabled => {}
            Some(d) => problems.push(format!(
                "distribution {} is {}",
                d.id,
                if d.spec.enabled { &d.status } else { "disabled" }
            )),
            None => problems.push("no distribution yet".into()),
        }
        vec![crate::families::verdict::<Self>(types::CDN_READY, problems, drift)]
    }

    /// The `distributionId` (ours only), and its domain as the CloudFront
    /// endpoint while no alias record names one.
    fn status(
        _desired: &DesiredCdn,
        observed: &ObservedCdn,
        _around: &Neighbours<'_>,
        status: &mut ThreeTierStackStatus,
    ) {
        status.global.get_or_insert_default().distribution_id =
            observed.as_ref().filter(|d| d.claim.is_ours()).map(|d| d.id.clone());
        if let Some(d) = observed {
            let endpoints = status.endpoints.get_or_insert_default();
            if endpoints.cloudfront.is_none() {
                endpoints.cloudfront = Some(d.domain_name.clone());
            }
        }
    }

    fn adopted(_desired: &DesiredCdn, observed: &ObservedCdn) -> Vec<Adopted> {
        let found = observed.as_ref().and_then(|d| d.claim.adopted_at().map(|at| (d, at)));
        found
            .map(|(d, at)| Adopted {
                region: GLOBAL_REGION.to_string(),
                kind: Kind::Distribution,
                id: d.id.clone(),
                at: at.to_string(),
            })
            .into_iter()
            .collect()
    }

    fn live_count(_desired: &DesiredCdn, observed: &ObservedCdn) -> usize {
        usize::from(observed.as_ref().is_some_and(|d| d.claim.is_ours()))
    }

    fn left_in_place(desired: &DesiredCdn, status: Option<&ThreeTierStackStatus>) -> Option<String> {
        let adopted = status.map(|s| s.adopted.as_slice()).unwrap_or_default();
        let d = &desired.distribution;
        if let Some(id) = d.adopt.as_ref().filter(|id| adopted.iter().any(|r| r.id == **id)) {
            return Some(format!(
                "distribution {id} (adopted; serving, with the certificate and web ACL of the stack's it uses)"
            ));
        }
        d.retain.then(|| {
            let id = status.and_then(|s| s.global.as_ref()).and_then(|g| g.distribution_id.clone()).unwrap_or_default();
            format!("distribution {id} (deletionPolicy Retain; serving, with the certificate and web ACL of the stack's it uses)")
        })
    }
}

#[cfg(test)]
#[path = "cdn_tests.rs"]
mod tests;
