# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight role's known auroradb_* names stay complete: every role's argument specs are read, and every
auroradb_* fact the roles and playbooks publish is listed (else preflight would refuse it as a misspelling)."""

from pathlib import Path

import yaml

from ansible_collections.payments.auroradb.plugins.module_utils.validation import declared_variables

COLLECTION = Path(__file__).resolve().parents[2]
PLAYBOOKS = COLLECTION.parents[2] / "playbooks"
PREFLIGHT_VARS = yaml.safe_load((COLLECTION / "roles" / "preflight" / "vars" / "main.yml").read_text())


def _published(node, found):
    """auroradb_* names set by set_fact, register or play vars anywhere in a parsed task file or playbook."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("ansible.builtin.set_fact", "vars") and isinstance(value, dict):
                found.update(name for name in value if name.startswith("auroradb_"))
            if key == "register" and isinstance(value, str) and value.startswith("auroradb_"):
                found.add(value)
            _published(value, found)
    elif isinstance(node, list):
        for item in node:
            _published(item, found)
    return found


def _specs():
    return [yaml.safe_load(path.read_text()) for path in sorted(COLLECTION.glob("roles/*/meta/argument_specs.yml"))]


def test_preflight_reads_every_roles_argument_specs():
    roles = sorted(path.parents[1].name for path in COLLECTION.glob("roles/*/meta/argument_specs.yml"))
    assert sorted(PREFLIGHT_VARS["__auroradb_preflight_roles"]) == roles


def test_every_published_fact_is_known():
    files = list(COLLECTION.glob("roles/*/tasks/*.yml")) + list(PLAYBOOKS.glob("**/*.yml"))
    published = set()
    for path in files:
        _published(yaml.safe_load(path.read_text()), published)
    declared = set(declared_variables(_specs()))
    assert published - declared - set(PREFLIGHT_VARS["__auroradb_preflight_published_facts"]) == set()


def test_every_default_is_declared_with_one_type():
    declared = declared_variables(_specs())
    for path in COLLECTION.glob("roles/*/defaults/main.yml"):
        names = {name for name in (yaml.safe_load(path.read_text()) or {}) if name.startswith("auroradb_")}
        assert names - set(declared) == set(), path
    for spec in _specs():
        for entry_point in spec["argument_specs"].values():
            for name, option in (entry_point.get("options") or {}).items():
                assert option.get("type", "str") == declared[name].get("type", "str"), name
