#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: rds_event_subscriptions
short_description: RDS event notification subscriptions to an SNS topic
author:
  - payments platform team (!UNKNOWN)
version_added: 0.1.0
description:
  - Creates, updates or deletes a list of RDS event subscriptions, each by name. Neither amazon.aws nor
    community.aws has a module for them.
  - A subscription that exists with another topic, source type, categories or C(Enabled) is changed in place
    (ModifyEventSubscription); one with other source IDs is replaced (deleted and created again), so its sources are
    exactly the listed ones.
  - Real check mode (no mutating call) and C(--diff) (each subscription before and after).
options:
  subscriptions:
    description: The subscriptions.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Subscription name.
        type: str
        required: true
      source_type:
        description: The kind of source whose events are sent.
        type: str
        choices: [db-instance, db-cluster, db-parameter-group, db-security-group, db-snapshot, db-cluster-snapshot]
      event_categories:
        description: Event categories sent (empty means every category of the source type).
        type: list
        elements: str
        default: []
      source_ids:
        description: Sources whose events are sent (empty means every source of the type in the account and region).
        type: list
        elements: str
        default: []
      enabled:
        description: Whether events are sent.
        type: bool
        default: true
  sns_topic_arn:
    description: The SNS topic events go to. Required with O(state=present).
    type: str
  state:
    description: Whether the subscriptions exist.
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
- name: Send the cluster's failovers and failures to the alerts topic
  payments.auroradb.rds_event_subscriptions:
    sns_topic_arn: arn:aws:sns:us-east-1:123456789012:payment-db-alerts-dev
    subscriptions:
      - name: payment-db-cluster-events-dev
        source_type: db-cluster
        source_ids: [payment-db-cluster-dev]
        event_categories: [failover, failure, maintenance, notification]
    tags:
      environment: dev

- name: Remove them
  payments.auroradb.rds_event_subscriptions:
    subscriptions:
      - name: payment-db-cluster-events-dev
    state: absent
"""

RETURN = r"""
subscriptions:
  description: Each subscription as it is after the task (absent ones left out).
  returned: always
  type: list
  elements: dict
  sample:
    - name: payment-db-cluster-events-dev
      arn: arn:aws:rds:us-east-1:123456789012:es:payment-db-cluster-events-dev
      sns_topic_arn: arn:aws:sns:us-east-1:123456789012:payment-db-alerts-dev
      source_type: db-cluster
      source_ids: [payment-db-cluster-dev]
      event_categories: [failover, failure, maintenance, notification]
      enabled: true
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.payments.auroradb.plugins.module_utils import rds
from ansible_collections.payments.auroradb.plugins.module_utils.errors import run
from ansible_collections.payments.auroradb.plugins.module_utils.lists import converge_each

COMPARED = ("sns_topic_arn", "source_type", "event_categories", "enabled")


def view(subscription):
    """The parts of a DescribeEventSubscriptions entry this module manages, with sorted lists (None stays None)."""
    if subscription is None:
        return None
    return {
        "name": subscription["CustSubscriptionId"],
        "arn": subscription.get("EventSubscriptionArn"),
        "sns_topic_arn": subscription.get("SnsTopicArn"),
        "source_type": subscription.get("SourceType"),
        "source_ids": sorted(subscription.get("SourceIdsList") or []),
        "event_categories": sorted(subscription.get("EventCategoriesList") or []),
        "enabled": bool(subscription.get("Enabled")),
    }


def wanted_view(module, item):
    return {
        "name": item["name"],
        "sns_topic_arn": module.params["sns_topic_arn"],
        "source_type": item["source_type"],
        "source_ids": sorted(item["source_ids"]),
        "event_categories": sorted(item["event_categories"]),
        "enabled": item["enabled"],
    }


def ensure_one(module, client, item):
    """(changed, before, after) for one listed subscription."""
    name = item["name"]
    current = view(rds.describe_event_subscription(client, name))
    if module.params["state"] == "absent":
        if current is None:
            return False, None, None
        if not module.check_mode:
            rds.delete_event_subscription(client, name)
        return True, current, None
    wanted = wanted_view(module, item)
    tags = module.params["tags"] or {}
    replace = current is not None and current["source_ids"] != wanted["source_ids"]
    if current is None or replace:
        after = dict(wanted, arn=current and current["arn"])
        if not module.check_mode:
            if replace:
                rds.delete_event_subscription(client, name)
            after = view(rds.create_event_subscription(client, name, wanted, tags))
        return True, current, after
    changed = any(current[key] != wanted[key] for key in COMPARED)
    after = dict(current, **{key: wanted[key] for key in COMPARED})
    if changed and not module.check_mode:
        after = view(rds.modify_event_subscription(client, name, wanted))
    tags_changed = False
    if module.params["tags"] is not None:
        to_add, to_remove = compare_aws_tags(rds.get_tags(client, current["arn"]), tags, module.params["purge_tags"])
        tags_changed = bool(to_add or to_remove)
        if tags_changed and not module.check_mode:
            rds.update_tags(client, current["arn"], to_add, to_remove)
    return changed or tags_changed, current, after


def converge(module, client):
    return converge_each(module, client, module.params["subscriptions"], ensure_one, "subscriptions")


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            subscriptions=dict(
                type="list",
                elements="dict",
                required=True,
                options=dict(
                    name=dict(type="str", required=True),
                    source_type=dict(
                        type="str",
                        choices=[
                            "db-instance",
                            "db-cluster",
                            "db-parameter-group",
                            "db-security-group",
                            "db-snapshot",
                            "db-cluster-snapshot",
                        ],
                    ),
                    event_categories=dict(type="list", elements="str", default=[]),
                    source_ids=dict(type="list", elements="str", default=[]),
                    enabled=dict(type="bool", default=True),
                ),
            ),
            sns_topic_arn=dict(type="str"),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_if=[("state", "present", ["sns_topic_arn"])],
        supports_check_mode=True,
    )
    if module.params["state"] == "present":
        missing = [item["name"] for item in module.params["subscriptions"] if not item["source_type"]]
        if missing:
            module.fail_json(msg=f"subscriptions: source_type is required with state=present ({', '.join(missing)})")
    run(module, "rds", converge)


if __name__ == "__main__":
    main()
