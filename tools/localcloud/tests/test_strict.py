"""Strict mode (``localcloud up --strict``, ``LOCALCLOUD_STRICT=1``): requests AWS refuses but moto accepts.

Every test runs three times (fixture ``target``): ``[plain-moto]`` and ``[localcloud]`` (strict off, the default)
accept the request, ``[strict]`` refuses it with AWS's error code and message.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from functools import partial
from pathlib import Path

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


# -- strict-7: instance classes the engine version offers (and gap 26b, DescribeOrderableDBInstanceOptions) --------
class _Clusters:
    """Aurora PostgreSQL clusters a test creates, deleted with their members afterwards (each runs PostgreSQL)."""

    def __init__(self, rds):
        self.rds, self.made = rds, []

    def create(self, version: str = "15.7", **extra):
        """A CreateDBCluster call, not yet sent (for ``_expect``); whatever it creates is deleted afterwards."""
        self.made.append(unique_name("cluster"))
        return partial(
            self.rds.create_db_cluster,
            DBClusterIdentifier=self.made[-1],
            Engine="aurora-postgresql",
            EngineVersion=version,
            MasterUsername="dbadmin",
            MasterUserPassword="p" * 32,
            **extra,
        )

    def new(self, version: str = "15.7", **extra) -> str:
        self.create(version, **extra)()
        return self.made[-1]

    def delete(self) -> None:
        for cluster in self.made:
            try:
                found = self.rds.describe_db_clusters(DBClusterIdentifier=cluster)["DBClusters"][0]
            except ClientError:  # never created (refused)
                continue
            for member in found.get("DBClusterMembers", []):
                self.rds.delete_db_instance(DBInstanceIdentifier=member["DBInstanceIdentifier"], SkipFinalSnapshot=True)
            self.rds.delete_db_cluster(DBClusterIdentifier=cluster, SkipFinalSnapshot=True)


@pytest.fixture
def clusters(target):
    made = _Clusters(target.client("rds"))
    yield made
    made.delete()


def _unsupported_class(instance_class: str, version: str) -> str:
    return (
        "RDS does not support creating a DB instance with the following combination:"
        f" DBInstanceClass={instance_class}, Engine=aurora-postgresql, EngineVersion={version},"
        " LicenseModel=postgresql-license. For supported combinations of instance class and database engine"
        " version, see the documentation."
    )


_OFFERED = [
    ("15.7", "db.t3.medium"),  # what the reference deploys
    ("15.7", "db.t4g.large"),
    ("14.7", "db.r7g.large"),
    ("16.4", "db.serverless"),
    ("15.4", "db.r6gd.xlarge"),
]
_NOT_OFFERED = [
    ("15.7", "db.t3.small"),
    ("15.7", "db.t3.micro"),
    ("14.6", "db.r4.large"),
    ("14.6", "db.r7g.large"),  # db.r7g from 14.7
    ("13.9", "db.r6gd.xlarge"),  # Optimized Reads not for 13
]


@pytest.mark.parametrize(
    ("version", "instance_class", "answer"),
    [
        *((v, c, True) for v, c in _OFFERED),
        *((v, c, False) for v, c in _NOT_OFFERED),
        ("15.7", "db.r8g.large", None),  # a family the table does not know
        ("12.9", "db.r6g.large", None),  # a version outside the catalogue
    ],
)
def test_offered_follows_the_table(version, instance_class, answer):
    """The table behind strict-7 (a version or family it does not know: None, never refused)."""
    from localcloud.hooks.orderable import offered

    assert offered("aurora-postgresql", version, instance_class) is answer


def test_instance_class_the_engine_version_does_not_offer(target, clusters):
    """Create and Modify (the class of a member comes from the cluster's version); each member runs PostgreSQL."""
    rds = target.client("rds")
    cluster, member = clusters.new("15.7"), unique_name("member")
    create = partial(_member(rds, cluster), DBInstanceClass="db.t3.small")
    _expect(target, create, "InvalidParameterCombination", _unsupported_class("db.t3.small", "15.7"))
    partial(_member(rds, cluster), DBInstanceIdentifier=member, DBInstanceClass="db.t3.medium")()
    modify = partial(rds.modify_db_instance, DBInstanceIdentifier=member, ApplyImmediately=True)
    assert _outcome(partial(modify, DBInstanceClass="db.r6g.large")) == (None, None, 200)
    _expect(
        target,
        partial(modify, DBInstanceClass="db.r4.large"),
        "InvalidParameterCombination",
        _unsupported_class("db.r4.large", "15.7"),
    )


def test_aurora_cluster_refuses_db_cluster_instance_class(target, clusters):
    _expect(
        target,
        clusters.create(DBClusterInstanceClass="db.r6g.large"),
        "InvalidParameterCombination",
        "DBClusterInstanceClass isn't supported for DB engine aurora-postgresql.",
    )


def _orderable(rds, **kwargs) -> list[dict]:
    pages = rds.get_paginator("describe_orderable_db_instance_options").paginate(Engine="aurora-postgresql", **kwargs)
    return pages.build_full_result()["OrderableDBInstanceOptions"]


def test_describe_orderable_options_for_current_versions(moto_or_cloud):
    """Gap 26b: moto's dump ends at 15.2 (nothing for 15.7) and ignores DBInstanceClass; the table answers."""
    rds = moto_or_cloud.client("rds")
    classes = {o["DBInstanceClass"] for o in _orderable(rds, EngineVersion="15.7")}
    one = _orderable(rds, EngineVersion="15.7", DBInstanceClass="db.t3.medium")
    if moto_or_cloud.plain:
        assert classes == set()
        assert one == []
        return
    assert {"db.t3.medium", "db.t3.large", "db.t4g.medium", "db.r6g.large", "db.r7g.large", "db.serverless"} <= classes
    assert not {"db.t3.small", "db.t3.micro", "db.r4.large"} & classes
    assert [(o["EngineVersion"], o["DBInstanceClass"], o["LicenseModel"]) for o in one] == [
        ("15.7", "db.t3.medium", "postgresql-license")
    ]
    assert one[0]["StorageType"] == "aurora" and one[0]["SupportsClusters"] is True
    assert one[0]["AvailabilityZones"][0] == {"Name": "us-east-1a"}
    assert "db.r7g.large" not in {o["DBInstanceClass"] for o in _orderable(rds, EngineVersion="14.6")}
    every = _orderable(rds)
    first = rds.describe_orderable_db_instance_options(Engine="aurora-postgresql", MaxRecords=20)
    assert len(first["OrderableDBInstanceOptions"]) == 20 and first["Marker"]
    assert len(every) == len({(o["EngineVersion"], o["DBInstanceClass"]) for o in every}) > 20 * 27
    with pytest.raises(ClientError) as caught:
        rds.describe_orderable_db_instance_options(Engine="aurora-postgresql", MaxRecords=10)
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValue"


# -- strict-8: a parameter group of another family than the engine version's ------------------------------------
def _family_mismatch(name: str, have: str, wanted: str) -> str:
    return (
        f"The parameter group {name} with DBParameterGroupFamily {have} can't be used for this instance."
        f" Use a parameter group with DBParameterGroupFamily {wanted}."
    )


def _groups(create, name_field: str) -> tuple[str, ...]:
    """The names of two new parameter groups, of family aurora-postgresql14 and aurora-postgresql15."""
    names = []
    for family in ("aurora-postgresql14", "aurora-postgresql15"):
        names.append(unique_name("pg"))
        create(**{name_field: names[-1]}, DBParameterGroupFamily=family, Description="test")
    return tuple(names)


def test_parameter_group_of_another_family(target, clusters):
    """Cluster parameter groups (Create/ModifyDBCluster) and DB parameter groups (Create/ModifyDBInstance)."""
    rds = target.client("rds")
    old, new = _groups(rds.create_db_cluster_parameter_group, "DBClusterParameterGroupName")
    message = _family_mismatch(old, "aurora-postgresql14", "aurora-postgresql15")
    cluster = clusters.new(DBClusterParameterGroupName=new)
    _expect(target, clusters.create(DBClusterParameterGroupName=old), "InvalidParameterCombination", message)
    modify = partial(rds.modify_db_cluster, DBClusterIdentifier=cluster, ApplyImmediately=True)
    assert _outcome(partial(modify, DBClusterParameterGroupName=new)) == (None, None, 200)
    _expect(target, partial(modify, DBClusterParameterGroupName=old), "InvalidParameterCombination", message)

    old, new = _groups(rds.create_db_parameter_group, "DBParameterGroupName")
    message = _family_mismatch(old, "aurora-postgresql14", "aurora-postgresql15")
    member = unique_name("member")
    partial(_member(rds, cluster), DBInstanceIdentifier=member, DBParameterGroupName=new)()
    modify = partial(rds.modify_db_instance, DBInstanceIdentifier=member, ApplyImmediately=True)
    _expect(target, partial(modify, DBParameterGroupName=old), "InvalidParameterCombination", message)
    _expect(target, _member(rds, cluster, DBParameterGroupName=old), "InvalidParameterCombination", message)


# -- strict-9: IAM policy documents naming actions that do not exist ---------------------------------------------
def _policy(*actions: str, key: str = "Action", **extra) -> str:
    statement = {"Effect": "Allow", key: list(actions), "Resource": "*", **extra}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _trust(action: str) -> str:
    principal = {"Service": "lambda.amazonaws.com"}
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": action}]}
    )


