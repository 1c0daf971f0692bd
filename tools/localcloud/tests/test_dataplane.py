"""Gap 11: real PostgreSQL servers behind the cluster and instance endpoints (TLS, standbys, force_ssl)."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import time
import urllib.request
from pathlib import Path

import pg8000.native
import pytest
from botocore.exceptions import ClientError

from localcloud.testing import LocalCloud, run_cli, unique_name

PG_BIN = Path("/usr/lib/postgresql/15/bin")
USER = "dbadmin"
PASSWORD = "first-Password-1"

pytestmark = pytest.mark.skipif(not (PG_BIN / "initdb").exists(), reason="PostgreSQL 15 binaries not installed")


def _connect(host, password=PASSWORD, ca=None, database="payments", port=5432):
    # verify-full (CA and host name) with a CA; plaintext without (pg8000: None would mean "try TLS")
    context = ssl.create_default_context(cafile=str(ca)) if ca else False
    return pg8000.native.Connection(
        USER, host=host, port=port, password=password, database=database, ssl_context=context, timeout=5
    )


def _sqlstate(excinfo) -> str:
    return excinfo.value.args[0]["C"]


def _listening(address: str, port: int = 5432) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex((address, port)) == 0


def _force_ssl(rds, group: str, value: str) -> None:
    rds.modify_db_cluster_parameter_group(
        DBClusterParameterGroupName=group,
        Parameters=[{"ParameterName": "rds.force_ssl", "ParameterValue": value, "ApplyMethod": "immediate"}],
    )


def _create_cluster(rds, cluster_id: str, instances: int, group: str | None = None) -> dict:
    kwargs = {"DBClusterParameterGroupName": group} if group else {}
    rds.create_db_cluster(
        DBClusterIdentifier=cluster_id,
        Engine="aurora-postgresql",
        EngineVersion="15.4",
        MasterUsername=USER,
        MasterUserPassword=PASSWORD,
        DatabaseName="payments",
        **kwargs,
    )
    for i in range(instances):
        rds.create_db_instance(
            DBInstanceIdentifier=f"{cluster_id}-{i}",
            DBClusterIdentifier=cluster_id,
            Engine="aurora-postgresql",
            DBInstanceClass="db.r6g.large",
        )
    return _describe(rds, cluster_id)


def _describe(rds, cluster_id: str) -> dict:
    cluster = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]
    instances = rds.describe_db_instances(Filters=[{"Name": "db-cluster-id", "Values": [cluster_id]}])["DBInstances"]
    writer = next(m["DBInstanceIdentifier"] for m in cluster["DBClusterMembers"] if m["IsClusterWriter"])
    return {
        "cluster": cluster,
        "writer": writer,
        "addresses": {i["DBInstanceIdentifier"]: i["Endpoint"]["Address"] for i in instances},
        "ports": {i["Endpoint"]["Port"] for i in instances},
    }


def _delete_cluster(rds, cluster_id: str) -> None:
    members = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]["DBClusterMembers"]
    for member in members:
        rds.delete_db_instance(DBInstanceIdentifier=member["DBInstanceIdentifier"], SkipFinalSnapshot=True)
    rds.delete_db_cluster(DBClusterIdentifier=cluster_id, SkipFinalSnapshot=True)


def _postgres_processes(data_dirs: list[str]) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().split(") ", 1)[1][0]
        except OSError:
            continue
        if state != "Z" and any(d.encode() in cmdline for d in data_dirs):
            pids.append(int(proc.name))
    return pids


def _running(pid: int) -> bool:
    try:
        return (Path(f"/proc/{pid}") / "stat").read_text().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def _records(state_dir: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in (state_dir / "dataplane" / "servers").glob("*.json")]


@pytest.fixture(scope="module")
def ca(cloud) -> Path:
    return cloud.state_dir / "dataplane" / "ca.pem"


@pytest.fixture(scope="module")
def secured(cloud):
    """A cluster with rds.force_ssl=1 and three instances (a writer, two readers)."""
    rds = cloud.client("rds")
    group = unique_name("force-ssl")
    rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName=group, DBParameterGroupFamily="aurora-postgresql15", Description="tls only"
    )
    _force_ssl(rds, group, "1")
    cluster_id = unique_name("dataplane")
    started = time.monotonic()
    info = _create_cluster(rds, cluster_id, 3, group)
    info.update(id=cluster_id, group=group, seconds=time.monotonic() - started)
    yield info
    _delete_cluster(rds, cluster_id)


def test_endpoints_point_at_loopback_servers(cloud, secured):
    cluster, addresses = secured["cluster"], secured["addresses"]
    readers = [a for i, a in addresses.items() if i != secured["writer"]]
    # the cluster's endpoints have addresses of their own (as Aurora's are names of their own) and reach the writer
    # and the readers
    assert cluster["Endpoint"] not in addresses.values() and cluster["ReaderEndpoint"] not in addresses.values()
    assert cluster["Endpoint"] != cluster["ReaderEndpoint"] and len(readers) == 2
    assert len(set(addresses.values())) == 3
    for address in (cluster["Endpoint"], cluster["ReaderEndpoint"]):
        assert address.startswith("127.") and _listening(address)
    assert cluster["Port"] == 5432 and secured["ports"] == {5432}
    for address in addresses.values():
        assert address.startswith("127.") and _listening(address)
    assert secured["seconds"] < 30, f"cluster with 3 instances took {secured['seconds']:.1f}s"


def test_ca_is_served_and_exported(cloud, ca):
    with urllib.request.urlopen(f"{cloud.endpoint}/_localcloud/ca", timeout=5) as resp:
        assert resp.read() == ca.read_bytes()
    assert b"BEGIN CERTIFICATE" in ca.read_bytes()
    assert os.stat(ca).st_mode & 0o004, "ca.pem must be world-readable"
    env = run_cli("env", "--state-dir", str(cloud.state_dir)).stdout
    assert f"export LOCALCLOUD_CA_BUNDLE={ca.resolve()}" in env.splitlines()


def test_write_on_writer_read_on_reader(secured, ca):
    table = pg8000.native.identifier(unique_name("t").replace("-", "_"))
    writer = _connect(secured["cluster"]["Endpoint"], ca=ca)
    try:
        writer.run(f"CREATE TABLE {table} (id int PRIMARY KEY, note text)")
        writer.run(f"INSERT INTO {table} VALUES (1, 'hello')")  # noqa: S608 - our own identifier
    finally:
        writer.close()
    reader = _connect(secured["cluster"]["ReaderEndpoint"], ca=ca)
    try:
        assert reader.run("SELECT pg_is_in_recovery()") == [[True]]
        deadline = time.monotonic() + 10
        rows = None
        while time.monotonic() < deadline:
            try:
                rows = reader.run(f"SELECT note FROM {table}")  # noqa: S608
                break
            except pg8000.native.DatabaseError as exc:
                if exc.args[0]["C"] != "42P01":  # not replicated yet
                    raise
                time.sleep(0.1)
        assert rows == [["hello"]]
        with pytest.raises(pg8000.native.DatabaseError) as excinfo:
            reader.run(f"INSERT INTO {table} VALUES (2, 'no')")  # noqa: S608
        assert _sqlstate(excinfo) == "25006"  # read_only_sql_transaction
    finally:
        reader.close()


def test_every_reader_replicates(secured, ca):
    for instance, address in secured["addresses"].items():
        conn = _connect(address, ca=ca)
        try:
            expected = instance != secured["writer"]
            assert conn.run("SELECT pg_is_in_recovery()") == [[expected]], instance
        finally:
            conn.close()


def _plaintext_refused(address: str) -> None:
    with pytest.raises(pg8000.native.DatabaseError) as excinfo:
        _connect(address)
    assert _sqlstate(excinfo) == "28000"  # pg_hba: no plaintext


def test_force_ssl_follows_the_parameter_group(cloud, secured, ca):
    rds, addresses = cloud.client("rds"), list(secured["addresses"].values())
    for address in addresses:
        _plaintext_refused(address)
    try:
        # Reset goes back to the engine default, rds.force_ssl=0: plaintext accepted everywhere
        rds.reset_db_cluster_parameter_group(
            DBClusterParameterGroupName=secured["group"],
            Parameters=[{"ParameterName": "rds.force_ssl", "ApplyMethod": "immediate"}],
        )
        for address in addresses:
            _connect(address).close()
        _force_ssl(rds, secured["group"], "1")
        for address in addresses:
            _plaintext_refused(address)
            _connect(address, ca=ca).close()
        _force_ssl(rds, secured["group"], "0")
        for address in addresses:
            _connect(address).close()
            _connect(address, ca=ca).close()
    finally:
        _force_ssl(rds, secured["group"], "1")
    for address in addresses:
        _plaintext_refused(address)


def test_switching_the_cluster_parameter_group(cloud, ca):
    rds = cloud.client("rds")
    cluster_id = unique_name("switch")
    info = _create_cluster(rds, cluster_id, 1)  # default group: rds.force_ssl=0
    try:
        host = info["cluster"]["Endpoint"]
        _connect(host).close()
        group = unique_name("strict")
        rds.create_db_cluster_parameter_group(
            DBClusterParameterGroupName=group, DBParameterGroupFamily="aurora-postgresql15", Description="tls"
        )
        _force_ssl(rds, group, "1")
        rds.modify_db_cluster(DBClusterIdentifier=cluster_id, DBClusterParameterGroupName=group, ApplyImmediately=True)
        with pytest.raises(pg8000.native.DatabaseError) as excinfo:
            _connect(host)
        assert _sqlstate(excinfo) == "28000"
        _connect(host, ca=ca).close()
    finally:
        _delete_cluster(rds, cluster_id)


def test_master_password_change(cloud, secured, ca):
    rds, host = cloud.client("rds"), secured["cluster"]["Endpoint"]
    new = "second-Password-2"
    rds.modify_db_cluster(DBClusterIdentifier=secured["id"], MasterUserPassword=new, ApplyImmediately=True)
    try:
        with pytest.raises(pg8000.native.DatabaseError) as excinfo:
            _connect(host, ca=ca)
        assert _sqlstate(excinfo) == "28P01"
        conn = _connect(host, password=new, ca=ca)
        # what the rotation function does: the master user changes its own password
        conn.run(f"ALTER USER {USER} WITH PASSWORD '{PASSWORD}'")
        conn.close()
        _connect(host, ca=ca).close()
    finally:
        rds.modify_db_cluster(DBClusterIdentifier=secured["id"], MasterUserPassword=PASSWORD, ApplyImmediately=True)


def test_reboot_restarts_the_server(cloud, secured, ca):
    """RebootDBInstance restarts the writer's server: a new postmaster on the same address, still serving."""
    writer = secured["writer"]
    host = secured["addresses"][writer]

    def postmaster() -> int:
        return next(r["pid"] for r in _records(cloud.state_dir) if r["address"] == host)

    before = postmaster()
    cloud.client("rds").reboot_db_instance(DBInstanceIdentifier=writer)
    assert postmaster() != before and not _running(before)
    for address in (host, secured["cluster"]["Endpoint"]):
        conn = _connect(address, ca=ca)
        try:
            assert conn.run("SELECT 1") == [[1]]
        finally:
            conn.close()


