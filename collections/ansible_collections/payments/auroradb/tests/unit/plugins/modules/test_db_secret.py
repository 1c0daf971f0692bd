# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decision logic of payments.auroradb.db_secret: what is written given the current secret, without AWS."""

from __future__ import annotations

import json

import pytest

from ansible_collections.payments.auroradb.plugins.module_utils import kms
from ansible_collections.payments.auroradb.plugins.module_utils import secretsmanager as sm
from ansible_collections.payments.auroradb.plugins.modules import db_secret

NAME = "payment-db-credentials-dev"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:us-east-1:123456789012:key/{KEY_ID}"
CONNECTION = {"engine": "postgres", "host": "db.example", "port": 5432, "dbClusterIdentifier": "payment-db-cluster-dev"}


def current(**extra):
    return {"username": "dbadmin", "password": "s3cretRotatedValue", **extra}


# --- first value ---------------------------------------------------------------------------------------------


def test_initial_value_holds_username_and_password_only():
    assert sm.initial_value("dbadmin", "pw") == {"username": "dbadmin", "password": "pw"}


def test_initial_value_merges_connection_after_the_credentials():
    value = sm.initial_value("dbadmin", "pw", CONNECTION)
    assert list(value)[:2] == ["username", "password"]
    assert value["host"] == "db.example" and value["port"] == 5432


@pytest.mark.parametrize("key", ["username", "password"])
def test_connection_may_not_carry_credentials(key):
    with pytest.raises(sm.SecretValueError, match=key):
        sm.clean_connection({key: "x", "host": "h"})


def test_connection_null_values_are_ignored():
    assert sm.clean_connection({"host": "h", "dbname": None}) == {"host": "h"}
    assert sm.clean_connection(None) == {}


# --- re-runs ---------------------------------------------------------------------------------------------------


def test_rerun_without_connection_writes_nothing():
    assert sm.plan_value(NAME, current(), "dbadmin") == (None, [])


def test_rerun_with_matching_connection_writes_nothing():
    assert sm.plan_value(NAME, current(**CONNECTION), "dbadmin", CONNECTION) == (None, [])


def test_connection_keys_are_merged_and_password_kept():
    cur = current()
    new, keys = sm.plan_value(NAME, cur, "dbadmin", CONNECTION)
    assert keys == sorted(CONNECTION)
    assert new["password"] == "s3cretRotatedValue"
    assert new["username"] == "dbadmin"
    assert {k: new[k] for k in CONNECTION} == CONNECTION
    assert cur == current(), "the current value must not be modified in place"


def test_only_differing_keys_are_reported_and_other_keys_kept():
    cur = current(host="old.example", port=5432, engine="postgres", extra="kept")
    new, keys = sm.plan_value(NAME, cur, "dbadmin", {"host": "new.example", "port": 5432})
    assert keys == ["host"]
    assert new == dict(cur, host="new.example")


def test_type_change_counts_as_a_difference():
    new, keys = sm.plan_value(NAME, current(port=5432), "dbadmin", {"port": "5432"})
    assert keys == ["port"] and new["port"] == "5432"


def test_rotated_password_survives_a_connection_update():
    rotated = current(password="RotatedByTheLambda", **CONNECTION)
    new, keys = sm.plan_value(NAME, rotated, "dbadmin", dict(CONNECTION, host="replaced.example"))
    assert keys == ["host"]
    assert new["password"] == "RotatedByTheLambda"


def test_password_never_written_whatever_the_inputs():
    cur = current(**CONNECTION)
    for connection in (None, {}, CONNECTION, {"host": "x"}, {"port": 1, "dbname": "payments"}):
        new = sm.plan_value(NAME, cur, "dbadmin", connection)[0]
        assert new is None or new["password"] == cur["password"]


def test_username_change_is_refused():
    with pytest.raises(sm.UsernameChangeRefused) as err:
        sm.plan_value(NAME, current(), "someoneelse", CONNECTION)
    assert err.value.current == "dbadmin" and err.value.desired == "someoneelse"
    assert "rotation" in str(err.value) and NAME in str(err.value)
    assert "s3cretRotatedValue" not in str(err.value)


@pytest.mark.parametrize("value", [{"username": "dbadmin"}, {"password": "x"}, ["not", "a", "dict"], "text"])
def test_values_that_are_not_credentials_fail_clearly(value):
    with pytest.raises(sm.SecretValueError):
        sm.plan_value(NAME, value, "dbadmin")


@pytest.mark.parametrize("raw", [None, "not json", json.dumps([1, 2])])
def test_parse_value_rejects_non_objects(raw):
    with pytest.raises(sm.SecretValueError):
        sm.parse_value(NAME, raw)


def test_parse_value_errors_never_echo_the_value():
    with pytest.raises(sm.SecretValueError) as err:
        sm.parse_value(NAME, "password=hunter2hunter2")
    assert "hunter2" not in str(err.value)


