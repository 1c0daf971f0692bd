# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CloudWatch Logs service layer of the payments.auroradb modules: log groups, their retention, key and tags.

``client`` comes from ``module.client("logs", retry_decorator=AWSRetry.jittered_backoff())``; every call passes
``aws_retry=True``; errors are raised as :class:`~.errors.AuroraDbError`; a missing log group is ``None``.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries

from ansible_collections.payments.auroradb.plugins.module_utils.errors import error_handler

LogsErrorHandler = error_handler("Logs", ["ResourceNotFoundException"])


@LogsErrorHandler.common_error_handler("describe log group {name}")
def find_group(client, name: str) -> dict[str, Any] | None:
    """The DescribeLogGroups entry of exactly ``name``, or None."""
    groups = paginated_query_with_retries(client, "describe_log_groups", logGroupNamePrefix=name)["logGroups"]
    return next((group for group in groups if group["logGroupName"] == name), None)


def group_arn(group: dict[str, Any]) -> str:
    """The log group's ARN without the ``:*`` DescribeLogGroups appends (what the tagging API takes)."""
    return group.get("logGroupArn") or group["arn"].removesuffix(":*")


@LogsErrorHandler.common_error_handler("create log group {name}")
def create_group(client, name: str, kms_key_id: str | None, tags: dict[str, str]) -> None:
    kwargs = {"kmsKeyId": kms_key_id} if kms_key_id else {}
    if tags:
        kwargs["tags"] = tags
    client.create_log_group(logGroupName=name, aws_retry=True, **kwargs)


@LogsErrorHandler.common_error_handler("set the retention of {name}")
def set_retention(client, name: str, days: int | None) -> None:
    if days is None:
        client.delete_retention_policy(logGroupName=name, aws_retry=True)
    else:
        client.put_retention_policy(logGroupName=name, retentionInDays=days, aws_retry=True)


@LogsErrorHandler.common_error_handler("set the KMS key of {name}")
def set_key(client, name: str, kms_key_id: str | None) -> None:
    if kms_key_id:
        client.associate_kms_key(logGroupName=name, kmsKeyId=kms_key_id, aws_retry=True)
    else:
        client.disassociate_kms_key(logGroupName=name, aws_retry=True)


@LogsErrorHandler.deletion_error_handler("delete log group {name}")
def delete_group(client, name: str) -> bool:
    client.delete_log_group(logGroupName=name, aws_retry=True)
    return True


@LogsErrorHandler.common_error_handler("read the tags of {arn}")
def get_tags(client, arn: str) -> dict[str, str]:
    return client.list_tags_for_resource(resourceArn=arn, aws_retry=True).get("tags", {})


@LogsErrorHandler.common_error_handler("tag {arn}")
def update_tags(client, arn: str, to_set: dict[str, str], to_remove: list[str]) -> None:
    if to_remove:
        client.untag_resource(resourceArn=arn, tagKeys=to_remove, aws_retry=True)
    if to_set:
        client.tag_resource(resourceArn=arn, tags=to_set, aws_retry=True)


@LogsErrorHandler.common_error_handler("describe the log groups under {prefix}")
def groups_under(client, prefix: str) -> list[dict[str, Any]]:
    """Every log group whose name starts with ``prefix``."""
    return paginated_query_with_retries(client, "describe_log_groups", logGroupNamePrefix=prefix)["logGroups"]


@LogsErrorHandler.common_error_handler("search log group {name}")
def contains(client, name: str, text: str) -> bool:
    """Whether an event of the group holds ``text`` (FilterLogEvents with the quoted text as the pattern)."""
    answer = client.filter_log_events(logGroupName=name, filterPattern=f'"{text}"', limit=1, aws_retry=True)
    return bool(answer.get("events"))
