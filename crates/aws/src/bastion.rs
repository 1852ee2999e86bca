//! The bastion instance (EC2), found by our uid tag.

use warmstandby_api::{TAG_COMPONENT, TAG_UID};
use warmstandby_core::data::observed::ObservedInstance;

use crate::tags::ec2_tag;

/// Our instances (the bastion) among a tag-filtered listing.
pub(crate) fn ours(
    out: Option<&aws_sdk_ec2::operation::describe_instances::DescribeInstancesOutput>,
    uid: &str,
) -> Vec<ObservedInstance> {
    let mut found = Vec::new();
    for r in out.map(|i| i.reservations()).unwrap_or_default() {
        for i in r.instances() {
            if ec2_tag(i.tags(), TAG_UID) != Some(uid) {
                continue;
            }
            found.push(ObservedInstance {
                id: i.instance_id().unwrap_or_default().to_string(),
                component: ec2_tag(i.tags(), TAG_COMPONENT).unwrap_or_default().to_string(),
                state: i.state().and_then(|s| s.name()).map(|n| n.as_str().to_string()).unwrap_or_default(),
                instance_type: i.instance_type().map(|t| t.as_str().to_string()).unwrap_or_default(),
                image_id: i.image_id().unwrap_or_default().to_string(),
                subnet_id: i.subnet_id().unwrap_or_default().to_string(),
            });
        }
    }
    found
}