def test_server_certificate_needs_the_local_ca(secured):
    context = ssl.create_default_context()  # the system CAs only
    with pytest.raises(ssl.SSLCertVerificationError):
        pg8000.native.Connection(
            USER, host=secured["cluster"]["Endpoint"], password=PASSWORD, database="payments", ssl_context=context
        )


def test_delete_reader_and_cluster_stop_servers(cloud, ca):
    rds = cloud.client("rds")
    cluster_id = unique_name("delete")
    info = _create_cluster(rds, cluster_id, 2)
    reader_id = next(i for i in info["addresses"] if i != info["writer"])
    reader, writer = info["addresses"][reader_id], info["addresses"][info["writer"]]
    assert _listening(reader) and _listening(writer)
    rds.delete_db_instance(DBInstanceIdentifier=reader_id, SkipFinalSnapshot=True)
    assert not _listening(reader)
    assert _listening(writer)
    # without a reader, the reader endpoint reaches the writer (as on Aurora)
    reader_endpoint = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]["ReaderEndpoint"]
    conn = _connect(reader_endpoint, ca=ca)
    try:
        assert conn.run("SELECT pg_is_in_recovery()") == [[False]]
    finally:
        conn.close()
    _delete_cluster(rds, cluster_id)
    assert not _listening(writer) and not _listening(reader_endpoint)
    assert not [r for r in _records(cloud.state_dir) if r["address"] in (reader, writer)]


