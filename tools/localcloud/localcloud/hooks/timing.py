"""Gaps timing-1..6: with ``localcloud up --timing aws`` resources stay in AWS's transitional states for AWS's time.

moto answers every create, modify and delete at once. With ``LOCALCLOUD_TIMING=aws`` (``localcloud up --timing
aws [--time-scale N] [--timing-seed S]``; read per request, off by default) each slow operation of this stack
takes its duration from :mod:`localcloud.timing` (``data/aws-timings.json`` / time scale, seeded jitter):

* moto's model objects get the transitional status right after the action (``_install`` wraps the backend
  methods, so even the action's own response reports it), and a timeline of due status changes per resource;
* the before-hook :func:`advance`, on every RDS, EC2 and Lambda request, applies the changes that are due, so
  reads report the state AWS would at that moment;
* deletes of DB instances and clusters are deferred: the resource stays ``deleting`` for its duration, then
  moto's own delete runs (the data plane stops its PostgreSQL servers when the deletion starts);
* before-hooks refuse what AWS refuses in a busy state, with AWS's code and message.

The transitions (docs/aws-timings.md): RDS cluster creating -> backing-up -> available; instance creating ->
configuring-enhanced-monitoring (MonitoringInterval > 0) -> configuring-log-exports (cluster log exports) ->
available, no earlier than its cluster, and a reader no earlier than the writer (the first member requested,
as moto and AWS designate it), so the first member available is the writer; modifying, rebooting, upgrading,
deleting. EC2: NAT gateway pending -> available, deleting -> deleted (its elastic IP cannot be released before);
interface endpoint pending -> available, deleting -> gone. Lambda: Pending -> Active (longer in a VPC), and
LastUpdateStatus InProgress -> Successful after an update.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from urllib.parse import unquote

from .. import ACCOUNT_ID
from .. import timing as model_
from ..envelope import Envelope
from ..errors import AwsError
from ..middleware import after, before
from ..patches import patch, wrap

log = logging.getLogger("localcloud.timing")

TIMED = "_localcloud_timed"  # on a moto DBCluster: its status is ours (moto's getter would flip creating)
LAST_UPDATE = "_localcloud_last_update"  # on a moto LambdaFunction: LastUpdateStatus
AVAILABLE = "available"

_LOCK = threading.RLock()
_SEQ = itertools.count()
_STEPS: dict[tuple, list[tuple[float, int, Callable[[], None]]]] = {}  # resource -> due changes
_READY: dict[tuple, float] = {}  # resource -> when it becomes available (RDS)
_STARTED: dict[tuple, float] = {}  # resource -> when its timeline was set
_MODEL: dict[tuple, model_.Model | None] = {}


def model() -> model_.Model | None:
    """The timing model of this process's environment (None: instant), one per setting (read per request)."""
    key = tuple(os.environ.get(name) for name in (model_.ENV_MODE, model_.ENV_SCALE, model_.ENV_SEED))
    with _LOCK:
        if key not in _MODEL:
            _MODEL[key] = model_.from_env()
        return _MODEL[key]


def _set(obj, attribute: str, value) -> Callable[[], None]:
    return lambda: setattr(obj, attribute, value)


def _timeline(key: tuple, steps: list[tuple[float, Callable[[], None]]]) -> None:
    """Replace what is still due for ``key`` (a new operation supersedes the unfinished one)."""
    with _LOCK:
        _STEPS[key] = [(at, next(_SEQ), fn) for at, fn in steps]
        _STARTED[key] = time.monotonic()


def _rebase(key: tuple) -> None:
    """Count ``key``'s durations from now: the local cloud's own work in the request (e.g. starting PostgreSQL)
    is not part of AWS's time, so (timed run - instant run) measures the modelled waits alone."""
    with _LOCK:
        started = _STARTED.pop(key, None)
        if started is None or key not in _STEPS:
            return
        shift = time.monotonic() - started
        _STEPS[key] = [(at + shift, seq, fn) for at, seq, fn in _STEPS[key]]
        if key in _READY:
            _READY[key] += shift


