#!/usr/bin/env python3
"""Build the Aurora PostgreSQL parameter catalogues ``localcloud/data/aurora-postgresql{15,16}.json``.

Run it from anywhere, as a user that may run PostgreSQL (as root it uses ``runuser -u postgres``)::

    python tools/localcloud/scripts/build_parameter_catalogue.py [--bindir /usr/lib/postgresql/15/bin]

Its inputs, named in each generated entry's ``_source`` (never sent on the wire):

* ``curated``: ``localcloud/data/sources/aurora-postgresql-curated.json``, transcribed by hand from AWS's
  parameter reference and describe output; these entries win over pg_settings and the AWS tables.
* ``postgresql15``: ``pg_settings`` of a throw-away PostgreSQL 15 server started from ``--bindir`` with
  pg_stat_statements and auto_explain preloaded: DataType (bool -> boolean, real -> float, enum -> string),
  AllowedValues (min-max, enum values, ``0,1`` for booleans), ApplyType (postmaster -> static, else
  dynamic), Description (``(unit) short_desc``, as AWS writes it), filtered and adjusted by AWS's tables in
  ``localcloud/data/sources/aurora-postgresql-aws.json``: the GUCs AWS hides (``hidden``,
  ``hidden_categories``), the ones it fixes (``system``: IsModifiable false, Source system), its engine
  defaults and narrower ranges, its list-typed parameters, and ``overrides``: fields from AWS's own describe
  output, which win over everything.
* ``aws``: the same file's ``aws_only`` / ``aws_system``: Aurora/RDS parameters PostgreSQL does not have
  (``rds.*``, ``apg_*``, ``aurora*``, extension GUCs such as pgaudit, pg_hint_plan, pg_cron).
* ``postgresql16``: aurora-postgresql16 is 15's list with PostgreSQL 16's GUC changes (its ``postgresql16``
  table, from the PostgreSQL 16 release notes: no 16 binaries on this machine).

Level: every parameter is in the DB cluster parameter group (AWS's cluster group also carries the instance
defaults); those in ``instance_listed`` (AWS's describe-db-parameters list, plus newer instance-level ones) are
also in the DB parameter group.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "localcloud" / "data"
CURATED = DATA / "sources" / "aurora-postgresql-curated.json"
AWS = DATA / "sources" / "aurora-postgresql-aws.json"
FIRST_MINOR = {"15": "15.2", "16": "16.1"}  # the first Aurora PostgreSQL release of each major
MODES = ["provisioned"]

_TYPES = {"bool": "boolean", "integer": "integer", "real": "float", "string": "string", "enum": "string"}
_QUERY = (
    "select lower(name), vartype, context, coalesce(unit, ''), coalesce(min_val, ''), coalesce(max_val, ''),"
    " coalesce(array_to_string(enumvals, ','), ''), short_desc, category from pg_settings"
    " where context <> 'internal' order by 1"
)


def pg_settings(bindir: Path) -> list[dict]:
    """The GUCs of a throw-away PostgreSQL server with pg_stat_statements and auto_explain preloaded."""
    as_root = os.geteuid() == 0
    run_as = ["runuser", "-u", "postgres", "--"] if as_root else []
    base = Path(tempfile.mkdtemp(prefix="catalogue-pg-"))
    if as_root:
        shutil.chown(base, "postgres", "postgres")
    data, options = base / "data", f"-c listen_addresses='' -c unix_socket_directories={base}"
    options += " -c shared_preload_libraries=pg_stat_statements,auto_explain"

    def run(*args: str) -> str:
        return subprocess.run([*run_as, *args], check=True, capture_output=True, text=True, cwd=base).stdout

    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--no-sync")
        run(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "log"), "-w", "start")
        try:
            out = run(str(bindir / "psql"), "-h", str(base), "-U", "postgres", "-AtX", "-F", "\t", "-c", _QUERY)
        finally:
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        time.sleep(0.2)
        shutil.rmtree(base, ignore_errors=True)
    keys = ("name", "vartype", "context", "unit", "min", "max", "enumvals", "description", "category")
    return [dict(zip(keys, line.split("\t"), strict=True)) for line in out.splitlines() if line]


def _number(text: str) -> str:
    value = float(text)
    if value >= 1e300:
        return "1.79769e+308"
    return str(int(value)) if value == int(value) else f"{value:g}"


def from_postgres(guc: dict, aws: dict) -> dict | None:
    """A catalogue entry for a PostgreSQL GUC, as AWS lists it, or None when AWS hides it."""
    name = guc["name"]
    shown = name in aws["shown_developer_options"]
    if not shown and (name in aws["hidden"] or guc["category"].startswith(tuple(aws["hidden_categories"]))):
        return None
    if guc["vartype"] == "bool":
        allowed = "0,1"
    elif guc["vartype"] in ("integer", "real"):
        allowed = f"{_number(guc['min'])}-{_number(guc['max'])}"
    else:
        allowed = guc["enumvals"] or None
    unit = guc["unit"]
    entry = {
        "ParameterName": name,
        "Description": f"({unit}) {guc['description']}" if unit else guc["description"],
        "Source": "engine-default",
        "ApplyType": "static" if guc["context"] == "postmaster" else "dynamic",
        "DataType": "list" if name in aws["lists"] else _TYPES[guc["vartype"]],
        "IsModifiable": True,
        "_source": "postgresql15",
    }
    allowed = aws["allowed_values"].get(name, allowed)
    if allowed is not None:
        entry["AllowedValues"] = allowed
    value = aws["defaults"].get(name)
    if name in aws["system"]:
        entry.update(Source="system", IsModifiable=False, _source="postgresql15; fixed by AWS")
        value = aws["system"][name]
    if value is not None:
        entry["ParameterValue"] = value
    return entry


def from_aws(name: str, fields: dict, source: str, system: bool = False) -> dict:
    """A catalogue entry from the AWS source table (``aws_only``, ``aws_system``, ``postgresql16``)."""
    entry = {"ParameterName": name, "Source": "system" if system else "engine-default", **fields}
    return {**entry, "IsModifiable": not system, "_source": source}


def build(major: str, gucs: list[dict]) -> dict:
    curated = json.loads(CURATED.read_text(encoding="utf-8"))
    aws = json.loads(AWS.read_text(encoding="utf-8"))
    entries = {guc["name"]: from_postgres(guc, aws) for guc in gucs}
    entries = {name: entry for name, entry in entries.items() if entry is not None}
    entries |= {name: from_aws(name, fields, "aws") for name, fields in aws["aws_only"].items()}
    entries |= {name: from_aws(name, fields, "aws", system=True) for name, fields in aws["aws_system"].items()}
    instance = set(aws["instance_listed"])
    if major == "16":
        pg16 = aws["postgresql16"]
        for name in pg16["removed"]:
            entries.pop(name, None)
        entries |= {name: from_aws(name, fields, "postgresql16") for name, fields in pg16["added"].items()}
        system = pg16["system"].items()
        entries |= {name: from_aws(name, fields, "postgresql16; fixed by AWS", system=True) for name, fields in system}
        instance |= set(pg16["instance_listed"])
    entries |= {p["ParameterName"]: {**p, "_source": "curated"} for p in curated["parameters"]}
    for name, fields in aws["overrides"].items():  # AWS's own describe output wins
        if name in entries:
            entries[name] = {**entries[name], **fields, "_source": entries[name]["_source"] + "; aws describe"}
        elif major == "15":
            raise SystemExit(f"override of a parameter the catalogue does not have: {name}")
    for entry in entries.values():
        minimum = entry.get("MinimumEngineVersion", FIRST_MINOR[major])
        entry["MinimumEngineVersion"] = max(minimum, FIRST_MINOR[major], key=lambda v: tuple(map(int, v.split("."))))
        entry["SupportedEngineModes"] = MODES
    ordered = [entries[name] for name in sorted(entries)]
    return {
        "_comment": (
            f"Engine defaults of the aurora-postgresql{major} family, as AWS lists them: 'cluster' is the DB cluster "
            "parameter group, 'instance' the DB parameter group. Generated by "
            "tools/localcloud/scripts/build_parameter_catalogue.py from localcloud/data/sources/ and PostgreSQL's "
            "pg_settings: do not edit by hand. Each entry's _source says where it came from: curated = transcribed "
            "from AWS, aws = AWS's parameter reference, postgresqlNN = PostgreSQL's pg_settings (15) or release "
            "notes (16), filtered by what AWS lists."
        ),
        "family": f"aurora-postgresql{major}",
        "cluster": ordered,
        "instance": [entry for entry in ordered if entry["ParameterName"] in instance],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bindir", type=Path, default=Path("/usr/lib/postgresql/15/bin"))
    args = parser.parse_args()
    gucs = pg_settings(args.bindir)
    for major in ("15", "16"):
        catalogue = build(major, gucs)
        path = DATA / f"aurora-postgresql{major}.json"
        path.write_text(json.dumps(catalogue, indent=1) + "\n", encoding="utf-8")
        print(f"{path}: {len(catalogue['cluster'])} cluster, {len(catalogue['instance'])} instance parameters")


if __name__ == "__main__":
    main()
