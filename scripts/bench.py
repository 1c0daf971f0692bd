#!/usr/bin/env python3
"""``make bench``: how long a converge waits on AWS, measured against an AWS-timed local cloud.

Two local clouds run side by side on loopback, both strict: an *instant* one (today's behaviour) and a *timed*
one (``--timing aws``: every transitional state lasts its AWS duration from docs/aws-timings.md, divided by the
time scale). The same playbooks run against each, one at a time, on fresh environment suffixes:

* converge and teardown, instant and timed: ``added = timed - instant`` is the time spent waiting for AWS, to be
  compared with the modelled critical path (``GET /_localcloud/timing``) and with CloudFormation's schedule of the
  reference template under the same table and scale (:mod:`localcloud.cfn`);
* a no-op re-run and a ``--check --diff`` plan of the converged stack: wall time and API calls from the request
  log (mutating ones must be 0), beside the same no-op run of a baseline commit (``--baseline``, default 1cf97e7)
  in a ``git worktree``;
* four environments in one run (four hosts) on the timed cloud, against one.

Prints a table and writes ``outputs/bench.json``. Not a test: it asserts nothing beyond the runs succeeding.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import yaml

from localcloud import timing
from localcloud.cfn import schedule
from localcloud.testing import LocalCloud

REPO = Path(__file__).resolve().parents[1]
TARGET_CRITICAL_PATH_S = 120  # the modelled converge must last at least this long, so noise stays small
REFERENCE_TEMPLATE = "reference/cdk-template.json"
GIT = shutil.which("git") or "/usr/bin/git"


def reference_template() -> Path:
    """The reference CDK stack's synthesized template: $AURORADB_REFERENCE_TEMPLATE, else ../shared/reference/."""
    candidates = [os.environ.get("AURORADB_REFERENCE_TEMPLATE"), REPO.parent / "shared" / REFERENCE_TEMPLATE]
    for candidate in filter(None, candidates):
        if Path(candidate).is_file():
            return Path(candidate)
    raise SystemExit(
        "bench: cannot find the reference template (cdk-template.json) for CloudFormation's schedule; "
        "set AURORADB_REFERENCE_TEMPLATE to its path (it ships in shared/reference/ beside the repository)"
    )


def choose_scale(wanted: float) -> float:
    """The largest time scale (a tenth at most) at which the modelled converge lasts at least ``wanted`` s."""
    aws_seconds, _ = timing.critical_path("converge", 1)
    return max(1.0, math.floor(aws_seconds / (wanted * 1.05) * 10) / 10)


class Run:
    """One ansible-playbook run: wall time, and the request-log entries sent while it ran."""

    def __init__(self, cloud: LocalCloud, label: str, playbook: str, *args: str, inventory: str | None = None):
        self.label = label
        before = len(cloud.requests())
        started = time.monotonic()
        extra = ["-i", inventory] if inventory else []
        proc = cloud.playbook(playbook, *extra, *args, inventory=None if inventory else "inventories/local")
        self.seconds = round(time.monotonic() - started, 1)
        self.calls = cloud.requests()[before:]
        self.output = proc.stdout
        print(
            f"  {label}: {self.seconds} s, {len(self.calls)} API calls, {self.mutating} mutating"
            f" (+{self.lock_calls} of the run lock)",
            flush=True,
        )

    @property
    def mutating(self) -> int:
        """Mutating calls on the stack's resources: all of them but the run lock's own (see lock_calls)."""
        return sum(1 for call in self.calls if call["mutating"] and not is_lock_call(call))

    @property
    def lock_calls(self) -> int:
        """The run lock's writes (issue 15: every site.yml takes and releases /payments-auroradb/<suffix>/lock)."""
        return sum(1 for call in self.calls if call["mutating"] and is_lock_call(call))


def is_lock_call(call: dict) -> bool:
    """Whether a request-log entry is a write of a run lock: SSM, on the parameter /payments-auroradb/<suffix>/lock.

    The lock is the run's bookkeeping, not a change to the stack: a no-op re-run still takes and releases it (two
    writes), so the no-op figures count these apart (``noop_lock_calls``), and only these.
    """
    name = call.get("resource") or ""
    return call["service"] == "ssm" and name.startswith("/payments-auroradb/") and name.endswith("/lock")


