//! What the Route 53 families share (the public DNS's,
//! `families::public_dns`, and the private zones', `families::private_dns`):
//! whose a zone or health check is, and adopting or releasing one.

use aws_sdk_route53::types::{Tag, TagResourceType};
use warmstandby_core::identity::Claim;
use warmstandby_core::plan::ActionOutcome;

use crate::clients::AwsContext;
use crate::errors::{AwsError, ok_or_gone};
use crate::tags::Ownership;

/// Whose a hosted zone or health check named for adoption is, from its tags.
pub(crate) async fn claim(
    aws: &AwsContext,
    kind: TagResourceType,
    id: &str,
    owner: &Ownership,
) -> Result<Claim, AwsError> {
    let out = send!(
        "route53:ListTagsForResource",
        aws.route53().list_tags_for_resource().resource_type(kind).resource_id(id)
    )?;
    let tags = out.resource_tag_set().map(|s| s.tags()).unwrap_or_default();
    Ok(Claim::of(tags.iter().map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default())), &owner.uid))
}

/// Adopts a hosted zone or health check (our tags, without `Name`, and the
/// time), or releases it (our tags removed).
pub(crate) async fn adopt_or_release(
    aws: &AwsContext,
    kind: TagResourceType,
    id: &str,
    owner: &Ownership,
    component: &str,
    adopt: bool,
) -> Result<ActionOutcome, AwsError> {
    let req = aws.route53().change_tags_for_resource().resource_type(kind).resource_id(id);
    if adopt {
        let tags = crate::tags::adoption_tags(owner, component)
            .into_iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        send!("route53:ChangeTagsForResource", req.set_add_tags(Some(tags))).map(|_| ActionOutcome::Done)
    } else {
        ok_or_gone(send!("route53:ChangeTagsForResource", req.set_remove_tag_keys(Some(crate::tags::our_tag_keys()))))
    }
}
