#!/usr/bin/env python3
"""How often ansible-playbook loses a Ctrl-C: SIGINT at random moments of a playbook of short tasks.

Usage: .venv/bin/python scripts/sigint_lost.py [RUNS]  (default 60; about 5 s a run)

Prints the exit codes seen (99: interrupted as it should be; 0: the SIGINT was lost and the run finished; runs still
going a minute after the signal are counted and killed) and how
many runs printed "Exception ignored ... KeyboardInterrupt" (ansible-core's handler raised inside a CPython
at-fork callback, which drops the exception). Not a test: a figure for README.md.
"""

from __future__ import annotations

import collections
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
PLAYBOOK = [
    {
        "hosts": "localhost",
        "gather_facts": False,
        "connection": "local",
        "tasks": [{"name": f"Task {i}", "ansible.builtin.debug": {"msg": "x"}} for i in range(150)],
    }
]


def main(runs: int) -> None:
    codes: collections.Counter = collections.Counter()
    dropped = 0
    with tempfile.TemporaryDirectory() as tmp:
        playbook = Path(tmp) / "short_tasks.yml"
        playbook.write_text(yaml.safe_dump(PLAYBOOK), encoding="utf-8")
        env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")}
        for _ in range(runs):
            with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as out:
                proc = subprocess.Popen(
                    [str(Path(sys.executable).parent / "ansible-playbook"), str(playbook)],
                    cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                )  # fmt: skip
                time.sleep(random.uniform(1.5, 5.0))  # noqa: S311 - a moment, not a secret
                if proc.poll() is not None:
                    codes["ended before the signal"] += 1
                    continue
                os.killpg(proc.pid, signal.SIGINT)
                try:
                    codes[proc.wait(60)] += 1
                except subprocess.TimeoutExpired:  # interrupted, and still running a minute later
                    codes["still running 60 s after the SIGINT"] += 1
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                out.seek(0)
                _, found, after = out.read().partition("Exception ignored")
                dropped += bool(found) and "KeyboardInterrupt" in after[:2000]
    print(f"runs: {runs}; exit codes: {dict(codes)}; KeyboardInterrupt dropped in an at-fork callback: {dropped}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 60)
