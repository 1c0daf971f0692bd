"""HTTP-level layers: each a small class with before/after/done; switchable at run time."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from .envelope import Envelope
from .errors import AwsError

_RESOURCE_PARAMS = (
    "DBInstanceIdentifier",
    "DBClusterIdentifier",
    "DBClusterParameterGroupName",
    "DBParameterGroupName",
    "SecretId",
    "Name",
    "KeyId",
    "VpcId",
    "GroupId",
    "FunctionName",
)


class Recorder:
    """Request log: one JSON line per request (time, service, action, resource, mutating, status, seconds).

    ``resource`` is the request's main identifier (DBInstanceIdentifier, SecretId, ...) when it has one;
    no other parameter is recorded, so no secret value can end up in the log.
    """

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self.entries: list[dict] = []

    def before(self, env: Envelope) -> None:
        return None

    def done(self, env: Envelope, status: str, seconds: float) -> None:
        entry = {
            "time": time.time(),
            "service": env.service,
            "action": env.action,
            "region": env.region,
            "resource": next((str(env.params[p]) for p in _RESOURCE_PARAMS if env.params.get(p)), None),
            "mutating": env.mutating,
            "status": int(status.split()[0]),
            "seconds": round(seconds, 4),
        }
        with self._lock:
            self.entries.append(entry)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry) + "\n")


class Faults:
    """Fault injection: answer matching requests with an AWS error instead of calling moto.

    A rule: ``{"service": "rds", "action": "CreateDBInstance", "code": "Throttling",
    "message": "Rate exceeded", "status": 400, "count": 2}``; ``count`` requests match, then the rule
    expires (``count: -1`` never expires).
    """

    def __init__(self):
        self.rules: list[dict] = []
        self._lock = threading.Lock()

    def before(self, env: Envelope) -> None:
        with self._lock:
            for rule in self.rules:
                if rule.get("service") not in (None, env.service) or rule.get("action") not in (None, env.action):
                    continue
                if rule.get("count", 1) == 0:
                    continue
                if rule.get("count", 1) > 0:
                    rule["count"] = rule.get("count", 1) - 1
                raise AwsError(
                    rule.get("code", "Throttling"), rule.get("message", "Rate exceeded"), int(rule.get("status", 400))
                )


class Latency:
    """Delay matching requests by ``seconds`` (rules like Faults, without an error)."""

    def __init__(self):
        self.rules: list[dict] = []

    def before(self, env: Envelope) -> None:
        for rule in self.rules:
            if rule.get("service") in (None, env.service) and rule.get("action") in (None, env.action):
                time.sleep(float(rule.get("seconds", 0)))
