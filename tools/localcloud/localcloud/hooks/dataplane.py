"""Gap 11 (RDS): there is no database behind the endpoints; this puts real PostgreSQL 15 servers there.

* CreateDBCluster (aurora-postgresql) starts a TLS primary with the master user and password and the
  ``DatabaseName`` database; the first instance (moto's writer) is that primary, every later instance a
  streaming hot standby (``pg_basebackup -R``).
* Each instance's ``Endpoint.Address`` is its own server's loopback address; the cluster's ``Endpoint`` and
  ``ReaderEndpoint`` are addresses of their own (:mod:`localcloud.endpoints`) forwarding to the current primary and,
  in turn, to the available readers (the primary when there is none); port = cluster port. The model properties
  are replaced, so every later response says so; the create responses, rendered before the server existed, are
  rewritten. Every server's certificate names its cluster's endpoint addresses too.
* Failover (gap 40): FailoverDBCluster, RebootDBInstance ForceFailover on the writer and deleting the writer
  promote a reader's standby behind the unchanged writer endpoint; the old writer comes back as a reader.
* Backups (gap 41, :mod:`.backups`): every server archives its WAL to its cluster's archive, base backups and
  snapshots are real, and the point-in-time and snapshot restores start their cluster's primary through
  :func:`launch_primary`, the code path of CreateDBCluster.
* ``rds.force_ssl`` of the cluster parameter group decides whether plaintext is rejected (pg_hba); an
  after-hook re-applies it after every successful cluster-parameter-group or ModifyDBCluster call
  (ResetDBClusterParameterGroup, answered by the catalogue's before-hook, included).
* The engine parameters PostgreSQL itself takes (``ENGINE_SETTINGS``: ``shared_preload_libraries``, ``pgaudit.*``,
  ``log_statement``), as the cluster parameter group sets them, are written to each server's configuration: at start,
  and after every parameter group or ModifyDBCluster call with a reload, so that a dynamic one applies at once and a
  static one (``shared_preload_libraries``) at the next RebootDBInstance, as on Aurora. A library this PostgreSQL does
  not have (``pg_cron``, ``apg_plan_mgmt``) is left out, with a warning.
* The ``postgresql`` log export: the servers' log lines reach ``/aws/rds/cluster/<id>/postgresql``, one stream per
  instance, before each read of that group (FilterLogEvents, GetLogEvents, DescribeLogStreams).
* ModifyDBCluster MasterUserPassword -> ALTER ROLE; RebootDBInstance restarts; DeleteDBInstance and
  DeleteDBCluster stop and remove; shutdown (and ``localcloud down``) stop them all.
* Passwords RDS manages (gaps 37, 39): the managed secret holds the master user and the password the server accepts,
  whether ManageMasterUserPassword was set at CreateDBCluster or later with ModifyDBCluster (a new password, the old
  one stops working); a rotate-now changes both; ManageMasterUserPassword=False with a MasterUserPassword deletes the
  secret (moto) and sets that password (ALTER ROLE, as above).

``LOCALCLOUD_DATAPLANE=0`` switches this off; without the PostgreSQL binaries it logs one warning and the
local cloud stays control plane only. Server management lives in :mod:`localcloud.postgres`.
"""

from __future__ import annotations

import logging
import os
import secrets
import string
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .. import ACCOUNT_ID, endpoints, postgres
from ..envelope import Envelope
from ..middleware import after, before
from ..patches import patch
from . import on_shutdown

log = logging.getLogger("localcloud.dataplane")

ENGINES = ("aurora-postgresql", "postgres")
FORCE_SSL_DEFAULT = "0"  # aurora-postgresql15 engine default (data/aurora-postgresql15.json)
# Cluster parameters PostgreSQL itself takes (the others are Aurora's own, or the local cloud's settings win).
ENGINE_SETTINGS = ("shared_preload_libraries", "log_statement")
ENGINE_SETTING_PREFIXES = ("pgaudit.",)
LOG_EXPORT = "postgresql"
PRIMARY = "_localcloud_primary"  # on a DBCluster: its primary Server
SERVER = "_localcloud_server"  # on a DBInstance: its standby Server
ENDPOINTS = "_localcloud_endpoints"  # on a DBCluster: {"writer": Endpoint, "reader": Endpoint}

