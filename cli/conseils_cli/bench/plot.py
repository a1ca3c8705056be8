"""docs/performance.svg: each figure that has a target, as a share of that target
(1 = exactly on target, right of the line = better). Plain SVG, no plotting library."""

from __future__ import annotations

import math
from html import escape
from pathlib import Path

from conseils_cli.bench.results import Result

WIDTH = 900
ROW = 30
LEFT = 330
RIGHT = 120
LOW, HIGH = 0.01, 100.0  # log scale bounds of the score axis


def _x(score: float) -> float:
    clamped = min(max(score, LOW), HIGH)
    share = (math.log10(clamped) - math.log10(LOW)) / (math.log10(HIGH) - math.log10(LOW))
    return LEFT + share * (WIDTH - LEFT - RIGHT)


def render_svg(results: list[Result], title: str = "conseils — figures / objectifs") -> str:
    rows = [r for r in results if r.score is not None]
    height = 90 + ROW * max(1, len(rows)) + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="13" role="img" '
        f'aria-label="{escape(title)}">',
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="20" y="28" font-size="17" font-weight="bold">{escape(title)}</text>',
        '<text x="20" y="50" fill="#444">Score = figure rapportée à son objectif (échelle log) ; '
        "≥ 1 : objectif atteint.</text>",
    ]
    top = 70
    for tick in (0.01, 0.1, 1, 10, 100):
        x = _x(tick)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + ROW * len(rows)}" '
            f'stroke="{"#000" if tick == 1 else "#ddd"}" stroke-width="{2 if tick == 1 else 1}"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{top + ROW * len(rows) + 18}" text-anchor="middle">{tick:g}</text>'
        )
    for index, result in enumerate(rows):
        assert result.score is not None
        y = top + index * ROW
        x0, x1 = _x(1.0), _x(result.score)
        colour = "#2a7d2e" if result.score >= 1 else "#c0392b"
        parts.append(f'<text x="{LEFT - 10}" y="{y + 19}" text-anchor="end">{escape(result.scenario)}</text>')
        parts.append(
            f'<rect x="{min(x0, x1):.1f}" y="{y + 6}" width="{abs(x1 - x0):.1f}" height="{ROW - 12}" '
            f'fill="{colour}"><title>{escape(result.target_label)}</title></rect>'
        )
        label = f"{result.value:g} {result.unit} ({result.target_label})"
        score = escape(f"{result.score:.2f}")
        parts.append(f'<text x="{WIDTH - RIGHT + 5}" y="{y + 19}" font-size="11">{score}</text>')
        parts.append(f"<desc>{escape(label)}</desc>")
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_svg(results: list[Result], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_svg(results), encoding="utf-8")
