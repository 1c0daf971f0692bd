"""Modules run in the controller's worker (a local connection) give the results their own process gives.

plugins/action/normal.py (the amazon.aws modules the roles call) and the collection's LocalAWSModuleAction (its own
AWS modules) run a module's main() in the worker instead of a Python process of its own; ``async`` (like any other
connection) still runs the process. Both ways here, against the same local cloud: the same answers and the same
refusal, and ``-vvv`` shows a module process (AnsiballZ) only on the async side.

    .venv/bin/python -m pytest -q tests/integration/test_in_worker.py
"""

from __future__ import annotations

import base64
import json
import subprocess

import yaml
from conftest import REPO

from localcloud.testing import BIN

MARK = "IN-WORKER-RESULTS:"


def tasks(async_seconds: int) -> list[dict]:
    background = {"async": async_seconds, "poll": 1} if async_seconds else {}
    return [
        {"name": "caller", "amazon.aws.aws_caller_info": {}, "register": "caller", **background},
        {
            "name": "zones",
            "payments.auroradb.validate_catalogue": {"availability_zones": ["us-east-1a", "us-east-1z"]},
            "register": "zones",
            "ignore_errors": True,
            **background,
        },
        {
            "name": "vpcs",
            "amazon.aws.ec2_vpc_net_info": {"filters": {"tag:Name": "no-such-vpc"}},
            "register": "vpcs",
            **background,
        },
        {
            "name": "results",
            "ansible.builtin.debug": {"msg": MARK + "{{ [caller, zones, vpcs] | to_json | b64encode }}"},
        },
    ]


def run(localcloud, tmp_path, async_seconds: int) -> tuple[list[dict], str]:
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks(async_seconds)}]
    path = tmp_path / f"play-{async_seconds}.yml"
    path.write_text(yaml.safe_dump(play), encoding="utf-8")
    proc = subprocess.run(
        [str(BIN / "ansible-playbook"), "-vvv", str(path)],
        cwd=REPO,
        env={**localcloud.env, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_STDOUT_CALLBACK": "default"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    encoded = output.split(MARK, 1)[1].split('"', 1)[0]
    return json.loads(base64.b64decode(encoded)), output


def test_in_worker_and_module_process_agree(localcloud, tmp_path):
    (caller, zones, vpcs), in_worker = run(localcloud, tmp_path, 0)
    (caller_p, zones_p, vpcs_p), process = run(localcloud, tmp_path, 60)

    assert "AnsiballZ_" not in in_worker
    for module in ("aws_caller_info", "validate_catalogue", "ec2_vpc_net_info"):
        assert f"AnsiballZ_{module}.py" in process, module

    assert caller["account"] == caller_p["account"] == "123456789012"
    assert caller["arn"] == caller_p["arn"] and caller["user_id"] == caller_p["user_id"]
    assert zones["failed"] is True and zones_p["failed"] is True
    assert zones["msg"] == zones_p["msg"] and "us-east-1z is not an available zone" in zones["msg"]
    assert vpcs["vpcs"] == vpcs_p["vpcs"] == []
