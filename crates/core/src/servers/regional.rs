//! One region's load balancers and servers: per tier its target group,
//! load balancer and listeners (with the certificates family's
//! certificate), planned by the load balancing family, and its image,
//! launch template and auto scaling group, planned by the compute family;
//! each resolved into the spec the adapter reports.

use warmstandby_api::{DriftItem, RegionRole};

use crate::servers::actions::{ComputeAction, LoadBalancingAction, Place};
use crate::servers::desired::{DesiredTier, ImageSource};
use crate::servers::inputs::{BalancingPlan, ComputePlan, RegionServerInputs};
use crate::servers::observed::{
    AsgSpec, LaunchTemplateData, ListenerSpec, LoadBalancerSpec, ObservedLoadBalancer, ObservedTargetGroup,
    TargetGroupSpec, diff,
};

/// The load balancing family's plan of one region.
pub fn plan_balancing_region(plan: &mut BalancingPlan, r: &RegionServerInputs<'_>) {
    for t in &r.desired.tiers {
        if t.adopt && !super::adoption::plan_balancing_adoption(plan, r, t) {
            // Nothing of a tier not ours yet is changed; its differences
            // from the spec show now and are changed once it is adopted.
            let mut preview = BalancingPlan::default();
            plan_balancing_tier(&mut preview, r, t);
            plan.drift.extend(preview.drift);
            continue;
        }
        plan_balancing_tier(plan, r, t);
    }
}

/// The compute family's plan of one region.
pub fn plan_compute_region(plan: &mut ComputePlan, r: &RegionServerInputs<'_>) {
    for t in &r.desired.tiers {
        if t.adopt && !super::adoption::plan_compute_adoption(plan, r, t) {
            let mut preview = ComputePlan::default();
            plan_compute_tier(&mut preview, r, t);
            plan.drift.extend(preview.drift);
            continue;
        }
        plan_compute_tier(plan, r, t);
    }
}

fn plan_balancing_tier(plan: &mut BalancingPlan, r: &RegionServerInputs<'_>, t: &DesiredTier) {
    plan_target_group(plan, r, t);
    plan_load_balancer(plan, r, t);
    let o = r.observed.balancing;
    if let (Some(lb), Some(tg)) = (o.load_balancer(&t.load_balancer_name), o.target_group(&t.target_group_name)) {
        plan_listeners(plan, r, t, lb, tg, r.certificate.as_deref());
    }
}

fn plan_compute_tier(plan: &mut ComputePlan, r: &RegionServerInputs<'_>, t: &DesiredTier) {
    plan_image(plan, r, t);
    let launch_template = plan_launch_template(plan, r, t);
    let tg = r.observed.balancing.target_group(&t.target_group_name);
    plan_auto_scaling_group(plan, r, t, launch_template, tg);
}

fn plan_target_group(plan: &mut BalancingPlan, r: &RegionServerInputs<'_>, t: &DesiredTier) {
    let (d, o) = (r.desired, r.observed.balancing);
    let region = d.region.as_str();
    let scope = Place::Region(d.role);
    let tg_want = TargetGroupSpec {
        name: t.target_group_name.clone(),
        protocol: "HTTP".into(),
        port: t.port,
        vpc_id: r.network.vpc_id.clone(),
        health_check_path: t.health_check_path.clone(),
    };
    match o.target_group(&t.target_group_name) {
        None => plan.push(scope, LoadBalancingAction::CreateTargetGroup { tier: t.tier.into(), spec: tg_want.clone() }),
        Some(have) => {
            let items = diff(region, "TargetGroup", &have.spec.name, &tg_want.fields(), &have.spec.fields());
            for i in &items {
                if i.field == "healthCheckPath" {
                    plan.push(
                        scope,
                        LoadBalancingAction::ModifyTargetGroup {
                            arn: have.arn.clone(),
                            health_check_path: tg_want.health_check_path.clone(),
                        },
                    );
                } else {
                    plan.blocked.push(format!(
                        "target group {} has {} {}, the spec says {}; delete it to have it rebuilt",
                        have.spec.name, i.field, i.found, i.expected
                    ));
                }
            }
            plan.drift.extend(items);
        }
    }
}

