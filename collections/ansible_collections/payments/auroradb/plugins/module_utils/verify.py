# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Post-deploy checks of the payments Aurora stack (control plane), shared by stack_verify and db_verify.

Two halves:

* pure decision logic: ``evaluate(facts, names, scope, expected)`` turns what the AWS APIs said (plain dicts shaped
  like their answers, gathered by ``gather``) into a list of checks ``{name, passed, expected, found}``;
  ``check()`` builds one, ``line()`` prints one. Unit-testable without a network.
* ``gather(clients, names, scope, hide)``: the read-only AWS calls that scope needs, made through the service layer
  (``kms``, ``rds``, ``cloudwatch``, ``secretsmanager``). "Not found" is a fact (``None``), not an error; every
  other error is raised as ``AnsibleAWSError`` to the module's single error path.

Scopes (``SCOPE_EXPECTED``): network, kms, aurora, monitoring, secret - each checked by the verify entry point of the
role that deploys it, with that role's own variables as the expected values.

The secret's value is read only to compare its connection keys; the password is handed to ``hide`` and dropped at
once, never stored in the facts.
"""

from __future__ import annotations

import ipaddress
import json

from ansible_collections.payments.auroradb.plugins.module_utils import (
    addresses,
    cloudwatch,
    ec2,
    kms,
    rds,
    secretsmanager,
)

# Each scope is checked by the verify entry point of the role that deploys it, with that role's own settings as
# the expected values (no defaults here: each value is written once, as the deploying role's default).
SCOPE_EXPECTED = {
    "network": ("db_port", "db_allowed_cidrs"),
    "kms": ("key_rotation",),
    "aurora": (
        "engine",
        "engine_version",
        "port",
        "backup_retention_days",
        "backup_window",
        "log_exports",
        "cluster_parameters",
        "performance_insights",
        "deletion_protection",
        "tags",
    ),
    "monitoring": (
        "cpu_threshold",
        "free_local_storage_threshold_bytes",
        "alarm_period_seconds",
        "alarm_evaluation_periods",
    ),
    "secret": (
        "secret_username",
        "secret_description",
        "secret_rotation_enabled",
        "secret_rotation_days",
        "secret_deny_delete",
        "secret_mode",
    ),
}
EXPECTED_OPTIONS = tuple(key for keys in SCOPE_EXPECTED.values() for key in keys)
# What each scope reads: resource names it needs, and which resources it describes.
SCOPE_NAMES = {
    "network": ("vpc", "db_security_group"),
    "kms": ("kms_alias",),
    "aurora": ("kms_alias", "cluster", "writer_instance", "reader_instances"),
    "monitoring": ("cluster", "cpu_alarm", "storage_alarm"),
    "secret": ("kms_alias", "cluster", "secret"),
}
SCOPE_READS = {
    "network": ("network",),
    "kms": ("kms",),
    "aurora": ("kms", "cluster", "members"),
    "monitoring": ("alarms",),
    "secret": ("kms", "cluster", "secret"),
}
# The AWS services behind each read.
READ_SERVICES = {
    "network": "ec2",
    "kms": "kms",
    "cluster": "rds",
    "members": "rds",
    "alarms": "cloudwatch",
    "secret": "secretsmanager",
}

# The NAT gateway's subnet and elastic IP, by the Name tags the network role gives them.
NAT_SUBNET_NAME = "{vpc}/PublicSubnet1"
NAT_EIP_NAME = "{vpc}/NatEIP"
# Ranges that are not public: RFC 1918, RFC 6598 (as validation.PRIVATE_NETWORKS), IPv6 unique local.
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(cidr)
    for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
# The action the secret's resource policy denies to the account.
DENIED_ACTION = "secretsmanager:DeleteSecret"

# Keys of the secret's JSON that must describe the cluster.
SECRET_CONNECTION_KEYS = ("host", "port", "engine", "dbClusterIdentifier")
CONNECTION_ENGINE = "postgres"


# ---------------------------------------------------------------------------------------------------------------
# Check records
# ---------------------------------------------------------------------------------------------------------------


def check(name, passed, expected, found):
    """One check result; ``expected``/``found`` are short human-readable strings."""
    return {"name": name, "passed": bool(passed), "expected": str(expected), "found": str(found)}


def line(result):
    """``PASS  name  found`` or ``FAIL  name: expected X, found Y`` (``SKIP`` for skipped ones)."""
    if result.get("skipped"):
        return f"SKIP  {result['name']}: {result['found']}"
    if result["passed"]:
        return f"PASS  {result['name']}  {result['found']}"
    return f"FAIL  {result['name']}: expected {result['expected']}, found {result['found']}"


def summary(results):
    failed = [r["name"] for r in results if not r["passed"] and not r.get("skipped")]
    return {
        "total": len(results),
        "passed": sum(1 for r in results if r["passed"]),
        "failed": len(failed),
        "skipped": sum(1 for r in results if r.get("skipped")),
        "failed_checks": failed,
    }


# ---------------------------------------------------------------------------------------------------------------
# Decision logic (pure)
# ---------------------------------------------------------------------------------------------------------------


def number(value):
    """80, 80.0, '80' -> 80.0; anything else unchanged (so it compares unequal)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def fmt_number(value):
    value = number(value)
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def param_value(value):
    """Parameter values as RDS returns them (strings); booleans as 1/0 like RDS expects."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def tags_of(items):
    """A TagList ([{Key, Value}]) as a dict."""
    return {t["Key"]: t["Value"] for t in items or []}


def _missing(name, what, expected):
    return check(name, False, expected, f"{what} not found")


def _exists(check_name, resource, label, arn):
    """``[check]`` saying whether ``resource`` (a describe answer, or None when not found) exists."""
    if not resource:
        return [_missing(check_name, label, label)]
    return [check(check_name, True, label, arn)]


def _key_label(key_arn):
    return key_arn or "the stack key (not found)"


def is_public(cidr):
    """Whether ``cidr`` (IPv4 or IPv6) reaches beyond private address space; unparsable ranges count as public."""
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return True
    return not any(network.version == p.version and network.subnet_of(p) for p in PRIVATE_NETWORKS)


def public_ingress(group, allowed_cidrs):
    """The group's ingress ranges (``tcp/5432 0.0.0.0/0``) that are public and not among ``allowed_cidrs``."""
    allowed = set(allowed_cidrs or [])
    return [
        rule for rule in ec2.ingress_cidrs(group) if rule.split(" ")[1] not in allowed and is_public(rule.split()[1])
    ]


