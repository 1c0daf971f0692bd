#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: db_secret
short_description: Database credentials secret whose password is generated once and never overwritten
author:
  - payments platform team (!UNKNOWN)
version_added: 0.1.0
description:
  - Creates a Secrets Manager secret holding a JSON document with the keys C(username) and C(password) for a
    database master user. The password comes from the C(GetRandomPassword) API when the secret is created and
    is never written again by this module; the rotation function owns it from then on.
  - On later runs it updates the description, the KMS key and the tags when they differ, and merges the
    O(connection) keys into the current JSON (what CloudFormation's C(AWS::SecretsManager::SecretTargetAttachment)
    does). The current password, whatever rotation made of it, is kept.
  - A change of O(username) is refused with an error, because the password and the database user belong together.
  - A secret scheduled for deletion is restored with C(RestoreSecret) and then handled as usual, so a
    re-deploy after a teardown with a recovery window works.
  - With O(state=absent) the secret's resource policy is removed first (a policy denying
    C(secretsmanager:DeleteSecret) would block the deletion), then the secret is deleted.
  - O(resource_policy) sets the secret's resource policy (compared as JSON, so formatting and key order do not
    count as a change).
  - Neither the password nor the secret string is ever returned, shown in a diff or logged.
options:
  name:
    description: Name of the secret (or its ARN when it exists).
    type: str
    required: true
  description:
    description:
      - Description of the secret.
      - Not changed when omitted.
    type: str
  kms_key_id:
    description:
      - Key ID, key ARN, alias name or alias ARN of the KMS key that encrypts the secret.
      - When omitted at creation the AWS managed key C(aws/secretsmanager) is used; when omitted later the key
        is not changed.
    type: str
  username:
    description:
      - Database user stored under C(username) in the secret.
      - Set at creation only; a different value on a later run fails the task.
    type: str
    default: dbadmin
  password_length:
    description: Length of the password generated at creation.
    type: int
    default: 32
  exclude_punctuation:
    description: Generate the password from letters and digits only.
    type: bool
    default: true
  connection:
    description:
      - Connection details merged into the secret's JSON, for example C(engine), C(host), C(port),
        C(dbClusterIdentifier), C(dbname) (the keys the Secrets Manager rotation functions read).
      - Only keys whose value differs are written; keys not listed are kept; C(null) values are ignored.
      - Must not contain C(username) or C(password).
      - The new version takes the C(AWSCURRENT) stage and carries the current password unchanged.
    type: dict
  recovery_window_days:
    description:
      - With O(state=absent), days AWS keeps the deleted secret restorable (7 to 30).
      - V(0) deletes it at once, without recovery (C(ForceDeleteWithoutRecovery)).
    type: int
    default: 30
  resource_policy:
    description:
      - Resource policy of the secret (a dict or a JSON string). Omitted, the policy is left as it is.
      - Ignored with O(state=absent), which removes any policy before deleting the secret.
    type: json
  state:
    description: Whether the secret exists.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Supports check mode and diff mode. The diff shows the non-secret attributes and the JSON keys other than
    C(password).
  - A secret already scheduled for deletion counts as absent, unless O(recovery_window_days=0), which deletes it
    at once.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Master credentials of the cluster, encrypted with the stack's CMK
  payments.auroradb.db_secret:
    name: payment-db-credentials-dev
    description: Master credentials for Aurora PostgreSQL cluster
    kms_key_id: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    username: dbadmin
    tags:
      environment: dev
    purge_tags: false
  register: secret

- name: Add the cluster's connection details once the cluster exists (password untouched)
  payments.auroradb.db_secret:
    name: payment-db-credentials-dev
    connection:
      engine: postgres
      host: payment-db-cluster-dev.cluster-abc.us-east-1.rds.amazonaws.com
      port: 5432
      dbClusterIdentifier: payment-db-cluster-dev

- name: Remove the secret at once (its resource policy first)
  payments.auroradb.db_secret:
    name: payment-db-credentials-dev
    recovery_window_days: 0
    state: absent
"""

RETURN = r"""
arn:
  description: ARN of the secret.
  returned: when the secret exists (or would exist in check mode)
  type: str
  sample: arn:aws:secretsmanager:us-east-1:123456789012:secret:payment-db-credentials-dev-AbCdEf
name:
  description: Name of the secret.
  returned: always
  type: str
  sample: payment-db-credentials-dev
version_id:
  description: ID of the version that carries the C(AWSCURRENT) stage.
  returned: when the secret exists (not in check mode for a secret that would be created)
  type: str
  sample: 2c5e0b5e-4c1a-4c0b-9a53-1f0e0f3b2a11
