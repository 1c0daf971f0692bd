"""The AWS timing model: the pure model (localcloud.timing) and a cloud started with ``--timing aws``.

The timed cloud runs at a high time scale (120: an Aurora instance takes 5 s instead of 10 min), so each state
sequence is observed by polling within seconds; plain moto (no transitional states at all) proves each gap.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from localcloud import timing
from localcloud.testing import LocalCloud, create_cluster, create_network, free_port, run_cli, unique_name

REPO = Path(timing.__file__).resolve().parents[3]
SCALE = 120  # instance create 5 s, cluster 1.75 s, NAT gateway 0.9 s, endpoint 0.75 s, Lambda in a VPC 0.5 s
REQUIRED = (
    "rds.cluster.create",
    "rds.instance.create",
    "rds.instance.modify",
    "rds.cluster.modify",
    "rds.instance.reboot",
    "rds.instance.delete",
    "rds.cluster.delete",
    "rds.engine.upgrade",
    "rds.cluster.failover",
    "ec2.nat-gateway.create",
    "ec2.nat-gateway.delete",
    "ec2.vpc-endpoint.create",
    "ec2.vpc-endpoint.delete",
    "ec2.vpc.create",
    "ec2.subnet.create",
    "ec2.igw.create",
    "ec2.route-table.create",
    "ec2.security-group.create",
    "rds.subnet-group.create",
    "rds.parameter-group.create",
    "kms.key.create",
    "secretsmanager.secret.create",
    "iam.role.create",
    "lambda.function.create-vpc",
    "lambda.function.update",
    "cloudwatch.alarm.create",
)


# --------------------------------------------------------------------------------------------- the pure model
def test_table_loads_and_every_operation_has_a_source():
    table = timing.load_table()
    assert set(REQUIRED) <= set(table)
    for op in table.values():
        assert op.source.strip(), op.operation
        low, high = (float(x) for x in op.range.split("-"))
        assert 0 < low <= op.aws_seconds <= high, op.operation
        if op.phases:
            assert abs(sum(share for _, share in op.phases) - 1) < 1e-9, op.operation
    assert table["rds.cluster.create"].phases[:2] == (("creating", 0.8), ("backing-up", 0.2))


def test_scale_and_seeded_jitter():
    model = timing.Model(60)
    assert model.seconds("rds.instance.create") == pytest.approx(10.0)
    assert timing.Model(600).seconds("rds.instance.create") == pytest.approx(1.0)
    draws = [model.draw("rds.instance.create") for _ in range(200)]
    assert all(9.5 <= d <= 10.5 for d in draws)
    assert len(set(draws)) > 100  # jitter, not a constant
    first, again = timing.Model(60, seed=7), timing.Model(60, seed=7)
    assert [first.draw("ec2.nat-gateway.create") for _ in range(5)] == [
        again.draw("ec2.nat-gateway.create") for _ in range(5)
    ]
    assert timing.Model(60, seed=1).draw("rds.instance.create") != timing.Model(60, seed=2).draw("rds.instance.create")
    with pytest.raises(ValueError, match="positive"):
        timing.Model(0)


def test_from_env():
    assert timing.from_env({}) is None
    assert timing.from_env({"LOCALCLOUD_TIMING": "instant"}) is None
    model = timing.from_env({"LOCALCLOUD_TIMING": "aws", "LOCALCLOUD_TIME_SCALE": "600", "LOCALCLOUD_TIMING_SEED": "3"})
    assert (model.time_scale, model.seed) == (600.0, 3)
    assert timing.from_env({"LOCALCLOUD_TIMING": "aws"}).time_scale == timing.DEFAULT_TIME_SCALE


def test_longest_path_on_small_graphs():
    assert timing.longest_path({}, {}) == (0.0, [])
    assert timing.longest_path({"a": 2}, {}) == (2.0, ["a"])
    # a diamond: a -> (b | c) -> d; the longer branch decides
    durations = {"a": 1, "b": 5, "c": 2, "d": 1}
    deps = {"b": ["a"], "c": ["a"], "d": ["b", "c"]}
    assert timing.longest_path(durations, deps) == (7.0, ["a", "b", "d"])
    # two independent chains: the longer one; a node only named as a dependency counts with its duration
    assert timing.longest_path({"x": 3, "y": 1, "z": 5}, {"y": ["x"]}) == (5.0, ["z"])
    assert timing.longest_path({"x": 3, "y": 2}, {"y": ["x"], "w": ["y"]}) == (5.0, ["x", "y", "w"])
    with pytest.raises(ValueError, match="cycle"):
        timing.longest_path({"a": 1, "b": 1}, {"a": ["b"], "b": ["a"]})


def test_critical_paths_of_this_stack():
    converge, path = timing.critical_path("converge", 60)
    assert converge > 0 and any(node.startswith("rds.instance.create") for node in path)
    assert converge >= timing.Model(60).seconds("rds.instance.create")
    teardown, path = timing.critical_path("teardown", 60)
    assert teardown > 0 and path[-1] == "ec2.vpc.delete" and "rds.cluster.delete" in path
    assert timing.critical_path("converge", 120)[0] == pytest.approx(converge / 2)
    for graph in timing.GRAPHS.values():  # every node is a table operation (or a milestone)
        nodes = {*graph, *(d for ds in graph.values() for d in ds)}
        assert {timing.operation(n) for n in nodes} - {None} <= set(timing.load_table())


# --------------------------------------------------------------------------------------------- helpers
def watch(read, done, timeout: float = 20.0, period: float = 0.03) -> list[tuple[float, object]]:
    """Poll ``read()`` until ``done(value)``; returns each distinct value with when it was first seen."""
    seen: list[tuple[float, object]] = []
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if not seen or seen[-1][1] != value:
            seen.append((time.monotonic(), value))
        if done(value):
            return seen
        assert time.monotonic() < deadline, seen
        time.sleep(period)


def sequence(seen, index=None) -> list:
    values = [value if index is None else value[index] for _, value in seen]
    return [v for i, v in enumerate(values) if i == 0 or values[i - 1] != v]


def in_order(observed: list, expected: list, short: tuple = ()) -> bool:
    """``observed`` is ``expected`` in order, where only the ``short`` states (a few polls long) may be missed."""
    missable = [state for state in expected if state not in short or state in observed]
    return observed == missable


def first_seen(seen, index, value) -> float:
    return next(at for at, v in seen if v[index] == value)


def member(rds, cluster_id: str, name: str, **extra) -> dict:
    """CreateDBInstance of an aurora-postgresql cluster member; returns the answer's DBInstance."""
    return rds.create_db_instance(
        DBInstanceIdentifier=name,
        DBClusterIdentifier=cluster_id,
        Engine="aurora-postgresql",
        DBInstanceClass="db.t3.medium",
        **extra,
    )["DBInstance"]