def nat_gateway_state(facts):
    """``(ok, found)``: an available NAT gateway in the first public subnet holding the stack's elastic IP."""
    subnet, eip = facts.get("nat_subnet"), facts.get("nat_eip")
    gateways = facts.get("nat_gateways") or []
    if not gateways:
        return False, "no NAT gateway"
    described = []
    for nat in gateways:
        allocations = [a.get("AllocationId") for a in nat.get("NatGatewayAddresses") or []]
        ok = (
            nat.get("State") == "available"
            and subnet is not None
            and nat.get("SubnetId") == subnet.get("SubnetId")
            and eip is not None
            and eip.get("AllocationId") in allocations
        )
        if ok:
            return True, f"{nat.get('NatGatewayId')} available in {nat.get('SubnetId')} with {eip.get('AllocationId')}"
        held = ", ".join(allocations) or "no address"
        described.append(f"{nat.get('NatGatewayId')} {nat.get('State')} in {nat.get('SubnetId')} with {held}")
    return False, "; ".join(described)


def check_network(facts, names, expected):
    vpc_name, group_name = names["vpc"], names["db_security_group"]
    if not facts.get("vpc"):
        return [
            _missing("network.db_security_group", f"VPC {vpc_name}", f"security group {group_name}"),
            _missing("network.nat_gateway", f"VPC {vpc_name}", "an available NAT gateway"),
        ]
    group = facts.get("db_security_group")
    allowed = list(expected["db_allowed_cidrs"] or [])
    want = f"port {expected['db_port']} open to no public range" + (f" beyond {', '.join(allowed)}" if allowed else "")
    if not group:
        results = [_missing("network.db_security_group", f"security group {group_name}", want)]
    else:
        public = public_ingress(group, allowed)
        found = f"open to {', '.join(public)}" if public else "no public range"
        results = [check("network.db_security_group", not public, want, f"{group.get('GroupId')}: {found}")]
    subnet_name = NAT_SUBNET_NAME.format(vpc=vpc_name)
    eip = facts.get("nat_eip") or {}
    ok, found = nat_gateway_state(facts)
    results.append(
        check(
            "network.nat_gateway",
            ok,
            f"an available NAT gateway in {subnet_name} with {eip.get('AllocationId') or 'the stack elastic IP'}",
            found,
        )
    )
    return results


