#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: kms_alias
short_description: Point a KMS alias at a key, or remove the alias
version_added: 0.1.0
description:
  - Creates or updates a KMS alias so it points at O(target_key_id), or deletes it.
  - C(amazon.aws.kms_key) can add an alias but never removes one; a teardown that only schedules the
    key for deletion leaves the alias pointing at a key pending deletion, and a later C(kms_key) with the
    same alias then cancels that deletion instead of creating a fresh key. This module closes that gap.
options:
  name:
    description: Alias name, with or without the C(alias/) prefix.
    type: str
    required: true
  target_key_id:
    description: Key ID or key ARN the alias must point at. Required when O(state=present).
    type: str
  state:
    description: Whether the alias exists.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
author:
  - payments platform team (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Remove the alias of the payments key
  payments.auroradb.kms_alias:
    name: alias/payment-db-dev
    state: absent

- name: Point the alias at a key
  payments.auroradb.kms_alias:
    name: payment-db-dev
    target_key_id: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
"""

RETURN = r"""
alias:
  description: The alias as it is after the task (absent when removed).
  returned: when the alias exists after the task
  type: dict
  contains:
    alias_name:
      description: Full alias name.
      type: str
      sample: alias/payment-db-dev
    target_key_id:
      description: ID of the key the alias points at.
      type: str
      sample: 1234abcd-12ab-34cd-56ef-1234567890ab
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


def canonical(name):
    return name if name.startswith("alias/") else f"alias/{name}"


def find_alias(client, module, name):
    try:
        aliases = client.get_paginator("list_aliases").paginate().build_full_result()["Aliases"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Failed to list KMS aliases")
    for alias in aliases:
        if alias["AliasName"] == name:
            return alias
    return None


def key_id_of(client, module, key):
    try:
        return client.describe_key(aws_retry=True, KeyId=key)["KeyMetadata"]["KeyId"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to find KMS key {key}")


def ensure_present(client, module, name, current):
    target = key_id_of(client, module, module.params["target_key_id"])
    if current and current.get("TargetKeyId") == target:
        return False, current
    if not module.check_mode:
        try:
            if current:
                client.update_alias(aws_retry=True, AliasName=name, TargetKeyId=target)
            else:
                client.create_alias(aws_retry=True, AliasName=name, TargetKeyId=target)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg=f"Failed to point {name} at {target}")
    return True, {"AliasName": name, "TargetKeyId": target}


def ensure_absent(client, module, name, current):
    if not current:
        return False
    if not module.check_mode:
        try:
            client.delete_alias(aws_retry=True, AliasName=name)
        except client.exceptions.NotFoundException:
            return False
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg=f"Failed to delete {name}")
    return True


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            target_key_id=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_if=[("state", "present", ["target_key_id"])],
        supports_check_mode=True,
    )
    client = module.client("kms", retry_decorator=AWSRetry.jittered_backoff())
    name = canonical(module.params["name"])
    current = find_alias(client, module, name)
    before = {"alias_name": name, "target_key_id": current.get("TargetKeyId")} if current else {}
    if module.params["state"] == "present":
        changed, alias = ensure_present(client, module, name, current)
        after = {"alias_name": name, "target_key_id": alias.get("TargetKeyId")}
        result = {"changed": changed, "alias": after}
    else:
        changed = ensure_absent(client, module, name, current)
        after = {}
        result = {"changed": changed}
    if module._diff:
        result["diff"] = {"before": before, "after": after}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
