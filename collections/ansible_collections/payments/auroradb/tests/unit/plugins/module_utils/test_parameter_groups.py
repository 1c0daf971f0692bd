# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the parameter group decision logic: what is sent for a given current and desired state."""

import pytest

from ansible_collections.payments.auroradb.plugins.module_utils import parameter_groups as pg


def _entry(name, data_type, allowed, apply_type="dynamic", value=None, modifiable=True):
    entry = {
        "ParameterName": name,
        "DataType": data_type,
        "AllowedValues": allowed,
        "ApplyType": apply_type,
        "IsModifiable": modifiable,
        "Source": "engine-default",
    }
    if value is not None:
        entry["ParameterValue"] = value
    return entry


DEFAULTS = [
    _entry("rds.force_ssl", "boolean", "0,1", value="0"),
    _entry("log_statement", "string", "none,ddl,mod,all", value="none"),
    _entry("work_mem", "integer", "64-2147483647"),
    _entry("log_min_duration_statement", "integer", "-1-2147483647"),
    _entry("max_connections", "integer", "6-262143", apply_type="static"),
    _entry("random_page_cost", "float", "0-1.79769e+308"),
    _entry(
        "shared_preload_libraries", "list", "auto_explain,pg_cron,pg_stat_statements", "static", "pg_stat_statements"
    ),
    _entry("ssl", "boolean", "0,1", value="1", modifiable=False),
]


def _user(**values):
    return [
        {"ParameterName": k, "ParameterValue": v, "Source": "user", "ApplyMethod": "pending-reboot"}
        for k, v in values.items()
    ]


@pytest.mark.parametrize(
    "value,expected",
    [(1, "1"), ("on", "1"), ("TRUE", "1"), (True, "1"), ("off", "0"), (False, "0"), ("0", "0")],
)
def test_boolean_values_normalise(value, expected):
    assert pg.normalise(value, DEFAULTS[0]) == expected


def test_numbers_and_enumerations_normalise():
    entries = {e["ParameterName"]: e for e in DEFAULTS}
    assert pg.normalise(4096, entries["work_mem"]) == "4096"
    assert pg.normalise("04096", entries["work_mem"]) == "4096"
    assert pg.normalise(4096.0, entries["work_mem"]) == "4096"
    assert pg.normalise("1.50", entries["random_page_cost"]) == "1.5"
    assert pg.normalise(2, entries["random_page_cost"]) == "2"
    assert pg.normalise("DDL", entries["log_statement"]) == "ddl"
    assert pg.normalise("PG_CRON, pg_stat_statements", entries["shared_preload_libraries"]) == (
        "pg_cron,pg_stat_statements"
    )


def test_family_from_engine():
    assert pg.family_from_engine("aurora-postgresql", "15.7") == "aurora-postgresql15"
    assert pg.family_from_engine("postgres", "16.3") == "postgres16"
    assert pg.family_from_engine("aurora-mysql", "8.0.mysql_aurora.3.05.2") == "aurora-mysql8.0"


