//! The public DNS family's AWS side: the public hosted zone's records,
//! health checks and (with `manageZone: true`) the public zone itself.
//!
//! The zone is found by name (or read directly by the ID of the last status).
//! Only record names the stack manages are read into the model: the api and
//! web names, ACM validation CNAMEs and our ownership markers. Health checks
//! and a zone we create are recognised by a CallerReference derived from the
//! owner.

use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, HealthCheckConfig as R53HealthCheckConfig, HealthCheckType,
    ResourceRecord, ResourceRecordSet, ResourceRecordSetFailover, RrType, Tag, TagResourceType,
};
use warmstandby_core::Password;
use warmstandby_core::families::public_dns::{
    DesiredPublicDns, DnsAction, HealthCheckConfig, ObservedHealthCheck, ObservedPublicDns, PublicDns, PublicZone,
    RecordAction, RecordSpec,
};
use warmstandby_core::identity::Claim;
use warmstandby_core::plan::{ActionOutcome, Place};

use super::{AwsFamily, Observation, Reading};
use crate::clients::AwsContext;
use crate::errors::AwsError;
use crate::errors::ok_or_gone;
use crate::tags::Ownership;

impl AwsFamily for PublicDns {
    /// Route 53 is global: its reads count against the global resources.
    /// The zone is read directly by the ID of the last status where it has it.
    async fn observe(
        aws: &AwsContext,
        desired: &DesiredPublicDns,
        owners: &[Ownership; 2],
        reading: &Reading<'_>,
    ) -> Observation<ObservedPublicDns> {
        let hint = reading.status().and_then(|s| s.global.as_ref()).and_then(|g| g.public_zone_id.clone());
        let owner = &owners[0];
        let read = tokio::try_join!(
            Box::pin(observe_zone(aws, desired, owner, hint.as_deref())),
            Box::pin(observe_health_checks(aws, owner, desired.health_check.adopt.as_deref())),
        )
        .map(|((zone, records), health_checks)| ObservedPublicDns { zone, records, health_checks });
        Observation::at(Place::Global, read)
    }

    async fn apply(
        aws: &AwsContext,
        _region: &str,
        owner: &Ownership,
        action: &DnsAction,
        _password: &Password,
    ) -> Result<ActionOutcome, AwsError> {
        apply(aws, owner, action).await
    }
}

fn bare(name: &str) -> String {
    name.trim_end_matches('.').to_lowercase()
}

