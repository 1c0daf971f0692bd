# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The result of a module that converges a list of resources one by one (log_groups, rds_event_subscriptions)."""

from __future__ import annotations


def converge_each(module, client, items, ensure_one, key: str) -> dict:
    """Run ``ensure_one(module, client, item) -> (changed, before, after)`` for every item; the module's result:
    ``changed``, ``key`` (every resource as it is after the task, absent ones left out) and, under ``--diff``, the
    resources before and after."""
    changed, befores, afters = False, [], []
    for item in items:
        one_changed, before, after = ensure_one(module, client, item)
        changed |= one_changed
        befores.append(before)
        afters.append(after)
    result = {"changed": changed, key: [after for after in afters if after is not None]}
    if module._diff:
        result["diff"] = {"before": {key: [b for b in befores if b is not None]}, "after": {key: result[key]}}
    return result
