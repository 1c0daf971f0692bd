"""HTTP-level layers: each a small class with before/after/done; switchable at run time."""

from __future__ import annotations

import json
import random
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


# Each service's own throttling error, as AWS answers it (code, HTTP status); the rest by protocol.
THROTTLING = {
    "ec2": ("RequestLimitExceeded", 503),
    "lambda": ("TooManyRequestsException", 429),
    "kms": ("ThrottlingException", 400),
    "secretsmanager": ("ThrottlingException", 400),
    "logs": ("ThrottlingException", 400),
    "monitoring": ("Throttling", 400),  # CloudWatch: JSON on the wire, query-protocol error codes
}
THROTTLING_BY_PROTOCOL = {
    "query": ("Throttling", 400),
    "json": ("ThrottlingException", 400),
    "rest": ("Throttling", 400),
}
# Server-side errors: (code, status) pairs, one of them at random; EC2 and Lambda name theirs differently.
SERVER = {
    "ec2": (("InternalError", 500), ("Unavailable", 503)),
    "lambda": (("ServiceException", 500), ("ServiceException", 503)),
}
SERVER_DEFAULT = (("InternalFailure", 500), ("ServiceUnavailable", 503))
KINDS = ("throttle", "server")


class RandomFaults:
    """Random, reproducible fault injection: a fraction of requests answered with a throttling or server error.

    Configured with ``rate`` (``{"throttle": 0.2, "server": 0.05}``), ``seed`` and ``services`` (empty: all).
    The draw happens before moto, so a request failed this way changes nothing; the same seed and the same
    request order give the same faults. ``stats`` counts what was injected per kind and service.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self.configure({})

    def configure(self, config: dict) -> dict:
        rate = {str(k): float(v) for k, v in (config.get("rate") or {}).items()}
        unknown = set(rate) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown fault kind(s) {sorted(unknown)}; known: {', '.join(KINDS)}")
        if any(not 0 <= v <= 1 for v in rate.values()) or sum(rate.values()) > 1:
            raise ValueError(f"fault rates must be fractions between 0 and 1 that add up to at most 1: {rate}")
        with self._lock:
            self.rate = rate
            self.seed = int(config.get("seed") or 0)
            self.services = sorted(config.get("services") or [])
            self._random = random.Random(self.seed)  # noqa: S311 - reproducible faults, not cryptography
            self.stats: dict[str, dict[str, int]] = {kind: {} for kind in KINDS}
        return self.describe()

    def describe(self) -> dict:
        return {"rate": self.rate, "seed": self.seed, "services": self.services, "injected": self.stats}

    def before(self, env: Envelope) -> None:
        if not self.rate or not env.service or (self.services and env.service not in self.services):
            return
        with self._lock:
            draw, pick = self._random.random(), self._random.random()
            kind = None
            threshold = 0.0
            for name in KINDS:
                threshold += self.rate.get(name, 0.0)
                if draw < threshold:
                    kind = name
                    break
            if kind is None:
                return
            self.stats[kind][env.service] = self.stats[kind].get(env.service, 0) + 1
        if kind == "throttle":
            code, status = THROTTLING.get(env.service) or THROTTLING_BY_PROTOCOL[env.protocol]
            raise AwsError(code, "Rate exceeded", status)
        choices = SERVER.get(env.service, SERVER_DEFAULT)
        code, status = choices[int(pick * len(choices))]
        raise AwsError(code, "We encountered an internal error. Please try again.", status, sender=False)


def parse_rate(text: str) -> dict[str, float]:
    """``throttle=0.2,server=0.05`` -> ``{"throttle": 0.2, "server": 0.05}`` (ValueError naming what is wrong)."""
    rate = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        if not sep or name not in KINDS:
            raise ValueError(f"--fault-rate takes KIND=FRACTION pairs with KIND in {', '.join(KINDS)}, not {item!r}")
        try:
            rate[name] = float(value)
        except ValueError as exc:
            raise ValueError(f"--fault-rate: {value!r} is not a fraction (e.g. 0.2)") from exc
    return rate


class Latency:
    """Delay matching requests by ``seconds`` (rules like Faults, without an error)."""

    def __init__(self):
        self.rules: list[dict] = []

    def before(self, env: Envelope) -> None:
        for rule in self.rules:
            if rule.get("service") in (None, env.service) and rule.get("action") in (None, env.action):
                time.sleep(float(rule.get("seconds", 0)))
