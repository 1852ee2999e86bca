//! The private DNS family's AWS side: private hosted zones, one per stack
//! and region, associated with that region's VPC, holding the
//! region-independent database name. A zone is recognised by a
//! CallerReference derived from the owner, so a crash between
//! CreateHostedZone and tagging never leaves an unrecognised duplicate.

use aws_sdk_route53::types::TagResourceType;
use warmstandby_api::{RegionRole, ThreeTierStackStatus};
use warmstandby_core::Password;
use warmstandby_core::families::private_dns::{DesiredPrivateZone, ObservedZone, PrivateDns, PrivateDnsAction};
use warmstandby_core::identity::{Claim, recorded_adoption};
use warmstandby_core::plan::ActionOutcome;
use warmstandby_core::resource::Kind;

use super::{AwsFamily, Observation, Reading};
use crate::clients::AwsContext;
use crate::errors::{AwsError, ok_or_gone};
use crate::route53::{adopt_or_release, claim};
use crate::tags::Ownership;

impl AwsFamily for PrivateDns {
    /// Both regions' zones at once (Route 53 is global, but each region's
    /// read counts as that region's): by the ID the last status names, else
    /// by our caller reference; the one the spec adopts by its ID.
    async fn observe(
        aws: &AwsContext,
        desired: &[DesiredPrivateZone; 2],
        owners: &[Ownership; 2],
        reading: &Reading<'_>,
    ) -> Observation<[Vec<ObservedZone>; 2]> {
        let status = reading.status();
        let hints = RegionRole::BOTH.map(|role| ZoneHints::of(status, role));
        let hints = &hints;
        Observation::each_region(|i| async move {
            let zone = observe_zone(aws, &desired[i], &owners[i], &hints[i]).await?;
            Ok(zone.into_iter().collect())
        })
        .await
    }

    async fn apply(
        aws: &AwsContext,
        region: &str,
        owner: &Ownership,
        action: &PrivateDnsAction,
        _password: &Password,
    ) -> Result<ActionOutcome, AwsError> {
        apply(aws, region, owner, action).await
    }
}

/// IDs from the last status that let a region's zone be read directly.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct ZoneHints {
    zone_id: Option<String>,
    /// When the status says the zone `spec.database.privateDns.adopt` names
    /// was adopted: it is read as ours then, without its tags (Route 53
    /// allows five requests a second to the whole account).
    adopted_at: Option<String>,
}

impl ZoneHints {
    fn of(status: Option<&ThreeTierStackStatus>, role: RegionRole) -> ZoneHints {
        let Some(status) = status else { return ZoneHints::default() };
        let region = match role {
            RegionRole::Primary => status.primary.as_ref(),
            RegionRole::Standby => status.standby.as_ref(),
        };
        let zone_id = region.and_then(|r| r.private_zone_id.clone());
        let adopted_at = zone_id.as_deref().and_then(|id| recorded_adoption(Some(status), Kind::PrivateHostedZone, id));
        ZoneHints { adopted_at, zone_id }
    }
}

/// CallerReference of a stack's private zone in one region.
fn zone_caller_reference(owner: &Ownership) -> String {
    owner.client_token(&format!("private-zone/{}", owner.region_role.as_str()))
}

