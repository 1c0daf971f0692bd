"""One run at a time per environment: the lock held on AWS (the SSM parameter /payments-auroradb/<suffix>/lock).

One fresh suffix on one local cloud, without a full converge (each step stops a run as soon as it proved its point):
1. two site.yml runs started together: exactly one takes the lock and proceeds, the other fails within seconds
   naming the holder and auroradb_break_lock, and makes no mutating call (one VPC is created, not two);
2. the winner killed with SIGKILL (its whole process group): its lock stays, as a dead run's must;
3. --check reads the lock and never writes it;
4. a stale lock (put by hand, expired) is refused without a break, naming its holder;
5. auroradb_break_lock=true breaks the expired lock, and a run that fails after taking the lock releases it.
Runs 3 and 5 stop at the network step on an injected, non-retryable EC2 error (after the lock step).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta

from conftest import REPO

from localcloud.testing import BIN

STALE_HOLDER = "gone@old-runner"


def _start(cloud, suffix: str, log) -> subprocess.Popen:
    cmd = [str(BIN / "ansible-playbook"), "-i", str(REPO / "inventories/local"), str(REPO / "playbooks/site.yml")]
    # Its own process group, so the test can kill the whole run as a cancelled CI job or a closed laptop does.
    return subprocess.Popen(
        [*cmd, "-e", f"env_suffix={suffix}"], cwd=REPO, env=cloud.env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def _lock(ssm, name: str) -> dict | None:
    try:
        return json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    except ssm.exceptions.ParameterNotFound:
        return None


def _text(proc) -> str:
    """A run's output with its whitespace (wrapped warnings) normalised."""
    return " ".join((proc.stdout + proc.stderr).split())


def _ssm_writes(calls: list[dict]) -> list[str]:
    return [call["action"] for call in calls if call["service"] == "ssm" and call["mutating"]]


def test_one_run_at_a_time(localcloud, suffix, tmp_path):
    ssm = localcloud.client("ssm")
    name = f"/payments-auroradb/{suffix}/lock"

    # 1. Two runs together: one proceeds, the other fails at once naming the holder.
    logs = [open(tmp_path / f"run{i}.log", "w+", encoding="utf-8") for i in (0, 1)]  # noqa: SIM115
    runs = [_start(localcloud, suffix, log) for log in logs]
    try:
        deadline = time.monotonic() + 240
        while all(run.poll() is None for run in runs) and time.monotonic() < deadline:
            time.sleep(0.5)
        ended = time.time()
        losers = [i for i, run in enumerate(runs) if run.poll() is not None]
        assert len(losers) == 1, "neither run ended" if not losers else "both runs ended"
        loser, winner = losers[0], 1 - losers[0]
        assert runs[loser].returncode != 0
        output = " ".join((tmp_path / f"run{loser}.log").read_text().split())
        lock = _lock(ssm, name)
        assert lock and lock["playbook"] == "site.yml", output[-3000:]
        for words in ("Another run of this environment is in progress", name, lock["holder"], lock["started"],
                      lock["run_id"], "auroradb_break_lock=true", "auroradb_break_lock=force"):  # fmt: skip
            assert words in output, f"{words!r} not in the refused run's output:\n{output[-3000:]}"
        taken = [c for c in localcloud.requests() if c["service"] == "ssm" and c["action"] == "PutParameter"]
        assert [c["status"] for c in taken].count(200) == 1, "the lock was created once, by one run"
        assert ended - taken[0]["time"] < 20, "the second run did not fail within seconds of the lock being taken"
        time.sleep(5)  # the winner goes on deploying meanwhile
        assert runs[winner].poll() is None, (tmp_path / f"run{winner}.log").read_text()[-3000:]
    finally:
        # 2. SIGKILL of the winner's whole process group: a dead run cannot release its lock.
        for run in runs:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
            run.wait(timeout=60)
        for log in logs:
            log.close()
    time.sleep(3)  # a module the kill left running (ansible-core starts it in its own session) finishes its call
    assert _lock(ssm, name) == lock, "a killed run's lock must stay until it expires or is broken"
    vpcs = [c for c in localcloud.requests() if c["action"] == "CreateVpc" and c["status"] == 200]
    assert len(vpcs) <= 1, "two VPCs for one environment"

    # 3. --check never locks: it reads the lock (held: a warning, no failure) and writes nothing.
    localcloud.faults([{"service": "ec2", "action": "DescribeVpcs", "code": "UnauthorizedOperation",
                        "message": "stop here", "status": 403, "count": -1}])  # fmt: skip
    try:
        before = len(localcloud.requests())
        check = localcloud.playbook("site.yml", "-e", f"env_suffix={suffix}", "--check", check=False)
        assert "stop here" in check.stdout, check.stdout[-3000:]  # it went past the lock step
        assert "Check mode takes no lock. Another run" in _text(check), check.stdout[-3000:]
        assert _ssm_writes(localcloud.requests()[before:]) == []
        assert _lock(ssm, name) == lock

        # 4. A stale lock (a run that died hours ago) is refused without a break, naming its holder.
        started = datetime.now(UTC) - timedelta(hours=3)
        stale = {
            **lock,
            "holder": STALE_HOLDER,
            "run_id": "dead-run",
            "started": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "expires": (started + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        ssm.put_parameter(Name=name, Value=json.dumps(stale), Type="String", Overwrite=True)
        refused = localcloud.playbook("site.yml", "-e", f"env_suffix={suffix}", check=False)
        assert refused.returncode != 0 and "stop here" not in refused.stdout
        assert f"held by {STALE_HOLDER}" in _text(refused) and "auroradb_break_lock=true" in _text(refused)
        assert _lock(ssm, name) == stale

        # 5. auroradb_break_lock=true breaks it once expired; the run then fails (the injected error) and its
        # `always` releases the lock it took.
        before = len(localcloud.requests())
        broken = localcloud.playbook(
            "site.yml", "-e", f"env_suffix={suffix}", "-e", "auroradb_break_lock=true", check=False
        )
        assert broken.returncode != 0 and "stop here" in broken.stdout, broken.stdout[-3000:]
        assert f"Breaking the run lock {name}, held by {STALE_HOLDER}" in _text(broken), broken.stdout[-3000:]
        assert _ssm_writes(localcloud.requests()[before:]) == ["DeleteParameter", "PutParameter", "DeleteParameter"]
        assert _lock(ssm, name) is None, "a failed run must release its lock"
    finally:
        localcloud.faults([])