@pytest.mark.parametrize("how", ["down", "killed"])
def test_down_stops_every_server(tmp_path, secured, how):
    """``localcloud down`` stops this cloud's servers, also when the local cloud process was killed."""
    state_dir = tmp_path / "state"
    other = LocalCloud.up(state_dir)
    try:
        info = _create_cluster(other.client("rds"), unique_name("down"), 2)
        addresses = set(info["addresses"].values())
        # a second cloud on the same port picks loopback addresses nobody else uses
        assert not addresses & set(secured["addresses"].values())
        assert all(_listening(a) for a in addresses)
        records = _records(state_dir)
        data_dirs = [r["data"] for r in records]
        assert len(records) == 2 and _postgres_processes(data_dirs)
        if how == "killed":
            pid = int((state_dir / "localcloud.pid").read_text())
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and _running(pid):
                time.sleep(0.05)
            assert not _running(pid)
            assert all(_listening(a) for a in addresses), "servers should outlive a killed local cloud"
    finally:
        other.down()
    assert not _postgres_processes(data_dirs)
    assert not any(_listening(a) for a in addresses)
    assert not _records(state_dir)
    assert not any(Path(r["dir"]).exists() for r in records)


def test_timed_cloud_keeps_the_data_plane(start_cloud):
    """With --timing aws the servers start as today (only the API states wait) and stop when deletion starts."""
    timed = start_cloud(timing="aws", time_scale=600)  # an instance takes 1 s
    rds, cluster_id = timed.client("rds"), unique_name("timed")
    _create_cluster(rds, cluster_id, 1)
    deadline = time.monotonic() + 30
    while {i["DBInstanceStatus"] for i in rds.describe_db_instances()["DBInstances"]} != {"available"}:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    described = _describe(rds, cluster_id)
    conn = _connect(described["addresses"][described["writer"]], ca=timed.state_dir / "dataplane" / "ca.pem")
    try:
        assert conn.run("SELECT 1") == [[1]]
    finally:
        conn.close()
    for name in described["addresses"]:
        rds.delete_db_instance(DBInstanceIdentifier=name)
    rds.delete_db_cluster(DBClusterIdentifier=cluster_id, SkipFinalSnapshot=True)
    assert rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]["Status"] == "deleting"
    assert not any(_listening(address) for address in described["addresses"].values())


