"""Gap 41: WAL archiving, base backups, point-in-time restore and cluster snapshots on the real data plane."""

from __future__ import annotations

import datetime
import json
import ssl
import time
from pathlib import Path

import pg8000.native
import pytest
from botocore.exceptions import ClientError

from localcloud.testing import unique_name

PG_BIN = Path("/usr/lib/postgresql/15/bin")
USER = "dbadmin"
PASSWORD = "first-Password-1"

pytestmark = pytest.mark.skipif(not (PG_BIN / "initdb").exists(), reason="PostgreSQL 15 binaries not installed")


def _connect(host, ca):
    context = ssl.create_default_context(cafile=str(ca))  # verify-full: the local CA and the host name
    return pg8000.native.Connection(
        USER, host=host, port=5432, password=PASSWORD, database="payments", ssl_context=context, timeout=5
    )


def _sql(host, ca, statement: str):
    conn = _connect(host, ca)
    try:
        return conn.run(statement)
    finally:
        conn.close()


def _rows(host, ca) -> list[str]:
    return [row[0] for row in _sql(host, ca, "SELECT v FROM t ORDER BY v")]


def _cluster(rds, cluster_id: str) -> dict:
    return rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]


def _create(rds, cluster_id: str, **settings) -> None:
    """An aurora-postgresql cluster with the master user (and, unless RDS manages it, the password) of these tests."""
    if not settings.get("ManageMasterUserPassword"):
        settings.setdefault("MasterUserPassword", PASSWORD)
    engine = {"Engine": "aurora-postgresql", "EngineVersion": "15.4"}
    rds.create_db_cluster(DBClusterIdentifier=cluster_id, MasterUsername=USER, **engine, **settings)


def _add_instance(rds, cluster_id: str) -> None:
    rds.create_db_instance(
        DBInstanceIdentifier=f"{cluster_id}-0",
        DBClusterIdentifier=cluster_id,
        Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large",
    )


def _delete(rds, cluster_id: str) -> None:
    for member in _cluster(rds, cluster_id)["DBClusterMembers"]:
        rds.delete_db_instance(DBInstanceIdentifier=member["DBInstanceIdentifier"], SkipFinalSnapshot=True)
    rds.delete_db_cluster(DBClusterIdentifier=cluster_id, SkipFinalSnapshot=True)


def _wait_latest(rds, cluster_id: str, at: datetime.datetime, seconds: float = 30) -> dict:
    """The cluster once its LatestRestorableTime reached ``at`` (the archive caught up)."""
    deadline = time.monotonic() + seconds
    while True:
        cluster = _cluster(rds, cluster_id)
        if cluster["LatestRestorableTime"] >= at or time.monotonic() > deadline:
            assert cluster["LatestRestorableTime"] >= at, cluster["LatestRestorableTime"]
            return cluster
        time.sleep(0.5)


def _wait_first_backup(rds, cluster_id: str, seconds: float = 30) -> None:
    """Until the first base backup (in the background since the primary started) is done: EarliestRestorableTime
    is its end, not the creation time any more."""
    deadline = time.monotonic() + seconds
    while True:
        cluster = _cluster(rds, cluster_id)
        if cluster["EarliestRestorableTime"] - cluster["ClusterCreateTime"] > datetime.timedelta(seconds=0.5):
            return
        assert time.monotonic() < deadline, "no base backup"
        time.sleep(0.2)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _plane_root(cloud) -> Path:
    records = [json.loads(p.read_text()) for p in (cloud.state_dir / "dataplane" / "servers").glob("*.json")]
    return Path(records[0]["dir"]).parent


@pytest.fixture(scope="module")
def ca(cloud) -> Path:
    return cloud.state_dir / "dataplane" / "ca.pem"


@pytest.fixture(scope="module")
def source(cloud, ca):
    """A cluster (one instance) whose table t has row A before ``at`` and row B after it."""
    rds = cloud.client("rds")
    cluster_id = unique_name("backed-up")
    _create(rds, cluster_id, DatabaseName="payments")
    _add_instance(rds, cluster_id)
    _wait_first_backup(rds, cluster_id)
    endpoint = _cluster(rds, cluster_id)["Endpoint"]
    _sql(endpoint, ca, "CREATE TABLE t (v text)")
    _sql(endpoint, ca, "INSERT INTO t VALUES ('A')")
    time.sleep(1)
    at = _now()
    time.sleep(1)
    _sql(endpoint, ca, "INSERT INTO t VALUES ('B')")
    after_b = _now()
    yield {"id": cluster_id, "endpoint": endpoint, "at": at, "after_b": after_b}
    if any(c["DBClusterIdentifier"] == cluster_id for c in rds.describe_db_clusters()["DBClusters"]):
        _delete(rds, cluster_id)


