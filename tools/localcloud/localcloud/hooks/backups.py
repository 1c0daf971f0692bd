"""Gap 41 (RDS): backups, snapshots and point-in-time restore are real on the data plane (moto only copies objects).

Each aurora-postgresql cluster with a data plane (:mod:`.dataplane`) has a continuous backup under the data plane's
base directory, ``<root>/backups/<DbClusterResourceId>/`` (:class:`localcloud.postgres.Archive`):

* **WAL archive** (``wal/``): every server of the cluster runs with ``archive_mode = on`` and an ``archive_command``
  copying to it, so the primary archives each finished segment, and a promoted standby carries on after a failover
  (its timeline history file included). Segments are 1 MB (``initdb --wal-segsize=1``) and ``archive_timeout`` is
  5 s (``LOCALCLOUD_ARCHIVE_TIMEOUT``): what is written is archived within seconds, and an idle cluster writes,
  switches and archives nothing.
* **Base backups** (``base/<n>/``, pg_basebackup -X none over the admin socket): one when the cluster's primary has
  started (in a background thread; a restore waits for it), and one at each simulated automated-backup window:
  every ``LOCALCLOUD_BACKUP_INTERVAL`` seconds (default 86400) and whenever ``POST /_localcloud/backup`` asks
  (``LocalCloud.backup()``). Each is an automated cluster snapshot too (``rds:<cluster>-<YYYY-MM-DD-HH-MM>``; the
  one moto records at CreateDBCluster maps onto the first). After each, what the cluster's BackupRetentionPeriod no
  longer needs is pruned: base backups older than the newest one that still reaches the start of the period (the
  newest always stays), their automated snapshots, and the WAL before the oldest kept backup
  (``pg_archivecleanup``). ``/_localcloud/backup`` with ``shift_seconds`` first pretends that everything in the
  archive happened that much earlier (tests of the retention without waiting days).
* **DescribeDBClusters** ``EarliestRestorableTime`` is the end of the oldest kept base backup (its first consistent
  point); ``LatestRestorableTime`` the archive time of the newest archived segment, or now when the primary wrote
  nothing since (its WAL insert position is the start of the next segment). moto said creation time and now.
* **RestoreDBClusterToPointInTime** (``RestoreToTime``, ``UseLatestRestorableTime``; copy-on-write is a full copy
  here): a time outside [EarliestRestorableTime, LatestRestorableTime] is refused with ``InvalidRestoreFault``; moto
  refuses RestoreToTime with UseLatestRestorableTime or with copy-on-write, as AWS does. The new cluster's primary
  starts from a copy of the newest base backup that ended at or before the time, ``restore_command`` reading the
  source's archive, ``recovery_target_time`` (none: the end of the archive), ``recovery_target_timeline =
  'latest'`` and ``recovery_target_action = 'promote'``; once promoted it is an ordinary primary of the new cluster
  (:func:`.dataplane.launch_primary`: endpoint proxies, its own archive and first base backup, the cluster's
  parameter group and rds.force_ssl). The master password is the source's at that time (it is in the data); the
  replication role gets a new one.
* **CreateDBClusterSnapshot** takes a self-contained base backup of the primary (-X stream) into
  ``<root>/snapshots/<n>/``; it outlives its cluster, DeleteDBClusterSnapshot removes it, CopyDBClusterSnapshot
  links a copy, DeleteDBCluster with a FinalDBSnapshotIdentifier takes one before the servers stop.
  **RestoreDBClusterFromSnapshot** starts the new cluster's primary from it (from an automated snapshot: its base
  backup, recovered to its consistent point from the archive while the source cluster exists).
* Deleting a cluster removes its archive; everything lives under the data plane's base directory, so the shutdown
  paths (``_stop_everything``, ``postgres.stop_recorded``, ``localcloud down``) remove it with the servers. Without
  a data plane (``LOCALCLOUD_DATAPLANE=0``, no PostgreSQL) nothing here acts and moto answers as before.
"""

from __future__ import annotations

import datetime
import logging
import os
import shutil
import threading
import time
from pathlib import Path

from .. import postgres
from ..envelope import Envelope
from ..errors import AwsError
from ..middleware import after, before
from ..patches import patch
from . import dataplane

log = logging.getLogger("localcloud.backups")

