#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: kms_alias
short_description: Point a KMS alias at a key, or remove the alias
author:
  - payments platform team (!UNKNOWN)
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
    description:
      - Key ID or key ARN the alias must point at. With O(state=present), this or O(adopt_key) is required.
    type: str
  adopt_key:
    description:
      - With O(state=present), instead of O(target_key_id) - when the alias does not exist, point it at the oldest
        enabled customer managed key that has no alias, the description O(adopt_key.description) and at least the
        tags O(adopt_key.tags); nothing when there is none, or when the alias exists.
      - That is the key a run interrupted between CreateKey and CreateAlias left behind (C(amazon.aws.kms_key) tags
        the key in CreateKey); adopting it keeps the next run from creating a second key. Further such keys are
        reported in a warning, never deleted.
      - Reads one DescribeKey per key without an alias in the account, only when the alias is missing.
    type: dict
    suboptions:
      description:
        description: The key's description.
        type: str
        required: true
      tags:
        description: Tags the key must carry (others may be present).
        type: dict
        default: {}
  state:
    description: Whether the alias exists.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Remove the alias of the payments key
  payments.auroradb.kms_alias:
    name: alias/payment-db-dev
    state: absent

- name: Adopt the key an interrupted run created but did not alias (nothing when the alias exists)
  payments.auroradb.kms_alias:
    name: alias/payment-db-dev
    adopt_key:
      description: KMS key for Aurora cluster encryption - dev
      tags: {environment: dev}

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
adopted_key_id:
  description: The key the alias was pointed at by O(adopt_key) (or would be, in check mode).
  returned: when O(adopt_key) adopted a key
  type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.payments.auroradb.plugins.module_utils import kms
from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError, run


def view(alias):
    return {"alias_name": alias["AliasName"], "target_key_id": alias.get("TargetKeyId")} if alias else {}


def ensure_present(module, client, name, current):
    """Returns ``(changed, alias after the task)``."""
    wanted = module.params["target_key_id"]
    target = kms.key_id(client, wanted)
    if target is None:
        raise AuroraDbError(f"KMS key {wanted} does not exist; {name} cannot point at it")
    if current and current.get("TargetKeyId") == target:
        return False, current
    if not module.check_mode:
        kms.point_alias(client, name, target, exists=current is not None)
    return True, {"AliasName": name, "TargetKeyId": target}


def adopt(module, client, name, current):
    """Returns ``(changed, alias after the task)``: point a missing alias at the orphan key ``adopt_key`` describes."""
    if current:
        return False, current
    spec = module.params["adopt_key"]
    orphans = kms.orphan_keys(client, spec["tags"] or {}, spec["description"])
    if not orphans:
        return False, None
    target = orphans[0]["KeyId"]
    if len(orphans) > 1:
        others = ", ".join(metadata["KeyId"] for metadata in orphans[1:])
        module.warn(f"{name}: adopted key {target}; further keys without an alias look like ours: {others}")
    if not module.check_mode:
        kms.point_alias(client, name, target, exists=False)
    return True, {"AliasName": name, "TargetKeyId": target}


def ensure_absent(module, client, name, current):
    """Returns ``(changed, None)``; an alias deleted by someone else meanwhile is no change."""
    if not current:
        return False, None
    if module.check_mode:
        return True, None
    return kms.delete_alias(client, name), None


def converge(module, client):
    """Find the alias, create, re-point or remove it as the state asks; the module's result."""
    name = kms.alias_name(module.params["name"])
    if module.params["state"] == "absent":
        ensure = ensure_absent
    else:
        ensure = adopt if module.params["adopt_key"] else ensure_present
    current = kms.find_alias(client, name)
    changed, alias = ensure(module, client, name, current)
    result = {"changed": changed}
    if ensure is adopt and changed:
        result["adopted_key_id"] = alias["TargetKeyId"]
    if alias:
        result["alias"] = view(alias)
    if module._diff:
        result["diff"] = {"before": view(current), "after": view(alias)}
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            target_key_id=dict(type="str"),
            adopt_key=dict(
                type="dict",
                no_log=False,
                options=dict(description=dict(type="str", required=True), tags=dict(type="dict", default={})),
            ),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_if=[("state", "present", ["target_key_id", "adopt_key"], True)],
        mutually_exclusive=[("target_key_id", "adopt_key")],
        supports_check_mode=True,
    )
    run(module, "kms", converge)


if __name__ == "__main__":
    main()