/// The stack's private zone of this region, recognised by CallerReference.
async fn observe_zone(
    aws: &AwsContext,
    desired: &DesiredPrivateZone,
    owner: &Ownership,
    hints: &ZoneHints,
) -> Result<Option<ObservedZone>, AwsError> {
    let r53 = aws.route53();
    let hint = hints.zone_id.as_deref();
    if let Some(id) = &desired.adopt {
        if let (Some(at), true) = (&hints.adopted_at, hint == Some(id.as_str())) {
            // Adopted already (the status says so): its record is all that changes.
            let (_, record) = zone_record(aws, id, desired).await?;
            let claim = Claim::Adopted(at.clone());
            return Ok(Some(ObservedZone { id: id.clone(), name: desired.zone.clone(), vpc_ids: None, record, claim }));
        }
        return observe_adopted(aws, desired, owner, id).await;
    }
    if let Some(id) = hint {
        match zone_record(aws, id, desired).await {
            Ok((Some(apex), record)) if apex == desired.zone.trim_end_matches('.') => {
                return Ok(Some(ObservedZone {
                    id: id.to_string(),
                    name: desired.zone.clone(),
                    vpc_ids: None,
                    record,
                    claim: Claim::Created,
                }));
            }
            Ok(_) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    let reference = zone_caller_reference(owner);
    let zones = send!("route53:ListHostedZonesByName", r53.list_hosted_zones_by_name().dns_name(&desired.zone))?;
    let wanted = format!("{}.", desired.zone.trim_end_matches('.'));
    let Some(zone) = zones.hosted_zones().iter().find(|z| z.name() == wanted && z.caller_reference() == reference)
    else {
        return Ok(None);
    };
    let id = zone.id().trim_start_matches("/hostedzone/").to_string();
    let (detail, (_, record)) = tokio::try_join!(
        Box::pin(async { send!("route53:GetHostedZone", r53.get_hosted_zone().id(&id)) }),
        Box::pin(zone_record(aws, &id, desired)),
    )?;
    Ok(Some(ObservedZone {
        id,
        name: desired.zone.clone(),
        vpc_ids: Some(detail.vpcs().iter().filter_map(|v| v.vpc_id().map(str::to_string)).collect()),
        record,
        claim: Claim::Created,
    }))
}

/// The zone `spec.database.privateDns.adopt` names, by ID, with its VPCs
/// and tags (whose it is); three reads a pass while the spec adopts it.
async fn observe_adopted(
    aws: &AwsContext,
    desired: &DesiredPrivateZone,
    owner: &Ownership,
    id: &str,
) -> Result<Option<ObservedZone>, AwsError> {
    let r53 = aws.route53();
    let (detail, claim, (_, record)) = match tokio::try_join!(
        Box::pin(async { send!("route53:GetHostedZone", r53.get_hosted_zone().id(id)) }),
        Box::pin(claim(aws, TagResourceType::Hostedzone, id, owner)),
        Box::pin(zone_record(aws, id, desired)),
    ) {
        Ok(found) => found,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(Some(ObservedZone {
        id: id.to_string(),
        name: detail.hosted_zone().map(|z| z.name().trim_end_matches('.').to_string()).unwrap_or_default(),
        vpc_ids: Some(detail.vpcs().iter().filter_map(|v| v.vpc_id().map(str::to_string)).collect()),
        record,
        claim,
    }))
}

/// The zone's apex name (from its SOA) and our CNAME, in one read: the
/// records are listed from the apex, whose SOA sorts before our record.
async fn zone_record(
    aws: &AwsContext,
    zone_id: &str,
    desired: &DesiredPrivateZone,
) -> Result<(Option<String>, Option<(String, String)>), AwsError> {
    let records = send!(
        "route53:ListResourceRecordSets",
        aws.route53().list_resource_record_sets().hosted_zone_id(zone_id).max_items(10)
    )?;
    let apex = records
        .resource_record_sets()
        .iter()
        .find(|r| r.r#type().as_str() == "SOA")
        .map(|r| r.name().trim_end_matches('.').to_string());
    let record_name = format!("{}.", desired.record.trim_end_matches('.'));
    let record = records
        .resource_record_sets()
        .iter()
        .find(|r| r.name() == record_name && r.r#type().as_str() == "CNAME")
        .and_then(|r| r.resource_records().first().map(|v| (desired.record.clone(), v.value().to_string())));
    Ok((apex, record))
}

async fn change_record(
    aws: &AwsContext,
    zone_id: &str,
    name: &str,
    value: &str,
    action: aws_sdk_route53::types::ChangeAction,
) -> Result<ActionOutcome, AwsError> {
    let set = aws_sdk_route53::types::ResourceRecordSet::builder()
        .name(name)
        .r#type(aws_sdk_route53::types::RrType::Cname)
        .ttl(60)
        .resource_records(
            aws_sdk_route53::types::ResourceRecord::builder()
                .value(value)
                .build()
                .map_err(|e| AwsError::build_failed("ChangeResourceRecordSets", e))?,
        )
        .build()
        .map_err(|e| AwsError::build_failed("ChangeResourceRecordSets", e))?;
    let change = aws_sdk_route53::types::Change::builder()
        .action(action)
        .resource_record_set(set)
        .build()
        .map_err(|e| AwsError::build_failed("ChangeResourceRecordSets", e))?;
    let batch = aws_sdk_route53::types::ChangeBatch::builder()
        .changes(change)
        .build()
        .map_err(|e| AwsError::build_failed("ChangeResourceRecordSets", e))?;
    send!(
        "route53:ChangeResourceRecordSets",
        aws.route53().change_resource_record_sets().hosted_zone_id(zone_id).change_batch(batch)
    )
    .map(|_| ActionOutcome::Done)
}

/// Executes one private-zone action in `region`.
async fn apply(
    aws: &AwsContext,
    region: &str,
    owner: &Ownership,
    action: &PrivateDnsAction,
) -> Result<ActionOutcome, AwsError> {
    match action {
        PrivateDnsAction::CreatePrivateZone { name, vpc_id, .. } => {
            let r53 = aws.route53();
            let out = send!(
                "route53:CreateHostedZone",
                r53.create_hosted_zone()
                    .name(name)
                    .caller_reference(zone_caller_reference(owner))
                    .vpc(
                        aws_sdk_route53::types::Vpc::builder()
                            .vpc_id(vpc_id)
                            .vpc_region(aws_sdk_route53::types::VpcRegion::from(region))
                            .build()
                    )
                    .hosted_zone_config(
                        aws_sdk_route53::types::HostedZoneConfig::builder()
                            .private_zone(true)
                            .comment(format!("warmstandby {} {}", owner.owner, owner.region_role.as_str()))
                            .build()
                    )
            )?;
            let id =
                out.hosted_zone().map(|z| z.id().trim_start_matches("/hostedzone/").to_string()).unwrap_or_default();
            let tags: Vec<aws_sdk_route53::types::Tag> = owner
                .tags("private-zone", name)
                .into_iter()
                .map(|(k, v)| aws_sdk_route53::types::Tag::builder().key(k).value(v).build())
                .collect();
            send!(
                "route53:ChangeTagsForResource",
                r53.change_tags_for_resource()
                    .resource_type(aws_sdk_route53::types::TagResourceType::Hostedzone)
                    .resource_id(&id)
                    .set_add_tags(Some(tags))
            )?;
            Ok(ActionOutcome::Created { id })
        }
        PrivateDnsAction::UpsertRecord { zone_id, name, value } => {
            change_record(aws, zone_id, name, value, aws_sdk_route53::types::ChangeAction::Upsert).await
        }
        PrivateDnsAction::DeleteRecord { zone_id, name, value } => {
            ok_or_gone(change_record(aws, zone_id, name, value, aws_sdk_route53::types::ChangeAction::Delete).await)
        }
        PrivateDnsAction::DeletePrivateZone { zone_id } => {
            ok_or_gone(send!("route53:DeleteHostedZone", aws.route53().delete_hosted_zone().id(zone_id)))
        }
        PrivateDnsAction::AdoptPrivateZone { zone_id, .. } | PrivateDnsAction::ReleasePrivateZone { zone_id, .. } => {
            let adopt = matches!(action, PrivateDnsAction::AdoptPrivateZone { .. });
            adopt_or_release(aws, TagResourceType::Hostedzone, zone_id, owner, "private-zone", adopt).await
        }
    }
}
