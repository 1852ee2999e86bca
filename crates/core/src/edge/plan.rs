//! Edge and compute planning for both regions and the global resources of a
//! stack at once: the global ones (records, CloudFront) point at regional
//! ones, and the active region decides which.
//!
//! Each resource is resolved from the desired state and the IDs observed so
//! far into the same `*Spec` the adapter reports, so drift is a field-by-field
//! comparison and a repair is the desired spec applied again.

use std::collections::BTreeMap;

use warmstandby_api::{CachingMode, DriftItem, GLOBAL_REGION, OriginProtocol, PriceClass, RegionRole};

use crate::desired::{CloudFrontCertificate, DesiredGlobalEdge, DesiredRegionEdge, ImageSource, NetworkRefs};
use crate::edge::observed::{
    AlarmConfig, AsgSpec, DistributionSpec, HealthCheckConfig, LaunchTemplateData, ListenerSpec, LoadBalancerSpec,
    ObservedCertificate, ObservedGlobalEdge, ObservedLoadBalancer, ObservedRegionEdge, OriginSpec, RecordSpec,
    TargetGroupSpec, WebAclSpec, diff,
};
use crate::identity::Ownership;

/// Where an action runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EdgeScope {
    Region(RegionRole),
    /// Route 53, CloudFront, WAF (CLOUDFRONT), the alarm and CloudFront's
    /// own certificate: us-east-1.
    Global,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordAction {
    Create,
    Upsert,
    Delete,
}

impl RecordAction {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordAction::Create => "CREATE",
            RecordAction::Upsert => "UPSERT",
            RecordAction::Delete => "DELETE",
        }
    }
}

/// One AWS change of the edge or compute tier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EdgeAction {
    RequestCertificate {
        domain: String,
    },
    DeleteCertificate {
        arn: String,
    },
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
    CopyImage {
        tier: String,
        name: String,
        source_region: String,
        source_image: String,
    },
    /// CopyImage takes no tags: ownership is added right after.
    TagImage {
        tier: String,
        image_id: String,
        name: String,
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
    CreatePublicZone {
        name: String,
    },
    DeletePublicZone {
        zone_id: String,
    },
    /// One atomic Route 53 batch.
    ChangeRecords {
        zone_id: String,
        changes: Vec<(RecordAction, RecordSpec)>,
    },
    CreateHealthCheck {
        caller_reference: String,
        name: String,
        config: HealthCheckConfig,
    },
    UpdateHealthCheck {
        id: String,
        config: HealthCheckConfig,
    },
    DeleteHealthCheck {
        id: String,
    },
    CreateWebAcl {
        name: String,
        spec: WebAclSpec,
    },
    UpdateWebAcl {
        id: String,
        name: String,
        lock_token: String,
        spec: WebAclSpec,
    },
    DeleteWebAcl {
        id: String,
        name: String,
        lock_token: String,
    },
    CreateDistribution {
        caller_reference: String,
        spec: DistributionSpec,
    },
    UpdateDistribution {
        id: String,
        etag: String,
        spec: DistributionSpec,
    },
    DeleteDistribution {
        id: String,
        etag: String,
    },
    PutAlarm {
        name: String,
        config: AlarmConfig,
    },
    DeleteAlarm {
        name: String,
    },
}

#[derive(Clone, Debug, Default)]
pub struct EdgePlan {
    pub actions: Vec<(EdgeScope, EdgeAction)>,
    pub drift: Vec<DriftItem>,
    pub blocked: Vec<String>,
    pub waiting: Vec<String>,
}

impl EdgePlan {
    fn push(&mut self, scope: EdgeScope, action: EdgeAction) {
        self.actions.push((scope, action));
    }
}

/// What one region's plan needs besides its own observation.
pub struct RegionEdgeInputs<'a> {
    pub desired: &'a DesiredRegionEdge,
    pub observed: &'a ObservedRegionEdge,
    pub network: &'a NetworkRefs,
    /// Security group IDs of the data tier by role (`alb-web`, `web`, ...).
    pub groups: &'a BTreeMap<String, String>,
}

