# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Posture report logic (module_utils/posture.evaluate): a production stack passes every control; each broken API
answer fails exactly the matching control(s); waivers turn a failure into ``waived`` and are refused when unknown
or without a reason; RDS-managed secrets make the Lambda controls not applicable. No AWS: the facts are dicts
shaped like the API answers."""

from __future__ import annotations

import copy
import datetime

import pytest

from ansible_collections.payments.auroradb.plugins.module_utils import posture
from ansible_collections.payments.auroradb.plugins.module_utils.validation import derive_names

NAMES = derive_names("prod", 2)
CID = NAMES["cluster"]
NOW = datetime.datetime(2026, 12, 2, 12, 0, tzinfo=datetime.UTC)
TOPIC = "arn:aws:sns:us-east-1:123456789012:payment-db-alerts-prod"
FLOW_GROUP = "/aws/vpc/flow-logs/payment-db-vpc-prod"
INSTANCE_IDS = [NAMES["writer_instance"], *NAMES["reader_instances"]]
ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]
PRIVATE = ["subnet-p1", "subnet-p2", "subnet-p3"]


def good_facts():
    instances = [
        {
            "DBInstanceIdentifier": ident,
            "AvailabilityZone": zone,
            "PubliclyAccessible": False,
            "MonitoringInterval": 60,
            "MonitoringRoleArn": "arn:aws:iam::123456789012:role/payment-db-monitoring-prod",
            "AutoMinorVersionUpgrade": True,
            "DBSubnetGroup": {"Subnets": [{"SubnetIdentifier": s} for s in PRIVATE]},
        }
        for ident, zone in zip(INSTANCE_IDS, ZONES, strict=True)
    ]
    alarm = {"AlarmActions": [TOPIC], "OKActions": [TOPIC], "ActionsEnabled": True}
    subscription = {"Enabled": True, "Status": "active", "SnsTopicArn": TOPIC}
    return {
        "cluster": {
            "DBClusterIdentifier": CID,
            "DeletionProtection": True,
            "EnabledCloudwatchLogsExports": ["postgresql"],
            "IAMDatabaseAuthenticationEnabled": True,
            "MultiAZ": True,
            "CopyTagsToSnapshot": True,
            "MasterUsername": "dbadmin",
            "StorageEncrypted": True,
            "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/k1",
            "TagList": [{"Key": "environment", "Value": "prod"}],
            "BackupRetentionPeriod": 35,
        },
        "instances": instances,
        "cluster_parameters": {
            "rds.force_ssl": "1",
            "shared_preload_libraries": "pg_stat_statements,pgaudit",
            "pgaudit.log": "ddl,role",
            "pgaudit.role": "rds_pgaudit",
        },
        "cluster_snapshots": [{"DBClusterSnapshotIdentifier": "rds:x-1", "StorageEncrypted": True}],
        "event_subscriptions": {
            NAMES["cluster_events"]: {
                **subscription,
                "SourceType": "db-cluster",
                "EventCategoriesList": ["failure", "maintenance", "failover"],
            },
            NAMES["instance_events"]: {
                **subscription,
                "SourceType": "db-instance",
                "EventCategoriesList": ["availability", "failure", "maintenance", "configuration change"],
            },
            NAMES["parameter_group_events"]: {
                **subscription,
                "SourceType": "db-parameter-group",
                "EventCategoriesList": ["configuration change"],
            },
            NAMES["security_group_events"]: {
                **subscription,
                "SourceType": "db-security-group",
                "EventCategoriesList": [],
            },
        },
        "vpc": {"VpcId": "vpc-1"},
        "default_security_group": {"GroupId": "sg-d", "IpPermissions": [], "IpPermissionsEgress": []},
        "flow_logs": [
            {"FlowLogId": "fl-1", "FlowLogStatus": "ACTIVE", "TrafficType": "ALL", "LogGroupName": FLOW_GROUP}
        ],
        "route_tables": [
            {"Associations": [{"Main": True}], "Routes": [{"GatewayId": "local"}]},
            {
                "Associations": [{"SubnetId": "subnet-pub1"}],
                "Routes": [{"GatewayId": "local"}, {"GatewayId": "igw-1", "DestinationCidrBlock": "0.0.0.0/0"}],
            },
            {"Associations": [{"SubnetId": s} for s in PRIVATE], "Routes": [{"NatGatewayId": "nat-1"}]},
        ],
        "subnet_zones": dict(zip(PRIVATE, ZONES, strict=True)),
        "kms_key": {"KeyId": "k1", "KeyState": "Enabled"},
        "kms_rotation": True,
        "kms_policy": {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]},
        "secret": {
            "Name": NAMES["secret"],
            "RotationEnabled": True,
            "RotationRules": {"AutomaticallyAfterDays": 30},
            "LastRotatedDate": NOW - datetime.timedelta(days=3),
            "LastAccessedDate": NOW - datetime.timedelta(days=1),
            "CreatedDate": NOW - datetime.timedelta(days=200),
            "VersionIdsToStages": {"v2": ["AWSCURRENT", "AWSPENDING"], "v1": ["AWSPREVIOUS"]},
        },
        "alarms": {NAMES["cpu_alarm"]: dict(alarm), NAMES["storage_alarm"]: dict(alarm)},
        "function": {"Runtime": "python3.12", "VpcConfig": {"VpcId": "vpc-1", "SubnetIds": PRIVATE}},
        "function_policy": {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "secretsmanager.amazonaws.com"},
                    "Action": "lambda:InvokeFunction",
                }
            ]
        },
        "log_groups": {
            f"/aws/rds/cluster/{CID}/postgresql": {"retentionInDays": 365},
            NAMES["rotation_log_group"]: {"retentionInDays": 400},
            FLOW_GROUP: {"retentionInDays": 365},
        },
    }


def statuses(facts, waivers=None):
    return {e["id"]: e["status"] for e in posture.evaluate(facts, NAMES, waivers, NOW)}


def test_production_stack_passes_every_control():
    found = statuses(good_facts())
    assert found == {control: "pass" for control in posture.CONTROL_IDS}


def test_the_issue_lists_every_control():
    wanted = {f"securityhub.RDS.{n}" for n in (2, 4, 6, 7, 9, 12, 13, 15, 16, 19, 20, 21, 24, 27, 28, 37, 46, 50)}
    wanted |= {f"securityhub.KMS.{n}" for n in (3, 4, 5)} | {f"securityhub.Lambda.{n}" for n in (1, 2, 3, 5)}
    wanted |= {f"securityhub.SecretsManager.{n}" for n in (1, 2, 4, 5)} | {"securityhub.EC2.2", "securityhub.EC2.6"}
    wanted |= {f"securityhub.CloudWatch.{n}" for n in (15, 16, 17)}
    wanted |= {"pci.force_ssl", "pci.pgaudit", "pci.log_retention_365", "pci.backup_retention"}
    assert wanted <= set(posture.CONTROL_IDS)


def _set(path, value):
    def change(facts):
        target = facts
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _each_instance(key, value):
    def change(facts):
        facts["instances"][1][key] = value

    return change


RUNS = NOW - datetime.timedelta(days=100)
BREAKS = {
    "instance public": (_each_instance("PubliclyAccessible", True), {"securityhub.RDS.2"}),
    "snapshot in clear": (_set(("cluster_snapshots", 0, "StorageEncrypted"), False), {"securityhub.RDS.4"}),
    "no enhanced monitoring": (_each_instance("MonitoringInterval", 0), {"securityhub.RDS.6"}),
    "deletion protection off": (_set(("cluster", "DeletionProtection"), False), {"securityhub.RDS.7"}),
    "no log export": (
        _set(("cluster", "EnabledCloudwatchLogsExports"), []),
        {"securityhub.RDS.9", "securityhub.RDS.37", "pci.log_retention_365"},
    ),
    "no IAM auth": (_set(("cluster", "IAMDatabaseAuthenticationEnabled"), False), {"securityhub.RDS.12"}),
    "no minor upgrades": (_each_instance("AutoMinorVersionUpgrade", False), {"securityhub.RDS.13"}),
    "single AZ": (_set(("cluster", "MultiAZ"), False), {"securityhub.RDS.15"}),
    "no tag copy": (_set(("cluster", "CopyTagsToSnapshot"), False), {"securityhub.RDS.16"}),
    "cluster events gone": (_set(("event_subscriptions", NAMES["cluster_events"]), None), {"securityhub.RDS.19"}),
    "instance events lack failure": (
        _set(("event_subscriptions", NAMES["instance_events"], "EventCategoriesList"), ["availability"]),
        {"securityhub.RDS.20"},
    ),
    "parameter events disabled": (
        _set(("event_subscriptions", NAMES["parameter_group_events"], "Enabled"), False),
        {"securityhub.RDS.21"},
    ),
    "default admin": (_set(("cluster", "MasterUsername"), "postgres"), {"securityhub.RDS.24"}),
    "unencrypted": (_set(("cluster", "StorageEncrypted"), False), {"securityhub.RDS.27"}),
    "untagged": (
        _set(("cluster", "TagList"), [{"Key": "aws:cloudformation:stack-name", "Value": "x"}]),
        {"securityhub.RDS.28"},
    ),
    "private subnet routed to the IGW": (
        _set(("route_tables", 2, "Routes"), [{"GatewayId": "igw-1"}]),
        {"securityhub.RDS.46"},
    ),
    "3 days of backups": (
        _set(("cluster", "BackupRetentionPeriod"), 3),
        {"securityhub.RDS.50", "pci.backup_retention"},
    ),
    "7 days of backups": (_set(("cluster", "BackupRetentionPeriod"), 7), {"pci.backup_retention"}),
    "key pending deletion": (_set(("kms_key", "KeyState"), "PendingDeletion"), {"securityhub.KMS.3"}),
    "key rotation off": (_set(("kms_rotation",), False), {"securityhub.KMS.4"}),
    "public key policy": (
        _set(("kms_policy", "Statement", 0, "Principal"), {"AWS": "*"}),
        {"securityhub.KMS.5"},
    ),
    "secret rotation off": (
        _set(("secret", "RotationEnabled"), False),
        {"securityhub.SecretsManager.1": "fail", "securityhub.SecretsManager.2": "not_applicable"},
    ),
    "rotation stuck": (
        _set(("secret", "VersionIdsToStages"), {"v3": ["AWSPENDING"], "v2": ["AWSCURRENT"]}),
        {"securityhub.SecretsManager.2"},
    ),
    "not rotated for 100 days": (
        _set(("secret", "LastRotatedDate"), RUNS),
        {"securityhub.SecretsManager.2", "securityhub.SecretsManager.4"},
    ),
    "unused for 100 days": (_set(("secret", "LastAccessedDate"), RUNS), {"securityhub.SecretsManager.5"}),
    "alarm without OK action": (_set(("alarms", NAMES["cpu_alarm"], "OKActions"), []), {"securityhub.CloudWatch.15"}),
    "alarm actions disabled": (
        _set(("alarms", NAMES["storage_alarm"], "ActionsEnabled"), False),
        {"securityhub.CloudWatch.17"},
    ),
    "flow log group kept 30 days": (
        _set(("log_groups", FLOW_GROUP, "retentionInDays"), 30),
        {"securityhub.CloudWatch.16"},
    ),
    "database log kept 90 days": (
        _set(("log_groups", f"/aws/rds/cluster/{CID}/postgresql", "retentionInDays"), 90),
        {"securityhub.CloudWatch.16", "pci.log_retention_365"},
    ),
    "public function": (_set(("function_policy", "Statement", 0, "Principal"), "*"), {"securityhub.Lambda.1"}),
    "old runtime": (_set(("function", "Runtime"), "python3.8"), {"securityhub.Lambda.2"}),
    "function outside the VPC": (
        _set(("function", "VpcConfig"), {}),
        {"securityhub.Lambda.3", "securityhub.Lambda.5"},
    ),
    "function in another VPC": (_set(("function", "VpcConfig", "VpcId"), "vpc-other"), {"securityhub.Lambda.3"}),
    "function in one zone": (_set(("function", "VpcConfig", "SubnetIds"), PRIVATE[:1]), {"securityhub.Lambda.5"}),
    "default group open": (
        _set(("default_security_group", "IpPermissionsEgress"), [{"IpProtocol": "-1"}]),
        {"securityhub.EC2.2"},
    ),
    "no flow log": (_set(("flow_logs",), []), {"securityhub.EC2.6"}),
    "force_ssl off": (_set(("cluster_parameters", "rds.force_ssl"), "0"), {"pci.force_ssl"}),
    "pgaudit not loaded": (
        _set(("cluster_parameters", "shared_preload_libraries"), "pg_stat_statements"),
        {"pci.pgaudit"},
    ),
    "pgaudit logs nothing": (_set(("cluster_parameters", "pgaudit.log"), "none"), {"pci.pgaudit"}),
}


@pytest.mark.parametrize("what", sorted(BREAKS))
def test_breaking_one_property_fails_its_controls_only(what):
    change, wanted = BREAKS[what]
    wanted = wanted if isinstance(wanted, dict) else dict.fromkeys(wanted, "fail")
    facts = good_facts()
    change(facts)
    found = statuses(facts)
    assert {c: s for c, s in found.items() if s != "pass"} == wanted


def test_a_missing_cluster_fails_without_crashing():
    facts = good_facts()
    facts.update(cluster=None, instances=[])
    found = statuses(facts)
    assert found["securityhub.RDS.7"] == "fail" and found["securityhub.RDS.2"] == "fail"
    assert found["securityhub.KMS.4"] == "pass"


def test_no_snapshot_yet_is_not_applicable():
    facts = good_facts()
    facts["cluster_snapshots"] = []
    assert statuses(facts)["securityhub.RDS.4"] == "not_applicable"


def test_rds_managed_secret_makes_the_lambda_controls_not_applicable():
    facts = good_facts()
    facts["cluster"]["MasterUserSecret"] = {"SecretArn": "arn:aws:secretsmanager:us-east-1:1:secret:rds!cluster-x"}
    facts.update(function=None, function_policy=None)
    del facts["log_groups"][NAMES["rotation_log_group"]]
    found = statuses(facts)
    lambdas = {c: s for c, s in found.items() if c.startswith("securityhub.Lambda.")}
    assert set(lambdas.values()) == {"not_applicable"} and len(lambdas) == 4
    assert {s for c, s in found.items() if c not in lambdas} == {"pass"}


def test_a_missing_rotation_function_fails_when_the_secret_is_ours():
    facts = good_facts()
    facts.update(function=None, function_policy=None)
    assert statuses(facts)["securityhub.Lambda.3"] == "fail"


def test_waivers_turn_failures_into_waived_and_report_unused_ones():
    facts = good_facts()
    facts["cluster"]["DeletionProtection"] = False
    waivers = {"securityhub.RDS.7": "dev is rebuilt at will", "securityhub.KMS.4": "not needed"}
    entries = {e["id"]: e for e in posture.evaluate(facts, NAMES, waivers, NOW)}
    assert entries["securityhub.RDS.7"]["status"] == "waived"
    assert entries["securityhub.RDS.7"]["waiver"] == "dev is rebuilt at will"
    assert "dev is rebuilt at will" in entries["securityhub.RDS.7"]["reason"]
    assert entries["securityhub.KMS.4"]["status"] == "pass" and entries["securityhub.KMS.4"]["waiver_unused"]
    summary = posture.summary(list(entries.values()))
    assert summary["waived_controls"] == ["securityhub.RDS.7"]
    assert summary["unused_waivers"] == ["securityhub.KMS.4"]
    assert summary["failed_controls"] == []
    assert posture.line(entries["securityhub.RDS.7"]).startswith("WAIVED securityhub.RDS.7  deletion protection off")


@pytest.mark.parametrize(
    "waivers, message",
    [
        ({"securityhub.RDS.99": "x"}, "unknown control(s) securityhub.RDS.99"),
        ({"securityhub.RDS.7": ""}, "waiver(s) without a reason: securityhub.RDS.7"),
        ({"RDS.7": "x"}, "unknown control(s) RDS.7"),
    ],
)
def test_bad_waivers_are_refused(waivers, message):
    assert message in "; ".join(posture.waiver_problems(waivers))


def test_never_expiring_log_groups_count_as_kept():
    facts = good_facts()
    facts["log_groups"][FLOW_GROUP] = {}
    assert statuses(facts)["securityhub.CloudWatch.16"] == "pass"


def test_summary_line_counts_statuses():
    facts = copy.deepcopy(good_facts())
    facts["cluster_snapshots"] = []
    facts["kms_rotation"] = False
    line = posture.summary_line(posture.evaluate(facts, NAMES, {}, NOW))
    total = len(posture.CONTROL_IDS)
    assert line == f"{total} controls: {total - 2} pass, 1 fail, 1 not applicable, 0 waived"
