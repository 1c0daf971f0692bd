"""Fidelity: the real amazon.aws / community.aws modules the roles use, run against the local cloud.

Each test follows amazon.aws's integration-test pattern for one module, through ``LocalCloud.run_module``:
check-mode create (changed, nothing created), create (changed, boto3 shows it), idempotent re-run (not
changed), modify one property (changed, boto3 shows it), check-mode re-run (not changed), delete (changed,
boto3: gone), delete again (not changed). boto3 is the independent witness of every step.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable

import pytest

from localcloud import DEFAULT_REGION
from localcloud.testing import unique_name

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


class Runner:
    """One module run after another, each in its own folder; every result must not have failed."""

    def __init__(self, cloud, tmp_path, module: str):
        self.cloud, self.tmp_path, self.module, self.count = cloud, tmp_path, module, 0

    def __call__(self, args: dict, *flags: str, module: str | None = None) -> dict:
        self.count += 1
        workdir = self.tmp_path / f"run{self.count}"
        workdir.mkdir()
        result, _ = self.cloud.run_module(workdir, module or self.module, args, *flags)
        assert not result.get("failed"), result
        return result


def lifecycle(
    run: Runner,
    present: dict,
    modified: dict,
    absent: dict,
    describe: Callable[[], dict | None],
    created: Callable[[dict], None],
    changed: Callable[[dict], None],
    between: Callable[[], None] | None = None,
) -> None:
    """The seven steps; ``describe()`` is boto3's view of the resource (None: it does not exist)."""
    assert run(present, "--check")["changed"], "check-mode create must report a change"
    assert describe() is None, "check mode created the resource"
    assert run(present)["changed"], "create must report a change"
    found = describe()
    assert found is not None, "create did not create the resource"
    created(found)
    assert not run(present)["changed"], "idempotent re-run reported a change"
    assert run(modified)["changed"], "modify must report a change"
    changed(describe())
    assert not run(modified, "--check")["changed"], "check-mode re-run of the modified state reported a change"
    changed(describe())
    if between:
        between()
    assert run(absent)["changed"], "delete must report a change"
    assert describe() is None, "delete left the resource"
    assert not run(absent)["changed"], "second delete reported a change"


