# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SSM Parameter Store service layer of the payments.auroradb modules (the run lock's parameter).

* AWS calls: ``client`` comes from ``module.client("ssm", retry_decorator=AWSRetry.jittered_backoff())``, every call
  passes ``aws_retry=True``; errors are raised as :class:`~.errors.AuroraDbError`; "not found" is ``None`` (or
  ``False`` for a deletion).
* ``create_parameter`` is PutParameter with ``Overwrite=false``: AWS creates the parameter atomically, so of two
  callers exactly one gets ``True``; the other gets ``False`` (``ParameterAlreadyExists``).
"""

from __future__ import annotations

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.payments.auroradb.plugins.module_utils.errors import error_handler

SSMErrorHandler = error_handler("SSM", ["ParameterNotFound"])


@SSMErrorHandler.list_error_handler("read SSM parameter {name}", None)
def get_parameter(client, name: str) -> dict[str, Any] | None:
    """The GetParameter ``Parameter`` (Name, Value, Version, LastModifiedDate, ...), or None when it does not exist."""
    return client.get_parameter(Name=name, aws_retry=True)["Parameter"]


@SSMErrorHandler.common_error_handler("create SSM parameter {name}")
def create_parameter(client, name: str, value: str, description: str, tags: dict[str, str]) -> bool:
    """Create a String parameter only if it does not exist (``Overwrite=false``): True if created, False if it was
    there already (someone else created it first)."""
    try:
        client.put_parameter(
            Name=name,
            Value=value,
            Description=description,
            Type="String",
            Overwrite=False,
            Tags=[{"Key": key, "Value": val} for key, val in sorted(tags.items())],
            aws_retry=True,
        )
    except is_boto3_error_code("ParameterAlreadyExists"):
        return False
    return True


@SSMErrorHandler.deletion_error_handler("delete SSM parameter {name}")
def delete_parameter(client, name: str) -> bool:
    """True when deleted, False when it was already gone."""
    client.delete_parameter(Name=name, aws_retry=True)
    return True
