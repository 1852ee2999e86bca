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
    crate::access::environment::validate_user_data(errors, &format!("{path}.userData"), tier.user_data.as_deref());
    if tier.capacity.max < 1 {
        errors.push(format!("{path}.capacity.max"), "must be at least 1: the active region must serve");
    }
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
