#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: secret_rotation
short_description: Rotation schedule of a Secrets Manager secret, on-demand rotation and repair of a failed one
author:
  - payments platform team (!UNKNOWN)
version_added: 0.1.0
description:
  - Enables, updates or disables the rotation of an existing Secrets Manager secret (C(RotateSecret),
    C(CancelRotateSecret)).
  - The wanted configuration is compared with the current one after normalising it, and C(RotateSecret) is only
    sent when something differs. Lambda ARNs are compared without their qualifier, so C(...:function:name),
    C(...:function:name:3) and C(...:function:name:$LATEST) name the same function. O(automatically_after_days=30)
    equals O(rotation_days=30) and O(schedule_expression=rate(30 days\)) (AWS may report both);
    V(rate(1 day\)) is the singular form; cron expressions are compared after collapsing white space.
  - With O(rotate_now=true) a rotation is started on demand and the module waits until C(AWSCURRENT) has moved
    to a new version and no other version carries C(AWSPENDING). C(RotateSecret) returns at once and the four
    steps of the rotation function run asynchronously, so without the wait a task would report success for a
    rotation that later fails.
  - A version that carries C(AWSPENDING) but not C(AWSCURRENT) is left by a rotation that failed (or belongs to
    one still running; the labels cannot tell the two apart). It is always reported in RV(pending_version).
    With O(repair_pending=true) the label is removed from that version before anything else; O(rotate_now=true)
    refuses to start while such a version exists, because AWS would not start a new rotation either.
  - The module never reads the secret value (no C(GetSecretValue)), so it cannot return or log it.
