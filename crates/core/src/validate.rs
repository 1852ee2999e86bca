//! Validation: spec + referenced objects -> validated model, or every error.
//!
//! Pure and shared by the CLI, the operator and an admission webhook. Every
//! error names its field path; all errors are collected, not just the first.

use std::collections::BTreeSet;

use ipnet::Ipv4Net;
use warmstandby_api::{
    Capacity, DeletionPolicy, FailoverPolicy, FailoverPolicySpec, NatGatewayMode, RegionNetworkSpec, RegionPair,
    RegionRole, ThreeTierStack, ThreeTierStackSpec, TierSpec,
};

use crate::field::{ValidationErrors, check_range};
use crate::names;
use crate::net::{nth_subnet, overlaps, parse_cidr};
use crate::secret::{Password, PasswordLookup};

/// Subnet tiers, in the order their default blocks are carved from the VPC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SubnetTier {
    Public,
    Web,
    App,
    Db,
}

impl SubnetTier {
    pub const ALL: [SubnetTier; 4] = [SubnetTier::Public, SubnetTier::Web, SubnetTier::App, SubnetTier::Db];

    pub fn as_str(self) -> &'static str {
        match self {
            SubnetTier::Public => "public",
            SubnetTier::Web => "web",
            SubnetTier::App => "app",
            SubnetTier::Db => "db",
        }
    }
}

/// Letters that name the zone slots in resource keys: `web-a`, `web-b`.
pub const ZONE_SLOTS: [&str; 2] = ["a", "b"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubnetPlan {
    pub tier: SubnetTier,
    pub zone_index: usize,
    pub zone: String,
    pub cidr: Ipv4Net,
}

impl SubnetPlan {
    /// Stable logical key, e.g. `web-a`.
    pub fn key(&self) -> String {
        format!("{}-{}", self.tier.as_str(), ZONE_SLOTS[self.zone_index])
    }
}

/// One region's network, with defaults resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionNetwork {
    pub role: RegionRole,
    pub region: String,
    pub vpc_cidr: Ipv4Net,
    pub zones: [String; 2],
    /// Eight subnets: every tier in both zones.
    pub subnets: Vec<SubnetPlan>,
}

impl RegionNetwork {
    pub fn subnet(&self, tier: SubnetTier, zone_index: usize) -> Option<&SubnetPlan> {
        self.subnets.iter().find(|s| s.tier == tier && s.zone_index == zone_index)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatedRegionPair {
    pub name: String,
    pub primary: RegionNetwork,
    pub standby: RegionNetwork,
    pub nat_gateways: NatGatewayMode,
    pub role_arn: Option<String>,
    pub deletion_policy: DeletionPolicy,
    pub paused: bool,
}

impl ValidatedRegionPair {
    pub fn region(&self, role: RegionRole) -> &RegionNetwork {
        match role {
            RegionRole::Primary => &self.primary,
            RegionRole::Standby => &self.standby,
        }
    }
}

/// A stack whose spec and references all checked out.
#[derive(Clone, Debug)]
pub struct ValidatedStack {
    pub namespace: String,
    pub name: String,
    /// `metadata.uid` (empty before the API server assigns one): names what
    /// must not be mistaken for an earlier stack of the same name.
    pub uid: String,
    pub pair: ValidatedRegionPair,
    pub spec: ThreeTierStackSpec,
    pub policy: Option<FailoverPolicySpec>,
    pub password: Password,
}

impl ValidatedStack {
    /// The AWS name of one of the stack's resources:
    /// `<namespace>-<name>-<suffix>`, bounded to `max` characters.
    pub fn aws_name(&self, suffix: &str, max: usize) -> String {
        names::bounded_name(&format!("{}-{}-{suffix}", self.namespace, self.name), max)
    }
}

/// What the dereference step found for a stack.
pub struct StackInputs<'a> {
    pub stack: &'a ThreeTierStack,
    pub region_pair: Option<&'a RegionPair>,
    pub policy: Option<&'a FailoverPolicy>,
    pub password: PasswordLookup,
}

// ---------------------------------------------------------------- RegionPair

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
    if let (Some(p), Some(s)) = (&primary, &standby)
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
            paused: spec.paused,
        }),
        _ => Err(errors),
    }
}