def error_code(call, *args, **kwargs) -> str:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response["Error"]["Code"]


@pytest.fixture(scope="module")
def timed_cloud(tmp_path_factory, localcloud_repo):
    """A local cloud with ``--timing aws --time-scale 120`` (control plane only: no PostgreSQL start-up noise)."""
    env = {"LOCALCLOUD_DATAPLANE": "0"}
    started = LocalCloud.up(
        tmp_path_factory.mktemp("timed"), env=env, repo=localcloud_repo, timing="aws", time_scale=SCALE
    )
    yield started
    started.down()


def test_timing_endpoint_reports_the_model(timed_cloud):
    report = timed_cloud.timing()
    assert (report["mode"], report["time_scale"], report["seed"]) == ("aws", SCALE, 0)
    assert report["durations"]["rds.instance.create"] == pytest.approx(600 / SCALE)
    assert report["converge_critical_path_s"] == pytest.approx(timing.critical_path("converge", SCALE)[0], abs=1e-3)
    assert report["teardown_critical_path_s"] > 0 and report["teardown_path"][-1] == "ec2.vpc.delete"
    assert any(node.startswith("rds.instance.create") for node in report["converge_path"])


# --------------------------------------------------------------------------------------------- RDS
def test_cluster_and_instances_follow_aws_states(timed_cloud):
    rds, net = timed_cloud.client("rds"), create_network(timed_cloud, cidr="10.61")
    cluster_id = unique_name("timed")
    writer, reader = f"{cluster_id}-1", f"{cluster_id}-2"
    create_cluster(rds, net["subnet_group"], cluster_id, EnableCloudwatchLogsExports=["postgresql"])
    assert rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]["Status"] == "creating"
    # AWS accepts members while the cluster is creating
    monitoring = {"MonitoringInterval": 60, "MonitoringRoleArn": "arn:aws:iam::123456789012:role/m"}
    assert member(rds, cluster_id, writer, **monitoring)["DBInstanceStatus"] == "creating"
    assert member(rds, cluster_id, reader)["DBInstanceStatus"] == "creating"
    assert rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]["Status"] == "creating"
    # busy states refuse, with AWS's codes
    assert error_code(rds.modify_db_instance, DBInstanceIdentifier=writer, PromotionTier=2) == "InvalidDBInstanceState"
    assert error_code(rds.reboot_db_instance, DBInstanceIdentifier=writer) == "InvalidDBInstanceState"
    assert error_code(rds.modify_db_cluster, DBClusterIdentifier=cluster_id, BackupRetentionPeriod=3) == (
        "InvalidDBClusterStateFault"
    )
    assert error_code(rds.delete_db_cluster, DBClusterIdentifier=cluster_id, SkipFinalSnapshot=True) == (
        "InvalidDBClusterStateFault"
    )

    def read():
        cluster = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]
        writers = tuple(m["DBInstanceIdentifier"] for m in cluster["DBClusterMembers"] if m["IsClusterWriter"])
        statuses = {
            i["DBInstanceIdentifier"]: i["DBInstanceStatus"] for i in rds.describe_db_instances()["DBInstances"]
        }
        return cluster["Status"], statuses[writer], statuses[reader], writers

    seen = watch(read, lambda v: v[:3] == ("available",) * 3)
    assert sequence(seen, 0) == ["creating", "backing-up", "available"]
    # configuring-log-exports lasts 5 % of 5 s for the writer (may fall between two polls of a busy machine)
    monitored = ["creating", "configuring-enhanced-monitoring", "configuring-log-exports", "available"]
    assert in_order(sequence(seen, 1), monitored, short=("configuring-log-exports",))
    assert in_order(
        sequence(seen, 2), ["creating", "configuring-log-exports", "available"], ("configuring-log-exports",)
    )
    assert "configuring-log-exports" in sequence(seen, 1) + sequence(seen, 2)
    assert set(sequence(seen, 3)) == {(writer,)}  # the writer is the first member requested, throughout
    cluster_ready = first_seen(seen, 0, "available")
    writer_ready, reader_ready = first_seen(seen, 1, "available"), first_seen(seen, 2, "available")
    assert cluster_ready <= writer_ready <= reader_ready  # no member before its cluster; the writer first
    assert seen[-1][0] - seen[0][0] >= 0.8 * 600 / SCALE * 0.95

    rds.reboot_db_instance(DBInstanceIdentifier=reader)
    seen = watch(lambda: read()[2], lambda v: v == "available")
    assert sequence(seen) == ["rebooting", "available"]
    answer = rds.modify_db_cluster(DBClusterIdentifier=cluster_id, BackupRetentionPeriod=3, ApplyImmediately=True)
    assert answer["DBCluster"]["Status"] == "modifying"
    assert error_code(rds.modify_db_cluster, DBClusterIdentifier=cluster_id, BackupRetentionPeriod=4) == (
        "InvalidDBClusterStateFault"
    )
    assert sequence(watch(lambda: read()[0], lambda v: v == "available")) == ["modifying", "available"]

    # teardown: the instances together, the cluster once they are all deleting; each gone after its time
    for name in (writer, reader):
        assert rds.delete_db_instance(DBInstanceIdentifier=name)["DBInstance"]["DBInstanceStatus"] == "deleting"
    assert error_code(rds.delete_db_instance, DBInstanceIdentifier=writer) == "InvalidDBInstanceState"
    assert rds.delete_db_cluster(DBClusterIdentifier=cluster_id, SkipFinalSnapshot=True)["DBCluster"]["Status"] == (
        "deleting"
    )

    def gone():
        names = {i["DBInstanceIdentifier"]: i["DBInstanceStatus"] for i in rds.describe_db_instances()["DBInstances"]}
        try:
            cluster = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]["Status"]
        except ClientError as exc:
            cluster = exc.response["Error"]["Code"]
        return cluster, names.get(writer, "gone"), names.get(reader, "gone")

    seen = watch(gone, lambda v: v == ("DBClusterNotFoundFault", "gone", "gone"))
    assert sequence(seen, 0) == ["deleting", "DBClusterNotFoundFault"]
    assert sequence(seen, 1) == ["deleting", "gone"] and sequence(seen, 2) == ["deleting", "gone"]
    assert first_seen(seen, 0, "DBClusterNotFoundFault") >= first_seen(seen, 1, "gone")