def _invalid_action(action: str, why: str) -> str:
    return (
        f"Policy document contains an invalid action {action} ({why}). AWS IAM would accept the document, but IAM"
        ' Access Analyzer (ValidatePolicy) reports it as an ERROR finding "Invalid action"; the strict local cloud'
        " refuses it."
    )


_KNOWN = ("secretsmanager:GetSecretValue", "kms:Decrypt", "ec2:Describe*", "logs:PutLogEvents", "iam:PassRole")
_UNKNOWN = [
    ("secretsmanager:GetSecretValu", "secretsmanager has no action GetSecretValu"),
    ("secretmanager:GetSecretValue", "the service prefix secretmanager does not exist"),
    ("ec2:Descrbe*", "no ec2 action matches Descrbe*"),
]


@pytest.mark.parametrize(("action", "why"), _UNKNOWN, ids=[a for a, _ in _UNKNOWN])
def test_iam_policies_with_unknown_actions(target, action, why):
    iam = target.client("iam")
    role = iam.create_role(RoleName=unique_name("role"), AssumeRolePolicyDocument=_trust("sts:AssumeRole"))["Role"]
    put = partial(iam.put_role_policy, RoleName=role["RoleName"], PolicyName="p")
    assert _outcome(partial(put, PolicyDocument=_policy(*_KNOWN))) == (None, None, 200)
    message = _invalid_action(action, why)
    _expect(target, partial(put, PolicyDocument=_policy(*_KNOWN, action)), "MalformedPolicyDocument", message)
    notaction = _policy("kms:*", action, key="NotAction")
    _expect(target, partial(put, PolicyDocument=notaction), "MalformedPolicyDocument", message)
    create = partial(iam.create_policy, PolicyName=unique_name("policy"))
    _expect(target, partial(create, PolicyDocument=_policy(action)), "MalformedPolicyDocument", message)
    arn = iam.create_policy(PolicyName=unique_name("policy"), PolicyDocument=_policy(*_KNOWN))["Policy"]["Arn"]
    version = partial(iam.create_policy_version, PolicyArn=arn, PolicyDocument=_policy(action))
    _expect(target, version, "MalformedPolicyDocument", message)


