# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/vpc.py: the lists the modules converge, what changes in a route table, the shared present/absent flow
(check mode acts on nothing), and every call retried on throttling."""

import pytest

from ansible_collections.payments.auroradb.plugins.module_utils import vpc
from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError

IGW = {"dest": "0.0.0.0/0", "gateway_id": "igw-1"}
NAT = {"dest": "0.0.0.0/0", "nat_gateway_id": "nat-1"}
PROPAGATED = "EnableVgwRoutePropagation"
LOCAL = {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active"}


class FakeModule:
    _diff = True

    def __init__(self, check_mode=False, **params):
        self.check_mode = check_mode
        self.params = {"vpc_id": "vpc-1", "tags": {}, "purge": False, "state": "present", **params}


def test_subnets_are_expanded_group_after_group_one_zone_per_cidr():
    groups = [
        {"name_prefix": "v/PublicSubnet", "cidrs": ["10.0.0.0/24", "10.0.1.0/24"], "zones": ["a", "b"],
         "map_public": True, "tags": {"tier": "public"}},
        {"name_prefix": "v/PrivateSubnet", "cidrs": ["10.0.3.0/24"], "zones": ["a"], "map_public": False, "tags": {}},
    ]  # fmt: skip
    assert vpc.expand_subnets(groups) == [
        {"name": "v/PublicSubnet1", "cidr": "10.0.0.0/24", "az": "a", "map_public": True, "tags": {"tier": "public"}},
        {"name": "v/PublicSubnet2", "cidr": "10.0.1.0/24", "az": "b", "map_public": True, "tags": {"tier": "public"}},
        {"name": "v/PrivateSubnet1", "cidr": "10.0.3.0/24", "az": "a", "map_public": False, "tags": {}},
    ]


def test_a_group_without_one_zone_per_cidr_is_refused():
    with pytest.raises(AuroraDbError, match="2 CIDRs and 1 zones"):
        vpc.expand_subnets([{"name_prefix": "v/Public", "cidrs": ["10.0.0.0/24", "10.0.1.0/24"], "zones": ["a"]}])


def test_route_tables_are_named_like_their_subnets():
    subnets = [
        {"SubnetId": "subnet-1", "Tags": [{"Key": "Name", "Value": "v/PublicSubnet1"}]},
        {"SubnetId": "subnet-2"},
    ]
    groups = [{"subnet_ids": ["subnet-1", "subnet-2", ""], "routes": [IGW], "tags": {}}]
    assert [table["name"] for table in vpc.expand_route_tables(groups, subnets)] == [
        "v/PublicSubnet1",
        "subnet-2",
        "(new subnet 3)",
    ]


def test_missing_tags_keeps_tags_not_asked_for():
    assert vpc.missing_tags({"Name": "a", "owner": "x", "env": "old"}, {"Name": "a", "env": "dev", "new": "1"}) == {
        "env": "dev",
        "new": "1",
    }


def test_pick_named_prefers_then_takes_the_lowest_id():
    tables = [
        {"RouteTableId": "rtb-2", "Tags": [{"Key": "Name", "Value": "n"}]},
        {"RouteTableId": "rtb-1", "Tags": [{"Key": "Name", "Value": "n"}]},
        {"RouteTableId": "rtb-0", "Tags": [{"Key": "Name", "Value": "other"}]},
    ]
    assert vpc.pick_named(tables, "n")["RouteTableId"] == "rtb-1"
    assert vpc.pick_named(tables, "n", prefer=lambda t: t["RouteTableId"] == "rtb-2")["RouteTableId"] == "rtb-2"
    assert vpc.pick_named(tables, "none") is None


@pytest.mark.parametrize(
    ("current", "wanted", "expected"),
    [
        ([LOCAL], [NAT], {"create": [("0.0.0.0/0", {"NatGatewayId": "nat-1"})], "replace": [], "delete": []}),
        ([LOCAL, {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1", "State": "active"}], [NAT],
         {"create": [], "replace": [], "delete": []}),
        ([LOCAL, {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "State": "active"}], [NAT],
         {"create": [], "replace": [("0.0.0.0/0", {"NatGatewayId": "nat-1"})], "delete": []}),
        ([LOCAL, {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "State": "blackhole"}], [IGW],
         {"create": [], "replace": [("0.0.0.0/0", {"GatewayId": "igw-1"})], "delete": []}),
        ([LOCAL, {"DestinationCidrBlock": "192.168.0.0/16", "GatewayId": "igw-1", "Origin": "CreateRoute"}], [],
         {"create": [], "replace": [], "delete": ["192.168.0.0/16"]}),
        ([LOCAL, {"DestinationCidrBlock": "172.16.0.0/12", "GatewayId": "vgw-1", "Origin": PROPAGATED}], [],
         {"create": [], "replace": [], "delete": []}),
    ],
    ids=["missing", "same", "other-target", "blackhole", "not-asked-for", "propagated-kept"],
)  # fmt: skip
def test_route_changes(current, wanted, expected):
    assert vpc.route_changes(current, wanted) == expected


def test_association_changes():
    table = {
        "RouteTableId": "rtb-1",
        "Associations": [
            {"RouteTableAssociationId": "a-1", "SubnetId": "subnet-1"},
            {"RouteTableAssociationId": "a-9", "SubnetId": "subnet-9"},
        ],
    }
    same = {"RouteTableAssociationId": "a-1", "RouteTableId": "rtb-1", "SubnetId": "subnet-1"}
    other = {"RouteTableAssociationId": "a-5", "RouteTableId": "rtb-5", "SubnetId": "subnet-1"}
    assert vpc.association_changes(table, "subnet-1", same) == {
        "associate": False,
        "replace": "",
        "disassociate": ["a-9"],
    }
    assert vpc.association_changes(table, "subnet-1", other)["replace"] == "a-5"
    assert vpc.association_changes(None, "subnet-1", None) == {"associate": True, "replace": "", "disassociate": []}


def converge(module, items, existing, changed_items=()):
    acted, removed = [], []

    def ensure_one(item, found):
        acted.append(item["name"])
        return None, {"id": item["name"]}, item["name"] in changed_items

    def describe(item, found):
        return dict(found or {})

    result = vpc.converge_list(module, items, existing, ensure_one, describe, removed.append)
    return result, acted, removed


def test_converge_list_present_reports_changes_in_order_with_a_diff():
    result, acted, _removed = converge(FakeModule(), [{"name": "a"}, {"name": "b"}], [], changed_items=["b"])
    assert result == {
        "changed": True,
        "results": [{"id": "a"}, {"id": "b"}],
        "diff": {"before": {"a": {}, "b": {}}, "after": {"a": {"id": "a"}, "b": {"id": "b"}}},
    }
    assert acted == ["a", "b"]


def test_converge_list_absent_removes_named_or_all_and_nothing_in_check_mode():
    existing = [
        {"SubnetId": "subnet-2", "Tags": [{"Key": "Name", "Value": "b"}]},
        {"SubnetId": "subnet-1", "Tags": [{"Key": "Name", "Value": "a"}]},
        {"SubnetId": "subnet-3"},
    ]
    result, _acted, removed = converge(FakeModule(state="absent"), [{"name": "a"}], existing)
    assert result["changed"] and [r["SubnetId"] for r in removed] == ["subnet-1"]
    result, _acted, removed = converge(FakeModule(state="absent", purge=True), [], existing)
    assert [r["SubnetId"] for r in removed] == ["subnet-1", "subnet-2", "subnet-3"]
    assert sorted(result["diff"]["before"]) == ["a", "b", "subnet-3"]
    result, _acted, removed = converge(FakeModule(check_mode=True, state="absent", purge=True), [], existing)
    assert result["changed"] and removed == []
    result, _acted, removed = converge(FakeModule(state="absent", purge=True), [], [])
    assert not result["changed"]


def test_describes_are_paginated_and_retried_on_throttling(aws):
    client, stub = aws("ec2")
    filters = [{"Name": "vpc-id", "Values": ["vpc-1"]}]
    stub.add_client_error("describe_subnets", "RequestLimitExceeded", http_status_code=503)
    stub.add_response(
        "describe_subnets", {"Subnets": [{"SubnetId": "subnet-1"}], "NextToken": "t"}, {"Filters": filters}
    )
    stub.add_response(
        "describe_subnets", {"Subnets": [{"SubnetId": "subnet-2"}]}, {"Filters": filters, "NextToken": "t"}
    )
    assert [s["SubnetId"] for s in vpc.subnets_of(client, "vpc-1")] == ["subnet-1", "subnet-2"]


def test_calls_on_a_fresh_route_table_retry_not_found_others_do_not(aws):
    client, stub = aws("ec2")
    params = {"RouteTableId": "rtb-1", "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}
    stub.add_client_error("create_route", "InvalidRouteTableID.NotFound")
    stub.add_client_error("create_route", "Throttling", http_status_code=400)
    stub.add_response("create_route", {"Return": True}, params)
    vpc.put_route(client, "rtb-1", "0.0.0.0/0", {"GatewayId": "igw-1"}, fresh=True)
    stub.add_client_error("create_route", "InvalidRouteTableID.NotFound")
    with pytest.raises(AuroraDbError):
        vpc.put_route(client, "rtb-1", "0.0.0.0/0", {"GatewayId": "igw-1"})
