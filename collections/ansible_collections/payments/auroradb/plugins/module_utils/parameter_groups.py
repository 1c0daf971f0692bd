# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RDS parameter group helpers for ``payments.auroradb.aurora_parameter_group``.

Two halves:

* Pure decision logic (``family_from_engine``, ``normalise``, ``validate``, ``plan``, ``chunks``): no
  network, unit-testable with plain dicts shaped like the Describe*Parameters answers. The engine
  defaults (DescribeEngineDefault[Cluster]Parameters) are the catalogue every name and value is checked
  against; the apply method is never compared, only the (normalised) value.
* AWS calls: paginated, retried with jittered backoff (``client`` must come from
  ``module.client("rds", retry_decorator=AWSRetry.jittered_backoff())``), every botocore error turned
  into :class:`AuroraDbParameterGroupError`. "Not found" is not an error.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)

# AWS accepts at most 20 parameters per Modify*/Reset*ParameterGroup call.
MAX_PARAMETERS_PER_CALL = 20
APPLY_METHODS = ("immediate", "pending-reboot")
# Data types whose AllowedValues are enumerations the engine matches without regard to case.
_CASE_INSENSITIVE_TYPES = ("string", "list")
_TRUE = ("1", "on", "true", "yes")
_FALSE = ("0", "off", "false", "no")
_RANGE = re.compile(r"(-?\d+(?:\.\d+)?)-(-?\d+(?:\.\d+)?)")
_INTEGER = re.compile(r"[-+]?\d+")

# scope -> (name field, describe groups call, groups key, parameters call, engine defaults call, ...)
_API = {
    "cluster": {
        "name": "DBClusterParameterGroupName",
        "describe": "describe_db_cluster_parameter_groups",
        "groups": "DBClusterParameterGroups",
        "arn": "DBClusterParameterGroupArn",
        "parameters": "describe_db_cluster_parameters",
        "defaults": "describe_engine_default_cluster_parameters",
        "create": "create_db_cluster_parameter_group",
        "delete": "delete_db_cluster_parameter_group",
        "modify": "modify_db_cluster_parameter_group",
        "reset": "reset_db_cluster_parameter_group",
    },
    "instance": {
        "name": "DBParameterGroupName",
        "describe": "describe_db_parameter_groups",
        "groups": "DBParameterGroups",
        "arn": "DBParameterGroupArn",
        "parameters": "describe_db_parameters",
        "defaults": "describe_engine_default_parameters",
        "create": "create_db_parameter_group",
        "delete": "delete_db_parameter_group",
        "modify": "modify_db_parameter_group",
        "reset": "reset_db_parameter_group",
    },
}


# -- Decision logic (no network) -----------------------------------------------------------------------------


def family_from_engine(engine: str, engine_version: str) -> str:
    """``aurora-postgresql`` + ``15.7`` -> ``aurora-postgresql15``; ``aurora-mysql`` + ``8.0.mysql_aurora.3.05.2``
    -> ``aurora-mysql8.0`` (PostgreSQL families carry the major version, MySQL ones major.minor)."""
    parts = str(engine_version).split(".")
    if "postgres" in engine:
        return f"{engine}{parts[0]}"
    return f"{engine}{'.'.join(parts[:2])}"


def _allowed_parts(entry: dict[str, Any]) -> tuple[list[tuple[float, float]], list[str]]:
    """AllowedValues split into numeric ranges and literal values."""
    ranges, literals = [], []
    for part in (entry.get("AllowedValues") or "").split(","):
        part = part.strip()
        if not part:
            continue
        match = _RANGE.fullmatch(part)
        if match and entry.get("DataType") in ("integer", "float", "boolean"):
            ranges.append((float(match.group(1)), float(match.group(2))))
        else:
            literals.append(part)
    return ranges, literals


def _canonical(word: str, literals: list[str]) -> str:
    for literal in literals:
        if literal.lower() == word.lower():
            return literal
    return word


