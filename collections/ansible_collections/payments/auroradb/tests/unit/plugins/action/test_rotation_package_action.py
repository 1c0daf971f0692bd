# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the rotation_package action plugin: the module's package, built in the controller's worker."""

import zipfile
from pathlib import Path

from ansible_collections.payments.auroradb.plugins.action.rotation_package import ActionModule
from ansible_collections.payments.auroradb.plugins.module_utils.rotation_package import HANDLER, code_sha256
from ansible_collections.payments.auroradb.tests.unit.plugins.action.test_validate_inputs_action import run_action

FUNCTION = Path(__file__).resolve().parents[4] / "roles" / "secret" / "files" / "rotation" / "postgres_single_user.py"
PEM = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def test_the_package_is_built_and_written_once(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_bytes(PEM)
    dest = tmp_path / "out" / "rotation.zip"
    args = {"src": str(FUNCTION), "ca_bundle": str(ca), "dest": str(dest)}
    result, execute = run_action(args, action_class=ActionModule)
    execute.assert_not_called()
    assert not result.get("failed"), result
    data = dest.read_bytes()
    assert result == dict(result, changed=False, path=str(dest), handler=HANDLER, size=len(data))
    assert result["code_sha256"] == code_sha256(data)
    names = zipfile.ZipFile(dest).namelist()
    assert "postgres_single_user.py" in names and any(n.startswith("pg8000/") for n in names)
    written = dest.stat().st_mtime_ns
    again = run_action(args, action_class=ActionModule)[0]
    assert again["code_sha256"] == result["code_sha256"]  # deterministic
    assert dest.stat().st_mtime_ns == written  # the same bytes are not written again


def test_a_missing_ca_bundle_fails_naming_the_option(tmp_path):
    args = {"src": str(FUNCTION), "ca_bundle": str(tmp_path / "nope.pem")}
    result, execute = run_action(args, action_class=ActionModule)
    execute.assert_not_called()
    assert result["failed"] is True
    assert result["msg"] == f"ca_bundle: {tmp_path / 'nope.pem'} is not a readable file"


def test_a_missing_required_option_is_refused():
    result = run_action({"ca_bundle": "/x"}, action_class=ActionModule)[0]
    assert result["failed"] is True and "src" in result["msg"]


def test_a_remote_connection_runs_the_module():
    result, execute = run_action({"src": "/x", "ca_bundle": "/y"}, transport="ssh", action_class=ActionModule)
    execute.assert_called_once()
    assert result["ran"] == "module"