fn plan_load_balancer(plan: &mut BalancingPlan, r: &RegionServerInputs<'_>, t: &DesiredTier) {
    let (d, o) = (r.desired, r.observed.balancing);
    let region = d.region.as_str();
    let scope = Place::Region(d.role);
    let alb_group = r.groups.get(&t.alb_group());
    let public: Vec<String> =
        ["public-a", "public-b"].iter().filter_map(|k| r.network.subnet_ids.get(*k).cloned()).collect();
    match (o.load_balancer(&t.load_balancer_name), alb_group) {
        (None, Some(sg)) if public.len() == 2 => plan.push(
            scope,
            LoadBalancingAction::CreateLoadBalancer {
                tier: t.tier.into(),
                spec: LoadBalancerSpec {
                    name: t.load_balancer_name.clone(),
                    scheme: "internet-facing".into(),
                    subnet_ids: sorted(public.clone()),
                    security_group_ids: vec![sg.clone()],
                },
            },
        ),
        (None, _) => plan.waiting.push(format!("{} load balancer in {region} waits for its security group", t.tier)),
        (Some(have), sg) => {
            let want = LoadBalancerSpec {
                name: t.load_balancer_name.clone(),
                scheme: "internet-facing".into(),
                subnet_ids: sorted(public.clone()),
                security_group_ids: sg.cloned().into_iter().collect(),
            };
            let items = diff(region, "LoadBalancer", &have.spec.name, &want.fields(), &have.spec.fields());
            for i in &items {
                match i.field.as_str() {
                    "subnets" => plan.push(
                        scope,
                        LoadBalancingAction::SetSubnets { arn: have.arn.clone(), subnet_ids: want.subnet_ids.clone() },
                    ),
                    "securityGroups" if !want.security_group_ids.is_empty() => plan.push(
                        scope,
                        LoadBalancingAction::SetSecurityGroups {
                            arn: have.arn.clone(),
                            security_group_ids: want.security_group_ids.clone(),
                        },
                    ),
                    "securityGroups" => {}
                    _ => plan.blocked.push(format!(
                        "load balancer {} is {}, the spec says {}; delete it to have it rebuilt",
                        have.spec.name, i.found, i.expected
                    )),
                }
            }
            plan.drift.extend(items);
            if have.state != "active" {
                plan.waiting.push(format!("load balancer {} in {region} is {}", have.spec.name, have.state));
            }
        }
    }
}

/// HTTP always, HTTPS with the regional certificate where wanted.
fn plan_listeners(
    plan: &mut BalancingPlan,
    r: &RegionServerInputs<'_>,
    t: &DesiredTier,
    lb: &ObservedLoadBalancer,
    tg: &ObservedTargetGroup,
    certificate: Option<&str>,
) {
    let (d, o) = (r.desired, r.observed.balancing);
    let region = d.region.as_str();
    let scope = Place::Region(d.role);
    let mut wanted: Vec<ListenerSpec> = vec![ListenerSpec {
        port: 80,
        protocol: "HTTP".into(),
        target_group_arn: tg.arn.clone(),
        certificate_arn: None,
    }];
    if t.https_listener {
        match certificate {
            Some(arn) => wanted.push(ListenerSpec {
                port: 443,
                protocol: "HTTPS".into(),
                target_group_arn: tg.arn.clone(),
                certificate_arn: Some(arn.to_string()),
            }),
            None => plan.waiting.push(format!("HTTPS listener of {} waits for the certificate", lb.spec.name)),
        }
    }
    for want in &wanted {
        match o.listener(&lb.arn, want.port) {
            None => {
                if o.vanished_listeners.iter().any(|arn| listener_of(arn, &lb.arn)) {
                    plan.drift.push(DriftItem::new(
                        region,
                        "Listener",
                        &format!("{}:{}", lb.spec.name, want.port),
                        "present",
                        "present",
                        "missing",
                    ));
                }
                plan.push(
                    scope,
                    LoadBalancingAction::CreateListener {
                        load_balancer_arn: lb.arn.clone(),
                        tier: t.tier.into(),
                        spec: want.clone(),
                    },
                )
            }
            Some(have) => {
                let items = diff(
                    region,
                    "Listener",
                    &format!("{}:{}", lb.spec.name, want.port),
                    &want.fields(),
                    &have.spec.fields(),
                );
                if !items.is_empty() {
                    plan.push(scope, LoadBalancingAction::ModifyListener { arn: have.arn.clone(), spec: want.clone() });
                }
                plan.drift.extend(items);
            }
        }
    }
    let https_pending = t.https_listener && certificate.is_none();
    for have in o.listeners.iter().filter(|l| l.load_balancer_arn == lb.arn) {
        let keep = wanted.iter().any(|w| w.port == have.spec.port) || (https_pending && have.spec.port == 443);
        if !keep {
            plan.drift.push(DriftItem::new(
                region,
                "Listener",
                &format!("{}:{}", lb.spec.name, have.spec.port),
                "present",
                "absent",
                "present",
            ));
            plan.push(scope, LoadBalancingAction::DeleteListener { arn: have.arn.clone() });
        }
    }
}

