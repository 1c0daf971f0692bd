# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The restore drill's decisions (module_utils/restore.py): which restore a request asks for, whether a time lies in
the source's restorable window (or will, or never), and the RDS request; no AWS."""

import datetime

import pytest

from ansible_collections.payments.auroradb.plugins.module_utils import restore

UTC = datetime.UTC
NOW = datetime.datetime(2026, 12, 3, 8, 0, 0, tzinfo=UTC)
EARLIEST = NOW - datetime.timedelta(days=7)
LATEST = NOW - datetime.timedelta(minutes=5)


@pytest.mark.parametrize(
    ("time", "snapshot", "kind_", "expected"),
    [
        ("2026-12-03T07:45:00Z", "", "full-copy", "time"),
        ("2026-12-03T07:45:00.250+00:00", "", "full-copy", "time"),
        ("latest", "", "full-copy", "latest"),
        ("LATEST", "", "copy-on-write", "latest"),
        ("", "payment-db-manual-dev-1", "full-copy", "snapshot"),
    ],
)
def test_restore_kind(time, snapshot, kind_, expected):
    assert restore.restore_kind(time, snapshot, kind_) == expected


@pytest.mark.parametrize(
    ("time", "snapshot", "kind_", "words"),
    [
        ("", "", "full-copy", "exactly one"),
        ("latest", "snap", "full-copy", "exactly one"),
        ("2026-12-03T07:45:00Z", "", "copy-on-write", "clone is of the latest"),
        ("", "snap", "copy-on-write", "snapshot restores as a full copy"),
        ("2026-12-03 07:45", "", "full-copy", "ISO 8601"),
        ("2026-12-03T07:45:00+01:00", "", "full-copy", "ISO 8601"),  # UTC only: no guessing of offsets
        ("yesterday", "", "full-copy", "ISO 8601"),
        ("latest", "", "sideways", "restore type"),
    ],
)
def test_restore_kind_refuses(time, snapshot, kind_, words):
    with pytest.raises(ValueError, match=words):
        restore.restore_kind(time, snapshot, kind_)


@pytest.mark.parametrize(
    ("wanted", "verdict", "words"),
    [
        (NOW - datetime.timedelta(hours=1), "restore", "lies in the restorable window is 2026-11-26T08:00:00Z"),
        (EARLIEST, "restore", "lies in"),
        (LATEST, "restore", "lies in"),
        (EARLIEST - datetime.timedelta(seconds=1), "refuse", "before the earliest restorable time"),
        (NOW + datetime.timedelta(seconds=1), "refuse", "in the future"),
        (NOW - datetime.timedelta(minutes=1), "wait", "not restorable yet"),
    ],
)
def test_window_verdict(wanted, verdict, words):
    got, why = restore.window_verdict(wanted, EARLIEST, LATEST, NOW)
    assert got == verdict and words in why
    assert "2026-11-26T08:00:00Z .. 2026-12-03T07:55:00Z" in why or verdict == "wait"


def test_a_time_the_backups_stopped_short_of_long_ago_is_refused():
    """A source whose backups stopped an hour ago (a stopped archive): waiting would not help."""
    latest = NOW - datetime.timedelta(hours=2)
    verdict, why = restore.window_verdict(NOW - datetime.timedelta(hours=1), EARLIEST, latest, NOW)
    assert verdict == "refuse" and "after the latest restorable time" in why


def test_no_window_is_refused():
    verdict, why = restore.window_verdict(NOW, None, None, NOW)
    assert verdict == "refuse" and "no restorable window" in why


PARAMS = {
    "cluster_identifier": "payment-db-cluster-drill",
    "restore_type": "full-copy",
    "db_subnet_group_name": "payment-db-subnets-drill",
    "vpc_security_group_ids": ["sg-1"],
    "kms_key_id": "arn:aws:kms:us-east-1:123456789012:key/k",
    "db_cluster_parameter_group_name": "payment-db-params-drill",
    "port": 5432,
    "enable_cloudwatch_logs_exports": ["postgresql"],
    "enable_iam_database_authentication": True,
    "deletion_protection": False,
    "copy_tags_to_snapshot": True,
    "tags": {"environment": "drill"},
}


def test_point_in_time_request_takes_the_new_environments_settings():
    request = restore.restore_request(
        "time", PARAMS, {"DBClusterIdentifier": "payment-db-cluster-prod"}, "2026-12-03T07:45:00Z"
    )
    assert request["SourceDBClusterIdentifier"] == "payment-db-cluster-prod"
    assert request["RestoreToTime"] == datetime.datetime(2026, 12, 3, 7, 45, tzinfo=UTC)
    assert request["KmsKeyId"] == PARAMS["kms_key_id"] and request["VpcSecurityGroupIds"] == ["sg-1"]
    assert request["DeletionProtection"] is False  # a false setting is still sent
    assert request["Tags"] == [{"Key": "environment", "Value": "drill"}]
    assert "UseLatestRestorableTime" not in request and request["RestoreType"] == "full-copy"


def test_clone_and_snapshot_requests():
    clone = restore.restore_request(
        "latest", dict(PARAMS, restore_type="copy-on-write"), {"DBClusterIdentifier": "payment-db-cluster-prod"}
    )
    assert clone["UseLatestRestorableTime"] is True and clone["RestoreType"] == "copy-on-write"
    assert "RestoreToTime" not in clone
    snapshot = {"DBClusterSnapshotIdentifier": "s1", "Engine": "aurora-postgresql", "EngineVersion": "15.7"}
    from_snapshot = restore.restore_request("snapshot", dict(PARAMS, kms_key_id=""), snapshot)
    assert from_snapshot["SnapshotIdentifier"] == "s1" and from_snapshot["EngineVersion"] == "15.7"
    assert "KmsKeyId" not in from_snapshot and "SourceDBClusterIdentifier" not in from_snapshot