def _network(cloud, cidr: str) -> tuple[str, list[str]]:
    ec2 = cloud.client("ec2")
    vpc = ec2.create_vpc(CidrBlock=f"{cidr}.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"{cidr}.{i}.0/24", AvailabilityZone=f"{DEFAULT_REGION}{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate("abc")
    ]
    return vpc, subnets


def _tags(items: list[dict]) -> dict:
    return {t["Key"]: t["Value"] for t in items}


# --------------------------------------------------------------------------------------------- the modules
def test_kms_key(cloud, tmp_path):
    kms, alias = cloud.client("kms"), f"alias/{unique_name('fidelity')}"

    def describe():
        target = next((a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"] if a["AliasName"] == alias), None)
        if target is None:
            return None
        meta = kms.describe_key(KeyId=target)["KeyMetadata"]
        if meta["KeyState"] == "PendingDeletion":
            return None
        meta["Rotation"] = kms.get_key_rotation_status(KeyId=target)["KeyRotationEnabled"]
        return meta

    def created(key):
        assert key["Description"] == "fidelity key"
        assert key["Enabled"] and key["Rotation"]

    present = {"alias": alias, "description": "fidelity key", "enable_key_rotation": True, "state": "present"}
    lifecycle(
        Runner(cloud, tmp_path, "amazon.aws.kms_key"),
        present,
        {**present, "description": "fidelity key, changed"},
        {"alias": alias, "state": "absent", "pending_window": 7},
        describe,
        created,
        lambda key: key["Description"] == "fidelity key, changed" or pytest.fail(f"not modified: {key}"),
    )


def test_rds_subnet_group(cloud, tmp_path):
    rds, name = cloud.client("rds"), unique_name("fidelity")
    _, subnets = _network(cloud, "10.61")

    def describe():
        groups = rds.describe_db_subnet_groups()["DBSubnetGroups"]
        return next((g for g in groups if g["DBSubnetGroupName"] == name), None)

    def created(group):
        assert group["DBSubnetGroupDescription"] == "fidelity"
        assert sorted(s["SubnetIdentifier"] for s in group["Subnets"]) == sorted(subnets[:2])

    def changed(group):
        assert sorted(s["SubnetIdentifier"] for s in group["Subnets"]) == sorted(subnets)

    present = {"name": name, "description": "fidelity", "subnets": subnets[:2], "state": "present"}
    lifecycle(
        Runner(cloud, tmp_path, "amazon.aws.rds_subnet_group"),
        present,
        {**present, "subnets": subnets},
        {"name": name, "state": "absent"},
        describe,
        created,
        changed,
    )


def test_cloudwatch_metric_alarm(cloud, tmp_path):
    cw, name = cloud.client("cloudwatch"), unique_name("fidelity")

    def describe():
        alarms = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
        return alarms[0] if alarms else None

    def created(alarm):
        assert (alarm["MetricName"], alarm["Namespace"], alarm["Statistic"]) == ("CPUUtilization", "AWS/RDS", "Average")
        assert alarm["Threshold"] == 80.0 and alarm["Period"] == 300 and alarm["EvaluationPeriods"] == 3
        assert alarm["Dimensions"] == [{"Name": "DBClusterIdentifier", "Value": "fidelity"}]

    present = {
        "name": name,
        "state": "present",
        "metric_name": "CPUUtilization",
        "namespace": "AWS/RDS",
        "statistic": "Average",
        "comparison": "GreaterThanOrEqualToThreshold",
        "threshold": 80.0,
        "period": 300,
        "evaluation_periods": 3,
        "description": "fidelity",
        "dimensions": {"DBClusterIdentifier": "fidelity"},
    }
    lifecycle(
        Runner(cloud, tmp_path, "amazon.aws.cloudwatch_metric_alarm"),
        present,
        {**present, "threshold": 90.0},
        {"name": name, "state": "absent"},
        describe,
        created,
        lambda alarm: alarm["Threshold"] == 90.0 or pytest.fail(f"not modified: {alarm}"),
    )


def test_iam_role(cloud, tmp_path):
    iam, name = cloud.client("iam"), unique_name("fidelity")

    def describe():
        try:
            return iam.get_role(RoleName=name)["Role"]
        except iam.exceptions.NoSuchEntityException:
            return None

    def created(role):
        assert role.get("Description") == "fidelity"
        assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}

    present = {
        "name": name,
        "assume_role_policy_document": json.dumps(TRUST),
        "description": "fidelity",
        "create_instance_profile": False,
        "state": "present",
    }
    lifecycle(
        Runner(cloud, tmp_path, "amazon.aws.iam_role"),
        present,
        {**present, "description": "fidelity, changed"},
        {"name": name, "state": "absent"},
        describe,
        created,
        lambda role: role.get("Description") == "fidelity, changed" or pytest.fail(f"not modified: {role}"),
    )


def test_ec2_vpc_net(cloud, tmp_path):
    ec2, name = cloud.client("ec2"), unique_name("fidelity")

    def describe():
        vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"]
        return vpcs[0] if vpcs else None

    def created(vpc):
        assert vpc["CidrBlock"] == "10.62.0.0/16"
        assert _tags(vpc["Tags"]) == {"Name": name, "team": "payments"}

    present = {"name": name, "cidr_block": "10.62.0.0/16", "tags": {"team": "payments"}, "state": "present"}
    lifecycle(
        Runner(cloud, tmp_path, "amazon.aws.ec2_vpc_net"),
        present,
        {**present, "tags": {"team": "payments", "tier": "db"}},
        {"name": name, "cidr_block": "10.62.0.0/16", "state": "absent"},
        describe,
        created,
        lambda vpc: _tags(vpc["Tags"]).get("tier") == "db" or pytest.fail(f"not modified: {vpc}"),
    )


def test_ec2_security_group(cloud, tmp_path):
    ec2, name = cloud.client("ec2"), unique_name("fidelity")
    vpc, _ = _network(cloud, "10.63")

    def describe():
        filters = [{"Name": "group-name", "Values": [name]}, {"Name": "vpc-id", "Values": [vpc]}]
        groups = ec2.describe_security_groups(Filters=filters)["SecurityGroups"]
        return groups[0] if groups else None

    def ingress(group) -> set[tuple]:
        return {
            (p["IpProtocol"], p.get("FromPort"), p.get("ToPort"), r["CidrIp"])
            for p in group["IpPermissions"]
            for r in p.get("IpRanges", [])
        }

    def created(group):
        assert group["Description"] == "fidelity"
        assert ingress(group) == {("tcp", 5432, 5432, "10.63.0.0/16")}

    def changed(group):
        assert ingress(group) == {("tcp", 5432, 5432, "10.63.0.0/16"), ("tcp", 5432, 5432, "10.64.0.0/16")}

    rule = {"proto": "tcp", "ports": [5432], "cidr_ip": "10.63.0.0/16"}
    present = {"name": name, "description": "fidelity", "vpc_id": vpc, "rules": [rule], "state": "present"}
    lifecycle(
        Runner(cloud, tmp_path, "amazon.aws.ec2_security_group"),
        present,
        {**present, "rules": [rule, {**rule, "cidr_ip": "10.64.0.0/16"}]},
        {"name": name, "vpc_id": vpc, "state": "absent"},
        describe,
        created,
        changed,
    )


def test_rds_cluster_and_member(cloud, tmp_path):
    rds, cluster_id, instance_id = cloud.client("rds"), unique_name("fidelity"), unique_name("fidelity-1")
    _, subnets = _network(cloud, "10.65")
    group = unique_name("fidelity")
    rds.create_db_subnet_group(DBSubnetGroupName=group, DBSubnetGroupDescription="fidelity", SubnetIds=subnets)
    run = Runner(cloud, tmp_path, "amazon.aws.rds_cluster")

    def describe():
        try:
            return rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]
        except rds.exceptions.DBClusterNotFoundFault:
            return None

    def describe_member():
        try:
            return rds.describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"][0]
        except rds.exceptions.DBInstanceNotFoundFault:
            return None

    def created(cluster):
        assert (cluster["Engine"], cluster["EngineVersion"]) == ("aurora-postgresql", "15.7")
        assert cluster["DBSubnetGroup"] == group and cluster["BackupRetentionPeriod"] == 7
        assert cluster["StorageEncrypted"]

    def member_created(instance):
        assert instance["DBClusterIdentifier"] == cluster_id and instance["DBInstanceClass"] == "db.r6g.large"
        assert not instance["PubliclyAccessible"]
        assert _tags(instance["TagList"]) == {"team": "payments"}

    def member():
        """The member's own seven steps, while the cluster exists."""
        present = {
            "db_instance_identifier": instance_id,
            "db_cluster_identifier": cluster_id,
            "engine": "aurora-postgresql",
            "db_instance_class": "db.r6g.large",
            "publicly_accessible": False,
            "tags": {"team": "payments"},
            "wait": False,
            "state": "present",
        }
        lifecycle(
            Runner(cloud, tmp_path / "member", "amazon.aws.rds_instance"),
            present,
            {**present, "tags": {"team": "payments", "tier": "db"}},
            {"db_instance_identifier": instance_id, "skip_final_snapshot": True, "wait": False, "state": "absent"},
            describe_member,
            member_created,
            lambda inst: _tags(inst["TagList"]).get("tier") == "db" or pytest.fail(f"not modified: {inst}"),
        )

    (tmp_path / "member").mkdir()
    present = {
        "db_cluster_identifier": cluster_id,
        "engine": "aurora-postgresql",
        "engine_version": "15.7",
        "username": "dbadmin",
        "password": "p" * 32,
        "db_subnet_group_name": group,
        "backup_retention_period": 7,
        "storage_encrypted": True,
        "apply_immediately": True,
        "state": "present",
    }
    lifecycle(
        run,
        present,
        {**present, "backup_retention_period": 14},
        {"db_cluster_identifier": cluster_id, "skip_final_snapshot": True, "state": "absent"},
        describe,
        created,
        lambda cluster: cluster["BackupRetentionPeriod"] == 14 or pytest.fail(f"not modified: {cluster}"),
        between=member,
    )


def test_secretsmanager_secret(cloud, tmp_path):
    sm, name = cloud.client("secretsmanager"), unique_name("fidelity")

    def describe():
        try:
            secret = sm.describe_secret(SecretId=name)
        except sm.exceptions.ResourceNotFoundException:
            return None
        return None if secret.get("DeletedDate") else secret

    def created(secret):
        assert secret["Description"] == "fidelity"
        assert sm.get_secret_value(SecretId=name)["SecretString"] == '{"username": "app"}'

    present = {"name": name, "description": "fidelity", "secret": '{"username": "app"}', "state": "present"}
    lifecycle(
        Runner(cloud, tmp_path, "community.aws.secretsmanager_secret"),
        present,
        {**present, "description": "fidelity, changed"},
        {"name": name, "recovery_window": 7, "state": "absent"},
        describe,
        created,
        lambda secret: secret["Description"] == "fidelity, changed" or pytest.fail(f"not modified: {secret}"),
    )


def test_lambda(cloud, tmp_path):
    lam, name = cloud.client("lambda"), unique_name("fidelity")
    role = cloud.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    zip_file = tmp_path / "code.zip"
    zip_file.write_bytes(code.getvalue())

    def describe():
        try:
            return lam.get_function_configuration(FunctionName=name)
        except lam.exceptions.ResourceNotFoundException:
            return None

    def created(function):
        assert (function["Runtime"], function["Handler"], function["Role"]) == ("python3.12", "index.handler", role)
        assert function["Timeout"] == 30

    present = {
        "name": name,
        "runtime": "python3.12",
        "handler": "index.handler",
        "role": role,
        "zip_file": str(zip_file),
        "timeout": 30,
        "state": "present",
    }
    lifecycle(
        Runner(cloud, tmp_path, "amazon.aws.lambda"),
        present,
        {**present, "timeout": 60},
        {"name": name, "state": "absent"},
        describe,
        created,
        lambda function: function["Timeout"] == 60 or pytest.fail(f"not modified: {function}"),
    )
