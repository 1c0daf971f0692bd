"""Gaps proven on every run: each test sends the same requests to plain moto 5.2 and to the local cloud.

The ``moto_or_cloud`` fixture runs every test twice: ``[plain-moto]`` asserts the gap (what moto does),
``[localcloud]`` asserts what AWS does. When a moto release closes a gap, its ``[plain-moto]`` run fails and says
that the local cloud's fix can go.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import sys

import pytest
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

from localcloud.testing import create_cluster, unique_name

# --------------------------------------------------------------------------------------------- KMS (gaps 8, 18)
# Every KMS action this stack sends with a KeyId, each given the key ARN; AWS accepts a key ID or key ARN in all.
_KMS_ACTIONS = (
    ("disable_key", {}),
    ("enable_key", {}),
    ("describe_key", {}),
    ("tag_resource", {"Tags": [{"TagKey": "environment", "TagValue": "arn-test"}]}),
    ("list_resource_tags", {}),
    ("untag_resource", {"TagKeys": ["environment"]}),
    ("enable_key_rotation", {}),
    ("get_key_rotation_status", {}),
    ("disable_key_rotation", {}),
    ("get_key_policy", {"PolicyName": "default"}),
    ("schedule_key_deletion", {"PendingWindowInDays": 7}),
    ("cancel_key_deletion", {}),
)
# What plain moto 5.2.5 refuses (KeyError -> HTTP 500); everything else already resolves the ARN.
_MOTO_REFUSES = {"disable_key", "enable_key", "schedule_key_deletion", "cancel_key_deletion"}


def _status(call) -> int:
    try:
        return call()["ResponseMetadata"]["HTTPStatusCode"]
    except ClientError as err:
        return err.response["ResponseMetadata"]["HTTPStatusCode"]


def test_kms_accepts_key_arn_wherever_aws_does(moto_or_cloud):
    kms = moto_or_cloud.client("kms")
    key = kms.create_key(Description="arn test")["KeyMetadata"]
    arn = key["Arn"]
    statuses = {name: _status(lambda n=name, kw=kw: getattr(kms, n)(KeyId=arn, **kw)) for name, kw in _KMS_ACTIONS}
    policy = kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"]
    statuses["put_key_policy"] = _status(lambda: kms.put_key_policy(KeyId=arn, PolicyName="default", Policy=policy))
    alias, other = f"alias/{unique_name('arn')}", kms.create_key(Description="other")["KeyMetadata"]
    statuses["create_alias"] = _status(lambda: kms.create_alias(AliasName=alias, TargetKeyId=arn))
    statuses["update_alias"] = _status(lambda: kms.update_alias(AliasName=alias, TargetKeyId=other["Arn"]))
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == other["KeyId"]
    refused = {name for name, status in statuses.items() if status != 200}
    if moto_or_cloud.plain:
        assert refused == _MOTO_REFUSES
        assert {statuses[name] for name in refused} == {500}
        return
    assert refused == set()
    # the state changes took effect on the key the ARN names
    kms.disable_key(KeyId=arn)
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"
    kms.enable_key(KeyId=arn)
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"
    kms.schedule_key_deletion(KeyId=arn, PendingWindowInDays=7)
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    kms.cancel_key_deletion(KeyId=arn)
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] != "PendingDeletion"


@pytest.mark.parametrize("alias", ["alias/aws/secretsmanager", "alias/aws/rds"])
def test_keys_behind_aws_aliases_are_aws_managed(moto_or_cloud, alias):
    kms = moto_or_cloud.client("kms")
    key = kms.describe_key(KeyId=alias)["KeyMetadata"]
    customer_key = kms.create_key(Description="customer")["KeyMetadata"]
    assert customer_key["KeyManager"] == "CUSTOMER"
    rotates = kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"]
    if moto_or_cloud.plain:
        assert (key["KeyManager"], rotates) == ("CUSTOMER", False)
        return
    assert (key["KeyManager"], rotates) == ("AWS", True)  # AWS rotates its managed keys every year
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == key["KeyId"]  # one key per alias


def test_key_rotation_reads_off_while_pending_deletion(moto_or_cloud):
    """Gap foreign-1: found by amazon.aws's kms_key target (test_states.yml, "Assert that key was updated")."""
    kms = moto_or_cloud.client("kms")
    key = kms.create_key(Description="rotation while pending deletion")["KeyMetadata"]["KeyId"]  # gap 8 apart
    kms.enable_key_rotation(KeyId=key)
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    pending = kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"]
    assert pending is (True if moto_or_cloud.plain else False)  # moto: the stored status; AWS: false
    kms.cancel_key_deletion(KeyId=key)
    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True  # AWS: the original status returns


