# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the pre-flight validation rules (pure computation, no AWS)."""

import os
import tempfile

import pytest

from ansible_collections.payments.auroradb.plugins.module_utils import validation

# The design contract's defaults: every rule must accept them.
# A CA bundle as the rotation function needs one (any PEM certificate block will do for validation).
CA_BUNDLE = os.path.join(tempfile.mkdtemp(prefix="validation-ca-"), "ca.pem")
with open(CA_BUNDLE, "w") as _handle:
    _handle.write("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
NOT_PEM = os.path.join(os.path.dirname(CA_BUNDLE), "not-a-bundle.txt")
with open(NOT_PEM, "w") as _handle:
    _handle.write("just text\n")

GOOD = {
    "env_suffix": "dev",
    "region": "us-east-1",
    "vpc_cidr": "10.0.0.0/16",
    "availability_zones": ["us-east-1a", "us-east-1b", "us-east-1c"],
    "public_subnet_cidrs": ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"],
    "private_subnet_cidrs": ["10.0.3.0/24", "10.0.4.0/24", "10.0.5.0/24"],
    "db_allowed_cidrs": [],
    "db_allowed_security_groups": [],
    "db_port": 5432,
    "engine_version": "15.7",
    "instance_class": "db.t3.medium",
    "reader_count": 2,
    "backup_retention_days": 7,
    "backup_window": "03:00-04:00",
    "maintenance_window": "sun:05:00-sun:06:00",
    "performance_insights_retention_days": 7,
    "kms_pending_window_days": 7,
    "lock_expiry_minutes": 120,
    "secret_recovery_window_days": 0,
    "secret_username": "dbadmin",
    "rotation_days": 30,
    "rotation_ca_bundle": CA_BUNDLE,
    "cpu_threshold": 80,
    "free_local_storage_threshold_bytes": 10737418240,
    "tags": {},
    "db_allow_public_cidrs": False,
    "aurora_port": 5432,
    "parameters": {"log_min_duration_statement": 500},
    "log_exports": ["postgresql"],
    "rotation_log_retention_days": 90,
    "rotation_runtime": "python3.12",
    "secret_description": "Master credentials for Aurora PostgreSQL cluster",
    "secret_connection": {"engine": "postgres", "host": "", "port": ""},
    "rotation_wait_seconds": 300,
    "period_seconds": 300,
    "evaluation_periods": 2,
    "alarm_actions": [],
    "ok_actions": [],
    "endpoint_url": "http://127.0.0.1:4566",
    "state": "present",
    "protected": False,
    "confirm_destroy": "",
    "notifications": True,
    "log_retention_days": 365,
    "flow_log_retention_days": 30,
    "pgaudit_log": ["ddl", "role"],
    "key_administrators": ["arn:aws:iam::123456789012:role/PlatformAdmin"],
    "key_users": ["arn:aws:iam::123456789012:role/Deployer", "arn:aws:iam::123456789012:user/ci"],
    "extended_alarms": False,
    "freeable_memory_threshold_percent": 10,
    "connections_threshold_percent": 80,
    "replica_lag_threshold_ms": 2000,
    "deadlocks_threshold": 0,
    "monitoring_interval": 60,
    "topic_subscriptions": [
        {"protocol": "email", "endpoint": "payments-oncall@example.com"},
        {"protocol": "https", "endpoint": "https://events.example.com/hooks/payments"},
        {"protocol": "sqs", "endpoint": "arn:aws:sqs:us-east-1:123456789012:payments-alerts"},
    ],
    "secret_mode": "rotation_function",
    "rotation_enabled": True,
    "snapshot_name": "",
    "snapshot_keep": -1,
    "failover_target": "",
    "failover_probe_interval": 0.2,
    "failover_timeout": 900,
    # restore.yml's settings (its role's defaults name no source: restore.yml refuses that, see below)
    "restore_source": "prod",
    "restore_time": "latest",
    "restore_snapshot": "",
    "restore_type": "full-copy",
}


def problems_with(**overrides):
    return validation.validate(dict(GOOD, **overrides))


def test_contract_defaults_have_no_problems():
    assert validation.validate(GOOD) == []


@pytest.mark.parametrize(
    ("value", "why"),
    [("", "must be the path"), ("/nonexistent/ca.pem", "cannot be read"), (NOT_PEM, "holds no PEM certificate")],
)
def test_rotation_ca_bundle_must_be_a_pem_file(value, why):
    problems = problems_with(rotation_ca_bundle=value)
    assert len(problems) == 1 and problems[0].startswith("auroradb_secret_rotation_ca_bundle: " + why)
    assert "truststore.pki.rds.amazonaws.com" in problems[0]


def test_every_option_maps_to_a_contract_variable():
    assert set(GOOD) == set(validation.VARIABLES)
    for variable in validation.VARIABLES.values():
        assert variable.startswith("auroradb_")


@pytest.mark.parametrize(
    "overrides",
    [
        {"env_suffix": "stage-2"},
        {"env_suffix": "a"},
        {"env_suffix": "prod0eu"},
        {"region": "eu-central-1", "availability_zones": ["eu-central-1a", "eu-central-1b", "eu-central-1c"]},
        {"region": "us-gov-west-1", "availability_zones": ["us-gov-west-1a", "us-gov-west-1b", "us-gov-west-1c"]},
        {
            "vpc_cidr": "172.16.0.0/21",
            "public_subnet_cidrs": ["172.16.0.0/24", "172.16.1.0/24", "172.16.2.0/24"],
            "private_subnet_cidrs": ["172.16.4.0/24", "172.16.5.0/24", "172.16.6.0/28"],
        },
        {"db_allowed_cidrs": ["10.20.0.0/16", "192.168.1.10/32"]},
        {"db_allowed_security_groups": ["sg-0123abcd", "sg-0123456789abcdef0"]},
        {"db_port": 1150, "aurora_port": 1150},
        {"db_port": 65535, "aurora_port": 65535},
        {"engine_version": "15.10"},
        {"instance_class": "db.serverless"},
        {"instance_class": "db.r6g.2xlarge"},
        {"instance_class": "db.t4g.medium"},
        {"instance_class": "db.r6gd.xlarge"},
        {"reader_count": 0},
        {"reader_count": 15},
        {"backup_retention_days": 1},
        {"backup_retention_days": 35},
        {"performance_insights_retention_days": 31},
        {"performance_insights_retention_days": 713},
        {"performance_insights_retention_days": 731},
        {"kms_pending_window_days": 30},
        {"lock_expiry_minutes": 10},
        {"lock_expiry_minutes": 1440},
        {"secret_recovery_window_days": 7},
        {"secret_recovery_window_days": 30},
        {"secret_username": "app_admin1"},
        {"rotation_days": 1},
        {"rotation_days": 1000},
        {"cpu_threshold": 1},
        {"cpu_threshold": 99.5},
        {"free_local_storage_threshold_bytes": 1},
        {"tags": {"cost-center": "1234", "owner": "team@example.com", "note": "a b:c/d=e+f", "équipe": "paiements"}},
        {"tags": {"key": ""}},
        {"backup_window": "23:30-00:30", "maintenance_window": "wed:02:00-wed:03:00"},
        {"backup_window": "03:00-04:00", "maintenance_window": "sun:04:00-sun:05:00"},
        {"backup_window": "03:00-03:30", "maintenance_window": "sun:02:30-sun:03:00"},
    ],
)
def test_good_variants_have_no_problems(overrides):
    assert problems_with(**overrides) == []


@pytest.mark.parametrize(
    "overrides, variable, fragment",
    [
        ({"env_suffix": "1dev"}, "auroradb_env_suffix", "must start with a lowercase letter (got '1dev')"),
        ({"env_suffix": "Dev"}, "auroradb_env_suffix", "only lowercase letters, digits and hyphens"),
        ({"env_suffix": "dev_1"}, "auroradb_env_suffix", "only lowercase letters, digits and hyphens"),
        ({"env_suffix": "dev--1"}, "auroradb_env_suffix", "two consecutive hyphens"),
        ({"env_suffix": "dev-"}, "auroradb_env_suffix", "must not end with a hyphen"),
        ({"env_suffix": ""}, "auroradb_env_suffix", "must not be empty"),
        ({"region": "us_east_1"}, "auroradb_aws_region", "AWS region name"),
        ({"region": "US-EAST-1"}, "auroradb_aws_region", "AWS region name"),
        ({"vpc_cidr": "10.0.0.0/8"}, "auroradb_network_vpc_cidr", "/16 to /21"),
        ({"vpc_cidr": "10.0.0.0/24"}, "auroradb_network_vpc_cidr", "/16 to /21"),
        ({"vpc_cidr": "10.0.0.1/16"}, "auroradb_network_vpc_cidr", "did you mean '10.0.0.0/16'"),
        ({"vpc_cidr": "10.0.0.0"}, "auroradb_network_vpc_cidr", "prefix length"),
        ({"vpc_cidr": "300.0.0.0/16"}, "auroradb_network_vpc_cidr", "valid IPv4 CIDR"),
        ({"vpc_cidr": "169.254.0.0/16"}, "auroradb_network_vpc_cidr", "link-local"),
        (
            {"availability_zones": ["us-east-1a", "us-east-1b"]},
            "auroradb_network_availability_zones",
            "exactly 3 availability zones",
        ),
        (
            {"availability_zones": ["us-east-1a", "us-east-1a", "us-east-1c"]},
            "auroradb_network_availability_zones",
            "distinct",
        ),
        (
            {"availability_zones": ["us-east-1a", "us-east-1b", "us-west-2c"]},
            "auroradb_network_availability_zones",
            "zone 'us-west-2c' is not in region 'us-east-1'",
        ),
        (
            {"availability_zones": ["use1-az1", "us-east-1b", "us-east-1c"]},
            "auroradb_network_availability_zones",
            "zone name like 'us-east-1a'",
        ),
        (
            {"public_subnet_cidrs": ["10.0.0.0/24", "10.0.1.0/24"]},
            "auroradb_network_public_subnet_cidrs",
            "exactly 3 CIDRs",
        ),
        (
            {"private_subnet_cidrs": ["10.0.3.0/24", "10.0.4.0/24", "10.1.5.0/24"]},
            "auroradb_network_private_subnet_cidrs",
            "10.1.5.0/24 is not inside auroradb_network_vpc_cidr 10.0.0.0/16",
        ),
        (
            {"private_subnet_cidrs": ["10.0.3.0/24", "10.0.4.0/24", "10.0.2.128/25"]},
            "auroradb_network_private_subnet_cidrs",
            "10.0.2.128/25 overlaps 10.0.2.0/24 in auroradb_network_public_subnet_cidrs",
        ),
        (
            {"public_subnet_cidrs": ["10.0.0.0/24", "10.0.0.0/24", "10.0.2.0/24"]},
            "auroradb_network_public_subnet_cidrs",
            "10.0.0.0/24 overlaps 10.0.0.0/24",
        ),
        (
            {"public_subnet_cidrs": ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/29"]},
            "auroradb_network_public_subnet_cidrs",
            "/16 to /28",
        ),
        (
            {"public_subnet_cidrs": ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.1/24"]},
            "auroradb_network_public_subnet_cidrs",
            "host bits zero",
        ),
        ({"db_allowed_cidrs": ["0.0.0.0/0"]}, "auroradb_network_db_allowed_cidrs", "whole internet"),
        ({"db_allowed_cidrs": ["10.0.0.0/33"]}, "auroradb_network_db_allowed_cidrs", "valid IPv4 CIDR"),
        ({"db_allowed_cidrs": ["::/0"]}, "auroradb_network_db_allowed_cidrs", "valid IPv4 CIDR"),
        (
            {"db_allowed_security_groups": ["sg-12345"]},
            "auroradb_network_db_allowed_security_groups",
            "security group ID",
        ),
        (
            {"db_allowed_security_groups": ["sg-0123456789ABCDEF0"]},
            "auroradb_network_db_allowed_security_groups",
            "lowercase hex",
        ),
        ({"db_port": 1149}, "auroradb_network_db_port", "1150 to 65535"),
        ({"db_port": 65536}, "auroradb_network_db_port", "1150 to 65535"),
        ({"engine_version": "16.2"}, "auroradb_aurora_engine_version", "aurora-postgresql15"),
        ({"engine_version": "14.9"}, "auroradb_aurora_engine_version", "major version 14 is not supported"),
        ({"engine_version": "15"}, "auroradb_aurora_engine_version", "like '15.7'"),
        ({"engine_version": "latest"}, "auroradb_aurora_engine_version", "like '15.7'"),
        ({"instance_class": "db.t2.micro"}, "auroradb_aurora_instance_class", "db.t2 family"),
        ({"instance_class": "db.m1.small"}, "auroradb_aurora_instance_class", "db.m1 family"),
        ({"instance_class": "db.m3.large"}, "auroradb_aurora_instance_class", "previous generation"),
        ({"instance_class": "db.t3.small"}, "auroradb_aurora_instance_class", "start at medium"),
        ({"instance_class": "t3.medium"}, "auroradb_aurora_instance_class", "DB instance class like"),
        ({"instance_class": "db.r6g.huge"}, "auroradb_aurora_instance_class", "DB instance class like"),
        ({"reader_count": 16}, "auroradb_aurora_reader_count", "0 to 15"),
        ({"reader_count": -1}, "auroradb_aurora_reader_count", "0 to 15"),
        ({"backup_retention_days": 0}, "auroradb_aurora_backup_retention_days", "1 to 35"),
        ({"backup_retention_days": 36}, "auroradb_aurora_backup_retention_days", "1 to 35"),
        ({"backup_retention_days": True}, "auroradb_aurora_backup_retention_days", "integer"),
        ({"backup_retention_days": "7"}, "auroradb_aurora_backup_retention_days", "integer"),
        ({"backup_window": "3:00-4:00"}, "auroradb_aurora_backup_window", "HH:MM-HH:MM"),
        ({"backup_window": "24:00-01:00"}, "auroradb_aurora_backup_window", "valid times"),
        ({"backup_window": "03:60-04:30"}, "auroradb_aurora_backup_window", "valid times"),
        ({"backup_window": "03:00-03:29"}, "auroradb_aurora_backup_window", "at least 30 minutes long, not 29"),
        ({"backup_window": "03:00-03:00"}, "auroradb_aurora_backup_window", "at least 30 minutes long, not 0"),
        ({"maintenance_window": "sun:05:00-sun:05:20"}, "auroradb_aurora_maintenance_window", "at least 30"),
        ({"maintenance_window": "Sun:05:00-Sun:06:00"}, "auroradb_aurora_maintenance_window", "lowercase days"),
        ({"maintenance_window": "sun:05:00-06:00"}, "auroradb_aurora_maintenance_window", "ddd:HH:MM-ddd:HH:MM"),
        ({"maintenance_window": "sun:25:00-sun:26:00"}, "auroradb_aurora_maintenance_window", "valid times"),
        (
            {"backup_window": "05:30-06:30"},
            "auroradb_aurora_backup_window",
            "must not overlap auroradb_aurora_maintenance_window",
        ),
        (
            {"performance_insights_retention_days": 30},
            "auroradb_aurora_performance_insights_retention_days",
            "multiple of 31",
        ),
        (
            {"performance_insights_retention_days": 744},
            "auroradb_aurora_performance_insights_retention_days",
            "or 731",
        ),
        ({"kms_pending_window_days": 6}, "auroradb_kms_pending_window_days", "7 to 30"),
        ({"kms_pending_window_days": 31}, "auroradb_kms_pending_window_days", "7 to 30"),
        ({"lock_expiry_minutes": 9}, "auroradb_lock_expiry_minutes", "10 to 1440"),
        ({"lock_expiry_minutes": 1441}, "auroradb_lock_expiry_minutes", "10 to 1440"),
        ({"secret_recovery_window_days": 3}, "auroradb_secret_recovery_window_days", "0 (delete without recovery)"),
        ({"secret_recovery_window_days": 31}, "auroradb_secret_recovery_window_days", "7 to 30"),
        ({"secret_username": "rdsadmin"}, "auroradb_secret_username", "reserved by RDS or PostgreSQL"),
        ({"secret_username": "postgres"}, "auroradb_secret_username", "well-known default superuser"),
        ({"secret_username": "pg_admin"}, "auroradb_secret_username", "reserved"),
        ({"secret_username": "user"}, "auroradb_secret_username", "reserved key word"),
        ({"secret_username": "1admin"}, "auroradb_secret_username", "must start with a lowercase letter"),
        ({"secret_username": "db-admin"}, "auroradb_secret_username", "underscores"),
        ({"secret_username": "DbAdmin"}, "auroradb_secret_username", "lowercase"),
        ({"secret_username": "a" * 17}, "auroradb_secret_username", "1 to 16 characters"),
        ({"secret_username": ""}, "auroradb_secret_username", "1 to 16 characters"),
        ({"rotation_days": 0}, "auroradb_secret_rotation_days", "1 to 1000"),
        ({"rotation_days": 1001}, "auroradb_secret_rotation_days", "1 to 1000"),
        ({"cpu_threshold": 0}, "auroradb_monitoring_cpu_threshold", "1 to 100"),
        ({"cpu_threshold": 100.5}, "auroradb_monitoring_cpu_threshold", "1 to 100"),
        (
            {"free_local_storage_threshold_bytes": 0},
            "auroradb_monitoring_free_local_storage_threshold_bytes",
            "greater than 0",
        ),
        (
            {"free_local_storage_threshold_bytes": -5},
            "auroradb_monitoring_free_local_storage_threshold_bytes",
            "greater than 0",
        ),
        ({"tags": {"aws:owner": "x"}}, "auroradb_tags", "must not start with 'aws:'"),
        ({"tags": {"AWS:owner": "x"}}, "auroradb_tags", "must not start with 'aws:'"),
        ({"tags": {"k" * 129: "x"}}, "auroradb_tags", "1 to 128 characters"),
        ({"tags": {"owner": "v" * 257}}, "auroradb_tags", "at most 256 characters"),
        ({"tags": {"cost": 1234}}, "auroradb_tags", "must be a string"),
        ({"tags": {"owner": "a#b"}}, "auroradb_tags", "may contain only letters"),
        ({"tags": {"": "x"}}, "auroradb_tags", "1 to 128 characters"),
        ({"tags": {f"t{n}": "x" for n in range(48)}}, "auroradb_tags", "at most 47 extra tags"),
        ({"tags": ["owner=me"]}, "auroradb_tags", "dictionary"),
    ],
)
def test_bad_input_names_variable_and_rule(overrides, variable, fragment):
    problems = problems_with(**overrides)
    matching = [p for p in problems if p.startswith(variable + ":") and fragment in p]
    assert matching, f"no problem for {variable} containing {fragment!r} in {problems}"


def test_zero_zero_zero_zero_says_why():
    (problem,) = validation.check_db_allowed_cidrs(["10.1.0.0/16", "0.0.0.0/0"])
    assert problem.startswith("auroradb_network_db_allowed_cidrs: ")
    assert "payments database" in problem and "whole internet" in problem


def test_all_problems_are_reported_together():
    problems = problems_with(
        env_suffix="1dev",
        vpc_cidr="10.0.0.0/8",
        db_allowed_cidrs=["0.0.0.0/0"],
        instance_class="db.t2.micro",
        backup_retention_days=0,
        secret_username="rdsadmin",
        tags={"aws:x": "y"},
    )
    for variable in (
        "auroradb_env_suffix",
        "auroradb_network_vpc_cidr",
        "auroradb_network_db_allowed_cidrs",
        "auroradb_aurora_instance_class",
        "auroradb_aurora_backup_retention_days",
        "auroradb_secret_username",
        "auroradb_tags",
    ):
        assert any(p.startswith(variable + ":") for p in problems), variable


def test_only_given_settings_are_checked():
    assert validation.validate({"env_suffix": "dev"}) == []
    assert validation.validate({"env_suffix": "dev", "vpc_cidr": None, "tags": None}) == []
    assert validation.validate({}) == []
    # Subnets without a VPC CIDR: counted and checked for overlaps, no containment check.
    assert validation.validate({"public_subnet_cidrs": ["192.168.0.0/24", "192.168.1.0/24", "192.168.2.0/24"]}) == []


def test_unknown_setting_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown settings: vpc"):
        validation.validate({"vpc": "10.0.0.0/16"})


def test_each_suffix_rule_is_reported_separately():
    problems = validation.check_env_suffix("1A--")
    assert len(problems) == 4  # start, characters, double hyphen, trailing hyphen


# --- environment suffix length -------------------------------------------------------------------------------


def test_suffix_of_exactly_max_length_is_accepted():
    suffix = "a" * 36
    assert validation.check_env_suffix(suffix, 2) == []
    assert problems_with(env_suffix=suffix) == []


def test_suffix_one_over_max_length_is_refused_with_the_reason():
    suffix = "a" * 37
    (problem,) = validation.check_env_suffix(suffix, 2)
    assert problem.startswith("auroradb_env_suffix: must be at most 36 characters")
    assert "'payment-db-cluster-<sfx>-reader2'" in problem
    assert "63 characters" in problem and "got 37 characters" in problem


def test_suffix_limit_follows_reader_count():
    suffix = "a" * 36
    assert problems_with(env_suffix=suffix, reader_count=9) == []
    problems = problems_with(env_suffix=suffix, reader_count=10)
    assert problems == [problems[0]] and "at most 35 characters" in problems[0] and "reader10" in problems[0]


# --- names and tags --------------------------------------------------------------------------------------------


def test_overriding_a_collection_tag_does_not_count_twice():
    tags = {f"t{n}": "x" for n in range(47)}
    assert validation.check_tags(tags) == []
    assert validation.check_tags(dict(tags, environment="dev")) == []
    assert validation.check_tags(dict(tags, t47="x")) != []


# --- windows ------------------------------------------------------------------------------------------------


def test_window_parsing():
    assert validation.parse_backup_window("03:00-04:00") == (180, 60)
    assert validation.parse_backup_window("23:30-00:30") == (1410, 60)
    assert validation.parse_maintenance_window("mon:00:00-mon:00:30") == (0, 30)
    assert validation.parse_maintenance_window("sun:23:30-mon:00:30") == (6 * 1440 + 1410, 60)
    assert validation.parse_maintenance_window("fri:22:00-sat:02:00") == (4 * 1440 + 1320, 240)
    assert validation.parse_maintenance_window("xyz:00:00-mon:00:30") is None


def test_backup_window_crossing_midnight_is_valid():
    assert validation.check_backup_window("23:45-00:15") == []
    assert validation.check_backup_window("23:45-00:14") != []


def test_maintenance_window_crossing_midnight_and_week_end_is_valid():
    assert validation.check_maintenance_window("sat:23:30-sun:00:30") == []
    assert validation.check_maintenance_window("sun:23:30-mon:00:30") == []


@pytest.mark.parametrize(
    "backup, maintenance, day",
    [
        ("03:00-04:00", "sun:03:30-sun:04:30", "sun"),  # plain overlap
        ("03:00-04:00", "tue:02:00-tue:03:01", "tue"),  # one minute is enough
        ("23:30-00:30", "sun:00:00-sun:00:45", "sat"),  # backup crosses midnight into sunday
        ("00:00-00:30", "sun:23:45-mon:00:15", "mon"),  # maintenance crosses the week boundary
        ("23:00-01:00", "sun:23:30-mon:00:30", "sun"),  # both cross midnight
        ("00:00-23:59", "wed:12:00-wed:12:30", "wed"),  # almost all-day backup
    ],
)
def test_overlapping_windows_are_refused(backup, maintenance, day):
    (problem,) = validation.check_windows_overlap(backup, maintenance)
    assert problem.startswith("auroradb_aurora_backup_window: must not overlap auroradb_aurora_maintenance_window")
    assert f"backup starting on {day}" in problem


@pytest.mark.parametrize(
    "backup, maintenance",
    [
        ("03:00-04:00", "sun:04:00-sun:05:00"),  # touching after
        ("03:00-04:00", "sun:02:00-sun:03:00"),  # touching before
        ("23:30-00:30", "sun:00:30-sun:01:00"),  # backup crosses midnight, maintenance right after
        ("00:30-01:00", "sun:23:30-mon:00:30"),  # maintenance crosses the week boundary, backup right after
    ],
)
def test_windows_that_do_not_overlap(backup, maintenance):
    assert validation.check_windows_overlap(backup, maintenance) == []


def test_daily_backup_is_checked_against_every_day_of_a_long_maintenance_window():
    (problem,) = validation.check_windows_overlap("10:00-11:00", "mon:02:00-fri:09:00")
    assert "backup starting on mon, tue, wed, thu" in problem


def test_overlap_is_not_checked_for_invalid_windows():
    assert validation.check_windows_overlap("bad", "sun:03:00-sun:04:00") == []
    assert validation.check_windows_overlap("03:00-04:00", "bad") == []


def test_no_problem_contains_the_separator_of_the_module_message():
    """validate_inputs joins the problems with '; ', so a problem must not contain it."""
    problems = problems_with(
        env_suffix="1A--" + "x" * 40,
        vpc_cidr="127.0.0.0/8",
        availability_zones=["us-east-1a", "us-east-1a"],
        public_subnet_cidrs=["10.0.0.1/24", "bad"],
        private_subnet_cidrs=["10.0.0.0/24", "10.9.0.0/29"],
        db_allowed_cidrs=["0.0.0.0/0"],
        db_allowed_security_groups=["sg-x"],
        db_port=1,
        engine_version="16.1",
        instance_class="db.t2.micro",
        reader_count=99,
        backup_retention_days=0,
        backup_window="05:30-05:40",
        maintenance_window="sun:05:00-sun:05:10",
        performance_insights_retention_days=8,
        kms_pending_window_days=1,
        secret_recovery_window_days=1,
        secret_username="postgres",
        rotation_days=0,
        cpu_threshold=101,
        free_local_storage_threshold_bytes=0,
        tags={"aws:x": 1, "ok": "a#b", "y" * 129: "z" * 257},
    )
    assert len(problems) >= 25
    assert not [p for p in problems if "; " in p]
    assert problems_with(backup_window="23:00-00:30", maintenance_window="sun:00:00-sun:00:30")
    assert not [p for p in validation.check_windows_overlap("05:30-06:30", "sun:05:00-sun:06:00") if "; " in p]


# -- Issue 15 item 6: every variable any role reads ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "variable", "words"),
    [
        ({"flow_log_retention_days": 31}, "auroradb_monitoring_flow_log_retention_days", ("30", "3653")),
        ({"pgaudit_log": ["ddl", "writes"]}, "auroradb_aurora_pgaudit_log", ("writes", "misc_set")),
        ({"pgaudit_log": []}, "auroradb_aurora_pgaudit_log", ("non-empty",)),
        ({"key_users": ["Deployer"]}, "auroradb_kms_key_users", ("Deployer", "role/Name")),
        ({"connections_threshold_percent": 100}, "auroradb_monitoring_connections_threshold_percent", ("always",)),
        ({"freeable_memory_threshold_percent": 0}, "auroradb_monitoring_freeable_memory_threshold_percent", ("0",)),
        ({"replica_lag_threshold_ms": -1}, "auroradb_monitoring_replica_lag_threshold_ms", ("above 0",)),
        ({"deadlocks_threshold": "x"}, "auroradb_monitoring_deadlocks_threshold", ("0 or more",)),
        (
            {"extended_alarms": True, "instance_class": "db.x2g.large"},
            "auroradb_monitoring_extended_alarms",
            ("db.x2g.large", "not known"),
        ),
        ({"key_administrators": "arn:aws:iam::123456789012:role/A"}, "auroradb_kms_key_administrators", ("list",)),
        ({"rotation_log_retention_days": 13}, "auroradb_secret_rotation_log_retention_days", ("14", "3653")),
        ({"rotation_log_retention_days": "90"}, "auroradb_secret_rotation_log_retention_days", ()),
        ({"aurora_port": 6000}, "auroradb_aurora_port", ("auroradb_network_db_port (5432)",)),
        ({"db_allowed_cidrs": ["128.0.0.0/1"]}, "auroradb_network_db_allowed_cidrs", ("RFC 1918",)),
        (
            {
                "alarm_actions": ["arn:aws:sns:us-east-1:123456789012:payments-alerts"],
                "region": "eu-west-1",
                "availability_zones": ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
            },
            "auroradb_monitoring_alarm_actions",
            ("eu-west-1",),
        ),
        ({"db_allowed_cidrs": ["8.8.8.0/24"]}, "auroradb_network_db_allowed_cidrs", ("auroradb_network_db_allow",)),
        ({"db_allowed_cidrs": ["0.0.0.0/0"], "db_allow_public_cidrs": True}, "auroradb_network_db_allowed_cidrs", ()),
        ({"parameters": {"rds.force_ssl": 0}}, "auroradb_aurora_parameters", ("TLS",)),
        ({"parameters": {"rds.force_ssl": "off"}}, "auroradb_aurora_parameters", ("TLS",)),
        ({"parameters": {"bad name": 1}}, "auroradb_aurora_parameters", ()),
        ({"parameters": {"work_mem": [1]}}, "auroradb_aurora_parameters", ()),
        ({"parameters": "rds.force_ssl=0"}, "auroradb_aurora_parameters", ()),
        ({"log_exports": ["audit"]}, "auroradb_aurora_log_exports", ("postgresql",)),
        ({"log_exports": ["postgresql", "postgresql"]}, "auroradb_aurora_log_exports", ()),
        ({"rotation_runtime": "python2.7"}, "auroradb_secret_rotation_runtime", ()),
        ({"rotation_runtime": "nodejs20.x"}, "auroradb_secret_rotation_runtime", ()),
        ({"secret_description": "d" * 2049}, "auroradb_secret_description", ("2048",)),
        ({"secret_connection": {"password": "x"}}, "auroradb_secret_connection", ("password",)),
        ({"secret_connection": "host=x"}, "auroradb_secret_connection", ()),
        ({"rotation_wait_seconds": 0}, "auroradb_secret_rotation_wait_seconds", ()),
        ({"period_seconds": 45}, "auroradb_monitoring_period_seconds", ("multiple of 60",)),
        ({"evaluation_periods": 0}, "auroradb_monitoring_evaluation_periods", ()),
        ({"evaluation_periods": 300}, "auroradb_monitoring_evaluation_periods", ("86400",)),
        ({"alarm_actions": ["not-an-arn"]}, "auroradb_monitoring_alarm_actions", ("arn:aws:sns",)),
        ({"alarm_actions": "arn:aws:sns:us-east-1:123456789012:x"}, "auroradb_monitoring_alarm_actions", ("list",)),
        ({"ok_actions": ["arn:aws:sns:eu-west-1:123456789012:x"]}, "auroradb_monitoring_ok_actions", ("us-east-1",)),
        ({"ok_actions": ["arn:aws:sqs:us-east-1:123456789012:x"]}, "auroradb_monitoring_ok_actions", ()),
        ({"endpoint_url": "ftp://127.0.0.1"}, "auroradb_aws_endpoint_url", ()),
    ],
)
def test_new_rules_name_the_variable(overrides, variable, words):
    problems = problems_with(**overrides)
    assert len(problems) == 1, problems
    assert problems[0].startswith(variable + ": ") and all(word in problems[0] for word in words), problems


@pytest.mark.parametrize(
    "overrides",
    [
        {"db_allowed_cidrs": ["10.1.0.0/16", "172.16.5.0/24", "192.168.0.0/16", "100.64.0.0/10"]},
        {"db_allowed_cidrs": ["8.8.8.0/24"], "db_allow_public_cidrs": True},
        {"parameters": {"rds.force_ssl": 1}},
        {"parameters": {"rds.force_ssl": "1"}},
        {"log_exports": []},
        {"period_seconds": 10, "evaluation_periods": 8640},
        {"period_seconds": 60},
        {"alarm_actions": ["arn:aws:lambda:us-east-1:123456789012:function:notify"]},
        {"alarm_actions": ["arn:aws-us-gov:sns:us-gov-west-1:123456789012:x"], "region": None},
        {"endpoint_url": ""},
        {"aurora_port": 6000, "db_port": 6000},
        {"rotation_log_retention_days": 3653},
    ],
)
def test_new_rules_accept_good_values(overrides):
    settings = dict(GOOD, **overrides)
    if overrides.get("region", "") is None:
        del settings["region"], settings["availability_zones"]
    assert validation.validate(settings) == []


SPECS = [
    {
        "argument_specs": {
            "main": {
                "options": {"auroradb_aurora_reader_count": {"type": "int", "description": "x", "required": True}}
            },
            "verify": {"options": {"auroradb_aurora_state": {"type": "str", "choices": ["present", "absent"]}}},
        }
    },
    {"argument_specs": {"main": {"options": {"auroradb_secret_key": {"type": "str", "no_log": True}}}}},
    None,
]


def test_declared_variables_keep_only_types_and_choices():
    assert validation.declared_variables(SPECS) == {
        "auroradb_aurora_reader_count": {"type": "int"},
        "auroradb_aurora_state": {"type": "str", "choices": ["present", "absent"]},
        "auroradb_secret_key": {"type": "str", "no_log": True},
    }


def test_misspelled_variable_names_the_closest_valid_one():
    known = list(validation.declared_variables(SPECS)) + ["auroradb_plan"]
    problems = validation.check_variable_names(["auroradb_aurora_readrs", "auroradb_plan", "auroradb_zzz"], known)
    assert len(problems) == 2
    assert problems[0].startswith("auroradb_aurora_readrs: ") and "auroradb_aurora_reader_count" in problems[0]
    assert problems[1].startswith("auroradb_zzz: ") and "did you mean" not in problems[1]
    assert validation.check_variable_names(known, known) == []


@pytest.mark.parametrize(
    ("state", "protected", "confirm", "refused"),
    [
        ("absent", True, "", True),
        ("absent", True, "prod", True),  # another environment's name
        ("absent", True, "DEV", True),
        ("absent", True, "dev", False),
        ("absent", False, "", False),
        ("present", True, "", False),  # deploying a protected environment needs no confirmation
    ],
)
def test_a_protected_teardown_needs_the_suffix_typed(state, protected, confirm, refused):
    problems = problems_with(env_suffix="dev", state=state, protected=protected, confirm_destroy=confirm)
    if not refused:
        assert problems == []
        return
    assert len(problems) == 1
    assert problems[0].startswith("auroradb_confirm_destroy: environment 'dev' is protected")
    assert "-e auroradb_confirm_destroy=dev" in problems[0] and f"(got {confirm!r})" in problems[0]
    assert "Nothing was called or deleted" in problems[0]


@pytest.mark.parametrize(
    ("subscriptions", "fragment"),
    [
        ("oncall@example.com", "must be a list"),
        ([{"protocol": "http", "endpoint": "http://hooks.example.com/x"}], "http is refused"),
        (
            [{"protocol": "email", "endpoint": "not-an-address"}],
            "email subscription must be an e-mail address",
        ),
        ([{"protocol": "https", "endpoint": "ftp://x"}], "must be an https:// URL"),
        ([{"protocol": "sqs", "endpoint": "payments-alerts"}], "must be an SQS queue ARN"),
        ([{"protocol": "pigeon", "endpoint": "roof"}], "protocol must be one of"),
        ([{"endpoint": "oncall@example.com"}], "each subscription must be {protocol, endpoint}"),
    ],
)
def test_topic_subscriptions_are_refused_with_the_rule(subscriptions, fragment):
    problems = problems_with(topic_subscriptions=subscriptions)
    assert len(problems) == 1 and problems[0].startswith("auroradb_monitoring_topic_subscriptions: "), problems
    assert fragment in problems[0]


@pytest.mark.parametrize("days", [0, 364, "365", 4000, None])
def test_log_retention_must_be_a_cloudwatch_period(days):
    problems = validation.check_log_retention_days(days)
    assert len(problems) == 1 and problems[0].startswith("auroradb_aurora_log_retention_days: must be one of")
    assert validation.check_log_retention_days(365) == [] and validation.check_log_retention_days(30) == []


@pytest.mark.parametrize("seconds", [2, -1, "60", 120, None])
def test_monitoring_interval_is_one_rds_takes(seconds):
    problems = validation.check_monitoring_interval(seconds)
    assert len(problems) == 1 and problems[0].startswith("auroradb_aurora_monitoring_interval: must be one of 0, 1, 5")


@pytest.mark.parametrize("mode", ["rotation_function", "rds_managed"])
def test_both_secret_modes_are_accepted(mode):
    assert problems_with(secret_mode=mode) == []
    # our function's rotation may be off; RDS always rotates the secret it manages
    off = problems_with(secret_mode=mode, rotation_enabled=False)
    assert off == [] if mode == "rotation_function" else len(off) == 1


def test_secret_mode_problems_name_the_variable():
    (unknown,) = problems_with(secret_mode="lambda")
    assert unknown.startswith("auroradb_secret_mode: must be one of rotation_function, rds_managed")
    (off,) = problems_with(secret_mode="rds_managed", rotation_enabled=False)
    assert off.startswith("auroradb_secret_mode: rds_managed needs auroradb_secret_rotation_enabled: true")


TEN_GIB = 10 * 1024**3


@pytest.mark.parametrize(
    ("instance_class", "extended", "threshold", "refused"),
    [
        # AWS's table: db.t3.medium has 7.5 GiB of local storage, so FreeLocalStorage < 10 GiB always holds
        ("db.t3.medium", True, TEN_GIB, True),
        ("db.t4g.medium", True, TEN_GIB, True),
        ("db.t3.medium", True, 2 * 1024**3, False),
        ("db.r6g.large", True, TEN_GIB, False),  # 32 GiB
        ("db.r6g.large", True, 32 * 1024**3, True),
        # the reference's own alarm (db.t3.medium, 10 GiB) stays deployable without the production alarms
        ("db.t3.medium", False, TEN_GIB, False),
        ("db.r7g.large", True, TEN_GIB, False),  # not in AWS's table: not checked
    ],
)
def test_free_local_storage_threshold_is_checked_against_the_class(instance_class, extended, threshold, refused):
    problems = problems_with(
        instance_class=instance_class, extended_alarms=extended, free_local_storage_threshold_bytes=threshold
    )
    if refused:
        (problem,) = problems
        assert problem.startswith("auroradb_monitoring_free_local_storage_threshold_bytes: must be below the local")
        assert instance_class in problem and "always fires" in problem
    else:
        assert problems == []


def test_a_threshold_of_zero_never_fires():
    (problem,) = problems_with(free_local_storage_threshold_bytes=0)
    assert "never fires" in problem


@pytest.mark.parametrize("name", ["payment-db-manual-dev-1", "a", "Before-upgrade-15-8"])
def test_snapshot_names_aws_accepts(name):
    assert problems_with(snapshot_name=name) == []


@pytest.mark.parametrize("name", ["1-starts-with-a-digit", "double--hyphen", "ends-", "under_score", "x" * 256])
def test_snapshot_names_aws_refuses(name):
    (problem,) = problems_with(snapshot_name=name)
    assert problem.startswith("auroradb_snapshot_name: must be a DB cluster snapshot identifier")


@pytest.mark.parametrize(("keep", "refused"), [(0, False), (3, False), (-1, False), (-2, True), ("3", True)])
def test_snapshot_keep(keep, refused):
    assert bool(problems_with(snapshot_keep=keep)) is refused


@pytest.mark.parametrize("target", ["", "payment-db-cluster-dev-reader1", "a", "x" * 63])
def test_failover_targets_that_look_like_instances(target):
    assert problems_with(failover_target=target) == []


@pytest.mark.parametrize("target", ["1-reader", "double--hyphen", "reader-", "under_score", "x" * 64, "a b"])
def test_failover_targets_that_cannot_be_instances(target):
    (problem,) = problems_with(failover_target=target)
    assert problem.startswith("auroradb_failover_target: must be empty (RDS chooses) or a DB instance identifier")


@pytest.mark.parametrize(
    ("setting", "value", "refused"),
    [
        ("failover_probe_interval", 0.05, False),
        ("failover_probe_interval", 1, False),
        ("failover_probe_interval", 0, True),
        ("failover_probe_interval", 11, True),
        ("failover_timeout", 60, False),
        ("failover_timeout", 59, True),
        ("failover_timeout", 3601, True),
        ("failover_timeout", 1.5, True),
    ],
)
def test_failover_probe_interval_and_timeout(setting, value, refused):
    assert bool(problems_with(**{setting: value})) is refused


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"restore_time": "2026-12-03T07:45:00Z"}, []),
        ({"restore_time": "", "restore_snapshot": "payment-db-manual-prod-20261203074500"}, []),
        ({"restore_time": "", "restore_snapshot": "rds:payment-db-cluster-prod-2026-12-03-03-00"}, []),
        ({"restore_type": "copy-on-write"}, []),
        ({"restore_source": ""}, ["auroradb_restore_source: must name the environment"]),
        ({"restore_source": "dev"}, ["auroradb_restore_source: must be another environment than env_suffix"]),
        ({"restore_source": "9prod"}, ["auroradb_restore_source: must start with a lowercase letter"]),
        ({"restore_time": "yesterday"}, ["auroradb_restore_time: 'yesterday' is not a UTC time in ISO 8601 form"]),
        ({"restore_time": "2026-12-03T08:45:00+01:00"}, ["auroradb_restore_time: "]),
        ({"restore_time": ""}, ["auroradb_restore_time: give exactly one of a restore time"]),
        ({"restore_snapshot": "s1"}, ["auroradb_restore_time: give exactly one of a restore time"]),
        ({"restore_time": "", "restore_snapshot": "1-bad--"}, ["auroradb_restore_snapshot: must be a DB cluster"]),
        (
            {"restore_time": "2026-12-03T07:45:00Z", "restore_type": "copy-on-write"},
            ["auroradb_restore_type: a copy-on-write clone is of the latest restorable time"],
        ),
        ({"restore_type": "sideways"}, ["auroradb_restore_type: restore type 'sideways' is not one of"]),
    ],
)
def test_restore_settings(overrides, expected):
    found = problems_with(**overrides)
    assert len(found) == len(expected), found
    assert all(problem.startswith(start) for problem, start in zip(found, expected, strict=True)), found
