# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pre-flight validation of the payments.auroradb settings.

Pure computation: no AWS call, no Ansible import. Every ``check_*`` function returns a list of problem
strings (empty when the value is fine). Each problem names the inventory variable and the rule, e.g.
``auroradb_env_suffix: must start with a lowercase letter (got '1dev')``.

``validate(settings)`` runs every check for the settings given (keys are the option names of the
``payments.auroradb.validate_inputs`` module, see ``VARIABLES``; a missing or ``None`` value is not checked).
Resource names, tags and the stack plan are computed in ``names.py``.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import unicodedata

from ansible_collections.payments.auroradb.plugins.module_utils import restore as restore_plan

# Names, tags and the plan live in names.py; imported here for the checks, and NAME_TEMPLATES and derive_names
# for callers that still import them from this module.
from ansible_collections.payments.auroradb.plugins.module_utils.names import (  # noqa: F401 pylint: disable=unused-import
    MAX_READER_COUNT,
    NAME_TEMPLATES,
    derive_names,
    max_env_suffix_length,
    resource_tags,
)

# Module option name -> inventory variable named in the messages (docs/design-contract.md).
VARIABLES = {
    "env_suffix": "auroradb_env_suffix",
    "region": "auroradb_aws_region",
    "vpc_cidr": "auroradb_network_vpc_cidr",
    "availability_zones": "auroradb_network_availability_zones",
    "public_subnet_cidrs": "auroradb_network_public_subnet_cidrs",
    "private_subnet_cidrs": "auroradb_network_private_subnet_cidrs",
    "db_allowed_cidrs": "auroradb_network_db_allowed_cidrs",
    "db_allowed_security_groups": "auroradb_network_db_allowed_security_groups",
    "db_port": "auroradb_network_db_port",
    "engine_version": "auroradb_aurora_engine_version",
    "instance_class": "auroradb_aurora_instance_class",
    "reader_count": "auroradb_aurora_reader_count",
    "backup_retention_days": "auroradb_aurora_backup_retention_days",
    "backup_window": "auroradb_aurora_backup_window",
    "maintenance_window": "auroradb_aurora_maintenance_window",
    "performance_insights_retention_days": "auroradb_aurora_performance_insights_retention_days",
    "kms_pending_window_days": "auroradb_kms_pending_window_days",
    "lock_expiry_minutes": "auroradb_lock_expiry_minutes",
    "secret_recovery_window_days": "auroradb_secret_recovery_window_days",
    "secret_username": "auroradb_secret_username",
    "rotation_days": "auroradb_secret_rotation_days",
    "rotation_ca_bundle": "auroradb_secret_rotation_ca_bundle",
    "cpu_threshold": "auroradb_monitoring_cpu_threshold",
    "free_local_storage_threshold_bytes": "auroradb_monitoring_free_local_storage_threshold_bytes",
    "tags": "auroradb_tags",
    "db_allow_public_cidrs": "auroradb_network_db_allow_public_cidrs",
    "aurora_port": "auroradb_aurora_port",
    "parameters": "auroradb_aurora_parameters",
    "log_exports": "auroradb_aurora_log_exports",
    "rotation_log_retention_days": "auroradb_secret_rotation_log_retention_days",
    "rotation_runtime": "auroradb_secret_rotation_runtime",
    "secret_description": "auroradb_secret_description",
    "secret_connection": "auroradb_secret_connection",
    "rotation_wait_seconds": "auroradb_secret_rotation_wait_seconds",
    "period_seconds": "auroradb_monitoring_period_seconds",
    "evaluation_periods": "auroradb_monitoring_evaluation_periods",
    "alarm_actions": "auroradb_monitoring_alarm_actions",
    "ok_actions": "auroradb_monitoring_ok_actions",
    "endpoint_url": "auroradb_aws_endpoint_url",
    "state": "auroradb_state",
    "protected": "auroradb_protected",
    "confirm_destroy": "auroradb_confirm_destroy",
    "notifications": "auroradb_monitoring_notifications",
    "log_retention_days": "auroradb_aurora_log_retention_days",
    "flow_log_retention_days": "auroradb_monitoring_flow_log_retention_days",
    "pgaudit_log": "auroradb_aurora_pgaudit_log",
    "key_administrators": "auroradb_kms_key_administrators",
    "key_users": "auroradb_kms_key_users",
    "extended_alarms": "auroradb_monitoring_extended_alarms",
    "freeable_memory_threshold_percent": "auroradb_monitoring_freeable_memory_threshold_percent",
    "connections_threshold_percent": "auroradb_monitoring_connections_threshold_percent",
    "replica_lag_threshold_ms": "auroradb_monitoring_replica_lag_threshold_ms",
    "deadlocks_threshold": "auroradb_monitoring_deadlocks_threshold",
    "monitoring_interval": "auroradb_aurora_monitoring_interval",
    "topic_subscriptions": "auroradb_monitoring_topic_subscriptions",
    "secret_mode": "auroradb_secret_mode",
    "rotation_enabled": "auroradb_secret_rotation_enabled",
    "snapshot_name": "auroradb_snapshot_name",
    "snapshot_keep": "auroradb_snapshot_keep",
    "failover_target": "auroradb_failover_target",
    "failover_probe_interval": "auroradb_failover_probe_interval",
    "failover_timeout": "auroradb_failover_timeout",
    "restore_source": "auroradb_restore_source",
    "restore_time": "auroradb_restore_time",
    "restore_snapshot": "auroradb_restore_snapshot",
    "restore_type": "auroradb_restore_type",
}

# Options that only give context to the checks of others (the opt-in for public CIDRs is checked with them).
CONTEXT_OPTIONS = ("db_allow_public_cidrs", "rotation_enabled", "restore_time", "restore_snapshot", "restore_type")
# auroradb_secret_mode: who owns the master password.
SECRET_MODES = ("rotation_function", "rds_managed")

# Private address space a payments database may be reached from: RFC 1918 and RFC 6598 (carrier-grade NAT).
PRIVATE_NETWORKS = tuple(
    ipaddress.IPv4Network(cidr) for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)
