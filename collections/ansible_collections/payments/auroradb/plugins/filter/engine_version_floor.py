# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""payments.auroradb.engine_version_floor: the engine version a run asks for (docs: engine_version_floor.yml)."""

from __future__ import annotations

from ansible_collections.payments.auroradb.plugins.module_utils.rds import engine_version_floor


class FilterModule:
    def filters(self):
        return {"engine_version_floor": engine_version_floor}
