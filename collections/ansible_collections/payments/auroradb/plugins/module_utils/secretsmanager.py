# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Secrets Manager helpers shared by the payments.auroradb modules.

Two halves:

* pure functions that decide what to write (no AWS, unit tested): the first value of a credentials
  secret, what a re-run may change in it (never the password), KMS key comparison, the non-secret view
  used for diffs;
* thin API helpers with one error path (``call``): describe, read the current value, create with a
  retry while a forced deletion of the same name finishes; for rotation, take a stage off a version and wait
  for an on-demand rotation to finish (the rotation decisions themselves live in ``rotation.py``).

Nothing here returns, logs or formats a password; callers register every password they see with
``module.no_log_values`` so Ansible masks it should it ever reach output.
"""

from __future__ import annotations

import json
import re
import time

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.payments.auroradb.plugins.module_utils import rotation

# Keys of the credentials JSON that only the module (create) and the rotation function may write.
CREDENTIAL_KEYS = ("username", "password")
CURRENT_STAGE = "AWSCURRENT"


class SecretValueError(Exception):
    """The current secret value cannot be handled without touching the credentials."""


class UsernameChangeRefused(SecretValueError):
    """The desired username differs from the one stored in the secret."""

    def __init__(self, name, current, desired):
        self.current = current
        self.desired = desired
        super().__init__(
            f"Secret {name} holds username {current!r}; refusing to change it to {desired!r}. The password and the"
            " database user belong together and the rotation function owns them: changing the username here would"
            " break the credentials. Keep the username, or create the user in the database and a new secret."
        )


# ---------------------------------------------------------------------------------------------------------------
# Decision logic (pure)
# ---------------------------------------------------------------------------------------------------------------


def clean_connection(connection):
    """Connection keys to merge into the secret: ``None`` values dropped; credential keys refused."""
    if not connection:
        return {}
    refused = sorted(k for k in connection if k in CREDENTIAL_KEYS)
    if refused:
        raise SecretValueError(
            f"connection must not contain {', '.join(refused)}: the username is set by the username option at"
            " creation and the password is generated once and then owned by rotation"
        )
    return {k: v for k, v in connection.items() if v is not None}


def initial_value(username, password, connection=None):
    """The JSON document of a new credentials secret (what CreateSecret stores)."""
    value = {"username": username, "password": password}
    value.update(clean_connection(connection))
    return value


def parse_value(name, secret_string):
    """Parse SecretString into a credentials dict, or explain why it is not one."""
    if secret_string is None:
        raise SecretValueError(f"Secret {name} has no string value in stage {CURRENT_STAGE}")
    try:
        value = json.loads(secret_string)
    except ValueError:
        raise SecretValueError(f"Secret {name} does not hold a JSON document") from None
    if not isinstance(value, dict):
        raise SecretValueError(f"Secret {name} does not hold a JSON object")
    return value


def plan_value(name, current, username, connection=None):
    """What a re-run writes into an existing secret.

    Returns ``(new_value, changed_keys)``; ``new_value`` is ``None`` when nothing needs writing. The new value
    is the current one (password and every other key untouched, e.g. after a rotation) with the connection keys
    merged in; keys absent from ``connection`` are kept. Raises ``UsernameChangeRefused`` when ``username``
    differs from the stored one and ``SecretValueError`` when the value is not a credentials document.
    """
    if not isinstance(current, dict):
        raise SecretValueError(f"Secret {name} does not hold a JSON object")
    if "password" not in current:
        raise SecretValueError(
            f"Secret {name} holds no password; this module only generates a password when it creates a secret"
            " and never writes one into an existing secret. Fix or delete the secret by hand."
        )
    if "username" not in current:
        raise SecretValueError(f"Secret {name} holds no username; fix or delete the secret by hand.")
    if current["username"] != username:
        raise UsernameChangeRefused(name, current["username"], username)
    wanted = clean_connection(connection)
    changed_keys = sorted(k for k, v in wanted.items() if k not in current or current[k] != v)
    if not changed_keys:
        return None, []
    new_value = dict(current)
    new_value.update(wanted)
    return new_value, changed_keys


def public_view(value):
    """The secret value without the password: safe for diffs and results."""
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if k != "password"}


_KEY_ARN = re.compile(r"^arn:[^:]+:kms:[^:]*:[^:]*:key/(?P<id>.+)$")
_ALIAS_ARN = re.compile(r"^arn:[^:]+:kms:[^:]*:[^:]*:(?P<alias>alias/.+)$")


def kms_key_ref(value):
    """Reduce a KMS key reference to ``("key", id)`` or ``("alias", "alias/name")``; ``None`` for no key."""
    if not value:
        return None
    match = _KEY_ARN.match(value)
    if match:
        return ("key", match.group("id"))
    match = _ALIAS_ARN.match(value)
    if match:
        return ("alias", match.group("alias"))
    if value.startswith("alias/"):
        return ("alias", value)
    return ("key", value)


def kms_keys_match(desired, current):
    """``True``/``False`` when the references decide it, ``None`` when an alias must be resolved first.

    A secret encrypted with the AWS managed key reports no ``KmsKeyId``; ``alias/aws/secretsmanager`` means it.
    """
    want, have = kms_key_ref(desired), kms_key_ref(current)
    managed = ("alias", "alias/aws/secretsmanager")
    if have is None:
        return want in (None, managed)
    if want == have:
        return True
    if want[0] == "key" and have[0] == "key":
        return False
    return None


def current_version_id(description):
    """Version ID carrying the AWSCURRENT stage in a DescribeSecret answer."""
    for version_id, stages in (description.get("VersionIdsToStages") or {}).items():
        if CURRENT_STAGE in stages:
            return version_id
    return None


def tags_of(description):
    return boto3_tag_list_to_ansible_dict(description.get("Tags") or [])


def metadata_view(description):
    """Non-secret attributes of a DescribeSecret answer, in the module's return/diff shape."""
    if not description:
        return {}
    return {
        "arn": description.get("ARN"),
        "name": description.get("Name"),
        "description": description.get("Description"),
        "kms_key_id": description.get("KmsKeyId"),
        "tags": tags_of(description),
        "version_id": current_version_id(description),
        "scheduled_for_deletion": bool(description.get("DeletedDate")),
    }


