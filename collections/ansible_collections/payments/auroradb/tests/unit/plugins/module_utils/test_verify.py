# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Control-plane check logic (module_utils/verify.evaluate), one scope at a time: a good stack passes every check,
each broken API answer fails its check and only that one, and a scope refuses missing or foreign expected values.
No AWS: the facts are dicts shaped like the API answers. ``gather`` is tested through the service layer against
botocore's Stubber (the ``aws`` fixture): what each scope reads, "not found" as a fact, errors raised once, and the
password handed to ``hide`` but never kept."""

from __future__ import annotations

import copy
import datetime
import json

import pytest
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.payments.auroradb.plugins.module_utils import verify
from ansible_collections.payments.auroradb.plugins.module_utils.validation import derive_names

NAMES = derive_names("dev", 2)
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
CID = NAMES["cluster"]
WRITER_HOST = f"{CID}.cluster-abc.us-east-1.rds.amazonaws.com"
# What the deploying roles pass for the dev inventory (test data: the roles' defaults are theirs alone).
TAGS = {"environment": "dev", "project": "payments-auroradb", "managed-by": "ansible", "cost-center": "payments-dev"}
VPC_ID, SUBNET_ID, EIP_ID, NAT_ID, SG_ID = "vpc-1", "subnet-1", "eipalloc-1", "nat-1", "sg-1"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "secretsmanager:DeleteSecret",
            "Resource": "*",
        }
    ],
}
EXPECTED = {
    "network": {"db_port": 5432, "db_allowed_cidrs": []},
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
        "deletion_protection": False,
        "tags": TAGS,
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
        "secret_rotation_enabled": True,
        "secret_rotation_days": 30,
        "secret_deny_delete": True,
        "secret_mode": "rotation_function",
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
        "vpc": {"VpcId": VPC_ID},
        "db_security_group": {
            "GroupId": SG_ID,
            "IpPermissions": [
                {
                    "IpProtocol": "tcp",
                    "FromPort": 5432,
                    "ToPort": 5432,
                    "UserIdGroupPairs": [{"GroupId": "sg-rotation"}],
                    "IpRanges": [],
                    "Ipv6Ranges": [],
                }
            ],
        },
        "nat_subnet": {"SubnetId": SUBNET_ID},
        "nat_eip": {"AllocationId": EIP_ID},
        "nat_gateways": [
            {
                "NatGatewayId": NAT_ID,
                "State": "available",
                "SubnetId": SUBNET_ID,
                "NatGatewayAddresses": [{"AllocationId": EIP_ID}],
            }
        ],
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
            "DeletionProtection": False,
            "TagList": [{"Key": k, "Value": v} for k, v in {**TAGS, "extra": "kept"}.items()],
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
        "secret_policy": json.dumps(POLICY),
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
    for scope in ("network", "kms", "secret", "aurora", "monitoring"):
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


def _open_to(cidr, port=5432):
    def apply(facts):
        rule = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [], "Ipv6Ranges": []}
        rule["Ipv6Ranges" if ":" in cidr else "IpRanges"] = [{"CidrIpv6": cidr}] if ":" in cidr else [{"CidrIp": cidr}]
        facts["db_security_group"]["IpPermissions"].append(rule)

    return apply


def _drop_tag(key):
    def apply(facts):
        facts["cluster"]["TagList"] = [t for t in facts["cluster"]["TagList"] if t["Key"] != key]

    return apply


BROKEN = {
    "db group open to the world": (_open_to("0.0.0.0/0"), "network.db_security_group"),
    "db group open to a public range": (_open_to("203.0.113.0/24"), "network.db_security_group"),
    "db group open to the IPv6 world": (_open_to("::/0"), "network.db_security_group"),
    "db group open on another port": (_open_to("0.0.0.0/0", 22), "network.db_security_group"),
    "db group missing": (_set(("db_security_group",), None), "network.db_security_group"),
    "nat gateway deleted": (_set(("nat_gateways",), []), "network.nat_gateway"),
    "nat gateway pending": (lambda f: f["nat_gateways"][0].update(State="pending"), "network.nat_gateway"),
    "nat gateway in another subnet": (
        lambda f: f["nat_gateways"][0].update(SubnetId="subnet-2"),
        "network.nat_gateway",
    ),
    "nat gateway with another address": (
        lambda f: f["nat_gateways"][0].update(NatGatewayAddresses=[{"AllocationId": "eipalloc-9"}]),
        "network.nat_gateway",
    ),
    "deletion protection off": (_set(("cluster", "DeletionProtection"), True), "cluster.deletion_protection"),
    "stack tag removed": (_drop_tag("environment"), "cluster.tags"),
    "stack tag changed": (
        lambda f: f["cluster"]["TagList"].__setitem__(0, {"Key": "environment", "Value": "prod"}),
        "cluster.tags",
    ),
    "secret policy removed": (_set(("secret_policy",), None), "secret.resource_policy"),
    "secret policy allows": (
        _set(("secret_policy",), json.dumps({"Statement": [{**POLICY["Statement"][0], "Effect": "Allow"}]})),
        "secret.resource_policy",
    ),
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


def _secret_checks(facts, **overrides):
    expected = {**EXPECTED["secret"], **overrides}
    return {c["name"]: c for c in verify.evaluate(facts, NAMES, "secret", expected)}


def test_rotation_switched_off_by_the_inventory_wants_it_off():
    # auroradb_secret_rotation_enabled: false - attach.yml cancels the rotation; verify must expect exactly that
    facts = good_facts()
    on = _secret_checks(facts, secret_rotation_enabled=False)["secret.rotation"]
    assert not on["passed"] and on["expected"] == "rotation disabled", on
    facts["secret"]["RotationEnabled"] = False
    off = _secret_checks(facts, secret_rotation_enabled=False)["secret.rotation"]
    assert off["passed"] and off["found"].startswith("rotation disabled"), off
    assert not _secret_checks(facts)["secret.rotation"]["passed"]  # and on when the inventory wants it on


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


def test_a_private_or_configured_range_is_not_public():
    facts = copy.deepcopy(good_facts())
    for cidr in ("10.0.0.0/16", "192.168.1.0/24", "100.64.0.0/10", "fd00::/8"):
        _open_to(cidr)(facts)
    assert failed(facts) == []
    _open_to("198.51.100.0/24")(facts)
    assert failed(facts) == ["network.db_security_group"]
    assert failed(facts, {"db_allowed_cidrs": ["198.51.100.0/24"]}) == []


def test_deletion_protection_follows_the_caller():
    facts = good_facts()
    facts["cluster"]["DeletionProtection"] = True
    assert failed(facts, {"deletion_protection": True}) == []
    found = {c["name"]: c["found"] for c in evaluate_all(good_facts(), {"deletion_protection": True})}
    assert found["cluster.deletion_protection"] == "deletion protection off"


def test_missing_cluster_and_secret_are_one_check_each():
    facts = good_facts()
    facts["cluster"], facts["instances"], facts["secret"], facts["secret_value"] = None, [], None, None
    # secret.mode is the cluster's MasterUserSecret: without a cluster, who owns the password is unknown
    assert failed(facts) == ["secret.mode", "secret.exists", "cluster.exists"]


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
        ("network", {"network.db_security_group", "network.nat_gateway"}),
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
    assert "unknown scope" in verify.expected_problems("vpc", {})[0]


def test_every_expected_value_belongs_to_exactly_one_scope():
    assert len(verify.EXPECTED_OPTIONS) == len(set(verify.EXPECTED_OPTIONS))
    assert set(verify.SCOPE_EXPECTED) == set(verify.SCOPE_NAMES) == set(verify.SCOPE_READS) == set(verify.SCOPE_CHECKS)


# --- gather: through the service layer, against botocore's Stubber (the ``aws`` fixture) --------------------------

PASSWORD = "s3cr3t-Pa55w0rd"
VERSION = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
SECRET_VALUE = {**good_facts()["secret_value"], "password": PASSWORD}


def stub_stack(aws, scope, facts, secret_string=None):
    """Clients for ``scope`` whose Stubbers answer, in the order ``gather`` asks, what ``facts`` describe (a fact
    ``None`` is answered as "not found"); every queued answer must be consumed, any other call fails."""
    clients, stubs = {}, {}
    for service in verify.services(scope):
        clients[service], stubs[service] = aws(service)
    reads = verify.SCOPE_READS[scope]
    if "network" in reads:
        ec2 = stubs["ec2"]
        vpc_name = NAMES["vpc"]
        ec2.add_response(
            "describe_vpcs",
            {"Vpcs": [facts["vpc"]] if facts["vpc"] else []},
            {"Filters": [{"Name": "tag:Name", "Values": [vpc_name]}]},
        )
        if facts["vpc"]:
            in_vpc = {"Name": "vpc-id", "Values": [VPC_ID]}
            ec2.add_response(
                "describe_addresses",
                {"Addresses": [facts["nat_eip"]] if facts["nat_eip"] else []},
                {
                    "Filters": [
                        {"Name": "tag:Name", "Values": [f"{vpc_name}/NatEIP"]},
                        {"Name": "domain", "Values": ["vpc"]},
                    ]
                },
            )
            ec2.add_response(
                "describe_security_groups",
                {"SecurityGroups": [facts["db_security_group"]] if facts["db_security_group"] else []},
                {"Filters": [in_vpc, {"Name": "group-name", "Values": [NAMES["db_security_group"]]}]},
            )
            ec2.add_response(
                "describe_subnets",
                {"Subnets": [facts["nat_subnet"]] if facts["nat_subnet"] else []},
                {"Filters": [in_vpc, {"Name": "tag:Name", "Values": [f"{vpc_name}/PublicSubnet1"]}]},
            )
            ec2.add_response(
                "describe_nat_gateways",
                {"NatGateways": facts["nat_gateways"]},
                {"Filters": [in_vpc, {"Name": "state", "Values": ["pending", "available"]}]},
            )
    if "kms" in reads:
        kms = stubs["kms"]
        kms.add_response("list_aliases", {"Aliases": [facts["kms_alias"]] if facts["kms_alias"] else []}, {})
        if facts["kms_alias"]:
            key = {"KeyId": KEY_ID}
            if facts["kms_key"]:
                kms.add_response("describe_key", {"KeyMetadata": facts["kms_key"]}, key)
                kms.add_response("get_key_rotation_status", {"KeyRotationEnabled": facts["kms_rotation"]}, key)
            else:
                kms.add_client_error("describe_key", "NotFoundException", http_status_code=400, expected_params=key)
    if "cluster" in reads:
        rds, cluster = stubs["rds"], facts["cluster"]
        if cluster:
            rds.add_response("describe_db_clusters", {"DBClusters": [cluster]}, {"DBClusterIdentifier": CID})
        else:
            rds.add_client_error("describe_db_clusters", "DBClusterNotFoundFault", http_status_code=404)
        if "members" in reads and cluster:
            ids = [m["DBInstanceIdentifier"] for m in cluster["DBClusterMembers"]]
            rds.add_response(
                "describe_db_instances",
                {"DBInstances": facts["instances"]},
                {"Filters": [{"Name": "db-instance-id", "Values": ids}]},
            )
            parameters = [
                {"ParameterName": k, **({"ParameterValue": v} if v is not None else {})}
                for k, v in facts["cluster_parameters"].items()
            ]
            rds.add_response(
                "describe_db_cluster_parameters",
                {"Parameters": parameters},
                {"DBClusterParameterGroupName": NAMES["parameter_group"]},  # every parameter, not only Source user
            )
    if "alarms" in reads:
        stubs["cloudwatch"].add_response(
            "describe_alarms",
            {"MetricAlarms": list(facts["alarms"].values())},
            {"AlarmNames": [NAMES["cpu_alarm"], NAMES["storage_alarm"]]},
        )
    if "secret" in reads:
        sm, secret = stubs["secretsmanager"], facts["secret"]
        if not secret:
            sm.add_client_error("describe_secret", "ResourceNotFoundException", http_status_code=400)
        else:
            sm.add_response("describe_secret", secret, {"SecretId": NAMES["secret"]})
            if secret_string is not None:
                sm.add_response(
                    "get_secret_value",
                    {"ARN": secret["ARN"], "SecretString": secret_string},
                    {"SecretId": secret["ARN"], "VersionStage": "AWSCURRENT"},
                )
            if not secret.get("DeletedDate"):
                policy = {"ResourcePolicy": facts["secret_policy"]} if facts.get("secret_policy") else {}
                sm.add_response("get_resource_policy", {"ARN": secret["ARN"], **policy}, {"SecretId": secret["ARN"]})
    return clients, stubs


def deployed_facts():
    """``good_facts()`` as the APIs answer them (the secret describes its AWSCURRENT version)."""
    facts = good_facts()
    facts["secret"]["VersionIdsToStages"] = {VERSION: ["AWSCURRENT"]}
    return facts


@pytest.mark.parametrize("scope", sorted(EXPECTED))
def test_gather_reads_a_deployed_stack_and_every_check_passes(aws, scope):
    facts, hidden = deployed_facts(), []
    clients, _stubs = stub_stack(aws, scope, facts, secret_string=json.dumps(SECRET_VALUE))
    gathered = verify.gather(clients, NAMES, scope, hidden.append)
    assert gathered == {key: facts[key] for key in gathered}
    assert [c["name"] for c in verify.evaluate(gathered, NAMES, scope, EXPECTED[scope]) if not c["passed"]] == []
    assert hidden == ([PASSWORD] if scope == "secret" else [])


@pytest.mark.parametrize(
    "scope, services",
    [
        ("network", ["ec2"]),
        ("kms", ["kms"]),
        ("aurora", ["kms", "rds"]),
        ("monitoring", ["cloudwatch"]),
        ("secret", ["kms", "rds", "secretsmanager"]),
    ],
)
def test_each_scope_reads_only_what_it_needs_and_a_missing_stack_is_no_error(aws, scope, services):
    assert verify.services(scope) == services
    missing = {"vpc": None, "kms_alias": None, "kms_key": None, "cluster": None, "alarms": {}, "secret": None}
    clients, _stubs = stub_stack(aws, scope, missing)  # a call to anything else fails: KeyError or the Stubber
    facts = verify.gather(clients, NAMES, scope, pytest.fail)
    # a missing stack is one failed check per resource, not an error
    assert all(not c["passed"] for c in verify.evaluate(facts, NAMES, scope, EXPECTED[scope]))


def test_an_alias_without_its_key_reads_no_rotation(aws):
    facts = {**good_facts(), "kms_key": None}
    clients, _stubs = stub_stack(aws, "kms", facts)
    gathered = verify.gather(clients, NAMES, "kms", pytest.fail)
    assert gathered == {"kms_alias": facts["kms_alias"], "kms_key": None, "kms_rotation": None}
    found = {c["name"]: c["found"] for c in verify.evaluate(gathered, NAMES, "kms", EXPECTED["kms"])}
    assert found["kms.stack_key"] == f"alias {NAMES['kms_alias']} points at missing key {KEY_ID}"


def test_the_password_is_hidden_and_never_kept_in_the_facts_or_the_checks(aws):
    hidden = []
    clients, _stubs = stub_stack(aws, "secret", deployed_facts(), secret_string=json.dumps(SECRET_VALUE))
    facts = verify.gather(clients, NAMES, "secret", hidden.append)
    checks = verify.evaluate(facts, NAMES, "secret", EXPECTED["secret"])
    assert hidden == [PASSWORD]
    assert "password" not in facts["secret_value"] and facts["secret_value"]["username"] == "dbadmin"
    assert PASSWORD not in repr(facts) and PASSWORD not in repr(checks)
    assert PASSWORD not in repr([verify.line(c) for c in checks])


@pytest.mark.parametrize(
    "change, secret_string",
    [
        ({}, "not json"),  # read, but not a JSON object
        ({"DeletedDate": datetime.datetime(2026, 1, 1)}, None),  # pending deletion: AWS refuses the read, none made
        ({"VersionIdsToStages": {VERSION: ["AWSPREVIOUS"]}}, None),  # no current version: nothing to read
    ],
)
def test_an_unreadable_secret_value_fails_the_connection_check_not_the_module(aws, change, secret_string):
    facts = deployed_facts()
    facts["secret"].update(change)
    clients, _stubs = stub_stack(aws, "secret", facts, secret_string=secret_string)
    gathered = verify.gather(clients, NAMES, "secret", lambda password: None)
    assert gathered["secret_value"] is None
    results = {c["name"]: c for c in verify.evaluate(gathered, NAMES, "secret", EXPECTED["secret"])}
    assert results["secret.connection"]["found"] == "no readable JSON value"
    assert not results["secret.connection"]["passed"]


@pytest.mark.parametrize(
    "scope, service, operation",
    [
        ("kms", "kms", "list_aliases"),
        ("aurora", "rds", "describe_db_clusters"),
        ("monitoring", "cloudwatch", "describe_alarms"),
        ("secret", "secretsmanager", "describe_secret"),
    ],
)
def test_other_aws_errors_are_raised_once_as_ansible_aws_errors(aws, scope, service, operation):
    clients, stubs = {}, {}
    for name in verify.services(scope):
        clients[name], stubs[name] = aws(name)
    if scope in ("aurora", "secret"):  # what is read before the failing call: nothing found
        stubs["kms"].add_response("list_aliases", {"Aliases": []})
    if scope == "secret":
        stubs["rds"].add_client_error("describe_db_clusters", "DBClusterNotFoundFault", http_status_code=404)
    stubs[service].add_client_error(operation, "Throttling", http_status_code=400)  # retried
    stubs[service].add_client_error(operation, "AccessDeniedException", "not allowed", http_status_code=403)
    with pytest.raises(AnsibleAWSError) as e:
        verify.gather(clients, NAMES, scope, pytest.fail)
    assert str(e.value).startswith("Failed to ") and e.value.exception is not None


def test_lines_say_pass_or_fail_with_expected_and_found():
    facts = good_facts()
    facts["cluster"]["BackupRetentionPeriod"] = 3
    lines = {c["name"]: verify.line(c) for c in evaluate_all(facts)}
    assert lines["cluster.backup_retention"] == "FAIL  cluster.backup_retention: expected 7 days, found 3 days"
    assert lines["cluster.backup_window"] == "PASS  cluster.backup_window  03:00-04:00"
    summary = verify.summary(evaluate_all(facts))
    assert summary["failed"] == 1 and summary["failed_checks"] == ["cluster.backup_retention"]


@pytest.mark.parametrize(
    ("running", "passes"),
    [("15.7", True), ("15.8", True), ("15.10", True), ("15.6", False), ("16.1", False), ("14.9", False)],
)
def test_the_engine_version_is_a_floor_within_its_major(running, passes):
    """AWS upgrades minor versions by itself (auto minor version upgrade): a later 15.x still passes a 15.7 floor."""
    facts = good_facts()
    _set(("cluster", "EngineVersion"), running)(facts)
    assert ("cluster.engine" not in failed(facts)) is passes


# auroradb_secret_mode: rds_managed - RDS owns the master password in a secret of its own (MasterUserSecret).
MANAGED_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-1234-AbCdEf"


def managed_facts():
    facts = good_facts()
    facts["cluster"]["MasterUserSecret"] = {"SecretArn": MANAGED_ARN, "SecretStatus": "active", "KmsKeyId": KEY_ARN}
    facts["managed_secret"] = {
        "ARN": MANAGED_ARN,
        "KmsKeyId": KEY_ARN,
        "RotationEnabled": True,
        "RotationRules": {"AutomaticallyAfterDays": 30},
    }
    facts["managed_secret_value"] = {"username": "dbadmin"}
    facts["secret"], facts["secret_value"], facts["secret_policy"] = None, None, None
    return facts


def test_managed_secret_passes_every_check():
    checks = _secret_checks(managed_facts(), secret_mode="rds_managed")
    assert [name for name, c in checks.items() if not c["passed"]] == []
    assert set(checks) == {
        "secret.mode",
        "secret.exists",
        "secret.encrypted_with_stack_key",
        "secret.rotation",
        "secret.username",
        "secret.no_unmanaged_copy",
    }


@pytest.mark.parametrize(
    "break_it, check_name",
    [
        (lambda f: f["cluster"].pop("MasterUserSecret"), "secret.mode"),
        (lambda f: f["managed_secret"].update(KmsKeyId=None), "secret.encrypted_with_stack_key"),
        (lambda f: f["managed_secret"].update(RotationRules={"AutomaticallyAfterDays": 7}), "secret.rotation"),
        (lambda f: f["managed_secret"].update(RotationEnabled=False), "secret.rotation"),
        (lambda f: f.update(managed_secret_value={"username": "postgres"}), "secret.username"),
        # moved from rotation_function: our own secret must be gone once RDS manages the password
        (lambda f: f.update(secret=good_facts()["secret"]), "secret.no_unmanaged_copy"),
    ],
)
def test_each_broken_managed_secret_fails_its_check(break_it, check_name):
    facts = managed_facts()
    break_it(facts)
    checks = _secret_checks(facts, secret_mode="rds_managed")
    assert [name for name, c in checks.items() if not c["passed"]] == [check_name]


def test_a_managed_secret_is_a_wrong_mode_for_the_rotation_function():
    facts = good_facts()
    facts["cluster"]["MasterUserSecret"] = {"SecretArn": MANAGED_ARN, "SecretStatus": "active"}
    checks = _secret_checks(facts)
    assert [name for name, c in checks.items() if not c["passed"]] == ["secret.mode"]
    assert MANAGED_ARN in checks["secret.mode"]["found"]


def test_a_pending_deletion_copy_is_not_a_leftover():
    facts = managed_facts()
    facts["secret"] = {**good_facts()["secret"], "DeletedDate": datetime.datetime(2026, 12, 1)}
    assert _secret_checks(facts, secret_mode="rds_managed")["secret.no_unmanaged_copy"]["passed"]
