# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Normalisation and comparison of rotation configurations (module_utils/rotation.py), without AWS."""

from __future__ import annotations

import pytest

from ansible_collections.payments.auroradb.plugins.module_utils import rotation

NAME = "payment-db-credentials-dev"
FN = "arn:aws:lambda:us-east-1:123456789012:function:payment-db-rotation-dev"


def described(enabled=True, lambda_arn=FN, versions=None, **rules):
    answer = {"Name": NAME, "VersionIdsToStages": versions or {"v1": ["AWSCURRENT"]}}
    if lambda_arn is not None:
        answer.update(RotationEnabled=enabled, RotationLambdaARN=lambda_arn, RotationRules=rules)
    return answer


# --- Lambda ARNs -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("qualified", [FN, FN + ":3", FN + ":$LATEST", FN + ":live", f" {FN} "])
def test_qualified_and_unqualified_arns_name_the_same_function(qualified):
    assert rotation.function_arn(qualified) == FN
    assert rotation.same_function(qualified, FN)


def test_other_functions_differ():
    assert not rotation.same_function(FN, FN + "-v2")
    assert not rotation.same_function(FN, FN.replace("us-east-1", "eu-west-1"))
    assert not rotation.same_function(FN, None)
    assert rotation.function_arn(None) is None
    assert rotation.function_arn("not-an-arn") == "not-an-arn"


# --- schedules -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given, canonical",
    [
        ("rate(30 days)", "rate(30 days)"),
        ("  rate( 30   DAYS ) ", "rate(30 days)"),
        ("rate(1 day)", "rate(1 day)"),
        ("rate(1 days)", "rate(1 day)"),
        ("rate(4 hour)", "rate(4 hours)"),
        ("cron(0  16 1,15 *  ? *)", "cron(0 16 1,15 * ? *)"),
        ("cron( 0 8 ? * MON * )", "cron(0 8 ? * MON *)"),
    ],
)
def test_schedule_normalisation(given, canonical):
    assert rotation.normalise_schedule(given) == canonical


@pytest.mark.parametrize(
    "bad", ["rate(0 days)", "rate(1001 days)", "rate(30 minutes)", "cron(0 16 * *)", "every 30 days", "rate(days)"]
)
def test_bad_schedules_are_refused(bad):
    with pytest.raises(rotation.RotationConfigError, match="schedule_expression"):
        rotation.normalise_schedule(bad)


def test_days_equal_the_rate_expression():
    assert rotation.days_expression(30) == rotation.normalise_schedule("rate(30 days)")
    assert rotation.days_expression(1) == "rate(1 day)"
    assert rotation.schedule_days("rate(30 days)") == 30
    assert rotation.schedule_days("rate(4 hours)") is None
    assert rotation.schedule_days("cron(0 16 1,15 * ? *)") is None
    for bad in (0, 1001, True):
        with pytest.raises(rotation.RotationConfigError, match="automatically_after_days"):
            rotation.days_expression(bad)


@pytest.mark.parametrize("given, canonical", [("3h", "3h"), (" 3H ", "3h"), ("03h", "3h"), ("24h", "24h")])
def test_duration_normalisation(given, canonical):
    assert rotation.normalise_duration(given) == canonical


@pytest.mark.parametrize("bad", ["0h", "25h", "3", "180m", "3 hours"])
def test_bad_durations_are_refused(bad):
    with pytest.raises(rotation.RotationConfigError, match="duration"):
        rotation.normalise_duration(bad)


# --- current configuration -------------------------------------------------------------------------------------


def test_current_config_when_aws_reports_days_and_expression():
    view = rotation.current_config(
        described(AutomaticallyAfterDays=30, ScheduleExpression="rate(30 days)", Duration="3h")
    )
    assert view == {
        "enabled": True,
        "lambda_arn": FN,
        "schedule_expression": "rate(30 days)",
        "automatically_after_days": 30,
        "duration": "3h",
    }


def test_current_config_days_only_and_cron():
    assert rotation.current_config(described(AutomaticallyAfterDays=7))["schedule_expression"] == "rate(7 days)"
    view = rotation.current_config(described(ScheduleExpression="cron(0 16  1,15 * ? *)", AutomaticallyAfterDays=14))
    assert view["schedule_expression"] == "cron(0 16 1,15 * ? *)" and view["automatically_after_days"] is None


def test_current_config_without_rotation():
    assert rotation.current_config(described(lambda_arn=None)) == {
        "enabled": False,
        "lambda_arn": None,
        "schedule_expression": None,
        "automatically_after_days": None,
        "duration": None,
    }


# --- desired configuration and comparison ----------------------------------------------------------------------


def test_enable_sends_days_as_given():
    view, rules = rotation.desired_config(NAME, described(lambda_arn=None), lambda_arn=FN, days=30)
    assert rules == {"AutomaticallyAfterDays": 30}
    assert view["enabled"] and view["lambda_arn"] == FN and view["schedule_expression"] == "rate(30 days)"
    assert rotation.config_differs(rotation.current_config(described(lambda_arn=None)), view)


