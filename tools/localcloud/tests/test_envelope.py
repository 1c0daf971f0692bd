"""The request log's "mutating" flag: what bench and tests count as a change request."""

import pytest

from localcloud.envelope import Envelope


@pytest.mark.parametrize(
    ("protocol", "method", "action", "mutating"),
    [
        ("query", "POST", "DescribeDBClusters", False),
        ("query", "POST", "CreateDBCluster", True),
        ("json", "POST", "GetSecretValue", False),
        ("json", "POST", "ListSecrets", False),
        ("json", "POST", "PutSecretValue", True),
        # Lambda is REST: every call is "<METHOD> <path>"; the method says whether it writes.
        ("rest", "GET", "GET /2015-03-31/functions/f", False),
        ("rest", "HEAD", "HEAD /2015-03-31/functions/f", False),
        ("rest", "PUT", "PUT /2015-03-31/functions/f/configuration", True),
        ("rest", "POST", "POST /2015-03-31/functions/f/policy", True),
        ("rest", "DELETE", "DELETE /2015-03-31/functions/f", True),
    ],
)
def test_mutating(protocol, method, action, mutating):
    env = Envelope("svc", action, "us-east-1", protocol=protocol, method=method)
    assert env.mutating is mutating
