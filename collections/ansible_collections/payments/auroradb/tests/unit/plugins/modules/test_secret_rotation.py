# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""payments.auroradb.secret_rotation with a fake Secrets Manager client: what is sent in each case, no AWS."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.payments.auroradb.plugins.module_utils import secretsmanager as sm
from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError
from ansible_collections.payments.auroradb.plugins.modules import secret_rotation as mod

NAME = "payment-db-credentials-dev"
ARN = f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{NAME}-AbCdEf"
FN = "arn:aws:lambda:us-east-1:123456789012:function:payment-db-rotation-dev"
WRITES = {"rotate_secret", "cancel_rotate_secret", "update_secret_version_stage", "put_secret_value"}


class FakeModule:
    def __init__(self, check_mode=False, diff=True, **params):
        self.check_mode = check_mode
        self._diff = diff
        self.params = {
            "name": NAME,
            "state": "present",
            "rotation_lambda": None,
            "automatically_after_days": None,
            "rotation_days": None,
            "schedule_expression": None,
            "duration": None,
            "rotate_immediately": False,
            "rotate_now": False,
            "repair_pending": False,
            "wait_timeout": 300,
            **params,
        }

    def fail_json(self, **kwargs):  # ensure_present/ensure_absent raise; only main() fails the module
        raise AssertionError(f"fail_json called outside main(): {kwargs}")


class FakeClient:
    """Secrets Manager with one secret; ``describes`` (optional) scripts the answers of later DescribeSecret calls."""

    def __init__(self, secret, describes=None):
        self.secret = secret
        self.describes = list(describes or [])
        self.calls = []

    def describe_secret(self, aws_retry=False, **params):
        assert aws_retry is True
        self.calls.append(("describe_secret", params))
        if self.describes and len([c for c in self.calls if c[0] == "describe_secret"]) > 1:
            return copy.deepcopy(self.describes.pop(0) if len(self.describes) > 1 else self.describes[0])
        return copy.deepcopy(self.secret)

    def __getattr__(self, operation):
        def record(aws_retry=False, **params):
            assert aws_retry is True, f"{operation} without aws_retry"
            self.calls.append((operation, params))
            return {"ARN": ARN, "Name": NAME}

        return record

    def sent(self, operation=None):
        return [(op, p) for op, p in self.calls if op in WRITES and (operation is None or op == operation)]

    def get_secret_value(self, **params):  # the module must never read the value
        raise AssertionError("GetSecretValue must not be called")


def secret(enabled=None, lambda_arn=FN, versions=None, **rules):
    answer = {"ARN": ARN, "Name": NAME, "VersionIdsToStages": versions or {"v1": ["AWSCURRENT"]}}
    if enabled is not None:
        answer.update(RotationEnabled=enabled, RotationLambdaARN=lambda_arn, RotationRules=rules)
    return answer


def enabled_30_days(**extra):
    return secret(True, AutomaticallyAfterDays=30, ScheduleExpression="rate(30 days)", **extra)


def present(client, **params):
    check_mode = params.pop("check_mode", False)
    return mod.ensure_present(FakeModule(check_mode=check_mode, **params), client)


def absent(client, **params):
    check_mode = params.pop("check_mode", False)
    return mod.ensure_absent(FakeModule(check_mode=check_mode, state="absent", **params), client)


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    """wait_for_rotation must not really sleep in unit tests."""
    clock = {"now": 0.0}

    def sleep(seconds):
        clock["now"] += seconds

    monkeypatch.setattr(sm.time, "sleep", sleep)
    monkeypatch.setattr(sm.time, "monotonic", lambda: clock["now"])
    return clock


# --- enable / update / no change -------------------------------------------------------------------------------


