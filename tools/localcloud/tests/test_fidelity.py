"""Fidelity: the real amazon.aws / community.aws modules the roles use, run against the local cloud.

Every module goes through amazon.aws's integration-test pattern: check-mode create (changed, nothing created),
create (changed, boto3 shows it), idempotent re-run (not changed), modify one property (changed, boto3 shows it),
check-mode re-run (not changed, boto3 sees no difference), delete (changed, boto3: gone), delete again (not
changed). boto3 is the independent witness of every step.

The modules go in lockstep, so the file stays fast: each step is ONE ansible-playbook run for all modules
(``LocalCloud.run_modules``: one task per module, the independent ones side by side), then boto3 looks at every
module's resource. The module-scoped fixture ``lockstep`` runs the seven steps once and records each module's result
and boto3 view per step; ``test_lifecycle`` (one test per module) asserts its module's record, so a failure names the
module and the step. A builder's modules share a lane, in their order: ``rds_instance`` joins the ``rds_cluster``
created before it in the same run, and a deleting run goes backwards (the member is deleted before its cluster, as
teardown does).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from localcloud import DEFAULT_REGION
from localcloud.testing import create_network, unique_name

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
# (step, the arguments it runs with, check mode), amazon.aws's integration-test order.
STEPS = (
    ("check-mode create", "present", True),
    ("create", "present", False),
    ("idempotent re-run", "present", False),
    ("modify", "modified", False),
    ("check-mode re-run", "modified", True),
    ("delete", "absent", False),
    ("delete again", "absent", False),
)
# Fields that move on their own, on AWS too (LastAccessedDate: reading the secret, the witness's read included).
# fields that move with time on AWS too (EarliestRestorableTime: the first backup, then the retention period)
CLOCKS = ("ResponseMetadata", "EarliestRestorableTime", "LatestRestorableTime", "LastAccessedDate")


@dataclass
class Lifecycle:
    """One module's seven steps: ``describe()`` is boto3's view of its resource (None: it does not exist).

    ``change`` is the one property the modify step changes, ``shows`` what boto3 must see after it; ``created``
    asserts boto3's view after the create step.
    """

    present: dict
    change: dict
    absent: dict
    describe: Callable[[], dict | None]
    created: Callable[[dict], None]
    shows: dict
    module: str = ""  # set from lifecycle_of's names

    def args(self, state: str) -> dict:
        return {"present": self.present, "modified": {**self.present, **self.change}, "absent": self.absent}[state]

    def seen(self) -> dict | None:
        found = self.describe()
        if found is not None:
            for clock in CLOCKS:
                found.pop(clock, None)
        return found


@dataclass
class Outcome:
    """What one step did for one module: the module's registered result and boto3's view after the run."""

    module: str
    step: str
    result: dict
    view: dict | None

    def __str__(self) -> str:
        return f"{self.module}, step '{self.step}'"

    def ok(self) -> Outcome:
        assert not self.result.get("failed"), f"{self} failed: {self.result}"
        return self


MODULES: list[str] = []  # the test ids, in the builders' order
BUILDERS: list[Callable] = []


def lifecycle_of(*modules: str):
    """Register a builder ``(cloud, tmp_path) -> [Lifecycle, ...]`` of ``modules``: one lane, run in this order."""

    def register(build):
        MODULES.extend(modules)
        BUILDERS.append(build)
        return build

    return register


def described(present: dict, absent: dict, describe, created, new: str) -> list[Lifecycle]:
    """The lifecycle of a resource whose modify step changes its description to ``new``."""
    return [Lifecycle(present, {"description": new}, absent, describe, created, {"Description": new})]


def _tags(items: list[dict]) -> dict:
    return {t["Key"]: t["Value"] for t in items}


# --------------------------------------------------------------------------------------------- the modules
@lifecycle_of("amazon.aws.kms_key")
def kms_key(cloud, tmp_path):
    kms, alias = cloud.client("kms"), f"alias/{unique_name('fidelity')}"

    def describe():
        target = next((a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"] if a["AliasName"] == alias), None)
        if target is None:
            return None
        meta = kms.describe_key(KeyId=target)["KeyMetadata"]
        if meta["KeyState"] == "PendingDeletion":
            return None
        meta["Rotation"] = kms.get_key_rotation_status(KeyId=target)["KeyRotationEnabled"]
        meta["Tags"] = kms.list_resource_tags(KeyId=target)["Tags"]
        return meta

    def created(key):
        assert key["Description"] == "fidelity key"
        assert key["Enabled"] and key["Rotation"]
        assert {t["TagKey"]: t["TagValue"] for t in key["Tags"]} == {"team": "payments"}

    present = {
        "alias": alias,
        "description": "fidelity key",
        "enable_key_rotation": True,
        "enabled": True,
        "tags": {"team": "payments"},
        "purge_tags": False,
        "state": "present",
    }
    absent = {"alias": alias, "state": "absent", "pending_window": 7}
    new = "fidelity key, changed"
    return described(present, absent, describe, created, new)


@lifecycle_of("amazon.aws.rds_subnet_group")
def rds_subnet_group(cloud, tmp_path):
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
    absent = {"name": name, "state": "absent"}
    shows = {"SubnetIds": sorted(subnets)}
    return [Lifecycle(present, {"subnets": subnets}, absent, describe, created, shows)]


@lifecycle_of("amazon.aws.cloudwatch_metric_alarm")
def cloudwatch_metric_alarm(cloud, tmp_path):
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
    absent = {"name": name, "state": "absent"}
    return [Lifecycle(present, {"threshold": 90.0}, absent, describe, created, {"Threshold": 90.0})]


@lifecycle_of("amazon.aws.iam_role")
def iam_role(cloud, tmp_path):
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
    absent = {"name": name, "state": "absent"}
    new = "fidelity, changed"
    return described(present, absent, describe, created, new)


@lifecycle_of("amazon.aws.ec2_vpc_net")
def ec2_vpc_net(cloud, tmp_path):
    ec2, name = cloud.client("ec2"), unique_name("fidelity")

    def describe():
        vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"]
        return {**vpcs[0], "TagMap": _tags(vpcs[0]["Tags"])} if vpcs else None

    def created(vpc):
        assert vpc["CidrBlock"] == "10.62.0.0/16"
        assert _tags(vpc["Tags"]) == {"Name": name, "team": "payments"}

    present = {"name": name, "cidr_block": "10.62.0.0/16", "tags": {"team": "payments"}, "state": "present"}
    absent = {"name": name, "cidr_block": "10.62.0.0/16", "state": "absent"}
    change = {"tags": {"team": "payments", "tier": "db"}}
    shows = {"TagMap": {"Name": name, "team": "payments", "tier": "db"}}
    return [Lifecycle(present, change, absent, describe, created, shows)]


@lifecycle_of("amazon.aws.ec2_security_group")
def ec2_security_group(cloud, tmp_path):
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
    absent = {"name": name, "vpc_id": vpc, "state": "absent"}
    change = {"rules": [rule, {**rule, "cidr_ip": "10.64.0.0/16"}]}
    shows = {"Ingress": {("tcp", 5432, 5432, "10.63.0.0/16"), ("tcp", 5432, 5432, "10.64.0.0/16")}}
    return [Lifecycle(present, change, absent, describe, created, shows)]


@lifecycle_of("amazon.aws.rds_cluster", "amazon.aws.rds_instance")
def rds_cluster_and_member(cloud, tmp_path):
    """The cluster and its member, one lane: the member is created after the cluster and deleted before it.

    Its check-mode create runs after the cluster's, which creates nothing: it must plan the member of a cluster
    that does not exist yet (``changed``, nothing created), as a check-mode run of a new stack does.
    """
    rds, cluster_id, instance_id = cloud.client("rds"), unique_name("fidelity"), unique_name("fidelity-1")
    network = create_network(cloud, "10.65")
    vpc, group = network["vpc"], network["subnet_group"]
    sg = cloud.client("ec2").create_security_group(GroupName=cluster_id, Description="fidelity", VpcId=vpc)["GroupId"]
    key = cloud.client("kms").create_key(Description="fidelity")["KeyMetadata"]["Arn"]

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
    member = {
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
    absent = {"db_cluster_identifier": cluster_id, "skip_final_snapshot": True, "state": "absent"}
    member_absent = {
        "db_instance_identifier": instance_id,
        "skip_final_snapshot": True,
        "wait": False,
        "state": "absent",
    }
    retention, tier = {"BackupRetentionPeriod": 14}, {"PromotionTier": 2}
    return [
        Lifecycle(present, {"backup_retention_period": 14}, absent, describe, created, retention),
        Lifecycle(member, {"promotion_tier": 2}, member_absent, describe_member, member_created, tier),
    ]


@lifecycle_of("community.aws.secretsmanager_secret")
def secretsmanager_secret(cloud, tmp_path):
    sm, name = cloud.client("secretsmanager"), unique_name("fidelity")

    def describe():
        try:
            secret = sm.describe_secret(SecretId=name)
        except sm.exceptions.ResourceNotFoundException:
            return None
        if secret.get("DeletedDate"):
            return None
        return {**secret, "SecretString": sm.get_secret_value(SecretId=name)["SecretString"]}

    def created(secret):
        assert secret["Description"] == "fidelity"
        assert secret["SecretString"] == '{"username": "app"}'

    present = {"name": name, "description": "fidelity", "secret": '{"username": "app"}', "state": "present"}
    absent = {"name": name, "recovery_window": 7, "state": "absent"}
    new = "fidelity, changed"
    return described(present, absent, describe, created, new)


@lifecycle_of("amazon.aws.lambda")
def lambda_function(cloud, tmp_path):
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
    absent = {"name": name, "state": "absent"}
    return [Lifecycle(present, {"timeout": 60}, absent, describe, created, {"Timeout": 60})]


# --------------------------------------------------------------------------------------------- the lockstep
@pytest.fixture(scope="module")
def lockstep(cloud, tmp_path_factory) -> dict[str, tuple[Lifecycle, list[Outcome]]]:
    """The seven steps for every module, each step one ansible-playbook run; module -> its step outcomes."""
    tmp_path = tmp_path_factory.mktemp("fidelity")
    lanes = [build(cloud, tmp_path) for build in BUILDERS]  # a builder's modules share a lane, in its order
    lifecycles = [life for lane in lanes for life in lane]
    for life, module in zip(lifecycles, MODULES, strict=True):
        life.module = module
    outcomes: dict[str, list[Outcome]] = {module: [] for module in MODULES}
    for number, (step, state, check) in enumerate(STEPS, 1):
        order = [lane[::-1] if state == "absent" else lane for lane in lanes]
        workdir = tmp_path / f"step{number}"
        workdir.mkdir()
        tasks = [[(life.module, life.args(state)) for life in lane] for lane in order]
        results, _ = cloud.run_modules(workdir, tasks, *(["--check"] if check else []))
        for lane, lane_results in zip(order, results, strict=True):
            for life, result in zip(lane, lane_results, strict=True):
                outcomes[life.module].append(Outcome(life.module, step, result, life.seen()))
    return {module: (life, outcomes[module]) for module, life in zip(MODULES, lifecycles, strict=True)}


@pytest.mark.parametrize("module", MODULES)
def test_lifecycle(lockstep, module):
    life, (check_create, create, rerun, modify, check_rerun, delete, again) = lockstep[module]

    assert check_create.ok().result["changed"], f"{check_create}: check-mode create must report a change"
    assert check_create.view is None, f"{check_create}: check mode created the resource"
    assert create.ok().result["changed"], f"{create}: create must report a change"
    assert create.view is not None, f"{create}: create did not create the resource"
    try:
        life.created(create.view)
    except AssertionError as exc:
        raise AssertionError(f"{create}: boto3 does not see what was asked: {exc}") from exc
    assert not rerun.ok().result["changed"], f"{rerun}: idempotent re-run reported a change"
    assert modify.ok().result["changed"], f"{modify}: modify must report a change"
    found = modify.view or {}
    assert {key: found.get(key) for key in life.shows} == life.shows, f"{modify}: not modified: {found}"
    assert not check_rerun.ok().result["changed"], f"{check_rerun}: the modified state reported a change"
    assert check_rerun.view == found, f"{check_rerun}: check mode changed the resource"
    assert delete.ok().result["changed"], f"{delete}: delete must report a change"
    assert delete.view is None, f"{delete}: delete left the resource"
    assert not again.ok().result["changed"], f"{again}: second delete reported a change"