ARCHIVE = "_localcloud_archive"  # on a DBCluster: its postgres.Archive
SNAPSHOT_DATA = "_localcloud_data"  # on a DBClusterSnapshot: the directory of its self-contained base backup
AUTOMATED_BASE = "_localcloud_base"  # on an automated DBClusterSnapshot: (Archive, base backup name)
MOTO_EARLIEST = "_localcloud_moto_earliest"  # on a DBCluster: what moto set as EarliestRestorableTime
BACKUP_INTERVAL = float(os.environ.get("LOCALCLOUD_BACKUP_INTERVAL", "86400"))
LATEST_MAX_AGE = 1.0  # seconds a LatestRestorableTime may be reused in DescribeDBClusters

_LOCK = threading.Lock()
_SNAPSHOTS: dict[int, tuple[str, object, Path]] = {}  # id(snapshot) -> (region, snapshot, directory)
_PENDING: dict[tuple[str, str], dict] = {}  # (region, new cluster id) -> what the after-hook restores
_SCHEDULER: threading.Thread | None = None


def _utc(epoch: float) -> datetime.datetime:
    # moto's timestamps are naive UTC datetimes
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).replace(tzinfo=None)


def _iso(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --------------------------------------------------------------------------------------------- the model
@patch
def _install() -> None:
    from moto.rds.models import DBCluster

    if getattr(DBCluster, "_localcloud_backups", False):
        return
    moto_latest = DBCluster.latest_restorable_time.fget

    def earliest(self):
        archive = _archive(self)
        value = archive.earliest() if archive is not None else None
        return _utc(value) if value is not None else self.__dict__.get(MOTO_EARLIEST)

    def set_earliest(self, value):
        self.__dict__[MOTO_EARLIEST] = value

    def latest(self):
        archive = _archive(self)
        value = None
        if archive is not None and archive.earliest() is not None:
            value = archive.latest(getattr(self, dataplane.PRIMARY, None), max_age=LATEST_MAX_AGE)
        return _utc(value) if value is not None else moto_latest(self)

    DBCluster.earliest_restorable_time = property(earliest, set_earliest)
    DBCluster.latest_restorable_time = property(latest)
    DBCluster._localcloud_backups = True


_install()


def _archive(cluster) -> postgres.Archive | None:
    archive = getattr(cluster, ARCHIVE, None)
    return archive if archive is not None and archive.dir.exists() else None


def new_archive(plane: postgres.DataPlane, cluster) -> postgres.Archive:
    """The cluster's (empty) archive, before its primary starts."""
    archive = postgres.Archive(plane, plane.root / "backups" / cluster.db_cluster_resource_id)
    setattr(cluster, ARCHIVE, archive)
    return archive


def drop_archive(cluster) -> None:
    archive = getattr(cluster, ARCHIVE, None)
    if archive is not None:
        archive.remove()


def primary_started(region: str, cluster, server: postgres.Server) -> None:
    """The first base backup (in the background), then the automated snapshot moto took at creation maps onto it."""
    archive = getattr(cluster, ARCHIVE, None)
    if archive is None:
        return

    def done(backup: dict) -> None:
        for snapshot in _backend(region).cluster_snapshots.values():
            if (
                snapshot.snapshot_type == "automated"
                and snapshot.cluster.db_cluster_resource_id == cluster.db_cluster_resource_id
                and not hasattr(snapshot, AUTOMATED_BASE)
            ):
                setattr(snapshot, AUTOMATED_BASE, (archive, backup["name"]))

    archive.take_in_background(server, done)
    _start_scheduler()


def _backend(region: str):
    return dataplane._backend(region)


# --------------------------------------------------------------------------------------------- automated backups
def automated_backup(region: str, cluster, now: float | None = None) -> dict:
    """A base backup (and automated cluster snapshot) of the cluster now, then pruning by its retention period."""
    archive = _archive(cluster)
    primary = getattr(cluster, dataplane.PRIMARY, None)
    if archive is None or primary is None or not primary.pid:
        raise ValueError(f"cluster {cluster.db_cluster_identifier} has no data plane")
    archive.wait()
    backup = archive.take(primary)
    backend = _backend(region)
    # AWS's name; here backups can come more often than once a minute: then with the seconds, or a counter
    stamp = _utc(backup["end"]).strftime("%Y-%m-%d-%H-%M")
    names = [f"rds:{cluster.db_cluster_identifier}-{stamp}"] + [
        f"rds:{cluster.db_cluster_identifier}-{stamp}-{n:02d}" for n in range(100)
    ]
    snapshot_id = next((name for name in names if name not in backend.cluster_snapshots), None)
    if snapshot_id is not None:
        try:
            snapshot = backend.create_auto_cluster_snapshot(cluster.db_cluster_identifier, snapshot_id)
            setattr(snapshot, AUTOMATED_BASE, (archive, backup["name"]))
        except Exception:  # noqa: BLE001 - the backup stands without its snapshot record
            log.warning("cluster %s: no automated snapshot %s", cluster.db_cluster_identifier, snapshot_id)
    retention = float(getattr(cluster, "backup_retention_period", 1) or 1)
    pruned = archive.prune(retention, now)
    for key, snapshot in list(backend.cluster_snapshots.items()):
        base = getattr(snapshot, AUTOMATED_BASE, None)
        if base is not None and base[0] is archive and base[1] in pruned:
            backend.cluster_snapshots.pop(key, None)
    return {"backup": backup["name"], "pruned": pruned}


def _start_scheduler() -> None:
    """The simulated backup window: every BACKUP_INTERVAL seconds an automated backup of every cluster."""
    global _SCHEDULER
    with _LOCK:
        if _SCHEDULER is not None:
            return
        _SCHEDULER = threading.Thread(target=_scheduler, name="localcloud-backup-window", daemon=True)
        _SCHEDULER.start()


def _scheduler() -> None:
    while True:
        time.sleep(BACKUP_INTERVAL)
        if dataplane._PLANE is None:
            return
        with dataplane._LOCK:
            primaries = [(e.region, e.cluster) for e in dataplane._ENTRIES if e.instance is None]
        for region, cluster in primaries:
            try:
                automated_backup(region, cluster)
            except Exception:  # noqa: BLE001 - the next window tries again
                log.exception("cluster %s: automated backup failed", cluster.db_cluster_identifier)


def control(request: dict) -> dict:
    """``POST /_localcloud/backup`` ``{"cluster": id, "region": ..., "shift_seconds": N}``: pretend the archive is N
    seconds older (optional), then take an automated backup now; answers what the archive holds afterwards."""
    region = request.get("region") or "us-east-1"
    cluster = dataplane._cluster(region, request.get("cluster"))
    archive = _archive(cluster) if cluster is not None else None
    if archive is None:
        raise ValueError(f"no cluster {request.get('cluster')!r} with a data plane in {region}")
    archive.wait()
    if request.get("shift_seconds"):
        archive.shift(float(request["shift_seconds"]))
    result = automated_backup(region, cluster)
    primary = getattr(cluster, dataplane.PRIMARY, None)
    return {
        **result,
        "backups": [{k: b[k] for k in ("name", "start", "end", "wal")} for b in archive.backups()],
        "wal": sorted(p.name for p in archive.wal.iterdir()),
        "earliest": archive.earliest(),
        "latest": archive.latest(primary),
        "bytes": archive.size(),
    }


# --------------------------------------------------------------------------------------------- point-in-time restore
def _parse_time(value: str) -> float:
    stamp = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=datetime.UTC)
    return stamp.timestamp()


