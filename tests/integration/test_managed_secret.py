"""auroradb_secret_mode: rds_managed (issue 13 item 7) on inventories/local, end to end on the local cloud.

RDS manages the master password: the cluster's MasterUserSecret, encrypted with the stack's key and rotated every
auroradb_secret_rotation_days, holds the password PostgreSQL accepts; no secret of ours, no rotation function, no
Secrets Manager endpoint. A second run changes nothing, verify.yml passes (its data plane logs in with the managed
secret), rotate.yml changes the password in the secret and in PostgreSQL, and the teardown leaves nothing (RDS deletes
its secret with the cluster). A copy-on-write clone of it (restore.yml, issue 14) gets a managed secret of its own,
under its own key; the source's password does not log in to the clone.

    .venv/bin/python -m pytest -q tests/integration/test_managed_secret.py
"""

from __future__ import annotations

import json
import ssl

import pg8000.native
from conftest import REPO, recap

MANAGED = ("-e", "auroradb_secret_mode=rds_managed")
HOST = "payments-local"


def _login(cloud, host: str, port: int, user: str, password: str) -> bool:
    """Log in to ``host`` over TLS verified with the local cloud's CA: True, or False for a refused password."""
    context = ssl.create_default_context(cafile=str(cloud.state_dir / "dataplane" / "ca.pem"))
    try:
        conn = pg8000.native.Connection(
            user, host=host, port=port, password=password, database="postgres", ssl_context=context, timeout=10
        )
    except pg8000.exceptions.DatabaseError as exc:
        assert exc.args[0].get("C") == "28P01", exc  # wrong password, nothing else
        return False
    conn.run("SELECT 1")
    conn.close()
    return True


def test_rds_managed_password_deploys_logs_in_rotates_and_tears_down(localcloud, suffix):
    cloud = localcloud
    args = ("-e", f"env_suffix={suffix}", *MANAGED)
    deploy = cloud.playbook("site.yml", *args)
    rds, sm, ec2 = cloud.client("rds"), cloud.client("secretsmanager"), cloud.client("ec2")
    cluster_id = f"payment-db-cluster-{suffix}"
    (cluster,) = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"]
    key_arn = cloud.client("kms").describe_key(KeyId=f"alias/payment-db-{suffix}")["KeyMetadata"]["Arn"]
    managed = cluster["MasterUserSecret"]
    assert managed["KmsKeyId"] == key_arn and managed["SecretStatus"] == "active", managed
    arn = managed["SecretArn"]
    described = sm.describe_secret(SecretId=arn)
    assert described["KmsKeyId"] in (key_arn, key_arn.rsplit("/", 1)[-1])
    assert described["RotationEnabled"] is True
    assert described["RotationRules"].get("ScheduleExpression") == "rate(30 days)", described["RotationRules"]
    # nothing of rotation_function mode: no secret of ours, no function, no Secrets Manager endpoint
    names = [s["Name"] for s in sm.list_secrets()["SecretList"]]
    assert f"payment-db-credentials-{suffix}" not in names
    functions = [f["FunctionName"] for f in cloud.client("lambda").list_functions()["Functions"]]
    assert not [f for f in functions if f.endswith(suffix)]
    vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"payment-db-vpc-{suffix}"]}])["Vpcs"][0]
    live = [{"Name": "vpc-id", "Values": [vpc["VpcId"]]}, {"Name": "vpc-endpoint-state", "Values": ["available"]}]
    assert ec2.describe_vpc_endpoints(Filters=live)["VpcEndpoints"] == []
    # the managed secret logs in; the outputs name it
    first = json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])
    endpoint, port = cluster["Endpoint"], cluster["Port"]
    assert first["username"] == "dbadmin" and _login(cloud, endpoint, port, "dbadmin", first["password"])
    outputs = json.loads((REPO / "outputs" / f"{suffix}.json").read_text(encoding="utf-8"))
    assert outputs["SecretArn"] == arn

    again = cloud.playbook("site.yml", *args)
    assert recap(again.stdout, HOST)["changed"] == 0, again.stdout[-4000:]

    verified = cloud.playbook("verify.yml", *args)
    assert recap(verified.stdout, HOST)["failed"] == 0
    report = json.loads((REPO / "outputs" / f"{suffix}-verify.json").read_text(encoding="utf-8"))
    checks = {c["name"]: c for c in report["checks"]}
    managed_checks = {"secret.mode", "secret.encrypted_with_stack_key", "secret.rotation", "secret.no_unmanaged_copy"}
    assert managed_checks <= set(checks) and report["passed"] is True
    assert all(checks[name]["passed"] for name in managed_checks), checks
    assert report["data_plane"]["ran"] is True and checks["db.tls_login"]["passed"]  # logged in with RDS's secret
    controls = {c["id"]: c["status"] for c in report["controls"]}
    assert controls["securityhub.SecretsManager.1"] == "pass" and controls["securityhub.Lambda.1"] == "not_applicable"

    rotated = cloud.playbook("rotate.yml", *args)
    second = json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])
    assert second["password"] != first["password"]
    assert _login(cloud, endpoint, port, "dbadmin", second["password"])
    assert not _login(cloud, endpoint, port, "dbadmin", first["password"])
    for run in (deploy, again, verified, rotated):
        assert first["password"] not in run.stdout + run.stderr and second["password"] not in run.stdout + run.stderr

    # a clone in rds_managed mode (restore.yml, issue 14): RDS manages the clone's password too, in a secret of the
    # clone's own, under the clone's own key; the clone's data came with the source's password, which no longer logs in
    clone = suffix + "c"
    cloned = cloud.playbook(
        "restore.yml", "-e", f"env_suffix={clone}", *MANAGED, "-e", f"auroradb_restore_source={suffix}",
        "-e", "auroradb_restore_time=latest", "-e", "auroradb_restore_type=copy-on-write",
    )  # fmt: skip
    assert recap(cloned.stdout, HOST)["failed"] == 0, cloned.stdout[-4000:]  # verify.yml passed for the clone
    (clone_cluster,) = rds.describe_db_clusters(DBClusterIdentifier=f"payment-db-cluster-{clone}")["DBClusters"]
    clone_key = cloud.client("kms").describe_key(KeyId=f"alias/payment-db-{clone}")["KeyMetadata"]["Arn"]
    clone_secret = clone_cluster["MasterUserSecret"]
    assert clone_secret["KmsKeyId"] == clone_key and clone_secret["SecretArn"] != arn
    clone_password = json.loads(sm.get_secret_value(SecretId=clone_secret["SecretArn"])["SecretString"])["password"]
    clone_endpoint = clone_cluster["Endpoint"]
    assert _login(cloud, clone_endpoint, port, "dbadmin", clone_password)
    assert not _login(cloud, clone_endpoint, port, "dbadmin", second["password"])
    assert _login(cloud, endpoint, port, "dbadmin", second["password"])  # the source keeps its own
    cloud.playbook("teardown.yml", "-e", f"env_suffix={clone}", *MANAGED)

    cloud.playbook("teardown.yml", *args)
    assert rds.describe_db_clusters(Filters=[{"Name": "db-cluster-id", "Values": [cluster_id]}])["DBClusters"] == []
    left = [s["ARN"] for s in sm.list_secrets(IncludePlannedDeletion=True)["SecretList"]]
    assert arn not in left and not [s for s in left if suffix in s]
    assert ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"payment-db-vpc-{suffix}"]}])["Vpcs"] == []
