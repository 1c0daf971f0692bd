# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Base of the action plugins that run a module's own code in the controller's worker on a local connection.

Starting a module costs about a second of CPU (a Python process, its module_utils unpacked from a zip and compiled
again on every run). A module that makes no AWS call and only touches files of the host it runs on can skip that
when the host *is* the controller (connection ``local``, how this collection's inventories run: AWS is called from
the controller): its action plugin validates the task's arguments with the module's own argument spec and calls
the module's own function from module_utils. On any other connection the module runs on its host as usual.
"""

from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

LOCAL_TRANSPORT = "local"  # the transport of ansible.builtin.local


class LocalActionFailed(Exception):
    """The module would fail_json: ``args[0]`` is the message, ``extra`` the other result keys."""

    def __init__(self, msg, **extra):
        super().__init__(msg)
        self.extra = extra


class LocalModuleAction(ActionBase):
    """Subclasses set ARGUMENT_SPEC (the module's) and implement compute(params) -> the module's result dict.

    compute() fails the task by raising LocalActionFailed, or one of ERRORS (the module's own exception types, whose
    message is the module's fail_json message).
    """

    TRANSFERS_FILES = False
    ARGUMENT_SPEC: dict = {}
    ERRORS: tuple = ()

    def compute(self, params: dict) -> dict:
        raise NotImplementedError

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        if self._connection.transport != LOCAL_TRANSPORT:
            result.update(self._execute_module(task_vars=task_vars))
            return result
        checked = ArgumentSpecValidator(self.ARGUMENT_SPEC).validate(self._task.args)
        if checked.error_messages:
            result.update(failed=True, msg="; ".join(checked.error_messages))
            return result
        try:
            result.update(self.compute(checked.validated_parameters))
        except LocalActionFailed as exc:
            result.update(exc.extra, failed=True, msg=str(exc))
        except self.ERRORS as exc:
            result.update(failed=True, msg=str(exc))
        return result
