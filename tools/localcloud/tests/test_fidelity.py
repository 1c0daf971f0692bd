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

from localcloud import DEFAULT_REGION
from localcloud.testing import create_network, unique_name

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


class Runner:
    """One module run after another, each in its own folder; every result must not have failed."""

    def __init__(self, cloud, tmp_path, module: str):
        self.cloud, self.tmp_path, self.module, self.count = cloud, tmp_path, module, 0

    def __call__(self, args: dict, *flags: str) -> dict:
        self.count += 1
        workdir = self.tmp_path / f"run{self.count}"
        workdir.mkdir()
        result, _ = self.cloud.run_module(workdir, self.module, args, *flags)
        assert not result.get("failed"), result
        return result


def lifecycle(
    run: Runner,
    present: dict,
    change: dict,
    absent: dict,
    describe: Callable[[], dict | None],
    created: Callable[[dict], None],
    shows: dict,
    between: Callable[[], None] | None = None,
) -> None:
    """The seven steps; ``describe()`` is boto3's view of the resource (None: it does not exist).

    ``change`` is the one property the modify step changes, ``shows`` what boto3 must see after it.
    """
    modified = {**present, **change}

    def seen():
        found = describe()
        if found is not None:
            for clock in ("ResponseMetadata", "LatestRestorableTime"):  # move on their own, on AWS too
                found.pop(clock, None)
        return found

    assert run(present, "--check")["changed"], "check-mode create must report a change"
    assert seen() is None, "check mode created the resource"
    assert run(present)["changed"], "create must report a change"
    found = seen()
    assert found is not None, "create did not create the resource"
    created(found)
    assert not run(present)["changed"], "idempotent re-run reported a change"
    assert run(modified)["changed"], "modify must report a change"
    found = seen()
    assert {key: found.get(key) for key in shows} == shows, f"not modified: {found}"
    assert not run(modified, "--check")["changed"], "check-mode re-run of the modified state reported a change"
    assert seen() == found, "check mode changed the resource"
    if between:
        between()
    assert run(absent)["changed"], "delete must report a change"
    assert seen() is None, "delete left the resource"
    assert not run(absent)["changed"], "second delete reported a change"


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
        tags = kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]
        assert {t["TagKey"]: t["TagValue"] for t in tags} == {"team": "payments"}

    present = {
        "alias": alias,
        "description": "fidelity key",
        "enable_key_rotation": True,
        "enabled": True,
        "tags": {"team": "payments"},
        "purge_tags": False,
        "state": "present",
    }
    run = Runner(cloud, tmp_path, "amazon.aws.kms_key")
    absent = {"alias": alias, "state": "absent", "pending_window": 7}
    lifecycle(
        run,
        present,
        {"description": "fidelity key, changed"},
        absent,
        describe,
        created,
        {"Description": "fidelity key, changed"},
    )


def test_rds_subnet_group(cloud, tmp_path):
    rds, name = cloud.client("rds"), unique_name("fidelity")
    subnets = create_network(cloud, "10.61")["subnets"]

    def describe():
        groups = rds.describe_db_subnet_groups()["DBSubnetGroups"]
        group = next((g for g in groups if g["DBSubnetGroupName"] == name), None)
        return group and {**group, "SubnetIds": sorted(s["SubnetIdentifier"] for s in group["Subnets"])}

    def created(group):
        assert group["DBSubnetGroupDescription"] == "fidelity"
        assert group["SubnetIds"] == sorted(subnets[:2])

    present = {"name": name, "description": "fidelity", "subnets": subnets[:2], "state": "present"}
    run = Runner(cloud, tmp_path, "amazon.aws.rds_subnet_group")
    absent = {"name": name, "state": "absent"}
    lifecycle(run, present, {"subnets": subnets}, absent, describe, created, {"SubnetIds": sorted(subnets)})


