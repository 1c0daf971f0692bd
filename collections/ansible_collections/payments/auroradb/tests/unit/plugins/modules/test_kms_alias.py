# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""payments.auroradb.kms_alias decisions with a stubbed KMS client: what is sent in each case, no AWS."""

import pytest

from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError
from ansible_collections.payments.auroradb.plugins.modules import kms_alias as mod

NAME = "alias/payment-db-dev"
KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER = "99999999-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:us-east-1:123456789012:key/{KEY}"


class FakeModule:
    def __init__(self, check_mode=False, **params):
        self.check_mode = check_mode
        self.params = {"name": NAME, "target_key_id": KEY_ARN, "state": "present", **params}


def describes(stub, key_id=KEY):
    stub.add_response("describe_key", {"KeyMetadata": {"KeyId": key_id}}, {"KeyId": KEY_ARN})


def test_creates_a_missing_alias_with_the_key_id(aws):
    client, stub = aws("kms")
    describes(stub)
    stub.add_response("create_alias", {}, {"AliasName": NAME, "TargetKeyId": KEY})
    changed, alias = mod.ensure_present(FakeModule(), client, NAME, None)
    assert changed and alias == {"AliasName": NAME, "TargetKeyId": KEY}
    assert mod.view(alias) == {"alias_name": NAME, "target_key_id": KEY}


def test_points_an_alias_at_another_key_with_update(aws):
    client, stub = aws("kms")
    describes(stub)
    stub.add_response("update_alias", {}, {"AliasName": NAME, "TargetKeyId": KEY})
    changed, _alias = mod.ensure_present(FakeModule(), client, NAME, {"AliasName": NAME, "TargetKeyId": OTHER})
    assert changed


@pytest.mark.parametrize("check_mode", [False, True])
def test_alias_already_on_the_key_sends_nothing(aws, check_mode):
    client, stub = aws("kms")
    describes(stub)  # the only call: the stubber fails on anything else
    current = {"AliasName": NAME, "TargetKeyId": KEY}
    assert mod.ensure_present(FakeModule(check_mode=check_mode), client, NAME, current) == (False, current)


def test_check_mode_reports_the_change_without_sending_it(aws):
    client, stub = aws("kms")
    describes(stub)
    changed, alias = mod.ensure_present(FakeModule(check_mode=True), client, NAME, None)
    assert changed and alias["TargetKeyId"] == KEY


def test_unknown_key_is_refused_before_any_write(aws):
    client, stub = aws("kms")
    stub.add_client_error("describe_key", "NotFoundException", http_status_code=400)
    with pytest.raises(AuroraDbError, match="does not exist"):
        mod.ensure_present(FakeModule(), client, NAME, None)


def test_absent_deletes_an_existing_alias(aws):
    client, stub = aws("kms")
    stub.add_response("delete_alias", {}, {"AliasName": NAME})
    assert mod.ensure_absent(FakeModule(state="absent"), client, NAME, {"AliasName": NAME}) == (True, None)


def test_absent_without_alias_or_in_check_mode_sends_nothing(aws):
    client, _stub = aws("kms")
    assert mod.ensure_absent(FakeModule(state="absent"), client, NAME, None) == (False, None)
    module = FakeModule(state="absent", check_mode=True)
    assert mod.ensure_absent(module, client, NAME, {"AliasName": NAME}) == (True, None)


def test_alias_deleted_meanwhile_is_no_change(aws):
    client, stub = aws("kms")
    stub.add_client_error("delete_alias", "NotFoundException", http_status_code=400)
    assert mod.ensure_absent(FakeModule(state="absent"), client, NAME, {"AliasName": NAME}) == (False, None)


# -- adopt_key: the key an interrupted run created (tagged) but did not alias ------------------------------------

TAGS = {"environment": "dev", "project": "payments"}
DESCRIPTION = "KMS key for Aurora cluster encryption - dev"


class AdoptModule(FakeModule):
    def __init__(self, check_mode=False):
        super().__init__(
            check_mode=check_mode, target_key_id=None, adopt_key={"description": DESCRIPTION, "tags": TAGS}
        )
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)


def lists(stub, keys, aliased=()):
    stub.add_response("list_aliases", {"Aliases": [{"AliasName": f"alias/{k}", "TargetKeyId": k} for k in aliased]})
    stub.add_response("list_keys", {"Keys": [{"KeyId": k, "KeyArn": f"arn:aws:kms:us-east-1:1:key/{k}"} for k in keys]})


def key(stub, key_id, created, description=DESCRIPTION, state="Enabled", manager="CUSTOMER", tags="ours"):
    tags = TAGS if tags == "ours" else tags
    metadata = {"KeyId": key_id, "KeyState": state, "KeyManager": manager, "Description": description}
    stub.add_response("describe_key", {"KeyMetadata": {**metadata, "CreationDate": created}}, {"KeyId": key_id})
    if tags is not None:
        tag_list = [{"TagKey": k, "TagValue": v} for k, v in tags.items()]
        stub.add_response("list_resource_tags", {"Tags": tag_list, "Truncated": False}, {"KeyId": key_id})


def test_adopt_points_the_missing_alias_at_the_oldest_matching_key_and_warns_of_the_others(aws):
    client, stub = aws("kms")
    lists(stub, [KEY, OTHER, "aliased-key", "wrong-desc", "pending"], aliased=["aliased-key"])
    key(stub, KEY, "2026-12-01T10:00:00Z")
    key(stub, OTHER, "2026-12-01T09:00:00Z")
    key(stub, "wrong-desc", "2026-12-01T08:00:00Z", description="someone else's", tags=None)
    key(stub, "pending", "2026-12-01T08:00:00Z", state="PendingDeletion", tags=None)
    stub.add_response("create_alias", {}, {"AliasName": NAME, "TargetKeyId": OTHER})
    module = AdoptModule()
    assert mod.adopt(module, client, NAME, None) == (True, {"AliasName": NAME, "TargetKeyId": OTHER})
    assert len(module.warnings) == 1 and KEY in module.warnings[0]


def test_adopt_ignores_keys_missing_a_tag(aws):
    client, stub = aws("kms")
    lists(stub, [KEY])
    key(stub, KEY, "2026-12-01T10:00:00Z", tags={"environment": "dev"})
    assert mod.adopt(AdoptModule(), client, NAME, None) == (False, None)


def test_adopt_in_check_mode_reports_without_writing(aws):
    client, stub = aws("kms")
    lists(stub, [KEY])
    key(stub, KEY, "2026-12-01T10:00:00Z")
    assert mod.adopt(AdoptModule(check_mode=True), client, NAME, None) == (
        True,
        {"AliasName": NAME, "TargetKeyId": KEY},
    )


def test_adopt_with_the_alias_in_place_sends_nothing(aws):
    client, _stub = aws("kms")
    current = {"AliasName": NAME, "TargetKeyId": KEY}
    assert mod.adopt(AdoptModule(), client, NAME, current) == (False, current)
