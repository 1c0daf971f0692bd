"""The converge and the teardown overlap their waits (issue #12 item 2): the checks, on a request log.

Read from the request log of a converge and a teardown (one entry per request, in the order the local cloud
answered them; the playbook runs one task at a time); `test_demo.py` checks `make demo`'s, on a local cloud that
runs AWS's timing model (so the waits really wait). The log must show:

* converge: CreateDBCluster and every CreateDBInstance before CreateNatGateway and CreateVpcEndpoint (the instances'
  creation is the critical path; the gateways are not on it), and before the first read of each of these waits:
  - the NAT gateway's: the first DescribeNatGateways after CreateNatGateway (ec2_vpc_nat_gateway with wait: false
    reads no NAT gateway after creating one; its DescribeNatGateways before CreateNatGateway is its search for an
    existing gateway),
  - the Secrets Manager endpoint's: the second DescribeVpcEndpoints after CreateVpcEndpoint (the first is
    ec2_vpc_endpoint's own read of the endpoint it has just created),
  - the rotation function's: the first read of the function after CreateFunction, GetFunctionConfiguration
    (amazon.aws.lambda_info, the wait) or GetFunction (amazon.aws.lambda's own read after the creation, whose answer
    lets site.yml skip the wait when the function is Active already);
  and RotateSecret only after that read.
* teardown: every DeleteDBInstance before the first read of the wait for their deletion (the first
  DescribeDBInstances without an instance identifier: aurora_instances_wait filters by db-instance-id, while
  rds_instance reads one instance by its identifier); DeleteNatGateway and DeleteVpcEndpoints before that wait too,
  and so before DeleteDBCluster (the cluster's deletion is requested, and completes, after its instances are gone);
  DeleteVpc is the stack's last change; the run lock's DeleteParameter (its release) follows it.
"""

from __future__ import annotations


def _is(entry: dict, action: str, rest: str | None = None) -> bool:
    """Whether the request is ``action``; REST requests (Lambda) are logged as "METHOD /path", matched by ``rest``."""
    if entry["action"] == action:
        return True
    return rest is not None and entry["action"].split("?")[0] == rest


def _indexes(log: list[dict], action: str, rest: str | None = None) -> list[int]:
    """Indexes of every successful request ``action`` (a REST one also by ``rest``)."""
    return [i for i, entry in enumerate(log) if _is(entry, action, rest) and entry["status"] < 300]


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


def check_converge(converge: list[dict], suffix: str) -> None:
    """The converge's order (see the module docstring); ``converge``: its requests, in order."""
    cluster, function = f"payment-db-cluster-{suffix}", f"payment-db-rotation-{suffix}"
    instances = [f"{cluster}-writer", f"{cluster}-reader1", f"{cluster}-reader2"]
    requested = max(
        [_index(converge, "CreateDBCluster", resource=cluster)]
        + [_index(converge, "CreateDBInstance", resource=name) for name in instances]
    )
    created_nat = _index(converge, "CreateNatGateway")
    created_endpoint = _index(converge, "CreateVpcEndpoint")
    created_function = _index(converge, "CreateFunction", "POST /2015-03-31/functions")
    path = f"GET /2015-03-31/functions/{function}"
    reads = _indexes(converge, "GetFunctionConfiguration", f"{path}/configuration")
    reads += _indexes(converge, "GetFunction", path)
    function_reads = sorted(index for index in reads if index > created_function)
    assert function_reads, "no read of the rotation function after its creation"
    waits = {
        "NAT gateway": _index(converge, "DescribeNatGateways", start=created_nat),
        "Secrets Manager endpoint": _index(converge, "DescribeVpcEndpoints", start=created_endpoint, nth=2),
        "rotation function": function_reads[0],
    }
    # The gateways and the endpoint (nothing the cluster needs) are requested only after the critical path's requests.
    assert requested < min(created_nat, created_endpoint), "the NAT gateway or the endpoint was requested first"
    early = {name: index for name, index in waits.items() if index < requested}
    assert early == {}, f"waits read before the last cluster/instance request (#{requested}): {early}"
    # The schedule is set (RotateSecret tests the function) only once the function was seen Active.
    assert _index(converge, "RotateSecret") > waits["rotation function"]


def check_teardown(teardown: list[dict], suffix: str) -> None:
    """The teardown's order (see the module docstring); ``teardown``: its requests, in order."""
    cluster = f"payment-db-cluster-{suffix}"
    instances = [f"{cluster}-writer", f"{cluster}-reader1", f"{cluster}-reader2"]
    deleted = [_index(teardown, "DeleteDBInstance", resource=name) for name in instances]
    waited = next(
        i
        for i, entry in enumerate(teardown)
        if i > min(deleted) and entry["action"] == "DescribeDBInstances" and entry["resource"] is None
    )
    assert max(deleted) < waited, f"instance deletions at {deleted}, the wait for them starts at {waited}"
    cluster = _index(teardown, "DeleteDBCluster", resource=cluster)
    for action in ("DeleteNatGateway", "DeleteVpcEndpoints"):
        assert _index(teardown, action) < waited < cluster, action
    # The stack's last change; the run lock (SSM) is released after it, at the very end of the run.
    changes = [
        entry["action"]
        for entry in teardown
        if entry["mutating"] and entry["status"] < 300 and entry["service"] != "ssm"
    ]
    assert changes[-1] == "DeleteVpc", changes[-5:]
    assert [entry["action"] for entry in teardown if entry["service"] == "ssm" and entry["mutating"]][-1:] == [
        "DeleteParameter"
    ], "teardown releases (deletes) its run lock at the end"