# RetentionInDays values CloudWatch Logs accepts (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
# The TLS parameter the payments profile always sets to 1 (the aurora role adds it to every parameter group).
FORCE_SSL = "rds.force_ssl"
PARAMETER_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_.]*$")
# Log types Aurora PostgreSQL can export to CloudWatch Logs.
EXPORTABLE_LOG_TYPES = ("postgresql", "iam-db-auth-error")
# Lambda Python runtimes the rotation function (pg8000, type hints) runs on.
RUNTIME_RE = re.compile(r"^python3\.(9|1[0-9])$")
MAX_SECRET_DESCRIPTION = 2048
# Keys the secret role writes itself; the connection details must not carry them.
SECRET_OWN_KEYS = ("username", "password")
# CloudWatch alarm periods: 10, 30 or a multiple of 60 seconds; period x evaluation periods at most one day.
ALARM_SHORT_PERIODS = (10, 30)
MAX_ALARM_EVALUATION_SECONDS = 86400
PARTITION_RE = r"aws(-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f|-eusc)?"
# Alarm actions: SNS topics; also the EC2 and Auto Scaling actions CloudWatch accepts, and Lambda functions.
ALARM_ACTION_ARN_RES = (
    re.compile(rf"^arn:{PARTITION_RE}:sns:(?P<region>[a-z0-9-]+):\d{{12}}:[A-Za-z0-9_-]{{1,256}}(\.fifo)?$"),
    re.compile(
        rf"^arn:{PARTITION_RE}:lambda:(?P<region>[a-z0-9-]+):\d{{12}}:function:[A-Za-z0-9_-]{{1,64}}(:[A-Za-z0-9$_-]+)?$"
    ),
    re.compile(rf"^arn:{PARTITION_RE}:ssm:(?P<region>[a-z0-9-]+):\d{{12}}:opsitem:[A-Za-z0-9#_-]+$"),
)
ENDPOINT_URL_RE = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?(/.*)?$")

AZ_COUNT = 3
ENGINE_MAJOR = "15"
PARAMETER_GROUP_FAMILY = "aurora-postgresql15"
MAX_TAGS = 50
VPC_PREFIX_RANGE = (16, 21)
SUBNET_PREFIX_RANGE = (16, 28)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
MIN_WINDOW_MINUTES = 30

# Names RDS keeps for itself or that PostgreSQL cannot take as a role name.
RESERVED_USERNAMES = frozenset(("rdsadmin", "rdsrepladmin", "rdstopmgr", "rdsproxyadmin", "public", "none"))
# "postgres" is allowed by AWS (the console's default) but refused here, see check_secret_username().
REFUSED_USERNAMES = frozenset(("postgres",))
RESERVED_USERNAME_PREFIXES = ("pg_", "rds_")
# PostgreSQL 15 fully reserved key words (Appendix C of the PostgreSQL manual).
POSTGRES_RESERVED_WORDS = frozenset(
    """
    all analyse analyze and any array as asc asymmetric both case cast check collate column constraint create
    current_catalog current_date current_role current_time current_timestamp current_user default deferrable desc
    distinct do else end except false fetch for foreign from grant group having in initially intersect into lateral
    leading limit localtime localtimestamp not null offset on only or order placing primary references returning
    select session_user some symmetric system_user table then to trailing true union unique user using variadic when
    where window with
    """.split()
)
MAX_USERNAME_LENGTH = 16  # CreateDBCluster MasterUsername: 1 to 16 characters for Aurora

# Instance families Aurora PostgreSQL never offered (previous generation).
UNSUPPORTED_INSTANCE_FAMILIES = ("t1", "t2", "m1", "m2", "m3")
INSTANCE_CLASS_RE = re.compile(
    r"^db\.(serverless|(?P<family>[a-z][a-z0-9-]*\d[a-z0-9-]*)\.(?P<size>micro|small|medium|large|xlarge|\d+xlarge))$"
)
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
AZ_RE = re.compile(r"^(?P<region>[a-z]{2}(-[a-z]+)+-\d{1,2})[a-z]$")
SECURITY_GROUP_RE = re.compile(r"^sg-([0-9a-f]{8}|[0-9a-f]{17})$")
ENGINE_VERSION_RE = re.compile(r"^(?P<major>\d+)\.(?P<minor>\d+)$")
BACKUP_WINDOW_RE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
MAINTENANCE_WINDOW_RE = re.compile(r"^([a-z]{3}):(\d{2}):(\d{2})-([a-z]{3}):(\d{2}):(\d{2})$")
USERNAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
TAG_PUNCTUATION = set("_.:/=+-@")


def _var(option):
    return VARIABLES[option]


def _problem(option, rule, value=None, show_value=True):
    text = f"{_var(option)}: {rule}"
    if show_value:
        text += f" (got {value!r})"
    return text


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_str_list(value):
    return isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value)


def _int_range(option, value, low, high, why=""):
    """Integer between low and high inclusive."""
    rule = f"must be an integer from {low} to {high}{why}"
    if not _is_int(value) or not low <= value <= high:
        return [_problem(option, rule, value)]
    return []


# ---------------------------------------------------------------------------------------------------------------
# Shared settings
# ---------------------------------------------------------------------------------------------------------------


def check_env_suffix(value, reader_count=None):
    """Lowercase letters, digits and single hyphens, starting with a letter, short enough for every name."""
    option = "env_suffix"
    if not isinstance(value, str):
        return [_problem(option, "must be a string", value)]
    if value == "":
        return [_problem(option, "must not be empty (set it with -e env_suffix=<name>)", value)]
    problems = []
    if not value[0].isascii() or not value[0].islower():
        problems.append(_problem(option, "must start with a lowercase letter", value))
    if re.search(r"[^a-z0-9-]", value):
        problems.append(
            _problem(
                option,
                "may contain only lowercase letters, digits and hyphens (RDS stores identifiers in lowercase, so "
                "uppercase would not match on the next run)",
                value,
            )
        )
    if "--" in value:
        problems.append(_problem(option, "must not contain two consecutive hyphens (RDS identifier rule)", value))
    if value.endswith("-"):
        problems.append(_problem(option, "must not end with a hyphen (RDS identifier rule)", value))
    limit, template, name_limit, what = max_env_suffix_length(reader_count)
    if len(value) > limit:
        problems.append(
            _problem(
                option,
                f"must be at most {limit} characters so that the longest derived name, {what} '{template}', fits "
                f"its AWS limit of {name_limit} characters (got {len(value)} characters: {value!r})",
                show_value=False,
            )
        )
    return problems


def check_region(value):
    option = "region"
    if not isinstance(value, str) or not REGION_RE.match(value):
        return [_problem(option, "must be an AWS region name like 'us-east-1'", value)]
    return []


_TAG_CHARS_RULE = "may contain only letters, digits, spaces and _ . : / = + - @ (the RDS tag rule)"


