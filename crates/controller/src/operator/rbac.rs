//! Every Kubernetes permission the operator uses, next to the code that
//! needs it. The chart and `deploy/` manifests are tested against this list,
//! and the cluster tier proves on a real API server that the operator works
//! with exactly these rules and fails without any one verb.

/// One RBAC rule: API group, resources, verbs.
pub struct Rule {
    pub group: &'static str,
    pub resources: &'static [&'static str],
    pub verbs: &'static [&'static str],
}

/// Cluster-wide (ClusterRole) permissions.
pub const CLUSTER_RULES: &[Rule] = &[
    // Reflectors list/watch the three kinds (a deletion waiting for its
    // stacks lists them live); finalizers are added and removed by JSON patch.
    Rule {
        group: "warmstandby.dev",
        resources: &["regionpairs", "threetierstacks", "failoverpolicies"],
        verbs: &["list", "watch", "patch"],
    },
    // Status is written with server-side apply (PATCH).
    Rule {
        group: "warmstandby.dev",
        resources: &["regionpairs/status", "threetierstacks/status", "failoverpolicies/status"],
        verbs: &["patch"],
    },
    // The password is read with GET; changes are noticed through a
    // metadata-only watch (LIST/WATCH), so Secret data is never cached.
    Rule { group: "", resources: &["secrets"], verbs: &["get", "list", "watch"] },
    // Events: created, and patched when they repeat.
    Rule { group: "events.k8s.io", resources: &["events"], verbs: &["create", "patch"] },
];

/// The admission webhook's, when it is served (a ClusterRole of its own):
/// the objects a stack references are read when it is reviewed (Secrets
/// with the rule above), and its own CA is written into its configuration.
pub const WEBHOOK_CLUSTER_RULES: &[Rule] = &[
    Rule { group: "warmstandby.dev", resources: &["regionpairs", "failoverpolicies"], verbs: &["get"] },
    Rule {
        group: "admissionregistration.k8s.io",
        resources: &["validatingwebhookconfigurations"],
        verbs: &["get", "update"],
    },
];

/// The admission webhook's in the operator's namespace (a Role of its own):
/// its CA and serving certificate kept in a Secret there.
pub const WEBHOOK_NAMESPACED_RULES: &[Rule] =
    &[Rule { group: "", resources: &["secrets"], verbs: &["create", "update"] }];

/// Namespaced (Role in the lease namespace) permissions.
pub const LEASE_RULES: &[Rule] =
    &[Rule { group: "coordination.k8s.io", resources: &["leases"], verbs: &["get", "create", "update"] }];
