"""The AWS timing model: how long AWS takes for each operation of this stack, scaled down for a local run.

Pure Python (no moto, no boto3), so ``make bench`` and tests can import it on their own:

* :func:`load_table` reads ``data/aws-timings.json`` (one entry per operation: ``aws_seconds``, ``range``,
  ``source``, optional ``phases`` = the transitional statuses AWS reports, as fractions of the duration);
  ``docs/aws-timings.md`` renders it.
* :class:`Model` scales it (local seconds = aws_seconds / time_scale) and draws durations with a small seeded
  jitter (``random.Random(seed)``, +-``jitter``), so two runs with the same seed and the same requests see the
  same durations.
* :func:`longest_path` is a generic longest path through a DAG of durations (the critical path);
  :data:`CONVERGE` and :data:`TEARDOWN` are this stack's dependency graphs, and :func:`critical_path` their
  critical path in local seconds.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from pathlib import Path

TABLE = Path(__file__).resolve().parent / "data" / "aws-timings.json"
DEFAULT_TIME_SCALE = 60.0  # 1 AWS minute = 1 local second
DEFAULT_SEED = 0
DEFAULT_JITTER = 0.05  # +-5 %
ENV_MODE, ENV_SCALE, ENV_SEED = "LOCALCLOUD_TIMING", "LOCALCLOUD_TIME_SCALE", "LOCALCLOUD_TIMING_SEED"
MODES = ("instant", "aws")


@dataclass(frozen=True)
class Timing:
    operation: str
    aws_seconds: float
    range: str
    source: str
    phases: tuple[tuple[str, float], ...] = ()


def load_table(path: Path = TABLE) -> dict[str, Timing]:
    """``{operation: Timing}`` from the documented table."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    table = {}
    for entry in data["operations"]:
        phases = tuple((str(status), float(share)) for status, share in entry.get("phases", ()))
        table[entry["operation"]] = Timing(
            entry["operation"], float(entry["aws_seconds"]), entry["range"], entry["source"], phases
        )
    return table


class Model:
    """The table at a time scale, with seeded jitter: ``seconds(op)`` nominal, ``draw(op)`` jittered."""

    def __init__(
        self,
        time_scale: float = DEFAULT_TIME_SCALE,
        seed: int = DEFAULT_SEED,
        jitter: float = DEFAULT_JITTER,
        table: dict[str, Timing] | None = None,
    ):
        if time_scale <= 0:
            raise ValueError(f"time scale must be positive, not {time_scale}")
        if not 0 <= jitter < 1:
            raise ValueError(f"jitter must be in [0, 1), not {jitter}")
        self.time_scale, self.seed, self.jitter = float(time_scale), int(seed), float(jitter)
        self.table = table if table is not None else load_table()
        self._random = random.Random(self.seed)  # noqa: S311 - reproducible jitter, not a secret

    def seconds(self, operation: str) -> float:
        """Nominal local seconds of ``operation`` (aws_seconds / time_scale)."""
        return self.table[operation].aws_seconds / self.time_scale

    def draw(self, operation: str) -> float:
        """Local seconds for one occurrence: nominal times a factor in [1 - jitter, 1 + jitter]."""
        return self.seconds(operation) * self._random.uniform(1 - self.jitter, 1 + self.jitter)

    def phases(self, operation: str, total: float) -> list[tuple[str, float]]:
        """``[(status, local seconds)]`` of ``operation`` lasting ``total`` (one phase when none listed)."""
        phases = self.table[operation].phases or (("", 1.0),)
        return [(status, total * share) for status, share in phases]

    def durations(self) -> dict[str, float]:
        return {operation: round(self.seconds(operation), 4) for operation in self.table}


