"""Day-2 operations (issue 14 items 5 and 6) on one environment of inventories/local, end to end on the local cloud.

upgrade.yml refuses a major version (pointing to blue/green) and a downgrade before any RDS change, says in check mode
what it would do, then snapshots the cluster (tagged pre-upgrade), upgrades it to a later 15.x, waits and verifies;
site.yml afterwards keeps the new version (changed=0). snapshot.yml takes tagged manual snapshots, lists them,
refuses a bad name before any AWS call and, with auroradb_snapshot_keep, deletes only its own older snapshots.
The teardown leaves nothing but the snapshots.

    .venv/bin/python -m pytest -q tests/integration/test_operations.py
"""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO, recap

HOST = "payments-local"


def _rds_writes(cloud, before: int) -> list[str]:
    return [r["action"] for r in cloud.requests()[before:] if r["mutating"] and r.get("service") == "rds"]


def _snapshots(cloud, cluster_id: str) -> dict[str, dict]:
    """The cluster's manual snapshots (the local cloud takes automated ones too, as RDS does)."""
    rds = cloud.client("rds")
    found = rds.describe_db_cluster_snapshots(DBClusterIdentifier=cluster_id, SnapshotType="manual")[
        "DBClusterSnapshots"
    ]
    return {
        s["DBClusterSnapshotIdentifier"]: {
            "status": s["Status"],
            "type": s["SnapshotType"],
            "version": s["EngineVersion"],
            "tags": {
                t["Key"]: t["Value"]
                for t in rds.list_tags_for_resource(ResourceName=s["DBClusterSnapshotArn"])["TagList"]
            },
        }
        for s in found
    }


def test_upgrade_and_snapshots(localcloud, suffix):
    cloud = localcloud
    env = ("-e", f"env_suffix={suffix}")
    cluster_id = f"payment-db-cluster-{suffix}"
    rds = cloud.client("rds")
    cloud.playbook("site.yml", *env)
    assert rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]["EngineVersion"] == "15.7"

    # refused before any RDS change: a downgrade (a major version is refused by preflight, with no AWS call at all;
    # tests/unit: the module refuses both, and a version RDS does not offer, and the same version is no change)
    for version, words in (("16.4", "blue/green deployment"), ("15.4", "never downgrades")):
        before = len(cloud.requests())
        refused = cloud.playbook("upgrade.yml", *env, "-e", f"auroradb_aurora_engine_version={version}", check=False)
        assert refused.returncode != 0 and words in refused.stdout, refused.stdout[-3000:]
        assert _rds_writes(cloud, before) == []

    before = len(cloud.requests())
    plan = cloud.playbook("upgrade.yml", *env, "-e", "auroradb_aurora_engine_version=15.8", "--check")
    assert "would upgrade from 15.7 to 15.8" in plan.stdout, plan.stdout[-3000:]
    assert _rds_writes(cloud, before) == [] and _snapshots(cloud, cluster_id) == {}

    before = len(cloud.requests())
    upgraded = cloud.playbook("upgrade.yml", *env, "-e", "auroradb_aurora_engine_version=15.8")
    assert recap(upgraded.stdout, HOST)["failed"] == 0  # verify.yml ran after it and passed
    assert "upgraded from 15.7 to 15.8" in upgraded.stdout
    writes = _rds_writes(cloud, before)
    assert writes.index("CreateDBClusterSnapshot") < writes.index("ModifyDBCluster"), writes
    (cluster,) = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"]
    assert cluster["EngineVersion"] == "15.8" and cluster["Status"] == "available"
    (pre,) = _snapshots(cloud, cluster_id).items()
    assert pre[0].startswith(f"{cluster_id}-pre-15-8-") and pre[1]["tags"]["snapshot-kind"] == "pre-upgrade"
    assert pre[1]["version"] == "15.7" and pre[1]["status"] == "available"
    again = cloud.playbook("site.yml", *env)  # the inventory's 15.7 is a floor
    assert recap(again.stdout, HOST)["changed"] == 0, again.stdout[-4000:]

    # snapshots: a bad name costs no AWS call; named and generated ones are tagged, waited for and listed
    before = len(cloud.requests())
    bad = cloud.playbook("snapshot.yml", *env, "-e", "auroradb_snapshot_name=1-bad--name", check=False)
    assert bad.returncode != 0 and "auroradb_snapshot_name: must be a DB cluster snapshot identifier" in bad.stdout
    assert cloud.requests()[before:] == []
    named = cloud.playbook("snapshot.yml", *env, "-e", "auroradb_snapshot_name=before-release-42")
    assert "before-release-42  manual  available" in named.stdout, named.stdout[-3000:]
    cloud.playbook("snapshot.yml", *env)
    taken = _snapshots(cloud, cluster_id)
    manual = sorted(name for name, s in taken.items() if s["tags"].get("snapshot-kind") == "manual")
    assert len(manual) == 2 and "before-release-42" in manual
    assert all(taken[name]["status"] == "available" and taken[name]["tags"]["environment"] == suffix for name in manual)
    generated = next(name for name in manual if name != "before-release-42")
    assert generated.startswith(f"payment-db-manual-{suffix}-")

    kept = cloud.playbook("snapshot.yml", *env, "-e", "auroradb_snapshot_keep=1")
    left = _snapshots(cloud, cluster_id)
    newest = [name for name, s in left.items() if s["tags"].get("snapshot-kind") == "manual"]
    assert len(newest) == 1 and newest[0] not in manual  # the one just taken
    assert pre[0] in left  # the pre-upgrade snapshot is not this playbook's to delete
    assert all(f"deleted  {name}" in kept.stdout for name in manual), kept.stdout[-3000:]

    cloud.playbook("teardown.yml", *env)
    check = subprocess.run(
        [sys.executable, str(REPO / "tests" / "stack_check.py"), "absent", suffix, "--endpoint", cloud.endpoint],
        capture_output=True,
        text=True,
        env=cloud.env,
        check=False,
    )
    left = sorted(line for line in check.stdout.splitlines() if "left behind" in line)
    assert left == sorted(f"FAIL left behind: cluster snapshot {name}" for name in (pre[0], newest[0])), check.stdout
