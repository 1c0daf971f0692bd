# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the resource names, tags, export names and the stack plan (pure computation, no AWS)."""

import pytest

from ansible_collections.payments.auroradb.plugins.module_utils import names, validation


def test_max_suffix_length_comes_from_the_longest_instance_identifier():
    length, template, limit, what = names.max_env_suffix_length(2)
    assert (length, template, limit, what) == (36, "payment-db-cluster-<sfx>-reader2", 63, "DB instance identifier")
    assert names.max_env_suffix_length(0)[:2] == (37, "payment-db-cluster-<sfx>-writer")
    assert names.max_env_suffix_length(15)[:2] == (35, "payment-db-cluster-<sfx>-reader15")


@pytest.mark.parametrize("reader_count", [0, 2, 15])
def test_every_name_at_max_suffix_fits_its_limit(reader_count):
    suffix = "a" * names.max_env_suffix_length(reader_count)[0]
    derived = names.derive_names(suffix, reader_count)
    limits = {key: limit for key, _template, limit, _what in names.NAME_TEMPLATES}
    for key, limit in limits.items():
        assert len(derived[key]) <= limit, key
    for instance in [derived["writer_instance"]] + derived["reader_instances"]:
        assert len(instance) <= 63
    assert max(len(i) for i in [derived["writer_instance"]] + derived["reader_instances"]) == 63


def test_derived_names_follow_the_contract():
    derived = names.derive_names("dev", 2)
    assert derived == {
        "vpc": "payment-db-vpc-dev",
        "cluster": "payment-db-cluster-dev",
        "writer_instance": "payment-db-cluster-dev-writer",
        "reader_instances": ["payment-db-cluster-dev-reader1", "payment-db-cluster-dev-reader2"],
        "secret": "payment-db-credentials-dev",
        "cpu_alarm": "payment-db-cpu-alarm-dev",
        "storage_alarm": "payment-db-storage-alarm-dev",
        "kms_alias": "alias/payment-db-dev",
        "subnet_group": "payment-db-subnets-dev",
        "db_security_group": "payment-db-sg-dev",
        "rotation_security_group": "payment-db-rotation-sg-dev",
        "rotation_function": "payment-db-rotation-dev",
        "rotation_role": "payment-db-rotation-dev",
        "endpoint_security_group": "payment-db-endpoints-sg-dev",
        "rotation_log_group": "/aws/lambda/payment-db-rotation-dev",
        "parameter_group": "payment-db-params-dev",
        "lock_parameter": "/payments-auroradb/dev/lock",
        "final_snapshot_prefix": "payment-db-final-dev",
        "monitoring_role": "payment-db-monitoring-dev",
        "alerts_topic": "payment-db-alerts-dev",
        "replica_lag_alarm": "payment-db-replica-lag-alarm-dev",
        "deadlocks_alarm": "payment-db-deadlocks-alarm-dev",
        "dashboard": "payment-db-dev",
        "flow_log_group": "/aws/vpc/payment-db-flow-logs-dev",
        "flow_log_role": "payment-db-flow-logs-dev",
        "cluster_events": "payment-db-cluster-events-dev",
        "instance_events": "payment-db-instance-events-dev",
        "parameter_group_events": "payment-db-parameter-group-events-dev",
        "security_group_events": "payment-db-security-group-events-dev",
    }
    assert names.derive_names("dev", 0)["reader_instances"] == []
    assert len(names.derive_names("dev", 5)["reader_instances"]) == 5


def test_resource_tags_put_extra_tags_on_top():
    assert names.resource_tags("dev") == {
        "environment": "dev",
        "project": "payments-auroradb",
        "managed-by": "ansible",
    }
    assert names.resource_tags("dev", {"owner": "payments", "project": "other"}) == {
        "environment": "dev",
        "project": "other",
        "managed-by": "ansible",
        "owner": "payments",
    }


def test_validation_still_offers_the_names_it_checks_against():
    assert validation.derive_names is names.derive_names
    assert validation.NAME_TEMPLATES is names.NAME_TEMPLATES


def test_export_names_follow_the_reference():
    assert names.export_names("dev") == {
        "ClusterEndpoint": "payment-db-cluster-endpoint-dev",
        "ClusterReaderEndpoint": "payment-db-reader-endpoint-dev",
        "SecretArn": "payment-db-secret-arn-dev",
    }


def test_availability_zones_default_to_the_regions_a_b_c():
    assert names.availability_zones("eu-west-1") == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert names.availability_zones("eu-west-1", []) == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert names.availability_zones("eu-west-1", ["eu-west-1c", "eu-west-1a"]) == ["eu-west-1c", "eu-west-1a"]


def test_instances_put_the_writer_first_and_spread_the_readers():
    zones = ["z-a", "z-b", "z-c"]
    got = names.instances("dev", zones, 3)
    assert [(i["id"], i["role"], i["availability_zone"], i["promotion_tier"]) for i in got] == [
        ("payment-db-cluster-dev-writer", "writer", "z-a", 0),
        ("payment-db-cluster-dev-reader1", "reader", "z-b", 2),
        ("payment-db-cluster-dev-reader2", "reader", "z-c", 2),
        ("payment-db-cluster-dev-reader3", "reader", "z-b", 2),
    ]
    assert [i["availability_zone"] for i in names.instances("dev", ["z-a"], 2)] == ["z-a", "z-a", "z-a"]
    assert len(names.instances("dev", zones, 0)) == 1


def test_plan_has_only_the_parts_the_settings_answer():
    assert names.build_plan({}) == {}
    plan = names.build_plan({"env_suffix": "dev", "region": "us-east-1", "endpoint_url": "http://127.0.0.1:1"})
    assert plan["names"]["cluster"] == "payment-db-cluster-dev"
    assert plan["tags"]["environment"] == "dev"
    assert plan["exports"]["SecretArn"] == "payment-db-secret-arn-dev"
    assert plan["connection"] == {"region": "us-east-1", "endpoint_url": "http://127.0.0.1:1"}
    assert plan["availability_zones"] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert "instances" not in plan and "db_port" not in plan
    assert names.build_plan({"db_port": 5433}) == {"db_port": 5433}


def test_plan_instances_follow_reader_count_and_zones():
    plan = names.build_plan(
        {"env_suffix": "dev", "reader_count": 1, "availability_zones": ["eu-west-1b", "eu-west-1c", "eu-west-1a"]}
    )
    assert plan["instances"] == [
        {
            "id": "payment-db-cluster-dev-writer",
            "role": "writer",
            "availability_zone": "eu-west-1b",
            "promotion_tier": 0,
        },
        {
            "id": "payment-db-cluster-dev-reader1",
            "role": "reader",
            "availability_zone": "eu-west-1c",
            "promotion_tier": 2,
        },
    ]
    assert plan["names"]["reader_instances"] == ["payment-db-cluster-dev-reader1"]


@pytest.mark.parametrize(
    ("caller", "principal"),
    [
        ("arn:aws:sts::123456789012:assumed-role/Deployer/ci-42", "arn:aws:iam::123456789012:role/Deployer"),
        ("arn:aws-us-gov:sts::123456789012:assumed-role/D/s", "arn:aws-us-gov:iam::123456789012:role/D"),
        ("arn:aws:iam::123456789012:user/ci", "arn:aws:iam::123456789012:user/ci"),
        ("arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:root"),
    ],
)
def test_principal_arn_of_a_caller(caller, principal):
    assert names.principal_arn(caller) == principal
