#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: notification_topic
short_description: An SNS topic encrypted with a customer-managed KMS key, its tags and subscriptions
author:
  - payments platform team (!UNKNOWN)
version_added: 0.1.0
description:
  - Creates, updates or deletes a standard SNS topic found by name, encrypted at rest with O(kms_key_id)
    (C(KmsMasterKeyId)); C(community.aws.sns_topic) cannot set the key.
  - The key's policy must let the publishers use it (C(kms:GenerateDataKey*), C(kms:Decrypt)), that is CloudWatch alarms
    (C(cloudwatch.amazonaws.com)) and RDS event notifications (C(events.rds.amazonaws.com)); the kms role's policy
    does.
  - Subscriptions are made the listed ones (O(purge_subscriptions)); an email subscription stays
    C(PendingConfirmation) until its owner confirms it, and such a subscription cannot be removed (SNS drops it after
    three days), which is reported as a warning.
  - Real check mode (no mutating call) and C(--diff).
options:
  name:
    description: Topic name.
    type: str
    required: true
  kms_key_id:
    description: The KMS key (ARN, ID or alias) that encrypts the topic. Required with O(state=present).
    type: str
  subscriptions:
    description: The topic's subscriptions.
    type: list
    elements: dict
    default: []
    suboptions:
      protocol:
        description: SNS protocol.
        type: str
        required: true
        choices: [email, email-json, https, sqs, lambda, sms, application, firehose]
      endpoint:
        description: The address, URL or ARN that receives the messages.
        type: str
        required: true
  purge_subscriptions:
    description: Remove subscriptions that are not listed.
    type: bool
    default: true
  state:
    description: Whether the topic exists.
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
- name: The alerts topic of the dev environment, encrypted with its key, mailing the on-call list
  payments.auroradb.notification_topic:
    name: payment-db-alerts-dev
    kms_key_id: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    subscriptions:
      - protocol: email
        endpoint: payments-oncall@example.com
    tags:
      environment: dev
    purge_tags: false
"""

RETURN = r"""
topic_arn:
  description: The topic's ARN (empty in check mode before the topic exists, and after its removal).
  returned: always
  type: str
  sample: arn:aws:sns:us-east-1:123456789012:payment-db-alerts-dev
kms_master_key_id:
  description: The key that encrypts the topic.
  returned: when the topic exists
  type: str
subscriptions:
  description: The topic's subscriptions after the task (protocol and endpoint).
  returned: when the topic exists
  type: list
  elements: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.payments.auroradb.plugins.module_utils import sns
from ansible_collections.payments.auroradb.plugins.module_utils.errors import run
from ansible_collections.payments.auroradb.plugins.module_utils.kms import keys_match

KEY_ATTRIBUTE = "KmsMasterKeyId"


def _pair(subscription):
    return subscription["protocol"], subscription["endpoint"]


def view(arn, key, subscriptions, tags):
    if not arn and key is None:
        return {}
    return {
        "topic_arn": arn,
        "kms_master_key_id": key,
        "subscriptions": sorted(({"protocol": p, "endpoint": e} for p, e in map(_pair, subscriptions)), key=_pair),
        "tags": tags,
    }


def ensure_absent(module, client):
    arn = sns.find_topic(client, module.params["name"])
    if arn is None:
        return {"changed": False, "topic_arn": ""}
    if not module.check_mode:
        sns.delete_topic(client, arn)
    return {"changed": True, "topic_arn": ""}


def ensure_present(module, client):
    p = module.params
    key, wanted_tags = p["kms_key_id"], p["tags"] or {}
    arn = sns.find_topic(client, p["name"])
    changed = arn is None
    before = {}
    if arn is None:
        current_key, current_subscriptions, current_tags = None, [], {}
        if not module.check_mode:
            arn = sns.create_topic(client, p["name"], {KEY_ATTRIBUTE: key}, wanted_tags)
            current_key, current_tags = key, dict(wanted_tags)
    else:
        current_key = (sns.attributes(client, arn) or {}).get(KEY_ATTRIBUTE)
        current_subscriptions, current_tags = sns.subscriptions(client, arn), sns.get_tags(client, arn)
        before = view(arn, current_key, current_subscriptions, current_tags)
    if not keys_match(key, current_key):
        changed = True
        if arn and not module.check_mode:
            sns.set_attribute(client, arn, KEY_ATTRIBUTE, key)
    tags = current_tags
    if p["tags"] is not None:
        to_set, to_remove = compare_aws_tags(current_tags, wanted_tags, p["purge_tags"])
        tags = {k: v for k, v in {**current_tags, **to_set}.items() if k not in to_remove}
        if to_set or to_remove:
            changed = True
            if arn and not module.check_mode:
                sns.update_tags(client, arn, to_set, to_remove)
    changed |= converge_subscriptions(module, client, arn, current_subscriptions)
    after_subscriptions = [{"protocol": s["protocol"], "endpoint": s["endpoint"]} for s in p["subscriptions"]]
    if not p["purge_subscriptions"]:
        after_subscriptions += [s for s in current_subscriptions if _pair(s) not in map(_pair, p["subscriptions"])]
    after = view(arn or "", key, after_subscriptions, tags)
    result = {"changed": changed, **after}
    if module._diff:
        result["diff"] = {"before": before, "after": after}
    return result


def converge_subscriptions(module, client, arn, current):
    """Subscribe the listed endpoints that are missing, unsubscribe the others (purge_subscriptions)."""
    wanted = {_pair(s) for s in module.params["subscriptions"]}
    have = {_pair(s) for s in current}
    missing = sorted(wanted - have)
    extra = [s for s in current if _pair(s) not in wanted] if module.params["purge_subscriptions"] else []
    removable = [s for s in extra if s["arn"] != sns.PENDING]
    for s in extra:
        if s["arn"] == sns.PENDING:
            module.warn(
                f"{s['protocol']} subscription {s['endpoint']} is not listed but awaits confirmation, which "
                "SNS does not let anyone remove; it lapses after three days unless confirmed"
            )
    if module.check_mode or not arn:
        return bool(missing or removable)
    for protocol, endpoint in missing:
        sns.subscribe(client, arn, protocol, endpoint)
    for s in removable:
        sns.unsubscribe(client, s["arn"])
    return bool(missing or removable)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            kms_key_id=dict(type="str"),
            subscriptions=dict(
                type="list",
                elements="dict",
                default=[],
                options=dict(
                    protocol=dict(
                        type="str",
                        required=True,
                        choices=["email", "email-json", "https", "sqs", "lambda", "sms", "application", "firehose"],
                    ),
                    endpoint=dict(type="str", required=True),
                ),
            ),
            purge_subscriptions=dict(type="bool", default=True),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_if=[("state", "present", ["kms_key_id"])],
        supports_check_mode=True,
    )
    run(module, "sns", ensure_present if module.params["state"] == "present" else ensure_absent)


if __name__ == "__main__":
    main()
