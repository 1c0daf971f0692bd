#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudwatch_dashboard
short_description: A CloudWatch dashboard with a given body
author:
  - payments platform team (!UNKNOWN)
version_added: 0.3.0
description:
  - O(state=present) writes the dashboard when it is missing or its body differs from O(body) (compared as JSON,
    so key order and spacing do not count); O(state=absent) deletes it.
  - Neither C(amazon.aws) nor C(community.aws) has a dashboard module.
  - Supports check mode and diff mode (the bodies before and after).
options:
  name:
    description: The dashboard's name.
    type: str
    required: true
  body:
    description: The dashboard body, as JSON text or a dict. Required with O(state=present).
    type: raw
  state:
    description: present or absent.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The environment's dashboard
  payments.auroradb.cloudwatch_dashboard:
    name: payment-db-prod
    body: "{{ auroradb_names | payments.auroradb.monitoring_dashboard(instance_ids, 'us-east-1') }}"
"""

RETURN = r"""
name:
  description: The dashboard's name.
  returned: always
  type: str
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.payments.auroradb.plugins.module_utils import cloudwatch
from ansible_collections.payments.auroradb.plugins.module_utils.errors import run


def parsed(body):
    if body is None:
        return None
    return body if isinstance(body, dict) else json.loads(body)


def converge(module, client):
    name, state = module.params["name"], module.params["state"]
    current = parsed(cloudwatch.get_dashboard(client, name))
    if state == "absent":
        if current is not None and not module.check_mode:
            cloudwatch.delete_dashboard(client, name)
        return {"changed": current is not None, "name": name, "diff": {"before": current or {}, "after": {}}}
    wanted = parsed(module.params["body"])
    changed = current != wanted
    if changed and not module.check_mode:
        cloudwatch.put_dashboard(client, name, json.dumps(wanted, sort_keys=True))
    return {"changed": changed, "name": name, "diff": {"before": current or {}, "after": wanted}}


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            body=dict(type="raw"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_if=[("state", "present", ("body",))],
        supports_check_mode=True,
    )
    try:
        parsed(module.params["body"])
    except ValueError as e:
        module.fail_json(msg=f"body is not JSON: {e}")
    run(module, "cloudwatch", converge)


if __name__ == "__main__":
    main()
