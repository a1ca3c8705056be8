"""Structured logs (structlog) that always carry the correlation id in context,
`logs_to_file` (every log line of the process in a file, the console kept for a
command's own lines), and `describe_error`: what an error may say in a log or a
dead letter (its kind and field names, never the values it quotes)."""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import traceback
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import TextIO

import structlog
from pydantic import ValidationError
from sqlalchemy import exc as sa_exc

correlation_id_var: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def _add_correlation_id(
    _logger: object, _method: str, event_dict: structlog.types.EventDict
) -> structlog.types.EventDict:
    correlation_id = correlation_id_var.get()
    if correlation_id is not None:
        event_dict.setdefault("correlation_id", correlation_id)
    return event_dict


def _safe_exceptions(
    _logger: object, _method: str, event_dict: structlog.types.EventDict
) -> structlog.types.EventDict:
    """No value quoted by an exception reaches a log line: an exception passed as a field becomes
    `describe_error(it)`, and `log.exception(...)` keeps the traceback's frames (file, line,
    function, source line) with each exception of the chain described the same way."""
    for name, value in event_dict.items():
        if isinstance(value, BaseException) and name != "exc_info":
            event_dict[name] = describe_error(value)
    exc_info = event_dict.pop("exc_info", None)
    if exc_info:
        error = exc_info[1] if isinstance(exc_info, tuple) else exc_info
        if not isinstance(error, BaseException):
            error = sys.exc_info()[1]
        if error is not None:
            event_dict["exception"] = _safe_traceback(error)
    return event_dict


def _safe_traceback(error: BaseException) -> str:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    parts = []
    for link in reversed(chain):
        frames = "".join(traceback.format_tb(link.__traceback__))
        parts.append(f"Traceback (most recent call last):\n{frames}{describe_error(link)}")
    return "\n\nDuring or because of the above:\n\n".join(parts)


class _CurrentStderr:
    """Whatever `sys.stderr` is at the time of writing: a stream bound once at
    configuration would outlive a test runner's (or a daemon's) replaced stderr."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


BROKER_LOGGER = "conseils_runtime.broker"
"""The logger FastStream is given (``make_broker``): FastStream's own writes to stdout, in colour,
past any handler of ours; this one goes where the standard library's logs go."""

LIBRARY_LOGGERS = ("faststream", "faststream.access", "aiokafka", "kafka", "uvicorn", "alembic", "httpx")
"""Loggers that come with a handler of their own (FastStream's, bound to the console at import) or
may be given one: in `logs_to_file` they lose it and write through the root logger's."""


def configure_logging(level: str = "INFO", *, json: bool = True) -> None:
    """Configure structlog and the standard library once per process."""
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())  # no colour codes in a file
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            _add_correlation_id,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _safe_exceptions,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=structlog.PrintLoggerFactory(_CurrentStderr()),  # type: ignore[arg-type]
        # Not cached: one process may configure again (the three services and the site of
        # `conseils up`, a test after the bench's WARNING runs), and a logger cached at its first
        # use would keep the first level for good.
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=level.upper(), stream=sys.stderr, format="%(levelname)s %(name)s %(message)s")
    for library in ("faststream", "aiokafka", BROKER_LOGGER):
        logging.getLogger(library).setLevel(level.upper())


@contextlib.contextmanager
def logs_to_file(path: Path) -> Iterator[TextIO]:
    """While it lasts, every log line of this process goes to ``path`` (appended), none to the
    console: structlog's (the services' and the site's, each 5xx with its cause), the standard
    library's (FastStream, aiokafka, uvicorn, Alembic), Python's warnings, and whatever else writes
    to ``sys.stderr``. Yields the console (``sys.stderr`` as it was) for the command's own lines.
    Everything is put back as it was at the end."""
    path.parent.mkdir(parents=True, exist_ok=True)
    console = sys.stderr
    root = logging.getLogger()
    saved_root = root.handlers[:]
    saved = {name: logging.getLogger(name) for name in LIBRARY_LOGGERS}
    saved_state = {name: (lg.handlers[:], lg.propagate) for name, lg in saved.items()}
    with path.open("a", encoding="utf-8", buffering=1) as stream:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        root.handlers = [handler]
        for library in saved.values():
            library.handlers = []
            library.propagate = True
        logging.captureWarnings(True)
        # A logger used before `configure_logging` (at an app's creation) would print to stdout.
        factory = structlog.PrintLoggerFactory(_CurrentStderr())  # type: ignore[arg-type]
        saved_factory = structlog.get_config()["logger_factory"]
        structlog.configure(logger_factory=factory)
        try:
            # uvicorn's handlers are made from `ext://sys.stderr` when its Config is built: here.
            with contextlib.redirect_stderr(stream):
                yield console
        finally:
            logging.captureWarnings(False)
            if structlog.get_config()["logger_factory"] is factory:
                structlog.configure(logger_factory=saved_factory)
            handler.flush()
            root.handlers = saved_root
            for name, library in saved.items():
                library.handlers, library.propagate = saved_state[name]


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger


# What an error may say in a log line or a dead-letter header: its kind and the names of the
# fields involved, never a value (a name, a phone number, a message body). Values reach error
# texts in three ways, each closed here: pydantic's `input_value=`, SQLAlchemy's `[parameters: …]`
# and the `{value!r}` quoting of hand-written messages.
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NAME_LIKE = re.compile(r"^['\"](ce_[a-z]{1,30}|content-type)['\"]$")
_MAX_DESCRIPTION = 500
MASKED = "<masqué>"


def _mask_quoted(text: str) -> str:
    return _QUOTED.sub(lambda match: match.group(0) if _NAME_LIKE.match(match.group(0)) else MASKED, text)


def describe_validation_error(error: ValidationError) -> str:
    """`loc` and `type` of each error (e.g. `name (string_type)`): no `input`, no `msg`."""
    problems = [
        f"{'.'.join(str(part)[:64] for part in detail['loc']) or '(racine)'} ({detail['type']})"
        for detail in error.errors(include_url=False, include_input=False, include_context=False)
    ]
    shown = "; ".join(problems[:10]) + ("; …" if len(problems) > 10 else "")
    return f"ValidationError: {len(problems)} error(s): {shown}"


def describe_error(error: BaseException) -> str:
    """The kind of `error` and the field names it involves, without the values it may quote."""
    cause = error.__cause__
    if isinstance(error, ValidationError):
        text = describe_validation_error(error)
    elif isinstance(cause, ValidationError):
        text = f"{type(error).__name__}: {describe_validation_error(cause)}"
    elif isinstance(error, sa_exc.DBAPIError):
        # Its text quotes the statement's parameters and the driver's message may quote a value
        # ('invalid input syntax for type uuid: "…"'): keep the kinds and the SQLSTATE only.
        original = error.orig
        code = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
        constraint = getattr(getattr(original, "__cause__", None), "constraint_name", None)
        text = f"{type(error).__name__} ({type(original).__name__}"
        text += f", sqlstate={code}" if code else ""
        text += f", constraint={constraint}" if constraint else ""
        text += ")"
    elif isinstance(error, sa_exc.StatementError):
        text = f"{type(error).__name__} ({type(error.orig).__name__ if error.orig else 'statement'})"
    else:
        message = str(error).splitlines()[0] if str(error) else ""
        text = f"{type(error).__name__}: {_mask_quoted(message)}" if message else type(error).__name__
    return text[:_MAX_DESCRIPTION]
