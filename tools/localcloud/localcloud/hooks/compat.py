"""Closing moto's gaps for this stack (shared/notes/moto-findings.md, localcloud/gaps.py); one hook per gap.

Each hook changes moto's in-process model objects after the action succeeded, so every later
Describe call returns what AWS would.
"""

from __future__ import annotations

import datetime
import re

from .. import ACCOUNT_ID
from ..envelope import Envelope
from ..middleware import after, before
from .rotation import _find_secret


def rds_backend(region: str):
    from moto.rds.models import rds_backends

    return rds_backends[ACCOUNT_ID][region]


def _bool(value) -> bool | None:
    if value is None:
        return None
    return str(value).lower() == "true"


@after("rds", "CreateDBInstance")
def inherit_cluster_subnet_group(env: Envelope, body: bytes) -> None:
    """Gap 5: a cluster member has its cluster's DB subnet group on AWS; moto left it empty."""
    cluster_id = env.param("DBClusterIdentifier")
    if not cluster_id or env.param("DBSubnetGroupName"):
        return
    backend = rds_backend(env.region)
    instance = backend.databases.get(env.param("DBInstanceIdentifier", "").lower())
    cluster = backend.clusters.get(cluster_id)
    if instance is None or cluster is None:
        return
    subnet_group = getattr(cluster, "db_subnet_group_name", None)
    if subnet_group and subnet_group != "default":
        instance.db_subnet_group_name = subnet_group


@after("rds", "CreateDBInstance", "ModifyDBInstance")
def store_performance_insights(env: Envelope, body: bytes) -> None:
    """Gap 6: moto drops the Performance Insights settings; AWS stores and returns them."""
    enabled = _bool(env.param("EnablePerformanceInsights"))
    if enabled is None:
        return
    instance = rds_backend(env.region).databases.get(env.param("DBInstanceIdentifier", "").lower())
    if instance is None:
        return
    instance.performance_insights_enabled = enabled
    if enabled:
        instance.performance_insights_retention_period = int(env.param("PerformanceInsightsRetentionPeriod", 7))
        key = env.param("PerformanceInsightsKMSKeyId") or getattr(instance, "performance_insights_kms_key_id", None)
        # AWS falls back to the account's aws/rds key when no key is given.
        instance.performance_insights_kms_key_id = key or _aws_managed_key_arn(env.region, "aws/rds")
    else:
        instance.performance_insights_retention_period = None
        instance.performance_insights_kms_key_id = None


def _aws_managed_key_arn(region: str, alias: str) -> str:
    from moto.kms.models import kms_backends

    backend = kms_backends[ACCOUNT_ID][region]
    key_id = backend.get_key_id_from_alias(f"alias/{alias}")
    return backend.keys[key_id].arn


@after("rds", "CreateDBInstance")
def spread_instances_over_azs(env: Envelope, body: bytes) -> None:
    """Gap 9a: without a requested AZ AWS places cluster members over the subnet group's AZs.

    moto put every instance in the region's first AZ; a requested AvailabilityZone is kept as is.
    """
    if env.param("AvailabilityZone"):
        return
    backend = rds_backend(env.region)
    instance = backend.databases.get(env.param("DBInstanceIdentifier", "").lower())
    subnet_group = getattr(instance, "db_subnet_group", None) if instance else None
    if subnet_group is None:
        return
    azs = sorted({subnet.availability_zone for subnet in subnet_group._subnets})
    used = [
        db.availability_zone
        for db in backend.databases.values()
        if db is not instance
        and db.db_cluster_identifier
        and db.db_cluster_identifier == instance.db_cluster_identifier
    ]
    if azs:
        instance.availability_zone = min(azs, key=lambda az: (used.count(az), az))


@after("rds", "DeleteDBCluster")
def drop_automated_snapshots(env: Envelope, body: bytes) -> None:
    """Gap 9b: AWS removes a deleted cluster's automated snapshots; moto kept them (and they block names)."""
    cluster_id = (env.param("DBClusterIdentifier") or "").lower()
    backend = rds_backend(env.region)
    for snap_id, snapshot in list(backend.cluster_snapshots.items()):
        if snapshot.snapshot_type == "automated" and snapshot.cluster.db_cluster_identifier.lower() == cluster_id:
            del backend.cluster_snapshots[snap_id]