PGAUDIT = Path("/usr/lib/postgresql/15/lib/pgaudit.so")


def _audit_lines(logs, cluster_id: str, token: str) -> dict[str, list[str]]:
    group = f"/aws/rds/cluster/{cluster_id}/postgresql"
    events = logs.filter_log_events(logGroupName=group, filterPattern=f'"{token}"')["events"]
    found: dict[str, list[str]] = {}
    for event in events:
        found.setdefault(event["logStreamName"], []).append(event["message"])
    return found


@pytest.mark.skipif(not PGAUDIT.exists(), reason="postgresql-15-pgaudit not installed (make setup installs it)")
def test_pgaudit_from_the_parameter_group_reaches_the_exported_log(cloud, ca):
    """Gaps 32 and 33: shared_preload_libraries and pgaudit.* of the cluster parameter group reach PostgreSQL (a
    static one at the reboot, a dynamic one at once), and the postgresql log export carries the audit lines into
    /aws/rds/cluster/<id>/postgresql, in the writer instance's stream."""
    rds, logs = cloud.client("rds"), cloud.client("logs")
    group, cluster_id = unique_name("audit"), unique_name("audited")
    rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName=group, DBParameterGroupFamily="aurora-postgresql15", Description="pgaudit"
    )
    rds.modify_db_cluster_parameter_group(
        DBClusterParameterGroupName=group,
        Parameters=[
            {"ParameterName": "shared_preload_libraries", "ParameterValue": "pgaudit", "ApplyMethod": "pending-reboot"},
            {"ParameterName": "pgaudit.log", "ParameterValue": "ddl", "ApplyMethod": "immediate"},
        ],
    )
    rds.create_db_cluster(
        DBClusterIdentifier=cluster_id,
        Engine="aurora-postgresql",
        EngineVersion="15.4",
        MasterUsername=USER,
        MasterUserPassword=PASSWORD,
        DatabaseName="payments",
        DBClusterParameterGroupName=group,
        EnableCloudwatchLogsExports=["postgresql"],
    )
    rds.create_db_instance(
        DBInstanceIdentifier=f"{cluster_id}-w",
        DBClusterIdentifier=cluster_id,
        Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large",
    )
    host = _describe(rds, cluster_id)["cluster"]["Endpoint"]
    try:
        conn = _connect(host, ca=ca)
        try:
            conn.run("CREATE EXTENSION pgaudit")
            conn.run("CREATE TABLE audited_one (token text)")
            conn.run("COMMENT ON TABLE audited_one IS 'token-ddl-1'")
            conn.run("INSERT INTO audited_one VALUES ('token-write-1')")  # write is not audited with pgaudit.log=ddl
        finally:
            conn.close()
        found = _audit_lines(logs, cluster_id, "token-ddl-1")
        assert list(found) == [f"{cluster_id}-w"], found
        assert any("AUDIT: SESSION" in line and "COMMENT" in line for line in found[f"{cluster_id}-w"]), found
        assert _audit_lines(logs, cluster_id, "token-write-1") == {}

        # dynamic: pgaudit.log=ddl,write applies without a reboot
        rds.modify_db_cluster_parameter_group(
            DBClusterParameterGroupName=group,
            Parameters=[{"ParameterName": "pgaudit.log", "ParameterValue": "ddl,write", "ApplyMethod": "immediate"}],
        )
        conn = _connect(host, ca=ca)
        try:
            conn.run("INSERT INTO audited_one VALUES ('token-write-2')")
        finally:
            conn.close()
        assert "AUDIT: SESSION" in _audit_lines(logs, cluster_id, "token-write-2")[f"{cluster_id}-w"][0]
    finally:
        _delete_cluster(rds, cluster_id)


