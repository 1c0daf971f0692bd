# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EC2 reads of the payments.auroradb checks (verify, drift, posture): the VPC, a security group, a subnet and the NAT
gateways, each found by its name (Name tag, or group name in the VPC) as the network role creates them; its flow
logs, route tables and subnets. And the VPC flow log calls of the vpc_flow_log module (create, delete, tag).

``client`` comes from ``module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())``; every call passes
``aws_retry=True``; errors are raised as :class:`~.errors.AuroraDbError`.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.payments.auroradb.plugins.module_utils.addresses import LIVE_NAT_STATES, EC2ErrorHandler
from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError


def _first(items: list[dict[str, Any]]) -> dict[str, Any] | None:
    return items[0] if items else None


@EC2ErrorHandler.common_error_handler("find the VPC named {name}")
def find_vpc(client, name: str) -> dict[str, Any] | None:
    """The VPC whose Name tag is ``name`` (the first one), or None."""
    filters = [{"Name": "tag:Name", "Values": [name]}]
    return _first(client.describe_vpcs(Filters=filters, aws_retry=True)["Vpcs"])


@EC2ErrorHandler.common_error_handler("find security group {name} in {vpc_id}")
def find_security_group(client, vpc_id: str, name: str) -> dict[str, Any] | None:
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": [name]}]
    return _first(client.describe_security_groups(Filters=filters, aws_retry=True)["SecurityGroups"])


@EC2ErrorHandler.common_error_handler("find subnet {name} in {vpc_id}")
def find_subnet(client, vpc_id: str, name: str) -> dict[str, Any] | None:
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "tag:Name", "Values": [name]}]
    return _first(client.describe_subnets(Filters=filters, aws_retry=True)["Subnets"])


@EC2ErrorHandler.common_error_handler("find the NAT gateways of {vpc_id}")
def live_nat_gateways(client, vpc_id: str) -> list[dict[str, Any]]:
    """The pending or available NAT gateways of the VPC."""
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "state", "Values": LIVE_NAT_STATES}]
    return client.describe_nat_gateways(Filters=filters, aws_retry=True)["NatGateways"]


def ingress_cidrs(group: dict[str, Any] | None) -> list[str]:
    """``tcp/5432 0.0.0.0/0`` for every IPv4/IPv6 range of the group's ingress rules (security-group sources are
    not listed), sorted."""
    found = set()
    for perm in (group or {}).get("IpPermissions") or []:
        proto = perm.get("IpProtocol", "-1")
        if proto == "-1":
            ports = "all"
        else:
            low, high = perm.get("FromPort"), perm.get("ToPort")
            ports = f"{proto}/{low}" if low == high else f"{proto}/{low}-{high}"
        for item in perm.get("IpRanges") or []:
            found.add(f"{ports} {item['CidrIp']}")
        for item in perm.get("Ipv6Ranges") or []:
            found.add(f"{ports} {item['CidrIpv6']}")
    return sorted(found)


@EC2ErrorHandler.common_error_handler("read the flow logs of {vpc_id}")
def flow_logs(client, vpc_id: str) -> list[dict[str, Any]]:
    """The flow logs whose resource is the VPC."""
    filters = [{"Name": "resource-id", "Values": [vpc_id]}]
    return client.describe_flow_logs(Filters=filters, aws_retry=True)["FlowLogs"]


@EC2ErrorHandler.common_error_handler("read the route tables of {vpc_id}")
def route_tables(client, vpc_id: str) -> list[dict[str, Any]]:
    """Every route table of the VPC, with its associations and routes."""
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}]
    return client.describe_route_tables(Filters=filters, aws_retry=True)["RouteTables"]


def route_table_of(tables: list[dict[str, Any]], subnet_id: str) -> dict[str, Any] | None:
    """The route table a subnet uses: the one associated with it, else the VPC's main route table."""
    main = None
    for table in tables:
        for association in table.get("Associations") or []:
            if association.get("SubnetId") == subnet_id:
                return table
            if association.get("Main"):
                main = table
    return main


@EC2ErrorHandler.common_error_handler("read the subnets of {vpc_id}")
def subnet_zones(client, vpc_id: str) -> dict[str, str]:
    """Subnet ID -> availability zone, for every subnet of the VPC."""
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}]
    return {
        s["SubnetId"]: s["AvailabilityZone"]
        for s in client.describe_subnets(Filters=filters, aws_retry=True)["Subnets"]
    }


# -- Flow logs (the monitoring role's vpc_flow_log module) -------------------------------------------------------


@EC2ErrorHandler.common_error_handler("create a flow log of {vpc_id} to {log_group}")
def create_flow_log(
    client, vpc_id: str, log_group: str, role_arn: str, traffic_type: str, interval: int, tags: dict[str, str]
) -> str:
    """CreateFlowLogs for the VPC to a CloudWatch Logs group; the new flow log's ID."""
    params = dict(
        ResourceIds=[vpc_id],
        ResourceType="VPC",
        TrafficType=traffic_type,
        LogDestinationType="cloud-watch-logs",
        LogGroupName=log_group,
        DeliverLogsPermissionArn=role_arn,
        MaxAggregationInterval=interval,
    )
    if tags:
        params["TagSpecifications"] = [
            {"ResourceType": "vpc-flow-log", "Tags": [{"Key": k, "Value": str(v)} for k, v in sorted(tags.items())]}
        ]
    answer = client.create_flow_logs(aws_retry=True, **params)
    if answer.get("Unsuccessful"):
        problem = answer["Unsuccessful"][0].get("Error", {})
        raise AuroraDbError(f"Failed to create a flow log of {vpc_id}: {problem.get('Code')}: {problem.get('Message')}")
    return answer["FlowLogIds"][0]


@EC2ErrorHandler.common_error_handler("delete flow logs {flow_log_ids}")
def delete_flow_logs(client, flow_log_ids: list[str]) -> None:
    if flow_log_ids:
        client.delete_flow_logs(FlowLogIds=list(flow_log_ids), aws_retry=True)


@EC2ErrorHandler.common_error_handler("tag {resource_id}")
def add_tags(client, resource_id: str, tags: dict[str, str]) -> None:
    if tags:
        client.create_tags(
            Resources=[resource_id], Tags=[{"Key": k, "Value": str(v)} for k, v in sorted(tags.items())], aws_retry=True
        )


@EC2ErrorHandler.common_error_handler("untag {resource_id}")
def remove_tags(client, resource_id: str, keys: list[str]) -> None:
    if keys:
        client.delete_tags(Resources=[resource_id], Tags=[{"Key": k} for k in keys], aws_retry=True)
