# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of payments.auroradb.validate_inputs: run main() with patched module arguments."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args

from ansible_collections.payments.auroradb.plugins.modules import validate_inputs
from ansible_collections.payments.auroradb.tests.unit.plugins.module_utils.test_validation import GOOD

COLLECTIONS_ROOT = str(Path(__file__).resolve().parents[7])  # <repo>/collections

# The design contract's defaults (test_validation.GOOD) with an extra tag; the CA bundle is left out (the module
# checks a file on disk, which test_validation covers).
GOOD_ARGS = dict({k: v for k, v in GOOD.items() if k != "rotation_ca_bundle"}, tags={"owner": "payments"})


class ExitJson(Exception):
    """exit_json was called; args[0] is the result."""


class FailJson(Exception):
    """fail_json was called; args[0] is the result."""


@pytest.fixture(autouse=True)
def capture_exits(monkeypatch):
    def exit_json(self, **kwargs):
        raise ExitJson(kwargs)

    def fail_json(self, msg, **kwargs):
        raise FailJson(dict(kwargs, msg=msg, failed=True))

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)


def run_module(args):
    """Run the module's main() with these arguments; return ("exit" | "fail", result)."""
    try:
        with patch_module_args(args):
            validate_inputs.main()
    except ExitJson as exit_:
        return "exit", exit_.args[0]
    except FailJson as fail:
        return "fail", fail.args[0]
    raise AssertionError("the module returned without exit_json or fail_json")


def test_good_input_exits_with_names_and_tags():
    outcome, result = run_module(GOOD_ARGS)
    assert outcome == "exit"
    assert result["changed"] is False
    assert result["problems"] == []
    assert result["names"]["cluster"] == "payment-db-cluster-dev"
    assert result["names"]["writer_instance"] == "payment-db-cluster-dev-writer"
    assert result["names"]["reader_instances"] == ["payment-db-cluster-dev-reader1", "payment-db-cluster-dev-reader2"]
    assert result["names"]["kms_alias"] == "alias/payment-db-dev"
    assert result["names"]["db_security_group"] == "payment-db-sg-dev"
    assert result["tags"] == {
        "environment": "dev",
        "project": "payments-auroradb",
        "managed-by": "ansible",
        "owner": "payments",
    }
    assert len(result["checked"]) == len(GOOD_ARGS)
    assert "auroradb_network_vpc_cidr" in result["checked"]


def test_multi_error_input_fails_with_every_problem_in_one_message():
    args = dict(
        GOOD_ARGS,
        env_suffix="1dev",
        vpc_cidr="10.0.0.0/8",
        db_allowed_cidrs=["0.0.0.0/0"],
        engine_version="16.1",
        backup_window="05:30-06:30",
        secret_username="rdsadmin",
        tags={"aws:owner": "x"},
    )
    outcome, result = run_module(args)
    assert outcome == "fail"
    problems = result["problems"]
    assert result["msg"] == "; ".join(problems)
    for variable in (
        "auroradb_env_suffix",
        "auroradb_network_vpc_cidr",
        "auroradb_network_db_allowed_cidrs",
        "auroradb_aurora_engine_version",
        "auroradb_aurora_backup_window",
        "auroradb_secret_username",
        "auroradb_tags",
    ):
        assert any(p.startswith(variable + ":") for p in problems), variable
    # Only the settings that are wrong: the subnets (inside 10.0.0.0/8 too) draw no problem.
    assert len(problems) == 7, problems
    assert "auroradb_env_suffix: must start with a lowercase letter (got '1dev')" in problems
    assert "names" not in result


def test_only_given_options_are_checked():
    outcome, result = run_module({"vpc_cidr": "10.0.0.0/16"})
    assert outcome == "exit"
    assert result["checked"] == ["auroradb_network_vpc_cidr"]
    assert result["names"] == {}
    assert result["tags"] == {"project": "payments-auroradb", "managed-by": "ansible"}


def test_nothing_given_is_fine():
    outcome, result = run_module({})
    assert outcome == "exit" and result["problems"] == [] and result["checked"] == []


def test_reader_count_shapes_the_names():
    outcome, result = run_module({"env_suffix": "dev", "reader_count": 0})
    assert outcome == "exit"
    assert result["names"]["reader_instances"] == []


def test_connection_settings_go_into_the_plan_and_credentials_are_refused():
    outcome, result = run_module(dict(GOOD_ARGS, endpoint_url="http://127.0.0.1:4566", profile="payments"))
    assert outcome == "exit", result
    assert result["plan"]["connection"]["endpoint_url"] == "http://127.0.0.1:4566"
    outcome, result = run_module(dict(GOOD_ARGS, access_key="AKIDEXAMPLE", secret_key="not-a-real-secret"))
    assert outcome == "fail" and "Unsupported parameters" in result["msg"], result


