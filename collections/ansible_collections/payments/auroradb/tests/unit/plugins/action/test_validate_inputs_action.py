# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the validate_inputs action plugin: the module's answer, computed without a module process."""

from unittest.mock import MagicMock

import pytest

from ansible_collections.payments.auroradb.plugins.action.validate_inputs import ActionModule
from ansible_collections.payments.auroradb.tests.unit.plugins.modules.test_validate_inputs import (  # noqa: F401  # pylint: disable=unused-import
    GOOD_ARGS,
    capture_exits,  # the module's exits, for run_module (an autouse fixture)
    run_module,
)


def run_action(args, transport="local", action_class=ActionModule, check_mode=False, diff=False):
    """Run an action plugin on a task with these arguments; return (result, the module-execution mock)."""
    task = MagicMock()
    task.args = args
    task.async_val = 0
    task.check_mode = check_mode
    task.diff = diff
    connection = MagicMock()
    connection.transport = transport
    play_context = MagicMock()
    play_context.check_mode = check_mode
    play_context.diff = diff
    action = action_class(task, connection, play_context, MagicMock(), MagicMock(), MagicMock())
    action._execute_module = MagicMock(return_value={"changed": False, "ran": "module"})
    return action.run(task_vars={}), action._execute_module


def test_good_input_gives_the_modules_result_without_a_module_process():
    result, execute = run_action(dict(GOOD_ARGS))
    execute.assert_not_called()
    outcome, expected = run_module(dict(GOOD_ARGS))
    assert outcome == "exit"
    assert not result.get("failed")
    for key in ("changed", "problems", "names", "tags", "plan", "checked", "declared"):
        assert result[key] == expected[key], key
    assert result["names"]["cluster"] == "payment-db-cluster-dev"


@pytest.mark.parametrize(
    "bad",
    [
        {"env_suffix": "1dev"},
        {"vpc_cidr": "10.0.0.0/8", "db_allowed_cidrs": ["0.0.0.0/0"], "secret_username": "rdsadmin"},
        {"defined_variables": ["auroradb_aurora_readrs"], "argument_specs": []},
    ],
)
def test_refused_input_fails_with_the_modules_problems(bad):
    result, execute = run_action(dict(GOOD_ARGS, **bad))
    execute.assert_not_called()
    outcome, expected = run_module(dict(GOOD_ARGS, **bad))
    assert outcome == "fail"
    assert result["failed"] is True
    assert result["problems"] == expected["problems"] and result["problems"]
    assert result["msg"] == expected["msg"]


def test_wrong_types_and_unknown_options_are_refused_as_the_module_refuses_them():
    result, execute = run_action(dict(GOOD_ARGS, reader_count="two", colour="blue"))
    execute.assert_not_called()
    assert result["failed"] is True
    assert "reader_count" in result["msg"] and "colour" in result["msg"]


def test_a_remote_connection_runs_the_module_on_that_host():
    result, execute = run_action(dict(GOOD_ARGS), transport="ssh")
    execute.assert_called_once()
    assert result["ran"] == "module"