def test_enable_sends_one_rotate_secret_without_immediate_rotation():
    client = FakeClient(secret())
    r = present(client, rotation_lambda=FN, automatically_after_days=30, duration="3h")
    assert r["changed"] is True and r["rotated"] is False
    assert client.sent() == [
        (
            "rotate_secret",
            {
                "SecretId": NAME,
                "RotationLambdaARN": FN,
                "RotationRules": {"AutomaticallyAfterDays": 30, "Duration": "3h"},
                "RotateImmediately": False,
            },
        )
    ]
    assert r["diff"]["before"]["enabled"] is False
    assert r["diff"]["after"] == {
        "enabled": True,
        "lambda_arn": FN,
        "schedule_expression": "rate(30 days)",
        "automatically_after_days": 30,
        "duration": "3h",
    }
    assert r["version_id"] == r["previous_version_id"] == "v1" and r["pending_version"] is None


def test_a_secret_rds_manages_gets_its_schedule_without_a_function():
    # the master secret of a cluster with ManageMasterUserPassword: RDS rotates it, RotateSecret sets the schedule
    client = FakeClient({**secret(), "OwningService": "rds"})
    r = present(client, rotation_days=30)
    assert r["changed"] is True
    assert client.sent() == [
        (
            "rotate_secret",
            {"SecretId": NAME, "RotationRules": {"ScheduleExpression": "rate(30 days)"}, "RotateImmediately": False},
        )
    ]


def test_rotate_immediately_is_passed_through():
    client = FakeClient(secret())
    present(client, rotation_lambda=FN, schedule_expression="rate( 1 days )", rotate_immediately=True)
    params = client.sent()[0][1]
    assert params["RotateImmediately"] is True
    assert params["RotationRules"] == {"ScheduleExpression": "rate(1 day)"}


@pytest.mark.parametrize(
    "params",
    [
        {"rotation_lambda": FN, "automatically_after_days": 30},
        {"rotation_lambda": FN + ":3", "schedule_expression": "rate(30 days)"},
        {"rotation_lambda": FN + ":$LATEST", "schedule_expression": "rate(30  days)"},
        {"rotation_lambda": FN, "rotation_days": 30},
        {},
    ],
)
@pytest.mark.parametrize("check_mode", [False, True])
def test_rerun_sends_nothing(params, check_mode):
    client = FakeClient(enabled_30_days())
    r = present(client, check_mode=check_mode, **params)
    assert r["changed"] is False and client.sent() == []
    assert r["diff"]["before"] == r["diff"]["after"]
    assert r["rotation"]["lambda_arn"] == FN, "the reported function is what AWS stores"


@pytest.mark.parametrize("days, expression", [(30, "rate(30 days)"), (1, "rate(1 day)")])
def test_rotation_days_is_sent_as_a_rate_expression_built_by_the_module(days, expression):
    client = FakeClient(secret())
    r = present(client, rotation_lambda=FN, rotation_days=days)
    assert client.sent("rotate_secret")[0][1]["RotationRules"] == {"ScheduleExpression": expression}
    assert r["rotation"]["schedule_expression"] == expression and r["rotation"]["automatically_after_days"] == days


@pytest.mark.parametrize("days", [0, 1001])
def test_rotation_days_out_of_range_is_refused_before_any_write(days):
    client = FakeClient(secret())
    with pytest.raises(AuroraDbError, match="rotation_days must be a whole number"):
        present(client, rotation_lambda=FN, rotation_days=days)
    assert client.sent() == []


def test_change_of_days_is_sent_and_in_the_diff():
    client = FakeClient(enabled_30_days())
    r = present(client, rotation_lambda=FN, automatically_after_days=7)
    assert r["changed"] is True
    assert client.sent("rotate_secret")[0][1]["RotationRules"] == {"AutomaticallyAfterDays": 7}
    assert r["diff"]["before"]["automatically_after_days"] == 30 and r["diff"]["after"]["automatically_after_days"] == 7


