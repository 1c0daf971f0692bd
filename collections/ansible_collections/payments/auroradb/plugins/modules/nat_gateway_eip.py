#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: nat_gateway_eip
short_description: The elastic IP of a NAT gateway, found again by its Name tag, never allocated twice
author:
  - payments platform team (!UNKNOWN)
version_added: 0.1.0
description:
  - With O(state=present), returns the allocation ID the NAT gateway of O(subnet_id) must use, in this order - the
    address of the subnet's live (pending or available) NAT gateway; an unassociated address whose C(Name) tag is
    O(name) (left by a run interrupted between the allocation and the NAT gateway, or by a NAT gateway deleted by
    hand); a new address, allocated with its tags in the same call. Missing tags are added to the address.
  - C(amazon.aws.ec2_vpc_nat_gateway) allocates an untagged address of its own when it is given none, so an
    interrupted run or the repair of a deleted NAT gateway leaks one address per attempt; give it this module's
    C(allocation_id) instead.
  - With O(state=absent) (after the NAT gateways are deleted), releases every unassociated address whose C(Name) tag
    is O(name), and those of O(release_allocation_ids) (the addresses deleted NAT gateways held) that are unassociated.
    An address still associated is never released.
options:
  name:
    description: Value of the address's C(Name) tag, unique to the environment.
    type: str
    required: true
  subnet_id:
    description: The NAT gateway's subnet. Required when O(state=present).
    type: str
  tags:
    description: Further tags of the address (C(Name) is set from O(name)).
    type: dict
    default: {}
  release_allocation_ids:
    description: With O(state=absent), further addresses to release when they are unassociated.
    type: list
    elements: str
    default: []
  state:
    description: C(present) finds or allocates the address; C(absent) releases the unassociated ones.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The NAT gateway's address
  payments.auroradb.nat_gateway_eip:
    name: payment-db-vpc-dev/NatEIP
    subnet_id: subnet-0123456789abcdef0
    tags: {environment: dev}
  register: eip

- name: Create the NAT gateway with it
  amazon.aws.ec2_vpc_nat_gateway:
    subnet_id: subnet-0123456789abcdef0
    allocation_id: "{{ eip.allocation_id | default(omit, true) }}"
    if_exist_do_not_create: true

- name: Release the addresses left after the NAT gateway's deletion
  payments.auroradb.nat_gateway_eip:
    name: payment-db-vpc-dev/NatEIP
    state: absent
"""

RETURN = r"""
allocation_id:
  description: The address's allocation ID (empty in check mode when it would be allocated).
  returned: when O(state=present)
  type: str
  sample: eipalloc-0123456789abcdef0
public_ip:
  description: The address.
  returned: when O(state=present) and the address exists
  type: str
  sample: 203.0.113.8
source:
  description:
    - Where the address came from - C(nat_gateway), C(adopted) (an unassociated address of ours) or
      C(allocated).
  returned: when O(state=present)
  type: str
released:
  description: Allocation IDs released (or that would be, in check mode).
  returned: when O(state=absent)
  type: list
  elements: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.payments.auroradb.plugins.module_utils import addresses
from ansible_collections.payments.auroradb.plugins.module_utils.errors import run


def wanted_tags(module):
    return {**module.params["tags"], "Name": module.params["name"]}


def find(client, module):
    """``(address, source)``: the live NAT gateway's address, else an unassociated one of ours, else ``(None, "")``."""
    for gateway in addresses.live_nat_gateways(client, module.params["subnet_id"]):
        for held in gateway.get("NatGatewayAddresses", []):
            if held.get("AllocationId"):
                found = addresses.addresses_by_id(client, [held["AllocationId"]])
                return (
                    found[0] if found else {"AllocationId": held["AllocationId"], "PublicIp": held.get("PublicIp")}
                ), "nat_gateway"
    ours = sorted(
        (
            address
            for address in addresses.addresses_named(client, module.params["name"])
            if not address.get("AssociationId")
        ),
        key=lambda address: address["AllocationId"],
    )
    return (ours[0], "adopted") if ours else (None, "")


def ensure_present(module, client):
    address, source = find(client, module)
    tags = wanted_tags(module)
    before = {"allocation_id": address["AllocationId"], "tags": addresses.tags_of(address)} if address else {}
    changed = False
    if address is None:
        changed, source = True, "allocated"
        address = {} if module.check_mode else addresses.allocate(client, tags)
    else:
        missing = {key: value for key, value in tags.items() if addresses.tags_of(address).get(key) != value}
        if missing:
            changed = True
            if not module.check_mode:
                addresses.tag(client, address["AllocationId"], missing)
    result = {
        "changed": changed,
        "allocation_id": address.get("AllocationId", ""),
        "public_ip": address.get("PublicIp"),
        "source": source,
    }
    if module._diff:
        result["diff"] = {
            "before": before,
            "after": {"allocation_id": result["allocation_id"] or "(new)", "tags": tags},
        }
    return result


def ensure_absent(module, client):
    named = addresses.addresses_named(client, module.params["name"])
    listed = addresses.addresses_by_id(client, module.params["release_allocation_ids"])
    unassociated = {a["AllocationId"]: a for a in named + listed if not a.get("AssociationId")}
    released = []
    for allocation_id in sorted(unassociated):
        if module.check_mode or addresses.release(client, allocation_id):
            released.append(allocation_id)
    result = {"changed": bool(released), "released": released}
    if module._diff:
        result["diff"] = {"before": {"addresses": sorted(unassociated)}, "after": {"addresses": []}}
    return result


def converge(module, client):
    return (ensure_present if module.params["state"] == "present" else ensure_absent)(module, client)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            subnet_id=dict(type="str"),
            tags=dict(type="dict", default={}),
            release_allocation_ids=dict(type="list", elements="str", default=[]),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_if=[("state", "present", ["subnet_id"])],
        supports_check_mode=True,
    )
    run(module, "ec2", converge)


if __name__ == "__main__":
    main()
