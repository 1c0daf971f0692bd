# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the in-worker run of AnsibleAWSModule-based modules (plugin_utils/local_action.py)."""

import datetime
from unittest.mock import MagicMock

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from moto import mock_aws

from ansible_collections.payments.auroradb.plugins.action.kms_alias import ActionModule as KmsAliasAction
from ansible_collections.payments.auroradb.plugins.plugin_utils.local_action import WorkerTask, run_main_in_worker
from ansible_collections.payments.auroradb.tests.unit.plugins.action.test_validate_inputs_action import run_action

REGION = "eu-west-1"


def sample_main():
    """A module of the usual shape: its spec, a warning, exit_json or fail_json."""
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            token=dict(type="str", no_log=True),
            size=dict(type="int", default=3),
            one=dict(type="str"),
            other=dict(type="str"),
        ),
        mutually_exclusive=[("one", "other")],
        supports_check_mode=True,
    )
    module.warn("mind the gap")
    if module.params["name"] == "refuse":
        module.fail_json(msg=f"refused, token {module.params['token']}", reason="asked to")
    if module.params["name"] == "return":
        return
    module.exit_json(
        changed=not module.check_mode,
        echo=f"token is {module.params['token']}",
        size=module.params["size"],
        region=module.region,
        diff_mode=module._diff,
        created=datetime.datetime(2026, 12, 2, 3, 4, 5, tzinfo=datetime.UTC),
        pair=("a", "b"),
    )


def no_check_mode_main():
    AnsibleAWSModule(argument_spec=dict(name=dict(type="str")), supports_check_mode=False).exit_json(changed=True)


def run(args, main=sample_main, check_mode=False, diff=False):
    return run_main_in_worker(main, WorkerTask("sample", args, check_mode, diff))


def test_exit_json_gives_the_result_with_defaults_env_fallbacks_and_warnings(monkeypatch):
    monkeypatch.setenv("AWS_REGION", REGION)
    result = run({"name": "x"}, diff=True)
    assert result["changed"] is True and result["size"] == 3 and result["region"] == REGION
    assert result["diff_mode"] is True
    assert result["created"] == "2026-12-02T03:04:05+00:00" and result["pair"] == ["a", "b"]  # as JSON gives them
    assert result["warnings"] == ["mind the gap"]
    assert "failed" not in result


def test_no_log_values_never_reach_the_result():
    secret = "s3cr3t-Value-42"
    assert secret not in str(run({"name": "x", "token": secret}))
    failed = run({"name": "refuse", "token": secret})
    assert failed["failed"] is True and failed["reason"] == "asked to"
    assert secret not in failed["msg"] and failed["msg"].startswith("refused, token ")


@pytest.mark.parametrize(
    "args, words",
    [
        ({}, "missing required arguments: name"),
        ({"name": "x", "size": "big"}, "size"),
        ({"name": "x", "one": "1", "other": "2"}, "mutually exclusive: one|other"),
        ({"name": "x", "nonsense": 1}, "nonsense"),
    ],
)
def test_bad_arguments_fail_as_ansible_module_would(args, words):
    result = run(args)
    assert result["failed"] is True and words in result["msg"]


def test_check_mode_is_the_tasks_and_a_module_without_it_is_skipped():
    assert run({"name": "x"}, check_mode=True)["changed"] is False
    skipped = run({"name": "x"}, main=no_check_mode_main, check_mode=True)
    assert skipped["skipped"] is True and skipped["changed"] is False
    assert run({"name": "x"}, main=no_check_mode_main)["changed"] is True


def test_the_module_class_is_restored_and_a_main_without_exit_is_an_error():
    before = AnsibleAWSModule.default_settings["module_class"]
    with pytest.raises(RuntimeError, match="without exit_json"):
        run({"name": "return"})
    run({"name": "x"})
    assert AnsibleAWSModule.default_settings["module_class"] is before


@pytest.fixture
def kms(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_URL", "AWS_ENDPOINT_URL", "EC2_URL"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        yield boto3.client("kms", region_name=REGION)


def test_a_real_module_makes_its_calls_from_the_worker(kms):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    args = {"name": "payment-db-unit", "target_key_id": key}
    planned, execute = run_action(dict(args), action_class=KmsAliasAction, check_mode=True, diff=True)
    assert planned["changed"] is True and planned["diff"]["before"] == {}
    assert kms.list_aliases(KeyId=key)["Aliases"] == []
    created, created_execute = run_action(dict(args), action_class=KmsAliasAction)
    assert created["changed"] is True and created["alias"]["alias_name"] == "alias/payment-db-unit"
    assert [a["AliasName"] for a in kms.list_aliases(KeyId=key)["Aliases"]] == ["alias/payment-db-unit"]
    again, again_execute = run_action(dict(args), action_class=KmsAliasAction)
    assert again["changed"] is False
    for mock in (execute, created_execute, again_execute):
        mock.assert_not_called()


@pytest.mark.parametrize("transport, async_val", [("ssh", 0), ("local", 30)])
def test_another_connection_or_async_runs_the_module_process(transport, async_val):
    task, connection, play_context = MagicMock(), MagicMock(), MagicMock()
    task.args, task.async_val, connection.transport = {"name": "x", "state": "absent"}, async_val, transport
    action = KmsAliasAction(task, connection, play_context, MagicMock(), MagicMock(), MagicMock())
    action._execute_module = MagicMock(return_value={"changed": False, "ran": "module"})
    assert action.run(task_vars={})["ran"] == "module"
    assert action._execute_module.call_args.kwargs["wrap_async"] == async_val