@pytest.mark.skipif(not PGAUDIT.exists(), reason="postgresql-15-pgaudit not installed (make setup installs it)")
def test_static_library_waits_for_the_reboot(cloud, ca):
    """Gap 32: shared_preload_libraries set on a running cluster is loaded at the next RebootDBInstance only."""
    rds = cloud.client("rds")
    group, cluster_id = unique_name("static"), unique_name("static")
    rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName=group, DBParameterGroupFamily="aurora-postgresql15", Description="later"
    )
    info = _create_cluster(rds, cluster_id, 1, group)
    host = info["cluster"]["Endpoint"]

    def loaded() -> str:
        conn = _connect(host)
        try:
            return conn.run("SHOW shared_preload_libraries")[0][0]
        finally:
            conn.close()

    try:
        assert "pgaudit" not in loaded()
        rds.modify_db_cluster_parameter_group(
            DBClusterParameterGroupName=group,
            Parameters=[
                {
                    "ParameterName": "shared_preload_libraries",
                    "ParameterValue": "pg_stat_statements,pgaudit",
                    "ApplyMethod": "pending-reboot",
                }
            ],
        )
        assert "pgaudit" not in loaded()
        rds.reboot_db_instance(DBInstanceIdentifier=info["writer"])
        assert loaded() == "pg_stat_statements,pgaudit"
    finally:
        _delete_cluster(rds, cluster_id)


def _managed_login(cloud, secret_arn, host, ca):
    value = json.loads(cloud.client("secretsmanager").get_secret_value(SecretId=secret_arn)["SecretString"])
    conn = pg8000.native.Connection(
        value["username"],
        host=host,
        port=5432,
        password=value["password"],
        database="payments",
        ssl_context=ssl.create_default_context(cafile=str(ca)),
        timeout=5,
    )
    try:
        return value, conn.run("SELECT current_user")[0][0]
    finally:
        conn.close()


def test_managed_master_password_logs_in_and_rotates(cloud, ca):
    """Gap 37: with ManageMasterUserPassword the managed secret holds the master user and the password the database
    accepts; a rotate-now (Secrets Manager RotateSecret on the managed secret, or ModifyDBCluster
    RotateMasterUserPassword) changes both, and RotationRules set the secret's schedule."""
    rds, sm = cloud.client("rds"), cloud.client("secretsmanager")
    cluster_id = unique_name("managed")
    rds.create_db_cluster(
        DBClusterIdentifier=cluster_id,
        Engine="aurora-postgresql",
        EngineVersion="15.4",
        MasterUsername=USER,
        ManageMasterUserPassword=True,
        DatabaseName="payments",
    )
    rds.create_db_instance(
        DBInstanceIdentifier=f"{cluster_id}-w",
        DBClusterIdentifier=cluster_id,
        Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large",
    )
    described = _describe(rds, cluster_id)["cluster"]
    arn, host = described["MasterUserSecret"]["SecretArn"], described["Endpoint"]
    try:
        first, user = _managed_login(cloud, arn, host, ca)
        assert user == USER and first["username"] == USER and len(first["password"]) >= 20
        created = sm.describe_secret(SecretId=arn)  # RDS rotates its secret every 7 days unless told otherwise
        assert created["RotationEnabled"] is True and created["RotationRules"]["AutomaticallyAfterDays"] == 7

        rotated = sm.rotate_secret(SecretId=arn, RotationRules={"AutomaticallyAfterDays": 30})
        second, user = _managed_login(cloud, arn, host, ca)
        assert user == USER and second["password"] != first["password"]
        stages = sm.describe_secret(SecretId=arn)
        assert stages["RotationEnabled"] is True and stages["RotationRules"]["AutomaticallyAfterDays"] == 30
        assert "AWSCURRENT" in stages["VersionIdsToStages"][rotated["VersionId"]]
        with pytest.raises(pg8000.exceptions.DatabaseError):
            pg8000.native.Connection(
                USER, host=host, password=first["password"], database="payments",
                ssl_context=ssl.create_default_context(cafile=str(ca)), timeout=5,
            )  # fmt: skip

        rds.modify_db_cluster(DBClusterIdentifier=cluster_id, RotateMasterUserPassword=True, ApplyImmediately=True)
        third, user = _managed_login(cloud, arn, host, ca)
        assert user == USER and third["password"] not in (first["password"], second["password"])
    finally:
        _delete_cluster(rds, cluster_id)