def normalise(value: Any, entry: dict[str, Any] | None) -> str | None:
    """The value as RDS stores it, so that ``true``/``on``/``1`` or ``100``/``100.0`` compare equal.

    ``entry`` is the engine-default description of the parameter (DataType, AllowedValues); unknown
    parameters are compared as plain strings. A value that cannot be normalised is returned as a string
    (``validate`` reports it).
    """
    if value is None:
        return None
    entry = entry or {}
    data_type = entry.get("DataType", "string")
    if isinstance(value, bool):
        text = "1" if value else "0"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value).strip()
    if data_type == "boolean":
        if text.lower() in _TRUE:
            return "1"
        if text.lower() in _FALSE:
            return "0"
        return text
    if data_type == "integer":
        if _INTEGER.fullmatch(text):
            return str(int(text))
        try:
            number = float(text)
        except ValueError:
            return text
        return str(int(number)) if number.is_integer() else text
    if data_type == "float":
        try:
            number = float(text)
        except ValueError:
            return text
        return str(int(number)) if number.is_integer() else repr(number)
    if data_type in _CASE_INSENSITIVE_TYPES:
        ranges, literals = _allowed_parts(entry)
        if literals and not ranges:
            if data_type == "list":
                return ",".join(_canonical(word.strip(), literals) for word in text.split(","))
            return _canonical(text, literals)
    return text


def _value_problem(name: str, value: Any, entry: dict[str, Any]) -> str | None:
    data_type = entry.get("DataType", "string")
    text = normalise(value, entry)
    if text is None or text == "":
        return f"{name}: the value must not be empty"
    ranges, literals = _allowed_parts(entry)
    allowed = entry.get("AllowedValues")
    if data_type == "boolean":
        if text not in ("0", "1"):
            return f"{name}: {value!r} is not a boolean (use 0/1, on/off or true/false)"
        return None
    if data_type in ("integer", "float"):
        if data_type == "integer" and not _INTEGER.fullmatch(text):
            return f"{name}: {value!r} is not an integer"
        try:
            number = float(text)
        except ValueError:
            return f"{name}: {value!r} is not a number"
        if (ranges or literals) and not (any(low <= number <= high for low, high in ranges) or text in literals):
            return f"{name}: {value!r} is outside the allowed values {allowed}"
        return None
    if literals and not ranges:
        words = [w.strip() for w in text.split(",")] if data_type == "list" else [text]
        bad = [w for w in words if w not in literals]
        if bad:
            return f"{name}: {', '.join(repr(w) for w in bad)} not in the allowed values {_shorten(allowed)}"
    return None


def _shorten(allowed: str, limit: int = 200) -> str:
    return allowed if len(allowed) <= limit else allowed[:limit] + "..."


def validate(
    desired: dict[str, Any],
    defaults: list[dict[str, Any]],
    overrides: dict[str, str] | None = None,
) -> list[str]:
    """Every problem with the desired parameters (empty list: all fine); nothing stops at the first one."""
    known = {p["ParameterName"]: p for p in defaults}
    problems = []
    for name in sorted(desired):
        entry = known.get(name)
        if entry is None:
            close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            problems.append(f"{name}: unknown parameter{hint}")
            continue
        if not entry.get("IsModifiable", True):
            problems.append(f"{name}: cannot be modified (set by RDS)")
            continue
        problem = _value_problem(name, desired[name], entry)
        if problem:
            problems.append(problem)
    for name, method in sorted((overrides or {}).items()):
        if name not in desired:
            problems.append(f"{name}: apply_method_overrides names a parameter that is not in parameters")
        elif method not in APPLY_METHODS:
            problems.append(f"{name}: apply method {method!r} is not one of {', '.join(APPLY_METHODS)}")
        elif method == "immediate" and known.get(name, {}).get("ApplyType") == "static":
            problems.append(f"{name}: a static parameter cannot be applied immediately (use pending-reboot)")
    return problems


def apply_method(name: str, entry: dict[str, Any] | None, overrides: dict[str, str] | None = None) -> str:
    """The override, else immediate for a dynamic parameter and pending-reboot for a static (or unknown) one."""
    if overrides and name in overrides:
        return overrides[name]
    return "immediate" if (entry or {}).get("ApplyType") == "dynamic" else "pending-reboot"


