"""The moto monkey-patches; each names the gap it closes (see :mod:`localcloud.gaps`). Keep this list short.

Everything else is an after-action hook in ``hooks/`` working on moto's backend objects; a patch is
used only where the gap sits inside moto's request handling and no hook can reach it. Every function that
changes moto itself (a setting, a class attribute, a module table) carries :func:`patch`, wherever it lives
(``hooks/parameter_status`` and ``hooks/dataplane`` replace model properties); ``tests/test_gaps.py`` checks
that none is missing and that each is in the gap registry.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable

PATCHES: list[Callable[[], None]] = []


def patch(fn: Callable[[], None]) -> Callable[[], None]:
    """Mark ``fn`` as a moto patch (listed in :data:`PATCHES`); this module's patches run in :func:`apply`."""
    PATCHES.append(fn)
    return fn


def apply() -> None:
    for fn in list(PATCHES):
        if fn.__module__ == __name__:
            fn()


@patch
def _aws_managed_iam_policies() -> None:
    # Gap 1 (IAM): AWS-managed policies (e.g. AWSLambdaBasicExecutionRole) exist on AWS; moto loads them only
    # when this setting is on as its IAM backend is created (after start-up, at the first IAM request).
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")


@patch
def _lambda_without_docker() -> None:
    # Gap 2 (Lambda): moto invokes functions in Docker by default; there is no Docker engine here, and
    # the setting must be in place before any function exists, so set it at start-up.
    from moto.core.config import default_user_config

    default_user_config["lambda"]["use_docker"] = False


@patch
def _nat_gateway_tag_resource_type() -> None:
    # Gap 7 (EC2): moto files NAT gateway tags under resource type "nat-gateway"; AWS uses "natgateway",
    # and ec2_vpc_nat_gateway filters DescribeTags on it, so it saw no tags and re-tagged every run.
    from moto.ec2 import utils

    utils.EC2_PREFIX_TO_RESOURCE["nat"] = "natgateway"


@patch
def _kms_key_deletion_accepts_arn() -> None:
    # Gap 8 (KMS): ScheduleKeyDeletion/CancelKeyDeletion index the key table with the raw KeyId, so a key
    # ARN (what kms_key always sends) raised KeyError -> HTTP 500. AWS accepts a key ID or key ARN.
    from moto.kms.models import KmsBackend

    for name in ("schedule_key_deletion", "cancel_key_deletion"):
        original = getattr(KmsBackend, name)
        if getattr(original, "_localcloud_patched", False):
            continue

        @functools.wraps(original)
        def wrapper(self, key_id, *args, _original=original, **kwargs):
            return _original(self, KmsBackend.get_key_id(key_id), *args, **kwargs)

        wrapper._localcloud_patched = True
        setattr(KmsBackend, name, wrapper)
