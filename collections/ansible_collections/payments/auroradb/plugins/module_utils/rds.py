# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RDS service layer of the payments.auroradb modules (and of verify.py).

Two halves:

* AWS calls, built on amazon.aws ``module_utils/rds.py``: ``client`` comes from
  ``module.client("rds", retry_decorator=AWSRetry.jittered_backoff())``, every call passes ``aws_retry=True``,
  paginated queries are retried as a whole, and every error is raised as amazon.aws's ``AnsibleRDSError`` (the
  module catches it once, in ``main()``). "Not found" is a value: ``None`` or ``[]``.
  ``describe_cluster_and_members`` is the one place that reads a cluster and its member instances.
* Pure decision logic (``evaluate_wait``, ``pending_reboot``, ``parameter_group_summary``): no network,
  unit-testable with plain dicts shaped like the DescribeDBClusters / DescribeDBInstances answers.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import (
    is_boto3_error_code,
    paginated_query_with_retries,
)
from ansible_collections.amazon.aws.plugins.module_utils.rds import (
    RDSErrorHandler,
    describe_db_instances,
    list_tags_for_resource,
)
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)

# AWS accepts at most 20 parameters per Modify*/Reset*ParameterGroup call.
MAX_PARAMETERS_PER_CALL = 20

# Statuses from which a cluster or instance does not get to "available" (or "deleted") by waiting:
# someone has to act (fix the KMS key, the parameters, the network, add storage, ...).
# https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/accessing-monitoring.html
TERMINAL_INSTANCE_STATUSES = frozenset(
    [
        "failed",
        "inaccessible-encryption-credentials",
        "inaccessible-encryption-credentials-recoverable",
        "incompatible-network",
        "incompatible-option-group",
        "incompatible-parameters",
        "incompatible-restore",
        "insufficient-capacity",
        "restore-error",
        "storage-full",
    ]
)
TERMINAL_CLUSTER_STATUSES = frozenset(
    [
        "failed",
        "cloning-failed",
        "migration-failed",
        "inaccessible-encryption-credentials",
        "inaccessible-encryption-credentials-recoverable",
        "incompatible-network",
        "incompatible-parameters",
        "incompatible-restore",
    ]
)
# A stopped cluster (and its stopped instances) stays stopped: waiting for "available" is pointless.
STOPPED_STATUSES = frozenset(["stopped"])

# Status reported for something that does not exist.
ABSENT_STATUS = {"available": "not-found", "deleted": "deleted"}


class AuroraDbRDSErrorHandler(RDSErrorHandler):
    """amazon.aws's RDS handler (raises ``AnsibleRDSError``), with the "not found" codes RDS really sends."""

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(
            [
                "DBClusterNotFound",
                "DBClusterNotFoundFault",
                "DBInstanceNotFound",
                "DBInstanceNotFoundFault",
                "DBParameterGroupNotFound",
                "DBParameterGroupNotFoundFault",
                "DBClusterSnapshotNotFoundFault",
                "SubscriptionNotFound",
                "SubscriptionNotFoundFault",
            ]
        )


# -- Clusters and instances -------------------------------------------------------------------------------------


@AuroraDbRDSErrorHandler.list_error_handler("describe DB cluster {cluster_identifier}", None)
def describe_cluster(client, cluster_identifier: str) -> dict[str, Any] | None:
    """The cluster as DescribeDBClusters returns it, or None if it does not exist."""
    clusters = client.describe_db_clusters(DBClusterIdentifier=cluster_identifier, aws_retry=True)["DBClusters"]
    return clusters[0] if clusters else None


def describe_instances(client, instance_identifiers: list[str]) -> list[dict[str, Any]]:
    """Every listed instance that exists (missing ones are simply absent); amazon.aws's paginated, retried call."""
    if not instance_identifiers:
        return []
    return describe_db_instances(client, Filters=[{"Name": "db-instance-id", "Values": list(instance_identifiers)}])


def describe_cluster_and_members(client, cluster_identifier: str) -> tuple[dict[str, Any] | None, list[dict]]:
    """``(cluster, member instances)``; ``(None, [])`` when the cluster does not exist."""
    cluster = describe_cluster(client, cluster_identifier)
    if cluster is None:
        return None, []
    return cluster, describe_instances(client, member_ids(cluster))


