"""(a) The committed JSON Schemas are exactly what the models produce today."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conseils_schemas import EVENT_TYPES, event_schema
from conseils_schemas.export import check, main, write
from conseils_schemas.jsonschema import DRAFT_2020_12, TOMBSTONE_NOTE_FILENAME, schema_id

HINT = "models changed without re-exporting: run `python -m conseils_schemas.export`"


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_exported_schema_matches_model(exported_dir: Path, event_type: str) -> None:
    file = exported_dir / f"{event_type}.json"
    assert file.is_file(), f"{file} missing; {HINT}"
    committed = json.loads(file.read_text(encoding="utf-8"))
    assert committed == event_schema(EVENT_TYPES[event_type]), HINT


def test_export_directory_is_exactly_up_to_date(exported_dir: Path) -> None:
    assert check(exported_dir) == [], HINT


def test_schema_header(exported_dir: Path) -> None:
    for event_type, model in EVENT_TYPES.items():
        schema = json.loads((exported_dir / f"{event_type}.json").read_text(encoding="utf-8"))
        assert schema["$schema"] == DRAFT_2020_12
        assert schema["$id"] == schema_id(event_type)
        assert schema["title"] == model.__name__
        assert schema["x-topic"] == model.topic


def test_tombstone_note_is_exported(exported_dir: Path) -> None:
    assert "null value" in (exported_dir / TOMBSTONE_NOTE_FILENAME).read_text(encoding="utf-8")


def test_export_cli_write_then_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--check", "--out", str(tmp_path)]) == 1
    assert "missing:" in capsys.readouterr().out
    assert main(["--out", str(tmp_path)]) == 0
    assert main(["--check", "--out", str(tmp_path)]) == 0

    some = next(tmp_path.glob("*.json"))
    some.write_text("{}\n", encoding="utf-8")
    (tmp_path / "stale.json").write_text("{}\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["--check", "--out", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"differs: {some}" in out
    assert "unexpected:" in out
    assert "stale.json" in out

    changed = write(tmp_path)
    assert some in changed
    assert not (tmp_path / "stale.json").exists()
    assert check(tmp_path) == []


def test_files_are_canonical(exported_dir: Path) -> None:
    for file in exported_dir.glob("*.json"):
        text = file.read_text(encoding="utf-8")
        assert text.endswith("}\n")
        assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
