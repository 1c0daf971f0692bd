"""Strict mode (``localcloud up --strict``, ``LOCALCLOUD_STRICT=1``): requests AWS refuses but moto accepts.

Every test runs three times (fixture ``target``): ``[plain-moto]`` and ``[localcloud]`` (strict off, the default)
accept the request, ``[strict]`` refuses it with AWS's error code and message.
"""

from __future__ import annotations

import io
import json
import zipfile
from functools import partial

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud.hooks.strict import ENV_VAR, enabled, windows_overlap
from localcloud.testing import LocalCloud, create_cluster, create_network, free_port, run_cli, unique_name


@pytest.fixture(scope="module")
def strict_cloud(tmp_path_factory, localcloud_repo):
    """``localcloud up --strict`` (the flag sets LOCALCLOUD_STRICT=1 for the cloud process)."""
    port, state_dir = free_port(), tmp_path_factory.mktemp("strict")
    run_cli("up", "--strict", "--port", str(port), "--state-dir", str(state_dir), env={"LOCALCLOUD_STRICT": ""})
    started = LocalCloud(port, state_dir, localcloud_repo)
    yield started
    started.down()


@pytest.mark.parametrize(("value", "on"), [("1", True), ("true", True), ("", False), ("0", False), (None, False)])
def test_strict_mode_is_read_from_the_environment(monkeypatch, value, on):
    if value is None:
        monkeypatch.delenv(ENV_VAR, raising=False)
    else:
        monkeypatch.setenv(ENV_VAR, value)
    assert enabled() is on


@pytest.fixture(params=["plain-moto", "localcloud", "strict"])
def target(request):
    """Plain moto, the default local cloud (both accept) and the strict local cloud (refuses)."""
    name = {"plain-moto": "plain_moto", "localcloud": "cloud", "strict": "strict_cloud"}[request.param]
    server = request.getfixturevalue(name)
    server.strict = request.param == "strict"
    return server


def _outcome(call) -> tuple[str | None, str | None, int]:
    """``(code, message, status)`` of a refused call, ``(None, None, 200)`` when it was accepted."""
    try:
        call()
    except ClientError as err:
        error = err.response["Error"]
        return error.get("Code"), error.get("Message"), err.response["ResponseMetadata"]["HTTPStatusCode"]
    return None, None, 200


def _expect(target, call, code: str, message: str, status: int = 400) -> None:
    if target.strict:
        assert _outcome(call) == (code, message, status)
    else:
        assert _outcome(call) == (None, None, 200)


_MEMBER = "The requested DB Instance will be a member of a DB Cluster. "
_MEMBER_SETTINGS = (
    ("MasterUsername", "dbadmin", "Set master user name for the DB Cluster."),
    ("MasterUserPassword", "p" * 32, "Set master user password for the DB Cluster."),
    ("AllocatedStorage", 20, "Set storage for the DB Cluster."),
    ("StorageType", "gp3", "Set storage type for the DB Cluster."),
    ("BackupRetentionPeriod", 7, "Set backup retention period for the DB Cluster."),
    ("PreferredBackupWindow", "03:00-04:00", "Set preferred backup window for the DB Cluster."),
    ("StorageEncrypted", True, "Set storage encryption for the DB Cluster."),
)


def _member(rds, cluster: str, **extra):
    return partial(
        rds.create_db_instance,
        DBInstanceIdentifier=unique_name("member"),
        DBClusterIdentifier=cluster,
        Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large",
        **extra,
    )


@pytest.mark.parametrize(("name", "value", "fix"), _MEMBER_SETTINGS, ids=[s[0] for s in _MEMBER_SETTINGS])
def test_cluster_member_refuses_cluster_level_settings(target, name, value, fix):
    rds = target.client("rds")
    cluster = create_cluster(rds)
    _expect(target, _member(rds, cluster, **{name: value}), "InvalidParameterCombination", _MEMBER + fix)


def test_cluster_member_refuses_another_subnet_group(target):
    rds = target.client("rds")
    ours, other = create_network(target, "10.31")["subnet_group"], create_network(target, "10.32")["subnet_group"]
    cluster = create_cluster(rds, ours)
    assert _outcome(_member(rds, cluster, DBSubnetGroupName=ours)) == (None, None, 200)
    _expect(
        target,
        _member(rds, cluster, DBSubnetGroupName=other),
        "InvalidParameterCombination",
        f"{_MEMBER}The DB Subnet Group of the DB Instance ({other}) must match the DB Subnet Group of the"
        f" DB Cluster ({ours}).",
    )


def test_cluster_member_refuses_another_engine_version(target):
    rds = target.client("rds")
    cluster = create_cluster(rds)
    assert _outcome(_member(rds, cluster, EngineVersion="15.7")) == (None, None, 200)
    _expect(
        target,
        _member(rds, cluster, EngineVersion="15.6"),
        "InvalidParameterCombination",
        "The engine version you requested for your DB instance (15.6) does not match the engine version"
        " of your DB cluster (15.7).",
    )


_OVERLAP = "The backup window and maintenance window must not overlap."


