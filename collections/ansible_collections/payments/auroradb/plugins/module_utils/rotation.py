# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Rotation schedule of a Secrets Manager secret: normalisation and comparison (pure, no AWS).

What ``payments.auroradb.secret_rotation`` compares is a *view* of the rotation configuration::

    {"enabled": bool, "lambda_arn": str | None, "schedule_expression": str | None,
     "automatically_after_days": int | None, "duration": str | None}

``schedule_expression`` is always canonical (``rate(30 days)``, ``rate(1 day)``, ``cron(0 16 1,15 * ? *)``), so
``automatically_after_days: 30`` and ``rate( 30 days )`` give the same view; ``automatically_after_days`` is set
whenever the schedule is a rate in days. Lambda ARNs are compared without their qualifier (version or alias), so
``...:function:name`` and ``...:function:name:3`` or ``...:function:name:$LATEST`` name the same function.

The helpers about versions read ``VersionIdsToStages`` of a DescribeSecret answer; none of them needs a value.
"""

from __future__ import annotations

import re

from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError

CURRENT_STAGE = "AWSCURRENT"
PENDING_STAGE = "AWSPENDING"
MAX_DAYS = 1000
MAX_DURATION_HOURS = 24


class RotationConfigError(AuroraDbError, ValueError):
    """The requested rotation configuration is not valid (raised before anything is sent)."""


# ---------------------------------------------------------------------------------------------------------------
# Lambda ARNs
# ---------------------------------------------------------------------------------------------------------------

_FUNCTION_ARN = re.compile(r"^(?P<function>arn:[^:]+:lambda:[^:]*:[^:]*:function:[^:]+)(?::(?P<qualifier>[^:]+))?$")


def function_arn(arn):
    """The unqualified ARN of a Lambda function ARN (version or alias qualifier dropped); other strings as given."""
    if not arn:
        return None
    match = _FUNCTION_ARN.match(arn.strip())
    return match.group("function") if match else arn.strip()


def same_function(a, b):
    """Whether two Lambda ARNs (qualified or not) name the same function."""
    return function_arn(a) == function_arn(b)


# ---------------------------------------------------------------------------------------------------------------
# Schedules and windows
# ---------------------------------------------------------------------------------------------------------------

_RATE = re.compile(r"^rate\(\s*(?P<value>\d+)\s+(?P<unit>days?|hours?)\s*\)$", re.IGNORECASE)
_CRON = re.compile(r"^cron\((?P<fields>.*)\)$", re.IGNORECASE | re.DOTALL)
_DURATION = re.compile(r"^(?P<hours>\d+)\s*h$", re.IGNORECASE)


def rate_expression(value, unit="day"):
    """``rate(N days)`` / ``rate(1 day)``: the singular for 1, as AWS requires."""
    return f"rate({value} {unit}{'' if value == 1 else 's'})"


def days_expression(days, option="automatically_after_days"):
    """The canonical expression ``rate(N days)`` of ``automatically_after_days`` (or ``rotation_days``)."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise RotationConfigError(f"{option} must be a whole number from 1 to {MAX_DAYS}, got {days!r}")
    return rate_expression(days)


def normalise_schedule(expression):
    """Canonical form of a rotation schedule expression; ``RotationConfigError`` when it is neither rate nor cron.

    ``rate( 30 DAYS )`` becomes ``rate(30 days)``, ``rate(1 days)`` becomes ``rate(1 day)``; the fields of a cron
    expression are kept as written, separated by single spaces.
    """
    if expression is None:
        return None
    text = str(expression).strip()
    match = _RATE.match(text)
    if match:
        value = int(match.group("value"))
        unit = match.group("unit").lower().rstrip("s")
        if value < 1:
            raise RotationConfigError(f"schedule_expression {expression!r}: the rate must be at least 1")
        if unit == "day" and value > MAX_DAYS:
            raise RotationConfigError(f"schedule_expression {expression!r}: at most {MAX_DAYS} days")
        return rate_expression(value, unit)
    match = _CRON.match(text)
    if match:
        fields = match.group("fields").split()
        if len(fields) != 6:
            raise RotationConfigError(
                f"schedule_expression {expression!r}: a cron expression has 6 fields (minutes hours day-of-month"
                f" month day-of-week year), got {len(fields)}"
            )
        return f"cron({' '.join(fields)})"
    raise RotationConfigError(
        f"schedule_expression {expression!r} is neither rate(N days), rate(N hours) nor cron(...) of 6 fields"
    )


def schedule_days(expression):
    """N for a canonical ``rate(N day[s])``, else ``None``."""
    match = _RATE.match(expression or "")
    if match and match.group("unit").lower().startswith("day"):
        return int(match.group("value"))
    return None


def normalise_duration(duration):
    """Canonical rotation window (``"3h"``); ``None`` stays ``None``."""
    if duration is None:
        return None
    match = _DURATION.match(str(duration).strip())
    if not match or not 1 <= int(match.group("hours")) <= MAX_DURATION_HOURS:
        raise RotationConfigError(
            f"duration must be a number of hours from 1 to {MAX_DURATION_HOURS} such as '3h', got {duration!r}"
        )
    return f"{int(match.group('hours'))}h"


# ---------------------------------------------------------------------------------------------------------------
# Configuration views
# ---------------------------------------------------------------------------------------------------------------


def config_view(enabled, lambda_arn, schedule, duration):
    return {
        "enabled": bool(enabled),
        "lambda_arn": lambda_arn or None,
        "schedule_expression": schedule,
        "automatically_after_days": schedule_days(schedule),
        "duration": duration,
    }