def _refused_login(host, password, ca) -> None:
    with pytest.raises(pg8000.native.DatabaseError) as excinfo:
        _connect(host, password=password, ca=ca)
    assert _sqlstate(excinfo) == "28P01"  # invalid_password


def _secrets_of(sm, cluster_arn: str) -> list[str]:
    """The ARNs of the secrets RDS made for this cluster (tag aws:rds:primaryDBClusterArn), deleted ones included."""
    found = []
    for page in sm.get_paginator("list_secrets").paginate(IncludePlannedDeletion=True):
        for secret in page["SecretList"]:
            tags = {t["Key"]: t["Value"] for t in secret.get("Tags", [])}
            if tags.get("aws:rds:primaryDBClusterArn") == cluster_arn:
                found.append(secret["ARN"])
    return found


def _master_user_secret(rds, cluster_id: str) -> dict | None:
    return rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0].get("MasterUserSecret")


def _error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def _bare_cluster(rds, cluster_id: str, **credentials) -> dict:
    """A cluster without instances (its primary server runs all the same), with the master password unless told."""
    rds.create_db_cluster(
        DBClusterIdentifier=cluster_id,
        Engine="aurora-postgresql",
        EngineVersion="15.4",
        MasterUsername=USER,
        **(credentials or {"MasterUserPassword": PASSWORD}),
    )
    return rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]


def test_managed_password_turned_on_later_logs_in_rotates_and_turns_off(cloud, ca):
    """Gap 39: a cluster created with a master password, then ModifyDBCluster ManageMasterUserPassword=True with a KMS
    key (what the collection does, amazon.aws.rds_cluster having no such option): RDS generates a new password, keeps
    it with the master user in its secret (encrypted with that key, rotated every 7 days) and sets it on the database,
    so the old password stops working. Turning it on again changes nothing; RotateSecret changes it; turning it off
    with a MasterUserPassword deletes the secret and the database takes that password."""
    rds, sm, kms = cloud.client("rds"), cloud.client("secretsmanager"), cloud.client("kms")
    key = kms.create_key(Description="managed master secret")["KeyMetadata"]
    cluster_id = unique_name("managed-later")
    info = _create_cluster(rds, cluster_id, 1)
    host, cluster_arn = info["cluster"]["Endpoint"], info["cluster"]["DBClusterArn"]
    try:
        _connect(host, ca=ca).close()
        assert "MasterUserSecret" not in info["cluster"]

        answer = rds.modify_db_cluster(
            DBClusterIdentifier=cluster_id,
            ManageMasterUserPassword=True,
            MasterUserSecretKmsKeyId=key["KeyId"],
            ApplyImmediately=True,
        )["DBCluster"]
        assert answer["MasterUserSecret"]["SecretStatus"] == "creating"
        arn = answer["MasterUserSecret"]["SecretArn"]
        # AWS reports the key's ARN, whichever identifier was given
        assert _master_user_secret(rds, cluster_id) == {
            "SecretArn": arn,
            "SecretStatus": "active",
            "KmsKeyId": key["Arn"],
        }
        secret = sm.describe_secret(SecretId=arn)
        assert kms.describe_key(KeyId=secret["KmsKeyId"])["KeyMetadata"]["Arn"] == key["Arn"]
        assert secret["OwningService"] == "rds" and secret["Name"].startswith("rds!cluster")
        assert secret["RotationEnabled"] is True and secret["RotationRules"]["AutomaticallyAfterDays"] == 7
        first, user = _managed_login(cloud, arn, host, ca)
        assert user == USER and first["username"] == USER and len(first["password"]) >= 20
        _refused_login(host, PASSWORD, ca)
        assert _secrets_of(sm, cluster_arn) == [arn]

        # on again: the same secret, key and password (moto made a second secret and left the first behind)
        rds.modify_db_cluster(DBClusterIdentifier=cluster_id, ManageMasterUserPassword=True, ApplyImmediately=True)
        assert _master_user_secret(rds, cluster_id) == {
            "SecretArn": arn,
            "SecretStatus": "active",
            "KmsKeyId": key["Arn"],
        }
        assert _managed_login(cloud, arn, host, ca)[0] == first
        assert _secrets_of(sm, cluster_arn) == [arn]

        rotated = sm.rotate_secret(SecretId=arn)
        second, user = _managed_login(cloud, arn, host, ca)
        assert user == USER and second["password"] != first["password"]
        assert "AWSCURRENT" in sm.describe_secret(SecretId=arn)["VersionIdsToStages"][rotated["VersionId"]]
        _refused_login(host, first["password"], ca)

        chosen = "third-Password-3"
        rds.modify_db_cluster(
            DBClusterIdentifier=cluster_id,
            ManageMasterUserPassword=False,
            MasterUserPassword=chosen,
            ApplyImmediately=True,
        )
        assert _master_user_secret(rds, cluster_id) is None
        with pytest.raises(ClientError) as excinfo:
            sm.describe_secret(SecretId=arn)
        assert _error_code(excinfo) == "ResourceNotFoundException"
        assert _secrets_of(sm, cluster_arn) == []
        _connect(host, password=chosen, ca=ca).close()
        _refused_login(host, second["password"], ca)
    finally:
        _delete_cluster(rds, cluster_id)


