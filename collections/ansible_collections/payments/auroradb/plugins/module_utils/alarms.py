# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The production profile's alarms and dashboard (monitoring role, ``auroradb_monitoring_extended_alarms``): pure
decisions, no AWS call.

* ``extended_alarms``: per instance CPUUtilization, FreeableMemory (a share of the class's memory) and
  DatabaseConnections (a share of max_connections: the inventory's ``max_connections`` parameter, else Aurora
  PostgreSQL's default for the class, ``LEAST(DBInstanceClassMemory / 9531392, 5000)``); per cluster
  AuroraReplicaLagMaximum and Deadlocks. Each alarm as ``{name, description, metric, statistic, comparison,
  threshold, dimensions}`` for ``amazon.aws.cloudwatch_metric_alarm``.
* ``dashboard_body``: a CloudWatch dashboard with the same metrics (and FreeLocalStorage), one graph per metric.
* ``class_memory_bytes`` / ``default_max_connections``: the memory of the DB instance classes Aurora PostgreSQL runs
  on (GiB, as AWS lists them); ``None`` for a class not listed (db.serverless scales its memory).
"""

from __future__ import annotations

import json

GIB = 1024**3
# Memory (GiB) of the DB instance classes per size, for the families Aurora PostgreSQL offers.
_BURSTABLE = {"medium": 4, "large": 8}
_MEMORY_OPTIMIZED = {
    "large": 16,
    "xlarge": 32,
    "2xlarge": 64,
    "4xlarge": 128,
    "8xlarge": 256,
    "12xlarge": 384,
    "16xlarge": 512,
    "24xlarge": 768,
}
CLASS_MEMORY_GIB = {
    **{f"db.{family}.{size}": gib for family in ("t3", "t4g") for size, gib in _BURSTABLE.items()},
    **{
        f"db.{family}.{size}": gib
        for family in ("r5", "r6g", "r6i", "r7g", "r7i", "r8g")
        for size, gib in _MEMORY_OPTIMIZED.items()
    },
}
# Local storage of each class (temporary files and logs; the FreeLocalStorage metric), GiB: AWS's table "Temporary
# storage limits for Aurora PostgreSQL" (Aurora User Guide, AuroraPostgreSQL.Managing). Classes it does not list
# (r6i, r7g, r7i, r8g) are not checked.
CLASS_LOCAL_STORAGE_GIB = {
    "db.t3.medium": 7.5,
    "db.t3.large": 16,
    "db.t4g.medium": 8.13,
    "db.t4g.large": 16.5,
    "db.r4.large": 30,
    "db.r4.xlarge": 60,
    "db.r4.2xlarge": 120,
    "db.r4.4xlarge": 240,
    "db.r4.8xlarge": 480,
    "db.r4.16xlarge": 960,
    "db.r5.large": 31,
    "db.r5.xlarge": 62,
    "db.r5.2xlarge": 124,
    "db.r5.4xlarge": 249,
    "db.r5.8xlarge": 504,
    "db.r5.12xlarge": 748,
    "db.r5.16xlarge": 1008,
    "db.r5.24xlarge": 1500,
    "db.r6g.large": 32,
    "db.r6g.xlarge": 63,
    "db.r6g.2xlarge": 126,
    "db.r6g.4xlarge": 252,
    "db.r6g.8xlarge": 504,
    "db.r6g.12xlarge": 756,
    "db.r6g.16xlarge": 1008,
    "db.x2g.large": 67,
    "db.x2g.xlarge": 134,
    "db.x2g.2xlarge": 268,
    "db.x2g.4xlarge": 535,
    "db.x2g.8xlarge": 1071,
    "db.x2g.12xlarge": 1606,
    "db.x2g.16xlarge": 1829,
}
# Aurora PostgreSQL's default max_connections: LEAST({DBInstanceClassMemory/9531392}, 5000).
CONNECTION_BYTES = 9531392
MAX_DEFAULT_CONNECTIONS = 5000
NAMESPACE = "AWS/RDS"


def class_memory_bytes(instance_class):
    gib = CLASS_MEMORY_GIB.get(instance_class)
    return None if gib is None else gib * GIB


def class_local_storage_bytes(instance_class):
    """The class's local storage in bytes (CLASS_LOCAL_STORAGE_GIB), or None when AWS's table does not list it."""
    gib = CLASS_LOCAL_STORAGE_GIB.get(instance_class)
    return None if gib is None else int(gib * GIB)


def default_max_connections(instance_class):
    memory = class_memory_bytes(instance_class)
    return None if memory is None else min(memory // CONNECTION_BYTES, MAX_DEFAULT_CONNECTIONS)


def max_connections(instance_class, parameters=None):
    """The inventory's max_connections (a cluster parameter) when it sets one as a number, else the default."""
    value = (parameters or {}).get("max_connections")
    try:
        return int(value)
    except (TypeError, ValueError):
        return default_max_connections(instance_class)


def extended_alarm_names(names, instance_ids):
    """Every alarm ``extended_alarms`` can create (teardown removes them whatever the settings say now)."""
    per_instance = [f"{ident}-{kind}" for ident in instance_ids for kind in ("cpu", "memory", "connections")]
    return per_instance + [names["replica_lag_alarm"], names["deadlocks_alarm"]]


def extended_alarms(names, instance_ids, instance_class, parameters, thresholds):
    """The alarms to create; raises ValueError when the class's memory is unknown (the validation says it first)."""
    memory = class_memory_bytes(instance_class)
    connections = max_connections(instance_class, parameters)
    if memory is None or connections is None:
        raise ValueError(f"the memory of {instance_class} is not known: set auroradb_monitoring_extended_alarms false")
    free_memory = int(memory * thresholds["freeable_memory_percent"] / 100)
    busy = int(connections * thresholds["connections_percent"] / 100)
    alarms = []
    for ident in instance_ids:
        dims = {"DBInstanceIdentifier": ident}
        alarms += [
            _alarm(
                f"{ident}-cpu",
                f"CPU of {ident} above {thresholds['cpu']:g}%",
                "CPUUtilization",
                "Average",
                "GreaterThanThreshold",
                thresholds["cpu"],
                dims,
            ),
            _alarm(
                f"{ident}-memory",
                f"Freeable memory of {ident} below {thresholds['freeable_memory_percent']:g}% of {instance_class}'s "
                f"{memory // GIB} GiB",
                "FreeableMemory",
                "Average",
                "LessThanThreshold",
                free_memory,
                dims,
            ),
            _alarm(
                f"{ident}-connections",
                f"Connections to {ident} above {thresholds['connections_percent']:g}% of max_connections "
                f"({connections})",
                "DatabaseConnections",
                "Maximum",
                "GreaterThanThreshold",
                busy,
                dims,
            ),
        ]
    cluster = {"DBClusterIdentifier": names["cluster"]}
    alarms += [
        _alarm(
            names["replica_lag_alarm"],
            f"A reader of {names['cluster']} lags the writer by more than {thresholds['replica_lag_ms']:g} ms",
            "AuroraReplicaLagMaximum",
            "Maximum",
            "GreaterThanThreshold",
            thresholds["replica_lag_ms"],
            cluster,
        ),
        _alarm(
            names["deadlocks_alarm"],
            f"Deadlocks in {names['cluster']} (more than {thresholds['deadlocks']:g} per second on average)",
            "Deadlocks",
            "Average",
            "GreaterThanThreshold",
            thresholds["deadlocks"],
            cluster,
        ),
    ]
    return alarms


def _alarm(name, description, metric, statistic, comparison, threshold, dimensions):
    return {
        "name": name,
        "description": description,
        "metric": metric,
        "statistic": statistic,
        "comparison": comparison,
        "threshold": threshold,
        "dimensions": dimensions,
    }


def dashboard_body(names, instance_ids, region):
    """The dashboard's JSON body: one graph per metric, a line per instance (or the cluster)."""
    cluster = names["cluster"]

    def graph(title, metric, statistic, per_instance, x, y):
        if per_instance:
            metrics = [[NAMESPACE, metric, "DBInstanceIdentifier", ident] for ident in instance_ids]
        else:
            metrics = [[NAMESPACE, metric, "DBClusterIdentifier", cluster]]
        return {
            "type": "metric",
            "x": x,
            "y": y,
            "width": 12,
            "height": 6,
            "properties": {
                "title": title,
                "metrics": metrics,
                "stat": statistic,
                "period": 300,
                "region": region,
                "view": "timeSeries",
            },
        }

    widgets = [
        graph("CPU utilization (%)", "CPUUtilization", "Average", True, 0, 0),
        graph("Freeable memory (bytes)", "FreeableMemory", "Average", True, 12, 0),
        graph("Database connections", "DatabaseConnections", "Maximum", True, 0, 6),
        graph("Free local storage (bytes)", "FreeLocalStorage", "Average", True, 12, 6),
        graph("Replica lag, maximum (ms)", "AuroraReplicaLagMaximum", "Maximum", False, 0, 12),
        graph("Deadlocks (per second)", "Deadlocks", "Average", False, 12, 12),
    ]
    return json.dumps({"widgets": widgets}, sort_keys=True)
