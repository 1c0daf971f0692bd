"""Fixtures for the rotation function tests: a real PostgreSQL 15 with TLS required, and Secrets Manager on moto.

PostgreSQL refuses to run as root. When the tests run as root (CI), initdb and pg_ctl run as the unprivileged
`postgres` user created by the Debian package, through `runuser -u postgres --`, in a temporary directory owned
by that user; otherwise they run directly as the current user.
"""

from __future__ import annotations

import datetime
import importlib.util
import ipaddress
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import traceback
import uuid
from pathlib import Path

import boto3
import pg8000.native
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

REPO = Path(__file__).resolve().parents[2]
FUNCTION = (
    REPO / "collections/ansible_collections/payments/auroradb/roles/secret/files/rotation/postgres_single_user.py"
)
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_USER = "postgres"
ACCOUNT = "123456789012"
REGION = "us-east-1"
STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def new_password() -> str:
    return "Pw" + secrets.token_hex(16)


# --------------------------------------------------------------------------------------------- certificates
def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _ca(cn: str):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _server_cert(ca_key, ca_cert):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def _pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


# --------------------------------------------------------------------------------------------- PostgreSQL
class Postgres:
    """A PostgreSQL 15 server in a temporary directory, TLS required, listening on 127.0.0.1 only."""

    def __init__(self, root: Path, port: int, ca_file: Path, superuser_password: str):
        self.root, self.port, self.ca_file = root, port, ca_file
        self.data = root / "data"
        self.log = root / "postgres.log"
        self.superuser_password = superuser_password
        self.as_root = os.geteuid() == 0
        self.pids: set[int] = set()

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self.as_root:
            cmd = ["runuser", "-u", PG_USER, "--", *cmd]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C"}
        return subprocess.run(cmd, cwd=self.root, env=env, capture_output=True, text=True, check=check, timeout=60)

    def init(self, server_cert: bytes, server_key: bytes) -> None:
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.superuser_password + "\n")
        (self.root / "server.crt").write_bytes(server_cert)
        (self.root / "server.key").write_bytes(server_key)
        os.chmod(self.root / "server.key", 0o600)
        if self.as_root:
            shutil.chown(self.root, PG_USER, PG_USER)
            for path in self.root.iterdir():
                shutil.chown(path, PG_USER, PG_USER)
        self._run(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            f"--pwfile={pwfile}",
            "--auth=scram-sha-256",
            "-E",
            "UTF8",
            "--no-sync",
        )
        pwfile.unlink()
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                "\n# rotation tests\n"
                "listen_addresses = '127.0.0.1'\n"
                f"port = {self.port}\n"
                "unix_socket_directories = ''\n"
                "ssl = on\n"
                f"ssl_cert_file = '{self.root / 'server.crt'}'\n"
                f"ssl_key_file = '{self.root / 'server.key'}'\n"
                "password_encryption = 'scram-sha-256'\n"
                "fsync = off\n"
                "synchronous_commit = off\n"
                "full_page_writes = off\n"
            )
        # TLS only: one hostssl line, no host or local lines.
        (self.data / "pg_hba.conf").write_text("hostssl all all 127.0.0.1/32 scram-sha-256\n")

    def start(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", "start")
        self.pids.add(int((self.data / "postmaster.pid").read_text().split()[0]))

    def stop(self) -> None:
        result = self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)
        if result.returncode != 0 and (self.data / "postmaster.pid").exists():
            raise RuntimeError(f"pg_ctl stop failed: {result.stderr}")
        self._wait_gone()

    def _wait_gone(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        for pid in list(self.pids):
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)  # the postmaster this fixture started, by its pid
            self.pids.discard(pid)

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    def connect(self, user: str, password: str, **kwargs) -> pg8000.native.Connection:
        kwargs.setdefault("ssl_context", self.ssl_context())
        return pg8000.native.Connection(
            user=user, password=password, host="127.0.0.1", port=self.port, database="postgres", timeout=5, **kwargs
        )

    def can_login(self, user: str, password: str) -> bool:
        try:
            conn = self.connect(user, password)
        except pg8000.native.DatabaseError as exc:
            if exc.args and isinstance(exc.args[0], dict) and exc.args[0].get("C") == "28P01":
                return False
            raise
        try:
            return conn.run("SELECT 1") == [[1]]
        finally:
            conn.close()

    def admin(self, sql: str) -> None:
        conn = self.connect("postgres", self.superuser_password)
        try:
            conn.run(sql)
        finally:
            conn.close()

    def set_password(self, user: str, password: str) -> None:
        self.admin(f"ALTER ROLE {pg8000.native.identifier(user)} WITH PASSWORD {pg8000.native.literal(password)}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie is not a running server
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return False


@pytest.fixture(scope="session")
def pki():
    root = Path(tempfile.mkdtemp(prefix="rotation-pki-"))
    ca_key, ca_cert = _ca("rotation test CA")
    server_key, server_cert = _server_cert(ca_key, ca_cert)
    _, other_ca = _ca("some other CA")
    (root / "ca.pem").write_bytes(_pem(ca_cert))
    (root / "wrong-ca.pem").write_bytes(_pem(other_ca))
    yield {
        "dir": root,
        "ca": root / "ca.pem",
        "wrong_ca": root / "wrong-ca.pem",
        "server_cert": _pem(server_cert),
        "server_key": _key_pem(server_key),
    }
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres(pki):
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL 15 binaries not found in {PG_BIN}")
    root = Path(tempfile.mkdtemp(prefix="rotation-pg-"))
    server = Postgres(root, free_port(), pki["ca"], new_password())
    try:
        server.init(pki["server_cert"], pki["server_key"])
        server.start()
        server.admin("CREATE ROLE dbadmin WITH LOGIN PASSWORD 'initial-not-used'")
        yield server
    finally:
        if (server.data / "postmaster.pid").exists():
            server.stop()
        server._wait_gone()
        leftover = subprocess.run(
            ["pgrep", "-f", "--", str(server.data)], capture_output=True, text=True, check=False
        ).stdout.split()
        shutil.rmtree(root, ignore_errors=True)
        assert not leftover, f"postgres processes left behind: {leftover}"


# --------------------------------------------------------------------------------------------- Secrets Manager
@pytest.fixture(scope="session")
def moto_endpoint():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="session")
def environment(moto_endpoint, pki):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", REGION)
        mp.setenv("AWS_REGION", REGION)
        mp.delenv("AWS_PROFILE", raising=False)
        mp.setenv("SECRETS_MANAGER_ENDPOINT", moto_endpoint)
        mp.setenv("DB_CA_BUNDLE", str(pki["ca"]))
        for name in ("PASSWORD_LENGTH", "EXCLUDE_PUNCTUATION", "EXCLUDE_CHARACTERS", "ALLOW_UNSCHEDULED_ROTATION"):
            mp.delenv(name, raising=False)
        yield


