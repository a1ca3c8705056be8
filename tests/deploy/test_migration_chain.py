"""Each service's revisions form one line: unique ids, one head, each revision's parent present.

Branches merged side by side can each add a revision with the same id or the same parent;
Alembic then refuses to upgrade ("multiple heads") at the service's start. Checked without a
database, so `make unit` catches it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ["registry", "meetings", "notifications"]


def _revisions(service: str) -> dict[str, str | None]:
    folder = ROOT / "services" / service / f"conseils_{service}" / "migrations" / "versions"
    found: dict[str, str | None] = {}
    for path in sorted(folder.glob("*.py")):
        values: dict[str, str | None] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
            value = getattr(node, "value", None)
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                assert isinstance(value, ast.Constant), f"{path.name}: {target.id} is not a literal"
                values[target.id] = value.value
        revision = values["revision"]
        assert revision is not None
        assert revision not in found, f"{service}: revision {revision!r} defined twice ({path.name})"
        assert path.name.startswith(f"{revision}_"), f"{path.name} does not start with its id {revision}"
        found[revision] = values.get("down_revision")
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_revisions_form_one_line(service: str) -> None:
    revisions = _revisions(service)
    parents = list(revisions.values())
    assert parents.count(None) == 1, f"{service}: more than one first revision"
    for revision, parent in revisions.items():
        assert parent is None or parent in revisions, f"{service}: {revision} revises unknown {parent}"
        assert parents.count(parent) == 1, f"{service}: two revisions revise {parent!r} (two heads)"
    heads = set(revisions) - {p for p in parents if p is not None}
    assert len(heads) == 1, f"{service}: heads {sorted(heads)}"