def check_kms(facts, names, expected):
    alias = names["kms_alias"]
    key = facts.get("kms_key")
    if not key:
        target = (facts.get("kms_alias") or {}).get("TargetKeyId")
        found = f"alias {alias} points at missing key {target}" if target else f"alias {alias} not found"
        return [
            check("kms.stack_key", False, f"enabled customer key behind {alias}", found),
            check("kms.key_rotation", False, "automatic rotation on", "no key to check"),
        ]
    state, manager = key.get("KeyState"), key.get("KeyManager")
    results = [
        check(
            "kms.stack_key",
            state == "Enabled" and manager == "CUSTOMER",
            f"enabled customer key behind {alias}",
            f"{key.get('Arn')} ({manager}, {state})",
        )
    ]
    rotation = facts.get("kms_rotation")
    want = bool(expected["key_rotation"])
    results.append(
        check(
            "kms.key_rotation",
            rotation is want,
            "automatic rotation " + ("on" if want else "off"),
            "automatic rotation " + {True: "on", False: "off"}.get(rotation, "unknown"),
        )
    )
    return results


def check_cluster(facts, names, expected):
    cluster, cid = facts.get("cluster"), names["cluster"]
    results = _exists("cluster.exists", cluster, f"cluster {cid}", (cluster or {}).get("DBClusterArn", cid))
    if not cluster:
        return results
    key_arn = (facts.get("kms_key") or {}).get("Arn")
    status = cluster.get("Status")
    results.append(check("cluster.available", status == "available", "available", status))

    # the inventory's version is a floor: AWS upgrades minor versions by itself (auto minor version upgrade)
    floor = expected["engine_version"]
    want_engine = f"{expected['engine']} {floor} or a later {floor.split('.')[0]}.x"
    got_engine = f"{cluster.get('Engine')} {cluster.get('EngineVersion')}"
    engine_ok = cluster.get("Engine") == expected["engine"] and rds.meets_floor(cluster.get("EngineVersion"), floor)
    results.append(check("cluster.engine", engine_ok, want_engine, got_engine))

    results.append(
        check(
            "cluster.port", number(cluster.get("Port")) == number(expected["port"]), expected["port"], cluster["Port"]
        )
        if "Port" in cluster
        else check("cluster.port", False, expected["port"], "no port")
    )

    encrypted, cluster_key = cluster.get("StorageEncrypted") is True, cluster.get("KmsKeyId")
    results.append(
        check(
            "cluster.encrypted_with_stack_key",
            encrypted and key_arn is not None and cluster_key == key_arn,
            f"encrypted with {_key_label(key_arn)}",
            f"encrypted with {cluster_key}" if encrypted else "not encrypted",
        )
    )

    retention = cluster.get("BackupRetentionPeriod")
    results.append(
        check(
            "cluster.backup_retention",
            number(retention) == number(expected["backup_retention_days"]),
            f"{expected['backup_retention_days']} days",
            f"{retention} days",
        )
    )
    window = cluster.get("PreferredBackupWindow")
    results.append(
        check("cluster.backup_window", window == expected["backup_window"], expected["backup_window"], window)
    )

    exports = sorted(cluster.get("EnabledCloudwatchLogsExports") or [])
    want_exports = sorted(expected["log_exports"])
    results.append(
        check(
            "cluster.log_exports",
            exports == want_exports,
            ", ".join(want_exports) or "none",
            ", ".join(exports) or "none",
        )
    )

    protection = cluster.get("DeletionProtection") is True
    want_protection = bool(expected["deletion_protection"])
    results.append(
        check(
            "cluster.deletion_protection",
            protection is want_protection,
            "deletion protection " + ("on" if want_protection else "off"),
            "deletion protection " + ("on" if protection else "off"),
        )
    )
    wrong_tags = tag_differences(tags_of(cluster.get("TagList")), expected["tags"])
    results.append(
        check(
            "cluster.tags",
            not wrong_tags,
            ", ".join(f"{k}={v}" for k, v in sorted(expected["tags"].items())),
            "; ".join(f"{k}: {live if live is not None else 'missing'}" for k, live, _wanted in wrong_tags)
            or "every stack tag",
        )
    )

    group = cluster.get("DBClusterParameterGroup", "")
    params = facts.get("cluster_parameters") or {}
    for pname, pvalue in sorted(expected["cluster_parameters"].items()):
        want, got = param_value(pvalue), params.get(pname)
        results.append(
            check(
                f"cluster.parameter.{pname}",
                got is not None and param_value(got) == want,
                f"{pname} = {want}",
                f"{pname} = {got if got is not None else 'unset'} (in {group or 'no group'})",
            )
        )
    return results