def plan(
    desired: dict[str, Any],
    current: list[dict[str, Any]],
    defaults: list[dict[str, Any]],
    overrides: dict[str, str] | None = None,
    purge: bool = True,
) -> dict[str, list]:
    """What to send so that the group holds ``desired``.

    ``current`` is the group's parameters with Source ``user`` (what was modified earlier); ``defaults``
    the engine defaults of the family. Returns ``modify`` and ``reset`` (lists of Parameters entries for
    the API), ``changed_parameters`` (``{name, before, after, apply_method}``) and ``reset_parameters``
    (same shape, ``after`` is the engine default). The apply method never makes a change by itself.
    """
    known = {p["ParameterName"]: p for p in defaults}
    user = {p["ParameterName"]: p.get("ParameterValue") for p in current}
    modify, changed, reset, resets = [], [], [], []
    for name in sorted(desired):
        entry = known.get(name)
        after = normalise(desired[name], entry)
        before = user.get(name) if name in user else (entry or {}).get("ParameterValue")
        if normalise(before, entry) == after:
            continue
        method = apply_method(name, entry, overrides)
        modify.append({"ParameterName": name, "ParameterValue": after, "ApplyMethod": method})
        changed.append({"name": name, "before": before, "after": after, "apply_method": method})
    if purge:
        for name in sorted(set(user) - set(desired)):
            entry = known.get(name)
            method = apply_method(name, entry)
            reset.append({"ParameterName": name, "ApplyMethod": method})
            resets.append(
                {
                    "name": name,
                    "before": user[name],
                    "after": (entry or {}).get("ParameterValue"),
                    "apply_method": method,
                }
            )
    return {"modify": modify, "reset": reset, "changed_parameters": changed, "reset_parameters": resets}


