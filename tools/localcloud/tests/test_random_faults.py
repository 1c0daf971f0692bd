"""Random, reproducible fault injection: each service's real throttling and server errors, nothing changed."""

from __future__ import annotations

import json
import urllib.request

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud.envelope import Envelope
from localcloud.errors import AwsError
from localcloud.layers import RandomFaults, parse_rate
from localcloud.testing import endpoint_client, run_cli, unique_name

NO_RETRY = Config(retries={"max_attempts": 1, "mode": "standard"})


def _draws(seed: int, n: int = 400, rate: dict | None = None) -> list[str | None]:
    layer = RandomFaults()
    layer.configure({"rate": {"throttle": 0.2, "server": 0.05} if rate is None else rate, "seed": seed})
    out = []
    for _ in range(n):
        try:
            layer.before(Envelope("rds", "DescribeDBClusters", "us-east-1"))
            out.append(None)
        except AwsError as err:
            out.append(err.code)
    return out


def test_same_seed_same_faults_and_the_rates_hold():
    first, again, other = _draws(1), _draws(1), _draws(2)
    assert first == again
    assert first != other
    throttled = sum(code == "Throttling" for code in first)
    server = sum(code in ("InternalFailure", "ServiceUnavailable") for code in first)
    assert 50 <= throttled <= 110, throttled  # 20 % of 400 = 80
    assert 6 <= server <= 40, server  # 5 % of 400 = 20
    assert _draws(1, rate={}) == [None] * 400


@pytest.mark.parametrize(
    ("text", "message"),
    [("throttle=x", "not a fraction"), ("lag=0.1", "KIND=FRACTION"), ("throttle", "KIND=FRACTION")],
)
def test_bad_rates_are_refused_by_name(text, message):
    with pytest.raises(ValueError, match=message):
        parse_rate(text)
    with pytest.raises(ValueError, match="add up to at most 1"):
        RandomFaults().configure({"rate": {"throttle": 0.8, "server": 0.5}})


def _configure(cloud, config: dict) -> dict:
    request = urllib.request.Request(
        cloud.endpoint + "/_localcloud/faults", data=json.dumps(config).encode(), method="POST"
    )
    with urllib.request.urlopen(request) as resp:
        return json.load(resp)


@pytest.fixture
def faults(cloud):
    """Set random faults on the session's cloud for one test; always switched off afterwards."""
    yield lambda **config: _configure(cloud, config)
    _configure(cloud, {"rate": {}})


# service, a harmless read, throttling code and status as AWS answers them
THROTTLED = [
    ("rds", lambda c: c.describe_db_clusters(), "Throttling", 400),
    ("ec2", lambda c: c.describe_vpcs(), "RequestLimitExceeded", 503),
    ("iam", lambda c: c.list_roles(), "Throttling", 400),
    ("sts", lambda c: c.get_caller_identity(), "Throttling", 400),
    ("kms", lambda c: c.list_keys(), "ThrottlingException", 400),
    ("secretsmanager", lambda c: c.list_secrets(), "ThrottlingException", 400),
    ("logs", lambda c: c.describe_log_groups(), "ThrottlingException", 400),
    ("cloudwatch", lambda c: c.describe_alarms(), "Throttling", 400),
    ("lambda", lambda c: c.list_functions(), "TooManyRequestsException", 429),
]


def _client(cloud, service: str, config: Config = NO_RETRY):
    import boto3

    from localcloud import DEFAULT_REGION
    from localcloud.testing import CREDENTIALS

    return boto3.client(service, endpoint_url=cloud.endpoint, region_name=DEFAULT_REGION, config=config, **CREDENTIALS)


