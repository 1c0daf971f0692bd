"""Bad input is refused before any AWS call, with a message naming the variable (one case per kind)."""

from __future__ import annotations

import json
import shutil

import yaml
from conftest import REPO, recap

BAD_INPUTS = [
    ({"env_suffix": "Dev"}, "auroradb_env_suffix"),
    ({"env_suffix": "1dev"}, "auroradb_env_suffix"),
    ({"env_suffix": "dev--blue"}, "auroradb_env_suffix"),
    ({"env_suffix": "dev-"}, "auroradb_env_suffix"),
    ({"env_suffix": "a" * 40}, "auroradb_env_suffix"),
    ({"auroradb_network_vpc_cidr": "10.0.0.0/33"}, "auroradb_network_vpc_cidr"),
    ({"auroradb_network_vpc_cidr": "10.0.0.0/8"}, "auroradb_network_vpc_cidr"),
    (
        {"auroradb_network_public_subnet_cidrs": ["10.9.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]},
        "auroradb_network_public_subnet_cidrs",
    ),
    (
        {"auroradb_network_private_subnet_cidrs": ["10.0.0.0/24", "10.0.4.0/24", "10.0.5.0/24"]},
        "auroradb_network_private_subnet_cidrs",
    ),
    ({"auroradb_network_db_allowed_cidrs": ["0.0.0.0/0"]}, "auroradb_network_db_allowed_cidrs"),
    (
        {"auroradb_network_availability_zones": ["us-east-1a", "us-east-1a", "us-east-1b"]},
        "auroradb_network_availability_zones",
    ),
    ({"auroradb_aws_region": "useast1"}, "auroradb_aws_region"),
    ({"auroradb_aurora_backup_window": "25:00-26:00"}, "auroradb_aurora_backup_window"),
    ({"auroradb_aurora_maintenance_window": "mon:03:30-mon:04:30"}, "auroradb_aurora_maintenance_window"),
    ({"auroradb_aurora_backup_retention_days": 0}, "auroradb_aurora_backup_retention_days"),
    ({"auroradb_aurora_backup_retention_days": 36}, "auroradb_aurora_backup_retention_days"),
    ({"auroradb_aurora_instance_class": "m5.large"}, "auroradb_aurora_instance_class"),
    ({"auroradb_aurora_engine_version": "14.9"}, "auroradb_aurora_engine_version"),
    (
        {"auroradb_aurora_performance_insights_retention_days": 10},
        "auroradb_aurora_performance_insights_retention_days",
    ),
    ({"auroradb_kms_pending_window_days": 3}, "auroradb_kms_pending_window_days"),
    ({"auroradb_secret_recovery_window_days": 5}, "auroradb_secret_recovery_window_days"),
    ({"auroradb_secret_username": "rdsadmin"}, "auroradb_secret_username"),
    ({"auroradb_monitoring_cpu_threshold": 150}, "auroradb_monitoring_cpu_threshold"),
    ({"auroradb_tags": {"aws:owner": "me"}}, "auroradb_tags"),
    ({"auroradb_secret_rotation_ca_bundle": "/nonexistent/global-bundle.pem"}, "auroradb_secret_rotation_ca_bundle"),
]


def _inventory(tmp_path, cases) -> tuple[str, list[str]]:
    """inventories/local with one host per case: the case's settings on top of payments-local's."""
    local = REPO / "inventories" / "local"
    inventory = tmp_path / "inventory"
    shutil.copytree(local / "group_vars", inventory / "group_vars")
    base = yaml.safe_load((local / "host_vars" / "payments-local.yml").read_text())
    (inventory / "host_vars").mkdir()
    hosts = {}
    for index, (extra, _variable) in enumerate(cases):
        host = f"bad-{index:02d}"
        hosts[host] = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}
        settings = {**base, "env_suffix": "pre", **extra}
        (inventory / "host_vars" / f"{host}.yml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    (inventory / "hosts.yml").write_text(yaml.safe_dump({"auroradb": {"hosts": hosts}}), encoding="utf-8")
    return str(inventory), list(hosts)


def test_bad_input_refused_before_any_aws_call(localcloud, tmp_path):
    # One host per kind of bad input, all in one run (each host is one environment): every host must stop at the
    # validation step with a message naming its variable, and the run must make no AWS call at all.
    inventory, hosts = _inventory(tmp_path, BAD_INPUTS)
    before = len(localcloud.requests())
    proc = localcloud.playbook("site.yml", "-i", inventory, check=False, inventory=None)
    assert proc.returncode != 0, proc.stdout[-2000:]
    wrong = []
    for host, (extra, variable) in zip(hosts, BAD_INPUTS, strict=True):
        failures = [line for line in proc.stdout.splitlines() if line.startswith(f"fatal: [{host}]")]
        if recap(proc.stdout, host)["failed"] != 1 or not any(variable in line for line in failures):
            wrong.append(f"{host} {extra}: expected a failure naming {variable}, got {failures}")
    assert wrong == [], "\n".join(wrong) + "\n" + proc.stdout[-3000:]
    assert localcloud.requests()[before:] == [], "an AWS API call was made before validation failed"


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