def _phased(
    key: tuple,
    operation: str,
    apply: Callable[[str], None],
    final: Callable[[], None],
    skip: tuple[str, ...] = (),
    not_before: float = 0.0,
) -> float:
    """Start ``operation`` on ``key`` now: its phases' statuses in turn (``skip``ped ones merge into the first),
    then ``final`` at the end, no earlier than ``not_before``. Returns when ``final`` is due."""
    m = model()
    now = time.monotonic()
    phases = m.phases(operation, m.draw(operation))
    skipped = sum(seconds for status, seconds in phases if status in skip)
    phases = [(status, seconds) for status, seconds in phases if status not in skip]
    phases[0] = (phases[0][0], phases[0][1] + skipped)
    apply(phases[0][0])
    steps, at = [], now
    for (_, seconds), (status, _) in zip(phases, phases[1:], strict=False):
        at += seconds
        steps.append((at, lambda status=status: apply(status)))
    end = max(at + phases[-1][1], not_before)
    steps.append((end, final))
    _timeline(key, steps)
    return end


@before("rds", "*")
@before("ec2", "*")
@before("lambda", "*")
def advance(env: Envelope | None = None) -> None:
    """Apply every status change that is due (in due order), before the request reads or changes anything."""
    now = time.monotonic()
    with _LOCK:
        due = []
        for key, steps in list(_STEPS.items()):
            due += [(at, seq, key, fn) for at, seq, fn in steps if at <= now]
            left = [step for step in steps if step[0] > now]
            if left:
                _STEPS[key] = left
            else:
                del _STEPS[key]
        for _, _, key, fn in sorted(due, key=lambda item: item[:2]):
            try:
                fn()
            except Exception:  # a resource changed under the timeline (e.g. deleted by hand): say so, go on
                log.exception("timing: due change of %s failed", key)


# --------------------------------------------------------------------------------------------- backends
def _rds(region: str):
    from moto.rds.models import rds_backends

    return rds_backends[ACCOUNT_ID][region]


def _ec2(region: str):
    from moto.ec2.models import ec2_backends

    return ec2_backends[ACCOUNT_ID][region]


def _lambda(region: str):
    from moto.awslambda.utils import get_backend

    return get_backend(ACCOUNT_ID, region)


def _rds_error(code: str, message: str):
    from moto.rds.exceptions import RDSClientError

    return RDSClientError(code, message)


def _cluster_status(cluster, status: str) -> None:
    setattr(cluster, TIMED, True)
    cluster.status = status


# --------------------------------------------------------------------------------------------- RDS model
def _create_cluster(original, backend, kwargs):
    cluster = original(backend, kwargs)
    if model() is not None:
        key = ("rds-cluster", backend.region_name, cluster.db_cluster_identifier)
        _READY[key] = _phased(
            key,
            "rds.cluster.create",
            lambda status: _cluster_status(cluster, status),
            lambda: _cluster_status(cluster, AVAILABLE),
        )
    return cluster


def _create_instance(original, backend, db_kwargs):
    instance = original(backend, db_kwargs)
    if model() is None:
        return instance
    region, cluster = backend.region_name, getattr(instance, "cluster", None)
    not_before, skip = 0.0, []
    if cluster is not None:
        not_before = _READY.get(("rds-cluster", region, cluster.db_cluster_identifier), 0.0)
        writer = cluster.writer
        if writer is not None and writer is not instance:  # a reader: available no earlier than the writer
            not_before = max(not_before, _READY.get(("rds-instance", region, writer.db_instance_identifier), 0.0))
    if not getattr(cluster or instance, "enabled_cloudwatch_logs_exports", None):
        skip.append("configuring-log-exports")
    if not int(getattr(instance, "monitoring_interval", 0) or 0):
        skip.append("configuring-enhanced-monitoring")
    key = ("rds-instance", region, instance.db_instance_identifier)
    _READY[key] = _phased(
        key,
        "rds.instance.create",
        lambda status: setattr(instance, "status", status),
        _set(instance, "status", AVAILABLE),
        tuple(skip),
        not_before,
    )
    return instance