def test_aws_option_aliases_are_accepted():
    args = {"env_suffix": "dev", "aws_region": "us-east-1", "aws_profile": "payments"}
    outcome, result = run_module(args)
    assert outcome == "exit", result
    assert "auroradb_aws_region" in result["checked"]


def test_region_from_module_defaults_is_checked_against_the_zones():
    args = {"region": "eu-west-1", "availability_zones": ["us-east-1a", "us-east-1b", "us-east-1c"]}
    outcome, result = run_module(args)
    assert outcome == "fail"
    assert len(result["problems"]) == 3
    assert all(p.startswith("auroradb_network_availability_zones: zone ") for p in result["problems"])


def test_check_mode_gives_the_same_answer():
    outcome, result = run_module(dict(GOOD_ARGS, _ansible_check_mode=True))
    assert outcome == "exit" and result["changed"] is False
    outcome, result = run_module({"env_suffix": "Dev", "_ansible_check_mode": True})
    assert outcome == "fail" and result["problems"]


def test_string_numbers_are_converted_before_the_checks():
    outcome, result = run_module({"env_suffix": "dev", "reader_count": "3", "cpu_threshold": "75.5"})
    assert outcome == "exit", result
    assert len(result["names"]["reader_instances"]) == 3


def test_unknown_option_is_refused_by_the_argument_spec():
    outcome, result = run_module({"env_sufix": "dev"})
    assert outcome == "fail"
    assert "env_sufix" in result["msg"]


def test_module_runs_as_a_script_without_boto3(tmp_path):
    """A fresh interpreter where importing boto3/botocore fails: the module still answers with JSON."""
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {"env_suffix": "1dev", "db_allowed_cidrs": ["0.0.0.0/0"]}}))
    script = (
        "import runpy, sys\n"
        "sys.modules['boto3'] = sys.modules['botocore'] = None\n"
        "sys.argv = ['validate_inputs', sys.argv[1]]\n"
        f"runpy.run_module({validate_inputs.__name__!r}, run_name='__main__')\n"
    )
    env = dict(os.environ, PYTHONPATH=COLLECTIONS_ROOT)
    proc = subprocess.run(
        [sys.executable, "-c", script, str(args_file)], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 1, proc.stderr
    result = json.loads(proc.stdout)
    assert result["failed"] is True
    assert [p.split(":")[0] for p in result["problems"]] == ["auroradb_env_suffix", "auroradb_network_db_allowed_cidrs"]


def test_plan_answers_what_the_options_give():
    outcome, result = run_module(dict(GOOD_ARGS, endpoint_url="http://127.0.0.1:4566"))
    assert outcome == "exit", result
    plan = result["plan"]
    assert plan["names"] == result["names"] and plan["tags"] == result["tags"]
    assert plan["exports"]["ClusterEndpoint"] == "payment-db-cluster-endpoint-dev"
    assert plan["connection"] == {"region": "us-east-1", "endpoint_url": "http://127.0.0.1:4566"}
    assert plan["db_port"] == 5432
    assert [(i["id"], i["availability_zone"]) for i in plan["instances"]] == [
        ("payment-db-cluster-dev-writer", "us-east-1a"),
        ("payment-db-cluster-dev-reader1", "us-east-1b"),
        ("payment-db-cluster-dev-reader2", "us-east-1c"),
    ]


def test_empty_zones_mean_the_regions_a_b_c():
    outcome, result = run_module({"region": "eu-west-1", "availability_zones": []})
    assert outcome == "exit", result
    assert result["plan"]["availability_zones"] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert "auroradb_network_availability_zones" not in result["checked"]


SPECS = [
    {"argument_specs": {"main": {"options": {"auroradb_aurora_reader_count": {"type": "int", "description": "x"}}}}}
]


def test_declared_variables_are_returned_and_unknown_names_refused():
    outcome, result = run_module(
        {"argument_specs": SPECS, "published_facts": ["auroradb_plan"], "defined_variables": ["auroradb_plan"]}
    )
    assert outcome == "exit" and result["declared"] == {"auroradb_aurora_reader_count": {"type": "int"}}
    outcome, result = run_module({"argument_specs": SPECS, "defined_variables": ["auroradb_aurora_readrs"]})
    assert outcome == "fail"
    assert result["problems"][0].startswith("auroradb_aurora_readrs: ")
    assert "did you mean auroradb_aurora_reader_count?" in result["problems"][0]
