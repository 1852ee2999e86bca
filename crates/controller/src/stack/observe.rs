//! Observation of a stack (IO): both regions' data and edge tiers and the
//! global resources, read by the IDs of the last status where it has them.

use warmstandby_api::{RegionRole, ThreeTierStack, ThreeTierStackStatus};
use warmstandby_aws::edge::{self, EdgeHints};
use warmstandby_aws::families::Reading;
use warmstandby_aws::{AwsContext, AwsError, Ownership, families};
use warmstandby_core::edge::observed::ObservedRegionEdge;
use warmstandby_core::plan::Place;
use warmstandby_core::stack_pass::{Desired, Snapshot};
use warmstandby_core::validate::ValidatedStack;

/// Observes both regions' edge tiers and every family on the seam at
/// once. With a failover policy, one region that cannot be reached does not
/// stop the pass: the other region and the global resources can still
/// serve, and the unreachable one keeps its last known edge.
pub(super) async fn observe(
    aws: &AwsContext,
    stack: &ThreeTierStack,
    validated: &ValidatedStack,
    desired: &Desired,
    owners: &[Ownership; 2],
) -> Result<Snapshot, AwsError> {
    let hints = hints(stack.status.as_ref());
    let reading = Reading::Pass { status: stack.status.as_ref(), password: &validated.password };
    let (e0, e1, seam) = tokio::join!(
        Box::pin(observe_region_edge(aws, desired, owners, &hints, 0)),
        Box::pin(observe_region_edge(aws, desired, owners, &hints, 1)),
        Box::pin(families::observe(aws, &desired.families, owners, &reading)),
    );
    // A seam family's reads of one region (the database's, the security
    // groups', the secret's in the primary) are that region's to reach.
    let at = |role: RegionRole| seam.failure_at(Place::Region(role));
    let region_errors = [
        e0.as_ref().err().or(at(RegionRole::Primary)).cloned(),
        e1.as_ref().err().or(at(RegionRole::Standby)).cloned(),
    ];
    // A region is cut off when its reads failed as an outage fails, the
    // edge's and the seam families' both (a throttled or single failed read
    // means it answers).
    let outage = |e: Option<&AwsError>| e.is_some_and(|e| e.class.suggests_outage());
    let cut_off = [
        outage(e0.as_ref().err()) && outage(at(RegionRole::Primary)),
        outage(e1.as_ref().err()) && outage(at(RegionRole::Standby)),
    ];
    // The global resources (the seam families': the public DNS, CloudFront,
    // the web ACL, IAM) must answer for one region's outage to be tolerated.
    let seam_global = seam.failure_at(Place::Global).cloned();
    let global_ok = seam_global.is_none();
    let tolerated = |i: usize| validated.policy.is_some() && global_ok && region_errors[1 - i].is_none() && cut_off[i];
    let unreachable = [tolerated(0), tolerated(1)];
    let first_error =
        region_errors.iter().enumerate().find_map(|(i, e)| e.clone().filter(|_| !unreachable[i])).or(seam_global);
    if let Some(e) = first_error {
        return Err(e);
    }
    for (i, down) in unreachable.iter().enumerate() {
        if *down {
            tracing::warn!(region = %desired.regions[i].region, "region unreachable; going on with the other one");
        }
    }
    let last_known = |role: RegionRole| last_known_edge(stack.status.as_ref(), role, desired);
    Ok(Snapshot {
        regions: [
            e0.unwrap_or_else(|_| last_known(RegionRole::Primary)),
            e1.unwrap_or_else(|_| last_known(RegionRole::Standby)),
        ],
        // A family that could not be read belongs to an unreachable region,
        // where nothing is planned (any other failure returned above).
        families: seam.observed,
        unreachable,
    })
}

/// What teardown finds of the edge and compute tiers and the families on the seam.
pub(super) struct EdgeObserved {
    pub(super) regions: [ObservedRegionEdge; 2],
    pub(super) families: warmstandby_core::families::FamiliesObserved,
}

/// IDs of the last status, so that observation reads resources directly.
pub(super) fn hints(status: Option<&ThreeTierStackStatus>) -> EdgeHints {
    let Some(status) = status else { return EdgeHints::default() };
    let listeners = |r: Option<&warmstandby_api::RegionStackStatus>| {
        r.map(|r| r.load_balancers.values().flat_map(|l| l.listener_arns.iter().cloned()).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    EdgeHints { listeners: [listeners(status.primary.as_ref()), listeners(status.standby.as_ref())] }
}

/// One region's edge observation, with the hints of that region.
pub(super) fn observe_region_edge<'a>(
    aws: &'a AwsContext,
    desired: &'a Desired,
    owners: &'a [Ownership; 2],
    hints: &'a EdgeHints,
    i: usize,
) -> impl std::future::Future<Output = Result<ObservedRegionEdge, AwsError>> + 'a {
    edge::observe_region(aws, &desired.regions[i], &owners[i], &hints.listeners[i])
}

pub(super) async fn observe_edge(
    aws: &AwsContext,
    desired: &Desired,
    owners: &[Ownership; 2],
    hints: &EdgeHints,
) -> Result<EdgeObserved, AwsError> {
    let (primary, standby, families) = tokio::try_join!(
        Box::pin(observe_region_edge(aws, desired, owners, hints, 0)),
        Box::pin(observe_region_edge(aws, desired, owners, hints, 1)),
        // Teardown searches for everything that is ours.
        Box::pin(async { families::observe(aws, &desired.families, owners, &Reading::Teardown).await.complete() }),
    )?;
    Ok(EdgeObserved { regions: [primary, standby], families })
}

/// What the last status knew of an unreachable region's load balancers:
/// enough for the global records and origins that still name them.
pub(super) fn last_known_edge(
    status: Option<&ThreeTierStackStatus>,
    role: RegionRole,
    desired: &Desired,
) -> ObservedRegionEdge {
    let i = role.index();
    let region = status.and_then(|s| if i == 0 { s.primary.as_ref() } else { s.standby.as_ref() });
    // (Its certificate is the certificates family's, which keeps it the same way.)
    let mut out = ObservedRegionEdge::default();
    for t in &desired.regions[i].tiers {
        if let Some(lb) = region.and_then(|r| r.load_balancers.get(t.tier)) {
            out.load_balancers.push(warmstandby_core::edge::observed::ObservedLoadBalancer {
                tier: t.tier.to_string(),
                claim: Default::default(),
                arn: lb.arn.clone(),
                dns_name: lb.dns_name.clone(),
                zone_id: lb.zone_id.clone(),
                state: "unknown".into(),
                spec: warmstandby_core::edge::observed::LoadBalancerSpec {
                    name: t.load_balancer_name.clone(),
                    scheme: "internet-facing".into(),
                    subnet_ids: Vec::new(),
                    security_group_ids: Vec::new(),
                },
            });
        }
    }
    out
}
