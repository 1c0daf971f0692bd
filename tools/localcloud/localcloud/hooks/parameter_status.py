"""Pending-reboot parameter status: AWS reports it, moto always says ``in-sync``.

On AWS, after a static parameter (ApplyMethod ``pending-reboot``) of a parameter group changes, every
instance using the group reports it until it is rebooted:

* cluster parameter groups: ``DBClusters[].DBClusterMembers[].DBClusterParameterGroupStatus``;
* instance parameter groups: ``DBInstances[].DBParameterGroups[].ParameterApplyStatus``.

moto hard-codes ``in-sync`` in two read-only model properties (``DBCluster.db_cluster_members`` and
``DBInstance.db_parameter_group_status_list``), so this module replaces both with versions that read a
per-instance attribute (:data:`CLUSTER_STATUS`, :data:`INSTANCE_STATUS`, default ``in-sync``). The
after-hooks set the attribute on Modify*ParameterGroup with a ``pending-reboot`` parameter and clear it
on RebootDBInstance.

moto also deletes a parameter group that is still in use; AWS refuses with InvalidDBParameterGroupState.
"""

from __future__ import annotations

import copy
import re

from .. import ACCOUNT_ID
from ..envelope import Envelope
from ..errors import AwsError
from ..middleware import after, before
from ..patches import patch

CLUSTER_STATUS = "_localcloud_cluster_parameter_group_status"
INSTANCE_STATUS = "_localcloud_parameter_apply_status"
_APPLY_METHOD = re.compile(r"Parameters\.(?:Parameter|member)\.\d+\.ApplyMethod")


@patch
def _install() -> None:
    from moto.rds.models import DBCluster, DBInstance

    def db_cluster_members(self):
        return [
            {
                "DBInstanceIdentifier": member.db_instance_identifier,
                "IsClusterWriter": member.is_cluster_writer,
                "DBClusterParameterGroupStatus": getattr(member, CLUSTER_STATUS, "in-sync"),
                "PromotionTier": member.promotion_tier,
            }
            for member in self.members
        ]

    def db_parameter_group_status_list(self):
        # The group objects are shared between instances: answer with per-instance copies.
        groups = []
        for group in self.db_parameter_groups():
            shown = copy.copy(group)
            shown.ParameterApplyStatus = getattr(self, INSTANCE_STATUS, "in-sync")
            groups.append(shown)
        return groups

    DBCluster.db_cluster_members = property(db_cluster_members)
    DBInstance.db_parameter_group_status_list = property(db_parameter_group_status_list)


_install()


def _backend(region: str):
    from moto.rds.models import rds_backends

    return rds_backends[ACCOUNT_ID][region]


def _needs_reboot(env: Envelope) -> bool:
    return any(_APPLY_METHOD.fullmatch(key) and value == "pending-reboot" for key, value in env.params.items())


@after("rds", "ModifyDBClusterParameterGroup", "ModifyDBParameterGroup")
def members_pending_reboot(env: Envelope, body: bytes) -> None:
    """Cluster members (cluster group) or instances (instance group) of the modified group: pending-reboot."""
    if not _needs_reboot(env):
        return
    backend = _backend(env.region)
    if env.action == "ModifyDBClusterParameterGroup":
        name, attribute = (env.param("DBClusterParameterGroupName") or "").lower(), CLUSTER_STATUS
        clusters = [c for c in backend.clusters.values() if (c.parameter_group or "").lower() == name]
        users = [member for cluster in clusters for member in cluster.members]
    else:
        name, attribute = (env.param("DBParameterGroupName") or "").lower(), INSTANCE_STATUS
        users = [i for i in backend.databases.values() if (i.db_parameter_group_name or "").lower() == name]
    for user in users:
        setattr(user, attribute, "pending-reboot")


@after("rds", "RebootDBInstance")
def reboot_applies_pending_parameters(env: Envelope, body: bytes) -> None:
    instance = _backend(env.region).databases.get((env.param("DBInstanceIdentifier") or "").lower())
    if instance is None:
        return
    for attribute in (CLUSTER_STATUS, INSTANCE_STATUS):
        if hasattr(instance, attribute):
            setattr(instance, attribute, "in-sync")


def _refuse_deleting_used_group(name: str, users: list[str], members: str) -> None:
    if users:
        raise AwsError(
            "InvalidDBParameterGroupState",
            f"One or more {members} are still members of this parameter group {name}, so the group cannot be "
            f"deleted: {', '.join(sorted(users))}",
        )


@before("rds", "DeleteDBClusterParameterGroup")
def refuse_deleting_used_cluster_parameter_group(env: Envelope) -> None:
    name = (env.param("DBClusterParameterGroupName") or "").lower()
    clusters = _backend(env.region).clusters.values()
    users = [c.db_cluster_identifier for c in clusters if (c.parameter_group or "").lower() == name]
    _refuse_deleting_used_group(name, users, "DB clusters")


@before("rds", "DeleteDBParameterGroup")
def refuse_deleting_used_parameter_group(env: Envelope) -> None:
    name = (env.param("DBParameterGroupName") or "").lower()
    instances = _backend(env.region).databases.values()
    users = [i.db_instance_identifier for i in instances if (i.db_parameter_group_name or "").lower() == name]
    _refuse_deleting_used_group(name, users, "database instances")
