# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EC2 elastic IP layer of the payments.auroradb modules: the NAT gateway's address, found again by its tags.

``client`` comes from ``module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())``; every call passes
``aws_retry=True``; errors are raised as :class:`~.errors.AuroraDbError`. An address is allocated with its tags in the
same call (TagSpecifications), so a run killed right after the allocation leaves an address the next run finds.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)

from ansible_collections.payments.auroradb.plugins.module_utils.errors import error_handler

EC2ErrorHandler = error_handler("EC2", ["InvalidAllocationID.NotFound", "InvalidNatGatewayID.NotFound"])
LIVE_NAT_STATES = ["pending", "available"]


def tags_of(resource: dict[str, Any]) -> dict[str, str]:
    return boto3_tag_list_to_ansible_dict(resource.get("Tags") or [])


@EC2ErrorHandler.common_error_handler("find the NAT gateways of subnet {subnet_id}")
def live_nat_gateways(client, subnet_id: str) -> list[dict[str, Any]]:
    """The pending or available NAT gateways of the subnet."""
    filters = [{"Name": "subnet-id", "Values": [subnet_id]}, {"Name": "state", "Values": LIVE_NAT_STATES}]
    return client.describe_nat_gateways(Filters=filters, aws_retry=True)["NatGateways"]


@EC2ErrorHandler.common_error_handler("find the elastic IPs named {name}")
def addresses_named(client, name: str) -> list[dict[str, Any]]:
    """The VPC addresses whose Name tag is ``name``."""
    filters = [{"Name": "tag:Name", "Values": [name]}, {"Name": "domain", "Values": ["vpc"]}]
    return client.describe_addresses(Filters=filters, aws_retry=True)["Addresses"]


@EC2ErrorHandler.list_error_handler("find the elastic IPs {allocation_ids}", [])
def addresses_by_id(client, allocation_ids: list[str]) -> list[dict[str, Any]]:
    """The addresses among ``allocation_ids`` that still exist."""
    if not allocation_ids:
        return []
    filters = [{"Name": "allocation-id", "Values": list(allocation_ids)}]
    return client.describe_addresses(Filters=filters, aws_retry=True)["Addresses"]


@EC2ErrorHandler.common_error_handler("allocate an elastic IP named {tags[Name]}")
def allocate(client, tags: dict[str, str]) -> dict[str, Any]:
    """AllocateAddress in the VPC domain, tagged in the same call."""
    spec = [{"ResourceType": "elastic-ip", "Tags": ansible_dict_to_boto3_tag_list(tags)}]
    answer = client.allocate_address(Domain="vpc", TagSpecifications=spec, aws_retry=True)
    return {"AllocationId": answer["AllocationId"], "PublicIp": answer.get("PublicIp"), "Tags": spec[0]["Tags"]}


@EC2ErrorHandler.common_error_handler("tag elastic IP {allocation_id}")
def tag(client, allocation_id: str, tags: dict[str, str]) -> None:
    client.create_tags(Resources=[allocation_id], Tags=ansible_dict_to_boto3_tag_list(tags), aws_retry=True)


@EC2ErrorHandler.deletion_error_handler("release elastic IP {allocation_id}")
def release(client, allocation_id: str) -> bool:
    """True when released, False when it was already gone."""
    client.release_address(AllocationId=allocation_id, aws_retry=True)
    return True
