"""The only moto monkey-patches; each names the gap it closes. Keep this list short.

Everything else is an after-action hook in ``hooks/`` working on moto's backend objects; a patch is
used only where the gap sits inside moto's request handling and no hook can reach it.
"""

from __future__ import annotations

import functools


def apply() -> None:
    _lambda_without_docker()
    _nat_gateway_tag_resource_type()
    _kms_key_deletion_accepts_arn()


def _lambda_without_docker() -> None:
    # Gap 2 (Lambda): moto invokes functions in Docker by default; there is no Docker engine here, and
    # the setting must be in place before any function exists, so set it at start-up.
    from moto.core.config import default_user_config

    default_user_config["lambda"]["use_docker"] = False


def _nat_gateway_tag_resource_type() -> None:
    # Gap 7 (EC2): moto files NAT gateway tags under resource type "nat-gateway"; AWS uses "natgateway",
    # and ec2_vpc_nat_gateway filters DescribeTags on it, so it saw no tags and re-tagged every run.
    from moto.ec2 import utils

    utils.EC2_PREFIX_TO_RESOURCE["nat"] = "natgateway"


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