@before("rds", "RestoreDBClusterToPointInTime")
def refuse_unrestorable_time(env: Envelope) -> None:
    """A RestoreToTime outside what the source's archive reaches is refused (InvalidRestoreFault), as on AWS; the
    after-hook is told what to restore."""
    source = dataplane._cluster(env.region, env.param("SourceDBClusterIdentifier"))
    archive = _archive(source) if source is not None else None
    target, latest_wanted = env.param("RestoreToTime"), str(env.param("UseLatestRestorableTime") or "").lower()
    if archive is None or not env.param("DBClusterIdentifier"):
        return
    if target and (latest_wanted == "true" or (env.param("RestoreType") or "") == "copy-on-write"):
        return  # moto refuses these combinations, as AWS does
    archive.wait()  # the first base backup
    earliest = archive.earliest()
    if earliest is None:
        return  # no base backup (it failed): control plane only
    at = None
    if target:
        at = _parse_time(target)
        latest = archive.latest(getattr(source, dataplane.PRIMARY, None))
        if not (earliest <= at <= (latest or 0)):
            raise AwsError(
                "InvalidRestoreFault",
                f"The specified time {_iso(at)} is not within the restorable time range of DB cluster "
                f"{source.db_cluster_identifier}: {_iso(earliest)} to {_iso(latest or earliest)}.",
            )
    with _LOCK:
        _PENDING[(env.region, env.param("DBClusterIdentifier").lower())] = {"archive": archive, "at": at}


