# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""payments.auroradb.principal_arn: the IAM principal of a caller ARN (docs: principal_arn.yml)."""

from __future__ import annotations

from ansible_collections.payments.auroradb.plugins.module_utils.names import principal_arn


class FilterModule:
    def filters(self):
        return {"principal_arn": principal_arn}
