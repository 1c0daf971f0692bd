# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EC2 VPC layer of the payments.auroradb modules ``vpc_subnets`` and ``vpc_route_tables``.

One module run converges a whole list of subnets or route tables (instead of one ``amazon.aws`` module run per item).

* AWS calls: ``client`` comes from ``module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())``; every call
  passes ``aws_retry=True``, describes are paginated and retried as a whole (``paginated_query_with_retries``); errors
  are raised as :class:`~.errors.AuroraDbError`. Resources are created with their tags in the same call
  (TagSpecifications), so a run killed right after a creation leaves a resource the next run finds by its tags.
* Pure helpers (no call, unit tested): ``missing_tags``, ``route_changes``, ``association_changes``,
  ``pick_named``, ``converge_list`` (the present/absent flow both modules share: decide, act unless check mode,
  report ``changed``, ``diff`` and the results in the order asked).
"""

from __future__ import annotations

import time
from typing import Any, Callable

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)

from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError, error_handler, run

EC2VpcErrorHandler = error_handler(
    "EC2",
    ["InvalidSubnetID.NotFound", "InvalidRouteTableID.NotFound", "InvalidAssociationID.NotFound"],
)

# Retries for calls about a resource this run just created (jittered backoff on throttling and 5xx as well).
FRESH_RETRY = AWSRetry.jittered_backoff(
    catch_extra_error_codes=["InvalidRouteTableID.NotFound", "InvalidSubnetID.NotFound"]
)

# The arguments both modules share (doc fragment payments.auroradb.vpc_lists).
COMMON_ARGUMENTS = dict(
    vpc_id=dict(type="str", required=True),
    tags=dict(type="dict", default={}),
    purge=dict(type="bool", default=False),
    state=dict(type="str", choices=["present", "absent"], default="present"),
)


def run_list_module(list_option: str, item_options: dict[str, Any], converge) -> None:
    """``main()`` of a module converging the list ``list_option`` (items of ``item_options``) of one VPC's resources:
    the common arguments, check mode, and :func:`~.errors.run` with a retrying EC2 client."""
    module = AnsibleAWSModule(
        argument_spec={
            list_option: dict(type="list", elements="dict", default=[], options=item_options),
            **COMMON_ARGUMENTS,
        },
        supports_check_mode=True,
    )
    run(module, "ec2", converge)


def tags_of(resource: dict[str, Any]) -> dict[str, str]:
    return boto3_tag_list_to_ansible_dict(resource.get("Tags") or [])


def missing_tags(current: dict[str, str], wanted: dict[str, str]) -> dict[str, str]:
    """The wanted tags the resource lacks or has another value for (tags not wanted are kept: purge_tags false)."""
    return {key: value for key, value in wanted.items() if current.get(key) != value}


def wanted_tags(module, item: dict[str, Any]) -> dict[str, str]:
    """The module's common tags, the item's own tags, and its C(Name)."""
    return {**module.params["tags"], **(item.get("tags") or {}), "Name": item["name"]}


def pick_named(resources: list[dict[str, Any]], name: str, prefer: Callable[[dict], bool] = lambda r: False):
    """The resource whose Name tag is ``name``: the first that ``prefer`` accepts, else the lowest ID; else None."""
    named = [resource for resource in resources if tags_of(resource).get("Name") == name]
    named.sort(key=lambda resource: (not prefer(resource), resource_id(resource)))
    return named[0] if named else None


def resource_id(resource: dict[str, Any]) -> str:
    return resource.get("SubnetId") or resource.get("RouteTableId") or ""


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return ansible_dict_to_boto3_tag_list(tags)


def tag_spec(resource_type: str, tags: dict[str, str]) -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": tag_list(tags)}]


def call(client, method: str, fresh: bool = False, **params):
    """``client.method(**params)``, retried on throttling and server errors; ``fresh`` (the resource was created in
    this run) also retries its "not found" while EC2's eventual consistency has not caught up."""
    if fresh:
        return FRESH_RETRY(getattr(client, method))(**params)
    return getattr(client, method)(aws_retry=True, **params)


# --------------------------------------------------------------------------------------------- reads
@EC2VpcErrorHandler.common_error_handler("list the subnets of {vpc_id}")
def subnets_of(client, vpc_id: str) -> list[dict[str, Any]]:
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}]
    return paginated_query_with_retries(client, "describe_subnets", Filters=filters)["Subnets"]


@EC2VpcErrorHandler.common_error_handler("list the route tables of {vpc_id}")
def route_tables_of(client, vpc_id: str) -> list[dict[str, Any]]:
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}]
    return paginated_query_with_retries(client, "describe_route_tables", Filters=filters)["RouteTables"]


def is_main(route_table: dict[str, Any]) -> bool:
    return any(association.get("Main") for association in route_table.get("Associations", []))