def _delete_instance(original, backend, db_instance_identifier, *args, **kwargs):
    instance = backend.databases.get(db_instance_identifier)
    if model() is None or instance is None:
        return original(backend, db_instance_identifier, *args, **kwargs)
    if instance.deletion_protection:  # moto's own check, made now rather than at the due time
        return original(backend, db_instance_identifier, *args, **kwargs)
    key = ("rds-instance", backend.region_name, db_instance_identifier)
    _READY[key] = _phased(
        key,
        "rds.instance.delete",
        lambda status: setattr(instance, "status", status),
        lambda: original(backend, db_instance_identifier, *args, **kwargs),
    )
    return instance


def _delete_cluster(original, backend, cluster_identifier, *args, **kwargs):
    cluster = backend.clusters.get(cluster_identifier)
    if model() is None or cluster is None or cluster.deletion_protection:
        return original(backend, cluster_identifier, *args, **kwargs)
    members = [m.db_instance_identifier for m in cluster._members]  # every one deleting (checked before)
    last = max((_READY.get(("rds-instance", backend.region_name, m), 0.0) for m in members), default=0.0)
    key = ("rds-cluster", backend.region_name, cluster_identifier)
    _phased(
        key,
        "rds.cluster.delete",
        lambda status: _cluster_status(cluster, status),
        lambda: original(backend, cluster_identifier, *args, **kwargs),
        not_before=last + 0.001,  # after its last member is gone (due changes run in due order)
    )
    return cluster


# --------------------------------------------------------------------------------------------- EC2 model
def _create_nat_gateway(original, backend, *args, **kwargs):
    nat = original(backend, *args, **kwargs)
    if model() is not None:
        key = ("nat-gateway", backend.region_name, nat.id)
        _phased(key, "ec2.nat-gateway.create", lambda s: setattr(nat, "state", s), _set(nat, "state", AVAILABLE))
    return nat


def _delete_nat_gateway(original, backend, nat_gateway_id):
    nat = original(backend, nat_gateway_id)
    if model() is not None:
        key = ("nat-gateway", backend.region_name, nat.id)
        _phased(key, "ec2.nat-gateway.delete", lambda s: setattr(nat, "state", s), lambda: _nat_deleted(backend, nat))
    return nat


def _nat_deleted(backend, nat) -> None:
    from .compat import disassociate_nat_addresses, stamp_delete_time

    nat.state = "deleted"
    stamp_delete_time(nat)  # gap foreign-4
    disassociate_nat_addresses(backend, nat)  # gap 28, once the gateway is gone


def _create_vpc_endpoint(original, backend, *args, **kwargs):
    endpoint = original(backend, *args, **kwargs)
    if model() is not None and (endpoint.vpc_endpoint_type or "").lower() == "interface":
        key = ("vpc-endpoint", backend.region_name, endpoint.id)
        _phased(
            key, "ec2.vpc-endpoint.create", lambda s: setattr(endpoint, "state", s), _set(endpoint, "state", AVAILABLE)
        )
    return endpoint


def _delete_vpc_endpoints(original, backend, vpce_ids=None):
    endpoints = [backend.vpc_end_points[i] for i in vpce_ids or [] if i in backend.vpc_end_points]
    result = original(backend, vpce_ids)
    if model() is not None:
        for endpoint in endpoints:

            def gone(endpoint=endpoint):
                backend.vpc_end_points.pop(endpoint.id, None)

            key = ("vpc-endpoint", backend.region_name, endpoint.id)
            _phased(key, "ec2.vpc-endpoint.delete", lambda s, e=endpoint: setattr(e, "state", s), gone)
    return result


# --------------------------------------------------------------------------------------------- Lambda model
def _create_function(original, backend, spec):
    fn = original(backend, spec)
    if model() is None:
        return fn
    latest = backend.get_function(spec["FunctionName"])
    in_vpc = bool((spec.get("VpcConfig") or {}).get("SubnetIds"))
    operation = "lambda.function.create-vpc" if in_vpc else "lambda.function.create"
    fn.state = "Pending"  # the returned object (a copy when published)
    key = ("lambda", backend.region_name, latest.function_arn)
    _phased(key, operation, lambda s: setattr(latest, "state", s), _set(latest, "state", "Active"))
    return fn


