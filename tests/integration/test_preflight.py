"""Bad input is refused before any mutating AWS call, with a message naming the variable (one case per kind).

All kinds run in ONE site.yml run. Kinds that are reported together share a host (each host is one environment
with its own suffix) and its failure must name every one of them; a kind whose report another kind would mask
gets a host of its own group:
- the preflight's first task (suffix, region, endpoint, tags, variable names) and its second (the declared types)
  stop a host before the roles' checks, and two hosts on one suffix stop both right after them;
- the roles' checks (no AWS call) report every problem at once, but the cluster's need the network's plan (zones,
  DB port) and a window's overlap check needs the other window valid;
- the settings only AWS can judge (engine version, parameter names, zones) are refused after read-only calls (STS,
  DescribeDBEngineVersions, DescribeEngineDefaultClusterParameters, DescribeAvailabilityZones), which run only when
  every other check passed, and the parameters only for an engine version AWS offers.
"""

from __future__ import annotations

import json
import shutil

import yaml
from conftest import REPO, recap

from localcloud.testing import free_port

# (host, settings on top of payments-local's, the variable the failure must name, other words it must contain
# after that name and before the next variable's report). The kinds of one host are merged into its settings.
BAD_INPUTS = [
    # The preflight's first task: one suffix rule per host, with one of the other settings it checks.
    ("first-1", {"env_suffix": "Dev"}, "auroradb_env_suffix", ()),
    ("first-1", {"auroradb_aws_region": "useast1"}, "auroradb_aws_region", ()),
    ("first-2", {"env_suffix": "1dev"}, "auroradb_env_suffix", ()),
    ("first-2", {"auroradb_aws_endpoint_url": "ftp://127.0.0.1"}, "auroradb_aws_endpoint_url", ()),
    ("first-3", {"env_suffix": "dev--blue"}, "auroradb_env_suffix", ()),
    ("first-3", {"auroradb_tags": {"aws:owner": "me"}}, "auroradb_tags", ()),
    ("first-4", {"env_suffix": "dev-"}, "auroradb_env_suffix", ()),
    ("first-5", {"env_suffix": "a" * 40}, "auroradb_env_suffix", ()),
    ("first-5", {"auroradb_aurora_readrs": 3}, "auroradb_aurora_readrs", ("auroradb_aurora_reader_count",)),
    # Tags that are not a dict fail the first task's module call before its checks run.
    ("tags-type", {"auroradb_tags": ["owner"]}, "auroradb_tags", ("dict",)),
    # The preflight's second task: the declared types and choices.
    ("types", {"auroradb_aurora_reader_count": "three"}, "auroradb_aurora_reader_count", ("int",)),
    ("types", {"auroradb_aurora_deletion_protection": "maybe"}, "auroradb_aurora_deletion_protection", ("bool",)),
    ("types", {"auroradb_aurora_state": "gone"}, "auroradb_aurora_state", ("present", "absent")),
    ("types", {"auroradb_kms_enable_rotation": "sometimes"}, "auroradb_kms_enable_rotation", ()),
    ("types", {"auroradb_break_lock": "maybe"}, "auroradb_break_lock", ("force",)),
    (
        "types",
        {"auroradb_network_secretsmanager_endpoint": "perhaps"},
        "auroradb_network_secretsmanager_endpoint",
        (),
    ),
    # Two hosts of one run on one suffix: both refused, each naming the other.
    ("twin-a", {"env_suffix": "twin"}, "auroradb_env_suffix", ("bad-twin-b",)),
    ("twin-b", {"env_suffix": "twin"}, "auroradb_env_suffix", ("bad-twin-a",)),
    # The roles' checks: network kinds with key, secret and alarm kinds (not with cluster kinds, see above).
    ("network-1", {"auroradb_network_vpc_cidr": "10.0.0.0/33"}, "auroradb_network_vpc_cidr", ()),
    ("network-1", {"auroradb_network_db_allowed_cidrs": ["0.0.0.0/0"]}, "auroradb_network_db_allowed_cidrs", ()),
    (
        "network-1",
        {"auroradb_network_db_allowed_security_groups": ["sg-xyz"]},
        "auroradb_network_db_allowed_security_groups",
        (),
    ),
    (
        "network-1",
        {"auroradb_network_availability_zones": ["us-east-1a", "us-east-1a", "us-east-1b"]},
        "auroradb_network_availability_zones",
        (),
    ),
    ("network-1", {"auroradb_network_db_port": 80}, "auroradb_network_db_port", ()),
    ("network-1", {"auroradb_kms_pending_window_days": 3}, "auroradb_kms_pending_window_days", ()),
    ("network-1", {"auroradb_lock_expiry_minutes": 5}, "auroradb_lock_expiry_minutes", ("10 to 1440",)),
    ("network-1", {"auroradb_secret_rotation_runtime": "python2.7"}, "auroradb_secret_rotation_runtime", ()),
    (
        "network-1",
        {"auroradb_monitoring_alarm_actions": ["not-an-arn"]},
        "auroradb_monitoring_alarm_actions",
        ("arn:aws:sns",),
    ),
    ("network-2", {"auroradb_network_vpc_cidr": "10.0.0.0/8"}, "auroradb_network_vpc_cidr", ()),
    (
        "network-2",
        {"auroradb_network_db_allowed_cidrs": ["0.0.0.0/1", "128.0.0.0/1"]},
        "auroradb_network_db_allowed_cidrs",
        ("auroradb_network_db_allow_public_cidrs",),
    ),
    (
        "network-2",
        {"auroradb_network_availability_zones": ["us-west-2a", "us-west-2b", "us-west-2c"]},
        "auroradb_network_availability_zones",
        ("us-east-1",),
    ),
    ("network-2", {"auroradb_secret_recovery_window_days": 5}, "auroradb_secret_recovery_window_days", ()),
    ("network-2", {"auroradb_monitoring_cpu_threshold": 150}, "auroradb_monitoring_cpu_threshold", ()),
    # The public subnets are outside 10.0.0.0/16 but inside 10.0.0.0/8; the private ones overlap the default public.
    (
        "network-3",
        {"auroradb_network_public_subnet_cidrs": ["10.9.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]},
        "auroradb_network_public_subnet_cidrs",
        (),
    ),
    ("network-3", {"auroradb_secret_description": "d" * 3000}, "auroradb_secret_description", ()),
    (
        "network-3",
        {"auroradb_monitoring_free_local_storage_threshold_bytes": 0},
        "auroradb_monitoring_free_local_storage_threshold_bytes",
        (),
    ),
    (
        "network-4",
        {"auroradb_network_private_subnet_cidrs": ["10.0.0.0/24", "10.0.4.0/24", "10.0.5.0/24"]},
        "auroradb_network_private_subnet_cidrs",
        (),
    ),
    ("network-4", {"auroradb_secret_rotation_wait_seconds": 0}, "auroradb_secret_rotation_wait_seconds", ()),
    (
        "network-4",
        {"auroradb_monitoring_ok_actions": ["arn:aws:sns:eu-west-1:123456789012:payments-alerts"]},
        "auroradb_monitoring_ok_actions",
        ("us-east-1",),
    ),
    # Cluster kinds (the network settings valid), with secret and alarm kinds; the defaults' backup window
    # (03:00-04:00) and maintenance window (sun:05:00-sun:06:00) are what the two overlap kinds overlap.
    # reader15 makes the longest DB instance identifier one character longer: 36 characters no longer fit.
    ("cluster-1", {"env_suffix": "b" * 36, "auroradb_aurora_reader_count": 15}, "auroradb_env_suffix", ("63",)),
    ("cluster-1", {"auroradb_aurora_backup_window": "25:00-26:00"}, "auroradb_aurora_backup_window", ()),
    ("cluster-1", {"auroradb_aurora_backup_retention_days": 0}, "auroradb_aurora_backup_retention_days", ()),
    ("cluster-1", {"auroradb_aurora_instance_class": "m5.large"}, "auroradb_aurora_instance_class", ()),
    (
        "cluster-1",
        {"auroradb_aurora_parameters": {"rds.force_ssl": 0}},
        "auroradb_aurora_parameters",
        ("rds.force_ssl",),
    ),
    ("cluster-1", {"auroradb_secret_username": "rdsadmin"}, "auroradb_secret_username", ()),
    ("cluster-1", {"auroradb_monitoring_period_seconds": 45}, "auroradb_monitoring_period_seconds", ()),
    ("cluster-2", {"auroradb_aurora_backup_window": "05:30-06:30"}, "auroradb_aurora_backup_window", ("overlap",)),
    ("cluster-2", {"auroradb_aurora_backup_retention_days": 36}, "auroradb_aurora_backup_retention_days", ()),
    ("cluster-2", {"auroradb_aurora_instance_class": "db.t2.medium"}, "auroradb_aurora_instance_class", ()),
    ("cluster-2", {"auroradb_aurora_engine_version": "14.9"}, "auroradb_aurora_engine_version", ()),
    ("cluster-2", {"auroradb_aurora_log_exports": ["audit"]}, "auroradb_aurora_log_exports", ("postgresql",)),
    ("cluster-2", {"auroradb_secret_rotation_days": 0}, "auroradb_secret_rotation_days", ()),
    ("cluster-2", {"auroradb_monitoring_evaluation_periods": 0}, "auroradb_monitoring_evaluation_periods", ()),
    (
        "cluster-3",
        {"auroradb_aurora_maintenance_window": "mon:03:30-mon:04:30"},
        "auroradb_aurora_maintenance_window",
        (),
    ),
    ("cluster-3", {"auroradb_aurora_reader_count": 16}, "auroradb_aurora_reader_count", ()),
    (
        "cluster-3",
        {"auroradb_aurora_performance_insights_retention_days": 10},
        "auroradb_aurora_performance_insights_retention_days",
        (),
    ),
    (
        "cluster-3",
        {"auroradb_secret_rotation_log_retention_days": 13},
        "auroradb_secret_rotation_log_retention_days",
        ("14", "CloudWatch Logs"),
    ),
    ("cluster-4", {"auroradb_aurora_port": 6000}, "auroradb_aurora_port", ("auroradb_network_db_port",)),
    (
        "cluster-4",
        {"auroradb_secret_rotation_ca_bundle": "/nonexistent/global-bundle.pem"},
        "auroradb_secret_rotation_ca_bundle",
        (),
    ),
    # Read-only calls: a 15.x AWS does not offer (DescribeDBEngineVersions lists the valid ones), a zone AWS does
    # not have in the region (DescribeAvailabilityZones); a parameter not in the engine's catalogue
    # (DescribeEngineDefaultClusterParameters, only asked for an offered version).
    (
        "catalogue-1",
        {"auroradb_aurora_engine_version": "15.99"},
        "auroradb_aurora_engine_version",
        ("15.7", "15.2"),
    ),
    (
        "catalogue-1",
        {"auroradb_network_availability_zones": ["us-east-1a", "us-east-1b", "us-east-1z"]},
        "auroradb_network_availability_zones",
        ("us-east-1z",),
    ),
    (
        "catalogue-2",
        {"auroradb_aurora_parameters": {"not_a_parameter": "1"}},
        "auroradb_aurora_parameters",
        ("not_a_parameter",),
    ),
]


def _groups(cases) -> dict[str, list[tuple]]:
    """The kinds of each host (inventory host name -> its cases), in the table's order."""
    groups = {}
    for host, *case in cases:
        groups.setdefault(f"bad-{host}", []).append(tuple(case))
    return groups


def _inventory(tmp_path, groups) -> str:
    """inventories/local with one host per group: its kinds' settings on top of payments-local's, each host with
    its own suffix unless a kind sets one."""
    local = REPO / "inventories" / "local"
    inventory = tmp_path / "inventory"
    shutil.copytree(local / "group_vars", inventory / "group_vars")
    base = yaml.safe_load((local / "host_vars" / "payments-local.yml").read_text())
    (inventory / "host_vars").mkdir()
    hosts = {}
    for index, (host, cases) in enumerate(groups.items()):
        hosts[host] = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}
        settings, given = {**base, "env_suffix": f"pre{index:02d}"}, set()
        for extra, _variable, _words in cases:
            assert not given & set(extra), f"{host}: two kinds set {given & set(extra)}"
            settings.update(extra)
            given |= set(extra)
        (inventory / "host_vars" / f"{host}.yml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    (inventory / "hosts.yml").write_text(yaml.safe_dump({"auroradb": {"hosts": hosts}}), encoding="utf-8")
    return str(inventory)


def _message(line) -> str:
    """The message of a `fatal: [host]: FAILED! => {...}` line (the whole line if it is not one)."""
    try:
        return str(json.loads(line.split(" => ", 1)[1])["msg"])
    except (IndexError, KeyError, TypeError, ValueError):
        return line


def _names(message, variable, words, others) -> bool:
    """Whether the message reports the variable with all the words, before the next of the others' reports."""
    start = message.find(variable)
    while start >= 0:
        report = message[start + len(variable) :]
        ends = [report.find(f"{other}:") for other in others if other != variable]
        report = report[: min([end for end in ends if end >= 0], default=len(report))]
        if all(word in report for word in words):
            return True
        start = message.find(variable, start + 1)
    return False


def test_bad_input_refused_before_any_mutating_call(localcloud, tmp_path):
    # Every host must stop in step 1 with a message naming each of its variables (and the accepted form's key
    # words); the run must make no mutating AWS call at all, and only the read-only calls of the preflight.
    assert len(BAD_INPUTS) >= 59
    groups = _groups(BAD_INPUTS)
    inventory = _inventory(tmp_path, groups)
    before = len(localcloud.requests())
    proc = localcloud.playbook("site.yml", "-i", inventory, check=False, inventory=None)
    assert proc.returncode != 0, proc.stdout[-2000:]
    wrong = []
    for host, cases in groups.items():
        failures = [_message(line) for line in proc.stdout.splitlines() if line.startswith(f"fatal: [{host}]")]
        others = [variable for _extra, variable, _words in cases]
        for extra, variable, words in cases:
            named = [message for message in failures if _names(message, variable, words, others)]
            if recap(proc.stdout, host)["failed"] != 1 or not named:
                got = [message[:700] for message in failures]
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


def test_endpoint_not_answering_explained(localcloud):
    # The endpoint URL override points at a closed port (a local cloud that is not running): preflight says that,
    # once, names the URL and how to start the local cloud, and does not blame the credentials.
    url = f"http://127.0.0.1:{free_port()}/"
    localcloud.env, saved = {**localcloud.env, "AWS_URL": url}, localcloud.env
    try:
        proc = localcloud.playbook("site.yml", "-e", "env_suffix=pre", "-e", "auroradb_aws_max_attempts=2", check=False)
    finally:
        localcloud.env = saved
    assert proc.returncode != 0
    fatal = [line for line in proc.stdout.splitlines() if line.startswith("fatal: ")]
    assert len(fatal) == 1, proc.stdout[-3000:]
    assert f"The AWS endpoint {url} does not answer" in fatal[0], fatal[0]
    assert f"the local cloud at {url} is not running" in fatal[0] and "make localcloud-up" in fatal[0], fatal[0]
    assert "Configure credentials" not in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
