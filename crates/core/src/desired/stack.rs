//! Desired resources of a ThreeTierStack, both regions and global.
//!
//! Role-aware: the active region holds the writer database, the full
//! capacity and the PRIMARY api record; the other region holds the replica,
//! the warm capacity and the SECONDARY record. Drift repair therefore
//! follows a failover instead of undoing it.

use warmstandby_api::{GLOBAL_REGION, OriginProtocol, RegionRole, TierSpec};

use super::data_tier::{db_identifier, stack_name as aws_name};
use super::{Kind, Resource, Scope};
use crate::validate::ValidatedStack;

/// Security groups and who may reach them (rules reference groups, not CIDRs).
const SECURITY_GROUPS: [(&str, &str); 6] = [
    ("bastion", "22/tcp from spec.bastion.allowedCidrs"),
    ("alb-web", "80,443/tcp from 0.0.0.0/0"),
    ("alb-api", "80,443/tcp from 0.0.0.0/0"),
    ("web", "80/tcp from sg/alb-web; 22/tcp from sg/bastion"),
    ("api", "80/tcp from sg/alb-api; 22/tcp from sg/bastion"),
    ("db", "3306/tcp from sg/api"),
];

/// The stack's resources in both regions and globally, in a natural creation
/// order (the topology sort makes it exact).
pub fn stack_resources(stack: &ValidatedStack) -> Vec<Resource> {
    let mut out = Vec::new();
    for role in RegionRole::BOTH {
        out.extend(regional(stack, role));
    }
    out.extend(global(stack));
    out
}

fn key(role: RegionRole, component: &str) -> String {
    format!("{}/{component}", role.as_str())
}

fn global_key(component: &str) -> String {
    format!("global/{component}")
}

/// The region that holds the certificate CloudFront uses (us-east-1 only).
fn cloudfront_certificate_key(stack: &ValidatedStack) -> String {
    RegionRole::BOTH
        .into_iter()
        .find(|r| stack.pair.region(*r).region == GLOBAL_REGION)
        .map(|r| key(r, "certificate/wildcard"))
        .unwrap_or_else(|| global_key("certificate/cloudfront"))
}

