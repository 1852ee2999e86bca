//! ACM certificates with DNS validation. Ours are recognised by tag; the
//! certificate ARN from the last status is read directly.

use warmstandby_api::TAG_UID;
use warmstandby_core::edge::observed::ObservedCertificate;
use warmstandby_core::edge::plan::CertificateAction;
use warmstandby_core::plan::ActionOutcome;

use super::{not_ours, ok_or_gone};
use crate::clients::AwsContext;
use crate::errors::AwsError;
use crate::shared::Listing;
use crate::tags::Ownership;

/// Our certificate for `domain`, from the region's shared listing. An
/// issued certificate's details (domain, validation records) no longer
/// change, so they are read once; one still pending is read every pass.
pub async fn observe(
    aws: &AwsContext,
    region: &str,
    domain: &str,
    owner: &Ownership,
    hint: Option<&str>,
) -> Result<Option<ObservedCertificate>, AwsError> {
    let list = crate::fleet::certificates(aws, region).await?;
    let listed = |arn: &str| list.iter().find(|c| c.certificate_arn() == Some(arn) && c.domain_name() == Some(domain));
    if let Some(summary) = hint.and_then(listed) {
        let arn = summary.certificate_arn().unwrap_or_default();
        return match summary.status().map(|s| s.as_str()) {
            Some("ISSUED") => {
                let issued =
                    aws.shared().versioned(Listing::Certificates, arn, "ISSUED", || describe(aws, region, arn)).await?;
                Ok(Option::clone(&issued))
            }
            _ => describe(aws, region, arn).await,
        };
    }
    for summary in list.iter() {
        if summary.domain_name() != Some(domain) {
            continue;
        }
        let Some(arn) = summary.certificate_arn() else { continue };
        if is_ours(aws, region, arn, owner).await? {
            return describe(aws, region, arn).await;
        }
    }
    Ok(None)
}

async fn is_ours(aws: &AwsContext, region: &str, arn: &str, owner: &Ownership) -> Result<bool, AwsError> {
    let tags = send!("acm:ListTagsForCertificate", aws.acm(region).list_tags_for_certificate().certificate_arn(arn))?;
    Ok(tags.tags().iter().any(|t| t.key() == TAG_UID && t.value() == Some(owner.uid.as_str())))
}

async fn describe(aws: &AwsContext, region: &str, arn: &str) -> Result<Option<ObservedCertificate>, AwsError> {
    let out = send!("acm:DescribeCertificate", aws.acm(region).describe_certificate().certificate_arn(arn))?;
    let Some(c) = out.certificate() else { return Ok(None) };
    Ok(Some(ObservedCertificate {
        arn: arn.to_string(),
        domain: c.domain_name().unwrap_or_default().to_string(),
        status: c.status().map(|s| s.as_str().to_string()).unwrap_or_default(),
        validation: c
            .domain_validation_options()
            .iter()
            .filter_map(|v| v.resource_record())
            .map(|r| (r.name().trim_end_matches('.').to_lowercase(), r.value().trim_end_matches('.').to_string()))
            .collect(),
    }))
}

pub async fn apply(
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
                .map_err(|e| super::AwsError::build_failed("acm:RequestCertificate", e))?;
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
            match is_ours(aws, region, arn, owner).await {
                Ok(true) => {}
                Ok(false) => return Err(not_ours("acm:DeleteCertificate", arn)),
                Err(e) if e.is_not_found() => return Ok(ActionOutcome::NotFound),
                Err(e) => return Err(e),
            }
            ok_or_gone(send!("acm:DeleteCertificate", acm.delete_certificate().certificate_arn(arn)))
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
