"""Gap 25: an emulator failure (moto or a hook raising) fails fast instead of being retried for minutes.

Plain moto 5.2.5 answers a Python exception with an HTML "500 Internal Server Error" page, no AWS error at
all: botocore retries it for JSON services (HTTP 500 is transient in both retry modes) and cannot parse it for
query services (ResponseParserError). The local cloud used to answer a well-formed ``InternalFailure`` 500,
which botocore *and* amazon.aws's ``AWSRetry`` retry. It now answers ``LocalCloudUnsupported`` with HTTP 501
in the service's wire format, which neither retries, and logs the traceback. Injected faults stay retryable.

The ``target`` parameter runs the same crash against plain moto (asserting the gap: an HTML 500, retried where
botocore can read it) and against the local cloud (asserting the fix), so the tests keep proving the gap exists.
"""

from __future__ import annotations

import logging
import time
from types import SimpleNamespace

import boto3
import botocore.endpoint
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError
from moto.kms.models import KmsBackend
from moto.rds.models import RDSBackend

from localcloud.middleware import UNSUPPORTED

CRASH = "emulator bug on purpose"
# service -> (moto backend class, method made to raise, the action, the boto3 call reaching it)
CALLS = {
    "rds": (RDSBackend, "describe_db_clusters", "DescribeDBClusters", lambda client: client.describe_db_clusters()),
    "kms": (KmsBackend, "list_keys", "ListKeys", lambda client: client.list_keys()),
}
DUMMY = {"region_name": "us-east-1", "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture(params=["plain-moto", "localcloud"])
def target(request):
    if request.param == "plain-moto":
        return request.param, request.getfixturevalue("plain_moto_in_process")
    return request.param, request.getfixturevalue("cloud_in_process").endpoint


def _crashing(monkeypatch, service: str):
    backend, method, action, call = CALLS[service]

    def boom(*args, **kwargs):
        raise RuntimeError(CRASH)

    monkeypatch.setattr(backend, method, boom)
    return action, call


def _client(endpoint: str, service: str, retry_mode: str | None = None):
    config = Config(retries={"mode": retry_mode}) if retry_mode else None
    client = boto3.client(service, endpoint_url=endpoint, config=config, **DUMMY)
    attempts = []
    client.meta.events.register("before-send", lambda **kwargs: attempts.append(1))
    return client, attempts


@pytest.mark.parametrize("retry_mode", [None, "standard"], ids=["default-retries", "standard-retries"])
@pytest.mark.parametrize("service", sorted(CALLS))
def test_emulator_crash_fails_fast_through_boto3(target, service, retry_mode, monkeypatch, caplog):
    kind, endpoint = target
    action, call = _crashing(monkeypatch, service)
    client, attempts = _client(endpoint, service, retry_mode)
    if kind == "plain-moto":
        # the gap: an HTML 500 page instead of an AWS error; botocore retries it where it can (JSON services,
        # back-off sleeps skipped here, the retry decisions are botocore's) and cannot even parse it otherwise
        monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=lambda seconds: None))
        with pytest.raises((ClientError, ResponseParserError), match="500 Internal Server Error") as caught:
            call(client)
        assert isinstance(caught.value, ResponseParserError) or len(attempts) > 1
        return
    caplog.set_level(logging.ERROR, logger="localcloud")
    started = time.monotonic()
    with pytest.raises(ClientError) as caught:
        call(client)
    elapsed = time.monotonic() - started
    error, meta = caught.value.response["Error"], caught.value.response["ResponseMetadata"]
    assert (error["Code"], meta["HTTPStatusCode"], len(attempts), meta["RetryAttempts"]) == (UNSUPPORTED, 501, 1, 0)
    assert f"{service} {action}: RuntimeError: {CRASH}" in error["Message"]
    assert elapsed < 2
    assert "Traceback" in caplog.text and f"RuntimeError: {CRASH}" in caplog.text


@pytest.mark.parametrize("service", sorted(CALLS))
def test_emulator_crash_fails_fast_through_aws_retry(cloud_in_process, service, monkeypatch):
    """amazon.aws modules wrap calls in AWSRetry.jittered_backoff (10 tries, up to 60 s apart, on InternalFailure)."""
    from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

    action, call = _crashing(monkeypatch, service)
    client, attempts = _client(cloud_in_process.endpoint, service)
    started = time.monotonic()
    with pytest.raises(ClientError) as caught:
        AWSRetry.jittered_backoff()(call)(client)
    assert caught.value.response["Error"]["Code"] == UNSUPPORTED
    assert (len(attempts), time.monotonic() - started < 2) == (1, True)
    assert AWSRetry.found("InternalFailure") and not AWSRetry.found(UNSUPPORTED)


def test_injected_aws_faults_stay_retryable(cloud_in_process):
    """The fault layer answers what it is told: an InternalFailure 500 is retried by botocore, as on AWS."""
    client, attempts = _client(cloud_in_process.endpoint, "rds")
    cloud_in_process.faults(
        [
            {
                "service": "rds",
                "action": "DescribeDBClusters",
                "code": "InternalFailure",
                "message": "An internal error has occurred",
                "status": 500,
                "count": 1,
            }
        ]
    )
    try:
        answer = client.describe_db_clusters()
    finally:
        cloud_in_process.faults([])
    assert (len(attempts), answer["ResponseMetadata"]["RetryAttempts"]) == (2, 1)


def test_unimplemented_action_fails_fast_with_traceback_in_the_log(cloud):
    """A real moto gap (no DescribeCustomKeyStores in moto 5.2.5), through the `localcloud up` process."""
    client, attempts = _client(cloud.endpoint, "kms")
    started = time.monotonic()
    with pytest.raises(ClientError) as caught:
        client.describe_custom_key_stores()
    error = caught.value.response["Error"]
    assert (error["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"], len(attempts)) == (
        UNSUPPORTED,
        501,
        1,
    )
    assert "kms DescribeCustomKeyStores: NotImplementedError: " in error["Message"]
    assert time.monotonic() - started < 2
    log = (cloud.state_dir / "localcloud.log").read_text(encoding="utf-8", errors="replace")
    assert "local cloud cannot handle kms.DescribeCustomKeyStores" in log
    assert "Traceback" in log and "NotImplementedError: The describe_custom_key_stores action" in log