@after("ec2", "UpdateSecurityGroupRuleDescriptionsIngress", "UpdateSecurityGroupRuleDescriptionsEgress")
def rule_description_update_returns_true(env: Envelope, body: bytes) -> bytes | None:
    """Gap 12 (EC2): AWS answers <return>true</return>; moto omits it and amazon.aws reads ["Return"] (KeyError).

    ec2_security_group updates a rule's description this way (e.g. the default egress rule), so the first
    converge of a security group failed with "Module failed: 'Return'". There is no model field for it.
    """
    if b"<return>" in body:
        return None
    return re.sub(rb"(</requestId>)", rb"\1<return>true</return>", body, count=1)


_EC2_DELETE_ID_PARAM = {
    "DeleteVpc": "VpcId",
    "DeleteSubnet": "SubnetId",
    "DeleteRouteTable": "RouteTableId",
    "DeleteSecurityGroup": "GroupId",
    "DeleteInternetGateway": "InternetGatewayId",
    "ReleaseAddress": "AllocationId",
    "DeleteVpcEndpoints": "VpcEndpointId.1",
}


def disassociate_nat_addresses(backend, nat) -> None:
    """A deleted NAT gateway's elastic IPs are disassociated (kept allocated), as on AWS: see the hook below."""
    held = {entry.get("allocationId") for entry in nat.address_set if entry.get("allocationId")}
    for eip in list(backend.addresses):
        if eip.allocation_id in held and eip.association_id:
            backend.disassociate_address(association_id=eip.association_id)


def stamp_delete_time(nat) -> None:
    """A NAT gateway that reached ``deleted`` has its DeleteTime (gap foreign-4; hooks.timing calls this too)."""
    from moto.core.utils import iso_8601_datetime_with_milliseconds, utcnow

    if getattr(nat, "delete_time", None) is None:
        nat.delete_time = iso_8601_datetime_with_milliseconds(utcnow())


@after("ec2", "DeleteNatGateway")
def stamp_nat_gateway_delete_time(env: Envelope, body: bytes) -> None:
    """Gap foreign-4 (EC2): DescribeNatGateways shows a deleted gateway's DeleteTime on AWS (the NatGateway shape's
    "the date and time the NAT gateway was deleted, if applicable"); moto had no such field, so ec2_vpc_nat_gateway
    with wait returned none and amazon.aws's ec2_vpc_nat_gateway target failed on plain moto and the local cloud.
    With ``--timing aws`` it is set when the gateway reaches ``deleted`` (hooks.timing)."""
    from moto.ec2.models import ec2_backends

    nat = ec2_backends[ACCOUNT_ID][env.region].nat_gateways.get(env.param("NatGatewayId"))
    if nat is not None and nat.state == "deleted":
        stamp_delete_time(nat)


@after("ec2", "DeleteNatGateway")
def free_the_addresses_of_a_deleted_nat_gateway(env: Envelope, body: bytes) -> None:
    """Gap 28 (EC2): on AWS a deleted NAT gateway's elastic IP is disassociated (and stays allocated until released);
    moto kept it associated, so nothing could tell a leftover address from one in use. With ``--timing aws`` this
    happens when the gateway reaches ``deleted`` (hooks.timing)."""
    from moto.ec2.models import ec2_backends

    backend = ec2_backends[ACCOUNT_ID][env.region]
    nat = backend.nat_gateways.get(env.param("NatGatewayId"))
    if nat is not None and nat.state == "deleted":
        disassociate_nat_addresses(backend, nat)


@after("ec2", "DeleteFlowLogs")
def forget_the_tags_of_deleted_flow_logs(env: Envelope, body: bytes) -> None:
    """Gap 35 (EC2): moto kept a deleted flow log's tags, so DescribeTags still listed it (a teardown looked as if it
    had left the flow log behind). AWS forgets them with the flow log."""
    from moto.ec2.models import ec2_backends

    backend = ec2_backends[ACCOUNT_ID][env.region]
    ids = [value for key, value in env.params.items() if re.fullmatch(r"FlowLogId\.\d+", key)]  # EC2's list form
    for flow_log_id in ids:
        if flow_log_id not in backend.flow_logs:
            backend.tags.pop(flow_log_id, None)


