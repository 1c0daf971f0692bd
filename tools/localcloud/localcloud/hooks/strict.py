"""Strict mode: refuse, as AWS does, requests AWS refuses but moto accepts (docs/localcloud.md lists the rules).

Off by default; ``localcloud up --strict`` (or ``LOCALCLOUD_STRICT=1`` in the server's environment, e.g. for
in-process or test clouds) switches it on. Each rule is a ``@before`` hook that answers AWS's error code and
message in the service's wire format; the rules are listed in the gap registry (ids ``strict-N``).
"""

from __future__ import annotations

import json
import os

from ..envelope import Envelope
from ..errors import AwsError
from ..middleware import before
from .compat import rds_backend
from .engine_versions import versions
from .orderable import offered, table

ENV_VAR = "LOCALCLOUD_STRICT"
MEMBER = "The requested DB Instance will be a member of a DB Cluster."
# CreateDBInstance parameters AWS refuses for an Aurora cluster member: they are set on the cluster.
CLUSTER_LEVEL = {
    "MasterUsername": "Set master user name for the DB Cluster.",
    "MasterUserPassword": "Set master user password for the DB Cluster.",
    "AllocatedStorage": "Set storage for the DB Cluster.",
    "StorageType": "Set storage type for the DB Cluster.",
    "BackupRetentionPeriod": "Set backup retention period for the DB Cluster.",
    "PreferredBackupWindow": "Set preferred backup window for the DB Cluster.",
    "StorageEncrypted": "Set storage encryption for the DB Cluster.",
}
PI_RETENTION = {7, 731, *(31 * month for month in range(1, 24))}
# Lambda runtimes whose deprecation blocks CreateFunction (AWS Lambda runtimes page, "Deprecated runtimes").
DEPRECATED_RUNTIMES = {
    "python2.7": "python3.13",
    "python3.6": "python3.13",
    "python3.7": "python3.13",
    "python3.8": "python3.13",
    "nodejs": "nodejs22.x",
    "nodejs4.3": "nodejs22.x",
    "nodejs4.3-edge": "nodejs22.x",
    "nodejs6.10": "nodejs22.x",
    "nodejs8.10": "nodejs22.x",
    "nodejs10.x": "nodejs22.x",
    "nodejs12.x": "nodejs22.x",
    "nodejs14.x": "nodejs22.x",
    "nodejs16.x": "nodejs22.x",
    "dotnetcore1.0": "dotnet8",
    "dotnetcore2.0": "dotnet8",
    "dotnetcore2.1": "dotnet8",
    "dotnetcore3.1": "dotnet8",
    "dotnet5.0": "dotnet8",
    "ruby2.5": "ruby3.3",
    "ruby2.7": "ruby3.3",
    "go1.x": "provided.al2023",
    "java8": "java21",
    "provided": "provided.al2023",
}
MAX_EVALUATION_SECONDS = 7 * 24 * 60 * 60  # 604800
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEK = 7 * 24 * 60


def enabled() -> bool:
    """Read per request, so an in-process cloud can switch strict mode on and off."""
    return os.environ.get(ENV_VAR, "").lower() in {"1", "true", "yes", "on"}


def _invalid_combination(message: str) -> AwsError:
    return AwsError("InvalidParameterCombination", message)


@before("rds", "CreateDBInstance")
def refuse_cluster_level_member_settings(env: Envelope) -> None:
    """Strict 1: a cluster member takes these settings from its cluster; AWS refuses them on the instance."""
    cluster_id = env.param("DBClusterIdentifier")
    if not enabled() or not cluster_id:
        return
    for name, fix in CLUSTER_LEVEL.items():
        if env.param(name) is not None:
            raise _invalid_combination(f"{MEMBER} {fix}")
    cluster = rds_backend(env.region).clusters.get(cluster_id)
    group = env.param("DBSubnetGroupName")
    cluster_group = getattr(cluster, "db_subnet_group_name", None)
    if cluster is not None and group and cluster_group and group != cluster_group:
        raise _invalid_combination(
            f"{MEMBER} The DB Subnet Group of the DB Instance ({group}) must match the DB Subnet Group of the"
            f" DB Cluster ({cluster_group})."
        )


