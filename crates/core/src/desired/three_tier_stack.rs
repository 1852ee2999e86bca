//! Desired resources of a ThreeTierStack, both regions and global.
//!
//! Role-aware: the active region holds the writer database, the full
//! capacity and the PRIMARY api record; the other region holds the replica,
//! the warm capacity and the SECONDARY record. Drift repair therefore
//! follows a failover instead of undoing it.

use warmstandby_api::RegionRole;

use super::{ADOPTED, Kind, Resource, Scope};
use crate::edge::desired::{ImageSource, desired_region_edge};
use crate::families::certificates::{desired_certificates, serving_keys};
use crate::placement::Placement;
use crate::plan::Place;
use crate::validate::ValidatedStack;

/// The stack's resources in both regions and globally, in a natural creation
/// order (the topology sort makes it exact).
pub fn stack_resources(stack: &ValidatedStack) -> Vec<Resource> {
    let mut out = Vec::new();
    for role in RegionRole::BOTH {
        out.extend(regional(stack, role));
    }
    global(stack, &mut out);
    out
}

fn key(role: RegionRole, component: &str) -> String {
    format!("{}/{component}", role.as_str())
}

fn global_key(component: &str) -> String {
    format!("global/{component}")
}

/// One region's edge and compute resources, drawn from the same typed
/// desired state the planner works from, so the offline topology and
/// `apply` cannot disagree (the families on the seam add theirs in
/// `global`).
fn regional(stack: &ValidatedStack, role: RegionRole) -> Vec<Resource> {
    let placement = Placement::of_spec(stack);
    let edge = desired_region_edge(stack, &placement, role);
    // The certificate the HTTPS listeners serve, and its validation.
    let serving = serving_keys(&desired_certificates(stack), Place::Region(role));
    let scope = Scope::Region { role, region: edge.region.clone() };
    let k = |c: &str| key(role, c);
    let vpc = k("vpc");
    let mut out = Vec::new();

    // Images (the region's certificate is the certificates family's, placed before them).
    for image in &edge.images {
        let name = stack.aws_name(image.tier, 128);
        let r = Resource::new(&scope, &format!("image/{}", image.tier), Kind::Image, name);
        out.push(match &image.source {
            ImageSource::Given(ami) => r.prop("ami", ami).prop("source", "given"),
            ImageSource::Copy { source_region, source_image, .. } => r
                .prop("source", format!("CopyImage of {source_image} from {source_region}"))
                .dep(key(role.other(), &format!("image/{}", image.tier))),
        });
    }

    // Load balancing and compute, per tier.
    for t in &edge.tiers {
        let tier = t.tier;
        // An adopted tier's resources (its load balancer's HTTP listener with it) exist already.
        let adopted = |r: Resource| if t.adopt { r.prop(ADOPTED, format!("spec.{tier}.adopt")) } else { r };
        out.push(adopted(
            Resource::new(&scope, &format!("target-group/{tier}"), Kind::TargetGroup, t.target_group_name.clone())
                .prop("port", t.port)
                .prop("healthCheckPath", &t.health_check_path)
                .dep(&vpc),
        ));
        out.push(adopted(
            Resource::new(&scope, &format!("load-balancer/{tier}"), Kind::LoadBalancer, t.load_balancer_name.clone())
                .prop("scheme", "internet-facing")
                .prop("subnets", "public-a,public-b")
                .dep(k("subnet/public-a"))
                .dep(k("subnet/public-b"))
                .dep(k(&format!("security-group/{}", t.alb_group()))),
        ));
        out.push(adopted(listener(&scope, role, tier, "http", 80)));
        if t.https_listener {
            let https = listener(&scope, role, tier, "https", 443);
            out.push(serving.iter().fold(https, |r, key| r.dep(key)));
        }
        out.push(adopted(
            Resource::new(
                &scope,
                &format!("launch-template/{tier}"),
                Kind::LaunchTemplate,
                t.launch_template_name.clone(),
            )
            .prop("instanceType", &t.instance_type)
            .prop("securityGroup", tier)
            .prop("userData", if t.user_script.is_some() { "environment block + spec" } else { "environment block" })
            .prop("instanceProfile", stack.aws_name(tier, 64))
            .dep(k(&format!("image/{tier}")))
            .dep(k(&format!("security-group/{tier}")))
            .dep(global_key(&format!("instance-profile/{tier}"))),
        ));
        let c = &t.capacity;
        let mut asg = Resource::new(
            &scope,
            &format!("auto-scaling-group/{tier}"),
            Kind::AutoScalingGroup,
            t.auto_scaling_group_name.clone(),
        )
        .prop("min", c.min)
        .prop("desired", c.desired)
        .prop("max", c.max)
        .prop("capacity", if edge.active { "active" } else { "warm standby" })
        .prop("subnets", t.subnet_keys.join(","))
        .dep(k(&format!("launch-template/{tier}")))
        .dep(k(&format!("target-group/{tier}")));
        for s in t.subnet_keys {
            asg = asg.dep(k(&format!("subnet/{s}")));
        }
        out.push(adopted(asg));
    }
    out
}

fn listener(scope: &Scope, role: RegionRole, tier: &str, proto: &str, port: u16) -> Resource {
    Resource::new(
        scope,
        &format!("listener/{tier}-{proto}"),
        Kind::Listener,
        format!("{tier} {}:{port}", proto.to_uppercase()),
    )
    .prop("protocol", proto.to_uppercase())
    .prop("port", port)
    .prop("forward", format!("target-group/{tier}"))
    .dep(key(role, &format!("load-balancer/{tier}")))
    .dep(key(role, &format!("target-group/{tier}")))
}

/// The global resources and the seam families' (which may place theirs
/// among the regions' already in `out`).
fn global(stack: &ValidatedStack, out: &mut Vec<Resource>) {
    // The families on the seam: the bastion (placed before the primary's DB
    // subnet group), each region's private zone and record (after its
    // database), the public zone, health check and records, the
    // distribution (before the web alias), the web ACL (before the
    // distribution that uses it), the alarm on the health check, the
    // credentials secret (in the primary region, with a replica in the
    // standby), each tier's role and instance profile, each region's
    // certificate (after its data resources) and the validation records
    // (after the public zone), each region's backup vault (after its
    // database) and the primary's backup plan and selection.
    crate::families::FamiliesDesired::of(stack, &Placement::of_spec(stack)).topology(out);
}
