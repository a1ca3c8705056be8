"""Every runtime metric is documented, and the Grafana dashboard only uses metrics that exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import Counter, Gauge, Histogram

from conseils_runtime import metrics

ROOT = Path(__file__).resolve().parents[2]


def runtime_metric_names() -> set[str]:
    names = set()
    for value in vars(metrics).values():
        if isinstance(value, Counter):
            names.add(f"{value._name}_total")
        elif isinstance(value, Gauge | Histogram):
            names.add(value._name)
    return names


def test_every_runtime_metric_is_documented() -> None:
    documented = set(re.findall(r"`(conseils_[a-z_]+)`", (ROOT / "docs" / "metrics.md").read_text()))
    assert runtime_metric_names() <= documented


def test_grafana_dashboard_uses_existing_metrics_only() -> None:
    dashboard = json.loads((ROOT / "ops" / "grafana" / "conseils-flux.json").read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    used = {
        re.sub(r"_(total|bucket|sum|count)$", "", name)
        for e in expressions
        for name in re.findall(r"conseils_[a-z_]+", e)
    }
    known = {re.sub(r"_total$", "", name) for name in runtime_metric_names()}
    assert used <= known, used - known
    assert len(expressions) >= 6