def tag_differences(live, wanted):
    """``[(key, live value or None, wanted value)]`` for every wanted tag missing or different (extra tags are fine:
    the roles never purge tags)."""
    return [(k, live.get(k), str(v)) for k, v in sorted((wanted or {}).items()) if live.get(k) != str(v)]


def check_instances(facts, names, expected):
    cluster = facts.get("cluster")
    if not cluster:
        return []
    members = cluster.get("DBClusterMembers") or []
    writers = sorted(m["DBInstanceIdentifier"] for m in members if m.get("IsClusterWriter"))
    readers = sorted(m["DBInstanceIdentifier"] for m in members if not m.get("IsClusterWriter"))
    want_ids = sorted([names["writer_instance"], *names["reader_instances"]])
    reader_count = len(names["reader_instances"])
    results = [
        check(
            "cluster.members",
            len(writers) == 1 and sorted(writers + readers) == want_ids,
            f"1 writer + {reader_count} readers ({', '.join(want_ids)})",
            f"{len(writers)} writer(s) + {len(readers)} reader(s) ({', '.join(sorted(writers + readers)) or 'none'})",
        )
    ]
    instances = facts.get("instances") or []
    azs = {i["DBInstanceIdentifier"]: i.get("AvailabilityZone") for i in instances}
    zones = list(azs.values())
    results.append(
        check(
            "cluster.instances_distinct_azs",
            len(zones) > 0 and len(set(zones)) == len(zones) and None not in zones,
            "every instance in its own availability zone",
            ", ".join(f"{ident} {zone}" for ident, zone in sorted(azs.items())) or "no instances",
        )
    )

    def each(name, wanted, predicate, describe):
        bad = [i["DBInstanceIdentifier"] for i in instances if not predicate(i)]
        found = f"all {len(instances)} instances {describe}" if not bad else f"not {describe}: {', '.join(sorted(bad))}"
        results.append(check(name, instances and not bad, f"every instance {wanted}", found))

    each("instances.available", "available", lambda i: i.get("DBInstanceStatus") == "available", "available")
    each("instances.private", "not publicly accessible", lambda i: i.get("PubliclyAccessible") is False, "private")
    want_pi = bool(expected["performance_insights"])
    each(
        "instances.performance_insights",
        "with Performance Insights " + ("on" if want_pi else "off"),
        lambda i: bool(i.get("PerformanceInsightsEnabled")) is want_pi,
        "with Performance Insights " + ("on" if want_pi else "off"),
    )
    return results


