//! The load balancing and compute families' changes, one enum per family.

use crate::family::{Effect, FamilyAction};
use crate::resource::{Kind, Scope, Tier};
use crate::servers::observed::{AsgSpec, LaunchTemplateData, ListenerSpec, LoadBalancerSpec, TargetGroupSpec};

pub use crate::plan::Place;

/// The load balancing family's changes (ELBv2: target groups, load
/// balancers, listeners).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadBalancingAction {
    CreateTargetGroup {
        tier: String,
        spec: TargetGroupSpec,
    },
    ModifyTargetGroup {
        arn: String,
        health_check_path: String,
    },
    DeleteTargetGroup {
        arn: String,
    },
    CreateLoadBalancer {
        tier: String,
        spec: LoadBalancerSpec,
    },
    SetSubnets {
        arn: String,
        subnet_ids: Vec<String>,
    },
    SetSecurityGroups {
        arn: String,
        security_group_ids: Vec<String>,
    },
    DeleteLoadBalancer {
        arn: String,
    },
    CreateListener {
        load_balancer_arn: String,
        tier: String,
        spec: ListenerSpec,
    },
    ModifyListener {
        arn: String,
        spec: ListenerSpec,
    },
    DeleteListener {
        arn: String,
    },
    /// Tags an existing target group, or a load balancer with its
    /// listeners (`arns`), as ours with the time (`warmstandby.dev/adopted`).
    Adopt {
        tier: String,
        kind: Kind,
        name: String,
        arns: Vec<String>,
    },
    /// Leaves adopted ones in place and removes our tags from them.
    Release {
        tier: String,
        kind: Kind,
        name: String,
        arns: Vec<String>,
    },
}

/// The compute family's changes (EC2 images and launch templates, auto
/// scaling groups).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ComputeAction {
    CopyImage {
        tier: String,
        name: String,
        source_region: String,
        source_image: String,
    },
    DeregisterImage {
        image_id: String,
        snapshot_ids: Vec<String>,
    },
    CreateLaunchTemplate {
        tier: String,
        name: String,
        data: LaunchTemplateData,
    },
    CreateLaunchTemplateVersion {
        template_id: String,
        data: LaunchTemplateData,
    },
    DeleteLaunchTemplate {
        template_id: String,
    },
    CreateAutoScalingGroup {
        tier: String,
        name: String,
        spec: AsgSpec,
    },
    UpdateAutoScalingGroup {
        name: String,
        spec: AsgSpec,
        attach: Vec<String>,
        detach: Vec<String>,
    },
    DeleteAutoScalingGroup {
        name: String,
    },
    /// Tags an existing launch template as ours, with the time.
    AdoptLaunchTemplate {
        tier: String,
        name: String,
        template_id: String,
    },
    /// Tags an existing auto scaling group as ours, with the time.
    AdoptAutoScalingGroup {
        tier: String,
        name: String,
    },
    /// Leaves an adopted launch template in place, untagged (with the versions made for it).
    ReleaseLaunchTemplate {
        tier: String,
        name: String,
        template_id: String,
    },
    /// Leaves an adopted auto scaling group running, untagged.
    ReleaseAutoScalingGroup {
        tier: String,
        name: String,
    },
    /// Leaves our image copy (and its snapshots) in place, untagged: a kept
    /// launch template launches it.
    ReleaseImage {
        tier: String,
        image_id: String,
        snapshot_ids: Vec<String>,
    },
}

impl FamilyAction for LoadBalancingAction {
    fn effect(&self) -> (Effect, Kind) {
        use LoadBalancingAction as A;
        match self {
            A::CreateTargetGroup { .. } => (Effect::Create, Kind::TargetGroup),
            A::ModifyTargetGroup { .. } => (Effect::Update, Kind::TargetGroup),
            A::DeleteTargetGroup { .. } => (Effect::Delete, Kind::TargetGroup),
            A::CreateLoadBalancer { .. } => (Effect::Create, Kind::LoadBalancer),
            A::SetSubnets { .. } | A::SetSecurityGroups { .. } => (Effect::Update, Kind::LoadBalancer),
            A::DeleteLoadBalancer { .. } => (Effect::Delete, Kind::LoadBalancer),
            A::CreateListener { .. } => (Effect::Create, Kind::Listener),
            A::ModifyListener { .. } => (Effect::Update, Kind::Listener),
            A::DeleteListener { .. } => (Effect::Delete, Kind::Listener),
            A::Adopt { kind, .. } => (Effect::Adopt, *kind),
            A::Release { kind, .. } => (Effect::Release, *kind),
        }
    }

