"""The converge and the teardown overlap their waits (issue #12 item 2), read from the local cloud's request log.

One stack (`inventories/local`, a fresh suffix) is deployed with site.yml and removed with teardown.yml on a local
cloud of its own. The request log (one entry per request, in the order the local cloud answered them; the playbook
runs one task at a time) must show:

* converge: CreateDBCluster and every CreateDBInstance before the first read of each of these waits, which are
  - the NAT gateway's: the first DescribeNatGateways after CreateNatGateway (ec2_vpc_nat_gateway with wait: false
    reads no NAT gateway after creating one; its DescribeNatGateways before CreateNatGateway is its search for an
    existing gateway),
  - the Secrets Manager endpoint's: the second DescribeVpcEndpoints after CreateVpcEndpoint (the first is
    ec2_vpc_endpoint's own read of the endpoint it has just created),
  - the rotation function's: the first GetFunctionConfiguration of the function after CreateFunction
    (amazon.aws.lambda_info; the lambda and lambda_policy modules read GetFunction and GetPolicy instead);
  and RotateSecret only after the function's wait.
* teardown: every DeleteDBInstance before the first read of the wait for their deletion (the first
  DescribeDBInstances without an instance identifier: aurora_instances_wait filters by db-instance-id, while
  rds_instance reads one instance by its identifier); DeleteNatGateway and DeleteVpcEndpoints before that wait too,
  and so before DeleteDBCluster (the cluster's deletion is requested, and completes, after its instances are gone);
  DeleteVpc is the last change.

The local cloud runs AWS's timing model (`localcloud up --timing aws`) at a scale where an instance takes about a
second, so the waits really wait and the order is read from a timed run; `AURORADB_ORDER_TIMING` replaces those
`localcloud up` options (empty: the instant cloud, where the order must hold as well).
"""

from __future__ import annotations

import os
import shlex
import time
import uuid

import pytest
from conftest import recap

from localcloud.testing import LocalCloud, free_port, run_cli

TIMING: list[str] = shlex.split(os.environ.get("AURORADB_ORDER_TIMING", "--timing aws --time-scale 600"))
SUFFIX = "o" + uuid.uuid4().hex[:6]
HOST = "payments-local"
CLUSTER = f"payment-db-cluster-{SUFFIX}"
FUNCTION = f"payment-db-rotation-{SUFFIX}"
INSTANCES = [f"{CLUSTER}-writer", f"{CLUSTER}-reader1", f"{CLUSTER}-reader2"]


@pytest.fixture(scope="module")
def cloud(tmp_path_factory, localcloud_repo):
    """A strict local cloud for this module, with the TIMING options of `localcloud up` when there are any."""
    state_dir, port = tmp_path_factory.mktemp("localcloud"), free_port()
    run_cli("up", "--port", str(port), "--state-dir", str(state_dir), *TIMING, env={"LOCALCLOUD_STRICT": "1"})
    started = LocalCloud(port, state_dir, localcloud_repo)
    yield started
    started.down()


def _run(cloud, playbook: str) -> list[dict]:
    """Run the playbook on SUFFIX; returns the requests it sent, in order."""
    before, started = len(cloud.requests()), time.monotonic()
    run = cloud.playbook(playbook, "-e", f"env_suffix={SUFFIX}")
    print(f"{playbook}: {time.monotonic() - started:.0f} s")
    assert recap(run.stdout, HOST)["failed"] == 0
    return cloud.requests()[before:]


def _is(entry: dict, action: str, rest: str | None = None) -> bool:
    """Whether the request is ``action``; REST requests (Lambda) are logged as "METHOD /path", matched by ``rest``."""
    if entry["action"] == action:
        return True
    return rest is not None and entry["action"].split("?")[0] == rest


def _index(log: list[dict], action: str, rest: str | None = None, start: int = 0, nth: int = 1, **match) -> int:
    """Index of the ``nth`` successful request ``action`` at or after ``start`` (with ``match``ing fields)."""
    found = [
        i
        for i, entry in enumerate(log)
        if i >= start
        and _is(entry, action, rest)
        and entry["status"] < 300
        and all(entry.get(k) == v for k, v in match.items())
    ]
    assert len(found) >= nth, f"no {action} #{nth} after request {start} {match or ''}"
    return found[nth - 1]


@pytest.fixture(scope="module")
def converge(cloud) -> list[dict]:
    return _run(cloud, "site.yml")


@pytest.fixture(scope="module")
def teardown(cloud, converge) -> list[dict]:
    return _run(cloud, "teardown.yml")


def test_cluster_and_every_instance_are_requested_before_any_wait(converge):
    requested = max(
        [_index(converge, "CreateDBCluster", resource=CLUSTER)]
        + [_index(converge, "CreateDBInstance", resource=name) for name in INSTANCES]
    )
    created_nat = _index(converge, "CreateNatGateway")
    created_endpoint = _index(converge, "CreateVpcEndpoint")
    created_function = _index(converge, "CreateFunction", "POST /2015-03-31/functions")
    waits = {
        "NAT gateway": _index(converge, "DescribeNatGateways", start=created_nat),
        "Secrets Manager endpoint": _index(converge, "DescribeVpcEndpoints", start=created_endpoint, nth=2),
        "rotation function": _index(
            converge,
            "GetFunctionConfiguration",
            f"GET /2015-03-31/functions/{FUNCTION}/configuration",
            start=created_function,
        ),
    }
    early = {name: index for name, index in waits.items() if index < requested}
    assert early == {}, f"waits read before the last cluster/instance request (#{requested}): {early}"
    # The schedule is set (RotateSecret tests the function) only once the function was seen Active.
    assert _index(converge, "RotateSecret") > waits["rotation function"]


def test_teardown_requests_every_deletion_before_waiting(teardown):
    deleted = [_index(teardown, "DeleteDBInstance", resource=name) for name in INSTANCES]
    waited = next(
        i
        for i, entry in enumerate(teardown)
        if i > min(deleted) and entry["action"] == "DescribeDBInstances" and entry["resource"] is None
    )
    assert max(deleted) < waited, f"instance deletions at {deleted}, the wait for them starts at {waited}"
    cluster = _index(teardown, "DeleteDBCluster", resource=CLUSTER)
    for action in ("DeleteNatGateway", "DeleteVpcEndpoints"):
        assert _index(teardown, action) < waited < cluster, action
    changes = [entry["action"] for entry in teardown if entry["mutating"] and entry["status"] < 300]
    assert changes[-1] == "DeleteVpc", changes[-5:]
