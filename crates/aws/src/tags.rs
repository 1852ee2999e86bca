//! Ownership tags: set at creation, used to find resources before creating,
//! and checked before anything is modified or deleted.

use warmstandby_api::TAG_UID;

pub use warmstandby_core::identity::Ownership;

/// Ownership tags in the EC2 API's shapes.
pub trait Ec2Tagging {
    fn ec2_tags(&self, component: &str, name: &str) -> Vec<aws_sdk_ec2::types::Tag>;
    fn ec2_tag_spec(
        &self,
        resource_type: aws_sdk_ec2::types::ResourceType,
        component: &str,
        name: &str,
    ) -> aws_sdk_ec2::types::TagSpecification;
}

impl Ec2Tagging for Ownership {
    fn ec2_tags(&self, component: &str, name: &str) -> Vec<aws_sdk_ec2::types::Tag> {
        self.tags(component, name)
            .into_iter()
            .map(|(k, v)| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build())
            .collect()
    }

    fn ec2_tag_spec(
        &self,
        resource_type: aws_sdk_ec2::types::ResourceType,
        component: &str,
        name: &str,
    ) -> aws_sdk_ec2::types::TagSpecification {
        aws_sdk_ec2::types::TagSpecification::builder()
            .resource_type(resource_type)
            .set_tags(Some(self.ec2_tags(component, name)))
            .build()
    }
}

/// The tags adoption writes on an existing resource: ours without `Name`
/// (it keeps its own), and when it was adopted.
pub(crate) fn adoption_tags(owner: &Ownership, component: &str) -> Vec<(String, String)> {
    let now = adoption_time();
    owner
        .tags(component, "")
        .into_iter()
        .filter(|(k, _)| k != warmstandby_api::TAG_NAME)
        .chain([(warmstandby_api::TAG_ADOPTED.to_string(), now)])
        .collect()
}

/// Now, as adoption records it (RFC 3339).
pub(crate) fn adoption_time() -> String {
    aws_smithy_types::DateTime::from(std::time::SystemTime::now())
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

/// Every tag key of ours, for the APIs that remove tags by key.
pub(crate) fn our_tag_keys() -> Vec<String> {
    warmstandby_api::OUR_TAG_KEYS.map(str::to_string).to_vec()
}

/// Removes our tag keys from EC2 resources left in place (released).
pub(crate) async fn release_ec2(
    aws: &crate::clients::AwsContext,
    region: &str,
    ids: &[String],
) -> Result<warmstandby_core::plan::ActionOutcome, crate::errors::AwsError> {
    let keys = our_tag_keys().into_iter().map(|k| aws_sdk_ec2::types::Tag::builder().key(k).build()).collect();
    crate::errors::ok_or_gone(send!(
        "ec2:DeleteTags",
        aws.ec2(region).delete_tags().set_resources(Some(ids.to_vec())).set_tags(Some(keys))
    ))
}

/// Filter that returns only resources owned by one of `uids`.
pub fn ec2_uid_filter(uids: &[String]) -> aws_sdk_ec2::types::Filter {
    aws_sdk_ec2::types::Filter::builder().name(format!("tag:{TAG_UID}")).set_values(Some(uids.to_vec())).build()
}

pub fn ec2_tag<'a>(tags: &'a [aws_sdk_ec2::types::Tag], key: &str) -> Option<&'a str> {
    tags.iter().find(|t| t.key() == Some(key)).and_then(|t| t.value())
}