def check_tags(value):
    """Extra tags: string keys and values, AWS length limits, no reserved prefix, 50 tags in all."""
    option = "tags"
    if not isinstance(value, dict):
        return [_problem(option, "must be a dictionary of tag names to values", value)]
    problems = []
    for key, tag_value in value.items():
        if not isinstance(key, str):
            problems.append(_problem(option, "tag names must be strings", key))
            continue
        if not 1 <= len(key) <= 128:
            problems.append(_problem(option, f"tag name must be 1 to 128 characters, not {len(key)}", key))
        if key.lower().startswith(("aws:", "rds:")):
            problems.append(_problem(option, "tag name must not start with 'aws:' or 'rds:' (reserved by AWS)", key))
        if not _tag_chars_ok(key):
            problems.append(_problem(option, f"tag name {key!r} {_TAG_CHARS_RULE}", key, show_value=False))
        if not isinstance(tag_value, str):
            problems.append(_problem(option, f"value of tag {key!r} must be a string (quote it in YAML)", tag_value))
            continue
        if len(tag_value) > 256:
            problems.append(
                _problem(
                    option,
                    f"value of tag {key!r} must be at most 256 characters, not {len(tag_value)}",
                    show_value=False,
                )
            )
        if tag_value.lower().startswith(("aws:", "rds:")):
            problems.append(
                _problem(option, f"value of tag {key!r} must not start with 'aws:' or 'rds:' (RDS rule)", tag_value)
            )
        if not _tag_chars_ok(tag_value):
            problems.append(_problem(option, f"value of tag {key!r} {_TAG_CHARS_RULE}", tag_value))
    names = set(resource_tags("x", {k: v for k, v in value.items() if isinstance(k, str)}))
    if len(names) > MAX_TAGS:
        extra_room = MAX_TAGS - len(resource_tags("x"))
        problems.append(
            _problem(
                option,
                f"at most {extra_room} extra tags: AWS allows {MAX_TAGS} tags per resource and the collection sets "
                f"environment, project and managed-by (got {len(names)} tags in all)",
                show_value=False,
            )
        )
    return problems


def _tag_chars_ok(text):
    for char in text:
        if char in TAG_PUNCTUATION:
            continue
        if unicodedata.category(char)[0] not in ("L", "N", "Z"):
            return False
    return True


# ---------------------------------------------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------------------------------------------


def _parse_network(option, text, what):
    """(network, problems) for an IPv4 CIDR; host bits must be zero."""
    if not isinstance(text, str):
        return None, [_problem(option, f"{what} must be an IPv4 CIDR string like '10.0.0.0/24'", text)]
    if "/" not in text:
        return None, [_problem(option, f"{what} must be an IPv4 CIDR with a prefix length like '10.0.0.0/24'", text)]
    try:
        loose = ipaddress.IPv4Network(text, strict=False)
    except ValueError:
        return None, [_problem(option, f"{what} must be a valid IPv4 CIDR like '10.0.0.0/24'", text)]
    if str(loose) != text:
        rule = f"{what} must be written as a network address, host bits zero (did you mean '{loose}'?)"
        return None, [_problem(option, rule, text)]
    return loose, []


def check_vpc_cidr(value):
    option = "vpc_cidr"
    network, problems = _parse_network(option, value, "the VPC CIDR")
    if network is None:
        return problems
    low, high = VPC_PREFIX_RANGE
    if not low <= network.prefixlen <= high:
        problems.append(
            _problem(
                option,
                f"prefix length must be /{low} to /{high} (AWS allows /16 to /28, the six subnets need room)",
                value,
            )
        )
    if (
        network.is_loopback
        or network.is_link_local
        or network.is_multicast
        or network.is_reserved
        or (network.subnet_of(ipaddress.IPv4Network("0.0.0.0/8")))
    ):
        problems.append(_problem(option, "must not be a loopback, link-local, multicast or reserved range", value))
    return problems


def check_subnet_cidrs(public, private, vpc_cidr=None, az_count=AZ_COUNT):
    """Public and private subnet CIDRs: valid, inside the VPC, one per AZ each, no overlaps among all of them."""
    problems = []
    vpc = None
    if isinstance(vpc_cidr, str):
        vpc = _parse_network("vpc_cidr", vpc_cidr, "the VPC CIDR")[0]  # its own problems come from check_vpc_cidr
    parsed = []  # (option, network)
    for option, cidrs in (("public_subnet_cidrs", public), ("private_subnet_cidrs", private)):
        if cidrs is None:
            continue
        if not isinstance(cidrs, (list, tuple)):
            problems.append(_problem(option, "must be a list of IPv4 CIDRs", cidrs))
            continue
        if len(cidrs) != az_count:
            problems.append(
                _problem(
                    option,
                    f"must list exactly {az_count} CIDRs, one per availability zone in "
                    f"{_var('availability_zones')}, not {len(cidrs)}",
                    cidrs,
                )
            )
        for cidr in cidrs:
            network, cidr_problems = _parse_network(option, cidr, "each subnet")
            problems.extend(cidr_problems)
            if network is None:
                continue
            low, high = SUBNET_PREFIX_RANGE
            if not low <= network.prefixlen <= high:
                problems.append(_problem(option, f"subnet prefix length must be /{low} to /{high} (AWS rule)", cidr))
            if vpc is not None and not network.subnet_of(vpc):
                problems.append(_problem(option, f"{cidr} is not inside {_var('vpc_cidr')} {vpc}", show_value=False))
            parsed.append((option, network))
    for index, (option, network) in enumerate(parsed):
        for other_option, other in parsed[:index]:
            if network.overlaps(other):
                where = "" if other_option == option else f" in {_var(other_option)}"
                problems.append(_problem(option, f"{network} overlaps {other}{where}", show_value=False))
    return problems


def check_availability_zones(value, region=None):
    option = "availability_zones"
    if not _is_str_list(value):
        return [_problem(option, f"must be a list of {AZ_COUNT} availability zone names", value)]
    problems = []
    if len(value) != AZ_COUNT:
        problems.append(_problem(option, f"must list exactly {AZ_COUNT} availability zones, not {len(value)}", value))
    duplicates = sorted({zone for zone in value if value.count(zone) > 1})
    if duplicates:
        problems.append(_problem(option, f"must list distinct zones ({', '.join(duplicates)} repeated)", value))
    regions = set()
    for zone in value:
        match = AZ_RE.match(zone)
        if not match:
            problems.append(_problem(option, "each zone must be a zone name like 'us-east-1a'", zone))
            continue
        regions.add(match.group("region"))
        if isinstance(region, str) and REGION_RE.match(region) and match.group("region") != region:
            problems.append(
                _problem(option, f"zone {zone!r} is not in region {region!r} ({_var('region')})", show_value=False)
            )
    if len(regions) > 1 and not (isinstance(region, str) and REGION_RE.match(region)):
        problems.append(_problem(option, "all zones must belong to one region", value))
    return problems


