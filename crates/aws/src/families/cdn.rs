//! The CDN family's AWS side: the CloudFront distribution over the two web
//! ALBs. Ours is recognised by its CallerReference (derived from the owner)
//! and read directly by the ID of the last status; one named for adoption by
//! its ID, with its tags.

use aws_sdk_cloudfront::types::{
    Aliases, AllowedMethods, CachedMethods, CustomOriginConfig, DefaultCacheBehavior, Distribution, DistributionConfig,
    DistributionConfigWithTags, HttpVersion, Method, MinimumProtocolVersion, Origin, OriginGroup,
    OriginGroupFailoverCriteria, OriginGroupMember, OriginGroupMembers, OriginGroups, OriginProtocolPolicy,
    OriginSslProtocols, Origins, PriceClass, SslProtocol, SslSupportMethod, StatusCodes, Tag, Tags, ViewerCertificate,
    ViewerProtocolPolicy,
};
use warmstandby_core::Password;
use warmstandby_core::families::cdn::{
    CACHING_DISABLED, Cdn, CdnAction, DesiredCdn, DistributionSpec, ObservedCdn, ObservedDistribution, OriginSpec,
};
use warmstandby_core::identity::Claim;
use warmstandby_core::plan::{ActionOutcome, Place};

use super::{AwsFamily, Observation, Reading};
use crate::clients::AwsContext;
use crate::errors::{AwsError, ok_or_gone};
use crate::shared::Listing;
use crate::tags::Ownership;

impl AwsFamily for Cdn {
    /// CloudFront is global: its reads count against the global resources.
    async fn observe(
        aws: &AwsContext,
        desired: &DesiredCdn,
        owners: &[Ownership; 2],
        reading: &Reading<'_>,
    ) -> Observation<ObservedCdn> {
        let hint = reading.status().and_then(|s| s.global.as_ref()).and_then(|g| g.distribution_id.clone());
        Observation::at(Place::Global, observe(aws, desired, &owners[0], hint.as_deref()).await)
    }

    async fn apply(
        aws: &AwsContext,
        _region: &str,
        owner: &Ownership,
        action: &CdnAction,
        _password: &Password,
    ) -> Result<ActionOutcome, AwsError> {
        apply(aws, owner, action).await
    }
}

/// Managed origin request policy AllViewer: with caching disabled the
/// origin sees the viewer's request as it was.
const ALL_VIEWER: &str = "216adef6-5c7f-47e4-b989-5492eafa07d3";

async fn observe(
    aws: &AwsContext,
    desired: &DesiredCdn,
    owner: &Ownership,
    hint: Option<&str>,
) -> Result<Option<ObservedDistribution>, AwsError> {
    let reference = owner.distribution_reference();
    let listed = crate::fleet::distributions(aws).await?;
    if let Some(id) = &desired.distribution.adopt {
        // Named for adoption: found by its ID, whose by its tags (one call a pass while adopting).
        let Some(summary) = listed.iter().find(|s| s.id() == id) else { return Ok(None) };
        let version = format!("{summary:?}");
        let d = aws.shared().versioned(Listing::Distributions, id, &version, || get(aws, id)).await?;
        let Some(d) = Option::as_ref(&d) else { return Ok(None) };
        let claim = claim(aws, &d.arn, owner).await?;
        return Ok(Some(ObservedDistribution { status: summary.status().to_string(), claim, ..d.clone() }));
    }
    let found = find_ours(aws, desired, &reference, &listed, hint).await?;
    match found {
        // Retained, whose it is is read too: a teardown releases it and must then see it released.
        Some(mut d) if desired.distribution.retain => {
            d.claim = claim(aws, &d.arn, owner).await?;
            Ok(Some(d))
        }
        other => Ok(other),
    }
}

async fn claim(aws: &AwsContext, arn: &str, owner: &Ownership) -> Result<Claim, AwsError> {
    let tags = send!("cloudfront:ListTagsForResource", aws.cloudfront().list_tags_for_resource().resource(arn))?;
    let items = tags.tags().map(|t| t.items()).unwrap_or_default();
    Ok(Claim::of(items.iter().map(|t| (t.key(), t.value().unwrap_or_default())), &owner.uid))
}

