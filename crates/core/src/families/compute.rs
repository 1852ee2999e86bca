//! The compute family: per region and server tier an image (our copy of
//! the primary's AMI, or one the spec gives), a launch template (with the
//! instance roles family's profile and the environment block) and an auto
//! scaling group registered with the load balancing family's target group,
//! at full capacity in the active region and warm in the other. Its model
//! and planning are the server tiers' (`edge`), shared with the load
//! balancing family.

use std::collections::BTreeMap;

use warmstandby_api::{DriftItem, RegionRole, ThreeTierStackStatus};

use super::environment::launch_settings;
use super::load_balancing::{ServerTiers, tier_adoptions};
use super::{Adopted, FamiliesDesired, FamiliesObserved, Neighbours, ResourceFamily};
use crate::data::desired::NetworkRefs;
use crate::family::Family;
use crate::placement::Placement;
use crate::resource::{ADOPTED, Kind, Resource, Scope};
use crate::servers::desired::{ImageSource, desired_region_servers};
use crate::servers::observed::{ObservedCompute, RegionServers};
use crate::servers::plan::{
    ComputeAction, ComputePlan, RegionServerInputs, TierLaunch, plan_compute_region, plan_compute_teardown,
};
use crate::servers::status::{Family as Verdict, compute_verdict, region_compute_status};
use crate::validate::ValidatedStack;

pub struct Compute;

impl ResourceFamily for Compute {
    const FAMILY: Family = Family::Compute;
    type Desired = ServerTiers;
    /// Primary first.
    type Observed = [ObservedCompute; 2];
    type Action = ComputeAction;

    fn live_id(r: &Resource, status: &ThreeTierStackStatus) -> Option<Option<String>> {
        let st = super::regional(r, status)?;
        let tier = super::tier_name(r);
        match r.kind {
            Kind::Image => Some(st.and_then(|s| s.image_ids.get(tier).cloned())),
            Kind::LaunchTemplate => Some(st.and_then(|s| s.launch_templates.get(tier)).map(|l| l.id.clone())),
            Kind::AutoScalingGroup => Some(st.and_then(|s| s.auto_scaling_groups.get(tier)).map(|g| g.name.clone())),
            _ => None,
        }
    }

    fn desired(stack: &ValidatedStack, placement: &Placement) -> ServerTiers {
        RegionRole::BOTH.map(|role| desired_region_servers(stack, placement, role))
    }

    /// Each region's images first, and each tier's launch template and auto
    /// scaling group after its listeners (the load balancing family's).
    fn topology(desired: &ServerTiers, out: &mut Vec<Resource>) {
        for d in desired {
            let role = d.role;
            let scope = Scope::Region { role, region: d.region.clone() };
            let k = |c: &str| format!("{}/{c}", role.as_str());
            let images: Vec<Resource> = d
                .images
                .iter()
                .map(|image| {
                    let r = Resource::new(&scope, &format!("image/{}", image.tier), Kind::Image, image.label.clone());
                    match &image.source {
                        ImageSource::Given(ami) => r.prop("ami", ami).prop("source", "given"),
                        ImageSource::Copy { source_region, source_image, .. } => r
                            .prop("source", format!("CopyImage of {source_image} from {source_region}"))
                            .dep(format!("{}/image/{}", role.other().as_str(), image.tier)),
                    }
                })
                .collect();
            let first = out.iter().position(|x| x.scope == scope).unwrap_or(out.len());
            out.splice(first..first, images);
            for t in &d.tiers {
                let tier = t.tier;
                let adopted = |r: Resource| if t.adopt { r.prop(ADOPTED, format!("spec.{tier}.adopt")) } else { r };
                let launch_template = Resource::new(
                    &scope,
                    &format!("launch-template/{tier}"),
                    Kind::LaunchTemplate,
                    t.launch_template_name.clone(),
                )
                .prop("instanceType", &t.instance_type)
                .prop("securityGroup", tier)
                .prop(
                    "userData",
                    if t.user_script.is_some() { "environment block + spec" } else { "environment block" },
                )
                .prop("instanceProfile", &t.instance_profile)
                .dep(k(&format!("image/{tier}")))
                .dep(k(&format!("security-group/{tier}")))
                .dep(format!("global/instance-profile/{tier}"));
                let c = &t.capacity;
                let mut asg = Resource::new(
                    &scope,
                    &format!("auto-scaling-group/{tier}"),
                    Kind::AutoScalingGroup,
                    t.auto_scaling_group_name.clone(),
                )
                .prop("min", c.min)
                .prop("desired", c.desired)
                .prop("max", c.max)
                .prop("capacity", if d.active { "active" } else { "warm standby" })
                .prop("subnets", t.subnet_keys.join(","))
                .dep(k(&format!("launch-template/{tier}")))
                .dep(k(&format!("target-group/{tier}")));
                for s in t.subnet_keys {
                    asg = asg.dep(k(&format!("subnet/{s}")));
                }
                // After the tier's last listener.
                let listeners = k(&format!("listener/{tier}-"));
                let at = out.iter().rposition(|x| x.key.starts_with(&listeners)).map_or(out.len(), |i| i + 1);
                out.splice(at..at, [adopted(launch_template), adopted(asg)]);
            }
        }
    }

