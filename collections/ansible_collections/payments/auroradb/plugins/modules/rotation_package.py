#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: rotation_package
short_description: Build the deployment package of the PostgreSQL rotation function
author:
  - payments platform team (!UNKNOWN)
version_added: 0.2.0
description:
  - Builds a deterministic zip holding the rotation function, the CA bundle it verifies the database
    certificate with (as C(rds-global-bundle.pem)) and the pure-Python PostgreSQL driver C(pg8000) with its
    dependencies at exact pinned versions, copied from the Python that runs this module.
  - The same sources always give byte-identical bytes, so C(amazon.aws.lambda) sees the same code hash and a
    re-run never updates the function.
  - The zip is a local build artefact, written even in check mode (the Lambda task needs it to compare hashes);
    the module never reports a change.
options:
  src:
    description: Path of the rotation function's source file (C(postgres_single_user.py)).
    type: path
    required: true
  ca_bundle:
    description:
      - PEM file of the CA certificates that sign the database server certificate. On AWS this is the RDS
        global bundle (U(https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem)); on the local
        cloud, the local cloud's CA.
    type: path
    required: true
  dest:
    description:
      - Where to write the zip. Default a content-addressed file in the system's temporary directory.
    type: path
requirements:
  - pg8000, scramp, asn1crypto, python-dateutil and six installed at the pinned versions (requirements.txt)
notes:
  - On a host whose connection is C(local) (this collection's inventories), the collection's action plugin of the
    same name runs this module's code in the controller's worker, without starting a module process; the driver is
    then copied from the controller's Python, which the inventories also make the modules' interpreter
    (C(ansible_python_interpreter=ansible_playbook_python)). On any other connection the module runs on the host.
"""

EXAMPLES = r"""
- name: Build the rotation function's package
  payments.auroradb.rotation_package:
    src: "{{ role_path }}/files/rotation/postgres_single_user.py"
    ca_bundle: /etc/ssl/rds-global-bundle.pem
  register: package
"""

RETURN = r"""
path:
  description: Path of the zip.
  returned: success
  type: str
  sample: /tmp/payments-auroradb-rotation-3f1c2a9b0d6e4f71.zip
code_sha256:
  description: Base64 SHA-256 of the zip, as Lambda reports it in C(CodeSha256).
  returned: success
  type: str
handler:
  description: The Lambda handler of the function in the package.
  returned: success
  type: str
  sample: postgres_single_user.lambda_handler
size:
  description: Size of the zip in bytes.
  returned: success
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.payments.auroradb.plugins.module_utils.rotation_package import (
    ARGUMENT_SPEC,
    PackageError,
    package,
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        result = package(module.params)
    except PackageError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
