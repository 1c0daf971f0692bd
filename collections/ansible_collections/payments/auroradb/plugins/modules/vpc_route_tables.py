#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpc_route_tables
short_description: The route tables of a VPC's subnets, one per subnet, in one module run
author:
  - payments platform team (!UNKNOWN)
version_added: 0.1.0
description:
  - Converges a whole list of route tables of one VPC in one module run (one C(amazon.aws.ec2_vpc_route_table) run per
    table costs a Python start-up each, and that module sleeps after each change).
  - With O(state=present), each table is found by its C(Name) tag in the VPC (AWS has no names for route tables;
    among several, the one associated with its subnet, else the lowest ID); a missing one is created with its
    tags in the same call, so a run killed right after the creation leaves a table the next run finds. Its routes
    are made the group's (a missing route is created, one with another target or a blackhole replaced, one not asked
    for deleted; the local route is kept); its subnet is associated with it (moved from the table it was
    associated with), and any other subnet disassociated from it. Missing or different tags are set, other tags
    are kept (C(purge_tags=false)).
  - With O(state=absent), disassociates and deletes the tables of the VPC named like the subnets of O(route_tables),
    or with O(purge=true) every table of the VPC but the main one.
  - Every AWS call retries throttling and server errors with jittered backoff.
options:
  route_tables:
    description:
      - Groups of route tables (e.g. those of the public subnets, then those of the private ones); one table per
        subnet of a group, with the group's routes, named like its subnet (the subnet's C(Name) tag, else its ID).
    type: list
    elements: dict
    default: []
    suboptions:
      subnet_ids:
        description: The subnets, each associated with a table of its own.
        type: list
        elements: str
        required: true
      routes:
        description: The routes of each table besides the local one.
        type: list
        elements: dict
        default: []
        suboptions:
          dest:
            description: Destination IPv4 range.
            type: str
            required: true
          gateway_id:
            description: Internet gateway of the route.
            type: str
          nat_gateway_id:
            description: NAT gateway of the route.
            type: str
extends_documentation_fragment:
  - payments.auroradb.vpc_lists
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Public subnet through the internet gateway, private one through the NAT gateway
  payments.auroradb.vpc_route_tables:
    vpc_id: vpc-0123456789abcdef0
    route_tables:
      - subnet_ids: [subnet-0123456789abcdef0, subnet-0123456789abcdef1]
        routes: [{dest: 0.0.0.0/0, gateway_id: igw-0123456789abcdef0}]
      - subnet_ids: [subnet-0123456789abcdef2, subnet-0123456789abcdef3]
        routes: [{dest: 0.0.0.0/0, nat_gateway_id: nat-0123456789abcdef0}]
    tags: {environment: dev}

- name: Every route table of the VPC but the main one, before the VPC is deleted
  payments.auroradb.vpc_route_tables:
    vpc_id: vpc-0123456789abcdef0
    purge: true
    state: absent
"""

RETURN = r"""
route_table_ids:
  description: The tables' IDs, group after group (empty strings in check mode for tables to be created).
  returned: when O(state=present)
  type: list
  elements: str
  sample: [rtb-0123456789abcdef0]
