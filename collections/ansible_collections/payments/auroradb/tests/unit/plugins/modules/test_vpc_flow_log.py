# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""payments.auroradb.vpc_flow_log decisions with a stubbed EC2 client: create, keep, replace a different flow log,
tag, delete, and check mode sending nothing; no AWS."""

import pytest

from ansible_collections.payments.auroradb.plugins.modules import vpc_flow_log as mod

VPC, GROUP = "vpc-1", "/aws/vpc/payment-db-flow-logs-prod"
ROLE = "arn:aws:iam::123456789012:role/payment-db-flow-logs-prod"


class FakeModule:
    def __init__(self, check_mode=False, **params):
        self.check_mode = check_mode
        self.params = {
            "vpc_name": "payment-db-vpc-prod",
            "log_group": GROUP,
            "role_arn": ROLE,
            "traffic_type": "ALL",
            "max_aggregation_interval": 600,
            "tags": {"environment": "prod"},
            "purge_tags": False,
            "state": "present",
            **params,
        }

    def fail_json(self, **kwargs):
        raise AssertionError(kwargs)


def vpc_found(stub, found=True):
    answer = {"Vpcs": [{"VpcId": VPC}] if found else []}
    stub.add_response("describe_vpcs", answer, {"Filters": [{"Name": "tag:Name", "Values": ["payment-db-vpc-prod"]}]})


def flow_logs(stub, *logs):
    stub.add_response(
        "describe_flow_logs", {"FlowLogs": list(logs)}, {"Filters": [{"Name": "resource-id", "Values": [VPC]}]}
    )


def flow_log(flow_id="fl-1", traffic="ALL", role=ROLE, tags=None):
    return {
        "FlowLogId": flow_id,
        "LogGroupName": GROUP,
        "TrafficType": traffic,
        "DeliverLogsPermissionArn": role,
        "MaxAggregationInterval": 600,
        "FlowLogStatus": "ACTIVE",
        "Tags": [{"Key": k, "Value": v} for k, v in (tags or {"environment": "prod"}).items()],
    }


def created(stub):
    stub.add_response(
        "create_flow_logs",
        {"FlowLogIds": ["fl-new"], "Unsuccessful": []},
        {
            "ResourceIds": [VPC],
            "ResourceType": "VPC",
            "TrafficType": "ALL",
            "LogDestinationType": "cloud-watch-logs",
            "LogGroupName": GROUP,
            "DeliverLogsPermissionArn": ROLE,
            "MaxAggregationInterval": 600,
            "TagSpecifications": [{"ResourceType": "vpc-flow-log", "Tags": [{"Key": "environment", "Value": "prod"}]}],
        },
    )


def test_missing_flow_log_is_created(aws):
    client, stub = aws("ec2")
    vpc_found(stub)
    flow_logs(stub)
    created(stub)
    result = mod.converge(FakeModule(), client)
    assert result["changed"] and result["flow_log"]["flow_log_id"] == "fl-new"


def test_matching_flow_log_changes_nothing(aws):
    client, stub = aws("ec2")
    vpc_found(stub)
    flow_logs(stub, flow_log())
    result = mod.converge(FakeModule(), client)
    assert result["changed"] is False and result["flow_log"]["flow_log_id"] == "fl-1"


def test_a_different_flow_log_is_replaced(aws):
    """A flow log cannot be modified: REJECT only becomes ALL by deleting and creating."""
    client, stub = aws("ec2")
    vpc_found(stub)
    flow_logs(stub, flow_log(traffic="REJECT"))
    stub.add_response("delete_flow_logs", {"Unsuccessful": []}, {"FlowLogIds": ["fl-1"]})
    created(stub)
    assert mod.converge(FakeModule(), client)["changed"] is True


def test_missing_tag_is_added_without_purge(aws):
    client, stub = aws("ec2")
    vpc_found(stub)
    flow_logs(stub, flow_log(tags={"owner": "dba"}))
    stub.add_response("create_tags", {}, {"Resources": ["fl-1"], "Tags": [{"Key": "environment", "Value": "prod"}]})
    assert mod.converge(FakeModule(), client)["changed"] is True


@pytest.mark.parametrize("vpc_exists", [True, False])
def test_check_mode_sends_nothing(aws, vpc_exists):
    client, stub = aws("ec2")
    vpc_found(stub, vpc_exists)
    if vpc_exists:
        flow_logs(stub)
    result = mod.converge(FakeModule(check_mode=True), client)
    assert result["changed"] is True  # and no create_flow_logs queued: the stubber would fail on it


def test_absent_deletes_the_group_s_flow_logs_and_a_missing_vpc_is_nothing(aws):
    client, stub = aws("ec2")
    vpc_found(stub)
    flow_logs(stub, flow_log())
    stub.add_response("delete_flow_logs", {"Unsuccessful": []}, {"FlowLogIds": ["fl-1"]})
    assert mod.converge(FakeModule(state="absent"), client)["changed"] is True
    vpc_found(stub, False)
    assert mod.converge(FakeModule(state="absent"), client)["changed"] is False
