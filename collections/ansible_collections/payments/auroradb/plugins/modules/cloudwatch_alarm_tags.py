#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudwatch_alarm_tags
short_description: Manage the tags of a CloudWatch alarm
version_added: 0.1.0
description:
  - Sets the tags of an existing CloudWatch alarm. C(amazon.aws.cloudwatch_metric_alarm) 11.4 has no tag option,
    so a stack that tags every resource needs this second step.
options:
  alarm_arn:
    description: ARN of the alarm.
    type: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
author:
  - payments platform team (!UNKNOWN)
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

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
    compare_aws_tags,
)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            alarm_arn=dict(type="str", required=True),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    client = module.client("cloudwatch", retry_decorator=AWSRetry.jittered_backoff())
    arn = module.params["alarm_arn"]
    try:
        current = boto3_tag_list_to_ansible_dict(client.list_tags_for_resource(aws_retry=True, ResourceARN=arn)["Tags"])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to read the tags of {arn}")
    if module.params["tags"] is None:
        module.exit_json(changed=False, tags=current)
    to_set, to_remove = compare_aws_tags(current, module.params["tags"], module.params["purge_tags"])
    desired = {k: v for k, v in {**current, **to_set}.items() if k not in to_remove}
    changed = bool(to_set or to_remove)
    if changed and not module.check_mode:
        try:
            if to_remove:
                client.untag_resource(aws_retry=True, ResourceARN=arn, TagKeys=to_remove)
            if to_set:
                client.tag_resource(aws_retry=True, ResourceARN=arn, Tags=ansible_dict_to_boto3_tag_list(to_set))
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg=f"Failed to tag {arn}")
    result = {"changed": changed, "tags": desired}
    if module._diff:
        result["diff"] = {"before": {"tags": current}, "after": {"tags": desired}}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
