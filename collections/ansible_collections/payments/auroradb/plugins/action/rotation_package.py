# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of payments.auroradb.rotation_package: the package, without a module process on a local connection.

The package is built from the collection's files and the CA bundle and written to a file on the host, with no AWS
call: see plugin_utils/local_action.py. The module's code is module_utils/rotation_package.py.
"""

from __future__ import annotations

from ansible_collections.payments.auroradb.plugins.module_utils.rotation_package import (
    ARGUMENT_SPEC,
    PackageError,
    package,
)
from ansible_collections.payments.auroradb.plugins.plugin_utils.local_action import LocalModuleAction


class ActionModule(LocalModuleAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    ERRORS = (PackageError,)

    def compute(self, params):
        return package(params)
