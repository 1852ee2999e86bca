//! Typed desired state of a stack's server tiers, per region: target
//! groups, ALBs and listeners (the load balancing family's), images, launch
//! templates and auto scaling groups (the compute family's).
//!
//! Role-aware: the active region carries full capacity, the other region
//! the warm capacity.

use warmstandby_api::{Capacity, OriginProtocol, RegionRole};

use crate::placement::Placement;
use crate::validate::ValidatedStack;

/// The two server tiers.
pub const TIERS: [&str; 2] = ["web", "api"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredTier {
    /// `web` or `api`.
    pub tier: &'static str,
    pub target_group_name: String,
    pub load_balancer_name: String,
    pub port: i32,
    pub health_check_path: String,
    /// An HTTPS listener with the regional certificate besides HTTP.
    pub https_listener: bool,
    pub launch_template_name: String,
    pub instance_type: String,
    /// The spec's user data; the launch template's starts with the
    /// operator's environment block (`families::environment`).
    pub user_script: Option<String>,
    /// The name of the instance profile its servers run with (the
    /// instance roles family's).
    pub instance_profile: String,
    pub auto_scaling_group_name: String,
    pub capacity: Capacity,
    /// Private subnets of the instances (`web-a`/`web-b` or `app-a`/`app-b`).
    pub subnet_keys: [&'static str; 2],
    /// The names above are existing resources to adopt (`spec.<tier>.adopt`),
    /// never ones to create; adopted, they are left in place when the stack
    /// is deleted.
    pub adopt: bool,
    /// `deletionPolicy: Retain`: left in place, untagged, when the stack is
    /// deleted (what it creates is then released like what is adopted).
    pub retain: bool,
}

impl DesiredTier {
    pub fn alb_group(&self) -> String {
        format!("alb-{}", self.tier)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageSource {
    /// An AMI the user gave for this region (not ours: never changed).
    Given(String),
    /// Our copy of the primary's AMI, found by its name (unique per account
    /// and region, so a crash between CopyImage and tagging cannot duplicate it).
    Copy { name: String, source_region: String, source_image: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredImage {
    pub tier: &'static str,
    /// What the topology calls it.
    pub label: String,
    pub source: ImageSource,
}

/// One region's server tiers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredRegionServers {
    pub role: RegionRole,
    pub region: String,
    pub active: bool,
    pub tiers: Vec<DesiredTier>,
    pub images: Vec<DesiredImage>,
    /// The topology keys of the certificate the HTTPS listeners serve (and
    /// of its validation): the certificates family's, set by the load
    /// balancing family.
    pub serving_certificate: Vec<String>,
}

impl DesiredRegionServers {
    pub fn tier(&self, tier: &str) -> Option<&DesiredTier> {
        self.tiers.iter().find(|t| t.tier == tier)
    }

    pub fn image(&self, tier: &str) -> Option<&DesiredImage> {
        self.images.iter().find(|i| i.tier == tier)
    }
}

pub fn desired_region_servers(stack: &ValidatedStack, placement: &Placement, role: RegionRole) -> DesiredRegionServers {
    let spec = &stack.spec;
    let active = role == placement.edge_active;
    let tiers = TIERS
        .into_iter()
        .map(|tier| {
            let t = if tier == "web" { &spec.web } else { &spec.api };
            let name = |ours: String, adopted: fn(&warmstandby_api::TierResources) -> &String| {
                adopted_name(t.adopt.as_ref(), role, adopted).unwrap_or(ours)
            };
            DesiredTier {
                tier,
                target_group_name: name(stack.aws_name(tier, 32), |a| &a.target_group),
                load_balancer_name: name(stack.aws_name(tier, 32), |a| &a.load_balancer),
                port: t.port,
                health_check_path: t.health_check_path.clone(),
                https_listener: tier == "api" || spec.cdn.origin_protocol == OriginProtocol::HttpsOnly,
                launch_template_name: name(stack.aws_name(tier, 128), |a| &a.launch_template),
                instance_type: t.instance_type.clone(),
                user_script: t.user_data.clone(),
                instance_profile: stack.aws_name(tier, 64),
                auto_scaling_group_name: name(stack.aws_name(tier, 255), |a| &a.auto_scaling_group),
                capacity: if active || placement.full_capacity_everywhere { t.capacity } else { t.standby_capacity },
                subnet_keys: if tier == "web" { ["web-a", "web-b"] } else { ["app-a", "app-b"] },
                adopt: t.adopt.is_some(),
                retain: warmstandby_api::DeletionPolicy::retains(t.deletion_policy),
            }
        })
        .collect();
    let images = TIERS
        .into_iter()
        .map(|tier| {
            let image = if tier == "web" { &spec.images.web } else { &spec.images.api };
            let source = match (role, &image.standby) {
                (RegionRole::Primary, _) => ImageSource::Given(image.primary.clone()),
                (RegionRole::Standby, Some(ami)) => ImageSource::Given(ami.clone()),
                (RegionRole::Standby, None) => ImageSource::Copy {
                    name: image_copy_name(stack, tier, &image.primary),
                    source_region: stack.pair.primary.region.clone(),
                    source_image: image.primary.clone(),
                },
            };
            DesiredImage { tier, label: stack.aws_name(tier, 128), source }
        })
        .collect();
    DesiredRegionServers {
        role,
        region: stack.pair.region(role).region.clone(),
        active,
        tiers,
        images,
        serving_certificate: Vec::new(),
    }
}

/// A name `spec.<tier>.adopt` gives for `role`'s region.
pub fn adopted_name(
    adopt: Option<&warmstandby_api::TierAdoption>,
    role: RegionRole,
    field: fn(&warmstandby_api::TierResources) -> &String,
) -> Option<String> {
    adopt.map(|a| field(if role == RegionRole::Primary { &a.primary } else { &a.standby }).clone())
}

/// The copy's AMI name: stable per stack, tier and source image, so a new
/// source image gets a new copy and the old one is released.
pub fn image_copy_name(stack: &ValidatedStack, tier: &str, source: &str) -> String {
    stack.aws_name(&format!("{tier}-{source}"), 128)
}