    /// New resources are placed by their tier, existing ones by the tier
    /// their ARN's name tells.
    fn tier(&self, scope: &Scope) -> Tier {
        use LoadBalancingAction as A;
        let kind = self.effect().1;
        match self {
            A::CreateTargetGroup { tier, .. }
            | A::CreateLoadBalancer { tier, .. }
            | A::CreateListener { tier, .. }
            | A::Adopt { tier, .. }
            | A::Release { tier, .. } => Tier::of(scope, kind, tier),
            A::ModifyTargetGroup { arn, .. }
            | A::DeleteTargetGroup { arn }
            | A::SetSubnets { arn, .. }
            | A::SetSecurityGroups { arn, .. }
            | A::DeleteLoadBalancer { arn }
            | A::ModifyListener { arn, .. }
            | A::DeleteListener { arn } => Tier::of(scope, kind, &name_words(arn)),
        }
    }

    fn describe(&self) -> String {
        match self {
            LoadBalancingAction::CreateTargetGroup { spec, .. } => format!("create target group {}", spec.name),
            LoadBalancingAction::ModifyTargetGroup { arn, health_check_path } => {
                format!("set health check path of {arn} to {health_check_path}")
            }
            LoadBalancingAction::DeleteTargetGroup { arn } => format!("delete target group {arn}"),
            LoadBalancingAction::CreateLoadBalancer { spec, .. } => format!("create load balancer {}", spec.name),
            LoadBalancingAction::SetSubnets { arn, .. } => format!("set subnets of {arn}"),
            LoadBalancingAction::SetSecurityGroups { arn, .. } => format!("set security groups of {arn}"),
            LoadBalancingAction::DeleteLoadBalancer { arn } => format!("delete load balancer {arn}"),
            LoadBalancingAction::CreateListener { tier, spec, .. } => {
                format!("create {} listener :{} of {tier}", spec.protocol, spec.port)
            }
            LoadBalancingAction::ModifyListener { arn, .. } => format!("repair listener {arn}"),
            LoadBalancingAction::DeleteListener { arn } => format!("delete listener {arn}"),
            LoadBalancingAction::Adopt { kind, name, arns, .. } if arns.len() > 1 => {
                format!("adopt {} {name} with its {} listener(s)", kind_words(*kind), arns.len() - 1)
            }
            LoadBalancingAction::Adopt { kind, name, .. } => format!("adopt {} {name}", kind_words(*kind)),
            LoadBalancingAction::Release { kind, name, .. } => {
                format!("leave {} {name} in place, untagged (adopted)", kind_words(*kind))
            }
        }
    }
}

impl FamilyAction for ComputeAction {
    fn effect(&self) -> (Effect, Kind) {
        use ComputeAction as A;
        match self {
            A::CopyImage { .. } => (Effect::Create, Kind::Image),
            A::DeregisterImage { .. } => (Effect::Delete, Kind::Image),
            A::CreateLaunchTemplate { .. } => (Effect::Create, Kind::LaunchTemplate),
            A::CreateLaunchTemplateVersion { .. } => (Effect::Update, Kind::LaunchTemplate),
            A::DeleteLaunchTemplate { .. } => (Effect::Delete, Kind::LaunchTemplate),
            A::CreateAutoScalingGroup { .. } => (Effect::Create, Kind::AutoScalingGroup),
            A::UpdateAutoScalingGroup { .. } => (Effect::Update, Kind::AutoScalingGroup),
            A::DeleteAutoScalingGroup { .. } => (Effect::Delete, Kind::AutoScalingGroup),
            A::AdoptLaunchTemplate { .. } => (Effect::Adopt, Kind::LaunchTemplate),
            A::AdoptAutoScalingGroup { .. } => (Effect::Adopt, Kind::AutoScalingGroup),
            A::ReleaseLaunchTemplate { .. } => (Effect::Release, Kind::LaunchTemplate),
            A::ReleaseAutoScalingGroup { .. } => (Effect::Release, Kind::AutoScalingGroup),
            A::ReleaseImage { .. } => (Effect::Release, Kind::Image),
        }
    }

