"""Gap 4: moto has no engine-default parameter catalogue; this one serves Aurora PostgreSQL 15's.

moto keeps only what a caller modified (``group.parameters``: ``{name: {ParameterName, ParameterValue,
ApplyMethod}}``, exactly as sent), validates nothing, knows no built-in ``default.<family>`` groups and
implements neither DescribeEngineDefault*Parameters nor Reset*ParameterGroup. For the families catalogued
in ``localcloud/data/<family>.json`` these before-hooks behave as AWS does:

* DescribeEngineDefaultClusterParameters / DescribeEngineDefaultParameters answer from the catalogue
  (cluster / instance level), paginated; moto lacks the actions, so the hook answers with
  :class:`~localcloud.middleware.Respond`. An unknown family is an ``InvalidParameterValue`` error.
* DescribeDBClusterParameters / DescribeDBParameters answer with the catalogue merged with the group's
  modified values (``Source`` ``user``), with the ``Source`` and ``parameter-name`` filters and
  pagination; also for the built-in ``default.<family>`` groups.
* Modify*ParameterGroup is validated against the catalogue (unknown name, non-modifiable parameter, value
  outside AllowedValues, ``immediate`` on a static parameter, more than 20 parameters, default group)
  and then stored by moto; Reset*ParameterGroup is answered here by dropping the reset parameters from
  moto's stored dict, so the catalogue default shows again.

Groups of other families, and groups moto does not know, keep moto's behaviour; only Reset* (which moto
lacks) answers ``DBParameterGroupNotFound`` itself for a group that does not exist.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from .. import ACCOUNT_ID
from ..envelope import Envelope
from ..errors import AwsError
from ..middleware import Respond, before

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
CATALOGUED = ("aurora-postgresql15", "aurora-postgresql16")
MAX_PARAMETERS_PER_CALL = 20  # AWS limit for Modify*/Reset*ParameterGroup
DEFAULT_APPLY_METHOD = "pending-reboot"  # what AWS reports for parameters nobody set
SOURCES = ("user", "system", "engine-default")

_NAMESPACE = "http://rds.amazonaws.com/doc/2014-10-31/"
# Family names AWS has: one we have no catalogue for goes on to moto, anything else is an error.
AWS_FAMILY = re.compile(
    r"(aurora|aurora-mysql|aurora-postgresql|postgres|mysql|mariadb|neptune|docdb|(custom-)?oracle-(ee|se2)(-cdb)?"
    r"|(custom-)?sqlserver-(ee|se|ex|web|dev)|db2-(ae|ce|se))(-?\d+(\.\d+)*)?"
)
_REQUEST_PARAMETER = re.compile(r"Parameters\.(?:Parameter|member)\.(\d+)\.(\w+)")
_FILTER_NAME = re.compile(r"Filters\.(?:Filter|member)\.(\d+)\.Name")
_NUMBER = r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?"
_RANGE = re.compile(f"({_NUMBER})-({_NUMBER})")  # e.g. 0-1, -1-2147483647, 0-1.79769e+308
_FIELDS = (
    "ParameterName",
    "ParameterValue",
    "Description",
    "Source",
    "ApplyType",
    "DataType",
    "AllowedValues",
    "IsModifiable",
    "MinimumEngineVersion",
    "ApplyMethod",
)

# The two kinds of parameter group: request field of the name, moto's store and family attribute.
_KINDS = {
    "cluster": ("DBClusterParameterGroupName", "db_cluster_parameter_groups", "db_parameter_group_family"),
    "instance": ("DBParameterGroupName", "db_parameter_groups", "family"),
}


@cache
def catalogue(family: str) -> dict[str, list[dict]] | None:
    """``{"cluster": [...], "instance": [...]}`` for a catalogued family, sorted by name as AWS lists them."""
    if family not in CATALOGUED:
        return None
    data = json.loads((DATA_DIR / f"{family}.json").read_text(encoding="utf-8"))
    return {level: sorted(data[level], key=lambda p: p["ParameterName"]) for level in ("cluster", "instance")}


@dataclass
class Group:
    name: str
    family: str
    level: str  # cluster | instance
    parameters: dict  # moto's stored (modified) parameters; a fresh dict for built-in default groups
    default: bool

    def known(self) -> dict[str, dict]:
        return {p["ParameterName"]: p for p in catalogue(self.family)[self.level]}


def _group(env: Envelope, level: str) -> Group | None:
    """The request's parameter group when its family is catalogued; None lets moto answer."""
    name_field, _, family_attr = _KINDS[level]
    name = (env.param(name_field) or "").lower()
    if name.startswith("default.") and catalogue(name.removeprefix("default.")) is not None:
        # AWS has these built in and they never hold user values (moto may have created an empty one).
        return Group(name, name.removeprefix("default."), level, {}, True)
    found = _moto_group(env, level)
    if found is None:
        return None
    family = (getattr(found, family_attr) or "").lower()
    if catalogue(family) is None:
        return None
    return Group(found.name, family, level, found.parameters, False)


