//! Observed server tiers (the load balancing and compute families'), in the same vocabulary the planner
//! resolves the desired state into: each `*Spec` is compared field by field,
//! so every difference becomes a drift item with expected and found values.

pub use crate::identity::Claim;

pub use crate::compare::{Fields, diff};
use crate::compare::{list, opt};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetGroupSpec {
    pub name: String,
    pub protocol: String,
    pub port: i32,
    pub vpc_id: String,
    pub health_check_path: String,
}

impl TargetGroupSpec {
    pub fn fields(&self) -> Fields {
        vec![
            ("protocol", self.protocol.clone()),
            ("port", self.port.to_string()),
            ("vpc", self.vpc_id.clone()),
            ("healthCheckPath", self.health_check_path.clone()),
        ]
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedTargetGroup {
    /// The tier whose name it has.
    pub tier: String,
    pub arn: String,
    pub spec: TargetGroupSpec,
    /// Read from its tags where the name is one given for adoption.
    pub claim: Claim,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadBalancerSpec {
    pub name: String,
    pub scheme: String,
    /// Sorted.
    pub subnet_ids: Vec<String>,
    /// Sorted.
    pub security_group_ids: Vec<String>,
}

impl LoadBalancerSpec {
    pub fn fields(&self) -> Fields {
        vec![
            ("scheme", self.scheme.clone()),
            ("subnets", list(&self.subnet_ids)),
            ("securityGroups", list(&self.security_group_ids)),
        ]
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedLoadBalancer {
    /// The tier whose name it has.
    pub tier: String,
    pub arn: String,
    pub dns_name: String,
    /// Hosted zone of the ALB's DNS name (for alias records).
    pub zone_id: String,
    /// `provisioning`, `active`, `failed`, ...
    pub state: String,
    pub spec: LoadBalancerSpec,
    /// Read from its tags where the name is one given for adoption.
    pub claim: Claim,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenerSpec {
    pub port: i32,
    pub protocol: String,
    pub target_group_arn: String,
    pub certificate_arn: Option<String>,
}

impl ListenerSpec {
    pub fn fields(&self) -> Fields {
        vec![
            ("protocol", self.protocol.clone()),
            ("forward", self.target_group_arn.clone()),
            ("certificate", opt(&self.certificate_arn)),
        ]
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedListener {
    pub arn: String,
    pub load_balancer_arn: String,
    pub spec: ListenerSpec,
    /// Read from its tags on a load balancer named for adoption.
    pub claim: Claim,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedImage {
    pub tier: String,
    pub id: String,
    /// `pending`, `available`, `failed`, ...
    pub state: String,
    /// Our copies carry ownership tags; false until tagged after CopyImage.
    pub tagged: bool,
    /// Our copies only (deleted with them).
    pub snapshot_ids: Vec<String>,
    /// The AMI name (copies are found by it).
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaunchTemplateData {
    pub image_id: String,
    pub instance_type: String,
    /// Sorted.
    pub security_group_ids: Vec<String>,
    /// Base64, as EC2 keeps it.
    pub user_data: Option<String>,
    /// Name of the instance profile.
    pub iam_instance_profile: Option<String>,
}

impl LaunchTemplateData {
    pub fn fields(&self) -> Fields {
        vec![
            ("imageId", self.image_id.clone()),
            ("instanceType", self.instance_type.clone()),
            ("securityGroups", list(&self.security_group_ids)),
            // Never the content: user data may hold configuration that is nobody's business.
            ("userData", self.user_data.as_deref().map(|u| format!("{} bytes (base64)", u.len())).unwrap_or_default()),
            ("iamInstanceProfile", self.iam_instance_profile.clone().unwrap_or_default()),
        ]
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedLaunchTemplate {
    pub tier: String,
    pub id: String,
    pub name: String,
    pub latest_version: i64,
    /// Content of the latest version (versions are immutable).
    pub latest: Option<LaunchTemplateData>,
    pub claim: Claim,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsgSpec {
    pub launch_template_id: String,
    pub launch_template_version: String,
    pub min: i32,
    pub desired: i32,
    pub max: i32,
    /// Sorted.
    pub subnet_ids: Vec<String>,
    /// Sorted.
    pub target_group_arns: Vec<String>,
}

impl AsgSpec {
    pub fn fields(&self) -> Fields {
        vec![
            ("launchTemplate", format!("{}:{}", self.launch_template_id, self.launch_template_version)),
            ("minSize", self.min.to_string()),
            ("desiredCapacity", self.desired.to_string()),
            ("maxSize", self.max.to_string()),
            ("subnets", list(&self.subnet_ids)),
            ("targetGroups", list(&self.target_group_arns)),
        ]
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedAsg {
    pub tier: String,
    pub name: String,
    pub spec: AsgSpec,
    /// Set while AWS deletes the group.
    pub deleting: bool,
    pub claim: Claim,
}

/// One region's load balancing family: target groups, load balancers and
/// their listeners.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedBalancing {
    pub target_groups: Vec<ObservedTargetGroup>,
    pub load_balancers: Vec<ObservedLoadBalancer>,
    pub listeners: Vec<ObservedListener>,
    /// Listeners seen on an earlier pass (their ARNs were in the status)
    /// that no longer exist: removed out of band.
    pub vanished_listeners: Vec<String>,
}

impl ObservedBalancing {
    pub fn target_group(&self, name: &str) -> Option<&ObservedTargetGroup> {
        self.target_groups.iter().find(|t| t.spec.name == name)
    }

    pub fn load_balancer(&self, name: &str) -> Option<&ObservedLoadBalancer> {
        self.load_balancers.iter().find(|l| l.spec.name == name)
    }

    pub fn listener(&self, lb_arn: &str, port: i32) -> Option<&ObservedListener> {
        self.listeners.iter().find(|l| l.load_balancer_arn == lb_arn && l.spec.port == port)
    }

    /// Resources of ours that still exist (what is named for adoption but
    /// not ours is not).
    pub fn live_count(&self) -> usize {
        self.target_groups.iter().filter(|t| t.claim.is_ours()).count()
            + self.load_balancers.iter().filter(|l| l.claim.is_ours()).count()
            + self.listeners.iter().filter(|l| l.claim.is_ours()).count()
    }
}

/// One region's compute family: image copies, launch templates and auto
/// scaling groups.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedCompute {
    pub images: Vec<ObservedImage>,
    pub launch_templates: Vec<ObservedLaunchTemplate>,
    pub auto_scaling_groups: Vec<ObservedAsg>,
}

impl ObservedCompute {
    pub fn launch_template(&self, tier: &str) -> Option<&ObservedLaunchTemplate> {
        self.launch_templates.iter().find(|l| l.tier == tier)
    }

    pub fn auto_scaling_group(&self, name: &str) -> Option<&ObservedAsg> {
        self.auto_scaling_groups.iter().find(|a| a.name == name)
    }

    pub fn image(&self, tier: &str) -> Option<&ObservedImage> {
        self.images.iter().find(|i| i.tier == tier)
    }

    /// Auto scaling groups of ours are not gone yet.
    pub fn scaling_groups_left(&self) -> bool {
        self.auto_scaling_groups.iter().any(|a| a.claim == Claim::Created)
    }

    /// Resources of ours that still exist (given AMIs and what is named
    /// for adoption but not ours are not).
    pub fn live_count(&self) -> usize {
        self.images.iter().filter(|i| i.tagged).count()
            + self.launch_templates.iter().filter(|l| l.claim.is_ours()).count()
            + self.auto_scaling_groups.iter().filter(|a| a.claim.is_ours()).count()
    }
}

/// One region's load balancers and servers, as the load balancing and the
/// compute families see them together: a server tier is adopted whole, its
/// auto scaling group registers with its target group, and a teardown keeps
/// what a kept tier uses.
#[derive(Clone, Copy, Debug)]
pub struct RegionServers<'a> {
    pub balancing: &'a ObservedBalancing,
    pub compute: &'a ObservedCompute,
}

impl RegionServers<'_> {
    /// Resources of ours that still exist.
    pub fn live_count(&self) -> usize {
        self.balancing.live_count() + self.compute.live_count()
    }
}
