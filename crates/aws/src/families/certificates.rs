//! The certificates family's AWS side: ACM certificates with DNS
//! validation. Ours are recognised by tag; the certificate ARN from the
//! last status is read directly.

use warmstandby_api::{RegionRole, ThreeTierStackStatus};
use warmstandby_core::Password;
use warmstandby_core::families::certificates::{
    CertificateAction, CertificateChoice, Certificates, DesiredCertificate, DesiredCertificates, ObservedCertificate,
    ObservedCertificates,
};
use warmstandby_core::identity::{Claim, recorded_adoption};
use warmstandby_core::plan::{ActionOutcome, Place};
use warmstandby_core::resource::Kind;

use super::{AwsFamily, Observation, Reading};
use super::{managed_by_another, not_ours, ok_or_gone};
use crate::clients::AwsContext;
use crate::errors::AwsError;
use crate::shared::Listing;
use crate::tags::Ownership;

impl AwsFamily for Certificates {
    /// Every certificate at once, each region's read counting against its
    /// region (CloudFront's own, in us-east-1, against the global
    /// resources). A region that cannot be read keeps what the last status
    /// knew of its certificate: it stays issued (ACM renews it, not us), and
    /// a distribution serving it still names it.
    async fn observe(
        aws: &AwsContext,
        desired: &DesiredCertificates,
        owners: &[Ownership; 2],
        reading: &Reading<'_>,
    ) -> Observation<ObservedCertificates> {
        let status = reading.status();
        let read = |d| CertificateRead::of(d, status);
        let (primary, standby, cloudfront) = tokio::join!(
            Box::pin(observe(aws, &desired.regions[0].region, &owners[0], read(&desired.regions[0]))),
            Box::pin(observe(aws, &desired.regions[1].region, &owners[1], read(&desired.regions[1]))),
            Box::pin(async {
                match &desired.cloudfront {
                    Some(d) => observe(aws, &d.region, &owners[0], read(d)).await,
                    None => Ok(None),
                }
            }),
        );
        let mut seen = Observation::<ObservedCertificates>::default();
        for (role, found) in RegionRole::BOTH.into_iter().zip([primary, standby]) {
            let found = match found {
                Ok(found) => found,
                Err(e) => {
                    seen.failed.push((Place::Region(role), e));
                    last_known(status, &desired.regions[role.index()])
                }
            };
            seen.observed.regions[role.index()] = found;
        }
        seen.observed.cloudfront = seen.take(Place::Global, cloudfront);
        seen
    }

    async fn apply(
        aws: &AwsContext,
        region: &str,
        owner: &Ownership,
        action: &CertificateAction,
        _password: &Password,
    ) -> Result<ActionOutcome, AwsError> {
        apply(aws, region, owner, action).await
    }
}

/// The certificate to observe: the stack's own for `domain`, or the one
/// `choice` adopts.
struct CertificateRead<'a> {
    domain: &'a str,
    choice: &'a CertificateChoice,
    /// Its ARN in the last status.
    hint: Option<String>,
    /// When the last status recorded the adopted one's adoption: its tags
    /// need no reading again.
    adopted_at: Option<String>,
}

impl<'a> CertificateRead<'a> {
    fn of(d: &'a DesiredCertificate, status: Option<&ThreeTierStackStatus>) -> Self {
        CertificateRead {
            domain: &d.domain,
            choice: &d.choice,
            hint: status_arn(status, d.place),
            adopted_at: d.choice.adopt.as_ref().and_then(|(arn, _)| recorded_adoption(status, Kind::Certificate, arn)),
        }
    }
}

/// The certificate ARN the last status names at `place`.
fn status_arn(status: Option<&ThreeTierStackStatus>, place: Place) -> Option<String> {
    let status = status?;
    match place {
        Place::Region(RegionRole::Primary) => status.primary.as_ref()?.certificate_arn.clone(),
        Place::Region(RegionRole::Standby) => status.standby.as_ref()?.certificate_arn.clone(),
        Place::Global => status.global.as_ref()?.cloudfront_certificate_arn.clone(),
    }
}

/// What the last status knew of a region's certificate, read as issued.
fn last_known(status: Option<&ThreeTierStackStatus>, d: &DesiredCertificate) -> Option<ObservedCertificate> {
    let arn = status_arn(status, d.place)?;
    Some(ObservedCertificate {
        domain: d.domain.clone(),
        status: "ISSUED".into(),
        validation: Vec::new(),
        names: Vec::new(),
        claim: recorded_adoption(status, Kind::Certificate, &arn).map(Claim::Adopted).unwrap_or_default(),
        arn,
    })
}

/// Our certificate for `domain`, from the region's shared listing, or the
/// adopted one by its ARN. An issued certificate's details (names,
/// validation records) no longer change, so they are read once; one still
/// pending is read every pass.
async fn observe(
    aws: &AwsContext,
    region: &str,
    owner: &Ownership,
    read: CertificateRead<'_>,
) -> Result<Option<ObservedCertificate>, AwsError> {
    let list = crate::fleet::certificates(aws, region).await?;
    if let Some((arn, _)) = &read.choice.adopt {
        // By its ARN: a console's certificate may have other names than ours.
        let Some(mut found) = observe_arn(aws, region, &list, arn).await? else { return Ok(None) };
        found.claim = match read.adopted_at {
            Some(at) => Claim::Adopted(at),
            None => claim(aws, region, arn, owner).await?,
        };
        return Ok(Some(found));
    }
    let domain = read.domain;
    let listed = |arn: &str| list.iter().any(|c| c.certificate_arn() == Some(arn) && c.domain_name() == Some(domain));
    if let Some(arn) = read.hint.as_deref().filter(|arn| listed(arn)) {
        return observe_arn(aws, region, &list, arn).await;
    }
    for summary in list.iter() {
        if summary.domain_name() != Some(domain) {
            continue;
        }
        let Some(arn) = summary.certificate_arn() else { continue };
        if claim(aws, region, arn, owner).await? == Claim::Created {
            return describe(aws, region, arn).await;
        }
    }
    Ok(None)
}