def member_ids(cluster: dict[str, Any] | None) -> list[str]:
    return [m["DBInstanceIdentifier"] for m in (cluster or {}).get("DBClusterMembers", [])]


def writer_of(cluster: dict[str, Any] | None) -> str | None:
    members = (cluster or {}).get("DBClusterMembers", [])
    return next((m["DBInstanceIdentifier"] for m in members if m.get("IsClusterWriter")), None)


def pending_reboot(cluster: dict[str, Any] | None, instances: list[dict[str, Any]], scope: str | None = None) -> list:
    """Instances whose parameter changes wait for a reboot, in the order to reboot them: readers, then the writer.

    ``scope="cluster"`` looks at the members' cluster parameter group status, ``"instance"`` at the instances'
    DB parameter groups, ``None`` at both. Rebooting in this order keeps the writer up the longest.
    """
    pending = []
    if scope in (None, "cluster"):
        members = (cluster or {}).get("DBClusterMembers", [])
        pending = [
            m["DBInstanceIdentifier"] for m in members if m.get("DBClusterParameterGroupStatus") == "pending-reboot"
        ]
    if scope in (None, "instance"):
        pending += [
            i["DBInstanceIdentifier"]
            for i in instances
            if i["DBInstanceIdentifier"] not in pending
            and any(g.get("ParameterApplyStatus") == "pending-reboot" for g in i.get("DBParameterGroups", []))
        ]
    writer = writer_of(cluster)
    return sorted(pending, key=lambda ident: (ident == writer, ident))


def short_name(identifier: str, cluster_identifier: str) -> str:
    """``payment-db-cluster-dev-reader1`` -> ``reader1`` (progress lines stay readable)."""
    prefix = f"{cluster_identifier}-"
    return identifier[len(prefix) :] if identifier.startswith(prefix) and len(identifier) > len(prefix) else identifier


def evaluate_wait(
    cluster_identifier: str,
    instance_identifiers: list[str],
    state: str,
    cluster: dict[str, Any] | None,
    instances: list[dict[str, Any]],
    wait_for_cluster: bool = True,
) -> dict[str, Any]:
    """Compare what DescribeDBClusters/DescribeDBInstances said with the wanted state.

    Returns a dict with ``done`` (bool), ``failed`` (a message, or None), ``progress`` (one line),
    ``instances`` (id -> status), ``cluster_status``, ``writer`` (id or None), ``pending_reboot``
    (ids whose cluster parameter group changes wait for a reboot) and ``cluster`` (endpoints etc.,
    empty when the cluster does not exist).
    """
    absent = ABSENT_STATUS[state]
    found = {i["DBInstanceIdentifier"]: i for i in instances}
    statuses = {
        ident: (found[ident].get("DBInstanceStatus", "unknown") if ident in found else absent)
        for ident in instance_identifiers
    }
    cluster_status = cluster.get("Status", "unknown") if cluster else absent

    reached = [ident for ident, status in statuses.items() if status == state]
    instances_done = len(reached) == len(instance_identifiers)
    cluster_done = (not wait_for_cluster) or cluster_status == state
    done = instances_done and cluster_done

    details = "; ".join(f"{short_name(ident, cluster_identifier)} {status}" for ident, status in statuses.items())
    parts = []
    if instance_identifiers:
        parts.append(f"{len(reached)}/{len(instance_identifiers)} instances {state} ({details})")
    parts.append(f"cluster {cluster_status}")
    progress = ", ".join(parts)

    failed = None
    bad_instances = {
        ident: status
        for ident, status in statuses.items()
        if status in TERMINAL_INSTANCE_STATUSES or (state == "available" and status in STOPPED_STATUSES)
    }
    bad_cluster = cluster_status in TERMINAL_CLUSTER_STATUSES or (
        state == "available" and wait_for_cluster and cluster_status in STOPPED_STATUSES
    )
    if bad_instances or bad_cluster:
        what = [f"{ident} is {status}" for ident, status in bad_instances.items()]
        if bad_cluster:
            what.insert(0, f"cluster {cluster_identifier} is {cluster_status}")
        bad_statuses = list(bad_instances.values()) + ([cluster_status] if bad_cluster else [])
        if all(status in STOPPED_STATUSES for status in bad_statuses):
            hint = " (start the cluster first)"
        else:
            hint = " (waiting will not change that; see the RDS events of the cluster)"
        failed = f"Cannot reach state {state}: {', '.join(what)}{hint}"

    members = (cluster or {}).get("DBClusterMembers", [])
    writer = writer_of(cluster)

    summary = {}
    if cluster:
        summary = {
            "arn": cluster.get("DBClusterArn", ""),
            "endpoint": cluster.get("Endpoint", ""),
            "reader_endpoint": cluster.get("ReaderEndpoint", ""),
            "port": cluster.get("Port"),
            "members": sorted(m["DBInstanceIdentifier"] for m in members),
            "deletion_protection": bool(cluster.get("DeletionProtection", False)),
            "master_user_secret_arn": (cluster.get("MasterUserSecret") or {}).get("SecretArn", ""),
        }

    return {
        "done": done,
        "failed": failed,
        "progress": progress,
        "instances": statuses,
        "cluster_status": cluster_status,
        "writer": writer,
        "pending_reboot": pending_reboot(cluster, instances),
        "cluster": summary,
    }