def test_new_function_keeps_the_schedule_and_window():
    client = FakeClient(enabled_30_days(Duration="3h"))
    present(client, rotation_lambda=FN + "-v2")
    params = client.sent("rotate_secret")[0][1]
    assert params["RotationLambdaARN"] == FN + "-v2"
    assert params["RotationRules"] == {"ScheduleExpression": "rate(30 days)", "Duration": "3h"}


def test_check_mode_change_sends_nothing_but_reports_it():
    client = FakeClient(enabled_30_days())
    r = present(client, check_mode=True, rotation_lambda=FN, automatically_after_days=7)
    assert r["changed"] is True and client.sent() == []
    assert r["rotation"]["automatically_after_days"] == 7


def test_invalid_input_fails_before_any_write():
    client = FakeClient(secret())
    with pytest.raises(AuroraDbError, match="rotation_lambda is required"):
        present(client, automatically_after_days=30)
    with pytest.raises(AuroraDbError, match="duration"):
        present(client, rotation_lambda=FN, automatically_after_days=30, duration="90m")
    assert client.sent() == []


def test_missing_secret_fails_clearly():
    client = FakeClient(None)
    with pytest.raises(AuroraDbError, match="does not exist"):
        present(client, rotation_lambda=FN, automatically_after_days=30)


# --- disable -----------------------------------------------------------------------------------------------------


def test_absent_cancels_enabled_rotation():
    client = FakeClient(enabled_30_days())
    r = absent(client)
    assert r["changed"] is True and client.sent() == [("cancel_rotate_secret", {"SecretId": NAME})]
    assert r["diff"]["before"]["enabled"] is True and r["diff"]["after"]["enabled"] is False


@pytest.mark.parametrize("description", [secret(), enabled_30_days(RotationEnabled=False), None])
def test_absent_without_rotation_changes_nothing(description):
    if description:
        description["RotationEnabled"] = False
    client = FakeClient(description)
    assert absent(client)["changed"] is False and client.sent() == []


def test_absent_in_check_mode_sends_nothing():
    client = FakeClient(enabled_30_days())
    assert absent(client, check_mode=True)["changed"] is True and client.sent() == []


# --- stuck AWSPENDING ----------------------------------------------------------------------------------------------

STUCK = {"v1": ["AWSCURRENT"], "v2": ["AWSPENDING"]}


def test_pending_version_is_always_reported():
    client = FakeClient(enabled_30_days(versions=STUCK))
    r = present(client)
    assert r["changed"] is False and r["pending_version"] == "v2" and r["pending_cleared"] is False
    assert client.sent() == []


def test_repair_clears_the_pending_stage_before_anything_else():
    client = FakeClient(enabled_30_days(versions=STUCK))
    r = present(client, repair_pending=True, automatically_after_days=7)
    assert r["changed"] is True and r["pending_cleared"] is True and r["pending_version"] == "v2"
    assert [call[0] for call in client.sent()] == ["update_secret_version_stage", "rotate_secret"]
    assert client.sent()[0][1] == {"SecretId": NAME, "VersionStage": "AWSPENDING", "RemoveFromVersionId": "v2"}


def test_repair_without_stuck_pending_changes_nothing():
    client = FakeClient(enabled_30_days(versions={"v1": ["AWSCURRENT", "AWSPENDING"]}))
    r = present(client, repair_pending=True)
    assert r["changed"] is False and r["pending_cleared"] is False and client.sent() == []


def test_repair_in_check_mode_sends_nothing():
    client = FakeClient(enabled_30_days(versions=STUCK))
    r = present(client, check_mode=True, repair_pending=True)
    assert r["changed"] is True and r["pending_cleared"] is True and client.sent() == []


def test_repair_with_state_absent():
    client = FakeClient(enabled_30_days(versions=STUCK))
    r = absent(client, repair_pending=True)
    assert [call[0] for call in client.sent()] == ["update_secret_version_stage", "cancel_rotate_secret"]
    assert r["pending_cleared"] is True


