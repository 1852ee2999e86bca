//! Deleting a stack's data tier in both regions, in the reverse of creation.

use crate::data::actions::{DataAction, DatabaseAction, SecurityGroupAction};
use crate::data::desired::DesiredDataTier;
use crate::data::observed::{ObservedDataTier, ObservedDatabase};
use crate::data::plan::DataPlan;

/// Plans deletion of both regions' data tiers, in the reverse of creation:
/// replica before writer (the
/// writer's protection lifted, a final snapshot taken unless disabled),
/// subnet groups, then security groups after their cross-references are
/// revoked.
///
/// `hold_groups` keeps the security groups while other tiers (load
/// balancers, instances of auto scaling groups) still use them;
/// `instances_left` (per region) while instances of ours (the bastion
/// family's) are not terminated yet.
///
/// A retained database (`retain_database`) is left running with the subnet
/// group and security groups of ours it uses, and our tags come off all of
/// them; what no longer has our tags is no longer observed, and the rest
/// of the teardown goes on around it.
///
/// `kept_groups` are groups of ours that what other tiers leave in place
/// uses (an adopted tier's load balancer and servers): released the same
/// way, keeping their rules that name kept groups.
pub fn plan_data_teardown(
    regions: [(&DesiredDataTier, &ObservedDataTier); 2],
    snapshot_suffix: &str,
    hold_groups: bool,
    kept_groups: [&[String]; 2],
    instances_left: [bool; 2],
) -> DataPlan {
    let mut plan = DataPlan::default();
    let replicas_left = regions.iter().any(|(_, o)| o.databases.iter().any(ObservedDatabase::is_replica));
    for (i, (d, o)) in regions.iter().enumerate() {
        let mut kept: Vec<&str> = kept_groups[i].iter().map(String::as_str).collect();
        if d.retain_database {
            kept.extend(o.databases.iter().flat_map(|db| db.security_group_ids.iter().map(String::as_str)));
        }
        // A kept group's rule naming a group that goes (or one not ours) is revoked; among kept ones it stays.
        let goes =
            |group: &str, named: Option<&str>| !kept.contains(&group) || named.is_some_and(|n| !kept.contains(&n));
        let mut push = |a: DataAction| plan.actions.push((d.role, a));
        for db in o.databases.iter().filter(|_| d.retain_database) {
            // Its groups' rules that name our other groups go first (below):
            // once released, a group is no longer ours to change.
            let groups: Vec<_> = o.security_groups.iter().filter(|g| db.security_group_ids.contains(&g.id)).collect();
            if groups
                .iter()
                .any(|g| g.ingress.iter().any(|r| r.group_id.is_some() && goes(&g.id, r.group_id.as_deref())))
            {
                plan.waiting.push(format!("{} is left once its security group names none of ours", db.identifier));
                continue;
            }
            push(DatabaseAction::ReleaseDatabase { identifier: db.identifier.clone(), arn: db.arn.clone() }.into());
            for g in o.db_subnet_groups.iter().filter(|g| db.subnet_group.as_deref() == Some(g.name.as_str())) {
                push(DatabaseAction::ReleaseDbSubnetGroup { name: g.name.clone(), arn: g.arn.clone() }.into());
            }
            for g in groups {
                push(SecurityGroupAction::ReleaseGroup { group_id: g.id.clone() }.into());
            }
        }
        for db in o.databases.iter().filter(|_| !d.retain_database) {
            if db.status == "deleting" {
                plan.waiting.push(format!("database {} is deleting", db.identifier));
                continue;
            }
            // Replicas go first; the writer keeps its data in a final snapshot
            // unless the spec says otherwise.
            if db.is_replica() || !replicas_left {
                if db.deletion_protection {
                    push(DatabaseAction::UnprotectDatabase { identifier: db.identifier.clone() }.into());
                } else {
                    let snapshot = (!db.is_replica() && d.final_snapshot)
                        .then(|| format!("{}-final-{snapshot_suffix}", db.identifier));
                    push(
                        DatabaseAction::DeleteDatabase { identifier: db.identifier.clone(), final_snapshot: snapshot }
                            .into(),
                    );
                }
            }
        }
        let instances_left = instances_left[i];
        if o.databases.is_empty() {
            for g in &o.db_subnet_groups {
                push(DatabaseAction::DeleteDbSubnetGroup { name: g.name.clone() }.into());
            }
        }
        // Revoke every rule that references a group first; delete groups once
        // nothing (rules, instances, databases) uses them.
        let mut referencing = false;
        for g in &o.security_groups {
            for rule in g.ingress.iter().filter(|r| r.group_id.is_some() && goes(&g.id, r.group_id.as_deref())) {
                referencing = true;
                push(SecurityGroupAction::RevokeIngress { group_id: g.id.clone(), rule: rule.clone() }.into());
            }
        }
        let database_groups: Vec<&String> = o.databases.iter().flat_map(|db| &db.security_group_ids).collect();
        if !referencing {
            for g in o.security_groups.iter().filter(|g| kept_groups[i].contains(&g.id)) {
                // The retained database's groups are released with it, above.
                if !(d.retain_database && database_groups.contains(&&g.id)) {
                    push(SecurityGroupAction::ReleaseGroup { group_id: g.id.clone() }.into());
                }
            }
        }
        let deleted = || o.security_groups.iter().filter(|g| !kept.contains(&g.id.as_str()));
        if hold_groups {
            plan.waiting.push("security groups wait for the load balancers and servers to go".into());
        } else if !referencing && !instances_left && o.databases.is_empty() {
            for g in deleted() {
                push(SecurityGroupAction::DeleteSecurityGroup { group_id: g.id.clone() }.into());
            }
        }
    }
    plan
}

impl ObservedDataTier {
    pub fn is_empty(&self) -> bool {
        self.security_groups.is_empty() && self.db_subnet_groups.is_empty() && self.databases.is_empty()
    }

    pub fn live_count(&self) -> usize {
        self.security_groups.len() + self.db_subnet_groups.len() + self.databases.len()
    }
}