def test_managed_password_combinations_aws_refuses(cloud):
    """Gap 39b: ManageMasterUserPassword=True with a MasterUserPassword (ModifyDBCluster or CreateDBCluster), and
    ManageMasterUserPassword=False without one, are InvalidParameterCombination on AWS; moto took them (and with
    False deleted the secret, leaving the cluster with a password nobody knew)."""
    rds, sm = cloud.client("rds"), cloud.client("secretsmanager")
    cluster_id = unique_name("managed-refused")
    cluster_arn = _bare_cluster(rds, cluster_id)["DBClusterArn"]
    refused = (
        {"ManageMasterUserPassword": True, "MasterUserPassword": "other-Password-2"},
        {"ManageMasterUserPassword": False},
    )
    try:
        for managed in (False, True):
            if managed:  # the same refusals once RDS manages the password
                rds.modify_db_cluster(
                    DBClusterIdentifier=cluster_id, ManageMasterUserPassword=True, ApplyImmediately=True
                )
            before = _master_user_secret(rds, cluster_id)
            assert (before is not None) is managed
            for change in refused:
                with pytest.raises(ClientError) as excinfo:
                    rds.modify_db_cluster(DBClusterIdentifier=cluster_id, ApplyImmediately=True, **change)
                assert _error_code(excinfo) == "InvalidParameterCombination", (managed, change)
                assert _master_user_secret(rds, cluster_id) == before, (managed, change)
                assert _secrets_of(sm, cluster_arn) == ([before["SecretArn"]] if managed else [])

        other = unique_name("managed-refused")
        with pytest.raises(ClientError) as excinfo:
            _bare_cluster(rds, other, MasterUserPassword=PASSWORD, ManageMasterUserPassword=True)
        assert _error_code(excinfo) == "InvalidParameterCombination"
        with pytest.raises(ClientError) as excinfo:
            rds.describe_db_clusters(DBClusterIdentifier=other)
        assert _error_code(excinfo) == "DBClusterNotFoundFault"
    finally:
        _delete_cluster(rds, cluster_id)


def test_deleting_a_managed_cluster_deletes_its_secret(cloud):
    """Gap 39: DeleteDBCluster deletes the secret RDS manages for the cluster, whether management was turned on at
    creation or later (twice: the second time must not leave a secret behind)."""
    rds, sm = cloud.client("rds"), cloud.client("secretsmanager")
    created, later = unique_name("managed-created"), unique_name("managed-later")
    _bare_cluster(rds, created, ManageMasterUserPassword=True)
    _bare_cluster(rds, later)
    for _ in range(2):
        rds.modify_db_cluster(DBClusterIdentifier=later, ManageMasterUserPassword=True, ApplyImmediately=True)
    arns = {}
    for cluster_id in (created, later):
        cluster = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]
        arns[cluster["DBClusterArn"]] = cluster["MasterUserSecret"]["SecretArn"]
        assert _secrets_of(sm, cluster["DBClusterArn"]) == [cluster["MasterUserSecret"]["SecretArn"]]
    for cluster_id in (created, later):
        rds.delete_db_cluster(DBClusterIdentifier=cluster_id, SkipFinalSnapshot=True)
    for cluster_arn, secret_arn in arns.items():
        assert _secrets_of(sm, cluster_arn) == []
        with pytest.raises(ClientError) as excinfo:
            sm.describe_secret(SecretId=secret_arn)
        assert _error_code(excinfo) == "ResourceNotFoundException"


# ------------------------------------------------------------------------------------------- failover (gap 40)
def _writer_of(rds, cluster_id: str) -> str:
    members = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]["DBClusterMembers"]
    writers = [m["DBInstanceIdentifier"] for m in members if m["IsClusterWriter"]]
    assert len(writers) == 1, members
    return writers[0]


def _sql(address: str, ca, statement: str):
    conn = _connect(address, ca=ca)
    try:
        return conn.run(statement)
    finally:
        conn.close()


