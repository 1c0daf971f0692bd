"""payments.auroradb.secret_rotation against a local cloud, through ansible-playbook.

Lifecycle: check-mode enable -> enable (30 days) -> check-mode re-run -> re-run (no RotateSecret sent) ->
rate(30 days) with the qualified ARN (no change) -> 7 days -> check-mode change (nothing sent) -> absent ->
absent again. Then a stuck AWSPENDING left by a "failed rotation" is reported and cleared by repair_pending.

The rotation is configured with rotate_immediately=false throughout, so the dummy function never has to
rotate anything; rotate_now end to end belongs with the rotation function's tests.

    .venv/bin/python -m pytest -q tests/integration/test_secret_rotation_module.py
"""

from __future__ import annotations

import json

import pytest

from localcloud.testing import create_rotation_stub

SECRET_VALUE = "NotShownAnywhere-" + "x" * 16


def run(localcloud, tmp_path, args: dict, *flags: str) -> dict:
    """Run the module once (ignore_errors, -vvv) and return its registered result."""
    result, output = localcloud.run_module(tmp_path, "payments.auroradb.secret_rotation", args, "-vvv", *flags)
    assert SECRET_VALUE not in output, "the secret value must never appear in the output"
    return result


def writes(localcloud, since: int) -> list[str]:
    """Secrets Manager write actions recorded by the local cloud after request number ``since``."""
    return [
        r["action"]
        for r in localcloud.requests()[since:]
        if r.get("service") == "secretsmanager"
        and r.get("action") in ("RotateSecret", "CancelRotateSecret", "UpdateSecretVersionStage", "PutSecretValue")
    ]


def stages(sm, name: str) -> dict[str, list[str]]:
    return sm.describe_secret(SecretId=name)["VersionIdsToStages"]


@pytest.fixture
def function_arn(localcloud, suffix) -> str:
    """A dummy rotation function that Secrets Manager may invoke (its code never matters here)."""
    return create_rotation_stub(localcloud, f"rotation-{suffix}")


@pytest.fixture
def secret_name(localcloud, suffix) -> str:
    name = f"payment-db-credentials-{suffix}"
    localcloud.client("secretsmanager").create_secret(
        Name=name, SecretString=json.dumps({"username": "dbadmin", "password": SECRET_VALUE})
    )
    return name


