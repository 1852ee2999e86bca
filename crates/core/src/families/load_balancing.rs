//! The load balancing family: per region and server tier a target group, an
//! internet-facing load balancer and its listeners (HTTP, and HTTPS with the
//! certificates family's certificate). Its model and planning are the
//! server tiers' (`edge`), which it shares with the compute family: a tier
//! is adopted whole, so each family adopts its own resources once the whole
//! tier can be (`servers::adoption`), and a kept tier is told of here once.

use std::collections::BTreeMap;

use warmstandby_api::{DriftItem, RegionRole, ThreeTierStackStatus};

use super::{Adopted, Neighbours, ResourceFamily};
use crate::data::desired::NetworkRefs;
use crate::family::Family;
use crate::identity::Claim;
use crate::placement::Placement;
use crate::plan::Place;
use crate::resource::{ADOPTED, Kind, Resource, Scope};
use crate::servers::desired::{DesiredRegionServers, DesiredTier, desired_region_servers};
use crate::servers::observed::{ObservedBalancing, RegionServers};
use crate::servers::plan::{
    BalancingPlan, LoadBalancingAction, RegionServerInputs, plan_balancing_region, plan_balancing_teardown,
};
use crate::servers::status::{Family as Verdict, balancing_verdict, load_balancer_endpoints, region_balancing_status};
use crate::validate::ValidatedStack;

pub struct LoadBalancing;

/// Both regions' server tiers (primary first), as the spec wants them.
pub type ServerTiers = [DesiredRegionServers; 2];

impl ResourceFamily for LoadBalancing {
    const FAMILY: Family = Family::LoadBalancing;
    type Desired = ServerTiers;
    /// Primary first.
    type Observed = [ObservedBalancing; 2];
    type Action = LoadBalancingAction;

    /// Each tier's target group and load balancer (its listeners are named by it).
    fn live_id(r: &Resource, status: &ThreeTierStackStatus) -> Option<Option<String>> {
        let st = super::regional(r, status)?;
        let tier = super::tier_name(r);
        match r.kind {
            Kind::TargetGroup => Some(st.and_then(|s| s.target_group_arns.get(tier).cloned())),
            Kind::LoadBalancer => Some(st.and_then(|s| s.load_balancers.get(tier)).map(|l| l.arn.clone())),
            _ => None,
        }
    }

    /// The server tiers, each HTTPS listener serving its region's
    /// certificate (the certificates family's).
    fn desired(stack: &ValidatedStack, placement: &Placement) -> ServerTiers {
        let certificates = crate::families::certificates::desired_certificates(stack);
        RegionRole::BOTH.map(|role| {
            let mut d = desired_region_servers(stack, placement, role);
            d.serving_certificate = crate::families::certificates::serving_keys(&certificates, Place::Region(role));
            d
        })
    }

    /// Each region's target groups, load balancers and listeners, per tier
    /// (the compute family places its resources among them).
    fn topology(desired: &ServerTiers, out: &mut Vec<Resource>) {
        for d in desired {
            let role = d.role;
            let scope = Scope::Region { role, region: d.region.clone() };
            let k = |c: &str| format!("{}/{c}", role.as_str());
            for t in &d.tiers {
                let tier = t.tier;
                // An adopted tier's resources (its load balancer's HTTP listener with it) exist already.
                let adopted = |r: Resource| if t.adopt { r.prop(ADOPTED, format!("spec.{tier}.adopt")) } else { r };
                out.push(adopted(
                    Resource::new(
                        &scope,
                        &format!("target-group/{tier}"),
                        Kind::TargetGroup,
                        t.target_group_name.clone(),
                    )
                    .prop("port", t.port)
                    .prop("healthCheckPath", &t.health_check_path)
                    .dep(k("vpc")),
                ));
                out.push(adopted(
                    Resource::new(
                        &scope,
                        &format!("load-balancer/{tier}"),
                        Kind::LoadBalancer,
                        t.load_balancer_name.clone(),
                    )
                    .prop("scheme", "internet-facing")
                    .prop("subnets", "public-a,public-b")
                    .dep(k("subnet/public-a"))
                    .dep(k("subnet/public-b"))
                    .dep(k(&format!("security-group/{}", t.alb_group()))),
                ));
                out.push(adopted(listener(&scope, role, tier, "http", 80)));
                if t.https_listener {
                    let https = listener(&scope, role, tier, "https", 443);
                    out.push(d.serving_certificate.iter().fold(https, |r, key| r.dep(key)));
                }
            }
        }
    }

    /// With the security groups' IDs, each region's network and
    /// certificate; a tier named for adoption waits for the compute
    /// family's half of it too.
    fn plan(desired: &ServerTiers, observed: &[ObservedBalancing; 2], around: &Neighbours<'_>) -> BalancingPlan {
        let mut plan = BalancingPlan::default();
        let (no_launch, unknown) = (BTreeMap::new(), NetworkRefs::default());
        for (i, d) in desired.iter().enumerate() {
            let groups = around.security_groups_by_role(i);
            let inputs = RegionServerInputs {
                desired: d,
                observed: RegionServers { balancing: &observed[i], compute: &around.seam.1.compute[i] },
                network: around.nets.map_or(&unknown, |n| &n[i]),
                groups: &groups,
                launch: &no_launch,
                certificate: around.serving_certificate(i),
            };
            plan_balancing_region(&mut plan, &inputs);
        }
        plan
    }