fn plan_image(plan: &mut ComputePlan, r: &RegionServerInputs<'_>, t: &DesiredTier) {
    let (d, o) = (r.desired, r.observed.compute);
    let region = d.region.as_str();
    let scope = Place::Region(d.role);
    match &d.image(t.tier).map(|i| &i.source) {
        Some(ImageSource::Copy { name, source_region, source_image }) => match o.image(t.tier) {
            None => {
                // The launch template still launches the copy: it was deregistered out of band.
                if let Some(lt) = o.launch_template(t.tier).and_then(|l| l.latest.as_ref()) {
                    plan.drift.push(DriftItem::new(region, "Image", &lt.image_id, "present", "present", "missing"));
                }
                plan.push(
                    scope,
                    ComputeAction::CopyImage {
                        tier: t.tier.into(),
                        name: name.clone(),
                        source_region: source_region.clone(),
                        source_image: source_image.clone(),
                    },
                )
            }
            Some(img) => {
                // Copies are tagged as they are made: an image by this name
                // without this stack's tags is someone else's.
                if !img.tagged {
                    plan.blocked.push(format!(
                        "image {} named {name} in {region} is not tagged as this stack's; rename or deregister it",
                        img.id
                    ));
                    return;
                }
                match img.state.as_str() {
                    "available" => {}
                    "pending" => plan.waiting.push(format!("image copy {} in {region} is pending", img.id)),
                    other => plan.blocked.push(format!(
                        "image copy {} in {region} is {other}; deregister it to have it copied again",
                        img.id
                    )),
                }
            }
        },
        Some(ImageSource::Given(ami)) if d.role == RegionRole::Standby => match o.image(t.tier) {
            Some(img) if img.state == "available" => {}
            Some(img) => plan.blocked.push(format!("AMI {ami} in {region} is {}", img.state)),
            None => plan.blocked.push(format!("AMI {ami} does not exist in {region}")),
        },
        _ => {}
    }
}

/// A new version whenever the content should change; returns the template
/// and version the auto scaling group should use, once current.
fn plan_launch_template(plan: &mut ComputePlan, r: &RegionServerInputs<'_>, t: &DesiredTier) -> Option<(String, i64)> {
    let (d, o) = (r.desired, r.observed.compute);
    let region = d.region.as_str();
    let scope = Place::Region(d.role);
    let launch = match r.launch.get(t.tier) {
        Some(Ok(launch)) => Some(launch),
        Some(Err(waits)) => {
            plan.waiting.push(format!("{waits} in {region}"));
            None
        }
        None => None,
    };
    let data = match (image_id(r, t.tier), r.groups.get(t.tier), launch) {
        (Some(image_id), Some(sg), Some(launch)) => Some(LaunchTemplateData {
            image_id,
            instance_type: t.instance_type.clone(),
            security_group_ids: vec![sg.clone()],
            user_data: Some(launch.user_data.clone()),
            iam_instance_profile: Some(launch.instance_profile.clone()),
        }),
        _ => None,
    };
    match (o.launch_template(t.tier), data) {
        (None, Some(data)) => {
            let name = t.launch_template_name.clone();
            plan.push(scope, ComputeAction::CreateLaunchTemplate { tier: t.tier.into(), name, data });
            None
        }
        (None, None) => {
            plan.waiting.push(format!("{} launch template in {region} waits for its image and security group", t.tier));
            None
        }
        (Some(have), Some(data)) => {
            let latest = have.latest.clone().unwrap_or(LaunchTemplateData {
                image_id: String::new(),
                instance_type: String::new(),
                security_group_ids: Vec::new(),
                user_data: None,
                iam_instance_profile: None,
            });
            let items = diff(
                region,
                "LaunchTemplate",
                &format!("{} v{}", have.name, have.latest_version),
                &data.fields(),
                &latest.fields(),
            );
            if items.is_empty() && latest == data {
                Some((have.id.clone(), have.latest_version))
            } else {
                plan.push(scope, ComputeAction::CreateLaunchTemplateVersion { template_id: have.id.clone(), data });
                plan.drift.extend(items);
                None
            }
        }
        (Some(have), None) => Some((have.id.clone(), have.latest_version)),
    }
}