@after("ec2", "CreateVpcEndpoint")
def no_private_dns_on_gateway_endpoints(env: Envelope, body: bytes) -> bytes | None:
    """Gap foreign-2 (EC2): private DNS is a feature of interface endpoints only (the EC2 API reference of
    CreateVpcEndpoint, PrivateDnsEnabled); a gateway endpoint (S3, DynamoDB) reads PrivateDnsEnabled false on
    AWS, as amazon.aws's ec2_vpc_endpoint integration target asserts. moto defaulted it to true for every type,
    in the answer and in DescribeVpcEndpoints."""
    from moto.ec2.models import ec2_backends

    found = re.search(rb"<vpcEndpointId>([^<]+)</vpcEndpointId>", body)
    endpoint = ec2_backends[ACCOUNT_ID][env.region].vpc_end_points.get(found.group(1).decode()) if found else None
    if endpoint is None or (endpoint.vpc_endpoint_type or "Gateway").lower() == "interface":
        return None
    endpoint.private_dns_enabled = False
    return body.replace(b"<privateDnsEnabled>true</privateDnsEnabled>", b"<privateDnsEnabled>false</privateDnsEnabled>")


@after("ec2", "CreateVpcEndpoint")
def endpoints_are_not_requester_managed(env: Envelope, body: bytes) -> bytes | None:
    """Gap foreign-5 (EC2): AWS answers RequesterManaged (false for an endpoint created by the account, true only for
    one a service manages) in CreateVpcEndpoint and DescribeVpcEndpoints; moto left the field out, and amazon.aws's
    ec2_vpc_endpoint integration target asserts ``requester_managed`` is there and false."""
    from moto.ec2.models import ec2_backends

    found = re.search(rb"<vpcEndpointId>([^<]+)</vpcEndpointId>", body)
    endpoint = ec2_backends[ACCOUNT_ID][env.region].vpc_end_points.get(found.group(1).decode()) if found else None
    if endpoint is None or getattr(endpoint, "requester_managed", None) is not None:
        return None
    endpoint.requester_managed = False
    if b"<requesterManaged>" in body:
        return None
    return body.replace(found.group(0), found.group(0) + b"<requesterManaged>false</requesterManaged>", 1)


@after("ec2", "DeleteRouteTable")
def endpoints_forget_a_deleted_route_table(env: Envelope, body: bytes) -> None:
    """Gap foreign-6 (EC2): a gateway endpoint no longer lists a route table that was deleted (on AWS deleting the
    table takes the endpoint's association along; amazon.aws's ec2_vpc_endpoint target deletes the route tables,
    then the endpoint). moto kept the ID, so DeleteVpcEndpoints then failed with InvalidRouteTableID.NotFound and
    the endpoint could not be deleted at all."""
    from moto.ec2.models import ec2_backends

    backend = ec2_backends[ACCOUNT_ID][env.region]
    table_id = env.param("RouteTableId")
    if not table_id or table_id in backend.route_tables:
        return
    for endpoint in backend.vpc_end_points.values():
        if table_id in (endpoint.route_table_ids or []):
            endpoint.route_table_ids = [rtb for rtb in endpoint.route_table_ids if rtb != table_id]


@after("ec2", "DeleteVpcEndpoints")
def deleted_endpoints_are_gone(env: Envelope, body: bytes) -> bytes | None:
    """Gap foreign-3 (EC2): on AWS a deleted VPC endpoint is no longer found by its ID, and DeleteVpcEndpoints lists
    an ID it does not know under Unsuccessful (as amazon.aws's ec2_vpc_endpoint integration target asserts: a
    second delete reports no change, ec2_vpc_endpoint_info by that ID says it does not exist). moto kept the
    endpoint for ever in state ``deleted`` and never answered an Unsuccessful item, so deleting again always
    reported a change. Without a timing model the endpoint goes at once (``--timing aws``: hooks.timing
    removes it once its deletion phases are over)."""
    from moto.ec2.models import ec2_backends

    from .timing import model

    backend = ec2_backends[ACCOUNT_ID][env.region]
    ids = [value for key, value in sorted(env.params.items()) if re.fullmatch(r"VpcEndpointId\.\d+", key)]
    unknown = [vpce_id for vpce_id in ids if vpce_id not in backend.vpc_end_points]
    if model() is None:
        for vpce_id in ids:
            endpoint = backend.vpc_end_points.get(vpce_id)
            if endpoint is not None and endpoint.state == "deleted":
                del backend.vpc_end_points[vpce_id]
    if not unknown:
        return None
    items = b"".join(
        b"<item><error><code>InvalidVpcEndpoint.NotFound</code><message>The VPC endpoint '%s' does not exist"
        b"</message></error><resourceId>%s</resourceId></item>" % (vpce_id.encode(), vpce_id.encode())
        for vpce_id in unknown
    )
    without = re.sub(rb"<unsuccessful\s*/>|<unsuccessful>\s*</unsuccessful>", b"", body)
    return re.sub(
        rb"</requestId>", lambda m: m.group(0) + b"<unsuccessful>" + items + b"</unsuccessful>", without, count=1
    )


