# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""payments.auroradb.vpc_security_groups: the rules' normalisation and comparison (pure), and the module with a
stubbed EC2 client - a missing group created with its tags, AWS's default egress rule revoked after reading the
group back, a rule of another group of the list by its ID; an unchanged list costs no write; check mode none."""

import pytest

from ansible_collections.payments.auroradb.plugins.module_utils import security_groups as sg
from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError
from ansible_collections.payments.auroradb.plugins.modules import vpc_security_groups as mod

FILTERS = [{"Name": "vpc-id", "Values": ["vpc-1"]}]
ALL_OUT = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
ROTATION = {
    "name": "rot",
    "description": "rotation",
    "tags": {},
    "ingress": [],
    "egress": [{"proto": "tcp", "ports": ["443"], "cidrs": ["0.0.0.0/0"], "description": "https"}],
}
DB = {
    "name": "db",
    "description": "database",
    "tags": {},
    "ingress": [
        {"proto": "tcp", "ports": ["5432"], "group_names": ["rot"], "group_ids": ["sg-x"], "description": "pg"},
        {"proto": "tcp", "ports": ["5432"], "cidrs": [], "description": "no source, no rule"},
    ],
    "egress": [{"proto": "all", "ports": [], "cidrs": ["0.0.0.0/0"], "description": "all out"}],
}
DEFAULT = {"name": "default", "description": None, "tags": {}, "ingress": [], "egress": []}


class FakeModule:
    _diff = True

    def __init__(self, check_mode=False, **params):
        self.check_mode = check_mode
        self.params = {"vpc_id": "vpc-1", "tags": {"env": "t"}, "security_groups": [ROTATION, DB, DEFAULT], **params}
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)


def tags(name):
    return [{"Key": "env", "Value": "t"}, {"Key": "Name", "Value": name}]


def group(group_id, name, ingress=(), egress=(ALL_OUT,), description=None, with_tags=True):
    return {
        "GroupId": group_id,
        "GroupName": name,
        "Description": description or {"rot": "rotation", "db": "database"}.get(name, "default VPC security group"),
        "Tags": tags(name) if with_tags else [],
        "IpPermissions": list(ingress),
        "IpPermissionsEgress": list(egress),
    }


ROT_DONE = group("sg-r", "rot", egress=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                         "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "https"}]}])  # fmt: skip
PAIRS = [{"GroupId": "sg-r", "Description": "pg"}, {"GroupId": "sg-x", "Description": "pg"}]
DB_DONE = group(
    "sg-d",
    "db",
    ingress=[{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": PAIRS}],
    egress=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "all out"}]}],
)
DEFAULT_DONE = group("sg-0", "default", egress=[], with_tags=False)


# --------------------------------------------------------------------------------------------- pure
def test_rules_flatten_per_port_and_source_and_compare_ignoring_order():
    wanted = sg.expand_rules(DB["ingress"], {"rot": "sg-r"})
    assert wanted == {("tcp", 5432, 5432, "group", "sg-r"): "pg", ("tcp", 5432, 5432, "group", "sg-x"): "pg"}
    assert sg.current_rules(DB_DONE, "ingress") == wanted
    assert sg.rule_changes(sg.current_rules(DB_DONE, "ingress"), wanted) == {
        "authorize": {},
        "describe": {},
        "revoke": {},
    }


def test_a_rule_added_by_hand_is_revoked_and_another_description_updated():
    current = {("tcp", 5432, 5432, "cidr", "0.0.0.0/0"): None, ("-1", None, None, "cidr", "0.0.0.0/0"): None}
    wanted = {("-1", None, None, "cidr", "0.0.0.0/0"): "all out", ("tcp", 443, 443, "cidr", "10.0.0.0/8"): None}
    assert sg.rule_changes(current, wanted) == {
        "authorize": {("tcp", 443, 443, "cidr", "10.0.0.0/8"): None},
        "describe": {("-1", None, None, "cidr", "0.0.0.0/0"): "all out"},
        "revoke": {("tcp", 5432, 5432, "cidr", "0.0.0.0/0"): None},
    }
    # no description asked for: the rule keeps its own
    assert sg.rule_changes({("tcp", 1, 1, "cidr", "a"): "x"}, {("tcp", 1, 1, "cidr", "a"): None})["describe"] == {}


def test_permissions_group_sources_by_protocol_and_ports():
    rules = {
        ("tcp", 5432, 5432, "cidr", "10.1.0.0/16"): "c",
        ("tcp", 5432, 5432, "group", "sg-r"): "g",
        ("-1", None, None, "cidr", "0.0.0.0/0"): None,
        ("tcp", 1024, 65535, "cidr", "10.2.0.0/16"): None,
    }
    assert sg.permissions(rules) == [
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "tcp", "FromPort": 1024, "ToPort": 65535, "IpRanges": [{"CidrIp": "10.2.0.0/16"}]},
        {
            "IpProtocol": "tcp",
            "FromPort": 5432,
            "ToPort": 5432,
            "IpRanges": [{"CidrIp": "10.1.0.0/16", "Description": "c"}],
            "UserIdGroupPairs": [{"GroupId": "sg-r", "Description": "g"}],
        },
    ]
    assert sg.expand_rules([{"proto": "tcp", "ports": ["1024-65535"], "cidrs": ["10.2.0.0/16"]}], {}) == {
        ("tcp", 1024, 65535, "cidr", "10.2.0.0/16"): None
    }


@pytest.mark.parametrize(
    "groups, message",
    [
        ([ROTATION, ROTATION], "listed twice"),
        ([{**ROTATION, "description": None}], "a description is needed"),
        ([DB], "['rot'], not in the list"),
        ([{**ROTATION, "egress": [{"proto": "tcp", "ports": [], "cidrs": ["10.0.0.0/8"]}]}], "without ports"),
        ([{**ROTATION, "egress": [{"proto": "tcp", "ports": ["https"], "cidrs": ["10.0.0.0/8"]}]}], "'https'"),
    ],
)
def test_bad_lists_are_refused_before_any_call(groups, message):
    with pytest.raises(AuroraDbError, match=message.replace("[", r"\[").replace("]", r"\]")):
        sg.check_groups(groups)


# --------------------------------------------------------------------------------------------- the module
def test_missing_groups_are_created_tagged_then_read_back_and_converged(aws):
    client, stub = aws("ec2")
    stub.add_response("describe_security_groups", {"SecurityGroups": [DEFAULT_DONE]}, {"Filters": FILTERS})
    for group_id, name, description in (("sg-r", "rot", "rotation"), ("sg-d", "db", "database")):
        spec = [{"ResourceType": "security-group", "Tags": tags(name)}]
        params = {"GroupName": name, "Description": description, "VpcId": "vpc-1", "TagSpecifications": spec}
        stub.add_response("create_security_group", {"GroupId": group_id}, params)
    fresh = [group("sg-r", "rot"), group("sg-d", "db")]
    stub.add_response("describe_security_groups", {"SecurityGroups": fresh}, {"GroupIds": ["sg-r", "sg-d"]})
    # rot: AWS's allow-all egress revoked, 443 authorized
    stub.add_response("revoke_security_group_egress", {}, {"GroupId": "sg-r", "IpPermissions": [ALL_OUT]})
    stub.add_response(
        "authorize_security_group_egress", {}, {"GroupId": "sg-r", "IpPermissions": ROT_DONE["IpPermissionsEgress"]}
    )
    # db: 5432 from rot and sg-x; the allow-all egress kept and described
    stub.add_response(
        "authorize_security_group_ingress", {}, {"GroupId": "sg-d", "IpPermissions": DB_DONE["IpPermissions"]}
    )
    stub.add_response(
        "update_security_group_rule_descriptions_egress",
        {},
        {"GroupId": "sg-d", "IpPermissions": DB_DONE["IpPermissionsEgress"]},
    )
    result = mod.converge(FakeModule(), client)
    assert result["changed"] and result["group_ids"] == {"rot": "sg-r", "db": "sg-d", "default": "sg-0"}
    assert result["diff"]["before"]["rot"] == {} and result["diff"]["before"]["default"] == result["results"][2]
    assert result["results"][1]["ingress"] == [
        {"proto": "tcp", "ports": "5432", "group_id": "sg-r", "group_name": "rot", "description": "pg"},
        {"proto": "tcp", "ports": "5432", "group_id": "sg-x", "description": "pg"},
    ]


def test_check_mode_reports_creations_and_sends_nothing(aws):
    client, stub = aws("ec2")
    stub.add_response("describe_security_groups", {"SecurityGroups": [group("sg-0", "default", with_tags=False)]})
    result = mod.converge(FakeModule(check_mode=True), client)
    assert result["changed"] and result["group_ids"] == {"rot": "", "db": "", "default": "sg-0"}
    assert result["diff"]["before"]["default"]["egress"] == [{"proto": "all", "cidr": "0.0.0.0/0"}]
    assert result["diff"]["after"]["default"]["egress"] == []
    assert result["diff"]["after"]["rot"]["egress"] == [
        {"proto": "tcp", "ports": "443", "cidr": "0.0.0.0/0", "description": "https"}
    ]
    assert result["diff"]["after"]["db"]["ingress"][0]["group_id"] == "(new group rot)"


def test_an_unchanged_list_costs_one_describe_and_a_default_group_keeps_its_tags(aws):
    client, stub = aws("ec2")
    stub.add_response("describe_security_groups", {"SecurityGroups": [ROT_DONE, DB_DONE, DEFAULT_DONE]})
    module = FakeModule()
    result = mod.converge(module, client)
    assert not result["changed"] and result["diff"]["before"] == result["diff"]["after"]
    assert result["results"][2]["tags"] == {} and module.warnings == []


def test_a_group_of_another_description_is_kept_with_a_warning(aws):
    client, stub = aws("ec2")
    stub.add_response("describe_security_groups", {"SecurityGroups": [{**ROT_DONE, "Description": "old"}]})
    module = FakeModule(security_groups=[ROTATION])
    assert not mod.converge(module, client)["changed"]
    assert "description cannot change" in module.warnings[0]


def test_a_new_group_read_back_before_its_default_egress_shows_still_has_it_revoked():
    lagging = group("sg-r", "rot", egress=[])
    assert sg.current_rules(sg.with_default_egress(lagging), "egress") == {sg.AWS_DEFAULT_EGRESS: None}
    assert sg.with_default_egress(group("sg-r", "rot")) == group("sg-r", "rot")