@after("rds", "RestoreDBClusterToPointInTime")
def restore_to_point_in_time(env: Envelope, body: bytes) -> bytes | None:
    """The new cluster's primary: the source's newest base backup that ended at or before the time, recovered from
    the source's archive to that time (or to the archive's end), promoted."""
    with _LOCK:
        pending = _PENDING.pop((env.region, (env.param("DBClusterIdentifier") or "").lower()), None)
    cluster = dataplane._cluster(env.region, env.param("DBClusterIdentifier"))
    if pending is None or cluster is None or dataplane._PLANE is None:
        return None
    archive, at = pending["archive"], pending["at"]
    backups = [b for b in archive.backups() if at is None or b["end"] <= at]
    if not backups:
        log.warning("cluster %s: no base backup to restore from", cluster.db_cluster_identifier)
        return None
    return _start_restored(
        env.region,
        cluster,
        body,
        backup=backups[-1]["path"],
        restore_from=archive.wal,
        target_time=_utc(at).replace(tzinfo=datetime.UTC) if at is not None else None,
    )


def _start_restored(region: str, cluster, body: bytes, **restore) -> bytes | None:
    plane = dataplane._PLANE
    old_writer, old_reader = cluster.endpoint, cluster.reader_endpoint
    started = time.monotonic()
    if dataplane.launch_primary(region, cluster, lambda **common: plane.restore_primary(**restore, **common)) is None:
        return None
    # the master password is the source's, in the data (a restore takes no ManageMasterUserPassword: gap 41b)
    log.info("cluster %s: restored (%.2fs)", cluster.db_cluster_identifier, time.monotonic() - started)
    rewritten = dataplane._rewrite(body, old_writer, cluster.endpoint)
    return dataplane._rewrite(rewritten, old_reader, cluster.reader_endpoint)


# --------------------------------------------------------------------------------------------- snapshots
def _snapshot(region: str, identifier: str | None):
    if not identifier:
        return None
    if identifier.startswith("arn:"):
        identifier = identifier.split(":cluster-snapshot:", 1)[-1]
    snapshots = _backend(region).cluster_snapshots
    found = snapshots.get(identifier) or snapshots.get(identifier.lower())
    if found is None:
        found = next((s for s in snapshots.values() if s.db_cluster_snapshot_identifier == identifier.lower()), None)
    return found


def _snapshot_backup(cluster) -> Path | None:
    """A self-contained base backup (-X stream) of the cluster's primary in a new snapshot directory."""
    plane = dataplane._PLANE
    primary = getattr(cluster, dataplane.PRIMARY, None)
    if plane is None or primary is None or not primary.pid:
        return None
    directory = plane.mkdir(plane.root / "snapshots" / f"{time.time():.6f}")
    started = time.monotonic()
    try:
        plane.base_backup(primary, directory / "data", with_wal=True)
    except Exception:
        log.exception("cluster %s: snapshot backup failed", cluster.db_cluster_identifier)
        shutil.rmtree(directory, ignore_errors=True)
        return None
    log.info("cluster %s: snapshot backup (%.2fs)", cluster.db_cluster_identifier, time.monotonic() - started)
    return directory


def _keep(region: str, snapshot, directory: Path) -> None:
    setattr(snapshot, SNAPSHOT_DATA, directory)
    with _LOCK:
        _SNAPSHOTS[id(snapshot)] = (region, snapshot, directory)


@after("rds", "CreateDBClusterSnapshot")
def take_snapshot(env: Envelope, body: bytes) -> None:
    """The snapshot holds a real, self-contained base backup of the cluster's primary."""
    cluster = dataplane._cluster(env.region, env.param("DBClusterIdentifier"))
    snapshot = _snapshot(env.region, env.param("DBClusterSnapshotIdentifier"))
    if cluster is None or snapshot is None:
        return
    directory = _snapshot_backup(cluster)
    if directory is not None:
        _keep(env.region, snapshot, directory)


