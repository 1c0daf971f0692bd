"""Fixtures for repo-level integration tests: a local cloud per module and an ansible-playbook runner."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalCloud:
    def __init__(self, port: int, state_dir: Path):
        self.port, self.state_dir = port, state_dir
        self.endpoint = f"http://127.0.0.1:{port}"
        self.env = {
            **os.environ,
            "AWS_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_NOCOLOR": "1",
            "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
            # The local cloud's CA (what `localcloud env` prints): inventories/local reads the first,
            # the other inventories the second, as users on AWS point it at the RDS bundle.
            "LOCALCLOUD_CA_BUNDLE": str(state_dir / "dataplane" / "ca.pem"),
            "AURORADB_DB_CA_BUNDLE": str(state_dir / "dataplane" / "ca.pem"),
        }

    def run_module(self, tmp_path: Path, module: str, args: dict, *flags: str) -> tuple[dict, str]:
        """Run one module of the collection once through ansible-playbook (ignore_errors).

        Returns its registered result and the run's whole output (stdout + stderr), for no-secret assertions.
        """
        out = tmp_path / "result.json"
        play = [
            {
                "hosts": "localhost",
                "gather_facts": False,
                "connection": "local",
                "vars": {"ansible_python_interpreter": sys.executable},
                "tasks": [
                    {"name": module, module: args, "register": "result", "ignore_errors": True},
                    {
                        "name": "Save the result",
                        "ansible.builtin.copy": {"content": "{{ result | to_json }}", "dest": str(out)},
                        "check_mode": False,
                    },
                ],
            }
        ]
        playbook = tmp_path / "play.yml"
        playbook.write_text(yaml.safe_dump(play), encoding="utf-8")
        env = {**self.env, "ANSIBLE_COLLECTIONS_PATH": str(REPO / "collections")}
        cmd = [str(BIN / "ansible-playbook"), "-i", "localhost,", str(playbook), *flags]
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        return json.loads(out.read_text(encoding="utf-8")), proc.stdout + proc.stderr

    def client(self, service: str):
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def requests(self) -> list[dict]:
        with urllib.request.urlopen(self.endpoint + "/_localcloud/requests") as resp:
            return json.load(resp)

    def playbook(self, playbook: str, *args: str, check: bool = True, inventory: str | None = "inventories/local"):
        inventory_args = ["-i", str(REPO / inventory)] if inventory else []
        cmd = [str(BIN / "ansible-playbook"), *inventory_args, str(REPO / "playbooks" / playbook), *args]
        proc = subprocess.run(cmd, cwd=REPO, env=self.env, capture_output=True, text=True, timeout=1800, check=False)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"
            )
        return proc


def recap(output: str, host: str = "payments-local") -> dict[str, int]:
    for line in output.splitlines():
        if line.startswith(host) and "ok=" in line:
            return {k: int(v) for k, v in (item.split("=") for item in line.split(":", 1)[1].split())}
    raise AssertionError(f"no PLAY RECAP line for {host} in:\n{output[-3000:]}")


@pytest.fixture(scope="module")
def localcloud(tmp_path_factory):
    state = tmp_path_factory.mktemp("localcloud")
    port = _free_port()
    up = [str(BIN / "localcloud"), "up", "--port", str(port), "--state-dir", str(state)]
    subprocess.run(up, check=True, capture_output=True, timeout=120)
    yield LocalCloud(port, state)
    subprocess.run(
        [str(BIN / "localcloud"), "down", "--state-dir", str(state)], check=True, capture_output=True, timeout=120
    )


@pytest.fixture
def suffix() -> str:
    return "t" + uuid.uuid4().hex[:6]
