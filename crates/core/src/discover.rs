//! Discovery: what a region pair already runs, told apart the way a person
//! reads the console. A VPC's subnets fall into tiers by their routes (a
//! public subnet routes 0.0.0.0/0 to an internet gateway, web and app
//! subnets have a route out, database subnets none), by the subnets the
//! MySQL writer's subnet group names, and by `Name` tags; the writer and its
//! cross-region replica by the replica's source; a server tier by its
//! relations (the auto scaling group in the tier's subnets, the target group
//! it registers in, the load balancer whose listener forwards there, the
//! group's launch template). What cannot be decided is said, never guessed
//! silently.

use std::collections::BTreeMap;

use warmstandby_api::{ExistingNetworkSpec, ExistingSubnets, TierResources};

use crate::network::observed::{ObservedRouteTable, RouteTarget, route_table_of};

/// A VPC as discovery sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeenVpc {
    pub id: String,
    pub cidr: String,
    pub name: Option<String>,
    /// The region's default VPC (never a stack's).
    pub default: bool,
    /// Tagged as warmstandby's: already managed.
    pub ours: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeenSubnet {
    pub id: String,
    pub vpc_id: String,
    pub zone: String,
    pub cidr: String,
    pub name: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeenDatabase {
    pub identifier: String,
    pub engine: String,
    pub vpc_id: Option<String>,
    pub subnet_ids: Vec<String>,
    /// The writer's ARN (or identifier) a read replica copies.
    pub replica_source: Option<String>,
    pub arn: String,
}

/// An application load balancer and where its listeners forward.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeenLoadBalancer {
    pub name: String,
    pub dns_name: String,
    pub vpc_id: String,
    /// `internet-facing` or `internal`.
    pub scheme: String,
    /// Target groups its listeners forward to.
    pub forwards_to: Vec<String>,
    /// The ACM certificates its HTTPS listeners serve.
    pub certificates: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeenTargetGroup {
    pub name: String,
    pub arn: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeenAutoScalingGroup {
    pub name: String,
    pub subnet_ids: Vec<String>,
    pub target_group_arns: Vec<String>,
    /// The launch template it launches from, by name (none: a launch configuration or a mixed policy).
    pub launch_template: Option<String>,
    /// Tagged as warmstandby's: already managed.
    pub ours: bool,
}

/// A CloudFront distribution and the domain names of its origins.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeenDistribution {
    pub id: String,
    pub origins: Vec<String>,
    /// Its viewer certificate, when from ACM.
    pub certificate: Option<String>,
}

/// A Route 53 health check and the name it checks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeenHealthCheck {
    pub id: String,
    pub fqdn: String,
}

/// The account's global resources, as read (CloudFront, Route 53).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeenGlobal {
    pub distributions: Vec<SeenDistribution>,
    pub health_checks: Vec<SeenHealthCheck>,
}

/// One region as read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeenRegion {
    pub region: String,
    pub vpcs: Vec<SeenVpc>,
    pub subnets: Vec<SeenSubnet>,
    pub route_tables: Vec<ObservedRouteTable>,
    pub databases: Vec<SeenDatabase>,
    pub load_balancers: Vec<SeenLoadBalancer>,
    pub target_groups: Vec<SeenTargetGroup>,
    pub auto_scaling_groups: Vec<SeenAutoScalingGroup>,
    /// AWS Backup vaults: (name, ARN).
    pub backup_vaults: Vec<(String, String)>,
    pub backup_plans: Vec<SeenBackupPlan>,
}

/// An AWS Backup plan and where its (first) rule backs up and copies to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SeenBackupPlan {
    pub id: String,
    pub name: String,
    pub target_vault: String,
    /// The vault ARN its copy action copies to.
    pub copy_to: Option<String>,
    /// Tagged by a warmstandby stack.
    pub ours: bool,
}

