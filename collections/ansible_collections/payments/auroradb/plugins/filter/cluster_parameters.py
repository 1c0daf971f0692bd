# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""payments.auroradb.cluster_parameters: the cluster parameters the aurora role sets (docs: cluster_parameters.yml)."""

from __future__ import annotations

from ansible_collections.payments.auroradb.plugins.module_utils.parameter_groups import cluster_parameters


class FilterModule:
    def filters(self):
        return {"cluster_parameters": cluster_parameters}
