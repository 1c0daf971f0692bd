# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Drift: the settings a converge (playbooks/site.yml) would change, one item per resource and setting.

Pure decision logic over the facts ``verify.gather`` reads and the expected values of ``verify.SCOPE_EXPECTED``
(each deploy role passes its own variables): ``compare(facts, names, scope, expected)`` returns items
``{resource, name, setting, live, wanted}`` (short texts, never a secret), ``line(item)`` prints one as
``DRIFT cluster payment-db-cluster-dev backup_retention: 3 -> 7`` and ``diff(items)`` gives the ``--diff`` form
(``before``: the live values, ``after``: the wanted ones, one line per setting).

A resource that does not exist is one item, ``exists: no -> yes``; its settings are not compared.
"""

from __future__ import annotations

from ansible_collections.payments.auroradb.plugins.module_utils import ec2, verify

ABSENT = "absent"


def item(resource, name, setting, live, wanted):
    return {"resource": resource, "name": name, "setting": setting, "live": str(live), "wanted": str(wanted)}


def line(entry):
    return f"DRIFT {entry['resource']} {entry['name']} {entry['setting']}: {entry['live']} -> {entry['wanted']}"


def diff(items):
    """``{before, after, before_header, after_header}``: one line per drifted setting, live before, wanted after."""

    def text(key):
        return "".join(f"{e['resource']} {e['name']} {e['setting']}: {e[key]}\n" for e in items)

    return {"before": text("live"), "after": text("wanted"), "before_header": "live", "after_header": "wanted"}


def _missing(resource, name):
    return [item(resource, name, "exists", "no", "yes")]


def _onoff(value):
    return "on" if value else "off"


def _list(values):
    return ", ".join(values) if values else "none"


def compare_network(facts, names, expected):
    vpc_name = names["vpc"]
    if not facts.get("vpc"):
        return _missing("vpc", vpc_name)
    items = []
    group_name = names["db_security_group"]
    group = facts.get("db_security_group")
    if not group:
        items += _missing("security_group", group_name)
    else:
        port = f"tcp/{expected['db_port']}"
        allowed = sorted(f"{port} {cidr}" for cidr in expected["db_allowed_cidrs"] or [])
        live = ec2.ingress_cidrs(group)
        if live != allowed:
            items.append(item("security_group", group_name, "ingress_cidrs", _list(live), _list(allowed)))
    nat_name = verify.NAT_SUBNET_NAME.format(vpc=vpc_name)
    ok, found = verify.nat_gateway_state(facts)
    if not ok:
        gateways = facts.get("nat_gateways") or []
        live = found if gateways else ABSENT
        eip = (facts.get("nat_eip") or {}).get("AllocationId") or "its elastic IP"
        subnet = (facts.get("nat_subnet") or {}).get("SubnetId") or nat_name
        items.append(item("nat_gateway", nat_name, "state", live, f"available in {subnet} with {eip}"))
    return items


def compare_kms(facts, names, expected):
    alias = names["kms_alias"]
    key = facts.get("kms_key")
    if not key:
        return _missing("kms_key", alias)
    items = []
    if key.get("KeyState") != "Enabled":
        items.append(item("kms_key", alias, "state", key.get("KeyState"), "Enabled"))
    want = bool(expected["key_rotation"])
    if facts.get("kms_rotation") is not want:
        items.append(item("kms_key", alias, "key_rotation", _onoff(facts.get("kms_rotation")), _onoff(want)))
    return items


def compare_cluster(facts, names, expected):
    cid = names["cluster"]
    cluster = facts.get("cluster")
    if not cluster:
        return _missing("cluster", cid)
    items = []

    def setting(name, live, wanted):
        if live != wanted:
            items.append(item("cluster", cid, name, live, wanted))

    setting(
        "backup_retention",
        verify.fmt_number(cluster.get("BackupRetentionPeriod")),
        verify.fmt_number(expected["backup_retention_days"]),
    )
    setting("backup_window", cluster.get("PreferredBackupWindow"), expected["backup_window"])
    setting(
        "log_exports",
        _list(sorted(cluster.get("EnabledCloudwatchLogsExports") or [])),
        _list(sorted(expected["log_exports"])),
    )
    setting(
        "deletion_protection",
        _onoff(cluster.get("DeletionProtection") is True),
        _onoff(bool(expected["deletion_protection"])),
    )
    for key, live, wanted in verify.tag_differences(verify.tags_of(cluster.get("TagList")), expected["tags"]):
        setting(f"tag {key}", live if live is not None else ABSENT, wanted)
    group = cluster.get("DBClusterParameterGroup", "")
    params = facts.get("cluster_parameters") or {}
    for pname, pvalue in sorted(expected["cluster_parameters"].items()):
        got = params.get(pname)
        want = verify.param_value(pvalue)
        if got is None or verify.param_value(got) != want:
            items.append(item("parameter_group", group, pname, got if got is not None else "unset", want))
    return items


def compare_instances(facts, names, expected):
    if not facts.get("cluster"):
        return []
    items = []
    found = {i["DBInstanceIdentifier"]: i for i in facts.get("instances") or []}
    want_pi = bool(expected["performance_insights"])
    for ident in [names["writer_instance"], *names["reader_instances"]]:
        instance = found.get(ident)
        if not instance:
            items += _missing("instance", ident)
            continue
        if bool(instance.get("PerformanceInsightsEnabled")) is not want_pi:
            live = _onoff(instance.get("PerformanceInsightsEnabled"))
            items.append(item("instance", ident, "performance_insights", live, _onoff(want_pi)))
        if instance.get("PubliclyAccessible") is not False:
            items.append(item("instance", ident, "publicly_accessible", "yes", "no"))
    return items


def compare_alarms(facts, names, expected):
    items = []
    alarms = facts.get("alarms") or {}
    for alarm_name, metric, comparison, threshold in (
        (names["cpu_alarm"], "CPUUtilization", "GreaterThanThreshold", expected["cpu_threshold"]),
        (
            names["storage_alarm"],
            "FreeLocalStorage",
            "LessThanThreshold",
            expected["free_local_storage_threshold_bytes"],
        ),
    ):
        alarm = alarms.get(alarm_name)
        if not alarm:
            items += _missing("alarm", alarm_name)
            continue
        wanted = {
            "metric": metric,
            "comparison": comparison,
            "statistic": "Average",
            "threshold": verify.fmt_number(threshold),
            "period": verify.fmt_number(expected["alarm_period_seconds"]),
            "evaluation_periods": verify.fmt_number(expected["alarm_evaluation_periods"]),
        }
        live = {
            "metric": alarm.get("MetricName"),
            "comparison": alarm.get("ComparisonOperator"),
            "statistic": alarm.get("Statistic"),
            "threshold": verify.fmt_number(alarm.get("Threshold")),
            "period": verify.fmt_number(alarm.get("Period")),
            "evaluation_periods": verify.fmt_number(alarm.get("EvaluationPeriods")),
        }
        items += [item("alarm", alarm_name, k, live[k], wanted[k]) for k in wanted if live[k] != wanted[k]]
    return items


def compare_secret(facts, names, expected):
    name = names["secret"]
    managed = ((facts.get("cluster") or {}).get("MasterUserSecret") or {}).get("SecretArn")
    if expected["secret_mode"] == "rds_managed":  # noqa: S105 - a mode, not a password
        if not managed:
            return [item("cluster", names["cluster"], "master_password", "in our secret", "managed by RDS")]
        return _rotation_drift(facts.get("managed_secret") or {}, managed, expected)
    if managed:
        return [item("cluster", names["cluster"], "master_password", "managed by RDS", f"in {name}")]
    secret = facts.get("secret")
    if not secret:
        return _missing("secret", name)
    items = []
    description = secret.get("Description", "")
    if description != expected["secret_description"]:
        items.append(item("secret", name, "description", repr(description), repr(expected["secret_description"])))
    items += _rotation_drift(secret, name, expected)
    denies, text = verify.policy_denies_delete(facts.get("secret_policy"))
    if denies is not bool(expected["secret_deny_delete"]):
        want = f"denies {verify.DENIED_ACTION}" if expected["secret_deny_delete"] else "no deny"
        live = f"denies {verify.DENIED_ACTION}" if denies else ("none" if not facts.get("secret_policy") else text)
        items.append(item("secret", name, "resource_policy", live, want))
    return items


def _rotation_drift(secret, name, expected):
    days = expected["secret_rotation_days"]
    enabled = secret.get("RotationEnabled") is True
    interval = verify.rotation_interval(secret.get("RotationRules"))
    live = f"every {verify.fmt_number(interval)} days" if enabled and interval else ("on" if enabled else "off")
    wanted = f"every {days} days" if expected["secret_rotation_enabled"] else "off"
    return [item("secret", name, "rotation", live, wanted)] if live != wanted else []


SCOPE_COMPARES = {
    "network": (compare_network,),
    "kms": (compare_kms,),
    "aurora": (compare_cluster, compare_instances),
    "monitoring": (compare_alarms,),
    "secret": (compare_secret,),
}


def compare(facts, names, scope, expected):
    """The drift of one scope, in a stable order (the scope's expected values as for ``verify.evaluate``)."""
    problems = verify.expected_problems(scope, expected)
    if problems:
        raise ValueError("; ".join(problems))
    items = []
    for part in SCOPE_COMPARES[scope]:
        items.extend(part(facts, names, expected))
    return items
