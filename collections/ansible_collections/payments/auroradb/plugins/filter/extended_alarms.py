# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""payments.auroradb.extended_alarms and monitoring_dashboard: the production profile's alarms and dashboard
(docs: extended_alarms.yml, monitoring_dashboard.yml)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.payments.auroradb.plugins.module_utils import alarms


def extended_alarms(names, instance_ids, instance_class="", parameters=None, thresholds=None, names_only=False):
    if names_only:
        return alarms.extended_alarm_names(names, instance_ids)
    try:
        return alarms.extended_alarms(names, instance_ids, instance_class, parameters, thresholds or {})
    except (KeyError, ValueError) as e:
        raise AnsibleFilterError(f"extended_alarms: {e}") from e


def monitoring_dashboard(names, instance_ids, region):
    return alarms.dashboard_body(names, instance_ids, region)


class FilterModule:
    def filters(self):
        return {"extended_alarms": extended_alarms, "monitoring_dashboard": monitoring_dashboard}
