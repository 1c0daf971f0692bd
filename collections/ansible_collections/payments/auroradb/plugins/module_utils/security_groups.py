# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EC2 security group layer of the payments.auroradb module ``vpc_security_groups``.

One module run converges a whole list of security groups of one VPC (instead of one
``amazon.aws.ec2_security_group`` run per group, each sleeping 3 s after a creation).

* A rule is a tuple ``(proto, from_port, to_port, kind, target)``: ``proto`` is ``tcp``, ``udp`` or ``-1`` (all,
  ports ``None``), ``kind`` one of ``cidr``, ``cidr6``, ``group``, ``prefix``. Both the wanted rules and the
  group's current permissions are flattened to ``{rule: description}`` (AWS groups permissions by protocol and
  ports, each with several sources).
* Pure helpers (no call, unit tested): ``expand_rules``, ``current_rules``, ``rule_changes``, ``permissions``,
  ``check_groups``.
* AWS calls: like ``vpc.py`` (retrying client, ``aws_retry=True``, errors raised as
  :class:`~.errors.AuroraDbError`); a group is created with its tags in the same call (TagSpecifications).
"""

from __future__ import annotations

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError, error_handler
from ansible_collections.payments.auroradb.plugins.module_utils.vpc import tag_spec

EC2SecurityGroupErrorHandler = error_handler("EC2", ["InvalidGroup.NotFound", "InvalidPermission.NotFound"])

# Retries for calls about a group this run just created (EC2's eventual consistency), besides throttling and 5xx.
# The rules of a new group may lag behind too (its default egress rule, revoked at once).
FRESH_RETRY = AWSRetry.jittered_backoff(catch_extra_error_codes=["InvalidGroup.NotFound", "InvalidPermission.NotFound"])

DEFAULT_GROUP = "default"
ALL = "-1"
# AWS's egress rule on every new group of a VPC.
AWS_DEFAULT_EGRESS = (ALL, None, None, "cidr", "0.0.0.0/0")

# Where each kind of source sits in an IpPermission: (list key, ID key).
SOURCES = {
    "cidr": ("IpRanges", "CidrIp"),
    "cidr6": ("Ipv6Ranges", "CidrIpv6"),
    "group": ("UserIdGroupPairs", "GroupId"),
    "prefix": ("PrefixListIds", "PrefixListId"),
}
DIRECTIONS = {"ingress": "IpPermissions", "egress": "IpPermissionsEgress"}


# --------------------------------------------------------------------------------------------- rules
def port_range(proto: str, port) -> tuple[int | None, int | None]:
    """``443`` or ``"1024-65535"`` as ``(from, to)``; no ports for the ``all`` protocol."""
    if proto == ALL:
        return None, None
    text = str(port)
    low, _sep, high = text.partition("-")
    try:
        return int(low), int(high or low)
    except ValueError:
        raise AuroraDbError(f"port {text!r}: a number or a range like 1024-65535 wanted") from None


def normal_proto(proto: str) -> str:
    return ALL if str(proto) in ("all", "-1") else str(proto).lower()


def expand_rules(rules: list[dict[str, Any]], group_ids: dict[str, str]) -> dict[tuple, str | None]:
    """The wanted rules of one direction as ``{rule: description}``.

    ``rules``: ``{proto, ports, cidrs, group_ids, group_names, description}`` (one rule per port and source; a rule
    with no source is none); ``group_ids``: name -> ID of the list's groups (``"(new group NAME)"`` when it does not
    exist yet, in check mode).
    """
    wanted: dict[tuple, str | None] = {}
    for rule in rules:
        proto = normal_proto(rule["proto"])
        sources = [("cidr", cidr) for cidr in rule.get("cidrs") or []]
        sources += [("group", group_id) for group_id in rule.get("group_ids") or []]
        sources += [("group", group_ids[name]) for name in rule.get("group_names") or []]
        ports = [None] if proto == ALL else rule.get("ports") or []
        for port in ports:
            low, high = port_range(proto, port)
            for kind, target in sources:
                wanted[(proto, low, high, kind, target)] = rule.get("description")
    return wanted


def current_rules(group: dict[str, Any], direction: str) -> dict[tuple, str | None]:
    """A group's rules of one direction (``ingress`` / ``egress``) as ``{rule: description}``."""
    rules: dict[tuple, str | None] = {}
    for permission in group.get(DIRECTIONS[direction]) or []:
        proto = normal_proto(permission["IpProtocol"])
        low, high = (None, None) if proto == ALL else (permission.get("FromPort"), permission.get("ToPort"))
        for kind, (list_key, id_key) in SOURCES.items():
            for source in permission.get(list_key) or []:
                rules[(proto, low, high, kind, source[id_key])] = source.get("Description")
    return rules


def rule_changes(current: dict[tuple, str | None], wanted: dict[tuple, str | None]) -> dict[str, dict]:
    """What makes ``current`` the ``wanted`` rules (purge): ``{"authorize", "describe", "revoke"}``, each
    ``{rule: description}``. A rule asked for without a description keeps the one it has."""
    changes: dict[str, dict] = {"authorize": {}, "describe": {}, "revoke": {}}
    for rule, description in wanted.items():
        if rule not in current:
            changes["authorize"][rule] = description
        elif description is not None and (current[rule] or None) != description:
            changes["describe"][rule] = description
    changes["revoke"] = {rule: current[rule] for rule in current if rule not in wanted}
    return changes


