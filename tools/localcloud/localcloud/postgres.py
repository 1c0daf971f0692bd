"""Real PostgreSQL 15 servers for the local cloud's Aurora clusters: TLS, a primary and hot standbys.

No moto here: :mod:`localcloud.hooks.dataplane` maps clusters and instances onto these servers; the CLI
imports only :func:`stop_recorded` (``localcloud down`` works even when the server process is gone).

Layout::

    <state_dir>/dataplane/ca.pem, ca.key     local CA (once per state dir), ca.pem world-readable
    <state_dir>/dataplane/roots              base directories this state dir created (one per process)
    <state_dir>/dataplane/servers/<n>.json   one record per running server: pid, data dir, address

    /tmp/localcloud-pg-XXXX/                 base directory (owned by ``postgres`` when we run as root,
        ca.pem, template/                    as the state dir may sit where that user cannot reach)
        <n>/data, <n>/server.crt|key         one server: data dir, certificate, unix socket, log
        backups/<cluster resource id>/       a cluster's WAL archive (wal/) and base backups (base/<n>/): Archive
        snapshots/<n>/data                   a cluster snapshot's self-contained base backup

PostgreSQL refuses to run as root: then every PostgreSQL binary runs as ``postgres`` through
``runuser -u postgres --``. Administration goes through the unix socket in the server's private directory,
as the superuser ``localcloud_admin`` (peer authentication, mapped from the OS user); TCP is for clients
(scram-sha-256) and for replication (``localcloud_replicator``, random password, TLS only).
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import logging
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from .procs import pid_alive

log = logging.getLogger("localcloud.postgres")

PG_BIN = Path(os.environ.get("LOCALCLOUD_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "postgres"  # the Debian package's system user, used when we run as root
ADMIN = "localcloud_admin"
REPLICATOR = "localcloud_replicator"
BINARIES = ("initdb", "pg_ctl", "postgres", "pg_basebackup", "psql", "pg_config", "pg_archivecleanup")
FIRST_ADDRESS = ipaddress.ip_address("127.0.1.1")
_LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
MAX_ADDRESS_ATTEMPTS = 50
WAL_SEGMENT_MB = 1  # initdb --wal-segsize: a forced segment switch archives 1 MB, not 16
# archive_timeout: a segment holding anything written is archived at most this many seconds later (an idle server
# writes nothing, so switches nothing and archives nothing).
ARCHIVE_TIMEOUT = int(os.environ.get("LOCALCLOUD_ARCHIVE_TIMEOUT", "5"))
RECOVERY_TIMEOUT = 120.0
QUIET_MARGIN = 0.05  # seconds between a commit and the archiving of the segment that holds it, at least

_SERVER_SETTINGS = """
# ---- local cloud (all servers) ----
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 16MB
max_connections = 40
max_wal_senders = 10
wal_level = replica
hot_standby = on
password_encryption = 'scram-sha-256'
huge_pages = off
logging_collector = off
include 'localcloud.conf'
"""


def available() -> list[str]:
    """The PostgreSQL binaries that are missing (empty when the data plane can run)."""
    return [name for name in BINARIES if not os.access(PG_BIN / name, os.X_OK)]


def sql_literal(value: str) -> str:
    # standard_conforming_strings is on (the default since 9.1): only the quote needs doubling.
    if "\x00" in value:
        raise ValueError("NUL in an SQL string")
    return "'" + value.replace("'", "''") + "'"


def conf_literal(value: str) -> str:
    """A postgresql.conf string literal."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "''") + "'"


# Extensions Aurora lets the master user (rds_superuser) create although PostgreSQL marks them untrusted: the data
# plane's own installation marks them trusted, so that the master user (not a superuser here either) can.
RDS_SUPERUSER_EXTENSIONS = ("pgaudit",)
# Server programs run from that installation (they find share/ and lib/ relative to themselves).
SERVER_BINARIES = ("initdb", "pg_ctl", "postgres")