def _moto_group(env: Envelope, level: str):
    """moto's group object named in the request, or None."""
    name_field, store, _ = _KINDS[level]
    from moto.rds.models import rds_backends

    try:
        return getattr(rds_backends[ACCOUNT_ID][env.region], store).get((env.param(name_field) or "").lower())
    except KeyError:  # a region moto does not serve
        return None


# -- Describe ----------------------------------------------------------------------------------------------


def _level(env: Envelope) -> str:
    """``cluster`` for the DB cluster parameter group actions, ``instance`` for the DB parameter group ones."""
    return "cluster" if "Cluster" in env.action else "instance"


@before("rds", "DescribeEngineDefaultClusterParameters", "DescribeEngineDefaultParameters")
def describe_engine_defaults(env: Envelope) -> None:
    level, action = _level(env), env.action
    family = env.param("DBParameterGroupFamily") or ""
    if not family:
        raise AwsError(
            "InvalidParameterValue", "The parameter DBParameterGroupFamily must be provided and must not be blank."
        )
    parameters = catalogue(family.lower())
    if parameters is None:
        if AWS_FAMILY.fullmatch(family):
            return
        raise AwsError("InvalidParameterValue", f"ParameterGroupFamily {family} is not a valid parameter group family")
    shown, marker = page(env, _filtered(env, [_as_default(p) for p in parameters[level]]))
    respond(
        action,
        f"<EngineDefaults><DBParameterGroupFamily>{escape(family.lower())}</DBParameterGroupFamily>"
        f"{marker_xml(marker)}{_parameters_xml(shown)}</EngineDefaults>",
    )


@before("rds", "DescribeDBClusterParameters", "DescribeDBParameters")
def describe_group_parameters(env: Envelope) -> None:
    level, action = _level(env), env.action
    group = _group(env, level)
    if group is None:
        return
    parameters = [_merged(entry, group.parameters.get(entry["ParameterName"])) for entry in group.known().values()]
    source = env.param("Source")
    if source:
        if source not in SOURCES:
            raise AwsError(
                "InvalidParameterValue", f"Invalid value {source} for Source. Must be one of: {', '.join(SOURCES)}"
            )
        parameters = [p for p in parameters if p["Source"] == source]
    shown, marker = page(env, _filtered(env, parameters))
    respond(action, _parameters_xml(shown) + marker_xml(marker))


def _as_default(entry: dict) -> dict:
    return {**entry, "ApplyMethod": DEFAULT_APPLY_METHOD}


def _merged(entry: dict, stored: dict | None) -> dict:
    parameter = _as_default(entry)
    if stored and stored.get("ParameterValue") is not None:
        parameter.update(
            ParameterValue=stored["ParameterValue"],
            Source="user",
            ApplyMethod=stored.get("ApplyMethod") or DEFAULT_APPLY_METHOD,
        )
    return parameter


