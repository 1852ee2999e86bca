//! The WAF family's AWS side: the WAFv2 web ACL (scope CLOUDFRONT,
//! us-east-1) with AWS managed rule groups and an optional rate limit,
//! associated with the distribution through the distribution's `WebACLId`.
//! Its listing is shared by every stack (one ListWebACLs per pass of the
//! fleet), and an ACL's rules are read again only when its lock token moves.

use aws_sdk_wafv2::types::{
    AllowAction, BlockAction, DefaultAction, ManagedRuleGroupStatement, NoneAction, OverrideAction, RateBasedStatement,
    RateBasedStatementAggregateKeyType, Rule, RuleAction, Scope, Statement, Tag, VisibilityConfig,
};
use std::sync::Arc;

use warmstandby_api::{GLOBAL_REGION, TAG_UID};
use warmstandby_core::Password;
use warmstandby_core::families::waf::{DesiredWaf, ObservedWaf, ObservedWebAcl, Waf, WafAction, WebAclSpec};
use warmstandby_core::identity::Claim;
use warmstandby_core::plan::ActionOutcome;
use warmstandby_core::plan::Place;

use super::{AwsFamily, Observation, Reading};
use super::{not_ours, ok_or_gone};
use crate::clients::AwsContext;
use crate::errors::AwsError;
use crate::shared::Listing;
use crate::tags::Ownership;

impl AwsFamily for Waf {
    /// The ACL of the desired name: by the ARN the last status names, else
    /// by name. Its tags are read only while they matter (`read_tags`).
    async fn observe(
        aws: &AwsContext,
        desired: &DesiredWaf,
        owners: &[Ownership; 2],
        reading: &Reading<'_>,
    ) -> Observation<ObservedWaf> {
        let Some(w) = desired else { return Observation::default() };
        let hint = reading.status().and_then(|s| s.global.as_ref()).and_then(|g| g.web_acl_arn.as_deref());
        // Scope CLOUDFRONT: us-east-1, with the edge's global resources.
        Observation::at(Place::Global, observe(aws, &w.name, hint, w.read_tags.then_some(&owners[0])).await)
    }

    async fn apply(
        aws: &AwsContext,
        _region: &str,
        owner: &Ownership,
        action: &WafAction,
        _password: &Password,
    ) -> Result<ActionOutcome, AwsError> {
        apply(aws, owner, action).await
    }
}

/// Every web ACL of scope CLOUDFRONT in the account, shared by the fleet.
pub(crate) async fn web_acls(aws: &AwsContext) -> Result<Arc<Vec<aws_sdk_wafv2::types::WebAclSummary>>, AwsError> {
    aws.shared()
        .read(Listing::WebAcls, GLOBAL_REGION, || {
            crate::fleet::all_pages(|marker| async {
                let page = send!(
                    "wafv2:ListWebACLs",
                    aws.wafv2_cloudfront().list_web_acls().scope(Scope::Cloudfront).limit(100).set_next_marker(marker)
                )?;
                Ok((page.web_acls().to_vec(), page.next_marker().map(str::to_string)))
            })
        })
        .await
}

const RATE_RULE: &str = "rate-limit";

/// `arn:...:global/webacl/<name>/<id>` -> (name, id).
fn name_and_id(arn: &str) -> Option<(String, String)> {
    let mut parts = arn.rsplit('/');
    let id = parts.next()?;
    let name = parts.next()?;
    Some((name.to_string(), id.to_string()))
}

