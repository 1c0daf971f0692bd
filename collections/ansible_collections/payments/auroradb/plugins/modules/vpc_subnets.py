#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpc_subnets
short_description: All the subnets of a VPC in one module run
author:
  - payments platform team (!UNKNOWN)
version_added: 0.1.0
description:
  - Converges a whole list of subnets of one VPC in one module run (one C(amazon.aws.ec2_vpc_subnet) run per subnet
    costs a Python start-up each).
  - With O(state=present), a subnet is found by its CIDR in the VPC (AWS refuses two subnets of one VPC with
    overlapping ranges); a missing one is created in its zone with its tags in the same call, so a run killed right
    after the creation leaves a subnet the next run finds. C(MapPublicIpOnLaunch) is set as asked; missing or
    different tags are set, other tags are kept (C(purge_tags=false)).
  - A subnet of the VPC named like one asked for but with another CIDR, or a subnet with an asked CIDR in another
    zone, is refused (a subnet's range and zone cannot change), naming both.
  - With O(state=absent), deletes the subnets of the VPC whose C(Name) tag is one O(subnets) names, or with
    O(purge=true) every subnet of the VPC.
  - Every AWS call retries throttling and server errors with jittered backoff.
options:
  subnets:
    description:
      - Groups of subnets (e.g. the public ones, then the private ones); one subnet per CIDR of a group, in the zone of
        the same index, named O(subnets[].name_prefix) followed by its position in the group (1, 2, ...).
    type: list
    elements: dict
    default: []
    suboptions:
      name_prefix:
        description: Start of the subnets' C(Name) tags (C(payment-db-vpc-dev/PublicSubnet) names the first one
          C(payment-db-vpc-dev/PublicSubnet1)).
        type: str
        required: true
      cidrs:
        description: The subnets' IPv4 ranges.
        type: list
        elements: str
        default: []
      zones:
        description: Their availability zones, one per CIDR.
        type: list
        elements: str
        default: []
      map_public:
        description: Give instances launched in these subnets a public IPv4 address.
        type: bool
        default: false
      tags:
        description: Tags of these subnets alone (added to O(tags)).
        type: dict
        default: {}
extends_documentation_fragment:
  - payments.auroradb.vpc_lists
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The public and private subnets
  payments.auroradb.vpc_subnets:
    vpc_id: vpc-0123456789abcdef0
    subnets:
      - name_prefix: payment-db-vpc-dev/PublicSubnet
        cidrs: [10.0.0.0/24, 10.0.1.0/24]
        zones: [us-east-1a, us-east-1b]
        map_public: true
        tags: {tier: public}
      - name_prefix: payment-db-vpc-dev/PrivateSubnet
        cidrs: [10.0.3.0/24, 10.0.4.0/24]
        zones: [us-east-1a, us-east-1b]
        tags: {tier: private}
    tags: {environment: dev}
  register: subnets

- name: The private subnets' IDs
  ansible.builtin.debug:
    msg: "{{ subnets.groups[1] }}"

- name: Every subnet of the VPC, before the VPC is deleted
  payments.auroradb.vpc_subnets:
    vpc_id: vpc-0123456789abcdef0
    purge: true
    state: absent
"""

RETURN = r"""
subnet_ids:
  description: The subnets' IDs, group after group (empty strings in check mode for subnets to be created).
  returned: when O(state=present)
  type: list
  elements: str
  sample: [subnet-0123456789abcdef0, subnet-0123456789abcdef1]
groups:
  description: The subnets' IDs, one list per group of O(subnets).
  returned: when O(state=present)
  type: list
  elements: list
  sample: [[subnet-0123456789abcdef0], [subnet-0123456789abcdef1]]
