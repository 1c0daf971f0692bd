#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: json_file
short_description: Write a JSON document to a file, or remove the file, only when it differs
author:
  - payments platform team (!UNKNOWN)
version_added: 0.1.0
description:
  - Writes O(content) as indented JSON (sorted keys, a final newline) to O(path), creating its directory, and
    replaces the file atomically only when its text would change; or removes O(path) with O(state=absent).
  - Used for the stack's outputs file and the verify report, which replaced an M(ansible.builtin.file) plus
    M(ansible.builtin.copy) pair (two or three module runs) per file.
options:
  path:
    description: The file.
    type: path
    required: true
  content:
    description: The JSON document (any data structure). Required with O(state=present).
    type: raw
  state:
    description: Write the file, or remove it.
    type: str
    choices: [present, absent]
    default: present
  mode:
    description: The file's permissions, in octal.
    type: str
    default: "0644"
attributes:
  check_mode:
    description: Reports whether the file would change, without writing it.
    support: full
  diff_mode:
    description: The file's text before and after.
    support: full
notes:
  - On a host whose connection is C(local) (this collection's inventories), the collection's action plugin of the
    same name runs this module's code in the controller's worker, without starting a module process; on any other
    connection the module runs on the host.
"""

EXAMPLES = r"""
- name: Write the outputs file
  payments.auroradb.json_file:
    path: "{{ playbook_dir }}/../outputs/dev.json"
    content: "{{ auroradb_outputs }}"
"""

RETURN = r"""
path:
  description: O(path).
  returned: always
  type: str
state:
  description: O(state).
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.payments.auroradb.plugins.module_utils.json_file import (
    ARGUMENT_SPEC,
    JsonFileError,
    converge,
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        result = converge(module.params, check_mode=module.check_mode)
    except JsonFileError as exc:
        module.fail_json(msg=str(exc))
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
