# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Secrets Manager helpers shared by the payments.auroradb modules.

Two halves:

* pure functions that decide what to write (no AWS, unit tested): the first value of a credentials
  secret, what a re-run may change in it (never the password), KMS key comparison, the non-secret view
  used for diffs;
* the service layer: ``client`` comes from ``module.client("secretsmanager",
  retry_decorator=AWSRetry.jittered_backoff())`` and every call passes ``aws_retry=True``; errors are raised as
  :class:`~.errors.AuroraDbError` (the module catches them once, in ``main()``); a missing secret is ``None``.
  Describe, read the current value, create with a retry while a forced deletion of the same name finishes; for
  rotation, take a stage off a version and wait for an on-demand rotation to finish (the rotation decisions
  themselves live in ``rotation.py``).

Nothing here returns, logs or formats a password; every password read or generated is handed to ``hide`` (the
caller passes ``module.no_log_values.add``) so Ansible masks it should it ever reach output.
"""

from __future__ import annotations

import json
import time

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.payments.auroradb.plugins.module_utils import rotation
from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError, error_handler

SecretsManagerErrorHandler = error_handler("SecretsManager", ["ResourceNotFoundException"])

# Keys of the credentials JSON that only the module (create) and the rotation function may write.
CREDENTIAL_KEYS = ("username", "password")
CURRENT_STAGE = "AWSCURRENT"


class SecretValueError(AuroraDbError):
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


@SecretsManagerErrorHandler.common_error_handler("{description}")
def call(client, operation, description, **params):
    """``client.<operation>(aws_retry=True, **params)``; an AWS error is raised as "Failed to <description>"."""
    return getattr(client, operation)(aws_retry=True, **params)


@SecretsManagerErrorHandler.list_error_handler("describe secret {secret_id}", None)
def describe_secret(client, secret_id):
    """DescribeSecret, or ``None`` when the secret does not exist (a secret pending deletion does exist)."""
    return client.describe_secret(aws_retry=True, SecretId=secret_id)


def get_current_value(client, secret_id, hide):
    """The AWSCURRENT value parsed as a credentials dict; its password is handed to ``hide`` first."""
    try:
        answer = client.get_secret_value(aws_retry=True, SecretId=secret_id, VersionStage=CURRENT_STAGE)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        msg = f"Failed to read the current value of secret {secret_id}"
        if is_kms_error(e):
            msg += (
                ". Its KMS key cannot decrypt it: a teardown with recovery windows leaves the secret and its key"
                " pending deletion, and a re-deploy creates a new key. Cancel the old key's deletion and enable"
                " it, or delete the secret for good (recovery_window_days=0) and deploy again"
            )
        raise AuroraDbError(msg, exception=e) from e
    value = parse_value(secret_id, answer.get("SecretString"))
    if isinstance(value.get("password"), str) and value["password"]:
        hide(value["password"])
    return value


def is_kms_error(error):
    """Whether a Secrets Manager error is about the KMS key (disabled, pending deletion, no access)."""
    response = getattr(error, "response", None) or {}
    code = response.get("Error", {}).get("Code", "")
    message = response.get("Error", {}).get("Message", "")
    return code in ("DecryptionFailure", "EncryptionFailure") or code.startswith("KMS") or "KMS" in message


def random_password(client, length, exclude_punctuation, hide):
    """A new password from GetRandomPassword, handed to ``hide`` before it is returned."""
    answer = call(
        client,
        "get_random_password",
        "generate a password",
        PasswordLength=length,
        ExcludePunctuation=exclude_punctuation,
    )
    hide(answer["RandomPassword"])
    return answer["RandomPassword"]


@SecretsManagerErrorHandler.common_error_handler("create secret {params[Name]}")
def create_secret(client, params, attempts=12, delay=5):
    """CreateSecret; waits while AWS still finishes a forced deletion of a secret with the same name."""
    for attempt in range(attempts):
        try:
            return client.create_secret(aws_retry=True, **params)
        except is_boto3_error_code("InvalidRequestException") as e:
            if "scheduled for deletion" not in str(e) or attempt == attempts - 1:
                raise
            time.sleep(delay)


@SecretsManagerErrorHandler.deletion_error_handler("remove the resource policy of secret {secret_id}")
def delete_resource_policy(client, secret_id):
    """DeleteResourcePolicy; False when the secret does not exist."""
    client.delete_resource_policy(aws_retry=True, SecretId=secret_id)
    return True


# ---------------------------------------------------------------------------------------------------------------
# Rotation (payments.auroradb.secret_rotation; the decisions live in module_utils/rotation.py)
# ---------------------------------------------------------------------------------------------------------------


def remove_version_stage(client, secret_id, stage, version_id):
    """UpdateSecretVersionStage that takes ``stage`` off ``version_id`` (moves it nowhere)."""
    return call(
        client,
        "update_secret_version_stage",
        f"remove stage {stage} from version {version_id} of secret {secret_id}",
        SecretId=secret_id,
        VersionStage=stage,
        RemoveFromVersionId=version_id,
    )


def wait_for_rotation(client, secret_id, previous_current, timeout, poll_interval=2, token=None):
    """Poll DescribeSecret until the rotation started on ``secret_id`` has finished; raise on timeout.

    Finished means AWSCURRENT has moved away from ``previous_current`` and no other version carries AWSPENDING
    (see ``rotation.rotation_progress``). Returns the last progress (``done``, ``current``, ``pending``). The
    timeout error carries ``previous_version_id``, ``version_id`` and ``pending_version`` for the result.
    """
    deadline = time.monotonic() + timeout
    while True:
        description = describe_secret(client, secret_id)
        if description is None:
            raise AuroraDbError(f"Secret {secret_id} disappeared while waiting for its rotation")
        progress = rotation.rotation_progress(description, previous_current)
        if progress["done"]:
            return progress
        if time.monotonic() >= deadline:
            raise AuroraDbError(
                rotation.rotation_timeout_message(secret_id, previous_current, progress, timeout, token),
                previous_version_id=previous_current,
                version_id=progress["current"],
                pending_version=progress["pending"],
            )
        time.sleep(max(0.0, min(poll_interval, deadline - time.monotonic())))