@pytest.fixture(scope="session")
def rotation_module():
    spec = importlib.util.spec_from_file_location("postgres_single_user", FUNCTION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class RotationHarness:
    """One secret for dbadmin, and what Secrets Manager does around the rotation function.

    moto's RotateSecret cannot run the function (see /work/shared/notes/moto-findings.md), so `begin` does what
    RotateSecret does on AWS before it invokes createSecret: it attaches AWSPENDING to a new, value-less version
    whose id is the ClientRequestToken. Rotation is enabled through the API (RotateSecret with a 30-day rule,
    RotateImmediately=False, no function), so the function's RotationEnabled check runs unmodified.
    """

    def __init__(self, module, postgres: Postgres, password: str):
        self.module = module
        self.postgres = postgres
        self.client = boto3.client("secretsmanager", endpoint_url=os.environ["SECRETS_MANAGER_ENDPOINT"])
        self.name = f"rotation-test-{uuid.uuid4().hex[:12]}"
        self.passwords = {password}
        self.value = {
            "username": "dbadmin",
            "password": password,
            "host": "127.0.0.1",
            "port": postgres.port,
            "engine": "postgres",
            "dbClusterIdentifier": "x",
        }
        created = self.client.create_secret(Name=self.name, SecretString=json.dumps(self.value))
        self.arn = created["ARN"]
        self.initial_version = created["VersionId"]
        self.client.rotate_secret(
            SecretId=self.arn, RotationRules={"AutomaticallyAfterDays": 30}, RotateImmediately=False
        )
        # moto's RotateSecret (no function given) copies the value into a new version and makes that copy
        # AWSCURRENT; AWS would not. The copy holds the same value, so the rotation starts from it.
        for version, stages in self.stages().items():
            if "AWSPENDING" in stages:
                self.client.update_secret_version_stage(
                    SecretId=self.arn, VersionStage="AWSPENDING", RemoveFromVersionId=version
                )
        self.initial_version = next(v for v, s in self.stages().items() if "AWSCURRENT" in s)
        assert self.value_of("AWSCURRENT") == self.value

    def _moto_secret(self):
        from moto.secretsmanager.models import secretsmanager_backends

        return secretsmanager_backends[ACCOUNT][REGION].secrets[self.name]

    def begin(self, token: str | None = None) -> str:
        token = token or str(uuid.uuid4())
        secret = self._moto_secret()
        for version in secret.versions.values():
            if "AWSPENDING" in version["version_stages"]:
                version["version_stages"].remove("AWSPENDING")
        secret.versions[token] = {"createdate": int(time.time()), "version_id": token, "version_stages": ["AWSPENDING"]}
        return token

    def step(self, step: str, token: str) -> None:
        try:
            self.module.lambda_handler({"SecretId": self.arn, "ClientRequestToken": token, "Step": step}, None)
        except Exception as exc:
            # Lambda logs an unhandled exception with its whole chain: no password may appear in it either.
            self.remember_passwords()
            text = "".join(traceback.format_exception(exc))
            for pw in self.passwords:
                assert pw not in text, f"a password appeared in the {step} exception"
            raise
        finally:
            self.remember_passwords()

    def rotate(self, token: str | None = None) -> str:
        token = self.begin(token)
        for step in STEPS:
            self.step(step, token)
        return token

    def stages(self) -> dict[str, list[str]]:
        return self.client.describe_secret(SecretId=self.arn)["VersionIdsToStages"]

    def value_of(self, stage: str, version: str | None = None) -> dict:
        kwargs = {"SecretId": self.arn, "VersionStage": stage}
        if version:
            kwargs["VersionId"] = version
        return json.loads(self.client.get_secret_value(**kwargs)["SecretString"])

    def remember_passwords(self) -> None:
        for version in self.client.list_secret_version_ids(SecretId=self.arn, IncludeDeprecated=True)["Versions"]:
            try:
                value = self.client.get_secret_value(SecretId=self.arn, VersionId=version["VersionId"])
            except self.client.exceptions.ResourceNotFoundException:
                continue
            if "SecretString" in value:
                self.passwords.add(json.loads(value["SecretString"])["password"])


@pytest.fixture
def harness(environment, rotation_module, postgres, caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log: noise only
    password = new_password()
    postgres.set_password("dbadmin", password)
    h = RotationHarness(rotation_module, postgres, password)
    yield h
    # Whatever the test did: no password it saw may appear in any captured log record.
    h.remember_passwords()
    # caplog.records/text only hold the current phase (teardown here): read setup and call explicitly.
    records = [r for when in ("setup", "call") for r in caplog.get_records(when)]
    text = "\n".join(f"{r.getMessage()} {r.args} {r.exc_text or ''}" for r in records)
    for pw in h.passwords:
        assert pw not in text, "a password appeared in the logs"