/// The stack's own distribution: the hinted one, else one named like ours, by its caller reference.
async fn find_ours(
    aws: &AwsContext,
    desired: &DesiredCdn,
    reference: &str,
    listed: &[aws_sdk_cloudfront::types::DistributionSummary],
    hint: Option<&str>,
) -> Result<Option<ObservedDistribution>, AwsError> {
    // The listing's summary carries every setting we compare: the hinted
    // distribution is read again only when its summary changed.
    if let Some(summary) = hint.and_then(|id| listed.iter().find(|s| s.id() == id)) {
        let version = format!("{summary:?}");
        let d =
            aws.shared().versioned(Listing::Distributions, summary.id(), &version, || get(aws, summary.id())).await?;
        if let Some(d) = Option::as_ref(&d).filter(|d| d.caller_reference == reference) {
            // Deployment moves the status on without modifying the distribution.
            return Ok(Some(ObservedDistribution { status: summary.status().to_string(), ..d.clone() }));
        }
    }
    let web = desired.web_fqdn.to_lowercase();
    for s in listed.iter() {
        let named = s.comment() == desired.distribution.comment
            || s.aliases().is_some_and(|a| a.items().iter().any(|x| x.to_lowercase() == web));
        if !named {
            continue;
        }
        if let Some(d) = get(aws, s.id()).await?
            && d.caller_reference == reference
        {
            return Ok(Some(d));
        }
    }
    Ok(None)
}

async fn get(aws: &AwsContext, id: &str) -> Result<Option<ObservedDistribution>, AwsError> {
    let out = send!("cloudfront:GetDistribution", aws.cloudfront().get_distribution().id(id))?;
    let etag = out.e_tag().unwrap_or_default().to_string();
    Ok(out.distribution().map(|d| observed(d, etag)))
}

fn observed(d: &Distribution, etag: String) -> ObservedDistribution {
    let c = d.distribution_config();
    let origins = c
        .and_then(|c| c.origins())
        .map(|o| o.items())
        .unwrap_or_default()
        .iter()
        .map(|o| OriginSpec {
            id: o.id().to_string(),
            domain_name: o.domain_name().to_lowercase(),
            protocol_policy: o
                .custom_origin_config()
                .map(|c| c.origin_protocol_policy().as_str().to_string())
                .unwrap_or_default(),
            connection_attempts: o.connection_attempts().unwrap_or(3),
            connection_timeout: o.connection_timeout().unwrap_or(10),
        })
        .collect();
    let group = c.and_then(|c| c.origin_groups()).and_then(|g| g.items().first());
    let mut codes: Vec<i32> = group
        .and_then(|g| g.failover_criteria())
        .and_then(|f| f.status_codes())
        .map(|s| s.items().to_vec())
        .unwrap_or_default();
    codes.sort_unstable();
    let behavior = c.and_then(|c| c.default_cache_behavior());
    let mut methods: Vec<String> = behavior
        .and_then(|b| b.allowed_methods())
        .map(|m| m.items().iter().map(|x| x.as_str().to_string()).collect())
        .unwrap_or_default();
    methods.sort();
    ObservedDistribution {
        id: d.id().to_string(),
        arn: d.arn().to_string(),
        domain_name: d.domain_name().to_lowercase(),
        status: d.status().to_string(),
        etag,
        caller_reference: c.map(|c| c.caller_reference().to_string()).unwrap_or_default(),
        claim: Claim::Created,
        spec: DistributionSpec {
            comment: c.map(|c| c.comment().to_string()).unwrap_or_default(),
            enabled: c.is_some_and(|c| c.enabled()),
            aliases: c
                .and_then(|c| c.aliases())
                .map(|a| a.items().iter().map(|x| x.to_lowercase()).collect())
                .unwrap_or_default(),
            certificate_arn: c
                .and_then(|c| c.viewer_certificate())
                .and_then(|v| v.acm_certificate_arn())
                .unwrap_or_default()
                .to_string(),
            origins,
            origin_group_id: group.map(|g| g.id().to_string()).unwrap_or_default(),
            origin_group_members: group
                .and_then(|g| g.members())
                .map(|m| m.items().iter().map(|x| x.origin_id().to_string()).collect())
                .unwrap_or_default(),
            failover_status_codes: codes,
            target_origin_id: behavior.map(|b| b.target_origin_id().to_string()).unwrap_or_default(),
            viewer_protocol_policy: behavior
                .map(|b| b.viewer_protocol_policy().as_str().to_string())
                .unwrap_or_default(),
            allowed_methods: methods,
            cache_policy_id: behavior.and_then(|b| b.cache_policy_id()).unwrap_or_default().to_string(),
            price_class: c.and_then(|c| c.price_class()).map(|p| p.as_str().to_string()).unwrap_or_default(),
            web_acl_id: c.and_then(|c| c.web_acl_id()).unwrap_or_default().to_string(),
        },
    }
}