kms_key_id:
  description: KMS key that encrypts the secret as AWS reports it; empty for the AWS managed key.
  returned: when the secret exists (or would exist in check mode)
  type: str
  sample: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
tags:
  description: Tags of the secret.
  returned: when the secret exists (or would exist in check mode)
  type: dict
  sample: {"environment": "dev", "project": "payments-auroradb"}
restored:
  description: Whether a secret scheduled for deletion was (or would be) restored.
  returned: when O(state=present)
  type: bool
  sample: false
updated_keys:
  description: Keys of the secret's JSON that were (or would be) written by this run; never includes C(password).
  returned: when O(state=present)
  type: list
  elements: str
  sample: ["dbClusterIdentifier", "engine", "host", "port"]
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list, compare_aws_tags

from ansible_collections.payments.auroradb.plugins.module_utils import kms
from ansible_collections.payments.auroradb.plugins.module_utils import secretsmanager as sm
from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError, run


def kms_key_changed(module, desired, current):
    """Whether the secret must be re-encrypted; an alias is resolved (DescribeKey) only when the references differ."""
    if desired is None:
        return False
    match = kms.keys_match(desired, current)
    if match is None:
        client = module.client("kms", retry_decorator=AWSRetry.jittered_backoff())
        wanted = kms.key_id(client, desired)
        if wanted is None:
            raise AuroraDbError(f"KMS key {desired} does not exist")
        match = wanted == kms.key_id(client, current)
    return not match


def parsed_policy(policy):
    """A policy document (dict or JSON string) as a dict; None stays None."""
    return json.loads(policy) if isinstance(policy, str) else policy


def policy_differs(current, desired):
    """Whether the policies differ in meaning (amazon.aws ``compare_policies``: formatting, order do not count)."""
    if current is None or desired is None:
        return current is not desired
    return compare_policies(parsed_policy(current), parsed_policy(desired))


def current_policy(client, name):
    answer = sm.call(client, "get_resource_policy", f"read the resource policy of secret {name}", SecretId=name)
    return parsed_policy(answer.get("ResourcePolicy"))


def put_policy(client, name, policy):
    sm.call(
        client,
        "put_resource_policy",
        f"set the resource policy of secret {name}",
        SecretId=name,
        ResourcePolicy=json.dumps(parsed_policy(policy)),
    )


def ensure_present(module, client):
    p = module.params
    name = p["name"]
    connection = sm.clean_connection(p["connection"])
    current = sm.describe_secret(client, name)
    if current is None:
        return create(module, client, connection)

    before = sm.metadata_view(current)
    restored = bool(current.get("DeletedDate"))
    if restored and not module.check_mode:
        sm.call(client, "restore_secret", f"restore secret {name}", SecretId=name)

    update = {}
    if p["description"] is not None and p["description"] != (current.get("Description") or ""):
        update["Description"] = p["description"]
    if kms_key_changed(module, p["kms_key_id"], current.get("KmsKeyId")):
        update["KmsKeyId"] = p["kms_key_id"]

    tags_to_set, tags_to_unset = {}, []
    if p["tags"] is not None:
        tags_to_set, tags_to_unset = compare_aws_tags(before["tags"], p["tags"], p["purge_tags"])

    # A secret pending deletion cannot be read; in check mode it stays pending, so its value is not compared.
    value_known = not (restored and module.check_mode)
    new_value, updated_keys, value_before = None, [], {}
    if value_known:
        value = sm.get_current_value(client, name, module.no_log_values.add)
        value_before = sm.public_view(value)
        new_value, updated_keys = sm.plan_value(name, value, p["username"], connection)

    policy_before = policy_after = None
    if p["resource_policy"] is not None:
        policy_after = parsed_policy(p["resource_policy"])
        policy_before = current_policy(client, name) if value_known else None
    policy_changed = policy_differs(policy_before, policy_after)

    changed = bool(restored or update or tags_to_set or tags_to_unset or new_value or policy_changed)
    version_id = before["version_id"]
    if changed and not module.check_mode:
        if update:
            sm.call(client, "update_secret", f"update secret {name}", SecretId=name, **update)
        if tags_to_unset:
            sm.call(
                client,
                "untag_resource",
                f"remove tags from secret {name}",
                SecretId=name,
                TagKeys=tags_to_unset,
            )
        if tags_to_set:
            sm.call(
                client,
                "tag_resource",
                f"tag secret {name}",
                SecretId=name,
                Tags=ansible_dict_to_boto3_tag_list(tags_to_set),
            )
        if new_value is not None:
            answer = sm.call(
                client,
                "put_secret_value",
                f"add the connection keys to secret {name}",
                SecretId=name,
                SecretString=json.dumps(new_value),
                VersionStages=[sm.CURRENT_STAGE],
            )
            version_id = answer.get("VersionId")
        if policy_changed:
            put_policy(client, name, policy_after)
        current = sm.describe_secret(client, name) or current

    after = sm.metadata_view(current)
    if module.check_mode:
        tags = {k: v for k, v in before["tags"].items() if k not in tags_to_unset}
        tags.update(tags_to_set)
        after.update(
            description=update.get("Description", after["description"]),
            kms_key_id=update.get("KmsKeyId", after["kms_key_id"]),
            tags=tags,
            scheduled_for_deletion=False,
        )
    else:
        after["version_id"] = sm.current_version_id(current) or version_id
    value_after = sm.public_view(new_value) if new_value is not None else value_before

    result = dict(changed=changed, restored=restored, updated_keys=updated_keys, **returned(after))
    if module._diff:
        result["diff"] = {"before": dict(before, value=value_before), "after": dict(after, value=value_after)}
        if p["resource_policy"] is not None:
            result["diff"]["before"]["resource_policy"] = policy_before
            result["diff"]["after"]["resource_policy"] = policy_after
    return result


