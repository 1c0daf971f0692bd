# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The production profile's alarms and dashboard (module_utils/alarms.py): thresholds from the class's memory and
max_connections, one set per instance plus the cluster's two, names for teardown, the dashboard's graphs."""

from __future__ import annotations

import json

import pytest

from ansible_collections.payments.auroradb.plugins.module_utils import alarms
from ansible_collections.payments.auroradb.plugins.module_utils.validation import derive_names

NAMES = derive_names("prod", 2)
IDS = [NAMES["writer_instance"], *NAMES["reader_instances"]]
THRESHOLDS = {
    "cpu": 80,
    "freeable_memory_percent": 10,
    "connections_percent": 80,
    "replica_lag_ms": 2000,
    "deadlocks": 0,
}


@pytest.mark.parametrize(
    ("instance_class", "connections"),
    [("db.r5.large", 1802), ("db.r6g.xlarge", 3604), ("db.r6g.4xlarge", 5000), ("db.t3.medium", 450)],
)
def test_default_max_connections_follow_aws_formula(instance_class, connections):
    # LEAST({DBInstanceClassMemory/9531392}, 5000); AWS's own example: db.r5.large, 16 GiB -> 1802
    assert alarms.default_max_connections(instance_class) == connections


def test_inventory_max_connections_wins():
    assert alarms.max_connections("db.r6g.large", {"max_connections": "300"}) == 300
    assert alarms.max_connections("db.r6g.large", {"max_connections": "{DBInstanceClassMemory/9531392}"}) == 1802


def test_three_alarms_per_instance_and_two_for_the_cluster():
    made = alarms.extended_alarms(NAMES, IDS, "db.r6g.large", {}, THRESHOLDS)
    by_name = {a["name"]: a for a in made}
    assert sorted(by_name) == sorted(alarms.extended_alarm_names(NAMES, IDS))
    assert len(made) == 3 * len(IDS) + 2
    writer = NAMES["writer_instance"]
    assert by_name[f"{writer}-cpu"]["threshold"] == 80
    assert by_name[f"{writer}-memory"]["threshold"] == int(16 * 1024**3 * 0.1)
    assert by_name[f"{writer}-memory"]["comparison"] == "LessThanThreshold"
    assert by_name[f"{writer}-connections"]["threshold"] == int(1802 * 0.8)
    assert by_name[f"{writer}-connections"]["dimensions"] == {"DBInstanceIdentifier": writer}
    lag = by_name[NAMES["replica_lag_alarm"]]
    assert lag["metric"] == "AuroraReplicaLagMaximum" and lag["threshold"] == 2000
    assert lag["dimensions"] == {"DBClusterIdentifier": NAMES["cluster"]}
    assert by_name[NAMES["deadlocks_alarm"]]["metric"] == "Deadlocks"


def test_unknown_class_is_refused():
    with pytest.raises(ValueError, match="db.serverless"):
        alarms.extended_alarms(NAMES, IDS, "db.serverless", {}, THRESHOLDS)


def test_dashboard_graphs_every_metric_for_every_instance():
    body = json.loads(alarms.dashboard_body(NAMES, IDS, "us-east-1"))
    titles = [w["properties"]["title"] for w in body["widgets"]]
    assert len(titles) == 6
    cpu = body["widgets"][0]["properties"]
    assert [m[3] for m in cpu["metrics"]] == IDS and cpu["region"] == "us-east-1"
    deadlocks = body["widgets"][-1]["properties"]
    assert deadlocks["metrics"] == [["AWS/RDS", "Deadlocks", "DBClusterIdentifier", NAMES["cluster"]]]
