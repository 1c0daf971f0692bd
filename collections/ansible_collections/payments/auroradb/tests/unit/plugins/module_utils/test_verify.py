# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Control-plane check logic (module_utils/verify.evaluate), one scope at a time: a good stack passes every check,
each broken API answer fails its check and only that one, and a scope refuses missing or foreign expected values.
No AWS: the facts are dicts shaped like the API answers."""

from __future__ import annotations

import copy

import botocore.exceptions
import pytest

from ansible_collections.payments.auroradb.plugins.module_utils import verify
from ansible_collections.payments.auroradb.plugins.module_utils.validation import derive_names

NAMES = derive_names("dev")
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
CID = NAMES["cluster"]
WRITER_HOST = f"{CID}.cluster-abc.us-east-1.rds.amazonaws.com"
# What the deploying roles pass for the dev inventory (test data: the roles' defaults are theirs alone).
EXPECTED = {
    "kms": {"key_rotation": True},
    "aurora": {
        "engine": "aurora-postgresql",
        "engine_version": "15.7",
        "port": 5432,
        "backup_retention_days": 7,
        "backup_window": "03:00-04:00",
        "log_exports": ["postgresql"],
        "cluster_parameters": {"rds.force_ssl": 1},
        "performance_insights": True,
    },
    "monitoring": {
        "cpu_threshold": 80.0,
        "free_local_storage_threshold_bytes": 10737418240.0,
        "alarm_period_seconds": 300,
        "alarm_evaluation_periods": 2,
    },
    "secret": {
        "secret_username": "dbadmin",
        "secret_description": "Master credentials for Aurora PostgreSQL cluster",
        "secret_rotation_days": 30,
    },
}


def alarm(name, metric, comparison, threshold):
    return {
        "AlarmName": name,
        "Namespace": "AWS/RDS",
        "MetricName": metric,
        "ComparisonOperator": comparison,
        "Threshold": threshold,
        "Statistic": "Average",
        "Period": 300,
        "EvaluationPeriods": 2,
        "Dimensions": [{"Name": "DBClusterIdentifier", "Value": CID}],
    }


def instance(ident, zone):
    return {
        "DBInstanceIdentifier": ident,
        "AvailabilityZone": zone,
        "DBInstanceStatus": "available",
        "PubliclyAccessible": False,
        "PerformanceInsightsEnabled": True,
    }


def good_facts():
    members = [NAMES["writer_instance"], *NAMES["reader_instances"]]
    return {
        "kms_alias": {"AliasName": NAMES["kms_alias"], "TargetKeyId": KEY_ID},
        "kms_key": {"Arn": KEY_ARN, "KeyId": KEY_ID, "KeyState": "Enabled", "KeyManager": "CUSTOMER"},
        "kms_rotation": True,
        "cluster": {
            "DBClusterArn": f"arn:aws:rds:us-east-1:123456789012:cluster:{CID}",
            "Status": "available",
            "Engine": "aurora-postgresql",
            "EngineVersion": "15.7",
            "Port": 5432,
            "Endpoint": WRITER_HOST,
            "ReaderEndpoint": f"{CID}.cluster-ro-abc.us-east-1.rds.amazonaws.com",
            "StorageEncrypted": True,
            "KmsKeyId": KEY_ARN,
            "BackupRetentionPeriod": 7,
            "PreferredBackupWindow": "03:00-04:00",
            "EnabledCloudwatchLogsExports": ["postgresql"],
            "DBClusterParameterGroup": NAMES["parameter_group"],
            "DBClusterMembers": [
                {"DBInstanceIdentifier": m, "IsClusterWriter": m == NAMES["writer_instance"]} for m in members
            ],
        },
        "cluster_parameters": {"rds.force_ssl": "1", "work_mem": None},
        "instances": [instance(m, f"us-east-1{z}") for m, z in zip(members, "abc", strict=True)],
        "alarms": {
            NAMES["cpu_alarm"]: alarm(NAMES["cpu_alarm"], "CPUUtilization", "GreaterThanThreshold", 80.0),
            NAMES["storage_alarm"]: alarm(
                NAMES["storage_alarm"], "FreeLocalStorage", "LessThanThreshold", 10737418240.0
            ),
        },
        "secret": {
            "ARN": f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{NAMES['secret']}-AbCdEf",
            "Description": "Master credentials for Aurora PostgreSQL cluster",
            "KmsKeyId": KEY_ARN,
            "RotationEnabled": True,
            "RotationRules": {"AutomaticallyAfterDays": 30},
        },
        "secret_value": {
            "username": "dbadmin",
            "host": WRITER_HOST,
            "port": 5432,
            "engine": "postgres",
            "dbClusterIdentifier": CID,
        },
    }


def evaluate_all(facts, overrides=None):
    """Every scope in deploy order, as playbooks/verify.yml runs them; ``overrides`` replace expected values."""
    results = []
    for scope in ("kms", "secret", "aurora", "monitoring"):
        expected = {k: (overrides or {}).get(k, v) for k, v in EXPECTED[scope].items()}
        results.extend(verify.evaluate(facts, NAMES, scope, expected))
    return results


def failed(facts, expected=None):
    return [c["name"] for c in evaluate_all(facts, expected) if not c["passed"]]


def test_good_stack_passes_every_check():
    checks = evaluate_all(good_facts())
    assert [c["name"] for c in checks if not c["passed"]] == []
    names = [c["name"] for c in checks]
    assert len(names) == len(set(names))
    for expected_name in (
        "cluster.members",
        "cluster.instances_distinct_azs",
        "cluster.engine",
        "cluster.encrypted_with_stack_key",
        "kms.key_rotation",
        "cluster.backup_retention",
        "cluster.backup_window",
        "cluster.log_exports",
        "cluster.parameter.rds.force_ssl",
        "instances.private",
        "instances.performance_insights",
        "alarm.cpu",
        "alarm.storage",
        "secret.exists",
        "secret.encrypted_with_stack_key",
        "secret.rotation",
        "secret.connection",
    ):
        assert expected_name in names


def _set(path, value):
    def apply(facts):
        target = facts
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return apply


def _alarm(name, key, value):
    def apply(facts):
        facts["alarms"][NAMES[name]][key] = value

    return apply


def _instance(index, key, value):
    def apply(facts):
        facts["instances"][index][key] = value

    return apply


def _drop_reader(facts):
    gone = NAMES["reader_instances"][-1]
    facts["cluster"]["DBClusterMembers"] = [
        m for m in facts["cluster"]["DBClusterMembers"] if m["DBInstanceIdentifier"] != gone
    ]
    facts["instances"] = [i for i in facts["instances"] if i["DBInstanceIdentifier"] != gone]


def _two_writers(facts):
    facts["cluster"]["DBClusterMembers"][1]["IsClusterWriter"] = True


BROKEN = {
    "kms key disabled": (_set(("kms_key", "KeyState"), "Disabled"), "kms.stack_key"),
    "key rotation off": (_set(("kms_rotation",), False), "kms.key_rotation"),
    "cluster creating": (_set(("cluster", "Status"), "modifying"), "cluster.available"),
    "engine version": (_set(("cluster", "EngineVersion"), "15.4"), "cluster.engine"),
    # the secret follows the cluster's port (else secret.connection fails too)
    "port": (lambda f: (_set(("cluster", "Port"), 5433)(f), _set(("secret_value", "port"), 5433)(f)), "cluster.port"),
    "not encrypted": (_set(("cluster", "StorageEncrypted"), False), "cluster.encrypted_with_stack_key"),
    "other key": (
        _set(("cluster", "KmsKeyId"), KEY_ARN.replace("1234abcd", "99999999")),
        "cluster.encrypted_with_stack_key",
    ),
    "backup retention": (_set(("cluster", "BackupRetentionPeriod"), 3), "cluster.backup_retention"),
    "backup window": (_set(("cluster", "PreferredBackupWindow"), "05:00-06:00"), "cluster.backup_window"),
    "no log export": (_set(("cluster", "EnabledCloudwatchLogsExports"), []), "cluster.log_exports"),
    "force_ssl 0": (_set(("cluster_parameters", "rds.force_ssl"), "0"), "cluster.parameter.rds.force_ssl"),
    "force_ssl unset": (_set(("cluster_parameters", "rds.force_ssl"), None), "cluster.parameter.rds.force_ssl"),
    "reader deleted": (_drop_reader, "cluster.members"),
    "two writers": (_two_writers, "cluster.members"),
    "same AZ": (_instance(2, "AvailabilityZone", "us-east-1b"), "cluster.instances_distinct_azs"),
    "instance rebooting": (_instance(1, "DBInstanceStatus", "rebooting"), "instances.available"),
    "public instance": (_instance(1, "PubliclyAccessible", True), "instances.private"),
    "no performance insights": (_instance(0, "PerformanceInsightsEnabled", False), "instances.performance_insights"),
    "cpu threshold": (_alarm("cpu_alarm", "Threshold", 90.0), "alarm.cpu"),
    "cpu period": (_alarm("cpu_alarm", "Period", 60), "alarm.cpu"),
    "cpu evaluation periods": (_alarm("cpu_alarm", "EvaluationPeriods", 1), "alarm.cpu"),
    "cpu comparison": (_alarm("cpu_alarm", "ComparisonOperator", "GreaterThanOrEqualToThreshold"), "alarm.cpu"),
    "cpu statistic": (_alarm("cpu_alarm", "Statistic", "Maximum"), "alarm.cpu"),
    "cpu dimension": (_alarm("cpu_alarm", "Dimensions", []), "alarm.cpu"),
    "storage metric": (_alarm("storage_alarm", "MetricName", "FreeStorageSpace"), "alarm.storage"),
    "storage threshold": (_alarm("storage_alarm", "Threshold", 1.0), "alarm.storage"),
    "storage alarm missing": (lambda f: f["alarms"].pop(NAMES["storage_alarm"]), "alarm.storage"),
    "secret default key": (_set(("secret", "KmsKeyId"), None), "secret.encrypted_with_stack_key"),
    "secret description": (_set(("secret", "Description"), "something else"), "secret.description"),
    "rotation off": (_set(("secret", "RotationEnabled"), False), "secret.rotation"),
    "rotation 7 days": (_set(("secret", "RotationRules"), {"AutomaticallyAfterDays": 7}), "secret.rotation"),
    "rotation no rules": (_set(("secret", "RotationRules"), {}), "secret.rotation"),
    "secret username": (_set(("secret_value", "username"), "postgres"), "secret.username"),
    "secret host wrong": (_set(("secret_value", "host"), "elsewhere.example"), "secret.connection"),
    "secret port wrong": (_set(("secret_value", "port"), 5433), "secret.connection"),
    "secret engine wrong": (_set(("secret_value", "engine"), "mysql"), "secret.connection"),
    "secret cluster id missing": (lambda f: f["secret_value"].pop("dbClusterIdentifier"), "secret.connection"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_each_broken_property_fails_only_its_check(case):
    breaker, check_name = BROKEN[case]
    facts = copy.deepcopy(good_facts())
    breaker(facts)
    assert failed(facts) == [check_name]


@pytest.mark.parametrize(
    "rules",
    [{"AutomaticallyAfterDays": 30}, {"ScheduleExpression": "rate(30 days)"}, {"ScheduleExpression": "rate(30days)"}],
)
def test_rotation_schedule_accepts_both_forms(rules):
    facts = good_facts()
    facts["secret"]["RotationRules"] = rules
    assert failed(facts) == []


@pytest.mark.parametrize(
    "rules", [{"ScheduleExpression": "rate(30 hours)"}, {"ScheduleExpression": "cron(0 3 1 * ? *)"}, {}]
)
def test_rotation_schedule_other_forms_fail(rules):
    facts = good_facts()
    facts["secret"]["RotationRules"] = rules
    assert failed(facts) == ["secret.rotation"]


def test_secret_key_may_be_reported_as_key_id():
    facts = good_facts()
    facts["secret"]["KmsKeyId"] = KEY_ID
    assert failed(facts) == []


def test_missing_alias_fails_the_key_checks_and_the_encryption_checks():
    facts = good_facts()
    facts["kms_alias"] = facts["kms_key"] = facts["kms_rotation"] = None
    assert failed(facts) == [
        "kms.stack_key",
        "kms.key_rotation",
        "secret.encrypted_with_stack_key",
        "cluster.encrypted_with_stack_key",
    ]


def test_missing_cluster_and_secret_are_one_check_each():
    facts = good_facts()
    facts["cluster"], facts["instances"], facts["secret"], facts["secret_value"] = None, [], None, None
    assert failed(facts) == ["secret.exists", "cluster.exists"]


def test_expected_values_come_from_the_caller():
    facts = good_facts()
    facts["cluster"]["BackupRetentionPeriod"] = 14
    facts["alarms"][NAMES["cpu_alarm"]]["Threshold"] = 70.0
    facts["cluster_parameters"]["log_min_duration_statement"] = "500"
    expected = {
        "backup_retention_days": 14,
        "cpu_threshold": 70,
        "cluster_parameters": {"rds.force_ssl": 1, "log_min_duration_statement": 500},
    }
    assert failed(facts, expected) == []
    assert failed(good_facts(), expected) == [
        "cluster.backup_retention",
        "cluster.parameter.log_min_duration_statement",
        "alarm.cpu",
    ]


@pytest.mark.parametrize(
    "scope, checks",
    [
        ("kms", {"kms.stack_key", "kms.key_rotation"}),
        ("monitoring", {"alarm.cpu", "alarm.storage"}),
        ("secret", {"secret.exists", "secret.encrypted_with_stack_key", "secret.connection", "secret.rotation"}),
        (
            "aurora",
            {"cluster.members", "cluster.backup_retention", "instances.private", "cluster.parameter.rds.force_ssl"},
        ),
    ],
)
def test_each_scope_checks_only_its_part(scope, checks):
    names = {c["name"] for c in verify.evaluate(good_facts(), NAMES, scope, EXPECTED[scope])}
    assert checks <= names
    others = {c["name"] for s, e in EXPECTED.items() if s != scope for c in verify.evaluate(good_facts(), NAMES, s, e)}
    assert names.isdisjoint(others)


@pytest.mark.parametrize("scope", sorted(EXPECTED))
def test_a_missing_expected_value_is_refused_with_its_name(scope):
    for key in EXPECTED[scope]:
        partial = {k: v for k, v in EXPECTED[scope].items() if k != key}
        problems = verify.expected_problems(scope, {**partial, key: None})
        assert len(problems) == 1 and key in problems[0] and f"scope {scope} needs" in problems[0]
        with pytest.raises(ValueError, match=key):
            verify.evaluate(good_facts(), NAMES, scope, partial)


def test_an_expected_value_of_another_scope_is_refused():
    problems = verify.expected_problems("kms", {"key_rotation": True, "cpu_threshold": 80.0})
    assert problems == ["scope kms does not check cpu_threshold"]
    assert verify.expected_problems("kms", {"key_rotation": False}) == []
    assert "unknown scope" in verify.expected_problems("network", {})[0]


def test_every_expected_value_belongs_to_exactly_one_scope():
    assert len(verify.EXPECTED_OPTIONS) == len(set(verify.EXPECTED_OPTIONS))
    assert set(verify.SCOPE_EXPECTED) == set(verify.SCOPE_NAMES) == set(verify.SCOPE_READS) == set(verify.SCOPE_CHECKS)


class _Recorder:
    """A boto3 client stand-in that records the calls and answers with empty results."""

    def __init__(self, service, calls):
        self.service, self.calls = service, calls

    def __getattr__(self, operation):
        def call(**kwargs):
            self.calls.append(f"{self.service}.{operation}")
            if operation == "describe_secret":
                raise botocore.exceptions.ClientError({"Error": {"Code": "ResourceNotFoundException"}}, operation)
            return {"DBClusters": [], "MetricAlarms": [], "Aliases": []}

        return call

    def get_paginator(self, operation):
        recorder = self

        class _Pages:
            def paginate(self, **kwargs):
                recorder.calls.append(f"{recorder.service}.{operation}")
                return self

            def build_full_result(self):
                return {"Aliases": [], "Parameters": [], "DBInstances": []}

        return _Pages()


@pytest.mark.parametrize(
    "scope, services",
    [
        ("kms", ["kms"]),
        ("aurora", ["kms", "rds"]),
        ("monitoring", ["cloudwatch"]),
        ("secret", ["kms", "rds", "secretsmanager"]),
    ],
)
def test_each_scope_reads_only_what_it_needs(scope, services):
    calls = []
    clients = {service: _Recorder(service, calls) for service in verify.services(scope)}
    assert verify.services(scope) == services
    facts = verify.gather(clients, NAMES, scope)
    assert sorted({c.split(".")[0] for c in calls}) == services
    # a missing stack is one failed check per resource, not an error
    assert all(not c["passed"] for c in verify.evaluate(facts, NAMES, scope, EXPECTED[scope]))


def test_lines_say_pass_or_fail_with_expected_and_found():
    facts = good_facts()
    facts["cluster"]["BackupRetentionPeriod"] = 3
    lines = {c["name"]: verify.line(c) for c in evaluate_all(facts)}
    assert lines["cluster.backup_retention"] == "FAIL  cluster.backup_retention: expected 7 days, found 3 days"
    assert lines["cluster.backup_window"] == "PASS  cluster.backup_window  03:00-04:00"
    summary = verify.summary(evaluate_all(facts))
    assert summary["failed"] == 1 and summary["failed_checks"] == ["cluster.backup_retention"]


class _Secrets:
    def __init__(self, value):
        self.value = value

    def get_secret_value(self, SecretId, aws_retry=False):  # noqa: N803 - boto3 spelling
        return {"SecretString": self.value}


def test_secret_value_drops_the_password_unless_asked():
    client = _Secrets('{"username": "dbadmin", "password": "s3cr3t", "host": "h"}')
    assert verify.read_secret_value(client, "x") == {"username": "dbadmin", "host": "h"}
    assert verify.read_secret_value(client, "x", keep_password=True)["password"] == "s3cr3t"
    assert verify.read_secret_value(_Secrets("not json"), "x") is None
