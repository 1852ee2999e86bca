//! The load balancing family: target groups, application load balancers
//! and listeners (ELBv2). Ours are found by our deterministic names and
//! checked for our tags before anything changes them; listener ARNs from
//! the last status are read in one call.

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, LoadBalancerSchemeEnum, LoadBalancerTypeEnum, ProtocolEnum, Tag,
    TargetTypeEnum,
};
use warmstandby_api::{RegionRole, TAG_UID, ThreeTierStackStatus};
use warmstandby_core::Password;
use warmstandby_core::desired::DesiredRegionServers;
use warmstandby_core::families::load_balancing::{LoadBalancing, ServerTiers};
use warmstandby_core::plan::{ActionOutcome, Place};
use warmstandby_core::servers::observed::{
    Claim, ListenerSpec, LoadBalancerSpec, ObservedBalancing, ObservedListener, ObservedLoadBalancer,
    ObservedTargetGroup, TargetGroupSpec,
};
use warmstandby_core::servers::plan::LoadBalancingAction;

use super::{AwsFamily, Observation, Reading, not_ours, ok_or_gone};
use crate::clients::AwsContext;
use crate::errors::AwsError;
use crate::tags::Ownership;

impl AwsFamily for LoadBalancing {
    /// Each region's, with the listener ARNs its last status named. A
    /// region that cannot be read keeps the load balancers its last status
    /// knew: enough for the global records and origins that still name them.
    async fn observe(
        aws: &AwsContext,
        desired: &ServerTiers,
        owners: &[Ownership; 2],
        reading: &Reading<'_>,
    ) -> Observation<[ObservedBalancing; 2]> {
        let status = reading.status();
        let hints = RegionRole::BOTH.map(|role| listener_hints(status, role));
        let (primary, standby) = tokio::join!(
            Box::pin(observe(aws, &desired[0], &owners[0], &hints[0])),
            Box::pin(observe(aws, &desired[1], &owners[1], &hints[1])),
        );
        let mut seen = Observation::<[ObservedBalancing; 2]>::default();
        for (role, found) in RegionRole::BOTH.into_iter().zip([primary, standby]) {
            seen.observed[role.index()] = match found {
                Ok(found) => found,
                Err(e) => {
                    seen.failed.push((Place::Region(role), e));
                    last_known(status, role, &desired[role.index()])
                }
            };
        }
        seen
    }

    async fn apply(
        aws: &AwsContext,
        region: &str,
        owner: &Ownership,
        action: &LoadBalancingAction,
        _password: &Password,
    ) -> Result<ActionOutcome, AwsError> {
        apply(aws, region, owner, action).await
    }
}

/// The listener ARNs `role`'s region's last status named: read directly.
fn listener_hints(status: Option<&ThreeTierStackStatus>, role: RegionRole) -> Vec<String> {
    let region = status.and_then(|s| if role == RegionRole::Primary { s.primary.as_ref() } else { s.standby.as_ref() });
    region
        .map(|r| r.load_balancers.values().flat_map(|l| l.listener_arns.iter().cloned()).collect())
        .unwrap_or_default()
}

/// What the last status knew of an unreachable region's load balancers.
fn last_known(
    status: Option<&ThreeTierStackStatus>,
    role: RegionRole,
    desired: &DesiredRegionServers,
) -> ObservedBalancing {
    let region = status.and_then(|s| if role == RegionRole::Primary { s.primary.as_ref() } else { s.standby.as_ref() });
    let mut out = ObservedBalancing::default();
    for t in &desired.tiers {
        if let Some(lb) = region.and_then(|r| r.load_balancers.get(t.tier)) {
            out.load_balancers.push(ObservedLoadBalancer {
                tier: t.tier.to_string(),
                claim: Claim::default(),
                arn: lb.arn.clone(),
                dns_name: lb.dns_name.clone(),
                zone_id: lb.zone_id.clone(),
                state: "unknown".into(),
                spec: LoadBalancerSpec {
                    name: t.load_balancer_name.clone(),
                    scheme: "internet-facing".into(),
                    subnet_ids: Vec::new(),
                    security_group_ids: Vec::new(),
                },
            });
        }
    }
    out
}

