# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Secrets Manager service layer against botocore's Stubber (no network): "not found" as a value, retries,
errors raised with what failed (never a failed module), every password handed to ``hide``."""

import json

import pytest

from ansible_collections.payments.auroradb.plugins.module_utils import secretsmanager as sm
from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError

NAME = "payment-db-credentials-dev"
ARN = f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{NAME}-AbCdEf"


def test_missing_secret_is_none(aws):
    client, stub = aws("secretsmanager")
    stub.add_client_error("describe_secret", "ResourceNotFoundException", http_status_code=400)
    assert sm.describe_secret(client, NAME) is None


def test_throttled_describe_is_retried(aws):
    client, stub = aws("secretsmanager")
    stub.add_client_error("describe_secret", "Throttling", http_status_code=400)
    stub.add_response("describe_secret", {"ARN": ARN, "Name": NAME}, {"SecretId": NAME})
    assert sm.describe_secret(client, NAME)["ARN"] == ARN


def test_current_value_hides_the_password_before_returning_it(aws):
    client, stub = aws("secretsmanager")
    value = {"username": "dbadmin", "password": "s3cr3t-s3cr3t"}
    stub.add_response("get_secret_value", {"ARN": ARN, "SecretString": json.dumps(value)})
    hidden = []
    assert sm.get_current_value(client, NAME, hidden.append) == value
    assert hidden == ["s3cr3t-s3cr3t"]


def test_unreadable_value_explains_the_kms_key(aws):
    client, stub = aws("secretsmanager")
    stub.add_client_error("get_secret_value", "DecryptionFailure", "cannot decrypt", http_status_code=400)
    with pytest.raises(AuroraDbError) as e:
        sm.get_current_value(client, NAME, lambda password: None)
    assert "Its KMS key cannot decrypt it" in e.value.message and e.value.exception is not None


def test_value_that_is_not_credentials_is_a_refusal_without_the_value(aws):
    client, stub = aws("secretsmanager")
    stub.add_response("get_secret_value", {"ARN": ARN, "SecretString": "password=hunter2hunter2"})
    with pytest.raises(sm.SecretValueError) as e:
        sm.get_current_value(client, NAME, lambda password: None)
    assert "hunter2" not in str(e.value) and e.value.exception is None


def test_generated_password_is_hidden(aws):
    client, stub = aws("secretsmanager")
    stub.add_response("get_random_password", {"RandomPassword": "Abcdefgh12345678"})
    hidden = []
    assert sm.random_password(client, 16, True, hidden.append) == "Abcdefgh12345678"
    assert hidden == ["Abcdefgh12345678"]


def test_create_waits_while_a_forced_deletion_finishes(aws, monkeypatch):
    monkeypatch.setattr(sm.time, "sleep", lambda seconds: None)
    client, stub = aws("secretsmanager")
    busy = "You can't create this secret because a secret with this name is already scheduled for deletion."
    stub.add_client_error("create_secret", "InvalidRequestException", busy, http_status_code=400)
    stub.add_response("create_secret", {"ARN": ARN, "Name": NAME, "VersionId": "v1" * 16})
    assert sm.create_secret(client, {"Name": NAME, "SecretString": "{}"})["ARN"] == ARN


def test_create_gives_up_with_what_failed(aws):
    client, stub = aws("secretsmanager")
    stub.add_client_error("create_secret", "InvalidRequestException", "something else", http_status_code=400)
    with pytest.raises(AuroraDbError, match=f"Failed to create secret {NAME}"):
        sm.create_secret(client, {"Name": NAME, "SecretString": "{}"})


def test_call_raises_with_the_description(aws):
    client, stub = aws("secretsmanager")
    stub.add_client_error("restore_secret", "AccessDeniedException", http_status_code=400)
    with pytest.raises(AuroraDbError, match=f"Failed to restore secret {NAME}"):
        sm.call(client, "restore_secret", f"restore secret {NAME}", SecretId=NAME)


def test_removing_the_policy_of_a_missing_secret_is_no_change(aws):
    client, stub = aws("secretsmanager")
    stub.add_client_error("delete_resource_policy", "ResourceNotFoundException", http_status_code=400)
    assert sm.delete_resource_policy(client, NAME) is False
