# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""payments.auroradb.vpc_subnets with a stubbed EC2 client: one describe for the whole list, a missing subnet created
with its tags in the same call, drift repaired (and only reported in check mode), a moved range refused."""

import pytest

from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError
from ansible_collections.payments.auroradb.plugins.modules import vpc_subnets as mod

FILTERS = [{"Name": "vpc-id", "Values": ["vpc-1"]}]
GROUP = {"name_prefix": "v/PublicSubnet", "cidrs": ["10.0.0.0/24"], "zones": ["us-east-1a"], "map_public": True,
         "tags": {"tier": "public"}}  # fmt: skip
WANTED_TAGS = [{"Key": "environment", "Value": "dev"}, {"Key": "tier", "Value": "public"},
               {"Key": "Name", "Value": "v/PublicSubnet1"}]  # fmt: skip


class FakeModule:
    _diff = True

    def __init__(self, check_mode=False, **params):
        self.check_mode = check_mode
        base = {"vpc_id": "vpc-1", "subnets": [GROUP], "tags": {"environment": "dev"}, "purge": False}
        self.params = {**base, "state": "present", **params}


def existing(map_public=True, tags=None, cidr="10.0.0.0/24", az="us-east-1a"):
    subnet = {"SubnetId": "subnet-1", "CidrBlock": cidr, "AvailabilityZone": az, "MapPublicIpOnLaunch": map_public}
    return {**subnet, "Tags": WANTED_TAGS if tags is None else tags, "State": "available"}


def test_a_missing_subnet_is_created_with_its_tags_then_maps_public_ips(aws):
    client, stub = aws("ec2")
    stub.add_response("describe_subnets", {"Subnets": []}, {"Filters": FILTERS})
    spec = [{"ResourceType": "subnet", "Tags": WANTED_TAGS}]
    created = {
        "SubnetId": "subnet-9",
        "CidrBlock": "10.0.0.0/24",
        "AvailabilityZone": "us-east-1a",
        "State": "available",
    }
    stub.add_response(
        "create_subnet",
        {"Subnet": {**created, "Tags": WANTED_TAGS}},
        {"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/24", "AvailabilityZone": "us-east-1a", "TagSpecifications": spec},
    )
    stub.add_response("modify_subnet_attribute", {}, {"SubnetId": "subnet-9", "MapPublicIpOnLaunch": {"Value": True}})
    result = mod.converge(FakeModule(), client)
    assert result["changed"] and result["subnet_ids"] == ["subnet-9"] and result["groups"] == [["subnet-9"]]
    assert result["diff"]["before"] == {"v/PublicSubnet1": {}}
    assert result["diff"]["after"]["v/PublicSubnet1"]["map_public"] is True


def test_an_unchanged_subnet_costs_one_describe(aws):
    client, stub = aws("ec2")
    stub.add_response("describe_subnets", {"Subnets": [existing()]}, {"Filters": FILTERS})
    result = mod.converge(FakeModule(), client)
    assert not result["changed"] and result["subnet_ids"] == ["subnet-1"]


def test_drift_is_reported_without_a_call_in_check_mode_and_repaired_otherwise(aws):
    client, stub = aws("ec2")
    drifted = existing(
        map_public=False, tags=[{"Key": "Name", "Value": "v/PublicSubnet1"}, {"Key": "own", "Value": "1"}]
    )
    stub.add_response("describe_subnets", {"Subnets": [drifted]}, {"Filters": FILTERS})
    result = mod.converge(FakeModule(check_mode=True), client)
    assert result["changed"] and result["diff"]["before"]["v/PublicSubnet1"]["map_public"] is False
    assert result["diff"]["after"]["v/PublicSubnet1"]["tags"]["own"] == "1"  # purge_tags false

    stub.add_response("describe_subnets", {"Subnets": [drifted]}, {"Filters": FILTERS})
    missing = [{"Key": "environment", "Value": "dev"}, {"Key": "tier", "Value": "public"}]
    stub.add_response("create_tags", {}, {"Resources": ["subnet-1"], "Tags": missing})
    stub.add_response("modify_subnet_attribute", {}, {"SubnetId": "subnet-1", "MapPublicIpOnLaunch": {"Value": True}})
    assert mod.converge(FakeModule(), client)["changed"]


@pytest.mark.parametrize(
    ("subnet", "message"),
    [
        (existing(cidr="10.0.7.0/24"), "has the range 10.0.7.0/24, not 10.0.0.0/24"),
        (existing(az="us-east-1b"), "is in us-east-1b, not us-east-1a"),
    ],
)
def test_a_subnet_whose_range_or_zone_would_change_is_refused(aws, subnet, message):
    client, stub = aws("ec2")
    stub.add_response("describe_subnets", {"Subnets": [subnet]}, {"Filters": FILTERS})
    with pytest.raises(AuroraDbError, match=message):
        mod.converge(FakeModule(), client)