def check_db_allowed_cidrs(value, allow_public=False):
    """Private ranges only (RFC 1918, RFC 6598) unless the opt-in is true; 0.0.0.0/0 never."""
    option = "db_allowed_cidrs"
    if not isinstance(value, (list, tuple)):
        return [_problem(option, "must be a list of IPv4 CIDRs", value)]
    problems = []
    for cidr in value:
        network, cidr_problems = _parse_network(option, cidr, "each entry")
        problems.extend(cidr_problems)
        if network is not None and network.prefixlen == 0:
            problems.append(
                _problem(
                    option,
                    "must not contain 0.0.0.0/0, which would open the payments database port to the whole "
                    "internet (list the application networks instead)",
                    cidr,
                )
            )
        elif network is not None and allow_public is not True and not _is_private(network):
            problems.append(
                _problem(
                    option,
                    f"{cidr} is not a private range: list only RFC 1918 (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16) "
                    f"or RFC 6598 (100.64.0.0/10) networks, or set {_var('db_allow_public_cidrs')}: true to admit "
                    "public ranges on purpose",
                    show_value=False,
                )
            )
    return problems


def _is_private(network):
    return any(network.subnet_of(private) for private in PRIVATE_NETWORKS)


def check_db_allowed_security_groups(value):
    option = "db_allowed_security_groups"
    if not isinstance(value, (list, tuple)):
        return [_problem(option, "must be a list of security group IDs", value)]
    return [
        _problem(option, "each entry must be a security group ID: 'sg-' and 8 or 17 lowercase hex digits", group)
        for group in value
        if not isinstance(group, str) or not SECURITY_GROUP_RE.match(group)
    ]


def check_db_port(value):
    return _int_range("db_port", value, 1150, 65535, " (Aurora PostgreSQL port range)")


def check_aurora_port(value, db_port=None):
    """The cluster's port must be the one the security groups open (the network role's)."""
    option = "aurora_port"
    if not _is_int(value):
        return [_problem(option, "must be an integer port", value)]
    if _is_int(db_port) and not check_db_port(db_port) and value != db_port:
        return [
            _problem(
                option,
                f"must equal {_var('db_port')} ({db_port}), the port the security groups open (set "
                f"{_var('db_port')} to move both, or leave {_var('aurora_port')} unset)",
                value,
            )
        ]
    return []


# ---------------------------------------------------------------------------------------------------------------
# KMS, secret
# ---------------------------------------------------------------------------------------------------------------


def check_kms_pending_window_days(value):
    return _int_range("kms_pending_window_days", value, 7, 30, " (KMS key deletion waiting period)")


def check_lock_expiry_minutes(value):
    # At least as long as a short run; at most a day, so a dead run's lock does not block its environment longer.
    return _int_range("lock_expiry_minutes", value, 10, 1440, " (minutes after which a run lock may be broken)")


def check_secret_recovery_window_days(value):
    option = "secret_recovery_window_days"
    if _is_int(value) and (value == 0 or 7 <= value <= 30):
        return []
    return [_problem(option, "must be 0 (delete without recovery) or an integer from 7 to 30 (Secrets Manager)", value)]


def check_log_retention_days(value, option="log_retention_days"):
    if _is_int(value) and value in LOG_RETENTION_DAYS:
        return []
    allowed = ", ".join(str(days) for days in LOG_RETENTION_DAYS)
    return [_problem(option, f"must be one of the CloudWatch Logs retention periods in days: {allowed}", value)]


MONITORING_INTERVALS = (0, 1, 5, 10, 15, 30, 60)


def check_monitoring_interval(value):
    if _is_int(value) and value in MONITORING_INTERVALS:
        return []
    allowed = ", ".join(str(seconds) for seconds in MONITORING_INTERVALS)
    return [
        _problem("monitoring_interval", f"must be one of {allowed} seconds (0 turns enhanced monitoring off)", value)
    ]


def check_rotation_log_retention_days(value):
    return check_log_retention_days(value, "rotation_log_retention_days")


def check_flow_log_retention_days(value):
    return check_log_retention_days(value, "flow_log_retention_days")


def check_rotation_runtime(value):
    option = "rotation_runtime"
    if isinstance(value, str) and RUNTIME_RE.match(value):
        return []
    return [_problem(option, "must be a Lambda Python 3 runtime from python3.9 on, like 'python3.12'", value)]


def check_secret_mode(value, rotation_enabled=None):
    """rotation_function or rds_managed; RDS always rotates the secret it manages (no rotation off there)."""
    option = "secret_mode"
    if value not in SECRET_MODES:
        return [_problem(option, f"must be one of {', '.join(SECRET_MODES)}", value)]
    if value == "rds_managed" and rotation_enabled is False:
        return [
            _problem(
                option,
                f"rds_managed needs {_var('rotation_enabled')}: true - RDS rotates the secret it manages and it cannot"
                f" be switched off (set {_var('rotation_days')} for the interval)",
                value,
            )
        ]
    return []


# DB cluster snapshot identifiers: a letter, then letters, digits and single hyphens, no trailing hyphen.
SNAPSHOT_NAME_RE = re.compile(r"[A-Za-z](?:-?[A-Za-z0-9])*")
MAX_SNAPSHOT_NAME = 255


def check_snapshot_name(value):
    """playbooks/snapshot.yml's name (empty: a generated one)."""
    option = "snapshot_name"
    if value == "" or (
        isinstance(value, str) and len(value) <= MAX_SNAPSHOT_NAME and SNAPSHOT_NAME_RE.fullmatch(value)
    ):
        return []
    return [
        _problem(
            option,
            f"must be a DB cluster snapshot identifier: a letter, then letters, digits and single hyphens, no hyphen "
            f"at the end, at most {MAX_SNAPSHOT_NAME} characters",
            value,
        )
    ]


def check_snapshot_keep(value):
    """playbooks/snapshot.yml's keep (-1: keep them all)."""
    option = "snapshot_keep"
    if _is_int(value) and value >= -1:
        return []
    return [_problem(option, "must be how many manual snapshots to keep, 0 or more (-1 or unset: all)", value)]


# An automated snapshot's identifier carries RDS's prefix: rds:<cluster>-<YYYY-MM-DD-HH-MM>.
RESTORE_SNAPSHOT_RE = re.compile(r"(?:rds:)?[A-Za-z](?:-?[A-Za-z0-9])*")


def check_restore(source, restore_time, snapshot, restore_type, env_suffix):
    """playbooks/restore.yml: another environment's suffix, and exactly one of a time (ISO 8601 UTC or latest) and a
    snapshot identifier; a clone (copy-on-write) is of the latest time. Whether the time lies in the source's
    restorable window is AWS's to say (payments.auroradb.aurora_restore asks it before any change)."""
    if not source:
        return [_problem("restore_source", "must name the environment (its suffix) whose backups are restored", source)]
    problems = [p.replace(_var("env_suffix"), _var("restore_source"), 1) for p in check_env_suffix(source)]
    if source == env_suffix:
        problems.append(
            _problem(
                "restore_source",
                "must be another environment than env_suffix: a restore builds a new environment next to its source",
                source,
            )
        )
    snapshot, restore_time = snapshot or "", "" if restore_time is None else str(restore_time)
    if snapshot and not (len(snapshot) <= MAX_SNAPSHOT_NAME + 4 and RESTORE_SNAPSHOT_RE.fullmatch(snapshot)):
        problems.append(_problem("restore_snapshot", "must be a DB cluster snapshot identifier", snapshot))
    try:
        restore_plan.restore_kind(restore_time, snapshot, restore_type or "full-copy")
    except restore_plan.RestoreSettingError as e:
        value = {"time": restore_time, "snapshot": snapshot, "type": restore_type}[e.option]
        problems.append(_problem(f"restore_{e.option}", str(e), value))
    return problems


