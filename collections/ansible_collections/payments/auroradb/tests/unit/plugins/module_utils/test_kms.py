# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The KMS service layer against botocore's Stubber (no network)."""

import pytest

from ansible_collections.payments.auroradb.plugins.module_utils import kms
from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"


def _alias(name, target=None):
    alias = {"AliasName": name, "AliasArn": f"arn:aws:kms:us-east-1:123456789012:{name}"}
    if target:
        alias["TargetKeyId"] = target
    return alias


def test_alias_name_adds_the_prefix_once():
    assert kms.alias_name("payment-db-dev") == "alias/payment-db-dev"
    assert kms.alias_name("alias/payment-db-dev") == "alias/payment-db-dev"


def test_find_alias_reads_every_page_and_retries(aws):
    client, stub = aws("kms")
    stub.add_client_error("list_aliases", "Throttling", http_status_code=400)
    stub.add_response("list_aliases", {"Aliases": [_alias("alias/aws/rds")], "Truncated": True, "NextMarker": "m"})
    stub.add_response("list_aliases", {"Aliases": [_alias("alias/payment-db-dev", KEY_ID)], "Truncated": False})
    assert kms.find_alias(client, "payment-db-dev")["TargetKeyId"] == KEY_ID


def test_missing_alias_is_none(aws):
    client, stub = aws("kms")
    stub.add_response("list_aliases", {"Aliases": [_alias("alias/aws/rds")]})
    assert kms.find_alias(client, "alias/payment-db-dev") is None


def test_missing_key_is_none_and_other_errors_raise(aws):
    client, stub = aws("kms")
    stub.add_client_error("describe_key", "NotFoundException", http_status_code=400)
    assert kms.key_id(client, "alias/nope") is None
    stub.add_client_error("describe_key", "AccessDeniedException", http_status_code=400)
    with pytest.raises(AuroraDbError, match="Failed to find KMS key alias/x"):
        kms.key_id(client, "alias/x")


def test_delete_alias_already_gone_is_no_change(aws):
    client, stub = aws("kms")
    stub.add_client_error("delete_alias", "NotFoundException", http_status_code=400)
    assert kms.delete_alias(client, "payment-db-dev") is False
    stub.add_response("delete_alias", {}, {"AliasName": "alias/payment-db-dev"})
    assert kms.delete_alias(client, "payment-db-dev") is True


def test_failure_reports_the_message_aws_answer_and_extra_keys(aws):
    from ansible_collections.payments.auroradb.plugins.module_utils.errors import failure

    client, stub = aws("kms")
    stub.add_client_error("describe_key", "AccessDeniedException", "no", http_status_code=400)
    with pytest.raises(AuroraDbError) as e:
        kms.key_id(client, "alias/x")
    reported = failure(e.value)
    assert reported["msg"].startswith("Failed to find KMS key alias/x: An error occurred (AccessDeniedException)")
    assert reported["error"]["code"] == "AccessDeniedException"
    assert failure(AuroraDbError("refused", pending_version="v2")) == {"msg": "refused", "pending_version": "v2"}


def test_describe_key_and_rotation_of_a_missing_key_are_none(aws):
    client, stub = aws("kms")
    stub.add_response("describe_key", {"KeyMetadata": {"KeyId": KEY_ID, "KeyState": "Enabled"}}, {"KeyId": KEY_ID})
    assert kms.describe_key(client, KEY_ID)["KeyState"] == "Enabled"
    stub.add_response("get_key_rotation_status", {"KeyRotationEnabled": False}, {"KeyId": KEY_ID})
    assert kms.rotation_enabled(client, KEY_ID) is False
    stub.add_client_error("get_key_rotation_status", "NotFoundException", http_status_code=400)
    assert kms.rotation_enabled(client, KEY_ID) is None