/// The public zone and the records at the names we manage.
async fn observe_zone(
    aws: &AwsContext,
    desired: &DesiredPublicDns,
    owner: &Ownership,
    hint: Option<&str>,
) -> Result<(Option<PublicZone>, Vec<RecordSpec>), AwsError> {
    let zone_name = bare(&desired.zone_name);
    if let Some(id) = hint {
        match list_records(aws, id, desired).await {
            // The apex records carry the zone's name: the hint still names our zone.
            Ok((records, apex)) if apex == zone_name => {
                return Ok((Some(PublicZone { id: id.to_string(), name: zone_name, ours: false }), records));
            }
            Ok(_) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    let zones = send!(
        "route53:ListHostedZonesByName",
        aws.route53().list_hosted_zones_by_name().dns_name(&zone_name).max_items(100)
    )?;
    let Some(zone) = zones
        .hosted_zones()
        .iter()
        .find(|z| bare(z.name()) == zone_name && !z.config().is_some_and(|c| c.private_zone()))
    else {
        return Ok((None, Vec::new()));
    };
    let id = zone.id().trim_start_matches("/hostedzone/").to_string();
    let (records, _) = list_records(aws, &id, desired).await?;
    let ours = zone.caller_reference() == owner.public_zone_reference();
    Ok((Some(PublicZone { id, name: zone_name, ours }), records))
}

/// Every record set at a managed name, and the zone's apex name.
async fn list_records(
    aws: &AwsContext,
    zone_id: &str,
    desired: &DesiredPublicDns,
) -> Result<(Vec<RecordSpec>, String), AwsError> {
    let managed = [bare(&desired.api_fqdn), bare(&desired.web_fqdn)];
    let mut out = Vec::new();
    let mut apex = String::new();
    let mut next: Option<(String, RrType, Option<String>)> = None;
    loop {
        let mut req = aws.route53().list_resource_record_sets().hosted_zone_id(zone_id).max_items(300);
        if let Some((name, rtype, id)) = next.take() {
            req = req.start_record_name(name).start_record_type(rtype).set_start_record_identifier(id);
        }
        let page = send!("route53:ListResourceRecordSets", req)?;
        for r in page.resource_record_sets() {
            let name = bare(r.name());
            if r.r#type() == &RrType::Soa {
                apex = name.clone();
            }
            // Validation CNAMEs and ownership markers start with an underscore.
            if !managed.contains(&name) && !name.starts_with('_') {
                continue;
            }
            out.push(RecordSpec {
                name,
                rtype: r.r#type().as_str().to_string(),
                set_identifier: r.set_identifier().map(str::to_string),
                failover: r.failover().map(|f| f.as_str().to_string()),
                alias: r
                    .alias_target()
                    .map(|a| (bare(a.dns_name()), a.hosted_zone_id().to_string(), a.evaluate_target_health())),
                health_check_id: r.health_check_id().map(str::to_string),
                ttl: r.ttl(),
                values: r.resource_records().iter().map(|v| v.value().trim_end_matches('.').to_string()).collect(),
            });
        }
        match (page.is_truncated(), page.next_record_name(), page.next_record_type()) {
            (true, Some(name), Some(rtype)) => {
                next = Some((name.to_string(), rtype.clone(), page.next_record_identifier().map(str::to_string)))
            }
            _ => break,
        }
    }
    out.sort();
    Ok((out, apex))
}

/// Health checks of this stack, recognised by their CallerReference
/// prefix, and the one named for adoption by its ID, with its tags (one
/// call a pass while `spec.healthCheck.adopt` is set).
async fn observe_health_checks(
    aws: &AwsContext,
    owner: &Ownership,
    adopt: Option<&str>,
) -> Result<Vec<ObservedHealthCheck>, AwsError> {
    let sample = owner.health_check_reference("");
    let prefix = &sample[..sample.rfind('-').map(|i| i + 1).unwrap_or(sample.len())];
    let mut out = Vec::new();
    for h in crate::fleet::health_checks(aws).await?.iter() {
        let adopted = adopt == Some(h.id());
        if !adopted && !h.caller_reference().starts_with(prefix) {
            continue;
        }
        let Some(c) = h.health_check_config() else { continue };
        let claim = if adopted {
            crate::route53::claim(aws, TagResourceType::Healthcheck, h.id(), owner).await?
        } else {
            Claim::Created
        };
        out.push(ObservedHealthCheck {
            claim,
            id: h.id().to_string(),
            caller_reference: h.caller_reference().to_string(),
            config: HealthCheckConfig {
                fqdn: c.fully_qualified_domain_name().unwrap_or_default().to_string(),
                https: matches!(c.r#type(), HealthCheckType::Https | HealthCheckType::HttpsStrMatch),
                port: c.port().unwrap_or_default(),
                path: c.resource_path().unwrap_or_default().to_string(),
                interval_seconds: c.request_interval().unwrap_or(30),
                failure_threshold: c.failure_threshold().unwrap_or(3),
            },
        });
    }
    Ok(out)
}

/// Whether most Route 53 checkers see the health check failing.
pub async fn health_check_failing(aws: &AwsContext, id: &str) -> Result<bool, AwsError> {
    let out = send!("route53:GetHealthCheckStatus", aws.route53().get_health_check_status().health_check_id(id))?;
    let reports: Vec<bool> = out
        .health_check_observations()
        .iter()
        .filter_map(|o| o.status_report().and_then(|r| r.status()))
        .map(|s| s.starts_with("Success"))
        .collect();
    let healthy = reports.iter().filter(|ok| **ok).count();
    Ok(!reports.is_empty() && healthy * 2 < reports.len())
}

fn record_set(r: &RecordSpec) -> Result<ResourceRecordSet, AwsError> {
    let op = "route53:ChangeResourceRecordSets";
    let mut b = ResourceRecordSet::builder()
        .name(&r.name)
        .r#type(RrType::from(r.rtype.as_str()))
        .set_set_identifier(r.set_identifier.clone())
        .set_failover(r.failover.as_deref().map(ResourceRecordSetFailover::from))
        .set_health_check_id(r.health_check_id.clone())
        .set_ttl(r.ttl);
    if let Some((dns, zone, evaluate)) = &r.alias {
        b = b.alias_target(
            AliasTarget::builder()
                .dns_name(dns)
                .hosted_zone_id(zone)
                .evaluate_target_health(*evaluate)
                .build()
                .map_err(|e| AwsError::build_failed(op, e))?,
        );
    }
    for v in &r.values {
        b = b.resource_records(ResourceRecord::builder().value(v).build().map_err(|e| AwsError::build_failed(op, e))?);
    }
    b.build().map_err(|e| AwsError::build_failed(op, e))
}

async fn tag(
    aws: &AwsContext,
    kind: TagResourceType,
    id: &str,
    owner: &Ownership,
    component: &str,
    name: &str,
) -> Result<(), AwsError> {
    let tags = owner.tags(component, name).into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
    send!(
        "route53:ChangeTagsForResource",
        aws.route53().change_tags_for_resource().resource_type(kind).resource_id(id).set_add_tags(Some(tags))
    )?;
    Ok(())
}

async fn apply(aws: &AwsContext, owner: &Ownership, action: &DnsAction) -> Result<ActionOutcome, AwsError> {
    let r53 = aws.route53();
    match action {
        DnsAction::CreatePublicZone { name } => {
            let out = send!(
                "route53:CreateHostedZone",
                r53.create_hosted_zone().name(name).caller_reference(owner.public_zone_reference())
            )?;
            let id =
                out.hosted_zone().map(|z| z.id().trim_start_matches("/hostedzone/").to_string()).unwrap_or_default();
            tag(aws, TagResourceType::Hostedzone, &id, owner, "public-zone", name).await?;
            Ok(ActionOutcome::Created { id })
        }
        DnsAction::DeletePublicZone { zone_id } => {
            ok_or_gone(send!("route53:DeleteHostedZone", r53.delete_hosted_zone().id(zone_id)))
        }
        DnsAction::ChangeRecords { zone_id, changes } => {
            let op = "route53:ChangeResourceRecordSets";
            let mut batch = ChangeBatch::builder().comment(format!("warmstandby {}", owner.owner));
            for (what, record) in changes {
                let action = match what {
                    RecordAction::Create => ChangeAction::Create,
                    RecordAction::Upsert => ChangeAction::Upsert,
                    RecordAction::Delete => ChangeAction::Delete,
                };
                batch = batch.changes(
                    Change::builder()
                        .action(action)
                        .resource_record_set(record_set(record)?)
                        .build()
                        .map_err(|e| AwsError::build_failed(op, e))?,
                );
            }
            let batch = batch.build().map_err(|e| AwsError::build_failed(op, e))?;
            match send!(
                "route53:ChangeResourceRecordSets",
                r53.change_resource_record_sets().hosted_zone_id(zone_id).change_batch(batch)
            ) {
                Ok(_) => Ok(ActionOutcome::Done),
                // Deleting what is already gone: the next pass sees the truth.
                Err(e)
                    if e.is_not_found()
                        || e.code == "InvalidChangeBatch"
                            && changes.iter().all(|(a, _)| *a == RecordAction::Delete) =>
                {
                    Ok(ActionOutcome::NotFound)
                }
                Err(e) => Err(e),
            }
        }
        DnsAction::CreateHealthCheck { caller_reference, name, config } => {
            let c = R53HealthCheckConfig::builder()
                .r#type(if config.https { HealthCheckType::Https } else { HealthCheckType::Http })
                .fully_qualified_domain_name(&config.fqdn)
                .port(config.port)
                .resource_path(&config.path)
                .request_interval(config.interval_seconds)
                .failure_threshold(config.failure_threshold)
                .set_enable_sni(config.https.then_some(true))
                .build()
                .map_err(|e| AwsError::build_failed("route53:CreateHealthCheck", e))?;
            let out = send!(
                "route53:CreateHealthCheck",
                r53.create_health_check().caller_reference(caller_reference).health_check_config(c)
            )?;
            let id = out.health_check().map(|h| h.id().to_string()).unwrap_or_default();
            tag(aws, TagResourceType::Healthcheck, &id, owner, "health-check/api", name).await?;
            Ok(ActionOutcome::Created { id })
        }
        DnsAction::UpdateHealthCheck { id, config } => send!(
            "route53:UpdateHealthCheck",
            r53.update_health_check()
                .health_check_id(id)
                .fully_qualified_domain_name(&config.fqdn)
                .port(config.port)
                .resource_path(&config.path)
                .failure_threshold(config.failure_threshold)
        )
        .map(|_| ActionOutcome::Done),
        DnsAction::DeleteHealthCheck { id } => {
            ok_or_gone(send!("route53:DeleteHealthCheck", r53.delete_health_check().health_check_id(id)))
        }
        DnsAction::AdoptHealthCheck { id } | DnsAction::ReleaseHealthCheck { id } => {
            let adopt = matches!(action, DnsAction::AdoptHealthCheck { .. });
            crate::route53::adopt_or_release(aws, TagResourceType::Healthcheck, id, owner, "health-check/api", adopt)
                .await
        }
        DnsAction::AdoptRecords { zone_id, marker, .. } => {
            let mut marker = marker.clone();
            let at = crate::tags::adoption_time();
            marker.values.push(format!("{}{at}\"", warmstandby_core::families::public_dns::ADOPTED_MARKER_PREFIX));
            let change = RecordAction::Create;
            Box::pin(apply(
                aws,
                owner,
                &DnsAction::ChangeRecords { zone_id: zone_id.clone(), changes: vec![(change, marker)] },
            ))
            .await
        }
        DnsAction::ReleaseRecords { zone_id, marker } => {
            let changes = vec![(RecordAction::Delete, marker.clone())];
            Box::pin(apply(aws, owner, &DnsAction::ChangeRecords { zone_id: zone_id.clone(), changes })).await
        }
    }
}
