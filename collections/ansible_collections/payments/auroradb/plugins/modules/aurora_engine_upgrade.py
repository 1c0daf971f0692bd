#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aurora_engine_upgrade
short_description: Upgrade an Aurora cluster to a later minor engine version, or refuse what RDS cannot do in place
author:
  - payments platform team (!UNKNOWN)
version_added: 0.3.0
description:
  - Compares the cluster's engine version with O(engine_version) and the upgrade targets RDS offers from it
    (C(DescribeDBEngineVersions) C(ValidUpgradeTarget)), then sends C(ModifyDBCluster) C(EngineVersion), applied
    immediately, when the target is a later minor version RDS offers. The cluster and every instance upgrade; wait
    for them with M(payments.auroradb.aurora_instances_wait).
  - Refuses, before any change, a major version (the message points to a blue/green deployment), a downgrade (RDS
    never downgrades) and a version RDS does not offer from the current one (the message lists those it offers).
  - The same version is no change.
  - Supports check mode and diff mode.
options:
  cluster_identifier:
    description: The DB cluster; it must exist.
    type: str
    required: true
  engine_version:
    description: The engine version to run, for example C(15.8).
    type: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Upgrade to 15.8 (a later minor version of 15)
  payments.auroradb.aurora_engine_upgrade:
    cluster_identifier: payment-db-cluster-prod
    engine_version: "15.8"
"""

RETURN = r"""
previous_version:
  description: The engine version the cluster ran before the task.
  returned: success
  type: str
  sample: "15.7"
engine_version:
  description: The engine version asked for (the cluster's after the upgrade).
  returned: success
  type: str
  sample: "15.8"
minor_targets:
  description: The later minor versions RDS offers from the previous version, oldest first.
  returned: success
  type: list
  elements: str
  sample: ["15.8"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.payments.auroradb.plugins.module_utils import rds
from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError, run


def ensure(module, client):
    """Plan, then upgrade: the result (``changed``, ``previous_version``, ``engine_version``, ``minor_targets``)."""
    name, target = module.params["cluster_identifier"], module.params["engine_version"]
    cluster = rds.describe_cluster(client, name)
    if cluster is None:
        raise AuroraDbError(f"DB cluster {name} does not exist")
    current = cluster["EngineVersion"]
    described = rds.describe_engine_version(client, cluster["Engine"], current) or {}
    try:
        plan = rds.upgrade_plan(current, target, described.get("ValidUpgradeTarget") or [])
    except rds.UpgradeRefused as e:
        raise AuroraDbError(f"DB cluster {name}: {e}", previous_version=current, engine_version=target) from None
    if plan["upgrade"] and not module.check_mode:
        rds.modify_engine_version(client, name, target)
    result = {
        "changed": plan["upgrade"],
        "previous_version": current,
        "engine_version": target,
        "minor_targets": plan["minor_targets"],
    }
    if module._diff:
        result["diff"] = {"before": {"engine_version": current}, "after": {"engine_version": target}}
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            cluster_identifier=dict(type="str", required=True),
            engine_version=dict(type="str", required=True),
        ),
        supports_check_mode=True,
    )
    run(module, "rds", ensure)


if __name__ == "__main__":
    main()
