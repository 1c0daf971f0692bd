"""With LOCALCLOUD_RDS_CREATE_SECONDS, new instances stay "creating" for that long, then become available."""

from __future__ import annotations

import time

import pytest


@pytest.fixture
def slow_cloud(start_cloud):
    return start_cloud(env={"LOCALCLOUD_RDS_CREATE_SECONDS": "3"})


def test_instances_are_creating_for_a_while(slow_cloud):
    rds = slow_cloud.client("rds")
    rds.create_db_cluster(
        DBClusterIdentifier="slow",
        Engine="aurora-postgresql",
        EngineVersion="15.7",
        MasterUsername="dbadmin",
        MasterUserPassword="p" * 32,
    )
    rds.create_db_instance(
        DBInstanceIdentifier="slow-1",
        DBClusterIdentifier="slow",
        Engine="aurora-postgresql",
        DBInstanceClass="db.t3.medium",
    )
    status = rds.describe_db_instances(DBInstanceIdentifier="slow-1")["DBInstances"][0]["DBInstanceStatus"]
    assert status == "creating"
    time.sleep(3.2)
    status = rds.describe_db_instances(DBInstanceIdentifier="slow-1")["DBInstances"][0]["DBInstanceStatus"]
    assert status == "available"
