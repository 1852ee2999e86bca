//! `discover`: what a region pair already runs, as a RegionPair manifest
//! over its existing networks, with what was guessed and what could not be
//! decided as comments. Reads only.

use std::fmt::Write as _;

use serde_json::json;
use warmstandby_api::API_VERSION;
use warmstandby_aws::AwsContext;
use warmstandby_core::discover::{Discovered, discover, discover_edge};

/// Exit code when something could not be decided (the manifest is partial).
pub const UNDECIDED: u8 = 2;

/// Reads both regions and writes the manifest; the exit code says whether it is complete.
pub async fn run(aws: &AwsContext, primary: &str, standby: &str, name: &str) -> Result<(String, u8), String> {
    let (p, s, global) = tokio::try_join!(
        Box::pin(warmstandby_aws::discover::read_region(aws, primary)),
        Box::pin(warmstandby_aws::discover::read_region(aws, standby)),
        Box::pin(warmstandby_aws::discover::read_global(aws)),
    )
    .map_err(|e| crate::explain(&e))?;
    let mut found = discover(&p, &s);
    discover_edge(&mut found, &p, &s, &global);
    let code = if found.undecided.is_empty() { 0 } else { UNDECIDED };
    Ok((manifest(&found, [primary, standby], name), code))
}

/// The manifest: comments first (what was found, guessed, left undecided),
/// then the RegionPair with the networks that were decided, observed only.
pub fn manifest(found: &Discovered, regions: [&str; 2], name: &str) -> String {
    let mut text = format!("# Found by `warmstandby discover` in {} and {}.\n", regions[0], regions[1]);
    if let Some((writer, replica)) = &found.database {
        let _ = writeln!(
            text,
            "# MySQL writer {writer} ({}) with its cross-region replica {replica} ({}).\n\
             #   A ThreeTierStack on this pair adopts them (planned first with managementPolicy: Observe) with:\n\
             #     spec:\n\
             #       database:\n\
             #         adopt: {{writer: {writer}, replica: {replica}}}",
            regions[0], regions[1]
        );
    }
    for (tier, adopt) in &found.tiers {
        let line = |r: &warmstandby_api::TierResources| {
            format!(
                "{{loadBalancer: {}, targetGroup: {}, launchTemplate: {}, autoScalingGroup: {}}}",
                r.load_balancer, r.target_group, r.launch_template, r.auto_scaling_group
            )
        };
        let _ = writeln!(
            text,
            "# The {tier} tier in both regions: {} forwarding to {} ({}), {} in {} ({}).\n\
             #   A ThreeTierStack on this pair adopts it with:\n\
             #     spec:\n\
             #       {tier}:\n\
             #         adopt:\n\
             #           primary: {}\n\
             #           standby: {}",
            adopt.primary.load_balancer,
            adopt.primary.target_group,
            regions[0],
            adopt.standby.load_balancer,
            adopt.standby.target_group,
            regions[1],
            line(&adopt.primary),
            line(&adopt.standby),
        );
    }
    if let Some(id) = &found.distribution {
        let _ = writeln!(
            text,
            "# The distribution {id} has the web tier's load balancers as origins; adopted with:\n\
             #     spec:\n\
             #       cdn: {{adopt: {id}}}"
        );
    }
    if let Some(id) = &found.health_check {
        let _ = writeln!(
            text,
            "# The health check {id} checks the primary's api load balancer; it and the records made by hand\n\
             # at the stack's api and web names are adopted with:\n\
             #     spec:\n\
             #       healthCheck: {{adopt: {id}}}\n\
             #       domain: {{adoptRecords: true}}"
        );
    }
    if let Some(c) = &found.certificates {
        let fields: Vec<String> = [("primary", &c.primary), ("standby", &c.standby), ("cloudFront", &c.cloud_front)]
            .into_iter()
            .filter_map(|(k, v)| v.as_ref().map(|arn| format!("{k}: {arn}")))
            .collect();
        let _ = writeln!(
            text,
            "# The load balancers' and the distribution's certificates; adopted (each must cover the api and web names) with:\n\
             #     spec:\n\
             #       domain: {{adoptCertificates: {{{}}}}}",
            fields.join(", ")
        );
    }
    if let Some(b) = &found.backup {
        let fields: Vec<String> =
            [("primaryVault", &b.primary_vault), ("standbyVault", &b.standby_vault), ("plan", &b.plan)]
                .into_iter()
                .filter_map(|(k, v)| v.as_ref().map(|x| format!("{k}: {x}")))
                .collect();
        let _ = writeln!(
            text,
            "# The backup plan copying to the standby region, with its vaults; adopted with:\n\
             #     spec:\n\
             #       backup: {{adopt: {{{}}}}}",
            fields.join(", ")
        );
    }
    for guess in &found.guesses {
        let _ = writeln!(text, "# Guessed, check: {guess}");
    }
    for undecided in &found.undecided {
        let _ = writeln!(text, "# Undecided: {undecided}");
    }
    let mut spec = serde_json::Map::new();
    for (i, (key, region)) in [("primary", regions[0]), ("standby", regions[1])].into_iter().enumerate() {
        match &found.networks[i] {
            Some(network) => {
                spec.insert(key.into(), json!({"region": region, "existing": network}));
            }
            None => {
                let _ =
                    writeln!(text, "# spec.{key}: no network decided in {region}; give existing (or vpcCidr) by hand");
                spec.insert(key.into(), json!({"region": region}));
            }
        }
    }
    // Observe first: review the status, then switch to Manage.
    spec.insert("managementPolicy".into(), json!("Observe"));
    let pair = json!({
        "apiVersion": API_VERSION,
        "kind": "RegionPair",
        "metadata": {"name": name},
        "spec": spec,
    });
    text.push_str(&serde_yaml::to_string(&pair).unwrap_or_default());
    text
}