/// What discovery found and what it could not decide.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Discovered {
    /// Per region (primary, standby): the network a RegionPair can name.
    pub networks: [Option<ExistingNetworkSpec>; 2],
    /// The MySQL writer (primary) and its cross-region replica (standby).
    pub database: Option<(String, String)>,
    /// The web and api tiers found in both regions, as `spec.<tier>.adopt` names them.
    pub tiers: BTreeMap<&'static str, warmstandby_api::TierAdoption>,
    /// The distribution whose origins are the web tier's load balancers.
    pub distribution: Option<String>,
    /// The health check on the primary's api load balancer (the failover
    /// records that use it are adopted with it).
    pub health_check: Option<String>,
    /// The certificates the tiers' listeners and the distribution serve.
    pub certificates: Option<warmstandby_api::CertificateAdoption>,
    /// The primary's backup plan copying to a standby vault, and its vaults.
    pub backup: Option<warmstandby_api::BackupAdoption>,
    /// Decisions made on weak evidence: check them.
    pub guesses: Vec<String>,
    /// What could not be decided, and why.
    pub undecided: Vec<String>,
}

/// Reads both regions' findings into a RegionPair's networks and the database pair.
pub fn discover(primary: &SeenRegion, standby: &SeenRegion) -> Discovered {
    let mut out = Discovered::default();
    out.database = database_pair(primary, standby, &mut out.undecided);
    let writer_vpc = |r: &SeenRegion, id: Option<&String>| {
        id.and_then(|id| r.databases.iter().find(|d| d.identifier == *id)).and_then(|d| d.vpc_id.clone())
    };
    let db = out.database.clone();
    for (i, region) in [primary, standby].into_iter().enumerate() {
        let on = writer_vpc(region, db.as_ref().map(|(w, r)| if i == 0 { w } else { r }));
        out.networks[i] = network(region, on.as_deref(), &mut out.guesses, &mut out.undecided);
    }
    for tier in ["web", "api"] {
        let found: Vec<Option<TierResources>> = [primary, standby]
            .into_iter()
            .zip(&out.networks)
            .map(|(region, network)| server_tier(region, network.as_ref()?, tier, &mut out.undecided))
            .collect();
        match found.as_slice() {
            [Some(primary), Some(standby)] => {
                out.tiers
                    .insert(tier, warmstandby_api::TierAdoption { primary: primary.clone(), standby: standby.clone() });
            }
            [Some(one), None] | [None, Some(one)] => out.undecided.push(format!(
                "the {tier} tier ({}) was found in one region only; a stack adopts a tier in both or builds its own",
                one.auto_scaling_group
            )),
            _ => {}
        }
    }
    out.backup = backup(primary, standby, &mut out.undecided);
    out
}

/// The primary's backup plan whose copy goes to a vault of the standby
/// region, with the vault it backs up to: exactly one, or it is said why not.
fn backup(
    primary: &SeenRegion,
    standby: &SeenRegion,
    undecided: &mut Vec<String>,
) -> Option<warmstandby_api::BackupAdoption> {
    let copies_to_standby = |p: &&SeenBackupPlan| {
        !p.ours && p.copy_to.as_ref().is_some_and(|arn| standby.backup_vaults.iter().any(|(_, a)| a == arn))
    };
    let plans: Vec<&SeenBackupPlan> = primary.backup_plans.iter().filter(copies_to_standby).collect();
    match plans.as_slice() {
        [] => None,
        [plan] => Some(warmstandby_api::BackupAdoption {
            primary_vault: primary
                .backup_vaults
                .iter()
                .find(|(name, _)| *name == plan.target_vault)
                .map(|(name, _)| name.clone()),
            standby_vault: standby
                .backup_vaults
                .iter()
                .find(|(_, arn)| Some(arn) == plan.copy_to.as_ref())
                .map(|(name, _)| name.clone()),
            plan: Some(plan.id.clone()),
        }),
        many => {
            undecided.push(format!(
                "{}: several backup plans ({}) copy to {}; name the stack's",
                primary.region,
                many.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", "),
                standby.region
            ));
            None
        }
    }
}