# -- Parameter groups -------------------------------------------------------------------------------------------

# scope -> the field and call names of the cluster and the instance flavour of the parameter group API
PARAMETER_GROUP_API = {
    "cluster": {
        "name": "DBClusterParameterGroupName",
        "describe": "describe_db_cluster_parameter_groups",
        "groups": "DBClusterParameterGroups",
        "group": "DBClusterParameterGroup",
        "arn": "DBClusterParameterGroupArn",
        "parameters": "describe_db_cluster_parameters",
        "defaults": "describe_engine_default_cluster_parameters",
        "create": "create_db_cluster_parameter_group",
        "delete": "delete_db_cluster_parameter_group",
        "modify": "modify_db_cluster_parameter_group",
        "reset": "reset_db_cluster_parameter_group",
    },
    "instance": {
        "name": "DBParameterGroupName",
        "describe": "describe_db_parameter_groups",
        "groups": "DBParameterGroups",
        "group": "DBParameterGroup",
        "arn": "DBParameterGroupArn",
        "parameters": "describe_db_parameters",
        "defaults": "describe_engine_default_parameters",
        "create": "create_db_parameter_group",
        "delete": "delete_db_parameter_group",
        "modify": "modify_db_parameter_group",
        "reset": "reset_db_parameter_group",
    },
}


def chunks(items: list, size: int = MAX_PARAMETERS_PER_CALL) -> list[list]:
    """``items`` in consecutive slices of at most ``size``."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def parameter_group_summary(group: dict[str, Any], scope: str) -> dict[str, Any]:
    api = PARAMETER_GROUP_API[scope]
    return {
        "name": group[api["name"]],
        "arn": group.get(api["arn"], ""),
        "family": group.get("DBParameterGroupFamily", ""),
        "description": group.get("Description", ""),
    }


@AuroraDbRDSErrorHandler.common_error_handler("describe the {engine} {major} engine versions")
def describe_engine_versions(client, engine: str, major: str) -> list[dict[str, Any]]:
    """Every version of the engine's major version, as DescribeDBEngineVersions lists it (read-only)."""
    return paginated_query_with_retries(client, "describe_db_engine_versions", Engine=engine, EngineVersion=major)[
        "DBEngineVersions"
    ]


@AuroraDbRDSErrorHandler.common_error_handler("describe the engine defaults of {family}")
def describe_engine_defaults(client, family: str, scope: str) -> list[dict[str, Any]]:
    """Every parameter of the family at this scope, as DescribeEngineDefault[Cluster]Parameters lists it."""
    answer = paginated_query_with_retries(client, PARAMETER_GROUP_API[scope]["defaults"], DBParameterGroupFamily=family)
    return answer.get("EngineDefaults", {}).get("Parameters", [])


