"""Gap 26: moto 5.2.5 lacks DescribeDBEngineVersions; this answers it for aurora-postgresql and aurora-mysql.

The versions come from ``localcloud/data/engine-versions.json`` (its ``_source`` says where they come from):
aurora-postgresql 13.9-13.16, 14.6-14.13, 15.2-15.8, 16.1-16.4 and a few aurora-mysql 3.0x versions, each with
its ``DBParameterGroupFamily``, ``ValidUpgradeTarget`` (later minors of its major, then every version of a later
major with ``IsMajorVersionUpgrade``), the CA certificates, log exports and features. As on AWS:

* ``Engine``, ``EngineVersion`` (a version or a major, e.g. ``15``), ``DBParameterGroupFamily`` and the filters
  ``engine``, ``engine-version``, ``db-parameter-group-family``, ``engine-mode`` and ``status`` select;
* ``DefaultOnly`` keeps the engine's default version, or the major's default when a major is asked for;
* ``MaxRecords`` (20-100) and ``Marker`` paginate; an engine AWS does not have is ``InvalidParameterValue``.

A request for engines without data here (postgres, mysql, ..., or no engine and no family at all) goes on to
moto, which lacks the action: the local cloud then answers ``LocalCloudUnsupported`` (gap 25), never a made-up
empty list.
"""

from __future__ import annotations

import json
import re
from functools import cache
from xml.sax.saxutils import escape

from ..envelope import Envelope
from ..errors import AwsError
from ..middleware import before
from .catalogue import AWS_FAMILY, DATA_DIR, marker_xml, page, respond

_FILTER = re.compile(r"Filters\.(?:Filter|member)\.\d+\.Name")
# Engines AWS has (the DescribeDBEngineVersions documentation's list); others are InvalidParameterValue.
_AWS_ENGINES = re.compile(
    r"aurora-mysql|aurora-postgresql|neptune|docdb|mysql|mariadb|postgres|db2-(ae|se)|custom-oracle-ee(-cdb)?"
    r"|custom-oracle-se2(-cdb)?|custom-sqlserver-(ee|se|web|dev)|oracle-(ee|se2)(-cdb)?|sqlserver-(ee|se|ex|web)"
)
_FILTER_FIELDS = {
    "engine": "Engine",
    "engine-version": "EngineVersion",
    "db-parameter-group-family": "DBParameterGroupFamily",
    "engine-mode": "SupportedEngineModes",
    "status": "Status",
}
_UPGRADE_FIELDS = (
    "Engine",
    "EngineVersion",
    "Description",
    "AutoUpgrade",
    "IsMajorVersionUpgrade",
    "SupportedEngineModes",
    "SupportsParallelQuery",
    "SupportsGlobalDatabases",
    "SupportsBabelfish",
    "SupportsLimitlessDatabase",
    "SupportsLocalWriteForwarding",
    "SupportsIntegrations",
)
_VERSION_FIELDS = (
    "Engine",
    "MajorEngineVersion",
    "EngineVersion",
    "DBParameterGroupFamily",
    "DBEngineDescription",
    "DBEngineVersionDescription",
    "ValidUpgradeTarget",
    "ExportableLogTypes",
    "SupportsLogExportsToCloudwatchLogs",
    "SupportsReadReplica",
    "SupportedEngineModes",
    "SupportedFeatureNames",
    "Status",
    "SupportsParallelQuery",
    "SupportsGlobalDatabases",
    "SupportsBabelfish",
    "SupportsLimitlessDatabase",
    "SupportsCertificateRotationWithoutRestart",
    "SupportedCACertificateIdentifiers",
    "SupportsLocalWriteForwarding",
    "SupportsIntegrations",
)


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


@cache
def versions() -> tuple[dict, ...]:
    """Every catalogued version as AWS describes it (plus ``_default`` / ``_major_default`` flags), sorted."""
    data = json.loads((DATA_DIR / "engine-versions.json").read_text(encoding="utf-8"))
    found = []
    for engine, spec in data["engines"].items():
        majors = sorted(spec["majors"], key=_key)
        for major in majors:
            for minor in spec["majors"][major]["minors"]:
                found.append(_version(engine, spec, major, minor, data["ca_certificates"]))
        for entry in found:
            if entry["Engine"] == engine:
                entry["ValidUpgradeTarget"] = _targets(entry, [v for v in found if v["Engine"] == engine])
    return tuple(found)