/// The global pieces in front of the tiers found: the distribution whose
/// origins include a web load balancer, the health check of the primary's
/// api load balancer. Exactly one each, or it is said why not.
pub fn discover_edge(found: &mut Discovered, primary: &SeenRegion, standby: &SeenRegion, global: &SeenGlobal) {
    let dns = |region: &SeenRegion, name: &str| {
        region.load_balancers.iter().find(|l| l.name == name).map(|l| l.dns_name.to_lowercase())
    };
    if let Some(web) = found.tiers.get("web") {
        let names: Vec<String> = [dns(primary, &web.primary.load_balancer), dns(standby, &web.standby.load_balancer)]
            .into_iter()
            .flatten()
            .collect();
        let serving: Vec<&SeenDistribution> = global
            .distributions
            .iter()
            .filter(|d| d.origins.iter().any(|o| names.contains(&o.to_lowercase())))
            .collect();
        match serving.as_slice() {
            [one] => found.distribution = Some(one.id.clone()),
            [] => {}
            many => found.undecided.push(format!(
                "several distributions ({}) have the web load balancers as origins; name the stack's",
                many.iter().map(|d| d.id.as_str()).collect::<Vec<_>>().join(", ")
            )),
        }
    }
    discover_certificates(found, [primary, standby], global);
    if let Some(api) = found.tiers.get("api").and_then(|a| dns(primary, &a.primary.load_balancer)) {
        let checks: Vec<&SeenHealthCheck> =
            global.health_checks.iter().filter(|h| h.fqdn.to_lowercase() == api).collect();
        match checks.as_slice() {
            [one] => found.health_check = Some(one.id.clone()),
            [] => {}
            many => found.undecided.push(format!(
                "several health checks ({}) check the primary's api load balancer; name the stack's",
                many.iter().map(|h| h.id.as_str()).collect::<Vec<_>>().join(", ")
            )),
        }
    }
}

/// The certificate each region's tiers serve, and CloudFront's: one per
/// region (the stack serves both names with one), or it is said why not.
fn discover_certificates(found: &mut Discovered, regions: [&SeenRegion; 2], global: &SeenGlobal) {
    let cloudfront = found
        .distribution
        .as_ref()
        .and_then(|id| global.distributions.iter().find(|d| d.id == *id))
        .and_then(|d| d.certificate.clone());
    let mut adopt = warmstandby_api::CertificateAdoption::default();
    for (i, region) in regions.into_iter().enumerate() {
        let mut arns: Vec<String> = found
            .tiers
            .values()
            .map(|t| if i == 0 { &t.primary.load_balancer } else { &t.standby.load_balancer })
            .filter_map(|name| region.load_balancers.iter().find(|l| l.name == *name))
            .flat_map(|l| l.certificates.iter().cloned())
            .collect();
        // In us-east-1 the region's certificate serves CloudFront too.
        if region.region == warmstandby_api::GLOBAL_REGION {
            arns.extend(cloudfront.clone());
        }
        arns.sort();
        arns.dedup();
        let chosen = match arns.as_slice() {
            [] => None,
            [one] => Some(one.clone()),
            many => {
                found.undecided.push(format!(
                    "{}: the tiers serve several certificates ({}); the stack serves its names with one, so it requests its own",
                    region.region,
                    many.join(", ")
                ));
                None
            }
        };
        if i == 0 { adopt.primary = chosen } else { adopt.standby = chosen }
    }
    if !regions.iter().any(|r| r.region == warmstandby_api::GLOBAL_REGION) {
        adopt.cloud_front = cloudfront;
    }
    if adopt != Default::default() {
        found.certificates = Some(adopt);
    }
}