# DB instance identifiers: a letter, then letters, digits and single hyphens, no trailing hyphen, at most 63.
INSTANCE_ID_RE = re.compile(r"[A-Za-z](?:-?[A-Za-z0-9])*")
MAX_INSTANCE_ID = 63


def check_failover_target(value):
    """playbooks/failover.yml's target (empty: RDS chooses); whether it is a reader of the cluster is AWS's to say."""
    option = "failover_target"
    if value == "" or (isinstance(value, str) and len(value) <= MAX_INSTANCE_ID and INSTANCE_ID_RE.fullmatch(value)):
        return []
    return [
        _problem(
            option,
            "must be empty (RDS chooses) or a DB instance identifier of one of the cluster's readers: a letter, then "
            f"letters, digits and single hyphens, no hyphen at the end, at most {MAX_INSTANCE_ID} characters, like "
            "payment-db-cluster-<suffix>-reader1",
            value,
        )
    ]


def check_failover_probe_interval(value):
    option = "failover_probe_interval"
    if _is_number(value) and 0.05 <= value <= 10:
        return []
    return [_problem(option, "must be the seconds between two probes of the writer endpoint, from 0.05 to 10", value)]


def check_failover_timeout(value):
    # Aurora reports a failover within a minute or two; an hour covers a cluster that is slow to settle.
    return _int_range("failover_timeout", value, 60, 3600, " (seconds to wait for the new writer)")


def check_secret_description(value):
    option = "secret_description"
    if isinstance(value, str) and len(value) <= MAX_SECRET_DESCRIPTION:
        return []
    return [
        _problem(option, f"must be a string of at most {MAX_SECRET_DESCRIPTION} characters (Secrets Manager)", value)
    ]


def check_secret_connection(value):
    option = "secret_connection"
    if not isinstance(value, dict):
        return [_problem(option, "must be a dictionary of connection keys (engine, host, port, ...)", value)]
    own = sorted(key for key in value if key in SECRET_OWN_KEYS)
    if own:
        return [
            _problem(
                option,
                f"must not contain {', '.join(own)}: the secret role owns the user and the password",
                show_value=False,
            )
        ]
    return []


def check_rotation_wait_seconds(value):
    return _int_range("rotation_wait_seconds", value, 1, 86400, " (seconds rotate.yml waits)")


def check_rotation_days(value):
    return _int_range("rotation_days", value, 1, 1000, " (Secrets Manager rotation interval)")


RDS_CA_BUNDLE_URL = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"


def check_rotation_ca_bundle(value):
    """The CA bundle the rotation function verifies the database certificate with: a readable PEM file."""
    option = "rotation_ca_bundle"
    how = (
        f"; on AWS download the RDS bundle {RDS_CA_BUNDLE_URL}, on the local cloud use LOCALCLOUD_CA_BUNDLE (the CA"
        ' the local cloud makes when it starts: `make localcloud-up && eval "$(.venv/bin/localcloud env)"`)'
    )
    if not isinstance(value, str) or not value.strip():
        return [_problem(option, "must be the path of a PEM CA bundle" + how, value)]
    try:
        with open(value, "rb") as handle:
            content = handle.read()
    except OSError as exc:
        return [_problem(option, f"cannot be read ({exc.strerror})" + how, value)]
    if b"-----BEGIN CERTIFICATE-----" not in content:
        return [_problem(option, "holds no PEM certificate" + how, value)]
    return []


def check_secret_username(value):
    """Master user name: what CreateDBCluster accepts and PostgreSQL can use as a role name."""
    option = "secret_username"
    if not isinstance(value, str):
        return [_problem(option, "must be a string", value)]
    problems = []
    if not 1 <= len(value) <= MAX_USERNAME_LENGTH:
        problems.append(
            _problem(option, f"must be 1 to {MAX_USERNAME_LENGTH} characters (Aurora master user name limit)", value)
        )
    if not USERNAME_RE.match(value):
        problems.append(
            _problem(
                option,
                "must start with a lowercase letter and contain only lowercase letters, digits and underscores "
                "(PostgreSQL folds unquoted names to lowercase)",
                value,
            )
        )
    lowered = value.lower()
    if lowered in RESERVED_USERNAMES or lowered.startswith(RESERVED_USERNAME_PREFIXES):
        problems.append(
            _problem(option, "is reserved by RDS or PostgreSQL (rdsadmin, public, none, pg_*, rds_* ...)", value)
        )
    elif lowered in POSTGRES_RESERVED_WORDS:
        problems.append(_problem(option, "must not be a PostgreSQL reserved key word", value))
    elif lowered in REFUSED_USERNAMES:
        problems.append(
            _problem(
                option,
                "must not be the well-known default superuser name 'postgres' (the first name password-guessing "
                "tries), choose another, e.g. 'dbadmin'",
                value,
            )
        )
    return problems


# ---------------------------------------------------------------------------------------------------------------
# Aurora
# ---------------------------------------------------------------------------------------------------------------


def check_engine_version(value):
    option = "engine_version"
    match = ENGINE_VERSION_RE.match(value) if isinstance(value, str) else None
    if match is None:
        return [_problem(option, f"must be an Aurora PostgreSQL {ENGINE_MAJOR} version like '{ENGINE_MAJOR}.7'", value)]
    if match.group("major") != ENGINE_MAJOR:
        return [
            _problem(
                option,
                f"major version {match.group('major')} is not supported: the cluster parameter group family is "
                f"{PARAMETER_GROUP_FAMILY}, so the version must be {ENGINE_MAJOR}.x (a major version upgrade of a "
                "running cluster goes through an RDS blue/green deployment, see docs/operations.md)",
                value,
            )
        ]
    return []


def check_instance_class(value):
    option = "instance_class"
    match = INSTANCE_CLASS_RE.match(value) if isinstance(value, str) else None
    if match is None:
        return [
            _problem(
                option,
                "must be a DB instance class like 'db.r6g.large', 'db.t3.medium' or 'db.serverless'",
                value,
            )
        ]
    family, size = match.group("family"), match.group("size")
    if family is None:
        return []
    if family in UNSUPPORTED_INSTANCE_FAMILIES:
        return [
            _problem(
                option,
                f"the db.{family} family is a previous generation that Aurora PostgreSQL does not offer, use e.g. "
                "db.t4g.medium, db.t3.medium or db.r6g.large",
                value,
            )
        ]
    if family.startswith("t") and size in ("micro", "small"):
        return [
            _problem(
                option,
                f"Aurora PostgreSQL burstable classes start at medium (db.{family}.{size} is not offered)",
                value,
            )
        ]
    return []