@after("rds", "CopyDBClusterSnapshot")
def copy_snapshot(env: Envelope, body: bytes) -> None:
    """The copy holds the same data (hard links: a snapshot's files are never changed)."""
    plane = dataplane._PLANE
    source = _snapshot(env.region, env.param("SourceDBClusterSnapshotIdentifier"))
    target = _snapshot(env.region, env.param("TargetDBClusterSnapshotIdentifier"))
    directory = getattr(source, SNAPSHOT_DATA, None)
    if plane is None or target is None or directory is None or not Path(directory).exists():
        return
    copy = plane.root / "snapshots" / f"{time.time():.6f}"
    plane.run("cp", "-al", str(directory), str(copy))
    _keep(env.region, target, copy)


def _drop_deleted_snapshots(region: str) -> None:
    alive = {id(s) for s in _backend(region).cluster_snapshots.values()}
    with _LOCK:
        gone = [(key, entry) for key, entry in _SNAPSHOTS.items() if entry[0] == region and key not in alive]
        for key, _ in gone:
            del _SNAPSHOTS[key]
    for _, (_, _, directory) in gone:
        shutil.rmtree(directory, ignore_errors=True)


@after("rds", "DeleteDBClusterSnapshot")
def delete_snapshot(env: Envelope, body: bytes) -> None:
    """Deleting a snapshot removes its data."""
    _drop_deleted_snapshots(env.region)


@after("rds", "RestoreDBClusterFromSnapshot")
def restore_from_snapshot(env: Envelope, body: bytes) -> bytes | None:
    """The new cluster's primary starts from the snapshot's data: a manual snapshot's own backup, an automated
    one's base backup recovered to its consistent point from the source's archive."""
    cluster = dataplane._cluster(env.region, env.param("DBClusterIdentifier"))
    snapshot = _snapshot(env.region, env.param("SnapshotIdentifier"))
    if dataplane._PLANE is None or cluster is None or snapshot is None or cluster.engine not in dataplane.ENGINES:
        return None
    directory = getattr(snapshot, SNAPSHOT_DATA, None)
    if directory is not None and Path(directory).exists():
        return _start_restored(env.region, cluster, body, backup=Path(directory) / "data")
    archive, name = getattr(snapshot, AUTOMATED_BASE, (None, None))
    if archive is not None and archive.dir.exists():
        archive.wait()
        backup = next((b for b in archive.backups() if b["name"] == name), None)
        if backup is not None:
            return _start_restored(
                env.region, cluster, body, backup=backup["path"], restore_from=archive.wal, immediate=True
            )
    log.warning(
        "cluster %s: snapshot %s holds no data here", cluster.db_cluster_identifier, env.param("SnapshotIdentifier")
    )
    return None


# --------------------------------------------------------------------------------------------- deleting a cluster
_FINAL: dict[tuple[str, str], tuple[object, Path | None]] = {}  # (region, cluster id) -> (cluster, final backup)


@before("rds", "DeleteDBCluster")
def final_snapshot_backup(env: Envelope) -> None:
    """Before the servers stop: the final snapshot's backup (FinalDBSnapshotIdentifier), and note the cluster."""
    cluster = dataplane._cluster(env.region, env.param("DBClusterIdentifier"))
    if cluster is None:
        return
    final = None
    skip = str(env.param("SkipFinalSnapshot") or "").lower() == "true"
    if env.param("FinalDBSnapshotIdentifier") and not skip and not getattr(cluster, "_members", None):
        final = _snapshot_backup(cluster)
    with _LOCK:
        _FINAL[(env.region, cluster.db_cluster_identifier.lower())] = (cluster, final)


@after("rds", "DeleteDBCluster")
def drop_deleted_archive(env: Envelope, body: bytes) -> None:
    """A deleted cluster's archive goes (its automated backups with it); its final snapshot keeps its data."""
    with _LOCK:
        cluster, final = _FINAL.pop((env.region, (env.param("DBClusterIdentifier") or "").lower()), (None, None))
    if cluster is None:
        return
    backend = _backend(env.region)
    if final is not None:
        snapshot = _snapshot(env.region, env.param("FinalDBSnapshotIdentifier"))
        if snapshot is not None:
            _keep(env.region, snapshot, final)
        else:
            shutil.rmtree(final, ignore_errors=True)
    if cluster in backend.clusters.values() and getattr(cluster, "status", None) != "deleting":
        return
    drop_archive(cluster)
