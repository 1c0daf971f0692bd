#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aurora_master_user_secret
short_description: Let RDS manage an Aurora cluster's master password in Secrets Manager, or stop it
author:
  - payments platform team (!UNKNOWN)
version_added: 0.3.0
description:
  - With O(managed=true), turns on C(ManageMasterUserPassword) on an existing DB cluster (C(ModifyDBCluster),
    applied immediately) with the secret encrypted with O(kms_key_id). RDS generates a new master password, keeps
    it in a secret it owns (C(MasterUserSecret)) and rotates it. The password the cluster was created with stops
    working.
  - C(amazon.aws.rds_cluster) 11.4 has no C(ManageMasterUserPassword) option, so the collection creates the cluster
    with a one-time random password and hands it to RDS with this module once the cluster is available.
  - With O(managed=false) on a cluster whose password RDS manages, sets O(master_user_password) and RDS deletes its
    secret.
  - With O(reset_password=true) and O(managed=false), sets O(master_user_password) also on a cluster whose password
    RDS does not manage (a cluster restored from another environment's backups takes its own environment's password).
  - RDS cannot change the key of a secret it already manages; a different O(kms_key_id) is then reported as a
    warning and in RV(kms_key_id), not changed.
  - Supports check mode and diff mode.
options:
  cluster_identifier:
    description: The DB cluster; it must exist.
    type: str
    required: true
  managed:
    description: Whether RDS manages the master password in Secrets Manager.
    type: bool
    required: true
  kms_key_id:
    description:
      - KMS key (ARN, ID or alias) of the managed secret, when management is turned on. Without it RDS uses the AWS
        managed key C(aws/secretsmanager).
    type: str
  master_user_password:
    description: The master password to set when management is turned off (O(managed=false)); required then.
    type: str
  reset_password:
    description: With O(managed=false), set O(master_user_password) even when RDS does not manage the password.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Hand the master password to RDS, its secret encrypted with the stack's key
  payments.auroradb.aurora_master_user_secret:
    cluster_identifier: payment-db-cluster-prod
    managed: true
    kms_key_id: arn:aws:kms:eu-west-1:123456789012:key/0b0e1c6a-1111-2222-3333-444455556666
  register: master_secret
  until: master_secret.secret_status in ['', 'active']
  retries: 60
  delay: 10
"""

RETURN = r"""
managed:
  description: Whether RDS manages the master password after the task (as wanted, in check mode too).
  returned: always
  type: bool
secret_arn:
  description: ARN of the secret RDS manages (C(MasterUserSecret.SecretArn)); empty when none (yet, in check mode).
  returned: always
  type: str
secret_status:
  description: C(MasterUserSecret.SecretStatus) (C(creating), C(active), C(rotating), C(impaired)); empty when none.
  returned: always
  type: str
kms_key_id:
  description: Key of the managed secret as RDS reports it; empty when none.
  returned: always
  type: str
change:
  description: The ModifyDBCluster settings sent (or that would be sent), the password left out; empty when none.
  returned: always
  type: dict
  sample: {"ManageMasterUserPassword": true, "MasterUserSecretKmsKeyId": "arn:aws:kms:..."}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.payments.auroradb.plugins.module_utils import rds
from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError, run


def ensure(module, client):
    """Compare, then act: the result (``changed``, ``managed``, ``secret_arn``, ``secret_status``, ...)."""
    params = module.params
    name, managed, key = params["cluster_identifier"], params["managed"], params["kms_key_id"]
    cluster = rds.describe_cluster(client, name)
    if cluster is None:
        raise AuroraDbError(f"DB cluster {name} does not exist; create it first (amazon.aws.rds_cluster)")
    try:
        change = rds.master_user_secret_change(
            cluster, managed, key, params["master_user_password"], params["reset_password"]
        )
    except ValueError as e:
        raise AuroraDbError(f"DB cluster {name}: master_user_password is required: {e}") from None
    before = cluster.get("MasterUserSecret") or {}
    if managed and before.get("SecretArn") and key and not rds.same_key(before.get("KmsKeyId"), key):
        module.warn(
            f"The master secret of {name} is encrypted with {before.get('KmsKeyId') or 'aws/secretsmanager'}, not"
            f" {key}: RDS cannot change the key of a secret it manages (turn management off and on again to move it)"
        )
    after = before
    if change and not module.check_mode:
        after = rds.modify_master_user_secret(client, name, change).get("MasterUserSecret") or {}
    elif change:
        after = {"KmsKeyId": key or ""} if managed else {}
    result = {
        "changed": bool(change),
        "managed": managed,
        "secret_arn": after.get("SecretArn", ""),
        "secret_status": after.get("SecretStatus", ""),
        "kms_key_id": after.get("KmsKeyId", ""),
        "change": {k: v for k, v in change.items() if k != "MasterUserPassword"},
    }
    if module._diff:
        result["diff"] = {
            "before": {"managed": bool(before.get("SecretArn")), "kms_key_id": before.get("KmsKeyId", "")},
            "after": {"managed": managed, "kms_key_id": result["kms_key_id"]},
        }
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            cluster_identifier=dict(type="str", required=True),
            managed=dict(type="bool", required=True),
            kms_key_id=dict(type="str", no_log=False),
            master_user_password=dict(type="str", no_log=True),
            reset_password=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    run(module, "rds", ensure)


if __name__ == "__main__":
    main()
