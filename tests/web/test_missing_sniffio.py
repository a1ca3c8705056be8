"""Issue 17 (pages at national size): httpcore imports ``sniffio`` for every request the site
sends to a service; when it is not installed (anyio 4 no longer brings it) the failed import
searched the whole ``sys.path`` each time. The site records it as absent once, so the import
fails at once and httpcore still picks asyncio."""

from __future__ import annotations

import importlib.util
import sys

import httpcore._synchronization
import pytest

from conseils_web import services


def test_a_missing_sniffio_is_recorded_once_and_httpcore_still_runs_on_asyncio(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, "sniffio", raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *_a: None)
    assert services.remember_missing_sniffio() is True
    assert sys.modules["sniffio"] is None
    with pytest.raises(ImportError):
        import sniffio  # noqa: F401
    assert services.remember_missing_sniffio() is False  # already recorded

    import asyncio

    async def library() -> str:
        return httpcore._synchronization.current_async_library()

    assert asyncio.run(library()) == "asyncio"


def test_an_installed_sniffio_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "sniffio", raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *_a: object())
    assert services.remember_missing_sniffio() is False
    assert "sniffio" not in sys.modules
