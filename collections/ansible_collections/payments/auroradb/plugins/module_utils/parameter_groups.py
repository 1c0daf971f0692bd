# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parameter group decisions for ``payments.auroradb.aurora_parameter_group`` (pure, no network).

``family_from_engine``, ``normalise``, ``validate``, ``plan``: unit-testable with plain dicts shaped like the
Describe*Parameters answers. The engine defaults (DescribeEngineDefault[Cluster]Parameters) are the catalogue every
name and value is checked against; the apply method is never compared, only the (normalised) value. The AWS calls
live in ``rds.py``.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

APPLY_METHODS = ("immediate", "pending-reboot")
# Data types whose AllowedValues are enumerations the engine matches without regard to case.
_CASE_INSENSITIVE_TYPES = ("string", "list")
_TRUE = ("1", "on", "true", "yes")
_FALSE = ("0", "off", "false", "no")
_RANGE = re.compile(r"(-?\d+(?:\.\d+)?)-(-?\d+(?:\.\d+)?)")
_INTEGER = re.compile(r"[-+]?\d+")

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


# -- The cluster parameters the aurora role asks for -------------------------------------------------------------

# The reference's one parameter.
REFERENCE_PARAMETERS = {"rds.force_ssl": 1}
# Aurora PostgreSQL's default shared_preload_libraries (the engine default of aurora-postgresql15 and 16).
DEFAULT_PRELOAD = "pg_stat_statements"
PGAUDIT = "pgaudit"
PGAUDIT_ROLE = "rds_pgaudit"  # the only value Aurora accepts for pgaudit.role


def cluster_parameters(
    parameters: dict[str, Any] | None, pgaudit: bool = False, pgaudit_log: list[str] | None = None
) -> dict[str, Any]:
    """The cluster parameters to set: the reference's, the inventory's on top, and with ``pgaudit`` the library
    appended to ``shared_preload_libraries`` (the inventory's list, else Aurora's default), ``pgaudit.log`` (the
    classes, comma-separated) and ``pgaudit.role`` (object auditing through grants to rds_pgaudit), unless the
    inventory sets them itself."""
    wanted = {**REFERENCE_PARAMETERS, **(parameters or {})}
    if not pgaudit:
        return wanted
    libraries = [lib.strip() for lib in str(wanted.get("shared_preload_libraries") or DEFAULT_PRELOAD).split(",")]
    libraries = [lib for lib in libraries if lib]
    if PGAUDIT not in libraries:
        libraries.append(PGAUDIT)
    wanted["shared_preload_libraries"] = ",".join(libraries)
    wanted.setdefault("pgaudit.log", ",".join(pgaudit_log or ["ddl", "role"]))
    wanted.setdefault("pgaudit.role", PGAUDIT_ROLE)
    return wanted
