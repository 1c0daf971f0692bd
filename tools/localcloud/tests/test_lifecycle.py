"""With LOCALCLOUD_RDS_CREATE_SECONDS, new instances stay "creating" for that long, then become available."""

from __future__ import annotations

import os
import time

import pytest
from conftest import Cloud, free_port, run_cli


@pytest.fixture
def slow_cloud(tmp_path):
    port = free_port()
    os.environ["LOCALCLOUD_RDS_CREATE_SECONDS"] = "3"
    try:
        run_cli("up", "--port", str(port), "--state-dir", str(tmp_path))
    finally:
        del os.environ["LOCALCLOUD_RDS_CREATE_SECONDS"]
    yield Cloud(port, tmp_path)
    run_cli("down", "--state-dir", str(tmp_path))


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
