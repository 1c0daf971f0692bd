# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""payments.auroradb.aurora_restore with a stubbed RDS client: an existing cluster is no change (the source is not
read), a time outside the source's window is refused naming it and nothing is sent, a time the backups do not reach
yet answers done=false, check mode sends nothing, the restore requests carry the new environment's settings, and a
snapshot of another cluster or not available is refused; no AWS."""

import datetime

import pytest
from botocore.stub import ANY

from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError
from ansible_collections.payments.auroradb.plugins.modules import aurora_restore as mod

NEW, SOURCE = "payment-db-cluster-drill", "payment-db-cluster-prod"
NOW = datetime.datetime.now(datetime.UTC)


class FakeModule:
    def __init__(self, check_mode=False, **params):
        self.check_mode = check_mode
        self.params = {
            "cluster_identifier": NEW,
            "source_cluster_identifier": SOURCE,
            "restore_time": "",
            "snapshot_identifier": "",
            "restore_type": "full-copy",
            "timeout": 0,
            "db_subnet_group_name": "payment-db-subnets-drill",
            "vpc_security_group_ids": ["sg-0123456789abcdef0"],
            "kms_key_id": "arn:aws:kms:us-east-1:123456789012:key/drill",
            "db_cluster_parameter_group_name": "payment-db-params-drill",
            "port": 5432,
            "enable_cloudwatch_logs_exports": ["postgresql"],
            "enable_iam_database_authentication": True,
            "deletion_protection": False,
            "copy_tags_to_snapshot": True,
            "tags": {"environment": "drill"},
            **params,
        }


def _iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def no_cluster(stub, name=NEW):
    stub.add_client_error(
        "describe_db_clusters",
        "DBClusterNotFoundFault",
        "not found",
        404,
        expected_params={"DBClusterIdentifier": name},
    )


def source(stub, earliest, latest):
    cluster = {"DBClusterIdentifier": SOURCE, "EarliestRestorableTime": earliest, "LatestRestorableTime": latest}
    stub.add_response("describe_db_clusters", {"DBClusters": [cluster]}, {"DBClusterIdentifier": SOURCE})


def test_an_existing_cluster_is_no_change(aws):
    client, stub = aws("rds")
    stub.add_response(
        "describe_db_clusters", {"DBClusters": [{"DBClusterIdentifier": NEW}]}, {"DBClusterIdentifier": NEW}
    )
    result = mod.ensure(FakeModule(restore_time="latest"), client)  # nothing else stubbed: the source is not read
    assert result["kind"] == "exists" and not result["changed"] and result["done"]


def test_a_time_in_the_window_is_restored_with_the_new_environments_settings(aws):
    client, stub = aws("rds")
    wanted = NOW - datetime.timedelta(hours=1)
    no_cluster(stub)
    source(stub, NOW - datetime.timedelta(days=7), NOW - datetime.timedelta(minutes=5))
    stub.add_response(
        "restore_db_cluster_to_point_in_time",
        {"DBCluster": {"DBClusterIdentifier": NEW}},
        {
            "DBClusterIdentifier": NEW,
            "SourceDBClusterIdentifier": SOURCE,
            "RestoreToTime": ANY,
            "RestoreType": "full-copy",
            "DBSubnetGroupName": "payment-db-subnets-drill",
            "VpcSecurityGroupIds": ["sg-0123456789abcdef0"],
            "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/drill",
            "DBClusterParameterGroupName": "payment-db-params-drill",
            "Port": 5432,
            "EnableCloudwatchLogsExports": ["postgresql"],
            "EnableIAMDatabaseAuthentication": True,
            "DeletionProtection": False,
            "CopyTagsToSnapshot": True,
            "Tags": [{"Key": "environment", "Value": "drill"}],
        },
    )
    result = mod.ensure(FakeModule(restore_time=_iso(wanted)), client)
    assert result["changed"] and result["restored"] and result["done"] and result["kind"] == "time"
    assert result["restore_time"] == _iso(wanted) and result["window"]["latest"]
    stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("wanted", "words"),
    [
        (NOW - datetime.timedelta(days=8), "before the earliest restorable time"),
        (NOW + datetime.timedelta(hours=1), "in the future"),
        (NOW - datetime.timedelta(hours=3), "after the latest restorable time"),
    ],
)
def test_a_time_outside_the_window_is_refused_naming_it(aws, wanted, words):
    client, stub = aws("rds")
    no_cluster(stub)
    source(stub, NOW - datetime.timedelta(days=7), NOW - datetime.timedelta(hours=4))
    with pytest.raises(AuroraDbError, match=f"{words}.*: the restorable window is "):
        mod.ensure(FakeModule(restore_time=_iso(wanted)), client)  # a restore call would find no stubbed answer


def test_a_time_the_backups_do_not_reach_yet_is_awaited(aws):
    client, stub = aws("rds")
    no_cluster(stub)
    source(stub, NOW - datetime.timedelta(days=7), NOW - datetime.timedelta(minutes=5))
    result = mod.ensure(FakeModule(restore_time=_iso(NOW - datetime.timedelta(minutes=1))), client)
    assert not result["done"] and not result["changed"] and "not restorable yet" in result["message"]


def test_check_mode_checks_and_sends_nothing(aws):
    client, stub = aws("rds")
    no_cluster(stub)
    source(stub, NOW - datetime.timedelta(days=7), NOW)
    result = mod.ensure(FakeModule(check_mode=True, restore_time="latest", restore_type="copy-on-write"), client)
    assert result["changed"] and result["restored"] and result["kind"] == "latest"


def test_a_snapshot_is_restored_with_its_engine_version(aws):
    client, stub = aws("rds")
    no_cluster(stub)
    snapshot = {
        "DBClusterSnapshotIdentifier": "drill-snapshot",
        "DBClusterIdentifier": SOURCE,
        "Status": "available",
        "Engine": "aurora-postgresql",
        "EngineVersion": "15.8",
    }
    stub.add_response(
        "describe_db_cluster_snapshots",
        {"DBClusterSnapshots": [snapshot]},
        {"DBClusterSnapshotIdentifier": "drill-snapshot"},
    )
    expected = {
        "DBClusterIdentifier": NEW,
        "SnapshotIdentifier": "drill-snapshot",
        "Engine": "aurora-postgresql",
        "EngineVersion": "15.8",
    }
    stub.add_response(
        "restore_db_cluster_from_snapshot",
        {"DBCluster": {"DBClusterIdentifier": NEW}},
        dict.fromkeys(
            (
                "DBSubnetGroupName",
                "VpcSecurityGroupIds",
                "KmsKeyId",
                "DBClusterParameterGroupName",
                "Port",
                "EnableCloudwatchLogsExports",
                "EnableIAMDatabaseAuthentication",
                "DeletionProtection",
                "CopyTagsToSnapshot",
                "Tags",
            ),
            ANY,
        )
        | expected,
    )
    result = mod.ensure(FakeModule(snapshot_identifier="drill-snapshot"), client)
    assert result["restored"] and result["kind"] == "snapshot" and result["source"] == "drill-snapshot"


@pytest.mark.parametrize(
    ("cluster", "status", "words"),
    [
        ("payment-db-cluster-other", "available", "is a snapshot of payment-db-cluster-other"),
        (SOURCE, "creating", "is creating, not available"),
    ],
)
def test_a_snapshot_of_another_cluster_or_not_ready_is_refused(aws, cluster, status, words):
    client, stub = aws("rds")
    no_cluster(stub)
    snapshot = {"DBClusterSnapshotIdentifier": "s1", "DBClusterIdentifier": cluster, "Status": status}
    stub.add_response(
        "describe_db_cluster_snapshots", {"DBClusterSnapshots": [snapshot]}, {"DBClusterSnapshotIdentifier": "s1"}
    )
    with pytest.raises(AuroraDbError, match=words):
        mod.ensure(FakeModule(snapshot_identifier="s1"), client)


def test_a_missing_snapshot_or_source_is_refused(aws):
    client, stub = aws("rds")
    no_cluster(stub)
    stub.add_client_error(
        "describe_db_cluster_snapshots",
        "DBClusterSnapshotNotFoundFault",
        "not found",
        404,
        expected_params={"DBClusterSnapshotIdentifier": "gone"},
    )
    with pytest.raises(AuroraDbError, match="snapshot gone does not exist"):
        mod.ensure(FakeModule(snapshot_identifier="gone"), client)
    no_cluster(stub)
    no_cluster(stub, SOURCE)
    with pytest.raises(AuroraDbError, match="the restore's source\\) does not exist"):
        mod.ensure(FakeModule(restore_time="latest"), client)
