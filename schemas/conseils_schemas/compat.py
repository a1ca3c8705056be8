"""Breaking-change detection between two JSON Schemas of the same event type.

This module owns the compatibility rule of the catalogue. Events live forever in
Kafka logs: new consumers read old events and old consumers read new ones, so
a published ``.vN`` type may only evolve in ways both can read. Reported as
breaking:

* a field removed (or renamed, which is a removal plus an addition);
* a field whose type (JSON type, format, const, referenced model) changed;
* a new required field, or an optional field made required;
* an enum value removed;
* a string pattern changed, or a numeric/length bound tightened.

Allowed: new optional fields, new enum values (consumers are tolerant readers),
descriptions, examples, titles. A breaking change needs a new type (``.v2``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["incompatible_changes"]

Schema = dict[str, Any]

_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems")


def incompatible_changes(old_schema: Schema, new_schema: Schema) -> list[str]:
    """Human-readable list of breaking changes from ``old_schema`` to ``new_schema``.

    Both are JSON Schema documents as produced by pydantic (``$defs`` + local
    ``$ref``). An empty list means ``new_schema`` is a compatible evolution.
    """
    checker = _Checker(old_schema, new_schema)
    checker.compare(old_schema, new_schema, "$", frozenset())
    return checker.problems


def _resolve(root: Schema, node: Schema) -> tuple[Schema, str | None]:
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return node, None
    if not ref.startswith("#/"):
        raise ValueError(f"only local $ref are supported, got {ref!r}")
    target: Any = root
    for part in ref[2:].split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    merged = {k: v for k, v in node.items() if k != "$ref"}
    return {**target, **merged}, ref


def _variants(node: Schema) -> list[Schema]:
    for key in ("anyOf", "oneOf"):
        if key in node:
            return [v for v in node[key] if isinstance(v, dict)]
    return [node]


def _kind(root: Schema, node: Schema) -> str:
    """Short signature of a schema node: type, format, const, referenced model."""
    resolved, ref = _resolve(root, node)
    if ref is not None and "enum" not in resolved:
        return f"ref:{ref.rsplit('/', 1)[-1]}"
    if "const" in resolved:
        return f"const:{resolved['const']!r}"
    if "enum" in resolved:
        return f"enum:{resolved.get('type', '?')}"
    node_type = resolved.get("type", "any")
    if isinstance(node_type, list):
        node_type = "|".join(sorted(str(t) for t in node_type))
    fmt = resolved.get("format")
    return f"{node_type}:{fmt}" if fmt else str(node_type)


class _Checker:
    def __init__(self, old_root: Schema, new_root: Schema) -> None:
        self.old_root = old_root
        self.new_root = new_root
        self.problems: list[str] = []

    def _add(self, message: str) -> None:
        if message not in self.problems:
            self.problems.append(message)

    def compare(self, old: Schema, new: Schema, path: str, seen: frozenset[str]) -> None:
        old, old_ref = _resolve(self.old_root, old)
        new, _ = _resolve(self.new_root, new)
        if old_ref is not None:
            if old_ref in seen:
                return  # recursive model, already being compared
            seen = seen | {old_ref}

        old_vars, new_vars = _variants(old), _variants(new)
        if len(old_vars) > 1 or len(new_vars) > 1:
            self._compare_union(old_vars, new_vars, path, seen)
            return

        old_is_enum = "enum" in old or "const" in old
        new_is_enum = "enum" in new or "const" in new
        if old_is_enum and new_is_enum:
            self._compare_enum(old, new, path)
        elif old_is_enum:
            # enum widened to a plain type: fine if every old value keeps its JSON type
            if old.get("type") is not None and old.get("type") != new.get("type"):
                new_kind = _kind(self.new_root, new)
                self._add(f"{path}: type changed from enum of {old.get('type')} to {new_kind}")
                return
        elif new_is_enum:
            self._add(f"{path}: type narrowed from {_kind(self.old_root, old)} to an enumeration")
            return
        else:
            old_kind, new_kind = _kind(self.old_root, old), _kind(self.new_root, new)
            if old_kind != new_kind:
                self._add(f"{path}: type changed from {old_kind} to {new_kind}")
                return

        self._compare_constraints(old, new, path)
        if "properties" in old or "properties" in new:
            self._compare_object(old, new, path, seen)
        if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
            self.compare(old["items"], new["items"], f"{path}[]", seen)
        if isinstance(old.get("additionalProperties"), dict) and isinstance(
            new.get("additionalProperties"), dict
        ):
            self.compare(old["additionalProperties"], new["additionalProperties"], f"{path}{{}}", seen)

    def _compare_union(
        self, old_vars: list[Schema], new_vars: list[Schema], path: str, seen: frozenset[str]
    ) -> None:
        old_by_kind = {_kind(self.old_root, v): v for v in old_vars}
        new_by_kind = {_kind(self.new_root, v): v for v in new_vars}
        if set(old_by_kind) != set(new_by_kind):
            old_desc = " | ".join(sorted(old_by_kind))
            new_desc = " | ".join(sorted(new_by_kind))
            self._add(f"{path}: type changed from {old_desc} to {new_desc}")
            return
        for kind, old_variant in old_by_kind.items():
            self.compare(old_variant, new_by_kind[kind], path, seen)

    def _compare_enum(self, old: Schema, new: Schema, path: str) -> None:
        old_values = old["enum"] if "enum" in old else [old["const"]]
        new_values = new["enum"] if "enum" in new else [new["const"]]
        for value in old_values:
            if value not in new_values:
                self._add(f"{path}: enum value {value!r} removed")

    def _compare_constraints(self, old: Schema, new: Schema, path: str) -> None:
        if old.get("pattern") != new.get("pattern") and "pattern" in new:
            self._add(f"{path}: pattern changed from {old.get('pattern')!r} to {new['pattern']!r}")
        for key in _LOWER_BOUNDS:
            if key in new and (key not in old or new[key] > old[key]):
                self._add(f"{path}: {key} tightened from {old.get(key)} to {new[key]}")
        for key in _UPPER_BOUNDS:
            if key in new and (key not in old or new[key] < old[key]):
                self._add(f"{path}: {key} tightened from {old.get(key)} to {new[key]}")

    def _compare_object(self, old: Schema, new: Schema, path: str, seen: frozenset[str]) -> None:
        old_props: dict[str, Schema] = old.get("properties", {})
        new_props: dict[str, Schema] = new.get("properties", {})
        old_required = set(old.get("required", []))
        new_required = set(new.get("required", []))
        added = [name for name in new_props if name not in old_props]

        for name, old_prop in old_props.items():
            field_path = f"{path}.{name}"
            if name not in new_props:
                renamed = [
                    candidate
                    for candidate in added
                    if _kind(self.new_root, new_props[candidate]) == _kind(self.old_root, old_prop)
                ]
                hint = f" (renamed to {' or '.join(renamed)}?)" if renamed else ""
                self._add(f"{field_path}: field removed{hint}")
                continue
            if name in new_required and name not in old_required:
                self._add(f"{field_path}: optional field made required")
            self.compare(old_prop, new_props[name], field_path, seen)

        for name in added:
            if name in new_required:
                self._add(f"{path}.{name}: new required field")