def from_env(environ=None) -> Model | None:
    """The model the local cloud's environment asks for (``LOCALCLOUD_TIMING=aws``), or None (instant)."""
    environ = os.environ if environ is None else environ
    if environ.get(ENV_MODE, "instant").strip().lower() != "aws":
        return None
    return Model(float(environ.get(ENV_SCALE) or DEFAULT_TIME_SCALE), int(environ.get(ENV_SEED) or DEFAULT_SEED))


# --------------------------------------------------------------------------------------------- critical path
def longest_path(durations: dict[str, float], deps: dict[str, list[str]]) -> tuple[float, list[str]]:
    """The longest (critical) path of a DAG: ``(total, [first node, ..., last node])``.

    ``durations[node]`` is how long ``node`` takes (missing: 0); ``deps[node]`` lists the nodes that must
    finish before ``node`` starts (a node may appear only as a dependency). A node starts when its last
    dependency finishes and finishes ``durations[node]`` later; the result is the latest finish and the chain
    of nodes that decides it (ties: the first listed dependency; of equal finishes, the longest chain, so a
    zero-duration milestone at the end is part of the path). Raises ValueError on a cycle.
    """
    nodes = list(dict.fromkeys([*deps, *(d for ds in deps.values() for d in ds), *durations]))
    finish: dict[str, float] = {}
    via: dict[str, str | None] = {}
    state: dict[str, int] = {}  # 1 = visiting, 2 = done

    def visit(node: str) -> float:
        if state.get(node) == 2:
            return finish[node]
        if state.get(node) == 1:
            raise ValueError(f"dependency cycle through {node}")
        state[node] = 1
        start, before = 0.0, None
        for dep in deps.get(node, ()):
            end = visit(dep)
            if before is None or end > start:
                start, before = end, dep
        finish[node], via[node], state[node] = start + float(durations.get(node, 0.0)), before, 2
        return finish[node]

    if not nodes:
        return 0.0, []
    for node in nodes:
        visit(node)

    def chain(node: str | None) -> list[str]:
        path = []
        while node is not None:
            path.append(node)
            node = via[node]
        return path[::-1]

    # the latest finish; of equal ones the longest chain (it ends at the milestone), then the first listed
    last = max(nodes, key=lambda n: (finish[n], len(chain(n))))
    return finish[last], chain(last)


def operation(node: str) -> str | None:
    """The table operation of a graph node: ``rds.instance.create@writer`` -> ``rds.instance.create``.

    Nodes named ``<resource>.available`` (``@...``) are milestones of no duration of their own.
    """
    name = node.split("@", 1)[0]
    return None if name.endswith(".available") else name


_NETWORK_IN = ["ec2.subnet.create", "ec2.security-group.create"]
_RDS_IN = ["rds.subnet-group.create", "ec2.security-group.create", "rds.parameter-group.create", "kms.key.create"]

# This stack's converge: node -> what it needs first (its real inputs). An instance may be requested as soon
# as the cluster is (it needs the cluster's inputs, not the cluster), but is available no earlier than the
# cluster; a reader no earlier than the writer. The rotation schedule needs the cluster available (the
# function logs in) and the function Active, and reaches Secrets Manager through the interface endpoint.
CONVERGE: dict[str, list[str]] = {
    "ec2.vpc.create": [],
    "ec2.subnet.create": ["ec2.vpc.create"],
    "ec2.igw.create": ["ec2.vpc.create"],
    "ec2.security-group.create": ["ec2.vpc.create"],
    "ec2.route-table.create@public": ["ec2.subnet.create", "ec2.igw.create"],
    "ec2.nat-gateway.create": ["ec2.subnet.create", "ec2.igw.create"],
    "ec2.route-table.create@private": ["ec2.subnet.create", "ec2.nat-gateway.create"],
    "ec2.vpc-endpoint.create": _NETWORK_IN,
    "kms.key.create": [],
    "secretsmanager.secret.create": ["kms.key.create"],
    "rds.subnet-group.create": ["ec2.subnet.create"],
    "rds.parameter-group.create": [],
    "rds.cluster.create": [*_RDS_IN, "secretsmanager.secret.create"],
    "rds.instance.create@writer": [*_RDS_IN, "secretsmanager.secret.create"],
    "rds.instance.create@reader": [*_RDS_IN, "secretsmanager.secret.create"],
    "rds.instance.available@writer": ["rds.instance.create@writer", "rds.cluster.create"],
    "rds.instance.available@reader": ["rds.instance.create@reader", "rds.instance.available@writer"],
    "cloudwatch.alarm.create": [],  # names the instances; needs none of them to exist
    "iam.role.create": [],
    "lambda.function.create-vpc": [*_NETWORK_IN, "iam.role.create"],
    "secretsmanager.rotation.enable": [
        "rds.cluster.create",
        "lambda.function.create-vpc",
        "ec2.vpc-endpoint.create",
        "secretsmanager.secret.create",
    ],
}

