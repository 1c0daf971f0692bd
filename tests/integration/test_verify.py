"""playbooks/verify.yml against a stack deployed once on a local cloud.

The healthy stack passes every check, control plane and data plane (the local cloud's real PostgreSQL behind the
endpoints). Then one property at a time is broken by hand with boto3, verify.yml runs once (control plane only),
and exactly that property's check must fail; the property is restored before the next case.
"""

from __future__ import annotations

import json
import sys
import time

import pytest
from conftest import REPO

sys.path.insert(0, str(REPO / "tests"))
import stack_check  # noqa: E402

SUFFIX = "verify1"
CLUSTER = f"payment-db-cluster-{SUFFIX}"
SECRET = f"payment-db-credentials-{SUFFIX}"
CPU_ALARM = f"payment-db-cpu-alarm-{SUFFIX}"
PARAMS = f"payment-db-params-{SUFFIX}"
READER2 = f"{CLUSTER}-reader2"


def _verify(localcloud, *extra: str) -> dict:
    """Run verify.yml once; returns the JSON report (plus the run's return code and output)."""
    report = REPO / "outputs" / f"{SUFFIX}-verify.json"
    report.unlink(missing_ok=True)
    run = localcloud.playbook("verify.yml", "-e", f"env_suffix={SUFFIX}", *extra, check=False)
    assert report.exists(), f"no report written:\n{run.stdout[-4000:]}\n{run.stderr[-2000:]}"
    result = json.loads(report.read_text())
    result["returncode"], result["stdout"] = run.returncode, run.stdout
    return result


def _control_plane_failures(localcloud) -> set[str]:
    result = _verify(localcloud, "-e", "auroradb_verify_data_plane=false")
    failed = set(result["failed_checks"])
    assert (result["returncode"] != 0) == bool(failed), result["stdout"][-3000:]
    return failed


@pytest.fixture(scope="module")
def stack(localcloud):
    started = time.monotonic()
    localcloud.playbook("site.yml", "-e", f"env_suffix={SUFFIX}")
    print(f"deploy: {time.monotonic() - started:.0f} s")
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    assert stack_check.Checker(SUFFIX, localcloud.endpoint, "us-east-1", credentials).present(stack_check.REF) == []
    yield localcloud
    localcloud.playbook("teardown.yml", "-e", f"env_suffix={SUFFIX}")
    for name in (f"{SUFFIX}.json", f"{SUFFIX}-verify.json"):
        (REPO / "outputs" / name).unlink(missing_ok=True)


def test_healthy_stack_passes_every_control_plane_check(stack):
    result = _verify(stack)
    lines = [line for line in result["stdout"].splitlines() if line.strip().startswith('"PASS') or "FAIL  " in line]
    assert len(lines) >= 20, result["stdout"][-3000:]
    control = [c for c in result["checks"] if not c["name"].startswith("db.")]
    assert [c["name"] for c in control if not c["passed"]] == []
    # every check prints one line; the data plane either ran or says clearly why not
    assert all(f"  {c['name']}" in result["stdout"] for c in result["checks"])
    if not result["data_plane"]["ran"]:
        assert result["data_plane"]["skipped_reason"].startswith("skipped: ")
        assert "SKIP  data plane: skipped:" in result["stdout"]
    assert result["returncode"] == 0 and result["failed_checks"] == [] and result["passed"] is True


def test_data_plane_on_the_local_cloud(stack):
    result = _verify(stack, "-e", "auroradb_verify_data_plane=true")
    data = [c for c in result["checks"] if c["name"].startswith("db.")]
    assert [c["name"] for c in data] == [
        "db.reachable",
        "db.tls_login",
        "db.writer_write",
        "db.reader_reads_row",
        "db.reader_read_only",
        "db.plaintext_refused",
    ]
    assert [c["name"] for c in data if not c["passed"]] == []


# ---------------------------------------------------------------------------------------------------------------
# One broken property at a time: (break, restore) with boto3, and the one check that must fail.
# ---------------------------------------------------------------------------------------------------------------


def _rotation(on: bool):
    def apply(cloud):
        sm = cloud.client("secretsmanager")
        if not on:
            sm.cancel_rotate_secret(SecretId=SECRET)
            return
        function = cloud.client("lambda").get_function(FunctionName=f"payment-db-rotation-{SUFFIX}")
        sm.rotate_secret(
            SecretId=SECRET,
            RotationLambdaARN=function["Configuration"]["FunctionArn"],
            RotationRules={"ScheduleExpression": "rate(30 days)"},
            RotateImmediately=False,
        )

    return apply


def _key_id(cloud):
    return cloud.client("kms").describe_key(KeyId=f"alias/payment-db-{SUFFIX}")["KeyMetadata"]["KeyId"]


def _key_rotation(on: bool):
    def apply(cloud):
        kms = cloud.client("kms")
        (kms.enable_key_rotation if on else kms.disable_key_rotation)(KeyId=_key_id(cloud))

    return apply