/// One region's target groups, load balancers and listeners.
async fn observe(
    aws: &AwsContext,
    desired: &DesiredRegionServers,
    owner: &Ownership,
    listener_hints: &[String],
) -> Result<ObservedBalancing, AwsError> {
    let lb_tier = |n: &str| desired.tiers.iter().find(|t| t.load_balancer_name == n).map(|t| t.tier);
    let tg_tier = |n: &str| desired.tiers.iter().find(|t| t.target_group_name == n).map(|t| t.tier);
    let (lbs, tgs) = tokio::try_join!(
        Box::pin(crate::fleet::load_balancers(aws, &desired.region)),
        Box::pin(crate::fleet::target_groups(aws, &desired.region)),
    )?;
    let mut load_balancers: Vec<ObservedLoadBalancer> = lbs
        .iter()
        .filter_map(|l| l.load_balancer_name().and_then(lb_tier).map(|tier| (tier, l)))
        .map(|(tier, l)| {
            let mut subnets: Vec<String> =
                l.availability_zones().iter().filter_map(|z| z.subnet_id().map(str::to_string)).collect();
            subnets.sort();
            let mut groups: Vec<String> = l.security_groups().to_vec();
            groups.sort();
            ObservedLoadBalancer {
                tier: tier.to_string(),
                claim: Claim::Created,
                arn: l.load_balancer_arn().unwrap_or_default().to_string(),
                dns_name: l.dns_name().unwrap_or_default().to_string(),
                zone_id: l.canonical_hosted_zone_id().unwrap_or_default().to_string(),
                state: l.state().and_then(|s| s.code()).map(|c| c.as_str().to_string()).unwrap_or_default(),
                spec: LoadBalancerSpec {
                    name: l.load_balancer_name().unwrap_or_default().to_string(),
                    scheme: l.scheme().map(|s| s.as_str().to_string()).unwrap_or_default(),
                    subnet_ids: subnets,
                    security_group_ids: groups,
                },
            }
        })
        .collect();
    let mut target_groups: Vec<ObservedTargetGroup> = tgs
        .iter()
        .filter_map(|t| t.target_group_name().and_then(tg_tier).map(|tier| (tier, t)))
        .map(|(tier, t)| ObservedTargetGroup {
            tier: tier.to_string(),
            claim: Claim::Created,
            arn: t.target_group_arn().unwrap_or_default().to_string(),
            spec: TargetGroupSpec {
                name: t.target_group_name().unwrap_or_default().to_string(),
                protocol: t.protocol().map(|p| p.as_str().to_string()).unwrap_or_default(),
                port: t.port().unwrap_or_default(),
                vpc_id: t.vpc_id().unwrap_or_default().to_string(),
                health_check_path: t.health_check_path().unwrap_or_default().to_string(),
            },
        })
        .collect();
    let wanted: Vec<(String, usize)> =
        desired.tiers.iter().map(|t| (t.load_balancer_name.clone(), if t.https_listener { 2 } else { 1 })).collect();
    let mut listeners =
        observe_listeners(aws, &desired.region, owner, &load_balancers, &wanted, listener_hints).await?;
    claims(aws, desired, owner, &mut target_groups, &mut load_balancers, &mut listeners).await?;
    let vanished = listener_hints.iter().filter(|h| !listeners.iter().any(|l| &l.arn == *h)).cloned().collect();
    Ok(ObservedBalancing { target_groups, load_balancers, listeners, vanished_listeners: vanished })
}