/// One certificate by ARN; an issued one listed is read once.
async fn observe_arn(
    aws: &AwsContext,
    region: &str,
    list: &[aws_sdk_acm::types::CertificateSummary],
    arn: &str,
) -> Result<Option<ObservedCertificate>, AwsError> {
    let issued =
        list.iter().any(|c| c.certificate_arn() == Some(arn) && c.status().map(|s| s.as_str()) == Some("ISSUED"));
    let found = if issued {
        aws.shared()
            .versioned(Listing::Certificates, arn, "ISSUED", || describe(aws, region, arn))
            .await
            .map(|c| Option::clone(&c))
    } else {
        describe(aws, region, arn).await
    };
    match found {
        Err(e) if e.is_not_found() => Ok(None),
        other => other,
    }
}

/// Whose the certificate is, from its tags.
async fn claim(aws: &AwsContext, region: &str, arn: &str, owner: &Ownership) -> Result<Claim, AwsError> {
    let tags = send!("acm:ListTagsForCertificate", aws.acm(region).list_tags_for_certificate().certificate_arn(arn))?;
    Ok(Claim::of(tags.tags().iter().map(|t| (t.key(), t.value().unwrap_or_default())), &owner.uid))
}

async fn describe(aws: &AwsContext, region: &str, arn: &str) -> Result<Option<ObservedCertificate>, AwsError> {
    let out = send!("acm:DescribeCertificate", aws.acm(region).describe_certificate().certificate_arn(arn))?;
    let Some(c) = out.certificate() else { return Ok(None) };
    let domain = c.domain_name().unwrap_or_default().to_string();
    let mut names = vec![domain.clone()];
    names.extend(c.subject_alternative_names().iter().filter(|n| **n != domain).cloned());
    Ok(Some(ObservedCertificate {
        arn: arn.to_string(),
        names,
        claim: Claim::Created,
        domain,
        status: c.status().map(|s| s.as_str().to_string()).unwrap_or_default(),
        validation: c
            .domain_validation_options()
            .iter()
            .filter_map(|v| v.resource_record())
            .map(|r| (r.name().trim_end_matches('.').to_lowercase(), r.value().trim_end_matches('.').to_string()))
            .collect(),
    }))
}

async fn apply(
    aws: &AwsContext,
    region: &str,
    owner: &Ownership,
    action: &CertificateAction,
) -> Result<ActionOutcome, AwsError> {
    let acm = aws.acm(region);
    match action {
        CertificateAction::RequestCertificate { domain } => {
            let tags = owner
                .tags("certificate/wildcard", domain)
                .into_iter()
                .map(|(k, v)| aws_sdk_acm::types::Tag::builder().key(k).value(v).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| AwsError::build_failed("acm:RequestCertificate", e))?;
            let token: String = owner
                .client_token(&format!("certificate/{region}"))
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect();
            let out = send!(
                "acm:RequestCertificate",
                acm.request_certificate()
                    .domain_name(domain)
                    .validation_method(aws_sdk_acm::types::ValidationMethod::Dns)
                    .idempotency_token(&token[..token.len().min(32)])
                    .set_tags(Some(tags))
            )?;
            Ok(ActionOutcome::Created { id: out.certificate_arn().unwrap_or_default().to_string() })
        }
        CertificateAction::DeleteCertificate { arn } => {
            match claim(aws, region, arn, owner).await {
                Ok(Claim::Created) => {}
                Ok(_) => return Err(not_ours("acm:DeleteCertificate", arn)),
                Err(e) if e.is_not_found() => return Ok(ActionOutcome::NotFound),
                Err(e) => return Err(e),
            }
            ok_or_gone(send!("acm:DeleteCertificate", acm.delete_certificate().certificate_arn(arn)))
        }
        CertificateAction::AdoptCertificate { arn } => {
            // Checked again: someone may have claimed it since the plan.
            if let Claim::Foreign { other_owner: Some(other) } = claim(aws, region, arn, owner).await? {
                return Err(managed_by_another("acm:AddTagsToCertificate", &format!("certificate {arn}"), &other));
            }
            let tags = crate::tags::adoption_tags(owner, "certificate")
                .into_iter()
                .map(|(k, v)| aws_sdk_acm::types::Tag::builder().key(k).value(v).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| AwsError::build_failed("acm:AddTagsToCertificate", e))?;
            send!("acm:AddTagsToCertificate", acm.add_tags_to_certificate().certificate_arn(arn).set_tags(Some(tags)))
                .map(|_| ActionOutcome::Done)
        }
        CertificateAction::ReleaseCertificate { arn } => {
            let keys = crate::tags::our_tag_keys()
                .into_iter()
                .map(|k| aws_sdk_acm::types::Tag::builder().key(k).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| AwsError::build_failed("acm:RemoveTagsFromCertificate", e))?;
            ok_or_gone(send!(
                "acm:RemoveTagsFromCertificate",
                acm.remove_tags_from_certificate().certificate_arn(arn).set_tags(Some(keys))
            ))
        }
    }
}