@AuroraDbRDSErrorHandler.list_error_handler("describe parameter group {name}", None)
def describe_parameter_group(client, name: str, scope: str) -> dict[str, Any] | None:
    """The group as Describe*ParameterGroups returns it, or None."""
    api = PARAMETER_GROUP_API[scope]
    groups = paginated_query_with_retries(client, api["describe"], **{api["name"]: name})[api["groups"]]
    return groups[0] if groups else None


@AuroraDbRDSErrorHandler.list_error_handler("describe the parameters of {name}", [])
def describe_parameters(client, name: str, scope: str, source: str | None = None) -> list[dict[str, Any]]:
    """The parameters of the group as Describe*Parameters lists them: all, or only those with Source ``source``;
    ``[]`` when the group does not exist."""
    api = PARAMETER_GROUP_API[scope]
    query = {api["name"]: name, **({"Source": source} if source else {})}
    return paginated_query_with_retries(client, api["parameters"], **query)["Parameters"]


def describe_user_parameters(client, name: str, scope: str) -> list[dict[str, Any]]:
    """The parameters of the group with Source ``user`` (set by someone, not engine defaults)."""
    return describe_parameters(client, name, scope, source="user")


@AuroraDbRDSErrorHandler.common_error_handler("create parameter group {name}")
def create_parameter_group(client, name: str, scope: str, family: str, description: str, tags: dict) -> dict:
    api = PARAMETER_GROUP_API[scope]
    kwargs = {api["name"]: name, "DBParameterGroupFamily": family, "Description": description}
    if tags:
        kwargs["Tags"] = ansible_dict_to_boto3_tag_list(tags)
    return getattr(client, api["create"])(aws_retry=True, **kwargs)[api["group"]]


@AuroraDbRDSErrorHandler.deletion_error_handler("delete parameter group {name}")
def delete_parameter_group(client, name: str, scope: str) -> bool:
    """True when deleted, False when there was no such group."""
    api = PARAMETER_GROUP_API[scope]
    getattr(client, api["delete"])(aws_retry=True, **{api["name"]: name})
    return True


@AuroraDbRDSErrorHandler.common_error_handler("{action} the parameters of {name}")
def send_parameters(client, action: str, name: str, scope: str, parameters: list[dict[str, Any]]) -> int:
    """``action`` ``modify`` or ``reset``, in chunks of at most 20 parameters; returns the number of calls made."""
    api = PARAMETER_GROUP_API[scope]
    calls = 0
    for chunk in chunks(parameters):
        getattr(client, api[action])(aws_retry=True, Parameters=chunk, **{api["name"]: name})
        calls += 1
    return calls


@AuroraDbRDSErrorHandler.list_error_handler("list the tags of {arn}", {})
def get_tags(client, arn: str) -> dict[str, str]:
    """Tags of an RDS resource as a dict (amazon.aws's retried ``list_tags_for_resource``)."""
    return boto3_tag_list_to_ansible_dict(list_tags_for_resource(client, arn))


@AuroraDbRDSErrorHandler.common_error_handler("tag {arn}")
def update_tags(client, arn: str, to_add: dict[str, str], to_remove: list[str]) -> None:
    """What ``compare_aws_tags`` decided: add/overwrite ``to_add``, remove ``to_remove``."""
    if to_add:
        client.add_tags_to_resource(ResourceName=arn, Tags=ansible_dict_to_boto3_tag_list(to_add), aws_retry=True)
    if to_remove:
        client.remove_tags_from_resource(ResourceName=arn, TagKeys=to_remove, aws_retry=True)


# -- Log exports ----------------------------------------------------------------------------------------------


def log_exports_change(current: list[str] | None, wanted: list[str]) -> dict[str, list[str]]:
    """The ``CloudwatchLogsExportConfiguration`` that turns the ``current`` exports into ``wanted`` (empty when
    they are the same set): ``{"EnableLogTypes": [...], "DisableLogTypes": [...]}``, without empty lists."""
    current_set, wanted_set = set(current or []), set(wanted or [])
    change = {"EnableLogTypes": sorted(wanted_set - current_set), "DisableLogTypes": sorted(current_set - wanted_set)}
    return {key: value for key, value in change.items() if value}


