//! What AWS shows of each region, as the failover machine sees it.

use warmstandby_api::{ANNOTATION_APPROVE_FAILOVER, ThreeTierStack};

use crate::data::observed::ObservedDataTier;
use crate::desired::{DesiredDataTier, DesiredRegionServers};
use crate::failover::{DbView, Memory, Observation};
use crate::families::FamiliesObserved;
use crate::families::security_groups::ObservedSecurityGroup;

/// What AWS shows of each region for the machine.
#[allow(clippy::too_many_arguments)]
pub fn observation(
    stack: &ThreeTierStack,
    memory: &Memory,
    failing: Vec<String>,
    enabled_sources: usize,
    data: (&[DesiredDataTier; 2], &[ObservedDataTier; 2]),
    servers: (&[DesiredRegionServers; 2], &FamiliesObserved),
    answers: [Option<bool>; 2],
    unreachable: [bool; 2],
    now: (i64, &str),
) -> Observation {
    let (dd, od) = data;
    let (de, seam) = servers;
    let databases = [0, 1].map(|i| {
        od[i].databases.iter().find(|d| d.identifier == dd[i].db_identifier).map(|d| DbView {
            is_replica: d.is_replica(),
            status: d.status.clone(),
            replication: d.replication.clone(),
            epoch: d.epoch,
        })
    });
    let fenced = fenced(&seam.security_groups);
    let full_capacity = [0, 1].map(|i| {
        de[i].tiers.iter().all(|t| {
            let spec_capacity = if t.tier == "web" { stack.spec.web.capacity } else { stack.spec.api.capacity };
            seam.compute[i].auto_scaling_group(&t.auto_scaling_group_name).is_some_and(|a| {
                (a.spec.min, a.spec.desired, a.spec.max)
                    == (spec_capacity.min, spec_capacity.desired, spec_capacity.max)
            })
        })
    });
    let traffic = traffic(de, seam);
    let approved = stack
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ANNOTATION_APPROVE_FAILOVER))
        .is_some_and(|v| v == "true" || *v == (memory.epoch + 1).to_string());
    Observation {
        now: now.0,
        now_text: now.1.to_string(),
        failing,
        enabled_sources,
        databases,
        fenced,
        unreachable,
        full_capacity,
        traffic,
        answers,
        approved,
    }
}

/// Per region: its db security group (the security groups family's)
/// admits no writer traffic (api).
pub fn fenced(groups: &[Vec<ObservedSecurityGroup>; 2]) -> [bool; 2] {
    [0, 1].map(|i| {
        let api = groups[i].iter().find(|g| g.component == "security-group/api").map(|g| g.id.clone());
        groups[i]
            .iter()
            .find(|g| g.component == "security-group/db")
            .is_some_and(|g| !g.ingress.iter().any(|r| r.group_id.is_some() && r.group_id == api))
    })
}

/// Per region: the api PRIMARY record, the health check and CloudFront's
/// first origin point at it.
pub fn traffic(de: &[DesiredRegionServers; 2], seam: &FamiliesObserved) -> [bool; 2] {
    let (og, cdn) = (&seam.public_dns, &seam.cdn);
    [0, 1].map(|i| {
        let region = &de[i].region;
        let api_lb = de[i].tier("api").and_then(|t| seam.load_balancing[i].load_balancer(&t.load_balancer_name));
        let record = og
            .records
            .iter()
            .any(|r| r.failover.as_deref() == Some("PRIMARY") && r.set_identifier.as_deref() == Some(region.as_str()));
        let origin = crate::families::cdn::serves_first(cdn, region);
        let check =
            api_lb.is_some_and(|lb| og.health_checks.iter().any(|h| h.config.fqdn.eq_ignore_ascii_case(&lb.dns_name)));
        record && origin && check
    })
}

/// Per region: its database takes writes (a writer, available, not fenced).
pub fn writer(
    dd: &[DesiredDataTier; 2],
    od: &[ObservedDataTier; 2],
    groups: &[Vec<ObservedSecurityGroup>; 2],
) -> [bool; 2] {
    let fenced = fenced(groups);
    [0, 1].map(|i| {
        !fenced[i]
            && od[i]
                .databases
                .iter()
                .any(|d| d.identifier == dd[i].db_identifier && !d.is_replica() && d.is_available())
    })
}
