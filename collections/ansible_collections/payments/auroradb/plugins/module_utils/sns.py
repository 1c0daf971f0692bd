# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SNS service layer of the payments.auroradb modules (and of verify.py): topics, their attributes, tags and
subscriptions.

``client`` comes from ``module.client("sns", retry_decorator=AWSRetry.jittered_backoff())``; every call passes
``aws_retry=True``; errors are raised as :class:`~.errors.AuroraDbError`; a missing topic is ``None``.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)

from ansible_collections.payments.auroradb.plugins.module_utils.errors import error_handler

SNSErrorHandler = error_handler("SNS", ["NotFound", "NotFoundException", "ResourceNotFound"])
# An email (or other confirmed) subscription that was not confirmed yet has no ARN, only this.
PENDING = "PendingConfirmation"


@SNSErrorHandler.common_error_handler("list the topics")
def find_topic(client, name: str) -> str | None:
    """The ARN of the topic called ``name`` in the client's region, or None."""
    topics = paginated_query_with_retries(client, "list_topics")["Topics"]
    return next((t["TopicArn"] for t in topics if t["TopicArn"].rsplit(":", 1)[-1] == name), None)


@SNSErrorHandler.list_error_handler("read the attributes of {arn}", None)
def attributes(client, arn: str) -> dict[str, str] | None:
    return client.get_topic_attributes(TopicArn=arn, aws_retry=True)["Attributes"]


@SNSErrorHandler.common_error_handler("create topic {name}")
def create_topic(client, name: str, attributes: dict[str, str], tags: dict[str, str]) -> str:
    kwargs = {"Tags": ansible_dict_to_boto3_tag_list(tags)} if tags else {}
    return client.create_topic(Name=name, Attributes=attributes, aws_retry=True, **kwargs)["TopicArn"]


@SNSErrorHandler.common_error_handler("set {name} of {arn}")
def set_attribute(client, arn: str, name: str, value: str) -> None:
    client.set_topic_attributes(TopicArn=arn, AttributeName=name, AttributeValue=value, aws_retry=True)


@SNSErrorHandler.deletion_error_handler("delete topic {arn}")
def delete_topic(client, arn: str) -> bool:
    client.delete_topic(TopicArn=arn, aws_retry=True)
    return True


@SNSErrorHandler.list_error_handler("read the tags of {arn}", {})
def get_tags(client, arn: str) -> dict[str, str]:
    return boto3_tag_list_to_ansible_dict(client.list_tags_for_resource(ResourceArn=arn, aws_retry=True)["Tags"])


@SNSErrorHandler.common_error_handler("tag {arn}")
def update_tags(client, arn: str, to_set: dict[str, str], to_remove: list[str]) -> None:
    if to_remove:
        client.untag_resource(ResourceArn=arn, TagKeys=to_remove, aws_retry=True)
    if to_set:
        client.tag_resource(ResourceArn=arn, Tags=ansible_dict_to_boto3_tag_list(to_set), aws_retry=True)


@SNSErrorHandler.list_error_handler("list the subscriptions of {arn}", [])
def subscriptions(client, arn: str) -> list[dict[str, Any]]:
    """``{"protocol", "endpoint", "arn"}`` of every subscription of the topic (``arn`` is PENDING until confirmed)."""
    found = paginated_query_with_retries(client, "list_subscriptions_by_topic", TopicArn=arn)["Subscriptions"]
    return [{"protocol": s["Protocol"], "endpoint": s["Endpoint"], "arn": s["SubscriptionArn"]} for s in found]


@SNSErrorHandler.common_error_handler("subscribe {endpoint} to {arn}")
def subscribe(client, arn: str, protocol: str, endpoint: str) -> str:
    return client.subscribe(
        TopicArn=arn, Protocol=protocol, Endpoint=endpoint, ReturnSubscriptionArn=True, aws_retry=True
    )["SubscriptionArn"]


@SNSErrorHandler.deletion_error_handler("unsubscribe {subscription_arn}")
def unsubscribe(client, subscription_arn: str) -> bool:
    client.unsubscribe(SubscriptionArn=subscription_arn, aws_retry=True)
    return True
