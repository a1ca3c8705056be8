"""Log lines never quote what an exception quotes: an exception passed as a field and
`log.exception(...)` both keep the kind, the field names and the traceback's frames,
never the values (a name, a phone number) pydantic or a hand-written message echoes."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel, ValidationError

from conseils_runtime.logs import configure_logging, get_logger

NAME, PHONE = "Aïcha Benali", "06 12 34 56 78"


class Card(BaseModel):
    display_name: int
    phone: int


def fail() -> None:
    try:
        Card.model_validate({"display_name": NAME, "phone": PHONE})
    except ValidationError as error:
        raise RuntimeError(f"card of {NAME!r} refused") from error


@pytest.mark.parametrize("as_json", [True, False])
def test_logged_exceptions_keep_kinds_fields_and_frames_never_values(
    as_json: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", json=as_json)
    log = get_logger("tests.security")
    try:
        fail()
    except RuntimeError as error:
        log.exception("card failed", error=error)
        log.warning("card failed again", cause=error.__cause__)
    logged = capsys.readouterr().err
    assert NAME not in logged
    assert PHONE not in logged
    assert "display_name (int_parsing)" in logged
    assert "in fail" in logged  # the frames are kept
    if as_json:
        first = json.loads(logged.splitlines()[0])
        assert (
            first["error"]
            == "RuntimeError: ValidationError: 2 error(s): display_name (int_parsing); phone (int_parsing)"
        )
        assert first["exception"].startswith("Traceback (most recent call last):")
