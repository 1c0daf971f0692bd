# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of payments.auroradb.validate_inputs: the same check, without a module process.

Starting a module costs about a second of CPU (a Python process, its module_utils unpacked and compiled), and the
preflight validates seven times per host and run (the plan, then each role's settings). The check makes no AWS
call, so on a local connection (how this collection's inventories run: AWS is called from the controller) it runs
here, in the task's worker, with the module's own argument spec and code (module_utils/inputs.py). On any other
connection the module runs as usual, on the host whose files (the CA bundle) it checks.
"""

from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.payments.auroradb.plugins.module_utils.inputs import ARGUMENT_SPEC, run

LOCAL_TRANSPORT = "local"  # the transport of ansible.builtin.local


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        if self._connection.transport != LOCAL_TRANSPORT:
            result.update(self._execute_module(task_vars=task_vars))
            return result
        checked = ArgumentSpecValidator(ARGUMENT_SPEC).validate(self._task.args)
        if checked.error_messages:
            result.update(failed=True, msg="; ".join(checked.error_messages))
            return result
        problems, values = run(checked.validated_parameters)
        if problems:
            result.update(failed=True, msg="; ".join(problems), problems=problems)
            return result
        result.update(changed=False, problems=[], **values)
        return result