_PLANE: postgres.DataPlane | None = None
_LOCK = threading.Lock()


@dataclass(eq=False)
class _Entry:
    server: postgres.Server
    region: str
    cluster: object  # moto DBCluster
    instance: object | None = None  # moto DBInstance (standbys only)
    replication_password: str | None = None


_ENTRIES: list[_Entry] = []


def configure(state_dir: Path) -> None:
    """Called once at start-up with the state dir: CA, leftovers of a killed earlier run, the data plane."""
    global _PLANE
    postgres.Pki(Path(state_dir) / "dataplane").ensure()
    if os.environ.get("LOCALCLOUD_DATAPLANE", "1").strip().lower() in ("0", "false", "no", "off"):
        log.info("data plane switched off (LOCALCLOUD_DATAPLANE=0): control plane only")
        return
    missing = postgres.available()
    if missing:
        log.warning(
            "PostgreSQL binaries missing in %s (%s): no data plane, control plane only",
            postgres.PG_BIN,
            ", ".join(missing),
        )
        return
    leftover = postgres.stop_recorded(state_dir)
    if leftover:
        log.info("stopped %d PostgreSQL servers left by an earlier run", leftover)
    _PLANE = postgres.DataPlane(state_dir)
    on_shutdown(_stop_everything)


def ca_file(state_dir: Path) -> Path:
    return postgres.Pki(Path(state_dir) / "dataplane").ensure()


def _stop_everything() -> None:
    global _PLANE
    plane, _PLANE = _PLANE, None
    with _LOCK:
        clusters = {id(e.cluster): e.cluster for e in _ENTRIES}
        _ENTRIES.clear()
    for cluster in clusters.values():
        _close_endpoints(cluster)
    if plane is not None:
        plane.stop_all()


# --------------------------------------------------------------------------------------------- the model
@patch
def _install() -> None:
    from moto.rds.models import DBCluster, DBInstance

    if getattr(DBCluster, "_localcloud_dataplane", False):
        return
    cluster_endpoint, cluster_reader, instance_address = (
        DBCluster.endpoint.fget,
        DBCluster.reader_endpoint.fget,
        DBInstance.address.fget,
    )

    def endpoint(self):
        proxies = getattr(self, ENDPOINTS, None)
        return proxies["writer"].address if proxies else cluster_endpoint(self)

    def reader_endpoint(self):
        proxies = getattr(self, ENDPOINTS, None)
        return proxies["reader"].address if proxies else cluster_reader(self)

    def address(self):
        cluster = getattr(self, "cluster", None)
        primary = getattr(cluster, PRIMARY, None)
        if primary is not None and getattr(self, "is_cluster_writer", False):
            return primary.address
        server = getattr(self, SERVER, None)
        return server.address if server is not None else instance_address(self)

    DBCluster.endpoint = property(endpoint)
    DBCluster.reader_endpoint = property(reader_endpoint)
    DBInstance.address = property(address)
    DBCluster._localcloud_dataplane = True


_install()


def _backend(region: str):
    from moto.rds.models import rds_backends

    return rds_backends[ACCOUNT_ID][region]


def _cluster(region: str, identifier: str | None):
    clusters = _backend(region).clusters
    if not identifier:
        return None
    return clusters.get(identifier) or clusters.get(identifier.lower())


def _force_ssl(region: str, cluster) -> bool:
    group = _backend(region).db_cluster_parameter_groups.get((cluster.parameter_group or "").lower())
    value = None
    if group is not None:
        value = (group.parameters.get("rds.force_ssl") or {}).get("ParameterValue")
    return str(value if value is not None else FORCE_SSL_DEFAULT).strip() == "1"


