"""The verify role's expected values fall back to the deploying roles' defaults: they must not drift apart.

roles/verify/defaults/main.yml reads each deploying role's public variable and, when the inventory leaves it unset,
falls back to a literal (verify.yml does not load the other roles, so their defaults are not there). Each literal
must equal the default in that role's defaults/main.yml.
"""

from __future__ import annotations

import ast
import re

import pytest
import yaml
from conftest import REPO

ROLES = REPO / "collections/ansible_collections/payments/auroradb/roles"
FALLBACK = re.compile(r"\{\{\s*(auroradb_[a-z_]+)\s*\|\s*default\((.+)\)\s*\}\}$", re.S)


def _defaults(role: str) -> dict:
    return yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text())


VERIFY = _defaults("verify")
CASES = [
    (name, match.group(1), match.group(2))
    for name, value in VERIFY.items()
    if isinstance(value, str) and (match := FALLBACK.match(value.strip()))
]


def test_every_expected_value_has_a_fallback():
    names = {name for name, _var, _literal in CASES}
    assert {
        "auroradb_verify_engine_version",
        "auroradb_verify_backup_retention_days",
        "auroradb_verify_backup_window",
        "auroradb_verify_log_exports",
        "auroradb_verify_key_rotation",
        "auroradb_verify_cpu_threshold",
        "auroradb_verify_free_local_storage_threshold_bytes",
        "auroradb_verify_alarm_period_seconds",
        "auroradb_verify_alarm_evaluation_periods",
        "auroradb_verify_secret_username",
        "auroradb_verify_secret_description",
        "auroradb_verify_secret_rotation_days",
    } <= names


@pytest.mark.parametrize("name, variable, literal", CASES, ids=[c[0] for c in CASES])
def test_fallback_equals_the_deploying_roles_default(name, variable, literal):
    role = variable.split("_")[1]  # auroradb_<role>_...
    if role == "outputs":
        pytest.skip("not an expected value")
    role_defaults = _defaults(role)
    assert variable in role_defaults, f"{name} reads {variable}, which roles/{role}/defaults/main.yml does not define"
    text = literal.strip().replace("true", "True").replace("false", "False")
    if text.startswith("auroradb_"):  # a nested fallback (the port): compare the innermost literal
        pytest.skip("nested fallback")
    if text.startswith("lookup("):  # a default that is itself an expression: the same expression
        assert "{{ " + literal.strip() + " }}" == role_defaults[variable], f"{name}: fallback {literal} differs"
        return
    assert ast.literal_eval(text) == role_defaults[variable], f"{name}: fallback {literal} != roles/{role} default"
