//! Security groups (EC2): read by our uid tag, rules in the API's shape.

use aws_sdk_ec2::types::{IpPermission, IpRange, UserIdGroupPair};
use warmstandby_api::{TAG_COMPONENT, TAG_UID};
use warmstandby_core::data::observed::{ObservedRule, ObservedSecurityGroup};

use crate::tags::ec2_tag;

/// Our security groups among a tag-filtered listing, with their ingress rules.
pub(crate) fn ours(
    out: &aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsOutput,
    uid: &str,
) -> Vec<ObservedSecurityGroup> {
    let mut found = Vec::new();
    for g in out.security_groups() {
        if ec2_tag(g.tags(), TAG_UID) != Some(uid) {
            continue;
        }
        let mut ingress = Vec::new();
        for p in g.ip_permissions() {
            let (protocol, from, to) =
                (p.ip_protocol().unwrap_or("-1").to_string(), p.from_port().unwrap_or(-1), p.to_port().unwrap_or(-1));
            for r in p.ip_ranges() {
                ingress.push(ObservedRule {
                    protocol: protocol.clone(),
                    from_port: from,
                    to_port: to,
                    cidr: r.cidr_ip().map(str::to_string),
                    group_id: None,
                });
            }
            for pair in p.user_id_group_pairs() {
                ingress.push(ObservedRule {
                    protocol: protocol.clone(),
                    from_port: from,
                    to_port: to,
                    cidr: None,
                    group_id: pair.group_id().map(str::to_string),
                });
            }
        }
        ingress.sort();
        found.push(ObservedSecurityGroup {
            id: g.group_id().unwrap_or_default().to_string(),
            component: ec2_tag(g.tags(), TAG_COMPONENT).unwrap_or_default().to_string(),
            vpc_id: g.vpc_id().unwrap_or_default().to_string(),
            ingress,
            epoch: ec2_tag(g.tags(), warmstandby_api::TAG_EPOCH).and_then(|v| v.parse().ok()),
        });
    }
    found
}

/// One rule in the API's shape.
pub(crate) fn ip_permission(rule: &ObservedRule) -> IpPermission {
    let mut p = IpPermission::builder().ip_protocol(&rule.protocol).from_port(rule.from_port).to_port(rule.to_port);
    if let Some(c) = &rule.cidr {
        p = p.ip_ranges(IpRange::builder().cidr_ip(c).build());
    }
    if let Some(g) = &rule.group_id {
        p = p.user_id_group_pairs(UserIdGroupPair::builder().group_id(g).build());
    }
    p.build()
}
