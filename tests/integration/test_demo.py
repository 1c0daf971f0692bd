"""`make demo` end to end, as a user runs it: deploy, verify, then the printed psql command connects.

Runs the real Makefile targets on a free port and a private state dir (so it never touches a user's demo), then
checks the acceptance of the data plane with psql itself: the printed command connects with sslmode=verify-full,
a plaintext connection is refused, a write through the reader endpoint fails as read-only; `make demo-down`
leaves no postgres process and no listening port behind. The demo's local cloud runs AWS's timing model (here at a
scale where an instance takes about a second), and its request log shows that the converge and the teardown
overlap their waits (`order.py`: the cluster and every instance requested before any wait for the NAT gateway, the
endpoint or the function; every deletion requested before the waits).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import yaml
from conftest import REPO, our_warnings, recap
from order import check_converge, check_teardown

from localcloud.testing import free_port

SUFFIX = "demotest"


def _make(target: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", target, f"ENV_SUFFIX={SUFFIX}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )


def _psql(command: str, sql: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", f"{command} -v ON_ERROR_STOP=1 -At -c {json.dumps(sql)}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _listening(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def _listener_inodes(host: str, port: int) -> set[str]:
    """Socket inodes listening on host:port, from /proc/net/tcp (addresses in host byte order, little-endian here)."""
    wanted = {f"{int.from_bytes(socket.inet_aton(host), 'little'):08X}:{port:04X}"}
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] in wanted and fields[3] == "0A":  # 0A: LISTEN
            inodes.add(fields[9])
    return inodes


def _owners(inodes: set[str]) -> list[str]:
    """Command line and environment of every process holding one of the socket inodes."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            links = set()
            for fd in (proc / "fd").iterdir():
                try:
                    links.add(os.readlink(fd))
                except OSError:  # closed meanwhile (the listing's own descriptor, for one)
                    continue
            if any(f"socket:[{inode}]" in links for inode in inodes):
                text = (proc / "cmdline").read_bytes() + (proc / "environ").read_bytes()
                found.append(text.decode(errors="replace"))
        except OSError:
            continue
    return found


def _demo_listening(host: str, port: int, marker: str) -> bool:
    """Whether a process of this demo (its state dir in its command line or environment) listens on host:port.

    make test runs other suites alongside, whose local clouds take the same first loopback address once the demo
    has released it: a listener there is only a leak if it is the demo's.
    """
    if not _listening(host, port):
        return False
    return any(marker in owner for owner in _owners(_listener_inodes(host, port)))


def test_make_demo_prints_a_working_psql_command(tmp_path):
    env = {
        **os.environ,
        "LOCALCLOUD_PORT": str(free_port()),
        "LOCALCLOUD_STATE_DIR": str(tmp_path / "state"),
        # make demo's timing model, faster: 600 AWS seconds per local second (an instance takes about one)
        "LOCALCLOUD_TIME_SCALE": "600",
        "ANSIBLE_NOCOLOR": "1",
    }
    for name in ("LOCALCLOUD_CA_BUNDLE", "AURORADB_DB_CA_BUNDLE", "AWS_URL", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"):
        env.pop(name, None)  # as in a fresh shell (make test runs this test under make -j2)
    try:
        demo = _make("demo", env)
        assert demo.returncode == 0, demo.stdout[-5000:] + demo.stderr[-2000:]
        assert "FAIL " not in demo.stdout
        # output a user reads without alarm: the waits print progress lines, not FAILED - RETRYING, and no
        # warning of ours; verify.yml (the second play recap) changes nothing
        assert "FAILED - RETRYING" not in demo.stdout
        assert our_warnings(demo) == []
        assert recap("PLAY RECAP" + demo.stdout.split("PLAY RECAP")[2])["changed"] == 0
        lines = demo.stdout.splitlines()
        header = next(i for i, line in enumerate(lines) if line.startswith("Connect to the writer"))
        command = lines[header + 1].strip()
        assert "sslmode=verify-full" in command and "PGPASSWORD=" in command
        outputs = json.loads((REPO / "outputs" / f"{SUFFIX}.json").read_text())
        # issue 13: the dev profile's posture report waives exactly what inventories/local declares, fails nothing
        report = json.loads((REPO / "outputs" / f"{SUFFIX}-verify.json").read_text())
        declared = yaml.safe_load((REPO / "inventories/local/host_vars/payments-local.yml").read_text())
        statuses = {c["id"]: c["status"] for c in report["controls"]}
        assert sorted(c for c, s in statuses.items() if s == "waived") == sorted(
            declared["auroradb_verify_posture_waivers"]
        )
        assert set(statuses.values()) <= {"pass", "not_applicable", "waived"}, statuses
        assert report["posture"]["unused_waivers"] == [] and report["passed"] is True
        writer, _, port = outputs["ClusterEndpoint"].rpartition(":")
        reader = outputs["ClusterReaderEndpoint"].rpartition(":")[0]

        ok = _psql(command, "SELECT current_user || ' ' || ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", env)
        assert ok.returncode == 0 and ok.stdout.strip() == "dbadmin true", ok.stderr
        plain = _psql(command.replace("sslmode=verify-full", "sslmode=disable"), "SELECT 1", env)
        assert plain.returncode != 0 and "no encryption" in plain.stderr, plain.stderr
        on_reader = command.replace(f"host={writer} ", f"host={reader} ")
        assert _psql(on_reader, "SELECT pg_is_in_recovery()", env).stdout.strip() == "t"
        write = _psql(on_reader, "CREATE TABLE demo_write(id int)", env)
        assert write.returncode != 0 and "read-only transaction" in write.stderr, write.stderr
        records = sorted((tmp_path / "state" / "dataplane" / "servers").glob("*.json"))
        servers = [json.loads(path.read_text()) for path in records]
        assert len(servers) == 3, servers
    finally:
        down = _make("demo-down", env)
    assert down.returncode == 0, down.stdout[-3000:] + down.stderr[-2000:]
    assert "FAILED - RETRYING" not in down.stdout and our_warnings(down) == []
    # teardown removed the outputs file and the verify report
    left = [name for name in (f"{SUFFIX}.json", f"{SUFFIX}-verify.json") if (REPO / "outputs" / name).exists()]
    for name in left:
        (REPO / "outputs" / name).unlink()
    assert left == []
    marker = str(tmp_path / "state")
    assert not _demo_listening(writer, int(port), marker) and not _demo_listening(reader, int(port), marker)
    for server in servers:  # no process left with any of the demo's data directories
        found = subprocess.run(["pgrep", "-f", server["data"]], capture_output=True, text=True, check=False)
        assert found.stdout.split() == [], server
    log = [json.loads(line) for line in (tmp_path / "state" / "requests.jsonl").read_text().splitlines()]
    teardown = next(i for i, entry in enumerate(log) if entry["action"] == "DeleteAlarms")
    check_converge(log[:teardown], SUFFIX)
    check_teardown(log[teardown:], SUFFIX)