def engine_settings(region: str, cluster) -> dict[str, str]:
    """The ENGINE_SETTINGS the cluster's parameter group sets (engine defaults stay PostgreSQL's own)."""
    group = _backend(region).db_cluster_parameter_groups.get((cluster.parameter_group or "").lower())
    settings = {}
    for name, parameter in sorted(((group.parameters if group is not None else None) or {}).items()):
        value = (parameter or {}).get("ParameterValue")
        if value is None or not (name in ENGINE_SETTINGS or name.startswith(ENGINE_SETTING_PREFIXES)):
            continue
        if name == "shared_preload_libraries":
            wanted = [lib.strip() for lib in str(value).split(",") if lib.strip()]
            have = postgres.available_libraries()
            missing = [lib for lib in wanted if lib not in have]
            if missing:
                log.warning(
                    "cluster %s: shared_preload_libraries %s not installed here, left out",
                    cluster.db_cluster_identifier,
                    ", ".join(missing),
                )
            value = ",".join(lib for lib in wanted if lib in have)
        settings[name] = str(value)
    return settings


MANAGED_PASSWORD_LENGTH = 28
MANAGED_ROTATION_DAYS = 7
# On a MasterUserSecret: its AWSCURRENT value is the local cloud's (not moto's placeholder "admin" / "P@55w0rd!").
MANAGED_VALUE = "_localcloud_value"
_PASSWORD_ALPHABET = string.ascii_letters + string.digits


def new_managed_password() -> str:
    return "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(MANAGED_PASSWORD_LENGTH))


def _put_managed_value(cluster, password: str, token: str | None = None) -> str:
    """A new AWSCURRENT version of the cluster's managed secret with its master user and ``password``."""
    import json
    import uuid

    managed = getattr(cluster, "master_user_secret", None)
    secret = managed.secret
    backend = managed.secretsmanager
    value = json.dumps({"username": cluster.master_username, "password": password})
    token = token or str(uuid.uuid4())
    backend.put_secret_value(secret.arn, value, None, token, ["AWSCURRENT"])
    setattr(managed, MANAGED_VALUE, True)
    return token


def managed_password(cluster, password: str | None = None) -> str:
    """A fresh password (or ``password``) for a cluster whose master password RDS manages, written to its managed
    secret, whose 7-day rotation is turned on; a random one nobody knows when the cluster has no managed secret."""
    password = password or new_managed_password()
    managed = getattr(cluster, "master_user_secret", None)
    if managed is not None:
        _put_managed_value(cluster, password)
        # RDS turns rotation on for its managed secret, every 7 days until someone changes the schedule
        managed.secret.rotation_requested = True
        managed.secret.rotation_enabled = True
        managed.secret.auto_rotate_after_days = MANAGED_ROTATION_DAYS
    return password


def cluster_of_managed_secret(region: str, secret_arn: str):
    """The cluster whose RDS-managed master secret this is, or None."""
    for cluster in _backend(region).clusters.values():
        managed = getattr(cluster, "master_user_secret", None)
        if managed is not None and managed.secret.arn == secret_arn:
            return cluster
    return None


def rotate_managed(region: str, cluster, token: str | None = None) -> str:
    """What RDS does when its managed secret rotates: a new password in a new AWSCURRENT version, and the same
    password set on the database (ALTER ROLE). Returns the new version's ID."""
    password = new_managed_password()
    _set_master_password(cluster, password)
    version = _put_managed_value(cluster, password, token)
    cluster.master_user_secret.secret.last_rotation_date = int(time.time())
    return version


def _set_master_password(cluster, password: str) -> None:
    """ALTER ROLE the master user on the cluster's primary (nothing without a data plane)."""
    entry = _primary_entry(cluster)
    if entry is not None:
        user = postgres.sql_identifier(cluster.master_username)
        entry.server.admin(f"ALTER ROLE {user} WITH PASSWORD {postgres.sql_literal(password)};\n")


def _rewrite(body: bytes, old: str, new: str) -> bytes:
    return body.replace(f">{old}<".encode(), f">{new}<".encode())


def _primary_entry(cluster) -> _Entry | None:
    with _LOCK:
        return next((e for e in _ENTRIES if e.cluster is cluster and e.instance is None), None)


