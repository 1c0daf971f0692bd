"""Fixtures: a real local cloud process (``localcloud up``) on a free loopback port, per test session."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest

from localcloud import ACCOUNT_ID  # noqa: F401 - re-exported for tests


def unique_name(prefix: str) -> str:
    """A resource name no other test (or earlier run on the same cloud) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create_cluster(rds, subnet_group: str, **extra) -> str:
    """An aurora-postgresql 15.7 cluster in ``subnet_group``; returns its identifier."""
    cluster_id = unique_name("cluster")
    rds.create_db_cluster(
        DBClusterIdentifier=cluster_id,
        Engine="aurora-postgresql",
        EngineVersion="15.7",
        MasterUsername="dbadmin",
        MasterUserPassword="p" * 32,
        DBSubnetGroupName=subnet_group,
        **extra,
    )
    return cluster_id


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "localcloud.cli", *args], capture_output=True, text=True, timeout=120, check=False
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"localcloud {' '.join(args)} failed: {proc.stdout}{proc.stderr}")
    return proc


class Cloud:
    def __init__(self, port: int, state_dir: Path):
        self.port = port
        self.state_dir = state_dir
        self.endpoint = f"http://127.0.0.1:{port}"

    def client(self, service: str):
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


@pytest.fixture(scope="session")
def cloud(tmp_path_factory) -> Cloud:
    state_dir = tmp_path_factory.mktemp("localcloud")
    port = free_port()
    run_cli("up", "--port", str(port), "--state-dir", str(state_dir))
    yield Cloud(port, state_dir)
    run_cli("down", "--state-dir", str(state_dir))


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch):
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    os.environ.setdefault("AWS_CONFIG_FILE", "/dev/null")


@pytest.fixture(scope="session")
def network(cloud):
    """A VPC with a subnet in each of three AZs and a DB subnet group over them."""
    ec2 = cloud.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate("abc")
    ]
    group = unique_name("subnets")
    cloud.client("rds").create_db_subnet_group(
        DBSubnetGroupName=group, DBSubnetGroupDescription="test", SubnetIds=subnets
    )
    return {"vpc": vpc, "subnets": subnets, "subnet_group": group}
