#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpc_flow_log
short_description: The flow log of a VPC (found by its Name tag) to a CloudWatch Logs group
author:
  - payments platform team (!UNKNOWN)
version_added: 0.3.0
description:
  - "O(state=present): the VPC named O(vpc_name) (its C(Name) tag) has exactly one flow log to O(log_group), with
    O(traffic_type), O(max_aggregation_interval) and the delivery role O(role_arn). A flow log cannot be modified:
    one that differs is deleted and created again. Its tags follow O(tags) and O(purge_tags)."
  - "O(state=absent): the VPC's flow logs to O(log_group) are deleted; a missing VPC is nothing to do."
  - In check mode nothing is written; a VPC that does not exist yet (a first deploy planned with --check) reports the
    flow log it would create.
  - AWS Security Hub EC2.6 asks for a flow log of the rejected traffic of every VPC; C(ALL) records it too.
options:
  vpc_name:
    description: The VPC's C(Name) tag (the first VPC with it).
    type: str
    required: true
  log_group:
    description: The CloudWatch Logs group the flow log delivers to (create it first, with its key and retention).
    type: str
    required: true
  role_arn:
    description: The IAM role VPC Flow Logs assumes to write to the group. Required with O(state=present).
    type: str
  traffic_type:
    description: Which traffic is recorded.
    type: str
    choices: [ACCEPT, REJECT, ALL]
    default: ALL
  max_aggregation_interval:
    description: Seconds over which a flow is aggregated into one record.
    type: int
    choices: [60, 600]
    default: 600
  state:
    description: present or absent.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Record the VPC's traffic in an encrypted log group
  payments.auroradb.vpc_flow_log:
    vpc_name: payment-db-vpc-prod
    log_group: /aws/vpc/payment-db-flow-logs-prod
    role_arn: arn:aws:iam::123456789012:role/payment-db-flow-logs-prod
    tags:
      environment: prod
    purge_tags: false
"""

RETURN = r"""
flow_log:
  description: The flow log after the task (empty when absent, or planned in check mode before the VPC exists).
  returned: always
  type: dict
  sample:
    flow_log_id: fl-0123456789abcdef0
    vpc_id: vpc-0123456789abcdef0
    log_group: /aws/vpc/payment-db-flow-logs-prod
    traffic_type: ALL
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict, compare_aws_tags

from ansible_collections.payments.auroradb.plugins.module_utils import ec2
from ansible_collections.payments.auroradb.plugins.module_utils.errors import run


def view(log, vpc_id):
    return {
        "flow_log_id": log.get("FlowLogId"),
        "vpc_id": vpc_id,
        "log_group": log.get("LogGroupName"),
        "traffic_type": log.get("TrafficType"),
        "role_arn": log.get("DeliverLogsPermissionArn"),
        "max_aggregation_interval": log.get("MaxAggregationInterval"),
    }


def matches(log, params):
    return (
        log.get("TrafficType") == params["traffic_type"]
        and log.get("DeliverLogsPermissionArn") == params["role_arn"]
        and int(log.get("MaxAggregationInterval") or 600) == params["max_aggregation_interval"]
        and log.get("FlowLogStatus", "ACTIVE") == "ACTIVE"
    )


def converge(module, client):
    p = module.params
    vpc = ec2.find_vpc(client, p["vpc_name"])
    wanted = {
        "vpc_id": (vpc or {}).get("VpcId"),
        "log_group": p["log_group"],
        "traffic_type": p["traffic_type"],
        "role_arn": p["role_arn"],
        "max_aggregation_interval": p["max_aggregation_interval"],
    }
    if vpc is None:
        if p["state"] == "absent":
            return {"changed": False, "flow_log": {}}
        if module.check_mode:
            return {"changed": True, "flow_log": {}, "diff": {"before": {}, "after": wanted}}
        module.fail_json(msg=f"VPC {p['vpc_name']} not found: deploy the network first")
    vpc_id = vpc["VpcId"]
    ours = [log for log in ec2.flow_logs(client, vpc_id) if log.get("LogGroupName") == p["log_group"]]
    before = view(ours[0], vpc_id) if ours else {}
    if p["state"] == "absent":
        if ours and not module.check_mode:
            ec2.delete_flow_logs(client, [log["FlowLogId"] for log in ours])
        return {"changed": bool(ours), "flow_log": {}, "diff": {"before": before, "after": {}}}

    tags = p["tags"] or {}
    keep = next((log for log in ours if matches(log, p)), None)
    extra = [log["FlowLogId"] for log in ours if log is not keep]
    changed = bool(extra) or keep is None
    if not module.check_mode:
        ec2.delete_flow_logs(client, extra)
    if keep is None:
        flow_log_id = None
        if not module.check_mode:
            flow_log_id = ec2.create_flow_log(
                client, vpc_id, p["log_group"], p["role_arn"], p["traffic_type"], p["max_aggregation_interval"], tags
            )
        after = dict(wanted, flow_log_id=flow_log_id)
    else:
        after = view(keep, vpc_id)
        if p["tags"] is not None:
            live = boto3_tag_list_to_ansible_dict(keep.get("Tags") or [])
            to_set, to_remove = compare_aws_tags(live, tags, p["purge_tags"])
            if to_set or to_remove:
                changed = True
                if not module.check_mode:
                    ec2.add_tags(client, keep["FlowLogId"], to_set)
                    ec2.remove_tags(client, keep["FlowLogId"], to_remove)
    return {"changed": changed, "flow_log": after, "diff": {"before": before, "after": after}}


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            vpc_name=dict(type="str", required=True),
            log_group=dict(type="str", required=True),
            role_arn=dict(type="str"),
            traffic_type=dict(type="str", choices=["ACCEPT", "REJECT", "ALL"], default="ALL"),
            max_aggregation_interval=dict(type="int", choices=[60, 600], default=600),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_if=[("state", "present", ("role_arn",))],
        supports_check_mode=True,
    )
    run(module, "ec2", converge)


if __name__ == "__main__":
    main()