def _update_function(original, backend, function_name, qualifier, body):
    if model() is None:
        return original(backend, function_name, qualifier, body)
    fn = backend.get_function(function_name, qualifier)  # raises what moto raises for an unknown function
    previous = getattr(fn, LAST_UPDATE, None)
    setattr(fn, LAST_UPDATE, "InProgress")
    try:
        result = original(backend, function_name, qualifier, body)
    except Exception:
        setattr(fn, LAST_UPDATE, previous)
        raise
    key = ("lambda-update", backend.region_name, fn.function_arn)
    operation = "lambda.function.update-vpc" if "VpcConfig" in body else "lambda.function.update"
    _phased(key, operation, lambda s: setattr(fn, LAST_UPDATE, s), _set(fn, LAST_UPDATE, "Successful"))
    return result


def _configuration(original, fn, *args, **kwargs):
    config = original(fn, *args, **kwargs)
    if config.get("State") == "Pending":
        config["StateReason"], config["StateReasonCode"] = "The function is being created.", "Creating"
    update = getattr(fn, LAST_UPDATE, None)
    if update and "LastUpdateStatus" in config:
        config["LastUpdateStatus"] = update
    return config


@patch
def _install() -> None:
    """The model side of the timing gaps: moto's objects take the transitional states (timing mode only)."""
    from moto.awslambda.models import LambdaBackend, LambdaFunction
    from moto.ec2.models import EC2Backend
    from moto.rds.models import DBCluster, RDSBackend

    if not getattr(DBCluster, "_localcloud_timing", False):
        moto_status = DBCluster.status

        def status(self):
            # moto reports "creating" once, then "available"; a timed cluster reports its own status
            return self._status if getattr(self, TIMED, False) else moto_status.fget(self)

        DBCluster.status = property(status, moto_status.fset)
        DBCluster._localcloud_timing = True
    for cls, name, around in (
        (RDSBackend, "create_db_cluster", _create_cluster),
        (RDSBackend, "create_db_instance", _create_instance),
        (RDSBackend, "delete_db_instance", _delete_instance),
        (RDSBackend, "delete_db_cluster", _delete_cluster),
        (EC2Backend, "create_nat_gateway", _create_nat_gateway),
        (EC2Backend, "delete_nat_gateway", _delete_nat_gateway),
        (EC2Backend, "create_vpc_endpoint", _create_vpc_endpoint),
        (EC2Backend, "delete_vpc_endpoints", _delete_vpc_endpoints),
        (LambdaBackend, "create_function", _create_function),
        (LambdaBackend, "update_function_code", _update_function),
        (LambdaBackend, "update_function_configuration", _update_function),
        (LambdaFunction, "get_configuration", _configuration),
    ):
        wrap(cls, name, around)


_install()


# --------------------------------------------------------------------------------------------- RDS hooks
@after("rds", "CreateDBCluster", "CreateDBInstance", "DeleteDBCluster", "DeleteDBInstance")
def count_from_the_answer(env: Envelope, body: bytes) -> None:
    """Timing 1: durations count from the answer (after the data plane started or stopped the servers)."""
    if model() is None:
        return
    if env.action.endswith("DBCluster"):
        cluster = _cluster(env)
        if cluster is not None:
            _rebase(("rds-cluster", env.region, cluster.db_cluster_identifier))
    elif (instance := _instance(env)) is not None:
        _rebase(("rds-instance", env.region, instance.db_instance_identifier))


def _instance(env: Envelope):
    return _rds(env.region).databases.get((env.param("DBInstanceIdentifier") or "").lower())


def _cluster(env: Envelope):
    clusters = _rds(env.region).clusters
    identifier = env.param("DBClusterIdentifier") or ""
    return clusters.get(identifier) or clusters.get(identifier.lower())


def _rewrite_status(body: bytes, tag: str, status: str) -> bytes:
    return re.sub(rf"<{tag}>[^<]*</{tag}>".encode(), f"<{tag}>{status}</{tag}>".encode(), body, count=1)