def test_lifecycle(localcloud, tmp_path, function_arn, secret_name):
    sm = localcloud.client("secretsmanager")
    base = {"name": secret_name, "rotation_lambda": function_arn, "automatically_after_days": 30}

    # check-mode enable: changed, nothing sent
    seen = len(localcloud.requests())
    result = run(localcloud, tmp_path, base, "--check", "--diff")
    assert result["changed"] and not result.get("failed"), result
    assert result["diff"]["before"]["enabled"] is False and result["diff"]["after"]["enabled"] is True
    assert writes(localcloud, seen) == []
    assert not sm.describe_secret(SecretId=secret_name).get("RotationEnabled")

    # enable: one RotateSecret, DescribeSecret shows the configuration
    seen = len(localcloud.requests())
    result = run(localcloud, tmp_path, base, "--diff")
    assert result["changed"] and not result.get("failed"), result
    assert writes(localcloud, seen) == ["RotateSecret"]
    described = sm.describe_secret(SecretId=secret_name)
    assert described["RotationEnabled"] is True
    assert described["RotationLambdaARN"] == function_arn
    assert described["RotationRules"]["AutomaticallyAfterDays"] == 30
    assert result["rotation"] == {
        "enabled": True,
        "lambda_arn": function_arn,
        "schedule_expression": "rate(30 days)",
        "automatically_after_days": 30,
        "duration": None,
    }
    assert result["rotated"] is False and result["version_id"] == result["previous_version_id"]

    # check-mode re-run and re-run: no change, no RotateSecret
    seen = len(localcloud.requests())
    for flags in (("--check",), ()):
        result = run(localcloud, tmp_path, base, *flags)
        assert not result["changed"] and not result.get("failed"), result
    assert writes(localcloud, seen) == []

    # the same schedule as an expression, the version-qualified ARN: no change
    seen = len(localcloud.requests())
    for qualifier in (":$LATEST", ":1"):
        same = {
            "name": secret_name,
            "rotation_lambda": function_arn + qualifier,
            "schedule_expression": "rate(30 days)",
        }
        result = run(localcloud, tmp_path, same)
        assert not result["changed"] and not result.get("failed"), result
    assert writes(localcloud, seen) == []

    # 7 days: changed, sent
    seen = len(localcloud.requests())
    week = {**base, "automatically_after_days": 7}
    result = run(localcloud, tmp_path, week, "--diff")
    assert result["changed"] and not result.get("failed"), result
    assert result["diff"]["before"]["automatically_after_days"] == 30
    assert result["diff"]["after"]["automatically_after_days"] == 7
    assert writes(localcloud, seen) == ["RotateSecret"]
    assert sm.describe_secret(SecretId=secret_name)["RotationRules"]["AutomaticallyAfterDays"] == 7
    assert not run(localcloud, tmp_path, week)["changed"]

    # check-mode change: changed, nothing sent
    seen = len(localcloud.requests())
    result = run(localcloud, tmp_path, {**base, "automatically_after_days": 14}, "--check")
    assert result["changed"] and result["rotation"]["automatically_after_days"] == 14, result
    assert writes(localcloud, seen) == []
    assert sm.describe_secret(SecretId=secret_name)["RotationRules"]["AutomaticallyAfterDays"] == 7

    # absent: check mode sends nothing, then rotation disabled, then no change
    absent = {"name": secret_name, "state": "absent"}
    seen = len(localcloud.requests())
    assert run(localcloud, tmp_path, absent, "--check")["changed"]
    assert writes(localcloud, seen) == []
    result = run(localcloud, tmp_path, absent, "--diff")
    assert result["changed"] and not result.get("failed"), result
    assert result["diff"]["after"]["enabled"] is False
    assert writes(localcloud, seen) == ["CancelRotateSecret"]
    assert sm.describe_secret(SecretId=secret_name)["RotationEnabled"] is False
    seen = len(localcloud.requests())
    for flags in (("--check",), ()):
        assert not run(localcloud, tmp_path, absent, *flags)["changed"]
    assert writes(localcloud, seen) == []


def test_repair_stuck_pending(localcloud, tmp_path, function_arn, secret_name):
    sm = localcloud.client("secretsmanager")
    assert run(
        localcloud, tmp_path, {"name": secret_name, "rotation_lambda": function_arn, "automatically_after_days": 30}
    )["changed"]
    current = next(v for v, s in stages(sm, secret_name).items() if "AWSCURRENT" in s)

    # what a failed rotation leaves: a version with AWSPENDING only
    pending = sm.put_secret_value(
        SecretId=secret_name,
        SecretString=json.dumps({"username": "dbadmin", "password": SECRET_VALUE + "-pending"}),
        VersionStages=["AWSPENDING"],
    )["VersionId"]

    # reported, not touched without repair_pending
    seen = len(localcloud.requests())
    result = run(localcloud, tmp_path, {"name": secret_name})
    assert not result["changed"] and result["pending_version"] == pending, result
    assert writes(localcloud, seen) == []

    # rotate_now refuses, naming the version and the way out; nothing sent
    result = run(localcloud, tmp_path, {"name": secret_name, "rotate_now": True})
    assert result.get("failed") and pending in result["msg"] and "repair_pending" in result["msg"], result
    assert writes(localcloud, seen) == []

    # check-mode repair: changed, nothing sent
    result = run(localcloud, tmp_path, {"name": secret_name, "repair_pending": True}, "--check")
    assert result["changed"] and result["pending_cleared"], result
    assert writes(localcloud, seen) == []
    assert "AWSPENDING" in stages(sm, secret_name)[pending]

    # repair: the label is gone, AWSCURRENT untouched
    result = run(localcloud, tmp_path, {"name": secret_name, "repair_pending": True})
    assert result["changed"] and result["pending_cleared"] and result["pending_version"] == pending, result
    assert writes(localcloud, seen) == ["UpdateSecretVersionStage"]
    after = stages(sm, secret_name)
    assert "AWSPENDING" not in after.get(pending, [])
    assert "AWSCURRENT" in after[current]

    # repair again: nothing to do
    result = run(localcloud, tmp_path, {"name": secret_name, "repair_pending": True})
    assert not result["changed"] and result["pending_version"] is None, result