def test_engine_upgrade_and_instance_modify(cloud_in_process, monkeypatch):
    """In this process (scale 600: an engine upgrade takes 1.5 s): upgrading cluster and members, modifying, and a
    failover (failing-over, at scale 60)."""
    for name, value in (("LOCALCLOUD_TIMING", "aws"), ("LOCALCLOUD_TIME_SCALE", "600")):
        monkeypatch.setenv(name, value)
    rds = cloud_in_process.client("rds")
    net = create_network(cloud_in_process, cidr="10.67")
    cluster_id = create_cluster(rds, net["subnet_group"], unique_name("upgrade"))
    member(rds, cluster_id, f"{cluster_id}-1")

    def read():
        cluster = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]["Status"]
        instance = rds.describe_db_instances(DBInstanceIdentifier=f"{cluster_id}-1")["DBInstances"][0]
        return cluster, instance["DBInstanceStatus"]

    watch(read, lambda v: v == ("available", "available"))
    answer = rds.modify_db_instance(
        DBInstanceIdentifier=f"{cluster_id}-1", PromotionTier=2
    )  # applied now, whatever told
    assert answer["DBInstance"]["DBInstanceStatus"] == "modifying"
    watch(read, lambda v: v == ("available", "available"))
    answer = rds.modify_db_instance(
        DBInstanceIdentifier=f"{cluster_id}-1", DBInstanceClass="db.r6g.large"
    )  # pending: no change
    assert answer["DBInstance"]["DBInstanceStatus"] == "available"
    answer = rds.modify_db_cluster(DBClusterIdentifier=cluster_id, EngineVersion="15.8", ApplyImmediately=True)
    assert answer["DBCluster"]["Status"] == "upgrading"
    assert read() == ("upgrading", "upgrading")
    seen = watch(read, lambda v: v == ("available", "available"))
    assert sequence(seen, 0) == sequence(seen, 1) == ["upgrading", "available"]
    # timing-7: a failover (to a second member) leaves the cluster failing-over for a while; a second one meanwhile
    # is refused, as AWS refuses it. At scale 60 (read per request) the 35 s failover lasts 0.58 s: long enough to be
    # seen by the polls below on a loaded machine (at 600 its 58 ms could pass between two requests).
    member(rds, cluster_id, f"{cluster_id}-2")
    watch(
        lambda: rds.describe_db_instances(DBInstanceIdentifier=f"{cluster_id}-2")["DBInstances"][0]["DBInstanceStatus"],
        lambda v: v == "available",
    )
    monkeypatch.setenv("LOCALCLOUD_TIME_SCALE", "60")
    rds.failover_db_cluster(DBClusterIdentifier=cluster_id, TargetDBInstanceIdentifier=f"{cluster_id}-2")
    assert read()[0] == "failing-over"
    assert error_code(rds.failover_db_cluster, DBClusterIdentifier=cluster_id) == "InvalidDBClusterStateFault"
    seen = watch(read, lambda v: v[0] == "available")
    assert sequence(seen, 0) == ["failing-over", "available"]
    members = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]["DBClusterMembers"]
    assert [m["DBInstanceIdentifier"] for m in members if m["IsClusterWriter"]] == [f"{cluster_id}-2"]


