//! How long AWS typically takes for the slow changes a move waits on: one
//! table, `emulator/aws_timings.json`, that the local emulator times AWS
//! with and that the drill's predicted RTO and the move's step deadlines
//! read, so prediction and emulation cannot disagree silently. Each entry
//! carries its source (AWS documentation or a published measurement).

use std::collections::BTreeMap;
use std::sync::OnceLock;

const TABLE: &str = include_str!("../../../emulator/aws_timings.json");

#[derive(serde::Deserialize)]
struct Entry {
    seconds: f64,
}

fn table() -> &'static BTreeMap<String, i64> {
    static PARSED: OnceLock<BTreeMap<String, i64>> = OnceLock::new();
    PARSED.get_or_init(|| {
        let raw: BTreeMap<String, serde_json::Value> = serde_json::from_str(TABLE).unwrap_or_default();
        raw.into_iter()
            .filter_map(|(k, v)| serde_json::from_value::<Entry>(v).ok().map(|e| (k, e.seconds.round() as i64)))
            .collect()
    })
}

/// AWS's typical seconds for `key` (0 for a key the table lacks; a test
/// checks that every key the operator asks for is there).
pub fn typical(key: &str) -> i64 {
    table().get(key).copied().unwrap_or(0)
}

/// The keys the operator reads.
pub const USED: [&str; 5] =
    ["rds.promote_read_replica", "ec2.instance.launch", "elbv2.target.healthy", "route53.change", "cloudfront.deploy"];

#[cfg(test)]
mod tests {
    #[test]
    fn every_key_the_operator_reads_is_in_the_table_with_a_source() {
        let raw: std::collections::BTreeMap<String, serde_json::Value> =
            serde_json::from_str(super::TABLE).expect("emulator/aws_timings.json is JSON");
        for key in super::USED {
            let entry = raw.get(key).unwrap_or_else(|| panic!("{key} is missing from emulator/aws_timings.json"));
            assert!(super::typical(key) > 0, "{key} has no positive duration");
            assert!(entry.get("source").and_then(|s| s.as_str()).is_some_and(|s| !s.is_empty()), "{key} has no source");
        }
    }
}
