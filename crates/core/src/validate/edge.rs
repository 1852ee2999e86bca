//! The stack's public face: its domain, the CloudFront distribution and the web ACL.

use super::*;

pub(super) fn validate_domain(errors: &mut ValidationErrors, spec: &ThreeTierStackSpec) {
    let d = &spec.domain;
    if !names::is_dns_zone(&d.zone_name) {
        errors.push(
            "spec.domain.zoneName",
            format!(
                "{:?} is not a valid DNS zone name (lowercase labels of a-z, 0-9 and '-', at least two)",
                d.zone_name
            ),
        );
    }
    for (field, value) in [("apiRecord", &d.api_record), ("webRecord", &d.web_record)] {
        if !names::is_relative_record(value) {
            errors.push(
                format!("spec.domain.{field}"),
                format!("{value:?} is not a valid record name relative to the zone (e.g. \"api\")"),
            );
        }
    }
    if d.api_record == d.web_record {
        errors.push(
            "spec.domain.webRecord",
            format!("must differ from spec.domain.apiRecord (both are {:?})", d.api_record),
        );
    }
    let p = &spec.database.private_dns;
    if !names::is_dns_zone(&p.zone_name) {
        errors.push("spec.database.privateDns.zoneName", format!("{:?} is not a valid DNS zone name", p.zone_name));
    }
    if !names::is_relative_record(&p.record_name) {
        errors.push(
            "spec.database.privateDns.recordName",
            format!("{:?} is not a valid record name relative to the zone", p.record_name),
        );
    }
}

/// CloudFront accepts only these origin failover status codes.
pub(super) const CLOUDFRONT_FAILOVER_CODES: [i32; 8] = [400, 403, 404, 416, 500, 502, 503, 504];

pub(super) fn validate_edge(errors: &mut ValidationErrors, spec: &ThreeTierStackSpec) {
    let hc = &spec.health_check;
    if hc.interval_seconds != 10 && hc.interval_seconds != 30 {
        errors.push("spec.healthCheck.intervalSeconds", format!("must be 10 or 30, got {}", hc.interval_seconds));
    }
    check_range(errors, "spec.healthCheck.failureThreshold", hc.failure_threshold.into(), 1, 10);
    check_range(errors, "spec.healthCheck.port", hc.port.into(), 1, 65535);
    if !hc.path.starts_with('/') {
        errors.push("spec.healthCheck.path", format!("{:?} must start with '/'", hc.path));
    }

    let cdn = &spec.cdn;
    if cdn.failover_status_codes.is_empty() {
        errors.push("spec.cdn.failoverStatusCodes", "must name at least one status code");
    }
    let mut seen = BTreeSet::new();
    for (i, code) in cdn.failover_status_codes.iter().enumerate() {
        if !CLOUDFRONT_FAILOVER_CODES.contains(code) {
            errors.push(
                format!("spec.cdn.failoverStatusCodes[{i}]"),
                format!("CloudFront fails over only on {CLOUDFRONT_FAILOVER_CODES:?}, got {code}"),
            );
        } else if !seen.insert(*code) {
            errors.push(format!("spec.cdn.failoverStatusCodes[{i}]"), format!("{code} is listed twice"));
        }
    }
    check_range(errors, "spec.cdn.connectionAttempts", cdn.connection_attempts.into(), 1, 3);
    check_range(errors, "spec.cdn.connectionTimeoutSeconds", cdn.connection_timeout_seconds.into(), 1, 10);

    let mut seen = BTreeSet::new();
    for (i, group) in spec.waf.managed_rule_groups.iter().enumerate() {
        let path = format!("spec.waf.managedRuleGroups[{i}]");
        if !group.starts_with("AWSManagedRules") || !group.bytes().all(|b| b.is_ascii_alphanumeric()) {
            errors.push(path, format!("{group:?} is not an AWS managed rule group name (AWSManagedRules...)"));
        } else if !seen.insert(group) {
            errors.push(path, format!("{group} is listed twice"));
        }
    }
    if let Some(id) = &spec.health_check.adopt {
        let uuid = id.len() == 36
            && id.char_indices().all(|(i, c)| {
                if [8, 13, 18, 23].contains(&i) { c == '-' } else { c.is_ascii_hexdigit() && !c.is_ascii_uppercase() }
            });
        if !uuid {
            errors
                .push("spec.healthCheck.adopt", format!("{id:?} is not a Route 53 health check ID (a lowercase UUID)"));
        }
    }
    if spec.domain.adopt_records && spec.health_check.adopt.is_none() {
        errors.push(
            "spec.domain.adoptRecords",
            "adopting the records needs spec.healthCheck.adopt: the failover records keep the health check they are adopted with",
        );
    }
    if let Some(id) = &spec.cdn.adopt {
        let valid = (6..=32).contains(&id.len())
            && id.starts_with(|c: char| c.is_ascii_uppercase())
            && id.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if !valid {
            errors.push(
                "spec.cdn.adopt",
                format!(
                    "{id:?} is not a CloudFront distribution ID (6-32 capital letters and digits, like E2QWRUHAPOMQZL)"
                ),
            );
        }
    }
    adopted_are_kept(errors, "spec.cdn", spec.cdn.adopt.is_some(), spec.cdn.deletion_policy);
    adopted_are_kept(errors, "spec.waf", spec.waf.adopt.is_some(), spec.waf.deletion_policy);
    if let Some(name) = &spec.waf.adopt {
        let valid =
            (1..=128).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-".contains(c));
        if !valid {
            errors
                .push("spec.waf.adopt", format!("{name:?} is not a web ACL name (1-128 letters, digits, '_' and '-')"));
        } else if !spec.waf.enabled {
            errors.push("spec.waf.adopt", "a web ACL to adopt needs spec.waf.enabled: true");
        }
    }
    if spec.waf.enabled && spec.waf.managed_rule_groups.is_empty() && spec.waf.rate_limit.is_none() {
        errors.push("spec.waf.managedRuleGroups", "an enabled web ACL needs at least one rule group or a rateLimit");
    }

    let b = &spec.backup;
    if !(b.schedule.starts_with("cron(") || b.schedule.starts_with("rate(")) || !b.schedule.ends_with(')') {
        errors.push(
            "spec.backup.schedule",
            format!("{:?} is not an AWS schedule expression (cron(...) or rate(...))", b.schedule),
        );
    }
    check_range(errors, "spec.backup.retentionDays", b.retention_days.into(), 1, 36500);
    for (i, arn) in spec.alarms.sns_topic_arns.iter().enumerate() {
        if !arn.starts_with("arn:aws") || arn.split(':').nth(2) != Some("sns") {
            errors.push(format!("spec.alarms.snsTopicArns[{i}]"), format!("{arn:?} is not an SNS topic ARN"));
        }
    }
}