def chunks(items: list, size: int = MAX_PARAMETERS_PER_CALL) -> list[list]:
    """``items`` in consecutive slices of at most ``size``."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def pending_reboot_members(cluster: dict[str, Any] | None, instances: list[dict[str, Any]], scope: str) -> list[str]:
    """Members whose parameter apply status is pending-reboot, readers first, the writer last."""
    members = (cluster or {}).get("DBClusterMembers", [])
    writer = next((m["DBInstanceIdentifier"] for m in members if m.get("IsClusterWriter")), None)
    if scope == "cluster":
        pending = [
            m["DBInstanceIdentifier"] for m in members if m.get("DBClusterParameterGroupStatus") == "pending-reboot"
        ]
    else:
        pending = [
            i["DBInstanceIdentifier"]
            for i in instances
            if any(g.get("ParameterApplyStatus") == "pending-reboot" for g in i.get("DBParameterGroups", []))
        ]
    return sorted(pending, key=lambda ident: (ident == writer, ident))


# -- AWS calls -------------------------------------------------------------------------------------------------


class AuroraDbParameterGroupError(AnsibleAWSError):
    """Any failed RDS call made through this file."""


class AuroraDbParameterGroupErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AuroraDbParameterGroupError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(
            ["DBParameterGroupNotFound", "DBParameterGroupNotFoundFault", "DBClusterNotFoundFault"]
        )


def _all(client, operation: str, key: str, **kwargs) -> list[dict[str, Any]]:
    paginator = client.get_paginator(operation)
    return paginator.paginate(**kwargs).build_full_result()[key]


@AuroraDbParameterGroupErrorHandler.common_error_handler("describe the engine defaults of {family}")
@AWSRetry.jittered_backoff()
def describe_engine_defaults(client, family: str, scope: str) -> list[dict[str, Any]]:
    """Every parameter of the family at this scope, as DescribeEngineDefault[Cluster]Parameters lists it."""
    paginator = client.get_paginator(_API[scope]["defaults"])
    parameters = []
    for page in paginator.paginate(DBParameterGroupFamily=family):
        parameters.extend(page["EngineDefaults"].get("Parameters", []))
    return parameters


@AuroraDbParameterGroupErrorHandler.list_error_handler("describe parameter group {name}", None)
@AWSRetry.jittered_backoff()
def describe_group(client, name: str, scope: str) -> dict[str, Any] | None:
    """The group as Describe*ParameterGroups returns it, or None."""
    api = _API[scope]
    groups = _all(client, api["describe"], api["groups"], **{api["name"]: name})
    return groups[0] if groups else None


@AuroraDbParameterGroupErrorHandler.list_error_handler("describe the parameters of {name}", [])
@AWSRetry.jittered_backoff()
def describe_user_parameters(client, name: str, scope: str) -> list[dict[str, Any]]:
    """The parameters of the group with Source ``user`` (set by someone, not engine defaults)."""
    api = _API[scope]
    return _all(client, api["parameters"], "Parameters", Source="user", **{api["name"]: name})


def group_summary(group: dict[str, Any], scope: str) -> dict[str, Any]:
    return {
        "name": group[_API[scope]["name"]],
        "arn": group.get(_API[scope]["arn"], ""),
        "family": group.get("DBParameterGroupFamily", ""),
        "description": group.get("Description", ""),
    }


@AuroraDbParameterGroupErrorHandler.common_error_handler("create parameter group {name}")
def create_group(client, name: str, scope: str, family: str, description: str, tags: dict[str, str]) -> dict:
    api = _API[scope]
    kwargs = {api["name"]: name, "DBParameterGroupFamily": family, "Description": description}
    if tags:
        kwargs["Tags"] = ansible_dict_to_boto3_tag_list(tags)
    answer = getattr(client, api["create"])(aws_retry=True, **kwargs)
    return answer["DBClusterParameterGroup" if scope == "cluster" else "DBParameterGroup"]


@AuroraDbParameterGroupErrorHandler.deletion_error_handler("delete parameter group {name}")
def delete_group(client, name: str, scope: str) -> bool:
    api = _API[scope]
    getattr(client, api["delete"])(aws_retry=True, **{api["name"]: name})
    return True


@AuroraDbParameterGroupErrorHandler.common_error_handler("modify the parameters of {name}")
def modify_parameters(client, name: str, scope: str, parameters: list[dict[str, Any]]) -> int:
    """Modify in chunks of at most 20; returns the number of calls made."""
    api = _API[scope]
    calls = 0
    for chunk in chunks(parameters):
        getattr(client, api["modify"])(aws_retry=True, Parameters=chunk, **{api["name"]: name})
        calls += 1
    return calls


@AuroraDbParameterGroupErrorHandler.common_error_handler("reset the parameters of {name}")
def reset_parameters(client, name: str, scope: str, parameters: list[dict[str, Any]]) -> int:
    """Reset to the engine defaults in chunks of at most 20; returns the number of calls made."""
    api = _API[scope]
    calls = 0
    for chunk in chunks(parameters):
        getattr(client, api["reset"])(aws_retry=True, Parameters=chunk, **{api["name"]: name})
        calls += 1
    return calls


@AuroraDbParameterGroupErrorHandler.common_error_handler("list the tags of {arn}")
def get_tags(client, arn: str) -> dict[str, str]:
    return boto3_tag_list_to_ansible_dict(client.list_tags_for_resource(ResourceName=arn, aws_retry=True)["TagList"])


@AuroraDbParameterGroupErrorHandler.common_error_handler("tag {arn}")
def update_tags(client, arn: str, to_add: dict[str, str], to_remove: list[str]) -> None:
    if to_add:
        client.add_tags_to_resource(ResourceName=arn, Tags=ansible_dict_to_boto3_tag_list(to_add), aws_retry=True)
    if to_remove:
        client.remove_tags_from_resource(ResourceName=arn, TagKeys=to_remove, aws_retry=True)


@AuroraDbParameterGroupErrorHandler.list_error_handler("describe cluster {cluster_identifier}", (None, []))
@AWSRetry.jittered_backoff()
def describe_cluster_and_members(client, cluster_identifier: str) -> tuple[dict[str, Any] | None, list[dict]]:
    """The cluster and its member instances (DescribeDBClusters / DescribeDBInstances answers)."""
    clusters = client.describe_db_clusters(DBClusterIdentifier=cluster_identifier)["DBClusters"]
    if not clusters:
        return None, []
    ids = [m["DBInstanceIdentifier"] for m in clusters[0].get("DBClusterMembers", [])]
    instances = []
    if ids:
        instances = _all(
            client, "describe_db_instances", "DBInstances", Filters=[{"Name": "db-instance-id", "Values": ids}]
        )
    return clusters[0], instances