# --------------------------------------------------------------------------------------------- EC2
def test_nat_gateway_and_its_elastic_ip(timed_cloud):
    ec2 = timed_cloud.client("ec2")
    net = create_network(timed_cloud, cidr="10.62")
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=net["subnets"][0], AllocationId=allocation)["NatGateway"]
    assert nat["State"] == "pending"

    def state():
        return ec2.describe_nat_gateways(NatGatewayIds=[nat["NatGatewayId"]])["NatGateways"][0]["State"]

    assert error_code(ec2.release_address, AllocationId=allocation) == "AuthFailure"
    assert sequence(watch(state, lambda v: v == "available")) == ["pending", "available"]
    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
    assert state() == "deleting"
    assert error_code(ec2.release_address, AllocationId=allocation) == "AuthFailure"
    assert ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0].get("AssociationId")  # still held
    assert sequence(watch(state, lambda v: v == "deleted")) == ["deleting", "deleted"]
    assert "AssociationId" not in ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0]  # gap 28
    ec2.release_address(AllocationId=allocation)  # accepted once the NAT gateway is gone


def test_interface_endpoint_pending_then_available_deleting_then_gone(timed_cloud):
    ec2 = timed_cloud.client("ec2")
    net = create_network(timed_cloud, cidr="10.63")
    endpoint = ec2.create_vpc_endpoint(
        VpcId=net["vpc"],
        VpcEndpointType="Interface",
        ServiceName="com.amazonaws.us-east-1.secretsmanager",
        SubnetIds=net["subnets"][:2],
    )["VpcEndpoint"]
    assert endpoint["State"] == "pending"

    def state():
        found = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [net["vpc"]]}])["VpcEndpoints"]
        return found[0]["State"] if found else "gone"

    assert sequence(watch(state, lambda v: v == "available")) == ["pending", "available"]
    ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint["VpcEndpointId"]])
    assert sequence(watch(state, lambda v: v == "gone")) == ["deleting", "gone"]


