"""The PostgreSQL single-user rotation function against a real PostgreSQL 15 (TLS required) and moto.

Every rotation step is called through lambda_handler, as Secrets Manager would call it; see conftest.py for how
the Secrets Manager side of RotateSecret is emulated.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib.util
import json
import logging
import ssl
import string
import subprocess
import sys
import zipfile
from pathlib import Path

import pg8000.native
import pytest

from localcloud.testing import new_password

REPO = Path(__file__).resolve().parents[2]

BUILD_SCRIPT = REPO / "scripts" / "build_rotation_zip.py"
LAMBDA_ZIP = REPO / "collections/ansible_collections/payments/auroradb/plugins/module_utils/lambda_zip.py"


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _snapshot(h):
    """Everything a step could change: stages, every stored value, and which passwords the database accepts."""
    values = {}
    for version in h.stages():
        try:
            values[version] = h.client.get_secret_value(SecretId=h.arn, VersionId=version).get("SecretString")
        except h.client.exceptions.ResourceNotFoundException:
            values[version] = None
    logins = {pw: h.postgres.can_login("dbadmin", pw) for pw in sorted(h.passwords)}
    return h.stages(), values, logins


def test_full_rotation_changes_password(harness):
    h = harness
    old = h.value_of("AWSCURRENT")
    assert h.postgres.can_login("dbadmin", old["password"])

    token = h.rotate()

    new = h.value_of("AWSCURRENT")
    assert h.postgres.can_login("dbadmin", new["password"])
    assert not h.postgres.can_login("dbadmin", old["password"])
    assert new["password"] != old["password"]
    assert len(new["password"]) == 32
    assert set(new["password"]) <= set(string.ascii_letters + string.digits)
    assert {k: v for k, v in new.items() if k != "password"} == {k: v for k, v in old.items() if k != "password"}
    stages = h.stages()
    assert "AWSCURRENT" in stages[token]
    assert stages[h.initial_version] == ["AWSPREVIOUS"]
    assert h.value_of("AWSPREVIOUS")["password"] == old["password"]
    assert sum("AWSCURRENT" in s for s in stages.values()) == 1


def test_password_options_from_environment(harness, monkeypatch):
    monkeypatch.setenv("PASSWORD_LENGTH", "40")
    token = harness.begin()
    harness.step("createSecret", token)
    assert len(harness.value_of("AWSPENDING", token)["password"]) == 40


def test_reinvoking_any_step_after_completion_changes_nothing(harness, caplog):
    h = harness
    token = h.rotate()
    before = _snapshot(h)
    assert before[2][h.value_of("AWSCURRENT")["password"]] is True
    for step in h.STEPS:
        caplog.clear()
        h.step(step, token)
        assert "already set as AWSCURRENT" in caplog.text
        assert _snapshot(h) == before


def test_each_step_is_idempotent_on_retry(harness):
    h = harness
    old = h.value_of("AWSCURRENT")["password"]
    token = h.begin()
    h.step("createSecret", token)
    pending = h.value_of("AWSPENDING", token)["password"]
    h.step("createSecret", token)
    assert h.value_of("AWSPENDING", token)["password"] == pending
    h.step("setSecret", token)
    h.step("setSecret", token)  # logs in with AWSPENDING: nothing left to do
    assert h.postgres.can_login("dbadmin", pending)
    assert not h.postgres.can_login("dbadmin", old)
    h.step("testSecret", token)
    h.step("testSecret", token)
    h.step("finishSecret", token)
    h.step("finishSecret", token)
    assert "AWSCURRENT" in h.stages()[token]
    assert h.value_of("AWSCURRENT")["password"] == pending


def test_failed_set_secret_with_database_stopped_keeps_current_and_next_rotation_succeeds(harness, postgres):
    h = harness
    old = h.value_of("AWSCURRENT")["password"]
    token = h.begin()
    h.step("createSecret", token)
    postgres.stop()
    try:
        with pytest.raises(h.module.RotationError, match="cannot connect"):
            h.step("setSecret", token)
    finally:
        postgres.start()
    assert "AWSCURRENT" in h.stages()[h.initial_version]
    assert h.stages()[token] == ["AWSPENDING"]
    assert h.postgres.can_login("dbadmin", old)
    assert h.value_of("AWSCURRENT")["password"] == old

    next_token = h.rotate()
    new = h.value_of("AWSCURRENT")["password"]
    assert "AWSCURRENT" in h.stages()[next_token]
    assert h.postgres.can_login("dbadmin", new)
    assert not h.postgres.can_login("dbadmin", old)


def test_set_secret_falls_back_to_previous(harness, postgres, caplog):
    h = harness
    first = h.value_of("AWSCURRENT")["password"]
    h.rotate()
    assert h.value_of("AWSPREVIOUS")["password"] == first
    # The database went back to the AWSPREVIOUS password (a half-finished attempt): AWSCURRENT no longer works.
    postgres.set_password("dbadmin", first)
    assert not postgres.can_login("dbadmin", h.value_of("AWSCURRENT")["password"])

    caplog.clear()
    token = h.rotate()
    assert "logged in with AWSPREVIOUS" in caplog.text
    assert postgres.can_login("dbadmin", h.value_of("AWSCURRENT", token)["password"])
    assert not postgres.can_login("dbadmin", first)


def test_set_secret_fails_when_no_version_logs_in(harness, postgres):
    h = harness
    unknown = new_password()
    postgres.set_password("dbadmin", unknown)
    token = h.begin()
    h.step("createSecret", token)
    with pytest.raises(h.module.RotationError, match="cannot log in"):
        h.step("setSecret", token)
    assert postgres.can_login("dbadmin", unknown)
    h.passwords.add(unknown)


def test_server_refuses_plaintext(harness, postgres):
    password = harness.value_of("AWSCURRENT")["password"]
    with pytest.raises(pg8000.native.DatabaseError) as exc:
        postgres.connect("dbadmin", password, ssl_context=False)
    assert exc.value.args[0]["C"] == "28000"
    assert "no encryption" in exc.value.args[0]["M"]


@pytest.mark.parametrize("step", ["setSecret", "testSecret"])
def test_function_refuses_unverifiable_certificate(harness, postgres, pki, monkeypatch, step):
    h = harness
    old = h.value_of("AWSCURRENT")["password"]
    token = h.begin()
    h.step("createSecret", token)
    if step == "testSecret":
        h.step("setSecret", token)
    monkeypatch.setenv("DB_CA_BUNDLE", str(pki["wrong_ca"]))
    with pytest.raises(h.module.RotationError) as exc:
        h.step(step, token)
    assert isinstance(exc.value.__cause__, ssl.SSLCertVerificationError)
    if step == "setSecret":
        assert postgres.can_login("dbadmin", old)  # nothing was changed over some other channel
    monkeypatch.setenv("DB_CA_BUNDLE", str(pki["dir"] / "missing.pem"))
    with pytest.raises(h.module.RotationError):
        h.step(step, token)


def test_function_verifies_host_name(harness, monkeypatch):
    """A certificate from the right CA for another name is refused: the secret's host must be in the cert."""
    h = harness
    ctx = h.module.ssl_context()
    assert ctx.check_hostname and ctx.verify_mode == ssl.CERT_REQUIRED
    token = h.begin()
    h.step("createSecret", token)
    h.step("setSecret", token)
    # 127.0.0.2 is loopback (Linux) but not in the certificate (the server's own address and localhost are):
    # the connection goes to the server's address while the name checked is 127.0.0.2.
    real = ssl.SSLContext.wrap_socket

    def wrong_name(self, sock, *args, **kwargs):
        kwargs["server_hostname"] = "127.0.0.2"
        return real(self, sock, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "wrap_socket", wrong_name)
    with pytest.raises(h.module.RotationError) as exc:
        h.step("testSecret", token)
    assert isinstance(exc.value.__cause__, ssl.SSLCertVerificationError)


