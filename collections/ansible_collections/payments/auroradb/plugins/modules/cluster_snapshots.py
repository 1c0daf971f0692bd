#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cluster_snapshots
short_description: List an Aurora cluster's snapshots and keep only the newest N of one kind
author:
  - payments platform team (!UNKNOWN)
version_added: 0.3.0
description:
  - Lists every snapshot of the DB cluster (manual and automated; identifier, type, status, creation time, engine
    version and the C(snapshot-kind) tag).
  - With O(keep), deletes the manual, available snapshots whose C(snapshot-kind) tag is O(kind) beyond the O(keep)
    newest. Automated snapshots, and manual ones of another kind or without the tag (a teardown's final snapshot,
    the snapshot taken before an upgrade), are never deleted.
  - Supports check mode (lists what would be deleted).
options:
  cluster_identifier:
    description: The DB cluster whose snapshots are listed (it may be gone; its snapshots stay).
    type: str
    required: true
  kind:
    description: The C(snapshot-kind) tag value of the snapshots O(keep) applies to.
    type: str
    default: manual
  keep:
    description: How many of the newest snapshots of O(kind) to keep; the older ones are deleted. Not given, none is.
    type: int
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Keep the 3 newest manual snapshots of the cluster
  payments.auroradb.cluster_snapshots:
    cluster_identifier: payment-db-cluster-prod
    keep: 3
"""

RETURN = r"""
snapshots:
  description: The cluster's snapshots after the task (in check mode, before), newest first.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "payment-db-manual-prod-20261202101500", "type": "manual", "status": "available",
            "created": "2026-12-02T10:15:02+00:00", "engine_version": "15.7", "kind": "manual", "arn": "arn:..."}]
deleted:
  description: The snapshots deleted (or that would be), oldest first.
  returned: always
  type: list
  elements: str
lines:
  description: One printable line per snapshot (newest first), then one per deleted snapshot.
  returned: always
  type: list
  elements: str
  sample: ["payment-db-manual-prod-20261202101500  manual  available  2026-12-02T10:15:02+00:00  15.7  manual"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.payments.auroradb.plugins.module_utils import rds
from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError, run


def ensure(module, client):
    name, keep, kind = (module.params[k] for k in ("cluster_identifier", "keep", "kind"))
    if keep is not None and keep < 0:
        raise AuroraDbError(f"keep must be 0 or more (got {keep})")
    snapshots = rds.describe_cluster_snapshots(client, name)
    doomed = [] if keep is None else rds.snapshots_to_prune(snapshots, keep, kind)
    if doomed and not module.check_mode:
        for identifier in doomed:
            rds.delete_cluster_snapshot(client, identifier)
        snapshots = [s for s in snapshots if s["DBClusterSnapshotIdentifier"] not in doomed]
    views = sorted((rds.snapshot_view(s) for s in snapshots), key=lambda v: (v["created"], v["id"]), reverse=True)
    lines = [
        f"{v['id']}  {v['type']}  {v['status']}  {v['created']}  {v['engine_version']}  {v['kind'] or '-'}"
        for v in views
    ] + [f"deleted  {identifier}" for identifier in doomed]
    return {"changed": bool(doomed), "snapshots": views, "deleted": doomed, "lines": lines}


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            cluster_identifier=dict(type="str", required=True),
            kind=dict(type="str", default="manual"),
            keep=dict(type="int", no_log=False),
        ),
        supports_check_mode=True,
    )
    run(module, "rds", ensure)


if __name__ == "__main__":
    main()
