"""payments.auroradb.db_secret against a local cloud, through ansible-playbook.

Each step runs a one-task playbook with ``-vvv --diff`` and checks the module's result and the secret
itself with boto3. At the end of every test, no password seen in the secret may appear in any run's output.

    .venv/bin/python -m pytest -q tests/integration/test_db_secret_localcloud.py
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

DESCRIPTION = "Master credentials for Aurora PostgreSQL cluster"
CONNECTION = {
    "engine": "postgres",
    "host": "payment-db-cluster-it.cluster-xyz.us-east-1.rds.amazonaws.com",
    "port": 5432,
    "dbClusterIdentifier": "payment-db-cluster-it",
}


@pytest.fixture
def aws(localcloud):
    return localcloud.client


class Runner:
    """Runs payments.auroradb.db_secret in a one-task playbook (``-vvv --diff``); keeps every run's output."""

    def __init__(self, cloud, workdir: Path):
        self.cloud, self.workdir = cloud, workdir
        self.outputs: list[tuple[str, str]] = []

    def __call__(self, label: str, check: bool = False, **module_args) -> dict:
        flags = ["-vvv", "--diff", *(["--check"] if check else [])]
        result, output = self.cloud.run_module(self.workdir, "payments.auroradb.db_secret", module_args, *flags)
        self.outputs.append((label, output))
        return result

    def assert_never_shown(self, *secrets: str) -> None:
        for label, output in self.outputs:
            for secret in secrets:
                assert secret not in output, f"a password appears in the output of {label!r}"


@pytest.fixture
def run(localcloud, tmp_path):
    return Runner(localcloud, tmp_path)


def secret_value(sm, name: str) -> dict:
    return json.loads(sm.get_secret_value(SecretId=name)["SecretString"])


def current_version(sm, name: str) -> str:
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    return next(v for v, s in stages.items() if "AWSCURRENT" in s)


def exists(sm, name: str) -> bool:
    try:
        sm.describe_secret(SecretId=name)
    except ClientError as e:
        assert e.response["Error"]["Code"] == "ResourceNotFoundException"
        return False
    return True


def test_lifecycle(run, aws, localcloud):
    sm = aws("secretsmanager")
    key_arn = aws("kms").create_key(Description="db_secret integration test")["KeyMetadata"]["Arn"]
    name = f"payment-db-credentials-it-{uuid.uuid4().hex[:8]}"
    tags = {"environment": "it", "project": "payments-auroradb", "managed-by": "ansible"}
    args = {
        "name": name,
        "description": DESCRIPTION,
        "kms_key_id": key_arn,
        "username": "dbadmin",
        "tags": tags,
        "purge_tags": False,
    }

    # check-mode create: changed, nothing created
    r = run("check-mode create", check=True, **args)
    assert r["changed"] is True and not r.get("failed"), r
    assert r["name"] == name and r["version_id"] is None
    assert not exists(sm, name)

    # create: 32 alphanumeric characters, the CMK, the tags
    r = run("create", **args)
    assert r["changed"] is True and not r.get("failed"), r
    value = secret_value(sm, name)
    password = value["password"]
    assert value == {"username": "dbadmin", "password": password}
    assert len(password) == 32 and password.isalnum() and password.isascii()
    described = sm.describe_secret(SecretId=name)
    assert described["KmsKeyId"] == key_arn
    assert described["Description"] == DESCRIPTION
    assert {t["Key"]: t["Value"] for t in described["Tags"]} == tags
    assert r["arn"] == described["ARN"] and r["kms_key_id"] == key_arn and r["tags"] == tags
    assert r["version_id"] == current_version(sm, name)
    assert "password" not in r["diff"]["after"]["value"]
    version = r["version_id"]

    # check-mode re-run and re-run: no change, same password and version
    r = run("check-mode re-run", check=True, **args)
    assert r["changed"] is False and not r.get("failed"), r
    r = run("re-run", **args)
    assert r["changed"] is False and not r.get("failed"), r
    assert secret_value(sm, name)["password"] == password
    assert current_version(sm, name) == version == r["version_id"]

    # connection details (SecretTargetAttachment): check mode changes nothing, then a new AWSCURRENT version
    r = run("check-mode attach", check=True, connection=CONNECTION, **args)
    assert r["changed"] is True and r["updated_keys"] == sorted(CONNECTION), r
    assert current_version(sm, name) == version
    r = run("attach", connection=CONNECTION, **args)
    assert r["changed"] is True and r["updated_keys"] == sorted(CONNECTION), r
    value = secret_value(sm, name)
    assert value == {"username": "dbadmin", "password": password, **CONNECTION}
    assert r["version_id"] == current_version(sm, name) != version
    assert r["diff"]["after"]["value"] == {"username": "dbadmin", **CONNECTION}
    r = run("re-run attach", connection=CONNECTION, **args)
    assert r["changed"] is False, r

    # a rotation puts a new AWSCURRENT value; re-runs keep it, also when a connection key changes
    rotated = sm.get_random_password(PasswordLength=32, ExcludePunctuation=True)["RandomPassword"]
    sm.put_secret_value(SecretId=name, SecretString=json.dumps(dict(value, password=rotated)))
    r = run("re-run after rotation", connection=CONNECTION, **args)
    assert r["changed"] is False, r
    assert secret_value(sm, name)["password"] == rotated
    r = run("new host after rotation", connection=dict(CONNECTION, host="moved.example"), **args)
    assert r["changed"] is True and r["updated_keys"] == ["host"], r
    assert secret_value(sm, name) == {
        "username": "dbadmin",
        "password": rotated,
        **dict(CONNECTION, host="moved.example"),
    }

    # a username change is refused and changes nothing
    version = current_version(sm, name)
    r = run("username change", **dict(args, username="someoneelse"))
    assert r.get("failed") is True and "refusing" in r["msg"], r
    assert current_version(sm, name) == version

    # description and tags drift is corrected without a new version
    sm.update_secret(SecretId=name, Description="edited by hand")
    sm.untag_resource(SecretId=name, TagKeys=["project"])
    r = run("drift", **args)
    assert r["changed"] is True, r
    described = sm.describe_secret(SecretId=name)
    assert described["Description"] == DESCRIPTION and {t["Key"] for t in described["Tags"]} == set(tags)
    assert current_version(sm, name) == version

    # delete (check mode, then at once), delete again
    r = run("check-mode absent", check=True, name=name, state="absent", recovery_window_days=0)
    assert r["changed"] is True and exists(sm, name)
    r = run("absent", name=name, state="absent", recovery_window_days=0)
    assert r["changed"] is True and not r.get("failed"), r
    assert not exists(sm, name)
    r = run("absent again", name=name, state="absent", recovery_window_days=0)
    assert r["changed"] is False, r

    run.assert_never_shown(password, rotated)


