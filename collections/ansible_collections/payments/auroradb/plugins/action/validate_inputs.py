# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of payments.auroradb.validate_inputs: the same check, without a module process on a local connection.

The preflight validates seven times per host and run (the plan, then each role's settings) and the check makes no
AWS call: see plugin_utils/local_action.py. The module's code is module_utils/inputs.py.
"""

from __future__ import annotations

from ansible_collections.payments.auroradb.plugins.module_utils.inputs import ARGUMENT_SPEC, run
from ansible_collections.payments.auroradb.plugins.plugin_utils.local_action import (
    LocalActionFailed,
    LocalModuleAction,
)


class ActionModule(LocalModuleAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def compute(self, params):
        problems, values = run(params)
        if problems:
            raise LocalActionFailed("; ".join(problems), problems=problems)
        return dict(changed=False, problems=[], **values)
