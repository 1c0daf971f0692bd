"""The local cloud's own tests: fixtures come from the harness plugin, localcloud.testing (``cloud``,
``network``, ``start_cloud``, ...); here only the guard against real AWS credentials."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch):
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    os.environ.setdefault("AWS_CONFIG_FILE", "/dev/null")
