# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible's default output, with one progress line per retry of a wait instead of a ``FAILED - RETRYING`` line."""

from __future__ import annotations

DOCUMENTATION = r"""
name: progress
type: stdout
short_description: default output, with a progress line on each retry of a wait
author:
  - payments platform team (!UNKNOWN)
description:
  - Ansible's default output, except for the retries of a task that polls with C(until)/C(retries).
  - The default output prints C(FAILED - RETRYING) on every retry, which reads as an error during an ordinary
    wait. This callback prints one progress line instead. When the task's result carries a C(progress) string
    (for example C(2/3 instances available)) the line shows it, otherwise it says the task is not done yet, or that
    the attempt failed with its message. Either way with the attempt number and the number of attempts.
  - At verbosity 2 and above the line carries the result, as the default output's does.
  - In diff mode it also shows the diff of a result that reports drift (a non-empty C(drift_lines), as
    C(payments.auroradb.stack_verify) returns) although the task changed nothing, so that C(--check --diff) shows
    the live and the wanted value of every setting changed by hand; the default output shows diffs of changed
    results only.
extends_documentation_fragment:
  - default_callback
  - result_format_callback
requirements:
  - set as the stdout callback, e.g. in ansible.cfg with C(stdout_callback = payments.auroradb.progress)
"""

from ansible.plugins.callback.default import CallbackModule as DefaultCallbackModule


def retry_line(host, task, result, failed=False):
    """The line printed after attempt N of a task on ``host``, before attempt N + 1.

    ``result`` is the attempt's result dict as ansible hands it to ``v2_runner_retry``: ``attempts`` is then the
    number of the NEXT attempt, ``retries`` the number of attempts in all; ``failed``: the attempt failed.
    """
    attempts = result.get("attempts")
    retries = result.get("retries")
    done = attempts - 1 if attempts else None
    if done and retries:
        check = f" (attempt {done} of {retries})"
    elif done:
        check = f" (attempt {done})"
    else:
        check = ""
    progress = result.get("progress")
    if progress:
        state = progress
    elif failed:
        state = f"failed, retrying: {result.get('msg') or 'no message'}"
    else:
        state = "not yet, waiting"
    return f"  [{host}] {task}: {state}{check}"


def shows_drift(result):
    """Whether an unchanged result's diff is shown: it reports drift (``drift_lines``) and carries a diff."""
    return bool(result.get("drift_lines")) and bool(result.get("diff"))


class CallbackModule(DefaultCallbackModule):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "payments.auroradb.progress"

    def v2_on_file_diff(self, result):
        super().v2_on_file_diff(result)
        if result.result.get("changed") or not shows_drift(result.result):
            return
        if self._last_task_banner != result.task._uuid:
            self._print_task_banner(result.task)
        self._display.display(self._get_diff(result.result["diff"]))

    def v2_runner_retry(self, result):
        task = result.task_name or result.task.get_name()
        line = retry_line(result.host.get_name(), task, result.result, result.is_failed())
        if self._run_is_verbose(result, verbosity=2):
            line += f" Result was: {self._dump_results(result.result)}"
        self._display.display(line, color="cyan")