fn regional(stack: &ValidatedStack, role: RegionRole) -> Vec<Resource> {
    let spec = &stack.spec;
    let net = stack.pair.region(role);
    let scope = Scope::Region { role, region: net.region.clone() };
    let active = role == spec.active_region;
    let k = |c: &str| key(role, c);
    let vpc = k("vpc");
    let mut out = Vec::new();

    for (sg, rules) in SECURITY_GROUPS {
        let mut r =
            Resource::new(&scope, &format!("security-group/{sg}"), Kind::SecurityGroup, aws_name(stack, sg, 255))
                .prop("ingress", rules)
                .dep(&vpc);
        for referenced in ["alb-web", "alb-api", "bastion", "api"] {
            if rules.contains(&format!("sg/{referenced}")) {
                r = r.dep(k(&format!("security-group/{referenced}")));
            }
        }
        out.push(r);
    }

    if role == RegionRole::Primary && spec.bastion.enabled {
        out.push(
            Resource::new(&scope, "instance/bastion", Kind::BastionInstance, aws_name(stack, "bastion", 255))
                .prop("instanceType", &spec.bastion.instance_type)
                .prop("keyName", spec.bastion.key_name.as_deref().unwrap_or("(none)"))
                .prop("image", &spec.images.api.primary)
                .dep(k("subnet/public-a"))
                .dep(k("security-group/bastion")),
        );
    }

    // Data tier.
    let db = &spec.database;
    out.push(
        Resource::new(&scope, "db-subnet-group", Kind::DbSubnetGroup, aws_name(stack, "db", 255))
            .prop("subnets", "db-a,db-b")
            .dep(k("subnet/db-a"))
            .dep(k("subnet/db-b")),
    );
    let db_name = db_identifier(stack, role);
    let db_resource = if active {
        Resource::new(&scope, "db-instance", Kind::DbInstance, db_name)
            .prop("engine", format!("mysql {}", db.engine_version))
            .prop("class", &db.instance_class)
            .prop("storageGiB", db.allocated_storage_gib)
            .prop("multiAz", db.multi_az)
            .prop("encrypted", db.storage_encrypted)
            .prop("backupRetentionDays", db.backup_retention_days)
            .prop("deletionProtection", db.deletion_protection)
            .prop("publiclyAccessible", false)
            .prop("masterPassword", "from Secret (never shown)")
    } else {
        Resource::new(&scope, "db-instance", Kind::DbReadReplica, db_name)
            .prop("source", format!("{} db-instance (cross-region)", role.other()))
            .prop("class", &db.instance_class)
            .prop("encrypted", db.storage_encrypted)
            .dep(key(role.other(), "db-instance"))
    };
    out.push(db_resource.dep(k("db-subnet-group")).dep(k("security-group/db")));
    out.push(
        Resource::new(&scope, "private-zone", Kind::PrivateHostedZone, db.private_dns.zone_name.clone())
            .prop("vpc", "this region's VPC")
            .dep(&vpc),
    );
    out.push(
        Resource::new(
            &scope,
            "private-record/db",
            Kind::PrivateDnsRecord,
            format!("{}.{}", db.private_dns.record_name, db.private_dns.zone_name),
        )
        .prop("type", "CNAME")
        .prop("value", "this region's database endpoint")
        .dep(k("private-zone"))
        .dep(k("db-instance")),
    );
    if spec.backup.enabled {
        out.push(
            Resource::new(&scope, "backup-vault", Kind::BackupVault, aws_name(stack, "vault", 50))
                .prop("encrypted", true),
        );
    }

    // Certificates and images.
    out.push(
        Resource::new(&scope, "certificate/wildcard", Kind::Certificate, format!("*.{}", spec.domain.zone_name))
            .prop("validation", "DNS")
            .prop("subjectAlternativeNames", &spec.domain.zone_name),
    );
    for (tier, image) in [("web", &spec.images.web), ("api", &spec.images.api)] {
        let r = Resource::new(&scope, &format!("image/{tier}"), Kind::Image, aws_name(stack, tier, 128));
        out.push(match (role, &image.standby) {
            (RegionRole::Primary, _) => r.prop("ami", &image.primary).prop("source", "given"),
            (RegionRole::Standby, Some(ami)) => r.prop("ami", ami).prop("source", "given"),
            (RegionRole::Standby, None) => r
                .prop("source", format!("CopyImage of {} from {}", image.primary, stack.pair.primary.region))
                .dep(key(RegionRole::Primary, &format!("image/{tier}"))),
        });
    }

    // Load balancing and compute, per tier.
    for (tier, t) in [("web", &spec.web), ("api", &spec.api)] {
        let subnets = if tier == "web" { ["web-a", "web-b"] } else { ["app-a", "app-b"] };
        out.push(
            Resource::new(&scope, &format!("target-group/{tier}"), Kind::TargetGroup, aws_name(stack, tier, 32))
                .prop("port", t.port)
                .prop("healthCheckPath", &t.health_check_path)
                .dep(&vpc),
        );
        out.push(
            Resource::new(&scope, &format!("load-balancer/{tier}"), Kind::LoadBalancer, aws_name(stack, tier, 32))
                .prop("scheme", "internet-facing")
                .prop("subnets", "public-a,public-b")
                .dep(k("subnet/public-a"))
                .dep(k("subnet/public-b"))
                .dep(k(&format!("security-group/alb-{tier}"))),
        );
        out.push(listener(&scope, role, tier, "http", 80));
        let https = tier == "api" || spec.cdn.origin_protocol == OriginProtocol::HttpsOnly;
        if https {
            out.push(
                listener(&scope, role, tier, "https", 443)
                    .dep(k("certificate/wildcard"))
                    .dep(global_key(&format!("certificate-validation/{}", role.as_str()))),
            );
        }
        out.push(
            Resource::new(&scope, &format!("launch-template/{tier}"), Kind::LaunchTemplate, aws_name(stack, tier, 128))
                .prop("instanceType", &t.instance_type)
                .prop("securityGroup", tier)
                .prop("userData", if t.user_data.is_some() { "from spec" } else { "(none)" })
                .dep(k(&format!("image/{tier}")))
                .dep(k(&format!("security-group/{tier}"))),
        );
        out.push(asg(stack, &scope, role, tier, t, active, subnets));
    }
    out
}

