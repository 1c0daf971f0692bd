#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudwatch_alarm_tags
short_description: Manage the tags of a CloudWatch alarm
author:
  - payments platform team (!UNKNOWN)
version_added: 0.1.0
description:
  - Sets the tags of an existing CloudWatch alarm. C(amazon.aws.cloudwatch_metric_alarm) 11.4 has no tag option,
    so a stack that tags every resource needs this second step.
  - With O(actions_enabled), also turns the alarm's actions on (C(EnableAlarmActions)) or off - the
    C(amazon.aws.cloudwatch_metric_alarm) module leaves C(ActionsEnabled) out of its comparison, so actions disabled
    by hand would stay disabled (AWS Security Hub CloudWatch.17).
options:
  alarm_arn:
    description: ARN of the alarm.
    type: str
    required: true
  actions_enabled:
    description: Whether the alarm's actions must be enabled; left as they are when not given.
    type: bool
    version_added: 0.3.0
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Tag the CPU alarm
  payments.auroradb.cloudwatch_alarm_tags:
    alarm_arn: arn:aws:cloudwatch:us-east-1:123456789012:alarm:payment-db-cpu-alarm-dev
    tags:
      environment: dev
    purge_tags: false
"""

RETURN = r"""
tags:
  description: The alarm's tags after the task.
  returned: always
  type: dict
  sample: {"environment": "dev"}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.payments.auroradb.plugins.module_utils import cloudwatch
from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError, run


def ensure_tags(module, client):
    """Compare, then act: returns the result (``changed``, ``tags`` after the task, ``diff``)."""
    arn, wanted = module.params["alarm_arn"], module.params["tags"]
    current = cloudwatch.get_tags(client, arn)
    if current is None:
        raise AuroraDbError(f"Alarm {arn} does not exist; create it first (amazon.aws.cloudwatch_metric_alarm)")
    before, after, changed = {"tags": current}, {"tags": current}, False
    if wanted is not None:
        to_set, to_remove = compare_aws_tags(current, wanted, module.params["purge_tags"])
        after["tags"] = {k: v for k, v in {**current, **to_set}.items() if k not in to_remove}
        changed = bool(to_set or to_remove)
        if changed and not module.check_mode:
            cloudwatch.update_tags(client, arn, to_set, to_remove)
    enabled = module.params["actions_enabled"]
    if enabled is not None:
        name = arn.split(":alarm:", 1)[-1]
        live = cloudwatch.describe_alarms(client, [name]).get(name, {}).get("ActionsEnabled")
        before["actions_enabled"], after["actions_enabled"] = live, enabled
        if live is not enabled:
            changed = True
            if not module.check_mode:
                cloudwatch.set_actions_enabled(client, name, enabled)
    result = {"changed": changed, "tags": after["tags"]}
    if module._diff:
        result["diff"] = {"before": before, "after": after}
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            alarm_arn=dict(type="str", required=True),
            actions_enabled=dict(type="bool"),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    run(module, "cloudwatch", ensure_tags)


if __name__ == "__main__":
    main()