# --------------------------------------------------------------------------------------------- RDS (gap 19)
@pytest.fixture
def subnets(moto_or_cloud) -> dict:
    ec2 = moto_or_cloud.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    ids = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate("ab")
    ]
    return {"vpc": vpc, "subnets": ids}


def test_modify_db_subnet_group_keeps_the_group(moto_or_cloud, subnets):
    rds = moto_or_cloud.client("rds")
    name = unique_name("subnets")
    rds.create_db_subnet_group(
        DBSubnetGroupName=name,
        DBSubnetGroupDescription="before",
        SubnetIds=subnets["subnets"],
        Tags=[{"Key": "environment", "Value": "modify-test"}],
    )
    arn = rds.describe_db_subnet_groups(DBSubnetGroupName=name)["DBSubnetGroups"][0]["DBSubnetGroupArn"]
    rds.modify_db_subnet_group(DBSubnetGroupName=name, DBSubnetGroupDescription="after", SubnetIds=subnets["subnets"])
    if moto_or_cloud.plain:
        with pytest.raises(ClientError) as err:
            rds.describe_db_subnet_groups(DBSubnetGroupName=name)
        assert err.value.response["Error"]["Code"] == "DBSubnetGroupNotFoundFault"
        return
    group = rds.describe_db_subnet_groups(DBSubnetGroupName=name)["DBSubnetGroups"][0]
    assert group["DBSubnetGroupDescription"] == "after"
    assert group["VpcId"] == subnets["vpc"]
    assert sorted(s["SubnetIdentifier"] for s in group["Subnets"]) == sorted(subnets["subnets"])
    assert rds.list_tags_for_resource(ResourceName=arn)["TagList"] == [{"Key": "environment", "Value": "modify-test"}]
    # subnets in one AZ only: refused as on AWS, and the group is left as it was
    with pytest.raises(ClientError) as err:
        rds.modify_db_subnet_group(DBSubnetGroupName=name, SubnetIds=subnets["subnets"][:1])
    assert err.value.response["Error"]["Code"] == "DBSubnetGroupDoesNotCoverEnoughAZs"
    assert "Current AZ coverage: us-east-1a." in err.value.response["Error"]["Message"]
    again = rds.describe_db_subnet_groups(DBSubnetGroupName=name)["DBSubnetGroups"][0]
    assert (again["DBSubnetGroupDescription"], len(again["Subnets"])) == ("after", 2)


def test_modify_unknown_db_subnet_group_is_not_found(moto_or_cloud, subnets):
    rds = moto_or_cloud.client("rds")
    call = lambda: rds.modify_db_subnet_group(DBSubnetGroupName=unique_name("nope"), SubnetIds=subnets["subnets"])  # noqa: E731
    if moto_or_cloud.plain:
        with pytest.raises(Exception) as err:  # HTML 500 page: botocore cannot even parse it
            call()
        assert "500" in str(err.value) or "Unable to parse" in str(err.value)
        return
    with pytest.raises(ClientError) as err:
        call()
    assert err.value.response["Error"]["Code"] == "DBSubnetGroupNotFoundFault"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