fn listener(scope: &Scope, role: RegionRole, tier: &str, proto: &str, port: u16) -> Resource {
    Resource::new(
        scope,
        &format!("listener/{tier}-{proto}"),
        Kind::Listener,
        format!("{tier} {}:{port}", proto.to_uppercase()),
    )
    .prop("protocol", proto.to_uppercase())
    .prop("port", port)
    .prop("forward", format!("target-group/{tier}"))
    .dep(key(role, &format!("load-balancer/{tier}")))
    .dep(key(role, &format!("target-group/{tier}")))
}

fn asg(
    stack: &ValidatedStack,
    scope: &Scope,
    role: RegionRole,
    tier: &str,
    t: &TierSpec,
    active: bool,
    subnets: [&str; 2],
) -> Resource {
    let c = if active { t.capacity } else { t.standby_capacity };
    let mut r =
        Resource::new(scope, &format!("auto-scaling-group/{tier}"), Kind::AutoScalingGroup, aws_name(stack, tier, 255))
            .prop("min", c.min)
            .prop("desired", c.desired)
            .prop("max", c.max)
            .prop("capacity", if active { "active" } else { "warm standby" })
            .prop("subnets", subnets.join(","))
            .dep(key(role, &format!("launch-template/{tier}")))
            .dep(key(role, &format!("target-group/{tier}")));
    for s in subnets {
        r = r.dep(key(role, &format!("subnet/{s}")));
    }
    r
}