_CLASS_CHANGE = "DBInstanceClass"
_NOT_CHANGES = {"Action", "Version", "DBInstanceIdentifier", "DBClusterIdentifier", "ApplyImmediately"}
# ModifyDBInstance settings AWS applies at once whatever ApplyImmediately says
_ALWAYS_NOW = {
    "MonitoringInterval",
    "MonitoringRoleArn",
    "EnablePerformanceInsights",
    "PerformanceInsightsKMSKeyId",
    "PerformanceInsightsRetentionPeriod",
    "PromotionTier",
    "DeletionProtection",
    "CopyTagsToSnapshot",
}


@before("rds", "ModifyDBInstance")
def refuse_modify_busy_instance(env: Envelope) -> None:
    """Timing 2: ModifyDBInstance needs an available instance."""
    instance = _instance(env)
    if model() is not None and instance is not None and instance.status != AVAILABLE:
        raise AwsError("InvalidDBInstanceState", "Database instance is not in available state.")


@before("rds", "RebootDBInstance")
def refuse_reboot_busy_instance(env: Envelope) -> None:
    """Timing 2: RebootDBInstance needs an available instance."""
    instance = _instance(env)
    if model() is not None and instance is not None and instance.status != AVAILABLE:
        raise AwsError(
            "InvalidDBInstanceState", "Instance cannot currently reboot due to an in-progress management operation."
        )


@before("rds", "DeleteDBInstance")
def refuse_deleting_instance(env: Envelope) -> None:
    """Timing 2: an instance being deleted cannot be deleted again."""
    instance = _instance(env)
    if model() is not None and instance is not None and instance.status == "deleting":
        message = f"Instance {instance.db_instance_identifier} is already being deleted."
        raise AwsError("InvalidDBInstanceState", message)


@before("rds", "ModifyDBCluster")
def refuse_modify_busy_cluster(env: Envelope) -> None:
    """Timing 2: ModifyDBCluster needs an available cluster; notes an engine upgrade for the after-hook."""
    cluster = _cluster(env)
    if model() is None or cluster is None:
        return
    if cluster.status != AVAILABLE:
        raise AwsError(
            "InvalidDBClusterStateFault", f"DB cluster is not available for modification with status {cluster.status}"
        )
    version = env.param("EngineVersion")
    env.timing_upgrade = bool(version and version != cluster.engine_version)


@before("rds", "DeleteDBCluster")
def refuse_delete_busy_cluster(env: Envelope) -> None:
    """Timing 2: a cluster is deleted only when each member is deleting, and only once."""
    cluster = _cluster(env)
    if model() is None or cluster is None:
        return
    if cluster.status == "deleting":
        message = f"Cluster {cluster.db_cluster_identifier} is already being deleted."
        raise AwsError("InvalidDBClusterStateFault", message)
    if any(member.status != "deleting" for member in cluster._members):
        message = "Cluster cannot be deleted, it still contains DB instances in non-deleting state."
        raise AwsError("InvalidDBClusterStateFault", message)


@after("rds", "ModifyDBInstance", "RebootDBInstance")
def instance_busy(env: Envelope, body: bytes) -> bytes | None:
    """Timing 1: modifying (a class change: as long as a create) or rebooting, then available."""
    instance = _instance(env)
    if model() is None or instance is None:
        return None
    if env.action == "RebootDBInstance":
        operation = "rds.instance.reboot"
    else:
        changes = set(env.params) - _NOT_CHANGES
        now = str(env.param("ApplyImmediately", "")).lower() == "true"
        if not (changes & _ALWAYS_NOW or (now and changes)):
            return None  # nothing, or only pending modifications for the maintenance window
        operation = "rds.instance.modify-class" if now and _CLASS_CHANGE in changes else "rds.instance.modify"
    key = ("rds-instance", env.region, instance.db_instance_identifier)
    status = []
    _READY[key] = _phased(
        key,
        operation,
        lambda s: (status.append(s), setattr(instance, "status", s)),
        _set(instance, "status", AVAILABLE),
    )
    return _rewrite_status(body, "DBInstanceStatus", status[0])