# Teardown: the instances are deleted together, the cluster after them; the NAT gateway, the endpoint and the
# function meanwhile; the elastic IP once the NAT gateway is gone; the VPC last.
TEARDOWN: dict[str, list[str]] = {
    "cloudwatch.alarm.delete": [],
    "secretsmanager.secret.delete": [],
    "lambda.function.delete": [],
    "rds.instance.delete@writer": [],
    "rds.instance.delete@reader": [],
    "rds.cluster.delete": ["rds.instance.delete@writer", "rds.instance.delete@reader"],
    "rds.subnet-group.delete": ["rds.cluster.delete"],
    "rds.parameter-group.delete": ["rds.cluster.delete"],
    "kms.key.delete": ["rds.cluster.delete", "secretsmanager.secret.delete"],
    "ec2.nat-gateway.delete": [],
    "ec2.eip.release": ["ec2.nat-gateway.delete"],
    "ec2.vpc-endpoint.delete": [],
    "ec2.route-table.delete": ["ec2.nat-gateway.delete"],
    "ec2.security-group.delete": ["ec2.vpc-endpoint.delete", "rds.cluster.delete", "lambda.function.delete"],
    "ec2.igw.delete": ["ec2.eip.release"],
    "ec2.subnet.delete": [
        "rds.subnet-group.delete",
        "ec2.nat-gateway.delete",
        "ec2.vpc-endpoint.delete",
        "lambda.function.delete",
    ],
    "ec2.vpc.delete": ["ec2.subnet.delete", "ec2.security-group.delete", "ec2.igw.delete", "ec2.route-table.delete"],
}
GRAPHS = {"converge": CONVERGE, "teardown": TEARDOWN}


def graph_durations(graph: dict[str, list[str]], model: Model) -> dict[str, float]:
    """Nominal local seconds of every node of ``graph`` (milestones: 0)."""
    nodes = dict.fromkeys([*graph, *(d for ds in graph.values() for d in ds)])
    return {node: (model.seconds(op) if (op := operation(node)) else 0.0) for node in nodes}


def critical_path(kind: str, time_scale: float = DEFAULT_TIME_SCALE, model: Model | None = None):
    """``(local seconds, path)`` of the ``"converge"`` or ``"teardown"`` graph at ``time_scale``."""
    model = model or Model(time_scale)
    graph = GRAPHS[kind]
    return longest_path(graph_durations(graph, model), graph)


def report(model: Model | None) -> dict:
    """What ``GET /_localcloud/timing`` answers."""
    if model is None:
        out = {"mode": "instant", "time_scale": None, "seed": None, "durations": {}}
        return out | {f"{kind}_{key}": None for kind in GRAPHS for key in ("critical_path_s", "path")}
    out = {"mode": "aws", "time_scale": model.time_scale, "seed": model.seed, "durations": model.durations()}
    for kind in GRAPHS:
        seconds, path = critical_path(kind, model=model)
        out[f"{kind}_critical_path_s"], out[f"{kind}_path"] = round(seconds, 4), path
    return out