def test_redeploy_after_teardown_with_recovery_window(run, aws, localcloud):
    sm = aws("secretsmanager")
    key_arn = aws("kms").create_key()["KeyMetadata"]["Arn"]
    name = f"payment-db-credentials-rw-{uuid.uuid4().hex[:8]}"
    args = {"name": name, "description": DESCRIPTION, "kms_key_id": key_arn}

    assert run("create", **args)["changed"] is True
    password = secret_value(sm, name)["password"]
    deny = {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Resource": "*"}
    statement = {**deny, "Action": "secretsmanager:DeleteSecret"}
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    sm.put_resource_policy(SecretId=name, ResourcePolicy=json.dumps(policy))

    seen = len(localcloud.requests())
    r = run("teardown with a 7-day window", name=name, state="absent", recovery_window_days=7)
    assert r["changed"] is True, r
    assert sm.describe_secret(SecretId=name).get("DeletedDate")
    actions = [e["action"] for e in localcloud.requests()[seen:] if e["service"] == "secretsmanager"]
    assert actions.index("DeleteResourcePolicy") < actions.index("DeleteSecret"), actions
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=name)

    r = run("teardown again", name=name, state="absent", recovery_window_days=7)
    assert r["changed"] is False, r

    r = run("check-mode re-deploy", check=True, **args)
    assert r["changed"] is True and r["restored"] is True, r
    assert sm.describe_secret(SecretId=name).get("DeletedDate")

    r = run("re-deploy", **args)
    assert r["changed"] is True and r["restored"] is True and not r.get("failed"), r
    assert not sm.describe_secret(SecretId=name).get("DeletedDate")
    assert secret_value(sm, name)["password"] == password
    assert run("re-deploy again", **args)["changed"] is False

    # a secret pending deletion is removed at once with window 0
    run("teardown with a window", name=name, state="absent", recovery_window_days=7)
    r = run("teardown without a window", name=name, state="absent", recovery_window_days=0)
    assert r["changed"] is True and not exists(sm, name)

    run.assert_never_shown(password)


def test_retries_throttling(run, aws, localcloud):
    name = f"payment-db-credentials-th-{uuid.uuid4().hex[:8]}"
    rule = [
        {
            "service": "secretsmanager",
            "action": "DescribeSecret",
            "code": "ThrottlingException",
            "message": "Rate exceeded",
            "count": 2,
        }
    ]
    localcloud.faults(rule)
    try:
        r = run("create while throttled", name=name)
    finally:
        localcloud.faults([])
    assert r["changed"] is True and not r.get("failed"), r
    sm = aws("secretsmanager")
    value = secret_value(sm, name)
    assert "KmsKeyId" not in sm.describe_secret(SecretId=name)
    assert run("absent", name=name, state="absent", recovery_window_days=0)["changed"] is True
    run.assert_never_shown(value["password"])
