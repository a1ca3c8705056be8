"""Writes (or checks) the committed contract documents of every service:
docs/openapi/<service>.json and docs/asyncapi/<service>.json, generated from the code.

    python -m conseils_cli.contracts          # regenerate (also: make generate)
    python -m conseils_cli.contracts --check  # exit 1 when a committed document differs from the code
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("registry", "meetings", "notifications")
# Fixed settings: the documents must not depend on who generates them.
DOCUMENT_SETTINGS = {
    "territory": "plaine-commune",
    "kafka_bootstrap_servers": "kafka:9092",
    "database_url": "sqlite+aiosqlite:///:memory:",
}


def documents(service: str) -> dict[str, dict[str, Any]]:
    app_module = importlib.import_module(f"conseils_{service}.app")
    settings_module = importlib.import_module(f"conseils_{service}.settings")
    settings_class = getattr(settings_module, f"{service.capitalize()}Settings")
    app = app_module.create_app(settings_class(**DOCUMENT_SETTINGS))
    return {
        f"docs/openapi/{service}.json": app.openapi(),
        f"docs/asyncapi/{service}.json": app.state.runtime.asyncapi(),
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def stale_documents() -> list[str]:
    """Committed documents that differ from what the code generates now."""
    stale = []
    for service in SERVICES:
        for relative, document in documents(service).items():
            path = ROOT / relative
            if not path.exists() or path.read_text(encoding="utf-8") != render(document):
                stale.append(relative)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_documents()
        if stale:
            print("Documents à régénérer (make generate) :", *stale, sep="\n  ", file=sys.stderr)
            return 1
        return 0
    for service in SERVICES:
        for relative, document in documents(service).items():
            path = ROOT / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(document), encoding="utf-8")
            print(f"écrit : {relative}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
