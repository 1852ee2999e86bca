//! Tier 5: the operator for real. The `warmstandby` binary runs as
//! `warmstandby operator` against a real Kubernetes API server (upstream
//! kube-apiserver and etcd on loopback with RBAC, built by
//! `scripts/cluster-setup`; or any cluster through WARMSTANDBY_TEST_KUBECONFIG)
//! as the chart's ServiceAccount, with the local AWS emulator behind it.
//! Scenarios run one at a time; each has its own namespace, emulator and
//! lease. Nothing relies on a controller-manager (no garbage collection, no
//! default ServiceAccount, namespaces are never deleted).

mod crds;
mod failover;
mod helm;
mod in_cluster;
mod leader;
mod lifecycle;
mod observe;
mod plugin;
mod rbac;
mod restart;
mod support;
mod terminal;
mod webhook;