def test_iam_trust_policy_with_an_unknown_action(target):
    iam = target.client("iam")
    create = partial(iam.create_role, RoleName=unique_name("role"), AssumeRolePolicyDocument=_trust("sts:AssumeRol"))
    _expect(target, create, "MalformedPolicyDocument", _invalid_action("sts:AssumeRol", "sts has no action AssumeRol"))


def test_iam_malformed_action_is_refused_strict_or_not(target):
    """A malformed action (no vendor prefix) is IAM's own refusal: plain moto, the local cloud and strict agree."""
    iam = target.client("iam")
    role = iam.create_role(RoleName=unique_name("role"), AssumeRolePolicyDocument=_trust("sts:AssumeRole"))["Role"]
    put = partial(iam.put_role_policy, RoleName=role["RoleName"], PolicyName="p", PolicyDocument=_policy("GetObject"))
    assert _outcome(put) == (
        "MalformedPolicyDocument",
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        400,
    )


def test_kms_key_policy_with_an_unknown_action(target):
    kms = target.client("kms")
    principal = {"AWS": "arn:aws:iam::123456789012:root"}
    policy = json.loads(_policy("kms:*", Principal=principal))
    assert _outcome(partial(kms.create_key, Policy=json.dumps(policy))) == (None, None, 200)
    policy["Statement"][0]["Action"] = ["kms:Decrypt", "kms:Decrpt"]
    _expect(
        target,
        partial(kms.create_key, Policy=json.dumps(policy)),
        "MalformedPolicyDocumentException",
        _invalid_action("kms:Decrpt", "kms has no action Decrpt"),
    )


def test_the_roles_policy_actions_are_known():
    """Every action the collection's policy documents and tasks name is known (strict-9 must not refuse them)."""
    from localcloud.hooks.iam_actions import problem

    root = Path(__file__).resolve().parents[3] / "collections/ansible_collections/payments/auroradb"
    services = "secretsmanager|kms|ec2|logs|sts|lambda|iam|rds|rds-db|cloudwatch|sns"
    # not a condition key: a JSON key ("aws:SourceAccount":) or one with a sub-key (kms:EncryptionContext:aws:logs:arn)
    pattern = re.compile(rf"[\"' ]((?:{services}):[A-Za-z*]+)(?![A-Za-z*:]|\"\s*:)")
    found = set()
    for path in [*root.glob("roles/*/templates/*.j2"), *root.glob("roles/*/tasks/*.yml")]:
        found.update(pattern.findall(path.read_text(encoding="utf-8")))
    assert {"secretsmanager:GetSecretValue", "kms:GenerateDataKey", "sts:AssumeRole", "lambda:InvokeFunction"} <= found
    assert {action: problem(action) for action in found if problem(action)} == {}
