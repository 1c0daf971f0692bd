# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restoring an environment's cluster from another environment's backups (playbooks/restore.yml): the decisions.

Pure computation, no AWS call: which restore a request asks for (:func:`restore_kind`), whether a point in time lies
in the source's restorable window, is about to (AWS's LatestRestorableTime trails now by up to about five minutes),
or never will (:func:`window_verdict`), and the RDS request that restores it (:func:`restore_request`).
"""

from __future__ import annotations

import datetime
import re
from typing import Any

LATEST = "latest"
RESTORE_TYPES = ("full-copy", "copy-on-write")
# ISO 8601 in UTC, to the second: 2026-12-03T07:45:00Z (what RestoreToTime takes); fractions and +00:00 accepted.
_ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|\+00:00)$")
# How far behind now AWS's LatestRestorableTime may trail: a time in (latest, now] becomes restorable by waiting.
CATCH_UP = datetime.timedelta(minutes=15)


class RestoreSettingError(ValueError):
    """A restore request RDS cannot take; ``option`` is the setting at fault: ``time``, ``snapshot`` or ``type``."""

    def __init__(self, message: str, option: str):
        super().__init__(message)
        self.option = option


def parse_time(value: str) -> datetime.datetime:
    """An aware UTC datetime from ``value`` (ISO 8601 UTC); ValueError naming the expected form otherwise."""
    text = (value or "").strip()
    if not _ISO_UTC.match(text):
        raise RestoreSettingError(
            f"{value!r} is not a UTC time in ISO 8601 form such as 2026-12-03T07:45:00Z, nor 'latest'", "time"
        )
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(datetime.UTC)


def as_utc(value: Any) -> datetime.datetime | None:
    """A datetime (botocore's answer) or ISO string as an aware UTC datetime; None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=datetime.UTC)).astimezone(datetime.UTC)
    return datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(datetime.UTC)


def iso(value: datetime.datetime | None) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def restore_kind(restore_time: str, snapshot: str, restore_type: str) -> str:
    """``snapshot``, ``latest`` or ``time``; RestoreSettingError for a request RDS cannot take (a time with a clone)."""
    if restore_type not in RESTORE_TYPES:
        raise RestoreSettingError(f"restore type {restore_type!r} is not one of {', '.join(RESTORE_TYPES)}", "type")
    if bool(restore_time) == bool(snapshot):
        raise RestoreSettingError("give exactly one of a restore time (or 'latest') and a snapshot", "time")
    if snapshot:
        if restore_type != "full-copy":
            raise RestoreSettingError(
                "a snapshot restores as a full copy; copy-on-write clones a running cluster ('latest')", "type"
            )
        return "snapshot"
    if restore_time.strip().lower() == LATEST:
        return LATEST
    parse_time(restore_time)
    if restore_type == "copy-on-write":
        raise RestoreSettingError(
            "a copy-on-write clone is of the latest restorable time: RDS takes no time with it", "type"
        )
    return "time"


def window_verdict(
    wanted: datetime.datetime,
    earliest: datetime.datetime | None,
    latest: datetime.datetime | None,
    now: datetime.datetime,
) -> tuple[str, str]:
    """(``restore`` | ``wait`` | ``refuse``, why) for restoring to ``wanted`` from a source whose restorable window
    is [``earliest``, ``latest``] at ``now``."""
    window = f"the restorable window is {iso(earliest) or '(none)'} .. {iso(latest) or '(none)'}"
    if earliest is None or latest is None:
        return "refuse", f"the source has no restorable window yet (no automated backup): {window}"
    if wanted < earliest:
        return "refuse", f"{iso(wanted)} is before the earliest restorable time: {window}"
    if wanted > now:
        return "refuse", f"{iso(wanted)} is in the future (now {iso(now)}): {window}"
    if wanted > latest:
        if now - wanted > CATCH_UP:
            return "refuse", f"{iso(wanted)} is after the latest restorable time: {window}"
        return "wait", f"{iso(wanted)} is not restorable yet (the backups reach {iso(latest)}); waiting"
    return "restore", f"{iso(wanted)} lies in {window}"


# Settings a restore takes from the new environment (the rest RDS copies from the source, and the aurora role's
# ordinary cluster task converges right after): RDS API name -> module option.
RESTORE_SETTINGS = (
    ("DBSubnetGroupName", "db_subnet_group_name"),
    ("VpcSecurityGroupIds", "vpc_security_group_ids"),
    ("KmsKeyId", "kms_key_id"),
    ("DBClusterParameterGroupName", "db_cluster_parameter_group_name"),
    ("Port", "port"),
    ("EnableCloudwatchLogsExports", "enable_cloudwatch_logs_exports"),
    ("EnableIAMDatabaseAuthentication", "enable_iam_database_authentication"),
    ("DeletionProtection", "deletion_protection"),
    ("CopyTagsToSnapshot", "copy_tags_to_snapshot"),
)


def restore_request(kind: str, params: dict[str, Any], source: dict[str, Any], wanted: str = "") -> dict[str, Any]:
    """The keyword arguments of RestoreDBClusterFromSnapshot (``kind`` snapshot; ``source`` the snapshot) or
    RestoreDBClusterToPointInTime (``source`` the source cluster)."""
    request: dict[str, Any] = {"DBClusterIdentifier": params["cluster_identifier"]}
    for api, option in RESTORE_SETTINGS:
        if params.get(option) not in (None, "", []):
            request[api] = params[option]
    if params.get("tags"):
        request["Tags"] = [{"Key": k, "Value": str(v)} for k, v in sorted(params["tags"].items())]
    if kind == "snapshot":
        request.update(
            SnapshotIdentifier=source["DBClusterSnapshotIdentifier"],
            Engine=source["Engine"],
            EngineVersion=source["EngineVersion"],
        )
        return request
    request["SourceDBClusterIdentifier"] = source["DBClusterIdentifier"]
    request["RestoreType"] = params.get("restore_type") or "full-copy"
    if kind == LATEST:
        request["UseLatestRestorableTime"] = True
    else:
        request["RestoreToTime"] = parse_time(wanted)
    return request