def test_rotate_now_refuses_a_stuck_pending_without_repair():
    client = FakeClient(enabled_30_days(versions=STUCK))
    with pytest.raises(AuroraDbError) as e:
        present(client, rotate_now=True, automatically_after_days=7)
    msg = e.value.message
    assert NAME in msg and "v2" in msg and "AWSPENDING" in msg and "repair_pending=true" in msg
    assert e.value.kwargs["pending_version"] == "v2"
    assert client.sent() == [], "nothing may be written, not even the new schedule"


# --- rotate_now ------------------------------------------------------------------------------------------------

ROTATING = {"v1": ["AWSCURRENT"], "tok": ["AWSPENDING"]}
ROTATED = {"v1": ["AWSPREVIOUS"], "tok": ["AWSCURRENT", "AWSPENDING"]}


def rotating_client(description, polls_before_done=3):
    """DescribeSecret answers: the first (read) one, then N polls with AWSPENDING, then the finished rotation."""
    running = dict(description, VersionIdsToStages=ROTATING)
    finished = dict(description, VersionIdsToStages=ROTATED)
    return FakeClient(description, describes=[running] * polls_before_done + [finished])


def test_rotate_now_starts_a_rotation_and_waits_for_awscurrent_to_move(no_sleep):
    client = rotating_client(enabled_30_days(), polls_before_done=3)
    r = present(client, rotate_now=True)
    assert r["changed"] is True and r["rotated"] is True
    assert r["previous_version_id"] == "v1" and r["version_id"] == "tok"
    ((op, params),) = client.sent()
    assert op == "rotate_secret" and set(params) == {"SecretId", "ClientRequestToken"}, "no rules on demand"
    assert len([c for c in client.calls if c[0] == "describe_secret"]) == 1 + 4
    assert no_sleep["now"] == 3 * mod.POLL_INTERVAL


def test_rotate_now_with_a_config_change_sends_one_immediate_rotate_secret():
    client = rotating_client(enabled_30_days(), polls_before_done=1)
    r = present(client, rotate_now=True, automatically_after_days=7)
    ((op, params),) = client.sent()
    assert params["RotateImmediately"] is True and params["RotationRules"] == {"AutomaticallyAfterDays": 7}
    assert params["ClientRequestToken"]
    assert r["rotated"] is True and r["version_id"] == "tok"


def test_rotate_now_times_out_naming_the_stuck_version(no_sleep):
    client = rotating_client(enabled_30_days(), polls_before_done=10**6)
    with pytest.raises(AuroraDbError) as e:
        present(client, rotate_now=True, wait_timeout=10)
    msg = e.value.message
    assert NAME in msg and "version tok" in msg and "AWSPENDING" in msg and "within 10 seconds" in msg
    assert e.value.kwargs["pending_version"] == "tok" and e.value.kwargs["previous_version_id"] == "v1"
    assert no_sleep["now"] == pytest.approx(10)


def test_rotate_now_after_repair():
    description = enabled_30_days(versions=STUCK)
    client = FakeClient(description, describes=[dict(description, VersionIdsToStages=ROTATED)])
    r = present(client, rotate_now=True, repair_pending=True)
    assert [call[0] for call in client.sent()] == ["update_secret_version_stage", "rotate_secret"]
    assert r["pending_cleared"] is True and r["rotated"] is True and r["version_id"] == "tok"


def test_rotate_now_in_check_mode_sends_nothing_and_does_not_wait():
    client = FakeClient(enabled_30_days())
    r = present(client, check_mode=True, rotate_now=True)
    assert r["changed"] is True and r["rotated"] is True and r["version_id"] is None
    assert client.sent() == [] and len(client.calls) == 1


def test_rotate_now_without_any_rotation_configured_fails():
    client = FakeClient(secret())
    with pytest.raises(AuroraDbError, match="rotation_lambda is required"):
        present(client, rotate_now=True)
    assert client.sent() == []