/// A server tier in one region, followed from the auto scaling group in the
/// tier's subnets (web: `web`, api: `app`) to the target group it registers
/// in, the internet-facing load balancer forwarding there and the group's
/// launch template. Exactly one such chain, or it is said why not.
fn server_tier(
    region: &SeenRegion,
    network: &ExistingNetworkSpec,
    tier: &str,
    undecided: &mut Vec<String>,
) -> Option<TierResources> {
    let r = &region.region;
    let subnets = if tier == "web" { &network.subnets.web } else { &network.subnets.app };
    let groups: Vec<&SeenAutoScalingGroup> = region
        .auto_scaling_groups
        .iter()
        .filter(|g| !g.ours && !g.subnet_ids.is_empty() && g.subnet_ids.iter().all(|s| subnets.contains(s)))
        .collect();
    let chains: Vec<TierResources> = groups
        .iter()
        .filter_map(|g| {
            let template = g.launch_template.clone()?;
            let (tg, lb) = g.target_group_arns.iter().find_map(|arn| {
                let tg = region.target_groups.iter().find(|t| t.arn == *arn)?;
                // A stack's own tiers are left out by their groups' tags.
                let lb = region.load_balancers.iter().find(|l| {
                    l.vpc_id == network.vpc_id && l.scheme == "internet-facing" && l.forwards_to.contains(arn)
                })?;
                Some((tg, lb))
            })?;
            Some(TierResources {
                load_balancer: lb.name.clone(),
                target_group: tg.name.clone(),
                launch_template: template,
                auto_scaling_group: g.name.clone(),
            })
        })
        .collect();
    match chains.as_slice() {
        [one] => Some(one.clone()),
        // Nothing runs there: the stack builds the tier.
        [] if groups.is_empty() => None,
        [] => {
            let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
            undecided.push(format!(
                "{r}: the {tier} tier's group(s) {} launch from no launch template or register in no target group an internet-facing load balancer forwards to",
                names.join(", ")
            ));
            None
        }
        many => {
            let names: Vec<&str> = many.iter().map(|c| c.auto_scaling_group.as_str()).collect();
            undecided.push(format!("{r}: several {tier} tiers ({}); name the stack's", names.join(", ")));
            None
        }
    }
}

fn database_pair(primary: &SeenRegion, standby: &SeenRegion, undecided: &mut Vec<String>) -> Option<(String, String)> {
    let mysql = |d: &&SeenDatabase| d.engine == "mysql";
    let pairs: Vec<(String, String)> = standby
        .databases
        .iter()
        .filter(mysql)
        .filter_map(|replica| {
            let source = replica.replica_source.as_deref()?;
            let writer = primary.databases.iter().filter(mysql).find(|w| {
                w.replica_source.is_none() && (source == w.arn || source.ends_with(&format!(":db:{}", w.identifier)))
            })?;
            Some((writer.identifier.clone(), replica.identifier.clone()))
        })
        .collect();
    match pairs.as_slice() {
        [one] => Some(one.clone()),
        [] => {
            undecided.push(format!("no MySQL writer in {} has a read replica in {}", primary.region, standby.region));
            None
        }
        many => {
            let list: Vec<String> = many.iter().map(|(w, r)| format!("{w} -> {r}")).collect();
            undecided.push(format!("several writer/replica pairs: {}; name the stack's", list.join(", ")));
            None
        }
    }
}

