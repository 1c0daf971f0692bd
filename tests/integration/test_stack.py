"""The whole stack on a local cloud: what molecule does not cover.

* a -vvv deploy never shows the password, and the deployment matches the reference (tests/stack_check.py);
* rotation: a re-run changes nothing and sends no RotateSecret; rotate.yml changes the password in PostgreSQL
  (the local cloud runs the deployed function), and a later site.yml keeps the rotated password working;
* teardown leaves nothing, a second teardown changes nothing, a re-deploy with the same suffix succeeds;
* a half-deployed stack (deploy failed midway) tears down cleanly;
* two inventories at once deploy two environments in one run.
"""

from __future__ import annotations

import json
import ssl
import sys
import urllib.request
from pathlib import Path

import pg8000.native
from conftest import REPO, recap

sys.path.insert(0, str(REPO / "tests"))
import stack_check  # noqa: E402


def _check(localcloud, mode: str, suffix: str, **expect) -> list[str]:
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    checker = stack_check.Checker(suffix, localcloud.endpoint, "us-east-1", credentials)
    return checker.present({**stack_check.REF, **expect}) if mode == "present" else checker.absent()


def _password(localcloud, suffix: str) -> str:
    value = localcloud.client("secretsmanager").get_secret_value(SecretId=f"payment-db-credentials-{suffix}")
    return json.loads(value["SecretString"])["password"]


def _secret(localcloud, suffix: str) -> dict:
    value = localcloud.client("secretsmanager").get_secret_value(SecretId=f"payment-db-credentials-{suffix}")
    return json.loads(value["SecretString"])


def _can_login(localcloud, secret: dict, password: str) -> bool:
    """Log in to the writer endpoint named in the secret, over TLS verified with the local cloud's CA."""
    context = ssl.create_default_context(cafile=str(localcloud.state_dir / "dataplane" / "ca.pem"))
    try:
        conn = pg8000.native.Connection(
            secret["username"],
            host=secret["host"],
            port=int(secret["port"]),
            password=password,
            database="postgres",
            ssl_context=context,
            timeout=10,
        )
    except pg8000.exceptions.DatabaseError as exc:
        assert exc.args[0].get("C") == "28P01", exc  # wrong password, nothing else
        return False
    conn.run("SELECT 1")
    conn.close()
    return True


def _rotation_logs(localcloud, suffix: str) -> str:
    logs = localcloud.client("logs")
    events = logs.filter_log_events(logGroupName=f"/aws/lambda/payment-db-rotation-{suffix}")["events"]
    return "\n".join(e["message"] for e in events)


def _rotation_checks(localcloud, suffix: str, password: str) -> str:
    """Schedule, idempotent re-run, rotate.yml, and a site.yml after it; returns the rotated password."""
    sm = localcloud.client("secretsmanager")
    described = sm.describe_secret(SecretId=f"payment-db-credentials-{suffix}")
    assert described["RotationEnabled"] is True
    assert described["RotationRules"].get("ScheduleExpression") == "rate(30 days)", described["RotationRules"]
    assert _can_login(localcloud, _secret(localcloud, suffix), password)

    before = len(localcloud.requests())
    again = localcloud.playbook("site.yml", "-e", f"env_suffix={suffix}")
    assert recap(again.stdout)["changed"] == 0, again.stdout[-4000:]
    assert [r for r in localcloud.requests()[before:] if r["action"] == "RotateSecret"] == []

    rotate = localcloud.playbook("rotate.yml", "-e", f"env_suffix={suffix}", "-vvv")
    rotated = _password(localcloud, suffix)
    assert rotated != password and len(rotated) == 32 and rotated.isalnum()
    assert _can_login(localcloud, _secret(localcloud, suffix), rotated)
    assert not _can_login(localcloud, _secret(localcloud, suffix), password)
    logs = _rotation_logs(localcloud, suffix)
    assert "END step finishSecret" in logs
    for pw in (password, rotated):
        assert pw not in rotate.stdout and pw not in rotate.stderr and pw not in logs
    return rotated


