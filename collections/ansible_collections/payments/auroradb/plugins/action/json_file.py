# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of payments.auroradb.json_file: the file written without a module process on a local connection.

See plugin_utils/local_action.py. The module's code is module_utils/json_file.py.
"""

from __future__ import annotations

from ansible_collections.payments.auroradb.plugins.module_utils.json_file import (
    ARGUMENT_SPEC,
    JsonFileError,
    converge,
)
from ansible_collections.payments.auroradb.plugins.plugin_utils.local_action import LocalModuleAction


class ActionModule(LocalModuleAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    ERRORS = (JsonFileError,)

    def compute(self, params):
        result = converge(params, check_mode=self._play_context.check_mode)
        if not self._play_context.diff:
            result.pop("diff")
        return result
