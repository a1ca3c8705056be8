"""docs/performance.svg: every figure of a run against its goal and against the bare library.

One row a figure, one log axis: the bar is the figure as a share of its goal (1 = exactly on goal,
right of the line = met, green; left = missed, red); the diamond is the figure relative to the bare
library measured in the same run (1 = as good as the bare library). A figure with no goal has only
its diamond, one with no baseline only its bar. Plain SVG, no plotting library."""

from __future__ import annotations

import math
from html import escape
from pathlib import Path

from conseils_cli.bench.results import Result

WIDTH = 1040
ROW = 30
LEFT = 330
RIGHT = 250
LOW, HIGH = 0.001, 100.0  # log scale bounds of the axis
TICKS = (0.001, 0.01, 0.1, 1, 10, 100)
MET, MISSED, RAW = "#2a7d2e", "#c0392b", "#1f4e99"


def _x(score: float) -> float:
    clamped = min(max(score, LOW), HIGH)
    share = (math.log10(clamped) - math.log10(LOW)) / (math.log10(HIGH) - math.log10(LOW))
    return LEFT + share * (WIDTH - LEFT - RIGHT)


def _diamond(x: float, y: float, label: str) -> str:
    points = f"{x:.1f},{y - 7:.1f} {x + 7:.1f},{y:.1f} {x:.1f},{y + 7:.1f} {x - 7:.1f},{y:.1f}"
    return f'<polygon points="{points}" fill="{RAW}" stroke="#fff"><title>{escape(label)}</title></polygon>'


def _row(index: int, top: int, result: Result) -> list[str]:
    y = top + index * ROW
    parts = [f'<text x="{LEFT - 10}" y="{y + 19}" text-anchor="end">{escape(result.scenario)}</text>']
    figures = [f"{result.value:g} {result.unit}"]
    if result.score is not None:
        x0, x1 = _x(1.0), _x(result.score)
        colour = MET if result.score >= 1 else MISSED
        goal = f"objectif {result.target_label} : {'atteint' if result.score >= 1 else 'manqué'}"
        parts.append(
            f'<rect x="{min(x0, x1):.1f}" y="{y + 7}" width="{max(abs(x1 - x0), 1):.1f}" '
            f'height="{ROW - 14}" fill="{colour}"><title>{escape(goal)}</title></rect>'
        )
        figures.append(f"objectif {result.score:.2g}")
    if result.ratio is not None:
        raw = f"{result.baseline:g} {result.unit} ({result.baseline_label})" if result.baseline else ""
        parts.append(_diamond(_x(result.ratio), y + ROW / 2, f"brut : {raw}, ratio {result.ratio:.3f}"))
        figures.append(f"brut {result.ratio:.2g}")
    parts.append(
        f'<text x="{WIDTH - RIGHT + 8}" y="{y + 19}" font-size="11">{escape(" · ".join(figures))}</text>'
    )
    return parts


TITLE = "conseils — figures / objectifs / bibliothèque brute"


def render_svg(results: list[Result], title: str = TITLE) -> str:
    rows = [r for r in results if r.score is not None or r.ratio is not None]
    top = 88
    bottom = top + ROW * max(1, len(rows))
    height = bottom + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="13" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="20" y="28" font-size="17" font-weight="bold">{escape(title)}</text>',
        f'<rect x="20" y="42" width="14" height="12" fill="{MET}"/>'
        f'<rect x="36" y="42" width="14" height="12" fill="{MISSED}"/>'
        '<text x="56" y="53" fill="#333">figure / objectif '
        "(≥ 1 : atteint, vert ; &lt; 1 : manqué, rouge)</text>",
        _diamond(27, 68, "ratio à la bibliothèque brute"),
        '<text x="56" y="73" fill="#333">figure / bibliothèque brute du même passage (1 : aussi bien '
        "qu'elle) — échelle logarithmique</text>",
    ]
    for tick in TICKS:
        x = _x(tick)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" '
            f'stroke="{"#000" if tick == 1 else "#ddd"}" stroke-width="{2 if tick == 1 else 1}"/>'
        )
        parts.append(f'<text x="{x:.1f}" y="{bottom + 18}" text-anchor="middle">{tick:g}</text>')
    for index, result in enumerate(rows):
        parts.extend(_row(index, top, result))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_svg(results: list[Result], path: Path, title: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_svg(results, title) if title else render_svg(results), encoding="utf-8")