def _alarm_text(namespace, metric, comparison, threshold, statistic, evaluation_periods, period, dimensions):
    dims = ", ".join(f"{k}={v}" for k, v in sorted(dimensions.items())) or "no dimension"
    return (
        f"{namespace} {metric} {comparison} {fmt_number(threshold)} "
        f"({statistic}, {fmt_number(evaluation_periods)}x{fmt_number(period)} s, {dims})"
    )


def check_alarms(facts, names, expected):
    results = []
    alarms = facts.get("alarms") or {}
    for short, alarm_name, metric, comparison, threshold in (
        ("cpu", names["cpu_alarm"], "CPUUtilization", "GreaterThanThreshold", expected["cpu_threshold"]),
        (
            "storage",
            names["storage_alarm"],
            "FreeLocalStorage",
            "LessThanThreshold",
            expected["free_local_storage_threshold_bytes"],
        ),
    ):
        want = _alarm_text(
            "AWS/RDS",
            metric,
            comparison,
            threshold,
            "Average",
            expected["alarm_evaluation_periods"],
            expected["alarm_period_seconds"],
            {"DBClusterIdentifier": names["cluster"]},
        )
        alarm = alarms.get(alarm_name)
        if not alarm:
            results.append(_missing(f"alarm.{short}", f"alarm {alarm_name}", want))
            continue
        got = _alarm_text(
            alarm.get("Namespace"),
            alarm.get("MetricName"),
            alarm.get("ComparisonOperator"),
            alarm.get("Threshold"),
            alarm.get("Statistic"),
            alarm.get("EvaluationPeriods"),
            alarm.get("Period"),
            {d["Name"]: d["Value"] for d in alarm.get("Dimensions") or []},
        )
        results.append(check(f"alarm.{short}", got == want, want, got))
    return results


def rotation_interval(rules):
    """Days between rotations from RotationRules, or None when neither form says so."""
    rules = rules or {}
    if rules.get("AutomaticallyAfterDays") is not None:
        return number(rules["AutomaticallyAfterDays"])
    expression = (rules.get("ScheduleExpression") or "").strip().replace(" ", "")
    for unit, factor in (("days", 1), ("day", 1)):
        if expression.startswith("rate(") and expression.endswith(f"{unit})"):
            try:
                return float(int(expression[len("rate(") : -len(f"{unit})")]) * factor)
            except ValueError:
                return None
    return None


# auroradb_secret_mode: who owns the master password.
SECRET_MODES = ("rotation_function", "rds_managed")


def check_secret(facts, names, expected):
    """The master credentials: the mode (our rotation function, or RDS's managed secret), then that secret."""
    cluster = facts.get("cluster")
    managed = ((cluster or {}).get("MasterUserSecret") or {}).get("SecretArn")
    want_managed = expected["secret_mode"] == "rds_managed"  # noqa: S105 - a mode, not a password
    if cluster is None:
        found = f"no cluster {names['cluster']}"
    else:
        found = f"RDS manages it in {managed}" if managed else "RDS does not manage the master password"
    results = [
        check(
            "secret.mode",
            cluster is not None and bool(managed) is want_managed,
            "RDS manages the master password (MasterUserSecret)"
            if want_managed
            else f"the master password in {names['secret']}, rotated by our function (no RDS-managed secret)",
            found,
        )
    ]
    if want_managed:
        return results + _check_managed_secret(facts, names, expected)
    return results + _check_own_secret(facts, names, expected)