def check_parameters(value):
    """Cluster parameters on top of rds.force_ssl=1: names and scalar values; TLS cannot be switched off."""
    option = "parameters"
    if not isinstance(value, dict):
        return [_problem(option, "must be a dictionary of parameter names to values", value)]
    problems = []
    for name, parameter_value in value.items():
        if not isinstance(name, str) or not PARAMETER_NAME_RE.match(name):
            problems.append(
                _problem(option, "each key must be a parameter name like 'log_min_duration_statement'", name)
            )
        elif isinstance(parameter_value, (dict, list, tuple)) or parameter_value is None:
            problems.append(
                _problem(option, f"the value of {name} must be a string or a number", parameter_value, show_value=True)
            )
    if FORCE_SSL in value and str(value[FORCE_SSL]).strip().lower() not in ("1", "true"):
        problems.append(
            _problem(
                option,
                f"{FORCE_SSL} must stay 1: the payments profile always enforces TLS (leave it out, the role sets it)",
                value[FORCE_SSL],
            )
        )
    return problems


def check_log_exports(value):
    option = "log_exports"
    allowed = ", ".join(EXPORTABLE_LOG_TYPES)
    if not _is_str_list(value):
        return [_problem(option, f"must be a list of log types from: {allowed}", value)]
    bad = [item for item in value if item not in EXPORTABLE_LOG_TYPES]
    if bad or len(set(value)) != len(value):
        return [_problem(option, f"must list distinct log types Aurora PostgreSQL exports: {allowed}", value)]
    return []


_PRINCIPAL = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:((role|user)/[\w+=,.@/-]+|root)$")


def _principals(option, value):
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return [_problem(option, "must be a list of IAM role or user ARNs", value)]
    bad = [item for item in value if not _PRINCIPAL.match(item)]
    if bad:
        return [
            _problem(
                option,
                f"has {', '.join(bad)}: not an IAM role or user ARN (arn:aws:iam::123456789012:role/Name)",
                value,
            )
        ]
    return []


def check_key_administrators(value):
    return _principals("key_administrators", value)


def check_key_users(value):
    return _principals("key_users", value)


def check_extended_alarms(value, instance_class=None):
    """The class's memory decides two thresholds: a class whose memory is not known is refused."""
    from ansible_collections.payments.auroradb.plugins.module_utils.alarms import CLASS_MEMORY_GIB

    if value is True and instance_class and instance_class not in CLASS_MEMORY_GIB:
        return [
            _problem(
                "extended_alarms",
                f"needs the memory of auroradb_aurora_instance_class {instance_class}, which is not known "
                f"(known: the db.t3/t4g medium and large, db.r5/r6g/r6i/r7g/r7i/r8g classes), so turn it off",
                value,
            )
        ]
    return []


def _percent(option, value):
    if _is_number(value) and 0 < value < 100:
        return []
    return [
        _problem(option, "must be a percentage above 0 and below 100 (else the alarm always or never fires)", value)
    ]


def check_freeable_memory_threshold_percent(value):
    return _percent("freeable_memory_threshold_percent", value)


def check_connections_threshold_percent(value):
    return _percent("connections_threshold_percent", value)


def check_replica_lag_threshold_ms(value):
    if _is_number(value) and value > 0:
        return []
    return [_problem("replica_lag_threshold_ms", "must be a number of milliseconds above 0", value)]


def check_deadlocks_threshold(value):
    if _is_number(value) and value >= 0:
        return []
    return [_problem("deadlocks_threshold", "must be a number of deadlocks per second, 0 or more", value)]


PGAUDIT_CLASSES = ("ddl", "function", "misc", "misc_set", "read", "role", "write", "all", "none")


def check_pgaudit_log(value):
    option = "pgaudit_log"
    allowed = ", ".join(PGAUDIT_CLASSES)
    if not _is_str_list(value) or not value:
        return [_problem(option, f"must be a non-empty list of pgaudit classes from: {allowed}", value)]
    bad = [item for item in value if item.removeprefix("-") not in PGAUDIT_CLASSES]
    if bad:
        return [_problem(option, f"has unknown pgaudit classes {', '.join(bad)} (from: {allowed}; - excludes)", value)]
    return []


def check_reader_count(value):
    return _int_range("reader_count", value, 0, MAX_READER_COUNT, " (Aurora allows 15 replicas)")


def check_backup_retention_days(value):
    return _int_range("backup_retention_days", value, 1, 35, " (Aurora automated backups)")


def check_performance_insights_retention_days(value):
    option = "performance_insights_retention_days"
    allowed = _is_int(value) and (value in (7, 731) or (value % 31 == 0 and 31 <= value <= 713))
    if allowed:
        return []
    return [
        _problem(
            option,
            "must be 7, a multiple of 31 (months) up to 713, or 731 (the Performance Insights retention rule)",
            value,
        )
    ]


def _minutes(hours, minutes):
    hours, minutes = int(hours), int(minutes)
    if hours > 23 or minutes > 59:
        return None
    return hours * 60 + minutes


def parse_backup_window(value):
    """(start minute of the day, length in minutes) of 'HH:MM-HH:MM' (UTC), or None when malformed."""
    match = BACKUP_WINDOW_RE.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    start, end = _minutes(*match.group(1, 2)), _minutes(*match.group(3, 4))
    if start is None or end is None:
        return None
    return start, (end - start) % MINUTES_PER_DAY


def parse_maintenance_window(value):
    """(start minute of the week from Monday 00:00, length in minutes) of 'ddd:HH:MM-ddd:HH:MM', or None."""
    match = MAINTENANCE_WINDOW_RE.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    start_day, end_day = match.group(1), match.group(4)
    if start_day not in WEEKDAYS or end_day not in WEEKDAYS:
        return None
    start, end = _minutes(*match.group(2, 3)), _minutes(*match.group(5, 6))
    if start is None or end is None:
        return None
    start += WEEKDAYS.index(start_day) * MINUTES_PER_DAY
    end += WEEKDAYS.index(end_day) * MINUTES_PER_DAY
    return start, (end - start) % MINUTES_PER_WEEK


def check_backup_window(value):
    option = "backup_window"
    window = parse_backup_window(value)
    if window is None:
        return [_problem(option, "must be 'HH:MM-HH:MM' in UTC with valid times, e.g. '03:00-04:00'", value)]
    if window[1] < MIN_WINDOW_MINUTES:
        return [_problem(option, f"must be at least {MIN_WINDOW_MINUTES} minutes long, not {window[1]}", value)]
    return []


