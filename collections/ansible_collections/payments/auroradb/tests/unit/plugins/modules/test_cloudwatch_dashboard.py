# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""payments.auroradb.cloudwatch_dashboard decisions with a stubbed CloudWatch client; no AWS."""

import json

from ansible_collections.payments.auroradb.plugins.modules import cloudwatch_dashboard as mod

BODY = {"widgets": [{"type": "metric", "properties": {"title": "CPU"}}]}


class FakeModule:
    def __init__(self, check_mode=False, **params):
        self.check_mode = check_mode
        self.params = {"name": "payment-db-prod", "body": json.dumps(BODY), "state": "present", **params}


def current(stub, body):
    if body is None:
        stub.add_client_error("get_dashboard", "ResourceNotFound", "Dashboard does not exist", 404)
    else:
        stub.add_response(
            "get_dashboard",
            {"DashboardName": "payment-db-prod", "DashboardBody": json.dumps(body)},
            {"DashboardName": "payment-db-prod"},
        )


def test_missing_dashboard_is_written(aws):
    client, stub = aws("cloudwatch")
    current(stub, None)
    stub.add_response(
        "put_dashboard",
        {"DashboardValidationMessages": []},
        {"DashboardName": "payment-db-prod", "DashboardBody": json.dumps(BODY, sort_keys=True)},
    )
    result = mod.converge(FakeModule(), client)
    assert result["changed"] and result["diff"]["after"] == BODY


def test_same_body_in_another_key_order_changes_nothing(aws):
    client, stub = aws("cloudwatch")
    current(stub, json.loads(json.dumps(BODY)))
    assert mod.converge(FakeModule(body=BODY), client)["changed"] is False


def test_absent_deletes_and_check_mode_sends_nothing(aws):
    client, stub = aws("cloudwatch")
    current(stub, BODY)
    assert mod.converge(FakeModule(state="absent", check_mode=True), client)["changed"] is True
    current(stub, BODY)
    stub.add_response("delete_dashboards", {}, {"DashboardNames": ["payment-db-prod"]})
    assert mod.converge(FakeModule(state="absent"), client)["changed"] is True
    current(stub, None)
    assert mod.converge(FakeModule(state="absent"), client)["changed"] is False