    /// After what points at the load balancers (the CDN family's
    /// distribution, the public DNS family's records) and what registers
    /// with the target groups (the compute family's auto scaling groups).
    fn teardown(_desired: &ServerTiers, observed: &[ObservedBalancing; 2], around: &Neighbours<'_>) -> BalancingPlan {
        let (families, seen) = around.seam;
        let distribution_left = crate::families::cdn::left(&seen.cdn);
        let records_left = crate::families::public_dns::records_left(&families.public_dns, &seen.public_dns);
        plan_balancing_teardown(servers(observed, around), distribution_left, records_left)
    }

    /// `deletionPolicy: Retain` on a tier: its load balancer (with its
    /// listeners) and target group are taken as adopted.
    fn hold_retained(desired: &ServerTiers, observed: &mut [ObservedBalancing; 2]) {
        crate::retention::hold_retained_balancing(desired, observed);
    }

    /// `LoadBalancersReady`.
    fn verdict(
        desired: &ServerTiers,
        observed: &[ObservedBalancing; 2],
        around: &Neighbours<'_>,
        drift: &[DriftItem],
    ) -> Vec<Verdict> {
        let [p, s] = servers(observed, around);
        vec![balancing_verdict(&[(&desired[0], p), (&desired[1], s)], drift)]
    }

    /// Each region's target group ARNs and load balancers (ours only), and
    /// every load balancer's DNS name as an endpoint.
    fn status(
        desired: &ServerTiers,
        observed: &[ObservedBalancing; 2],
        _around: &Neighbours<'_>,
        status: &mut ThreeTierStackStatus,
    ) {
        region_balancing_status(&desired[0], &observed[0], status.primary.get_or_insert_default());
        region_balancing_status(&desired[1], &observed[1], status.standby.get_or_insert_default());
        status.endpoints.get_or_insert_default().load_balancers =
            load_balancer_endpoints([(&desired[0], &observed[0]), (&desired[1], &observed[1])]);
    }

    fn adopted(desired: &ServerTiers, observed: &[ObservedBalancing; 2]) -> Vec<Adopted> {
        tier_adoptions(desired, observed, |t, o| {
            let lb = o.load_balancer(&t.load_balancer_name);
            let tg = o.target_group(&t.target_group_name);
            vec![
                lb.map(|x| (Kind::LoadBalancer, x.spec.name.as_str(), &x.claim)),
                tg.map(|x| (Kind::TargetGroup, x.spec.name.as_str(), &x.claim)),
            ]
        })
    }

    fn live_count(_desired: &ServerTiers, observed: &[ObservedBalancing; 2]) -> usize {
        observed.iter().map(ObservedBalancing::live_count).sum()
    }

    /// The kept server tiers, whole (the compute family's half with them),
    /// and the secret their servers read.
    fn left_in_place(desired: &ServerTiers, status: Option<&ThreeTierStackStatus>) -> Option<String> {
        let adopted = status.map(|s| s.adopted.as_slice()).unwrap_or_default();
        let mut kept = Vec::new();
        for (d, role) in desired.iter().zip(["primary", "standby"]) {
            let was_kept = |t: &&DesiredTier| {
                t.retain || (t.adopt && adopted.iter().any(|a| a.region == d.region && a.id == t.load_balancer_name))
            };
            for t in d.tiers.iter().filter(was_kept) {
                let why = if t.adopt { "adopted" } else { "deletionPolicy Retain" };
                kept.push(format!(
                    "the {} tier in {} ({role}, {why}: load balancer {}, target group {}, launch template {}, auto scaling group {}, with the security groups, instance profile and image of the stack's they use)",
                    t.tier, d.region, t.load_balancer_name, t.target_group_name, t.launch_template_name, t.auto_scaling_group_name
                ));
            }
        }
        if kept.is_empty() {
            return None;
        }
        kept.push("the credentials secret the kept servers read".into());
        Some(kept.join(" and "))
    }
}

/// What of the tiers named for adoption is adopted (by either family):
/// `found` gives a tier's resources of the family, each with its kind, name
/// and claim.
pub(super) fn tier_adoptions<'a, O>(
    desired: &ServerTiers,
    observed: &'a [O; 2],
    found: impl Fn(&DesiredTier, &'a O) -> Vec<Option<(Kind, &'a str, &'a Claim)>>,
) -> Vec<Adopted> {
    let mut out = Vec::new();
    for (d, o) in desired.iter().zip(observed) {
        for t in d.tiers.iter().filter(|t| t.adopt) {
            for (kind, name, claim) in found(t, o).into_iter().flatten() {
                if let Some(at) = claim.adopted_at() {
                    out.push(Adopted { region: d.region.clone(), kind, id: name.to_string(), at: at.to_string() });
                }
            }
        }
    }
    out
}

/// Both regions' load balancers beside the compute family's servers.
fn servers<'a>(observed: &'a [ObservedBalancing; 2], around: &Neighbours<'a>) -> [RegionServers<'a>; 2] {
    let compute = &around.seam.1.compute;
    [0, 1].map(|i| RegionServers { balancing: &observed[i], compute: &compute[i] })
}

fn listener(scope: &Scope, role: RegionRole, tier: &str, proto: &str, port: u16) -> Resource {
    let key = |c: &str| format!("{}/{c}", role.as_str());
    Resource::new(
        scope,
        &format!("listener/{tier}-{proto}"),
        Kind::Listener,
        format!("{tier} {}:{port}", proto.to_uppercase()),
    )
    .prop("protocol", proto.to_uppercase())
    .prop("port", port)
    .prop("forward", format!("target-group/{tier}"))
    .dep(key(&format!("load-balancer/{tier}")))
    .dep(key(&format!("target-group/{tier}")))
}
