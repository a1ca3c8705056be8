"""The committed OpenAPI document of the notifications service (`docs/openapi/notifications.json`).

`python -m conseils_notifications.openapi` rewrites it from the code; a test fails
when the committed file differs from `create_app().openapi()`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from conseils_notifications.app import create_app
from conseils_notifications.settings import NotificationsSettings

COMMITTED = Path(__file__).resolve().parents[3] / "docs" / "openapi" / "notifications.json"


def current_document() -> dict[str, Any]:
    app = create_app(NotificationsSettings(database_url="sqlite+aiosqlite:///:memory:"))
    return app.openapi()


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    target = Path((argv or sys.argv[1:] or [str(COMMITTED)])[0])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(current_document()), encoding="utf-8")
    print(f"OpenAPI des notifications écrite dans {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