@before("rds", "CreateDBInstance")
def refuse_member_engine_version(env: Envelope) -> None:
    """Strict 2: a cluster member runs its cluster's engine version; AWS refuses another one."""
    cluster_id, version = env.param("DBClusterIdentifier"), env.param("EngineVersion")
    if not enabled() or not cluster_id or not version:
        return
    cluster = rds_backend(env.region).clusters.get(cluster_id)
    cluster_version = getattr(cluster, "engine_version", None)
    if cluster is not None and cluster_version and version != cluster_version:
        raise _invalid_combination(
            f"The engine version you requested for your DB instance ({version}) does not match the engine version"
            f" of your DB cluster ({cluster_version})."
        )


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _backup_ranges(window: str) -> list[tuple[int, int]]:
    """A daily ``hh24:mi-hh24:mi`` window as minute-of-week ranges (one per day, wrapping midnight)."""
    start, end = (_minutes(part) for part in window.split("-"))
    length = (end - start) % (24 * 60)
    return [(day * 24 * 60 + start, day * 24 * 60 + start + length) for day in range(7)]


def _maintenance_ranges(window: str) -> list[tuple[int, int]]:
    """A weekly ``ddd:hh24:mi-ddd:hh24:mi`` window as minute-of-week ranges (also shifted a week, for wraps)."""
    ends = []
    for part in window.lower().split("-"):
        day, _, hhmm = part.partition(":")
        ends.append(_DAYS.index(day) * 24 * 60 + _minutes(hhmm))
    start, end = ends
    length = (end - start) % _WEEK
    return [(start + shift, start + length + shift) for shift in (-_WEEK, 0, _WEEK)]


def windows_overlap(backup: str, maintenance: str) -> bool:
    try:
        daily, weekly = _backup_ranges(backup), _maintenance_ranges(maintenance)
    except ValueError:  # a malformed window is moto's (or AWS's own format check's) business
        return False
    return any(b0 < m1 and m0 < b1 for b0, b1 in daily for m0, m1 in weekly)


@before("rds", "CreateDBCluster", "ModifyDBCluster")
def refuse_overlapping_windows(env: Envelope) -> None:
    """Strict 3: the daily backup window must not overlap the weekly maintenance window."""
    backup, maintenance = env.param("PreferredBackupWindow"), env.param("PreferredMaintenanceWindow")
    if not enabled() or not (backup or maintenance):
        return
    if env.action == "ModifyDBCluster":
        cluster = rds_backend(env.region).clusters.get(env.param("DBClusterIdentifier", ""))
        backup = backup or getattr(cluster, "preferred_backup_window", None)
        maintenance = maintenance or getattr(cluster, "preferred_maintenance_window", None)
    if backup and maintenance and windows_overlap(backup, maintenance):
        raise AwsError("InvalidParameterValue", "The backup window and maintenance window must not overlap.")


@before("rds", "CreateDBInstance", "ModifyDBInstance", "CreateDBCluster", "ModifyDBCluster")
def refuse_performance_insights_retention(env: Envelope) -> None:
    """Strict 4: Performance Insights keeps data 7 days, a whole number of 31-day months up to 23, or 731 days."""
    period = env.param("PerformanceInsightsRetentionPeriod")
    if not enabled() or period is None:
        return
    try:
        valid = int(period) in PI_RETENTION
    except ValueError:
        valid = False
    if not valid:
        raise AwsError(
            "InvalidParameterValue",
            f"Invalid Performance Insights retention period: {period}. Valid values are: 7, month * 31, where"
            " month is a number of months from 1-23, and 731.",
        )


@before("lambda", "POST /2015-03-31/functions", "POST /2015-03-31/functions/")
def refuse_deprecated_runtime(env: Envelope) -> None:
    """Strict 6: AWS blocks creating functions on a deprecated runtime."""
    if not enabled():
        return
    try:
        runtime = json.loads(env.body or b"{}").get("Runtime")
    except (ValueError, AttributeError):
        return
    if runtime in DEPRECATED_RUNTIMES:
        raise AwsError(
            "InvalidParameterValueException",
            f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda"
            f" functions. We recommend you use the new runtime ({DEPRECATED_RUNTIMES[runtime]}) while creating"
            " or updating functions.",
        )


@before("monitoring", "PutMetricAlarm")
def refuse_alarm_periods(env: Envelope) -> None:
    """Strict 5: Period is 10, 20, 30 or a multiple of 60, at least one evaluation period, and at most 7 days."""
    period, evaluations = env.param("Period"), env.param("EvaluationPeriods")
    if not enabled():
        return
    if evaluations is not None and int(evaluations) < 1:
        raise AwsError(
            "ValidationError",
            f"1 validation error detected: Value '{evaluations}' at 'evaluationPeriods' failed to satisfy"
            " constraint: Member must have value greater than or equal to 1",
        )
    if period is None:  # a metric math alarm: the periods are in its Metrics
        return
    if int(period) not in {10, 20, 30} and int(period) % 60:
        raise AwsError("ValidationError", "Period must be 10, 20, 30 or a multiple of 60")
    if evaluations is not None and int(period) * int(evaluations) > MAX_EVALUATION_SECONDS:
        raise AwsError(
            "ValidationError",
            f"Metrics cannot be checked across more than 7 days (EvaluationPeriods * Period must be <="
            f" {MAX_EVALUATION_SECONDS})",
        )


