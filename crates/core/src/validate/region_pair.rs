//! A RegionPair: its two regions, their networks and subnets.

use super::*;

pub fn validate_region_pair(pair: &RegionPair) -> Result<ValidatedRegionPair, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let name = pair.metadata.name.clone().unwrap_or_default();
    if name.is_empty() {
        errors.push("metadata.name", "is required");
    }
    let spec = &pair.spec;
    let primary = validate_region(&mut errors, "spec.primary", RegionRole::Primary, &spec.primary);
    let standby = validate_region(&mut errors, "spec.standby", RegionRole::Standby, &spec.standby);
    if spec.primary.region == spec.standby.region {
        errors.push(
            "spec.standby.region",
            format!("must differ from spec.primary.region (both are {})", spec.primary.region),
        );
    }
    if let (Some(p), Some(s)) =
        (primary.as_ref().and_then(RegionNetwork::layout), standby.as_ref().and_then(RegionNetwork::layout))
        && overlaps(p.vpc_cidr, s.vpc_cidr)
    {
        errors.push(
            "spec.standby.vpcCidr",
            format!(
                "{} overlaps the primary VPC {}; the two VPCs must not overlap (replication and peering need distinct ranges)",
                s.vpc_cidr, p.vpc_cidr
            ),
        );
    }
    if let Some(arn) = &spec.role_arn
        && !is_role_arn(arn)
    {
        errors.push("spec.roleArn", format!("{arn:?} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)"));
    }
    match (primary, standby) {
        (Some(primary), Some(standby)) if errors.is_empty() => Ok(ValidatedRegionPair {
            name,
            primary,
            standby,
            nat_gateways: spec.nat_gateways,
            role_arn: spec.role_arn.clone(),
            deletion_policy: spec.deletion_policy,
            hands_off: spec.hands_off(),
        }),
        _ => Err(errors),
    }
}

pub(super) fn is_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "iam", "", account, resource]
        if partition.starts_with("aws")
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && resource.strip_prefix("role/").is_some_and(|r| !r.is_empty()))
}

pub(super) fn validate_region(
    errors: &mut ValidationErrors,
    path: &str,
    role: RegionRole,
    spec: &RegionNetworkSpec,
) -> Option<RegionNetwork> {
    let before = errors.len();
    if !names::is_region(&spec.region) {
        errors.push(format!("{path}.region"), format!("{:?} is not an AWS region name (like us-east-1)", spec.region));
    }
    if let Some(existing) = &spec.existing {
        if !spec.vpc_cidr.is_empty() {
            errors.push(
                format!("{path}.vpcCidr"),
                "give vpcCidr (a network the operator builds) or existing (one it uses as it is), not both",
            );
        }
        if spec.subnets.is_some() || !spec.availability_zones.is_empty() {
            errors.push(
                format!("{path}.existing"),
                "its subnets are given by ID; subnets and availabilityZones describe a network the operator builds",
            );
        }
        let existing = validate_existing(errors, &format!("{path}.existing"), existing);
        if errors.len() > before {
            return None;
        }
        return Some(RegionNetwork { role, region: spec.region.clone(), source: NetworkSource::Existing(existing?) });
    }
    let zones: Option<[String; 2]> = match spec.availability_zones.as_slice() {
        [] => Some([format!("{}a", spec.region), format!("{}b", spec.region)]),
        [a, b] => {
            for (i, z) in [a, b].into_iter().enumerate() {
                if !names::is_zone_of(z, &spec.region) {
                    errors.push(
                        format!("{path}.availabilityZones[{i}]"),
                        format!("{z:?} is not an availability zone of {}", spec.region),
                    );
                }
            }
            if a == b {
                errors.push(
                    format!("{path}.availabilityZones[1]"),
                    format!("duplicates availabilityZones[0] ({a}); the two zones must differ"),
                );
            }
            Some([a.clone(), b.clone()])
        }
        other => {
            errors.push(
                format!("{path}.availabilityZones"),
                format!("give exactly 2 zones (or none for the default), got {}", other.len()),
            );
            None
        }
    };
    let vpc = match parse_cidr(&spec.vpc_cidr) {
        Ok(net) if !(16..=28).contains(&net.prefix_len()) => {
            errors.push(
                format!("{path}.vpcCidr"),
                format!("prefix length must be between /16 and /28 (an AWS limit), got /{}", net.prefix_len()),
            );
            None
        }
        Ok(net) => Some(net),
        Err(e) => {
            errors.push(format!("{path}.vpcCidr"), e);
            None
        }
    };
    let subnets = match (vpc, &zones) {
        (Some(vpc), Some(zones)) => subnet_layout(errors, path, vpc, zones, spec),
        _ => None,
    };
    if errors.len() > before {
        return None;
    }
    let layout = NetworkLayout { vpc_cidr: vpc?, zones: zones?, subnets: subnets? };
    Some(RegionNetwork { role, region: spec.region.clone(), source: NetworkSource::Built(layout) })
}