def test_backup_window_must_not_overlap_maintenance_window(target):
    rds = target.client("rds")

    def create(backup, maintenance):
        return partial(create_cluster, rds, PreferredBackupWindow=backup, PreferredMaintenanceWindow=maintenance)

    assert _outcome(create("03:00-04:00", "sun:05:00-sun:06:00")) == (None, None, 200)
    _expect(target, create("03:00-04:00", "sun:03:30-sun:04:30"), "InvalidParameterValue", _OVERLAP)
    cluster = create_cluster(rds, PreferredBackupWindow="03:00-04:00", PreferredMaintenanceWindow="mon:05:00-mon:06:00")
    modify = partial(rds.modify_db_cluster, DBClusterIdentifier=cluster, ApplyImmediately=True)
    assert _outcome(partial(modify, PreferredBackupWindow="04:00-04:30")) == (None, None, 200)
    _expect(
        target, partial(modify, PreferredMaintenanceWindow="tue:04:15-tue:05:00"), "InvalidParameterValue", _OVERLAP
    )


@pytest.mark.parametrize(
    ("backup", "maintenance", "overlap"),
    [
        ("03:00-04:00", "sun:05:00-sun:06:00", False),
        ("03:00-04:00", "sun:04:00-sun:05:00", False),  # touching ends do not overlap
        ("03:00-04:00", "wed:03:59-wed:04:30", True),
        ("23:30-00:30", "mon:00:00-mon:00:45", True),  # a backup window over midnight
        ("23:30-00:15", "sun:23:50-mon:00:10", True),  # a maintenance window over the week's end
        ("01:00-01:30", "sun:23:50-mon:00:10", False),
    ],
)
def test_windows_overlap(backup, maintenance, overlap):
    assert windows_overlap(backup, maintenance) is overlap


def test_performance_insights_retention_period_is_7_months_or_731(target):
    rds = target.client("rds")
    cluster = create_cluster(rds)

    def member(period):
        return _member(rds, cluster, EnablePerformanceInsights=True, PerformanceInsightsRetentionPeriod=period)

    for valid in (7, 31, 713, 731):
        assert _outcome(member(valid)) == (None, None, 200), valid
    for invalid in (8, 30, 744):
        _expect(
            target,
            member(invalid),
            "InvalidParameterValue",
            f"Invalid Performance Insights retention period: {invalid}. Valid values are: 7, month * 31, where"
            " month is a number of months from 1-23, and 731.",
        )


def _unvalidated(target, service: str):
    """A client without botocore's own parameter checks, to send what only the server refuses."""
    client = target.client(service)
    return boto3.client(
        service,
        endpoint_url=client.meta.endpoint_url,
        region_name=client.meta.region_name,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - the local cloud's dummy credentials
        config=Config(parameter_validation=False),
    )


@pytest.mark.parametrize(
    ("period", "evaluations", "message"),
    [
        (45, 1, "Period must be 10, 20, 30 or a multiple of 60"),
        (90, 2, "Period must be 10, 20, 30 or a multiple of 60"),
        (
            3600,
            169,
            "Metrics cannot be checked across more than 7 days (EvaluationPeriods * Period must be <= 604800)",
        ),
        (
            60,
            0,
            "1 validation error detected: Value '0' at 'evaluationPeriods' failed to satisfy constraint: Member must"
            " have value greater than or equal to 1",
        ),
    ],
)
def test_alarm_period_and_evaluation_periods(target, period, evaluations, message):
    cw = _unvalidated(target, "cloudwatch")

    def alarm(period, evaluations):
        return partial(
            cw.put_metric_alarm,
            AlarmName=unique_name("alarm"),
            Namespace="AWS/RDS",
            MetricName="CPUUtilization",
            Statistic="Average",
            Period=period,
            EvaluationPeriods=evaluations,
            Threshold=80.0,
            ComparisonOperator="GreaterThanThreshold",
        )

    for valid in ((10, 1), (20, 3), (30, 5), (300, 3), (3600, 168)):
        assert _outcome(alarm(*valid)) == (None, None, 200), valid
    _expect(target, alarm(period, evaluations), "ValidationError", message)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return {}\n")
    return buffer.getvalue()


@pytest.mark.parametrize("runtime", ["python3.8", "nodejs14.x"])
def test_lambda_refuses_deprecated_runtimes(target, runtime):
    iam, lam = target.client("iam"), target.client("lambda")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName=unique_name("role"), AssumeRolePolicyDocument=json.dumps(policy))["Role"]["Arn"]

    def create(runtime):
        return partial(
            lam.create_function,
            FunctionName=unique_name("fn"),
            Runtime=runtime,
            Role=role,
            Handler="index.handler",
            Code={"ZipFile": _zip()},
        )

    assert _outcome(create("python3.12")) == (None, None, 200)
    new = "python3.13" if runtime.startswith("python") else "nodejs22.x"
    _expect(
        target,
        create(runtime),
        "InvalidParameterValueException",
        f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda functions."
        f" We recommend you use the new runtime ({new}) while creating or updating functions.",
    )
