"""The event catalogue page for integrators is generated from the models and committed up to date."""

from __future__ import annotations

from pathlib import Path

import pytest

from conseils_schemas import (
    ALL_TOPICS,
    COMPACTED_TOPICS,
    CONTENT_TYPE_HEADER,
    CORRELATION_ID_HEADER,
    DATASCHEMA_HEADER,
    EVENT_TYPES,
    ID_HEADER,
    SOURCE_HEADER,
    SPECVERSION_HEADER,
    SUBJECT_HEADER,
    TIME_HEADER,
    TYPE_HEADER,
    event_schema,
)
from conseils_schemas.catalogue import DEFAULT_OUT, DLQ_HEADERS, check, main, render_catalogue

HINT = "the event catalogue is stale: run `python -m conseils_schemas.catalogue`"


def test_committed_catalogue_is_up_to_date() -> None:
    assert Path(__file__).resolve().parents[2] / "docs" / "events" / "catalogue.md" == DEFAULT_OUT
    assert check(DEFAULT_OUT) == [], HINT


def _section(page: str, model_name: str) -> str:
    start = page.index(f'<a id="{model_name.lower()}"></a>')
    end = page.find("<a id=", start + 1)
    return page[start : end if end != -1 else len(page)]


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_event_has_its_type_key_and_fields(event_type: str) -> None:
    model = EVENT_TYPES[event_type]
    section = _section(render_catalogue(), model.__name__)
    assert f"`{event_type}`" in section
    assert f"Kafka key: `{model.key_field}`" in section
    schema = event_schema(model)
    required = set(schema.get("required", []))
    rows = {
        line.split(" | ")[0].strip("| `"): line for line in section.splitlines() if line.startswith("| `")
    }
    assert set(rows) == set(schema["properties"])
    for name, row in rows.items():
        assert row.split(" | ")[2] == ("yes" if name in required else "no"), row
    assert "**Kafka key.**" in rows[model.key_field]


def test_field_descriptions_come_from_the_json_schema() -> None:
    page = render_catalogue()
    scheduled = _section(page, "InstanceScheduled")
    assert "Councils concerned; empty = the whole territory." in scheduled
    assert '| `scope` | one of `"territory"`, `"city"`, `"theme"`, `"council"` | yes |' in scheduled
    assert "| `sequence` | integer, ≥ 0 | no | `0` | iCalendar SEQUENCE. |" in scheduled
    assert "[DocumentRef](#documentref)" in _section(page, "DossierPublished")
    assert "| `sha256` | string, pattern `^[0-9a-f]{64}$` | yes |" in _section(page, "DocumentRef")


def test_topics_envelope_dead_letters_and_tombstones_are_documented() -> None:
    page = render_catalogue()
    for base in ALL_TOPICS:
        assert f"`plaine-commune.{base}`" in page
    for base in COMPACTED_TOPICS:
        assert f"`plaine-commune.{base}` | `member_id` | **compact**" in page
    for header in (
        SPECVERSION_HEADER,
        ID_HEADER,
        SOURCE_HEADER,
        TYPE_HEADER,
        TIME_HEADER,
        SUBJECT_HEADER,
        CORRELATION_ID_HEADER,
        DATASCHEMA_HEADER,
        CONTENT_TYPE_HEADER,
    ):
        assert f"| `{header}` |" in page
    for header, _ in DLQ_HEADERS:
        assert f"| `{header}` |" in page
    assert "**null value**" in page
    assert "must delete every copy" in page
    assert "A breaking change is a new type" in page


def test_dead_letter_headers_match_what_the_runtime_writes() -> None:
    from conseils_runtime.consumer import DLQ_HEADERS as RUNTIME_DLQ_HEADERS

    assert tuple(name for name, _ in DLQ_HEADERS) == RUNTIME_DLQ_HEADERS


def test_cli_check_fails_on_stale_page_and_write_fixes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "events" / "catalogue.md"
    assert main(["--check", "--out", str(out)]) == 1
    assert f"missing: {out}" in capsys.readouterr().out
    assert main(["--out", str(out)]) == 0
    assert main(["--check", "--out", str(out)]) == 0
    out.write_text(out.read_text(encoding="utf-8") + "edited by hand\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["--check", "--out", str(out)]) == 1
    assert f"differs: {out}" in capsys.readouterr().out
    assert main(["--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == render_catalogue()
