# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""payments.auroradb.nat_gateway_eip with a stubbed EC2 client: which address the NAT gateway gets, and what is
released, so that neither an interrupted run nor the repair of a deleted NAT gateway leaks an address."""

from ansible_collections.payments.auroradb.plugins.modules import nat_gateway_eip as mod

NAME = "payment-db-vpc-dev/NatEIP"
SUBNET = "subnet-0123456789abcdef0"
TAGS = {"environment": "dev"}
WANTED = [{"Key": "environment", "Value": "dev"}, {"Key": "Name", "Value": NAME}]


class FakeModule:
    _diff = True

    def __init__(self, check_mode=False, **params):
        self.check_mode = check_mode
        self.params = {"name": NAME, "subnet_id": SUBNET, "tags": TAGS, "release_allocation_ids": [], **params}


def nat_filters():
    return [{"Name": "subnet-id", "Values": [SUBNET]}, {"Name": "state", "Values": ["pending", "available"]}]


def named_filters():
    return [{"Name": "tag:Name", "Values": [NAME]}, {"Name": "domain", "Values": ["vpc"]}]


def address(allocation_id, associated=False, tags=None):
    found = {
        "AllocationId": allocation_id,
        "PublicIp": "203.0.113.8",
        "Domain": "vpc",
        "Tags": WANTED if tags is None else tags,
    }
    if associated:
        found["AssociationId"] = "eipassoc-1"
    return found


def test_the_live_nat_gateways_address_is_kept(aws):
    client, stub = aws("ec2")
    gateway = {"NatGatewayId": "nat-1", "NatGatewayAddresses": [{"AllocationId": "eipalloc-1"}]}
    stub.add_response("describe_nat_gateways", {"NatGateways": [gateway]}, {"Filters": nat_filters()})
    stub.add_response(
        "describe_addresses",
        {"Addresses": [address("eipalloc-1", associated=True)]},
        {"Filters": [{"Name": "allocation-id", "Values": ["eipalloc-1"]}]},
    )
    result = mod.ensure_present(FakeModule(), client)
    assert not result["changed"] and result["allocation_id"] == "eipalloc-1" and result["source"] == "nat_gateway"


def test_an_unassociated_address_of_ours_is_adopted_and_its_missing_tags_added(aws):
    client, stub = aws("ec2")
    stub.add_response("describe_nat_gateways", {"NatGateways": []}, {"Filters": nat_filters()})
    untagged = address("eipalloc-2", tags=[{"Key": "Name", "Value": NAME}])
    in_use = address("eipalloc-1", associated=True)
    stub.add_response("describe_addresses", {"Addresses": [in_use, untagged]}, {"Filters": named_filters()})
    stub.add_response(
        "create_tags", {}, {"Resources": ["eipalloc-2"], "Tags": [{"Key": "environment", "Value": "dev"}]}
    )
    result = mod.ensure_present(FakeModule(), client)
    assert result["changed"] and result["allocation_id"] == "eipalloc-2" and result["source"] == "adopted"


def test_a_new_address_is_allocated_with_its_tags_in_the_same_call(aws):
    client, stub = aws("ec2")
    stub.add_response("describe_nat_gateways", {"NatGateways": []}, {"Filters": nat_filters()})
    stub.add_response("describe_addresses", {"Addresses": []}, {"Filters": named_filters()})
    spec = [{"ResourceType": "elastic-ip", "Tags": WANTED}]
    stub.add_response(
        "allocate_address",
        {"AllocationId": "eipalloc-3", "PublicIp": "203.0.113.9"},
        {"Domain": "vpc", "TagSpecifications": spec},
    )
    result = mod.ensure_present(FakeModule(), client)
    assert result["changed"] and result["allocation_id"] == "eipalloc-3" and result["source"] == "allocated"


def test_check_mode_reports_the_allocation_without_sending_it(aws):
    client, stub = aws("ec2")
    stub.add_response("describe_nat_gateways", {"NatGateways": []}, {"Filters": nat_filters()})
    stub.add_response("describe_addresses", {"Addresses": []}, {"Filters": named_filters()})
    result = mod.ensure_present(FakeModule(check_mode=True), client)
    assert result["changed"] and result["allocation_id"] == "" and result["diff"]["after"]["allocation_id"] == "(new)"


def test_absent_releases_unassociated_addresses_of_ours_and_of_deleted_gateways_only(aws):
    client, stub = aws("ec2")
    stub.add_response(
        "describe_addresses",
        {"Addresses": [address("eipalloc-1"), address("eipalloc-2", associated=True)]},
        {"Filters": named_filters()},
    )
    stub.add_response(
        "describe_addresses",
        {"Addresses": [address("eipalloc-9", tags=[])]},
        {"Filters": [{"Name": "allocation-id", "Values": ["eipalloc-9"]}]},
    )
    stub.add_response("release_address", {}, {"AllocationId": "eipalloc-1"})
    stub.add_response("release_address", {}, {"AllocationId": "eipalloc-9"})
    result = mod.ensure_absent(FakeModule(state="absent", release_allocation_ids=["eipalloc-9"]), client)
    assert result == {
        "changed": True,
        "released": ["eipalloc-1", "eipalloc-9"],
        "diff": {"before": {"addresses": ["eipalloc-1", "eipalloc-9"]}, "after": {"addresses": []}},
    }


def test_absent_with_nothing_left_is_no_change(aws):
    client, stub = aws("ec2")
    stub.add_response("describe_addresses", {"Addresses": []}, {"Filters": named_filters()})
    assert mod.ensure_absent(FakeModule(state="absent"), client)["changed"] is False