def _check_managed_secret(facts, names, expected):
    """The secret RDS manages: encrypted with the stack key, rotated every N days, the master user; and our own
    secret gone (a cluster moved from rotation_function to rds_managed)."""
    secret = facts.get("managed_secret")
    arn = ((facts.get("cluster") or {}).get("MasterUserSecret") or {}).get("SecretArn")
    results = _exists("secret.exists", secret, "the cluster's RDS-managed master secret", (secret or {}).get("ARN"))
    if secret:
        results.append(_stack_key_check(facts, names, secret))
        results.append(_rotation_check(secret, expected))
        value = facts.get("managed_secret_value") or {}
        username = value.get("username")
        results.append(
            check(
                "secret.username",
                username == expected["secret_username"],
                expected["secret_username"],
                username if username is not None else "no readable username",
            )
        )
    own = facts.get("secret")
    left = own is not None and not own.get("DeletedDate")
    results.append(
        check(
            "secret.no_unmanaged_copy",
            not left,
            f"no secret {names['secret']} beside RDS's ({arn or 'none'})",
            f"{names['secret']} still exists" if left else f"no {names['secret']}",
        )
    )
    return results


def _stack_key_check(facts, names, secret):
    key = facts.get("kms_key") or {}
    key_arn, key_id = key.get("Arn"), key.get("KeyId")
    secret_key = secret.get("KmsKeyId")
    # Secrets Manager answers with the key ARN or ID (or an alias name) as it was given at creation.
    ours = key_arn is not None and secret_key in {key_arn, key_id, names["kms_alias"]}
    return check(
        "secret.encrypted_with_stack_key",
        ours,
        f"encrypted with {_key_label(key_arn)}",
        f"encrypted with {secret_key or 'the AWS managed key aws/secretsmanager'}",
    )


def _rotation_check(secret, expected):
    days = expected["secret_rotation_days"]
    enabled = secret.get("RotationEnabled") is True
    interval = rotation_interval(secret.get("RotationRules"))
    rules = secret.get("RotationRules") or {}
    rules_text = rules.get("ScheduleExpression") or (
        f"every {rules['AutomaticallyAfterDays']} days" if "AutomaticallyAfterDays" in rules else "no schedule"
    )
    wanted = bool(expected["secret_rotation_enabled"])
    return check(
        "secret.rotation",
        (enabled and interval == number(days)) if wanted else not enabled,
        f"rotation enabled every {days} days" if wanted else "rotation disabled",
        ("rotation enabled, " if enabled else "rotation disabled, ") + rules_text,
    )


def _check_own_secret(facts, names, expected):
    secret, name = facts.get("secret"), names["secret"]
    results = _exists("secret.exists", secret, f"secret {name}", (secret or {}).get("ARN", name))
    if not secret:
        return results
    results.append(_stack_key_check(facts, names, secret))
    description = secret.get("Description", "")
    results.append(
        check(
            "secret.description",
            description == expected["secret_description"],
            repr(expected["secret_description"]),
            repr(description),
        )
    )
    results.append(_rotation_check(secret, expected))

    denies, policy_text = policy_denies_delete(facts.get("secret_policy"))
    want_deny = bool(expected["secret_deny_delete"])
    results.append(
        check(
            "secret.resource_policy",
            denies is want_deny,
            f"a resource policy denying {DENIED_ACTION} to the account" if want_deny else f"no deny of {DENIED_ACTION}",
            policy_text,
        )
    )

    value = facts.get("secret_value")
    if value is None:
        results.append(check("secret.connection", False, "a JSON secret value", "no readable JSON value"))
        return results
    username = value.get("username")
    results.append(
        check(
            "secret.username",
            username == expected["secret_username"],
            expected["secret_username"],
            username if username is not None else "no username key",
        )
    )
    cluster = facts.get("cluster") or {}
    want = {
        "host": cluster.get("Endpoint"),
        "port": cluster.get("Port"),
        "engine": CONNECTION_ENGINE,
        "dbClusterIdentifier": names["cluster"],
    }
    wrong = []
    for k in SECRET_CONNECTION_KEYS:
        got = value.get(k)
        same = number(got) == number(want[k]) if k == "port" else got == want[k]
        if not same or want[k] is None:
            wrong.append(f"{k}={got!r}" if k in value else f"{k} missing")
    results.append(
        check(
            "secret.connection",
            not wrong,
            ", ".join(f"{k}={want[k]!r}" for k in SECRET_CONNECTION_KEYS),
            "matching the cluster" if not wrong else ", ".join(wrong),
        )
    )
    return results