    /// With the image, the security groups' IDs, each region's network, the
    /// launch settings (the secrets and instance roles families') and the
    /// target groups (the load balancing family's).
    fn plan(desired: &ServerTiers, observed: &[ObservedCompute; 2], around: &Neighbours<'_>) -> ComputePlan {
        let mut plan = ComputePlan::default();
        let unknown = NetworkRefs::default();
        let (families, seen) = around.seam;
        for (i, d) in desired.iter().enumerate() {
            let groups = around.security_groups_by_role(i);
            let launch = launch_of(families, seen, d.role);
            let inputs = RegionServerInputs {
                desired: d,
                observed: RegionServers { balancing: &seen.load_balancing[i], compute: &observed[i] },
                network: around.nets.map_or(&unknown, |n| &n[i]),
                groups: &groups,
                launch: &launch,
                certificate: None,
            };
            plan_compute_region(&mut plan, &inputs);
        }
        plan
    }

    /// Auto scaling groups first, then launch templates and image copies.
    fn teardown(_desired: &ServerTiers, observed: &[ObservedCompute; 2], around: &Neighbours<'_>) -> ComputePlan {
        plan_compute_teardown(servers(observed, around))
    }

    /// `deletionPolicy: Retain` on a tier: its launch template and auto
    /// scaling group are taken as adopted.
    fn hold_retained(desired: &ServerTiers, observed: &mut [ObservedCompute; 2]) {
        crate::retention::hold_retained_compute(desired, observed);
    }

    /// `ComputeReady`.
    fn verdict(
        desired: &ServerTiers,
        observed: &[ObservedCompute; 2],
        around: &Neighbours<'_>,
        drift: &[DriftItem],
    ) -> Vec<Verdict> {
        let [p, s] = servers(observed, around);
        vec![compute_verdict(&[(&desired[0], p), (&desired[1], s)], drift)]
    }

    /// Each region's image IDs, launch templates and auto scaling groups (ours only).
    fn status(
        desired: &ServerTiers,
        observed: &[ObservedCompute; 2],
        _around: &Neighbours<'_>,
        status: &mut ThreeTierStackStatus,
    ) {
        region_compute_status(&desired[0], &observed[0], status.primary.get_or_insert_default());
        region_compute_status(&desired[1], &observed[1], status.standby.get_or_insert_default());
    }

    fn adopted(desired: &ServerTiers, observed: &[ObservedCompute; 2]) -> Vec<Adopted> {
        tier_adoptions(desired, observed, |t, o| {
            let lt = o.launch_templates.iter().find(|l| l.name == t.launch_template_name);
            let asg = o.auto_scaling_group(&t.auto_scaling_group_name);
            vec![
                lt.map(|x| (Kind::LaunchTemplate, x.name.as_str(), &x.claim)),
                asg.map(|x| (Kind::AutoScalingGroup, x.name.as_str(), &x.claim)),
            ]
        })
    }

    fn live_count(_desired: &ServerTiers, observed: &[ObservedCompute; 2]) -> usize {
        observed.iter().map(ObservedCompute::live_count).sum()
    }
}

/// Both regions' servers beside the load balancing family's load balancers.
fn servers<'a>(observed: &'a [ObservedCompute; 2], around: &Neighbours<'a>) -> [RegionServers<'a>; 2] {
    let balancing = &around.seam.1.load_balancing;
    [0, 1].map(|i| RegionServers { balancing: &balancing[i], compute: &observed[i] })
}

/// Per tier of `role`'s region: the launch template's instance profile and
/// user data (the environment block, then the spec's script), or what they
/// wait for.
pub fn launch_of(
    desired: &FamiliesDesired,
    seen: &FamiliesObserved,
    role: RegionRole,
) -> BTreeMap<String, Result<TierLaunch, String>> {
    let dns = &desired.public_dns;
    let urls = (dns.api_fqdn.as_str(), dns.web_fqdn.as_str());
    let region = &desired.compute[role.index()];
    region
        .tiers
        .iter()
        .map(|t| {
            let secret = (&desired.secrets, seen.secrets.as_ref());
            let roles = (desired.instance_roles.as_slice(), &seen.instance_roles);
            let launch =
                launch_settings(secret, roles, t.tier, role, region.active, urls).map(|(instance_profile, env)| {
                    TierLaunch {
                        instance_profile,
                        user_data: crate::base64::encode(env.user_data(t.user_script.as_deref()).as_bytes()),
                    }
                });
            (t.tier.to_string(), launch)
        })
        .collect()
}
