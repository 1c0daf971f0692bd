"""A real PostgreSQL 15 cluster for db_verify: a TLS-only primary (the writer endpoint, 127.0.0.1) and a hot
standby streaming from it (the reader endpoint, 127.0.0.2, same port), like an Aurora writer and reader.

Reuses the certificate and server helpers of tests/rotation/conftest.py (imported under another name, not
modified); as there, initdb/pg_ctl/pg_basebackup run as the `postgres` user through runuser when the tests run
as root, every server is stopped by its own pid file, and nothing may be left running.
"""

from __future__ import annotations

import datetime
import importlib.util
import ipaddress
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WRITER_HOST, READER_HOST = "127.0.0.1", "127.0.0.2"


def _load_rotation_conftest():
    spec = importlib.util.spec_from_file_location("rotation_conftest", REPO / "tests" / "rotation" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


rot = _load_rotation_conftest()


def _server_cert(ca_key, ca_cert):
    """A server certificate valid for both endpoints (the rotation helper's names only 127.0.0.1)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    names = [x509.DNSName("localhost")] + [
        x509.IPAddress(ipaddress.ip_address(host)) for host in (WRITER_HOST, READER_HOST)
    ]
    cert = (
        x509.CertificateBuilder()
        .subject_name(rot._name("verify test server"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


HBA_TLS_ONLY = "hostssl all all 127.0.0.0/8 scram-sha-256\nhostssl replication all 127.0.0.0/8 scram-sha-256\n"


class Server(rot.Postgres):
    """rot.Postgres with a configurable listen address and commands that may carry environment variables."""

    def __init__(self, root: Path, port: int, ca_file: Path, superuser_password: str, host: str):
        super().__init__(root, port, ca_file, superuser_password)
        self.host = host

    def run_as_owner(self, *args: str, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self.as_root:
            cmd = ["runuser", "-u", rot.PG_USER, "--", *cmd]
        full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C", **(env or {})}
        return subprocess.run(cmd, cwd=self.root, env=full_env, capture_output=True, text=True, check=check, timeout=60)

    def configure(self) -> None:
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"\n# verify tests\nlisten_addresses = '{self.host}'\nport = {self.port}\n")
        self.set_hba(HBA_TLS_ONLY)

    def set_hba(self, text: str) -> None:
        (self.data / "pg_hba.conf").write_text(text)
        if self.as_root:
            shutil.chown(self.data / "pg_hba.conf", rot.PG_USER, rot.PG_USER)

    def reload(self) -> None:
        self.run_as_owner(str(rot.PG_BIN / "pg_ctl"), "-D", str(self.data), "reload")

    def connect(self, user: str, password: str, **kwargs):
        import pg8000.native

        kwargs.setdefault("ssl_context", self.ssl_context())
        return pg8000.native.Connection(
            user=user, password=password, host=self.host, port=self.port, database="postgres", timeout=5, **kwargs
        )


@pytest.fixture(scope="session")
def pki():
    root = Path(tempfile.mkdtemp(prefix="verify-pki-"))
    ca_key, ca_cert = rot._ca("verify test CA")
    server_key, server_cert = _server_cert(ca_key, ca_cert)
    _, other_ca = rot._ca("some other CA")
    (root / "ca.pem").write_bytes(rot._pem(ca_cert))
    (root / "wrong-ca.pem").write_bytes(rot._pem(other_ca))
    yield {
        "ca": root / "ca.pem",
        "wrong_ca": root / "wrong-ca.pem",
        "server_cert": rot._pem(server_cert),
        "server_key": rot._key_pem(server_key),
    }
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def cluster(pki):
    """{'writer': Server, 'reader': Server, 'port', 'user', 'password'}: dbadmin may create tables in public."""
    if not (rot.PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL 15 binaries not found in {rot.PG_BIN}")
    port = rot.free_port()
    primary_root = Path(tempfile.mkdtemp(prefix="verify-pg-writer-"))
    standby_root = Path(tempfile.mkdtemp(prefix="verify-pg-reader-"))
    superuser = rot.new_password()
    writer = Server(primary_root, port, pki["ca"], superuser, WRITER_HOST)
    reader = Server(standby_root, port, pki["ca"], superuser, READER_HOST)
    password = rot.new_password()
    try:
        writer.init(pki["server_cert"], pki["server_key"])
        writer.configure()
        writer.start()
        writer.admin(f"CREATE ROLE dbadmin WITH LOGIN PASSWORD '{password}'")
        writer.admin("GRANT CREATE ON SCHEMA public TO dbadmin")
        # pg_basebackup runs as the server owner: give it a CA file it can read
        shutil.copy(pki["ca"], standby_root / "ca.pem")
        if reader.as_root:
            for path in (standby_root, standby_root / "ca.pem"):
                shutil.chown(path, rot.PG_USER, rot.PG_USER)
        reader.run_as_owner(
            str(rot.PG_BIN / "pg_basebackup"),
            "-D",
            str(reader.data),
            "-h",
            WRITER_HOST,
            "-p",
            str(port),
            "-U",
            "postgres",
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "--no-sync",
            env={"PGPASSWORD": superuser, "PGSSLMODE": "verify-full", "PGSSLROOTCERT": str(standby_root / "ca.pem")},
        )
        reader.configure()
        reader.start()
        yield {"writer": writer, "reader": reader, "port": port, "user": "dbadmin", "password": password}
    finally:
        leftovers = []
        for server in (reader, writer):
            if (server.data / "postmaster.pid").exists():
                server.stop()
            server._wait_gone()
            leftovers += subprocess.run(
                ["pgrep", "-f", "--", str(server.data)], capture_output=True, text=True, check=False
            ).stdout.split()
        shutil.rmtree(primary_root, ignore_errors=True)
        shutil.rmtree(standby_root, ignore_errors=True)
        assert not leftovers, f"postgres processes left behind: {leftovers}"
