"""The localcloud CLI: start, start again, status, env, down; bad input gives one line and exit != 0."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import boto3

from localcloud.testing import free_port, run_cli


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_lifecycle(tmp_path):
    port = free_port()
    state = str(tmp_path / "state")
    first = run_cli("up", "--port", str(port), "--state-dir", state)
    assert f"http://127.0.0.1:{port}" in first.stdout
    pid = int((tmp_path / "state" / "localcloud.pid").read_text())
    try:
        again = run_cli("up", "--port", str(port), "--state-dir", state)
        assert "already running" in again.stdout and str(pid) in again.stdout
        assert run_cli("status", "--state-dir", state).returncode == 0
        env = dict(
            line.removeprefix("export ").split("=", 1)
            for line in run_cli("env", "--state-dir", state).stdout.splitlines()
        )
        assert env["AWS_URL"] == env["AWS_ENDPOINT_URL"] == f"http://127.0.0.1:{port}"
        assert env["AWS_REGION"] == "us-east-1"
        sts = boto3.client(
            "sts",
            endpoint_url=env["AWS_URL"],
            region_name=env["AWS_REGION"],
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )
        assert sts.get_caller_identity()["Account"] == "123456789012"
        # bound to loopback only
        out = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            assert all("127.0.0.1:" in line for line in out.stdout.strip().splitlines())
    finally:
        run_cli("down", "--state-dir", state)
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split(") ", 1)[1][0] == "Z"
    assert not _listening(port)
    assert run_cli("status", "--state-dir", state, check=False).returncode == 3
    assert "not running" in run_cli("down", "--state-dir", state).stdout


def test_two_clouds_side_by_side(tmp_path):
    ports = [free_port(), free_port()]
    states = [str(tmp_path / "a"), str(tmp_path / "b")]
    try:
        for port, state in zip(ports, states, strict=True):
            run_cli("up", "--port", str(port), "--state-dir", state)
        clients = [
            boto3.client(
                "ec2",
                endpoint_url=f"http://127.0.0.1:{p}",
                region_name="us-east-1",
                aws_access_key_id="t",
                aws_secret_access_key="t",
            )
            for p in ports
        ]
        clients[0].create_vpc(CidrBlock="10.9.0.0/16")
        cidrs = [{v["CidrBlock"] for v in c.describe_vpcs()["Vpcs"]} for c in clients]
        assert "10.9.0.0/16" in cidrs[0] and "10.9.0.0/16" not in cidrs[1]
        run_cli("down", "--state-dir", states[0])
        assert run_cli("status", "--state-dir", states[1]).returncode == 0
    finally:
        for state in states:
            run_cli("down", "--state-dir", state)
    assert not any(_listening(p) for p in ports)


def test_busy_port_is_one_line_error(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        proc = run_cli("up", "--port", str(port), "--state-dir", str(tmp_path / "s"), check=False)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "already in use" in lines[0] and str(port) in lines[0]
    assert not (tmp_path / "s" / "localcloud.pid").exists()


def test_unwritable_state_dir_is_one_line_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    proc = run_cli("up", "--port", str(free_port()), "--state-dir", str(blocker / "state"), check=False)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "not writable" in lines[0]


def _bare_env(cwd, **extra) -> subprocess.CompletedProcess:
    """``localcloud env`` without --state-dir, run in ``cwd`` with no LOCALCLOUD_* setting from this process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCALCLOUD_")}
    return subprocess.run(
        [sys.executable, "-m", "localcloud.cli", "env"],
        cwd=cwd,
        env={**env, **extra},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _exports(stdout: str) -> dict:
    """What `eval "$(localcloud env)"` sets, as bash reads it."""
    script = f"{stdout}\nenv -0"
    out = subprocess.run(["bash", "-c", script], capture_output=True, check=True, env={}).stdout.decode()
    return dict(item.split("=", 1) for item in out.split("\0") if "=" in item)


def test_default_state_dir_is_the_checkouts_inside_one(tmp_path):
    """Inside a checkout (tools/localcloud/pyproject.toml above the working directory) the default state dir is
    <checkout>/.localcloud, where the Makefile keeps the cloud of `make localcloud-up`; elsewhere the user's."""
    checkout = tmp_path / "checkout with space"
    (checkout / "tools" / "localcloud").mkdir(parents=True)
    (checkout / "tools" / "localcloud" / "pyproject.toml").write_text("")
    (checkout / "playbooks").mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    for cwd in (checkout, checkout / "playbooks"):
        proc = _bare_env(cwd, XDG_STATE_HOME=str(tmp_path / "xdg"))
        assert _exports(proc.stdout)["LOCALCLOUD_STATE_DIR"] == str(checkout / ".localcloud")
    proc = _bare_env(outside, XDG_STATE_HOME=str(tmp_path / "xdg"))
    assert _exports(proc.stdout)["LOCALCLOUD_STATE_DIR"] == str(tmp_path / "xdg" / "localcloud")
    proc = _bare_env(checkout, LOCALCLOUD_STATE_DIR=str(outside))
    assert _exports(proc.stdout)["LOCALCLOUD_STATE_DIR"] == str(outside)


def test_env_without_a_cloud_warns_on_stderr(tmp_path):
    state = tmp_path / "no cloud"
    proc = run_cli("env", "--state-dir", str(state), "--port", "4599")
    exports = _exports(proc.stdout)  # stdout stays eval-able: export lines only
    assert all(line.startswith("export ") for line in proc.stdout.splitlines())
    assert exports["AWS_URL"] == "http://127.0.0.1:4599" and exports["LOCALCLOUD_STATE_DIR"] == str(state)
    assert "warning: no local cloud is running" in proc.stderr and str(state) in proc.stderr
    assert "make localcloud-up" in proc.stderr
