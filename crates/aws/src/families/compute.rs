//! The compute family: images (our standby copies, the AMIs given for the
//! standby), launch templates (versioned) and auto scaling groups.
//!
//! Copies are found by their AMI name, which is unique per account and
//! region: a crash between CopyImage and tagging leaves a copy we recognise
//! and tag, never a second one. Launch template versions are immutable, so
//! their content is read once per process.

use aws_sdk_autoscaling::types::{LaunchTemplateSpecification, Tag as AsgTag};
use aws_sdk_ec2::types::{RequestLaunchTemplateData, ResourceType};
use warmstandby_api::RegionRole;
use warmstandby_api::{TAG_COMPONENT, TAG_NAME, TAG_STACK, TAG_UID};
use warmstandby_core::Password;
use warmstandby_core::desired::{DesiredRegionServers, DesiredTier, ImageSource};
use warmstandby_core::families::compute::Compute;
use warmstandby_core::families::load_balancing::ServerTiers;
use warmstandby_core::plan::ActionOutcome;
use warmstandby_core::servers::observed::{
    AsgSpec, Claim, LaunchTemplateData, ObservedAsg, ObservedCompute, ObservedImage, ObservedLaunchTemplate,
};
use warmstandby_core::servers::plan::ComputeAction;

use super::{AwsFamily, Observation, Reading, ok_or_gone};
use crate::clients::AwsContext;
use crate::errors::AwsError;
use crate::tags::{Ec2Tagging, Ownership, ec2_tag};

impl AwsFamily for Compute {
    /// Each region's; a failed read counts against its region.
    async fn observe(
        aws: &AwsContext,
        desired: &ServerTiers,
        owners: &[Ownership; 2],
        _reading: &Reading<'_>,
    ) -> Observation<[ObservedCompute; 2]> {
        Observation::each_region(|i| observe(aws, &desired[i], &owners[i])).await
    }

    async fn apply(
        aws: &AwsContext,
        region: &str,
        owner: &Ownership,
        action: &ComputeAction,
        _password: &Password,
    ) -> Result<ActionOutcome, AwsError> {
        apply(aws, region, owner, action).await
    }
}

/// One region's images, launch templates and auto scaling groups.
async fn observe(
    aws: &AwsContext,
    desired: &DesiredRegionServers,
    owner: &Ownership,
) -> Result<ObservedCompute, AwsError> {
    let (images, launch_templates, auto_scaling_groups) = tokio::try_join!(
        Box::pin(observe_images(aws, desired, owner)),
        Box::pin(observe_launch_templates(aws, desired, owner)),
        Box::pin(observe_groups(aws, desired, owner)),
    )?;
    Ok(ObservedCompute { images, launch_templates, auto_scaling_groups })
}

