# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EC2 reads of the payments.auroradb checks (verify and drift): the VPC, a security group, a subnet and the NAT
gateways, each found by its name (Name tag, or group name in the VPC) as the network role creates them.

``client`` comes from ``module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())``; every call passes
``aws_retry=True``; errors are raised as :class:`~.errors.AuroraDbError`. Read only.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.payments.auroradb.plugins.module_utils.addresses import LIVE_NAT_STATES, EC2ErrorHandler


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
