"""The package graph of docs/architecture.md, enforced: `lint-imports` passes on the tree,
and fails when a domain module imports a framework (checked on a copy of the tree)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = {
    "conseils_schemas": ROOT / "schemas",
    "conseils_runtime": ROOT / "runtime",
    "conseils_cli": ROOT / "cli",
    "conseils_web": ROOT / "web",
    "conseils_registry": ROOT / "services" / "registry",
    "conseils_meetings": ROOT / "services" / "meetings",
    "conseils_notifications": ROOT / "services" / "notifications",
}


def lint_imports(python_path: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(python_path)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_the_tree_keeps_every_import_contract(tmp_path: Path) -> None:
    result = lint_imports(tmp_path, ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_domain_that_imports_sqlalchemy_breaks_the_contract(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    for name, base in PACKAGES.items():
        shutil.copytree(base / name, tree / name, ignore=shutil.ignore_patterns("__pycache__", "templates"))
    domain = tree / "conseils_meetings" / "domain.py"
    domain.write_text(domain.read_text(encoding="utf-8") + "\nimport sqlalchemy  # noqa\n", encoding="utf-8")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    result = lint_imports(tree, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "The domain imports no framework" in result.stdout
    assert "BROKEN" in result.stdout
    assert "conseils_meetings.domain -> sqlalchemy" in result.stdout


def test_importing_a_domain_loads_no_framework() -> None:
    code = (
        "import sys, conseils_registry.domain, conseils_meetings.domain, conseils_notifications.domain\n"
        "frameworks = ('fastapi', 'starlette', 'sqlalchemy', 'faststream', 'aiokafka')\n"
        "loaded = [m for m in frameworks if m in sys.modules]\n"
        "print(','.join(loaded))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