/// Our copies by name and, in the standby, the AMIs given for it (the
/// primary's given AMIs are inputs, checked when they are used).
async fn observe_images(
    aws: &AwsContext,
    desired: &DesiredRegionServers,
    owner: &Ownership,
) -> Result<Vec<ObservedImage>, AwsError> {
    let ec2 = aws.ec2(&desired.region);
    let copies: Vec<(&str, &str)> = desired
        .images
        .iter()
        .filter_map(|i| match &i.source {
            ImageSource::Copy { name, .. } => Some((i.tier, name.as_str())),
            ImageSource::Given(_) => None,
        })
        .collect();
    let given: Vec<(&str, &str)> = desired
        .images
        .iter()
        .filter_map(|i| match &i.source {
            ImageSource::Given(ami) if desired.role == RegionRole::Standby => Some((i.tier, ami.as_str())),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    if !copies.is_empty() {
        let found = crate::fleet::own_images(aws, &desired.region).await?;
        for img in found.iter() {
            let Some((tier, _)) = copies.iter().find(|(_, n)| Some(*n) == img.name()) else { continue };
            out.push(ObservedImage {
                tier: tier.to_string(),
                id: img.image_id().unwrap_or_default().to_string(),
                state: img.state().map(|s| s.as_str().to_string()).unwrap_or_default(),
                tagged: ec2_tag(img.tags(), TAG_UID) == Some(owner.uid.as_str()),
                snapshot_ids: img
                    .block_device_mappings()
                    .iter()
                    .filter_map(|b| b.ebs().and_then(|e| e.snapshot_id()).map(str::to_string))
                    .collect(),
                name: img.name().unwrap_or_default().to_string(),
            });
        }
    }
    if !given.is_empty() {
        let ids: Vec<String> = given.iter().map(|(_, id)| id.to_string()).collect();
        match send!("ec2:DescribeImages", ec2.describe_images().set_image_ids(Some(ids))) {
            Ok(found) => {
                for img in found.images() {
                    for (tier, _) in given.iter().filter(|(_, id)| Some(*id) == img.image_id()) {
                        out.push(ObservedImage {
                            tier: tier.to_string(),
                            id: img.image_id().unwrap_or_default().to_string(),
                            state: img.state().map(|s| s.as_str().to_string()).unwrap_or_default(),
                            tagged: false,
                            snapshot_ids: Vec::new(),
                            name: img.name().unwrap_or_default().to_string(),
                        });
                    }
                }
            }
            // One missing AMI fails the whole call; the plan reports it as missing.
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Ours from the region's shared listing (by tag), and those named for
/// adoption that it does not hold (not tagged yet, or released) by name:
/// one more call, only while there are such.
async fn observe_launch_templates(
    aws: &AwsContext,
    desired: &DesiredRegionServers,
    owner: &Ownership,
) -> Result<Vec<ObservedLaunchTemplate>, AwsError> {
    let region = desired.region.as_str();
    let ec2 = aws.ec2(region);
    let found = crate::fleet::launch_templates(aws, region).await?;
    let ours: Vec<&aws_sdk_ec2::types::LaunchTemplate> =
        found.iter().filter(|t| ec2_tag(t.tags(), TAG_UID) == Some(owner.uid.as_str())).collect();
    let listed: Vec<&str> = ours.iter().filter_map(|t| t.launch_template_name()).collect();
    let named = unlisted_adoptions(desired, |t| &t.launch_template_name, &listed);
    let others = if named.is_empty() {
        Vec::new()
    } else {
        let by_name =
            aws_sdk_ec2::types::Filter::builder().name("launch-template-name").set_values(Some(named)).build();
        send_all!("ec2:DescribeLaunchTemplates", ec2.describe_launch_templates().filters(by_name))?
    };
    let mut out = Vec::new();
    for t in ours.into_iter().chain(others.iter()) {
        let tags = t.tags().iter().map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()));
        let claim = Claim::of(tags, &owner.uid);
        let name = t.launch_template_name().unwrap_or_default();
        let component = ec2_tag(t.tags(), TAG_COMPONENT).and_then(|c| c.strip_prefix("launch-template/"));
        let tier = tier_of(desired, &claim, component, |d| &d.launch_template_name, name);
        let id = t.launch_template_id().unwrap_or_default().to_string();
        let latest_version = t.latest_version_number().unwrap_or_default();
        let latest = match aws.cached_launch_template_version(region, &id, latest_version) {
            Some(data) => Some(data),
            None => {
                let versions = send!(
                    "ec2:DescribeLaunchTemplateVersions",
                    ec2.describe_launch_template_versions()
                        .launch_template_id(&id)
                        .versions(latest_version.to_string())
                )?;
                let data =
                    versions.launch_template_versions().first().and_then(|v| v.launch_template_data()).map(|d| {
                        let mut groups: Vec<String> = d.security_group_ids().to_vec();
                        groups.sort();
                        LaunchTemplateData {
                            image_id: d.image_id().unwrap_or_default().to_string(),
                            instance_type: d.instance_type().map(|t| t.as_str().to_string()).unwrap_or_default(),
                            security_group_ids: groups,
                            user_data: d.user_data().map(str::to_string),
                            iam_instance_profile: d
                                .iam_instance_profile()
                                .and_then(|p| p.name().map(str::to_string).or(p.arn().map(profile_name))),
                        }
                    });
                if let Some(data) = &data {
                    aws.cache_launch_template_version(region, &id, latest_version, data.clone());
                }
                data
            }
        };
        out.push(ObservedLaunchTemplate { tier, id, name: name.to_string(), latest_version, latest, claim });
    }
    Ok(out)
}

/// Ours from the region's shared listing, and those named for adoption that
/// it does not hold by name (one more call, only while there are such).
async fn observe_groups(
    aws: &AwsContext,
    desired: &DesiredRegionServers,
    owner: &Ownership,
) -> Result<Vec<ObservedAsg>, AwsError> {
    let region = desired.region.as_str();
    let found = crate::fleet::auto_scaling_groups(aws, region).await?;
    let uid = |g: &&aws_sdk_autoscaling::types::AutoScalingGroup| {
        g.tags().iter().any(|t| t.key() == Some(TAG_UID) && t.value() == Some(owner.uid.as_str()))
    };
    let ours: Vec<&aws_sdk_autoscaling::types::AutoScalingGroup> = found.iter().filter(uid).collect();
    let listed: Vec<&str> = ours.iter().filter_map(|g| g.auto_scaling_group_name()).collect();
    let named = unlisted_adoptions(desired, |t| &t.auto_scaling_group_name, &listed);
    let others = if named.is_empty() {
        Vec::new()
    } else {
        send_all!(
            "autoscaling:DescribeAutoScalingGroups",
            aws.autoscaling(region).describe_auto_scaling_groups().set_auto_scaling_group_names(Some(named))
        )?
    };
    let mut out = Vec::new();
    for g in ours.into_iter().chain(others.iter()) {
        let tag =
            |key: &str| g.tags().iter().find(|t| t.key() == Some(key)).and_then(|t| t.value()).map(str::to_string);
        let pairs = g.tags().iter().map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()));
        let claim = Claim::of(pairs, &owner.uid);
        let name = g.auto_scaling_group_name().unwrap_or_default();
        let component = tag(TAG_COMPONENT);
        let component = component.as_deref().and_then(|c| c.strip_prefix("auto-scaling-group/"));
        let tier = tier_of(desired, &claim, component, |d| &d.auto_scaling_group_name, name);
        let lt = g.launch_template();
        let mut subnets = asg_subnets(g);
        subnets.sort();
        let mut tgs: Vec<String> = g.target_group_arns().to_vec();
        tgs.sort();
        out.push(ObservedAsg {
            tier,
            claim,
            name: name.to_string(),
            spec: AsgSpec {
                launch_template_id: lt.and_then(|l| l.launch_template_id()).unwrap_or_default().to_string(),
                launch_template_version: lt.and_then(|l| l.version()).unwrap_or_default().to_string(),
                min: g.min_size().unwrap_or_default(),
                desired: g.desired_capacity().unwrap_or_default(),
                max: g.max_size().unwrap_or_default(),
                subnet_ids: subnets,
                target_group_arns: tgs,
            },
            deleting: g.status().is_some_and(|s| s.to_ascii_lowercase().contains("delete")),
        });
    }
    Ok(out)
}

/// The names `desired` gives for adoption (by `name_of`) that the shared
/// listing of ours does not hold (`listed`): to be read by name.
fn unlisted_adoptions(
    desired: &DesiredRegionServers,
    name_of: fn(&DesiredTier) -> &String,
    listed: &[&str],
) -> Vec<String> {
    desired
        .tiers
        .iter()
        .filter(|t| t.adopt && !listed.contains(&name_of(t).as_str()))
        .map(|t| name_of(t).clone())
        .collect()
}

/// A resource's tier: its component tag's when ours, else the tier whose
/// name (by `name_of`) it has.
fn tier_of(
    desired: &DesiredRegionServers,
    claim: &Claim,
    component: Option<&str>,
    name_of: fn(&DesiredTier) -> &String,
    name: &str,
) -> String {
    match component.filter(|_| claim.is_ours()) {
        Some(tier) => tier.to_string(),
        None => desired.tiers.iter().find(|d| name_of(d) == name).map(|d| d.tier.to_string()).unwrap_or_default(),
    }
}

/// An auto scaling group's subnets (its comma-separated VPCZoneIdentifier).
pub(crate) fn asg_subnets(g: &aws_sdk_autoscaling::types::AutoScalingGroup) -> Vec<String> {
    g.vpc_zone_identifier()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn template_data(data: &LaunchTemplateData) -> RequestLaunchTemplateData {
    RequestLaunchTemplateData::builder()
        .image_id(&data.image_id)
        .instance_type(aws_sdk_ec2::types::InstanceType::from(data.instance_type.as_str()))
        .set_security_group_ids(Some(data.security_group_ids.clone()))
        .set_user_data(data.user_data.clone())
        .set_iam_instance_profile(data.iam_instance_profile.as_ref().map(|name| {
            aws_sdk_ec2::types::LaunchTemplateIamInstanceProfileSpecificationRequest::builder().name(name).build()
        }))
        .build()
}

/// `arn:aws:iam::<account>:instance-profile/<path>/<name>` names `<name>`.
fn profile_name(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or(arn).to_string()
}

async fn apply(
    aws: &AwsContext,
    region: &str,
    owner: &Ownership,
    action: &ComputeAction,
) -> Result<ActionOutcome, AwsError> {
    let ec2 = aws.ec2(region);
    let asg = aws.autoscaling(region);
    match action {
        ComputeAction::CopyImage { tier, name, source_region, source_image } => {
            let token = owner.client_token(&format!("image/{tier}/{source_image}"));
            let out = send!(
                "ec2:CopyImage",
                ec2.copy_image()
                    .name(name)
                    .source_region(source_region)
                    .source_image_id(source_image)
                    .description(format!("copy of {source_image} from {source_region} for {}", owner.owner))
                    .client_token(token)
                    // Tagged as it is made, the AMI and its snapshots alike,
                    // so that what the policy lets us deregister and delete
                    // is never untagged.
                    .tag_specifications(owner.ec2_tag_spec(ResourceType::Image, &format!("image/{tier}"), name))
                    .tag_specifications(owner.ec2_tag_spec(ResourceType::Snapshot, &format!("image/{tier}"), name))
            )?;
            Ok(ActionOutcome::Created { id: out.image_id().unwrap_or_default().to_string() })
        }
        ComputeAction::DeregisterImage { image_id, snapshot_ids } => {
            let r = ok_or_gone(send!("ec2:DeregisterImage", ec2.deregister_image().image_id(image_id)))?;
            for snapshot in snapshot_ids {
                ok_or_gone(send!("ec2:DeleteSnapshot", ec2.delete_snapshot().snapshot_id(snapshot)))?;
            }
            Ok(r)
        }
        ComputeAction::CreateLaunchTemplate { tier, name, data } => {
            let out = send!(
                "ec2:CreateLaunchTemplate",
                ec2.create_launch_template()
                    .launch_template_name(name)
                    .client_token(owner.client_token(&format!("launch-template/{tier}")))
                    .launch_template_data(template_data(data))
                    .tag_specifications(owner.ec2_tag_spec(
                        ResourceType::LaunchTemplate,
                        &format!("launch-template/{tier}"),
                        name
                    ))
            )?;
            let id = out.launch_template().and_then(|t| t.launch_template_id()).unwrap_or_default().to_string();
            Ok(ActionOutcome::Created { id })
        }
        ComputeAction::CreateLaunchTemplateVersion { template_id, data } => send!(
            "ec2:CreateLaunchTemplateVersion",
            ec2.create_launch_template_version()
                .launch_template_id(template_id)
                .version_description("warmstandby")
                .launch_template_data(template_data(data))
        )
        .map(|_| ActionOutcome::Done),
        ComputeAction::DeleteLaunchTemplate { template_id } => {
            ok_or_gone(send!("ec2:DeleteLaunchTemplate", ec2.delete_launch_template().launch_template_id(template_id)))
        }
        ComputeAction::CreateAutoScalingGroup { tier, name, spec } => {
            let tags = owner
                .tags(&format!("auto-scaling-group/{tier}"), name)
                .into_iter()
                .map(|(k, v)| {
                    // Instances carry the stack and Name only: they are the group's, not ours to track.
                    let propagate = k == TAG_STACK || k == TAG_NAME;
                    AsgTag::builder()
                        .key(k)
                        .value(v)
                        .propagate_at_launch(propagate)
                        .resource_id(name)
                        .resource_type("auto-scaling-group")
                        .build()
                })
                .collect();
            send!(
                "autoscaling:CreateAutoScalingGroup",
                asg.create_auto_scaling_group()
                    .auto_scaling_group_name(name)
                    .launch_template(template_ref(spec))
                    .min_size(spec.min)
                    .max_size(spec.max)
                    .desired_capacity(spec.desired)
                    .vpc_zone_identifier(spec.subnet_ids.join(","))
                    .set_target_group_arns(Some(spec.target_group_arns.clone()))
                    .health_check_type("ELB")
                    .health_check_grace_period(120)
                    .set_tags(Some(tags))
            )?;
            Ok(ActionOutcome::Created { id: name.clone() })
        }
        ComputeAction::UpdateAutoScalingGroup { name, spec, attach, detach } => {
            send!(
                "autoscaling:UpdateAutoScalingGroup",
                asg.update_auto_scaling_group()
                    .auto_scaling_group_name(name)
                    .launch_template(template_ref(spec))
                    .min_size(spec.min)
                    .max_size(spec.max)
                    .desired_capacity(spec.desired)
                    .vpc_zone_identifier(spec.subnet_ids.join(","))
            )?;
            if !attach.is_empty() {
                send!(
                    "autoscaling:AttachLoadBalancerTargetGroups",
                    asg.attach_load_balancer_target_groups()
                        .auto_scaling_group_name(name)
                        .set_target_group_arns(Some(attach.clone()))
                )?;
            }
            if !detach.is_empty() {
                send!(
                    "autoscaling:DetachLoadBalancerTargetGroups",
                    asg.detach_load_balancer_target_groups()
                        .auto_scaling_group_name(name)
                        .set_target_group_arns(Some(detach.clone()))
                )?;
            }
            Ok(ActionOutcome::Done)
        }
        ComputeAction::DeleteAutoScalingGroup { name } => ok_or_gone(send!(
            "autoscaling:DeleteAutoScalingGroup",
            asg.delete_auto_scaling_group().auto_scaling_group_name(name).force_delete(true)
        )),
        ComputeAction::AdoptLaunchTemplate { tier, template_id, .. } => {
            let tags = crate::tags::adoption_tags(owner, &format!("launch-template/{tier}"))
                .into_iter()
                .map(|(k, v)| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build())
                .collect();
            send!("ec2:CreateTags", ec2.create_tags().resources(template_id).set_tags(Some(tags)))
                .map(|_| ActionOutcome::Done)
        }
        ComputeAction::AdoptAutoScalingGroup { tier, name } => {
            // The instances are the group's: nothing of ours propagates to them.
            let tags = crate::tags::adoption_tags(owner, &format!("auto-scaling-group/{tier}"))
                .into_iter()
                .map(|(k, v)| asg_tag(name, k, Some(v)))
                .collect();
            send!("autoscaling:CreateOrUpdateTags", asg.create_or_update_tags().set_tags(Some(tags)))
                .map(|_| ActionOutcome::Done)
        }
        ComputeAction::ReleaseLaunchTemplate { template_id, .. } => {
            crate::tags::release_ec2(aws, region, std::slice::from_ref(template_id)).await
        }
        ComputeAction::ReleaseImage { image_id, snapshot_ids, .. } => {
            let ids: Vec<String> = std::iter::once(image_id.clone()).chain(snapshot_ids.iter().cloned()).collect();
            crate::tags::release_ec2(aws, region, &ids).await
        }
        ComputeAction::ReleaseAutoScalingGroup { name, .. } => {
            // A group the stack made gave its servers the stack tag at
            // launch: theirs go first (the shared listing has the group and
            // its instances), then the group's.
            let groups = crate::fleet::auto_scaling_groups(aws, region).await?;
            let launched_tagged: Vec<String> = groups
                .iter()
                .filter(|g| g.auto_scaling_group_name() == Some(name.as_str()))
                .filter(|g| {
                    g.tags().iter().any(|t| t.key() == Some(TAG_STACK) && t.propagate_at_launch() == Some(true))
                })
                .flat_map(|g| g.instances().iter().filter_map(|i| i.instance_id().map(str::to_string)))
                .collect();
            if !launched_tagged.is_empty() {
                crate::tags::release_ec2(aws, region, &launched_tagged).await?;
            }
            let tags = crate::tags::our_tag_keys().into_iter().map(|k| asg_tag(name, k, None)).collect();
            ok_or_gone(send!("autoscaling:DeleteTags", asg.delete_tags().set_tags(Some(tags))))
        }
    }
}

fn asg_tag(group: &str, key: String, value: Option<String>) -> AsgTag {
    AsgTag::builder()
        .key(key)
        .set_value(value)
        .propagate_at_launch(false)
        .resource_id(group)
        .resource_type("auto-scaling-group")
        .build()
}

fn template_ref(spec: &AsgSpec) -> LaunchTemplateSpecification {
    LaunchTemplateSpecification::builder()
        .launch_template_id(&spec.launch_template_id)
        .version(&spec.launch_template_version)
        .build()
}