def test_public_view_drops_the_password():
    assert sm.public_view(current(host="h")) == {"username": "dbadmin", "host": "h"}
    assert sm.public_view(None) == {}


# --- KMS key and metadata --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "desired, reported, expected",
    [
        (KEY_ARN, KEY_ARN, True),
        (KEY_ARN, KEY_ID, True),
        (KEY_ID, KEY_ARN, True),
        (KEY_ARN, "arn:aws:kms:us-east-1:123456789012:key/other", False),
        (None, None, True),
        ("alias/aws/secretsmanager", None, True),
        (KEY_ARN, None, False),
        ("alias/payment-db-dev", "arn:aws:kms:us-east-1:123456789012:alias/payment-db-dev", True),
        ("alias/payment-db-dev", KEY_ARN, None),
        (KEY_ARN, "arn:aws:kms:us-east-1:123456789012:alias/payment-db-dev", None),
    ],
)
def test_kms_keys_match(desired, reported, expected):
    assert kms.keys_match(desired, reported) is expected


def test_current_version_id_and_metadata_view():
    described = {
        "ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf",
        "Name": "x",
        "KmsKeyId": KEY_ARN,
        "Tags": [{"Key": "environment", "Value": "dev"}],
        "VersionIdsToStages": {"v1": ["AWSPREVIOUS"], "v2": ["AWSCURRENT", "AWSPENDING"]},
    }
    assert sm.current_version_id(described) == "v2"
    view = sm.metadata_view(described)
    assert view["tags"] == {"environment": "dev"}
    assert view["version_id"] == "v2" and view["scheduled_for_deletion"] is False
    assert sm.metadata_view(dict(described, DeletedDate="2030-01-01"))["scheduled_for_deletion"] is True
    assert db_secret.returned(view) == {
        "arn": described["ARN"],
        "name": "x",
        "version_id": "v2",
        "kms_key_id": KEY_ARN,
        "tags": {"environment": "dev"},
    }


def test_kms_key_not_managed_when_omitted():
    assert db_secret.kms_key_changed(module=None, desired=None, current=KEY_ARN) is False
    assert db_secret.kms_key_changed(module=None, desired=KEY_ID, current=KEY_ARN) is False
    assert db_secret.kms_key_changed(module=None, desired=KEY_ARN, current=None) is True


@pytest.mark.parametrize(
    "code, message, expected",
    [
        ("DecryptionFailure", "Secrets Manager can't decrypt the protected secret text", True),
        ("InvalidRequestException", "Access to KMS is not allowed. The key is pending deletion.", True),
        ("KMSInvalidStateException", "arn:aws:kms:...:key/... is pending deletion.", True),
        ("ResourceNotFoundException", "Secrets Manager can't find the specified secret.", False),
    ],
)
def test_kms_errors_are_recognised(code, message, expected):
    from botocore.exceptions import ClientError

    error = ClientError({"Error": {"Code": code, "Message": message}}, "GetSecretValue")
    assert sm.is_kms_error(error) is expected


# --- resource_policy: compared as JSON, not as text --------------------------------------------------------------
DENY_DELETE = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "secretsmanager:DeleteSecret",
            "Resource": "*",
        }
    ],
}


def test_policy_formatting_key_order_and_single_item_lists_are_not_changes():
    # AWS may answer with other white space, other key order, or a lone statement without its list.
    answered = json.dumps(
        {
            "Statement": {
                "Resource": ["*"],
                "Action": ["secretsmanager:DeleteSecret"],
                "Principal": {"AWS": ["arn:aws:iam::123456789012:root"]},
                "Effect": "Deny",
            },
            "Version": "2012-10-17",
        },
        indent=4,
    )
    assert db_secret.policy_differs(answered, json.dumps(DENY_DELETE)) is False


def test_policy_differences_are_changes():
    allowed = json.loads(json.dumps(DENY_DELETE))
    allowed["Statement"][0]["Effect"] = "Allow"
    assert db_secret.policy_differs(allowed, DENY_DELETE) is True
    other_account = json.loads(json.dumps(DENY_DELETE))
    other_account["Statement"][0]["Principal"]["AWS"] = "arn:aws:iam::210987654321:root"
    assert db_secret.policy_differs(other_account, DENY_DELETE) is True
    assert db_secret.policy_differs(None, DENY_DELETE) is True
    assert db_secret.policy_differs(None, None) is False
    assert db_secret.parsed_policy(None) is None


def test_statement_order_does_not_matter():
    two = json.loads(json.dumps(DENY_DELETE))
    two["Statement"].append({"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue"})
    swapped = dict(two, Statement=list(reversed(two["Statement"])))
    assert db_secret.policy_differs(two, swapped) is False
