#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aurora_restore
short_description: Create an Aurora cluster from another cluster's backups (point in time, clone or snapshot)
author:
  - payments platform team (!UNKNOWN)
version_added: 0.3.0
description:
  - When O(cluster_identifier) does not exist, creates it from the backups of O(source_cluster_identifier) as of
    O(restore_time) (C(RestoreDBClusterToPointInTime); C(latest) is the latest restorable time, and with
    O(restore_type=copy-on-write) a clone), or from the cluster snapshot O(snapshot_identifier)
    (C(RestoreDBClusterFromSnapshot); the source cluster may be gone). The new cluster gets this environment's
    subnet group, security groups, KMS key, parameter group, port, log exports, IAM authentication, deletion
    protection and tags; RDS copies the rest from the source, and the data and the master password are the
    source's as of that time. No instance is created (create them as for any cluster).
  - Refuses, before any change, a time outside the source's restorable window (C(EarliestRestorableTime) ..
    C(LatestRestorableTime)), naming the window; a time in the last minutes, which the backups do not reach yet,
    answers RV(done=false) until they do (or O(timeout) passes, then call it again), so a task can poll with a
    progress line. A snapshot must exist and be available.
  - An existing O(cluster_identifier) is no change (a restore happens once; the source is not read).
  - Supports check mode (the same checks, no restore).
options:
  cluster_identifier:
    description: The DB cluster to create.
    type: str
    required: true
  source_cluster_identifier:
    description: The DB cluster whose backups are restored (a point in time); with O(snapshot_identifier), the
      cluster the snapshot must belong to (it may be gone).
    type: str
    required: true
  restore_time:
    description:
      - A UTC time in ISO 8601 form (V(2026-12-03T07:45:00Z)) or V(latest). Exactly one of O(restore_time) and
        O(snapshot_identifier).
    type: str
    default: ""
  snapshot_identifier:
    description: A DB cluster snapshot of O(source_cluster_identifier) to restore.
    type: str
    default: ""
  restore_type:
    description:
      - V(full-copy), or V(copy-on-write) for a clone (with O(restore_time=latest) only; RDS takes no time with it).
    type: str
    choices: [full-copy, copy-on-write]
    default: full-copy
  timeout:
    description: Seconds this call waits for the backups to reach O(restore_time) before answering RV(done=false).
    type: int
    default: 10
  db_subnet_group_name:
    description: The DB subnet group of the new cluster.
    type: str
  vpc_security_group_ids:
    description: The VPC security groups of the new cluster.
    type: list
    elements: str
  kms_key_id:
    description: The KMS key that encrypts the new cluster's storage.
    type: str
  db_cluster_parameter_group_name:
    description: The cluster parameter group of the new cluster.
    type: str
  port:
    description: The port of the new cluster.
    type: int
  enable_cloudwatch_logs_exports:
    description: The log types the new cluster exports.
    type: list
    elements: str
  enable_iam_database_authentication:
    description: Whether IAM database authentication is on.
    type: bool
  deletion_protection:
    description: Whether deletion protection is on.
    type: bool
  copy_tags_to_snapshot:
    description: Whether the cluster's tags are copied to its snapshots.
    type: bool
  tags:
    description: Tags of the new cluster.
    type: dict
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Restore prod as it was at 07:45 UTC into the drill environment's cluster
  payments.auroradb.aurora_restore:
    cluster_identifier: payment-db-cluster-drill
    source_cluster_identifier: payment-db-cluster-prod
    restore_time: "2026-12-03T07:45:00Z"
    kms_key_id: "{{ auroradb_kms_outputs.key_arn }}"
  register: restored
  until: restored is failed or restored.done
  retries: 90
  delay: 1
"""

RETURN = r"""
done:
  description: Whether the cluster exists (restored now, before, or would be in check mode); false while waiting for
    the backups to reach the time.
  returned: success
  type: bool
restored:
  description: Whether this call restored the cluster (or would, in check mode).
  returned: success
  type: bool
kind:
  description: C(time), C(latest) or C(snapshot); C(exists) when the cluster already existed.
  returned: success
  type: str
source:
  description: The source cluster, or the snapshot.
  returned: success
  type: str
restore_time:
  description: The point in time restored (ISO 8601 UTC); empty for C(latest) and snapshots.
  returned: success
  type: str
window:
  description: The source's restorable window when a time was asked for (C(earliest), C(latest)).
  returned: success
  type: dict