# --------------------------------------------------------------------------------------------- hooks
@after("rds", "CreateDBCluster")
def start_primary(env: Envelope, body: bytes) -> bytes | None:
    plane = _PLANE
    cluster = _cluster(env.region, env.param("DBClusterIdentifier"))
    if plane is None or cluster is None or cluster.engine not in ENGINES:
        return None
    old_writer, old_reader = cluster.endpoint, cluster.reader_endpoint
    # ManageMasterUserPassword: the password RDS generates goes into the managed secret (moto put a fixed one there,
    # with the user "admin"), so that the secret logs in, as on AWS.
    password = env.param("MasterUserPassword") or managed_password(cluster)

    def create(**common):
        return plane.create_primary(
            master_user=cluster.master_username,
            master_password=password,
            database=env.param("DatabaseName"),
            **common,
        )

    if launch_primary(env.region, cluster, create) is None:
        return None
    return _rewrite(_rewrite(body, old_writer, cluster.endpoint), old_reader, cluster.reader_endpoint)


def launch_primary(region: str, cluster, create) -> postgres.Server | None:
    """The cluster's primary, as every primary starts (CreateDBCluster, the restores of gap 41): the writer and reader
    endpoint proxies, then ``create(owner=, port=, force_ssl=, settings=, endpoint_addresses=, archive=)`` -> (server,
    replication password) with the cluster's port, parameter group (rds.force_ssl, ENGINE_SETTINGS) and WAL archive;
    registered as the cluster's primary, its first base backup started (:mod:`.backups`). None when it fails (the
    cluster stays control plane only)."""
    from . import backups

    plane = _PLANE
    started = time.monotonic()
    proxies = archive = None
    try:
        proxies = _open_endpoints(plane, cluster)
        archive = backups.new_archive(plane, cluster)
        server, replication_password = create(
            owner=f"cluster {cluster.db_cluster_identifier}",
            port=int(cluster.port),
            force_ssl=_force_ssl(region, cluster),
            settings=engine_settings(region, cluster),
            endpoint_addresses=(proxies["writer"].address, proxies["reader"].address),
            archive=archive.wal,
        )
    except Exception:
        log.exception("cluster %s: no PostgreSQL primary, control plane only", cluster.db_cluster_identifier)
        if proxies:
            _close_endpoints(cluster)
        if archive is not None:
            backups.drop_archive(cluster)
        return None
    with _LOCK:
        _ENTRIES.append(_Entry(server, region, cluster, replication_password=replication_password))
    setattr(cluster, PRIMARY, server)
    log.info(
        "cluster %s: primary on %s:%s, endpoints %s (writer) and %s (reader) (%.2fs)",
        cluster.db_cluster_identifier,
        server.address,
        server.port,
        cluster.endpoint,
        cluster.reader_endpoint,
        time.monotonic() - started,
    )
    backups.primary_started(region, cluster, server)
    return server


# --------------------------------------------------------------------------------------------- endpoints
def _open_endpoints(plane: postgres.DataPlane, cluster) -> dict[str, endpoints.Endpoint]:
    """The cluster's writer and reader endpoints: addresses of their own, forwarding to the primary and the readers."""
    port = int(cluster.port)
    turn = iter(range(1 << 62))

    def writer() -> tuple[str, int] | None:
        primary = getattr(cluster, PRIMARY, None)
        return (primary.address, primary.port) if primary is not None and primary.pid else None

    def reader() -> tuple[str, int] | None:
        # Aurora's reader endpoint balances connections over the available readers (the writer when there is none)
        readers = [
            server
            for member in cluster._members  # creation order
            if not member.is_cluster_writer
            and getattr(member, "status", "available") == "available"
            and (server := getattr(member, SERVER, None)) is not None
            and server.pid
        ]
        if not readers:
            return writer()
        chosen = readers[next(turn) % len(readers)]
        return chosen.address, chosen.port

    proxies = {}
    for role, target in (("writer", writer), ("reader", reader)):
        for _ in range(postgres.MAX_ADDRESS_ATTEMPTS):
            address = plane.reserve_address(port)
            try:
                proxies[role] = endpoints.Endpoint(f"{cluster.db_cluster_identifier}-{role}", address, port, target)
                break
            except OSError:  # taken by another process meanwhile: keep it reserved, try the next
                continue
        else:
            raise postgres.StartError(f"no free loopback address for port {port}")
    setattr(cluster, ENDPOINTS, proxies)
    return proxies


def _close_endpoints(cluster) -> None:
    proxies = getattr(cluster, ENDPOINTS, None) or {}
    plane = _PLANE
    for proxy in proxies.values():
        proxy.close()
        if plane is not None:
            plane.release_address(proxy.address, proxy.port)


