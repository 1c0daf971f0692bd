# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RDS helpers shared by the payments.auroradb modules.

Two halves:

* AWS calls (``describe_cluster``, ``describe_instances``): paginated where the API pages, retried
  with jittered backoff, and every botocore error turned into one exception type,
  :class:`AuroraDbRdsError`, so a module has a single error path
  (``except AuroraDbRdsError as e: module.fail_json_aws_error(e)``). "Not found" is not an error.
* Pure decision logic (``evaluate_wait``): no network, unit-testable with plain dicts shaped like the
  DescribeDBClusters / DescribeDBInstances answers.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

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


class AuroraDbRdsError(AnsibleAWSError):
    """Any failed RDS call made through this file."""


class AuroraDbRdsErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AuroraDbRdsError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["DBClusterNotFoundFault", "DBInstanceNotFound", "DBInstanceNotFoundFault"])


@AuroraDbRdsErrorHandler.list_error_handler("describe DB cluster {cluster_identifier}", None)
def describe_cluster(client, cluster_identifier: str) -> dict[str, Any] | None:
    """The cluster as DescribeDBClusters returns it, or None if it does not exist.

    ``client`` must come from ``module.client("rds", retry_decorator=AWSRetry.jittered_backoff())``.
    """
    clusters = client.describe_db_clusters(DBClusterIdentifier=cluster_identifier, aws_retry=True)["DBClusters"]
    return clusters[0] if clusters else None


@AuroraDbRdsErrorHandler.list_error_handler("describe DB instances {instance_identifiers}", [])
@AWSRetry.jittered_backoff()
def describe_instances(client, instance_identifiers: list[str]) -> list[dict[str, Any]]:
    """Every listed instance that exists (missing ones are simply absent from the answer)."""
    if not instance_identifiers:
        return []
    paginator = client.get_paginator("describe_db_instances")
    pages = paginator.paginate(Filters=[{"Name": "db-instance-id", "Values": list(instance_identifiers)}])
    return pages.build_full_result()["DBInstances"]


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
    writer = next((m["DBInstanceIdentifier"] for m in members if m.get("IsClusterWriter")), None)
    pending_reboot = [
        m["DBInstanceIdentifier"] for m in members if m.get("DBClusterParameterGroupStatus") == "pending-reboot"
    ]
    for ident, instance in found.items():
        if ident not in pending_reboot and any(
            g.get("ParameterApplyStatus") == "pending-reboot" for g in instance.get("DBParameterGroups", [])
        ):
            pending_reboot.append(ident)
    # Readers first, the writer last: rebooting in this order keeps the writer up the longest.
    pending_reboot.sort(key=lambda ident: (ident == writer, ident))

    summary = {}
    if cluster:
        summary = {
            "arn": cluster.get("DBClusterArn", ""),
            "endpoint": cluster.get("Endpoint", ""),
            "reader_endpoint": cluster.get("ReaderEndpoint", ""),
            "port": cluster.get("Port"),
            "members": sorted(m["DBInstanceIdentifier"] for m in members),
            "deletion_protection": bool(cluster.get("DeletionProtection", False)),
        }

    return {
        "done": done,
        "failed": failed,
        "progress": progress,
        "instances": statuses,
        "cluster_status": cluster_status,
        "writer": writer,
        "pending_reboot": pending_reboot,
        "cluster": summary,
    }