    /// New resources are placed by their tier, existing ones by the tier
    /// their ID or name tells.
    fn tier(&self, scope: &Scope) -> Tier {
        use ComputeAction as A;
        let kind = self.effect().1;
        match self {
            A::CopyImage { tier, .. }
            | A::CreateLaunchTemplate { tier, .. }
            | A::CreateAutoScalingGroup { tier, .. }
            | A::AdoptLaunchTemplate { tier, .. }
            | A::AdoptAutoScalingGroup { tier, .. }
            | A::ReleaseLaunchTemplate { tier, .. }
            | A::ReleaseAutoScalingGroup { tier, .. }
            | A::ReleaseImage { tier, .. } => Tier::of(scope, kind, tier),
            A::DeregisterImage { image_id: name, .. }
            | A::CreateLaunchTemplateVersion { template_id: name, .. }
            | A::DeleteLaunchTemplate { template_id: name }
            | A::UpdateAutoScalingGroup { name, .. }
            | A::DeleteAutoScalingGroup { name } => Tier::of(scope, kind, &name_words(name)),
        }
    }

    fn describe(&self) -> String {
        match self {
            ComputeAction::CopyImage { source_image, source_region, .. } => {
                format!("copy image {source_image} from {source_region}")
            }
            ComputeAction::DeregisterImage { image_id, .. } => format!("deregister image {image_id}"),
            ComputeAction::CreateLaunchTemplate { name, .. } => format!("create launch template {name}"),
            ComputeAction::CreateLaunchTemplateVersion { template_id, .. } => {
                format!("new version of launch template {template_id}")
            }
            ComputeAction::DeleteLaunchTemplate { template_id } => format!("delete launch template {template_id}"),
            ComputeAction::CreateAutoScalingGroup { name, spec, .. } => {
                format!("create auto scaling group {name} ({}/{}/{})", spec.min, spec.desired, spec.max)
            }
            ComputeAction::UpdateAutoScalingGroup { name, spec, .. } => format!(
                "update auto scaling group {name} (version {}, {}/{}/{})",
                spec.launch_template_version, spec.min, spec.desired, spec.max
            ),
            ComputeAction::DeleteAutoScalingGroup { name } => format!("delete auto scaling group {name}"),
            ComputeAction::AdoptLaunchTemplate { name, .. } => format!("adopt launch template {name}"),
            ComputeAction::AdoptAutoScalingGroup { name, .. } => format!("adopt auto scaling group {name}"),
            ComputeAction::ReleaseLaunchTemplate { name, .. } => {
                format!("leave launch template {name} in place, untagged (adopted)")
            }
            ComputeAction::ReleaseAutoScalingGroup { name, .. } => {
                format!("leave auto scaling group {name} running, untagged (adopted)")
            }
            ComputeAction::ReleaseImage { image_id, .. } => {
                format!("leave image copy {image_id} in place, untagged (a kept launch template launches it)")
            }
        }
    }
}

/// `TargetGroup` as `target group`.
fn kind_words(kind: Kind) -> &'static str {
    match kind {
        Kind::LoadBalancer => "load balancer",
        Kind::TargetGroup => "target group",
        _ => "resource",
    }
}

/// An ARN, ID or name as words a tier can be told from (`bookstore-api`).
fn name_words(name: &str) -> String {
    name.replace(['.', ':', '_'], "-")
}
