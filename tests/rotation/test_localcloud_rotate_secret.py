"""The local cloud's RotateSecret runs the deployed rotation function, so the password really changes.

A local cloud (`localcloud up`), the function deployed as a Lambda from the package the collection builds (with
the test CA as its bundle), a secret pointing at the test PostgreSQL (TLS required). RotateSecret returns at once,
the four steps run in the background, AWSCURRENT moves and the old password stops working.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from localcloud.testing import LocalCloud, new_password

REPO = Path(__file__).resolve().parents[2]

sys.path.insert(0, str(REPO / "collections"))
from ansible_collections.payments.auroradb.plugins.module_utils import rotation_package  # noqa: E402


@pytest.fixture(scope="module")
def cloud(tmp_path_factory):
    """A local cloud of its own, control plane only: the database is the test PostgreSQL (conftest.py)."""
    started = LocalCloud.up(tmp_path_factory.mktemp("lc"), env={"LOCALCLOUD_DATAPLANE": "0"})
    yield started
    started.down()


@pytest.fixture
def deployed(cloud, postgres, pki, rotation_module):
    """A secret for dbadmin on the test PostgreSQL, and the rotation function allowed to rotate it."""
    password = new_password()
    postgres.set_password("dbadmin", password)
    sm, lam, iam = cloud.client("secretsmanager"), cloud.client("lambda"), cloud.client("iam")
    name = f"lc-rotation-{uuid.uuid4().hex[:8]}"
    value = {
        "username": "dbadmin",
        "password": password,
        "host": postgres.host,
        "port": postgres.port,
        "engine": "postgres",
    }
    arn = sm.create_secret(Name=name, SecretString=json.dumps(value))["ARN"]
    role = iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ]
            }
        ),
    )["Role"]["Arn"]
    function = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler=rotation_package.HANDLER,
        Code={"ZipFile": rotation_package.build_package(Path(rotation_module.__file__), pki["ca"])},
        Timeout=30,
    )["FunctionArn"]
    return {
        "sm": sm,
        "lam": lam,
        "logs": cloud.client("logs"),
        "arn": arn,
        "name": name,
        "function": function,
        "password": password,
    }


def _allow(deployed, source_arn=None):
    deployed["lam"].add_permission(
        FunctionName=deployed["name"],
        StatementId="secretsmanager",
        Action="lambda:InvokeFunction",
        Principal="secretsmanager.amazonaws.com",
        SourceArn=source_arn or deployed["arn"],
    )


def _stages(deployed):
    return deployed["sm"].describe_secret(SecretId=deployed["arn"])["VersionIdsToStages"]


def _wait_rotated(deployed, token, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stages = _stages(deployed)
        if "AWSCURRENT" in stages.get(token, []) and not [v for v, s in stages.items() if "AWSPENDING" in s]:
            return
        time.sleep(0.5)
    raise AssertionError(f"AWSCURRENT did not move to {token}: {_stages(deployed)}\n{_logs(deployed)}")


def _logs(deployed):
    group = f"/aws/lambda/{deployed['name']}"
    try:
        events = deployed["logs"].filter_log_events(logGroupName=group)["events"]
    except ClientError:
        return ""
    return "\n".join(e["message"] for e in events)


def test_rotate_secret_runs_the_deployed_function(deployed, postgres):
    _allow(deployed)
    sm = deployed["sm"]
    answer = sm.rotate_secret(
        SecretId=deployed["arn"],
        RotationLambdaARN=deployed["function"],
        RotationRules={"ScheduleExpression": "rate(30 days)"},
        RotateImmediately=True,
    )
    token = answer["VersionId"]
    _wait_rotated(deployed, token)

    new = json.loads(sm.get_secret_value(SecretId=deployed["arn"])["SecretString"])["password"]
    assert new != deployed["password"] and len(new) == 32 and new.isalnum(), _logs(deployed)
    assert postgres.can_login("dbadmin", new)
    assert not postgres.can_login("dbadmin", deployed["password"])
    stages = _stages(deployed)
    assert stages[token] == ["AWSCURRENT"]
    assert [v for v, s in stages.items() if "AWSPREVIOUS" in s]
    assert not [v for v, s in stages.items() if "AWSPENDING" in s and "AWSCURRENT" not in s]

    described = sm.describe_secret(SecretId=deployed["arn"])
    assert described["RotationEnabled"] is True
    assert described["RotationRules"]["ScheduleExpression"] == "rate(30 days)"
    # The function's log: all four steps, and no password (old or new) anywhere in it.
    logs = _logs(deployed)
    for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
        assert f"END step {step}" in logs
    assert deployed["password"] not in logs and new not in logs


def test_rotation_rules_only_do_not_rotate(deployed, postgres):
    _allow(deployed)
    before = _stages(deployed)
    deployed["sm"].rotate_secret(
        SecretId=deployed["arn"],
        RotationLambdaARN=deployed["function"],
        RotationRules={"AutomaticallyAfterDays": 7, "Duration": "3h"},
        RotateImmediately=False,
    )
    time.sleep(1)
    assert _stages(deployed) == before
    rules = deployed["sm"].describe_secret(SecretId=deployed["arn"])["RotationRules"]
    assert rules == {"AutomaticallyAfterDays": 7, "Duration": "3h"}
    assert postgres.can_login("dbadmin", deployed["password"])


def test_without_invoke_permission_rotation_is_refused(deployed):
    _allow(deployed, source_arn=deployed["arn"] + "-someone-else")
    with pytest.raises(ClientError) as err:
        deployed["sm"].rotate_secret(SecretId=deployed["arn"], RotationLambdaARN=deployed["function"])
    assert err.value.response["Error"]["Code"] == "AccessDeniedException"


def test_failed_rotation_keeps_current_and_blocks_the_next_until_repaired(deployed, postgres):
    _allow(deployed)
    sm = deployed["sm"]
    postgres.stop()
    try:
        token = sm.rotate_secret(SecretId=deployed["arn"], RotationLambdaARN=deployed["function"])["VersionId"]
        deadline = time.monotonic() + 60
        while "FAILED step setSecret" not in _logs(deployed) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert "FAILED step setSecret" in _logs(deployed)
    finally:
        postgres.start()
    stages = _stages(deployed)
    assert stages[token] == ["AWSPENDING"]
    current = json.loads(sm.get_secret_value(SecretId=deployed["arn"])["SecretString"])["password"]
    assert current == deployed["password"] and postgres.can_login("dbadmin", current)
    # AWS: "A previous rotation isn't complete" until AWSPENDING is cleared.
    with pytest.raises(ClientError) as err:
        sm.rotate_secret(SecretId=deployed["arn"])
    assert err.value.response["Error"]["Code"] == "InvalidRequestException"
    sm.update_secret_version_stage(SecretId=deployed["arn"], VersionStage="AWSPENDING", RemoveFromVersionId=token)
    token = sm.rotate_secret(SecretId=deployed["arn"])["VersionId"]
    _wait_rotated(deployed, token)
    new = json.loads(sm.get_secret_value(SecretId=deployed["arn"])["SecretString"])["password"]
    assert postgres.can_login("dbadmin", new) and not postgres.can_login("dbadmin", deployed["password"])