def test_point_in_time_restore_reaches_the_data_of_that_time(cloud, source, ca):
    rds = cloud.client("rds")
    cluster = _wait_latest(rds, source["id"], source["at"])
    assert cluster["EarliestRestorableTime"] <= source["at"] <= cluster["LatestRestorableTime"]
    restored = unique_name("pitr")
    started = time.monotonic()
    rds.restore_db_cluster_to_point_in_time(
        DBClusterIdentifier=restored, SourceDBClusterIdentifier=source["id"], RestoreToTime=source["at"]
    )
    seconds = time.monotonic() - started
    try:
        _add_instance(rds, restored)
        new = _cluster(rds, restored)
        assert new["Endpoint"] != source["endpoint"]
        assert _rows(new["Endpoint"], ca) == ["A"]  # the master password of that time logs in
        _sql(new["Endpoint"], ca, "INSERT INTO t VALUES ('X')")
        assert _rows(new["Endpoint"], ca) == ["A", "X"]
        assert _rows(source["endpoint"], ca) == ["A", "B"]  # the restore is a cluster of its own
        # the restored cluster archives and backs up on its own
        assert _wait_latest(rds, restored, _now() - datetime.timedelta(seconds=1))["EarliestRestorableTime"]
    finally:
        _delete(rds, restored)
    assert seconds < 20, f"the restore took {seconds:.1f}s"


def test_latest_restorable_time_restore_has_everything_archived(cloud, source, ca):
    rds = cloud.client("rds")
    _wait_latest(rds, source["id"], source["after_b"])
    restored = unique_name("pitr-latest")
    rds.restore_db_cluster_to_point_in_time(
        DBClusterIdentifier=restored,
        SourceDBClusterIdentifier=source["id"],
        UseLatestRestorableTime=True,
        RestoreType="copy-on-write",
    )
    try:
        _add_instance(rds, restored)
        assert _rows(_cluster(rds, restored)["Endpoint"], ca) == ["A", "B"]
    finally:
        _delete(rds, restored)


def test_a_time_outside_the_restorable_range_is_refused(cloud, source):
    rds = cloud.client("rds")
    cluster = _cluster(rds, source["id"])
    too_early = cluster["EarliestRestorableTime"] - datetime.timedelta(minutes=5)
    too_late = cluster["LatestRestorableTime"] + datetime.timedelta(hours=1)
    for at in (too_early, too_late):
        with pytest.raises(ClientError) as excinfo:
            rds.restore_db_cluster_to_point_in_time(
                DBClusterIdentifier=unique_name("refused"), SourceDBClusterIdentifier=source["id"], RestoreToTime=at
            )
        assert excinfo.value.response["Error"]["Code"] == "InvalidRestoreFault"
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as excinfo:  # moto's refusal, as AWS's
        rds.restore_db_cluster_to_point_in_time(
            DBClusterIdentifier=unique_name("refused"),
            SourceDBClusterIdentifier=source["id"],
            RestoreToTime=source["at"],
            RestoreType="copy-on-write",
        )
    assert excinfo.value.response["Error"]["Code"] == "InvalidParameterCombination"
    ids = {c["DBClusterIdentifier"] for c in rds.describe_db_clusters()["DBClusters"]}
    assert not any(i.startswith("refused") for i in ids)


def test_snapshot_restores_its_data_and_outlives_its_cluster(cloud, source, ca):
    rds = cloud.client("rds")
    snapshot = unique_name("snap")
    snapshots = _plane_root(cloud) / "snapshots"
    before = set(snapshots.iterdir()) if snapshots.exists() else set()
    rds.create_db_cluster_snapshot(DBClusterSnapshotIdentifier=snapshot, DBClusterIdentifier=source["id"])
    assert len(set(snapshots.iterdir()) - before) == 1
    _sql(source["endpoint"], ca, "INSERT INTO t VALUES ('C')")
    restored = unique_name("from-snap")
    rds.restore_db_cluster_from_snapshot(
        DBClusterIdentifier=restored, SnapshotIdentifier=snapshot, Engine="aurora-postgresql"
    )
    try:
        _add_instance(rds, restored)
        assert _rows(_cluster(rds, restored)["Endpoint"], ca) == ["A", "B"]
    finally:
        _delete(rds, restored)
    _delete(rds, source["id"])  # the snapshot's data stays
    again = unique_name("from-snap")
    rds.restore_db_cluster_from_snapshot(
        DBClusterIdentifier=again, SnapshotIdentifier=snapshot, Engine="aurora-postgresql"
    )
    try:
        _add_instance(rds, again)
        assert _rows(_cluster(rds, again)["Endpoint"], ca) == ["A", "B"]
    finally:
        _delete(rds, again)
    rds.delete_db_cluster_snapshot(DBClusterSnapshotIdentifier=snapshot)
    assert set(snapshots.iterdir()) == before


