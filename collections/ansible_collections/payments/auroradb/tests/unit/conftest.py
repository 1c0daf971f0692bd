# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make `ansible_collections.payments.auroradb` importable for plain pytest runs.

The collection lives at <repo>/collections/ansible_collections/payments/auroradb; putting <repo>/collections
on sys.path lets the tests import the collection the way Ansible does. (ansible-test units sets this up itself.)
"""

import sys
from pathlib import Path

COLLECTIONS_ROOT = str(Path(__file__).resolve().parents[5])
if COLLECTIONS_ROOT not in sys.path:
    sys.path.insert(0, COLLECTIONS_ROOT)

import boto3  # noqa: E402
import pytest  # noqa: E402
from ansible_collections.amazon.aws.plugins.module_utils import cloud  # noqa: E402
from ansible_collections.amazon.aws.plugins.module_utils.retries import (
    AWSRetry,  # noqa: E402
    RetryingBotoClientWrapper,  # noqa: E402
)
from botocore.stub import Stubber  # noqa: E402


@pytest.fixture
def aws(monkeypatch):
    """``aws("rds")`` -> ``(client, stubber)``: a real botocore client behind botocore's Stubber (no network), wrapped
    the way ``module.client(svc, retry_decorator=AWSRetry.jittered_backoff())`` wraps it, so ``aws_retry=True``
    retries throttling. Retry back-off does not sleep. Every queued answer must be consumed."""
    monkeypatch.setattr(cloud.time, "sleep", lambda seconds: None)
    stubbers = []

    def make(service):
        client = boto3.client(
            service, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        stubber = Stubber(client)
        stubber.activate()
        stubbers.append(stubber)
        return RetryingBotoClientWrapper(client, AWSRetry.jittered_backoff()), stubber

    yield make
    for stubber in stubbers:
        stubber.assert_no_pending_responses()