results:
  description: One entry per table, group after group.
  returned: always (empty when O(state=absent))
  type: list
  elements: dict
  contains:
    id: {description: The table's ID (empty in check mode when it would be created)., type: str}
    name: {description: Its C(Name) tag., type: str}
    subnet_ids: {description: The subnets associated with it., type: list, elements: str}
    routes:
      description: "Its routes besides the local one: C(dest) and C(gateway_id) or C(nat_gateway_id)."
      type: list
      elements: dict
    tags: {description: Its tags., type: dict}
"""

import copy

from ansible_collections.payments.auroradb.plugins.module_utils import vpc
from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError

TARGETS = {"GatewayId": "gateway_id", "NatGatewayId": "nat_gateway_id"}


def describe(item, table):
    if not table:
        return {}
    routes = [
        {"dest": route["DestinationCidrBlock"], **{TARGETS[key]: route[key] for key in TARGETS if route.get(key)}}
        for route in table.get("Routes", [])
        if route.get("Origin", "CreateRoute") == "CreateRoute" and route.get("DestinationCidrBlock")
    ]
    associations = table.get("Associations", [])
    return {
        "id": table.get("RouteTableId", ""),
        "name": vpc.tags_of(table).get("Name", ""),
        "subnet_ids": sorted(a["SubnetId"] for a in associations if a.get("SubnetId")),
        "routes": sorted(routes, key=lambda route: route["dest"]),
        "tags": vpc.tags_of(table),
    }


def subnet_association(existing, subnet_id):
    """The subnet's explicit association with a table of the VPC, or None."""
    for table in existing:
        for association in table.get("Associations", []):
            if association.get("SubnetId") == subnet_id:
                return association
    return None


def ensure_one(module, client, item, existing):
    tables = [table for table in existing if not vpc.is_main(table)]
    subnet_id = item["subnet_id"]

    def holds_subnet(table):
        return any(a.get("SubnetId") == subnet_id for a in table.get("Associations", []))

    found = vpc.pick_named(tables, item["name"], prefer=holds_subnet)
    tags = vpc.wanted_tags(module, item)
    routes = vpc.route_changes((found or {}).get("Routes", []), item["routes"])
    associations = vpc.association_changes(found, subnet_id, subnet_association(existing, subnet_id))
    missing = vpc.missing_tags(vpc.tags_of(found or {}), tags) if found else {}
    changed = found is None or bool(missing) or associations["associate"] or any(routes.values())
    changed = changed or bool(associations["disassociate"])
    table_id = (found or {}).get("RouteTableId", "")
    before = copy.deepcopy(found)
    forget_associations(existing, associations["disassociate"] + [associations["replace"]])
    if changed and not module.check_mode:
        fresh = found is None
        if fresh:
            table_id = vpc.create_route_table(client, module.params["vpc_id"], tags)["RouteTableId"]
        elif missing:
            vpc.tag(client, table_id, missing)
        for dest in routes["delete"]:
            vpc.delete_route(client, table_id, dest)
        for kind in ("create", "replace"):
            for dest, target in routes[kind]:
                vpc.put_route(client, table_id, dest, target, replace=kind == "replace", fresh=fresh)
        for association_id in associations["disassociate"]:
            vpc.disassociate(client, association_id)
        if associations["associate"]:
            vpc.associate(client, table_id, subnet_id, associations["replace"], fresh=fresh)
    now = {
        "RouteTableId": table_id,
        "Tags": vpc.tag_list({**vpc.tags_of(found or {}), **tags}),
        "Routes": [{"DestinationCidrBlock": route["dest"], **vpc.route_target(route)} for route in item["routes"]],
        "Associations": [{"SubnetId": subnet_id}],
    }
    return before, now, changed


def forget_associations(existing, association_ids):
    """Drop associations this run removes or replaces from the snapshot of the VPC's tables, so that the tables
    converged after this one do not act on them again (a subnet moved back from another table of the list)."""
    for table in existing:
        table["Associations"] = [
            a for a in table.get("Associations", []) if a.get("RouteTableAssociationId") not in association_ids
        ]


def remove_one(client, table):
    for association in table.get("Associations", []):
        if not association.get("Main"):
            vpc.disassociate(client, association["RouteTableAssociationId"])
    vpc.delete_route_table(client, table["RouteTableId"])


def check(groups):
    """Refuse, before any call, routes with no target or two."""
    problems = [
        f"route {route['dest']} needs one of gateway_id or nat_gateway_id"
        for group in groups
        for route in group["routes"]
        if bool(route.get("gateway_id")) == bool(route.get("nat_gateway_id"))
    ]
    if problems:
        raise AuroraDbError("; ".join(problems))


def converge(module, client):
    check(module.params["route_tables"])
    subnets = vpc.subnets_of(client, module.params["vpc_id"]) if module.params["route_tables"] else []
    items = vpc.expand_route_tables(module.params["route_tables"], subnets)
    existing = vpc.route_tables_of(client, module.params["vpc_id"])
    result = vpc.converge_list(
        module,
        items,
        [table for table in existing if not vpc.is_main(table)] if module.params["state"] == "absent" else existing,
        lambda item, found: ensure_one(module, client, item, found),
        describe,
        lambda table: remove_one(client, table),
    )
    if module.params["state"] == "present":
        result["route_table_ids"] = [entry["id"] for entry in result["results"]]
    return result


def main():
    route = dict(dest=dict(type="str", required=True), gateway_id=dict(type="str"), nat_gateway_id=dict(type="str"))
    items = dict(
        subnet_ids=dict(type="list", elements="str", required=True),
        routes=dict(type="list", elements="dict", default=[], options=route),
    )
    vpc.run_list_module("route_tables", items, converge)


if __name__ == "__main__":
    main()
