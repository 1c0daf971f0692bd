"""Gap 26b: which instance classes Aurora PostgreSQL offers per engine version (DescribeOrderableDBInstanceOptions).

moto 5.2.5 answers DescribeOrderableDBInstanceOptions for aurora-postgresql from a dump that ends at 15.2 (so
15.7, the version this stack deploys, has no class at all) and ignores ``DBInstanceClass``. This answers it from
``localcloud/data/orderable-aurora-postgresql.json`` (its ``_source`` cites where each entry comes from) for the
versions DescribeDBEngineVersions knows (:mod:`.engine_versions`), with the ``EngineVersion``,
``DBInstanceClass``, ``LicenseModel`` and ``Vpc`` filters, ``MaxRecords`` (20-1000) and ``Marker``. Other engines,
and versions outside the catalogue, keep moto's answer. :func:`offered` is strict mode's instance class rule
(strict-7): ``False`` only for what the table says AWS does not offer, ``None`` when the table does not know.
"""

from __future__ import annotations

import fnmatch
import json
from functools import cache
from xml.sax.saxutils import escape

from ..envelope import Envelope
from ..errors import AwsError
from ..middleware import before
from .catalogue import DATA_DIR, marker_xml, respond
from .engine_versions import _fields_xml, _key, versions

ENGINE = "aurora-postgresql"
_BOOLEANS = {
    "MultiAZCapable": False,
    "ReadReplicaCapable": False,
    "Vpc": True,
    "SupportsStorageEncryption": True,
    "SupportsIops": False,
    "SupportsEnhancedMonitoring": True,
    "SupportsIAMDatabaseAuthentication": True,
    "SupportsPerformanceInsights": True,
    "SupportsGlobalDatabases": True,
    "SupportsClusters": True,
}


@cache
def table() -> dict:
    return json.loads((DATA_DIR / "orderable-aurora-postgresql.json").read_text(encoding="utf-8"))


def _family_of(instance_class: str) -> tuple[str, str]:
    """``db.r6g.large`` -> ``("db.r6g", "large")``; ``db.serverless`` -> ``("db.serverless", "")``."""
    family, _, size = instance_class.rpartition(".")
    return (family, size) if family.count(".") == 1 else (instance_class, "")


def offered(engine: str | None, version: str | None, instance_class: str | None) -> bool | None:
    """Whether AWS offers the class for this engine version: True, False, or None (the table does not know)."""
    if engine != ENGINE or not version or not instance_class:
        return None
    data = table()
    if any(fnmatch.fnmatchcase(instance_class, pattern) for pattern in data["not_offered"]):
        return False
    if version not in {v["EngineVersion"] for v in versions() if v["Engine"] == ENGINE}:
        return None
    family, size = _family_of(instance_class)
    spec = data["families"].get(family)
    if spec is None or (spec["sizes"] and size not in spec["sizes"]):
        return None
    start = spec["from"].get(version.split(".")[0])
    return start is not None and _key(version) >= _key(start)


def options(region: str) -> list[dict]:
    """Every (version, class) pair the table offers, in AWS's order (version, then class)."""
    data = table()
    found = []
    for version in (v["EngineVersion"] for v in versions() if v["Engine"] == ENGINE):
        for family, spec in sorted(data["families"].items()):
            for size in spec["sizes"] or [""]:
                instance_class = f"{family}.{size}" if size else family
                if offered(ENGINE, version, instance_class):
                    found.append(_option(region, version, instance_class, data))
    return found


def _option(region: str, version: str, instance_class: str, data: dict) -> dict:
    return {
        "Engine": ENGINE,
        "EngineVersion": version,
        "DBInstanceClass": instance_class,
        "LicenseModel": data["license_model"],
        "AvailabilityZones": [f"{region}{zone}" for zone in "abc"],
        "StorageType": data["storage_type"],
        "SupportedEngineModes": ["provisioned"],
        "SupportedNetworkTypes": ["IPV4", "DUAL"],
        **_BOOLEANS,
    }


@before("rds", "DescribeOrderableDBInstanceOptions")
def describe_orderable_options(env: Envelope) -> None:
    version = env.param("EngineVersion")
    known = {v["EngineVersion"] for v in versions() if v["Engine"] == ENGINE}
    if env.param("Engine") != ENGINE or (version and version not in known):
        return  # moto answers (its own, older dump for aurora-postgresql and neptune; nothing for the rest)
    selected = [o for o in options(env.region) if _matches(env, o)]
    shown, marker = _page(env, selected)
    respond(
        env.action,
        marker_xml(marker)
        + "<OrderableDBInstanceOptions>"
        + "".join(map(_option_xml, shown))
        + "</OrderableDBInstanceOptions>",
    )


def _matches(env: Envelope, option: dict) -> bool:
    for name in ("EngineVersion", "DBInstanceClass", "LicenseModel"):
        if env.param(name) and env.param(name) != option[name]:
            return False
    vpc = env.param("Vpc")
    return vpc is None or (vpc.lower() == "true") == option["Vpc"]


def _page(env: Envelope, items: list[dict]) -> tuple[list[dict], str | None]:
    """MaxRecords 20-1000 (default 100) and Marker (the next record's index), as AWS documents this action."""
    raw, marker = env.param("MaxRecords"), env.param("Marker") or "0"
    limit = int(raw) if raw and raw.isdigit() else (100 if raw is None else 0)
    if not 20 <= limit <= 1000:
        raise AwsError("InvalidParameterValue", f"Invalid value {raw} for MaxRecords. Must be between 20 and 1000")
    if not marker.isdigit():
        raise AwsError("InvalidParameterValue", f"Invalid marker: {marker}")
    start = int(marker)
    return items[start : start + limit], (str(start + limit) if start + limit < len(items) else None)


def _option_xml(option: dict) -> str:
    zones = "".join(
        f"<AvailabilityZone><Name>{escape(z)}</Name></AvailabilityZone>" for z in option["AvailabilityZones"]
    )
    fields = tuple(field for field in option if field != "AvailabilityZones")
    return (
        f"<OrderableDBInstanceOption><AvailabilityZones>{zones}</AvailabilityZones>{_fields_xml(option, fields)}"
        "</OrderableDBInstanceOption>"
    )