@pytest.mark.parametrize("key,value", [("username", "someone_else"), ("host", "localhost")])
def test_username_or_host_mismatch_refused(harness, postgres, key, value):
    h = harness
    old = h.value_of("AWSCURRENT")["password"]
    token = h.begin()
    h.step("createSecret", token)
    pending = h.value_of("AWSPENDING", token)
    pending[key] = value
    h.client.put_secret_value(
        SecretId=h.arn, ClientRequestToken=token, SecretString=json.dumps(pending), VersionStages=["AWSPENDING"]
    )
    assert h.value_of("AWSPENDING", token)[key] == value
    with pytest.raises(h.module.RotationError, match=f"{key} differs"):
        h.step("setSecret", token)
    assert postgres.can_login("dbadmin", old)
    assert not postgres.can_login("dbadmin", pending["password"])


def test_handler_checks_rotation_state(harness):
    h = harness
    with pytest.raises(h.module.RotationError, match="has no stage"):
        h.step("createSecret", "00000000-0000-4000-8000-000000000000")
    h.rotate()
    assert h.stages()[h.initial_version] == ["AWSPREVIOUS"]
    with pytest.raises(h.module.RotationError, match="not set as AWSPENDING"):
        h.step("setSecret", h.initial_version)
    plain = h.client.create_secret(Name=h.name + "-norotation", SecretString=json.dumps(h.value))
    with pytest.raises(h.module.RotationError, match="not enabled for rotation"):
        h.module.lambda_handler(
            {"SecretId": plain["ARN"], "ClientRequestToken": plain["VersionId"], "Step": "createSecret"}, None
        )


