"""The committed OpenAPI document is the one the code serves.

When this fails after an API change, regenerate it:
`.venv/bin/python -m conseils_registry.openapi` (writes docs/openapi/registry.json).
"""

from __future__ import annotations

import json

from conseils_registry.openapi import COMMITTED, current_document, render


def test_committed_openapi_matches_the_code() -> None:
    assert COMMITTED.exists(), f"{COMMITTED} is missing: run python -m conseils_registry.openapi"
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    current = json.loads(render(current_document()))
    assert committed == current, (
        "docs/openapi/registry.json is stale: run python -m conseils_registry.openapi"
    )


def test_the_openapi_documents_the_csv_columns_and_the_staff_routes() -> None:
    document = current_document()
    import_doc = document["paths"]["/members/import"]["post"]["description"]
    assert "conseil, nom, email" in import_doc
    assert "thematiques" in import_doc
    assert {"/councils", "/members/export.csv", "/members/{member_id}/data", "/directory"} <= set(
        document["paths"]
    )
