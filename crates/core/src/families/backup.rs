//! The backup family: a vault in each region and, in the primary, a plan
//! whose daily rule backs the stack's tagged resources up to the primary's
//! vault and copies each recovery point to the standby's, with the selection
//! that picks them. The vaults and plan `spec.backup.adopt` names are
//! adopted (refused by field when missing or someone else's); teardown
//! deletes the stack's selection, then the plan, then the vaults, releasing
//! what was adopted or is retained (`spec.backup.deletionPolicy: Retain`)
//! and the vaults a plan that stays still uses.

use warmstandby_api::{DriftItem, RegionRole, ThreeTierStackStatus};

use crate::families::{Adopted, Neighbours, ResourceFamily};
use crate::family::{Effect, Family, FamilyAction};
use crate::identity::{Claim, adoption_refused};
use crate::placement::Placement;
use crate::plan::{Place, Plan};
use crate::resource::{ADOPTED, Kind, Resource, Scope};
use crate::validate::ValidatedStack;

/// The backup family on the seam.
pub struct Backup;

/// One region's part: its vault and (in the primary) the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredBackups {
    pub role: RegionRole,
    pub region: String,
    /// The region's vault: ours, or the one `spec.backup.adopt` names
    /// (`None` without `spec.backup.enabled`).
    pub vault: Option<String>,
    /// `vault` names an existing vault to adopt, never one to create.
    pub adopt_vault: bool,
    /// `spec.backup.deletionPolicy: Retain`: the vaults and the plan are left
    /// in place, untagged, when the stack is deleted.
    pub retain: bool,
    /// In the primary region only.
    pub plan: Option<DesiredBackupPlan>,
}