def test_password_never_logged(harness, postgres, caplog):
    """The harness fixture checks every test's logs; this one makes sure the logs exist and cover every step."""
    h = harness
    token = h.rotate()
    for step in h.STEPS:
        assert f"{step}: " in caplog.text
    assert token in caplog.text and "dbadmin" in caplog.text
    assert logging.getLogger("botocore").getEffectiveLevel() >= logging.WARNING
    for record in caplog.records:
        for pw in h.passwords:
            assert pw not in record.getMessage()


# --------------------------------------------------------------------------------------------- packaging
def test_build_zip_is_deterministic():
    build_zip = _load(LAMBDA_ZIP, "lambda_zip").build_zip
    sources = {"b/x.py": b"x = 1\n", "a.py": b"print('a')\n", "c/d/e.txt": b"e" * 1000}
    first = build_zip(sources)
    second = build_zip(dict(reversed(list(sources.items()))))
    assert first == second
    with zipfile.ZipFile(__import__("io").BytesIO(first)) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == sorted(sources)
        for info in infos:
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert (info.external_attr >> 16) & 0o777 == 0o644
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert archive.read(info) == sources[info.filename]
    assert build_zip({**sources, "a.py": b"print('b')\n"}) != first


def test_rotation_zip_is_byte_identical_and_self_contained(tmp_path):
    script = _load(BUILD_SCRIPT, "build_rotation_zip")
    one = script.build(tmp_path / "one").read_bytes()
    two = script.build(tmp_path / "two").read_bytes()
    assert one == two
    with zipfile.ZipFile(tmp_path / "one" / "rotation.zip") as archive:
        names = archive.namelist()
    assert "postgres_single_user.py" in names
    assert "pg8000/native.py" in names and "pg8000-1.31.6.dist-info/METADATA" in names
    assert "scramp/core.py" in names and "asn1crypto/core.py" in names
    assert not [n for n in names if n.endswith(".pyc") or "__pycache__" in n or n.endswith("/RECORD")]
    # The driver imports from the zip alone (no site-packages), with the pinned version.
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import pg8000.native, scramp, importlib.metadata as m; "
        "assert pg8000.native.__file__.startswith(sys.argv[1]), pg8000.native.__file__; print(m.version('pg8000'))"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code, str(tmp_path / "one" / "rotation.zip")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == script.requirement_pin("pg8000") == "1.31.6"
    # The module_utils pins (what deployments package) follow requirements.txt.
    assert script.rotation_package.DRIVER_PINS["pg8000"] == script.requirement_pin("pg8000")


