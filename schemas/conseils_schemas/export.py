"""Command line: write (or check) the exported JSON Schema files.

``python -m conseils_schemas.export [--check] [--out DIR]``

Writes one ``<event type>.json`` per event type plus the contact tombstone note
into ``schemas/jsonschema/`` (next to the package in a source checkout). With
``--check`` nothing is written: it exits 1 and lists the files that are missing,
differ, or should not be there.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .jsonschema import all_schema_files

__all__ = ["DEFAULT_OUT", "check", "main", "write"]

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "jsonschema"


def _managed(path: Path) -> list[Path]:
    if not path.is_dir():
        return []
    return sorted(p for p in path.iterdir() if p.is_file() and p.suffix in {".json", ".md"})


def check(out: Path) -> list[str]:
    """Problems found in ``out`` (empty when it matches the models)."""
    expected = all_schema_files()
    problems: list[str] = []
    for name, content in expected.items():
        file = out / name
        if not file.is_file():
            problems.append(f"missing: {file}")
        elif file.read_text(encoding="utf-8") != content:
            problems.append(f"differs: {file}")
    for file in _managed(out):
        if file.name not in expected:
            problems.append(f"unexpected: {file}")
    return problems


def write(out: Path) -> list[Path]:
    """Write every schema file into ``out``, remove stale ones; return the files changed."""
    out.mkdir(parents=True, exist_ok=True)
    expected = all_schema_files()
    changed: list[Path] = []
    for name, content in expected.items():
        file = out / name
        if not file.is_file() or file.read_text(encoding="utf-8") != content:
            file.write_text(content, encoding="utf-8", newline="\n")
            changed.append(file)
    for file in _managed(out):
        if file.name not in expected:
            file.unlink()
            changed.append(file)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m conseils_schemas.export", description="Export event JSON Schemas."
    )
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 on differences")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"directory (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    out: Path = args.out
    if args.check:
        problems = check(out)
        for line in problems:
            print(line)
        if problems:
            print("JSON Schemas are out of date: run python -m conseils_schemas.export", file=sys.stderr)
            return 1
        print(f"{out}: up to date")
        return 0
    changed = write(out)
    for file in changed:
        print(f"wrote {file}")
    print(f"{out}: {len(all_schema_files())} files, {len(changed)} changed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