fn global(stack: &ValidatedStack) -> Vec<Resource> {
    let spec = &stack.spec;
    let scope = Scope::Global;
    let zone = &spec.domain.zone_name;
    let api_fqdn = format!("{}.{zone}", spec.domain.api_record);
    let web_fqdn = format!("{}.{zone}", spec.domain.web_record);
    let active = spec.active_region;
    let mut out = vec![Resource::new(&scope, "public-zone", Kind::PublicHostedZone, zone.clone()).prop(
        "managed",
        if spec.domain.manage_zone { "created and deleted with the stack" } else { "must exist; only written to" },
    )];
    for role in RegionRole::BOTH {
        out.push(
            Resource::new(
                &scope,
                &format!("certificate-validation/{}", role.as_str()),
                Kind::CertificateValidationRecord,
                format!("_acme.{zone} ({})", stack.pair.region(role).region),
            )
            .prop("type", "CNAME")
            .dep(global_key("public-zone"))
            .dep(key(role, "certificate/wildcard")),
        );
    }
    let cf_cert = cloudfront_certificate_key(stack);
    if cf_cert.starts_with("global/") {
        out.push(
            Resource::new(&scope, "certificate/cloudfront", Kind::Certificate, format!("*.{zone}"))
                .prop("region", GLOBAL_REGION)
                .prop("validation", "DNS"),
        );
        out.push(
            Resource::new(
                &scope,
                "certificate-validation/cloudfront",
                Kind::CertificateValidationRecord,
                format!("_acme.{zone} ({GLOBAL_REGION})"),
            )
            .prop("type", "CNAME")
            .dep(global_key("public-zone"))
            .dep(global_key("certificate/cloudfront")),
        );
    }
    let hc = &spec.health_check;
    out.push(
        Resource::new(&scope, "health-check/api", Kind::HealthCheck, aws_name(stack, "api", 255))
            .prop("target", format!("{} api load balancer", active))
            .prop("protocol", if hc.https { "HTTPS" } else { "HTTP" })
            .prop("port", hc.port)
            .prop("path", &hc.path)
            .prop("intervalSeconds", hc.interval_seconds)
            .prop("failureThreshold", hc.failure_threshold)
            .dep(key(active, "load-balancer/api")),
    );
    for (record, role) in [("PRIMARY", active), ("SECONDARY", active.other())] {
        let mut r = Resource::new(
            &scope,
            &format!("failover-record/api-{}", record.to_lowercase()),
            Kind::FailoverRecord,
            api_fqdn.clone(),
        )
        .prop("type", "A alias")
        .prop("failover", record)
        .prop("target", format!("{role} api load balancer ({})", stack.pair.region(role).region))
        .prop("evaluateTargetHealth", true)
        .dep(global_key("public-zone"))
        .dep(key(role, "load-balancer/api"));
        if record == "PRIMARY" {
            r = r.prop("healthCheck", "health-check/api").dep(global_key("health-check/api"));
        }
        out.push(r);
    }
    if spec.waf.enabled {
        out.push(
            Resource::new(&scope, "web-acl", Kind::WebAcl, aws_name(stack, "web", 128))
                .prop("scope", "CLOUDFRONT")
                .prop("managedRuleGroups", spec.waf.managed_rule_groups.join(","))
                .prop("rateLimit", spec.waf.rate_limit.map(|r| r.to_string()).unwrap_or_else(|| "(none)".into())),
        );
    }
    let codes: Vec<String> = spec.cdn.failover_status_codes.iter().map(ToString::to_string).collect();
    let mut dist = Resource::new(&scope, "distribution", Kind::Distribution, web_fqdn.clone())
        .prop("origins", format!("{} web ALB, {} web ALB", active, active.other()))
        .prop("originGroupFailoverCodes", codes.join(","))
        .prop("connectionAttempts", spec.cdn.connection_attempts)
        .prop("connectionTimeoutSeconds", spec.cdn.connection_timeout_seconds)
        .prop("viewerProtocol", "redirect-to-https")
        .prop("caching", format!("{:?}", spec.cdn.caching))
        .prop("priceClass", format!("{:?}", spec.cdn.price_class))
        .prop("alias", &web_fqdn)
        .dep(key(RegionRole::Primary, "load-balancer/web"))
        .dep(key(RegionRole::Standby, "load-balancer/web"))
        .dep(cf_cert.clone());
    if cf_cert.starts_with("global/") {
        dist = dist.dep(global_key("certificate-validation/cloudfront"));
    } else {
        let role = if cf_cert.starts_with("primary/") { RegionRole::Primary } else { RegionRole::Standby };
        dist = dist.dep(global_key(&format!("certificate-validation/{}", role.as_str())));
    }
    if spec.waf.enabled {
        dist = dist.prop("webAcl", "web-acl").dep(global_key("web-acl"));
    }
    out.push(dist);
    out.push(
        Resource::new(&scope, "alias-record/web", Kind::AliasRecord, web_fqdn)
            .prop("type", "A alias")
            .prop("target", "distribution")
            .dep(global_key("public-zone"))
            .dep(global_key("distribution")),
    );
    if spec.alarms.enabled {
        out.push(
            Resource::new(&scope, "alarm/api-health", Kind::Alarm, aws_name(stack, "api-health", 255))
                .prop("metric", "AWS/Route53 HealthCheckStatus")
                .prop("threshold", "< 1 for 1 period of 60s")
                .prop(
                    "notify",
                    if spec.alarms.sns_topic_arns.is_empty() {
                        "(none)".to_string()
                    } else {
                        spec.alarms.sns_topic_arns.join(",")
                    },
                )
                .dep(global_key("health-check/api")),
        );
    }
    if spec.backup.enabled {
        let primary = Scope::Region { role: RegionRole::Primary, region: stack.pair.primary.region.clone() };
        out.push(
            Resource::new(&primary, "backup-plan", Kind::BackupPlan, aws_name(stack, "plan", 50))
                .prop("schedule", &spec.backup.schedule)
                .prop("retentionDays", spec.backup.retention_days)
                .prop("copyTo", format!("standby vault ({})", stack.pair.standby.region))
                .dep(key(RegionRole::Primary, "backup-vault"))
                .dep(key(RegionRole::Standby, "backup-vault")),
        );
        out.push(
            Resource::new(&primary, "backup-selection", Kind::BackupSelection, aws_name(stack, "servers", 50))
                .prop(
                    "resources",
                    format!("instances tagged {}={}/{}", warmstandby_api::TAG_STACK, stack.namespace, stack.name),
                )
                .dep(key(RegionRole::Primary, "backup-plan")),
        );
    }
    out
}