# --------------------------------------------------------------------------------------------- Secrets Manager (20)
MARKED_FOR_DELETION = "You can't perform this operation on the secret because it was marked for deletion."


def test_secret_scheduled_for_deletion(moto_or_cloud):
    sm = moto_or_cloud.client("secretsmanager")
    name = unique_name("deleted")
    sm.create_secret(Name=name, SecretString='{"password": "x"}')
    sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    described = sm.describe_secret(SecretId=name)  # succeeds on both, as on AWS
    assert isinstance(described["DeletedDate"], datetime.datetime)
    with pytest.raises(ClientError) as err:
        sm.get_secret_value(SecretId=name)
    error = err.value.response["Error"]
    assert error["Code"] == "InvalidRequestException"
    if moto_or_cloud.plain:
        assert "marked for deletion" not in error["Message"]
        return
    assert error["Message"] == MARKED_FOR_DELETION
    sm.restore_secret(SecretId=name)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == '{"password": "x"}'


# amazon.aws's secretsmanager_secret lookup, in a child process: another test may have imported
# ansible_collections before ansible's collection loader was set up in this one.
_LOOKUP = """
import json, sys
from ansible.errors import AnsibleLookupError
from ansible.plugins.loader import init_plugin_loader, lookup_loader
endpoint, name, on_deleted = sys.argv[1:]
init_plugin_loader()
lookup = lookup_loader.get("amazon.aws.secretsmanager_secret")
connection = {"endpoint_url": endpoint, "region": "us-east-1", "access_key": "t", "secret_key": "t"}
try:
    print(json.dumps({"value": lookup.run([name], {}, on_deleted=on_deleted, **connection)}))
except AnsibleLookupError as exc:
    print(json.dumps({"error": str(exc)}))
"""


def _secret_lookup(endpoint: str, name: str, on_deleted: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", _LOOKUP, endpoint, name, on_deleted],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_secret_lookup_on_deleted(moto_or_cloud):
    sm = moto_or_cloud.client("secretsmanager")
    name = unique_name("lookup")
    sm.create_secret(Name=name, SecretString="x")
    assert _secret_lookup(moto_or_cloud.endpoint, name, "skip") == {"value": ["x"]}
    sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    skipped = _secret_lookup(moto_or_cloud.endpoint, name, "skip")
    if moto_or_cloud.plain:
        assert skipped["error"].startswith("Failed to retrieve secret")
        return
    assert skipped == {"value": []}
    assert _secret_lookup(moto_or_cloud.endpoint, name, "error") == {
        "error": f"Failed to find secret {name} (marked for deletion)"
    }


def test_secret_last_accessed_date(moto_or_cloud):
    sm = moto_or_cloud.client("secretsmanager")
    name = unique_name("accessed")
    sm.create_secret(Name=name, SecretString="x")
    assert "LastAccessedDate" not in sm.describe_secret(SecretId=name)  # never read: omitted, as on AWS
    sm.get_secret_value(SecretId=name)
    accessed = sm.describe_secret(SecretId=name).get("LastAccessedDate")
    if moto_or_cloud.plain:
        assert accessed is None
        return
    today = datetime.datetime.now(datetime.UTC).date()
    assert accessed == datetime.datetime.combine(today, datetime.time(), tzinfo=datetime.UTC)
    listed = [s for s in sm.list_secrets()["SecretList"] if s["Name"] == name]
    assert listed[0]["LastAccessedDate"] == accessed


# --------------------------------------------------------------------------------------------- EC2 (gap 21)
def test_new_vpcs_have_the_default_dhcp_options(moto_or_cloud):
    ec2 = moto_or_cloud.client("ec2")
    first = ec2.create_vpc(CidrBlock="10.41.0.0/16")["Vpc"]
    second = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]
    if moto_or_cloud.plain:
        assert first["DhcpOptionsId"] == "default"
        assert ec2.describe_dhcp_options()["DhcpOptions"] == []
        return
    options_id = first["DhcpOptionsId"]
    assert options_id.startswith("dopt-")
    assert second["DhcpOptionsId"] == options_id  # one default set per region
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    assert default_vpc["DhcpOptionsId"] == options_id
    options = ec2.describe_dhcp_options(DhcpOptionsIds=[options_id])["DhcpOptions"][0]
    config = {c["Key"]: [v["Value"] for v in c["Values"]] for c in options["DhcpConfigurations"]}
    assert config == {"domain-name": ["ec2.internal"], "domain-name-servers": ["AmazonProvidedDNS"]}
    # deleting a VPC leaves the set to the others; a set in use cannot be deleted
    ec2.delete_vpc(VpcId=first["VpcId"])
    assert ec2.describe_dhcp_options(DhcpOptionsIds=[options_id])["DhcpOptions"]
    with pytest.raises(ClientError) as err:
        ec2.delete_dhcp_options(DhcpOptionsId=options_id)
    assert err.value.response["Error"]["Code"] == "DependencyViolation"
    ec2.delete_vpc(VpcId=second["VpcId"])