def policy_denies_delete(policy):
    """``(denies, text)``: whether the resource policy (JSON string or None) denies DeleteSecret, and a short text."""
    if not policy:
        return False, "no resource policy"
    try:
        document = json.loads(policy) if isinstance(policy, str) else policy
    except ValueError:
        return False, "an unreadable resource policy"
    statements = document.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    for statement in statements:
        actions = statement.get("Action") or []
        actions = [actions] if isinstance(actions, str) else actions
        if statement.get("Effect") == "Deny" and DENIED_ACTION in actions:
            return True, f"a resource policy denying {DENIED_ACTION}"
    return False, f"a resource policy without a deny of {DENIED_ACTION}"


def expected_problems(scope, expected):
    """Why ``expected`` cannot be checked for ``scope``: missing values, values of other scopes (empty = fine)."""
    if scope not in SCOPE_EXPECTED:
        return [f"unknown scope {scope!r} (one of {', '.join(SCOPE_EXPECTED)})"]
    wanted = SCOPE_EXPECTED[scope]
    given = {k for k, v in (expected or {}).items() if v is not None}
    problems = []
    missing = [k for k in wanted if k not in given]
    if missing:
        problems.append(
            f"scope {scope} needs the expected value(s) {', '.join(missing)} "
            f"(the {scope} role's verify entry point passes them from its own variables)"
        )
    foreign = sorted(given - set(wanted))
    if foreign:
        problems.append(f"scope {scope} does not check {', '.join(foreign)}")
    return problems


SCOPE_CHECKS = {
    "network": (check_network,),
    "kms": (check_kms,),
    "aurora": (check_cluster, check_instances),
    "monitoring": (check_alarms,),
    "secret": (check_secret,),
}


def evaluate(facts, names, scope, expected):
    """The control-plane checks of one scope, in a stable order; ``expected`` holds exactly that scope's values."""
    problems = expected_problems(scope, expected)
    if problems:
        raise ValueError("; ".join(problems))
    results = []
    for part in SCOPE_CHECKS[scope]:
        results.extend(part(facts, names, expected))
    return results


# ---------------------------------------------------------------------------------------------------------------
# AWS calls (read only), through the service layer
# ---------------------------------------------------------------------------------------------------------------


def services(scope):
    """The AWS services ``gather`` calls for ``scope``."""
    return sorted({READ_SERVICES[read] for read in SCOPE_READS[scope]})


