# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Data-plane check logic (module_utils/verify_data_plane.DataPlane) against fake connections: no network.

A fake cluster has a writer and a reader sharing rows (with an optional replication delay); each test breaks one
behaviour and expects that check, and only that one, to fail."""

from __future__ import annotations

import pytest

from ansible_collections.payments.auroradb.plugins.module_utils.verify_data_plane import (
    DataPlane,
    normalize_mode,
    sqlstate,
)

WRITER, READER, PORT = "writer.example", "reader.example", 5432


class ServerError(Exception):
    """Shaped like pg8000's DatabaseError: the server's fields in args[0]."""

    def __init__(self, code, message):
        super().__init__({"S": "ERROR", "C": code, "M": message})


class FakeCluster:
    def __init__(self):
        self.rows = set()
        self.visible_after = 0.0  # seconds of replication lag
        self.now = 0.0
        self.written_at = {}
        self.reader_read_only = True
        self.writer_in_recovery = False
        self.plaintext = "refuse"  # refuse | accept | network
        self.tls = "ok"  # ok | bad-cert | not-encrypted
        self.reachable = True
        self.pgaudit = "1.7"  # the extension's version, None when it is not installed
        self.comments = []  # what COMMENT ON TABLE wrote (pgaudit would log it)
        self.opened = []
        self.closed = 0

    # the injected callables
    def probe(self, host, port):
        return None if self.reachable else "timed out"

    def sleep(self, seconds):
        self.now += seconds

    def clock(self):
        return self.now

    def connect(self, host, port, tls):
        self.opened.append((host, tls))
        if not tls:
            if self.plaintext == "refuse":
                raise ServerError("28000", 'no pg_hba.conf entry for host "1.2.3.4", user "dbadmin", no encryption')
            if self.plaintext == "network":
                raise OSError("connection reset")
            return FakeConn(self, host, encrypted=False)
        if self.tls == "bad-cert":
            raise OSError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
        return FakeConn(self, host, encrypted=self.tls == "ok")


class FakeConn:
    def __init__(self, cluster, host, encrypted):
        self.cluster, self.host, self.encrypted = cluster, host, encrypted

    def run(self, sql, **params):
        c = self.cluster
        if sql.startswith("SELECT ssl"):
            return [[self.encrypted, "TLSv1.3" if self.encrypted else None]]
        if sql.startswith("SELECT pg_is_in_recovery"):
            return [[c.writer_in_recovery if self.host == WRITER else True]]
        if sql.startswith("CREATE TABLE"):
            return []
        if sql.startswith("INSERT"):
            if self.host == READER and c.reader_read_only:
                raise ServerError("25006", "cannot execute INSERT in a read-only transaction")
            c.rows.add(params["t"])
            c.written_at[params["t"]] = c.now
            return []
        if sql.startswith("SELECT count"):
            token = params["t"]
            seen = token in c.rows and c.now - c.written_at[token] >= c.visible_after
            return [[1 if seen else 0]]
        if sql.startswith("SELECT extversion"):
            return [[c.pgaudit]] if c.pgaudit else []
        if sql.startswith("COMMENT ON TABLE"):
            c.comments.append(sql.split("'")[1])
            return []
        if sql.startswith("DELETE"):
            c.rows.discard(params["t"])
            return []
        raise AssertionError(f"unexpected SQL {sql}")

    def close(self):
        self.cluster.closed += 1


def run(cluster, mode="auto", writer=WRITER, reader=READER, timeout=5.0):
    plane = DataPlane(cluster.connect, cluster.probe, cluster.sleep, cluster.clock, replication_timeout=timeout)
    return plane.run(mode, writer, reader, PORT)


def failed(checks):
    return [c["name"] for c in checks if not c["passed"]]


ALL = ["db.reachable", "db.tls_login", "db.writer_write", "db.reader_reads_row", "db.reader_read_only",
       "db.plaintext_refused"]  # fmt: skip


def test_healthy_cluster_passes_every_check_and_cleans_up():
    cluster = FakeCluster()
    checks, skipped = run(cluster)
    assert skipped is None
    assert [c["name"] for c in checks] == ALL
    assert failed(checks) == []
    assert cluster.rows == set()  # probe row deleted
    assert cluster.closed == len([o for o in cluster.opened if o[1]])  # every TLS connection closed


def test_replication_lag_is_waited_for():
    cluster = FakeCluster()
    cluster.visible_after = 2.0
    checks = run(cluster)[0]
    assert failed(checks) == []
    assert "after 2.0 s" in next(c["found"] for c in checks if c["name"] == "db.reader_reads_row")


@pytest.mark.parametrize(
    "attribute, value, check_name",
    [
        ("visible_after", 60.0, "db.reader_reads_row"),
        ("reader_read_only", False, "db.reader_read_only"),
        ("plaintext", "accept", "db.plaintext_refused"),
        ("plaintext", "network", "db.plaintext_refused"),
        ("tls", "not-encrypted", "db.tls_login"),
    ],
)
def test_each_broken_behaviour_fails_only_its_check(attribute, value, check_name):
    cluster = FakeCluster()
    setattr(cluster, attribute, value)
    checks = run(cluster)[0]
    assert failed(checks) == [check_name]
    assert cluster.rows == set()


def test_bad_certificate_fails_login_and_everything_that_needs_it():
    cluster = FakeCluster()
    cluster.tls = "bad-cert"
    checks = run(cluster)[0]
    assert failed(checks) == ["db.tls_login", "db.writer_write", "db.reader_reads_row", "db.reader_read_only"]
    assert "CERTIFICATE_VERIFY_FAILED" in checks[1]["found"]


def test_writer_endpoint_on_a_replica_fails_the_write():
    cluster = FakeCluster()
    cluster.writer_in_recovery = True
    checks = run(cluster)[0]
    assert failed(checks) == ["db.writer_write", "db.reader_reads_row"]


def test_unreachable_endpoint_is_skipped_in_auto_mode_and_failed_when_required():
    cluster = FakeCluster()
    cluster.reachable = False
    checks, skipped = run(cluster, "auto")
    assert checks == [] and skipped.startswith("skipped: endpoint not reachable from here")
    assert cluster.opened == []
    checks, skipped = run(cluster, True)
    assert skipped is None and failed(checks) == ["db.reachable"]


def test_turned_off_and_no_cluster():
    cluster = FakeCluster()
    assert run(cluster, "false")[1].startswith("skipped: data-plane checks turned off")
    assert run(cluster, "auto", writer="")[1].startswith("skipped: no writer endpoint")
    checks = run(cluster, "true", writer="")[0]
    assert failed(checks) == ["db.reachable"]
    assert cluster.opened == []


def test_no_reader_endpoint():
    checks = run(FakeCluster(), reader="")[0]
    assert failed(checks) == ["db.reader_reads_row", "db.reader_read_only"]


@pytest.mark.parametrize(
    "value, mode",
    [(True, "true"), (False, "false"), ("auto", "auto"), ("True", "true"), ("no", "false"), (None, "auto")],
)
def test_modes(value, mode):
    assert normalize_mode(value) == mode


def test_bad_mode():
    with pytest.raises(ValueError, match="auto, true or false"):
        normalize_mode("sometimes")


def test_sqlstate():
    assert sqlstate(ServerError("25006", "read only")) == "25006"
    assert sqlstate(OSError("x")) is None


def run_audited(cluster, logged_after=None, timeout=20.0):
    """The checks with the audit step: the marker reaches the log ``logged_after`` seconds after the comment."""
    seen = {}

    def audit_logged(marker):
        if marker not in cluster.comments or logged_after is None:
            return False
        seen.setdefault(marker, cluster.now)
        return cluster.now - seen[marker] >= logged_after

    plane = DataPlane(
        cluster.connect,
        cluster.probe,
        cluster.sleep,
        cluster.clock,
        replication_timeout=5.0,
        audit_logged=audit_logged,
        audit_timeout=timeout,
        audit_poll_interval=2.0,
    )
    return plane.run("auto", WRITER, READER, PORT)[0]


def test_audited_statement_reaching_the_log_passes_after_the_delivery_delay():
    cluster = FakeCluster()
    checks = run_audited(cluster, logged_after=6.0)
    assert [c["name"] for c in checks] == ALL[:3] + ["db.pgaudit_extension", "db.audit_logged"] + ALL[3:]
    assert failed(checks) == []
    (marker,) = cluster.comments
    assert marker.startswith("auroradb-audit-verify-")
    audit = next(c for c in checks if c["name"] == "db.audit_logged")
    assert "after 6.0 s" in audit["found"]


def test_audit_line_never_logged_fails_after_the_timeout():
    cluster = FakeCluster()
    checks = run_audited(cluster, logged_after=None, timeout=10.0)
    assert failed(checks) == ["db.audit_logged"]
    assert "no AUDIT line after 10.0 s" in next(c for c in checks if c["name"] == "db.audit_logged")["found"]


def test_missing_extension_fails_its_check_only():
    cluster = FakeCluster()
    cluster.pgaudit = None
    assert failed(run_audited(cluster, logged_after=0.0)) == ["db.pgaudit_extension"]