fn config(spec: &DistributionSpec, caller_reference: &str) -> Result<DistributionConfig, AwsError> {
    let e = |e: aws_sdk_cloudfront::error::BuildError| AwsError::build_failed("cloudfront:DistributionConfig", e);
    let mut origins = Vec::new();
    for o in &spec.origins {
        origins.push(
            Origin::builder()
                .id(&o.id)
                .domain_name(&o.domain_name)
                .custom_origin_config(
                    CustomOriginConfig::builder()
                        .http_port(80)
                        .https_port(443)
                        .origin_protocol_policy(OriginProtocolPolicy::from(o.protocol_policy.as_str()))
                        .origin_ssl_protocols(
                            OriginSslProtocols::builder().quantity(1).items(SslProtocol::TlSv12).build().map_err(e)?,
                        )
                        .origin_read_timeout(30)
                        .origin_keepalive_timeout(5)
                        .build()
                        .map_err(e)?,
                )
                .connection_attempts(o.connection_attempts)
                .connection_timeout(o.connection_timeout)
                .build()
                .map_err(e)?,
        );
    }
    let mut members = Vec::new();
    for m in &spec.origin_group_members {
        members.push(OriginGroupMember::builder().origin_id(m).build().map_err(e)?);
    }
    let group = OriginGroup::builder()
        .id(&spec.origin_group_id)
        .failover_criteria(
            OriginGroupFailoverCriteria::builder()
                .status_codes(
                    StatusCodes::builder()
                        .quantity(spec.failover_status_codes.len() as i32)
                        .set_items(Some(spec.failover_status_codes.clone()))
                        .build()
                        .map_err(e)?,
                )
                .build(),
        )
        .members(
            OriginGroupMembers::builder().quantity(members.len() as i32).set_items(Some(members)).build().map_err(e)?,
        )
        .build()
        .map_err(e)?;
    let methods: Vec<Method> = spec.allowed_methods.iter().map(|m| Method::from(m.as_str())).collect();
    let mut behavior = DefaultCacheBehavior::builder()
        .target_origin_id(&spec.target_origin_id)
        .viewer_protocol_policy(ViewerProtocolPolicy::from(spec.viewer_protocol_policy.as_str()))
        .allowed_methods(
            AllowedMethods::builder()
                .quantity(methods.len() as i32)
                .set_items(Some(methods))
                .cached_methods(
                    CachedMethods::builder().quantity(2).items(Method::Get).items(Method::Head).build().map_err(e)?,
                )
                .build()
                .map_err(e)?,
        )
        .cache_policy_id(&spec.cache_policy_id)
        .compress(true);
    if spec.cache_policy_id == CACHING_DISABLED {
        behavior = behavior.origin_request_policy_id(ALL_VIEWER);
    }
    DistributionConfig::builder()
        .caller_reference(caller_reference)
        .comment(&spec.comment)
        .enabled(spec.enabled)
        .aliases(
            Aliases::builder()
                .quantity(spec.aliases.len() as i32)
                .set_items(Some(spec.aliases.clone()))
                .build()
                .map_err(e)?,
        )
        .origins(Origins::builder().quantity(origins.len() as i32).set_items(Some(origins)).build().map_err(e)?)
        .origin_groups(OriginGroups::builder().quantity(1).items(group).build().map_err(e)?)
        .default_cache_behavior(behavior.build().map_err(e)?)
        .viewer_certificate(
            ViewerCertificate::builder()
                .acm_certificate_arn(&spec.certificate_arn)
                .ssl_support_method(SslSupportMethod::SniOnly)
                .minimum_protocol_version(MinimumProtocolVersion::TlSv122021)
                .build(),
        )
        .price_class(PriceClass::from(spec.price_class.as_str()))
        .web_acl_id(&spec.web_acl_id)
        .http_version(HttpVersion::Http2and3)
        .is_ipv6_enabled(true)
        .build()
        .map_err(e)
}