# ---------------------------------------------------------------------------------------------------------------
# API helpers (one error path)
# ---------------------------------------------------------------------------------------------------------------


def call(module, client, operation, msg, **params):
    """Call ``client.<operation>(aws_retry=True, **params)``; any AWS error fails the module with ``msg``."""
    try:
        return getattr(client, operation)(aws_retry=True, **params)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=msg)


def describe_secret(module, client, secret_id):
    """DescribeSecret, or ``None`` when the secret does not exist (a secret pending deletion does exist)."""
    try:
        return client.describe_secret(aws_retry=True, SecretId=secret_id)
    except is_boto3_error_code("ResourceNotFoundException"):
        return None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to describe secret {secret_id}")


def get_current_value(module, client, secret_id):
    """The AWSCURRENT value parsed as a credentials dict; its password is registered as a no_log value."""
    msg = f"Failed to read the current value of secret {secret_id}"
    try:
        answer = client.get_secret_value(aws_retry=True, SecretId=secret_id, VersionStage=CURRENT_STAGE)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        if is_kms_error(e):
            msg += (
                ". Its KMS key cannot decrypt it: a teardown with recovery windows leaves the secret and its key"
                " pending deletion, and a re-deploy creates a new key. Cancel the old key's deletion and enable"
                " it, or delete the secret for good (recovery_window_days=0) and deploy again"
            )
        module.fail_json_aws(e, msg=msg)
    try:
        value = parse_value(secret_id, answer.get("SecretString"))
    except SecretValueError as e:
        module.fail_json(msg=str(e))
    if isinstance(value.get("password"), str) and value["password"]:
        module.no_log_values.add(value["password"])
    return value


def is_kms_error(error):
    """Whether a Secrets Manager error is about the KMS key (disabled, pending deletion, no access)."""
    response = getattr(error, "response", None) or {}
    code = response.get("Error", {}).get("Code", "")
    message = response.get("Error", {}).get("Message", "")
    return code in ("DecryptionFailure", "EncryptionFailure") or code.startswith("KMS") or "KMS" in message


def random_password(module, client, length, exclude_punctuation):
    """A new password from GetRandomPassword, registered as a no_log value."""
    answer = call(
        module,
        client,
        "get_random_password",
        "Failed to generate a password",
        PasswordLength=length,
        ExcludePunctuation=exclude_punctuation,
    )
    password = answer["RandomPassword"]
    module.no_log_values.add(password)
    return password


def create_secret(module, client, params, attempts=12, delay=5):
    """CreateSecret; waits while AWS still finishes a forced deletion of a secret with the same name."""
    for attempt in range(attempts):
        try:
            return client.create_secret(aws_retry=True, **params)
        except is_boto3_error_code("InvalidRequestException") as e:
            if "scheduled for deletion" not in str(e) or attempt == attempts - 1:
                module.fail_json_aws(e, msg=f"Failed to create secret {params['Name']}")
            time.sleep(delay)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            module.fail_json_aws(e, msg=f"Failed to create secret {params['Name']}")


def delete_resource_policy(module, client, secret_id):
    """DeleteResourcePolicy; succeeds when the secret has no policy."""
    try:
        client.delete_resource_policy(aws_retry=True, SecretId=secret_id)
    except is_boto3_error_code("ResourceNotFoundException"):
        return
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to remove the resource policy of secret {secret_id}")


# ---------------------------------------------------------------------------------------------------------------
# Rotation (payments.auroradb.secret_rotation; the decisions live in module_utils/rotation.py)
# ---------------------------------------------------------------------------------------------------------------


def remove_version_stage(module, client, secret_id, stage, version_id):
    """UpdateSecretVersionStage that takes ``stage`` off ``version_id`` (moves it nowhere)."""
    return call(
        module,
        client,
        "update_secret_version_stage",
        f"Failed to remove stage {stage} from version {version_id} of secret {secret_id}",
        SecretId=secret_id,
        VersionStage=stage,
        RemoveFromVersionId=version_id,
    )


def wait_for_rotation(module, client, secret_id, previous_current, timeout, poll_interval=2, token=None):
    """Poll DescribeSecret until the rotation started on ``secret_id`` has finished; fail the module on timeout.

    Finished means AWSCURRENT has moved away from ``previous_current`` and no other version carries AWSPENDING
    (see ``rotation.rotation_progress``). Returns the last progress (``done``, ``current``, ``pending``).
    """
    deadline = time.monotonic() + timeout
    while True:
        description = describe_secret(module, client, secret_id)
        if description is None:
            module.fail_json(msg=f"Secret {secret_id} disappeared while waiting for its rotation")
        progress = rotation.rotation_progress(description, previous_current)
        if progress["done"]:
            return progress
        if time.monotonic() >= deadline:
            module.fail_json(
                msg=rotation.rotation_timeout_message(secret_id, previous_current, progress, timeout, token),
                previous_version_id=previous_current,
                version_id=progress["current"],
                pending_version=progress["pending"],
            )
        time.sleep(max(0.0, min(poll_interval, deadline - time.monotonic())))