@after("rds", "CreateDBInstance")
def start_standby(env: Envelope, body: bytes) -> bytes | None:
    plane = _PLANE
    instance = _backend(env.region).databases.get((env.param("DBInstanceIdentifier") or "").lower())
    cluster = getattr(instance, "cluster", None)
    primary = _primary_entry(cluster) if cluster is not None else None
    if plane is None or primary is None or instance.is_cluster_writer:
        return None  # the writer is the primary (its address already says so)
    old_address = instance.address
    started = time.monotonic()
    try:
        server = plane.create_standby(
            primary.server, primary.replication_password, owner=f"instance {instance.db_instance_identifier}"
        )
    except Exception:
        log.exception("instance %s: no PostgreSQL standby", instance.db_instance_identifier)
        return None
    with _LOCK:
        _ENTRIES.append(_Entry(server, env.region, cluster, instance))
    setattr(instance, SERVER, server)
    log.info(
        "instance %s: standby on %s:%s (%.2fs)",
        instance.db_instance_identifier,
        server.address,
        server.port,
        time.monotonic() - started,
    )
    return _rewrite(body, old_address, server.address)


@after("rds", "ModifyDBCluster")
def change_master_password(env: Envelope, body: bytes) -> None:
    password = env.param("MasterUserPassword")
    cluster = _cluster(env.region, env.param("NewDBClusterIdentifier")) or _cluster(
        env.region, env.param("DBClusterIdentifier")
    )
    entry = _primary_entry(cluster) if password and cluster is not None else None
    if entry is None:
        return
    user = postgres.sql_identifier(cluster.master_username)
    entry.server.admin(f"ALTER ROLE {user} WITH PASSWORD {postgres.sql_literal(password)};\n")


@after("rds", "ModifyDBCluster")
def manage_master_password(env: Envelope, body: bytes) -> None:
    """Gap 39: ModifyDBCluster ManageMasterUserPassword=True on a cluster with a master password of its own: RDS
    generates a new password, keeps it with the master user in the new managed secret (AWSCURRENT, rotated every 7
    days) and sets it on the database; the old password stops working. moto's new secret held "admin" and a fixed
    password, and the database kept the old one. On a cluster whose password RDS already manages nothing changes
    (patches:_rds_managed_secret_kept keeps its secret; its value is already the local cloud's)."""
    if str(env.param("ManageMasterUserPassword") or "").lower() != "true":
        return
    cluster = _cluster(env.region, env.param("NewDBClusterIdentifier")) or _cluster(
        env.region, env.param("DBClusterIdentifier")
    )
    managed = getattr(cluster, "master_user_secret", None)
    if managed is None or getattr(managed, MANAGED_VALUE, False):
        return
    password = new_managed_password()
    _set_master_password(cluster, password)  # the database first: the secret never holds a password it refuses
    managed_password(cluster, password)


@after("rds", "ModifyDBCluster")
def rotate_master_user_password(env: Envelope, body: bytes) -> None:
    """Gap 37: ModifyDBCluster RotateMasterUserPassword rotates the managed secret and the database's password."""
    if str(env.param("RotateMasterUserPassword") or "").lower() != "true":
        return
    cluster = _cluster(env.region, env.param("NewDBClusterIdentifier")) or _cluster(
        env.region, env.param("DBClusterIdentifier")
    )
    if cluster is not None and getattr(cluster, "master_user_secret", None) is not None:
        rotate_managed(env.region, cluster)


@after("rds", "RebootDBInstance")
def restart_server(env: Envelope, body: bytes) -> None:
    instance = _backend(env.region).databases.get((env.param("DBInstanceIdentifier") or "").lower())
    if instance is None:
        return
    if str(env.param("ForceFailover") or "").lower() == "true" and getattr(instance, "is_cluster_writer", False):
        cluster = getattr(instance, "cluster", None)
        target = _failover_target(cluster, None) if cluster is not None else None
        if target is not None:  # a reboot with failover: a reader takes over, the old writer comes back as one
            fail_over(cluster, target)
            return
    server = getattr(instance, SERVER, None)
    if getattr(instance, "is_cluster_writer", False):
        server = getattr(getattr(instance, "cluster", None), PRIMARY, None) or server
    if server is not None and server.pid:
        server.restart()