/// `spec.domain.adoptCertificates`: each ARN an ACM certificate of the region it serves.
pub(super) fn validate_certificate_adoption(
    errors: &mut ValidationErrors,
    spec: &ThreeTierStackSpec,
    pair: Option<&ValidatedRegionPair>,
) {
    let Some(adopt) = &spec.domain.adopt_certificates else { return };
    let regions = pair.map(|p| [p.primary.region.as_str(), p.standby.region.as_str()]);
    let global = warmstandby_api::GLOBAL_REGION;
    let named = [
        ("primary", adopt.primary.as_ref(), regions.map(|r| r[0])),
        ("standby", adopt.standby.as_ref(), regions.map(|r| r[1])),
        ("cloudFront", adopt.cloud_front.as_ref(), Some(global)),
    ];
    for (field, arn, region) in named {
        let Some(arn) = arn else { continue };
        let path = format!("spec.domain.adoptCertificates.{field}");
        let parts: Vec<&str> = arn.split(':').collect();
        let valid = matches!(parts.as_slice(), ["arn", partition, "acm", r, account, resource]
            if partition.starts_with("aws") && !r.is_empty() && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && resource.strip_prefix("certificate/").is_some_and(|id| !id.is_empty()));
        if !valid {
            errors.push(
                path,
                format!("{arn:?} is not an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)"),
            );
        } else if let Some(region) = region.filter(|r| parts[3] != *r) {
            errors.push(path, format!("certificate {arn} is in {}, not {region}, where it would serve", parts[3]));
        }
    }
    if adopt.cloud_front.is_some() && regions.is_some_and(|r| r.contains(&global)) {
        errors.push(
            "spec.domain.adoptCertificates.cloudFront",
            format!(
                "the RegionPair's region {global} serves CloudFront with its own certificate; adopt that one instead"
            ),
        );
    }
}
