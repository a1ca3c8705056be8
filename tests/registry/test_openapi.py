"""The OpenAPI document covers the staff routes and documents the CSV format.
(That the committed docs/openapi/registry.json matches the code is checked for
every service by tests/deploy/test_contracts.py.)"""

from __future__ import annotations

from conseils_registry.app import create_app
from conseils_registry.settings import RegistrySettings


def test_the_openapi_documents_the_csv_columns_and_the_staff_routes() -> None:
    document = create_app(RegistrySettings(database_url="sqlite+aiosqlite:///:memory:")).openapi()
    import_doc = document["paths"]["/members/import"]["post"]["description"]
    assert "conseil, nom, email" in import_doc
    assert "thematiques" in import_doc
    assert {"/councils", "/members/export.csv", "/members/{member_id}/data", "/directory"} <= set(
        document["paths"]
    )