@after("rds", "DeleteDBInstance", "DeleteDBCluster")
def stop_deleted(env: Envelope, body: bytes) -> None:
    """Stop the servers whose instance (standbys) or cluster (all) is no longer in moto's model, or is being
    deleted (the timing model keeps it ``deleting`` for a while; AWS stops serving at once)."""
    backend = _backend(env.region)
    instances, clusters = set(map(id, backend.databases.values())), set(map(id, backend.clusters.values()))

    def gone_or_deleting(resource, alive: set[int]) -> bool:
        return id(resource) not in alive or getattr(resource, "status", None) == "deleting"

    with _LOCK:
        gone = [
            e
            for e in _ENTRIES
            if e.region == env.region
            and (
                gone_or_deleting(e.cluster, clusters)
                or (e.instance is not None and gone_or_deleting(e.instance, instances))
            )
        ]
        for entry in gone:
            _ENTRIES.remove(entry)
    for entry in gone:
        entry.server.stop()
        log.info("%s: server on %s:%s stopped", entry.server.owner, entry.server.address, entry.server.port)
    for cluster in {id(e.cluster): e.cluster for e in gone if e.instance is None}.values():
        _close_endpoints(cluster)


@after(
    "rds",
    "ModifyDBCluster",
    "CreateDBClusterParameterGroup",
    "CopyDBClusterParameterGroup",
    "ModifyDBClusterParameterGroup",
    "ResetDBClusterParameterGroup",
    "DeleteDBClusterParameterGroup",
)
def sync_force_ssl(env: Envelope, body: bytes) -> None:
    """Give every server the ``rds.force_ssl`` of its cluster's current parameter group (reload on change)."""
    if _PLANE is None:
        return
    with _LOCK:
        entries = [e for e in _ENTRIES if e.region == env.region]
    try:
        for entry in entries:
            entry.server.set_force_ssl(_force_ssl(env.region, entry.cluster))
    except Exception:  # the API call itself succeeded; say so, and log why the servers did not follow
        log.exception("rds.force_ssl not applied after %s", env.action)


@after(
    "rds",
    "ModifyDBCluster",
    "CreateDBClusterParameterGroup",
    "CopyDBClusterParameterGroup",
    "ModifyDBClusterParameterGroup",
    "ResetDBClusterParameterGroup",
    "DeleteDBClusterParameterGroup",
)
def sync_engine_settings(env: Envelope, body: bytes) -> None:
    """Give every server the ENGINE_SETTINGS of its cluster's current parameter group (reload on change)."""
    if _PLANE is None:
        return
    with _LOCK:
        entries = [e for e in _ENTRIES if e.region == env.region]
    try:
        for entry in entries:
            entry.server.set_settings(engine_settings(env.region, entry.cluster))
    except Exception:  # the API call itself succeeded; say so, and log why the servers did not follow
        log.exception("engine settings not applied after %s", env.action)


# Bytes of each server's log already exported (server directory -> offset).
_EXPORTED: dict[str, int] = {}


def _stream_of(entry: _Entry) -> str:
    """The log stream of a server: its instance's identifier (the writer's for the primary), as on Aurora."""
    if entry.instance is not None:
        return entry.instance.db_instance_identifier
    writer = next((m for m in getattr(entry.cluster, "_members", []) if getattr(m, "is_cluster_writer", False)), None)
    return writer.db_instance_identifier if writer is not None else entry.cluster.db_cluster_identifier


