# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failover drill of payments.auroradb.aurora_failover: which reader takes over, when the failover is over, how
long the writer endpoint was unavailable, and the background probe that measures it.

Pure decision logic (``plan``, ``failover_done``, ``unavailable_seconds``) works on plain dicts shaped like the
DescribeDBClusters / DescribeDBInstances answers and on lists of probe samples; :class:`Prober` runs a probe function
every interval in a thread, with the clock and the sleep injectable, so everything here is unit-tested without a
network.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

# What the cluster must be for a failover to be sent (RDS refuses one while it is modifying, backing up, ...).
READY_STATUS = "available"


class FailoverRefused(ValueError):
    """The failover cannot be asked for as given; ``choices`` are the instances that could take over now, and
    ``target`` tells whether the target asked for is the problem (else the cluster is)."""

    def __init__(self, message: str, choices: list[str], target: bool = False):
        super().__init__(message)
        self.choices = choices
        self.target = target


def members(cluster: dict[str, Any], instances: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``[{id, writer, status, tier}]`` of the cluster's members, in the cluster's order; the status and the promotion
    tier come from DescribeDBInstances (``missing`` when it did not list the instance)."""
    described = {i["DBInstanceIdentifier"]: i for i in instances}
    found = []
    for member in cluster.get("DBClusterMembers") or []:
        ident = member["DBInstanceIdentifier"]
        instance = described.get(ident, {})
        tier = member.get("PromotionTier", instance.get("PromotionTier"))
        found.append(
            {
                "id": ident,
                "writer": bool(member.get("IsClusterWriter")),
                "status": instance.get("DBInstanceStatus", "missing"),
                "tier": 1 if tier is None else int(tier),
            }
        )
    return found


def _choices_text(choices: list[str]) -> str:
    listed = ", ".join(choices) if choices else "none (no reader is available)"
    return f"valid choices: {listed}, or empty to let RDS choose"


def plan(cluster: dict[str, Any], instances: list[dict[str, Any]], target: str | None) -> dict[str, Any]:
    """What a failover of ``cluster`` to ``target`` (empty: RDS chooses) would do, or :class:`FailoverRefused`.

    Returns ``old_writer``, ``new_writer`` (the target, or the reader RDS is expected to choose: the available
    reader with the best - lowest - promotion tier; among equals AWS promotes the largest, else any, so
    ``candidates`` lists all of them), ``candidates`` and ``choices`` (every available reader, the valid targets).
    The target is checked first (a member, not the writer, available), then the cluster (available, with a writer
    and an available reader).
    """
    name = cluster.get("DBClusterIdentifier", "")
    found = members(cluster, instances)
    writer = next((m["id"] for m in found if m["writer"]), None)
    readers = [m for m in found if not m["writer"]]
    choices = [m["id"] for m in readers if m["status"] == READY_STATUS]
    chosen = None
    if target:
        chosen = next((m for m in found if m["id"].lower() == target.lower()), None)
        if chosen is None:
            problem = f"{target} is not a member of DB cluster {name} (members: {', '.join(m['id'] for m in found)})"
        elif chosen["writer"]:
            problem = f"{chosen['id']} is already the writer of DB cluster {name}"
        elif chosen["status"] != READY_STATUS:
            problem = f"{chosen['id']} is {chosen['status']}, not {READY_STATUS}"
        else:
            problem = ""
        if problem:
            raise FailoverRefused(f"{problem}; {_choices_text(choices)}", choices, target=True)
    status = cluster.get("Status")
    if status != READY_STATUS:
        raise FailoverRefused(f"DB cluster {name} is {status}, not {READY_STATUS}: wait for it and try again", choices)
    if writer is None:
        raise FailoverRefused(f"DB cluster {name} has no writer instance to fail over from", choices)
    if chosen is not None:
        return {"old_writer": writer, "new_writer": chosen["id"], "candidates": [chosen["id"]], "choices": choices}
    if not choices:
        described = ", ".join(f"{m['id']} {m['status']}" for m in readers)
        raise FailoverRefused(
            f"DB cluster {name} has no available reader to fail over to (readers: {described or 'none'})", choices
        )
    best = min(m["tier"] for m in readers if m["status"] == READY_STATUS)
    candidates = [m["id"] for m in readers if m["status"] == READY_STATUS and m["tier"] == best]
    return {"old_writer": writer, "new_writer": candidates[0], "candidates": candidates, "choices": choices}


def failover_done(cluster: dict[str, Any] | None, old_writer: str, target: str | None) -> str | None:
    """The new writer once the cluster is available with a writer other than ``old_writer`` (``target`` when one was
    asked for), else None."""
    if not cluster or cluster.get("Status") != READY_STATUS:
        return None
    writer = next(
        (m["DBInstanceIdentifier"] for m in cluster.get("DBClusterMembers") or [] if m.get("IsClusterWriter")), None
    )
    if writer is None or writer.lower() == old_writer.lower():
        return None
    if target and writer.lower() != target.lower():
        return None
    return writer


def unavailable_seconds(samples: list[tuple[float, bool]]) -> float | None:
    """Seconds from the first failed probe to the first successful probe after it: 0.0 when no probe failed, None
    when no probe succeeded after the first failure (still unavailable)."""
    first_failure = next((when for when, ok in samples if not ok), None)
    if first_failure is None:
        return 0.0
    recovered = next((when for when, ok in samples if ok and when > first_failure), None)
    if recovered is None:
        return None
    return round(recovered - first_failure, 3)


class Prober:
    """Calls ``probe()`` (-> None when the endpoint answered as wanted, else why not) every ``interval`` seconds in a
    daemon thread until :meth:`stop`; each sample is ``(start time, ok, reason)`` on ``clock``."""

    def __init__(
        self,
        probe: Callable[[], str | None],
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
    ):
        self.probe, self.interval, self.clock = probe, interval, clock
        self._stopped = threading.Event()
        self._sleep = sleep or self._stopped.wait
        self._lock = threading.Lock()
        self._samples: list[tuple[float, bool, str]] = []
        self._thread = threading.Thread(target=self._loop, name="aurora_failover probe", daemon=True)

    def _loop(self):
        while not self._stopped.is_set():
            started = self.clock()
            try:
                reason = self.probe()
            except Exception as e:  # pylint: disable=broad-except
                reason = str(e) or e.__class__.__name__
            with self._lock:
                self._samples.append((started, reason is None, reason or ""))
            self._sleep(max(0.0, self.interval - (self.clock() - started)))

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stopped.set()
        self._thread.join()

    def samples(self) -> list[tuple[float, bool, str]]:
        with self._lock:
            return list(self._samples)

    def succeeded_since(self, moment: float) -> bool:
        """Whether a probe started at or after ``moment`` succeeded."""
        return any(ok for when, ok, _reason in self.samples() if when >= moment)

    def last_failure(self) -> str:
        return next((reason for _when, ok, reason in reversed(self.samples()) if not ok), "")
