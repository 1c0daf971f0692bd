"""A pending-reboot parameter change shows on the members until each is rebooted (moto: always in-sync)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from localcloud.testing import create_cluster, unique_name


@pytest.fixture
def subnet_group(network):
    return network["subnet_group"]


def _members(rds, cluster_id):
    cluster = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]
    return {m["DBInstanceIdentifier"]: m["DBClusterParameterGroupStatus"] for m in cluster["DBClusterMembers"]}


def test_cluster_parameter_group_pending_reboot_until_reboot(cloud, subnet_group):
    rds = cloud.client("rds")
    group = unique_name("cpg")
    rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName=group, DBParameterGroupFamily="aurora-postgresql15", Description="test"
    )
    cluster_id = create_cluster(rds, subnet_group, DBClusterParameterGroupName=group)
    instances = [unique_name("db") for _ in range(2)]
    for instance_id in instances:
        rds.create_db_instance(
            DBInstanceIdentifier=instance_id,
            DBClusterIdentifier=cluster_id,
            Engine="aurora-postgresql",
            DBInstanceClass="db.t3.medium",
        )
    assert set(_members(rds, cluster_id).values()) == {"in-sync"}

    # A dynamic parameter applied immediately needs no reboot.
    rds.modify_db_cluster_parameter_group(
        DBClusterParameterGroupName=group,
        Parameters=[{"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "immediate"}],
    )
    assert set(_members(rds, cluster_id).values()) == {"in-sync"}

    rds.modify_db_cluster_parameter_group(
        DBClusterParameterGroupName=group,
        Parameters=[
            {"ParameterName": "shared_preload_libraries", "ParameterValue": "pg_stat_statements,pg_cron",
             "ApplyMethod": "pending-reboot"}
        ],
    )  # fmt: skip
    assert _members(rds, cluster_id) == dict.fromkeys(instances, "pending-reboot")

    rds.reboot_db_instance(DBInstanceIdentifier=instances[0])
    assert _members(rds, cluster_id) == {instances[0]: "in-sync", instances[1]: "pending-reboot"}
    rds.reboot_db_instance(DBInstanceIdentifier=instances[1])
    assert set(_members(rds, cluster_id).values()) == {"in-sync"}

    # AWS refuses to delete a group that a cluster still uses (moto deleted it).
    with pytest.raises(ClientError) as err:
        rds.delete_db_cluster_parameter_group(DBClusterParameterGroupName=group)
    assert err.value.response["Error"]["Code"] == "InvalidDBParameterGroupState"


def test_instance_parameter_group_pending_reboot_until_reboot(cloud, subnet_group):
    rds = cloud.client("rds")
    group = unique_name("pg")
    rds.create_db_parameter_group(
        DBParameterGroupName=group, DBParameterGroupFamily="aurora-postgresql15", Description="test"
    )
    cluster_id = create_cluster(rds, subnet_group)
    instance_id, other_id = unique_name("db"), unique_name("db")
    for ident in (instance_id, other_id):
        rds.create_db_instance(
            DBInstanceIdentifier=ident,
            DBClusterIdentifier=cluster_id,
            Engine="aurora-postgresql",
            DBInstanceClass="db.t3.medium",
            DBParameterGroupName=group,
        )

    def status(ident):
        groups = rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]["DBParameterGroups"]
        return [(g["DBParameterGroupName"], g["ParameterApplyStatus"]) for g in groups]

    assert status(instance_id) == [(group, "in-sync")]
    name = next(
        p["ParameterName"]
        for p in rds.describe_engine_default_parameters(DBParameterGroupFamily="aurora-postgresql15")["EngineDefaults"][
            "Parameters"
        ]
        if p["ApplyType"] == "static" and p["IsModifiable"] and p.get("DataType") == "integer"
    )
    low = next(
        p["AllowedValues"].split("-")[0]
        for p in rds.describe_db_parameters(DBParameterGroupName=group)["Parameters"]
        if p["ParameterName"] == name
    )
    rds.modify_db_parameter_group(
        DBParameterGroupName=group,
        Parameters=[{"ParameterName": name, "ParameterValue": low, "ApplyMethod": "pending-reboot"}],
    )
    assert status(instance_id) == [(group, "pending-reboot")]
    assert status(other_id) == [(group, "pending-reboot")]
    with pytest.raises(ClientError) as err:
        rds.delete_db_parameter_group(DBParameterGroupName=group)
    assert err.value.response["Error"]["Code"] == "InvalidDBParameterGroupState"
    rds.reboot_db_instance(DBInstanceIdentifier=instance_id)
    assert status(instance_id) == [(group, "in-sync")]
    assert status(other_id) == [(group, "pending-reboot")]
