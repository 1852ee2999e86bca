//! Retention per family: `deletionPolicy: Retain` on a server tier, the
//! distribution, the web ACL or the backups leaves what the family made in
//! place when the stack is deleted. At teardown what a retained family made
//! is taken as adopted (each family does it in its own
//! `ResourceFamily::hold_retained` with [`hold`]), so each family's teardown plan releases it (our tags removed)
//! together with what it uses, exactly as it releases what the stack adopted.

use crate::identity::Claim;
use crate::servers::desired::DesiredRegionServers;
use crate::servers::observed::{ObservedBalancing, ObservedCompute};

/// The time a retained resource is taken as adopted at (never written to AWS).
pub const RETAINED: &str = "retained";

/// Takes what the stack created as adopted (what is adopted stays so).
pub fn hold(claim: &mut Claim) {
    if *claim == Claim::Created {
        *claim = Claim::Adopted(RETAINED.to_string());
    }
}

/// The retained server tiers' load balancers (with their listeners) and target groups.
pub fn hold_retained_balancing(desired_regions: &[DesiredRegionServers; 2], regions: &mut [ObservedBalancing; 2]) {
    for (d, o) in desired_regions.iter().zip(regions.iter_mut()) {
        for t in d.tiers.iter().filter(|t| t.retain) {
            let lb_arns: Vec<String> = o
                .load_balancers
                .iter_mut()
                .filter(|l| l.spec.name == t.load_balancer_name)
                .map(|l| {
                    hold(&mut l.claim);
                    l.arn.clone()
                })
                .collect();
            o.listeners.iter_mut().filter(|l| lb_arns.contains(&l.load_balancer_arn)).for_each(|l| hold(&mut l.claim));
            o.target_groups.iter_mut().filter(|g| g.spec.name == t.target_group_name).for_each(|g| hold(&mut g.claim));
        }
    }
}

/// The retained server tiers' launch templates and auto scaling groups.
pub fn hold_retained_compute(desired_regions: &[DesiredRegionServers; 2], regions: &mut [ObservedCompute; 2]) {
    for (d, o) in desired_regions.iter().zip(regions.iter_mut()) {
        for t in d.tiers.iter().filter(|t| t.retain) {
            o.launch_templates.iter_mut().filter(|l| l.name == t.launch_template_name).for_each(|l| hold(&mut l.claim));
            o.auto_scaling_groups
                .iter_mut()
                .filter(|a| a.name == t.auto_scaling_group_name)
                .for_each(|a| hold(&mut a.claim));
        }
    }
}
