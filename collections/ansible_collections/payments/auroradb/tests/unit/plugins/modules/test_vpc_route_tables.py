# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""payments.auroradb.vpc_route_tables with a stubbed EC2 client: a table per subnet named like it, created with its
tags, routed and associated (the subnet moved from another table); an unchanged table costs no write; absent
disassociates before it deletes and never touches the main table."""

import pytest

from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError
from ansible_collections.payments.auroradb.plugins.modules import vpc_route_tables as mod

FILTERS = [{"Name": "vpc-id", "Values": ["vpc-1"]}]
NAME = [{"Key": "Name", "Value": "v/PrivateSubnet1"}]
SUBNET = {"SubnetId": "subnet-1", "Tags": NAME}
LOCAL = {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "Origin": "CreateRouteTable"}
MAIN = {"RouteTableId": "rtb-main", "Associations": [{"Main": True, "RouteTableAssociationId": "a-main"}], "Routes": []}
GROUPS = [{"subnet_ids": ["subnet-1"], "routes": [{"dest": "0.0.0.0/0", "nat_gateway_id": "nat-1"}], "tags": {}}]


class FakeModule:
    _diff = True

    def __init__(self, check_mode=False, **params):
        self.check_mode = check_mode
        base = {"vpc_id": "vpc-1", "route_tables": GROUPS, "tags": {}, "purge": False, "state": "present"}
        self.params = {**base, **params}


def describes(stub, tables, subnets=True):
    if subnets:
        stub.add_response("describe_subnets", {"Subnets": [SUBNET]}, {"Filters": FILTERS})
    stub.add_response("describe_route_tables", {"RouteTables": tables}, {"Filters": FILTERS})


def test_a_missing_table_is_created_tagged_routed_and_the_subnet_moved_to_it(aws):
    client, stub = aws("ec2")
    main_with_subnet = {**MAIN, "Associations": MAIN["Associations"] + [
        {"RouteTableAssociationId": "a-1", "RouteTableId": "rtb-main", "SubnetId": "subnet-1"}]}  # fmt: skip
    describes(stub, [main_with_subnet])
    spec = [{"ResourceType": "route-table", "Tags": NAME}]
    stub.add_response(
        "create_route_table", {"RouteTable": {"RouteTableId": "rtb-9"}}, {"VpcId": "vpc-1", "TagSpecifications": spec}
    )
    stub.add_response(
        "create_route",
        {"Return": True},
        {"RouteTableId": "rtb-9", "DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1"},
    )
    stub.add_response(
        "replace_route_table_association",
        {"NewAssociationId": "a-2"},
        {"AssociationId": "a-1", "RouteTableId": "rtb-9"},
    )
    result = mod.converge(FakeModule(), client)
    assert result["changed"] and result["route_table_ids"] == ["rtb-9"]
    assert result["diff"]["after"]["v/PrivateSubnet1"]["routes"] == [{"dest": "0.0.0.0/0", "nat_gateway_id": "nat-1"}]


def test_an_unchanged_table_costs_two_describes_and_check_mode_sends_nothing(aws):
    client, stub = aws("ec2")
    table = {
        "RouteTableId": "rtb-1",
        "Tags": NAME,
        "Routes": [LOCAL, {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1", "Origin": "CreateRoute"}],
        "Associations": [{"RouteTableAssociationId": "a-1", "RouteTableId": "rtb-1", "SubnetId": "subnet-1"}],
    }
    describes(stub, [MAIN, table])
    assert not mod.converge(FakeModule(), client)["changed"]
    blackhole = {**table, "Routes": [LOCAL, {**table["Routes"][1], "State": "blackhole"}]}
    describes(stub, [MAIN, blackhole])
    assert mod.converge(FakeModule(check_mode=True), client)["changed"]


def test_absent_purge_disassociates_then_deletes_every_table_but_the_main_one(aws):
    client, stub = aws("ec2")
    association = {"RouteTableAssociationId": "a-1", "RouteTableId": "rtb-1", "SubnetId": "subnet-1"}
    table = {"RouteTableId": "rtb-1", "Tags": NAME, "Routes": [LOCAL], "Associations": [association]}
    describes(stub, [MAIN, table], subnets=False)
    stub.add_response("disassociate_route_table", {}, {"AssociationId": "a-1"})
    stub.add_response("delete_route_table", {}, {"RouteTableId": "rtb-1"})
    result = mod.converge(FakeModule(state="absent", purge=True, route_tables=[]), client)
    assert result["changed"] and list(result["diff"]["before"]) == ["v/PrivateSubnet1"]


def test_a_route_needs_exactly_one_target_before_any_call(aws):
    client, _stub = aws("ec2")
    groups = [{"subnet_ids": ["subnet-1"], "routes": [{"dest": "0.0.0.0/0"}], "tags": {}}]
    with pytest.raises(AuroraDbError, match="needs one of gateway_id or nat_gateway_id"):
        mod.converge(FakeModule(route_tables=groups), client)


def test_a_subnet_moved_to_another_table_of_the_list_is_associated_back_once(aws):
    client, stub = aws("ec2")
    subnets = [SUBNET, {"SubnetId": "subnet-2", "Tags": [{"Key": "Name", "Value": "v/PrivateSubnet2"}]}]
    route = {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1", "Origin": "CreateRoute"}
    first = {
        "RouteTableId": "rtb-1",
        "Tags": NAME,
        "Routes": [LOCAL, route],
        "Associations": [
            {"RouteTableAssociationId": "a-1", "RouteTableId": "rtb-1", "SubnetId": "subnet-1"},
            {"RouteTableAssociationId": "a-2", "RouteTableId": "rtb-1", "SubnetId": "subnet-2"},
        ],
    }
    second = {"RouteTableId": "rtb-2", "Tags": subnets[1]["Tags"], "Routes": [LOCAL, route], "Associations": []}
    stub.add_response("describe_subnets", {"Subnets": subnets}, {"Filters": FILTERS})
    stub.add_response("describe_route_tables", {"RouteTables": [MAIN, first, second]}, {"Filters": FILTERS})
    stub.add_response("disassociate_route_table", {}, {"AssociationId": "a-2"})
    stub.add_response(
        "associate_route_table", {"AssociationId": "a-3"}, {"RouteTableId": "rtb-2", "SubnetId": "subnet-2"}
    )
    groups = [{"subnet_ids": ["subnet-1", "subnet-2"], "routes": GROUPS[0]["routes"]}]
    result = mod.converge(FakeModule(route_tables=groups), client)
    assert result["changed"] and result["route_table_ids"] == ["rtb-1", "rtb-2"]
    assert result["diff"]["before"]["v/PrivateSubnet1"]["subnet_ids"] == ["subnet-1", "subnet-2"]