options:
  name:
    description: Name or ARN of the secret. The secret must exist.
    type: str
    required: true
    aliases: [secret_id]
  state:
    description:
      - V(present) enables rotation or updates its configuration; V(absent) disables it (C(CancelRotateSecret))
        when it is enabled.
      - Disabling keeps the function and the schedule that AWS stores, so a later V(present) without
        O(rotation_lambda) and schedule re-enables the same configuration.
    type: str
    choices: [present, absent]
    default: present
  rotation_lambda:
    description:
      - ARN of the Lambda rotation function, with or without a version or alias qualifier.
      - Required when the secret has no rotation function yet; when omitted otherwise, the current one is kept.
      - Not used for a secret that another service owns and rotates (C(OwningService), for example the master secret
        RDS manages for a cluster with C(ManageMasterUserPassword)); only its schedule is set then.
      - The function must allow C(secretsmanager.amazonaws.com) to invoke it.
    type: str
    aliases: [rotation_lambda_arn]
  automatically_after_days:
    description:
      - Rotate every that many days (1 to 1000), the same as O(schedule_expression=rate(N days\)).
      - Sent as C(RotationRules.AutomaticallyAfterDays).
      - One of O(automatically_after_days), O(rotation_days) and O(schedule_expression) is required when the secret
        has no rotation schedule yet; when all are omitted, the current schedule is kept.
    type: int
  rotation_days:
    description:
      - Rotate every that many days (1 to 1000), sent as C(RotationRules.ScheduleExpression=rate(N days\)) (what
        CloudFormation's C(RotationSchedule) sends); the module builds the expression, singular for one day.
    type: int
  schedule_expression:
    description:
      - Rotation schedule as V(rate(N days\)), V(rate(N hours\)) or
        V(cron(minutes hours day-of-month month day-of-week year\)).
      - Sent in its normalised form (single spaces; V(rate(1 day\)) singular).
    type: str
  duration:
    description:
      - Length of the rotation window in hours, for example V(3h) (1 to 24 hours).
      - When omitted the current window is kept (AWS default when there is none).
    type: str
  rotate_immediately:
    description:
      - Whether the rotation starts as soon as the configuration is set or changed (C(RotateImmediately)).
      - With V(false) AWS only tests the function (its C(testSecret) step) and rotates at the next scheduled
        window.
      - Applies only when the configuration changes; the module does not wait for that rotation (use
        O(rotate_now) for a rotation that is waited for).
    type: bool
    default: false
  rotate_now:
    description:
      - Start a rotation now and wait until it has finished (C(AWSCURRENT) moved to a new version, no other
        version left with C(AWSPENDING)), or fail after O(wait_timeout) seconds naming the stuck version.
      - When the configuration changes in the same task, the one C(RotateSecret) call that sets it also starts
        the rotation.
      - Fails when a version carries C(AWSPENDING) without C(AWSCURRENT), unless O(repair_pending=true).
      - Always reports a change. Only with O(state=present).
    type: bool
    default: false
  repair_pending:
    description:
      - Remove the C(AWSPENDING) label from a version that carries it without C(AWSCURRENT) (left by a failed
        rotation), before anything else. Reports a change only when there was such a version.
      - Do not use it while a rotation may still be running; it would break that rotation.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for a rotation started by O(rotate_now) to finish; the status is read every 2 s.
    type: int
    default: 300
notes:
  - Supports check mode and diff mode. The diff shows the rotation configuration before and after (enabled,
    function, schedule, window).
  - In check mode nothing is written and no rotation is waited for; C(changed) and RV(rotated) tell what would
    happen.
  - Requires C(secretsmanager:DescribeSecret), C(secretsmanager:RotateSecret), C(secretsmanager:CancelRotateSecret),
    C(secretsmanager:UpdateSecretVersionStage) (for O(repair_pending)) and C(lambda:InvokeFunction) as the caller
    of C(RotateSecret) needs it.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Rotate the master credentials every 30 days in a 3-hour window, without rotating now
  payments.auroradb.secret_rotation:
    name: payment-db-credentials-dev
    rotation_lambda: arn:aws:lambda:us-east-1:123456789012:function:payment-db-rotation-dev
    automatically_after_days: 30
    duration: 3h

- name: The same schedule sent as ScheduleExpression rate(30 days)
  payments.auroradb.secret_rotation:
    name: payment-db-credentials-dev
    rotation_lambda: arn:aws:lambda:us-east-1:123456789012:function:payment-db-rotation-dev
    rotation_days: 30

- name: Rotate on the 1st and 15th of each month at 16:00 UTC
  payments.auroradb.secret_rotation:
    name: payment-db-credentials-dev
    rotation_lambda: arn:aws:lambda:us-east-1:123456789012:function:payment-db-rotation-dev
    schedule_expression: cron(0 16 1,15 * ? *)

- name: Clear what a failed rotation left behind, then rotate now and wait for the new version
  payments.auroradb.secret_rotation:
    name: payment-db-credentials-dev
    repair_pending: true
    rotate_now: true
    wait_timeout: 600
  register: rotation

- name: Show the new version
  ansible.builtin.debug:
    msg: "AWSCURRENT moved from {{ rotation.previous_version_id }} to {{ rotation.version_id }}"

- name: Disable rotation
  payments.auroradb.secret_rotation:
    name: payment-db-credentials-dev
    state: absent
"""

RETURN = r"""
name:
  description: The secret as given in O(name).
  returned: always
  type: str
  sample: payment-db-credentials-dev
arn:
  description: ARN of the secret.
  returned: when the secret exists
  type: str
  sample: arn:aws:secretsmanager:us-east-1:123456789012:secret:payment-db-credentials-dev-AbCdEf
rotation:
  description: Rotation configuration after the task (what it would be in check mode).
  returned: when the secret exists
  type: dict
  contains:
    enabled:
      description: Whether rotation is enabled.
      type: bool
      sample: true
    lambda_arn:
      description: ARN of the rotation function (as sent, or as AWS reports it when nothing was sent).
      type: str
      sample: arn:aws:lambda:us-east-1:123456789012:function:payment-db-rotation-dev
    schedule_expression:
      description: Rotation schedule in normalised form.
      type: str
      sample: rate(30 days)
    automatically_after_days:
      description: Days between rotations when the schedule is a rate in days, else null.
      type: int
      sample: 30
    duration:
      description: Rotation window, or null when none is set.
      type: str
      sample: 3h
pending_version:
  description:
    - ID of the version that carried C(AWSPENDING) but not C(AWSCURRENT) when the task started (a failed rotation,
      or one still running), or null.
  returned: when the secret exists
  type: str
  sample: 0c9a1b4e-7d51-4f2e-9b1e-2a4f5c6d7e8f
pending_cleared:
  description: Whether the C(AWSPENDING) label was (or in check mode would be) removed from RV(pending_version).
  returned: when the secret exists
  type: bool
  sample: false
rotated:
  description: Whether a rotation was run and finished (in check mode, would be run).
  returned: when the secret exists
  type: bool
  sample: true
previous_version_id:
  description: ID of the version that carried C(AWSCURRENT) when the task started.
  returned: when the secret exists
  type: str
  sample: 2c5e0b5e-4c1a-4c0b-9a53-1f0e0f3b2a11
version_id:
  description:
    - ID of the version that carries C(AWSCURRENT) after the task; the new version after O(rotate_now).
    - Null in check mode when a rotation would run.
  returned: when the secret exists
  type: str
  sample: 7f3d2c1b-0a9e-4d8c-b7a6-5e4f3d2c1b0a
"""

import uuid

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.payments.auroradb.plugins.module_utils import rotation
from ansible_collections.payments.auroradb.plugins.module_utils import secretsmanager as sm
from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError, run

POLL_INTERVAL = 2


def existing_secret(module, client):
    """DescribeSecret of ``name``; ``None`` when it does not exist or is scheduled for deletion."""
    description = sm.describe_secret(client, module.params["name"])
    if description is None or description.get("DeletedDate"):
        return None
    return description


def repair(module, client, description):
    """Take AWSPENDING off a version that does not carry AWSCURRENT; returns whether there was one."""
    pending = rotation.stuck_pending(description)
    if not (module.params["repair_pending"] and pending):
        return False
    if not module.check_mode:
        sm.remove_version_stage(client, module.params["name"], rotation.PENDING_STAGE, pending)
    return True


def ensure_present(module, client):
    p = module.params
    name = p["name"]
    description = existing_secret(module, client)
    if description is None:
        raise AuroraDbError(
            f"Secret {name} does not exist or is scheduled for deletion; create or restore it first"
            " (payments.auroradb.db_secret does both)"
        )

    before = rotation.current_config(description)
    previous = rotation.version_with(description, rotation.CURRENT_STAGE)
    pending = rotation.stuck_pending(description)
    after, rules = rotation.desired_config(
        name,
        description,
        lambda_arn=p["rotation_lambda"],
        days=p["automatically_after_days"],
        expression=p["schedule_expression"],
        duration=p["duration"],
        rate_days=p["rotation_days"],
    )

    if p["rotate_now"] and pending and not p["repair_pending"]:
        raise AuroraDbError(
            f"Secret {name}: version {pending} carries {rotation.PENDING_STAGE} but not {rotation.CURRENT_STAGE},"
            " left by a rotation that failed (or one still running), so a new rotation cannot start. When no"
            " rotation is running, run again with repair_pending=true to remove the stage, then rotate.",
            pending_version=pending,
            previous_version_id=previous,
            version_id=previous,
        )

    pending_cleared = repair(module, client, description)
    config_changed = rotation.config_differs(before, after)
    if not config_changed:
        after = before

    token = str(uuid.uuid4()) if p["rotate_now"] else None
    if config_changed and not module.check_mode:
        params = {
            "SecretId": name,
            "RotationRules": rules,
            "RotateImmediately": p["rotate_now"] or p["rotate_immediately"],
        }
        if after["lambda_arn"]:  # none for a secret its owning service rotates (RDS's managed master secret)
            params["RotationLambdaARN"] = after["lambda_arn"]
        if token:
            params["ClientRequestToken"] = token
        sm.call(client, "rotate_secret", f"configure the rotation of secret {name}", **params)

    version_id = previous
    if p["rotate_now"]:
        version_id = None
        if not module.check_mode:
            if not config_changed:
                sm.call(
                    client,
                    "rotate_secret",
                    f"start the rotation of secret {name}",
                    SecretId=name,
                    ClientRequestToken=token,
                )
            progress = sm.wait_for_rotation(
                client, name, previous, p["wait_timeout"], poll_interval=POLL_INTERVAL, token=token
            )
            version_id = progress["current"]

    result = {
        "changed": bool(pending_cleared or config_changed or p["rotate_now"]),
        "name": name,
        "arn": description.get("ARN"),
        "rotation": after,
        "pending_version": pending,
        "pending_cleared": pending_cleared,
        "rotated": bool(p["rotate_now"]),
        "previous_version_id": previous,
        "version_id": version_id,
    }
    if module._diff:
        result["diff"] = {"before": before, "after": after}
    return result


def ensure_absent(module, client):
    name = module.params["name"]
    description = existing_secret(module, client)
    if description is None:
        return {"changed": False, "name": name, "msg": f"Secret {name} does not exist; it has no rotation"}

    before = rotation.current_config(description)
    previous = rotation.version_with(description, rotation.CURRENT_STAGE)
    pending_cleared = repair(module, client, description)
    after = dict(before, enabled=False)
    if before["enabled"] and not module.check_mode:
        sm.call(client, "cancel_rotate_secret", f"disable the rotation of secret {name}", SecretId=name)

    result = {
        "changed": bool(pending_cleared or before["enabled"]),
        "name": name,
        "arn": description.get("ARN"),
        "rotation": after,
        "pending_version": rotation.stuck_pending(description),
        "pending_cleared": pending_cleared,
        "rotated": False,
        "previous_version_id": previous,
        "version_id": previous,
    }
    if module._diff:
        result["diff"] = {"before": before, "after": after}
    return result


def main():
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["secret_id"]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        rotation_lambda=dict(type="str", aliases=["rotation_lambda_arn"]),
        automatically_after_days=dict(type="int"),
        rotation_days=dict(type="int"),
        schedule_expression=dict(type="str"),
        duration=dict(type="str"),
        rotate_immediately=dict(type="bool", default=False),
        rotate_now=dict(type="bool", default=False),
        repair_pending=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=300),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[["automatically_after_days", "rotation_days", "schedule_expression"]],
        supports_check_mode=True,
    )
    if module.params["rotate_now"] and module.params["state"] == "absent":
        module.fail_json(msg="rotate_now=true needs state=present")
    if module.params["wait_timeout"] < 1:
        module.fail_json(msg="wait_timeout must be at least 1 second")

    run(module, "secretsmanager", ensure_present if module.params["state"] == "present" else ensure_absent)


if __name__ == "__main__":
    main()