@before("logs", "FilterLogEvents", "GetLogEvents", "DescribeLogStreams")
def export_postgresql_log(env: Envelope) -> None:
    """The ``postgresql`` log export: new lines of the cluster's servers' logs into its log group, before a read."""
    from moto.logs.models import logs_backends

    name = env.param("logGroupName") or ""
    prefix, _, rest = name.partition("/aws/rds/cluster/")
    identifier, _, log_type = rest.partition("/")
    if prefix or log_type != LOG_EXPORT:
        return
    cluster = _cluster(env.region, identifier)
    group = logs_backends[ACCOUNT_ID][env.region].groups.get(name)
    if cluster is None or group is None or LOG_EXPORT not in (cluster.enabled_cloudwatch_logs_exports or []):
        return
    with _LOCK:
        entries = [e for e in _ENTRIES if e.cluster is cluster]
    backend = logs_backends[ACCOUNT_ID][env.region]
    for entry in entries:
        key = str(entry.server.dir)
        try:
            with open(entry.server.log, "rb") as fh:
                fh.seek(_EXPORTED.get(key, 0))
                data = fh.read()
        except OSError:
            continue
        complete = data[: data.rfind(b"\n") + 1]
        _EXPORTED[key] = _EXPORTED.get(key, 0) + len(complete)
        lines = [line for line in complete.decode(errors="replace").splitlines() if line.strip()]
        if not lines:
            continue
        stream = _stream_of(entry)
        if stream not in group.streams:
            backend.create_log_stream(name, stream)
        now = int(time.time() * 1000)
        backend.put_log_events(name, stream, [{"timestamp": now, "message": line} for line in lines])


# --------------------------------------------------------------------------------------------- failover
_FAILOVER_LOCK = threading.Lock()  # one failover at a time (they are short)


def _failover_target(cluster, identifier: str | None):
    """The instance a failover promotes: the named one, or the available reader with the best (lowest) promotion
    tier, the earliest created first (AWS: highest priority tier, then the largest, else arbitrary); None if none."""
    members = [m for m in cluster._members if not m.is_cluster_writer]
    if identifier:
        return next((m for m in members if m.db_instance_identifier.lower() == identifier.lower()), None)
    available = [m for m in members if getattr(m, "status", "available") == "available"]
    ranked = sorted(enumerate(available), key=lambda pair: (int(getattr(pair[1], "promotion_tier", 1) or 0), pair[0]))
    return ranked[0][1] if ranked else None


def fail_over(cluster, target, old_writer_goes: bool = False) -> None:
    """``target`` (a reader of ``cluster``) becomes the writer: IsClusterWriter moves to it and, with a data plane,
    its standby is promoted behind the writer endpoint (suspended meanwhile: open connections dropped, new ones
    closed), the other readers follow it, and the old primary comes back as a standby on the old writer's address
    (``old_writer_goes``: the old writer instance is being deleted, its server just stops). The cluster is
    ``failing-over`` until then."""
    with _FAILOVER_LOCK:
        old_writer = next((m for m in cluster._members if m.is_cluster_writer), None)
        previous_status = cluster.status
        cluster.status = "failing-over"
        try:
            _switch_servers(cluster, target, old_writer, old_writer_goes)
        finally:
            if old_writer is not None:
                old_writer.is_cluster_writer = False
            target.is_cluster_writer = True
            cluster.status = previous_status  # the timing model (timing-7) may keep it failing-over for longer
    log.info(
        "cluster %s: failed over from %s to %s",
        cluster.db_cluster_identifier,
        getattr(old_writer, "db_instance_identifier", None),
        target.db_instance_identifier,
    )


def _switch_servers(cluster, target, old_writer, old_writer_goes: bool) -> None:
    plane = _PLANE
    primary = _primary_entry(cluster)
    with _LOCK:
        standby = next((e for e in _ENTRIES if e.instance is target), None)
        others = [e for e in _ENTRIES if e.cluster is cluster and e.instance is not None and e is not standby]
    if plane is None or primary is None or standby is None or not standby.server.pid:
        return  # control plane only
    proxies = getattr(cluster, ENDPOINTS, {})
    writer_endpoint = proxies.get("writer")
    old_server, new_server = primary.server, standby.server
    if writer_endpoint is not None:
        writer_endpoint.suspend()
    try:
        old_server.stop(remove=False)  # first: never two primaries
        new_server.promote()
        new_server.owner = f"cluster {cluster.db_cluster_identifier}"
        with _LOCK:
            primary.server = new_server
            setattr(cluster, PRIMARY, new_server)
            if target is not None and getattr(target, SERVER, None) is new_server:
                delattr(target, SERVER)
            _ENTRIES.remove(standby)
    finally:
        if writer_endpoint is not None:
            writer_endpoint.resume()
    if "reader" in proxies:
        proxies["reader"].drop_connections()  # the promoted reader's sessions are gone too
    for entry in others:
        try:
            entry.server.follow(new_server)
        except Exception:
            log.exception("%s: could not follow the new primary", entry.server.owner)
    if old_writer_goes or old_writer is None:
        old_server.stop()
        return
    old_server.owner = f"instance {old_writer.db_instance_identifier}"
    try:
        plane.rebuild_standby(old_server, new_server, primary.replication_password)
    except Exception:
        log.exception("%s: the old primary did not come back as a standby", old_server.owner)
        old_server.stop()
        return
    with _LOCK:
        _ENTRIES.append(_Entry(old_server, primary.region, cluster, old_writer))
    setattr(old_writer, SERVER, old_server)