def test_the_server_log_never_holds_the_new_password(harness, postgres):
    """setSecret sends the password's SCRAM-SHA-256 verifier, never the password: with every statement logged
    (log_statement = all, which log export would ship to CloudWatch Logs) the log has the ALTER USER, not the
    password, and the new password logs in."""
    h = harness
    postgres.sql("ALTER SYSTEM SET log_statement = 'all'")
    postgres.sql("SELECT pg_reload_conf()")
    log = postgres.server.log
    try:
        start = log.stat().st_size
        h.rotate()
        written = log.read_bytes()[start:].decode("utf-8", "replace")
    finally:
        postgres.sql("ALTER SYSTEM RESET log_statement")
        postgres.sql("SELECT pg_reload_conf()")
    new = h.value_of("AWSCURRENT")["password"]
    assert postgres.can_login("dbadmin", new)
    statements = [line for line in written.splitlines() if "ALTER USER" in line]
    assert statements, written[-2000:]  # the statement was logged...
    assert all("SCRAM-SHA-256$4096:" in line for line in statements), statements
    assert new not in written  # ...with the verifier, not the password


@pytest.mark.parametrize(
    "password",
    [
        "Alphanumeric0123456789abcdefXYZ",  # what GetRandomPassword gives (no punctuation)
        "with spaces and !#%&'()*+,-./:;<=>?@[]^_`{|}~ punctuation",
        "pässwörd-ÄÖÜ-日本語",  # non-ASCII: SASLprep (NFKC) applies
        "\ufb01ve\u00a0pounds\u00ad",  # ligature (NFKC: fi), no-break space (a space), soft hyphen (removed)
    ],
)
def test_the_verifier_lets_the_password_log_in(rotation_module, postgres, password):
    verifier = rotation_module.scram_verifier(password)
    assert password not in verifier and verifier.startswith("SCRAM-SHA-256$4096:")
    postgres.sql(f"ALTER USER dbadmin WITH PASSWORD {pg8000.native.literal(verifier)}")
    stored = postgres.sql("SELECT rolpassword FROM pg_authid WHERE rolname = 'dbadmin'")
    assert verifier in stored  # kept as it was sent, not hashed again
    assert postgres.can_login("dbadmin", password)
    assert not postgres.can_login("dbadmin", password + "x")


def test_the_verifier_is_postgresqls_own_format(rotation_module):
    """RFC 7677's test vector: user 'user', password 'pencil', salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096 iterations."""
    module = rotation_module
    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    verifier = module.scram_verifier("pencil", salt=salt)
    iterations_salt, keys = verifier[len("SCRAM-SHA-256$") :].split("$")
    assert iterations_salt == "4096:W22ZaJ0SNY7soEsUEjb6gQ=="
    stored_key, server_key = (base64.b64decode(part) for part in keys.split(":"))
    # RFC 7677 section 3: ServerSignature = HMAC(ServerKey, AuthMessage) = 6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=
    auth = (
        b"n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,"
        b"i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    )
    signature = hmac.new(server_key, auth, hashlib.sha256).digest()
    assert base64.b64encode(signature).decode() == "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
    # ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage) = dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=
    proof = base64.b64decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    client_key = bytes(a ^ b for a, b in zip(proof, hmac.new(stored_key, auth, hashlib.sha256).digest(), strict=True))
    assert hashlib.sha256(client_key).digest() == stored_key
