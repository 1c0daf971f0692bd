#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: posture_report
short_description: Check a deployed payments Aurora stack against AWS Security Hub controls and PCI DSS items
author:
  - payments platform team (!UNKNOWN)
version_added: 0.3.0
description:
  - Read-only. One entry per control, with status C(pass), C(fail), C(not_applicable) or C(waived) and the reason.
  - "Security Hub controls (id C(securityhub.<CONTROL>)): RDS.2, 4, 6, 7, 9, 12, 13, 15, 16, 19, 20, 21, 22, 24, 27,
    28, 37, 46, 50; KMS.3, 4, 5; SecretsManager.1, 2, 4, 5; CloudWatch.15, 16, 17; Lambda.1, 2, 3, 5; EC2.2, 6."
  - "PCI DSS items no control covers (id C(pci.<name>)): C(pci.force_ssl) (Security Hub's RDS.38 skips cluster
    members), C(pci.pgaudit), C(pci.log_retention_365), C(pci.backup_retention) (35 days)."
  - The expected value of each control is fixed by the control (Security Hub's default parameters), never by the
    inventory variable it checks. An inventory relaxes a control by waiving it (O(waivers)) - a failing waived control
    is reported C(waived) with the waiver's reason; a waived control that passes is reported C(pass) and listed in
    RV(summary), key C(unused_waivers).
  - The secret checked is the cluster's RDS-managed master secret when it has one, else the stack's secret; the
    Lambda controls are C(not_applicable) when RDS manages the secret and no rotation function exists. The
    secret's value is never read.
  - The module does not fail when a control fails (the play prints every entry first); it fails when AWS cannot be
    read or O(waivers) names an unknown control or gives no reason.
options:
  names:
    description:
      - Every resource name of the stack, as C(payments.auroradb.validate_inputs) returns them (C(auroradb_names)).
      - Uses C(vpc), C(cluster), C(kms_alias), C(secret), C(rotation_function), C(rotation_log_group), the four
        event subscription names and every name ending in C(_alarm).
    type: dict
    required: true
  alarm_names:
    description:
      - Every alarm of the stack (CloudWatch.15 and .17 check each); default the two of O(names) (C(cpu_alarm),
        C(storage_alarm)). The monitoring role's verify entry point publishes the list
        (C(auroradb_monitoring_alarm_names)).
    type: list
    elements: str
  waivers:
    description:
      - Control id -> why this inventory relaxes it (for example a dev environment without deletion protection).
    type: dict
    default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Report the posture of the dev stack
  payments.auroradb.posture_report:
    names: "{{ auroradb_names }}"
    waivers:
      securityhub.RDS.7: dev is rebuilt at will; no deletion protection
  register: posture
"""

RETURN = r"""
controls:
  description: One entry per control, in a stable order.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: C(securityhub.<CONTROL>) or C(pci.<name>).
      type: str
      sample: securityhub.RDS.7
    title:
      description: What the control asks.
      type: str
    status:
      description: C(pass), C(fail), C(not_applicable) or C(waived).
      type: str
    reason:
      description: What was found (with the waiver's reason when waived).
      type: str
    waiver:
      description: The waiver's reason (only when waived).
      type: str
lines:
  description:
    - One printable line per control (C(PASS   securityhub.RDS.7  deletion protection on)), then a count per status.
  returned: always
  type: list
  elements: str
summary:
  description: Counts per status, and the ids failed, waived, and waived needlessly (the control passes).
  returned: always
  type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.payments.auroradb.plugins.module_utils import posture
from ansible_collections.payments.auroradb.plugins.module_utils.errors import failure


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            names=dict(type="dict", required=True),
            alarm_names=dict(type="list", elements="str"),
            waivers=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    names, waivers = module.params["names"], module.params["waivers"] or {}
    problems = posture.waiver_problems(waivers)
    missing = [key for key in posture.NAMES if key not in names]
    if missing:
        problems.append(f"names lacks {', '.join(missing)}: pass auroradb_names from the preflight role")
    if problems:
        module.fail_json(msg="; ".join(problems))
    clients = {
        service: module.client(service, retry_decorator=AWSRetry.jittered_backoff()) for service in posture.SERVICES
    }
    try:
        facts = posture.gather(clients, names, module.params["alarm_names"])
    except AnsibleAWSError as e:
        module.fail_json(**failure(e))
    controls = posture.evaluate(facts, names, waivers, alarm_names=module.params["alarm_names"])
    module.exit_json(
        changed=False,
        controls=controls,
        lines=[posture.line(c) for c in controls] + [posture.summary_line(controls)],
        summary=posture.summary(controls),
    )


if __name__ == "__main__":
    main()
