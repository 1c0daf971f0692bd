"""Fixtures for repo-level integration tests, from the harness plugin (localcloud.testing): ``localcloud`` (a
local cloud per module with ``.playbook()``, ``.run_module()``, ``.client()``, ``.requests()``, ``.env``, ...),
``start_cloud``, and ``recap`` for PLAY RECAP lines; here only what the test modules import by name."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from localcloud.testing import recap  # noqa: F401 - test modules import it from here

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def localcloud_repo() -> Path:
    return REPO


@pytest.fixture
def suffix() -> str:
    return "t" + uuid.uuid4().hex[:6]