@pytest.mark.parametrize(("service", "call", "code", "status"), THROTTLED, ids=[t[0] for t in THROTTLED])
def test_each_service_throttles_in_its_own_wire_format(cloud, faults, service, call, code, status):
    signing = {"cloudwatch": "monitoring"}.get(service, service)
    faults(rate={"throttle": 1.0}, seed=1, services=[signing])
    with pytest.raises(ClientError) as caught:
        call(_client(cloud, service))
    error = caught.value.response
    assert error["Error"]["Code"] == code
    assert error["ResponseMetadata"]["HTTPStatusCode"] == status
    other = "sts" if service != "sts" else "iam"
    call_other = next(t[1] for t in THROTTLED if t[0] == other)
    call_other(_client(cloud, other))  # other services are not touched


@pytest.mark.parametrize(
    ("service", "call", "codes"),
    [
        ("rds", lambda c: c.describe_db_clusters(), {("InternalFailure", 500), ("ServiceUnavailable", 503)}),
        ("ec2", lambda c: c.describe_vpcs(), {("InternalError", 500), ("Unavailable", 503)}),
        ("kms", lambda c: c.list_keys(), {("InternalFailure", 500), ("ServiceUnavailable", 503)}),
        ("lambda", lambda c: c.list_functions(), {("ServiceException", 500), ("ServiceException", 503)}),
    ],
    ids=["rds", "ec2", "kms", "lambda"],
)
def test_server_errors_are_500_or_503(cloud, faults, service, call, codes):
    faults(rate={"server": 1.0}, seed=3, services=[service])
    seen = set()
    for _ in range(12):
        with pytest.raises(ClientError) as caught:
            call(_client(cloud, service))
        error = caught.value.response
        seen.add((error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]))
    assert seen == codes


def test_a_failed_request_changes_nothing(cloud, faults):
    name = unique_name("faulted")
    faults(rate={"throttle": 1.0}, seed=1, services=["secretsmanager"])
    with pytest.raises(ClientError):
        _client(cloud, "secretsmanager").create_secret(Name=name, SecretString="x")
    stats = faults(rate={}, seed=0)
    assert stats["injected"] == {"throttle": {}, "server": {}}
    names = [s["Name"] for s in endpoint_client(cloud.endpoint, "secretsmanager").list_secrets()["SecretList"]]
    assert name not in names


def test_botocore_retries_them_and_the_stats_count_them(cloud, faults):
    faults(rate={"throttle": 0.3, "server": 0.1}, seed=5, services=["kms", "ec2"])
    default_retries = Config(retries={"max_attempts": 10, "mode": "standard"})
    kms, ec2 = _client(cloud, "kms", default_retries), _client(cloud, "ec2", default_retries)
    for _ in range(5):
        kms.list_keys()
        ec2.describe_vpcs()
    with urllib.request.urlopen(cloud.endpoint + "/_localcloud/fault-stats") as resp:
        stats = json.load(resp)
    assert stats["rate"] == {"throttle": 0.3, "server": 0.1} and stats["services"] == ["ec2", "kms"]
    injected = sum(n for kind in stats["injected"].values() for n in kind.values())
    assert injected > 0 and set(stats["injected"]["throttle"]) <= {"ec2", "kms"}


def test_cli_takes_the_rates_and_refuses_nonsense(tmp_path):
    bad = run_cli("up", "--state-dir", str(tmp_path / "bad"), "--fault-rate", "throttle=lots", check=False)
    assert bad.returncode == 2 and "not a fraction" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    from localcloud.testing import free_port

    port = free_port()
    state = str(tmp_path / "up")
    run_cli(
        "up",
        "--state-dir",
        state,
        "--port",
        str(port),
        "--fault-rate",
        "throttle=0.2,server=0.05",
        "--fault-seed",
        "7",
        "--fault-services",
        "rds,ec2",
    )
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_localcloud/fault-stats") as resp:
            stats = json.load(resp)
        assert stats["rate"] == {"throttle": 0.2, "server": 0.05}
        assert stats["seed"] == 7 and stats["services"] == ["ec2", "rds"]
    finally:
        run_cli("down", "--state-dir", state)