# --------------------------------------------------------------------------------------------- EC2 (gaps foreign-2, -5)
def test_gateway_endpoints_have_no_private_dns(moto_or_cloud):
    ec2 = moto_or_cloud.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.43.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.43.0.0/24")["Subnet"]["SubnetId"]
    gateway = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", VpcEndpointType="Gateway")
    interface = ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName="com.amazonaws.us-east-1.secretsmanager", VpcEndpointType="Interface", SubnetIds=[subnet]
    )
    ids = [gateway["VpcEndpoint"]["VpcEndpointId"], interface["VpcEndpoint"]["VpcEndpointId"]]
    described = {e["VpcEndpointId"]: e for e in ec2.describe_vpc_endpoints(VpcEndpointIds=ids)["VpcEndpoints"]}
    # an interface endpoint gets private DNS unless asked otherwise, on moto as on AWS
    assert interface["VpcEndpoint"]["PrivateDnsEnabled"] is True
    assert described[ids[1]]["PrivateDnsEnabled"] is True
    expected = moto_or_cloud.plain  # moto: true for a gateway endpoint too; AWS: false
    assert gateway["VpcEndpoint"]["PrivateDnsEnabled"] is expected
    assert described[ids[0]]["PrivateDnsEnabled"] is expected
    # gap foreign-5: RequesterManaged false on AWS (an endpoint the account created); moto left it out
    for endpoint in (gateway["VpcEndpoint"], interface["VpcEndpoint"], *described.values()):
        assert endpoint.get("RequesterManaged") is (None if moto_or_cloud.plain else False)
    ec2.delete_vpc_endpoints(VpcEndpointIds=ids)


# --------------------------------------------------------------------------------------------- EC2 (gap foreign-3)
def test_deleted_vpc_endpoint_is_gone(moto_or_cloud):
    ec2 = moto_or_cloud.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.44.0.0/16")["Vpc"]["VpcId"]
    vpce = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", VpcEndpointType="Gateway")
    vpce = vpce["VpcEndpoint"]["VpcEndpointId"]
    assert ec2.delete_vpc_endpoints(VpcEndpointIds=[vpce])["Unsuccessful"] == []
    again = ec2.delete_vpc_endpoints(VpcEndpointIds=[vpce])["Unsuccessful"]
    if moto_or_cloud.plain:  # kept in state "deleted", found by ID, deleted "successfully" again and again
        assert again == []
        assert ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce])["VpcEndpoints"][0]["State"] == "deleted"
        return
    assert [(item["ResourceId"], item["Error"]["Code"]) for item in again] == [(vpce, "InvalidVpcEndpoint.NotFound")]
    with pytest.raises(ClientError) as err:
        ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce])
    assert err.value.response["Error"]["Code"] == "InvalidVpcEndpointId.NotFound"
    assert vpce not in {e["VpcEndpointId"] for e in ec2.describe_vpc_endpoints()["VpcEndpoints"]}