message:
  description: What happened, or what is awaited.
  returned: success
  type: str
"""

import datetime
import time

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.payments.auroradb.plugins.module_utils import rds, restore
from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError, run


def _snapshot_source(client, params):
    name = params["snapshot_identifier"]
    snapshot = rds.describe_cluster_snapshot(client, name)
    if snapshot is None:
        raise AuroraDbError(f"DB cluster snapshot {name} does not exist")
    if snapshot.get("DBClusterIdentifier") != params["source_cluster_identifier"]:
        raise AuroraDbError(
            f"DB cluster snapshot {name} is a snapshot of {snapshot.get('DBClusterIdentifier')}, not of"
            f" {params['source_cluster_identifier']}"
        )
    if snapshot.get("Status") != "available":
        raise AuroraDbError(f"DB cluster snapshot {name} is {snapshot.get('Status')}, not available")
    return snapshot


def _cluster_source(client, module, kind):
    """The source cluster once the wanted time is restorable; None while the backups do not reach it yet."""
    params = module.params
    name = params["source_cluster_identifier"]
    deadline = time.monotonic() + max(params["timeout"], 0)
    while True:
        source = rds.describe_cluster(client, name)
        if source is None:
            raise AuroraDbError(f"DB cluster {name} (the restore's source) does not exist")
        if kind == restore.LATEST:
            return source, {}, "the latest restorable time"
        earliest = restore.as_utc(source.get("EarliestRestorableTime"))
        latest = restore.as_utc(source.get("LatestRestorableTime"))
        window = {"earliest": restore.iso(earliest), "latest": restore.iso(latest)}
        verdict, why = restore.window_verdict(
            restore.parse_time(params["restore_time"]), earliest, latest, datetime.datetime.now(datetime.UTC)
        )
        if verdict == "refuse":
            raise AuroraDbError(f"Cannot restore {name}: {why}", window=window)
        if verdict == "restore" or time.monotonic() >= deadline:
            return (source if verdict == "restore" else None), window, why
        time.sleep(min(2.0, max(deadline - time.monotonic(), 0.1)))


def ensure(module, client):
    params = module.params
    name = params["cluster_identifier"]
    result = {"changed": False, "done": True, "restored": False, "source": "", "restore_time": "", "window": {}}
    if rds.describe_cluster(client, name) is not None:
        return dict(result, kind="exists", message=f"DB cluster {name} exists: nothing to restore")
    try:
        kind = restore.restore_kind(params["restore_time"], params["snapshot_identifier"], params["restore_type"])
    except ValueError as e:
        raise AuroraDbError(f"Cannot restore {name}: {e}") from None
    result["kind"] = kind
    if kind == "snapshot":
        source = _snapshot_source(client, params)
        result.update(source=params["snapshot_identifier"], message=f"from snapshot {params['snapshot_identifier']}")
    else:
        source, window, why = _cluster_source(client, module, kind)
        result.update(source=params["source_cluster_identifier"], window=window, message=why)
        if kind == "time":
            result["restore_time"] = restore.iso(restore.parse_time(params["restore_time"]))
        if source is None:
            return dict(result, done=False)
    request = restore.restore_request(kind, params, source, params["restore_time"])
    if not module.check_mode:
        if kind == "snapshot":
            rds.restore_cluster_from_snapshot(client, name, request)
        else:
            rds.restore_cluster_to_point_in_time(client, name, request)
    return dict(result, changed=True, restored=True)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            cluster_identifier=dict(type="str", required=True),
            source_cluster_identifier=dict(type="str", required=True),
            restore_time=dict(type="str", default=""),
            snapshot_identifier=dict(type="str", default=""),
            restore_type=dict(type="str", default="full-copy", choices=list(restore.RESTORE_TYPES)),
            timeout=dict(type="int", default=10),
            db_subnet_group_name=dict(type="str"),
            vpc_security_group_ids=dict(type="list", elements="str"),
            kms_key_id=dict(type="str", no_log=False),
            db_cluster_parameter_group_name=dict(type="str"),
            port=dict(type="int"),
            enable_cloudwatch_logs_exports=dict(type="list", elements="str"),
            enable_iam_database_authentication=dict(type="bool"),
            deletion_protection=dict(type="bool"),
            copy_tags_to_snapshot=dict(type="bool"),
            tags=dict(type="dict"),
        ),
        supports_check_mode=True,
    )
    run(module, "rds", ensure)


if __name__ == "__main__":
    main()