/// Our web ACL, from the shared listing (by the hinted ID, else by name).
/// Every change gives an ACL a new lock token: its rules are read again
/// only then. `adopting`: the name is one `spec.waf.adopt` gives, so its
/// tags say whose it is (one more read, only while adopting).
async fn observe(
    aws: &AwsContext,
    name: &str,
    hint: Option<&str>,
    adopting: Option<&Ownership>,
) -> Result<Option<ObservedWebAcl>, AwsError> {
    let listed = web_acls(aws).await?;
    let hinted = hint.and_then(name_and_id).filter(|(n, _)| n == name).map(|(_, id)| id);
    let Some(summary) = listed
        .iter()
        .find(|a| hinted.is_some() && a.id() == hinted.as_deref() && a.name() == Some(name))
        .or_else(|| listed.iter().find(|a| a.name() == Some(name)))
    else {
        return Ok(None);
    };
    let (Some(id), Some(token)) = (summary.id(), summary.lock_token()) else { return Ok(None) };
    let acl = aws.shared().versioned(Listing::WebAcls, id, token, || get(aws, name, id)).await?;
    let Some(mut acl) = Option::clone(&acl) else { return Ok(None) };
    if let Some(owner) = adopting {
        let tags = tags_of(aws, &acl.arn).await?;
        acl.claim = Claim::of(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())), &owner.uid);
    }
    Ok(Some(acl))
}