def create(module, client, connection):
    p = module.params
    after = {
        "arn": None,
        "name": p["name"],
        "description": p["description"],
        "kms_key_id": p["kms_key_id"],
        "tags": p["tags"] or {},
        "version_id": None,
        "scheduled_for_deletion": False,
    }
    value_after = sm.public_view(sm.initial_value(p["username"], "", connection))
    if not module.check_mode:
        password = sm.random_password(client, p["password_length"], p["exclude_punctuation"], module.no_log_values.add)
        params = {"Name": p["name"], "SecretString": json.dumps(sm.initial_value(p["username"], password, connection))}
        if p["description"] is not None:
            params["Description"] = p["description"]
        if p["kms_key_id"]:
            params["KmsKeyId"] = p["kms_key_id"]
        if p["tags"]:
            params["Tags"] = ansible_dict_to_boto3_tag_list(p["tags"])
        answer = sm.create_secret(client, params)
        if p["resource_policy"] is not None:
            put_policy(client, p["name"], p["resource_policy"])
        current = sm.describe_secret(client, p["name"])
        after = sm.metadata_view(current) if current else dict(after, arn=answer["ARN"])
        after["version_id"] = answer.get("VersionId") or after["version_id"]

    result = dict(changed=True, restored=False, updated_keys=sorted(value_after), **returned(after))
    if module._diff:
        result["diff"] = {"before": {}, "after": dict(after, value=value_after)}
    return result


def ensure_absent(module, client):
    p = module.params
    name = p["name"]
    window = p["recovery_window_days"]
    current = sm.describe_secret(client, name)
    if current is None:
        return {"changed": False, "name": name}
    before = sm.metadata_view(current)
    pending = before["scheduled_for_deletion"]
    if pending and window != 0:
        return {
            "changed": False,
            "name": name,
            "arn": before["arn"],
            "msg": "The secret is already scheduled for deletion",
        }

    if not module.check_mode:
        if not pending:
            sm.delete_resource_policy(client, name)
        params = {"ForceDeleteWithoutRecovery": True} if window == 0 else {"RecoveryWindowInDays": window}
        sm.call(client, "delete_secret", f"delete secret {name}", SecretId=name, **params)

    result = dict(changed=True, name=name, arn=before["arn"])
    if module._diff:
        result["diff"] = {"before": before, "after": {}}
    return result


def returned(view):
    return {k: view.get(k) for k in ("arn", "name", "version_id", "kms_key_id", "tags")}


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        description=dict(type="str"),
        kms_key_id=dict(type="str"),
        username=dict(type="str", default="dbadmin"),
        password_length=dict(type="int", default=32, no_log=False),
        exclude_punctuation=dict(type="bool", default=True),
        connection=dict(type="dict"),
        resource_policy=dict(type="json"),
        recovery_window_days=dict(type="int", default=30),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)

    window = module.params["recovery_window_days"]
    if window != 0 and not 7 <= window <= 30:
        module.fail_json(msg=f"recovery_window_days must be 0 (delete at once) or 7 to 30, got {window}")
    if not 4 <= module.params["password_length"] <= 4096:
        module.fail_json(msg="password_length must be between 4 and 4096")

    run(module, "secretsmanager", ensure_present if module.params["state"] == "present" else ensure_absent)


if __name__ == "__main__":
    main()
