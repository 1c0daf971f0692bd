#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: log_groups
short_description: CloudWatch Logs groups with their retention, KMS key and tags
author:
  - payments platform team (!UNKNOWN)
version_added: 0.1.0
description:
  - Creates, updates or deletes a list of log groups, each by name, encrypted with O(log_groups[].kms_key_id) and
    kept O(log_groups[].retention_days) days.
  - C(amazon.aws.cloudwatchlogs_log_group) 11.4 cannot encrypt an existing group, deletes and recreates a group whose
    retention is not given, and changes the retention in check mode; this module changes each setting in place
    (PutRetentionPolicy, AssociateKmsKey) and sends nothing in check mode.
  - Created before the service writes to it (RDS log export, a Lambda function), a group keeps these settings; a
    group the service created itself is adopted and brought to them.
options:
  names:
    description: The log groups by name only, each with O(retention_days) and O(kms_key_id). Or O(log_groups).
    type: list
    elements: str
  retention_days:
    description: The retention of every group that sets none of its own.
    type: int
  kms_key_id:
    description: The key of every group that sets none of its own.
    type: str
  log_groups:
    description: The log groups, each with its own settings. Or O(names).
    type: list
    elements: dict
    suboptions:
      name:
        description: Log group name.
        type: str
        required: true
      retention_days:
        description:
          - Days the events are kept (a CloudWatch Logs retention period); not given here nor in O(retention_days),
            they never expire.
        type: int
      kms_key_id:
        description:
          - ARN of the KMS key that encrypts the group (the key policy must let C(logs.<region>.amazonaws.com) use
            it). Not given, the group's key is left as it is.
        type: str
  state:
    description: Whether the log groups exist (absent deletes them with their events).
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
- name: The cluster's PostgreSQL log group, before the cluster exports to it
  payments.auroradb.log_groups:
    names: [/aws/rds/cluster/payment-db-cluster-prod/postgresql]
    retention_days: 365
    kms_key_id: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    tags:
      environment: prod
    purge_tags: false
"""

RETURN = r"""
log_groups:
  description: Each log group as it is after the task (absent ones left out).
  returned: always
  type: list
  elements: dict
  sample:
    - name: /aws/rds/cluster/payment-db-cluster-prod/postgresql
      retention_days: 365
      kms_key_id: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.payments.auroradb.plugins.module_utils import logs
from ansible_collections.payments.auroradb.plugins.module_utils.errors import run
from ansible_collections.payments.auroradb.plugins.module_utils.lists import converge_each


def view(group):
    if group is None:
        return None
    return {
        "name": group["logGroupName"],
        "retention_days": group.get("retentionInDays"),
        "kms_key_id": group.get("kmsKeyId"),
    }


def ensure_one(module, client, item):
    """(changed, before, after) for one listed log group."""
    name, group = item["name"], logs.find_group(client, item["name"])
    before = view(group)
    if module.params["state"] == "absent":
        if group is not None and not module.check_mode:
            logs.delete_group(client, name)
        return group is not None, before, None
    tags = module.params["tags"] or {}
    wanted_key = item["kms_key_id"] or (before or {}).get("kms_key_id")
    after = {"name": name, "retention_days": item["retention_days"], "kms_key_id": wanted_key}
    if group is None:
        if not module.check_mode:
            logs.create_group(client, name, wanted_key, tags)
            if item["retention_days"] is not None:
                logs.set_retention(client, name, item["retention_days"])
        return True, None, after
    changed = False
    if before["retention_days"] != item["retention_days"]:
        changed = True
        if not module.check_mode:
            logs.set_retention(client, name, item["retention_days"])
    if before["kms_key_id"] != wanted_key:
        changed = True
        if not module.check_mode:
            logs.set_key(client, name, wanted_key)
    if module.params["tags"] is not None:
        arn = logs.group_arn(group)
        to_set, to_remove = compare_aws_tags(logs.get_tags(client, arn), tags, module.params["purge_tags"])
        if to_set or to_remove:
            changed = True
            if not module.check_mode:
                logs.update_tags(client, arn, to_set, to_remove)
    return changed, before, after


def listed(params):
    """Every group with its settings: its own, else the module's."""
    items = params["log_groups"] or [
        {"name": name, "retention_days": None, "kms_key_id": None} for name in params["names"]
    ]
    return [
        dict(
            item,
            retention_days=params["retention_days"] if item["retention_days"] is None else item["retention_days"],
            kms_key_id=item["kms_key_id"] or params["kms_key_id"],
        )
        for item in items
    ]


def converge(module, client):
    return converge_each(module, client, listed(module.params), ensure_one, "log_groups")


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            names=dict(type="list", elements="str"),
            retention_days=dict(type="int"),
            kms_key_id=dict(type="str"),
            log_groups=dict(
                type="list",
                elements="dict",
                options=dict(
                    name=dict(type="str", required=True),
                    retention_days=dict(type="int"),
                    kms_key_id=dict(type="str"),
                ),
            ),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_one_of=[("names", "log_groups")],
        mutually_exclusive=[("names", "log_groups")],
        supports_check_mode=True,
    )
    run(module, "logs", converge)


if __name__ == "__main__":
    main()