def test_create_sends_every_value_with_apply_method_from_apply_type():
    decision = pg.plan({"rds.force_ssl": 1, "max_connections": 500}, [], DEFAULTS)
    assert decision["modify"] == [
        {"ParameterName": "max_connections", "ParameterValue": "500", "ApplyMethod": "pending-reboot"},
        {"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "immediate"},
    ]
    assert decision["reset"] == []
    assert decision["changed_parameters"][1] == {
        "name": "rds.force_ssl",
        "before": "0",
        "after": "1",
        "apply_method": "immediate",
    }


def test_override_changes_the_apply_method():
    decision = pg.plan({"rds.force_ssl": "true"}, [], DEFAULTS, overrides={"rds.force_ssl": "pending-reboot"})
    assert decision["modify"] == [
        {"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "pending-reboot"}
    ]


def test_no_change_when_only_the_apply_method_or_spelling_differs():
    current = _user(**{"rds.force_ssl": "1", "log_statement": "ddl", "work_mem": "4096"})
    desired = {"rds.force_ssl": "on", "log_statement": "DDL", "work_mem": 4096}
    decision = pg.plan(desired, current, DEFAULTS, overrides={"rds.force_ssl": "immediate"})
    assert decision == {"modify": [], "reset": [], "changed_parameters": [], "reset_parameters": []}


def test_value_equal_to_the_engine_default_is_no_change():
    assert pg.plan({"rds.force_ssl": 0}, [], DEFAULTS)["modify"] == []


def test_removed_parameter_is_reset_with_purge_and_kept_without():
    current = _user(**{"rds.force_ssl": "1", "max_connections": "500", "work_mem": "4096"})
    decision = pg.plan({"rds.force_ssl": 1}, current, DEFAULTS)
    assert decision["modify"] == []
    assert decision["reset"] == [
        {"ParameterName": "max_connections", "ApplyMethod": "pending-reboot"},
        {"ParameterName": "work_mem", "ApplyMethod": "immediate"},
    ]
    assert decision["reset_parameters"][0] == {
        "name": "max_connections",
        "before": "500",
        "after": None,
        "apply_method": "pending-reboot",
    }
    assert pg.plan({"rds.force_ssl": 1}, current, DEFAULTS, purge=False)["reset"] == []


def test_changed_value_is_sent():
    current = _user(work_mem="4096")
    decision = pg.plan({"work_mem": "8192"}, current, DEFAULTS)
    assert decision["modify"] == [{"ParameterName": "work_mem", "ParameterValue": "8192", "ApplyMethod": "immediate"}]
    assert decision["changed_parameters"] == [
        {"name": "work_mem", "before": "4096", "after": "8192", "apply_method": "immediate"}
    ]


def test_validation_reports_every_problem_at_once():
    desired = {
        "rds.force_sll": 1,
        "ssl": 0,
        "work_mem": "lots",
        "max_connections": 1,
        "log_statement": "everything",
        "rds.force_ssl": "maybe",
        "shared_preload_libraries": "pg_cron,pg_nope",
        "random_page_cost": "x",
        "log_min_duration_statement": "",
    }
    problems = pg.validate(desired, DEFAULTS, overrides={"max_connections": "immediate", "nope": "immediate"})
    text = "\n".join(problems)
    assert "rds.force_sll: unknown parameter (did you mean rds.force_ssl" in text
    assert "ssl: cannot be modified" in text
    assert "work_mem: 'lots' is not an integer" in text
    assert "max_connections: 1 is outside the allowed values 6-262143" in text
    assert "log_statement: 'everything' not in the allowed values" in text
    assert "rds.force_ssl: 'maybe' is not a boolean" in text
    assert "'pg_nope' not in the allowed values" in text
    assert "random_page_cost: 'x' is not a number" in text
    assert "log_min_duration_statement: the value must not be empty" in text
    assert "max_connections: a static parameter cannot be applied immediately" in text
    assert "nope: apply_method_overrides names a parameter that is not in parameters" in text
    assert len(problems) == 11


def test_valid_parameters_have_no_problems():
    desired = {"rds.force_ssl": "on", "log_min_duration_statement": -1, "shared_preload_libraries": "PG_CRON"}
    assert pg.validate(desired, DEFAULTS) == []


@pytest.mark.parametrize(
    ("parameters", "pgaudit", "expected"),
    [
        ({}, False, {"rds.force_ssl": 1}),
        ({"work_mem": 64}, False, {"rds.force_ssl": 1, "work_mem": 64}),
        (
            {},
            True,
            {
                "rds.force_ssl": 1,
                "shared_preload_libraries": "pg_stat_statements,pgaudit",
                "pgaudit.log": "ddl,role",
                "pgaudit.role": "rds_pgaudit",
            },
        ),
        (
            {"shared_preload_libraries": "pg_cron, pgaudit", "pgaudit.log": "all"},
            True,
            {
                "rds.force_ssl": 1,
                "shared_preload_libraries": "pg_cron,pgaudit",
                "pgaudit.log": "all",
                "pgaudit.role": "rds_pgaudit",
            },
        ),
        ({"shared_preload_libraries": "pg_cron"}, True, None),
    ],
)
def test_cluster_parameters_add_pgaudit_to_the_inventory_s(parameters, pgaudit, expected):
    got = pg.cluster_parameters(parameters, pgaudit, ["ddl", "role"])
    if expected is None:  # the inventory's libraries kept, pgaudit appended
        assert got["shared_preload_libraries"] == "pg_cron,pgaudit"
    else:
        assert got == expected
    assert parameters.get("pgaudit.role") is None  # the inventory's dict is not changed
