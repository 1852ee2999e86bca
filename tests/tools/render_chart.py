"""Renders the chart offline: prints {"templates": {file: manifest}, "crds": [...]} as JSON.

Usage: render_chart.py CHART_DIR RELEASE NAMESPACE VALUES_JSON
"""
import json
import sys

from helm_python import Chart

chart_dir, release, namespace, values = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
chart = Chart.load(chart_dir)
rendered = chart.render(values, name=release, namespace=namespace, is_install=True)
crds = chart.crds() if callable(chart.crds) else chart.crds
print(json.dumps({"templates": rendered, "crds": [str(c) for c in (crds or [])]}))