# --------------------------------------------------------------------------------------------- EC2 (gap 28)
def test_deleted_nat_gateway_frees_its_elastic_ip(moto_or_cloud):
    ec2 = moto_or_cloud.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.42.0.0/24")["Subnet"]["SubnetId"]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    in_use = ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0]
    assert in_use.get("AssociationId")  # held by the gateway, on both
    ec2.delete_nat_gateway(NatGatewayId=nat)
    after = ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0]
    if moto_or_cloud.plain:
        assert after.get("AssociationId") == in_use["AssociationId"]  # the gap: still "in use"
    else:
        assert "AssociationId" not in after and not after.get("NetworkInterfaceId")  # AWS: free, still allocated
    ec2.release_address(AllocationId=allocation)


# --------------------------------------------------------------------------------------------- EC2 (gap foreign-6)
def test_endpoint_outlives_its_deleted_route_table(moto_or_cloud):
    ec2 = moto_or_cloud.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.46.0.0/16")["Vpc"]["VpcId"]
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    vpce = ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", VpcEndpointType="Gateway", RouteTableIds=[rtb]
    )["VpcEndpoint"]["VpcEndpointId"]
    ec2.delete_route_table(RouteTableId=rtb)
    if moto_or_cloud.plain:  # the endpoint keeps the deleted table and cannot be deleted any more
        assert ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce])["VpcEndpoints"][0]["RouteTableIds"] == [rtb]
        with pytest.raises(ClientError) as err:
            ec2.delete_vpc_endpoints(VpcEndpointIds=[vpce])
        assert err.value.response["Error"]["Code"] == "InvalidRouteTableID.NotFound"
        return
    assert ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce])["VpcEndpoints"][0]["RouteTableIds"] == []
    assert ec2.delete_vpc_endpoints(VpcEndpointIds=[vpce])["Unsuccessful"] == []


# --------------------------------------------------------------------------------------------- EC2 (gap foreign-4)
def test_deleted_nat_gateway_has_a_delete_time(moto_or_cloud):
    ec2 = moto_or_cloud.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.45.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.45.0.0/24")["Subnet"]["SubnetId"]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation)["NatGateway"]
    assert "DeleteTime" not in nat  # on both, while it exists
    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
    deleted = ec2.describe_nat_gateways(NatGatewayIds=[nat["NatGatewayId"]])["NatGateways"][0]
    assert deleted["State"] == "deleted"
    if moto_or_cloud.plain:
        assert "DeleteTime" not in deleted
    else:
        assert deleted["CreateTime"] <= deleted["DeleteTime"]
    ec2.release_address(AllocationId=allocation)


# --------------------------------------------------------------------------------------------- CloudWatch (gap 27)
def test_deleted_alarm_takes_its_tags_along(moto_or_cloud):
    cloudwatch = moto_or_cloud.client("cloudwatch")
    name = unique_name("alarm")
    alarm = {
        "AlarmName": name,
        "MetricName": "CPUUtilization",
        "Namespace": "AWS/RDS",
        "Statistic": "Average",
        "Period": 300,
        "EvaluationPeriods": 2,
        "Threshold": 80.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    }
    cloudwatch.put_metric_alarm(**alarm, Tags=[{"Key": "environment", "Value": "old"}])
    arn = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["AlarmArn"]
    cloudwatch.delete_alarms(AlarmNames=[name])
    # the same name again, e.g. a re-deploy after a teardown: on AWS a new alarm, without the old one's tags
    cloudwatch.put_metric_alarm(**alarm)
    tags = cloudwatch.list_tags_for_resource(ResourceARN=arn)["Tags"]
    cloudwatch.delete_alarms(AlarmNames=[name])
    if moto_or_cloud.plain:
        assert tags == [{"Key": "environment", "Value": "old"}]
        return
    assert tags == []


