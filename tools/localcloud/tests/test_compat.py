"""Each moto gap from shared/notes/moto-findings.md behaves as on AWS on the local cloud.

Every test here fails against plain moto 5.2 (checked when the fix was written).
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from localcloud.testing import create_cluster, unique_name


def _cluster(rds, network, **extra):
    return create_cluster(rds, network["subnet_group"], BackupRetentionPeriod=7, **extra)


def _instance(rds, cluster_id, **extra):
    instance_id = unique_name("db")
    rds.create_db_instance(
        DBInstanceIdentifier=instance_id,
        DBClusterIdentifier=cluster_id,
        Engine="aurora-postgresql",
        DBInstanceClass="db.t3.medium",
        **extra,
    )
    return rds.describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"][0]


def test_iam_aws_managed_policies_exist(cloud):
    iam = cloud.client("iam")
    arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    assert iam.get_policy(PolicyArn=arn)["Policy"]["PolicyName"] == "AWSLambdaBasicExecutionRole"


def test_lambda_functions_created_without_docker_survive(cloud):
    iam, lam = cloud.client("iam"), cloud.client("lambda")
    role = iam.create_role(
        RoleName=unique_name("fn-role"),
        AssumeRolePolicyDocument='{"Version":"2012-10-17",'
        '"Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},'
        '"Action":"sts:AssumeRole"}]}',
    )["Role"]["Arn"]
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("index.py", "def handler(event, context):\n    return 1\n")
    name = unique_name("fn")
    lam.create_function(
        FunctionName=name, Runtime="python3.12", Role=role, Handler="index.handler", Code={"ZipFile": buf.getvalue()}
    )
    # With Docker left on, moto's config call needed *after* creation would have dropped this function.
    assert lam.get_function(FunctionName=name)["Configuration"]["FunctionName"] == name
    import json
    import urllib.request

    with urllib.request.urlopen(cloud.endpoint + "/moto-api/config") as resp:
        assert json.load(resp)["lambda"]["use_docker"] is False


def test_cluster_members_inherit_subnet_group(cloud, network):
    rds = cloud.client("rds")
    instance = _instance(rds, _cluster(rds, network))
    assert instance["DBSubnetGroup"]["DBSubnetGroupName"] == network["subnet_group"]
    assert instance["DBSubnetGroup"]["VpcId"] == network["vpc"]


def test_performance_insights_stored(cloud, network):
    rds = cloud.client("rds")
    cluster_id = _cluster(rds, network)
    instance = _instance(rds, cluster_id, EnablePerformanceInsights=True, PerformanceInsightsRetentionPeriod=7)
    assert instance["PerformanceInsightsEnabled"] is True
    assert instance["PerformanceInsightsRetentionPeriod"] == 7
    assert instance["PerformanceInsightsKMSKeyId"].startswith("arn:aws:kms:us-east-1:")
    rds.modify_db_instance(
        DBInstanceIdentifier=instance["DBInstanceIdentifier"], EnablePerformanceInsights=False, ApplyImmediately=True
    )
    after = rds.describe_db_instances(DBInstanceIdentifier=instance["DBInstanceIdentifier"])["DBInstances"][0]
    assert after["PerformanceInsightsEnabled"] is False


def test_nat_gateway_tags_use_aws_resource_type(cloud, network):
    ec2 = cloud.client("ec2")
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(
        SubnetId=network["subnets"][0],
        AllocationId=alloc,
        TagSpecifications=[{"ResourceType": "natgateway", "Tags": [{"Key": "Name", "Value": "nat-test"}]}],
    )["NatGateway"]["NatGatewayId"]
    tags = ec2.describe_tags(
        Filters=[{"Name": "resource-id", "Values": [nat]}, {"Name": "resource-type", "Values": ["natgateway"]}]
    )["Tags"]
    assert [(t["Key"], t["Value"], t["ResourceType"]) for t in tags] == [("Name", "nat-test", "natgateway")]


def test_instances_honour_requested_az(cloud, network):
    rds = cloud.client("rds")
    cluster_id = _cluster(rds, network)
    for az in ("us-east-1c", "us-east-1b"):
        assert _instance(rds, cluster_id, AvailabilityZone=az)["AvailabilityZone"] == az


def test_instances_without_az_spread_over_subnet_group(cloud, network):
    rds = cloud.client("rds")
    cluster_id = _cluster(rds, network)
    azs = {_instance(rds, cluster_id)["AvailabilityZone"] for _ in range(3)}
    assert azs == {"us-east-1a", "us-east-1b", "us-east-1c"}


def test_no_automated_snapshots_left_after_cluster_deletion(cloud, network):
    rds = cloud.client("rds")
    cluster_id = _cluster(rds, network)
    rds.delete_db_cluster(DBClusterIdentifier=cluster_id, SkipFinalSnapshot=True)
    left = rds.describe_db_cluster_snapshots(DBClusterIdentifier=cluster_id)["DBClusterSnapshots"]
    assert left == []
    # and the identifier can be used again at once
    create_cluster(rds, network["subnet_group"], cluster_id=cluster_id)
    with pytest.raises(ClientError):
        rds.create_db_cluster(
            DBClusterIdentifier=cluster_id,
            Engine="aurora-postgresql",
            MasterUsername="dbadmin",
            MasterUserPassword="p" * 32,
        )


def test_fault_injection_answers_in_aws_wire_format(cloud):
    import json
    import urllib.request

    req = urllib.request.Request(
        cloud.endpoint + "/_localcloud/faults",
        method="POST",
        data=json.dumps(
            [
                {
                    "service": "rds",
                    "action": "DescribeDBClusters",
                    "code": "Throttling",
                    "message": "Rate exceeded",
                    "count": 1,
                }
            ]
        ).encode(),
    )
    urllib.request.urlopen(req).close()
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "rds",
        endpoint_url=cloud.endpoint,
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
        config=Config(retries={"total_max_attempts": 1}),
    )
    with pytest.raises(ClientError) as err:
        client.describe_db_clusters()
    assert err.value.response["Error"]["Code"] == "Throttling"
    client.describe_db_clusters()  # rule expired after one hit


def test_rule_description_updates_return_true(cloud, network):
    ec2 = cloud.client("ec2")
    group = ec2.create_security_group(GroupName=unique_name("sg"), Description="d", VpcId=network["vpc"])["GroupId"]
    perms = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "all out"}]}]
    assert ec2.update_security_group_rule_descriptions_egress(GroupId=group, IpPermissions=perms)["Return"] is True
    egress = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissionsEgress"]
    assert egress[0]["IpRanges"][0]["Description"] == "all out"


def test_tags_of_deleted_resources_are_gone(cloud):
    ec2 = cloud.client("ec2")
    vpc = ec2.create_vpc(
        CidrBlock="10.30.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "environment", "Value": "ghost"}]}],
    )["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(
        VpcId=vpc,
        CidrBlock="10.30.1.0/24",
        TagSpecifications=[{"ResourceType": "subnet", "Tags": [{"Key": "environment", "Value": "ghost"}]}],
    )["Subnet"]["SubnetId"]
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)
    left = ec2.describe_tags(
        Filters=[{"Name": "key", "Values": ["environment"]}, {"Name": "value", "Values": ["ghost"]}]
    )["Tags"]
    assert left == []


def test_exported_logs_get_their_log_group(cloud, network):
    rds, logs = cloud.client("rds"), cloud.client("logs")
    cluster_id = _cluster(rds, network, EnableCloudwatchLogsExports=["postgresql"])
    groups = logs.describe_log_groups(logGroupNamePrefix=f"/aws/rds/cluster/{cluster_id}/")["logGroups"]
    assert [g["logGroupName"] for g in groups] == [f"/aws/rds/cluster/{cluster_id}/postgresql"]


def test_log_exports_follow_modify_db_cluster(cloud, network):
    rds = cloud.client("rds")
    cluster_id = _cluster(rds, network, EnableCloudwatchLogsExports=["postgresql"])

    def exports():
        return rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0].get(
            "EnabledCloudwatchLogsExports", []
        )

    assert exports() == ["postgresql"]
    rds.modify_db_cluster(
        DBClusterIdentifier=cluster_id, CloudwatchLogsExportConfiguration={"DisableLogTypes": ["postgresql"]}
    )
    assert exports() == []
    for _ in range(2):  # enabling twice keeps one entry
        rds.modify_db_cluster(
            DBClusterIdentifier=cluster_id, CloudwatchLogsExportConfiguration={"EnableLogTypes": ["postgresql"]}
        )
    assert exports() == ["postgresql"]


# --------------------------------------------------------------------------------------------- SSM (gap ssm-1)
def _simultaneous_creates(put_parameter) -> int:
    """How many of two PutParameter(Overwrite=false) calls made at once on a fresh SSM backend succeed, with the
    window between moto's read of the parameter and its write widened (as two threads of the server may hit it)."""
    import threading
    import time

    from moto.ssm.exceptions import ParameterAlreadyExists
    from moto.ssm.models import SimpleSystemManagerBackend

    backend = SimpleSystemManagerBackend("us-east-1", "123456789012")

    class Slow(type(backend._parameters)):
        def __getitem__(self, key):
            versions = super().__getitem__(key)
            if not versions:
                time.sleep(0.2)
            return versions

    backend._parameters.__class__ = Slow
    created = []

    def put(run):
        try:
            put_parameter(backend, "/payments-auroradb/race/lock", "", run, "String", "", None, False, [], "text",
                          None, None)  # fmt: skip
            created.append(run)
        except ParameterAlreadyExists:
            pass

    threads = [threading.Thread(target=put, args=(run,)) for run in ("run-a", "run-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(created)


def test_ssm_put_parameter_without_overwrite_is_atomic():
    from moto.ssm.models import SimpleSystemManagerBackend

    from localcloud import patches

    patches._ssm_put_parameter_atomic()  # what the local cloud applies at start-up (applying again changes nothing)
    patched = SimpleSystemManagerBackend.put_parameter
    assert _simultaneous_creates(patched.__wrapped__) == 2  # plain moto: both runs "take the lock"
    assert _simultaneous_creates(patched) == 1  # AWS and the local cloud: exactly one
