"""The committed contract documents (docs/openapi/*.json, docs/asyncapi/*.json)
are the ones the code generates: CI fails when code and documents differ."""

from __future__ import annotations

from conseils_cli.contracts import documents, stale_documents


def test_committed_openapi_and_asyncapi_documents_match_the_code() -> None:
    assert stale_documents() == [], "run `make generate` and commit the documents"


def test_asyncapi_documents_are_version_3_and_list_what_each_service_produces() -> None:
    for service in ("registry", "meetings", "notifications"):
        asyncapi = documents(service)[f"docs/asyncapi/{service}.json"]
        assert asyncapi["asyncapi"] == "3.0.0"
        titles = {message["title"] for message in asyncapi["components"]["messages"].values()}
        assert any(title.startswith("fr.conseils.") for title in titles), service
