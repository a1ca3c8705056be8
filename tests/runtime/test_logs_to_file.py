"""`logs_to_file` (`conseils up`, issue 18 item 7): every log line of the process goes to the file,
none to the console — FastStream's own logger (bound to stderr at import), aiokafka's, structlog's
even before `configure_logging` — and a 5xx is still logged there with its cause."""

from __future__ import annotations

import contextlib
import io
import logging
from pathlib import Path

import structlog
from fastapi import FastAPI
from fastapi.testclient import TestClient

from conseils_runtime.http import install_error_handlers
from conseils_runtime.logs import BROKER_LOGGER, configure_logging, get_logger, logs_to_file


def test_library_and_service_lines_go_to_the_file_not_the_console(tmp_path: Path) -> None:
    console = io.StringIO()
    saved = structlog.get_config()
    path = tmp_path / "conseils.log"
    faststream = logging.getLogger("faststream")
    own_handler = logging.StreamHandler(console)  # as FastStream's: a console handler of its own
    faststream.addHandler(own_handler)
    try:
        with contextlib.redirect_stderr(console), logs_to_file(path) as kept:
            assert kept is console
            get_logger("early").warning("logged before configure_logging")
            configure_logging("INFO", json=False)
            faststream.warning("faststream line")
            logging.getLogger("aiokafka.consumer").warning("aiokafka line")
            logging.getLogger(BROKER_LOGGER).warning("Failed to create topic t.x")
            get_logger("service").warning("service line")
            print("a line of the command", file=kept)
        assert own_handler in faststream.handlers  # put back
    finally:
        faststream.removeHandler(own_handler)
        structlog.configure(**saved)
    text = path.read_text(encoding="utf-8")
    for line in ("logged before configure_logging", "faststream line", "aiokafka line", "Failed to create"):
        assert line in text
    assert "service line" in text
    assert "\x1b[" not in text  # no colour codes in a file
    assert console.getvalue() == "a line of the command\n"


def test_a_5xx_is_logged_with_its_cause_in_the_file(tmp_path: Path) -> None:
    console = io.StringIO()
    saved = structlog.get_config()
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise LookupError("no such thing")

    path = tmp_path / "conseils.log"
    try:
        with contextlib.redirect_stderr(console), logs_to_file(path):
            configure_logging("WARNING", json=False)
            response = TestClient(app, raise_server_exceptions=False).get("/boom")
    finally:
        structlog.configure(**saved)
    assert response.status_code == 500
    text = path.read_text(encoding="utf-8")
    assert "unexpected error" in text
    assert "/boom" in text
    assert "LookupError" in text
    assert "Traceback" in text
    assert console.getvalue() == ""