@after("ec2", *_EC2_DELETE_ID_PARAM)
def forget_tags_of_deleted_resources(env: Envelope, body: bytes) -> None:
    """Gap 13 (EC2): a deleted resource's tags vanish on AWS; moto kept them, so DescribeTags listed ghosts.

    (DeleteSecurityGroup may name the group by GroupName; then it is looked up before deletion is moot,
    so tags are dropped for every id that no longer exists.)
    """
    from moto.ec2.models import ec2_backends

    backend = ec2_backends[ACCOUNT_ID][env.region]
    resource_id = env.param(_EC2_DELETE_ID_PARAM[env.action])
    if resource_id:
        backend.tags.pop(resource_id, None)
    if env.action == "DeleteSecurityGroup" and not resource_id:
        live = {group.id for groups in backend.groups.values() for group in groups.values()}
        for tagged in [rid for rid in backend.tags if rid.startswith("sg-") and rid not in live]:
            backend.tags.pop(tagged, None)


@after("monitoring", "DeleteAlarms")
def forget_tags_of_deleted_alarms(env: Envelope, body: bytes) -> None:
    """Gap 27 (CloudWatch): a deleted alarm's tags go with it on AWS; moto kept them under the alarm's ARN.

    An alarm created again under the same name (a re-deploy after a teardown) then came back with the old tags, and
    ListTagsForResource answered for an alarm that no longer exists. Every alarm ARN whose alarm is gone is dropped
    (the request's protocol, query or JSON, does not matter).
    """
    from moto.cloudwatch.models import cloudwatch_backends

    backend = cloudwatch_backends[ACCOUNT_ID][env.region]
    live = {alarm.alarm_arn for alarm in backend.alarms.values()}
    for arn in [arn for arn in backend.tagger.tags if ":alarm:" in arn and arn not in live]:
        backend.tagger.delete_all_tags_for_resource(arn)


@after("rds", "CreateDBCluster", "ModifyDBCluster")
def create_exported_log_groups(env: Envelope, body: bytes) -> None:
    """Gap 14 (RDS/Logs): AWS creates /aws/rds/cluster/<id>/<log> for each exported log; moto created none.

    A teardown must remove these groups (they are not stack resources and never expire), so the local
    cloud has to create them for that to be tested.
    """
    from moto.logs.models import logs_backends

    exports = env.list_param("EnableCloudwatchLogsExports")
    exports += env.list_param("CloudwatchLogsExportConfiguration.EnableLogTypes")
    cluster_id = (env.param("DBClusterIdentifier") or "").lower()
    backend = logs_backends[ACCOUNT_ID][env.region]
    for log_type in exports:
        name = f"/aws/rds/cluster/{cluster_id}/{log_type}"
        if name not in backend.groups:
            backend.create_log_group(name, {})