fn is_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "iam", "", account, resource]
        if partition.starts_with("aws")
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && resource.strip_prefix("role/").is_some_and(|r| !r.is_empty()))
}

fn validate_region(
    errors: &mut ValidationErrors,
    path: &str,
    role: RegionRole,
    spec: &RegionNetworkSpec,
) -> Option<RegionNetwork> {
    let before = errors.len();
    if !names::is_region(&spec.region) {
        errors.push(format!("{path}.region"), format!("{:?} is not an AWS region name (like us-east-1)", spec.region));
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
    Some(RegionNetwork { role, region: spec.region.clone(), vpc_cidr: vpc?, zones: zones?, subnets: subnets? })
}

fn subnet_layout(
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

// ---------------------------------------------------------------- ThreeTierStack

pub fn validate_stack(inputs: StackInputs<'_>) -> Result<ValidatedStack, ValidationErrors> {
    validate_stack_for(inputs, false)
}

/// Validation for deleting a stack. Teardown needs where the stack lives and
/// what it is called, not how it would be built: the password Secret and the
/// FailoverPolicy may already be gone (`kubectl delete -f` removes a
/// directory's objects at once, and Secrets have no finalizer), so neither
/// is required; the password is never used by a teardown.
pub fn validate_stack_for_teardown(inputs: StackInputs<'_>) -> Result<ValidatedStack, ValidationErrors> {
    validate_stack_for(inputs, true)
}

fn validate_stack_for(inputs: StackInputs<'_>, teardown: bool) -> Result<ValidatedStack, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let stack = inputs.stack;
    let name = stack.metadata.name.clone().unwrap_or_default();
    let namespace = stack.metadata.namespace.clone().unwrap_or_default();
    if name.is_empty() {
        errors.push("metadata.name", "is required");
    }
    if namespace.is_empty() {
        errors.push("metadata.namespace", "is required (ThreeTierStack is namespaced)");
    }
    let spec = &stack.spec;

    let pair = match inputs.region_pair {
        None => {
            errors.push("spec.regionPairRef.name", format!("RegionPair {:?} not found", spec.region_pair_ref.name));
            None
        }
        Some(pair) => match validate_region_pair(pair) {
            Ok(v) => Some(v),
            Err(e) => {
                errors.push(
                    "spec.regionPairRef.name",
                    format!(
                        "RegionPair {:?} is invalid ({} error(s), first: {})",
                        spec.region_pair_ref.name,
                        e.len(),
                        e.0[0]
                    ),
                );
                None
            }
        },
    };

    let policy = match (&spec.failover_policy_ref, inputs.policy) {
        (None, _) => None,
        (Some(_), _) if teardown => None,
        (Some(r), None) => {
            errors.push(
                "spec.failoverPolicyRef.name",
                format!("FailoverPolicy {:?} not found in namespace {namespace:?}", r.name),
            );
            None
        }
        (Some(r), Some(p)) => match validate_policy(p) {
            Ok(spec) => Some(spec),
            Err(e) => {
                errors.push(
                    "spec.failoverPolicyRef.name",
                    format!("FailoverPolicy {:?} is invalid ({} error(s), first: {})", r.name, e.len(), e.0[0]),
                );
                None
            }
        },
    };

    validate_domain(&mut errors, spec);
    validate_images(&mut errors, spec);
    let password = if teardown {
        // Only the password is optional: the rest of the database spec still names what to delete.
        let mut database = ValidationErrors::default();
        let found = validate_database(&mut database, spec, inputs.password);
        errors.0.extend(database.0.into_iter().filter(|e| !e.path.starts_with("spec.database.password")));
        Some(found.unwrap_or_else(|| Password::new(String::new())))
    } else {
        validate_database(&mut errors, spec, inputs.password)
    };
    validate_tier(&mut errors, "spec.web", &spec.web);
    validate_tier(&mut errors, "spec.api", &spec.api);
    validate_bastion(&mut errors, spec);
    validate_edge(&mut errors, spec);

    match (pair, password) {
        (Some(pair), Some(password)) if errors.is_empty() => {
            let uid = stack.metadata.uid.clone().unwrap_or_default();
            Ok(ValidatedStack { namespace, name, uid, pair, spec: spec.clone(), policy, password })
        }
        _ => Err(errors),
    }
}

fn validate_domain(errors: &mut ValidationErrors, spec: &ThreeTierStackSpec) {
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

fn validate_images(errors: &mut ValidationErrors, spec: &ThreeTierStackSpec) {
    for (tier, image) in [("web", &spec.images.web), ("api", &spec.images.api)] {
        if !names::is_ami_id(&image.primary) {
            errors.push(
                format!("spec.images.{tier}.primary"),
                format!("{:?} is not an AMI ID (ami- and 8 or 17 hex digits)", image.primary),
            );
        }
        if let Some(standby) = &image.standby {
            if !names::is_ami_id(standby) {
                errors.push(
                    format!("spec.images.{tier}.standby"),
                    format!("{standby:?} is not an AMI ID (ami- and 8 or 17 hex digits)"),
                );
            } else if *standby == image.primary {
                errors.push(
                    format!("spec.images.{tier}.standby"),
                    format!("AMI IDs are regional, so {standby} cannot be both the primary and the standby image; omit standby to copy the primary AMI"),
                );
            }
        }
    }
}

fn validate_database(
    errors: &mut ValidationErrors,
    spec: &ThreeTierStackSpec,
    lookup: PasswordLookup,
) -> Option<Password> {
    let db = &spec.database;
    let p = "spec.database";
    let window = db.credentials.recovery_window_days;
    if window != 0 && !(7..=30).contains(&window) {
        errors.push(
            format!("{p}.credentials.recoveryWindowDays"),
            format!("{window} is not allowed: 0 (delete at once) or 7 to 30 days"),
        );
    }
    if db.password.is_some() {
        // The value itself is never echoed.
        errors.push(
            format!("{p}.password"),
            "inline passwords are refused; put the password in a Secret and set spec.database.passwordSecretRef",
        );
    }
    if !names::is_db_instance_class(&db.instance_class) {
        errors.push(
            format!("{p}.instanceClass"),
            format!("{:?} is not an RDS instance class (like db.t3.micro)", db.instance_class),
        );
    }
    check_range(errors, &format!("{p}.allocatedStorageGiB"), db.allocated_storage_gib.into(), 20, 65536);
    if db.backup_retention_days == 0 {
        errors.push(
            format!("{p}.backupRetentionDays"),
            "must be at least 1: the cross-region read replica needs automated backups",
        );
    } else {
        check_range(errors, &format!("{p}.backupRetentionDays"), db.backup_retention_days.into(), 1, 35);
    }
    check_range(errors, &format!("{p}.port"), db.port.into(), 1150, 65535);
    if !(db.engine_version == "8.0"
        || db.engine_version == "8.4"
        || db.engine_version.starts_with("8.0.")
        || db.engine_version.starts_with("8.4."))
    {
        errors.push(
            format!("{p}.engineVersion"),
            format!("{:?} is not a supported MySQL version (8.0, 8.4 or a patch of them)", db.engine_version),
        );
    }
    if !is_identifier(&db.master_username, 16) {
        errors.push(
            format!("{p}.masterUsername"),
            format!("{:?} must start with a letter and have at most 16 letters, digits or '_'", db.master_username),
        );
    } else if RESERVED_MYSQL_USERS.contains(&db.master_username.to_ascii_lowercase().as_str()) {
        errors.push(format!("{p}.masterUsername"), format!("{:?} is reserved by RDS", db.master_username));
    }
    if !is_identifier(&db.database_name, 64) {
        errors.push(
            format!("{p}.databaseName"),
            format!("{:?} must start with a letter and have at most 64 letters, digits or '_'", db.database_name),
        );
    }
    let path = format!("{p}.passwordSecretRef");
    let reference = db.password_secret_ref.as_ref();
    let describe = || reference.map(|r| format!("Secret {:?} key {:?}", r.name, r.key)).unwrap_or_default();
    match lookup {
        PasswordLookup::NotReferenced if db.password.is_some() => None,
        PasswordLookup::NotReferenced => {
            errors.push(path, "is required: the master password is read from a Secret");
            None
        }
        PasswordLookup::SecretMissing => {
            errors.push(format!("{path}.name"), format!("{} not found", describe()));
            None
        }
        PasswordLookup::KeyMissing => {
            errors.push(format!("{path}.key"), format!("{} has no such key", describe()));
            None
        }
        PasswordLookup::NotText => {
            errors.push(format!("{path}.key"), format!("{} is not UTF-8 text", describe()));
            None
        }
        PasswordLookup::Found(password) => match password_problem(password.expose()) {
            // The message describes the rule, never the value.
            Some(problem) => {
                errors.push(path, format!("the password in {} {problem}", describe()));
                None
            }
            None => Some(password),
        },
    }
}

const RESERVED_MYSQL_USERS: [&str; 4] = ["rdsadmin", "root", "mysql", "rdsrepladmin"];

fn is_identifier(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.as_bytes()[0].is_ascii_alphabetic()
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// RDS for MySQL: 8 to 41 printable ASCII characters except `/`, `"`, `@` and space.
fn password_problem(p: &str) -> Option<&'static str> {
    if p.len() < 8 || p.len() > 41 {
        return Some("must be 8 to 41 characters long");
    }
    if !p.bytes().all(|b| b.is_ascii_graphic() && !matches!(b, b'/' | b'"' | b'@')) {
        return Some("may contain only printable ASCII characters other than '/', '\"', '@' and space");
    }
    None
}

fn validate_tier(errors: &mut ValidationErrors, path: &str, tier: &TierSpec) {
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

fn check_capacity(errors: &mut ValidationErrors, path: &str, c: &Capacity) {
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

fn validate_bastion(errors: &mut ValidationErrors, spec: &ThreeTierStackSpec) {
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

/// CloudFront accepts only these origin failover status codes.
const CLOUDFRONT_FAILOVER_CODES: [i32; 8] = [400, 403, 404, 416, 500, 502, 503, 504];

fn validate_edge(errors: &mut ValidationErrors, spec: &ThreeTierStackSpec) {
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

// ---------------------------------------------------------------- FailoverPolicy

pub fn validate_policy(policy: &FailoverPolicy) -> Result<FailoverPolicySpec, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let spec = &policy.spec;
    let d = &spec.detection;
    let sources = [d.route53_health_check, d.cloud_watch_alarm, d.probes.enabled].iter().filter(|on| **on).count();
    if sources == 0 {
        errors.push(
            "spec.detection",
            "enable at least one detection source (route53HealthCheck, cloudWatchAlarm or probes)",
        );
    }
    check_range(&mut errors, "spec.detection.requiredSignals", d.required_signals.into(), 1, 3);
    check_range(&mut errors, "spec.detection.debounceSeconds", d.debounce_seconds.into(), 0, 3600);
    if d.health_check_interval_seconds != 10 && d.health_check_interval_seconds != 30 {
        errors.push(
            "spec.detection.healthCheckIntervalSeconds",
            format!("must be 10 or 30, got {}", d.health_check_interval_seconds),
        );
    }
    check_range(
        &mut errors,
        "spec.detection.healthCheckFailureThreshold",
        d.health_check_failure_threshold.into(),
        1,
        10,
    );
    let p = &d.probes;
    for (field, url) in [("apiUrl", &p.api_url), ("webUrl", &p.web_url)] {
        if let Some(url) = url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            errors
                .push(format!("spec.detection.probes.{field}"), format!("{url:?} must be an http:// or https:// URL"));
        }
    }
    check_range(&mut errors, "spec.detection.probes.intervalSeconds", p.interval_seconds.into(), 1, 3600);
    check_range(&mut errors, "spec.detection.probes.timeoutSeconds", p.timeout_seconds.into(), 1, 60);
    if p.timeout_seconds >= p.interval_seconds {
        errors.push(
            "spec.detection.probes.timeoutSeconds",
            format!("must be less than intervalSeconds ({}), got {}", p.interval_seconds, p.timeout_seconds),
        );
    }
    check_range(&mut errors, "spec.detection.probes.failureThreshold", p.failure_threshold.into(), 1, 100);
    check_range(&mut errors, "spec.detection.probes.recoveryThreshold", p.recovery_threshold.into(), 1, 100);
    check_range(&mut errors, "spec.guards.maxReplicaLagSeconds", spec.guards.max_replica_lag_seconds, 0, 86400);
    if let Some(schedule) = &spec.drill.schedule
        && schedule.split_whitespace().count() != 5
    {
        errors.push(
            "spec.drill.schedule",
            format!("{schedule:?} is not a 5-field cron expression (minute hour day month weekday)"),
        );
    }
    errors.into_result(spec.clone())
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