pub struct EdgeInputs<'a> {
    /// Primary first.
    pub regions: [RegionEdgeInputs<'a>; 2],
    pub global: &'a DesiredGlobalEdge,
    pub observed: &'a ObservedGlobalEdge,
    /// The owner of the global resources (the primary region's): the marker
    /// next to our records and the caller references derive from it.
    pub owner: &'a Ownership,
}

/// CloudFront's fixed hosted zone for alias records.
pub const CLOUDFRONT_ZONE_ID: &str = "Z2FDTNDATAQYW2";
/// Managed cache policies.
pub const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
pub const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
pub const ALL_METHODS: [&str; 7] = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"];
pub const ORIGIN_GROUP_ID: &str = "web-failover";
/// TTL of validation CNAMEs and ownership markers.
pub const RECORD_TTL: i64 = 300;

/// The ownership marker record of a managed record name.
pub fn marker_name(record: &str) -> String {
    format!("_warmstandby.{record}")
}

pub fn origin_id(region: &str) -> String {
    format!("web-{region}")
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
fn image_id(r: &RegionEdgeInputs<'_>, tier: &str) -> Option<String> {
    match &r.desired.image(tier)?.source {
        ImageSource::Given(ami) => Some(ami.clone()),
        ImageSource::Copy { .. } => r.observed.image(tier).filter(|i| i.state == "available").map(|i| i.id.clone()),
    }
}

pub fn plan_edge(inputs: &EdgeInputs<'_>) -> EdgePlan {
    let mut plan = EdgePlan::default();
    for r in &inputs.regions {
        plan_region(&mut plan, r);
    }
    plan_global(&mut plan, inputs);
    plan
}

fn plan_region(plan: &mut EdgePlan, r: &RegionEdgeInputs<'_>) {
    let d = r.desired;
    let o = r.observed;
    let region = d.region.as_str();
    let scope = EdgeScope::Region(d.role);

    let certificate = match &o.certificate {
        None => {
            // A listener still naming a certificate: ours was deleted out of band.
            if let Some(arn) = o.listeners.iter().find_map(|l| l.spec.certificate_arn.clone()) {
                plan.drift.push(DriftItem::new(region, "Certificate", &arn, "present", "present", "missing"));
            }
            plan.push(scope, EdgeAction::RequestCertificate { domain: d.certificate_domain.clone() });
            None
        }
        Some(c) if c.is_issued() => Some(c.arn.clone()),
        Some(c) if c.status == "PENDING_VALIDATION" => {
            plan.waiting.push(format!("certificate {} in {region} is waiting for DNS validation", c.domain));
            None
        }
        Some(c) => {
            plan.blocked
                .push(format!("certificate {} in {region} is {}; delete it to request a new one", c.arn, c.status));
            None
        }
    };

    for t in &d.tiers {
        // Target group.
        let tg_want = TargetGroupSpec {
            name: t.target_group_name.clone(),
            protocol: "HTTP".into(),
            port: t.port,
            vpc_id: r.network.vpc_id.clone(),
            health_check_path: t.health_check_path.clone(),
        };
        let tg = o.target_group(&t.target_group_name);
        match tg {
            None => plan.push(scope, EdgeAction::CreateTargetGroup { tier: t.tier.into(), spec: tg_want.clone() }),
            Some(have) => {
                let items = diff(region, "TargetGroup", &have.spec.name, &tg_want.fields(), &have.spec.fields());
                for i in &items {
                    if i.field == "healthCheckPath" {
                        plan.push(
                            scope,
                            EdgeAction::ModifyTargetGroup {
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

        // Load balancer.
        let alb_group = r.groups.get(&t.alb_group());
        let public: Vec<String> =
            ["public-a", "public-b"].iter().filter_map(|k| r.network.subnet_ids.get(*k).cloned()).collect();
        let lb = o.load_balancer(&t.load_balancer_name);
        match (lb, alb_group) {
            (None, Some(sg)) if public.len() == 2 => plan.push(
                scope,
                EdgeAction::CreateLoadBalancer {
                    tier: t.tier.into(),
                    spec: LoadBalancerSpec {
                        name: t.load_balancer_name.clone(),
                        scheme: "internet-facing".into(),
                        subnet_ids: sorted(public.clone()),
                        security_group_ids: vec![sg.clone()],
                    },
                },
            ),
            (None, _) => {
                plan.waiting.push(format!("{} load balancer in {region} waits for its security group", t.tier))
            }
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
                            EdgeAction::SetSubnets { arn: have.arn.clone(), subnet_ids: want.subnet_ids.clone() },
                        ),
                        "securityGroups" if !want.security_group_ids.is_empty() => plan.push(
                            scope,
                            EdgeAction::SetSecurityGroups {
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

        // Listeners: HTTP always, HTTPS with the regional certificate where wanted.
        if let (Some(lb), Some(tg)) = (lb, tg) {
            let mut wanted: Vec<ListenerSpec> = vec![ListenerSpec {
                port: 80,
                protocol: "HTTP".into(),
                target_group_arn: tg.arn.clone(),
                certificate_arn: None,
            }];
            if t.https_listener {
                match &certificate {
                    Some(arn) => wanted.push(ListenerSpec {
                        port: 443,
                        protocol: "HTTPS".into(),
                        target_group_arn: tg.arn.clone(),
                        certificate_arn: Some(arn.clone()),
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
                            EdgeAction::CreateListener {
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
                            plan.push(scope, EdgeAction::ModifyListener { arn: have.arn.clone(), spec: want.clone() });
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
                    plan.push(scope, EdgeAction::DeleteListener { arn: have.arn.clone() });
                }
            }
        }

        // Image.
        match &d.image(t.tier).map(|i| &i.source) {
            Some(ImageSource::Copy { name, source_region, source_image }) => match o.image(t.tier) {
                None => {
                    // The launch template still launches the copy: it was deregistered out of band.
                    if let Some(lt) = o.launch_template(t.tier).and_then(|l| l.latest.as_ref()) {
                        plan.drift.push(DriftItem::new(region, "Image", &lt.image_id, "present", "present", "missing"));
                    }
                    plan.push(
                        scope,
                        EdgeAction::CopyImage {
                            tier: t.tier.into(),
                            name: name.clone(),
                            source_region: source_region.clone(),
                            source_image: source_image.clone(),
                        },
                    )
                }
                Some(img) => {
                    if !img.tagged {
                        plan.push(
                            scope,
                            EdgeAction::TagImage { tier: t.tier.into(), image_id: img.id.clone(), name: name.clone() },
                        );
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

        // Launch template: a new version whenever the content should change.
        let data = match (image_id(r, t.tier), r.groups.get(t.tier)) {
            (Some(image_id), Some(sg)) => Some(LaunchTemplateData {
                image_id,
                instance_type: t.instance_type.clone(),
                security_group_ids: vec![sg.clone()],
                user_data: t.user_data.clone(),
            }),
            _ => None,
        };
        let lt = o.launch_template(t.tier);
        let mut lt_current: Option<(String, i64)> = None;
        match (lt, data) {
            (None, Some(data)) => plan.push(
                scope,
                EdgeAction::CreateLaunchTemplate { tier: t.tier.into(), name: t.launch_template_name.clone(), data },
            ),
            (None, None) => plan
                .waiting
                .push(format!("{} launch template in {region} waits for its image and security group", t.tier)),
            (Some(have), Some(data)) => {
                let latest = have.latest.clone().unwrap_or(LaunchTemplateData {
                    image_id: String::new(),
                    instance_type: String::new(),
                    security_group_ids: Vec::new(),
                    user_data: None,
                });
                let items = diff(
                    region,
                    "LaunchTemplate",
                    &format!("{} v{}", have.name, have.latest_version),
                    &data.fields(),
                    &latest.fields(),
                );
                if items.is_empty() && latest == data {
                    lt_current = Some((have.id.clone(), have.latest_version));
                } else {
                    plan.push(scope, EdgeAction::CreateLaunchTemplateVersion { template_id: have.id.clone(), data });
                    plan.drift.extend(items);
                }
            }
            (Some(have), None) => {
                lt_current = Some((have.id.clone(), have.latest_version));
            }
        }

        // Auto scaling group.
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
                        EdgeAction::CreateAutoScalingGroup {
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
                                EdgeAction::UpdateAutoScalingGroup {
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
            (None, _, _) => plan.waiting.push(format!(
                "{} auto scaling group in {region} waits for its launch template and target group",
                t.tier
            )),
            (Some(_), _, _) => plan.waiting.push(format!("launch template of {} is being updated", t.tier)),
        }
    }
}

/// Region inputs by role.
fn region<'a, 'b>(inputs: &'b EdgeInputs<'a>, role: RegionRole) -> &'b RegionEdgeInputs<'a> {
    &inputs.regions[role.index()]
}

fn api_lb<'a>(inputs: &'a EdgeInputs<'_>, role: RegionRole) -> Option<&'a ObservedLoadBalancer> {
    let r = region(inputs, role);
    r.desired.tier("api").and_then(|t| r.observed.load_balancer(&t.load_balancer_name))
}

fn web_lb<'a>(inputs: &'a EdgeInputs<'_>, role: RegionRole) -> Option<&'a ObservedLoadBalancer> {
    let r = region(inputs, role);
    r.desired.tier("web").and_then(|t| r.observed.load_balancer(&t.load_balancer_name))
}

fn cloudfront_certificate<'a>(inputs: &'a EdgeInputs<'_>) -> Option<&'a ObservedCertificate> {
    match inputs.global.cloudfront_certificate {
        CloudFrontCertificate::Regional(role) => region(inputs, role).observed.certificate.as_ref(),
        CloudFrontCertificate::Own => inputs.observed.certificate.as_ref(),
    }
}

fn plan_global(plan: &mut EdgePlan, inputs: &EdgeInputs<'_>) {
    let g = inputs.global;
    let o = inputs.observed;

    if g.cloudfront_certificate == CloudFrontCertificate::Own {
        match &o.certificate {
            None => {
                plan.push(EdgeScope::Global, EdgeAction::RequestCertificate { domain: format!("*.{}", g.zone_name) })
            }
            Some(c) if !c.is_issued() => {
                plan.waiting.push(format!("CloudFront's certificate in {GLOBAL_REGION} is {}", c.status))
            }
            Some(_) => {}
        }
    }

    // Health check on the active region's api ALB.
    let active_api = api_lb(inputs, g.active);
    let hc_want = active_api.map(|lb| HealthCheckConfig {
        fqdn: lb.dns_name.clone(),
        https: g.health_check.https,
        port: g.health_check.port,
        path: g.health_check.path.clone(),
        interval_seconds: g.health_check.interval_seconds,
        failure_threshold: g.health_check.failure_threshold,
    });
    let mut health_check_id = None;
    match &hc_want {
        None => plan.waiting.push("the health check waits for the active api load balancer".into()),
        Some(want) => {
            let reference = inputs.owner.health_check_reference(&want.immutable_key());
            match o.health_checks.iter().find(|h| h.caller_reference == reference) {
                None => plan.push(
                    EdgeScope::Global,
                    EdgeAction::CreateHealthCheck {
                        caller_reference: reference,
                        name: g.health_check.name.clone(),
                        config: want.clone(),
                    },
                ),
                Some(have) => {
                    let items = diff(GLOBAL_REGION, "HealthCheck", &have.id, &want.fields(), &have.config.fields());
                    if !items.is_empty() {
                        plan.push(
                            EdgeScope::Global,
                            EdgeAction::UpdateHealthCheck { id: have.id.clone(), config: want.clone() },
                        );
                    }
                    plan.drift.extend(items);
                    health_check_id = Some(have.id.clone());
                }
            }
        }
    }

    // Records: validation CNAMEs, the api failover pair and the web alias.
    let Some(zone) = &o.zone else {
        if g.manage_zone {
            plan.push(EdgeScope::Global, EdgeAction::CreatePublicZone { name: g.zone_name.clone() });
        } else {
            plan.blocked.push(format!(
                "public hosted zone {} not found; create it or set spec.domain.manageZone: true",
                g.zone_name
            ));
        }
        return;
    };
    let mut desired: Vec<RecordSpec> = Vec::new();
    let mut certs: Vec<&ObservedCertificate> =
        inputs.regions.iter().filter_map(|r| r.observed.certificate.as_ref()).collect();
    if g.cloudfront_certificate == CloudFrontCertificate::Own
        && let Some(c) = &o.certificate
    {
        certs.push(c);
    }
    let mut validation_names = Vec::new();
    for c in certs {
        for (name, value) in &c.validation {
            let name = name.trim_end_matches('.').to_lowercase();
            if validation_names.contains(&name) {
                continue;
            }
            validation_names.push(name.clone());
            desired.push(RecordSpec {
                name,
                rtype: "CNAME".into(),
                set_identifier: None,
                failover: None,
                alias: None,
                health_check_id: None,
                ttl: Some(RECORD_TTL),
                values: vec![value.trim_end_matches('.').to_string()],
            });
        }
    }
    let api_fqdn = g.api_fqdn.to_lowercase();
    let mut api_ready = true;
    for role in [g.active, g.active.other()] {
        let primary = role == g.active;
        match (api_lb(inputs, role), primary, &health_check_id) {
            (Some(lb), false, _) | (Some(lb), true, Some(_)) => desired.push(RecordSpec {
                name: api_fqdn.clone(),
                rtype: "A".into(),
                set_identifier: Some(region(inputs, role).desired.region.clone()),
                failover: Some(if primary { "PRIMARY" } else { "SECONDARY" }.into()),
                alias: Some((lb.dns_name.to_lowercase(), lb.zone_id.clone(), true)),
                health_check_id: if primary { health_check_id.clone() } else { None },
                ttl: None,
                values: Vec::new(),
            }),
            _ => api_ready = false,
        }
    }
    if !api_ready {
        plan.waiting.push(format!("{api_fqdn} waits for both api load balancers and the health check"));
    }

    // WAF.
    let mut web_acl_arn = String::new();
    let mut waf_ready = true;
    if let Some(w) = &g.web_acl {
        let want = WebAclSpec { managed_rule_groups: w.managed_rule_groups.clone(), rate_limit: w.rate_limit };
        match &o.web_acl {
            None => {
                waf_ready = false;
                plan.push(EdgeScope::Global, EdgeAction::CreateWebAcl { name: w.name.clone(), spec: want });
            }
            Some(have) => {
                let items = diff(GLOBAL_REGION, "WebAcl", &have.name, &want.fields(), &have.spec.fields());
                if !items.is_empty() {
                    plan.push(
                        EdgeScope::Global,
                        EdgeAction::UpdateWebAcl {
                            id: have.id.clone(),
                            name: have.name.clone(),
                            lock_token: have.lock_token.clone(),
                            spec: want,
                        },
                    );
                }
                plan.drift.extend(items);
                web_acl_arn = have.arn.clone();
            }
        }
    }

    // CloudFront: the active region's web ALB first in the origin group.
    let cf_cert = cloudfront_certificate(inputs).filter(|c| c.is_issued());
    let webs = (web_lb(inputs, g.active), web_lb(inputs, g.active.other()));
    match (webs, cf_cert, waf_ready) {
        ((Some(first), Some(second)), Some(cert), true) => {
            let d = &g.distribution;
            let policy = match d.origin_protocol {
                OriginProtocol::HttpOnly => "http-only",
                OriginProtocol::HttpsOnly => "https-only",
            };
            let origins: Vec<OriginSpec> = [(g.active, first), (g.active.other(), second)]
                .iter()
                .map(|(role, lb)| OriginSpec {
                    id: origin_id(&region(inputs, *role).desired.region),
                    domain_name: lb.dns_name.to_lowercase(),
                    protocol_policy: policy.into(),
                    connection_attempts: d.connection_attempts,
                    connection_timeout: d.connection_timeout_seconds,
                })
                .collect();
            let mut codes = d.failover_status_codes.clone();
            codes.sort_unstable();
            codes.dedup();
            let want = DistributionSpec {
                comment: d.comment.clone(),
                enabled: true,
                aliases: vec![g.web_fqdn.to_lowercase()],
                certificate_arn: cert.arn.clone(),
                origin_group_members: origins.iter().map(|o| o.id.clone()).collect(),
                origins,
                origin_group_id: ORIGIN_GROUP_ID.into(),
                failover_status_codes: codes,
                target_origin_id: ORIGIN_GROUP_ID.into(),
                viewer_protocol_policy: "redirect-to-https".into(),
                allowed_methods: ALL_METHODS.iter().map(ToString::to_string).collect(),
                cache_policy_id: match d.caching {
                    CachingMode::Disabled => CACHING_DISABLED.into(),
                    CachingMode::Optimized => CACHING_OPTIMIZED.into(),
                },
                price_class: match d.price_class {
                    PriceClass::PriceClass_100 => "PriceClass_100",
                    PriceClass::PriceClass_200 => "PriceClass_200",
                    PriceClass::PriceClass_All => "PriceClass_All",
                }
                .into(),
                web_acl_id: web_acl_arn.clone(),
            };
            match &o.distribution {
                None => plan.push(
                    EdgeScope::Global,
                    EdgeAction::CreateDistribution {
                        caller_reference: inputs.owner.distribution_reference(),
                        spec: want,
                    },
                ),
                Some(have) => {
                    let items = diff(GLOBAL_REGION, "Distribution", &have.id, &want.fields(), &have.spec.fields());
                    if !items.is_empty() {
                        plan.push(
                            EdgeScope::Global,
                            EdgeAction::UpdateDistribution { id: have.id.clone(), etag: have.etag.clone(), spec: want },
                        );
                    }
                    plan.drift.extend(items);
                    if have.status != "Deployed" {
                        plan.waiting.push(format!("distribution {} is {}", have.id, have.status));
                    }
                }
            }
        }
        _ => plan.waiting.push(
            "the distribution waits for both web load balancers, CloudFront's certificate and the web ACL".into(),
        ),
    }
    match &o.distribution {
        Some(dist) => desired.push(RecordSpec {
            name: g.web_fqdn.to_lowercase(),
            rtype: "A".into(),
            set_identifier: None,
            failover: None,
            alias: Some((dist.domain_name.to_lowercase(), CLOUDFRONT_ZONE_ID.into(), false)),
            health_check_id: None,
            ttl: None,
            values: Vec::new(),
        }),
        None => plan.waiting.push(format!("{} waits for the distribution", g.web_fqdn)),
    }

    plan_records(plan, inputs, zone.id.as_str(), &desired, &validation_names);

    // Stale health checks (after a type or interval change) go once unused.
    for h in &o.health_checks {
        let current = health_check_id.as_deref() == Some(h.id.as_str());
        let referenced = o.records.iter().any(|r| r.health_check_id.as_deref() == Some(h.id.as_str()))
            || o.alarm.as_ref().is_some_and(|a| a.config.health_check_id == h.id);
        if !current && !referenced && health_check_id.is_some() {
            plan.push(EdgeScope::Global, EdgeAction::DeleteHealthCheck { id: h.id.clone() });
        }
    }

    // Alarm on the health check.
    if let (Some(a), Some(hc)) = (&g.alarm, &health_check_id) {
        let mut actions = a.sns_topic_arns.clone();
        actions.sort();
        let want = AlarmConfig { health_check_id: hc.clone(), actions };
        match &o.alarm {
            None => plan.push(EdgeScope::Global, EdgeAction::PutAlarm { name: a.name.clone(), config: want }),
            Some(have) => {
                let items = diff(GLOBAL_REGION, "Alarm", &have.name, &want.fields(), &have.config.fields());
                if !items.is_empty() {
                    plan.push(EdgeScope::Global, EdgeAction::PutAlarm { name: a.name.clone(), config: want });
                }
                plan.drift.extend(items);
            }
        }
    } else if g.alarm.is_some() {
        plan.waiting.push("the alarm waits for the health check".into());
    }
}

/// Record sets are ours when an ownership TXT record with our marker sits
/// next to them: ours are created (never overwritten: CREATE fails if a
/// record exists), repaired and deleted; anyone else's are left alone.
fn plan_records(
    plan: &mut EdgePlan,
    inputs: &EdgeInputs<'_>,
    zone_id: &str,
    desired: &[RecordSpec],
    validation_names: &[String],
) {
    let o = inputs.observed;
    let marker_value = format!("\"{}\"", inputs.owner.owner_marker());
    let mut changes: Vec<(RecordAction, RecordSpec)> = Vec::new();
    let mut names: Vec<&str> = desired.iter().map(|r| r.name.as_str()).collect();
    names.dedup();
    for name in names {
        let want: Vec<&RecordSpec> = desired.iter().filter(|r| r.name == name).collect();
        let have: Vec<&RecordSpec> = o.records_named(name).filter(|r| r.rtype != "TXT").collect();
        let marker = o.records_named(&marker_name(name)).find(|r| r.rtype == "TXT");
        let ours = marker.is_some_and(|m| m.values.contains(&marker_value));
        if have.is_empty() {
            for w in &want {
                changes.push((RecordAction::Create, (*w).clone()));
            }
            if marker.is_none() {
                changes.push((RecordAction::Create, marker_record(name, &marker_value)));
            }
            continue;
        }
        if !ours {
            // ACM's validation CNAMEs are the same for every certificate of
            // a domain in an account: an identical one serves us as well.
            let shared = validation_names.iter().any(|v| v == name) && want.iter().all(|w| have.iter().any(|h| h == w));
            if !shared {
                plan.blocked.push(format!("record {name} exists in the public zone and is not managed by this stack"));
            }
            continue;
        }
        for w in &want {
            match have.iter().find(|h| h.same_set(w)) {
                Some(h) => {
                    let items = diff(GLOBAL_REGION, "Record", &w.label(), &w.fields(), &h.fields());
                    if !items.is_empty() {
                        changes.push((RecordAction::Upsert, (*w).clone()));
                    }
                    plan.drift.extend(items);
                }
                None => {
                    plan.drift.push(DriftItem::new(
                        GLOBAL_REGION,
                        "Record",
                        &w.label(),
                        "present",
                        "present",
                        "missing",
                    ));
                    changes.push((RecordAction::Create, (*w).clone()));
                }
            }
        }
        for h in have.iter().filter(|h| !want.iter().any(|w| w.same_set(h))) {
            plan.drift.push(DriftItem::new(GLOBAL_REGION, "Record", &h.label(), "present", "absent", "present"));
            changes.push((RecordAction::Delete, (*h).clone()));
        }
    }
    if !changes.is_empty() {
        plan.push(EdgeScope::Global, EdgeAction::ChangeRecords { zone_id: zone_id.to_string(), changes });
    }
}

fn marker_record(name: &str, value: &str) -> RecordSpec {
    RecordSpec {
        name: marker_name(name),
        rtype: "TXT".into(),
        set_identifier: None,
        failover: None,
        alias: None,
        health_check_id: None,
        ttl: Some(RECORD_TTL),
        values: vec![value.to_string()],
    }
}

/// Deletion in the reverse of creation: alarm and our records first, then
/// CloudFront (disabled, then deleted once deployed), the web ACL, health
/// checks, auto scaling groups, launch templates, listeners, load balancers,
/// target groups, image copies, certificates and finally a zone we created.
pub fn plan_edge_teardown(
    regions: [&ObservedRegionEdge; 2],
    observed: &ObservedGlobalEdge,
    owner_marker: &str,
) -> EdgePlan {
    let mut plan = EdgePlan::default();
    let g = EdgeScope::Global;
    let marker_value = format!("\"{owner_marker}\"");
    if let Some(a) = &observed.alarm {
        plan.push(g, EdgeAction::DeleteAlarm { name: a.name.clone() });
    }
    let mut ours: Vec<RecordSpec> = Vec::new();
    for m in observed.records.iter().filter(|r| r.rtype == "TXT" && r.values.contains(&marker_value)) {
        let name = m.name.trim_start_matches("_warmstandby.");
        ours.extend(observed.records_named(name).filter(|r| r.rtype != "TXT").cloned());
        ours.push(m.clone());
    }
    if let (Some(zone), false) = (&observed.zone, ours.is_empty()) {
        plan.push(
            g,
            EdgeAction::ChangeRecords {
                zone_id: zone.id.clone(),
                changes: ours.iter().map(|r| (RecordAction::Delete, r.clone())).collect(),
            },
        );
    }
    let records_left = !ours.is_empty();

    let mut distribution_left = false;
    if let Some(d) = &observed.distribution {
        distribution_left = true;
        if d.spec.enabled {
            let mut spec = d.spec.clone();
            spec.enabled = false;
            plan.push(g, EdgeAction::UpdateDistribution { id: d.id.clone(), etag: d.etag.clone(), spec });
            plan.waiting.push(format!("distribution {} is being disabled", d.id));
        } else if d.status != "Deployed" {
            plan.waiting.push(format!("distribution {} is {}", d.id, d.status));
        } else {
            plan.push(g, EdgeAction::DeleteDistribution { id: d.id.clone(), etag: d.etag.clone() });
        }
    }
    if let (Some(w), false) = (&observed.web_acl, distribution_left) {
        plan.push(
            g,
            EdgeAction::DeleteWebAcl { id: w.id.clone(), name: w.name.clone(), lock_token: w.lock_token.clone() },
        );
    }
    if !records_left && observed.alarm.is_none() {
        for h in &observed.health_checks {
            plan.push(g, EdgeAction::DeleteHealthCheck { id: h.id.clone() });
        }
    }
    let regional_certificates_in_use = distribution_left;
    for (i, o) in regions.iter().enumerate() {
        let scope = EdgeScope::Region(if i == 0 { RegionRole::Primary } else { RegionRole::Standby });
        for a in o.auto_scaling_groups.iter().filter(|a| !a.deleting) {
            plan.push(scope, EdgeAction::DeleteAutoScalingGroup { name: a.name.clone() });
        }
        if o.auto_scaling_groups.iter().any(|a| a.deleting) {
            plan.waiting.push("auto scaling groups are being deleted".into());
        }
        let asgs_left = !o.auto_scaling_groups.is_empty();
        if !asgs_left {
            for lt in &o.launch_templates {
                plan.push(scope, EdgeAction::DeleteLaunchTemplate { template_id: lt.id.clone() });
            }
            for img in o.images.iter().filter(|i| i.tagged || !i.snapshot_ids.is_empty()) {
                plan.push(
                    scope,
                    EdgeAction::DeregisterImage { image_id: img.id.clone(), snapshot_ids: img.snapshot_ids.clone() },
                );
            }
        }
        for l in &o.listeners {
            plan.push(scope, EdgeAction::DeleteListener { arn: l.arn.clone() });
        }
        // Origins and alias targets must be gone before their load balancers.
        if o.listeners.is_empty() && !distribution_left && !records_left {
            for lb in &o.load_balancers {
                plan.push(scope, EdgeAction::DeleteLoadBalancer { arn: lb.arn.clone() });
            }
        }
        if o.load_balancers.is_empty() && !asgs_left {
            for tg in &o.target_groups {
                plan.push(scope, EdgeAction::DeleteTargetGroup { arn: tg.arn.clone() });
            }
        }
        if let (Some(c), true) = (&o.certificate, o.listeners.is_empty() && !regional_certificates_in_use) {
            plan.push(scope, EdgeAction::DeleteCertificate { arn: c.arn.clone() });
        }
    }
    if let (Some(c), false) = (&observed.certificate, distribution_left) {
        plan.push(g, EdgeAction::DeleteCertificate { arn: c.arn.clone() });
    }
    if let (Some(zone), false) = (&observed.zone, records_left)
        && zone.ours
    {
        plan.push(g, EdgeAction::DeletePublicZone { zone_id: zone.id.clone() });
    }
    plan
}

impl ObservedGlobalEdge {
    /// Resources of ours that still exist (a zone we did not create is not ours).
    pub fn live_count(&self, owner_marker: &str) -> usize {
        let marker_value = format!("\"{owner_marker}\"");
        let markers = self.records.iter().filter(|r| r.rtype == "TXT" && r.values.contains(&marker_value)).count();
        markers
            + usize::from(self.zone.as_ref().is_some_and(|z| z.ours))
            + usize::from(self.certificate.is_some())
            + self.health_checks.len()
            + usize::from(self.distribution.is_some())
            + usize::from(self.web_acl.is_some())
            + usize::from(self.alarm.is_some())
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