@AuroraDbRDSErrorHandler.common_error_handler("change the log exports of DB cluster {cluster_identifier}")
def modify_log_exports(
    client, cluster_identifier: str, change: dict[str, list[str]], apply_immediately: bool, **other: Any
) -> None:
    """ModifyDBCluster with the log exports' change (when any) and ``other`` settings of the same call."""
    if change:
        other["CloudwatchLogsExportConfiguration"] = change
    client.modify_db_cluster(
        DBClusterIdentifier=cluster_identifier, ApplyImmediately=apply_immediately, aws_retry=True, **other
    )


def master_user_secret_change(
    cluster: dict[str, Any], managed: bool, kms_key_id: str | None, password: str | None, reset: bool = False
) -> dict[str, Any]:
    """The ModifyDBCluster settings that make RDS manage the master password (``managed``) or stop managing it:
    empty when the cluster is already as wanted. Raises ValueError when stopping needs a ``password`` not given.
    ``reset`` (not ``managed``): set ``password`` anyway (a restored cluster takes its environment's password).

    RDS cannot change the key of a secret it already manages (ModifyDBCluster's MasterUserSecretKmsKeyId applies
    only while turning management on), so a different key on a managed secret is not a change here.
    """
    live = bool((cluster.get("MasterUserSecret") or {}).get("SecretArn"))
    if managed and not live:
        change: dict[str, Any] = {"ManageMasterUserPassword": True}
        if kms_key_id:
            change["MasterUserSecretKmsKeyId"] = kms_key_id
        return change
    if not managed and live:
        if not password:
            raise ValueError("a new master password is required to stop RDS managing it (RDS deletes its secret)")
        return {"ManageMasterUserPassword": False, "MasterUserPassword": password}
    if not managed and reset:
        if not password:
            raise ValueError("a master password is required to reset it")
        return {"MasterUserPassword": password}
    return {}


def same_key(live: str | None, wanted: str | None) -> bool:
    """Whether two KMS key identifiers (ARN or ID) name the same key; a key ARN's last part is its ID."""
    if not live or not wanted:
        return not live and not wanted
    return live == wanted or live.rsplit("/", 1)[-1] == wanted.rsplit("/", 1)[-1]


@AuroraDbRDSErrorHandler.common_error_handler(
    "change the master password management of DB cluster {cluster_identifier}"
)
def modify_master_user_secret(client, cluster_identifier: str, change: dict[str, Any]) -> dict[str, Any]:
    """ModifyDBCluster with ``change`` (from :func:`master_user_secret_change`), applied immediately (RDS requires
    it for the master password); returns the cluster as ModifyDBCluster answers."""
    answer = client.modify_db_cluster(
        DBClusterIdentifier=cluster_identifier, ApplyImmediately=True, aws_retry=True, **change
    )
    return answer["DBCluster"]


# -- Event subscriptions --------------------------------------------------------------------------------------


@AuroraDbRDSErrorHandler.list_error_handler("describe event subscription {name}", None)
def describe_event_subscription(client, name: str) -> dict[str, Any] | None:
    """The DescribeEventSubscriptions entry of ``name``, or None when there is none."""
    found = client.describe_event_subscriptions(SubscriptionName=name, aws_retry=True)["EventSubscriptionsList"]
    return found[0] if found else None


@AuroraDbRDSErrorHandler.common_error_handler("create event subscription {name}")
def create_event_subscription(client, name: str, wanted: dict[str, Any], tags: dict[str, str]) -> dict[str, Any]:
    return client.create_event_subscription(
        SubscriptionName=name,
        SnsTopicArn=wanted["sns_topic_arn"],
        SourceType=wanted["source_type"],
        EventCategories=wanted["event_categories"],
        SourceIds=wanted["source_ids"],
        Enabled=wanted["enabled"],
        Tags=ansible_dict_to_boto3_tag_list(tags),
        aws_retry=True,
    )["EventSubscription"]


@AuroraDbRDSErrorHandler.common_error_handler("change event subscription {name}")
def modify_event_subscription(client, name: str, wanted: dict[str, Any]) -> dict[str, Any]:
    return client.modify_event_subscription(
        SubscriptionName=name,
        SnsTopicArn=wanted["sns_topic_arn"],
        SourceType=wanted["source_type"],
        EventCategories=wanted["event_categories"],
        Enabled=wanted["enabled"],
        aws_retry=True,
    )["EventSubscription"]