# --------------------------------------------------------------------------------------------- Lambda
def _function(cloud, vpc_config: dict | None = None) -> tuple[str, dict]:
    import io
    import zipfile

    name = unique_name("timed-fn")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = cloud.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return 1\n")
    extra = {"VpcConfig": vpc_config} if vpc_config else {}
    answer = cloud.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": code.getvalue()},
        **extra,
    )
    return name, answer


def test_lambda_in_a_vpc_is_pending_then_active_and_updates_are_in_progress(timed_cloud):
    lam, ec2 = timed_cloud.client("lambda"), timed_cloud.client("ec2")
    net = create_network(timed_cloud, cidr="10.64")
    group = ec2.create_security_group(GroupName=unique_name("fn"), Description="fn", VpcId=net["vpc"])["GroupId"]
    name, answer = _function(timed_cloud, {"SubnetIds": net["subnets"][:2], "SecurityGroupIds": [group]})
    assert (answer["State"], answer["StateReasonCode"]) == ("Pending", "Creating")
    with pytest.raises(ClientError) as caught:
        lam.invoke(FunctionName=name, Payload=b"{}")
    assert caught.value.response["Error"]["Code"] == "ResourceConflictException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409

    def state():
        config = lam.get_function_configuration(FunctionName=name)
        return config["State"], config.get("LastUpdateStatus")

    assert sequence(watch(state, lambda v: v[0] == "Active"), 0) == ["Pending", "Active"]
    assert lam.invoke(FunctionName=name, Payload=b"{}")["StatusCode"] == 200
    assert lam.update_function_configuration(FunctionName=name, Timeout=30)["LastUpdateStatus"] == "InProgress"
    watch(state, lambda v: v[1] == "Successful")  # a plain update: seconds on AWS
    # an update of the VPC configuration takes about as long as a create in a VPC; the next update waits for it
    other = ec2.create_security_group(GroupName=unique_name("fn"), Description="fn", VpcId=net["vpc"])["GroupId"]
    vpc_config = {"SubnetIds": net["subnets"][:2], "SecurityGroupIds": [other]}
    answer = lam.update_function_configuration(FunctionName=name, VpcConfig=vpc_config)
    assert answer["LastUpdateStatus"] == "InProgress"
    assert error_code(lam.update_function_configuration, FunctionName=name, Timeout=31) == "ResourceConflictException"
    assert sequence(watch(state, lambda v: v[1] == "Successful"), 1) == ["InProgress", "Successful"]


