# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""payments.auroradb.aurora_failover with a stubbed RDS client and a scripted probe: check mode plans and sends
nothing, a refused target sends nothing and returns the valid choices, a failover is sent (with the target when one
is asked for), waited for and measured; the SSLRequest probe against a local socket; no AWS."""

import socket
import threading

import pytest

from ansible_collections.payments.auroradb.plugins.module_utils import db_connect
from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError
from ansible_collections.payments.auroradb.plugins.modules import aurora_failover as mod

CLUSTER = "payment-db-cluster-dev"
WRITER, R1, R2 = (f"{CLUSTER}-{role}" for role in ("writer", "reader1", "reader2"))
ENDPOINT = f"{CLUSTER}.cluster-abc.us-east-1.rds.amazonaws.com"


class FakeModule:
    def __init__(self, check_mode=False, **params):
        self.check_mode, self._diff = check_mode, True
        self.params = {
            "cluster_identifier": CLUSTER,
            "target_instance": "",
            "writer_endpoint": "",
            "port": 5432,
            "probe_interval": 0.01,
            "connect_timeout": 1.0,
            "timeout": 60,
            "secret_id": "",
            "database": "postgres",
            "ca_bundle": None,
            **params,
        }
        self.warnings = []

    def warn(self, warning):
        self.warnings.append(warning)


def _cluster(writer=WRITER, status="available"):
    return {
        "DBClusterIdentifier": CLUSTER,
        "Status": status,
        "Endpoint": ENDPOINT,
        "Port": 5432,
        "DBClusterMembers": [
            {"DBInstanceIdentifier": i, "IsClusterWriter": i == writer, "PromotionTier": 1} for i in (WRITER, R1, R2)
        ],
    }


def described(stub, **statuses):
    stub.add_response("describe_db_clusters", {"DBClusters": [_cluster()]}, {"DBClusterIdentifier": CLUSTER})
    stub.add_response(
        "describe_db_instances",
        {
            "DBInstances": [
                {"DBInstanceIdentifier": i, "DBInstanceStatus": statuses.get(i, "available")} for i in (WRITER, R1, R2)
            ]
        },
    )


@pytest.fixture
def fast(monkeypatch):
    """No waiting between DescribeDBClusters polls."""
    monkeypatch.setattr(mod, "sleep", lambda seconds: None)


def test_check_mode_plans_and_sends_nothing(aws):
    client, stub = aws("rds")
    described(stub)
    result = mod.ensure(FakeModule(check_mode=True), client)  # no failover stubbed: none sent
    assert result["changed"] and result["old_writer"] == WRITER and result["new_writer"] == R1
    assert result["candidates"] == [R1, R2] and result["writer_endpoint"] == ENDPOINT and result["port"] == 5432
    assert result["diff"] == {"before": {"writer": WRITER}, "after": {"writer": R1}}
    assert "unavailable_seconds" not in result


@pytest.mark.parametrize("target", [WRITER, "payment-db-cluster-dev-reader9", R2])
def test_a_refused_target_sends_nothing_and_lists_the_choices(aws, target):
    client, stub = aws("rds")
    described(stub, **{R2: "rebooting"})
    with pytest.raises(AuroraDbError) as refused:
        mod.ensure(FakeModule(target_instance=target), client)
    assert refused.value.kwargs == {"choices": [R1]}
    assert f"valid choices: {R1}, or empty to let RDS choose" in str(refused.value)


def test_a_cluster_that_is_not_available_is_refused_without_choices(aws):
    client, stub = aws("rds")
    stub.add_response(
        "describe_db_clusters", {"DBClusters": [_cluster(status="modifying")]}, {"DBClusterIdentifier": CLUSTER}
    )
    stub.add_response("describe_db_instances", {"DBInstances": []})
    with pytest.raises(AuroraDbError, match="is modifying, not available") as refused:
        mod.ensure(FakeModule(), client)
    assert refused.value.kwargs == {}


def test_a_missing_cluster_is_an_error(aws):
    client, stub = aws("rds")
    stub.add_client_error("describe_db_clusters", "DBClusterNotFoundFault", http_status_code=404)
    with pytest.raises(AuroraDbError, match="does not exist"):
        mod.ensure(FakeModule(), client)


class ScriptedProbe:
    """Answers OK until the failover was sent, then fails ``failures`` times, then OK again."""

    def __init__(self, failures):
        self.failures, self.sent, self.calls = failures, threading.Event(), 0

    def __call__(self, host, port):
        assert (host, port) == (ENDPOINT, 5432)
        self.calls += 1
        if self.sent.is_set() and self.failures > 0:
            self.failures -= 1
            return "connection closed"
        return None


def test_a_failover_to_the_target_is_sent_waited_for_and_measured(aws, monkeypatch, fast):
    client, stub = aws("rds")
    described(stub)
    probe = ScriptedProbe(failures=3)
    monkeypatch.setattr(mod, "choose_probe", lambda module, host, port: ("sql", probe))
    stub.add_response(
        "failover_db_cluster",
        {"DBCluster": _cluster(status="failing-over")},
        {"DBClusterIdentifier": CLUSTER, "TargetDBInstanceIdentifier": R2},
    )
    for answer in (_cluster(status="failing-over"), _cluster(writer=R2, status="failing-over"), _cluster(writer=R2)):
        stub.add_response("describe_db_clusters", {"DBClusters": [answer]}, {"DBClusterIdentifier": CLUSTER})
    real_failover = mod.rds.failover_cluster

    def failover_then_fail_probes(*args, **kwargs):
        answer = real_failover(*args, **kwargs)
        probe.sent.set()
        return answer

    monkeypatch.setattr(mod.rds, "failover_cluster", failover_then_fail_probes)
    result = mod.ensure(FakeModule(target_instance=R2), client)
    assert result["changed"] and result["old_writer"] == WRITER and result["new_writer"] == R2
    assert result["probe_kind"] == "sql" and result["failed_probes"] == 3 and result["probes"] >= 4
    assert result["unavailable_seconds"] > 0 and result["waited_seconds"] >= 0
    assert result["diff"]["after"] == {"writer": R2}


def test_without_a_target_rds_chooses_and_an_unprobed_failover_has_no_figure(aws, monkeypatch, fast):
    client, stub = aws("rds")
    described(stub)
    monkeypatch.setattr(mod, "choose_probe", lambda module, host, port: ("none", None))
    stub.add_response("failover_db_cluster", {"DBCluster": _cluster()}, {"DBClusterIdentifier": CLUSTER})
    stub.add_response("describe_db_clusters", {"DBClusters": [_cluster(writer=R1)]}, {"DBClusterIdentifier": CLUSTER})
    result = mod.ensure(FakeModule(), client)
    assert result["new_writer"] == R1 and result["probe_kind"] == "none"
    assert result["unavailable_seconds"] is None and result["probes"] == 0


def test_a_failover_that_never_shows_a_new_writer_times_out(aws, monkeypatch, fast):
    client, stub = aws("rds")
    described(stub)
    monkeypatch.setattr(mod, "choose_probe", lambda module, host, port: ("none", None))
    ticks = iter([0.0, 0.0, 100.0])
    monkeypatch.setattr(mod, "clock", lambda: next(ticks))
    stub.add_response("failover_db_cluster", {"DBCluster": _cluster()}, {"DBClusterIdentifier": CLUSTER})
    for _poll in range(2):
        stub.add_response("describe_db_clusters", {"DBClusters": [_cluster()]}, {"DBClusterIdentifier": CLUSTER})
    with pytest.raises(AuroraDbError, match=f"did not report a new writer in time: status available, writer {WRITER}"):
        mod.ensure(FakeModule(), client)


def _server(answer):
    """A one-connection TCP server on 127.0.0.1 that reads 8 bytes and sends ``answer`` (None: closes at once)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    received = []

    def serve():
        conn, _address = listener.accept()
        with conn:
            if answer is not None:
                received.append(conn.recv(8))
                conn.sendall(answer)
        listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1], received


