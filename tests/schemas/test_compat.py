"""(b) Breaking-change detection, and the v1 baseline must stay compatible."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from conseils_schemas import incompatible_changes

BASE: dict[str, Any] = {
    "$defs": {
        "Doc": {
            "properties": {"id": {"type": "string", "format": "uuid"}, "size": {"type": "integer"}},
            "required": ["id"],
            "type": "object",
        }
    },
    "properties": {
        "instance_id": {"type": "string", "format": "uuid"},
        "title": {"type": "string", "minLength": 1},
        "theme": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        "mode": {"enum": ["participant", "observer"], "type": "string"},
        "kind": {"const": "a", "type": "string"},
        "docs": {"items": {"$ref": "#/$defs/Doc"}, "type": "array"},
        "count": {"type": "integer", "minimum": 0},
    },
    "required": ["instance_id", "title", "mode", "docs"],
    "type": "object",
}


def _edit(path: list[str | int], value: Any = None, *, delete: bool = False) -> dict[str, Any]:
    schema = copy.deepcopy(BASE)
    node: Any = schema
    for part in path[:-1]:
        node = node[part]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return schema


def _rename_title() -> dict[str, Any]:
    schema = copy.deepcopy(BASE)
    schema["properties"]["name"] = schema["properties"].pop("title")
    schema["required"] = ["instance_id", "name", "mode", "docs"]
    return schema


def _new_optional_field() -> dict[str, Any]:
    return _edit(["properties", "city_code"], {"anyOf": [{"type": "string"}, {"type": "null"}]})


def _new_required_field() -> dict[str, Any]:
    schema = _edit(["properties", "sequence"], {"type": "integer"})
    schema["required"].append("sequence")
    return schema


BREAKING: list[tuple[str, dict[str, Any], str]] = [
    ("field removed", _edit(["properties", "count"], delete=True), "$.count: field removed"),
    ("field renamed", _rename_title(), "$.title: field removed (renamed to name?)"),
    ("type changed", _edit(["properties", "count", "type"], "string"), "$.count: type changed"),
    ("format changed", _edit(["properties", "instance_id", "format"], "date-time"), "type changed"),
    (
        "nullable made non-nullable",
        _edit(["properties", "theme"], {"type": "string"}),
        "$.theme: type changed",
    ),
    (
        "required made nullable",
        _edit(["properties", "title"], {"anyOf": [{"type": "string"}, {"type": "null"}]}),
        "$.title: type changed",
    ),
    (
        "optional made required",
        _edit(["required"], ["instance_id", "title", "mode", "docs", "theme"]),
        "$.theme: optional field made required",
    ),
    ("new required field", _new_required_field(), "$.sequence: new required field"),
    (
        "enum value removed",
        _edit(["properties", "mode", "enum"], ["participant"]),
        "$.mode: enum value 'observer' removed",
    ),
    ("const changed", _edit(["properties", "kind", "const"], "b"), "$.kind: enum value 'a' removed"),
    (
        "string narrowed to enum",
        _edit(["properties", "title"], {"enum": ["x"], "type": "string"}),
        "$.title: type narrowed",
    ),
    (
        "nested field removed",
        _edit(["$defs", "Doc", "properties", "size"], delete=True),
        "$.docs[].size: field removed",
    ),
    (
        "nested type changed",
        _edit(["$defs", "Doc", "properties", "size", "type"], "number"),
        "$.docs[].size: type changed",
    ),
    (
        "array item type changed",
        _edit(["properties", "docs", "items"], {"type": "string"}),
        "$.docs[]: type changed",
    ),
    ("minimum tightened", _edit(["properties", "count", "minimum"], 1), "$.count: minimum tightened"),
    ("pattern added", _edit(["properties", "title", "pattern"], "^[a-z]+$"), "$.title: pattern changed"),
]

COMPATIBLE: list[tuple[str, dict[str, Any]]] = [
    ("identical", copy.deepcopy(BASE)),
    ("new optional field", _new_optional_field()),
    ("enum value added", _edit(["properties", "mode", "enum"], ["participant", "observer", "remote"])),
    ("description added", _edit(["properties", "title", "description"], "Public title")),
    ("minimum relaxed", _edit(["properties", "count"], {"type": "integer"})),
    ("enum widened to string", _edit(["properties", "mode"], {"type": "string"})),
    ("required field order", _edit(["required"], ["docs", "mode", "title", "instance_id"])),
    ("minLength relaxed", _edit(["properties", "title", "minLength"], delete=True)),
]


@pytest.mark.parametrize(("label", "new", "expected"), BREAKING, ids=[c[0] for c in BREAKING])
def test_breaking_changes_are_reported(label: str, new: dict[str, Any], expected: str) -> None:
    problems = incompatible_changes(BASE, new)
    assert any(expected in p for p in problems), f"{label}: {problems}"


@pytest.mark.parametrize(("label", "new"), COMPATIBLE, ids=[c[0] for c in COMPATIBLE])
def test_compatible_changes_pass(label: str, new: dict[str, Any]) -> None:
    assert incompatible_changes(BASE, new) == [], label


def test_recursive_refs_terminate() -> None:
    tree = {
        "$defs": {
            "Node": {
                "properties": {"children": {"items": {"$ref": "#/$defs/Node"}, "type": "array"}},
                "type": "object",
            }
        },
        "$ref": "#/$defs/Node",
    }
    assert incompatible_changes(tree, copy.deepcopy(tree)) == []


def _load(file: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
    return data


BASELINE_DIR = Path(__file__).resolve().parents[2] / "schemas" / "jsonschema-baseline"
BASELINE_FILES = sorted(BASELINE_DIR.glob("*.json"))


def test_baseline_is_present() -> None:
    assert len(BASELINE_FILES) >= 25


@pytest.mark.parametrize("baseline", BASELINE_FILES, ids=[f.stem for f in BASELINE_FILES])
def test_released_types_stay_compatible(exported_dir: Path, baseline: Path) -> None:
    current = exported_dir / baseline.name
    assert current.is_file(), (
        f"released event type {baseline.stem} disappeared; keep publishing its schema "
        "(deprecate it, never delete it)"
    )
    problems = incompatible_changes(_load(baseline), _load(current))
    assert problems == [], (
        f"breaking change to released type {baseline.stem}: {problems}. "
        "Revert it, or create a new type version (.v2) as a new model."
    )