def test_expression_is_sent_normalised_with_duration():
    rules = rotation.desired_config(NAME, described(), expression="cron( 0 16 1,15 * ? * )", duration="4H")[1]
    assert rules == {"ScheduleExpression": "cron(0 16 1,15 * ? *)", "Duration": "4h"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lambda_arn": FN, "days": 30},
        {"lambda_arn": FN + ":3", "expression": "rate(30 days)"},
        {"lambda_arn": FN + ":$LATEST", "expression": "rate( 30 days )"},
        {"days": 30},
        {},
        {"duration": "3h"},
    ],
)
def test_equivalent_requests_change_nothing(kwargs):
    current = described(AutomaticallyAfterDays=30, ScheduleExpression="rate(30 days)", Duration="3h")
    view = rotation.desired_config(NAME, current, **kwargs)[0]
    assert not rotation.config_differs(rotation.current_config(current), view)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"days": 7},
        {"expression": "rate(12 hours)"},
        {"lambda_arn": FN + "-v2"},
        {"duration": "2h"},
        {"expression": "cron(0 16 1,15 * ? *)"},
    ],
)
def test_real_changes_are_detected(kwargs):
    current = described(AutomaticallyAfterDays=30, Duration="3h")
    view = rotation.desired_config(NAME, current, **kwargs)[0]
    assert rotation.config_differs(rotation.current_config(current), view)


def test_disabled_rotation_is_a_change_and_keeps_the_stored_configuration():
    current = described(enabled=False, AutomaticallyAfterDays=30, Duration="3h")
    view, rules = rotation.desired_config(NAME, current)
    assert rules == {"AutomaticallyAfterDays": 30, "Duration": "3h"}
    assert view["lambda_arn"] == FN
    assert rotation.config_differs(rotation.current_config(current), view)


def test_kept_schedule_follows_what_aws_stores():
    current = described(ScheduleExpression="rate(30 days)", AutomaticallyAfterDays=30)
    rules = rotation.desired_config(NAME, current, lambda_arn=FN + "-v2")[1]
    assert rules == {"ScheduleExpression": "rate(30 days)"}, "never both AutomaticallyAfterDays and ScheduleExpression"


def test_missing_function_or_schedule_is_explained():
    with pytest.raises(rotation.RotationConfigError, match="rotation_lambda is required"):
        rotation.desired_config(NAME, described(lambda_arn=None), days=30)
    with pytest.raises(rotation.RotationConfigError, match="automatically_after_days or schedule_expression"):
        rotation.desired_config(NAME, described(lambda_arn=None), lambda_arn=FN)
    with pytest.raises(rotation.RotationConfigError, match="mutually exclusive"):
        rotation.desired_config(NAME, described(), days=30, expression="rate(30 days)")


def test_a_secret_rds_owns_needs_no_function():
    # RDS's managed master secret (OwningService rds): RDS rotates it, only the schedule is ours
    managed = {**described(lambda_arn=None), "OwningService": "rds"}
    view, rules = rotation.desired_config(NAME, managed, rate_days=30)
    assert rules == {"ScheduleExpression": "rate(30 days)"} and not view["lambda_arn"]


# --- versions ----------------------------------------------------------------------------------------------------


def test_stuck_pending_is_pending_without_current():
    assert rotation.stuck_pending(described(versions={"v1": ["AWSCURRENT"]})) is None
    assert rotation.stuck_pending(described(versions={"v1": ["AWSCURRENT", "AWSPENDING"]})) is None
    stuck = {"v1": ["AWSCURRENT"], "v2": ["AWSPENDING"], "v0": ["AWSPREVIOUS"]}
    assert rotation.stuck_pending(described(versions=stuck)) == "v2"
    assert rotation.version_with(described(versions=stuck), "AWSPREVIOUS") == "v0"


@pytest.mark.parametrize(
    "versions, done",
    [
        ({"v1": ["AWSCURRENT"]}, False),  # not started yet
        ({"v1": ["AWSCURRENT"], "v2": ["AWSPENDING"]}, False),  # running (or stuck)
        ({"v1": ["AWSPREVIOUS"], "v2": ["AWSCURRENT", "AWSPENDING"]}, True),  # finishSecret done
        ({"v1": ["AWSPREVIOUS"], "v2": ["AWSCURRENT"]}, True),
        ({"v1": ["AWSPREVIOUS"], "v2": ["AWSCURRENT"], "v3": ["AWSPENDING"]}, False),
    ],
)
def test_rotation_progress(versions, done):
    assert rotation.rotation_progress(described(versions=versions), "v1")["done"] is done


def test_timeout_message_names_secret_version_and_stage():
    progress = {"done": False, "current": "v1", "pending": "v2"}
    msg = rotation.rotation_timeout_message(NAME, "v1", progress, 300)
    assert NAME in msg and "version v2" in msg and "AWSPENDING" in msg and "300 seconds" in msg
    assert "AWSCURRENT is still on version v1" in msg and "repair_pending" in msg
    msg = rotation.rotation_timeout_message(NAME, "v1", {"done": False, "current": "v1", "pending": None}, 5, "tok")
    assert "no version carries AWSPENDING" in msg and "tok" in msg