@after("rds", "ModifyDBCluster")
def apply_log_export_configuration(env: Envelope, body: bytes) -> bytes | None:
    """Gap 15 (RDS): moto ignored CloudwatchLogsExportConfiguration in ModifyDBCluster.

    Exports enabled or disabled by hand stayed as they were, so neither a drift check (verify.yml) nor the role
    putting the export back could be tested. Applied with set semantics, then the answer is re-rendered.
    """
    enable = env.list_param("CloudwatchLogsExportConfiguration.EnableLogTypes")
    disable = env.list_param("CloudwatchLogsExportConfiguration.DisableLogTypes")
    if not enable and not disable:
        return None
    cluster = rds_backend(env.region).clusters.get(env.param("DBClusterIdentifier") or "")
    if cluster is None:
        return None
    exports = [e for e in cluster.enabled_cloudwatch_logs_exports if e not in disable]
    exports += [e for e in enable if e not in exports]
    cluster.enabled_cloudwatch_logs_exports = exports
    return None


@before("secretsmanager", "GetSecretValue")
def refuse_value_of_deleted_secret(env: Envelope) -> None:
    """Gap 20a (Secrets Manager): the value of a secret scheduled for deletion is refused with AWS's message.

    moto's message ("An error occurred (InvalidRequestException) when calling the GetSecretValue operation: You
    tried to perform the operation on a secret that's currently marked deleted.") lacks "marked for deletion",
    which the amazon.aws secretsmanager_secret lookup matches for ``on_deleted`` (skip/warn), so it failed instead.
    """
    _find_secret(env.region, env.param("SecretId") or "")


@after("secretsmanager", "GetSecretValue")
def remember_secret_access(env: Envelope, body: bytes) -> None:
    """Gap 20b (Secrets Manager): AWS records the day (midnight UTC) of the last GetSecretValue as LastAccessedDate.

    DescribeSecret / ListSecrets show it (patches:_secret_last_accessed_date); moto never set it.
    """
    secret = _find_secret(env.region, env.param("SecretId") or "")
    today = datetime.datetime.now(datetime.UTC).date()
    midnight = datetime.datetime.combine(today, datetime.time(), tzinfo=datetime.UTC)
    secret.localcloud_last_accessed_date = int(midnight.timestamp())


# Gap 29: moto 5.2.5 lacks ModifyEventSubscription (CreateEventSubscription, Describe and Delete it has).
@before("rds", "ModifyEventSubscription")
def modify_event_subscription(env: Envelope) -> None:
    from xml.sax.saxutils import escape

    from ..errors import AwsError
    from .catalogue import respond

    name = env.param("SubscriptionName")
    subscription = rds_backend(env.region).event_subscriptions.get(name)
    if subscription is None:
        raise AwsError("SubscriptionNotFound", f"Subscription {name} not found.", status=404)
    if env.param("SnsTopicArn"):
        subscription.sns_topic_arn = env.param("SnsTopicArn")
    if env.param("SourceType"):
        subscription.source_type = env.param("SourceType")
    categories = env.list_param("EventCategories")
    if categories:
        subscription.event_categories = categories
    if env.param("Enabled") is not None:
        subscription.enabled = _bool(env.param("Enabled"))

    def items(tag, values):
        return "".join(f"<{tag}>{escape(value)}</{tag}>" for value in values)

    respond(
        env.action,
        "<EventSubscription>"
        f"<CustomerAwsId>{ACCOUNT_ID}</CustomerAwsId>"
        f"<CustSubscriptionId>{escape(name)}</CustSubscriptionId>"
        f"<SnsTopicArn>{escape(subscription.sns_topic_arn or '')}</SnsTopicArn>"
        f"<Status>{subscription.status}</Status>"
        f"<SourceType>{escape(subscription.source_type or '')}</SourceType>"
        f"<SourceIdsList>{items('SourceId', subscription.source_ids)}</SourceIdsList>"
        f"<EventCategoriesList>{items('EventCategory', subscription.event_categories)}</EventCategoriesList>"
        f"<Enabled>{'true' if subscription.enabled else 'false'}</Enabled>"
        f"<EventSubscriptionArn>{escape(subscription.arn)}</EventSubscriptionArn>"
        "</EventSubscription>",
    )


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version or ""))