@AuroraDbRDSErrorHandler.deletion_error_handler("delete event subscription {name}")
def delete_event_subscription(client, name: str) -> bool:
    client.delete_event_subscription(SubscriptionName=name, aws_retry=True)
    return True


# -- Engine version as a floor ----------------------------------------------------------------------------------


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def meets_floor(current: str | None, floor: str) -> bool:
    """True when ``current`` is ``floor`` or a later minor version of the same major version."""
    if not current:
        return False
    have, want = _version_key(current), _version_key(floor)
    return have[:1] == want[:1] and have >= want


def engine_version_floor(floor: str, current: str | None = None) -> str:
    """The engine version to ask for: the cluster's own when AWS upgraded it past ``floor`` within the major version
    (automatic minor version upgrades; RDS refuses a downgrade), else ``floor`` (a new cluster, or a floor raised
    above what runs: a minor upgrade)."""
    return current if current and meets_floor(current, floor) else floor


class UpgradeRefused(ValueError):
    """An engine version upgrade this collection does not run in place (message says why and what to do)."""


def upgrade_plan(current: str, target: str, valid_targets: list[dict[str, Any]]) -> dict[str, Any]:
    """Whether to upgrade ``current`` to ``target``: ``{"upgrade": bool, "minor_targets": [...]}``.

    ``valid_targets`` is DescribeDBEngineVersions' ValidUpgradeTarget of ``current``. Raises UpgradeRefused for a
    downgrade, a major version change (the blue/green route) and a minor version RDS does not offer from here.
    """
    minor = sorted((t["EngineVersion"] for t in valid_targets if not t.get("IsMajorVersionUpgrade")), key=_version_key)
    result = {"upgrade": False, "minor_targets": minor}
    have, want = _version_key(current), _version_key(target)
    if have == want:
        return result
    if have[:1] != want[:1]:
        raise UpgradeRefused(
            f"{current} -> {target} is a major version upgrade, which this playbook does not do in place (it needs a"
            " new parameter group family and application testing): use an RDS blue/green deployment"
            " (CreateBlueGreenDeployment with the new version and a parameter group of its family), then switch over"
        )
    if want < have:
        raise UpgradeRefused(
            f"the cluster runs {current}, later than {target}: RDS never downgrades"
            " (the inventory's version is a floor)"
        )
    if target not in minor:
        offered = ", ".join(minor) or "none"
        raise UpgradeRefused(f"RDS offers no upgrade from {current} to {target}; minor versions offered: {offered}")
    result["upgrade"] = True
    return result


@AuroraDbRDSErrorHandler.common_error_handler("describe engine version {version} of {engine}")
def describe_engine_version(client, engine: str, version: str) -> dict[str, Any] | None:
    """DescribeDBEngineVersions' entry of one version (its ValidUpgradeTarget), or None when RDS has no such version."""
    versions = client.describe_db_engine_versions(Engine=engine, EngineVersion=version, aws_retry=True)[
        "DBEngineVersions"
    ]
    return next((v for v in versions if v.get("EngineVersion") == version), None)


@AuroraDbRDSErrorHandler.common_error_handler("upgrade DB cluster {cluster_identifier} to {version}")
def modify_engine_version(client, cluster_identifier: str, version: str) -> dict[str, Any]:
    """ModifyDBCluster EngineVersion, applied now (the cluster and then every instance upgrade)."""
    answer = client.modify_db_cluster(
        DBClusterIdentifier=cluster_identifier, EngineVersion=version, ApplyImmediately=True, aws_retry=True
    )
    return answer["DBCluster"]


# -- Failover (playbooks/failover.yml) ---------------------------------------------------------------------------


@AuroraDbRDSErrorHandler.common_error_handler("fail over DB cluster {cluster_identifier}")
def failover_cluster(client, cluster_identifier: str, target: str | None = None) -> dict[str, Any]:
    """FailoverDBCluster: ``target`` (a reader of the cluster) becomes the writer; without one RDS chooses."""
    kwargs = {"DBClusterIdentifier": cluster_identifier}
    if target:
        kwargs["TargetDBInstanceIdentifier"] = target
    return client.failover_db_cluster(aws_retry=True, **kwargs)["DBCluster"]