def _filtered(env: Envelope, parameters: list[dict]) -> list[dict]:
    """The one filter AWS supports on these actions: ``parameter-name``."""
    wanted: set[str] | None = None
    for key, value in env.params.items():
        match = _FILTER_NAME.fullmatch(key)
        if not match:
            continue
        if value != "parameter-name":
            raise AwsError("InvalidParameterValue", f"Unrecognized filter name: {value}")
        wanted = (wanted or set()) | set(env.list_param(f"Filters.Filter.{match.group(1)}.Values"))
    return parameters if wanted is None else [p for p in parameters if p["ParameterName"] in wanted]


def page(env: Envelope, items: list[dict]) -> tuple[list[dict], str | None]:
    """MaxRecords (20-100, default 100) and Marker, as on AWS; the marker is the next record's index."""
    raw = env.param("MaxRecords")
    try:
        limit = 100 if raw is None else int(raw)
    except ValueError:
        limit = 0
    if not 20 <= limit <= 100:
        raise AwsError("InvalidParameterValue", f"Invalid value {raw} for MaxRecords. Must be between 20 and 100")
    marker = env.param("Marker") or "0"
    if not marker.isdigit():
        raise AwsError("InvalidParameterValue", f"Invalid marker: {marker}")
    start = int(marker)
    end = start + limit
    return items[start:end], (str(end) if end < len(items) else None)


# -- Modify and Reset ------------------------------------------------------------------------------------------


@before("rds", "ModifyDBClusterParameterGroup", "ModifyDBParameterGroup")
def validate_modify(env: Envelope) -> None:
    level = _level(env)
    group = _group(env, level)
    if group is None:
        return
    requested = _requested(env, group)
    known = group.known()
    for request in requested:
        entry = _checked(known, request)
        value = request.get("ParameterValue")
        name = entry["ParameterName"]
        if value is None or value == "":
            raise AwsError("InvalidParameterValue", f"The parameter value for parameter {name} must not be blank.")
        if not _allowed(entry, value):
            raise AwsError(
                "InvalidParameterValue",
                f"Invalid parameter value: {value} for: {name} allowed values are: {entry.get('AllowedValues', '')}",
            )
    # valid: moto stores the values as sent


@before("rds", "ResetDBClusterParameterGroup", "ResetDBParameterGroup")
def reset_group(env: Envelope) -> None:
    level, action = _level(env), env.action
    group = _group(env, level)
    if group is None:
        if _moto_group(env, level) is None:  # moto lacks Reset*, so it could not even say "not found"
            name = env.param(_KINDS[level][0])
            kind = "DBClusterParameterGroup" if level == "cluster" else "DBParameterGroup"
            raise AwsError("DBParameterGroupNotFound", f"{kind} not found: {name}", 404)
        return
    requested = _requested(env, group, allow_empty=True)
    reset_all = env.param("ResetAllParameters")
    if reset_all is not None and reset_all.lower() == "true" and requested:
        raise AwsError(
            "InvalidParameterCombination",
            "You can't specify both ResetAllParameters and a list of parameters to reset.",
        )
    known = group.known()
    for request in requested:
        _checked(known, request)
    if requested:
        for request in requested:
            group.parameters.pop(request["ParameterName"], None)
    elif reset_all is None or reset_all.lower() == "true":
        group.parameters.clear()
    else:
        raise AwsError(
            "InvalidParameterCombination",
            "Either ResetAllParameters must be true or a list of parameters to reset must be given.",
        )
    name_field = _KINDS[level][0]
    respond(action, f"<{name_field}>{escape(group.name)}</{name_field}>")