impl DesiredBackups {
    /// Whose a vault or plan is must be read from its tags: something is
    /// named for adoption, or kept on deletion (a teardown releases it and
    /// must then see it released). Otherwise one found by our name is ours.
    pub fn reads_claims(&self) -> bool {
        self.adopt_vault || self.retain || self.plan.as_ref().is_some_and(|p| p.adopt.is_some())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredBackupPlan {
    pub name: String,
    pub schedule: String,
    pub retention_days: i32,
    /// Vault name in the standby region that recovery points are copied to.
    pub copy_to_vault: String,
    pub copy_to_region: String,
    pub selection_name: String,
    /// Role for the selection; `None`: the account's AWSBackupDefaultServiceRole.
    pub iam_role_arn: Option<String>,
    /// An existing plan to adopt (`spec.backup.adopt.plan`), by ID: it keeps its name.
    pub adopt: Option<String>,
    /// The value of the stack tag (`namespace/name`) the selection picks
    /// the stack's resources by.
    pub selects: String,
}

pub fn desired_backups(stack: &ValidatedStack, role: RegionRole) -> DesiredBackups {
    let spec = &stack.spec;
    let adopt = spec.backup.adopt.as_ref();
    let named = |role: RegionRole| {
        adopt.and_then(|a| if role == RegionRole::Primary { a.primary_vault.clone() } else { a.standby_vault.clone() })
    };
    let vault_of = |role: RegionRole| named(role).unwrap_or_else(|| stack.aws_name("vault", 50));
    let plan = (spec.backup.enabled && role == RegionRole::Primary).then(|| DesiredBackupPlan {
        name: stack.aws_name("plan", 50),
        schedule: spec.backup.schedule.clone(),
        retention_days: spec.backup.retention_days,
        copy_to_vault: vault_of(RegionRole::Standby),
        copy_to_region: stack.pair.standby.region.clone(),
        selection_name: stack.aws_name("servers", 50),
        iam_role_arn: spec.backup.iam_role_arn.clone(),
        adopt: adopt.and_then(|a| a.plan.clone()),
        selects: format!("{}/{}", stack.namespace, stack.name),
    });
    DesiredBackups {
        role,
        region: stack.pair.region(role).region.clone(),
        vault: spec.backup.enabled.then(|| vault_of(role)),
        adopt_vault: spec.backup.enabled && named(role).is_some(),
        retain: warmstandby_api::DeletionPolicy::retains(spec.backup.deletion_policy),
        plan,
    }
}

/// One region's vaults and plans found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedBackups {
    pub vaults: Vec<ObservedBackupVault>,
    pub plans: Vec<ObservedBackupPlan>,
}

impl ObservedBackups {
    /// The ARN of our vault of this name (a vault named for adoption is used once adopted).
    fn vault_arn(&self, name: &str) -> Option<String> {
        self.vaults.iter().find(|v| v.name == name && v.claim.is_ours()).map(|v| v.arn.clone())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedBackupVault {
    pub name: String,
    pub arn: String,
    /// Read from its tags when `spec.backup.adopt` names it.
    pub claim: Claim,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedBackupPlan {
    pub id: String,
    pub arn: String,
    pub name: String,
    pub schedule: String,
    pub retention_days: Option<i64>,
    /// The vault its (first) rule backs up to.
    pub target_vault: String,
    pub copy_to_vault_arn: Option<String>,
    /// (ID, name).
    pub selections: Vec<(String, String)>,
    /// Read from its tags when `spec.backup.adopt.plan` names it.
    pub claim: Claim,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BackupAction {
    CreateBackupVault {
        name: String,
    },
    DeleteBackupVault {
        name: String,
    },
    CreateBackupPlan {
        name: String,
        schedule: String,
        retention_days: i32,
        /// The region's vault its rule backs up to.
        vault: String,
        copy_to_vault_arn: String,
    },
    UpdateBackupPlan {
        plan_id: String,
        name: String,
        schedule: String,
        retention_days: i32,
        vault: String,
        copy_to_vault_arn: String,
    },
    CreateBackupSelection {
        plan_id: String,
        name: String,
        iam_role_arn: String,
    },
    DeleteBackupSelection {
        plan_id: String,
        selection_id: String,
    },
    DeleteBackupPlan {
        plan_id: String,
    },
    /// Takes an existing vault (`spec.backup.adopt`) as ours: tags it.
    AdoptBackupVault {
        name: String,
        arn: String,
    },
    /// Leaves a vault in place, untagged: adopted, or used by a plan that stays.
    ReleaseBackupVault {
        name: String,
        arn: String,
    },
    /// Takes an existing plan (`spec.backup.adopt.plan`) as ours: tags it.
    AdoptBackupPlan {
        plan_id: String,
        arn: String,
    },
    /// Leaves an adopted plan in place, untagged (the stack's selection deleted first).
    ReleaseBackupPlan {
        plan_id: String,
        arn: String,
    },
}

impl FamilyAction for BackupAction {
    fn effect(&self) -> (Effect, Kind) {
        use BackupAction as A;
        match self {
            A::CreateBackupVault { .. } => (Effect::Create, Kind::BackupVault),
            A::DeleteBackupVault { .. } => (Effect::Delete, Kind::BackupVault),
            A::CreateBackupPlan { .. } => (Effect::Create, Kind::BackupPlan),
            A::UpdateBackupPlan { .. } => (Effect::Update, Kind::BackupPlan),
            A::CreateBackupSelection { .. } => (Effect::Create, Kind::BackupSelection),
            A::DeleteBackupSelection { .. } => (Effect::Delete, Kind::BackupSelection),
            A::DeleteBackupPlan { .. } => (Effect::Delete, Kind::BackupPlan),
            A::AdoptBackupVault { .. } => (Effect::Adopt, Kind::BackupVault),
            A::ReleaseBackupVault { .. } => (Effect::Release, Kind::BackupVault),
            A::AdoptBackupPlan { .. } => (Effect::Adopt, Kind::BackupPlan),
            A::ReleaseBackupPlan { .. } => (Effect::Release, Kind::BackupPlan),
        }
    }

    fn describe(&self) -> String {
        match self {
            BackupAction::CreateBackupVault { name } => format!("create backup vault {name}"),
            BackupAction::DeleteBackupVault { name } => format!("delete backup vault {name}"),
            BackupAction::CreateBackupPlan { name, .. } => format!("create backup plan {name}"),
            BackupAction::UpdateBackupPlan { name, .. } => format!("update backup plan {name}"),
            BackupAction::CreateBackupSelection { name, .. } => format!("create backup selection {name}"),
            BackupAction::DeleteBackupSelection { selection_id, .. } => {
                format!("delete backup selection {selection_id}")
            }
            BackupAction::DeleteBackupPlan { plan_id } => format!("delete backup plan {plan_id}"),
            BackupAction::AdoptBackupVault { name, .. } => format!("adopt backup vault {name}"),
            BackupAction::ReleaseBackupVault { name, .. } => format!("leave backup vault {name} in place, untagged"),
            BackupAction::AdoptBackupPlan { plan_id, .. } => format!("adopt backup plan {plan_id}"),
            BackupAction::ReleaseBackupPlan { plan_id, .. } => {
                format!("leave backup plan {plan_id} in place, untagged")
            }
        }
    }
}

/// The backup family's plan: each action with the region it runs in.
pub type BackupPlan = Plan<(Place, BackupAction)>;

/// One region's vault, plan and selection; those `spec.backup.adopt` names
/// are adopted first (refused by field when missing or someone else's).
/// `copy_arn`: the ARN of the standby's vault, once it is ours.
pub fn plan_backups(d: &DesiredBackups, o: &ObservedBackups, copy_arn: Option<String>) -> BackupPlan {
    let mut plan = BackupPlan::default();
    let region = d.region.as_str();
    let at = Place::Region(d.role);
    let vault_ready = d.vault.as_ref().is_some_and(|vault| plan_backup_vault(&mut plan, d, o, vault));
    let (Some(p), Some(vault)) = (&d.plan, &d.vault) else { return plan };
    let have = match &p.adopt {
        Some(id) => o.plans.iter().find(|x| x.id == *id),
        None => o.plans.iter().find(|x| x.name == p.name),
    };
    if let Some(id) = &p.adopt {
        let (what, place) = (format!("backup plan {id}"), format!(" in {region}"));
        if let Some(why) = adoption_refused("spec.backup.adopt.plan", &what, &place, have.map(|h| &h.claim)) {
            plan.blocked.push(why);
            return plan;
        }
        if let Some(h) = have.filter(|h| !h.claim.is_ours()) {
            plan.push(at, BackupAction::AdoptBackupPlan { plan_id: h.id.clone(), arn: h.arn.clone() });
            // Its differences show now and are changed once it is ours.
            plan.drift.extend(backup_plan_drift(region, vault, p, h, copy_arn.as_deref()));
            return plan;
        }
    }
    match (have, copy_arn, vault_ready) {
        (None, Some(arn), true) => plan.push(
            at,
            BackupAction::CreateBackupPlan {
                name: p.name.clone(),
                schedule: p.schedule.clone(),
                retention_days: p.retention_days,
                vault: vault.clone(),
                copy_to_vault_arn: arn,
            },
        ),
        (None, _, _) => plan.waiting.push("the backup plan waits for both vaults".into()),
        (Some(h), arn, _) => {
            let drift = backup_plan_drift(region, vault, p, h, arn.as_deref());
            if !drift.is_empty()
                && let Some(arn) = arn.clone()
            {
                plan.push(
                    at,
                    BackupAction::UpdateBackupPlan {
                        plan_id: h.id.clone(),
                        // An adopted plan keeps its name.
                        name: h.name.clone(),
                        schedule: p.schedule.clone(),
                        retention_days: p.retention_days,
                        vault: vault.clone(),
                        copy_to_vault_arn: arn,
                    },
                );
            }
            plan.drift.extend(drift);
            let role = p.iam_role_arn.clone().or_else(|| arn.as_deref().and_then(default_backup_role));
            match (h.selections.iter().any(|(_, n)| *n == p.selection_name), role) {
                (true, _) => {}
                (false, Some(iam_role_arn)) => plan.push(
                    at,
                    BackupAction::CreateBackupSelection {
                        plan_id: h.id.clone(),
                        name: p.selection_name.clone(),
                        iam_role_arn,
                    },
                ),
                (false, None) => plan.waiting.push("the backup selection waits for the standby vault".into()),
            }
        }
    }
    plan
}

/// The region's vault: created, adopted or refused. True once it is ours.
fn plan_backup_vault(plan: &mut BackupPlan, d: &DesiredBackups, o: &ObservedBackups, vault: &str) -> bool {
    let region = d.region.as_str();
    let at = Place::Region(d.role);
    let field = if d.role == RegionRole::Primary { "primaryVault" } else { "standbyVault" };
    let found = o.vaults.iter().find(|v| v.name == vault);
    match (found, d.adopt_vault) {
        (Some(v), _) if v.claim.is_ours() => true,
        (None, false) => {
            plan.push(at, BackupAction::CreateBackupVault { name: vault.to_string() });
            false
        }
        // Ours by name and not ours by its tags (read while retained): never adopted unless named.
        (Some(_), false) => {
            plan.blocked
                .push(format!("backup vault {vault} in {region} exists and is not this stack's; it is left alone"));
            false
        }
        (found, true) => {
            let (path, what) = (format!("spec.backup.adopt.{field}"), format!("backup vault {vault}"));
            match (adoption_refused(&path, &what, &format!(" in {region}"), found.map(|v| &v.claim)), found) {
                (Some(why), _) => plan.blocked.push(why),
                (None, Some(v)) => {
                    plan.push(at, BackupAction::AdoptBackupVault { name: v.name.clone(), arn: v.arn.clone() })
                }
                (None, None) => {}
            }
            false
        }
    }
}

/// Where the plan `h` differs from the spec's `p` (backing up to `vault`).
fn backup_plan_drift(
    region: &str,
    vault: &str,
    p: &DesiredBackupPlan,
    h: &ObservedBackupPlan,
    copy_arn: Option<&str>,
) -> Vec<DriftItem> {
    let mut drift = Vec::new();
    let mut item = |field: &str, want: &str, have: &str| {
        if want != have {
            drift.push(DriftItem::new(region, "BackupPlan", &h.id, field, want, have));
        }
    };
    item("schedule", &p.schedule, &h.schedule);
    let retention = h.retention_days.map(|d| d.to_string()).unwrap_or_else(|| "none".into());
    item("retentionDays", &p.retention_days.to_string(), &retention);
    item("vault", vault, &h.target_vault);
    if let Some(arn) = copy_arn {
        item("copyTo", arn, h.copy_to_vault_arn.as_deref().unwrap_or("none"));
    }
    drift
}

/// `arn:<partition>:iam::<account>:role/service-role/AWSBackupDefaultServiceRole`
/// for the account of a vault ARN (`arn:<partition>:backup:<region>:<account>:...`).
pub fn default_backup_role(vault_arn: &str) -> Option<String> {
    let parts: Vec<&str> = vault_arn.split(':').collect();
    match parts.as_slice() {
        ["arn", partition, "backup", _, account, ..] if !account.is_empty() => {
            Some(format!("arn:{partition}:iam::{account}:role/service-role/AWSBackupDefaultServiceRole"))
        }
        _ => None,
    }
}

/// Deleting both regions' backups: the stack's selection, then its plan,
/// then the vaults once no plan the stack deletes is left. An adopted plan
/// stays with its own selections; a plan that stays (adopted, or released
/// already) keeps the vaults it backs up to and copies to, released.
pub fn plan_backup_teardown(desired: &[DesiredBackups; 2], observed: &[ObservedBackups; 2]) -> BackupPlan {
    let mut plan = BackupPlan::default();
    let deleted_plans_left = observed.iter().any(|o| o.plans.iter().any(|p| p.claim == Claim::Created));
    for (d, o) in desired.iter().zip(observed) {
        let at = Place::Region(d.role);
        let our_selection = d.plan.as_ref().map(|p| p.selection_name.as_str());
        for p in o.plans.iter().filter(|p| p.claim.is_ours()) {
            let adopted = p.claim.adopted_at().is_some();
            let ours: Vec<&String> = p
                .selections
                .iter()
                .filter(|(_, name)| !adopted || Some(name.as_str()) == our_selection)
                .map(|(id, _)| id)
                .collect();
            for id in &ours {
                plan.push(
                    at,
                    BackupAction::DeleteBackupSelection { plan_id: p.id.clone(), selection_id: (*id).clone() },
                );
            }
            match (ours.is_empty(), adopted) {
                (true, true) => {
                    plan.push(at, BackupAction::ReleaseBackupPlan { plan_id: p.id.clone(), arn: p.arn.clone() })
                }
                (true, false) => plan.push(at, BackupAction::DeleteBackupPlan { plan_id: p.id.clone() }),
                (false, _) => {}
            }
        }
        let kept_vault = |v: &ObservedBackupVault| {
            desired.iter().zip(observed).any(|(pd, po)| {
                po.plans.iter().filter(|p| p.claim != Claim::Created).any(|p| {
                    (pd.region == d.region && p.target_vault == v.name)
                        || p.copy_to_vault_arn.as_deref() == Some(&v.arn)
                })
            })
        };
        for v in o.vaults.iter().filter(|v| v.claim.is_ours()) {
            if v.claim.adopted_at().is_some() || kept_vault(v) {
                plan.push(at, BackupAction::ReleaseBackupVault { name: v.name.clone(), arn: v.arn.clone() });
            } else if !deleted_plans_left {
                plan.push(at, BackupAction::DeleteBackupVault { name: v.name.clone() });
            }
        }
    }
    plan
}

impl ResourceFamily for Backup {
    const FAMILY: Family = Family::Backup;
    /// Primary first.
    type Desired = [DesiredBackups; 2];
    /// Per region (primary first): the vault found by its name, the plan by
    /// its name or, adopted, its ID.
    type Observed = [ObservedBackups; 2];
    type Action = BackupAction;

    /// Each region's vault and the primary's plan (its selection is named by it).
    fn live_id(r: &Resource, status: &ThreeTierStackStatus) -> Option<Option<String>> {
        let st = super::regional(r, status)?;
        match r.kind {
            Kind::BackupVault => Some(st.and_then(|s| s.backup_vault_name.clone())),
            Kind::BackupPlan => Some(status.global.as_ref().and_then(|g| g.backup_plan_id.clone())),
            _ => None,
        }
    }

    fn desired(stack: &ValidatedStack, _placement: &Placement) -> [DesiredBackups; 2] {
        RegionRole::BOTH.map(|role| desired_backups(stack, role))
    }

    /// Each region's vault at the end of the data resources that follow its
    /// database (its private zone and record); the plan and selection, in
    /// the primary, last.
    fn topology(desired: &[DesiredBackups; 2], out: &mut Vec<Resource>) {
        for d in desired {
            let Some(vault) = &d.vault else { continue };
            let scope = Scope::Region { role: d.role, region: d.region.clone() };
            let r = Resource::new(&scope, "backup-vault", Kind::BackupVault, vault.clone());
            let r = match (d.adopt_vault, d.role) {
                (true, RegionRole::Primary) => r.prop(ADOPTED, "spec.backup.adopt.primaryVault"),
                (true, RegionRole::Standby) => r.prop(ADOPTED, "spec.backup.adopt.standbyVault"),
                (false, _) => r.prop("encrypted", true),
            };
            let at = crate::families::after_region_data(out, d.role);
            out.insert(at, r);
        }
        let [primary, standby] = desired;
        let Some(plan) = &primary.plan else { return };
        let scope = Scope::Region { role: primary.role, region: primary.region.clone() };
        let vault_key = |d: &DesiredBackups| format!("{}/backup-vault", d.role.as_str());
        out.push(
            match &plan.adopt {
                Some(id) => Resource::new(&scope, "backup-plan", Kind::BackupPlan, id.clone())
                    .prop(ADOPTED, "spec.backup.adopt.plan"),
                None => Resource::new(&scope, "backup-plan", Kind::BackupPlan, plan.name.clone()),
            }
            .prop("schedule", &plan.schedule)
            .prop("retentionDays", plan.retention_days)
            .prop("copyTo", format!("{} ({})", plan.copy_to_vault, plan.copy_to_region))
            .dep(vault_key(primary))
            .dep(vault_key(standby)),
        );
        out.push(
            Resource::new(&scope, "backup-selection", Kind::BackupSelection, plan.selection_name.clone())
                .prop("resources", format!("instances tagged {}={}", warmstandby_api::TAG_STACK, plan.selects))
                .dep(format!("{}/backup-plan", primary.role.as_str())),
        );
    }

    /// The copy goes to the standby's vault (the ARN known once it is ours).
    fn plan(desired: &[DesiredBackups; 2], observed: &[ObservedBackups; 2], _around: &Neighbours<'_>) -> BackupPlan {
        let mut plan = BackupPlan::default();
        for (d, o) in desired.iter().zip(observed) {
            let copy_arn =
                d.plan.as_ref().and_then(|p| observed[RegionRole::Standby.index()].vault_arn(&p.copy_to_vault));
            plan.append(plan_backups(d, o, copy_arn));
        }
        plan
    }

    fn teardown(
        desired: &[DesiredBackups; 2],
        observed: &[ObservedBackups; 2],
        _around: &Neighbours<'_>,
    ) -> BackupPlan {
        plan_backup_teardown(desired, observed)
    }

    fn hold_retained(desired: &[DesiredBackups; 2], observed: &mut [ObservedBackups; 2]) {
        for (d, o) in desired.iter().zip(observed.iter_mut()) {
            if d.retain {
                o.vaults.iter_mut().for_each(|v| crate::retention::hold(&mut v.claim));
                o.plans.iter_mut().for_each(|p| crate::retention::hold(&mut p.claim));
            }
        }
    }

    /// Each region's `backupVaultName`, and the plan's ID.
    fn status(
        _desired: &[DesiredBackups; 2],
        observed: &[ObservedBackups; 2],
        _around: &Neighbours<'_>,
        status: &mut ThreeTierStackStatus,
    ) {
        let vault = |o: &ObservedBackups| o.vaults.iter().find(|v| v.claim.is_ours()).map(|v| v.name.clone());
        let [primary, standby] = observed;
        status.primary.get_or_insert_default().backup_vault_name = vault(primary);
        status.standby.get_or_insert_default().backup_vault_name = vault(standby);
        status.global.get_or_insert_default().backup_plan_id =
            primary.plans.iter().chain(&standby.plans).find(|p| p.claim.is_ours()).map(|p| p.id.clone());
    }

    fn adopted(desired: &[DesiredBackups; 2], observed: &[ObservedBackups; 2]) -> Vec<Adopted> {
        let mut out = Vec::new();
        for (d, o) in desired.iter().zip(observed) {
            let found = o.vaults.iter().map(|v| (Kind::BackupVault, &v.name, &v.claim));
            let found = found.chain(o.plans.iter().map(|p| (Kind::BackupPlan, &p.id, &p.claim)));
            for (kind, id, claim) in found {
                if let Some(at) = claim.adopted_at() {
                    out.push(Adopted { region: d.region.clone(), kind, id: id.clone(), at: at.to_string() });
                }
            }
        }
        out
    }

    fn live_count(_desired: &[DesiredBackups; 2], observed: &[ObservedBackups; 2]) -> usize {
        observed
            .iter()
            .map(|o| {
                o.vaults.iter().filter(|v| v.claim.is_ours()).count()
                    + o.plans.iter().filter(|p| p.claim.is_ours()).count()
            })
            .sum()
    }

    fn left_in_place(desired: &[DesiredBackups; 2], _status: Option<&ThreeTierStackStatus>) -> Option<String> {
        let [primary, standby] = desired;
        let vault = |d: &DesiredBackups| d.vault.clone().unwrap_or_default();
        if primary.retain {
            return Some(format!(
                "backup vaults {} ({}) and {} ({}) with their recovery points, and the backup plan (spec.backup.deletionPolicy is Retain)",
                vault(primary),
                primary.region,
                vault(standby),
                standby.region
            ));
        }
        let vaults = desired
            .iter()
            .filter(|x| x.adopt_vault)
            .filter_map(|x| x.vault.as_ref().map(|v| format!("backup vault {v} ({})", x.region)));
        let plan = primary.plan.as_ref().and_then(|p| p.adopt.as_ref()).map(|id| format!("backup plan {id}"));
        let adopted: Vec<String> = vaults.chain(plan).collect();
        (!adopted.is_empty()).then(|| format!("{} (adopted, with the vaults a kept plan uses)", adopted.join(", ")))
    }
}

#[cfg(test)]
#[path = "backup_tests.rs"]
mod tests;