def permissions(rules: dict[tuple, str | None]) -> list[dict[str, Any]]:
    """``{rule: description}`` as IpPermissions (one per protocol and port range), in a stable order."""
    grouped: dict[tuple, dict[str, Any]] = {}
    for (proto, low, high, kind, target), description in sorted(rules.items(), key=lambda item: rule_key(item[0])):
        permission = grouped.setdefault((proto, low, high), {"IpProtocol": proto})
        if proto != ALL:
            permission["FromPort"], permission["ToPort"] = low, high
        list_key, id_key = SOURCES[kind]
        source = {id_key: target}
        if description:
            source["Description"] = description
        permission.setdefault(list_key, []).append(source)
    return list(grouped.values())


def with_default_egress(group: dict[str, Any]) -> dict[str, Any]:
    """A group just created, with AWS's allow-all egress rule even when the read-back does not show it yet (EC2 adds
    it with the group; a describe may lag behind), so that it is revoked unless asked for."""
    egress = current_rules(group, "egress")
    if AWS_DEFAULT_EGRESS in egress:
        return group
    return {**group, "IpPermissionsEgress": permissions({**egress, AWS_DEFAULT_EGRESS: None})}


def rule_key(rule: tuple) -> tuple:
    proto, low, high, kind, target = rule
    return (proto, low if low is not None else -1, high if high is not None else -1, kind, target)


def show_rules(rules: dict[tuple, str | None], names: dict[str, str]) -> list[dict[str, Any]]:
    """Rules for the diff and the results: ``{proto, ports, cidr | cidr6 | group_id | prefix_list_id,
    description}``; a group of the list is shown with its name too (``group_name``)."""
    shown = []
    for rule in sorted(rules, key=rule_key):
        proto, low, high, kind, target = rule
        entry: dict[str, Any] = {"proto": "all" if proto == ALL else proto}
        if proto != ALL:
            entry["ports"] = str(low) if low == high else f"{low}-{high}"
        entry[{"cidr": "cidr", "cidr6": "cidr6", "group": "group_id", "prefix": "prefix_list_id"}[kind]] = target
        if kind == "group" and target in names:
            entry["group_name"] = names[target]
        if rules[rule]:
            entry["description"] = rules[rule]
        shown.append(entry)
    return shown


def check_groups(groups: list[dict[str, Any]]) -> None:
    """Refuse, before any call: a name twice, a group other than the default without a description, a rule naming
    a group not in the list, a rule of a protocol other than all without ports, a bad port."""
    problems = []
    names = [group["name"] for group in groups]
    problems += [f"security group {name} is listed twice" for name in sorted(set(names)) if names.count(name) > 1]
    for group in groups:
        if group["name"] != DEFAULT_GROUP and not group.get("description"):
            problems.append(f"security group {group['name']}: a description is needed to create it")
        for direction in DIRECTIONS:
            for rule in group.get(direction) or []:
                proto = normal_proto(rule["proto"])
                unknown = [name for name in rule.get("group_names") or [] if name not in names]
                if unknown:
                    problems.append(f"security group {group['name']}: {direction} from {unknown}, not in the list")
                if proto != ALL and not rule.get("ports"):
                    problems.append(f"security group {group['name']}: a {proto} {direction} rule without ports")
                for port in [] if proto == ALL else rule.get("ports") or []:
                    try:
                        port_range(proto, port)
                    except AuroraDbError as e:
                        problems.append(f"security group {group['name']}: {e}")
    if problems:
        raise AuroraDbError("; ".join(problems))


# --------------------------------------------------------------------------------------------- calls
def call(client, method: str, fresh: bool = False, **params):
    """``client.method(**params)`` retried; ``fresh`` (the group was created in this run) also retries its
    "not found" while EC2's eventual consistency has not caught up."""
    if fresh:
        return FRESH_RETRY(getattr(client, method))(**params)
    return getattr(client, method)(aws_retry=True, **params)


@EC2SecurityGroupErrorHandler.common_error_handler("list the security groups of {vpc_id}")
def groups_of(client, vpc_id: str) -> list[dict[str, Any]]:
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}]
    return paginated_query_with_retries(client, "describe_security_groups", Filters=filters)["SecurityGroups"]


@EC2SecurityGroupErrorHandler.common_error_handler("read the security groups {group_ids} just created")
def read_fresh(client, group_ids: list[str]) -> list[dict[str, Any]]:
    return call(client, "describe_security_groups", fresh=True, GroupIds=list(group_ids))["SecurityGroups"]


@EC2SecurityGroupErrorHandler.common_error_handler("create security group {name} in {vpc_id}")
def create(client, vpc_id: str, name: str, description: str, tags: dict[str, str]) -> str:
    params = dict(GroupName=name, Description=description, VpcId=vpc_id)
    if tags:
        params["TagSpecifications"] = tag_spec("security-group", tags)
    return client.create_security_group(aws_retry=True, **params)["GroupId"]


@EC2SecurityGroupErrorHandler.common_error_handler("{action} the {direction} rules of {group_id}")
def change_rules(client, action: str, direction: str, group_id: str, rules: dict, fresh: bool = False) -> None:
    """``action``: ``authorize``, ``revoke`` or ``describe`` (set the rules' descriptions). ``rules``: ``{rule:
    description}``; a revoke sends each rule with the description it has (a rule is matched with it)."""
    method = {
        "authorize": f"authorize_security_group_{direction}",
        "revoke": f"revoke_security_group_{direction}",
        "describe": f"update_security_group_rule_descriptions_{direction}",
    }[action]
    call(client, method, fresh, GroupId=group_id, IpPermissions=permissions(rules))
