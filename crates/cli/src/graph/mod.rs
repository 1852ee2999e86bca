//! `graph`: the architecture of a stack, drawn as Mermaid, DOT or SVG (the
//! SVG laid out here, no external tool). The two regions side by side, the
//! tiers as rows, the global services on top; every resource of the plan is
//! named (with its AWS ID when live), coloured by health, drift marked, and
//! the active path (which region serves, which database writes) highlighted.
//!
//! `layout` places the topology's resources (with their live IDs and
//! health) into the picture's columns, rows and groups; `render` draws that
//! picture as Mermaid, Graphviz or SVG.

mod layout;
mod render;

pub use layout::{Column, Diagram, Group, Health, Item, Live, diagram};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Mermaid,
    Dot,
    Svg,
}

/// The diagrams of the manifests' stacks: live (observing AWS) or from the
/// manifests alone. `only` picks one stack by `namespace/name` or `name`.
pub async fn diagrams(
    aws: Option<&std::sync::Arc<warmstandby_aws::AwsContext>>,
    checked: &crate::check::Checked,
    only: Option<&str>,
) -> Result<Vec<Diagram>, String> {
    use warmstandby_controller::{Intent, now_rfc3339, stack};
    let pairs = match aws {
        Some(aws) => match crate::standalone::observed_pairs(aws, checked).await {
            (_, Some(e)) => return Err(e),
            (pairs, None) => pairs,
        },
        None => Vec::new(),
    };
    let mut out = Vec::new();
    for (st, validated) in checked.set.stacks.iter().zip(&checked.stacks) {
        let id = crate::manifests::object_id(st);
        if only.is_some_and(|o| !crate::standalone::matches(st, o)) {
            continue;
        }
        let title = format!("ThreeTierStack {id}");
        let topology = warmstandby_core::desired::stack_topology(validated).map_err(|e| format!("{title}: {e}"))?;
        let diagram = match aws {
            None => diagram(&title, &topology, st.spec.active_region, None),
            Some(aws) => {
                let pair = crate::standalone::pair_of(&pairs, st);
                let inputs = checked.set.stack_inputs_on(st, pair);
                let outcome = stack::reconcile(aws, inputs, Intent::Observe, &now_rfc3339()).await;
                if let Some(e) = outcome.errors.first() {
                    return Err(format!("{title}: {}", crate::explain(e)));
                }
                let live = Live { pair: pair.and_then(|p| p.status.as_ref()), stack: &outcome.status };
                diagram(&title, &topology, st.spec.active_region, Some(&live))
            }
        };
        out.push(diagram);
    }
    if out.is_empty() {
        return Err(match only {
            Some(o) => format!("no ThreeTierStack {o:?} in the manifests"),
            None => "no ThreeTierStack in the manifests to draw".into(),
        });
    }
    Ok(out)
}
