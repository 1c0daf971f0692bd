"""Day-2 drills (issue 14 items 2, 3 and 4) on inventories/local, end to end on the local cloud, with one source.

A fresh suffix S: deploy, write row A through the writer endpoint (TLS verify-full), note time T, write row B.
failover.yml: check mode names the reader that would take over and changes nothing; the writer itself and a name
that cannot be an instance are refused (before any RDS change / any AWS call); the failover moves the writer, prints
the old and new writer and the writer endpoint's unavailability (an SQL probe), the rows are read and a new write
succeeds through the writer endpoint, the reader endpoint is read-only, verify.yml passes; a named failover brings
the original writer back. restore.yml: a time outside S's restorable window is refused before any change, naming the
window; bad input costs no AWS call; check mode restores nothing; the restore to T builds S2 (row A, not B; its own
key and credentials; a write in S2 is not in S; verify.yml passes; site.yml again is changed=0); snapshot.yml, a row
C, then a restore from the snapshot builds S3 (A and B, not C). Teardown of S2, S3 and S leaves only the snapshot.

    .venv/bin/python -m pytest -q tests/integration/test_restore.py
"""

from __future__ import annotations

import datetime
import json
import re
import ssl
import subprocess
import sys
import time

import pg8000.native
import pytest
from conftest import REPO, recap

HOST = "payments-local"


def _credentials(cloud, suffix: str) -> tuple[str, str]:
    value = cloud.client("secretsmanager").get_secret_value(SecretId=f"payment-db-credentials-{suffix}")
    secret = json.loads(value["SecretString"])
    return secret["username"], secret["password"]


def _endpoints(cloud, suffix: str) -> dict:
    (cluster,) = cloud.client("rds").describe_db_clusters(DBClusterIdentifier=f"payment-db-cluster-{suffix}")[
        "DBClusters"
    ]
    return cluster


def _sql(cloud, suffix: str, statement: str, reader: bool = False):
    """Run ``statement`` through the environment's writer (or reader) endpoint with its secret's credentials."""
    cluster = _endpoints(cloud, suffix)
    user, password = _credentials(cloud, suffix)
    context = ssl.create_default_context(cafile=str(cloud.state_dir / "dataplane" / "ca.pem"))
    conn = pg8000.native.Connection(
        user,
        host=cluster["ReaderEndpoint" if reader else "Endpoint"],
        port=cluster["Port"],
        password=password,
        database="postgres",
        ssl_context=context,
        timeout=10,
    )
    try:
        return conn.run(statement)
    finally:
        conn.close()


def _rds_writes(cloud, before: int) -> list[str]:
    return [r["action"] for r in cloud.requests()[before:] if r["mutating"] and r.get("service") == "rds"]


def _writer(cloud, cluster_id: str) -> str:
    (cluster,) = cloud.client("rds").describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"]
    (writer,) = [m["DBInstanceIdentifier"] for m in cluster["DBClusterMembers"] if m["IsClusterWriter"]]
    return writer


def _connect(cloud, host: str, port: int, secret: dict) -> pg8000.native.Connection:
    """A login over TLS with certificate and host name verification (the local cloud's CA)."""
    context = ssl.create_default_context(cafile=str(cloud.state_dir / "dataplane" / "ca.pem"))
    return pg8000.native.Connection(
        secret["username"],
        host=host,
        port=port,
        password=secret["password"],
        database="postgres",
        ssl_context=context,
        timeout=10,
    )


def _utc(seconds_from_now: float = 0.0) -> str:
    moment = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=seconds_from_now)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _teardown_leaves(cloud, suffix: str) -> list[str]:
    check = subprocess.run(
        [sys.executable, str(REPO / "tests" / "stack_check.py"), "absent", suffix, "--endpoint", cloud.endpoint],
        capture_output=True,
        text=True,
        env=cloud.env,
        check=False,
    )
    return sorted(line for line in check.stdout.splitlines() if "left behind" in line)