results:
  description: One entry per subnet, group after group.
  returned: always (empty when O(state=absent))
  type: list
  elements: dict
  contains:
    id: {description: The subnet's ID (empty in check mode when it would be created)., type: str}
    name: {description: Its C(Name) tag., type: str}
    cidr: {description: Its range., type: str}
    az: {description: Its zone., type: str}
    map_public: {description: Its C(MapPublicIpOnLaunch)., type: bool}
    tags: {description: Its tags., type: dict}
"""

from ansible_collections.payments.auroradb.plugins.module_utils import vpc
from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError


def describe(item, subnet):
    if not subnet:
        return {}
    return {
        "id": subnet.get("SubnetId", ""),
        "name": vpc.tags_of(subnet).get("Name", ""),
        "cidr": subnet.get("CidrBlock"),
        "az": subnet.get("AvailabilityZone"),
        "map_public": bool(subnet.get("MapPublicIpOnLaunch")),
        "tags": vpc.tags_of(subnet),
    }


def find(item, existing):
    """The subnet of the item's CIDR; refuses one named like the item with another range or zone."""
    found = next((subnet for subnet in existing if subnet.get("CidrBlock") == item["cidr"]), None)
    named = vpc.pick_named(existing, item["name"])
    if found is None and named is not None:
        raise AuroraDbError(
            f"subnet {named['SubnetId']} named {item['name']} has the range {named.get('CidrBlock')}, not "
            f"{item['cidr']}: a subnet's range cannot change (remove the subnet first)"
        )
    if found is not None and found.get("AvailabilityZone") != item["az"]:
        raise AuroraDbError(
            f"subnet {found['SubnetId']} ({item['cidr']}) is in {found.get('AvailabilityZone')}, not {item['az']}: "
            "a subnet's zone cannot change (remove the subnet first)"
        )
    return found


def ensure_one(module, client, item, existing):
    found = find(item, existing)
    tags = vpc.wanted_tags(module, item)
    if found is None:
        now = {"SubnetId": "", "CidrBlock": item["cidr"], "AvailabilityZone": item["az"], "Tags": vpc.tag_list(tags)}
        if not module.check_mode:
            now = vpc.create_subnet(client, module.params["vpc_id"], item["cidr"], item["az"], tags)
            if now.get("State", "available") != "available":
                vpc.wait_subnets_available(client, [now["SubnetId"]])
            if item["map_public"]:
                vpc.set_map_public(client, now["SubnetId"], True, fresh=True)
        return None, {**now, "MapPublicIpOnLaunch": item["map_public"]}, True
    missing = vpc.missing_tags(vpc.tags_of(found), tags)
    map_public_changes = bool(found.get("MapPublicIpOnLaunch")) != item["map_public"]
    if not module.check_mode:
        if missing:
            vpc.tag(client, found["SubnetId"], missing)
        if map_public_changes:
            vpc.set_map_public(client, found["SubnetId"], item["map_public"])
    now = {**found, "MapPublicIpOnLaunch": item["map_public"], "Tags": vpc.tag_list({**vpc.tags_of(found), **missing})}
    return found, now, bool(missing) or map_public_changes


def converge(module, client):
    items = vpc.expand_subnets(module.params["subnets"])
    existing = vpc.subnets_of(client, module.params["vpc_id"])
    result = vpc.converge_list(
        module,
        items,
        existing,
        lambda item, found: ensure_one(module, client, item, found),
        describe,
        lambda subnet: vpc.delete_subnet(client, subnet["SubnetId"]),
    )
    if module.params["state"] == "present":
        result["subnet_ids"] = [entry["id"] for entry in result["results"]]
        ids, result["groups"] = iter(result["subnet_ids"]), []
        for group in module.params["subnets"]:
            result["groups"].append([next(ids) for _cidr in group["cidrs"]])
    return result


def main():
    items = dict(
        name_prefix=dict(type="str", required=True),
        cidrs=dict(type="list", elements="str", default=[]),
        zones=dict(type="list", elements="str", default=[]),
        map_public=dict(type="bool", default=False),
        tags=dict(type="dict", default={}),
    )
    vpc.run_list_module("subnets", items, converge)


if __name__ == "__main__":
    main()