# --------------------------------------------------------------------------------------------- RDS events (gap 29)
def test_modify_event_subscription(moto_or_cloud):
    rds, sns = moto_or_cloud.client("rds"), moto_or_cloud.client("sns")
    topics = [sns.create_topic(Name=unique_name("events"))["TopicArn"] for _ in range(2)]
    name = unique_name("sub")
    rds.create_event_subscription(
        SubscriptionName=name, SnsTopicArn=topics[0], SourceType="db-cluster", EventCategories=["failover"]
    )
    change = dict(
        SubscriptionName=name, SnsTopicArn=topics[1], EventCategories=["failure", "maintenance"], Enabled=False
    )
    if moto_or_cloud.plain:
        with pytest.raises(ResponseParserError, match="500 Internal Server Error"):  # moto's NotImplementedError
            rds.modify_event_subscription(**change)
        return
    answered = rds.modify_event_subscription(**change)["EventSubscription"]
    (described,) = rds.describe_event_subscriptions(SubscriptionName=name)["EventSubscriptionsList"]
    for subscription in (answered, described):
        assert subscription["SnsTopicArn"] == topics[1] and subscription["Enabled"] is False
        assert subscription["EventCategoriesList"] == ["failure", "maintenance"]
        assert subscription["SourceType"] == "db-cluster" and subscription["CustSubscriptionId"] == name
    with pytest.raises(ClientError) as err:
        rds.modify_event_subscription(SubscriptionName=unique_name("none"), Enabled=True)
    assert err.value.response["Error"]["Code"] == "SubscriptionNotFound"


# --------------------------------------------------------------------------------------------- RDS (gap 30)
def test_cluster_engine_version_only_goes_up(moto_or_cloud):
    rds = moto_or_cloud.client("rds")
    cluster = create_cluster(rds)
    rds.modify_db_cluster(DBClusterIdentifier=cluster, EngineVersion="15.8", ApplyImmediately=True)
    assert rds.describe_db_clusters(DBClusterIdentifier=cluster)["DBClusters"][0]["EngineVersion"] == "15.8"
    refused = [
        {"EngineVersion": "15.7"},  # a downgrade
        {"EngineVersion": "16.3"},  # a major version without the flag
    ]
    for change in refused:
        if moto_or_cloud.plain:
            rds.modify_db_cluster(DBClusterIdentifier=cluster, ApplyImmediately=True, **change)  # accepted
            continue
        with pytest.raises(ClientError) as err:
            rds.modify_db_cluster(DBClusterIdentifier=cluster, ApplyImmediately=True, **change)
        assert err.value.response["Error"]["Code"] == "InvalidParameterCombination", change
    if not moto_or_cloud.plain:
        assert rds.describe_db_clusters(DBClusterIdentifier=cluster)["DBClusters"][0]["EngineVersion"] == "15.8"
        rds.modify_db_cluster(
            DBClusterIdentifier=cluster, EngineVersion="16.3", AllowMajorVersionUpgrade=True, ApplyImmediately=True
        )
    rds.delete_db_cluster(DBClusterIdentifier=cluster, SkipFinalSnapshot=True)


# --------------------------------------------------------------------------------------------- RDS (gap 34)
def test_iam_database_authentication_changes_in_place(moto_or_cloud):
    rds = moto_or_cloud.client("rds")
    cluster = create_cluster(rds)

    def enabled():
        return rds.describe_db_clusters(DBClusterIdentifier=cluster)["DBClusters"][0][
            "IAMDatabaseAuthenticationEnabled"
        ]

    assert enabled() is False
    rds.modify_db_cluster(DBClusterIdentifier=cluster, EnableIAMDatabaseAuthentication=True, ApplyImmediately=True)
    assert enabled() is (not moto_or_cloud.plain)  # plain moto keeps reporting false
    if not moto_or_cloud.plain:
        rds.modify_db_cluster(DBClusterIdentifier=cluster, EnableIAMDatabaseAuthentication=False, ApplyImmediately=True)
        assert enabled() is False
    rds.delete_db_cluster(DBClusterIdentifier=cluster, SkipFinalSnapshot=True)