def _poll(address: str, ca, statement: str, expected, seconds: float = 10):
    """``statement``'s rows on ``address`` once they are ``expected`` (a standby catching up), else the last ones."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            rows = _sql(address, ca, statement)
        except pg8000.native.DatabaseError as exc:
            if exc.args[0]["C"] != "42P01" or time.monotonic() > deadline:  # not replicated yet
                raise
            rows = None
        if rows == expected or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


@pytest.fixture
def trio(cloud):
    """A cluster of three (a writer, two readers; the second reader has the best promotion tier) with a row."""
    rds = cloud.client("rds")
    cluster_id = unique_name("failover")
    info = _create_cluster(rds, cluster_id, 2)
    rds.create_db_instance(
        DBInstanceIdentifier=f"{cluster_id}-2",
        DBClusterIdentifier=cluster_id,
        Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large",
        PromotionTier=0,
    )
    info = _describe(rds, cluster_id)
    info["id"] = cluster_id
    yield info
    _delete_cluster(rds, cluster_id)


def test_failover_promotes_the_best_reader_behind_the_same_endpoint(cloud, trio, ca):
    rds, cluster_id = cloud.client("rds"), trio["id"]
    endpoint, reader_endpoint = trio["cluster"]["Endpoint"], trio["cluster"]["ReaderEndpoint"]
    old_writer = trio["writer"]
    _sql(endpoint, ca, "CREATE TABLE drill (id int PRIMARY KEY); INSERT INTO drill VALUES (1)")
    session = _connect(endpoint, ca=ca)  # an open session through the writer endpoint is dropped by the failover
    rds.failover_db_cluster(DBClusterIdentifier=cluster_id)
    new_writer = _writer_of(rds, cluster_id)
    assert new_writer == f"{cluster_id}-2", "the reader with the best promotion tier"
    with pytest.raises((pg8000.native.InterfaceError, pg8000.native.DatabaseError)):
        session.run("SELECT 1")
    after = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]
    assert (after["Endpoint"], after["ReaderEndpoint"], after["Status"]) == (endpoint, reader_endpoint, "available")
    # the writer endpoint reaches the promoted server: the row is there, a write succeeds
    assert _sql(endpoint, ca, "SELECT pg_is_in_recovery(), host(inet_server_addr())") == [
        [False, trio["addresses"][new_writer]]
    ]
    _sql(endpoint, ca, "INSERT INTO drill VALUES (2)")
    # every other instance is a standby of the new writer, the old writer included, and has the new row
    for instance, address in trio["addresses"].items():
        if instance != new_writer:
            assert _sql(address, ca, "SELECT pg_is_in_recovery()") == [[True]], instance
            assert _poll(address, ca, "SELECT id FROM drill WHERE id = 2", [[2]]) == [[2]], instance
    with pytest.raises(pg8000.native.DatabaseError) as excinfo:
        _sql(reader_endpoint, ca, "INSERT INTO drill VALUES (3)")
    assert _sqlstate(excinfo) == "25006"
    # and back to the old writer, named
    rds.failover_db_cluster(DBClusterIdentifier=cluster_id, TargetDBInstanceIdentifier=old_writer)
    assert _writer_of(rds, cluster_id) == old_writer
    assert _sql(endpoint, ca, "SELECT count(*) FROM drill") == [[2]]
    _sql(endpoint, ca, "INSERT INTO drill VALUES (4)")


def test_failover_refuses_a_target_of_another_cluster(cloud, trio, secured):
    rds = cloud.client("rds")
    with pytest.raises(ClientError) as excinfo:
        rds.failover_db_cluster(DBClusterIdentifier=trio["id"], TargetDBInstanceIdentifier=secured["writer"])
    assert excinfo.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert _writer_of(rds, trio["id"]) == trio["writer"]


def test_reboot_with_force_failover_and_deleting_the_writer_fail_over(cloud, trio, ca):
    rds, cluster_id, endpoint = cloud.client("rds"), trio["id"], trio["cluster"]["Endpoint"]
    first = trio["writer"]
    _sql(endpoint, ca, "CREATE TABLE kept (id int); INSERT INTO kept VALUES (1)")
    rds.reboot_db_instance(DBInstanceIdentifier=first, ForceFailover=True)
    second = _writer_of(rds, cluster_id)
    assert second != first
    assert _sql(trio["addresses"][first], ca, "SELECT pg_is_in_recovery()") == [[True]]
    # deleting the writer: a reader takes over, the data stays
    rds.delete_db_instance(DBInstanceIdentifier=second, SkipFinalSnapshot=True)
    third = _writer_of(rds, cluster_id)
    assert third not in (second,) and not _listening(trio["addresses"][second])
    assert _sql(endpoint, ca, "SELECT pg_is_in_recovery(), count(*) FROM kept") == [[False, 1]]
    _sql(endpoint, ca, "INSERT INTO kept VALUES (2)")