def _cpu_threshold(value: float):
    def apply(cloud):
        cw = cloud.client("cloudwatch")
        alarm = cw.describe_alarms(AlarmNames=[CPU_ALARM])["MetricAlarms"][0]
        keys = (
            "AlarmName",
            "AlarmDescription",
            "Namespace",
            "MetricName",
            "Statistic",
            "Dimensions",
            "Period",
            "EvaluationPeriods",
            "ComparisonOperator",
            "TreatMissingData",
        )
        cw.put_metric_alarm(**{k: alarm[k] for k in keys if k in alarm}, Threshold=value)

    return apply


def _force_ssl(value: str):
    def apply(cloud):
        cloud.client("rds").modify_db_cluster_parameter_group(
            DBClusterParameterGroupName=PARAMS,
            Parameters=[{"ParameterName": "rds.force_ssl", "ParameterValue": value, "ApplyMethod": "immediate"}],
        )

    return apply


def _modify_cluster(**kwargs):
    def apply(cloud):
        cloud.client("rds").modify_db_cluster(DBClusterIdentifier=CLUSTER, ApplyImmediately=True, **kwargs)

    return apply


def _delete_reader(cloud):
    rds = cloud.client("rds")
    before = rds.describe_db_instances(DBInstanceIdentifier=READER2)["DBInstances"][0]
    _delete_reader.saved = before
    rds.delete_db_instance(DBInstanceIdentifier=READER2, SkipFinalSnapshot=True)


def _recreate_reader(cloud):
    rds = cloud.client("rds")
    old = _delete_reader.saved
    rds.create_db_instance(
        DBInstanceIdentifier=READER2,
        DBClusterIdentifier=CLUSTER,
        Engine=old["Engine"],
        DBInstanceClass=old["DBInstanceClass"],
        AvailabilityZone=old["AvailabilityZone"],
        PubliclyAccessible=False,
        EnablePerformanceInsights=True,
        PerformanceInsightsRetentionPeriod=old.get("PerformanceInsightsRetentionPeriod", 7),
        PromotionTier=old.get("PromotionTier", 2),
    )
    for _ in range(120):
        status = rds.describe_db_instances(DBInstanceIdentifier=READER2)["DBInstances"][0]["DBInstanceStatus"]
        if status == "available":
            return
        time.sleep(1)
    raise AssertionError(f"{READER2} not available again")


def _public_writer(on: bool):
    def apply(cloud):
        cloud.client("rds").modify_db_instance(
            DBInstanceIdentifier=f"{CLUSTER}-writer", PubliclyAccessible=on, ApplyImmediately=True
        )

    return apply


def _secret_description(text: str):
    def apply(cloud):
        cloud.client("secretsmanager").update_secret(SecretId=SECRET, Description=text)

    return apply


def _secret_host(cloud):
    sm = cloud.client("secretsmanager")
    original = sm.get_secret_value(SecretId=SECRET)["SecretString"]
    _secret_host.saved = original
    sm.put_secret_value(SecretId=SECRET, SecretString=json.dumps({**json.loads(original), "host": "wrong.example"}))


def _secret_restore(cloud):
    cloud.client("secretsmanager").put_secret_value(SecretId=SECRET, SecretString=_secret_host.saved)


BROKEN = {
    "key rotation off": (_key_rotation(False), _key_rotation(True), "kms.key_rotation"),
    "cpu alarm threshold 90": (_cpu_threshold(90.0), _cpu_threshold(80.0), "alarm.cpu"),
    "rds.force_ssl=0": (_force_ssl("0"), _force_ssl("1"), "cluster.parameter.rds.force_ssl"),
    "reader deleted": (_delete_reader, _recreate_reader, "cluster.members"),
    "backup retention 3": (
        _modify_cluster(BackupRetentionPeriod=3),
        _modify_cluster(BackupRetentionPeriod=7),
        "cluster.backup_retention",
    ),
    "backup window moved": (
        _modify_cluster(PreferredBackupWindow="01:00-02:00"),
        _modify_cluster(PreferredBackupWindow="03:00-04:00"),
        "cluster.backup_window",
    ),
    "log export removed": (
        _modify_cluster(CloudwatchLogsExportConfiguration={"DisableLogTypes": ["postgresql"]}),
        _modify_cluster(CloudwatchLogsExportConfiguration={"EnableLogTypes": ["postgresql"]}),
        "cluster.log_exports",
    ),
    "writer made public": (_public_writer(True), _public_writer(False), "instances.private"),
    "secret description": (
        _secret_description("something else"),
        _secret_description("Master credentials for Aurora PostgreSQL cluster"),
        "secret.description",
    ),
    "secret host wrong": (_secret_host, _secret_restore, "secret.connection"),
    "secret rotation off": (_rotation(False), _rotation(True), "secret.rotation"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_one_broken_property_fails_exactly_its_check(stack, case):
    breaker, restore, check_name = BROKEN[case]
    breaker(stack)
    try:
        failed = _control_plane_failures(stack)
    finally:
        restore(stack)
    assert failed == {check_name}, f"{case}: expected only {check_name} to fail, got {sorted(failed)}"


def test_restored_stack_passes_again(stack):
    assert _control_plane_failures(stack) == set()
