# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""payments.auroradb.aurora_engine_upgrade with a stubbed RDS client: a later minor version RDS offers is upgraded to
(check mode sends nothing), the same version is no change, and a major version, a downgrade or a version RDS does not
offer are refused before any change; no AWS."""

import pytest

from ansible_collections.payments.auroradb.plugins.module_utils import rds
from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError
from ansible_collections.payments.auroradb.plugins.modules import aurora_engine_upgrade as mod

CLUSTER = "payment-db-cluster-prod"
TARGETS = [
    {"Engine": "aurora-postgresql", "EngineVersion": "15.8", "IsMajorVersionUpgrade": False},
    {"Engine": "aurora-postgresql", "EngineVersion": "15.10", "IsMajorVersionUpgrade": False},
    {"Engine": "aurora-postgresql", "EngineVersion": "16.4", "IsMajorVersionUpgrade": True},
]


class FakeModule:
    def __init__(self, version, check_mode=False):
        self.check_mode, self._diff = check_mode, True
        self.params = {"cluster_identifier": CLUSTER, "engine_version": version}


def described(stub, current="15.7"):
    cluster = {"DBClusterIdentifier": CLUSTER, "Engine": "aurora-postgresql", "EngineVersion": current}
    stub.add_response("describe_db_clusters", {"DBClusters": [cluster]}, {"DBClusterIdentifier": CLUSTER})
    stub.add_response(
        "describe_db_engine_versions",
        {
            "DBEngineVersions": [
                {"Engine": "aurora-postgresql", "EngineVersion": current, "ValidUpgradeTarget": TARGETS}
            ]
        },
        {"Engine": "aurora-postgresql", "EngineVersion": current},
    )


def test_a_later_minor_version_is_upgraded_to(aws):
    client, stub = aws("rds")
    described(stub)
    stub.add_response(
        "modify_db_cluster",
        {"DBCluster": {"DBClusterIdentifier": CLUSTER}},
        {"DBClusterIdentifier": CLUSTER, "EngineVersion": "15.8", "ApplyImmediately": True},
    )
    result = mod.ensure(FakeModule("15.8"), client)
    assert result["changed"] and result["previous_version"] == "15.7" and result["minor_targets"] == ["15.8", "15.10"]
    assert result["diff"] == {"before": {"engine_version": "15.7"}, "after": {"engine_version": "15.8"}}


def test_check_mode_sends_nothing(aws):
    client, stub = aws("rds")
    described(stub)
    assert mod.ensure(FakeModule("15.10", check_mode=True), client)["changed"]  # no modify stubbed: none sent


def test_the_same_version_is_no_change(aws):
    client, stub = aws("rds")
    described(stub, current="15.8")
    assert not mod.ensure(FakeModule("15.8"), client)["changed"]


@pytest.mark.parametrize(
    ("version", "words"),
    [
        ("16.4", "blue/green deployment"),
        ("15.4", "never downgrades"),
        ("15.9", "minor versions offered: 15.8, 15.10"),
    ],
)
def test_what_rds_cannot_do_in_place_is_refused_before_any_change(aws, version, words):
    client, stub = aws("rds")
    described(stub)
    with pytest.raises(AuroraDbError, match=words):
        mod.ensure(FakeModule(version), client)


def test_upgrade_plan_orders_versions_numerically():
    assert rds.upgrade_plan("15.7", "15.10", TARGETS) == {"upgrade": True, "minor_targets": ["15.8", "15.10"]}
    with pytest.raises(rds.UpgradeRefused, match="offers no upgrade"):
        rds.upgrade_plan("15.7", "15.8", [])
