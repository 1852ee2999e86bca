//! The bastion family's AWS side: its EC2 instance, found by our uid tag
//! in the primary region's shared (tag-filtered) instance listing.

use aws_sdk_ec2::types::ResourceType;
use warmstandby_api::{RegionRole, TAG_COMPONENT, TAG_UID};
use warmstandby_core::Password;
use warmstandby_core::families::bastion::{Bastion, BastionAction, DesiredBastion, ObservedInstance};
use warmstandby_core::plan::{ActionOutcome, Place};

use super::{AwsFamily, Observation, Reading};
use crate::clients::AwsContext;
use crate::errors::{AwsError, ok_or_gone};
use crate::tags::{Ec2Tagging, Ownership, ec2_tag};

impl AwsFamily for Bastion {
    /// Every instance of ours in the primary, whether the spec asks for a
    /// bastion or not (teardown terminates what is left).
    async fn observe(
        aws: &AwsContext,
        desired: &DesiredBastion,
        owners: &[Ownership; 2],
        _reading: &Reading<'_>,
    ) -> Observation<Vec<ObservedInstance>> {
        // The primary region's: an outage there hides it.
        let read = crate::fleet::instances(aws, &desired.region).await;
        Observation::at(Place::Region(RegionRole::Primary), read.map(|listed| ours(&listed, &owners[0].uid)))
    }

    async fn apply(
        aws: &AwsContext,
        region: &str,
        owner: &Ownership,
        action: &BastionAction,
        _password: &Password,
    ) -> Result<ActionOutcome, AwsError> {
        apply(aws, region, owner, action).await
    }
}

/// Our instances (the bastion) among a tag-filtered listing.
fn ours(reservations: &[aws_sdk_ec2::types::Reservation], uid: &str) -> Vec<ObservedInstance> {
    let mut found = Vec::new();
    for r in reservations {
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

/// Executes one bastion action in `region`.
async fn apply(
    aws: &AwsContext,
    region: &str,
    owner: &Ownership,
    action: &BastionAction,
) -> Result<ActionOutcome, AwsError> {
    let ec2 = aws.ec2(region);
    match action {
        BastionAction::RunBastion { component, name, image_id, instance_type, key_name, subnet_id, group_id } => {
            let out = send!(
                "ec2:RunInstances",
                ec2.run_instances()
                    .image_id(image_id)
                    .instance_type(aws_sdk_ec2::types::InstanceType::from(instance_type.as_str()))
                    .set_key_name(key_name.clone())
                    .subnet_id(subnet_id)
                    .security_group_ids(group_id)
                    .min_count(1)
                    .max_count(1)
                    .client_token(owner.client_token(component))
                    .tag_specifications(owner.ec2_tag_spec(ResourceType::Instance, component, name))
            )?;
            Ok(ActionOutcome::Created {
                id: out.instances().first().and_then(|i| i.instance_id()).unwrap_or_default().to_string(),
            })
        }
        BastionAction::TerminateInstance { instance_id } => {
            ok_or_gone(send!("ec2:TerminateInstances", ec2.terminate_instances().instance_ids(instance_id)))
        }
    }
}
