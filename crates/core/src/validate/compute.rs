//! The tiers' capacity and user data, and the bastion.

use super::*;

pub(super) fn validate_tier(errors: &mut ValidationErrors, path: &str, tier: &TierSpec) {
    if !names::is_instance_type(&tier.instance_type) {
        errors.push(
            format!("{path}.instanceType"),
            format!("{:?} is not an EC2 instance type (like t3.micro)", tier.instance_type),
        );
    }
    check_range(errors, &format!("{path}.port"), tier.port.into(), 1, 65535);
    if !tier.health_check_path.starts_with('/') {
        errors.push(format!("{path}.healthCheckPath"), format!("{:?} must start with '/'", tier.health_check_path));
    }
    check_capacity(errors, &format!("{path}.capacity"), &tier.capacity);
    check_capacity(errors, &format!("{path}.standbyCapacity"), &tier.standby_capacity);
    crate::families::environment::validate_user_data(errors, &format!("{path}.userData"), tier.user_data.as_deref());
    if tier.capacity.max < 1 {
        errors.push(format!("{path}.capacity.max"), "must be at least 1: the active region must serve");
    }
    if let Some(adopt) = &tier.adopt {
        validate_tier_adoption(errors, &format!("{path}.adopt"), adopt);
    }
    adopted_are_kept(errors, path, tier.adopt.is_some(), tier.deletion_policy);
    let (a, s) = (&tier.capacity, &tier.standby_capacity);
    for (field, active, standby) in [("min", a.min, s.min), ("desired", a.desired, s.desired), ("max", a.max, s.max)] {
        if standby > active {
            errors.push(
                format!("{path}.standbyCapacity.{field}"),
                format!("the warm standby must not be larger than the active capacity: {standby} > capacity.{field} {active}"),
            );
        }
    }
}

/// The names AWS accepts for each kind (the CRD's patterns, for manifests
/// that never met the API server).
fn validate_tier_adoption(errors: &mut ValidationErrors, path: &str, adopt: &warmstandby_api::TierAdoption) {
    for (role, r) in [("primary", &adopt.primary), ("standby", &adopt.standby)] {
        let elb_name = |n: &str| {
            (1..=32).contains(&n.len())
                && n.split('-').all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric()))
        };
        let checks: [(&str, &String, bool, &str); 4] = [
            (
                "loadBalancer",
                &r.load_balancer,
                elb_name(&r.load_balancer),
                "a load balancer name (1-32 letters, digits and single hyphens, not at either end)",
            ),
            (
                "targetGroup",
                &r.target_group,
                elb_name(&r.target_group),
                "a target group name (1-32 letters, digits and single hyphens, not at either end)",
            ),
            (
                "launchTemplate",
                &r.launch_template,
                (3..=128).contains(&r.launch_template.len())
                    && r.launch_template.chars().all(|c| c.is_ascii_alphanumeric() || "().-/_".contains(c)),
                "a launch template name (3-128 letters, digits and ( ) . - / _)",
            ),
            (
                "autoScalingGroup",
                &r.auto_scaling_group,
                (1..=255).contains(&r.auto_scaling_group.len())
                    && !r.auto_scaling_group.contains(':')
                    && r.auto_scaling_group.trim() == r.auto_scaling_group,
                "an auto scaling group name (1-255 characters, no colon, no space at either end)",
            ),
        ];
        for (field, name, ok, what) in checks {
            if !ok {
                errors.push(format!("{path}.{role}.{field}"), format!("{name:?} is not {what}"));
            }
        }
    }
}

pub(super) fn check_capacity(errors: &mut ValidationErrors, path: &str, c: &Capacity) {
    for (field, v) in [("min", c.min), ("desired", c.desired), ("max", c.max)] {
        check_range(errors, &format!("{path}.{field}"), v.into(), 0, 1000);
    }
    if !(c.min <= c.desired && c.desired <= c.max) {
        errors.push(
            path.to_string(),
            format!("must satisfy min <= desired <= max, got {}/{}/{}", c.min, c.desired, c.max),
        );
    }
}

pub(super) fn validate_bastion(errors: &mut ValidationErrors, spec: &ThreeTierStackSpec) {
    let b = &spec.bastion;
    if !names::is_instance_type(&b.instance_type) {
        errors.push(
            "spec.bastion.instanceType",
            format!("{:?} is not an EC2 instance type (like t3.micro)", b.instance_type),
        );
    }
    for (i, cidr) in b.allowed_cidrs.iter().enumerate() {
        let path = format!("spec.bastion.allowedCidrs[{i}]");
        match parse_cidr(cidr) {
            Err(e) => errors.push(path, e),
            Ok(net) if net.prefix_len() == 0 => {
                errors.push(path, "0.0.0.0/0 would open SSH to the whole internet; name the networks that may connect")
            }
            Ok(_) => {}
        }
    }
    if let Some(key) = &b.key_name
        && (key.is_empty() || key.len() > 255)
    {
        errors.push("spec.bastion.keyName", "must be 1 to 255 characters");
    }
}

/// What is adopted is left when the stack is deleted: a family that adopts
/// and says `deletionPolicy: Delete` is refused rather than deleting what
/// someone else built.
pub(super) fn adopted_are_kept(
    errors: &mut ValidationErrors,
    path: &str,
    adopts: bool,
    policy: Option<warmstandby_api::DeletionPolicy>,
) {
    if adopts && policy == Some(DeletionPolicy::Delete) {
        errors.push(
            format!("{path}.deletionPolicy"),
            "what is adopted is left in place, untagged, when the stack is deleted: remove Delete, or the adoption",
        );
    }
}
