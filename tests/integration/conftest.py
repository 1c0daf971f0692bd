"""Fixtures for repo-level integration tests, from the harness plugin (localcloud.testing): ``localcloud`` (a
local cloud per module with ``.playbook()``, ``.run_module()``, ``.client()``, ``.requests()``, ``.env``, ...),
``start_cloud``, and ``recap`` for PLAY RECAP lines; here only what the test modules import by name."""

from __future__ import annotations

import subprocess
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


# Warnings amazon.aws prints whatever the task asks (amazon.aws 11.4.0); any other warning is ours and fails a test.
UPSTREAM_WARNINGS = (
    # iam_role deprecates one of its own return values on every call
    "[DEPRECATION WARNING]: In a release after 2026-05-01 iam_role.assume_role_policy_document_raw ",
    "[WARNING]: Deprecation warnings can be disabled",  # printed once with the first deprecation
)


def our_warnings(run: subprocess.CompletedProcess) -> list[str]:
    """The warning lines of a playbook run that are not amazon.aws's own (UPSTREAM_WARNINGS)."""
    lines = (run.stdout + run.stderr).splitlines()
    return [
        line
        for line in lines
        if ("[WARNING]" in line or "[DEPRECATION WARNING]" in line) and not line.strip().startswith(UPSTREAM_WARNINGS)
    ]
