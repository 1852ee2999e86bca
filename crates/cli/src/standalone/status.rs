//! `status` without a cluster: one observation of each object, as a table or JSON/YAML.

use super::*;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StatusItem {
    api_version: &'static str,
    kind: &'static str,
    metadata: ItemMeta,
    status: serde_json::Value,
}

#[derive(Serialize)]
struct ItemMeta {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uid: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StatusList {
    api_version: &'static str,
    kind: &'static str,
    items: Vec<StatusItem>,
}

fn item<K: kube::Resource<DynamicType = ()>>(obj: &K, status: serde_json::Value) -> StatusItem {
    let meta = obj.meta();
    StatusItem {
        api_version: API_VERSION,
        kind: if K::kind(&()) == "RegionPair" { "RegionPair" } else { "ThreeTierStack" },
        metadata: ItemMeta {
            name: meta.name.clone().unwrap_or_default(),
            namespace: meta.namespace.clone(),
            uid: meta.uid.clone(),
        },
        status,
    }
}

/// Observes every object and prints the status the operator would write.
pub async fn status(
    aws: &Arc<AwsContext>,
    checked: &Checked,
    format: OutputFormat,
    style: crate::style::Style,
    out: &mut dyn Write,
) -> u8 {
    let mut items = Vec::new();
    let mut text = String::new();
    let mut code = 0;
    let mut pairs: Vec<RegionPair> = Vec::new();
    for pair in &checked.set.region_pairs {
        let outcome = region_pair::reconcile(
            &*aws.for_role(pair.spec.role_arn.as_deref()).await,
            pair,
            Intent::Observe,
            &now_rfc3339(),
        )
        .await;
        if !outcome.errors.is_empty() {
            code = crate::EXIT_FAILURE;
        }
        text.push_str(&crate::status_view::pair(style, pair, &outcome.status));
        text.push('\n');
        items.push(item(pair, serde_json::to_value(&outcome.status).unwrap_or_default()));
        let mut observed = pair.clone();
        observed.status = Some(outcome.status);
        pairs.push(observed);
    }
    for st in &checked.set.stacks {
        let inputs = checked.set.stack_inputs_on(st, pair_of(&pairs, st));
        let outcome = stack::reconcile(aws, inputs, Intent::Observe, &now_rfc3339()).await;
        if !outcome.errors.is_empty() {
            code = crate::EXIT_FAILURE;
        }
        text.push_str(&crate::status_view::stack(style, st, &outcome.status));
        text.push('\n');
        items.push(item(st, serde_json::to_value(&outcome.status).unwrap_or_default()));
    }
    let list = StatusList { api_version: "v1", kind: "List", items };
    let rendered = match format {
        OutputFormat::Json => serde_json::to_string_pretty(&list).map(|s| s + "\n").map_err(|e| e.to_string()),
        OutputFormat::Yaml => serde_yaml::to_string(&list).map_err(|e| e.to_string()),
        OutputFormat::Text => Ok(text),
    };
    match rendered {
        Ok(t) => {
            let _ = out.write_all(t.as_bytes());
            code
        }
        Err(e) => {
            let _ = writeln!(out, "error: {e}");
            crate::EXIT_FAILURE
        }
    }
}