def gather(clients, names, scope, hide):
    """What the checks of ``scope`` need, read with ``clients`` (service -> client from ``module.client(service,
    retry_decorator=AWSRetry.jittered_backoff())``) through the service layer (kms, rds, cloudwatch,
    secretsmanager).

    Keys (those the scope reads): kms_alias, kms_key, kms_rotation; cluster; cluster_parameters, instances; alarms;
    secret, secret_value (without the password; ``hide`` gets the password first, e.g. ``module.no_log_values.add``).
    A missing resource is ``None``; every other error is raised as ``AnsibleAWSError`` (the module fails once).
    """
    reads = SCOPE_READS[scope]
    facts = {}
    if "network" in reads:
        facts.update(_gather_network(clients["ec2"], names))
    if "kms" in reads:
        facts.update(_gather_kms(clients["kms"], names))
    if "members" in reads:
        facts.update(_gather_cluster_and_members(clients["rds"], names))
    elif "cluster" in reads:
        facts["cluster"] = rds.describe_cluster(clients["rds"], names["cluster"])
    if "alarms" in reads:
        facts["alarms"] = cloudwatch.describe_alarms(
            clients["cloudwatch"], [names["cpu_alarm"], names["storage_alarm"]]
        )
    if "secret" in reads:
        facts.update(_gather_secret(clients["secretsmanager"], names, hide))
        managed = ((facts.get("cluster") or {}).get("MasterUserSecret") or {}).get("SecretArn")
        if managed:
            secret = secretsmanager.describe_secret(clients["secretsmanager"], managed)
            facts["managed_secret"] = secret
            facts["managed_secret_value"] = _connection_view(clients["secretsmanager"], secret, hide)
    return facts


def _gather_network(client, names):
    """The VPC, the DB security group, the NAT gateway's subnet and elastic IP, the VPC's live NAT gateways."""
    vpc = ec2.find_vpc(client, names["vpc"])
    if not vpc:
        return {"vpc": None, "db_security_group": None, "nat_subnet": None, "nat_eip": None, "nat_gateways": []}
    vpc_id = vpc["VpcId"]
    eips = addresses.addresses_named(client, NAT_EIP_NAME.format(vpc=names["vpc"]))
    return {
        "vpc": vpc,
        "db_security_group": ec2.find_security_group(client, vpc_id, names["db_security_group"]),
        "nat_subnet": ec2.find_subnet(client, vpc_id, NAT_SUBNET_NAME.format(vpc=names["vpc"])),
        "nat_eip": eips[0] if eips else None,
        "nat_gateways": ec2.live_nat_gateways(client, vpc_id),
    }


def _gather_kms(client, names):
    alias = kms.find_alias(client, names["kms_alias"])
    target = (alias or {}).get("TargetKeyId")
    key = kms.describe_key(client, target) if target else None
    return {"kms_alias": alias, "kms_key": key, "kms_rotation": kms.rotation_enabled(client, target) if key else None}


def _gather_cluster_and_members(client, names):
    """The cluster, its member instances and the values of its cluster parameter group (every parameter)."""
    cluster, instances = rds.describe_cluster_and_members(client, names["cluster"])
    group = (cluster or {}).get("DBClusterParameterGroup")
    parameters = rds.describe_parameters(client, group, "cluster") if group else []
    return {
        "cluster": cluster,
        "instances": instances,
        "cluster_parameters": {p["ParameterName"]: p.get("ParameterValue") for p in parameters},
    }


def _gather_secret(client, names, hide):
    secret = secretsmanager.describe_secret(client, names["secret"])
    return {
        "secret": secret,
        "secret_value": _connection_view(client, secret, hide),
        "secret_policy": _resource_policy(client, secret),
    }


def _resource_policy(client, secret):
    """The secret's resource policy (a JSON string), or None when it has none (or there is no secret)."""
    if not secret or secret.get("DeletedDate"):
        return None
    answer = secretsmanager.call(
        client, "get_resource_policy", f"read the resource policy of secret {secret['ARN']}", SecretId=secret["ARN"]
    )
    return answer.get("ResourcePolicy")


def _connection_view(client, secret, hide):
    """The secret's current value without the password, or None when there is no readable JSON object.

    A secret pending deletion or without an AWSCURRENT version has no value to read (AWS refuses the read); the
    ``secret.connection`` check reports that rather than the module failing.
    """
    if not secret or secret.get("DeletedDate") or not secretsmanager.current_version_id(secret):
        return None
    try:
        value = secretsmanager.get_current_value(client, secret["ARN"], hide)
    except secretsmanager.SecretValueError:  # not a JSON object: a fact for the check, not an AWS error
        return None
    return secretsmanager.public_view(value)
