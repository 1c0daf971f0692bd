"""payments.auroradb.db_verify, run by Ansible, against a real PostgreSQL 15 writer + hot standby (conftest.py).

Every data-plane check passes on the healthy pair; each broken behaviour fails its check and only that one; an
unreachable endpoint is skipped in auto mode and failed when required; the password never reaches the output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from localcloud.testing import free_port

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

# every data-plane check, in the order db_verify runs them
ALL = [f"db.{name}" for name in ("reachable", "tls_login", "writer_write", "reader_reads_row")]
ALL += ["db.reader_read_only", "db.plaintext_refused"]


def db_verify(cluster, ca, verbose=False, **overrides):
    """Run the module through `ansible` (ad hoc, json callback); returns (result dict, raw stdout)."""
    args = {
        "writer_endpoint": cluster["writer"].host,
        "reader_endpoint": cluster["reader"].host,
        "port": cluster["port"],
        "login_user": cluster["user"],
        "login_password": cluster["password"],
        "ca_bundle": str(ca),
        "replication_timeout": 10,
        **overrides,
    }
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_STDOUT_CALLBACK": "json",
        "ANSIBLE_NOCOLOR": "1",
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
    }
    cmd = [
        str(BIN / "ansible"),
        "localhost",
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        "-m",
        "payments.auroradb.db_verify",
        "-a",
        json.dumps(args),
    ] + (["-vvv"] if verbose else [])
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    start = proc.stdout.find("{")
    assert start >= 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout[start:])["plays"][0]["tasks"][0]["hosts"]["localhost"]
    return result, proc.stdout + proc.stderr


def failed(result):
    assert "checks" in result, result
    return [c["name"] for c in result["checks"] if not c["passed"]]


def test_healthy_writer_and_reader_pass_every_check_and_hide_the_password(cluster, pki):
    result, output = db_verify(cluster, pki["ca"], verbose=True)
    assert [c["name"] for c in result["checks"]] == ALL
    assert failed(result) == [], result["lines"]
    assert result["ran"] is True and result["changed"] is False
    assert any(line.startswith("PASS  db.reader_read_only") for line in result["lines"])
    assert cluster["password"] not in output
    # the probe row is gone, the table stays
    assert cluster["writer"].sql("SELECT count(*) FROM auroradb_verify_probe").strip() == "0"


def test_wrong_ca_fails_the_tls_login(cluster, pki):
    result, _ = db_verify(cluster, pki["wrong_ca"])
    assert failed(result) == ["db.tls_login", "db.writer_write", "db.reader_reads_row", "db.reader_read_only"]
    login = next(c for c in result["checks"] if c["name"] == "db.tls_login")
    assert "CERTIFICATE_VERIFY_FAILED" in login["found"] or "certificate verify failed" in login["found"]


def test_reader_endpoint_on_the_writer_fails_only_the_read_only_check(cluster, pki):
    result, _ = db_verify(cluster, pki["ca"], reader_endpoint=cluster["writer"].host)
    assert failed(result) == ["db.reader_read_only"]


def test_plaintext_accepted_fails_only_the_plaintext_check(cluster, pki):
    writer = cluster["writer"]
    writer.set_force_ssl(False)  # plaintext logins accepted
    try:
        result, _ = db_verify(cluster, pki["ca"])
    finally:
        writer.set_force_ssl(True)
    assert failed(result) == ["db.plaintext_refused"]


def test_unreachable_endpoint_is_skipped_in_auto_mode(cluster, pki):
    closed = {"port": free_port(), "connect_timeout": 1}
    result, _ = db_verify(cluster, pki["ca"], **closed)
    assert result["checks"] == [] and result["ran"] is False
    assert result["lines"][0].startswith("SKIP  data plane: skipped: endpoint not reachable from here")
    result, _ = db_verify(cluster, pki["ca"], data_plane=True, **closed)
    assert failed(result) == ["db.reachable"]
    result, _ = db_verify(cluster, pki["ca"], data_plane="false")
    assert result["ran"] is False and "turned off" in result["skipped_reason"]


def test_bad_mode_fails_the_module(cluster, pki):
    result, _ = db_verify(cluster, pki["ca"], data_plane="sometimes")
    assert result.get("failed") is True and "auto, true or false" in result["msg"]


def test_missing_ca_bundle_fails_the_tls_login_not_the_module(cluster, pki):
    result, _ = db_verify(cluster, "/nonexistent/ca.pem")
    assert failed(result) == ["db.tls_login", "db.writer_write", "db.reader_reads_row", "db.reader_read_only"]
    assert "CA bundle /nonexistent/ca.pem is not a file" in result["checks"][1]["found"]
