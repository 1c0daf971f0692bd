# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""payments.auroradb.cluster_snapshots with a stubbed RDS client: the listing, and keep=N deleting only the older
snapshots of its own kind (never automated, final or pre-upgrade ones); check mode deletes nothing; no AWS."""

import datetime

import pytest

from ansible_collections.payments.auroradb.plugins.module_utils import rds
from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError
from ansible_collections.payments.auroradb.plugins.modules import cluster_snapshots as mod

CLUSTER = "payment-db-cluster-prod"


def snap(name, day, kind=None, snapshot_type="manual"):
    tags = [{"Key": "environment", "Value": "prod"}] + ([{"Key": "snapshot-kind", "Value": kind}] if kind else [])
    return {
        "DBClusterSnapshotIdentifier": name,
        "DBClusterSnapshotArn": f"arn:aws:rds:us-east-1:123456789012:cluster-snapshot:{name}",
        "SnapshotType": snapshot_type,
        "Status": "available",
        "SnapshotCreateTime": datetime.datetime(2026, 12, day, 10, 0, tzinfo=datetime.UTC),
        "EngineVersion": "15.8",
        "TagList": tags,
    }


SNAPSHOTS = [
    snap("manual-1", 1, "manual"),
    snap("manual-3", 3, "manual"),
    snap("manual-2", 2, "manual"),
    snap("pre-upgrade", 1, "pre-upgrade"),
    snap("payment-db-final-prod-20261130000000", 1),
    snap("rds:payment-db-cluster-prod-2026-12-01-03-00", 1, snapshot_type="automated"),
]


class FakeModule:
    def __init__(self, keep=None, check_mode=False):
        self.check_mode = check_mode
        self.params = {"cluster_identifier": CLUSTER, "kind": "manual", "keep": keep}


def listed(stub):
    stub.add_response(
        "describe_db_cluster_snapshots", {"DBClusterSnapshots": SNAPSHOTS}, {"DBClusterIdentifier": CLUSTER}
    )


def test_keep_deletes_only_the_older_snapshots_of_its_kind(aws):
    client, stub = aws("rds")
    listed(stub)
    for name in ("manual-1", "manual-2"):
        stub.add_response(
            "delete_db_cluster_snapshot", {"DBClusterSnapshot": {}}, {"DBClusterSnapshotIdentifier": name}
        )
    result = mod.ensure(FakeModule(keep=1), client)
    assert result["changed"] and result["deleted"] == ["manual-1", "manual-2"]
    assert [s["id"] for s in result["snapshots"]][0] == "manual-3" and len(result["snapshots"]) == 4
    assert "deleted  manual-1" in result["lines"]


def test_without_keep_it_only_lists(aws):
    client, stub = aws("rds")
    listed(stub)
    result = mod.ensure(FakeModule(), client)
    assert not result["changed"] and len(result["snapshots"]) == 6 and result["deleted"] == []


def test_check_mode_deletes_nothing(aws):
    client, stub = aws("rds")
    listed(stub)
    result = mod.ensure(FakeModule(keep=0, check_mode=True), client)
    assert result["deleted"] == ["manual-1", "manual-2", "manual-3"] and len(result["snapshots"]) == 6


def test_keep_zero_spares_other_kinds():
    doomed = rds.snapshots_to_prune(SNAPSHOTS, 0, "manual")
    assert doomed == ["manual-1", "manual-2", "manual-3"]


def test_negative_keep_is_refused(aws):
    client, _stub = aws("rds")
    with pytest.raises(AuroraDbError, match="keep must be 0 or more"):
        mod.ensure(FakeModule(keep=-2), client)
