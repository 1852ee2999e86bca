//! The WAF family: the stack's WAFv2 web ACL (scope CLOUDFRONT, served from
//! us-east-1) with AWS managed rule groups and an optional rate limit,
//! associated with the distribution through its `WebACLId`. Everything the
//! core knows of it is here: what the spec asks, what AWS shows, its
//! actions, its plan, teardown, retention, condition and status.

use warmstandby_api::{DriftItem, GLOBAL_REGION, ThreeTierStackStatus};

use crate::compare::{Fields, diff, list, opt};
use crate::families::{Adopted, Neighbours, ResourceFamily, verdict};
use crate::family::{Effect, Family, FamilyAction};
use crate::identity::Claim;
use crate::placement::Placement;
use crate::plan::{Place, Plan};
use crate::resource::{Kind, Resource, Scope, Tier};
use crate::servers::status::Family as Verdict;
use crate::validate::ValidatedStack;

/// The WAF family on the seam.
pub struct Waf;

/// `None` while `spec.waf.enabled` is false.
pub type DesiredWaf = Option<DesiredWebAcl>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredWebAcl {
    pub name: String,
    pub managed_rule_groups: Vec<String>,
    pub rate_limit: Option<i64>,
    /// `name` is an existing ACL to adopt (`spec.waf.adopt`), never one to
    /// create; adopted, it is left in place when the stack is deleted.
    pub adopt: bool,
    /// `deletionPolicy: Retain`: left in place, untagged, when the stack is
    /// deleted (what it creates is then released like what is adopted).
    pub retain: bool,
    /// Its tags tell whose it is while adopting, while retained (a teardown
    /// releases it and must then see it released), and while an adopted
    /// distribution may have kept ours (released on deletion).
    pub read_tags: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebAclSpec {
    pub managed_rule_groups: Vec<String>,
    pub rate_limit: Option<i64>,
}

impl WebAclSpec {
    pub fn fields(&self) -> Fields {
        vec![("managedRuleGroups", list(&self.managed_rule_groups)), ("rateLimit", opt(&self.rate_limit))]
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedWebAcl {
    pub id: String,
    pub name: String,
    pub arn: String,
    pub lock_token: String,
    pub spec: WebAclSpec,
    /// Read from its tags while they matter (`DesiredWebAcl::read_tags`);
    /// otherwise ours are found by our name and their tags checked right
    /// before a change.
    pub claim: Claim,
}

impl ObservedWebAcl {
    /// It is this stack's (created, or adopted already).
    pub fn is_ours(&self) -> bool {
        self.claim.is_ours()
    }
}

/// What AWS shows: the ACL of the desired name, if any.
pub type ObservedWaf = Option<ObservedWebAcl>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WafAction {
    CreateWebAcl {
        name: String,
        spec: WebAclSpec,
    },
    UpdateWebAcl {
        id: String,
        name: String,
        lock_token: String,
        spec: WebAclSpec,
    },
    DeleteWebAcl {
        id: String,
        name: String,
        lock_token: String,
    },
    /// Takes an existing ACL under management: tags it as this stack's,
    /// with the time (`warmstandby.dev/adopted`); nothing else.
    AdoptWebAcl {
        name: String,
        arn: String,
    },
    /// Leaves an adopted ACL in place and removes our tags from it.
    ReleaseWebAcl {
        name: String,
        arn: String,
    },
}

impl FamilyAction for WafAction {
    fn effect(&self) -> (Effect, Kind) {
        let effect = match self {
            WafAction::CreateWebAcl { .. } => Effect::Create,
            WafAction::UpdateWebAcl { .. } => Effect::Update,
            WafAction::DeleteWebAcl { .. } => Effect::Delete,
            WafAction::AdoptWebAcl { .. } => Effect::Adopt,
            WafAction::ReleaseWebAcl { .. } => Effect::Release,
        };
        (effect, Kind::WebAcl)
    }

    fn tier(&self, _scope: &Scope) -> Tier {
        Tier::Global
    }

    fn describe(&self) -> String {
        match self {
            WafAction::CreateWebAcl { name, .. } => format!("create web ACL {name}"),
            WafAction::UpdateWebAcl { name, .. } => format!("update web ACL {name}"),
            WafAction::DeleteWebAcl { name, .. } => format!("delete web ACL {name}"),
            WafAction::AdoptWebAcl { name, .. } => format!("adopt web ACL {name}"),
            WafAction::ReleaseWebAcl { name, .. } => format!("leave web ACL {name} in place, untagged (adopted)"),
        }
    }
}

/// The web ACL's ARN the distribution carries: empty without WAF, the ACL's
/// once it is ours, `None` while it is being created or adopted.
pub fn association(desired: &DesiredWaf, observed: &ObservedWaf) -> Option<String> {
    match (desired, observed) {
        (None, _) => Some(String::new()),
        (Some(_), Some(have)) if have.is_ours() => Some(have.arn.clone()),
        _ => None,
    }
}

impl ResourceFamily for Waf {
    const FAMILY: Family = Family::Waf;
    type Desired = DesiredWaf;
    type Observed = ObservedWaf;
    type Action = WafAction;

    fn live_id(r: &Resource, status: &ThreeTierStackStatus) -> Option<Option<String>> {
        let global = super::regional(r, status).is_none() && r.kind == Kind::WebAcl;
        global.then(|| status.global.as_ref().and_then(|g| g.web_acl_arn.clone()))
    }

    fn desired(stack: &ValidatedStack, _placement: &Placement) -> DesiredWaf {
        let waf = &stack.spec.waf;
        let retain = warmstandby_api::DeletionPolicy::retains(waf.deletion_policy);
        waf.enabled.then(|| DesiredWebAcl {
            name: waf.adopt.clone().unwrap_or_else(|| stack.aws_name("web", 128)),
            managed_rule_groups: waf.managed_rule_groups.clone(),
            rate_limit: waf.rate_limit,
            adopt: waf.adopt.is_some(),
            retain,
            read_tags: waf.adopt.is_some() || retain || stack.spec.cdn.adopt.is_some(),
        })
    }

    fn topology(desired: &DesiredWaf, out: &mut Vec<Resource>) {
        if let Some(acl) = desired {
            let r = Resource::new(&Scope::Global, "web-acl", Kind::WebAcl, acl.name.clone())
                .prop("scope", "CLOUDFRONT")
                .prop("managedRuleGroups", acl.managed_rule_groups.join(","))
                .prop("rateLimit", acl.rate_limit.map(|r| r.to_string()).unwrap_or_else(|| "(none)".into()));
            let r = if acl.adopt { r.prop(crate::resource::ADOPTED, "spec.waf.adopt") } else { r };
            // Just before the distribution that uses it: the natural creation order.
            let at = out.iter().position(|r| r.key == "global/distribution").unwrap_or(out.len());
            out.insert(at, r);
        }
    }

    fn plan(desired: &DesiredWaf, observed: &ObservedWaf, _around: &Neighbours<'_>) -> Plan<(Place, WafAction)> {
        let mut plan = Plan::default();
        let Some(w) = desired else { return plan };
        let want = WebAclSpec { managed_rule_groups: w.managed_rule_groups.clone(), rate_limit: w.rate_limit };
        match observed {
            None if w.adopt => plan.blocked.push(format!(
                "spec.waf.adopt: there is no web ACL {} (scope CLOUDFRONT); nothing is created in its place",
                w.name
            )),
            // Named for adoption: adopted first, its rules then changed as ours.
            Some(have) if !have.is_ours() => match &have.claim {
                Claim::Foreign { other_owner: Some(owner) } => plan
                    .blocked
                    .push(format!("spec.waf.adopt: web ACL {} is managed by {owner}; it is left alone", have.name)),
                _ => {
                    plan.drift.extend(drift(have, &want));
                    plan.push(Place::Global, WafAction::AdoptWebAcl { name: have.name.clone(), arn: have.arn.clone() });
                }
            },
            None => plan.push(Place::Global, WafAction::CreateWebAcl { name: w.name.clone(), spec: want }),
            Some(have) => {
                let items = drift(have, &want);
                if !items.is_empty() {
                    plan.push(
                        Place::Global,
                        WafAction::UpdateWebAcl {
                            id: have.id.clone(),
                            name: have.name.clone(),
                            lock_token: have.lock_token.clone(),
                            spec: want,
                        },
                    );
                }
                plan.drift.extend(items);
            }
        }
        plan
    }

    /// An adopted ACL is left where it was, without our tags (one never
    /// adopted is not ours), and so is ours when a kept distribution uses
    /// it; ours is deleted once no distribution of ours is left to use it.
    fn teardown(_desired: &DesiredWaf, observed: &ObservedWaf, around: &Neighbours<'_>) -> Plan<(Place, WafAction)> {
        let mut plan = Plan::default();
        let distribution = around.distribution();
        let distribution_left = distribution.is_some_and(|d| d.claim == Claim::Created);
        let kept_acl = distribution.filter(|d| d.claim != Claim::Created).map(|d| d.spec.web_acl_id.as_str());
        match (observed.as_ref().filter(|w| w.is_ours()), distribution_left) {
            (Some(w), _) if w.claim.adopted_at().is_some() || kept_acl == Some(w.arn.as_str()) => {
                plan.push(Place::Global, WafAction::ReleaseWebAcl { name: w.name.clone(), arn: w.arn.clone() })
            }
            (Some(w), false) => plan.push(
                Place::Global,
                WafAction::DeleteWebAcl { id: w.id.clone(), name: w.name.clone(), lock_token: w.lock_token.clone() },
            ),
            _ => {}
        }
        plan
    }

    fn hold_retained(desired: &DesiredWaf, observed: &mut ObservedWaf) {
        if desired.as_ref().is_some_and(|w| w.retain)
            && let Some(w) = observed
        {
            crate::retention::hold(&mut w.claim);
        }
    }

    fn verdict(
        desired: &DesiredWaf,
        observed: &ObservedWaf,
        around: &Neighbours<'_>,
        drift: &[DriftItem],
    ) -> Vec<Verdict> {
        let distribution = around.distribution();
        let condition = crate::conditions::types::WAF_READY;
        let mut problems = Vec::new();
        match (desired, observed) {
            (None, _) => {
                return vec![Verdict {
                    condition,
                    ready: true,
                    reason: "Disabled",
                    message: "spec.waf.enabled is false".into(),
                    attention: Vec::new(),
                }];
            }
            (Some(_), None) => problems.push("no web ACL yet".into()),
            (Some(_), Some(acl)) if !acl.is_ours() => problems.push(format!("web ACL {} is not adopted yet", acl.name)),
            (Some(_), Some(acl)) => {
                if distribution.is_some_and(|d| d.spec.web_acl_id != acl.arn) {
                    problems.push(format!("web ACL {} is not associated with the distribution", acl.name));
                } else if distribution.is_none() {
                    problems.push("the distribution to protect does not exist yet".into());
                }
            }
        }
        vec![verdict::<Self>(condition, problems, drift)]
    }

    fn status(
        _desired: &DesiredWaf,
        observed: &ObservedWaf,
        _around: &Neighbours<'_>,
        status: &mut ThreeTierStackStatus,
    ) {
        status.global.get_or_insert_default().web_acl_arn =
            observed.as_ref().filter(|w| w.is_ours()).map(|w| w.arn.clone());
    }

    fn adopted(_desired: &DesiredWaf, observed: &ObservedWaf) -> Vec<Adopted> {
        let adopted = observed.as_ref().and_then(|acl| Some((acl, acl.claim.adopted_at()?)));
        adopted
            .map(|(acl, at)| Adopted {
                region: GLOBAL_REGION.to_string(),
                kind: Kind::WebAcl,
                id: acl.name.clone(),
                at: at.to_string(),
            })
            .into_iter()
            .collect()
    }

    fn live_count(_desired: &DesiredWaf, observed: &ObservedWaf) -> usize {
        usize::from(observed.as_ref().is_some_and(ObservedWebAcl::is_ours))
    }

    fn left_in_place(desired: &DesiredWaf, status: Option<&ThreeTierStackStatus>) -> Option<String> {
        let acl = desired.as_ref()?;
        let adopted = status.map(|s| s.adopted.as_slice()).unwrap_or_default();
        if acl.adopt && adopted.iter().any(|r| r.id == acl.name) {
            Some(format!("web ACL {} (adopted)", acl.name))
        } else {
            acl.retain.then(|| format!("web ACL {} (deletionPolicy Retain)", acl.name))
        }
    }
}

fn drift(have: &ObservedWebAcl, want: &WebAclSpec) -> Vec<DriftItem> {
    diff(GLOBAL_REGION, "WebAcl", &have.name, &want.fields(), &have.spec.fields())
}

#[cfg(test)]
#[path = "waf_tests.rs"]
mod tests;