/// Whose the resources of tiers named for adoption are, from their tags:
/// one DescribeTags (up to 20 ARNs, AWS's limit) per region and pass, only
/// while the spec adopts. Ours are found by our names; their tags are
/// checked right before a change instead.
async fn claims(
    aws: &AwsContext,
    desired: &DesiredRegionServers,
    owner: &Ownership,
    target_groups: &mut [ObservedTargetGroup],
    load_balancers: &mut [ObservedLoadBalancer],
    listeners: &mut [ObservedListener],
) -> Result<(), AwsError> {
    // Whose they are is read while a tier is named for adoption, and while
    // it is retained (a teardown releases it and must then see it released).
    let adopted: Vec<&str> = desired.tiers.iter().filter(|t| t.adopt || t.retain).map(|t| t.tier).collect();
    let lbs: Vec<String> =
        load_balancers.iter().filter(|l| adopted.contains(&l.tier.as_str())).map(|l| l.arn.clone()).collect();
    let arns: Vec<String> = target_groups
        .iter()
        .filter(|t| adopted.contains(&t.tier.as_str()))
        .map(|t| t.arn.clone())
        .chain(lbs.iter().cloned())
        .chain(listeners.iter().filter(|l| lbs.contains(&l.load_balancer_arn)).map(|l| l.arn.clone()))
        .collect();
    if arns.is_empty() {
        return Ok(());
    }
    let mut tags: std::collections::BTreeMap<String, Claim> = std::collections::BTreeMap::new();
    for chunk in arns.chunks(20) {
        let out = send!(
            "elasticloadbalancing:DescribeTags",
            aws.elbv2(&desired.region).describe_tags().set_resource_arns(Some(chunk.to_vec()))
        )?;
        for d in out.tag_descriptions() {
            let pairs = d.tags().iter().map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()));
            tags.insert(d.resource_arn().unwrap_or_default().to_string(), Claim::of(pairs, &owner.uid));
        }
    }
    let claim = |arn: &str| tags.get(arn).cloned().unwrap_or(Claim::Foreign { other_owner: None });
    for t in target_groups.iter_mut().filter(|t| arns.contains(&t.arn)) {
        t.claim = claim(&t.arn);
    }
    for l in load_balancers.iter_mut().filter(|l| arns.contains(&l.arn)) {
        l.claim = claim(&l.arn);
    }
    for l in listeners.iter_mut().filter(|l| arns.contains(&l.arn)) {
        l.claim = claim(&l.arn);
    }
    Ok(())
}

