"""The site's typed clients against the services' committed OpenAPI documents
(docs/openapi/<service>.json): every endpoint the site calls exists with its method; every
field the site reads from an answer, or sends in a body, query or form, is in the service's
schema. A service change that breaks the site fails here, not in a browser."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conseils_web.clients import (
    Endpoint,
    MeetingsClient,
    NotificationsClient,
    RegistryClient,
    ServiceClient,
    WebhooksClient,
    endpoints,
)

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi"
CLIENTS: list[type[ServiceClient]] = [RegistryClient, MeetingsClient, NotificationsClient, WebhooksClient]
CASES = [
    pytest.param(client, endpoint, id=f"{client.service} {endpoint.method} {endpoint.path}")
    for client in CLIENTS
    for endpoint in endpoints(client)
]


def document(service: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((OPENAPI / f"{service}.json").read_text(encoding="utf-8"))
    return loaded


def resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def branches(schema: dict[str, Any], root: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-null alternatives of a schema (`X | None`, `A | B`)."""
    schema = resolve(schema, root)
    options = schema.get("anyOf") or schema.get("oneOf")
    if not options:
        return [schema]
    found: list[dict[str, Any]] = []
    for option in options:
        found.extend(b for b in branches(option, root) if b.get("type") != "null")
    return found


def mismatches(
    mine: dict[str, Any], my_root: dict[str, Any], theirs: dict[str, Any], their_root: dict[str, Any], at: str
) -> list[str]:
    """What the site's schema expects that the service's schema does not have."""
    problems: list[str] = []
    for my_branch in branches(mine, my_root):
        candidates = branches(theirs, their_root)
        if not candidates or candidates == [{}]:
            continue  # the service does not describe it: nothing to check against
        results = [_mismatches_one(my_branch, my_root, c, their_root, at) for c in candidates]
        if all(results):
            problems.extend(min(results, key=len))
    return problems


def _mismatches_one(
    mine: dict[str, Any], my_root: dict[str, Any], theirs: dict[str, Any], their_root: dict[str, Any], at: str
) -> list[str]:
    if mine.get("type") == "array":
        if theirs.get("type") != "array":
            return [f"{at}: a list for the site, not for the service"]
        return mismatches(mine.get("items", {}), my_root, theirs.get("items", {}), their_root, f"{at}[]")
    if "properties" in mine:
        their_fields = theirs.get("properties")
        if their_fields is None:
            return [f"{at}: an object for the site, not for the service"]
        problems = [
            f"{at}.{name}: not in the service's schema"
            for name in mine["properties"]
            if name not in their_fields
        ]
        for name, field in mine["properties"].items():
            if name in their_fields:
                problems.extend(mismatches(field, my_root, their_fields[name], their_root, f"{at}.{name}"))
        return problems
    return []


def operation(client: type[ServiceClient], endpoint: Endpoint[Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    doc = document(client.service)
    assert endpoint.path in doc["paths"], f"{client.service} has no {endpoint.path}"
    operations = doc["paths"][endpoint.path]
    assert endpoint.method.lower() in operations, f"{client.service} has no {endpoint.method} {endpoint.path}"
    return operations[endpoint.method.lower()], doc


@pytest.mark.parametrize(("client", "endpoint"), CASES)
def test_each_call_of_the_site_is_in_the_service_api(
    client: type[ServiceClient], endpoint: Endpoint[Any]
) -> None:
    op, doc = operation(client, endpoint)
    parameters = {(p["in"], p["name"]) for p in op.get("parameters", [])}
    for name in endpoint.path.replace("}", "{").split("{")[1::2]:
        assert ("path", name) in parameters, f"path parameter {name}"
    for name in endpoint.query:
        assert ("query", name) in parameters, f"query parameter {name}"
    content = op.get("requestBody", {}).get("content", {})
    if endpoint.body is not None:
        assert "application/json" in content, "the service takes no JSON body"
        mine = endpoint.body.model_json_schema()
        assert mismatches(mine, mine, content["application/json"]["schema"], doc, "body") == []
    if endpoint.form:
        schema = resolve(content["multipart/form-data"]["schema"], doc)
        assert set(endpoint.form) <= set(schema["properties"]), "multipart fields"


@pytest.mark.parametrize(("client", "endpoint"), CASES)
def test_each_field_the_site_reads_is_in_the_service_answer(
    client: type[ServiceClient], endpoint: Endpoint[Any]
) -> None:
    op, doc = operation(client, endpoint)
    answers = {code: answer for code, answer in op["responses"].items() if code.startswith("2")}
    assert answers, "no success answer"
    (answer,) = answers.values()
    if endpoint.raw:
        return  # a file, passed on as it is
    json_answer = answer.get("content", {}).get("application/json")
    mine = endpoint.response.json_schema()
    if json_answer is None:
        assert mine.get("type") == "null", "the service answers no JSON"
        return
    assert mismatches(mine, mine, json_answer.get("schema", {}), doc, "answer") == []


def test_the_pages_never_call_a_service_by_its_path() -> None:
    """Only the clients use the transport (`Services`); the site builds it, the pages never."""
    web = Path(__file__).resolve().parents[2] / "web" / "conseils_web"
    for module in web.rglob("*.py"):
        if module.parent.name == "clients" or module.name in {"services.py", "site.py"}:
            continue
        text = module.read_text(encoding="utf-8")
        assert "Services" not in text, module
        assert ".request(" not in text, module