@after("rds", "ModifyDBCluster")
def cluster_busy(env: Envelope, body: bytes) -> bytes | None:
    """Timing 1: modifying, or upgrading (the cluster and its members) on an engine version change."""
    cluster = _cluster(env) or _rds(env.region).clusters.get(env.param("NewDBClusterIdentifier") or "")
    if model() is None or cluster is None or not set(env.params) - _NOT_CHANGES:
        return None
    key = ("rds-cluster", env.region, cluster.db_cluster_identifier)
    upgrade = getattr(env, "timing_upgrade", False)
    end = _phased(
        key,
        "rds.engine.upgrade" if upgrade else "rds.cluster.modify",
        lambda s: _cluster_status(cluster, s),
        lambda: _cluster_status(cluster, AVAILABLE),
    )
    _READY[key] = end
    if not upgrade:
        return _rewrite_status(body, "Status", "modifying")
    for member in cluster._members:
        member_key = ("rds-instance", env.region, member.db_instance_identifier)
        member.status = "upgrading"
        _READY[member_key] = end
        _timeline(member_key, [(end, _set(member, "status", AVAILABLE))])
    return _rewrite_status(body, "Status", "upgrading")


@after("rds", "FailoverDBCluster")
def cluster_failing_over(env: Envelope, body: bytes) -> None:
    """Timing 7: the cluster is failing-over for AWS's failover time (the data plane switched the servers already,
    gap 40: the writer endpoint answers again before the API says available, as AWS's DNS follows its own pace)."""
    cluster = _cluster(env)
    if model() is None or cluster is None:
        return
    key = ("rds-cluster", env.region, cluster.db_cluster_identifier)
    _READY[key] = _phased(
        key, "rds.cluster.failover", lambda s: _cluster_status(cluster, s), lambda: _cluster_status(cluster, AVAILABLE)
    )


@before("rds", "FailoverDBCluster")
def refuse_failover_of_a_busy_cluster(env: Envelope) -> None:
    """Timing 7: a failover needs an available cluster (AWS: InvalidDBClusterStateFault)."""
    cluster = _cluster(env)
    if model() is not None and cluster is not None and cluster.status != AVAILABLE:
        raise AwsError(
            "InvalidDBClusterStateFault",
            f"DbCluster {cluster.db_cluster_identifier} is in {cluster.status} state but expected it to be one of"
            " available.",
        )


# --------------------------------------------------------------------------------------------- EC2 hooks
@before("ec2", "ReleaseAddress")
def refuse_release_of_nat_address(env: Envelope) -> None:
    """Timing 4: an elastic IP held by a NAT gateway that is not yet deleted cannot be released."""
    allocation, ip = env.param("AllocationId"), env.param("PublicIp")
    if model() is None or not (allocation or ip):
        return
    for nat in _ec2(env.region).nat_gateways.values():
        held = any(
            (allocation and a.get("allocationId") == allocation) or (ip and a.get("publicIp") == ip)
            for a in nat.address_set
        )
        if held and nat.state != "deleted":
            raise AwsError("AuthFailure", "You do not have permission to access the specified resource.")


# --------------------------------------------------------------------------------------------- Lambda hooks
_FUNCTION_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/(?P<what>invocations|code|configuration)/?$")
_CONFLICT = 409


@before("lambda", "*")
def refuse_busy_function(env: Envelope) -> None:
    """Timing 5/6: Invoke and updates need an Active function; an update waits for the previous one."""
    match = _FUNCTION_PATH.match(env.path)
    if model() is None or match is None or env.method not in ("POST", "PUT"):
        return
    try:
        fn = _lambda(env.region).get_function(unquote(match["name"]), env.param("Qualifier"))
    except Exception:  # noqa: BLE001 - an unknown function is moto's answer to give
        return
    if fn.state == "Pending":
        raise AwsError(
            "ResourceConflictException",
            "The operation cannot be performed at this time. The function is currently in the following state: Pending",
            _CONFLICT,
        )
    if match["what"] != "invocations" and getattr(fn, LAST_UPDATE, None) == "InProgress":
        raise AwsError(
            "ResourceConflictException",
            f"The operation cannot be performed at this time. An update is in progress for resource: {fn.function_arn}",
            _CONFLICT,
        )
