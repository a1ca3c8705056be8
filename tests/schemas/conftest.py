"""Fixtures shared by the schema contract tests."""

from __future__ import annotations

from pathlib import Path

import pytest

SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"


@pytest.fixture(scope="session")
def exported_dir() -> Path:
    return SCHEMAS_DIR / "jsonschema"


@pytest.fixture(scope="session")
def baseline_dir() -> Path:
    return SCHEMAS_DIR / "jsonschema-baseline"