def relocated_install(root: Path) -> Path:
    """A PostgreSQL installation under ``root`` (the server programs copied, share/ and lib/ linked) whose
    RDS_SUPERUSER_EXTENSIONS are trusted; its bin directory. PostgreSQL finds its share and lib directories relative
    to its own program, so the system installation stays untouched."""
    share = Path(
        subprocess.run(
            [str(PG_BIN / "pg_config"), "--sharedir"], capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    bin_dir = root / PG_BIN.relative_to("/")
    share_dir = root / share.relative_to("/")
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name in SERVER_BINARIES:
        shutil.copy2(PG_BIN / name, bin_dir / name)
    (bin_dir.parent / "lib").symlink_to(PG_BIN.parent / "lib")
    (share_dir / "extension").mkdir(parents=True, exist_ok=True)
    for entry in share.iterdir():
        if entry.name != "extension":
            (share_dir / entry.name).symlink_to(entry)
    for entry in (share / "extension").iterdir():
        target = share_dir / "extension" / entry.name
        if entry.suffix == ".control" and entry.stem in RDS_SUPERUSER_EXTENSIONS:
            target.write_text(entry.read_text() + "trusted = true  # the local cloud: Aurora's rds_superuser may\n")
        else:
            target.symlink_to(entry)
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() or path.parent == bin_dir else 0o644)
    return bin_dir


def available_libraries() -> set[str]:
    """The shared libraries this PostgreSQL can preload (<pkglibdir>/<name>.so)."""
    lib = PG_BIN.parent / "lib"
    try:
        return {path.stem for path in lib.glob("*.so")}
    except OSError:
        return set()


def sql_identifier(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL in an SQL identifier")
    return '"' + value.replace('"', '""') + '"'


def _is_postmaster_of(pid: int, data_dir: str) -> bool:
    """Guard against pid reuse: the process must be a postgres started on this data dir."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return bool(cmdline) and cmdline[0].endswith(b"postgres") and data_dir.encode() in cmdline


def stop_pid(pid: int, data_dir: str, timeout: float = 10.0) -> None:
    """Fast shutdown (SIGINT) of the postmaster ``pid``; SIGKILL if it is still there after ``timeout``."""
    if not pid_alive(pid) or not _is_postmaster_of(pid, data_dir):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and pid_alive(pid):
        time.sleep(0.02)
    if pid_alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def stop_recorded(state_dir: Path) -> int:
    """Stop every server recorded under ``state_dir`` and remove the base directories; returns how many.

    Works without the local cloud process (it may have been killed): only the records are needed.
    """
    top = Path(state_dir) / "dataplane"
    records = []
    for path in sorted((top / "servers").glob("*.json")):
        try:
            records.append((path, json.loads(path.read_text())))
        except (OSError, ValueError):
            path.unlink(missing_ok=True)
    for _, record in records:  # signal all first, then wait: shutdowns run in parallel
        pid, data = record.get("pid"), record.get("data", "")
        if pid and pid_alive(pid) and _is_postmaster_of(pid, data):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGINT)
    stopped = 0
    for path, record in records:
        if record.get("pid"):
            stop_pid(record["pid"], record.get("data", ""))
            stopped += 1
        path.unlink(missing_ok=True)
    roots = top / "roots"
    if roots.exists():
        for line in roots.read_text().splitlines():
            root = Path(line.strip())
            # only directories we made: /tmp/localcloud-pg-*
            if root.name.startswith("localcloud-pg-") and root.is_dir():
                shutil.rmtree(root, ignore_errors=True)
        roots.unlink(missing_ok=True)
    return stopped


# --------------------------------------------------------------------------------------------- certificates
class Pki:
    """The local CA of one state dir (created once, kept) and server certificates signed by it."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.ca_file = directory / "ca.pem"
        self.key_file = directory / "ca.key"
        self._lock = threading.Lock()
        self._ca = None

    def ensure(self) -> Path:
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization

        with self._lock:
            if self._ca is not None:
                return self.ca_file
            if self.ca_file.exists() and self.key_file.exists():
                cert = x509.load_pem_x509_certificate(self.ca_file.read_bytes())
                key = serialization.load_pem_private_key(self.key_file.read_bytes(), password=None)
            else:
                key, cert = self._new_ca()
                self.directory.mkdir(parents=True, exist_ok=True)
                _write(self.key_file, _key_pem(key), 0o600)
                _write(self.ca_file, cert.public_bytes(serialization.Encoding.PEM), 0o644)
            self._ca = key, cert
            return self.ca_file

    @staticmethod
    def _new_ca():
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"localcloud CA {secrets.token_hex(4)}")])
        now = datetime.datetime.now(datetime.UTC)
        unused = ("content_commitment", "key_encipherment", "data_encipherment", "key_agreement")
        unused += ("encipher_only", "decipher_only")
        usage = x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, **dict.fromkeys(unused, False))
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        return key, cert

    def server_pair(self, address: str, extra: tuple[str, ...] = ()) -> tuple[bytes, bytes]:
        """(certificate PEM, key PEM) for a server on ``address`` and the ``extra`` addresses (IP SANs: its cluster's
        endpoints, which forward to it) and ``localhost`` (DNS SAN)."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        self.ensure()
        ca_key, ca_cert = self._ca
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        ips = [x509.IPAddress(ipaddress.ip_address(a)) for a in dict.fromkeys((address, *extra))]
        san = x509.SubjectAlternativeName([*ips, x509.DNSName("localhost")])
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, address)]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(san, critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        return cert.public_bytes(serialization.Encoding.PEM), _key_pem(key)


def _key_pem(key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write(path: Path, data: bytes | str, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data.encode() if isinstance(data, str) else data)
    os.chmod(path, mode)


# --------------------------------------------------------------------------------------------- servers
class StartError(RuntimeError):
    def __init__(self, message: str, address_in_use: bool = False):
        super().__init__(message)
        self.address_in_use = address_in_use


class Server:
    """One PostgreSQL server: a directory with its data dir, certificate, socket and log."""

    def __init__(self, plane: DataPlane, name: str, port: int, role: str, owner: str):
        self.plane = plane
        self.name = name
        self.port = port
        self.role = role  # "primary" | "standby"
        self.owner = owner  # for the record: cluster/instance it serves
        self.dir = plane.root / name
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.address: str | None = None
        self.pid: int | None = None
        self.force_ssl = True
        # Engine parameters of the cluster's parameter group that PostgreSQL itself takes (engine_settings): name ->
        # value, written to localcloud.conf. Static ones take effect when the server (re)starts, dynamic ones at a
        # reload, as PostgreSQL itself decides.
        self.settings: dict[str, str] = {}
        # The cluster's endpoint addresses: they forward to this server when it plays their role, so its certificate
        # names them too (as an Aurora certificate covers the cluster's endpoint names).
        self.endpoint_addresses: tuple[str, ...] = ()
        # The cluster's WAL archive (a directory every server of the cluster archives to once it is the primary;
        # None: no archiving) and, while the server recovers from a backup, its recovery settings.
        self.archive: Path | None = None
        self.recovery: dict[str, str] = {}

    # -- files
    def _write_config(self) -> None:
        cert, key = self.plane.pki.server_pair(self.address, self.endpoint_addresses)
        self.plane.write(self.dir / "server.crt", cert, 0o644)
        self.plane.write(self.dir / "server.key", key, 0o600)
        self.plane.write(
            self.data / "localcloud.conf",
            f"listen_addresses = '{self.address}'\n"
            f"port = {self.port}\n"
            f"unix_socket_directories = '{self.dir}'\n"
            "unix_socket_permissions = 0700\n"
            "ssl = on\n"
            f"ssl_cert_file = '{self.dir / 'server.crt'}'\n"
            f"ssl_key_file = '{self.dir / 'server.key'}'\n"
            + "".join(f"{name} = {conf_literal(value)}\n" for name, value in sorted(self.settings.items()))
            + self._archive_config()
            + "".join(f"{name} = {conf_literal(value)}\n" for name, value in sorted(self.recovery.items())),
            0o600,
        )
        self.plane.write(self.data / "pg_ident.conf", f"localcloud {self.plane.os_user} {ADMIN}\n", 0o600)
        self._write_hba()

    def _archive_config(self) -> str:
        if self.archive is None:
            return ""
        wal = self.archive
        # copy under a temporary name, then rename: the archive never holds a half-written segment; a segment
        # archived before (same content) counts as archived
        command = f"test ! -f {wal}/%f && cp %p {wal}/%f.tmp && mv {wal}/%f.tmp {wal}/%f || cmp -s %p {wal}/%f"
        return (
            "archive_mode = on\n"
            f"archive_timeout = {ARCHIVE_TIMEOUT}\n"
            f"archive_command = {conf_literal(command)}\n"
            "track_commit_timestamp = on\n"  # Archive.latest: the time of the last commit
        )

    def _write_hba(self) -> None:
        lines = [
            "# written by the local cloud; rds.force_ssl=" + ("1" if self.force_ssl else "0"),
            f"local all {ADMIN} peer map=localcloud",
            f"local replication {ADMIN} peer map=localcloud",  # base backups over the unix socket
            "local all all reject",
            f"host all {ADMIN} 127.0.0.0/8 reject",
            f"hostssl replication {REPLICATOR} 127.0.0.0/8 scram-sha-256",
            "host replication all 127.0.0.0/8 reject",
            f"host all {REPLICATOR} 127.0.0.0/8 reject",
            "hostssl all all 127.0.0.0/8 scram-sha-256",
            "hostnossl all all 127.0.0.0/8 reject" if self.force_ssl else "host all all 127.0.0.0/8 scram-sha-256",
        ]
        self.plane.write(self.data / "pg_hba.conf", "\n".join(lines) + "\n", 0o600)

    # -- process
    def _start_once(self) -> None:
        self._write_config()
        size = self.log.stat().st_size if self.log.exists() else 0
        result = self.plane.run(
            str(self.plane.server_bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            "60",
            "start",
            check=False,
        )
        if result.returncode == 0:
            self.pid = int((self.data / "postmaster.pid").read_text().split()[0])
            return
        tail = ""
        with contextlib.suppress(OSError), open(self.log, "rb") as fh:
            fh.seek(size)
            tail = fh.read().decode(errors="replace")
        in_use = "Address already in use" in tail or "could not create any TCP/IP sockets" in tail
        raise StartError(f"postgres did not start on {self.address}:{self.port}: {tail.strip()[-500:]}", in_use)

    def start(self, address: str | None = None) -> None:
        """Start on ``address`` (a restart keeps its address) or on the next free loopback address."""
        if address:
            self.address = address
            self._start_once()
        else:
            for _ in range(MAX_ADDRESS_ATTEMPTS):
                self.address = self.plane.reserve_address(self.port)
                try:
                    self._start_once()
                    break
                except StartError as exc:
                    if not exc.address_in_use:
                        self.plane.release_address(self.address, self.port)
                        raise
                    # taken by another process meanwhile: keep it reserved so we do not retry it
                    log.info("%s:%s taken meanwhile, trying the next address", self.address, self.port)
            else:
                raise StartError(f"no free loopback address for port {self.port}")
        self.plane.record(self)

    def stop(self, remove: bool = True) -> None:
        if self.pid:
            stop_pid(self.pid, str(self.data))
        self.pid = None
        if remove:
            self.plane.forget(self)
            shutil.rmtree(self.dir, ignore_errors=True)

    def restart(self) -> None:
        address = self.address
        self.stop(remove=False)
        self.start(address)

    def promote(self) -> None:
        """A hot standby becomes a primary (pg_ctl promote, waiting until it accepts writes)."""
        self.plane.run(str(self.plane.server_bin / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60", "promote")
        self.role = "primary"
        self.plane.record(self)

    def follow(self, primary: Server) -> None:
        """A standby streams from ``primary`` from now on (primary_conninfo is reloadable; the new timeline is
        followed, recovery_target_timeline being 'latest')."""
        auto = self.data / "postgresql.auto.conf"
        text = auto.read_text()
        conninfo = next(line for line in text.splitlines() if line.startswith("primary_conninfo"))
        parts = [f"host={primary.address}" if p.startswith("host=") else p for p in conninfo.split(" ")]
        self.plane.write(auto, text.replace(conninfo, " ".join(parts)), 0o600)
        if self.pid:
            self.reload()

    def set_force_ssl(self, force_ssl: bool) -> None:
        """Rewrite pg_hba.conf and reload (pg_ctl reload = SIGHUP) when the setting changed."""
        if force_ssl == self.force_ssl:
            return
        self.force_ssl = force_ssl
        self._write_hba()
        if self.pid:
            self.reload()

    def set_settings(self, settings: dict[str, str]) -> None:
        """Rewrite localcloud.conf and reload when the engine settings changed (a static one, e.g.
        shared_preload_libraries, then waits for the next restart: PostgreSQL logs that it cannot change it now)."""
        if settings == self.settings:
            return
        self.settings = dict(settings)
        if self.pid and self.address:
            self._write_config()
            self.reload()

    def reload(self) -> None:
        before = self._reloads()
        os.kill(self.pid, signal.SIGHUP)
        # The postmaster reloads pg_hba.conf right after logging this line; wait for it, briefly.
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and self._reloads() <= before:
            time.sleep(0.01)
        time.sleep(0.01)

    def _reloads(self) -> int:
        try:
            return self.log.read_bytes().count(b"received SIGHUP, reloading configuration files")
        except OSError:
            return 0

    def admin(self, sql: str, database: str = "postgres") -> str:
        """Run SQL as the local superuser over the unix socket (SQL on stdin, never on a command line)."""
        script = "SET log_min_error_statement = panic;\n" + sql  # statements may hold passwords
        result = self.plane.run(
            str(PG_BIN / "psql"),
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(self.dir),
            "-p",
            str(self.port),
            "-U",
            ADMIN,
            "-d",
            database,
            "-f",
            "-",
            input_text=script,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"administration on {self.name} failed: {result.stderr.strip()[-300:]}")
        return result.stdout

    def record_data(self) -> dict:
        return {
            "pid": self.pid,
            "data": str(self.data),
            "dir": str(self.dir),
            "address": self.address,
            "port": self.port,
            "role": self.role,
            "owner": self.owner,
        }


class DataPlane:
    """The PostgreSQL servers of one local cloud process."""

    def __init__(self, state_dir: Path):
        self.top = Path(state_dir) / "dataplane"
        (self.top / "servers").mkdir(parents=True, exist_ok=True)
        self.pki = Pki(self.top)
        self.pki.ensure()
        self.as_root = os.geteuid() == 0
        self.os_user = PG_USER if self.as_root else pwd.getpwuid(os.geteuid()).pw_name
        self.root = Path(tempfile.mkdtemp(prefix="localcloud-pg-", dir="/tmp"))  # noqa: S108 - private, 0700
        with open(self.top / "roots", "a") as fh:
            fh.write(f"{self.root}\n")
        if self.as_root:
            shutil.chown(self.root, PG_USER, PG_USER)
        self.ca_file = self.root / "ca.pem"
        self.write(self.ca_file, self.pki.ca_file.read_bytes(), 0o644)
        self.server_bin = relocated_install(self.root / "install")
        if self.as_root:
            for path in [self.root / "install", *(self.root / "install").rglob("*")]:
                os.lchown(path, pwd.getpwnam(PG_USER).pw_uid, pwd.getpwnam(PG_USER).pw_gid)
        self._lock = threading.Lock()
        self._reserved: set[tuple[str, int]] = set()
        self._servers: dict[str, Server] = {}
        self._counter = 0
        self._template_ready = threading.Event()
        self._template_error: Exception | None = None
        threading.Thread(target=self._make_template, name="localcloud-pg-template", daemon=True).start()

    # -- helpers
    def run(self, *args: str, input_text: str | None = None, env: dict | None = None, check: bool = True):
        cmd = ["runuser", "-u", PG_USER, "--", *args] if self.as_root else list(args)
        full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C", **(env or {})}
        result = subprocess.run(
            cmd, input=input_text, env=full_env, cwd=self.root, capture_output=True, text=True, timeout=120, check=False
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name} failed: {(result.stderr or result.stdout).strip()[-500:]}")
        return result

    def write(self, path: Path, data: bytes | str, mode: int) -> None:
        _write(path, data, mode)
        if self.as_root:
            shutil.chown(path, PG_USER, PG_USER)

    def _new_dir(self) -> str:
        with self._lock:
            self._counter += 1
            name = str(self._counter)
        path = self.root / name
        path.mkdir(mode=0o700)
        if self.as_root:
            shutil.chown(path, PG_USER, PG_USER)
        return name

    # -- addresses
    def reserve_address(self, port: int) -> str:
        """The first loopback address from 127.0.1.1 up where ``port`` can be bound, reserved in-process."""
        with self._lock:
            address = FIRST_ADDRESS
            while address in _LOOPBACK:
                text = str(address)
                if (text, port) not in self._reserved and _bindable(text, port):
                    self._reserved.add((text, port))
                    return text
                address += 1
        raise StartError(f"no free loopback address for port {port}")

    def release_address(self, address: str | None, port: int) -> None:
        with self._lock:
            self._reserved.discard((address, port))

    # -- records
    def record(self, server: Server) -> None:
        with self._lock:
            self._servers[server.name] = server
        _write(self.top / "servers" / f"{self.root.name}-{server.name}.json", json.dumps(server.record_data()), 0o600)

    def forget(self, server: Server) -> None:
        with self._lock:
            self._servers.pop(server.name, None)
        (self.top / "servers" / f"{self.root.name}-{server.name}.json").unlink(missing_ok=True)
        self.release_address(server.address, server.port)

    # -- template (initdb once per process, copied for every primary)
    def _make_template(self) -> None:
        try:
            template = self.root / "template"
            self.run(
                str(self.server_bin / "initdb"),
                "-D",
                str(template),
                "-U",
                ADMIN,
                "-A",
                "reject",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
                f"--wal-segsize={WAL_SEGMENT_MB}",
            )
            with open(template / "postgresql.conf", "a") as fh:
                fh.write(_SERVER_SETTINGS)
        except Exception as exc:  # noqa: BLE001 - reported to whoever waits for the template
            self._template_error = exc
        finally:
            self._template_ready.set()

    def _template(self) -> Path:
        self._template_ready.wait(120)
        if self._template_error is not None:
            raise RuntimeError(f"initdb failed: {self._template_error}")
        return self.root / "template"

    # -- servers
    def create_primary(
        self,
        owner: str,
        port: int,
        master_user: str,
        master_password: str,
        database: str | None,
        force_ssl: bool,
        settings: dict[str, str] | None = None,
        endpoint_addresses: tuple[str, ...] = (),
        archive: Path | None = None,
    ) -> tuple[Server, str]:
        """Start a primary; returns it and the replication password."""
        template = self._template()
        server = self._new_primary(owner, port, force_ssl, settings, endpoint_addresses, archive)
        self.run("cp", "-a", str(template), str(server.data))
        try:
            server.start()
            replication_password = secrets.token_urlsafe(24)
            user = sql_identifier(master_user)
            server.admin(
                f"CREATE ROLE {user} LOGIN CREATEDB CREATEROLE PASSWORD {sql_literal(master_password)};\n"
                f"GRANT pg_monitor, pg_signal_backend TO {user};\n"
                f"GRANT ALL ON SCHEMA public TO {user} WITH GRANT OPTION;\n"
                # as on RDS, the master user owns the postgres database (and may create extensions in it)
                + f"ALTER DATABASE postgres OWNER TO {user};\n"
                f"CREATE ROLE {REPLICATOR} REPLICATION LOGIN PASSWORD {sql_literal(replication_password)};\n"
                # FILE_COPY: a checkpoint instead of the whole template database in the WAL (and the archive)
                + (f"CREATE DATABASE {sql_identifier(database)} OWNER {user} STRATEGY FILE_COPY;\n" if database else "")
            )
        except Exception:
            server.stop()
            raise
        return server, replication_password

    def _new_primary(self, owner, port, force_ssl, settings, endpoint_addresses, archive) -> Server:
        server = Server(self, self._new_dir(), port, "primary", owner)
        server.endpoint_addresses = tuple(endpoint_addresses)
        server.force_ssl = force_ssl
        server.settings = dict(settings or {})
        server.archive = archive
        return server

    def restore_primary(
        self,
        owner: str,
        port: int,
        backup: Path,
        force_ssl: bool,
        settings: dict[str, str] | None = None,
        endpoint_addresses: tuple[str, ...] = (),
        archive: Path | None = None,
        restore_from: Path | None = None,
        target_time: datetime.datetime | None = None,
        immediate: bool = False,
    ) -> tuple[Server, str]:
        """Start a primary from a copy of the data directory ``backup`` (a base backup, see :meth:`base_backup`) and
        return it with its new replication password. With ``restore_from`` (a WAL archive) it recovers from there:
        to ``target_time`` (the last commit at or before it), to the backup's consistent point (``immediate``) or to
        the end of the archive, then is promoted (a new timeline); without, the backup must hold its WAL (-X stream).
        Its own WAL goes to ``archive`` from then on."""
        server = self._new_primary(owner, port, force_ssl, settings, endpoint_addresses, archive)
        self.run("cp", "-a", str(backup), str(server.data))
        try:
            if restore_from is not None:
                self.write(server.data / "recovery.signal", "", 0o600)
                server.recovery = {
                    "restore_command": f"cp {restore_from}/%f %p",
                    "recovery_target_timeline": "latest",
                    "recovery_target_action": "promote",
                }
                if target_time is not None:
                    stamp = target_time.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00")
                    server.recovery["recovery_target_time"] = stamp
                elif immediate:
                    server.recovery["recovery_target"] = "immediate"
            self._recover(server)
            if server.recovery:
                server.recovery = {}
                server._write_config()  # the recovery settings go (they would be ignored anyway)
            replication_password = secrets.token_urlsafe(24)
            server.admin(f"ALTER ROLE {REPLICATOR} WITH PASSWORD {sql_literal(replication_password)};\n")
        except Exception:
            server.stop()
            raise
        return server, replication_password

    def _recover(self, server: Server) -> None:
        """Start ``server`` and wait until it is out of recovery. A target time after the archive's last commit
        (PostgreSQL: "recovery ended before configured recovery target was reached") means that everything the
        archive holds is older than the target: the end of the archive is that point in time."""
        for attempt in range(2):
            size = server.log.stat().st_size if server.log.exists() else 0
            try:
                server.start()
                self._wait_promoted(server)
                return
            except Exception:
                tail = server.log.read_bytes()[size:].decode(errors="replace") if server.log.exists() else ""
                if attempt or "before configured recovery target was reached" not in tail:
                    raise
                log.info("%s: no commit after the target time in the archive, recovering to its end", server.owner)
                if server.pid:
                    stop_pid(server.pid, str(server.data))
                server.pid = None
                self.forget(server)  # its record and address: the next start takes a fresh one
                server.recovery.pop("recovery_target_time", None)

    def _wait_promoted(self, server: Server) -> None:
        deadline = time.monotonic() + RECOVERY_TIMEOUT
        while True:
            if server.pid is None or not pid_alive(server.pid):
                raise StartError(f"{server.owner}: the server stopped while recovering")
            try:
                if server.admin("SELECT pg_is_in_recovery();").strip() == "f":
                    return
            except RuntimeError:
                if not pid_alive(server.pid):
                    raise StartError(f"{server.owner}: the server stopped while recovering") from None
            if time.monotonic() > deadline:
                raise StartError(f"{server.owner}: still recovering after {RECOVERY_TIMEOUT:.0f}s")
            time.sleep(0.1)

    def base_backup(self, server: Server, target: Path, with_wal: bool) -> None:
        """A base backup of the running primary ``server`` into the new directory ``target``, over its unix socket:
        ``with_wal`` (-X stream) self-contained, else (-X none) the WAL it needs comes from the archive, and
        pg_basebackup returns only once the archive has it."""
        self.run(
            str(PG_BIN / "pg_basebackup"),
            "-D",
            str(target),
            "-h",
            str(server.dir),
            "-p",
            str(server.port),
            "-U",
            ADMIN,
            "-X",
            "stream" if with_wal else "none",
            "-c",
            "fast",
            "--no-sync",
            "--no-manifest",
            "-w",
        )

    def mkdir(self, path: Path) -> Path:
        """A directory the server user owns (``path`` and its missing parents)."""
        missing = [p for p in [path, *path.parents] if not p.exists()]
        path.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            for p in missing:
                shutil.chown(p, PG_USER, PG_USER)
        return path

    def create_standby(self, primary: Server, replication_password: str, owner: str) -> Server:
        server = Server(self, self._new_dir(), primary.port, "standby", owner)
        try:
            self._base_backup(server, primary, replication_password)
            server.start()
        except Exception:
            server.stop()
            raise
        return server

    def rebuild_standby(self, server: Server, primary: Server, replication_password: str) -> None:
        """``server`` (stopped: a former primary) starts again on its address as a standby of ``primary``, from a
        fresh base backup (pg_rewind would need wal_log_hints; the data is small)."""
        server.stop(remove=False)
        shutil.rmtree(server.data, ignore_errors=True)
        server.role = "standby"
        self._base_backup(server, primary, replication_password)
        server.start(server.address)

    def _base_backup(self, server: Server, primary: Server, replication_password: str) -> None:
        """``server``'s data dir: a streaming standby of ``primary`` (pg_basebackup -R), with its settings."""
        server.force_ssl = primary.force_ssl
        server.settings = dict(primary.settings)
        server.endpoint_addresses = primary.endpoint_addresses
        server.archive = primary.archive  # archives there once promoted
        conninfo = {
            "PGPASSWORD": replication_password,
            "PGSSLMODE": "verify-full",
            "PGSSLROOTCERT": str(self.ca_file),
            "PGCONNECT_TIMEOUT": "10",
        }
        self.run(
            str(PG_BIN / "pg_basebackup"),
            "-D",
            str(server.data),
            "-h",
            primary.address,
            "-p",
            str(primary.port),
            "-U",
            REPLICATOR,
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
            "--no-manifest",
            "-w",
            env=conninfo,
        )

    def servers(self) -> list[Server]:
        with self._lock:
            return list(self._servers.values())

    def stop_all(self) -> None:
        servers = self.servers()
        for server in servers:  # signal all first: shutdowns run in parallel
            if server.pid and _is_postmaster_of(server.pid, str(server.data)):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(server.pid, signal.SIGINT)
        for server in servers:
            server.stop()
        self._template_ready.wait(30)
        shutil.rmtree(self.root, ignore_errors=True)


