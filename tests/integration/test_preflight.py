"""Bad input is refused before any mutating AWS call, with a message naming the variable (one case per kind).

All kinds run in ONE site.yml run, one host per kind (each host is one environment with its own suffix): the
no-call checks (names, types, rules of every role's variables, two hosts on one suffix) stop a host before any
AWS call; the settings only AWS can judge (engine version, parameter names, zones) are refused after read-only
calls (STS, DescribeDBEngineVersions, DescribeEngineDefaultClusterParameters, DescribeAvailabilityZones).
"""

from __future__ import annotations

import json
import shutil

import yaml
from conftest import REPO, recap

# (settings on top of payments-local's, the variable the failure must name, other words it must contain)
BAD_INPUTS = [
    ({"env_suffix": "Dev"}, "auroradb_env_suffix", ()),
    ({"env_suffix": "1dev"}, "auroradb_env_suffix", ()),
    ({"env_suffix": "dev--blue"}, "auroradb_env_suffix", ()),
    ({"env_suffix": "dev-"}, "auroradb_env_suffix", ()),
    ({"env_suffix": "a" * 40}, "auroradb_env_suffix", ()),
    # reader15 makes the longest DB instance identifier one character longer: 36 characters no longer fit.
    ({"env_suffix": "b" * 36, "auroradb_aurora_reader_count": 15}, "auroradb_env_suffix", ("63",)),
    # Two hosts of one run on one suffix: both refused, each naming the other (see _inventory).
    ({"env_suffix": "twin"}, "auroradb_env_suffix", ("bad-07",)),
    ({"env_suffix": "twin"}, "auroradb_env_suffix", ("bad-06",)),
    ({"auroradb_network_vpc_cidr": "10.0.0.0/33"}, "auroradb_network_vpc_cidr", ()),
    ({"auroradb_network_vpc_cidr": "10.0.0.0/8"}, "auroradb_network_vpc_cidr", ()),
    (
        {"auroradb_network_public_subnet_cidrs": ["10.9.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]},
        "auroradb_network_public_subnet_cidrs",
        (),
    ),
    (
        {"auroradb_network_private_subnet_cidrs": ["10.0.0.0/24", "10.0.4.0/24", "10.0.5.0/24"]},
        "auroradb_network_private_subnet_cidrs",
        (),
    ),
    ({"auroradb_network_db_allowed_cidrs": ["0.0.0.0/0"]}, "auroradb_network_db_allowed_cidrs", ()),
    (
        {"auroradb_network_db_allowed_cidrs": ["0.0.0.0/1", "128.0.0.0/1"]},
        "auroradb_network_db_allowed_cidrs",
        ("auroradb_network_db_allow_public_cidrs",),
    ),
    ({"auroradb_network_db_allowed_security_groups": ["sg-xyz"]}, "auroradb_network_db_allowed_security_groups", ()),
    (
        {"auroradb_network_availability_zones": ["us-east-1a", "us-east-1a", "us-east-1b"]},
        "auroradb_network_availability_zones",
        (),
    ),
    (
        {"auroradb_network_availability_zones": ["us-west-2a", "us-west-2b", "us-west-2c"]},
        "auroradb_network_availability_zones",
        ("us-east-1",),
    ),
    # Well formed, in the region, but not a zone AWS has there: DescribeAvailabilityZones (read-only).
    (
        {"auroradb_network_availability_zones": ["us-east-1a", "us-east-1b", "us-east-1z"]},
        "auroradb_network_availability_zones",
        ("us-east-1z",),
    ),
    ({"auroradb_network_db_port": 80}, "auroradb_network_db_port", ()),
    ({"auroradb_network_secretsmanager_endpoint": "perhaps"}, "auroradb_network_secretsmanager_endpoint", ()),
    ({"auroradb_aws_region": "useast1"}, "auroradb_aws_region", ()),
    ({"auroradb_aws_endpoint_url": "ftp://127.0.0.1"}, "auroradb_aws_endpoint_url", ()),
    ({"auroradb_aurora_backup_window": "25:00-26:00"}, "auroradb_aurora_backup_window", ()),
    ({"auroradb_aurora_backup_window": "05:30-06:30"}, "auroradb_aurora_backup_window", ("overlap",)),
    ({"auroradb_aurora_maintenance_window": "mon:03:30-mon:04:30"}, "auroradb_aurora_maintenance_window", ()),
    ({"auroradb_aurora_backup_retention_days": 0}, "auroradb_aurora_backup_retention_days", ()),
    ({"auroradb_aurora_backup_retention_days": 36}, "auroradb_aurora_backup_retention_days", ()),
    ({"auroradb_aurora_instance_class": "m5.large"}, "auroradb_aurora_instance_class", ()),
    ({"auroradb_aurora_instance_class": "db.t2.medium"}, "auroradb_aurora_instance_class", ()),
    ({"auroradb_aurora_engine_version": "14.9"}, "auroradb_aurora_engine_version", ()),
    # A 15.x that AWS does not offer: DescribeDBEngineVersions (read-only) lists the valid ones.
    ({"auroradb_aurora_engine_version": "15.99"}, "auroradb_aurora_engine_version", ("15.7", "15.2")),
    ({"auroradb_aurora_reader_count": 16}, "auroradb_aurora_reader_count", ()),
    ({"auroradb_aurora_reader_count": "three"}, "auroradb_aurora_reader_count", ("int",)),
    ({"auroradb_aurora_readrs": 3}, "auroradb_aurora_readrs", ("auroradb_aurora_reader_count",)),
    ({"auroradb_aurora_deletion_protection": "maybe"}, "auroradb_aurora_deletion_protection", ("bool",)),
    ({"auroradb_aurora_state": "gone"}, "auroradb_aurora_state", ("present", "absent")),
    ({"auroradb_aurora_port": 6000}, "auroradb_aurora_port", ("auroradb_network_db_port",)),
    ({"auroradb_aurora_parameters": {"rds.force_ssl": 0}}, "auroradb_aurora_parameters", ("rds.force_ssl",)),
    # Not in the engine's catalogue: DescribeEngineDefaultClusterParameters (read-only).
    ({"auroradb_aurora_parameters": {"not_a_parameter": "1"}}, "auroradb_aurora_parameters", ("not_a_parameter",)),
    ({"auroradb_aurora_log_exports": ["audit"]}, "auroradb_aurora_log_exports", ("postgresql",)),
    (
        {"auroradb_aurora_performance_insights_retention_days": 10},
        "auroradb_aurora_performance_insights_retention_days",
        (),
    ),
    ({"auroradb_kms_pending_window_days": 3}, "auroradb_kms_pending_window_days", ()),
    ({"auroradb_kms_enable_rotation": "sometimes"}, "auroradb_kms_enable_rotation", ()),
    ({"auroradb_secret_recovery_window_days": 5}, "auroradb_secret_recovery_window_days", ()),
    ({"auroradb_secret_username": "rdsadmin"}, "auroradb_secret_username", ()),
    ({"auroradb_secret_rotation_days": 0}, "auroradb_secret_rotation_days", ()),
    (
        {"auroradb_secret_rotation_log_retention_days": 13},
        "auroradb_secret_rotation_log_retention_days",
        ("14", "CloudWatch Logs"),
    ),
    ({"auroradb_secret_rotation_runtime": "python2.7"}, "auroradb_secret_rotation_runtime", ()),
    ({"auroradb_secret_description": "d" * 3000}, "auroradb_secret_description", ()),
    ({"auroradb_secret_rotation_wait_seconds": 0}, "auroradb_secret_rotation_wait_seconds", ()),
    (
        {"auroradb_secret_rotation_ca_bundle": "/nonexistent/global-bundle.pem"},
        "auroradb_secret_rotation_ca_bundle",
        (),
    ),
    ({"auroradb_monitoring_cpu_threshold": 150}, "auroradb_monitoring_cpu_threshold", ()),
    (
        {"auroradb_monitoring_free_local_storage_threshold_bytes": 0},
        "auroradb_monitoring_free_local_storage_threshold_bytes",
        (),
    ),
    ({"auroradb_monitoring_period_seconds": 45}, "auroradb_monitoring_period_seconds", ()),
    ({"auroradb_monitoring_evaluation_periods": 0}, "auroradb_monitoring_evaluation_periods", ()),
    ({"auroradb_monitoring_alarm_actions": ["not-an-arn"]}, "auroradb_monitoring_alarm_actions", ("arn:aws:sns",)),
    (
        {"auroradb_monitoring_ok_actions": ["arn:aws:sns:eu-west-1:123456789012:payments-alerts"]},
        "auroradb_monitoring_ok_actions",
        ("us-east-1",),
    ),
    ({"auroradb_tags": {"aws:owner": "me"}}, "auroradb_tags", ()),
    ({"auroradb_tags": ["owner"]}, "auroradb_tags", ("dict",)),
]


def _inventory(tmp_path, cases) -> tuple[str, list[str]]:
    """inventories/local with one host per case: the case's settings on top of payments-local's, each host with
    its own suffix unless the case sets one."""
    local = REPO / "inventories" / "local"
    inventory = tmp_path / "inventory"
    shutil.copytree(local / "group_vars", inventory / "group_vars")
    base = yaml.safe_load((local / "host_vars" / "payments-local.yml").read_text())
    (inventory / "host_vars").mkdir()
    hosts = {}
    for index, (extra, _variable, _words) in enumerate(cases):
        host = f"bad-{index:02d}"
        hosts[host] = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}
        settings = {**base, "env_suffix": f"pre{index:02d}", **extra}
        (inventory / "host_vars" / f"{host}.yml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    (inventory / "hosts.yml").write_text(yaml.safe_dump({"auroradb": {"hosts": hosts}}), encoding="utf-8")
    return str(inventory), list(hosts)


def test_bad_input_refused_before_any_mutating_call(localcloud, tmp_path):
    # Every host must stop in step 1 with a message naming its variable (and the accepted form's key words);
    # the run must make no mutating AWS call at all, and only the read-only calls of the preflight.
    assert len(BAD_INPUTS) >= 45
    inventory, hosts = _inventory(tmp_path, BAD_INPUTS)
    before = len(localcloud.requests())
    proc = localcloud.playbook("site.yml", "-i", inventory, check=False, inventory=None)
    assert proc.returncode != 0, proc.stdout[-2000:]
    wrong = []
    for host, (extra, variable, words) in zip(hosts, BAD_INPUTS, strict=True):
        failures = [line for line in proc.stdout.splitlines() if line.startswith(f"fatal: [{host}]")]
        named = [line for line in failures if variable in line and all(word in line for word in words)]
        if recap(proc.stdout, host)["failed"] != 1 or not named:
            got = [line[:700] for line in failures]
            wrong.append(f"{host} {str(extra)[:80]}: expected a failure naming {variable} {words}, got {got}")
    assert wrong == [], "\n".join(wrong)
    calls = localcloud.requests()[before:]
    assert [call for call in calls if call["mutating"]] == [], "a mutating AWS call was made before validation failed"
    assert {call["action"] for call in calls} <= {
        "GetCallerIdentity",
        "ListAccountAliases",
        "DescribeDBEngineVersions",
        "DescribeEngineDefaultClusterParameters",
        "DescribeAvailabilityZones",
    }, calls


def test_several_problems_reported_at_once(localcloud):
    extra = {"env_suffix": "pre", "auroradb_aurora_backup_retention_days": 0, "auroradb_kms_pending_window_days": 3}
    proc = localcloud.playbook("site.yml", "-e", json.dumps(extra), check=False)
    assert "auroradb_aurora_backup_retention_days" in proc.stdout
    assert "auroradb_kms_pending_window_days" in proc.stdout


def test_missing_credentials_explained(localcloud, tmp_path):
    env = dict(localcloud.env)
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        env.pop(var)
    env.update(
        AWS_URL="",
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    localcloud.env, saved = env, localcloud.env
    try:
        proc = localcloud.playbook("site.yml", "-e", "env_suffix=pre", check=False, inventory="inventories/dev")
    finally:
        localcloud.env = saved
    assert proc.returncode != 0
    assert "Configure credentials" in proc.stdout and "local cloud" in proc.stdout, proc.stdout[-3000:]