@after("rds", "FailoverDBCluster")
def failover_cluster(env: Envelope, body: bytes) -> None:
    """Gap 40: FailoverDBCluster changes the writer (moto answered and changed nothing): the named reader, or the
    available one with the best promotion tier, becomes the writer; the data plane promotes its PostgreSQL standby
    behind the unchanged writer endpoint and brings the old writer back as a reader. moto itself moves the writer
    flag to its first available reader: that is undone first (the before-hook noted the writer), so that the target
    is the data plane's choice and the promoted server is a standby."""
    cluster = _cluster(env.region, env.param("DBClusterIdentifier"))
    if cluster is None:
        return
    writer = _FAILOVER_WRITERS.pop((env.region, cluster.db_cluster_identifier.lower()), None)
    if writer is not None and any(m is writer for m in cluster._members):
        # moto moved IsClusterWriter itself (to its first available reader): undo, the data plane decides
        for member in cluster._members:
            member.is_cluster_writer = member is writer
    target = _failover_target(cluster, env.param("TargetDBInstanceIdentifier"))
    if target is not None:
        fail_over(cluster, target)


_FAILOVER_WRITERS: dict[tuple[str, str], object] = {}


@before("rds", "FailoverDBCluster")
def refuse_failover_to_a_stranger(env: Envelope) -> None:
    """A target that is no member of the cluster is refused (moto took any instance of the region)."""
    from ..errors import AwsError

    cluster = _cluster(env.region, env.param("DBClusterIdentifier"))
    if cluster is not None:  # the writer before moto changes it (see failover_cluster)
        writer = next((m for m in cluster._members if m.is_cluster_writer), None)
        _FAILOVER_WRITERS[(env.region, cluster.db_cluster_identifier.lower())] = writer
    wanted = (env.param("TargetDBInstanceIdentifier") or "").lower()
    if cluster is None or not wanted:
        return
    members = {m.db_instance_identifier.lower() for m in cluster._members}
    if wanted not in members and wanted in _backend(env.region).databases:
        raise AwsError(
            "InvalidParameterValue",
            f"The target instance {env.param('TargetDBInstanceIdentifier')} is not a member of the DB cluster "
            f"{cluster.db_cluster_identifier}.",
        )


_DELETING_WRITERS: dict[tuple[str, str], object] = {}


@before("rds", "DeleteDBInstance")
def note_deleted_writer(env: Envelope) -> None:
    instance = _backend(env.region).databases.get((env.param("DBInstanceIdentifier") or "").lower())
    if instance is not None and getattr(instance, "is_cluster_writer", False) and getattr(instance, "cluster", None):
        _DELETING_WRITERS[(env.region, instance.db_instance_identifier.lower())] = instance


@after("rds", "DeleteDBInstance")
def fail_over_deleted_writer(env: Envelope, body: bytes) -> None:
    """Deleting the writer while readers are available fails over to one of them, as on Aurora."""
    instance = _DELETING_WRITERS.pop((env.region, (env.param("DBInstanceIdentifier") or "").lower()), None)
    cluster = getattr(instance, "cluster", None)
    if instance is None or cluster is None:
        return
    gone = all(member is not instance for member in cluster._members)
    if gone:  # moto deleted it at once and designated a writer of its own: undo, the data plane decides
        for member in cluster._members:
            member.is_cluster_writer = False
    else:
        instance.is_cluster_writer = True
    target = _failover_target(cluster, None)
    if target is None:
        return
    fail_over(cluster, target, old_writer_goes=True)


from . import backups as _backups  # noqa: E402, F401 - registers gap 41's hooks (snapshots, point-in-time restore)