def _requested(env: Envelope, group: Group, allow_empty: bool = False) -> list[dict]:
    if group.default:
        raise AwsError("InvalidParameterValue", "Cannot modify a default parameter group.")
    found: dict[int, dict] = {}
    for key, value in env.params.items():
        match = _REQUEST_PARAMETER.fullmatch(key)
        if match:
            found.setdefault(int(match.group(1)), {})[match.group(2)] = value
    requested = [found[i] for i in sorted(found)]
    if not requested and not allow_empty:
        raise AwsError("InvalidParameterValue", "The parameter Parameters must be provided and must not be blank.")
    if len(requested) > MAX_PARAMETERS_PER_CALL:
        raise AwsError(
            "InvalidParameterCombination",
            f"Cannot modify more than {MAX_PARAMETERS_PER_CALL} parameters in a single request",
        )
    return requested


def _checked(known: dict[str, dict], request: dict) -> dict:
    """The catalogue entry of a requested parameter, if it may be changed with this ApplyMethod."""
    name = request.get("ParameterName") or ""
    entry = known.get(name)
    if entry is None:
        raise AwsError("InvalidParameterValue", f"Could not find parameter with name: {name}")
    if not entry["IsModifiable"]:
        raise AwsError("InvalidParameterValue", f"The parameter {name} cannot be modified.")
    method = request.get("ApplyMethod")
    if method is not None and method not in ("immediate", "pending-reboot"):
        raise AwsError("InvalidParameterValue", f"Invalid apply method: {method}. Must be immediate or pending-reboot")
    if method == "immediate" and entry["ApplyType"] == "static":
        raise AwsError("InvalidParameterCombination", "cannot use immediate apply method for static parameter")
    return entry


def _allowed(entry: dict, value: str) -> bool:
    """Whether a value fits the parameter's DataType and AllowedValues (e.g. ``0,1``, ``-1-2147483647``)."""
    data_type, allowed = entry["DataType"], entry.get("AllowedValues")
    if data_type in ("integer", "float"):
        if "{" in value:  # a formula such as LEAST({DBInstanceClassMemory/9531392},5000); AWS evaluates it later
            return True
        number = _number(value, data_type)
        return number is not None and (allowed is None or any(_in(number, part) for part in allowed.split(",")))
    if allowed is None:
        return True
    choices = set(allowed.split(","))
    if data_type == "list":
        return all(item.strip() in choices for item in value.split(",") if item.strip())
    return value in choices


def _number(value: str, data_type: str) -> float | None:
    try:
        return int(value) if data_type == "integer" else float(value)
    except ValueError:
        return None


def _in(number: float, part: str) -> bool:
    match = _RANGE.fullmatch(part.strip())
    if match:
        return float(match.group(1)) <= number <= float(match.group(2))
    return _number(part.strip(), "float") == number


# -- Query-protocol XML ------------------------------------------------------------------------------------


def _parameters_xml(parameters: list[dict]) -> str:
    return "<Parameters>" + "".join(_parameter_xml(p) for p in parameters) + "</Parameters>"


def _parameter_xml(parameter: dict) -> str:
    parts = []
    for field in _FIELDS:
        if field in parameter:
            value = parameter[field]
            text = ("true" if value else "false") if isinstance(value, bool) else str(value)
            parts.append(f"<{field}>{escape(text)}</{field}>")
    modes = "".join(f"<member>{escape(mode)}</member>" for mode in parameter.get("SupportedEngineModes", ()))
    if modes:
        parts.append(f"<SupportedEngineModes>{modes}</SupportedEngineModes>")
    return "<Parameter>" + "".join(parts) + "</Parameter>"


def marker_xml(marker: str | None) -> str:
    return f"<Marker>{marker}</Marker>" if marker else ""


def respond(action: str, result: str) -> None:
    request_id = str(uuid.uuid4())
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><{action}Response xmlns="{_NAMESPACE}"><{action}Result>'
        f"{result}</{action}Result><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        f"</{action}Response>"
    )
    raise Respond(body.encode(), headers=[("x-amzn-RequestId", request_id)])
