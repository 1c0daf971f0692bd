# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""payments.auroradb.cloudwatch_alarm_tags decisions with a stubbed CloudWatch client: what is sent, no AWS."""

import pytest

from ansible_collections.payments.auroradb.plugins.module_utils import cloudwatch
from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError
from ansible_collections.payments.auroradb.plugins.modules import cloudwatch_alarm_tags as mod

ARN = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:payment-db-cpu-alarm-dev"


class FakeModule:
    def __init__(self, check_mode=False, diff=True, **params):
        self.check_mode = check_mode
        self._diff = diff
        self.params = {"alarm_arn": ARN, "tags": None, "purge_tags": True, "actions_enabled": None, **params}


def has_tags(stub, **tags):
    answer = {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
    stub.add_response("list_tags_for_resource", answer, {"ResourceARN": ARN})


def test_missing_tags_are_added_and_others_kept_without_purge(aws):
    client, stub = aws("cloudwatch")
    has_tags(stub, owner="dba")
    stub.add_response("tag_resource", {}, {"ResourceARN": ARN, "Tags": [{"Key": "environment", "Value": "dev"}]})
    result = mod.ensure_tags(FakeModule(tags={"environment": "dev"}, purge_tags=False), client)
    assert result["changed"] and result["tags"] == {"owner": "dba", "environment": "dev"}
    assert result["diff"] == {"before": {"tags": {"owner": "dba"}}, "after": {"tags": result["tags"]}}


def test_purge_removes_unlisted_tags_and_changes_values(aws):
    client, stub = aws("cloudwatch")
    has_tags(stub, owner="dba", environment="old")
    stub.add_response("untag_resource", {}, {"ResourceARN": ARN, "TagKeys": ["owner"]})
    stub.add_response("tag_resource", {}, {"ResourceARN": ARN, "Tags": [{"Key": "environment", "Value": "dev"}]})
    result = mod.ensure_tags(FakeModule(tags={"environment": "dev"}), client)
    assert result["changed"] and result["tags"] == {"environment": "dev"}


@pytest.mark.parametrize(
    "params", [{"tags": {"environment": "dev"}}, {"tags": None}, {"tags": {}, "purge_tags": False}]
)
def test_nothing_to_do_sends_nothing(aws, params):
    client, stub = aws("cloudwatch")
    has_tags(stub, environment="dev")  # the only call: the stubber fails on anything else
    result = mod.ensure_tags(FakeModule(**params), client)
    assert result["changed"] is False and result["tags"] == {"environment": "dev"}


def test_check_mode_reports_the_change_without_sending_it(aws):
    client, stub = aws("cloudwatch")
    has_tags(stub)
    result = mod.ensure_tags(FakeModule(check_mode=True, tags={"environment": "dev"}), client)
    assert result["changed"] and result["tags"] == {"environment": "dev"}


def test_missing_alarm_is_refused_and_the_service_says_none(aws):
    client, stub = aws("cloudwatch")
    stub.add_client_error("list_tags_for_resource", "ResourceNotFound", http_status_code=404)
    assert cloudwatch.get_tags(client, ARN) is None
    stub.add_client_error("list_tags_for_resource", "ResourceNotFound", http_status_code=404)
    with pytest.raises(AuroraDbError, match="does not exist"):
        mod.ensure_tags(FakeModule(tags={"environment": "dev"}), client)


def test_throttled_tagging_is_retried(aws):
    client, stub = aws("cloudwatch")
    has_tags(stub)
    stub.add_client_error("tag_resource", "Throttling", http_status_code=400)
    stub.add_response("tag_resource", {})
    assert mod.ensure_tags(FakeModule(tags={"environment": "dev"}), client)["changed"]


def alarm_actions(stub, enabled):
    stub.add_response(
        "describe_alarms",
        {"MetricAlarms": [{"AlarmName": "payment-db-cpu-alarm-dev", "ActionsEnabled": enabled}]},
        {"AlarmNames": ["payment-db-cpu-alarm-dev"]},
    )


@pytest.mark.parametrize("check_mode", [False, True])
def test_disabled_actions_are_enabled_again(aws, check_mode):
    """amazon.aws.cloudwatch_metric_alarm never compares ActionsEnabled (Security Hub CloudWatch.17)."""
    client, stub = aws("cloudwatch")
    has_tags(stub, environment="dev")
    alarm_actions(stub, False)
    if not check_mode:
        stub.add_response("enable_alarm_actions", {}, {"AlarmNames": ["payment-db-cpu-alarm-dev"]})
    result = mod.ensure_tags(FakeModule(check_mode=check_mode, actions_enabled=True), client)
    assert result["changed"] is True
    assert result["diff"]["before"]["actions_enabled"] is False and result["diff"]["after"]["actions_enabled"] is True
    stub.assert_no_pending_responses()


def test_enabled_actions_change_nothing(aws):
    client, stub = aws("cloudwatch")
    has_tags(stub, environment="dev")
    alarm_actions(stub, True)
    result = mod.ensure_tags(FakeModule(actions_enabled=True, tags={"environment": "dev"}, purge_tags=False), client)
    assert result["changed"] is False
    stub.assert_no_pending_responses()
