# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""payments.auroradb.run_lock decisions with a stubbed SSM client: what is sent in each case, no AWS."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.stub import ANY

from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError
from ansible_collections.payments.auroradb.plugins.modules import run_lock as mod

NAME = "/payments-auroradb/dev/lock"
NOW = datetime(2026, 12, 1, 8, 0, 0, tzinfo=UTC)
OTHER = {
    "holder": "ci@runner-7",
    "started": "2026-12-01T07:30:00Z",
    "playbook": "teardown.yml",
    "run_id": "theirs",
    "expiry_minutes": 120,
    "expires": "2026-12-01T09:30:00Z",
}
STALE = {**OTHER, "started": "2026-12-01T05:00:00Z", "expires": "2026-12-01T07:00:00Z"}


class FakeModule:
    def __init__(self, check_mode=False, **params):
        self.check_mode = check_mode
        self.warnings = []
        self.params = {
            "name": NAME,
            "state": "acquired",
            "run_id": "ours",
            "holder": "alice@laptop",
            "playbook": "site.yml",
            "expiry_minutes": 120,
            "break_lock": "false",
            "tags": {"environment": "dev"},
            **params,
        }

    def warn(self, message):
        self.warnings.append(message)


def reads(stub, lock=None, raw=None, modified=NOW):
    if lock is None and raw is None:
        stub.add_client_error("get_parameter", "ParameterNotFound", http_status_code=400)
        return
    value = raw if raw is not None else json.dumps(lock)
    parameter = {"Name": NAME, "Value": value, "Type": "String", "Version": 1, "LastModifiedDate": modified}
    stub.add_response("get_parameter", {"Parameter": parameter}, {"Name": NAME})


def creates(stub, value=ANY):
    expected = {
        "Name": NAME,
        "Value": value,
        "Description": mod.DESCRIPTION,
        "Type": "String",
        "Overwrite": False,
        "Tags": [{"Key": "environment", "Value": "dev"}],
    }
    stub.add_response("put_parameter", {"Version": 1}, expected)


def test_a_free_lock_is_created_atomically_with_who_when_what_and_expiry(aws):
    client, stub = aws("ssm")
    value = mod.lock_value(FakeModule().params, NOW)
    reads(stub)
    creates(stub, json.dumps(value, sort_keys=True))
    result = mod.acquire(FakeModule(), client, NOW)
    assert result["changed"] and result["ours"] and not result["held"] and not result["broken"]
    assert value == {
        "holder": "alice@laptop",
        "started": "2026-12-01T08:00:00Z",
        "playbook": "site.yml",
        "run_id": "ours",
        "expiry_minutes": 120,
        "expires": "2026-12-01T10:00:00Z",
    }


def test_the_holder_defaults_to_user_at_host():
    assert "@" in mod.lock_value(FakeModule(holder="").params, NOW)["holder"]


def test_a_held_lock_fails_naming_holder_start_playbook_and_how_to_break_it(aws):
    client, stub = aws("ssm")
    reads(stub, OTHER)  # the only call: nothing is written
    with pytest.raises(AuroraDbError) as error:
        mod.acquire(FakeModule(), client, NOW)
    message = str(error.value)
    for part in ("ci@runner-7", "2026-12-01T07:30:00Z", "teardown.yml", "theirs", "auroradb_break_lock=true", "force"):
        assert part in message
    assert error.value.kwargs["held"] and not error.value.kwargs["ours"]


def test_our_own_lock_is_kept_without_a_write(aws):
    client, stub = aws("ssm")
    reads(stub, {**OTHER, "run_id": "ours"})
    result = mod.acquire(FakeModule(), client, NOW)
    assert result["ours"] and not result["changed"]


def test_break_true_refuses_a_lock_younger_than_its_expiry(aws):
    client, stub = aws("ssm")
    reads(stub, OTHER)
    with pytest.raises(AuroraDbError, match="has not expired yet.*auroradb_break_lock=force"):
        mod.acquire(FakeModule(break_lock="true"), client, NOW)


def test_break_true_breaks_an_expired_lock_and_takes_it(aws):
    client, stub = aws("ssm")
    reads(stub, STALE)
    stub.add_response("delete_parameter", {}, {"Name": NAME})
    creates(stub)
    module = FakeModule(break_lock="true")
    result = mod.acquire(module, client, NOW)
    assert result["changed"] and result["broken"] and result["ours"]
    assert result["lock"]["run_id"] == "theirs" and "Breaking" in module.warnings[0]


def test_force_breaks_a_young_lock(aws):
    client, stub = aws("ssm")
    reads(stub, OTHER)
    stub.add_response("delete_parameter", {}, {"Name": NAME})
    creates(stub)
    assert mod.acquire(FakeModule(break_lock="force"), client, NOW)["broken"]


def test_a_lock_of_unknown_format_expires_after_its_last_change(aws):
    client, stub = aws("ssm")
    reads(stub, raw="someone's note", modified=NOW - timedelta(minutes=121))
    stub.add_response("delete_parameter", {}, {"Name": NAME})
    creates(stub)
    assert mod.acquire(FakeModule(break_lock="true"), client, NOW)["broken"]
    client, stub = aws("ssm")
    reads(stub, raw="someone's note", modified=NOW - timedelta(minutes=5))
    with pytest.raises(AuroraDbError, match="not a payments.auroradb lock"):
        mod.acquire(FakeModule(), client, NOW)


def test_losing_the_race_between_read_and_create_fails_naming_the_winner(aws):
    client, stub = aws("ssm")
    reads(stub)
    stub.add_client_error("put_parameter", "ParameterAlreadyExists", http_status_code=400)
    reads(stub, OTHER)
    with pytest.raises(AuroraDbError, match="ci@runner-7"):
        mod.acquire(FakeModule(), client, NOW)


@pytest.mark.parametrize(("lock", "free"), [(None, True), (OTHER, False), (STALE, False)])
def test_check_mode_reports_whether_the_lock_is_free_and_never_writes(aws, lock, free):
    client, stub = aws("ssm")
    reads(stub, lock)  # the only call
    module = FakeModule(check_mode=True)
    result = mod.acquire(module, client, NOW)
    assert result["ours"] is free and result["held"] is not free and result["changed"] is free
    assert bool(module.warnings) is not free


def test_check_mode_with_a_break_reports_it_without_deleting(aws):
    client, stub = aws("ssm")
    reads(stub, STALE)
    result = mod.acquire(FakeModule(check_mode=True, break_lock="true"), client, NOW)
    assert result["broken"] and result["changed"]


def test_release_deletes_only_our_lock(aws):
    client, stub = aws("ssm")
    reads(stub, {**OTHER, "run_id": "ours"})
    stub.add_response("delete_parameter", {}, {"Name": NAME})
    assert mod.release(FakeModule(state="released"), client, NOW)["changed"]


@pytest.mark.parametrize("lock", [None, OTHER])
def test_release_leaves_a_free_or_foreign_lock_alone(aws, lock):
    client, stub = aws("ssm")
    reads(stub, lock)  # the only call
    module = FakeModule(state="released")
    result = mod.release(module, client, NOW)
    assert not result["changed"] and result["held"] is bool(lock) and bool(module.warnings) is bool(lock)


def test_release_of_a_lock_deleted_meanwhile_is_no_change(aws):
    client, stub = aws("ssm")
    reads(stub, {**OTHER, "run_id": "ours"})
    stub.add_client_error("delete_parameter", "ParameterNotFound", http_status_code=400)
    assert not mod.release(FakeModule(state="released"), client, NOW)["changed"]
