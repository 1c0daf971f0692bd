"""payments.auroradb.aurora_parameter_group against a local cloud, through ansible-playbook.

Lifecycle: check-mode create -> create -> check-mode re-run -> re-run -> change a value (diff,
pending-reboot members) -> remove a parameter (reset) -> bad input (nothing sent) -> delete while attached
(clear error) -> delete -> delete again.

    .venv/bin/python -m pytest -q tests/integration/test_aurora_parameter_group.py
"""

from __future__ import annotations

import pytest

from localcloud.testing import create_cluster, create_network

FAMILY = "aurora-postgresql15"


def run(localcloud, tmp_path, args: dict, *flags: str) -> dict:
    """Run the module once (ignore_errors) and return its registered result."""
    return localcloud.run_module(tmp_path, "payments.auroradb.aurora_parameter_group", args, *flags)[0]


def modify_calls(localcloud) -> int:
    return sum(
        1
        for r in localcloud.requests()
        if r.get("action") in ("ModifyDBClusterParameterGroup", "ResetDBClusterParameterGroup")
    )


def user_parameters(rds, name: str) -> dict[str, str]:
    pages = rds.get_paginator("describe_db_cluster_parameters").paginate(
        DBClusterParameterGroupName=name, Source="user"
    )
    return {p["ParameterName"]: p["ParameterValue"] for page in pages for p in page["Parameters"]}


@pytest.fixture
def cluster_network(localcloud, suffix):
    return create_network(localcloud, cidr="10.40", azs="ab", name=f"subnets-{suffix}")["subnet_group"]


def test_lifecycle(localcloud, tmp_path, suffix, cluster_network):
    rds = localcloud.client("rds")
    name = f"pg-{suffix}"
    cluster_id = f"cluster-{suffix}"
    base = {
        "name": name,
        "engine": "aurora-postgresql",
        "engine_version": "15.7",
        "description": "integration test",
        "parameters": {"rds.force_ssl": 1, "log_min_duration_statement": 500, "log_statement": "ddl"},
        "tags": {"Environment": "it"},
    }

    # check-mode create: changed, nothing created
    result = run(localcloud, tmp_path, base, "--check")
    assert result["changed"] and not result.get("failed")
    assert {p["name"] for p in result["changed_parameters"]} == set(base["parameters"])
    assert name not in group_names(rds)

    # create
    result = run(localcloud, tmp_path, base)
    assert result["changed"] and not result.get("failed"), result
    assert result["group"]["family"] == FAMILY and result["group"]["arn"]
    assert result["group"]["tags"] == {"Environment": "it"}
    assert user_parameters(rds, name) == {
        "rds.force_ssl": "1",
        "log_min_duration_statement": "500",
        "log_statement": "ddl",
    }

    # check-mode re-run and re-run, with values spelled differently: no change
    same = {**base, "parameters": {"rds.force_ssl": "on", "log_min_duration_statement": "500", "log_statement": "DDL"}}
    for flags in (("--check",), ()):
        result = run(localcloud, tmp_path, same, *flags)
        assert not result["changed"], result
        assert result["changed_parameters"] == [] and result["reset_parameters"] == []

    # a cluster using the group, to see pending-reboot members
    create_cluster(rds, cluster_network, cluster_id=cluster_id, DBClusterParameterGroupName=name)
    instance_id = f"{cluster_id}-writer"
    rds.create_db_instance(
        DBInstanceIdentifier=instance_id,
        DBClusterIdentifier=cluster_id,
        Engine="aurora-postgresql",
        DBInstanceClass="db.t3.medium",
    )

    # change a value (dynamic) and add a static one: diff shows both, the member waits for a reboot
    changed = {
        **base,
        "parameters": {**base["parameters"], "log_min_duration_statement": 1000, "shared_preload_libraries": "pg_cron"},
        "cluster_identifier": cluster_id,
    }
    result = run(localcloud, tmp_path, changed, "--diff")
    assert result["changed"], result
    assert {p["name"]: (p["before"], p["after"], p["apply_method"]) for p in result["changed_parameters"]} == {
        "log_min_duration_statement": ("500", "1000", "immediate"),
        "shared_preload_libraries": ("pg_stat_statements", "pg_cron", "pending-reboot"),
    }
    assert result["diff"]["before"]["log_min_duration_statement"] == "500"
    assert result["diff"]["after"]["log_min_duration_statement"] == "1000"
    assert "rds.force_ssl" not in result["diff"]["after"]
    assert result["pending_reboot"] == [instance_id]
    assert user_parameters(rds, name)["log_min_duration_statement"] == "1000"

    # remove a parameter: reset to the engine default
    removed = {**changed, "parameters": {k: v for k, v in changed["parameters"].items() if k != "log_statement"}}
    result = run(localcloud, tmp_path, removed, "--diff")
    assert result["changed"], result
    assert [p["name"] for p in result["reset_parameters"]] == ["log_statement"]
    assert result["changed_parameters"] == []
    assert "log_statement" not in user_parameters(rds, name)
    assert not run(localcloud, tmp_path, removed)["changed"]

    # bad names and values: all problems in one message, nothing sent
    before = modify_calls(localcloud)
    bad = {
        **base,
        "parameters": {"rds.force_sll": 1, "log_statement": "everything", "work_mem": "lots", "ssl": 0},
    }
    result = run(localcloud, tmp_path, bad)
    assert result.get("failed"), result
    for text in ("did you mean rds.force_ssl", "'everything' not in the allowed values", "is not an integer",
                 "ssl: cannot be modified"):  # fmt: skip
        assert text in result["msg"], result["msg"]
    assert len(result["problems"]) == 4
    assert modify_calls(localcloud) == before

    # a family change is refused
    result = run(localcloud, tmp_path, {**removed, "engine_version": "16.3"})
    assert result.get("failed") and "cannot change the family" in result["msg"], result

    # delete while attached: clear error, nothing deleted
    result = run(localcloud, tmp_path, {"name": name, "state": "absent"})
    assert result.get("failed") and "still used" in result["msg"], result
    rds.delete_db_instance(DBInstanceIdentifier=instance_id, SkipFinalSnapshot=True)
    rds.delete_db_cluster(DBClusterIdentifier=cluster_id, SkipFinalSnapshot=True)

    # delete (check mode first: nothing deleted), delete, delete again (no change)
    result = run(localcloud, tmp_path, {"name": name, "state": "absent"}, "--check")
    assert result["changed"] and not result.get("failed"), result
    assert name in group_names(rds)
    result = run(localcloud, tmp_path, {"name": name, "state": "absent"})
    assert result["changed"] and not result.get("failed"), result
    assert name not in group_names(rds)
    result = run(localcloud, tmp_path, {"name": name, "state": "absent"})
    assert not result["changed"] and not result.get("failed"), result


def group_names(rds) -> set[str]:
    groups = rds.describe_db_cluster_parameter_groups()["DBClusterParameterGroups"]
    return {g["DBClusterParameterGroupName"] for g in groups}