def check_maintenance_window(value):
    option = "maintenance_window"
    window = parse_maintenance_window(value)
    if window is None:
        return [
            _problem(
                option,
                "must be 'ddd:HH:MM-ddd:HH:MM' in UTC with lowercase days mon..sun and valid times, "
                "e.g. 'sun:05:00-sun:06:00'",
                value,
            )
        ]
    if window[1] < MIN_WINDOW_MINUTES:
        return [_problem(option, f"must be at least {MIN_WINDOW_MINUTES} minutes long, not {window[1]}", value)]
    return []


def _circular_overlap(start_a, length_a, start_b, length_b, period):
    """Half-open intervals [start, start + length) on a circle of `period` minutes."""
    return (start_b - start_a) % period < length_a or (start_a - start_b) % period < length_b


def check_windows_overlap(backup_window, maintenance_window):
    """The daily backup window must not overlap the weekly maintenance window (both valid, else no check)."""
    backup, maintenance = parse_backup_window(backup_window), parse_maintenance_window(maintenance_window)
    if backup is None or maintenance is None or backup[1] == 0 or maintenance[1] == 0:
        return []
    days = [
        WEEKDAYS[day]
        for day in range(7)
        if _circular_overlap(
            day * MINUTES_PER_DAY + backup[0], backup[1], maintenance[0], maintenance[1], MINUTES_PER_WEEK
        )
    ]
    if not days:
        return []
    return [
        _problem(
            "backup_window",
            f"must not overlap {_var('maintenance_window')} (AWS rule): the daily backup window {backup_window} "
            f"overlaps the maintenance window {maintenance_window} (backup starting on {', '.join(days)})",
            show_value=False,
        )
    ]


# ---------------------------------------------------------------------------------------------------------------
# Monitoring
# ---------------------------------------------------------------------------------------------------------------


def check_cpu_threshold(value):
    option = "cpu_threshold"
    if not _is_number(value) or not 1 <= value <= 100:
        return [_problem(option, "must be a number from 1 to 100 (percent CPU)", value)]
    return []


def check_free_local_storage_threshold_bytes(value, instance_class=None, extended_alarms=None):
    """Above 0 (else the alarm never fires); with the production profile's alarms (extended_alarms), below the
    class's local storage (else FreeLocalStorage is always under it and the alarm always fires)."""
    from ansible_collections.payments.auroradb.plugins.module_utils.alarms import GIB, class_local_storage_bytes

    option = "free_local_storage_threshold_bytes"
    if not _is_number(value) or value <= 0:
        return [_problem(option, "must be a number of bytes greater than 0 (else the alarm never fires)", value)]
    storage = class_local_storage_bytes(instance_class)
    if extended_alarms is True and storage is not None and value >= storage:
        return [
            _problem(
                option,
                f"must be below the local storage of auroradb_aurora_instance_class {instance_class} "
                f"({storage / GIB:g} GiB, {storage} bytes), else the alarm always fires: lower it or take a "
                "larger class",
                value,
            )
        ]
    return []


def check_period_seconds(value):
    option = "period_seconds"
    if _is_int(value) and (value in ALARM_SHORT_PERIODS or (value > 0 and value % 60 == 0)):
        return []
    return [_problem(option, "must be 10, 30 or a multiple of 60 seconds (CloudWatch alarm periods)", value)]


def check_evaluation_periods(value, period_seconds=None):
    option = "evaluation_periods"
    if not _is_int(value) or value < 1:
        return [_problem(option, "must be an integer of at least 1", value)]
    if _is_int(period_seconds) and period_seconds > 0 and value * period_seconds > MAX_ALARM_EVALUATION_SECONDS:
        return [
            _problem(
                option,
                f"times {_var('period_seconds')} ({period_seconds}) must be at most {MAX_ALARM_EVALUATION_SECONDS} "
                "seconds (one day, CloudWatch rule)",
                value,
            )
        ]
    return []


def _check_actions(option, value, region=None):
    if not isinstance(value, (list, tuple)):
        return [_problem(option, "must be a list of ARNs", value)]
    problems = []
    for arn in value:
        match = None
        if isinstance(arn, str):
            match = next((m for m in (r.match(arn) for r in ALARM_ACTION_ARN_RES) if m), None)
        if match is None:
            problems.append(
                _problem(
                    option,
                    "each action must be an SNS topic ARN like 'arn:aws:sns:us-east-1:123456789012:payments-alerts' "
                    "(or a Lambda function or SSM OpsItem ARN)",
                    arn,
                )
            )
        elif isinstance(region, str) and REGION_RE.match(region) and match.group("region") != region:
            problems.append(
                _problem(option, f"{arn} is not in the stack's region {region} ({_var('region')})", show_value=False)
            )
    return problems


def check_alarm_actions(value, region=None):
    return _check_actions("alarm_actions", value, region)


def check_ok_actions(value, region=None):
    return _check_actions("ok_actions", value, region)