# --------------------------------------------------------------------------------------------- Lambda (gap 38)
def test_function_reports_the_vpc_of_its_subnets(moto_or_cloud):
    import io
    import zipfile

    ec2, lam, iam = (moto_or_cloud.client(s) for s in ("ec2", "lambda", "iam"))
    vpc = ec2.create_vpc(CidrBlock="10.78.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.78.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=unique_name("fn"), Description="fn", VpcId=vpc)["GroupId"]
    name = unique_name("invpc")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}  # fmt: skip
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return None\n")
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": code.getvalue()},
        VpcConfig={"SubnetIds": [subnet], "SecurityGroupIds": [group]},
    )
    found = lam.get_function_configuration(FunctionName=name)["VpcConfig"]["VpcId"]
    assert found == ("vpc-123abc" if moto_or_cloud.plain else vpc)
    lam.delete_function(FunctionName=name)


# --------------------------------------------------------------------------------------------- STS (gap 36)
def test_caller_user_arn_is_an_iam_arn(moto_or_cloud):
    arn = moto_or_cloud.client("sts").get_caller_identity()["Arn"]
    assert arn == (
        "arn:aws:sts::123456789012:user/moto" if moto_or_cloud.plain else "arn:aws:iam::123456789012:user/moto"
    )


# --------------------------------------------------------------------------------------------- EC2 (gap 35)
def test_deleted_flow_log_leaves_no_tags(moto_or_cloud):
    ec2, logs = moto_or_cloud.client("ec2"), moto_or_cloud.client("logs")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    group = "/payments/" + unique_name("flow")
    logs.create_log_group(logGroupName=group)
    (flow_log,) = ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="cloud-watch-logs",
        LogGroupName=group,
        DeliverLogsPermissionArn="arn:aws:iam::123456789012:role/flow-logs",
        TagSpecifications=[{"ResourceType": "vpc-flow-log", "Tags": [{"Key": "environment", "Value": "gap35"}]}],
    )["FlowLogIds"]

    def tagged():
        return [
            t["ResourceId"] for t in ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [flow_log]}])["Tags"]
        ]

    assert tagged() == [flow_log]
    ec2.delete_flow_logs(FlowLogIds=[flow_log])
    assert ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc]}])["FlowLogs"] == []
    assert tagged() == ([flow_log] if moto_or_cloud.plain else [])
    ec2.delete_vpc(VpcId=vpc)
    logs.delete_log_group(logGroupName=group)


# --------------------------------------------------------------------------------------------- Logs (gap 31)
def test_log_group_kms_key_changes_in_place(moto_or_cloud):
    logs, kms = moto_or_cloud.client("logs"), moto_or_cloud.client("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    name = "/payments/" + unique_name("group")
    logs.create_log_group(logGroupName=name)

    def key_of():
        return logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0].get("kmsKeyId")

    if moto_or_cloud.plain:
        with pytest.raises(ClientError, match="500 Internal Server Error"):  # moto's NotImplementedError
            logs.associate_kms_key(logGroupName=name, kmsKeyId=key)
        return
    logs.associate_kms_key(logGroupName=name, kmsKeyId=key)
    assert key_of() == key
    logs.disassociate_kms_key(logGroupName=name)
    assert key_of() is None
    with pytest.raises(ClientError) as err:
        logs.associate_kms_key(logGroupName=name, kmsKeyId="alias/aws/logs")
    assert err.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(ClientError) as err:
        logs.associate_kms_key(logGroupName=name + "-none", kmsKeyId=key)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