def test_lifecycle_secret_safe_teardown_clean_redeploy(localcloud, suffix):
    deploy = localcloud.playbook("site.yml", "-e", f"env_suffix={suffix}", "-vvv")
    assert _check(localcloud, "present", suffix) == []
    password = _password(localcloud, suffix)
    assert len(password) == 32
    assert password not in deploy.stdout and password not in deploy.stderr
    outputs = json.loads((REPO / "outputs" / f"{suffix}.json").read_text())
    assert (
        outputs["SecretArn"].endswith(f"payment-db-credentials-{suffix}")
        or f"credentials-{suffix}" in outputs["SecretArn"]
    )
    assert outputs["ClusterEndpoint"].endswith(":5432") and outputs["VpcId"].startswith("vpc-")
    password = _rotation_checks(localcloud, suffix, password)

    # A static parameter change: members are rebooted one at a time, readers first, then the writer.
    before = len(localcloud.requests())
    static = {
        "env_suffix": suffix,
        "auroradb_aurora_parameters": {"shared_preload_libraries": "pg_stat_statements,pg_cron"},
    }
    localcloud.playbook("site.yml", "-e", json.dumps(static))
    reboots = [r["resource"] for r in localcloud.requests()[before:] if r["action"] == "RebootDBInstance"]
    cluster = f"payment-db-cluster-{suffix}"
    assert reboots == [f"{cluster}-reader1", f"{cluster}-reader2", f"{cluster}-writer"], reboots
    # That site.yml ran after rotate.yml: the rotated password is still the secret's, and still logs in.
    assert not [r for r in localcloud.requests()[before:] if r["action"] in ("RotateSecret", "PutSecretValue")]
    assert _password(localcloud, suffix) == password
    assert _can_login(localcloud, _secret(localcloud, suffix), password)

    first = localcloud.playbook("teardown.yml", "-e", f"env_suffix={suffix}")
    assert recap(first.stdout)["changed"] > 0
    assert _check(localcloud, "absent", suffix) == []
    second = localcloud.playbook("teardown.yml", "-e", f"env_suffix={suffix}")
    assert recap(second.stdout)["changed"] == 0, second.stdout[-3000:]

    localcloud.playbook("site.yml", "-e", f"env_suffix={suffix}")
    assert _check(localcloud, "present", suffix) == []
    assert _password(localcloud, suffix) != password  # a fresh secret, not the old one
    localcloud.playbook("teardown.yml", "-e", f"env_suffix={suffix}")
    assert _check(localcloud, "absent", suffix) == []
    (REPO / "outputs" / f"{suffix}.json").unlink(missing_ok=True)


def test_half_deployed_stack_tears_down(localcloud, suffix):
    rule = [
        {
            "service": "rds",
            "action": "CreateDBInstance",
            "code": "InsufficientDBInstanceCapacity",
            "message": "no capacity",
            "count": -1,
        }
    ]
    req = urllib.request.Request(
        localcloud.endpoint + "/_localcloud/faults", data=json.dumps(rule).encode(), method="POST"
    )
    urllib.request.urlopen(req).close()
    try:
        failed = localcloud.playbook("site.yml", "-e", f"env_suffix={suffix}", check=False)
    finally:
        req = urllib.request.Request(localcloud.endpoint + "/_localcloud/faults", data=b"[]", method="POST")
        urllib.request.urlopen(req).close()
    assert failed.returncode != 0 and "no capacity" in failed.stdout
    rds = localcloud.client("rds")
    assert rds.describe_db_clusters(DBClusterIdentifier=f"payment-db-cluster-{suffix}")["DBClusters"]
    localcloud.playbook("teardown.yml", "-e", f"env_suffix={suffix}")
    assert _check(localcloud, "absent", suffix) == []


def test_two_inventories_deploy_two_environments(localcloud, tmp_path: Path):
    # dev and staging as users have them; AWS_URL (the documented endpoint fallback) points them here.
    args = ["-i", str(REPO / "inventories/dev"), "-i", str(REPO / "inventories/staging")]
    run = localcloud.playbook("site.yml", *args, inventory=None)
    assert recap(run.stdout, "payments-dev")["failed"] == 0 and recap(run.stdout, "payments-staging")["failed"] == 0
    assert _check(localcloud, "present", "dev") == []
    assert (
        _check(
            localcloud, "present", "staging", vpc_cidr="10.1.0.0/16", instance_class="db.r6g.large", backup_retention=14
        )
        == []
    )
    localcloud.playbook("teardown.yml", *args, inventory=None)
    assert _check(localcloud, "absent", "dev") == [] and _check(localcloud, "absent", "staging") == []
    for env in ("dev", "staging"):
        (REPO / "outputs" / f"{env}.json").unlink(missing_ok=True)
