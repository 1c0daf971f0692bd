# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Show progress of long waits: each retry of a task that returns ``progress`` prints one line."""

from __future__ import annotations

DOCUMENTATION = r"""
name: progress
type: aggregate
short_description: print progress lines while a task retries
author:
  - payments platform team (!UNKNOWN)
description:
  - When a task polls with C(until)/C(retries) and its result carries a C(progress) string
    (for example C(2/3 instances available)), print that string on every retry, so long waits
    show where they are instead of a bare countdown.
requirements:
  - enable in ansible.cfg with C(callbacks_enabled = payments.auroradb.progress)
"""

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "payments.auroradb.progress"
    CALLBACK_NEEDS_ENABLED = True

    def v2_runner_retry(self, result):
        progress = result._result.get("progress")
        if progress:
            host = result._host.get_name()
            attempt = result._result.get("attempts")
            suffix = f" (check {attempt})" if attempt else ""
            self._display.display(f"  [{host}] {result._task.get_name()}: {progress}{suffix}", color="cyan")