# --------------------------------------------------------------------------------------------- backups
_SEGMENT_CHARS = set("0123456789ABCDEF")


def _is_segment(name: str) -> bool:
    return len(name) == 24 and set(name) <= _SEGMENT_CHARS


class Archive:
    """One cluster's continuous backup: the WAL archive its primary writes (``wal/``, archive_command) and base
    backups (``base/<n>/data`` with ``backup.json``: start and end time, the first WAL segment it needs). No moto."""

    def __init__(self, plane: DataPlane, directory: Path):
        self.plane = plane
        self.dir = directory
        self.wal = plane.mkdir(directory / "wal")
        self.base = plane.mkdir(directory / "base")
        self._lock = threading.Lock()  # one base backup at a time
        self._idle = threading.Event()  # no base backup running
        self._idle.set()
        self._latest_cache: tuple[float, float] | None = None  # (monotonic when computed, value)

    # -- base backups
    def backups(self) -> list[dict]:
        """The complete base backups, oldest first (each: name, path, start, end, wal)."""
        found = []
        for meta in self.base.glob("*/backup.json"):
            try:
                found.append({**json.loads(meta.read_text()), "name": meta.parent.name, "path": meta.parent / "data"})
            except (OSError, ValueError):
                continue
        return sorted(found, key=lambda b: b["end"])

    def take_in_background(self, server: Server, on_done=None) -> None:
        """:meth:`take` in a thread; :meth:`wait` waits for it."""
        self._idle.clear()

        def run():
            try:
                backup = self.take(server)
                if on_done is not None:
                    on_done(backup)
            except Exception:
                if self.dir.exists() and server.pid:
                    log.exception("%s: base backup failed", server.owner)
            finally:
                self._idle.set()

        threading.Thread(target=run, name=f"localcloud-backup-{server.name}", daemon=True).start()

    def wait(self, timeout: float = 120.0) -> None:
        self._idle.wait(timeout)

    def take(self, server: Server) -> dict:
        """A base backup of the cluster's primary ``server`` (its WAL from the archive). Returns its description."""
        with self._lock:
            self._idle.clear()
            try:
                name = f"{time.time():.6f}"
                directory = self.plane.mkdir(self.base / name)
                started = time.time()
                self.plane.base_backup(server, directory / "data", with_wal=False)
                label = (directory / "data" / "backup_label").read_text()
                wal = next(line for line in label.splitlines() if line.startswith("START WAL LOCATION"))
                backup = {"start": started, "end": time.time(), "wal": wal.rsplit("file ", 1)[1].rstrip(")")}
                self.plane.write(directory / "backup.json", json.dumps(backup), 0o644)
            finally:
                self._idle.set()
        return {**backup, "name": name, "path": directory / "data"}

    def remove_backup(self, name: str) -> None:
        shutil.rmtree(self.base / name, ignore_errors=True)

    # -- what it can reach
    def earliest(self) -> float | None:
        """The earliest point in time the archive can restore to: the end of its oldest base backup (its first
        consistent point); None before the first base backup."""
        backups = self.backups()
        return backups[0]["end"] if backups else None

    def latest(self, primary: Server | None, max_age: float = 0.0) -> float | None:
        """The latest point in time the archive holds: the archive time of its newest segment or, when the primary
        committed nothing since, now. ``max_age``: a value computed at most that many seconds ago will do (one psql
        call each)."""
        cached = self._latest_cache
        if cached is not None and time.monotonic() - cached[0] <= max_age:
            return cached[1]
        newest = None
        for path in self.wal.iterdir():
            if _is_segment(path.name) or path.name.endswith(".partial"):
                with contextlib.suppress(OSError):
                    newest = max(newest or 0.0, path.stat().st_mtime)
        if newest is not None and primary is not None and primary.pid and self._quiet_since(primary, newest):
            newest = time.time()
        if newest is not None:
            self._latest_cache = (time.monotonic(), newest)
        return newest

    def _quiet_since(self, primary: Server, archived_at: float) -> bool:
        """Nothing committed since the newest archived segment (its archive time ``archived_at``): the last commit
        (track_commit_timestamp) is older. What an idle primary still writes (running-xacts records every 15 s, a
        checkpoint) holds no data and does not make archive_timeout switch segments."""
        try:
            value = primary.admin("SELECT extract(epoch FROM (pg_last_committed_xact()).timestamp);").strip()
            return bool(value) and float(value) + QUIET_MARGIN < archived_at
        except (RuntimeError, ValueError):
            return False

    # -- retention
    def prune(self, retention_days: float, now: float | None = None) -> list[str]:
        """Remove what the retention period (``retention_days`` back from ``now``) no longer needs: the base backups
        older than the newest one that ended at or before its start (that one still reaches every point of the
        period; without one the oldest stays) and the WAL older than the oldest kept backup needs. Returns the
        removed backups' names."""
        now = time.time() if now is None else now
        backups = self.backups()
        horizon = now - retention_days * 86400
        covering = [i for i, b in enumerate(backups) if b["end"] <= horizon]
        old = backups[: covering[-1]] if covering else []
        for backup in old:
            self.remove_backup(backup["name"])
        kept = backups[len(old) :]
        if kept:
            # pg_archivecleanup removes the segments before this one (any timeline), keeps history files
            self.plane.run(str(PG_BIN / "pg_archivecleanup"), str(self.wal), kept[0]["wal"])
        return [b["name"] for b in old]

    def shift(self, seconds: float) -> None:
        """Pretend everything in the archive happened ``seconds`` earlier (tests of the retention period)."""
        for backup in self.backups():
            meta = self.base / backup["name"] / "backup.json"
            data = {key: backup[key] for key in ("start", "end", "wal")}
            data["start"] -= seconds
            data["end"] -= seconds
            self.plane.write(meta, json.dumps(data), 0o644)
        for path in self.wal.iterdir():
            with contextlib.suppress(OSError):
                stat = path.stat()
                os.utime(path, (stat.st_atime - seconds, stat.st_mtime - seconds))
        self._latest_cache = None

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.dir.rglob("*") if p.is_file() and not p.is_symlink())

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def _bindable(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as postgres does: TIME_WAIT is no conflict
        try:
            sock.bind((address, port))
        except OSError:
            return False
    return True