def test_point_in_time_and_snapshot_restores_build_independent_environments(localcloud, suffix):
    cloud = localcloud
    s, s2, s3 = suffix, suffix + "r", suffix + "s"
    env = ("-e", f"env_suffix={s}")
    cloud.playbook("site.yml", *env)

    _sql(cloud, s, "CREATE TABLE drill (id text PRIMARY KEY); INSERT INTO drill VALUES ('A')")
    time.sleep(1.5)
    moment = _utc()
    time.sleep(1.5)
    _sql(cloud, s, "INSERT INTO drill VALUES ('B')")

    # the failover drill in between (issue 14 item 3): the restore must reach across the new writers' timelines
    cluster_id = f"payment-db-cluster-{s}"
    (cluster,) = cloud.client("rds").describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"]
    writer_host, reader_host, port = cluster["Endpoint"], cluster["ReaderEndpoint"], cluster["Port"]
    secret = dict(zip(("username", "password"), _credentials(cloud, s), strict=True))
    original = _writer(cloud, cluster_id)
    assert original == f"{cluster_id}-writer"

    # check mode: the plan, no RDS change
    before = len(cloud.requests())
    plan = cloud.playbook("failover.yml", *env, "--check")
    assert re.search(rf"would fail over from {original} to {cluster_id}-reader\d", plan.stdout), plan.stdout[-3000:]
    assert _rds_writes(cloud, before) == [] and _writer(cloud, cluster_id) == original
    # starting the background job is no change of its own (the wait task carries the module's result)
    started = plan.stdout.split("and wait for the new writer (in the background)")
    assert len(started) == 2 and started[1].split("\n")[1].startswith("ok: "), plan.stdout[-3000:]

    # refused: the writer itself (before any RDS change), and a name that cannot be an instance (before any AWS call)
    before = len(cloud.requests())
    refused = cloud.playbook("failover.yml", *env, "-e", f"auroradb_failover_target={original}", check=False)
    assert refused.returncode != 0
    assert f"auroradb_failover_target: {original} is already the writer of DB cluster {cluster_id}" in refused.stdout
    assert f"valid choices: {cluster_id}-reader1, {cluster_id}-reader2" in refused.stdout, refused.stdout[-3000:]
    assert _rds_writes(cloud, before) == []
    before = len(cloud.requests())
    bad = cloud.playbook("failover.yml", *env, "-e", "auroradb_failover_target=1-bad--name", check=False)
    assert bad.returncode != 0 and "auroradb_failover_target: must be empty (RDS chooses)" in bad.stdout
    assert cloud.requests()[before:] == []

    # the failover: RDS chooses a reader; the output names both writers and the unavailability
    # the local cloud fails over within the request: two minutes are plenty (900 s on AWS)
    failed_over = cloud.playbook("failover.yml", *env, "-e", "auroradb_failover_timeout=120")
    assert recap(failed_over.stdout, HOST)["failed"] == 0  # verify.yml ran after it and passed
    # the module runs in the background (its probe spans the failover); the wait shows a line per poll, the first
    # poll coming before the module process has even started its probe
    assert "Wait for the failover, at most auroradb_failover_timeout seconds: 120: not yet, waiting (attempt 1 of" in (
        failed_over.stdout
    ), failed_over.stdout[-4000:]
    new_writer = _writer(cloud, cluster_id)
    assert new_writer != original, "the writer did not change (local cloud failover not promoting the standby yet?)"
    found = re.search(
        rf"failed over from {original} to {new_writer} in [\d.]+ s; "
        r"writer endpoint unavailable: ([\d.]+) s \((sql|ssl-request)",
        failed_over.stdout,
    )
    assert found, failed_over.stdout[-4000:]
    assert found.group(2) == "sql", failed_over.stdout[-4000:]  # logged in with the stack's secret, verify-full
    assert secret["password"] not in failed_over.stdout + failed_over.stderr

    conn = _connect(cloud, writer_host, port, secret)
    assert sorted(conn.run("SELECT id FROM drill")) == [["A"], ["B"]]
    assert conn.run("SELECT pg_is_in_recovery()") == [[False]]
    conn.run("INSERT INTO drill VALUES ('F')")
    conn.close()
    reader = _connect(cloud, reader_host, port, secret)
    with pytest.raises(pg8000.exceptions.DatabaseError) as read_only:
        reader.run("INSERT INTO drill VALUES ('R')")
    assert read_only.value.args[0]["C"] == "25006"
    reader.close()

    # back to the original writer, named explicitly
    back = cloud.playbook(
        "failover.yml", *env, "-e", f"auroradb_failover_target={original}", "-e", "auroradb_failover_timeout=120"
    )
    assert recap(back.stdout, HOST)["failed"] == 0
    assert _writer(cloud, cluster_id) == original
    assert f"failed over from {new_writer} to {original}" in back.stdout
    conn = _connect(cloud, writer_host, port, secret)
    assert sorted(conn.run("SELECT id FROM drill")) == [["A"], ["B"], ["F"]]
    conn.close()

    _sql(cloud, s, "DELETE FROM drill WHERE id = 'F'")

    # refused before any change, naming the window: a time before S existed, and one in the future
    restore = ("-e", f"auroradb_restore_source={s}")
    for wrong in ("2020-01-01T00:00:00Z", _utc(3600)):
        before = len(cloud.requests())
        refused = cloud.playbook(
            "restore.yml", "-e", f"env_suffix={s2}", *restore, "-e", f"auroradb_restore_time={wrong}", check=False
        )
        assert refused.returncode != 0 and "restorable window is" in refused.stdout, refused.stdout[-3000:]
        assert [r["action"] for r in cloud.requests()[before:] if r["mutating"]] == []  # nothing of S2 was made
    # bad input costs no AWS call at all
    before = len(cloud.requests())
    bad = cloud.playbook(
        "restore.yml", "-e", f"env_suffix={s2}", *restore, "-e", "auroradb_restore_time=yesterday", check=False
    )
    assert bad.returncode != 0 and "auroradb_restore_time" in bad.stdout, bad.stdout[-3000:]
    assert cloud.requests()[before:] == []

    # check mode: says what it would restore, restores nothing
    before = len(cloud.requests())
    plan = cloud.playbook(
        "restore.yml", "-e", f"env_suffix={s2}", *restore, "-e", f"auroradb_restore_time={moment}", "--check"
    )
    assert f"would be restored from payment-db-cluster-{s}" in plan.stdout, plan.stdout[-3000:]
    assert _rds_writes(cloud, before) == []

    # point in time: row A, not B; the new environment is complete and verify.yml passed (imported by restore.yml)
    restored = cloud.playbook(
        "restore.yml", "-e", f"env_suffix={s2}", *restore, "-e", f"auroradb_restore_time={moment}"
    )
    assert recap(restored.stdout, HOST)["failed"] == 0, restored.stdout[-4000:]
    assert _sql(cloud, s2, "SELECT id FROM drill ORDER BY id") == [["A"]]
    key2 = cloud.client("kms").describe_key(KeyId=f"alias/payment-db-{s2}")["KeyMetadata"]["Arn"]
    cluster2 = _endpoints(cloud, s2)
    assert cluster2["KmsKeyId"] == key2 and cluster2["StorageEncrypted"] is True
    assert len(cluster2["DBClusterMembers"]) == len(_endpoints(cloud, s)["DBClusterMembers"])
    # its own credentials: S2's secret logs in to S2, S's password does not
    assert _credentials(cloud, s2)[1] != _credentials(cloud, s)[1]
    # independent: a write in S2 is not in S
    _sql(cloud, s2, "INSERT INTO drill VALUES ('only-in-restore')")
    assert _sql(cloud, s, "SELECT count(*) FROM drill WHERE id = 'only-in-restore'") == [[0]]
    again = cloud.playbook("site.yml", "-e", f"env_suffix={s2}")
    assert recap(again.stdout, HOST)["changed"] == 0, again.stdout[-4000:]

    # snapshot, then a row C, then a restore from the snapshot: A and B, not C
    snap = cloud.playbook("snapshot.yml", *env, "-e", "auroradb_snapshot_name=drill-snapshot")
    assert recap(snap.stdout, HOST)["failed"] == 0
    _sql(cloud, s, "INSERT INTO drill VALUES ('C')")
    from_snapshot = cloud.playbook(
        "restore.yml", "-e", f"env_suffix={s3}", *restore, "-e", "auroradb_restore_snapshot=drill-snapshot"
    )
    assert recap(from_snapshot.stdout, HOST)["failed"] == 0, from_snapshot.stdout[-4000:]
    assert _sql(cloud, s3, "SELECT id FROM drill ORDER BY id") == [["A"], ["B"]]

    # teardown of the restores leaves the source alone; then nothing is left but the manual snapshot
    for restored_suffix in (s2, s3):
        cloud.playbook("teardown.yml", "-e", f"env_suffix={restored_suffix}")
        assert _teardown_leaves(cloud, restored_suffix) == []
    assert _sql(cloud, s, "SELECT count(*) FROM drill") == [[3]]
    cloud.playbook("teardown.yml", *env)
    assert _teardown_leaves(cloud, s) == ["FAIL left behind: cluster snapshot drill-snapshot"]
