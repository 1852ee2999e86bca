// Command kube-apiserver is upstream Kubernetes' API server, built from Go
// modules at the release pinned in go.mod, for the cluster test tier
// (scripts/cluster-setup builds it into a cache outside the clone).
package main

import (
	"os"

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