@pytest.mark.parametrize("answer", [b"S", b"N"])
def test_the_ssl_request_probe_wants_postgresql_s_answer(answer):
    port, received = _server(answer)
    assert db_connect.ssl_request_probe(2)("127.0.0.1", port) is None
    assert received == [b"\x00\x00\x00\x08\x04\xd2\x16\x2f"]


def test_a_proxy_that_accepts_and_closes_fails_the_ssl_request_probe():
    port, _received = _server(None)
    # closed before any byte: an empty answer, or a reset when the request reached a closed socket
    assert db_connect.ssl_request_probe(2)("127.0.0.1", port) is not None


class FakeConnection:
    def __init__(self, in_recovery):
        self.in_recovery, self.closed = in_recovery, False

    def run(self, sql):
        assert sql == "SELECT pg_is_in_recovery()"
        return [[self.in_recovery]]

    def close(self):
        self.closed = True


@pytest.mark.parametrize(("in_recovery", "ok"), [(False, True), (True, False)])
def test_the_sql_probe_wants_a_writable_primary(in_recovery, ok):
    conn = FakeConnection(in_recovery)
    probe = db_connect.writable_primary_probe(lambda host, port, tls: conn if tls else None)
    assert (probe("db", 5432) is None) is ok and conn.closed


def test_a_login_that_fails_fails_the_sql_probe():
    def connect(host, port, tls):
        raise ConnectionRefusedError("refused")

    assert db_connect.writable_primary_probe(connect)("db", 5432) == "refused"


def test_without_credentials_the_module_probes_with_the_ssl_request(monkeypatch):
    module = FakeModule()
    monkeypatch.setattr(mod, "ssl_request_probe", lambda timeout: lambda host, port: None)
    assert mod.choose_probe(module, ENDPOINT, 5432)[0] == "ssl-request" and module.warnings == []


def test_an_endpoint_that_does_not_answer_is_failed_over_unprobed_with_a_warning(monkeypatch):
    module = FakeModule()
    monkeypatch.setattr(mod, "ssl_request_probe", lambda timeout: lambda host, port: "timed out")
    assert mod.choose_probe(module, ENDPOINT, 5432) == ("none", None)
    assert "does not answer from here (timed out)" in module.warnings[0]
