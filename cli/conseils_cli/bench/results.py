"""Benchmark results: one row per scenario, with its raw-library baseline measured in the same run."""

from __future__ import annotations

import json
import os
import platform
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


@dataclass
class Result:
    scenario: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_label: str = ""
    higher_is_better: bool = True
    details: dict[str, Any] = field(default_factory=dict)
    target: float | None = None
    """The goal (not a test assertion): on ``value`` (``target_on="value"``) or on ``ratio``."""
    target_on: str = "value"
    target_label: str = ""

    @property
    def ratio(self) -> float | None:
        """Our figure relative to the bare library: >1 is better than the baseline when higher is better."""
        if self.baseline in (None, 0) or self.value == 0:
            return None
        assert self.baseline is not None
        return self.value / self.baseline if self.higher_is_better else self.baseline / self.value

    @property
    def score(self) -> float | None:
        """How the figure compares with its target: >= 1 means the target is met."""
        if self.target is None:
            return None
        if self.target_on == "ratio":
            return None if self.ratio is None else self.ratio / self.target
        if self.value == 0:
            return None
        return self.value / self.target if self.higher_is_better else self.target / self.value

    @property
    def target_met(self) -> bool | None:
        return None if self.score is None else self.score >= 1

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = None if self.ratio is None else round(self.ratio, 3)
        data["target_met"] = self.target_met
        data["machine"] = machine()
        return data


def percentile(samples: list[float], fraction: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "count": len(samples),
        "p50": percentile(samples, 0.50),
        "p99": percentile(samples, 0.99),
        "mean": statistics.fmean(samples) if samples else float("nan"),
    }


def write_results(results: list[Result], path: Path) -> None:
    path.write_text(json.dumps([r.to_json() for r in results], indent=2, ensure_ascii=False) + "\n")