def _engine_version(env: Envelope) -> tuple[str | None, str | None]:
    """The engine and version the request's DB instance runs: the request's, else its cluster's or its own."""
    backend = rds_backend(env.region)
    engine, version = env.param("Engine"), env.param("EngineVersion")
    if env.action == "ModifyDBInstance":
        current = backend.databases.get(env.param("DBInstanceIdentifier", ""))
        engine = getattr(current, "engine", None)
        version = version or getattr(current, "engine_version", None)
        cluster_id = getattr(current, "db_cluster_identifier", None)
    else:
        cluster_id = env.param("DBClusterIdentifier")
    cluster = backend.clusters.get(cluster_id or "")
    if cluster is not None:
        engine, version = engine or cluster.engine, version or cluster.engine_version
    return engine, version


@before("rds", "CreateDBInstance", "ModifyDBInstance")
def refuse_unoffered_instance_class(env: Envelope) -> None:
    """Strict 7: an instance class the engine version does not offer (the orderable options table)."""
    instance_class = env.param("DBInstanceClass")
    if not enabled() or not instance_class:
        return
    engine, version = _engine_version(env)
    if offered(engine, version, instance_class) is False:
        raise _invalid_combination(
            "RDS does not support creating a DB instance with the following combination:"
            f" DBInstanceClass={instance_class}, Engine={engine}, EngineVersion={version},"
            f" LicenseModel={table()['license_model']}. For supported combinations of instance class and database"
            " engine version, see the documentation."
        )


@before("rds", "CreateDBCluster")
def refuse_aurora_cluster_instance_class(env: Envelope) -> None:
    """Strict 7: DBClusterInstanceClass is for Multi-AZ DB clusters; an Aurora cluster's classes are its instances'."""
    engine = env.param("Engine") or ""
    if enabled() and env.param("DBClusterInstanceClass") and engine.startswith("aurora"):
        raise _invalid_combination(f"DBClusterInstanceClass isn't supported for DB engine {engine}.")


def _family(engine: str | None, version: str | None) -> str | None:
    """The parameter group family of a catalogued engine version (DescribeDBEngineVersions' data), else None."""
    for entry in versions():
        if entry["Engine"] == engine and entry["EngineVersion"] == version:
            return entry["DBParameterGroupFamily"]
    return None


def _group_family(env: Envelope, store: str, family_attr: str, name: str) -> str | None:
    if name.lower().startswith("default."):
        return name.lower().removeprefix("default.")
    groups = getattr(rds_backend(env.region), store)
    group = groups.get(name.lower()) or groups.get(name)
    return (getattr(group, family_attr, None) or "").lower() or None


# Request field of the parameter group name, moto's store and its family attribute, per action.
_GROUP_FIELDS = {
    "CreateDBCluster": ("DBClusterParameterGroupName", "db_cluster_parameter_groups", "db_parameter_group_family"),
    "ModifyDBCluster": ("DBClusterParameterGroupName", "db_cluster_parameter_groups", "db_parameter_group_family"),
    "CreateDBInstance": ("DBParameterGroupName", "db_parameter_groups", "family"),
    "ModifyDBInstance": ("DBParameterGroupName", "db_parameter_groups", "family"),
}


@before("rds", *_GROUP_FIELDS)
def refuse_parameter_group_family(env: Envelope) -> None:
    """Strict 8: the (cluster) parameter group's family must be the engine version's."""
    field, store, family_attr = _GROUP_FIELDS[env.action]
    name = env.param(field)
    if not enabled() or not name:
        return
    if env.action == "ModifyDBCluster":
        cluster = rds_backend(env.region).clusters.get(env.param("DBClusterIdentifier", ""))
        engine = getattr(cluster, "engine", None)
        version = env.param("EngineVersion") or getattr(cluster, "engine_version", None)
    elif env.action == "CreateDBCluster":
        engine, version = env.param("Engine"), env.param("EngineVersion")
    else:
        engine, version = _engine_version(env)
    wanted, have = _family(engine, version), _group_family(env, store, family_attr, name)
    if wanted and have and have != wanted:
        raise _invalid_combination(
            f"The parameter group {name} with DBParameterGroupFamily {have} can't be used for this instance."
            f" Use a parameter group with DBParameterGroupFamily {wanted}."
        )
