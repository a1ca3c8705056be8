"""Writes a new Alembic revision for one service by comparing its tables with
its migrations (on a scratch SQLite database).

    python scripts/migrations.py meetings "add commitments"
"""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path

from conseils_runtime.migrations import new_revision

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "runtime" / "conseils_runtime" / "alembic_template"


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    service, message = sys.argv[1], sys.argv[2]
    location = ROOT / "services" / service / f"conseils_{service}" / "migrations"
    (location / "versions").mkdir(parents=True, exist_ok=True)
    for name in ("env.py", "script.py.mako"):
        if not (location / name).exists():
            shutil.copy(TEMPLATE / name, location / name)
    tables = importlib.import_module(f"conseils_{service}.tables")
    # The runtime's own tables live on the same metadata once the app is built.
    importlib.import_module(f"conseils_{service}.app").create_app()
    new_revision(location, tables.metadata, message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