# --------------------------------------------------------------------------------------------- writes
@EC2VpcErrorHandler.common_error_handler("tag {resource}")
def tag(client, resource: str, tags: dict[str, str]) -> None:
    client.create_tags(Resources=[resource], Tags=ansible_dict_to_boto3_tag_list(tags), aws_retry=True)


@EC2VpcErrorHandler.common_error_handler("create subnet {cidr} in {az}")
def create_subnet(client, vpc_id: str, cidr: str, az: str, tags: dict[str, str]) -> dict[str, Any]:
    answer = client.create_subnet(
        VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=az, TagSpecifications=tag_spec("subnet", tags), aws_retry=True
    )
    return answer["Subnet"]


@EC2VpcErrorHandler.common_error_handler("set MapPublicIpOnLaunch of {subnet_id}")
def set_map_public(client, subnet_id: str, value: bool, fresh: bool = False) -> None:
    call(client, "modify_subnet_attribute", fresh, SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": value})


@EC2VpcErrorHandler.deletion_error_handler("delete subnet {subnet_id}")
def delete_subnet(client, subnet_id: str) -> bool:
    client.delete_subnet(SubnetId=subnet_id, aws_retry=True)
    return True


@EC2VpcErrorHandler.common_error_handler("wait for subnets {subnet_ids} to be available")
def wait_subnets_available(client, subnet_ids: list[str], attempts: int = 40, delay: float = 3) -> None:
    """Poll DescribeSubnets (retried like every call) until every subnet is ``available``."""
    for _attempt in range(attempts):
        if not subnet_ids:
            return
        found = paginated_query_with_retries(client, "describe_subnets", SubnetIds=list(subnet_ids))["Subnets"]
        subnet_ids = [subnet["SubnetId"] for subnet in found if subnet.get("State", "available") != "available"]
        if subnet_ids:
            time.sleep(delay)
    if subnet_ids:
        raise AuroraDbError(f"subnets {subnet_ids} did not become available")


@EC2VpcErrorHandler.common_error_handler("create a route table in {vpc_id}")
def create_route_table(client, vpc_id: str, tags: dict[str, str]) -> dict[str, Any]:
    answer = client.create_route_table(VpcId=vpc_id, TagSpecifications=tag_spec("route-table", tags), aws_retry=True)
    return answer["RouteTable"]


def route_target(route: dict[str, Any]) -> dict[str, str]:
    """The target of a wanted route (``gateway_id`` or ``nat_gateway_id``) as CreateRoute parameters."""
    if route.get("nat_gateway_id"):
        return {"NatGatewayId": route["nat_gateway_id"]}
    return {"GatewayId": route["gateway_id"]}


@EC2VpcErrorHandler.common_error_handler("route {dest} of {route_table_id}")
def put_route(client, route_table_id: str, dest: str, target: dict[str, str], replace=False, fresh=False) -> None:
    method = "replace_route" if replace else "create_route"
    call(client, method, fresh, RouteTableId=route_table_id, DestinationCidrBlock=dest, **target)


@EC2VpcErrorHandler.deletion_error_handler("delete route {dest} of {route_table_id}")
def delete_route(client, route_table_id: str, dest: str) -> bool:
    client.delete_route(RouteTableId=route_table_id, DestinationCidrBlock=dest, aws_retry=True)
    return True


@EC2VpcErrorHandler.common_error_handler("associate {route_table_id} with {subnet_id}")
def associate(client, route_table_id: str, subnet_id: str, replace_association_id="", fresh=False) -> None:
    if replace_association_id:
        call(
            client,
            "replace_route_table_association",
            fresh,
            AssociationId=replace_association_id,
            RouteTableId=route_table_id,
        )
    else:
        call(client, "associate_route_table", fresh, RouteTableId=route_table_id, SubnetId=subnet_id)


@EC2VpcErrorHandler.deletion_error_handler("disassociate {association_id}")
def disassociate(client, association_id: str) -> bool:
    client.disassociate_route_table(AssociationId=association_id, aws_retry=True)
    return True


@EC2VpcErrorHandler.deletion_error_handler("delete route table {route_table_id}")
def delete_route_table(client, route_table_id: str) -> bool:
    client.delete_route_table(RouteTableId=route_table_id, aws_retry=True)
    return True


# --------------------------------------------------------------------------------------------- decisions
def route_changes(current: list[dict[str, Any]], wanted: list[dict[str, Any]]) -> dict[str, list]:
    """What makes the routes of a table the wanted ones (purge_routes semantics).

    ``current``: the table's DescribeRouteTables ``Routes``; ``wanted``: ``{dest, gateway_id | nat_gateway_id}``.
    Returns ``{"create": [(dest, target)], "replace": [(dest, target)], "delete": [dest]}``; the local route and
    propagated ones are never touched, a route whose target differs (or is a blackhole) is replaced.
    """
    have = {
        route.get("DestinationCidrBlock"): route
        for route in current
        if route.get("Origin", "CreateRoute") == "CreateRoute" and route.get("DestinationCidrBlock")
    }
    changes: dict[str, list] = {"create": [], "replace": [], "delete": []}
    for route in wanted:
        target = route_target(route)
        found = have.pop(route["dest"], None)
        if found is None:
            changes["create"].append((route["dest"], target))
        elif any(found.get(key) != value for key, value in target.items()) or found.get("State") == "blackhole":
            changes["replace"].append((route["dest"], target))
    changes["delete"] = sorted(have)
    return changes


def association_changes(
    route_table: dict[str, Any] | None, subnet_id: str, subnet_association: dict[str, Any] | None
) -> dict[str, Any]:
    """What makes ``subnet_id`` the only subnet of the table (purge_subnets semantics).

    ``subnet_association``: the subnet's explicit association with any table of the VPC (or None).
    Returns ``{"associate": bool, "replace": association ID or "", "disassociate": [association IDs]}``.
    """
    table_id = (route_table or {}).get("RouteTableId")
    changes = {"associate": False, "replace": "", "disassociate": []}
    if subnet_association is None:
        changes["associate"] = True
    elif subnet_association["RouteTableId"] != table_id:
        changes["associate"], changes["replace"] = True, subnet_association["RouteTableAssociationId"]
    for association in (route_table or {}).get("Associations", []):
        if not association.get("Main") and association.get("SubnetId") not in (None, subnet_id):
            changes["disassociate"].append(association["RouteTableAssociationId"])
    return changes


# --------------------------------------------------------------------------------------------- the lists asked for
def expand_subnets(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One subnet per CIDR of each group, in the zone of the same index, named ``<name_prefix><index + 1>``.

    A group: ``{name_prefix, cidrs, zones, map_public, tags}``; raises when a group has not one zone per CIDR.
    """
    subnets = []
    for group in groups:
        cidrs, zones = group.get("cidrs") or [], group.get("zones") or []
        if len(cidrs) != len(zones):
            raise AuroraDbError(
                f"subnets {group['name_prefix']}: {len(cidrs)} CIDRs and {len(zones)} zones, one zone per CIDR wanted"
            )
        for index, (cidr, zone) in enumerate(zip(cidrs, zones)):
            subnets.append(
                {
                    "name": f"{group['name_prefix']}{index + 1}",
                    "cidr": cidr,
                    "az": zone,
                    "map_public": bool(group.get("map_public")),
                    "tags": group.get("tags") or {},
                }
            )
    return subnets


def expand_route_tables(groups: list[dict[str, Any]], subnets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One route table per subnet of each group, with the group's routes, named like its subnet (its Name tag).

    A group: ``{subnet_ids, routes, tags}``; ``subnets``: the VPC's subnets (DescribeSubnets). A subnet without a
    Name tag lends its ID; a subnet ID not yet known (empty, in check mode) is named ``(new subnet N)``.
    """
    names = {subnet["SubnetId"]: tags_of(subnet).get("Name") or subnet["SubnetId"] for subnet in subnets}
    tables = []
    for group in groups:
        for subnet_id in group["subnet_ids"]:
            name = names.get(subnet_id) or subnet_id or f"(new subnet {len(tables) + 1})"
            tables.append(
                {"name": name, "subnet_id": subnet_id, "routes": group["routes"], "tags": group.get("tags") or {}}
            )
    return tables


# --------------------------------------------------------------------------------------------- the shared flow
def converge_list(module, items, existing, ensure_one, describe, remove_one) -> dict[str, Any]:
    """The present/absent flow of a module that converges a list of ``items`` (dicts with a ``name``).

    * ``existing``: the resources of the VPC (one describe for the whole list).
    * ``ensure_one(item, existing)`` -> ``(found before or None, found after, changed)``; acts unless check mode.
    * ``describe(item or None, found)`` -> what the diff and the results show of a resource (``{}`` when none).
    * ``remove_one(found)``: removes a resource (state absent, not called in check mode) for
      :func:`items_to_remove`.

    Returns the module result: ``changed``, ``results`` (one per item, in order), ``diff`` when ``module._diff``.
    """
    before, after, results, changed = {}, {}, [], False
    if module.params["state"] == "present":
        for item in items:
            found, now, item_changed = ensure_one(item, existing)
            changed |= item_changed
            before[item["name"]] = describe(item, found)
            after[item["name"]] = describe(item, now)
            results.append(after[item["name"]])
    else:
        for found in items_to_remove(module, items, existing):
            changed = True
            key = tags_of(found).get("Name") or resource_id(found)
            before[key], after[key] = describe(None, found), {}
            if not module.check_mode:
                remove_one(found)
    result = {"changed": changed, "results": results}
    if module._diff:
        result["diff"] = {"before": before, "after": after}
    return result


def items_to_remove(module, items, resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """State absent: every resource with ``purge``, else those whose Name tag is one of the items' names."""
    if module.params["purge"]:
        return sorted(resources, key=resource_id)
    names = {item["name"] for item in items}
    return sorted((r for r in resources if tags_of(r).get("Name") in names), key=resource_id)
