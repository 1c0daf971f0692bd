#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aurora_cluster_log_exports
short_description: Set the log types an existing Aurora cluster exports to CloudWatch Logs
author:
  - payments platform team (!UNKNOWN)
version_added: 0.2.0
description:
  - Enables the listed log types and disables the others on an existing DB cluster, with one C(ModifyDBCluster)
    call (C(CloudwatchLogsExportConfiguration)) when they differ.
  - C(amazon.aws.rds_cluster) 11.4 sets O(log_exports) when it creates a cluster but never on an existing one (its
    modify options drop C(EnableCloudwatchLogsExports)), so a log export removed by hand would stay removed.
  - "With O(iam_database_authentication), the same call turns IAM database authentication on or off: amazon.aws's
    rds_cluster 11.4 sets it at creation but fails on an existing cluster when it is given (it looks for
    C(EnableIAMDatabaseAuthentication) in the DescribeDBClusters answer, which says
    C(IAMDatabaseAuthenticationEnabled))."
  - Supports check mode and diff mode (the log types, and the IAM setting when given, before and after).
options:
  cluster_identifier:
    description: The DB cluster; it must exist.
    type: str
    required: true
  log_exports:
    description: Every log type to export (for Aurora PostgreSQL C(postgresql)); an empty list exports none.
    type: list
    elements: str
    required: true
  iam_database_authentication:
    description: IAM database authentication on the cluster (left as it is when not given).
    type: bool
    version_added: 0.3.0
  apply_immediately:
    description: Apply now rather than in the next maintenance window.
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Export the PostgreSQL log
  payments.auroradb.aurora_cluster_log_exports:
    cluster_identifier: payment-db-cluster-dev
    log_exports: [postgresql]
"""

RETURN = r"""
log_exports:
  description: The log types exported after the task (as wanted, in check mode too).
  returned: always
  type: list
  elements: str
  sample: [postgresql]
change:
  description: The C(CloudwatchLogsExportConfiguration) sent (or that would be sent); empty when nothing changes.
  returned: always
  type: dict
  sample: {"EnableLogTypes": ["postgresql"]}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.payments.auroradb.plugins.module_utils import rds
from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError, run


def ensure(module, client):
    """Compare, then act: the result (``changed``, ``log_exports``, ``change``, ``diff``)."""
    name, wanted = module.params["cluster_identifier"], sorted(set(module.params["log_exports"]))
    cluster = rds.describe_cluster(client, name)
    if cluster is None:
        raise AuroraDbError(f"DB cluster {name} does not exist; create it first (amazon.aws.rds_cluster)")
    current = sorted(cluster.get("EnabledCloudwatchLogsExports") or [])
    change = rds.log_exports_change(current, wanted)
    before, after = {"log_exports": current}, {"log_exports": wanted}
    iam = module.params["iam_database_authentication"]
    extra = {}
    if iam is not None:
        live = cluster.get("IAMDatabaseAuthenticationEnabled") is True
        before["iam_database_authentication"], after["iam_database_authentication"] = live, iam
        if live != iam:
            extra["EnableIAMDatabaseAuthentication"] = iam
    if (change or extra) and not module.check_mode:
        rds.modify_log_exports(client, name, change, module.params["apply_immediately"], **extra)
    result = {"changed": bool(change or extra), "log_exports": wanted, "change": change}
    if module._diff:
        result["diff"] = {"before": before, "after": after}
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            cluster_identifier=dict(type="str", required=True),
            log_exports=dict(type="list", elements="str", required=True),
            iam_database_authentication=dict(type="bool"),
            apply_immediately=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    run(module, "rds", ensure)


if __name__ == "__main__":
    main()
