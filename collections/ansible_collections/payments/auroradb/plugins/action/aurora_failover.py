# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of payments.auroradb.aurora_failover: on a local connection, the module runs in the worker.

(LocalAWSModuleAction, plugin_utils/local_action.py: its main() without a process of its own.)
"""

from __future__ import annotations

from ansible_collections.payments.auroradb.plugins.modules import aurora_failover
from ansible_collections.payments.auroradb.plugins.plugin_utils.local_action import LocalAWSModuleAction


class ActionModule(LocalAWSModuleAction):
    MODULE = aurora_failover