def _version(engine: str, spec: dict, major: str, minor: str, certificates: list[str]) -> dict:
    forwarding_from = spec["local_write_forwarding_from"].get(major)
    short = minor.rsplit(".", 2)[-2:] if engine == "aurora-mysql" else None
    description = spec["version_description"].format(
        version=minor,
        minor=".".join(short) if short else minor,
        compatible=spec.get("compatible", {}).get(short[0] if short else "", ""),
    )
    return {
        "Engine": engine,
        "MajorEngineVersion": major,
        "EngineVersion": minor,
        "DBParameterGroupFamily": f"{spec['family_prefix']}{major}",
        "DBEngineDescription": spec["DBEngineDescription"],
        "DBEngineVersionDescription": description,
        "ExportableLogTypes": spec["ExportableLogTypes"],
        "SupportsLogExportsToCloudwatchLogs": True,
        "SupportsReadReplica": False,
        "SupportedEngineModes": spec["SupportedEngineModes"],
        "SupportedFeatureNames": spec["SupportedFeatureNames"],
        "Status": "available",
        "SupportsParallelQuery": False,
        "SupportsGlobalDatabases": spec["SupportsGlobalDatabases"],
        "SupportsBabelfish": spec["SupportsBabelfish"],
        "SupportsLimitlessDatabase": False,
        "SupportsCertificateRotationWithoutRestart": True,
        "SupportedCACertificateIdentifiers": certificates,
        "SupportsLocalWriteForwarding": forwarding_from is not None and _key(minor) >= _key(forwarding_from),
        "SupportsIntegrations": False,
        "_default": minor == spec["default"],
        "_major_default": minor == spec["majors"][major]["default"],
    }


def _targets(entry: dict, same_engine: list[dict]) -> list[dict]:
    """Later minors of the same major, then every version of a later major (a major version upgrade)."""
    targets = []
    for other in same_engine:
        if _key(other["EngineVersion"]) <= _key(entry["EngineVersion"]):
            continue
        major = other["MajorEngineVersion"] != entry["MajorEngineVersion"]
        target = {field: other[field] for field in _UPGRADE_FIELDS if field in other}
        target.update(Description=other["DBEngineVersionDescription"], AutoUpgrade=False, IsMajorVersionUpgrade=major)
        targets.append(target)
    return targets


@before("rds", "DescribeDBEngineVersions")
def describe_engine_versions(env: Envelope) -> None:
    engine, family = env.param("Engine"), env.param("DBParameterGroupFamily")
    if engine and not _AWS_ENGINES.fullmatch(engine):
        raise AwsError("InvalidParameterValue", f"Invalid DB engine: {engine}")
    if family and not AWS_FAMILY.fullmatch(family):
        raise AwsError("InvalidParameterValue", f"ParameterGroupFamily {family} is not a valid parameter group family")
    catalogued = {v["Engine"] for v in versions()}
    families = {v["DBParameterGroupFamily"] for v in versions()}
    if (engine or "") not in catalogued and not (engine is None and family in families):
        return  # no data here: moto answers (it lacks the action, so LocalCloudUnsupported)
    selected = [v for v in versions() if _matches(env, v)]
    if (env.param("DefaultOnly") or "").lower() == "true":
        selected = _defaults(env, selected)
    shown, marker = page(env, selected)
    respond(
        env.action,
        marker_xml(marker) + "<DBEngineVersions>" + "".join(map(_version_xml, shown)) + "</DBEngineVersions>",
    )


def _matches(env: Envelope, version: dict) -> bool:
    wanted = env.param("EngineVersion")
    if env.param("Engine") and version["Engine"] != env.param("Engine"):
        return False
    if wanted and wanted not in (version["EngineVersion"], version["MajorEngineVersion"]):
        return False
    if env.param("DBParameterGroupFamily") and version["DBParameterGroupFamily"] != env.param("DBParameterGroupFamily"):
        return False
    for key, name in env.params.items():
        if not _FILTER.fullmatch(key):
            continue
        if name not in _FILTER_FIELDS:
            raise AwsError("InvalidParameterValue", f"Unrecognized filter name: {name}")
        values = set(env.list_param(key.removesuffix(".Name") + ".Values"))
        have = version[_FILTER_FIELDS[name]]
        have = set(have) if isinstance(have, list) else {have}
        if name == "engine-version":
            have.add(version["MajorEngineVersion"])
        if not have & values:
            return False
    return True


def _defaults(env: Envelope, selected: list[dict]) -> list[dict]:
    """AWS's DefaultOnly: the engine's default, or the major's default when a major (or its family) is asked for."""
    per_major = bool(env.param("EngineVersion") or env.param("DBParameterGroupFamily"))
    return [v for v in selected if v["_major_default" if per_major else "_default"]]


def _version_xml(version: dict) -> str:
    return "<DBEngineVersion>" + _fields_xml(version, _VERSION_FIELDS) + "</DBEngineVersion>"


def _fields_xml(item: dict, fields: tuple[str, ...]) -> str:
    parts = []
    for field in fields:
        value = item.get(field)
        if value is None:
            continue
        if field == "ValidUpgradeTarget":
            inner = "".join(f"<UpgradeTarget>{_fields_xml(t, _UPGRADE_FIELDS)}</UpgradeTarget>" for t in value)
        elif isinstance(value, list):
            inner = "".join(f"<member>{escape(str(v))}</member>" for v in value)
        elif isinstance(value, bool):
            inner = "true" if value else "false"
        else:
            inner = escape(str(value))
        parts.append(f"<{field}>{inner}</{field}>")
    return "".join(parts)