def test_cloudwatch_metric_alarm(cloud, tmp_path):
    cw, name = cloud.client("cloudwatch"), unique_name("fidelity")

    def describe():
        alarms = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
        return alarms[0] if alarms else None

    def created(alarm):
        assert (alarm["MetricName"], alarm["Namespace"], alarm["Statistic"]) == ("CPUUtilization", "AWS/RDS", "Average")
        assert alarm["Threshold"] == 80.0 and alarm["Period"] == 300 and alarm["EvaluationPeriods"] == 3
        assert alarm["TreatMissingData"] == "missing"
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
        "treat_missing_data": "missing",
        "dimensions": {"DBClusterIdentifier": "fidelity"},
    }
    run = Runner(cloud, tmp_path, "amazon.aws.cloudwatch_metric_alarm")
    absent = {"name": name, "state": "absent"}
    lifecycle(run, present, {"threshold": 90.0}, absent, describe, created, {"Threshold": 90.0})


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
    run = Runner(cloud, tmp_path, "amazon.aws.iam_role")
    absent = {"name": name, "state": "absent"}
    new = "fidelity, changed"
    lifecycle(run, present, {"description": new}, absent, describe, created, {"Description": new})


def test_ec2_vpc_net(cloud, tmp_path):
    ec2, name = cloud.client("ec2"), unique_name("fidelity")

    def describe():
        vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"]
        return {**vpcs[0], "TagMap": _tags(vpcs[0]["Tags"])} if vpcs else None

    def created(vpc):
        assert vpc["CidrBlock"] == "10.62.0.0/16"
        assert _tags(vpc["Tags"]) == {"Name": name, "team": "payments"}

    present = {"name": name, "cidr_block": "10.62.0.0/16", "tags": {"team": "payments"}, "state": "present"}
    run = Runner(cloud, tmp_path, "amazon.aws.ec2_vpc_net")
    absent = {"name": name, "cidr_block": "10.62.0.0/16", "state": "absent"}
    lifecycle(
        run,
        present,
        {"tags": {"team": "payments", "tier": "db"}},
        absent,
        describe,
        created,
        {"TagMap": {"Name": name, "team": "payments", "tier": "db"}},
    )


def test_ec2_security_group(cloud, tmp_path):
    ec2, name = cloud.client("ec2"), unique_name("fidelity")
    vpc = create_network(cloud, "10.63")["vpc"]

    def describe():
        filters = [{"Name": "group-name", "Values": [name]}, {"Name": "vpc-id", "Values": [vpc]}]
        groups = ec2.describe_security_groups(Filters=filters)["SecurityGroups"]
        if not groups:
            return None
        rules = {
            (p["IpProtocol"], p.get("FromPort"), p.get("ToPort"), r["CidrIp"])
            for p in groups[0]["IpPermissions"]
            for r in p.get("IpRanges", [])
        }
        return {**groups[0], "Ingress": rules}

    def created(group):
        assert group["Description"] == "fidelity"
        assert group["Ingress"] == {("tcp", 5432, 5432, "10.63.0.0/16")}

    rule = {"proto": "tcp", "ports": [5432], "cidr_ip": "10.63.0.0/16"}
    present = {"name": name, "description": "fidelity", "vpc_id": vpc, "rules": [rule], "state": "present"}
    run = Runner(cloud, tmp_path, "amazon.aws.ec2_security_group")
    absent = {"name": name, "vpc_id": vpc, "state": "absent"}
    lifecycle(
        run,
        present,
        {"rules": [rule, {**rule, "cidr_ip": "10.64.0.0/16"}]},
        absent,
        describe,
        created,
        {"Ingress": {("tcp", 5432, 5432, "10.63.0.0/16"), ("tcp", 5432, 5432, "10.64.0.0/16")}},
    )