# Gap 30: moto 5.2.5 takes any EngineVersion in ModifyDBCluster: a downgrade, and a new major version without
# AllowMajorVersionUpgrade. AWS refuses both (InvalidParameterCombination), which is what makes a minor version an
# upgrade-only floor: a run that asked for 15.7 after AWS upgraded the cluster to 15.8 would fail on AWS.
@before("rds", "ModifyDBCluster")
def refuse_engine_downgrade(env: Envelope) -> None:
    from ..errors import AwsError

    wanted = env.param("EngineVersion")
    cluster = rds_backend(env.region).clusters.get(env.param("DBClusterIdentifier") or "")
    if not wanted or cluster is None or wanted == cluster.engine_version:
        return
    current = cluster.engine_version
    if _version_key(wanted) < _version_key(current):
        raise AwsError("InvalidParameterCombination", f"Cannot upgrade {cluster.engine} from {current} to {wanted}")
    major_change = _version_key(wanted)[:1] != _version_key(current)[:1]
    if major_change and (env.param("AllowMajorVersionUpgrade") or "").lower() != "true":
        raise AwsError(
            "InvalidParameterCombination",
            "The AllowMajorVersionUpgrade flag must be present when upgrading to a new major version.",
        )


# Gap 39b: ManageMasterUserPassword and MasterUserPassword exclude each other on AWS, and turning management off
# needs the password the master user gets instead (RDS API reference, CreateDBCluster and ModifyDBCluster,
# ManageMasterUserPassword). moto 5.2.5 took both: with True and a password the secret and the password disagreed,
# with False and no password it deleted the secret and left a password nobody knew.
@before("rds", "CreateDBCluster", "ModifyDBCluster")
def refuse_managed_password_combinations(env: Envelope) -> None:
    from ..errors import AwsError

    manage, password = _bool(env.param("ManageMasterUserPassword")), env.param("MasterUserPassword")
    if manage is True and password:
        raise AwsError(
            "InvalidParameterCombination",
            "Can't manage the master user password with AWS Secrets Manager if MasterUserPassword is specified.",
        )
    if manage is False and not password and env.action == "ModifyDBCluster":
        raise AwsError(
            "InvalidParameterCombination",
            "MasterUserPassword must be provided when ManageMasterUserPassword is set to false.",
        )


# Gap 36: moto answers GetCallerIdentity for an IAM user's access key with arn:aws:sts::<account>:user/<name>; AWS
# answers arn:aws:iam::<account>:user/<name> (only assumed roles have an sts ARN). A key policy naming the deployer
# needs the IAM form.
@after("sts", "GetCallerIdentity")
def caller_user_arn_is_an_iam_arn(env: Envelope, body: bytes) -> bytes | None:
    fixed = re.sub(rb"arn:(aws[a-z-]*):sts::(\d{12}):user/", rb"arn:\1:iam::\2:user/", body)
    return fixed if fixed != body else None


# Gap 34: moto 5.2.5's ModifyDBCluster stores EnableIAMDatabaseAuthentication under another attribute than the one
# DescribeDBClusters reads (iam_auth): IAM database authentication turned on or off later never showed.
@after("rds", "ModifyDBCluster")
def modify_iam_database_authentication(env: Envelope, body: bytes) -> None:
    wanted = env.param("EnableIAMDatabaseAuthentication")
    identifier = env.param("NewDBClusterIdentifier") or env.param("DBClusterIdentifier") or ""
    cluster = rds_backend(env.region).clusters.get(identifier)
    if wanted is None or cluster is None:
        return
    cluster.iam_auth = str(wanted).lower() == "true"


# Gap 31: moto 5.2.5 lacks AssociateKmsKey and DisassociateKmsKey for log groups (CreateLogGroup takes a kmsKeyId):
# a log group's key can be set, changed and removed in place, as on AWS.
@before("logs", "AssociateKmsKey", "DisassociateKmsKey")
def log_group_kms_key(env: Envelope) -> None:
    import json

    from moto.logs.models import logs_backends

    from ..errors import AwsError
    from ..middleware import Respond

    name = env.param("logGroupName")
    group = logs_backends[ACCOUNT_ID][env.region].groups.get(name or "")
    if group is None:
        raise AwsError("ResourceNotFoundException", "The specified log group does not exist.")
    if env.action == "AssociateKmsKey":
        key = env.param("kmsKeyId") or ""
        if not key.startswith("arn:"):
            raise AwsError("InvalidParameterException", "Specified KMS key ARN is not valid: the key must be an ARN")
        group.kms_key_id = key
    else:
        group.kms_key_id = None
    raise Respond(json.dumps({}).encode(), content_type="application/x-amz-json-1.1")
