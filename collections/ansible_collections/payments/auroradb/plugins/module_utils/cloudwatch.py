# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CloudWatch service layer of the payments.auroradb modules (and of verify.py): alarms and their tags.

``client`` comes from ``module.client("cloudwatch", retry_decorator=AWSRetry.jittered_backoff())``; every call
passes ``aws_retry=True``; errors are raised as :class:`~.errors.AuroraDbError`; a missing alarm is absent from
``describe_alarms`` and has no tags (``None``), which is not an error.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)

from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError, error_handler

CloudWatchErrorHandler = error_handler("CloudWatch", ["ResourceNotFound", "ResourceNotFoundException"])


@CloudWatchErrorHandler.common_error_handler("describe the alarms {alarm_names}")
def describe_alarms(client, alarm_names: list[str]) -> dict[str, dict[str, Any]]:
    """Alarm name -> the DescribeAlarms entry of those of ``alarm_names`` that exist (metric alarms)."""
    answer = paginated_query_with_retries(client, "describe_alarms", AlarmNames=list(alarm_names))
    return {alarm["AlarmName"]: alarm for alarm in answer.get("MetricAlarms", [])}


@CloudWatchErrorHandler.list_error_handler("read the tags of {arn}", None)
def get_tags(client, arn: str) -> dict[str, str] | None:
    """The tags of the resource as a dict, or None when it does not exist."""
    return boto3_tag_list_to_ansible_dict(client.list_tags_for_resource(ResourceARN=arn, aws_retry=True)["Tags"])


@CloudWatchErrorHandler.common_error_handler("tag {arn}")
def update_tags(client, arn: str, to_set: dict[str, str], to_remove: list[str]) -> None:
    """What ``compare_aws_tags`` decided: remove ``to_remove``, add/overwrite ``to_set``."""
    if to_remove:
        client.untag_resource(ResourceARN=arn, TagKeys=to_remove, aws_retry=True)
    if to_set:
        client.tag_resource(ResourceARN=arn, Tags=ansible_dict_to_boto3_tag_list(to_set), aws_retry=True)


@CloudWatchErrorHandler.common_error_handler("turn the actions of alarm {name} on or off")
def set_actions_enabled(client, name: str, enabled: bool) -> None:
    """EnableAlarmActions or DisableAlarmActions."""
    call = client.enable_alarm_actions if enabled else client.disable_alarm_actions
    call(AlarmNames=[name], aws_retry=True)


@CloudWatchErrorHandler.list_error_handler("read dashboard {name}", None)
def get_dashboard(client, name: str) -> str | None:
    """The dashboard's body (JSON text), or None when there is no such dashboard."""
    return client.get_dashboard(DashboardName=name, aws_retry=True)["DashboardBody"]


@CloudWatchErrorHandler.common_error_handler("write dashboard {name}")
def put_dashboard(client, name: str, body: str) -> None:
    answer = client.put_dashboard(DashboardName=name, DashboardBody=body, aws_retry=True)
    problems = answer.get("DashboardValidationMessages") or []
    if problems:
        raise AuroraDbError(f"Dashboard {name}: {'; '.join(p.get('Message', '') for p in problems)}")


@CloudWatchErrorHandler.deletion_error_handler("delete dashboard {name}")
def delete_dashboard(client, name: str) -> bool:
    client.delete_dashboards(DashboardNames=[name], aws_retry=True)
    return True