async fn tags_of(aws: &AwsContext, arn: &str) -> Result<Vec<(String, String)>, AwsError> {
    let out = send!("wafv2:ListTagsForResource", aws.wafv2_cloudfront().list_tags_for_resource().resource_arn(arn))?;
    Ok(out
        .tag_info_for_resource()
        .map(|t| t.tag_list())
        .unwrap_or_default()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
}

async fn get(aws: &AwsContext, name: &str, id: &str) -> Result<Option<ObservedWebAcl>, AwsError> {
    let out =
        send!("wafv2:GetWebACL", aws.wafv2_cloudfront().get_web_acl().scope(Scope::Cloudfront).name(name).id(id))?;
    let Some(acl) = out.web_acl() else { return Ok(None) };
    let mut rules: Vec<&Rule> = acl.rules().iter().collect();
    rules.sort_by_key(|r| r.priority());
    let managed_rule_groups = rules
        .iter()
        .filter_map(|r| r.statement().and_then(|s| s.managed_rule_group_statement()).map(|m| m.name().to_string()))
        .collect();
    let rate_limit = rules.iter().find_map(|r| r.statement().and_then(|s| s.rate_based_statement()).map(|s| s.limit()));
    Ok(Some(ObservedWebAcl {
        id: acl.id().to_string(),
        name: acl.name().to_string(),
        arn: acl.arn().to_string(),
        lock_token: out.lock_token().unwrap_or_default().to_string(),
        spec: WebAclSpec { managed_rule_groups, rate_limit },
        claim: Claim::Created,
    }))
}

fn visibility(metric: &str) -> Result<VisibilityConfig, AwsError> {
    let metric: String =
        metric.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').take(128).collect();
    VisibilityConfig::builder()
        .sampled_requests_enabled(true)
        .cloud_watch_metrics_enabled(true)
        .metric_name(metric)
        .build()
        .map_err(|e| AwsError::build_failed("wafv2:VisibilityConfig", e))
}

fn rules(spec: &WebAclSpec) -> Result<Vec<Rule>, AwsError> {
    let e = |e: aws_sdk_wafv2::error::BuildError| AwsError::build_failed("wafv2:Rule", e);
    let mut out = Vec::new();
    let mut priority = 0;
    if let Some(limit) = spec.rate_limit {
        out.push(
            Rule::builder()
                .name(RATE_RULE)
                .priority(priority)
                .statement(
                    Statement::builder()
                        .rate_based_statement(
                            RateBasedStatement::builder()
                                .limit(limit)
                                .aggregate_key_type(RateBasedStatementAggregateKeyType::Ip)
                                .build()
                                .map_err(e)?,
                        )
                        .build(),
                )
                .action(RuleAction::builder().block(BlockAction::builder().build()).build())
                .visibility_config(visibility(RATE_RULE)?)
                .build()
                .map_err(e)?,
        );
        priority += 1;
    }
    for group in &spec.managed_rule_groups {
        out.push(
            Rule::builder()
                .name(group)
                .priority(priority)
                .statement(
                    Statement::builder()
                        .managed_rule_group_statement(
                            ManagedRuleGroupStatement::builder().vendor_name("AWS").name(group).build().map_err(e)?,
                        )
                        .build(),
                )
                .override_action(OverrideAction::builder().none(NoneAction::builder().build()).build())
                .visibility_config(visibility(group)?)
                .build()
                .map_err(e)?,
        );
        priority += 1;
    }
    Ok(out)
}

async fn ensure_ours(aws: &AwsContext, arn: &str, owner: &Ownership, op: &str) -> Result<(), AwsError> {
    let ours = tags_of(aws, arn).await?.iter().any(|(k, v)| k == TAG_UID && *v == owner.uid);
    if ours { Ok(()) } else { Err(not_ours(op, arn)) }
}

async fn apply(aws: &AwsContext, owner: &Ownership, action: &WafAction) -> Result<ActionOutcome, AwsError> {
    let waf = aws.wafv2_cloudfront();
    let account_arn = |name: &str, id: &str| format!("webacl/{name}/{id}");
    match action {
        WafAction::CreateWebAcl { name, spec } => {
            let mut tags = Vec::new();
            for (k, v) in owner.tags("web-acl", name) {
                tags.push(Tag::builder().key(k).value(v).build().map_err(|e| AwsError::build_failed("wafv2:Tag", e))?);
            }
            let out = send!(
                "wafv2:CreateWebACL",
                waf.create_web_acl()
                    .name(name)
                    .scope(Scope::Cloudfront)
                    .default_action(DefaultAction::builder().allow(AllowAction::builder().build()).build())
                    .set_rules(Some(rules(spec)?))
                    .visibility_config(visibility(name)?)
                    .set_tags(Some(tags))
            )?;
            Ok(ActionOutcome::Created { id: out.summary().and_then(|s| s.arn()).unwrap_or_default().to_string() })
        }
        WafAction::UpdateWebAcl { id, name, lock_token, spec } => {
            let arn = find_arn(aws, name, id).await?.unwrap_or_else(|| account_arn(name, id));
            ensure_ours(aws, &arn, owner, "wafv2:UpdateWebACL").await?;
            send!(
                "wafv2:UpdateWebACL",
                waf.update_web_acl()
                    .name(name)
                    .id(id)
                    .scope(Scope::Cloudfront)
                    .lock_token(lock_token)
                    .default_action(DefaultAction::builder().allow(AllowAction::builder().build()).build())
                    .set_rules(Some(rules(spec)?))
                    .visibility_config(visibility(name)?)
            )
            .map(|_| ActionOutcome::Done)
        }
        WafAction::AdoptWebAcl { arn, .. } => {
            // Nobody else's by its tags, checked again right before (the plan's view may be old).
            let tags = tags_of(aws, arn).await?;
            let pairs = tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            if let Some(other) = warmstandby_core::identity::managed_by_another(pairs, &owner.uid) {
                return Err(not_ours("wafv2:TagResource", &format!("{arn} (managed by {other})")));
            }
            let mut tags = Vec::new();
            for (k, v) in crate::tags::adoption_tags(owner, "web-acl") {
                tags.push(Tag::builder().key(k).value(v).build().map_err(|e| AwsError::build_failed("wafv2:Tag", e))?);
            }
            send!("wafv2:TagResource", waf.tag_resource().resource_arn(arn).set_tags(Some(tags)))
                .map(|_| ActionOutcome::Done)
        }
        WafAction::ReleaseWebAcl { arn, .. } => {
            ensure_ours(aws, arn, owner, "wafv2:UntagResource").await?;
            ok_or_gone(send!(
                "wafv2:UntagResource",
                waf.untag_resource().resource_arn(arn).set_tag_keys(Some(crate::tags::our_tag_keys()))
            ))
        }
        WafAction::DeleteWebAcl { id, name, lock_token } => {
            let Some(arn) = find_arn(aws, name, id).await? else { return Ok(ActionOutcome::NotFound) };
            ensure_ours(aws, &arn, owner, "wafv2:DeleteWebACL").await?;
            ok_or_gone(send!(
                "wafv2:DeleteWebACL",
                waf.delete_web_acl().name(name).id(id).scope(Scope::Cloudfront).lock_token(lock_token)
            ))
        }
    }
}

async fn find_arn(aws: &AwsContext, name: &str, id: &str) -> Result<Option<String>, AwsError> {
    match get(aws, name, id).await {
        Ok(acl) => Ok(acl.map(|a| a.arn)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}
