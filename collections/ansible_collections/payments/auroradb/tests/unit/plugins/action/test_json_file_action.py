# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of payments.auroradb.json_file through its action plugin (the module's own code, in the worker)."""

import json

from ansible_collections.payments.auroradb.plugins.action.json_file import ActionModule
from ansible_collections.payments.auroradb.tests.unit.plugins.action.test_validate_inputs_action import run_action


def _run(args, check=False, diff=False):
    result, execute = run_action(args, action_class=ActionModule, check_mode=check, diff=diff)
    execute.assert_not_called()
    return result


def test_written_with_its_directory_then_unchanged(tmp_path):
    path = tmp_path / "outputs" / "dev.json"
    content = {"SecretArn": "arn:x", "Exports": {"b": 1, "a": 2}}
    first = _run({"path": str(path), "content": content}, diff=True)
    assert first["changed"] is True and first["diff"]["before"] == ""
    assert json.loads(path.read_text()) == content
    assert path.read_text() == json.dumps(content, indent=4, sort_keys=True) + "\n"
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    written = path.stat().st_mtime_ns
    again = _run({"path": str(path), "content": content})
    assert again["changed"] is False and "diff" not in again
    assert path.stat().st_mtime_ns == written


def test_check_mode_reports_without_writing(tmp_path):
    path = tmp_path / "dev.json"
    path.write_text('{"old": true}\n')
    result = _run({"path": str(path), "content": {"new": True}}, check=True, diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"] == '{"old": true}\n' and '"new": true' in result["diff"]["after"]
    assert path.read_text() == '{"old": true}\n'


def test_absent_removes_once(tmp_path):
    path = tmp_path / "dev-verify.json"
    path.write_text("{}\n")
    assert _run({"path": str(path), "state": "absent"})["changed"] is True
    assert not path.exists()
    assert _run({"path": str(path), "state": "absent"})["changed"] is False


def test_a_mode_change_alone_is_a_change(tmp_path):
    path = tmp_path / "dev.json"
    _run({"path": str(path), "content": {}, "mode": "0600"})
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert _run({"path": str(path), "content": {}, "mode": "0644"})["changed"] is True
    assert oct(path.stat().st_mode & 0o777) == "0o644"


def test_refusals_name_the_option(tmp_path):
    assert _run({"path": str(tmp_path / "x.json")})["msg"] == "content: required with state=present"
    assert "mode" in _run({"path": str(tmp_path / "x.json"), "content": {}, "mode": "rw"})["msg"]
