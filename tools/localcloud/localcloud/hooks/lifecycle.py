"""Gap 10 (RDS): instances look "creating" for a while, as on AWS, so waits and progress are exercised.

moto reports a new instance "available" at once. With ``LOCALCLOUD_RDS_CREATE_SECONDS=N`` (set before
``localcloud up``; 0 = off, the default) each new instance stays "creating" for N seconds of wall time,
then turns "available" the next time anyone describes it. ``localcloud up --timing aws`` supersedes it.
"""

from __future__ import annotations

import os
import threading
import time

from .. import ACCOUNT_ID
from ..envelope import Envelope
from ..middleware import after, before

_CREATING: dict[tuple[str, str], float] = {}
_LOCK = threading.Lock()


def _delay() -> float:
    try:
        return float(os.environ.get("LOCALCLOUD_RDS_CREATE_SECONDS", "0"))
    except ValueError:
        return 0.0


def _databases(region: str):
    from moto.rds.models import rds_backends

    return rds_backends[ACCOUNT_ID][region].databases


@after("rds", "CreateDBInstance")
def start_creating(env: Envelope, body: bytes) -> None:
    delay = _delay()
    if os.environ.get("LOCALCLOUD_TIMING", "").strip().lower() == "aws":
        return  # the AWS timing model (hooks/timing.py) decides, for every resource
    instance_id = (env.param("DBInstanceIdentifier") or "").lower()
    instance = _databases(env.region).get(instance_id)
    if delay <= 0 or instance is None:
        return
    instance.status = "creating"
    with _LOCK:
        _CREATING[(env.region, instance_id)] = time.monotonic() + delay


@before("rds", "DescribeDBInstances", "DescribeDBClusters", "DeleteDBInstance", "ModifyDBInstance")
def finish_creating(env: Envelope) -> None:
    now = time.monotonic()
    with _LOCK:
        due = [key for key, ready in _CREATING.items() if key[0] == env.region and ready <= now]
        for key in due:
            del _CREATING[key]
    databases = _databases(env.region)
    for _, instance_id in due:
        instance = databases.get(instance_id)
        if instance is not None and instance.status == "creating":
            instance.status = "available"
