#!/usr/bin/env python3
"""Run amazon.aws's own integration targets against the local cloud or plain moto (a foreign suite).

The targets are not vendored: fetch ``tests/integration/targets/<target>/`` of the amazon.aws version the
virtualenv holds into a directory outside the repository, then::

    python tools/localcloud/scripts/foreign_suite.py --targets /tmp/foreign/targets \\
        --against moto --against localcloud --against localcloud-strict --out /tmp/foreign/results

For each endpoint kind and each target (one at a time, a fresh endpoint per target, started and stopped here):
a generated wrapper play runs the target as a role (its ``tasks/main.yml``, ``defaults/``, ``files/``,
``templates/``) on localhost, with ``module_defaults`` for the ``group/aws`` action group (``endpoint_url``,
dummy credentials, region) and the variables ansible-test gives the targets (``resource_prefix``,
``tiny_prefix``, ``aws_region``, ``aws_access_key``, ``aws_secret_key``, ``output_dir``;
``security_token`` stays undefined: amazon.aws 11 dropped that alias).
The target's own ``ignore_errors`` stay; the first failing task that is not ignored stops it (its ``always``
cleanup still runs). A small callback plugin counts tasks (ok, changed, failed, ignored, skipped) and records
the first failing task and its message. Each target runs under ``--timeout`` seconds.

Writes ``<out>/summary.json`` and ``<out>/summary.md`` (per target and endpoint: ok / failed counts, first
failure) and each run's output under ``<out>/<against>/<target>.log``.

``--exclude NAME=REASON`` (or the built-in ``EXCLUDED``) lists targets that need what no emulator has.
``--var NAME=VALUE`` overrides a target's default (e.g. the engine a target tests); such a run is named
``<target>[NAME=VALUE]`` in the summary.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[1]))  # tools/localcloud: this worktree's localcloud package

from localcloud.testing import DEFAULT_REGION, LocalCloud, PlainMoto, free_port  # noqa: E402

AGAINST = ("moto", "localcloud", "localcloud-strict")

# Targets (or target name prefixes) that need what no emulator offers (real EC2 instances, the internet, a second
# account), with the reason shown in the summary; ``--exclude NAME=REASON`` adds to it. None of the targets run
# so far needed it (docs/foreign-suite.md).
EXCLUDED: dict[str, str] = {}

CALLBACK = """
import json, os
from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "foreign_count"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.counts = {"ok": 0, "changed": 0, "failed": 0, "ignored": 0, "skipped": 0}
        self.first_failure = None

    def _task(self, result):
        task = result._task
        path = task.get_path() or ""
        return {"task": task.get_name().split(" : ", 1)[-1], "where": "/".join(path.rsplit("/", 2)[-2:])}

    def v2_runner_on_ok(self, result):
        self.counts["ok"] += 1
        if result._result.get("changed"):
            self.counts["changed"] += 1

    def v2_runner_on_skipped(self, result):
        self.counts["skipped"] += 1

    def v2_runner_on_unreachable(self, result):
        self.v2_runner_on_failed(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        if ignore_errors:
            self.counts["ignored"] += 1
            return
        self.counts["failed"] += 1
        if self.first_failure is None:
            res = result._result
            msg = res.get("msg") or res.get("exception") or ""
            if isinstance(res.get("results"), list):
                for item in res["results"]:
                    if item.get("failed"):
                        msg = item.get("msg") or msg
                        break
            error = res.get("error") or {}
            self.first_failure = {**self._task(result), "msg": str(msg)[:600],
                                  "code": error.get("code") if isinstance(error, dict) else None}

    def v2_playbook_on_stats(self, stats):
        with open(os.environ["FOREIGN_RESULT"], "w") as fh:
            json.dump({"counts": self.counts, "first_failure": self.first_failure}, fh)
"""


def discover(root: Path) -> list[tuple[str, Path, str]]:
    """(name, role directory, inventory host) of each target under ``root``.

    A plain target (``<t>/tasks/main.yml`` or ``main.yaml``) runs once on localhost. A target that runs a role
    of its own per host of its ``inventory`` (``<t>/inventory`` and ``<t>/roles/<t>/``, as amazon.aws's runme.sh
    targets do; the role includes ``test_{{ inventory_hostname }}.yml``) gives one run per host with that file:
    ``<t>/<host>``. ``setup_*`` directories are ansible-test's helper roles, not targets.
    """
    found = []
    for path in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("setup_")):
        if any((path / "tasks" / main).is_file() for main in ("main.yml", "main.yaml")):
            found.append((path.name, path, "localhost"))
            continue
        role = path / "roles" / path.name
        if (path / "inventory").is_file() and (role / "tasks" / "main.yml").is_file():
            for line in (path / "inventory").read_text().splitlines():
                host = line.split("#")[0].strip()
                if line.startswith("[all:vars]"):
                    break
                if host and not host.startswith("[") and (role / "tasks" / f"test_{host}.yml").is_file():
                    found.append((f"{path.name}/{host}", role, host))
    return found


def as_role(target: Path, roles: Path) -> Path:
    """The target as a role whose tasks find amazon.aws's modules by their short names, as under ansible-test.

    ansible-test runs a collection's targets inside that collection, where ``rds_cluster`` means
    ``amazon.aws.rds_cluster``; a role elsewhere resolves short names only through ansible-core's old routing
    table. The role is the target's own directories (symbolic links) and a generated ``meta/main.yml`` naming
    the collections (the target's ``meta/`` dependencies, ansible-test's setup roles, are not run).
    """
    role = roles / target.name
    (role / "meta").mkdir(parents=True)
    (role / "meta" / "main.yml").write_text("collections: [amazon.aws, community.aws]\n")
    for sub in target.iterdir():
        if sub.is_dir() and sub.name != "meta":
            (role / sub.name).symlink_to(sub)
    return role


def wrapper_play(
    target: Path, host: str, endpoint: str, prefix: str, output_dir: Path, extra: dict[str, str] | None = None
) -> list[dict]:
    creds = {"access_key": "testing", "secret_key": "testing", "region": DEFAULT_REGION, "endpoint_url": endpoint}
    return [
        {
            "name": f"foreign target {target.name}",
            "hosts": host,
            "gather_facts": False,
            "connection": "local",
            "vars": {
                "ansible_python_interpreter": sys.executable,
                "resource_prefix": prefix,
                "tiny_prefix": prefix[-12:],
                "aws_region": DEFAULT_REGION,
                "aws_access_key": "testing",
                "aws_secret_key": "testing",
                "output_dir": str(output_dir),
                "remote_tmp_dir": str(output_dir),
                **(extra or {}),
            },
            "module_defaults": {"group/aws": creds, "group/amazon.aws.aws": creds},
            "roles": [{"role": str(target)}],
        }
    ]


def start(against: str, state_dir: Path):
    if against == "moto":
        return PlainMoto()
    env = {**os.environ, "LOCALCLOUD_STRICT": "1"} if against == "localcloud-strict" else None
    return LocalCloud.up(state_dir, port=free_port(), env=env)


def run_target(
    name: str, target: Path, host: str, against: str, out: Path, timeout: int, extra: dict[str, str] | None = None
) -> dict:
    import yaml

    with tempfile.TemporaryDirectory(prefix=f"foreign-{target.name}-") as tmp:
        tmp = Path(tmp)
        (tmp / "callback_plugins").mkdir()
        (tmp / "callback_plugins" / "foreign_count.py").write_text(CALLBACK)
        prefix = f"fs{int(time.time()) % 10**8}{target.name.replace('_', '')[:6]}"
        endpoint_proc = start(against, tmp / "state")
        try:
            role = as_role(target, tmp / "roles")
            # ansible-test's setup_* roles that a target includes by name (e.g. setup_ec2_vpc's cleanup.yml in
            # an always: block) find amazon.aws's modules by short name the same way
            for setup in sorted(target.parent.glob("setup_*")):
                if setup.is_dir() and setup != target:
                    as_role(setup, tmp / "roles")
            play = tmp / "play.yml"
            play.write_text(yaml.safe_dump(wrapper_play(role, host, endpoint_proc.endpoint, prefix, tmp, extra)))
            env = {
                **os.environ,
                "AWS_ENDPOINT_URL": endpoint_proc.endpoint,
                "AWS_URL": endpoint_proc.endpoint,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_REGION": DEFAULT_REGION,
                "AWS_DEFAULT_REGION": DEFAULT_REGION,
                # as ansible-test's aws cloud environment: modules return resource_actions, which targets assert on
                "ANSIBLE_DEBUG_BOTOCORE_LOGS": "True",
                # older targets assert on non-boolean values (`that: - result_dict`), which ansible-core 2.19 refuses
                "ANSIBLE_ALLOW_BROKEN_CONDITIONALS": "True",
                "ANSIBLE_CALLBACKS_ENABLED": "foreign_count",
                "ANSIBLE_CALLBACK_PLUGINS": str(tmp / "callback_plugins"),
                "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_ROLES_PATH": str(tmp / "roles"),
                "ANSIBLE_HOST_PATTERN_MISMATCH": "ignore",
                "ANSIBLE_LOCALHOST_WARNING": "false",
                "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
                "FOREIGN_RESULT": str(tmp / "result.json"),
            }
            env.pop("ANSIBLE_CONFIG", None)
            started = time.monotonic()
            try:
                proc = subprocess.run(
                    [str(Path(sys.executable).parent / "ansible-playbook"), "-i", f"{host},", "-c", "local", str(play)],
                    env=env,
                    cwd=tmp,
                    capture_output=True,
                    text=True,
                    timeout=timeout,
                )
                output, rc = proc.stdout + proc.stderr, proc.returncode
            except subprocess.TimeoutExpired as exc:
                output, rc = f"{exc.stdout or ''}{exc.stderr or ''}\nTIMEOUT after {timeout}s", "timeout"
            seconds = round(time.monotonic() - started, 1)
        finally:
            endpoint_proc.down()
        log = out / against / f"{name.replace('/', '-')}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(output if isinstance(output, str) else output.decode())
        result_file = tmp / "result.json"
        result = json.loads(result_file.read_text()) if result_file.exists() else {"counts": {}, "first_failure": None}
    if rc != 0 and not result["first_failure"]:
        tail = [line for line in str(output).splitlines() if line.strip()][-3:]
        result["first_failure"] = {"task": "(playbook)", "where": "", "msg": f"rc={rc}: " + " | ".join(tail)[-600:]}
    return {"rc": rc, "seconds": seconds, **result}


def markdown(summary: dict) -> str:
    kinds = summary["against"]
    lines = [
        f"amazon.aws {summary['amazon_aws']}, {summary['date']}",
        "",
        "| target | " + " | ".join(f"{k} ok/failed" for k in kinds) + " |",
        "|---|" + "---|" * len(kinds),
    ]
    for name, per in summary["targets"].items():
        if "excluded" in per:
            lines.append(f"| {name} | excluded: {per['excluded']} |" + " |" * (len(kinds) - 1))
            continue
        cells = []
        for kind in kinds:
            r = per.get(kind)
            cells.append("-" if r is None else f"{r['counts'].get('ok', 0)}/{r['counts'].get('failed', 0)}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "First failing task per target and endpoint:", ""]
    for name, per in summary["targets"].items():
        for kind in kinds:
            first = (per.get(kind) or {}).get("first_failure")
            if first:
                msg = " ".join(first["msg"].split())[:300]
                lines.append(f"* {name} / {kind}: `{first['task']}` ({first.get('where', '')}): {msg}")
    return "\n".join(lines) + "\n"


def collection_version() -> str:
    import ansible_collections.amazon.aws as pkg

    manifest = Path(pkg.__path__[0]) / "MANIFEST.json"
    return json.loads(manifest.read_text())["collection_info"]["version"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", type=Path, required=True, help="directory of amazon.aws integration targets")
    parser.add_argument("--against", action="append", choices=AGAINST, help="endpoint kinds (repeatable)")
    parser.add_argument("--only", action="append", default=[], help="run only these targets (repeatable)")
    parser.add_argument("--exclude", action="append", default=[], metavar="NAME=REASON")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per target run (default 600)")
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a target default (play vars); the summary names the run <target>[NAME=VALUE,...]",
    )
    parser.add_argument("--out", type=Path, default=Path("outputs/foreign-suite"))
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the endpoint (finally) when terminated
    kinds = args.against or list(AGAINST)
    excluded = {**EXCLUDED, **dict(item.split("=", 1) for item in args.exclude)}
    extra = dict(item.split("=", 1) for item in args.var)
    suffix = f"[{','.join(args.var)}]" if args.var else ""
    targets = discover(args.targets)
    if args.only:
        targets = [t for t in targets if t[0] in args.only or t[0].split("/")[0] in args.only]
    args.out.mkdir(parents=True, exist_ok=True)
    summary_file = args.out / "summary.json"
    summary = json.loads(summary_file.read_text()) if summary_file.exists() else {"targets": {}}
    summary.update(amazon_aws=collection_version(), date=time.strftime("%Y-%m-%d", time.gmtime()))
    summary["against"] = [k for k in AGAINST if k in set(kinds) | set(summary.get("against", []))]
    for name, target, host in targets:
        name += suffix
        per = summary["targets"].setdefault(name, {})
        reason = next((why for prefix, why in excluded.items() if name.startswith(prefix)), None)
        if reason:
            summary["targets"][name] = {"excluded": reason}
            continue
        per.pop("excluded", None)
        for kind in kinds:
            per[kind] = run_target(name, target, host, kind, args.out, args.timeout, extra)
            counts, first = per[kind]["counts"], per[kind]["first_failure"]
            print(f"{name:32} {kind:18} {counts} {per[kind]['seconds']}s", flush=True)
            if first:
                print(f"    first failure: {first['task']}: {' '.join(first['msg'].split())[:200]}", flush=True)
            summary_file.write_text(json.dumps(summary, indent=2, sort_keys=True))
    (args.out / "summary.md").write_text(markdown(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