# What each protocol of an alerts topic subscription takes as endpoint (http is refused: alerts leave in clear text).
TOPIC_ENDPOINTS = {
    "email": (re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), "an e-mail address"),
    "email-json": (re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), "an e-mail address"),
    "https": (re.compile(r"^https://[^\s/]+(/\S*)?$"), "an https:// URL"),
    "sqs": (re.compile(r"^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[\w-]+(\.fifo)?$"), "an SQS queue ARN"),
    "lambda": (re.compile(r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[\w-]+(:[\w$-]+)?$"), "a Lambda ARN"),
}


def check_topic_subscriptions(value):
    """Who the alerts topic notifies: a list of {protocol, endpoint}; https, never http."""
    option = "topic_subscriptions"
    shape = "a list of {protocol: email|email-json|https|sqs|lambda, endpoint: ...}"
    if not isinstance(value, (list, tuple)):
        return [_problem(option, f"must be {shape}", value)]
    problems = []
    for item in value:
        if not isinstance(item, dict) or set(item) != {"protocol", "endpoint"}:
            problems.append(
                _problem(option, f"each subscription must be {{protocol, endpoint}}; the list is {shape}", item)
            )
            continue
        protocol, endpoint = item["protocol"], item["endpoint"]
        if protocol == "http":
            problems.append(_problem(option, "http is refused: alerts would leave in clear text; use https", item))
        elif protocol not in TOPIC_ENDPOINTS:
            problems.append(_problem(option, f"protocol must be one of {', '.join(TOPIC_ENDPOINTS)}", item))
        elif not isinstance(endpoint, str) or not TOPIC_ENDPOINTS[protocol][0].match(endpoint):
            problems.append(
                _problem(
                    option, f"the endpoint of a {protocol} subscription must be {TOPIC_ENDPOINTS[protocol][1]}", item
                )
            )
    return problems


def check_endpoint_url(value):
    option = "endpoint_url"
    if isinstance(value, str) and (value == "" or ENDPOINT_URL_RE.match(value)):
        return []
    return [_problem(option, "must be empty (AWS) or an http(s) URL like 'http://127.0.0.1:4566'", value)]


# ---------------------------------------------------------------------------------------------------------------
# Everything
# ---------------------------------------------------------------------------------------------------------------

# Checks of one setting each, run after the ones that need several settings (see validate()).
_SINGLE_CHECKS = (
    ("db_allowed_security_groups", check_db_allowed_security_groups),
    ("db_port", check_db_port),
    ("kms_pending_window_days", check_kms_pending_window_days),
    ("lock_expiry_minutes", check_lock_expiry_minutes),
    ("secret_username", check_secret_username),
    ("secret_recovery_window_days", check_secret_recovery_window_days),
    ("rotation_days", check_rotation_days),
    ("rotation_ca_bundle", check_rotation_ca_bundle),
    ("engine_version", check_engine_version),
    ("instance_class", check_instance_class),
    ("reader_count", check_reader_count),
    ("backup_retention_days", check_backup_retention_days),
    ("backup_window", check_backup_window),
    ("maintenance_window", check_maintenance_window),
    ("performance_insights_retention_days", check_performance_insights_retention_days),
    ("cpu_threshold", check_cpu_threshold),
    ("tags", check_tags),
    ("parameters", check_parameters),
    ("log_exports", check_log_exports),
    ("rotation_log_retention_days", check_rotation_log_retention_days),
    ("rotation_runtime", check_rotation_runtime),
    ("secret_description", check_secret_description),
    ("snapshot_name", check_snapshot_name),
    ("snapshot_keep", check_snapshot_keep),
    ("failover_target", check_failover_target),
    ("failover_probe_interval", check_failover_probe_interval),
    ("failover_timeout", check_failover_timeout),
    ("secret_connection", check_secret_connection),
    ("rotation_wait_seconds", check_rotation_wait_seconds),
    ("period_seconds", check_period_seconds),
    ("endpoint_url", check_endpoint_url),
    ("topic_subscriptions", check_topic_subscriptions),
    ("log_retention_days", check_log_retention_days),
    ("flow_log_retention_days", check_flow_log_retention_days),
    ("pgaudit_log", check_pgaudit_log),
    ("key_administrators", check_key_administrators),
    ("key_users", check_key_users),
    ("freeable_memory_threshold_percent", check_freeable_memory_threshold_percent),
    ("connections_threshold_percent", check_connections_threshold_percent),
    ("replica_lag_threshold_ms", check_replica_lag_threshold_ms),
    ("deadlocks_threshold", check_deadlocks_threshold),
    ("monitoring_interval", check_monitoring_interval),
)


def validate(settings):
    """Every problem of the given settings (option name -> value; None or missing = not checked), in order."""
    given = {key: value for key, value in settings.items() if value is not None}
    unknown = sorted(set(given) - set(VARIABLES))
    if unknown:
        raise ValueError(f"unknown settings: {', '.join(unknown)}")
    problems = []

    def run(option, check, *context):
        if option in given:
            problems.extend(check(given[option], *context))

    run("extended_alarms", check_extended_alarms, given.get("instance_class"))
    run("env_suffix", check_env_suffix, given.get("reader_count"))
    run("region", check_region)
    run("availability_zones", check_availability_zones, given.get("region"))
    run("vpc_cidr", check_vpc_cidr)
    if "public_subnet_cidrs" in given or "private_subnet_cidrs" in given:
        problems.extend(
            check_subnet_cidrs(
                given.get("public_subnet_cidrs"), given.get("private_subnet_cidrs"), given.get("vpc_cidr")
            )
        )
    run("db_allowed_cidrs", check_db_allowed_cidrs, given.get("db_allow_public_cidrs", False))
    run("aurora_port", check_aurora_port, given.get("db_port"))
    run("secret_mode", check_secret_mode, given.get("rotation_enabled"))
    run(
        "free_local_storage_threshold_bytes",
        check_free_local_storage_threshold_bytes,
        given.get("instance_class"),
        given.get("extended_alarms"),
    )
    run("evaluation_periods", check_evaluation_periods, given.get("period_seconds"))
    run("alarm_actions", check_alarm_actions, given.get("region"))
    run("ok_actions", check_ok_actions, given.get("region"))
    for option, check in _SINGLE_CHECKS:
        run(option, check)
    if "backup_window" in given and "maintenance_window" in given:
        problems.extend(check_windows_overlap(given["backup_window"], given["maintenance_window"]))
    if "restore_source" in given:
        problems.extend(
            check_restore(
                given["restore_source"],
                given.get("restore_time"),
                given.get("restore_snapshot"),
                given.get("restore_type"),
                given.get("env_suffix"),
            )
        )
    if given.get("state") == "absent" and given.get("protected"):
        problems.extend(check_destroy_confirmed(given.get("confirm_destroy") or "", given.get("env_suffix")))
    return problems


def check_destroy_confirmed(confirm, env_suffix):
    """A protected environment is torn down only when the operator typed its suffix (-e auroradb_confirm_destroy)."""
    if env_suffix is not None and confirm == env_suffix:
        return []
    return [
        f"{_var('confirm_destroy')}: environment {env_suffix!r} is protected ({_var('protected')}: true), so "
        f"teardown.yml removes it only with -e {_var('confirm_destroy')}={env_suffix} (got {confirm!r}); it then "
        "turns deletion protection off and keeps a final cluster snapshot. Nothing was called or deleted"
    ]


# ---------------------------------------------------------------------------------------------------------------
# The variables themselves: names no role reads, their declared types
# ---------------------------------------------------------------------------------------------------------------

# What validate_argument_spec checks of each declared variable (defaults and required-ness belong to the roles).
SPEC_KEYS = ("type", "elements", "choices", "no_log")


def declared_variables(argument_specs):
    """Every variable the roles declare (all entry points of every meta/argument_specs.yml given, parsed), with
    its type, elements and choices only; the first declaration wins."""
    declared = {}
    for document in argument_specs:
        for entry_point in ((document or {}).get("argument_specs") or {}).values():
            for name, spec in ((entry_point or {}).get("options") or {}).items():
                declared.setdefault(name, {key: spec[key] for key in SPEC_KEYS if key in spec})
    return declared


def check_variable_names(defined, known):
    """Every defined auroradb_* variable must be one some role reads (or a fact the roles publish)."""
    known = sorted(set(known))
    problems = []
    for name in sorted(set(defined) - set(known)):
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        hint = f"did you mean {close[0]}?" if close else "see the roles' READMEs for the variables they read"
        problems.append(f"{name}: no role reads this variable, so it would be silently ignored ({hint})")
    return problems