def test_rds_cluster_and_member(cloud, tmp_path):
    rds, cluster_id, instance_id = cloud.client("rds"), unique_name("fidelity"), unique_name("fidelity-1")
    network = create_network(cloud, "10.65")
    vpc, group = network["vpc"], network["subnet_group"]
    ec2 = cloud.client("ec2")
    sg = ec2.create_security_group(GroupName=cluster_id, Description="fidelity", VpcId=vpc)["GroupId"]
    key = cloud.client("kms").create_key(Description="fidelity")["KeyMetadata"]["Arn"]
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
        assert cluster["StorageEncrypted"] and cluster["KmsKeyId"] == key and cluster["Port"] == 5432
        assert cluster["PreferredBackupWindow"] == "03:00-04:00"
        assert cluster["PreferredMaintenanceWindow"] == "sun:05:00-sun:06:00"
        assert cluster["EnabledCloudwatchLogsExports"] == ["postgresql"]
        assert cluster["CopyTagsToSnapshot"] and not cluster["DeletionProtection"]
        assert [g["VpcSecurityGroupId"] for g in cluster["VpcSecurityGroups"]] == [sg]
        assert _tags(cluster["TagList"]) == {"team": "payments"}

    def member_created(instance):
        assert instance["DBClusterIdentifier"] == cluster_id and instance["DBInstanceClass"] == "db.r6g.large"
        assert not instance["PubliclyAccessible"] and instance["CopyTagsToSnapshot"]
        assert instance["AvailabilityZone"] == f"{DEFAULT_REGION}b" and instance["PromotionTier"] == 1
        assert _tags(instance["TagList"]) == {"team": "payments"}

    def member():
        """The member's own seven steps, while the cluster exists."""
        present = {
            "db_instance_identifier": instance_id,
            "db_cluster_identifier": cluster_id,
            "engine": "aurora-postgresql",
            "db_instance_class": "db.r6g.large",
            "publicly_accessible": False,
            "availability_zone": f"{DEFAULT_REGION}b",
            "promotion_tier": 1,
            "copy_tags_to_snapshot": True,
            "tags": {"team": "payments"},
            "purge_tags": False,
            "wait": False,
            "state": "present",
        }
        run = Runner(cloud, tmp_path / "member", "amazon.aws.rds_instance")
        absent = {"db_instance_identifier": instance_id, "skip_final_snapshot": True, "wait": False, "state": "absent"}
        lifecycle(run, present, {"promotion_tier": 2}, absent, describe_member, member_created, {"PromotionTier": 2})

    (tmp_path / "member").mkdir()
    present = {
        "db_cluster_identifier": cluster_id,
        "engine": "aurora-postgresql",
        "engine_version": "15.7",
        "port": 5432,
        "master_username": "dbadmin",
        "master_user_password": "p" * 32,
        "force_update_password": False,
        "storage_encrypted": True,
        "kms_key_id": key,
        "backup_retention_period": 7,
        "preferred_backup_window": "03:00-04:00",
        "preferred_maintenance_window": "sun:05:00-sun:06:00",
        "enable_cloudwatch_logs_exports": ["postgresql"],
        "copy_tags_to_snapshot": True,
        "deletion_protection": False,
        "db_subnet_group_name": group,
        "vpc_security_group_ids": [sg],
        "purge_security_groups": False,
        "tags": {"team": "payments"},
        "purge_tags": False,
        "wait": False,
        "apply_immediately": True,
        "state": "present",
    }
    absent = {"db_cluster_identifier": cluster_id, "skip_final_snapshot": True, "state": "absent"}
    lifecycle(
        run,
        present,
        {"backup_retention_period": 14},
        absent,
        describe,
        created,
        {"BackupRetentionPeriod": 14},
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
    run = Runner(cloud, tmp_path, "community.aws.secretsmanager_secret")
    absent = {"name": name, "recovery_window": 7, "state": "absent"}
    new = "fidelity, changed"
    lifecycle(run, present, {"description": new}, absent, describe, created, {"Description": new})


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
    run = Runner(cloud, tmp_path, "amazon.aws.lambda")
    absent = {"name": name, "state": "absent"}
    lifecycle(run, present, {"timeout": 60}, absent, describe, created, {"Timeout": 60})