def test_retention_prunes_old_base_backups_and_wal(cloud, ca):
    rds = cloud.client("rds")
    cluster_id = unique_name("retention")
    _create(rds, cluster_id, DatabaseName="payments", BackupRetentionPeriod=1)
    try:
        endpoint = _cluster(rds, cluster_id)["Endpoint"]
        _sql(endpoint, ca, "CREATE TABLE t (v text)")
        two_days = 2 * 86400
        first = cloud.backup(cluster_id, shift_seconds=two_days)  # the creation's backup is two days old
        assert first["pruned"] == [] and len(first["backups"]) == 2  # it still reaches the start of the period
        _sql(endpoint, ca, "INSERT INTO t VALUES ('A')")
        second = cloud.backup(cluster_id, shift_seconds=two_days)  # four, two and zero days old: one goes
        assert second["pruned"] == [first["backups"][0]["name"]]
        covering, newest = second["backups"]
        assert covering == {**first["backups"][1], "start": covering["start"], "end": covering["end"]}
        assert newest["name"] == second["backup"]
        assert second["earliest"] == covering["end"]
        segments = [name for name in second["wal"] if len(name) == 24]
        assert segments and min(s[8:] for s in segments) == covering["wal"][8:]  # older WAL went
        cluster = _cluster(rds, cluster_id)
        assert abs(cluster["EarliestRestorableTime"].timestamp() - second["earliest"]) < 0.01
        assert cluster["EarliestRestorableTime"] < _now() - datetime.timedelta(days=1)
        snapshots = rds.describe_db_cluster_snapshots(DBClusterIdentifier=cluster_id, SnapshotType="automated")
        assert len(snapshots["DBClusterSnapshots"]) == 2  # the pruned backup's automated snapshot went with it
        with pytest.raises(ClientError) as excinfo:
            rds.restore_db_cluster_to_point_in_time(
                DBClusterIdentifier=unique_name("refused"),
                SourceDBClusterIdentifier=cluster_id,
                RestoreToTime=cluster["EarliestRestorableTime"] - datetime.timedelta(hours=1),
            )
        assert excinfo.value.response["Error"]["Code"] == "InvalidRestoreFault"
    finally:
        rds.delete_db_cluster(DBClusterIdentifier=cluster_id, SkipFinalSnapshot=True)


def _managed_login(cloud, ca, cluster_id: str, password: str) -> bool:
    """Whether ``password`` logs the master user in through the cluster's writer endpoint (False: refused)."""
    context = ssl.create_default_context(cafile=str(ca))
    host = _cluster(cloud.client("rds"), cluster_id)["Endpoint"]
    try:
        pg8000.native.Connection(
            USER, host=host, port=5432, password=password, database="postgres", ssl_context=context, timeout=5
        ).close()
    except pg8000.native.DatabaseError as exc:
        assert exc.args[0]["C"] == "28P01", exc
        return False
    return True


def _secret_password(cloud, arn: str) -> str:
    return json.loads(cloud.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"])["password"]


def test_a_restore_of_a_managed_cluster_is_not_managed_until_asked(cloud, ca):
    """Gap 41b: no restore takes ManageMasterUserPassword on AWS; the restored cluster's password is the source's
    (in its data), until ModifyDBCluster hands it to RDS with the restored environment's own key."""
    rds, kms = cloud.client("rds"), cloud.client("kms")
    source_key, own_key = (kms.create_key()["KeyMetadata"]["Arn"] for _ in range(2))
    source_id, restored = unique_name("managed-src"), unique_name("managed-restored")
    _create(rds, source_id, ManageMasterUserPassword=True, MasterUserSecretKmsKeyId=source_key)
    _add_instance(rds, source_id)
    _wait_first_backup(rds, source_id)
    source_password = _secret_password(cloud, _cluster(rds, source_id)["MasterUserSecret"]["SecretArn"])
    answer = rds.restore_db_cluster_to_point_in_time(
        DBClusterIdentifier=restored, SourceDBClusterIdentifier=source_id, UseLatestRestorableTime=True
    )
    try:
        assert "MasterUserSecret" not in answer["DBCluster"] and "MasterUserSecret" not in _cluster(rds, restored)
        _add_instance(rds, restored)
        assert _managed_login(cloud, ca, restored, source_password)
        # no second secret under the source's key (moto made one for the restored cluster)
        secrets = cloud.client("secretsmanager").list_secrets()["SecretList"]
        under_source_key = [s["ARN"] for s in secrets if source_key.endswith(str(s.get("KmsKeyId")).rsplit("/")[-1])]
        assert under_source_key == [_cluster(rds, source_id)["MasterUserSecret"]["SecretArn"]]
        managed = rds.modify_db_cluster(
            DBClusterIdentifier=restored,
            ManageMasterUserPassword=True,
            MasterUserSecretKmsKeyId=own_key,
            ApplyImmediately=True,
        )["DBCluster"]["MasterUserSecret"]
        assert managed["KmsKeyId"] == own_key
        new_password = _secret_password(cloud, managed["SecretArn"])
        assert _managed_login(cloud, ca, restored, new_password)
        assert not _managed_login(cloud, ca, restored, source_password)
        assert _managed_login(cloud, ca, source_id, source_password)  # the source is untouched
    finally:
        _delete(rds, restored)
        _delete(rds, source_id)
