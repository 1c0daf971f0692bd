# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""KMS service layer of the payments.auroradb modules (and of verify.py).

* AWS calls: ``client`` comes from ``module.client("kms", retry_decorator=AWSRetry.jittered_backoff())``, every call
  passes ``aws_retry=True``, ListAliases is paginated and retried as a whole; errors are raised as
  :class:`~.errors.AuroraDbError`; "not found" is ``None``. ``find_alias`` is the one alias lookup,
  ``describe_key`` the one key describe (``key_id`` is built on it).
* Pure helpers: ``alias_name`` (the ``alias/`` prefix), ``key_ref`` / ``keys_match`` (compare two key references
  without a call when the references decide it).
"""

from __future__ import annotations

import json
import re
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries

from ansible_collections.payments.auroradb.plugins.module_utils.errors import error_handler

KMSErrorHandler = error_handler("KMS", ["NotFoundException"])

_KEY_ARN = re.compile(r"^arn:[^:]+:kms:[^:]*:[^:]*:key/(?P<id>.+)$")
_ALIAS_ARN = re.compile(r"^arn:[^:]+:kms:[^:]*:[^:]*:(?P<alias>alias/.+)$")
AWS_MANAGED_SECRETS_KEY = "alias/aws/secretsmanager"


# -- Pure helpers -----------------------------------------------------------------------------------------------


def alias_name(name: str) -> str:
    """``payment-db-dev`` -> ``alias/payment-db-dev``; a name with the prefix stays as it is."""
    return name if name.startswith("alias/") else f"alias/{name}"


def key_ref(value: str | None) -> tuple[str, str] | None:
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


def keys_match(desired: str | None, current: str | None, default_alias: str = AWS_MANAGED_SECRETS_KEY) -> bool | None:
    """``True``/``False`` when the references decide it, ``None`` when an alias must be resolved first.

    A resource encrypted with the AWS managed key reports no key; ``default_alias`` names that key.
    """
    want, have = key_ref(desired), key_ref(current)
    if have is None:
        return want in (None, ("alias", default_alias))
    if want == have:
        return True
    if want[0] == "key" and have[0] == "key":
        return False
    return None


# -- AWS calls --------------------------------------------------------------------------------------------------


@KMSErrorHandler.list_error_handler("list the KMS aliases to find {name}", None)
def find_alias(client, name: str) -> dict[str, Any] | None:
    """The ListAliases entry of ``name`` (with or without ``alias/``), or None."""
    wanted = alias_name(name)
    aliases = paginated_query_with_retries(client, "list_aliases")["Aliases"]
    return next((alias for alias in aliases if alias["AliasName"] == wanted), None)


@KMSErrorHandler.list_error_handler("find KMS key {key}", None)
def describe_key(client, key: str) -> dict[str, Any] | None:
    """The KeyMetadata of a key ID, key ARN, alias name or alias ARN; None when there is no such key."""
    return client.describe_key(KeyId=key, aws_retry=True)["KeyMetadata"]


def key_id(client, key: str) -> str | None:
    """The key ID behind a key ID, key ARN, alias name or alias ARN; None when there is no such key."""
    metadata = describe_key(client, key)
    return metadata["KeyId"] if metadata else None


@KMSErrorHandler.list_error_handler("read the rotation status of KMS key {key}", None)
def rotation_enabled(client, key: str) -> bool | None:
    """Whether automatic rotation of the key is on; None when there is no such key."""
    return client.get_key_rotation_status(KeyId=key, aws_retry=True).get("KeyRotationEnabled")


@KMSErrorHandler.list_error_handler("read the key policy of KMS key {key}", None)
def key_policy(client, key: str) -> dict[str, Any] | None:
    """The key's policy (the ``default`` policy, the only one a key has) as a dict; None when there is no such key."""
    return json.loads(client.get_key_policy(KeyId=key, PolicyName="default", aws_retry=True)["Policy"])


@KMSErrorHandler.common_error_handler("point {name} at {target_key_id}")
def point_alias(client, name: str, target_key_id: str, exists: bool) -> None:
    """CreateAlias, or UpdateAlias when the alias ``exists`` already."""
    if exists:
        client.update_alias(AliasName=alias_name(name), TargetKeyId=target_key_id, aws_retry=True)
    else:
        client.create_alias(AliasName=alias_name(name), TargetKeyId=target_key_id, aws_retry=True)


@KMSErrorHandler.deletion_error_handler("delete {name}")
def delete_alias(client, name: str) -> bool:
    """True when deleted, False when it was already gone."""
    client.delete_alias(AliasName=alias_name(name), aws_retry=True)
    return True


@KMSErrorHandler.list_error_handler("read the tags of KMS key {key}", None)
def key_tags(client, key: str) -> dict[str, str] | None:
    """The key's tags as a dict; None when there is no such key."""
    answer = paginated_query_with_retries(client, "list_resource_tags", KeyId=key)
    return {tag["TagKey"]: tag["TagValue"] for tag in answer.get("Tags", [])}


@KMSErrorHandler.common_error_handler("list the KMS keys")
def _key_ids(client) -> list[str]:
    return [key["KeyId"] for key in paginated_query_with_retries(client, "list_keys")["Keys"]]


@KMSErrorHandler.common_error_handler("list the KMS aliases")
def _aliased_key_ids(client) -> set[str]:
    return {
        a["TargetKeyId"]
        for a in paginated_query_with_retries(client, "list_aliases")["Aliases"]
        if a.get("TargetKeyId")
    }


def orphan_keys(client, tags: dict[str, str], description: str) -> list[dict[str, Any]]:
    """Enabled customer managed keys without an alias, with this description and at least these tags, oldest first.

    What a run interrupted between CreateKey (tags are set in that call) and CreateAlias leaves behind. One
    DescribeKey (and ListResourceTags for the keys that qualify) per key without an alias: meant for the rare case
    where the alias is missing, not for every run.
    """
    aliased = _aliased_key_ids(client)
    found = []
    for key in _key_ids(client):
        if key in aliased:
            continue
        metadata = describe_key(client, key)
        if not metadata or metadata.get("KeyManager") != "CUSTOMER" or metadata.get("KeyState") != "Enabled":
            continue
        if metadata.get("Description", "") != description:
            continue
        have = key_tags(client, key) or {}
        if all(have.get(name) == value for name, value in tags.items()):
            found.append(metadata)
    return sorted(found, key=lambda metadata: str(metadata.get("CreationDate", "")))