def current_schedule(rules):
    """Canonical schedule of the RotationRules of a DescribeSecret answer (ScheduleExpression wins)."""
    rules = rules or {}
    expression = rules.get("ScheduleExpression")
    if expression:
        try:
            return normalise_schedule(expression)
        except RotationConfigError:
            return " ".join(expression.split())
    days = rules.get("AutomaticallyAfterDays")
    if days:
        return rate_expression(int(days))
    return None


def current_duration(rules):
    duration = (rules or {}).get("Duration")
    if not duration:
        return None
    try:
        return normalise_duration(duration)
    except RotationConfigError:
        return duration


def current_config(description):
    """The rotation view of a DescribeSecret answer."""
    description = description or {}
    rules = description.get("RotationRules") or {}
    return config_view(
        description.get("RotationEnabled"),
        description.get("RotationLambdaARN"),
        current_schedule(rules),
        current_duration(rules),
    )


def desired_config(name, description, lambda_arn=None, days=None, expression=None, duration=None, rate_days=None):
    """What ``state=present`` asks for: ``(view, rotation_rules)``.

    Options left out keep the secret's current value (lambda, schedule, window). ``rotation_rules`` is what
    RotateSecret receives: ``AutomaticallyAfterDays`` when the schedule comes from ``days`` (or from a current
    schedule without expression), ``ScheduleExpression`` otherwise (``rate_days`` N is sent as ``rate(N days)``),
    never both; ``Duration`` when there is one.
    Raises ``RotationConfigError`` for invalid values or when the function or the schedule is unknown.
    """
    if sum(option is not None for option in (days, expression, rate_days)) > 1:
        raise RotationConfigError(
            "automatically_after_days, rotation_days and schedule_expression are mutually exclusive"
        )
    current = current_config(description)
    current_rules = (description or {}).get("RotationRules") or {}

    function = lambda_arn.strip() if lambda_arn else current["lambda_arn"]
    # A secret another service owns (RDS's managed master secret: OwningService rds) is rotated by that service.
    if not function and not (description or {}).get("OwningService"):
        raise RotationConfigError(f"rotation_lambda is required: secret {name} has no rotation function configured")

    rules = {}
    if days is not None:
        schedule = days_expression(days)
        rules["AutomaticallyAfterDays"] = days
    elif expression is not None or rate_days is not None:
        schedule = normalise_schedule(expression) if rate_days is None else days_expression(rate_days, "rotation_days")
        rules["ScheduleExpression"] = schedule
    elif current["schedule_expression"]:
        schedule = current["schedule_expression"]
        if current_rules.get("ScheduleExpression"):
            rules["ScheduleExpression"] = schedule
        else:
            rules["AutomaticallyAfterDays"] = current["automatically_after_days"]
    else:
        raise RotationConfigError(
            f"automatically_after_days or schedule_expression is required: secret {name} has no rotation schedule"
        )

    window = normalise_duration(duration) if duration is not None else current["duration"]
    if window:
        rules["Duration"] = window
    return config_view(True, function, schedule, window), rules


def config_differs(current, desired):
    """Whether RotateSecret must be sent to get from ``current`` to ``desired`` (both views)."""
    return (
        current["enabled"] != desired["enabled"]
        or not same_function(current["lambda_arn"], desired["lambda_arn"])
        or current["schedule_expression"] != desired["schedule_expression"]
        or current["duration"] != desired["duration"]
    )


# ---------------------------------------------------------------------------------------------------------------
# Versions and stages
# ---------------------------------------------------------------------------------------------------------------


def versions_to_stages(description):
    return (description or {}).get("VersionIdsToStages") or {}


def version_with(description, stage):
    """ID of the version carrying ``stage``, or ``None``."""
    for version_id, stages in versions_to_stages(description).items():
        if stage in (stages or []):
            return version_id
    return None


def stuck_pending(description):
    """ID of a version carrying AWSPENDING but not AWSCURRENT, or ``None``.

    Such a version is left by a rotation that failed, or belongs to a rotation still running: from the labels
    alone the two cannot be told apart. AWSPENDING together with AWSCURRENT on one version is a finished rotation.
    """
    for version_id, stages in versions_to_stages(description).items():
        stages = stages or []
        if PENDING_STAGE in stages and CURRENT_STAGE not in stages:
            return version_id
    return None


def rotation_progress(description, previous_current):
    """Where an on-demand rotation stands: ``{"done", "current", "pending"}``.

    Done when AWSCURRENT has moved away from ``previous_current`` and no version other than the current one
    carries AWSPENDING.
    """
    current = version_with(description, CURRENT_STAGE)
    pending = stuck_pending(description)
    return {
        "done": bool(current) and current != previous_current and pending is None,
        "current": current,
        "pending": pending,
    }


def rotation_timeout_message(name, previous_current, progress, timeout, token=None):
    """Why an on-demand rotation of ``name`` did not finish within ``timeout`` seconds."""
    msg = f"Rotation of secret {name} did not finish within {timeout} seconds:"
    if progress["pending"]:
        msg += f" version {progress['pending']} still carries the stage {PENDING_STAGE}"
        if progress["current"] == previous_current:
            msg += f" and {CURRENT_STAGE} is still on version {previous_current}"
        else:
            msg += f" while {CURRENT_STAGE} is on version {progress['current']}"
    elif progress["current"] == previous_current:
        msg += f" {CURRENT_STAGE} is still on version {previous_current} and no version carries {PENDING_STAGE}"
        if token:
            msg += f" (the rotation function did not create version {token})"
    msg += (
        ". Look at the rotation function's CloudWatch logs. If the rotation failed, run again with"
        " repair_pending=true to clear the stage, then rotate_now=true."
    )
    return msg