def four_hosts(tmp: Path, suffixes: list[str]) -> str:
    """An inventory like inventories/local with one host per suffix (one environment each)."""
    local = REPO / "inventories" / "local"
    inventory = tmp / "inventory-4"
    shutil.copytree(local / "group_vars", inventory / "group_vars")
    (inventory / "host_vars").mkdir()
    settings = yaml.safe_load((local / "host_vars" / "payments-local.yml").read_text(encoding="utf-8"))
    hosts = {}
    for suffix in suffixes:
        host = f"payments-{suffix}"
        hosts[host] = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}
        (inventory / "host_vars" / f"{host}.yml").write_text(
            yaml.safe_dump({**settings, "auroradb_env_suffix": suffix}), encoding="utf-8"
        )
    (inventory / "hosts.yml").write_text(yaml.safe_dump({"auroradb": {"hosts": hosts}}), encoding="utf-8")
    return str(inventory)


def baseline_tree(commit: str, tmp: Path) -> Path:
    """A git worktree of ``commit`` (removed at the end), sharing this repository's virtualenv."""
    tree = tmp / f"baseline-{commit}"
    subprocess.run([GIT, "-C", str(REPO), "worktree", "add", "-q", "--detach", str(tree), commit], check=True)
    return tree


def drop_baseline_tree(tree: Path) -> None:
    subprocess.run([GIT, "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--time-scale",
        type=float,
        help="AWS seconds per local second (default: chosen so that "
        f"the modelled converge lasts at least {TARGET_CRITICAL_PATH_S} local seconds)",
    )
    parser.add_argument("--seed", type=int, default=1, help="the timed cloud's jitter seed")
    parser.add_argument(
        "--baseline", default="1cf97e7", help="commit whose no-op re-run is measured side by side ('' to skip)"
    )
    parser.add_argument("--out", type=Path, default=REPO / "outputs" / "bench.json")
    args = parser.parse_args(argv)

    template = json.loads(reference_template().read_text(encoding="utf-8"))
    scale = args.time_scale or choose_scale(TARGET_CRITICAL_PATH_S)
    tag = uuid.uuid4().hex[:4]
    tmp = Path(tempfile.mkdtemp(prefix="auroradb-bench-"))
    strict = {"LOCALCLOUD_STRICT": "1"}
    print(f"bench: time scale {scale} (1 local second = {scale} AWS seconds), state under {tmp}", flush=True)
    instant = LocalCloud.up(tmp / "instant", env=strict, repo=REPO)
    timed = LocalCloud.up(tmp / "timed", env=strict, repo=REPO, timing="aws", time_scale=scale, timing_seed=args.seed)
    tree = None
    try:
        model = timed.timing()
        if model.get("mode") != "aws":
            raise SystemExit(f"bench: the timed local cloud is not timed: {model}")
        durations = model["durations"]
        cfn_create, cfn_path = schedule(template, durations, "create")
        cfn_delete, _ = schedule(template, durations, "delete")

        print("converge, no-op and plan on the instant cloud", flush=True)
        env_i = f"bi{tag}"
        converge_i = Run(instant, "converge (instant)", "site.yml", "-e", f"env_suffix={env_i}")
        noops = [Run(instant, "no-op re-run", "site.yml", "-e", f"env_suffix={env_i}")]
        check = Run(instant, "plan (--check --diff)", "site.yml", "--check", "--diff", "-e", f"env_suffix={env_i}")
        baseline = []
        if args.baseline:
            print(f"no-op re-run of {args.baseline}, side by side", flush=True)
            tree = baseline_tree(args.baseline, tmp)
            old = LocalCloud(instant.port, instant.state_dir, repo=tree)
            env_b = f"bb{tag}"
            Run(old, f"converge ({args.baseline})", "site.yml", "-e", f"env_suffix={env_b}")
            for _ in range(2):
                baseline.append(Run(old, f"no-op re-run ({args.baseline})", "site.yml", "-e", f"env_suffix={env_b}"))
                noops.append(Run(instant, "no-op re-run", "site.yml", "-e", f"env_suffix={env_i}"))
        teardown_i = Run(instant, "teardown (instant)", "teardown.yml", "-e", f"env_suffix={env_i}")

        print("converge and teardown on the timed cloud", flush=True)
        env_t = f"bt{tag}"
        converge_t = Run(timed, "converge (timed)", "site.yml", "-e", f"env_suffix={env_t}")
        teardown_t = Run(timed, "teardown (timed)", "teardown.yml", "-e", f"env_suffix={env_t}")

        print("four environments in one run on the timed cloud", flush=True)
        envs4 = Run(
            timed, "converge x4 (timed)", "site.yml", inventory=four_hosts(tmp, [f"b{i}{tag}" for i in range(4)])
        )
    finally:
        for cloud in (instant, timed):
            cloud.down()
        if tree is not None:
            drop_baseline_tree(tree)

    noop = min(noops, key=lambda run: run.seconds)
    figures = {
        "time_scale": scale,
        "converge_critical_path_s": round(model["converge_critical_path_s"], 1),
        "converge_path": model.get("converge_path"),
        "converge_instant_s": converge_i.seconds,
        "converge_timed_s": converge_t.seconds,
        "converge_added_s": round(converge_t.seconds - converge_i.seconds, 1),
        "cloudformation_s": round(cfn_create, 1),
        "cloudformation_path": cfn_path,
        "cloudformation_delete_s": round(cfn_delete, 1),
        "teardown_critical_path_s": round(model["teardown_critical_path_s"], 1),
        "teardown_instant_s": teardown_i.seconds,
        "teardown_timed_s": teardown_t.seconds,
        "teardown_added_s": round(teardown_t.seconds - teardown_i.seconds, 1),
        "noop_s": noop.seconds,
        "noop_calls": len(noop.calls),
        "noop_mutating_calls": max(run.mutating for run in noops),
        "noop_lock_calls": max(run.lock_calls for run in noops),
        "noop_baseline_commit": args.baseline or None,
        "noop_baseline_s": min((run.seconds for run in baseline), default=None),
        "check_s": check.seconds,
        "check_calls": len(check.calls),
        "check_mutating_calls": check.mutating + check.lock_calls,  # --check never takes the lock
        "envs4_timed_s": envs4.seconds,
        "envs1_timed_s": converge_t.seconds,
        "machine": {"cores": os.cpu_count(), "memory_gib": _memory_gib(), "python": platform.python_version()},
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    figures["converge_ratio"] = round(figures["converge_added_s"] / figures["converge_critical_path_s"], 3)
    figures["teardown_ratio"] = round(figures["teardown_added_s"] / figures["teardown_critical_path_s"], 3)
    figures["envs4_ratio"] = round(envs4.seconds / converge_t.seconds, 3)
    if figures["noop_baseline_s"]:
        figures["noop_ratio"] = round(noop.seconds / figures["noop_baseline_s"], 3)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print_table(figures)
    print(f"\nwritten: {args.out}")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _memory_gib() -> float | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            kib = int(next(line for line in fh if line.startswith("MemTotal")).split()[1])
    except (OSError, StopIteration, ValueError):
        return None
    return round(kib / 2**20, 1)


TARGETS = {
    "converge_ratio": ("<=", 1.15),
    "teardown_ratio": ("<=", 1.15),
    "envs4_ratio": ("<=", 1.25),
    "noop_mutating_calls": ("==", 0),
    "check_mutating_calls": ("==", 0),
    "noop_ratio": ("<=", 0.5),
}


def print_table(f: dict) -> None:
    rows = [
        ("time scale (AWS s per local s)", f["time_scale"], ""),
        ("converge: modelled critical path", f["converge_critical_path_s"], "s"),
        ("converge: instant / timed", f"{f['converge_instant_s']} / {f['converge_timed_s']}", "s"),
        ("converge: added (timed - instant)", f["converge_added_s"], "s"),
        ("converge: ratio added / critical path", f["converge_ratio"], _target(f, "converge_ratio")),
        (
            "CloudFormation's schedule (same table)",
            f["cloudformation_s"],
            "s  " + ("ahead" if f["converge_added_s"] < f["cloudformation_s"] else "BEHIND"),
        ),
        ("teardown: modelled critical path", f["teardown_critical_path_s"], "s"),
        ("teardown: instant / timed", f"{f['teardown_instant_s']} / {f['teardown_timed_s']}", "s"),
        ("teardown: ratio added / critical path", f["teardown_ratio"], _target(f, "teardown_ratio")),
        (
            "no-op re-run: wall, calls, mutating (+ lock)",
            f"{f['noop_s']} s, {f['noop_calls']}, {f['noop_mutating_calls']} (+{f['noop_lock_calls']})",
            _target(f, "noop_mutating_calls"),
        ),
        (f"no-op re-run of {f['noop_baseline_commit']}", f["noop_baseline_s"], _target(f, "noop_ratio")),
        (
            "plan (--check): wall, calls, mutating",
            f"{f['check_s']} s, {f['check_calls']}, {f['check_mutating_calls']}",
            _target(f, "check_mutating_calls"),
        ),
        ("4 environments / 1 (timed)", f"{f['envs4_timed_s']} / {f['envs1_timed_s']} s", _target(f, "envs4_ratio")),
    ]
    width = max(len(r[0]) for r in rows)
    print()
    for name, value, note in rows:
        print(f"{name:<{width}}  {value!s:>18}  {note}")


def _target(f: dict, key: str) -> str:
    if key not in f or f[key] is None:
        return ""
    op, limit = TARGETS[key]
    ok = f[key] <= limit if op == "<=" else f[key] == limit
    return f"target {op} {limit}: {'met' if ok else 'MISSED'}" + (f" (ratio {f[key]})" if key == "noop_ratio" else "")


if __name__ == "__main__":
    sys.exit(main())