async fn apply(aws: &AwsContext, owner: &Ownership, action: &CdnAction) -> Result<ActionOutcome, AwsError> {
    let outcome = change(aws, owner, action).await;
    // A refused ETag (changed outside a setting the summary shows) must be read again.
    if outcome.is_err()
        && let CdnAction::UpdateDistribution { id, .. } | CdnAction::DeleteDistribution { id, .. } = action
    {
        aws.shared().forget(Listing::Distributions, id);
    }
    outcome
}

async fn change(aws: &AwsContext, owner: &Ownership, action: &CdnAction) -> Result<ActionOutcome, AwsError> {
    let cf = aws.cloudfront();
    match action {
        CdnAction::CreateDistribution { spec } => {
            let caller_reference = &owner.distribution_reference();
            let mut tags = Vec::new();
            for (k, v) in owner.tags("distribution/web", &spec.comment) {
                tags.push(
                    Tag::builder().key(k).value(v).build().map_err(|e| AwsError::build_failed("cloudfront:Tag", e))?,
                );
            }
            let with_tags = DistributionConfigWithTags::builder()
                .distribution_config(config(spec, caller_reference)?)
                .tags(Tags::builder().set_items(Some(tags)).build())
                .build();
            let out = send!(
                "cloudfront:CreateDistributionWithTags",
                cf.create_distribution_with_tags().distribution_config_with_tags(with_tags)
            )?;
            Ok(ActionOutcome::Created { id: out.distribution().map(|d| d.id().to_string()).unwrap_or_default() })
        }
        CdnAction::UpdateDistribution { id, etag, caller_reference, spec } => send!(
            "cloudfront:UpdateDistribution",
            cf.update_distribution().id(id).if_match(etag).distribution_config(config(spec, caller_reference)?)
        )
        .map(|_| ActionOutcome::Done),
        CdnAction::AdoptDistribution { arn, .. } => {
            let mut tags = Vec::new();
            for (k, v) in crate::tags::adoption_tags(owner, "distribution/web") {
                tags.push(
                    Tag::builder().key(k).value(v).build().map_err(|e| AwsError::build_failed("cloudfront:Tag", e))?,
                );
            }
            send!(
                "cloudfront:TagResource",
                cf.tag_resource().resource(arn).tags(Tags::builder().set_items(Some(tags)).build())
            )
            .map(|_| ActionOutcome::Done)
        }
        CdnAction::ReleaseDistribution { arn, .. } => {
            let keys =
                aws_sdk_cloudfront::types::TagKeys::builder().set_items(Some(crate::tags::our_tag_keys())).build();
            ok_or_gone(send!("cloudfront:UntagResource", cf.untag_resource().resource(arn).tag_keys(keys)))
        }
        CdnAction::DeleteDistribution { id, etag } => {
            ok_or_gone(send!("cloudfront:DeleteDistribution", cf.delete_distribution().id(id).if_match(etag)))
        }
    }
}
