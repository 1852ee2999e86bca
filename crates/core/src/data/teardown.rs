//! Deleting a stack's data tier in both regions, in the reverse of creation.

use crate::data::actions::DatabaseAction;
use crate::data::desired::DesiredDataTier;
use crate::data::observed::{ObservedDataTier, ObservedDatabase};
use crate::data::plan::DataPlan;
use crate::families::security_groups::{GroupsAround, ObservedSecurityGroup, retained_database_waits};

/// Plans deletion of both regions' data tiers, in the reverse of creation:
/// replica before writer (the writer's protection lifted, a final snapshot
/// taken unless disabled), then the subnet groups.
///
/// A retained database (`retain_database`) is left running with the subnet
/// group of ours it uses (and the security groups, by their family), and
/// our tags come off all of them; what no longer has our tags is no longer
/// observed, and the rest of the teardown goes on around it. It is left
/// once its security groups (`groups`, the security groups family's) name
/// none of ours that go: once released, a group is no longer ours to change.
/// `kept_groups` are groups of ours that what other tiers leave in place uses.
pub fn plan_data_teardown(
    regions: [(&DesiredDataTier, &ObservedDataTier); 2],
    snapshot_suffix: &str,
    groups: [&[ObservedSecurityGroup]; 2],
    kept_groups: [&[String]; 2],
) -> DataPlan {
    let mut plan = DataPlan::default();
    let replicas_left = regions.iter().any(|(_, o)| o.databases.iter().any(ObservedDatabase::is_replica));
    for (i, (d, o)) in regions.iter().enumerate() {
        let around = GroupsAround {
            kept: kept_groups[i],
            databases: &o.databases,
            retain_databases: d.retain_database,
            ..Default::default()
        };
        let mut push = |a: DatabaseAction| plan.actions.push((d.role, a));
        for db in o.databases.iter().filter(|_| d.retain_database) {
            if retained_database_waits(groups[i], db, &around) {
                plan.waiting.push(format!("{} is left once its security group names none of ours", db.identifier));
                continue;
            }
            push(DatabaseAction::ReleaseDatabase { identifier: db.identifier.clone(), arn: db.arn.clone() });
            for g in o.db_subnet_groups.iter().filter(|g| db.subnet_group.as_deref() == Some(g.name.as_str())) {
                push(DatabaseAction::ReleaseDbSubnetGroup { name: g.name.clone(), arn: g.arn.clone() });
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
                    push(DatabaseAction::UnprotectDatabase { identifier: db.identifier.clone() });
                } else {
                    let snapshot = (!db.is_replica() && d.final_snapshot)
                        .then(|| format!("{}-final-{snapshot_suffix}", db.identifier));
                    push(DatabaseAction::DeleteDatabase {
                        identifier: db.identifier.clone(),
                        final_snapshot: snapshot,
                    });
                }
            }
        }
        if o.databases.is_empty() {
            for g in &o.db_subnet_groups {
                push(DatabaseAction::DeleteDbSubnetGroup { name: g.name.clone() });
            }
        }
    }
    plan
}

impl ObservedDataTier {
    pub fn is_empty(&self) -> bool {
        self.db_subnet_groups.is_empty() && self.databases.is_empty()
    }

    pub fn live_count(&self) -> usize {
        self.db_subnet_groups.len() + self.databases.len()
    }
}
