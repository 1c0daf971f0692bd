"""Gap 4: the aurora-postgresql15 engine-default parameter catalogue behaves as on AWS on the local cloud.

Every test here fails against plain moto 5.2 (moto has no DescribeEngineDefault*/Reset* actions, returns
only modified parameters without metadata and accepts any parameter name and value), except
test_other_families_keep_moto_behaviour, which guards that families without a catalogue still get moto's answers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

from localcloud.testing import unique_name

FAMILY = "aurora-postgresql15"


@pytest.fixture
def rds(cloud):
    return cloud.client("rds")


def _new_group(rds, level: str) -> str:
    """A new parameter group of FAMILY: ``cluster`` (a DB cluster parameter group) or ``instance``."""
    kind = "DBCluster" if level == "cluster" else "DB"
    name = unique_name("cpg" if level == "cluster" else "pg")
    create = rds.create_db_cluster_parameter_group if level == "cluster" else rds.create_db_parameter_group
    description = f"payments {level} parameters"
    create(**{f"{kind}ParameterGroupName": name}, DBParameterGroupFamily=FAMILY, Description=description)
    return name


@pytest.fixture
def cluster_group(rds):
    return _new_group(rds, "cluster")


@pytest.fixture
def instance_group(rds):
    return _new_group(rds, "instance")


def _cluster_parameters(rds, group: str, **kwargs) -> dict[str, dict]:
    pages = rds.get_paginator("describe_db_cluster_parameters").paginate(DBClusterParameterGroupName=group, **kwargs)
    return {p["ParameterName"]: p for p in pages.build_full_result()["Parameters"]}


def _instance_parameters(rds, group: str, **kwargs) -> dict[str, dict]:
    pages = rds.get_paginator("describe_db_parameters").paginate(DBParameterGroupName=group, **kwargs)
    return {p["ParameterName"]: p for p in pages.build_full_result()["Parameters"]}


def _modify_cluster(rds, group: str, *parameters: tuple[str, str, str]):
    return rds.modify_db_cluster_parameter_group(
        DBClusterParameterGroupName=group,
        Parameters=[{"ParameterName": n, "ParameterValue": v, "ApplyMethod": m} for n, v, m in parameters],
    )


def _error(call) -> tuple[str, str]:
    with pytest.raises(ClientError) as err:
        call()
    return err.value.response["Error"]["Code"], err.value.response["Error"]["Message"]


def test_engine_default_cluster_parameters_paginate(rds):
    first = rds.describe_engine_default_cluster_parameters(DBParameterGroupFamily=FAMILY, MaxRecords=20)
    defaults = first["EngineDefaults"]
    assert defaults["DBParameterGroupFamily"] == FAMILY
    assert len(defaults["Parameters"]) == 20 and defaults["Marker"]
    second = rds.describe_engine_default_cluster_parameters(
        DBParameterGroupFamily=FAMILY, MaxRecords=20, Marker=defaults["Marker"]
    )["EngineDefaults"]
    assert not {p["ParameterName"] for p in defaults["Parameters"]} & {p["ParameterName"] for p in second["Parameters"]}

    pages = rds.get_paginator("describe_engine_default_cluster_parameters").paginate(
        DBParameterGroupFamily=FAMILY, PaginationConfig={"PageSize": 20}
    )
    everything = [p for page in pages for p in page["EngineDefaults"]["Parameters"]]
    names = [p["ParameterName"] for p in everything]
    assert len(names) > 45 and names == sorted(names) and len(set(names)) == len(names)
    by_name = {p["ParameterName"]: p for p in everything}
    assert by_name["rds.force_ssl"] == {
        "ParameterName": "rds.force_ssl",
        "ParameterValue": "0",
        "Description": "Force SSL connections.",
        "Source": "engine-default",
        "ApplyType": "dynamic",
        "DataType": "boolean",
        "AllowedValues": "0,1",
        "IsModifiable": True,
        "MinimumEngineVersion": "15.2",
        "ApplyMethod": "pending-reboot",
        "SupportedEngineModes": ["provisioned"],
    }
    assert by_name["shared_preload_libraries"]["ApplyType"] == "static"
    assert by_name["shared_preload_libraries"]["DataType"] == "list"
    assert "pg_stat_statements" in by_name["shared_preload_libraries"]["ParameterValue"].split(",")
    assert by_name["max_connections"]["ParameterValue"] == "LEAST({DBInstanceClassMemory/9531392},5000)"
    assert by_name["port"]["IsModifiable"] is False


def test_engine_default_instance_parameters_are_the_instance_level_ones(rds):
    defaults = rds.describe_engine_default_parameters(DBParameterGroupFamily=FAMILY)["EngineDefaults"]
    assert len(defaults["Parameters"]) == 100 and defaults["Marker"]  # default MaxRecords 100; hundreds in all
    pages = rds.get_paginator("describe_engine_default_parameters").paginate(DBParameterGroupFamily=FAMILY)
    names = {p["ParameterName"] for page in pages for p in page["EngineDefaults"]["Parameters"]}
    assert {"shared_buffers", "work_mem", "effective_cache_size", "log_min_duration_statement"} <= names
    assert not {"rds.force_ssl", "timezone", "rds.logical_replication"} & names  # cluster level only


def test_engine_defaults_filter_by_parameter_name(rds):
    defaults = rds.describe_engine_default_cluster_parameters(
        DBParameterGroupFamily=FAMILY, Filters=[{"Name": "parameter-name", "Values": ["timezone", "rds.force_ssl"]}]
    )["EngineDefaults"]
    assert [p["ParameterName"] for p in defaults["Parameters"]] == ["rds.force_ssl", "timezone"]


def test_engine_defaults_unknown_family_and_bad_page_size(rds):
    code, message = _error(lambda: rds.describe_engine_default_cluster_parameters(DBParameterGroupFamily="nosuch9"))
    assert code == "InvalidParameterValue" and "nosuch9" in message
    code, _ = _error(lambda: rds.describe_engine_default_parameters(DBParameterGroupFamily=FAMILY, MaxRecords=5))
    assert code == "InvalidParameterValue"


def test_new_cluster_group_describes_the_defaults(rds, cluster_group):
    parameters = _cluster_parameters(rds, cluster_group)
    force_ssl = parameters["rds.force_ssl"]
    assert (force_ssl["ParameterValue"], force_ssl["Source"]) == ("0", "engine-default")
    assert (force_ssl["ApplyType"], force_ssl["DataType"], force_ssl["IsModifiable"]) == ("dynamic", "boolean", True)
    assert parameters["ssl_min_protocol_version"]["AllowedValues"] == "TLSv1,TLSv1.1,TLSv1.2,TLSv1.3"
    assert parameters["rds.logical_replication"]["ApplyType"] == "static"
    assert _cluster_parameters(rds, cluster_group, Source="user") == {}


def test_modify_then_describe_shows_user_values(rds, cluster_group):
    _modify_cluster(
        rds,
        cluster_group,
        ("rds.force_ssl", "1", "immediate"),
        ("log_min_duration_statement", "500", "immediate"),
        ("shared_preload_libraries", "pg_stat_statements,pgaudit", "pending-reboot"),
    )
    parameters = _cluster_parameters(rds, cluster_group)
    force_ssl = parameters["rds.force_ssl"]
    assert (force_ssl["ParameterValue"], force_ssl["Source"], force_ssl["ApplyMethod"]) == ("1", "user", "immediate")
    assert force_ssl["ApplyType"] == "dynamic" and force_ssl["AllowedValues"] == "0,1"  # metadata kept
    assert parameters["timezone"]["Source"] == "engine-default"

    user = _cluster_parameters(rds, cluster_group, Source="user")
    assert set(user) == {"rds.force_ssl", "log_min_duration_statement", "shared_preload_libraries"}
    engine_default = _cluster_parameters(rds, cluster_group, Source="engine-default")
    assert "rds.force_ssl" not in engine_default and "timezone" in engine_default
    assert set(_cluster_parameters(rds, cluster_group, Source="system")) >= {"port", "rds.extensions"}


def test_describe_group_paginates(rds, cluster_group):
    first = rds.describe_db_cluster_parameters(DBClusterParameterGroupName=cluster_group, MaxRecords=20)
    assert len(first["Parameters"]) == 20 and first["Marker"]
    second = rds.describe_db_cluster_parameters(
        DBClusterParameterGroupName=cluster_group, MaxRecords=20, Marker=first["Marker"]
    )
    assert first["Parameters"][-1]["ParameterName"] < second["Parameters"][0]["ParameterName"]


def test_invalid_modifications_fail_as_on_aws(rds, cluster_group):
    code, message = _error(lambda: _modify_cluster(rds, cluster_group, ("foo", "1", "immediate")))
    assert (code, message) == ("InvalidParameterValue", "Could not find parameter with name: foo")
    code, message = _error(lambda: _modify_cluster(rds, cluster_group, ("port", "6543", "pending-reboot")))
    assert code == "InvalidParameterValue" and "port" in message
    code, message = _error(lambda: _modify_cluster(rds, cluster_group, ("rds.force_ssl", "2", "immediate")))
    assert code == "InvalidParameterValue" and "0,1" in message
    code, _ = _error(lambda: _modify_cluster(rds, cluster_group, ("log_rotation_age", "1441", "immediate")))
    assert code == "InvalidParameterValue"
    code, _ = _error(lambda: _modify_cluster(rds, cluster_group, ("ssl_min_protocol_version", "SSLv3", "immediate")))
    assert code == "InvalidParameterValue"
    code, _ = _error(
        lambda: _modify_cluster(
            rds, cluster_group, ("shared_preload_libraries", "pg_stat_statements,evil", "pending-reboot")
        )
    )
    assert code == "InvalidParameterValue"
    code, message = _error(lambda: _modify_cluster(rds, cluster_group, ("rds.logical_replication", "1", "immediate")))
    assert (code, message) == ("InvalidParameterCombination", "cannot use immediate apply method for static parameter")
    too_many = [("log_min_duration_statement", str(i), "immediate") for i in range(21)]
    code, _ = _error(lambda: _modify_cluster(rds, cluster_group, *too_many))
    assert code == "InvalidParameterCombination"
    assert _cluster_parameters(rds, cluster_group, Source="user") == {}  # nothing was stored


def test_formulas_and_ranges_are_accepted(rds, instance_group):
    rds.modify_db_parameter_group(
        DBParameterGroupName=instance_group,
        Parameters=[
            {
                "ParameterName": "max_connections",
                "ParameterValue": "LEAST({DBInstanceClassMemory/9531392},2000)",
                "ApplyMethod": "pending-reboot",
            },
            {"ParameterName": "log_min_duration_statement", "ParameterValue": "-1", "ApplyMethod": "immediate"},
            {"ParameterName": "random_page_cost", "ParameterValue": "1.1", "ApplyMethod": "immediate"},
            {
                "ParameterName": "default_transaction_isolation",
                "ParameterValue": "repeatable read",
                "ApplyMethod": "immediate",
            },
        ],
    )
    user = _instance_parameters(rds, instance_group, Source="user")
    assert set(user) == {
        "max_connections",
        "log_min_duration_statement",
        "random_page_cost",
        "default_transaction_isolation",
    }
    assert user["max_connections"]["ParameterValue"] == "LEAST({DBInstanceClassMemory/9531392},2000)"
    assert (user["max_connections"]["ApplyType"], user["max_connections"]["Source"]) == ("static", "user")
    assert (user["random_page_cost"]["ParameterValue"], user["random_page_cost"]["DataType"]) == ("1.1", "float")


def test_reset_restores_defaults(rds, cluster_group, instance_group):
    _modify_cluster(rds, cluster_group, ("rds.force_ssl", "1", "immediate"), ("timezone", "Europe/Berlin", "immediate"))
    rds.reset_db_cluster_parameter_group(
        DBClusterParameterGroupName=cluster_group,
        Parameters=[{"ParameterName": "rds.force_ssl", "ApplyMethod": "immediate"}],
    )
    parameters = _cluster_parameters(rds, cluster_group)
    assert (parameters["rds.force_ssl"]["ParameterValue"], parameters["rds.force_ssl"]["Source"]) == (
        "0",
        "engine-default",
    )
    assert parameters["timezone"]["ParameterValue"] == "Europe/Berlin"
    answer = rds.reset_db_cluster_parameter_group(DBClusterParameterGroupName=cluster_group, ResetAllParameters=True)
    assert answer["DBClusterParameterGroupName"] == cluster_group
    assert _cluster_parameters(rds, cluster_group, Source="user") == {}

    rds.modify_db_parameter_group(
        DBParameterGroupName=instance_group,
        Parameters=[{"ParameterName": "work_mem", "ParameterValue": "65536", "ApplyMethod": "immediate"}],
    )
    rds.reset_db_parameter_group(DBParameterGroupName=instance_group, ResetAllParameters=True)
    assert "ParameterValue" not in _instance_parameters(rds, instance_group)["work_mem"]


def test_builtin_default_groups(rds):
    parameters = _cluster_parameters(rds, f"default.{FAMILY}")
    assert parameters["rds.force_ssl"]["ParameterValue"] == "0"
    assert "shared_buffers" in _instance_parameters(rds, f"default.{FAMILY}")
    code, message = _error(lambda: _modify_cluster(rds, f"default.{FAMILY}", ("rds.force_ssl", "1", "immediate")))
    assert (code, message) == ("InvalidParameterValue", "Cannot modify a default parameter group.")


def test_other_families_keep_moto_behaviour(rds):
    name = unique_name("mysql")
    rds.create_db_parameter_group(DBParameterGroupName=name, DBParameterGroupFamily="mysql8.0", Description="x")
    rds.modify_db_parameter_group(
        DBParameterGroupName=name,
        Parameters=[{"ParameterName": "anything", "ParameterValue": "1", "ApplyMethod": "immediate"}],
    )
    assert [p["ParameterName"] for p in rds.describe_db_parameters(DBParameterGroupName=name)["Parameters"]] == [
        "anything"
    ]
    code, _ = _error(lambda: rds.describe_db_cluster_parameters(DBClusterParameterGroupName=unique_name("missing")))
    assert code == "DBParameterGroupNotFound"


def test_reset_of_a_missing_group_is_not_found(rds):
    code, _ = _error(
        lambda: rds.reset_db_cluster_parameter_group(
            DBClusterParameterGroupName=unique_name("missing"), ResetAllParameters=True
        )
    )
    assert code == "DBParameterGroupNotFound"
    code, _ = _error(
        lambda: rds.reset_db_parameter_group(DBParameterGroupName=unique_name("missing"), ResetAllParameters=True)
    )
    assert code == "DBParameterGroupNotFound"


def test_amazon_aws_style_usage(rds, cluster_group):
    """What amazon.aws.rds_cluster_param_group does: read all, check, modify in chunks of 20, idempotent."""
    desired = {
        "rds.force_ssl": "1",
        "ssl_min_protocol_version": "TLSv1.2",
        "log_connections": "1",
        "log_disconnections": "1",
        "log_lock_waits": "1",
        "log_statement": "ddl",
        "log_temp_files": "0",
        "log_min_duration_statement": "1000",
        "log_autovacuum_min_duration": "5000",
        "idle_in_transaction_session_timeout": "60000",
        "statement_timeout": "30000",
        "lock_timeout": "5000",
        "track_io_timing": "1",
        "pg_stat_statements.track": "all",
        "password_encryption": "scram-sha-256",
        "timezone": "UTC",
        "tcp_keepalives_idle": "60",
        "tcp_keepalives_interval": "10",
        "tcp_keepalives_count": "6",
        "autovacuum_vacuum_scale_factor": "0.05",
        "autovacuum_analyze_scale_factor": "0.02",
        "rds.log_retention_period": "10080",
        "rds.logical_replication": "1",
        "shared_preload_libraries": "pg_stat_statements,pgaudit",
    }

    def converge() -> bool:
        current = _cluster_parameters(rds, cluster_group)
        wanted = []
        for name, value in desired.items():
            assert current[name]["IsModifiable"]
            method = "immediate" if current[name]["ApplyType"] == "dynamic" else "pending-reboot"
            if (current[name].get("ParameterValue"), current[name]["ApplyMethod"]) != (value, method):
                wanted.append({"ParameterName": name, "ParameterValue": value, "ApplyMethod": method})
        for start in range(0, len(wanted), 20):
            rds.modify_db_cluster_parameter_group(
                DBClusterParameterGroupName=cluster_group, Parameters=wanted[start : start + 20]
            )
        return bool(wanted)

    assert converge() is True
    assert converge() is False  # second run: nothing to change
    user = _cluster_parameters(rds, cluster_group, Source="user")
    assert {name: p["ParameterValue"] for name, p in user.items()} == desired


def test_amazon_aws_module_runs_against_the_local_cloud(cloud, tmp_path):
    """The real amazon.aws.rds_cluster_param_group module, twice: changed, then unchanged."""
    pytest.importorskip("ansible")
    try:
        import ansible_collections.amazon.aws  # noqa: F401
    except ImportError:
        pytest.skip("amazon.aws collection not installed")
    group = unique_name("ansible-cpg")
    args = json.dumps(
        {
            "name": group,
            "state": "present",
            "description": "payments",
            "db_parameter_group_family": FAMILY,
            "endpoint_url": cloud.endpoint,
            "region": "us-east-1",
            "access_key": "testing",
            "secret_key": "testing",
            "parameters": [
                {"parameter_name": "rds.force_ssl", "parameter_value": "1", "apply_method": "immediate"},
                {
                    "parameter_name": "shared_preload_libraries",
                    "parameter_value": "pg_stat_statements,pg_cron",
                    "apply_method": "pending-reboot",
                },
            ],
        }
    )
    env = {
        **os.environ,
        "ANSIBLE_HOME": str(tmp_path),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"),
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_STDOUT_CALLBACK": "json",
    }
    ansible = Path(sys.executable).with_name("ansible")

    def run() -> dict:
        proc = subprocess.run(
            [
                str(ansible),
                "localhost",
                "-c",
                "local",
                "-e",
                f"ansible_python_interpreter={sys.executable}",
                "-m",
                "amazon.aws.rds_cluster_param_group",
                "-a",
                args,
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=180,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]

    assert run()["changed"] is True
    assert run()["changed"] is False
    rds = cloud.client("rds")
    user = _cluster_parameters(rds, group, Source="user")
    assert {name: p["ParameterValue"] for name, p in user.items()} == {
        "rds.force_ssl": "1",
        "shared_preload_libraries": "pg_stat_statements,pg_cron",
    }
    code, _ = _error(lambda: _modify_cluster(rds, group, ("no_such_parameter", "1", "immediate")))
    assert code == "InvalidParameterValue"


# ----------------------------------------------------------------------------------------------------------------
# The complete catalogue (gaps 4e-4i). Each test runs against plain moto 5.2 ([plain-moto]: asserts the gap) and the
# local cloud ([localcloud]: asserts AWS's behaviour), with the same requests.
FAMILIES = ("aurora-postgresql15", "aurora-postgresql16")

# Parameters AWS lists for both families (cluster level), with a valid value and the ApplyType AWS gives them.
LISTED = {
    "array_nulls": ("0", "dynamic"),
    "authentication_timeout": ("30", "dynamic"),
    "pgaudit.log": ("ddl,role,-misc", "dynamic"),
    "pgaudit.role": ("rds_pgaudit", "dynamic"),
    "pgaudit.log_level": ("notice", "dynamic"),
    "pg_stat_statements.track": ("all", "dynamic"),
    "pg_stat_statements.max": ("10000", "static"),
    "auto_explain.log_min_duration": ("5000", "dynamic"),
    "auto_explain.log_analyze": ("1", "dynamic"),
    "auto_explain.log_format": ("json", "dynamic"),
    "shared_preload_libraries": ("pgaudit,pg_stat_statements,auto_explain,pg_cron", "static"),
    "log_min_messages": ("warning", "dynamic"),
    "log_statement_sample_rate": ("0.5", "dynamic"),
    "rds.force_autovacuum_logging_level": ("warning", "dynamic"),
    "rds.rds_superuser_reserved_connections": ("3", "static"),
    "apg_plan_mgmt.capture_plan_baselines": ("automatic", "dynamic"),
    "apg_plan_mgmt.use_plan_baselines": ("true", "dynamic"),
    "aurora_compute_plan_id": ("off", "dynamic"),
    "max_worker_processes": ("16", "static"),
    "cron.database_name": ("payments", "static"),
    "rds.force_admin_logging_level": ("NOTICE", "dynamic"),  # AWS compares choices without case
    "ssl_ciphers": ("ECDHE-RSA-AES256-GCM-SHA384, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "dynamic"),
}
# Instance level (DB parameter group): a subset AWS lists there too.
LISTED_INSTANCE = ("authentication_timeout", "pgaudit.log", "auto_explain.log_min_duration", "log_min_messages")


def _family_group(client, level: str, family: str) -> str:
    name = unique_name(("cpg" if level == "cluster" else "pg") + family.removeprefix("aurora-postgresql"))
    if level == "cluster":
        client.create_db_cluster_parameter_group(
            DBClusterParameterGroupName=name, DBParameterGroupFamily=family, Description="catalogue"
        )
    else:
        client.create_db_parameter_group(DBParameterGroupName=name, DBParameterGroupFamily=family, Description="c")
    return name


def _sent(names, values: dict) -> list[dict]:
    """Modify* parameters with the apply method AWS requires (pending-reboot for static ones)."""
    return [
        {
            "ParameterName": name,
            "ParameterValue": values[name][0],
            "ApplyMethod": "pending-reboot" if values[name][1] == "static" else "immediate",
        }
        for name in names
    ]


@pytest.mark.parametrize("family", FAMILIES)
def test_parameters_aws_lists_are_accepted_with_their_apply_type(moto_or_cloud, family):
    rds = moto_or_cloud.client("rds")
    cluster, instance = _family_group(rds, "cluster", family), _family_group(rds, "instance", family)
    names = list(LISTED)
    for start in range(0, len(names), 20):  # at most 20 a call, as on AWS
        sent = _sent(names[start : start + 20], LISTED)
        rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName=cluster, Parameters=sent)
    rds.modify_db_parameter_group(DBParameterGroupName=instance, Parameters=_sent(LISTED_INSTANCE, LISTED))
    user = _cluster_parameters(rds, cluster, Source="user")
    if moto_or_cloud.plain:  # moto stores whatever it is sent and knows nothing about it
        assert set(user) == set(LISTED) and all("ApplyType" not in p for p in user.values())
        return
    assert {name: p["ParameterValue"] for name, p in user.items()} == {n: v for n, (v, _) in LISTED.items()}
    assert {name: p["ApplyType"] for name, p in user.items()} == {n: t for n, (_, t) in LISTED.items()}
    assert all(p["IsModifiable"] and p["Source"] == "user" for p in user.values())
    assert user["shared_preload_libraries"]["DataType"] == "list"
    assert user["authentication_timeout"]["AllowedValues"] == "1-600"
    assert user["auto_explain.log_format"]["AllowedValues"] == "text,xml,json,yaml"
    assert set(_instance_parameters(rds, instance, Source="user")) == set(LISTED_INSTANCE)


@pytest.mark.parametrize(
    ("level", "name", "value"),
    [
        ("cluster", "archive_library", "basic_archive"),
        ("cluster", "archive_command", "/bin/true"),
        ("cluster", "server_encoding", "LATIN1"),
        ("instance", "ssl_cert_file", "/tmp/cert.pem"),  # noqa: S108 - a value sent, never a file used
        ("instance", "listen_addresses", "127.0.0.1"),
    ],
)
def test_parameters_aws_fixes_are_refused(moto_or_cloud, level, name, value):
    rds = moto_or_cloud.client("rds")
    group = _family_group(rds, level, "aurora-postgresql15")
    sent = [{"ParameterName": name, "ParameterValue": value, "ApplyMethod": "pending-reboot"}]
    if level == "cluster":
        modify = lambda: rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName=group, Parameters=sent)  # noqa: E731
    else:
        modify = lambda: rds.modify_db_parameter_group(DBParameterGroupName=group, Parameters=sent)  # noqa: E731
    if moto_or_cloud.plain:
        modify()  # moto accepts it
        return
    assert _error(modify) == ("InvalidParameterValue", f"The parameter {name} cannot be modified.")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("pg_stat_statements.track", "everything"),
        ("auto_explain.log_format", "html"),
        ("authentication_timeout", "601"),
        ("pgaudit.log", "ddl,everything"),
        ("apg_plan_mgmt.capture_plan_baselines", "always"),
        ("shared_preload_libraries", "pg_stat_statements,nosuchlib"),
    ],
)
def test_values_outside_allowed_values_are_refused(moto_or_cloud, name, value):
    rds = moto_or_cloud.client("rds")
    group = _family_group(rds, "cluster", "aurora-postgresql15")
    sent = [{"ParameterName": name, "ParameterValue": value, "ApplyMethod": "pending-reboot"}]

    def modify():
        return rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName=group, Parameters=sent)

    if moto_or_cloud.plain:
        modify()  # moto accepts it
        return
    allowed = _cluster_parameters(rds, group)[name]["AllowedValues"]
    message = f"Invalid parameter value: {value} for: {name} allowed values are: {allowed}"
    assert _error(modify) == ("InvalidParameterValue", message)
    assert _cluster_parameters(rds, group, Source="user") == {}


def _engine_defaults(rds, level: str, family: str, page_size: int = 100) -> list[list[dict]]:
    """Every page of DescribeEngineDefault(Cluster)Parameters, following Marker by hand."""
    call = (
        rds.describe_engine_default_cluster_parameters if level == "cluster" else rds.describe_engine_default_parameters
    )
    pages, marker = [], None
    while True:
        kwargs = {"Marker": marker} if marker else {}
        defaults = call(DBParameterGroupFamily=family, MaxRecords=page_size, **kwargs)["EngineDefaults"]
        pages.append(defaults["Parameters"])
        marker = defaults.get("Marker")
        if not marker:
            return pages


@pytest.mark.parametrize("family", FAMILIES)
def test_catalogue_lists_hundreds_per_level_in_pages(moto_or_cloud, family):
    rds = moto_or_cloud.client("rds")
    if moto_or_cloud.plain:  # moto does not implement the action: HTTP 500 with an HTML page
        with pytest.raises(ResponseParserError, match="500 Internal Server Error"):
            _engine_defaults(rds, "cluster", family)
        return
    cluster_pages, instance_pages = _engine_defaults(rds, "cluster", family), _engine_defaults(rds, "instance", family)
    cluster = [p["ParameterName"] for page in cluster_pages for p in page]
    instance = [p["ParameterName"] for page in instance_pages for p in page]
    assert len(cluster) >= 300 and len(instance) >= 250
    assert [len(page) for page in cluster_pages[:-1]] == [100] * (len(cluster_pages) - 1)
    assert cluster == sorted(cluster) and len(set(cluster)) == len(cluster)
    assert set(instance) < set(cluster)  # the cluster group also carries the instance defaults
    assert {"rds.force_ssl", "timezone", "archive_library", "autovacuum", "array_nulls"} <= set(cluster) - set(instance)
    # every entry as AWS describes it
    for parameter in (p for page in cluster_pages for p in page):
        assert parameter["ApplyType"] in ("static", "dynamic") and parameter["Source"] in ("engine-default", "system")
        assert parameter["DataType"] in ("boolean", "integer", "float", "string", "list")
        assert parameter["IsModifiable"] or parameter["ParameterName"] not in LISTED
        assert parameter["MinimumEngineVersion"] >= family.removeprefix("aurora-postgresql")
    # and a new group lists the same, in pages of the size asked for
    group = _family_group(rds, "instance", family)
    pages = rds.get_paginator("describe_db_parameters").paginate(
        DBParameterGroupName=group, PaginationConfig={"PageSize": 40}
    )
    sizes = [len(page["Parameters"]) for page in pages]
    assert sum(sizes) == len(instance) and max(sizes) == 40 and len(sizes) == -(-len(instance) // 40)


def test_aurora_postgresql16_has_postgresql16s_parameters(moto_or_cloud):
    rds = moto_or_cloud.client("rds")
    group = _family_group(rds, "cluster", "aurora-postgresql16")
    parameters = _cluster_parameters(rds, group)
    if moto_or_cloud.plain:  # no catalogue: a new group lists nothing
        assert parameters == {}
        return
    assert {"debug_parallel_query", "scram_iterations", "vacuum_buffer_usage_limit", "rds.force_ssl"} <= set(parameters)
    assert not {"force_parallel_mode", "vacuum_defer_cleanup_age"} & set(parameters)  # gone in PostgreSQL 16
    assert parameters["rds.force_ssl"]["MinimumEngineVersion"] == "16.1"
    assert parameters["debug_parallel_query"]["AllowedValues"] == "off,on,regress"
    sixteen = {"debug_parallel_query": ("on", "dynamic"), "scram_iterations": ("8192", "dynamic")}
    rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName=group, Parameters=_sent(sixteen, sixteen))
    assert set(_cluster_parameters(rds, group, Source="user")) == set(sixteen)
    fifteen = _family_group(rds, "cluster", "aurora-postgresql15")
    sent = [{"ParameterName": "debug_parallel_query", "ParameterValue": "on", "ApplyMethod": "immediate"}]
    code, message = _error(
        lambda: rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName=fifteen, Parameters=sent)
    )
    assert (code, message) == ("InvalidParameterValue", "Could not find parameter with name: debug_parallel_query")


# ----------------------------------------------------------------------------------------------------------------
# The catalogue files themselves: consistent, and what the script builds from its sources (nobody edited them).
SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "build_parameter_catalogue.py"


# AWS's own describe output gives this one a default outside its AllowedValues (0 for 1-2147483647).
AWS_INCONSISTENT = {"apg_write_forward.idle_in_transaction_session_timeout"}


def test_catalogue_defaults_fit_their_own_allowed_values():
    from localcloud.hooks import catalogue

    for family in FAMILIES:
        for level, entries in catalogue.catalogue(family).items():
            for entry in entries:
                assert entry["ApplyType"] in ("static", "dynamic"), (family, level, entry)
                value = entry.get("ParameterValue")
                if value is not None and entry["IsModifiable"] and entry["ParameterName"] not in AWS_INCONSISTENT:
                    assert catalogue._allowed(entry, value), (family, level, entry["ParameterName"], value)


def test_catalogue_files_are_what_the_script_builds():
    import importlib.util

    bindir = Path("/usr/lib/postgresql/15/bin")
    if not (bindir / "postgres").exists():
        pytest.skip("no PostgreSQL 15 binaries")
    spec = importlib.util.spec_from_file_location("build_parameter_catalogue", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    gucs = script.pg_settings(bindir)
    for family in FAMILIES:
        built = script.build(family.removeprefix("aurora-postgresql"), gucs)
        stored = json.loads((script.DATA / f"{family}.json").read_text(encoding="utf-8"))
        assert built == stored, f"{family}.json differs from what {SCRIPT.name} builds: re-run it"