/// Listeners from the hinted ARNs: the fleet's shared read by ARN, or this
/// stack's own call when that did not cover them; a load balancer for which
/// that does not yield the listeners it should have (a stale hint, one
/// created since) is read on its own.
async fn observe_listeners(
    aws: &AwsContext,
    region: &str,
    owner: &Ownership,
    lbs: &[ObservedLoadBalancer],
    wanted: &[(String, usize)],
    hints: &[String],
) -> Result<Vec<ObservedListener>, AwsError> {
    let elb = aws.elbv2(region);
    let mut out: Vec<ObservedListener> = Vec::new();
    if let Some(shared) = crate::fleet::listeners(aws, region, &owner.uid, hints).await? {
        out.extend(shared.iter().map(listener));
    } else if !hints.is_empty() {
        match send!(
            "elasticloadbalancing:DescribeListeners",
            elb.describe_listeners().set_listener_arns(Some(hints.to_vec()))
        ) {
            Ok(found) => out.extend(found.listeners().iter().map(listener)),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    out.retain(|l| lbs.iter().any(|lb| lb.arn == l.load_balancer_arn));
    for lb in lbs {
        let want = wanted.iter().find(|(n, _)| *n == lb.spec.name).map(|(_, c)| *c).unwrap_or(0);
        let found = out.iter().filter(|l| l.load_balancer_arn == lb.arn).count();
        if found == want && want > 0 {
            continue;
        }
        out.retain(|l| l.load_balancer_arn != lb.arn);
        match send!("elasticloadbalancing:DescribeListeners", elb.describe_listeners().load_balancer_arn(&lb.arn)) {
            Ok(found) => out.extend(found.listeners().iter().map(listener)),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The target groups a listener's default actions forward to (an action's
/// own target group, or its forward config's), in order.
pub(crate) fn forward_targets(l: &aws_sdk_elasticloadbalancingv2::types::Listener) -> Vec<String> {
    l.default_actions()
        .iter()
        .flat_map(|a| {
            let forwarded = a.forward_config().map(|f| f.target_groups()).unwrap_or_default();
            a.target_group_arn()
                .into_iter()
                .chain(forwarded.iter().filter_map(|t| t.target_group_arn()))
                .map(str::to_string)
        })
        .collect()
}

fn listener(l: &aws_sdk_elasticloadbalancingv2::types::Listener) -> ObservedListener {
    let target = forward_targets(l).into_iter().next().unwrap_or_default();
    ObservedListener {
        claim: Claim::Created,
        arn: l.listener_arn().unwrap_or_default().to_string(),
        load_balancer_arn: l.load_balancer_arn().unwrap_or_default().to_string(),
        spec: ListenerSpec {
            port: l.port().unwrap_or_default(),
            protocol: l.protocol().map(|p| p.as_str().to_string()).unwrap_or_default(),
            target_group_arn: target,
            certificate_arn: l.certificates().first().and_then(|c| c.certificate_arn()).map(str::to_string),
        },
    }
}

fn tags(owner: &Ownership, component: &str, name: &str) -> Vec<Tag> {
    owner.tags(component, name).into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// Refuses to touch an ELB resource that does not carry our uid tag.
async fn ensure_ours(aws: &AwsContext, region: &str, arn: &str, owner: &Ownership, op: &str) -> Result<bool, AwsError> {
    let out = match send!("elasticloadbalancing:DescribeTags", aws.elbv2(region).describe_tags().resource_arns(arn)) {
        Ok(out) => out,
        Err(e) if e.is_not_found() => return Ok(false),
        Err(e) => return Err(e),
    };
    let ours = out
        .tag_descriptions()
        .iter()
        .flat_map(|d| d.tags())
        .any(|t| t.key() == Some(TAG_UID) && t.value() == Some(owner.uid.as_str()));
    if ours { Ok(true) } else { Err(not_ours(op, arn)) }
}

fn forward(target_group_arn: &str) -> Action {
    Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(target_group_arn).build()
}

async fn apply(
    aws: &AwsContext,
    region: &str,
    owner: &Ownership,
    action: &LoadBalancingAction,
) -> Result<ActionOutcome, AwsError> {
    let elb = aws.elbv2(region);
    match action {
        LoadBalancingAction::CreateTargetGroup { tier, spec } => {
            let out = send!(
                "elasticloadbalancing:CreateTargetGroup",
                elb.create_target_group()
                    .name(&spec.name)
                    .protocol(ProtocolEnum::Http)
                    .port(spec.port)
                    .vpc_id(&spec.vpc_id)
                    .target_type(TargetTypeEnum::Instance)
                    .health_check_path(&spec.health_check_path)
                    .set_tags(Some(tags(owner, &format!("target-group/{tier}"), &spec.name)))
            )?;
            let arn = out.target_groups().first().and_then(|t| t.target_group_arn()).unwrap_or_default();
            Ok(ActionOutcome::Created { id: arn.to_string() })
        }
        LoadBalancingAction::ModifyTargetGroup { arn, health_check_path } => {
            if !ensure_ours(aws, region, arn, owner, "elasticloadbalancing:ModifyTargetGroup").await? {
                return Ok(ActionOutcome::NotFound);
            }
            send!(
                "elasticloadbalancing:ModifyTargetGroup",
                elb.modify_target_group().target_group_arn(arn).health_check_path(health_check_path)
            )
            .map(|_| ActionOutcome::Done)
        }
        LoadBalancingAction::DeleteTargetGroup { arn } => {
            if !ensure_ours(aws, region, arn, owner, "elasticloadbalancing:DeleteTargetGroup").await? {
                return Ok(ActionOutcome::NotFound);
            }
            ok_or_gone(send!("elasticloadbalancing:DeleteTargetGroup", elb.delete_target_group().target_group_arn(arn)))
        }
        LoadBalancingAction::CreateLoadBalancer { tier, spec } => {
            let out = send!(
                "elasticloadbalancing:CreateLoadBalancer",
                elb.create_load_balancer()
                    .name(&spec.name)
                    .r#type(LoadBalancerTypeEnum::Application)
                    .scheme(LoadBalancerSchemeEnum::InternetFacing)
                    .set_subnets(Some(spec.subnet_ids.clone()))
                    .set_security_groups(Some(spec.security_group_ids.clone()))
                    .set_tags(Some(tags(owner, &format!("load-balancer/{tier}"), &spec.name)))
            )?;
            let arn = out.load_balancers().first().and_then(|l| l.load_balancer_arn()).unwrap_or_default();
            Ok(ActionOutcome::Created { id: arn.to_string() })
        }
        LoadBalancingAction::SetSubnets { arn, subnet_ids } => {
            ensure_ours(aws, region, arn, owner, "elasticloadbalancing:SetSubnets").await?;
            send!(
                "elasticloadbalancing:SetSubnets",
                elb.set_subnets().load_balancer_arn(arn).set_subnets(Some(subnet_ids.clone()))
            )
            .map(|_| ActionOutcome::Done)
        }
        LoadBalancingAction::SetSecurityGroups { arn, security_group_ids } => {
            ensure_ours(aws, region, arn, owner, "elasticloadbalancing:SetSecurityGroups").await?;
            send!(
                "elasticloadbalancing:SetSecurityGroups",
                elb.set_security_groups().load_balancer_arn(arn).set_security_groups(Some(security_group_ids.clone()))
            )
            .map(|_| ActionOutcome::Done)
        }
        LoadBalancingAction::DeleteLoadBalancer { arn } => {
            if !ensure_ours(aws, region, arn, owner, "elasticloadbalancing:DeleteLoadBalancer").await? {
                return Ok(ActionOutcome::NotFound);
            }
            ok_or_gone(send!(
                "elasticloadbalancing:DeleteLoadBalancer",
                elb.delete_load_balancer().load_balancer_arn(arn)
            ))
        }
        LoadBalancingAction::CreateListener { load_balancer_arn, tier, spec } => {
            ensure_ours(aws, region, load_balancer_arn, owner, "elasticloadbalancing:CreateListener").await?;
            let protocol = ProtocolEnum::from(spec.protocol.as_str());
            let mut req = elb
                .create_listener()
                .load_balancer_arn(load_balancer_arn)
                .protocol(protocol)
                .port(spec.port)
                .default_actions(forward(&spec.target_group_arn))
                .set_tags(Some(tags(
                    owner,
                    &format!("listener/{tier}-{}", spec.protocol.to_lowercase()),
                    &format!("{tier}:{}", spec.port),
                )));
            if let Some(cert) = &spec.certificate_arn {
                req = req
                    .certificates(Certificate::builder().certificate_arn(cert).build())
                    .ssl_policy("ELBSecurityPolicy-TLS13-1-2-2021-06");
            }
            let out = send!("elasticloadbalancing:CreateListener", req)?;
            let arn = out.listeners().first().and_then(|l| l.listener_arn()).unwrap_or_default();
            Ok(ActionOutcome::Created { id: arn.to_string() })
        }
        LoadBalancingAction::ModifyListener { arn, spec } => {
            ensure_ours(aws, region, arn, owner, "elasticloadbalancing:ModifyListener").await?;
            let mut req = elb
                .modify_listener()
                .listener_arn(arn)
                .protocol(ProtocolEnum::from(spec.protocol.as_str()))
                .port(spec.port)
                .default_actions(forward(&spec.target_group_arn));
            if let Some(cert) = &spec.certificate_arn {
                req = req.certificates(Certificate::builder().certificate_arn(cert).build());
            }
            send!("elasticloadbalancing:ModifyListener", req).map(|_| ActionOutcome::Done)
        }
        LoadBalancingAction::DeleteListener { arn } => {
            if !ensure_ours(aws, region, arn, owner, "elasticloadbalancing:DeleteListener").await? {
                return Ok(ActionOutcome::NotFound);
            }
            ok_or_gone(send!("elasticloadbalancing:DeleteListener", elb.delete_listener().listener_arn(arn)))
        }
        LoadBalancingAction::Adopt { tier, kind, arns, .. } => {
            let component = match kind {
                warmstandby_core::resource::Kind::TargetGroup => format!("target-group/{tier}"),
                _ => format!("load-balancer/{tier}"),
            };
            let tags = crate::tags::adoption_tags(owner, &component)
                .into_iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect();
            send!(
                "elasticloadbalancing:AddTags",
                elb.add_tags().set_resource_arns(Some(arns.clone())).set_tags(Some(tags))
            )
            .map(|_| ActionOutcome::Done)
        }
        LoadBalancingAction::Release { arns, .. } => {
            // The first is the load balancer or target group the others come with.
            let Some(first) = arns.first() else { return Ok(ActionOutcome::Done) };
            if !ensure_ours(aws, region, first, owner, "elasticloadbalancing:RemoveTags").await? {
                return Ok(ActionOutcome::NotFound);
            }
            ok_or_gone(send!(
                "elasticloadbalancing:RemoveTags",
                elb.remove_tags().set_resource_arns(Some(arns.clone())).set_tag_keys(Some(crate::tags::our_tag_keys()))
            ))
        }
    }
}