# -- Snapshots and subnet groups (read only) --------------------------------------------------------------------


@AuroraDbRDSErrorHandler.list_error_handler("describe the snapshots of DB cluster {cluster_identifier}", [])
def describe_cluster_snapshots(client, cluster_identifier: str) -> list[dict[str, Any]]:
    """Every snapshot of the cluster, manual and automated, as DescribeDBClusterSnapshots lists them."""
    return paginated_query_with_retries(
        client, "describe_db_cluster_snapshots", DBClusterIdentifier=cluster_identifier
    )["DBClusterSnapshots"]


# -- Manual snapshots (playbooks/snapshot.yml) -------------------------------------------------------------------

# The tag playbooks/snapshot.yml gives its snapshots; only those are pruned (never automated, final or pre-upgrade).
SNAPSHOT_KIND_TAG = "snapshot-kind"


def snapshot_view(snapshot: dict[str, Any]) -> dict[str, Any]:
    """What a listing shows of a DescribeDBClusterSnapshots entry."""
    created = snapshot.get("SnapshotCreateTime")
    tags = boto3_tag_list_to_ansible_dict(snapshot.get("TagList") or [])
    return {
        "id": snapshot["DBClusterSnapshotIdentifier"],
        "arn": snapshot.get("DBClusterSnapshotArn", ""),
        "type": snapshot.get("SnapshotType", ""),
        "status": snapshot.get("Status", ""),
        "created": created.isoformat() if hasattr(created, "isoformat") else str(created or ""),
        "engine_version": snapshot.get("EngineVersion", ""),
        "kind": tags.get(SNAPSHOT_KIND_TAG, ""),
    }


def snapshots_to_prune(snapshots: list[dict[str, Any]], keep: int, kind: str) -> list[str]:
    """The identifiers of the manual snapshots of ``kind`` (tag SNAPSHOT_KIND_TAG) beyond the ``keep`` newest,
    oldest first. Automated snapshots and snapshots of another kind (final, pre-upgrade, untagged) never are."""
    views = [snapshot_view(s) for s in snapshots]
    ours = [v for v in views if v["type"] == "manual" and v["kind"] == kind and v["status"] == "available"]
    ours.sort(key=lambda v: (v["created"], v["id"]), reverse=True)
    return [v["id"] for v in reversed(ours[keep:])]


@AuroraDbRDSErrorHandler.common_error_handler("delete DB cluster snapshot {identifier}")
def delete_cluster_snapshot(client, identifier: str) -> None:
    client.delete_db_cluster_snapshot(DBClusterSnapshotIdentifier=identifier, aws_retry=True)


# -- Restores (playbooks/restore.yml) ----------------------------------------------------------------------------


@AuroraDbRDSErrorHandler.list_error_handler("describe DB cluster snapshot {identifier}", None)
def describe_cluster_snapshot(client, identifier: str) -> dict[str, Any] | None:
    """The DescribeDBClusterSnapshots entry of ``identifier`` (manual, automated or shared), or None."""
    found = client.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier=identifier, aws_retry=True)
    return (found.get("DBClusterSnapshots") or [None])[0]


@AuroraDbRDSErrorHandler.common_error_handler("restore DB cluster {cluster_identifier} from a snapshot")
def restore_cluster_from_snapshot(client, cluster_identifier: str, request: dict[str, Any]) -> dict[str, Any]:
    """RestoreDBClusterFromSnapshot with ``request`` (restore.restore_request); the new cluster as RDS answers."""
    return client.restore_db_cluster_from_snapshot(aws_retry=True, **request)["DBCluster"]


@AuroraDbRDSErrorHandler.common_error_handler("restore DB cluster {cluster_identifier} to a point in time")
def restore_cluster_to_point_in_time(client, cluster_identifier: str, request: dict[str, Any]) -> dict[str, Any]:
    """RestoreDBClusterToPointInTime with ``request`` (restore.restore_request); the new cluster as RDS answers."""
    return client.restore_db_cluster_to_point_in_time(aws_retry=True, **request)["DBCluster"]