fn plan_auto_scaling_group(
    plan: &mut ComputePlan,
    r: &RegionServerInputs<'_>,
    t: &DesiredTier,
    lt_current: Option<(String, i64)>,
    tg: Option<&ObservedTargetGroup>,
) {
    let (d, o) = (r.desired, r.observed.compute);
    let region = d.region.as_str();
    let scope = Place::Region(d.role);
    let subnets: Vec<String> = t.subnet_keys.iter().filter_map(|k| r.network.subnet_ids.get(*k).cloned()).collect();
    let asg = o.auto_scaling_group(&t.auto_scaling_group_name);
    match (asg, lt_current, tg) {
        (Some(have), _, _) if have.deleting => {
            plan.waiting.push(format!("auto scaling group {} is being deleted", have.name))
        }
        (have, Some((lt_id, version)), Some(tg)) if subnets.len() == 2 => {
            let want = AsgSpec {
                launch_template_id: lt_id,
                launch_template_version: version.to_string(),
                min: t.capacity.min,
                desired: t.capacity.desired,
                max: t.capacity.max,
                subnet_ids: sorted(subnets.clone()),
                target_group_arns: vec![tg.arn.clone()],
            };
            match have {
                None => plan.push(
                    scope,
                    ComputeAction::CreateAutoScalingGroup {
                        tier: t.tier.into(),
                        name: t.auto_scaling_group_name.clone(),
                        spec: want,
                    },
                ),
                Some(have) => {
                    let items = diff(region, "AutoScalingGroup", &have.name, &want.fields(), &have.spec.fields());
                    if !items.is_empty() {
                        let attach = want
                            .target_group_arns
                            .iter()
                            .filter(|a| !have.spec.target_group_arns.contains(a))
                            .cloned()
                            .collect();
                        let detach = have
                            .spec
                            .target_group_arns
                            .iter()
                            .filter(|a| !want.target_group_arns.contains(a))
                            .cloned()
                            .collect();
                        plan.push(
                            scope,
                            ComputeAction::UpdateAutoScalingGroup {
                                name: have.name.clone(),
                                spec: want,
                                attach,
                                detach,
                            },
                        );
                    }
                    plan.drift.extend(items);
                }
            }
        }
        (None, _, _) => plan
            .waiting
            .push(format!("{} auto scaling group in {region} waits for its launch template and target group", t.tier)),
        (Some(_), _, _) => plan.waiting.push(format!("launch template of {} is being updated", t.tier)),
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// `arn:..:listener/app/<name>/<lb-id>/<id>` belongs to `arn:..:loadbalancer/app/<name>/<lb-id>`.
fn listener_of(listener_arn: &str, lb_arn: &str) -> bool {
    lb_arn
        .split_once(":loadbalancer/")
        .is_some_and(|(prefix, path)| listener_arn.starts_with(&format!("{prefix}:listener/{path}/")))
}

/// The image a region's launch template uses, once it is usable.
fn image_id(r: &RegionServerInputs<'_>, tier: &str) -> Option<String> {
    match &r.desired.image(tier)?.source {
        ImageSource::Given(ami) => Some(ami.clone()),
        ImageSource::Copy { .. } => {
            r.observed.compute.image(tier).filter(|i| i.state == "available").map(|i| i.id.clone())
        }
    }
}