# --------------------------------------------------------------------------------------------- the gap, and instant
def test_plain_moto_answers_everything_at_once(plain_moto):
    """The gaps: plain moto has no transitional states (and releases a NAT gateway's address at once)."""
    ec2, rds = plain_moto.client("ec2"), plain_moto.client("rds")
    net = create_network(plain_moto, cidr="10.65")
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=net["subnets"][0], AllocationId=allocation)["NatGateway"]
    assert nat["State"] == "available"
    ec2.release_address(AllocationId=allocation)  # AWS: AuthFailure while the NAT gateway holds it
    cluster = create_cluster(rds)
    created = member(rds, cluster, f"{cluster}-1")
    assert created["DBInstanceStatus"] == "available"
    rds.delete_db_instance(DBInstanceIdentifier=f"{cluster}-1")
    assert rds.describe_db_instances(Filters=[{"Name": "db-cluster-id", "Values": [cluster]}])["DBInstances"] == []
    net_fn = create_network(plain_moto, cidr="10.66")
    _, answer = _function(plain_moto, {"SubnetIds": net_fn["subnets"][:2], "SecurityGroupIds": []})
    assert answer["State"] == "Active"


def test_instant_cloud_answers_at_once(cloud, network):
    assert cloud.timing()["mode"] == "instant"
    rds = cloud.client("rds")
    cluster = create_cluster(rds, network["subnet_group"])
    member(rds, cluster, f"{cluster}-1")
    status = rds.describe_db_instances(DBInstanceIdentifier=f"{cluster}-1")["DBInstances"][0]["DBInstanceStatus"]
    assert status == "available"
    rds.delete_db_instance(DBInstanceIdentifier=f"{cluster}-1")
    rds.delete_db_cluster(DBClusterIdentifier=cluster, SkipFinalSnapshot=True)
    ec2 = cloud.client("ec2")
    nat = ec2.create_nat_gateway(SubnetId=network["subnets"][0], AllocationId=ec2.allocate_address()["AllocationId"])
    assert nat["NatGateway"]["State"] == "available"


def test_cli_refuses_bad_timing_options(tmp_path):
    state = str(tmp_path / "state")
    bad_scale = run_cli("up", "--port", str(free_port()), "--state-dir", state, "--timing", "aws", "--time-scale", "0",
                        check=False)  # fmt: skip
    assert bad_scale.returncode == 2 and "--time-scale must be positive" in bad_scale.stderr
    bad_mode = run_cli("up", "--state-dir", state, "--timing", "slow", check=False)
    assert bad_mode.returncode == 2 and "invalid choice" in bad_mode.stderr
    assert not (tmp_path / "state" / "localcloud.pid").exists()


def test_docs_render_the_table():
    """docs/aws-timings.md shows every operation of the table with its AWS duration and source."""
    doc = (REPO / "docs" / "aws-timings.md").read_text(encoding="utf-8")
    for op in timing.load_table().values():
        row = next((line for line in doc.splitlines() if line.startswith(f"| `{op.operation}` |")), None)
        assert row is not None, op.operation
        assert f"| {op.aws_seconds:g} s ({op.range} s) |" in row and op.source in row, op.operation
