"""One Helm action on a real API server, with Helm's own Go SDK (helm-python-sdk).

Usage: helm_release.py KUBECONFIG NAMESPACE RELEASE ACTION [ARG]
  lint CHART_DIR                 the chart's lint messages
  install CHART_DIR VALUES_JSON  installs (CRDs from crds/ when absent)
  upgrade CHART_DIR VALUES_JSON  upgrades with these values
  rollback REVISION              rolls back to REVISION
  uninstall                      uninstalls (CRDs stay, as Helm leaves them)
  history                        the release's revisions
Prints one JSON object; a Helm error is printed to stderr with exit code 1.
"""
import json
import sys

import helm_python
from helm_python import Chart, Config


def release_view(release):
    """A release as helm-python-sdk gives it: name, namespace, revision, status."""
    if not release:
        return None
    return {key: release.get(key) for key in ("name", "namespace", "revision", "status")}


def main():
    kubeconfig, namespace, name, action = sys.argv[1:5]
    rest = sys.argv[5:]
    if action == "lint":
        print(json.dumps({"lint": helm_python.lint(rest[0])}, default=str))
        return
    config = Config(kubeconfig_path=kubeconfig, namespace=namespace)
    if action == "install":
        release = config.install(Chart.load(rest[0]), name, json.loads(rest[1]), namespace=namespace, create_namespace=True)
    elif action == "upgrade":
        release = config.upgrade(Chart.load(rest[0]), name, json.loads(rest[1]), namespace=namespace)
    elif action == "rollback":
        config.rollback(name, version=int(rest[0]))
        release = config.status(name)
    elif action == "uninstall":
        release = config.uninstall(name)
    elif action == "history":
        print(json.dumps({"history": [release_view(r) for r in config.history(name)]}, default=str))
        return
    else:
        raise SystemExit(f"unknown action {action}")
    print(json.dumps({"release": release_view(release)}, default=str))


if __name__ == "__main__":
    try:
        main()
    except helm_python.HelmError as e:
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