fn network(
    region: &SeenRegion,
    database_vpc: Option<&str>,
    guesses: &mut Vec<String>,
    undecided: &mut Vec<String>,
) -> Option<ExistingNetworkSpec> {
    let r = &region.region;
    let candidates: Vec<&SeenVpc> = region.vpcs.iter().filter(|v| !v.default && !v.ours).collect();
    let vpc = match (database_vpc, candidates.as_slice()) {
        (Some(id), _) => candidates.iter().find(|v| v.id == id).copied(),
        (None, [one]) => Some(*one),
        (None, []) => None,
        (None, many) => {
            let ids: Vec<&str> = many.iter().map(|v| v.id.as_str()).collect();
            undecided
                .push(format!("{r}: several VPCs ({}) and no database to tell which is the stack's", ids.join(", ")));
            return None;
        }
    };
    let Some(vpc) = vpc else {
        undecided.push(format!("{r}: no VPC other than the default (or warmstandby's own)"));
        return None;
    };
    let subnets: Vec<&SeenSubnet> = region.subnets.iter().filter(|s| s.vpc_id == vpc.id).collect();
    let db_subnets: Vec<&str> = region
        .databases
        .iter()
        .filter(|d| d.vpc_id.as_deref() == Some(vpc.id.as_str()))
        .flat_map(|d| d.subnet_ids.iter().map(String::as_str))
        .collect();
    let mut tiers: BTreeMap<&str, Vec<&SeenSubnet>> = BTreeMap::new();
    for s in &subnets {
        let route = default_route(region, &vpc.id, &s.id);
        let tier = match route {
            Some(RouteTarget::Gateway(_)) => "public",
            _ if db_subnets.contains(&s.id.as_str()) => "db",
            Some(_) => "private",
            None => "db",
        };
        tiers.entry(tier).or_default().push(*s);
    }
    // Web and app both route out: a Name tag tells them apart, else their order.
    let mut private = tiers.remove("private").unwrap_or_default();
    private.sort_by_key(|s| cidr_order(&s.cidr));
    let named = |s: &SeenSubnet, words: &[&str]| {
        s.name.as_deref().is_some_and(|n| words.iter().any(|w| n.to_lowercase().contains(w)))
    };
    let (web, app): (Vec<&SeenSubnet>, Vec<&SeenSubnet>) =
        if private.iter().all(|s| named(s, &["web", "front"]) || named(s, &["app", "api", "back"])) {
            private.iter().copied().partition(|s| named(s, &["web", "front"]))
        } else if private.len() == 4 {
            guesses.push(format!(
                "{r}: web and app subnets told apart by address order (no Name tag says which): web {}, app {}",
                ids(&private[..2]),
                ids(&private[2..])
            ));
            (private[..2].to_vec(), private[2..].to_vec())
        } else {
            (private.clone(), Vec::new())
        };
    let mut pick = |tier: &str, found: Vec<&SeenSubnet>| -> Option<Vec<String>> {
        let mut found = found;
        found.sort_by_key(|s| (s.zone.clone(), cidr_order(&s.cidr)));
        let zones: std::collections::BTreeSet<&str> = found.iter().map(|s| s.zone.as_str()).collect();
        if found.len() == 2 && zones.len() == 2 {
            return Some(found.iter().map(|s| s.id.clone()).collect());
        }
        undecided.push(format!(
            "{r} {}: {tier} subnets: found {} ({}) in {} zone(s); a stack needs two, in two zones",
            vpc.id,
            found.len(),
            ids(&found),
            zones.len()
        ));
        None
    };
    let public = pick("public", tiers.remove("public").unwrap_or_default());
    let web = pick("web", web);
    let app = pick("app", app);
    let db = pick("db", tiers.remove("db").unwrap_or_default());
    Some(ExistingNetworkSpec {
        vpc_id: vpc.id.clone(),
        subnets: ExistingSubnets { public: public?, web: web?, app: app?, db: db? },
    })
}

fn ids(subnets: &[&SeenSubnet]) -> String {
    subnets.iter().map(|s| s.id.as_str()).collect::<Vec<_>>().join(", ")
}

/// Orders CIDRs by address (text order puts 10.0.10.0 before 10.0.2.0).
fn cidr_order(cidr: &str) -> u32 {
    cidr.split('/').next().and_then(|a| a.parse::<std::net::Ipv4Addr>().ok()).map_or(u32::MAX, u32::from)
}

/// Where a subnet's 0.0.0.0/0 leads (not the local route, not a blackhole).
fn default_route<'a>(region: &'a SeenRegion, vpc: &str, subnet: &str) -> Option<&'a RouteTarget> {
    route_table_of(&region.route_tables, vpc, subnet)?
        .routes
        .iter()
        .find(|r| {
            r.destination == "0.0.0.0/0" && !r.blackhole && !matches!(&r.target, RouteTarget::Other(o) if o == "local")
        })
        .map(|r| &r.target)
}

#[cfg(test)]
#[path = "discover_tests.rs"]
mod tests;
