# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Security posture of a deployed payments Aurora stack: AWS Security Hub controls and the PCI DSS items no control
covers, one entry per control (``posture_report`` module, verify.yml's report).

Two halves, as in ``verify.py``:

* ``evaluate(facts, names, waivers, now)``: pure. Each control of ``CONTROLS`` turns the gathered facts into
  ``(status, reason)`` with status ``pass``, ``fail`` or ``not_applicable``; a failing control the inventory waives
  becomes ``waived`` with the waiver's reason. **The expected value of each control is the control's own** (Security
  Hub's default parameters, e.g. ``rds.force_ssl`` must be 1, log groups kept at least 365 days), never the
  inventory variable the control checks: an inventory relaxes a control only by waiving it, visibly.
* ``gather(clients, names)``: the read-only AWS calls, through the service layer. A missing resource is ``None``.

The secret checked is the cluster's managed master secret when RDS manages the password (``MasterUserSecret``),
else the stack's secret of ``names``; the Lambda controls are ``not_applicable`` when no rotation function is
deployed because RDS rotates the managed secret itself.
"""

from __future__ import annotations

import datetime

from ansible_collections.payments.auroradb.plugins.module_utils import (
    cloudwatch,
    ec2,
    functions,
    kms,
    logs,
    rds,
    rotation,
    secretsmanager,
)

PASS, FAIL, NOT_APPLICABLE, WAIVED = "pass", "fail", "not_applicable", "waived"
STATUSES = (PASS, FAIL, NOT_APPLICABLE, WAIVED)

# Security Hub's default parameters of the controls, and the PCI items' thresholds.
MIN_BACKUP_RETENTION_DAYS = 7  # RDS.50
PCI_BACKUP_RETENTION_DAYS = 35  # pci.backup_retention: the longest automated retention Aurora keeps
MIN_LOG_RETENTION_DAYS = 365  # CloudWatch.16, pci.log_retention_365 (PCI DSS 10.5.1: a year of audit logs)
MAX_DAYS_SINCE_ROTATION = 90  # SecretsManager.4
MAX_DAYS_UNUSED = 90  # SecretsManager.5
DEFAULT_ADMIN_USERNAMES = frozenset(["postgres", "admin", "root", "administrator"])  # RDS.24
# Lambda runtimes AWS supports (not deprecated) on the date of this release: Lambda.2.
SUPPORTED_RUNTIMES = frozenset(
    ["python3.10", "python3.11", "python3.12", "python3.13", "nodejs20.x", "nodejs22.x", "java21", "provided.al2023"]
)
# The event categories each RDS event control asks for, by source type (Security Hub's defaults).
EVENT_CONTROLS = {
    "RDS.19": ("db-cluster", ("failure", "maintenance"), "cluster_events"),
    "RDS.20": ("db-instance", ("maintenance", "configuration change", "failure"), "instance_events"),
    "RDS.21": ("db-parameter-group", ("configuration change",), "parameter_group_events"),
    "RDS.22": ("db-security-group", ("configuration change",), "security_group_events"),
}
LOG_EXPORT = "postgresql"
# Flow log traffic types that record rejected traffic (EC2.6's default parameter is REJECT).
FLOW_LOG_TRAFFIC = frozenset(["REJECT", "ALL"])


# ---------------------------------------------------------------------------------------------------------------
# Small helpers (pure)
# ---------------------------------------------------------------------------------------------------------------


def _as_time(value):
    """A datetime (aware, UTC) from a datetime or an ISO 8601 string; None otherwise."""
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)
    return None


def _days_since(value, now):
    moment = _as_time(value)
    return None if moment is None else (now - moment).total_seconds() / 86400.0


def _listed(items, limit=4):
    items = sorted(items)
    if not items:
        return "none"
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _each_instance(facts, predicate, describe):
    """``(status, reason)`` for a property every instance must have."""
    instances = facts.get("instances") or []
    if not facts.get("cluster") or not instances:
        return FAIL, "no DB instances found"
    bad = [i["DBInstanceIdentifier"] for i in instances if not predicate(i)]
    if bad:
        return FAIL, f"not {describe}: {_listed(bad)}"
    return PASS, f"all {len(instances)} instances {describe}"


def _cluster_property(facts, predicate, good, bad):
    cluster = facts.get("cluster")
    if not cluster:
        return FAIL, "cluster not found"
    return (PASS, good(cluster)) if predicate(cluster) else (FAIL, bad(cluster))


def public_statements(policy):
    """The Allow statements of a resource policy open to everyone: principal ``*`` with no condition."""
    statements = (policy or {}).get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    found = []
    for statement in statements:
        if statement.get("Effect") != "Allow" or statement.get("Condition"):
            continue
        principal = statement.get("Principal")
        values = []
        if principal == "*":
            values = ["*"]
        elif isinstance(principal, dict):
            for value in principal.values():
                values.extend([value] if isinstance(value, str) else value or [])
        if "*" in values:
            found.append(statement.get("Sid") or "an unnamed statement")
    return found


# ---------------------------------------------------------------------------------------------------------------
# The controls (pure): facts -> (status, reason)
# ---------------------------------------------------------------------------------------------------------------


def rds_2(facts):
    return _each_instance(facts, lambda i: i.get("PubliclyAccessible") is False, "publicly inaccessible")


def rds_4(facts):
    if not facts.get("cluster"):
        return FAIL, "cluster not found"
    snapshots = facts.get("cluster_snapshots") or []
    if not snapshots:
        return NOT_APPLICABLE, "the cluster has no snapshot yet"
    clear = [s["DBClusterSnapshotIdentifier"] for s in snapshots if s.get("StorageEncrypted") is not True]
    if clear:
        return FAIL, f"unencrypted snapshots: {_listed(clear)}"
    return PASS, f"all {len(snapshots)} snapshots encrypted"


def rds_6(facts):
    return _each_instance(
        facts,
        lambda i: int(i.get("MonitoringInterval") or 0) > 0 and bool(i.get("MonitoringRoleArn")),
        "sending enhanced monitoring (interval > 0 with a monitoring role)",
    )


def rds_7(facts):
    return _cluster_property(
        facts,
        lambda c: c.get("DeletionProtection") is True,
        lambda c: "deletion protection on",
        lambda c: "deletion protection off",
    )


def rds_9(facts):
    return _cluster_property(
        facts,
        lambda c: LOG_EXPORT in (c.get("EnabledCloudwatchLogsExports") or []),
        lambda c: f"exports {', '.join(c['EnabledCloudwatchLogsExports'])} to CloudWatch Logs",
        lambda c: (
            f"does not export the {LOG_EXPORT} log (exports: {_listed(c.get('EnabledCloudwatchLogsExports') or [])})"
        ),
    )


def rds_12(facts):
    return _cluster_property(
        facts,
        lambda c: c.get("IAMDatabaseAuthenticationEnabled") is True,
        lambda c: "IAM database authentication on",
        lambda c: "IAM database authentication off",
    )


def rds_13(facts):
    return _each_instance(
        facts, lambda i: i.get("AutoMinorVersionUpgrade") is True, "upgrading minor versions by themselves"
    )


def rds_15(facts):
    cluster = facts.get("cluster")
    if not cluster:
        return FAIL, "cluster not found"
    zones = sorted({i.get("AvailabilityZone") for i in facts.get("instances") or [] if i.get("AvailabilityZone")})
    if cluster.get("MultiAZ") is True and len(zones) > 1:
        return PASS, f"Multi-AZ, instances in {', '.join(zones)}"
    return FAIL, f"MultiAZ {cluster.get('MultiAZ')}, instances in {', '.join(zones) or 'no zone'}"


def rds_16(facts):
    return _cluster_property(
        facts,
        lambda c: c.get("CopyTagsToSnapshot") is True,
        lambda c: "copies its tags to snapshots",
        lambda c: "does not copy its tags to snapshots",
    )


def _event_control(control):
    source_type, categories, name_key = EVENT_CONTROLS[control]

    def evaluate(facts, names):
        name = names[name_key]
        subscription = (facts.get("event_subscriptions") or {}).get(name)
        if not subscription:
            return FAIL, f"event subscription {name} not found"
        problems = []
        if subscription.get("Enabled") is not True:
            problems.append("disabled")
        if subscription.get("SourceType") != source_type:
            problems.append(f"source type {subscription.get('SourceType')}")
        listed = subscription.get("EventCategoriesList") or []
        missing = [c for c in categories if listed and c not in listed]  # an empty list means every category
        if missing:
            problems.append(f"missing categories {', '.join(missing)}")
        if subscription.get("Status") not in (None, "active", "creating", "modifying"):
            problems.append(f"status {subscription.get('Status')}")
        if problems:
            return FAIL, f"{name}: " + "; ".join(problems)
        return PASS, f"{name} sends {source_type} {', '.join(categories)} events to {subscription.get('SnsTopicArn')}"

    return evaluate


def rds_24(facts):
    return _cluster_property(
        facts,
        lambda c: (c.get("MasterUsername") or "").lower() not in DEFAULT_ADMIN_USERNAMES,
        lambda c: f"administrator {c.get('MasterUsername')}",
        lambda c: f"default administrator name {c.get('MasterUsername')}",
    )


def rds_27(facts):
    return _cluster_property(
        facts,
        lambda c: c.get("StorageEncrypted") is True,
        lambda c: f"encrypted with {c.get('KmsKeyId')}",
        lambda c: "storage not encrypted",
    )


def rds_28(facts):
    def user_tags(cluster):
        return sorted(t["Key"] for t in cluster.get("TagList") or [] if not t["Key"].startswith("aws:"))

    return _cluster_property(
        facts,
        lambda c: bool(user_tags(c)),
        lambda c: f"tagged {', '.join(user_tags(c))}",
        lambda c: "no tags",
    )


def rds_46(facts):
    instances = facts.get("instances") or []
    if not instances:
        return FAIL, "no DB instances found"
    tables = facts.get("route_tables") or []
    exposed = set()
    subnets = set()
    for instance in instances:
        for subnet in (instance.get("DBSubnetGroup") or {}).get("Subnets") or []:
            subnet_id = subnet.get("SubnetIdentifier")
            subnets.add(subnet_id)
            table = ec2.route_table_of(tables, subnet_id) or {}
            if any((route.get("GatewayId") or "").startswith("igw-") for route in table.get("Routes") or []):
                exposed.add(subnet_id)
    if not subnets:
        return FAIL, "the instances' subnet group lists no subnet"
    if exposed:
        return FAIL, f"subnets routed to an internet gateway: {_listed(exposed)}"
    return PASS, f"the {len(subnets)} subnets of the instances have no route to an internet gateway"


def rds_50(facts):
    return _cluster_property(
        facts,
        lambda c: int(c.get("BackupRetentionPeriod") or 0) >= MIN_BACKUP_RETENTION_DAYS,
        lambda c: f"backups kept {c.get('BackupRetentionPeriod')} days",
        lambda c: f"backups kept {c.get('BackupRetentionPeriod')} days (< {MIN_BACKUP_RETENTION_DAYS})",
    )


def kms_3(facts):
    key = facts.get("kms_key")
    if not key:
        return FAIL, "the stack's key not found"
    if key.get("KeyState") == "PendingDeletion":
        return FAIL, f"{key.get('KeyId')} is scheduled for deletion on {key.get('DeletionDate')}"
    return PASS, f"{key.get('KeyId')} {key.get('KeyState')}"


def kms_4(facts):
    if not facts.get("kms_key"):
        return FAIL, "the stack's key not found"
    if facts.get("kms_rotation") is True:
        return PASS, "automatic rotation on"
    return FAIL, "automatic rotation off"


def kms_5(facts):
    if not facts.get("kms_key"):
        return FAIL, "the stack's key not found"
    public = public_statements(facts.get("kms_policy"))
    if public:
        return FAIL, f"the key policy allows everyone (Principal *) without condition: {', '.join(public)}"
    return PASS, "the key policy names its principals"


def _secret(facts):
    return facts.get("secret")


def secretsmanager_1(facts):
    secret = _secret(facts)
    if not secret:
        return FAIL, "secret not found"
    if secret.get("RotationEnabled") is not True:
        return FAIL, f"{secret.get('Name')}: automatic rotation off"
    schedule = rotation.current_schedule(secret.get("RotationRules"))
    return PASS, f"{secret.get('Name')}: rotation on ({schedule or 'schedule unknown'})"


def _rotation_interval_days(secret):
    return rotation.schedule_days(rotation.current_schedule(secret.get("RotationRules")))


def secretsmanager_2(facts, now):
    secret = _secret(facts)
    if not secret:
        return FAIL, "secret not found"
    if secret.get("RotationEnabled") is not True:
        return NOT_APPLICABLE, "rotation is not configured (SecretsManager.1 reports it)"
    stuck = rotation.stuck_pending(secret)
    if stuck:
        return FAIL, f"version {stuck} still labelled AWSPENDING: the last rotation did not finish"
    interval = _rotation_interval_days(secret)
    last = secret.get("LastRotatedDate") or secret.get("CreatedDate")
    age = _days_since(last, now)
    if interval and age is not None and age > interval + 1:
        return FAIL, f"last rotated {age:.0f} days ago, the schedule says every {interval:.0f} days"
    said = "last rotated" if secret.get("LastRotatedDate") else "created (not rotated yet)"
    return PASS, f"{said} {age:.1f} days ago, on schedule" if age is not None else "rotation on schedule"


def secretsmanager_4(facts, now):
    secret = _secret(facts)
    if not secret:
        return FAIL, "secret not found"
    last = secret.get("LastRotatedDate") or secret.get("CreatedDate")
    age = _days_since(last, now)
    if age is None:
        return FAIL, "no rotation or creation date"
    said = "rotated" if secret.get("LastRotatedDate") else "created, not rotated yet,"
    if age > MAX_DAYS_SINCE_ROTATION:
        return FAIL, f"{said} {age:.0f} days ago (> {MAX_DAYS_SINCE_ROTATION})"
    return PASS, f"{said} {age:.1f} days ago (<= {MAX_DAYS_SINCE_ROTATION})"


def secretsmanager_5(facts, now):
    secret = _secret(facts)
    if not secret:
        return FAIL, "secret not found"
    used = secret.get("LastAccessedDate") or secret.get("CreatedDate")
    age = _days_since(used, now)
    if age is None:
        return FAIL, "no access or creation date"
    said = "last accessed" if secret.get("LastAccessedDate") else "created, not accessed yet,"
    if age > MAX_DAYS_UNUSED:
        return FAIL, f"{said} {age:.0f} days ago (> {MAX_DAYS_UNUSED})"
    return PASS, f"{said} {age:.1f} days ago (<= {MAX_DAYS_UNUSED})"


def _alarm_names(names, alarm_names=None):
    """The stack's alarms: the given list, else the two every stack has."""
    return sorted(alarm_names or [names["cpu_alarm"], names["storage_alarm"]])


def cloudwatch_15(facts, names, alarm_names=None):
    alarms = facts.get("alarms") or {}
    wanted = _alarm_names(names, alarm_names)
    missing = [n for n in wanted if n not in alarms]
    if missing:
        return FAIL, f"alarms not found: {_listed(missing)}"
    silent = [n for n in wanted if not alarms[n].get("AlarmActions") or not alarms[n].get("OKActions")]
    if silent:
        return FAIL, f"no ALARM and OK actions: {_listed(silent)}"
    targets = sorted({a for n in wanted for a in alarms[n]["AlarmActions"]})
    return PASS, f"all {len(wanted)} alarms send ALARM and OK to {_listed(targets, 2)}"


def cloudwatch_17(facts, names, alarm_names=None):
    alarms = facts.get("alarms") or {}
    wanted = [n for n in _alarm_names(names, alarm_names) if n in alarms]
    if not wanted:
        return FAIL, "no alarm found"
    off = [n for n in wanted if alarms[n].get("ActionsEnabled") is not True]
    if off:
        return FAIL, f"actions disabled: {_listed(off)}"
    return PASS, f"actions enabled on all {len(wanted)} alarms"


def _retention_problems(groups, wanted):
    problems = []
    for name in wanted:
        group = groups.get(name)
        if group is None:
            problems.append(f"{name} not found")
        elif group.get("retentionInDays") is not None and int(group["retentionInDays"]) < MIN_LOG_RETENTION_DAYS:
            problems.append(f"{name} kept {group['retentionInDays']} days")
    return problems


def _stack_log_groups(facts, names):
    """The log groups the stack writes to: the cluster's exports, the rotation function's, the flow logs'."""
    cluster = facts.get("cluster") or {}
    wanted = [f"/aws/rds/cluster/{names['cluster']}/{log}" for log in cluster.get("EnabledCloudwatchLogsExports") or []]
    if facts.get("function"):
        wanted.append(names["rotation_log_group"])
    wanted.extend(
        log["LogGroupName"]
        for log in facts.get("flow_logs") or []
        if log.get("LogDestinationType", "cloud-watch-logs") == "cloud-watch-logs" and log.get("LogGroupName")
    )
    return sorted(set(wanted))


def cloudwatch_16(facts, names):
    wanted = _stack_log_groups(facts, names)
    if not wanted:
        return NOT_APPLICABLE, "the stack writes to no log group"
    problems = _retention_problems(facts.get("log_groups") or {}, wanted)
    if problems:
        return FAIL, f"kept less than {MIN_LOG_RETENTION_DAYS} days or missing: " + "; ".join(problems)
    return PASS, f"all {len(wanted)} log groups kept {MIN_LOG_RETENTION_DAYS} days or more"


def _function_control(facts, check):
    function = facts.get("function")
    if not function:
        if (facts.get("cluster") or {}).get("MasterUserSecret"):
            return NOT_APPLICABLE, "no rotation function: RDS manages and rotates the master secret"
        return FAIL, "the rotation function not found"
    return check(function)


def lambda_1(facts):
    def check(function):
        public = public_statements(facts.get("function_policy"))
        if public:
            return FAIL, f"the function policy allows everyone without condition: {', '.join(public)}"
        return PASS, "the function policy names its callers"

    return _function_control(facts, check)


def lambda_2(facts):
    def check(function):
        runtime = function.get("Runtime")
        if runtime in SUPPORTED_RUNTIMES:
            return PASS, f"runtime {runtime}"
        return FAIL, f"runtime {runtime} is not a supported runtime"

    return _function_control(facts, check)


def lambda_3(facts):
    def check(function):
        vpc = (function.get("VpcConfig") or {}).get("VpcId")
        stack_vpc = (facts.get("vpc") or {}).get("VpcId")
        if not vpc:
            return FAIL, "not in a VPC"
        if stack_vpc and vpc != stack_vpc:
            return FAIL, f"in {vpc}, not in the stack's {stack_vpc}"
        return PASS, f"in the stack's {vpc}"

    return _function_control(facts, check)


def lambda_5(facts):
    def check(function):
        subnets = set((function.get("VpcConfig") or {}).get("SubnetIds") or [])
        zones = sorted({facts.get("subnet_zones", {}).get(s) for s in subnets} - {None})
        if len(zones) > 1:
            return PASS, f"subnets in {', '.join(zones)}"
        return FAIL, f"subnets in {', '.join(zones) or 'no zone'}: fewer than two availability zones"

    return _function_control(facts, check)


def ec2_2(facts):
    if not facts.get("vpc"):
        return FAIL, "VPC not found"
    group = facts.get("default_security_group")
    if not group:
        return FAIL, "the VPC's default security group not found"
    rules = len(group.get("IpPermissions") or []) + len(group.get("IpPermissionsEgress") or [])
    if rules:
        return FAIL, f"{group.get('GroupId')} has {rules} rule(s)"
    return PASS, f"{group.get('GroupId')} allows no traffic"


def ec2_6(facts):
    vpc = facts.get("vpc")
    if not vpc:
        return FAIL, "VPC not found"
    active = [
        log
        for log in facts.get("flow_logs") or []
        if log.get("FlowLogStatus") == "ACTIVE" and log.get("TrafficType") in FLOW_LOG_TRAFFIC
    ]
    if not active:
        return FAIL, f"no active flow log of rejected traffic on {vpc['VpcId']}"
    where = active[0].get("LogGroupName") or active[0].get("LogDestination")
    return PASS, f"{active[0]['FlowLogId']} ({active[0]['TrafficType']}) to {where}"


def pci_force_ssl(facts):
    if not facts.get("cluster"):
        return FAIL, "cluster not found"
    value = (facts.get("cluster_parameters") or {}).get("rds.force_ssl")
    if str(value) == "1":
        return PASS, "rds.force_ssl = 1 in the cluster parameter group"
    return FAIL, f"rds.force_ssl = {value if value is not None else 'unset'}"


def pci_pgaudit(facts):
    if not facts.get("cluster"):
        return FAIL, "cluster not found"
    params = facts.get("cluster_parameters") or {}
    libraries = [lib.strip() for lib in str(params.get("shared_preload_libraries") or "").split(",")]
    audited = str(params.get("pgaudit.log") or "").strip().lower()
    problems = []
    if "pgaudit" not in libraries:
        problems.append("pgaudit not in shared_preload_libraries")
    if audited in ("", "none"):
        problems.append("pgaudit.log records nothing")
    if problems:
        return FAIL, "; ".join(problems)
    return PASS, f"pgaudit loaded, pgaudit.log = {audited}, pgaudit.role = {params.get('pgaudit.role') or 'unset'}"


def pci_log_retention_365(facts, names):
    cluster = facts.get("cluster")
    if not cluster:
        return FAIL, "cluster not found"
    name = f"/aws/rds/cluster/{names['cluster']}/{LOG_EXPORT}"
    if LOG_EXPORT not in (cluster.get("EnabledCloudwatchLogsExports") or []):
        return FAIL, f"the {LOG_EXPORT} log is not exported"
    problems = _retention_problems(facts.get("log_groups") or {}, [name])
    if problems:
        return FAIL, problems[0]
    days = (facts.get("log_groups") or {})[name].get("retentionInDays")
    return PASS, f"{name} kept {days if days is not None else 'forever'}" + (" days" if days is not None else "")


def pci_backup_retention(facts):
    return _cluster_property(
        facts,
        lambda c: int(c.get("BackupRetentionPeriod") or 0) >= PCI_BACKUP_RETENTION_DAYS,
        lambda c: f"point-in-time recovery over {c.get('BackupRetentionPeriod')} days",
        lambda c: f"backups kept {c.get('BackupRetentionPeriod')} days (< {PCI_BACKUP_RETENTION_DAYS})",
    )


# id -> (title, evaluate, what it takes besides the facts)
CONTROLS = {
    "securityhub.RDS.2": ("DB instances prohibit public access", rds_2, ()),
    "securityhub.RDS.4": ("cluster snapshots are encrypted at rest", rds_4, ()),
    "securityhub.RDS.6": ("enhanced monitoring is configured", rds_6, ()),
    "securityhub.RDS.7": ("the cluster has deletion protection", rds_7, ()),
    "securityhub.RDS.9": ("the database publishes its logs to CloudWatch Logs", rds_9, ()),
    "securityhub.RDS.12": ("IAM authentication is configured", rds_12, ()),
    "securityhub.RDS.13": ("automatic minor version upgrades are on", rds_13, ()),
    "securityhub.RDS.15": ("the cluster spans several availability zones", rds_15, ()),
    "securityhub.RDS.16": ("the cluster copies tags to snapshots", rds_16, ()),
    "securityhub.RDS.19": ("critical cluster events are subscribed to", _event_control("RDS.19"), ("names",)),
    "securityhub.RDS.20": ("critical instance events are subscribed to", _event_control("RDS.20"), ("names",)),
    "securityhub.RDS.21": ("parameter group events are subscribed to", _event_control("RDS.21"), ("names",)),
    "securityhub.RDS.22": ("security group events are subscribed to", _event_control("RDS.22"), ("names",)),
    "securityhub.RDS.24": ("the cluster uses a custom administrator name", rds_24, ()),
    "securityhub.RDS.27": ("the cluster is encrypted at rest", rds_27, ()),
    "securityhub.RDS.28": ("the cluster is tagged", rds_28, ()),
    "securityhub.RDS.37": ("Aurora PostgreSQL publishes its logs to CloudWatch Logs", rds_9, ()),
    "securityhub.RDS.46": ("DB instances are not in subnets routed to an internet gateway", rds_46, ()),
    "securityhub.RDS.50": ("the cluster keeps backups long enough (7 days)", rds_50, ()),
    "securityhub.KMS.3": ("the key is not scheduled for deletion", kms_3, ()),
    "securityhub.KMS.4": ("key rotation is on", kms_4, ()),
    "securityhub.KMS.5": ("the key is not publicly accessible", kms_5, ()),
    "securityhub.SecretsManager.1": ("the secret rotates automatically", secretsmanager_1, ()),
    "securityhub.SecretsManager.2": ("the secret rotates successfully", secretsmanager_2, ("now",)),
    "securityhub.SecretsManager.4": ("the secret was rotated within 90 days", secretsmanager_4, ("now",)),
    "securityhub.SecretsManager.5": ("the secret was used within 90 days", secretsmanager_5, ("now",)),
    "securityhub.CloudWatch.15": ("the alarms have actions (ALARM and OK)", cloudwatch_15, ("names", "alarms")),
    "securityhub.CloudWatch.16": ("the log groups are kept at least a year", cloudwatch_16, ("names",)),
    "securityhub.CloudWatch.17": ("the alarms' actions are enabled", cloudwatch_17, ("names", "alarms")),
    "securityhub.Lambda.1": ("the rotation function is not public", lambda_1, ()),
    "securityhub.Lambda.2": ("the rotation function uses a supported runtime", lambda_2, ()),
    "securityhub.Lambda.3": ("the rotation function is in a VPC", lambda_3, ()),
    "securityhub.Lambda.5": ("the rotation function spans several availability zones", lambda_5, ()),
    "securityhub.EC2.2": ("the VPC's default security group allows no traffic", ec2_2, ()),
    "securityhub.EC2.6": ("VPC flow logging is on", ec2_6, ()),
    "pci.force_ssl": ("connections must use TLS (rds.force_ssl = 1)", pci_force_ssl, ()),
    "pci.pgaudit": ("pgaudit records database activity (PCI DSS 10.2)", pci_pgaudit, ()),
    "pci.log_retention_365": ("the database log is kept a year (PCI DSS 10.5.1)", pci_log_retention_365, ("names",)),
    "pci.backup_retention": ("point-in-time recovery over 35 days", pci_backup_retention, ()),
}
CONTROL_IDS = tuple(CONTROLS)


def waiver_problems(waivers):
    """Why ``waivers`` (control id -> reason) cannot be used: unknown ids, empty reasons (empty = fine)."""
    problems = []
    unknown = sorted(set(waivers or {}) - set(CONTROLS))
    if unknown:
        problems.append(f"unknown control(s) {', '.join(unknown)} (known: {', '.join(CONTROL_IDS)})")
    empty = sorted(k for k, v in (waivers or {}).items() if k in CONTROLS and not str(v or "").strip())
    if empty:
        problems.append(f"waiver(s) without a reason: {', '.join(empty)}")
    return problems


def evaluate(facts, names, waivers=None, now=None, alarm_names=None):
    """One entry per control, in ``CONTROLS`` order: ``{id, title, status, reason}`` (+ ``waiver`` when waived, +
    ``waiver_unused`` when the inventory waives a control that passes)."""
    waivers = waivers or {}
    now = now or datetime.datetime.now(datetime.timezone.utc)
    extra = {"names": names, "now": now, "alarms": alarm_names}
    results = []
    for control_id, (title, control, takes) in CONTROLS.items():
        status, reason = control(facts, *(extra[k] for k in takes))
        entry = {"id": control_id, "title": title, "status": status, "reason": reason}
        if control_id in waivers:
            if status == FAIL:
                entry.update(
                    status=WAIVED, waiver=str(waivers[control_id]), reason=f"{reason} (waived: {waivers[control_id]})"
                )
            else:
                entry["waiver_unused"] = True
        results.append(entry)
    return results


def line(entry):
    """``PASS  securityhub.RDS.7  deletion protection on`` (FAIL, N/A, WAIVED likewise)."""
    label = {PASS: "PASS", FAIL: "FAIL", NOT_APPLICABLE: "N/A", WAIVED: "WAIVED"}[entry["status"]]
    return f"{label:<6} {entry['id']}  {entry['reason']}"


def summary_line(entries):
    """``39 controls: 30 pass, 0 fail, 5 not applicable, 4 waived``."""
    counts = summary(entries)
    return (
        f"{counts['total']} controls: {counts[PASS]} pass, {counts[FAIL]} fail, "
        f"{counts[NOT_APPLICABLE]} not applicable, {counts[WAIVED]} waived"
    )


def summary(entries):
    counts = {status: sum(1 for e in entries if e["status"] == status) for status in STATUSES}
    return {
        **counts,
        "total": len(entries),
        "failed_controls": [e["id"] for e in entries if e["status"] == FAIL],
        "waived_controls": [e["id"] for e in entries if e["status"] == WAIVED],
        "unused_waivers": [e["id"] for e in entries if e.get("waiver_unused")],
    }


# ---------------------------------------------------------------------------------------------------------------
# AWS calls (read only), through the service layer
# ---------------------------------------------------------------------------------------------------------------

SERVICES = ("cloudwatch", "ec2", "kms", "lambda", "logs", "rds", "secretsmanager")
NAMES = (
    "vpc",
    "cluster",
    "kms_alias",
    "secret",
    "rotation_function",
    "rotation_log_group",
    "cluster_events",
    "instance_events",
    "parameter_group_events",
    "security_group_events",
)


def gather(clients, names, alarm_names=None):
    """Everything the controls read (see the module's documentation). The secret's value is never read."""
    facts = {}
    cluster, instances = rds.describe_cluster_and_members(clients["rds"], names["cluster"])
    group = (cluster or {}).get("DBClusterParameterGroup")
    parameters = rds.describe_parameters(clients["rds"], group, "cluster") if group else []
    facts.update(
        cluster=cluster,
        instances=instances,
        cluster_parameters={p["ParameterName"]: p.get("ParameterValue") for p in parameters},
        cluster_snapshots=rds.describe_cluster_snapshots(clients["rds"], names["cluster"]) if cluster else [],
        event_subscriptions={
            names[key]: rds.describe_event_subscription(clients["rds"], names[key])
            for _control, (_type, _categories, key) in sorted(EVENT_CONTROLS.items())
        },
    )

    vpc = ec2.find_vpc(clients["ec2"], names["vpc"])
    facts["vpc"] = vpc
    if vpc:
        vpc_id = vpc["VpcId"]
        facts.update(
            default_security_group=ec2.find_security_group(clients["ec2"], vpc_id, "default"),
            flow_logs=ec2.flow_logs(clients["ec2"], vpc_id),
            route_tables=ec2.route_tables(clients["ec2"], vpc_id),
            subnet_zones=ec2.subnet_zones(clients["ec2"], vpc_id),
        )

    alias = kms.find_alias(clients["kms"], names["kms_alias"])
    target = (alias or {}).get("TargetKeyId")
    key = kms.describe_key(clients["kms"], target) if target else None
    facts.update(
        kms_key=key,
        kms_rotation=kms.rotation_enabled(clients["kms"], target) if key else None,
        kms_policy=kms.key_policy(clients["kms"], target) if key else None,
    )

    managed = (cluster or {}).get("MasterUserSecret") or {}
    facts["secret"] = secretsmanager.describe_secret(
        clients["secretsmanager"], managed.get("SecretArn") or names["secret"]
    )

    facts["alarms"] = cloudwatch.describe_alarms(clients["cloudwatch"], _alarm_names(names, alarm_names))

    function = functions.configuration(clients["lambda"], names["rotation_function"])
    facts.update(
        function=function,
        function_policy=functions.resource_policy(clients["lambda"], names["rotation_function"]) if function else None,
    )

    log_groups = {
        g["logGroupName"]: g for g in logs.groups_under(clients["logs"], f"/aws/rds/cluster/{names['cluster']}/")
    }
    for name in [names["rotation_log_group"]] + [f.get("LogGroupName") for f in facts.get("flow_logs") or []]:
        if name and name not in log_groups:
            group_found = logs.find_group(clients["logs"], name)
            if group_found:
                log_groups[name] = group_found
    facts["log_groups"] = log_groups
    return facts
