"""Fixtures: a real local cloud process (``localcloud up``) on a free loopback port, per test session."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from localcloud import ACCOUNT_ID  # noqa: F401 - re-exported for tests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "localcloud.cli", *args], capture_output=True, text=True, timeout=120, check=False
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"localcloud {' '.join(args)} failed: {proc.stdout}{proc.stderr}")
    return proc


class Cloud:
    def __init__(self, port: int, state_dir: Path):
        self.port = port
        self.state_dir = state_dir
        self.endpoint = f"http://127.0.0.1:{port}"

    def client(self, service: str):
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


@pytest.fixture(scope="session")
def cloud(tmp_path_factory) -> Cloud:
    state_dir = tmp_path_factory.mktemp("localcloud")
    port = free_port()
    run_cli("up", "--port", str(port), "--state-dir", str(state_dir))
    yield Cloud(port, state_dir)
    run_cli("down", "--state-dir", str(state_dir))


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch):
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    os.environ.setdefault("AWS_CONFIG_FILE", "/dev/null")
