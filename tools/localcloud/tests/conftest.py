"""The local cloud's own tests: fixtures come from the harness plugin, localcloud.testing (``cloud``,
``network``, ``start_cloud``, ``plain_moto``, ``moto_or_cloud``, ...); here the guard against real AWS credentials
and ``plain_moto_in_process``, plain moto's threaded server in this process, for tests that make moto itself raise
(a patch in this process reaches it, unlike ``plain_moto``'s own process)."""

from __future__ import annotations

import os

import pytest

from localcloud.testing import free_port


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch):
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    os.environ.setdefault("AWS_CONFIG_FILE", "/dev/null")


@pytest.fixture(scope="session")
def plain_moto_in_process():
    """Plain moto's own threaded server in this process (what the local cloud wraps): its endpoint URL."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