/// The IDs of an existing network: their form, two distinct subnets per
/// tier and no subnet in two tiers. Whether they exist, in this VPC and
/// region and in two zones, only AWS can say: the pair's pass checks it.
fn validate_existing(
    errors: &mut ValidationErrors,
    path: &str,
    spec: &warmstandby_api::ExistingNetworkSpec,
) -> Option<ExistingNetwork> {
    let before = errors.len();
    if !is_aws_id(&spec.vpc_id, "vpc-") {
        errors.push(format!("{path}.vpcId"), format!("{:?} is not a VPC ID (vpc- and 8-17 hex digits)", spec.vpc_id));
    }
    let tiers = [
        (SubnetTier::Public, &spec.subnets.public),
        (SubnetTier::Web, &spec.subnets.web),
        (SubnetTier::App, &spec.subnets.app),
        (SubnetTier::Db, &spec.subnets.db),
    ];
    let mut subnet_ids = std::collections::BTreeMap::new();
    let mut seen: std::collections::BTreeMap<&str, String> = std::collections::BTreeMap::new();
    for (tier, ids) in tiers {
        let field = format!("{path}.subnets.{}", tier.as_str());
        if ids.len() != 2 {
            errors.push(&field, format!("give exactly 2 subnet IDs (one per availability zone), got {}", ids.len()));
            continue;
        }
        for (i, id) in ids.iter().enumerate() {
            let at = format!("{field}[{i}]");
            if !is_aws_id(id, "subnet-") {
                errors.push(&at, format!("{id:?} is not a subnet ID (subnet- and 8-17 hex digits)"));
            } else if let Some(first) = seen.get(id.as_str()) {
                errors.push(&at, format!("{id} is already given as {first}; every subnet serves one tier"));
            } else {
                seen.insert(id, at.clone());
                subnet_ids.insert(format!("{}-{}", tier.as_str(), ZONE_SLOTS[i]), id.clone());
            }
        }
    }
    (errors.len() == before).then(|| ExistingNetwork { vpc_id: spec.vpc_id.clone(), subnet_ids })
}

/// `vpc-0a1b2c3d`: the prefix and 8 to 17 lowercase hex digits.
fn is_aws_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|hex| {
        (8..=17).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

pub(super) fn subnet_layout(
    errors: &mut ValidationErrors,
    path: &str,
    vpc: Ipv4Net,
    zones: &[String; 2],
    spec: &RegionNetworkSpec,
) -> Option<Vec<SubnetPlan>> {
    let mut plans = Vec::with_capacity(8);
    match &spec.subnets {
        None => {
            if vpc.prefix_len() > 21 {
                errors.push(
                    format!("{path}.vpcCidr"),
                    format!(
                        "{vpc} is too small for the 8 default /24 subnets; use a /21 or larger, or set {path}.subnets"
                    ),
                );
                return None;
            }
            for (t, tier) in SubnetTier::ALL.into_iter().enumerate() {
                for (z, zone) in zones.iter().enumerate() {
                    let cidr = nth_subnet(vpc, 24, t * 2 + z)?;
                    plans.push(SubnetPlan { tier, zone_index: z, zone: zone.clone(), cidr });
                }
            }
        }
        Some(layout) => {
            let tiers = [
                (SubnetTier::Public, &layout.public),
                (SubnetTier::Web, &layout.web),
                (SubnetTier::App, &layout.app),
                (SubnetTier::Db, &layout.db),
            ];
            for (tier, cidrs) in tiers {
                let field = format!("{path}.subnets.{}", tier.as_str());
                if cidrs.len() != 2 {
                    errors.push(field, format!("give exactly 2 CIDR blocks (one per zone), got {}", cidrs.len()));
                    continue;
                }
                for (z, raw) in cidrs.iter().enumerate() {
                    let field = format!("{field}[{z}]");
                    match parse_cidr(raw) {
                        Err(e) => errors.push(field, e),
                        Ok(net) if !(16..=28).contains(&net.prefix_len()) => errors.push(
                            field,
                            format!(
                                "prefix length must be between /16 and /28 (an AWS limit), got /{}",
                                net.prefix_len()
                            ),
                        ),
                        Ok(net) if !(vpc.contains(&net.network()) && vpc.contains(&net.broadcast())) => {
                            errors.push(field, format!("{net} is not inside the VPC {vpc}"))
                        }
                        Ok(net) => plans.push(SubnetPlan { tier, zone_index: z, zone: zones[z].clone(), cidr: net }),
                    }
                }
            }
        }
    }
    // Overlap check over whatever parsed, so every clash is reported.
    for i in 0..plans.len() {
        for j in (i + 1)..plans.len() {
            if overlaps(plans[i].cidr, plans[j].cidr) {
                errors.push(
                    format!("{path}.subnets.{}[{}]", plans[j].tier.as_str(), plans[j].zone_index),
                    format!("{} overlaps {} ({})", plans[j].cidr, plans[i].key(), plans[i].cidr),
                );
            }
        }
    }
    (plans.len() == 8).then_some(plans)
}
