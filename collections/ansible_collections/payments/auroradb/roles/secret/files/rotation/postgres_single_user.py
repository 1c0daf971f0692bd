"""Secrets Manager rotation function for a single PostgreSQL user (the Aurora master user).

Implements the four steps of the Secrets Manager rotation protocol:

createSecret  stores a new password as the AWSPENDING version (value from GetRandomPassword);
setSecret     changes the password in the database (ALTER USER), logging in with AWSPENDING (already done),
              else AWSCURRENT, else AWSPREVIOUS (a previous attempt changed the password but did not finish);
              the statement carries the password's SCRAM-SHA-256 verifier, computed here, never the password,
              so no server log (log_statement = all, exported to CloudWatch Logs) can hold it;
testSecret    logs in with AWSPENDING and runs SELECT 1;
finishSecret  moves AWSCURRENT to the AWSPENDING version (the old one becomes AWSPREVIOUS).

Every step is idempotent, so Secrets Manager may retry any of them. Connections always use TLS and verify the
server certificate and host name against the CA bundle in DB_CA_BUNDLE (default: rds-global-bundle.pem next to
this file); there is no plaintext fallback. The password is never logged: log lines carry only step names,
ARNs, version ids, user names and hosts.

Environment:
  SECRETS_MANAGER_ENDPOINT  Secrets Manager endpoint URL (unset: the regional default endpoint)
  DB_CA_BUNDLE              CA bundle used to verify the database server certificate
  PASSWORD_LENGTH           length of the generated password (default 32)
  EXCLUDE_PUNCTUATION       "true"/"false", exclude punctuation from the password (default true)
  EXCLUDE_CHARACTERS        extra characters to exclude from the password (default none)
"""

import base64
import hashlib
import hmac
import json
import logging
import os
import ssl
import stringprep
import unicodedata

import boto3
import pg8000.native
from pg8000.exceptions import DatabaseError, InterfaceError
from pg8000.native import identifier, literal

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)
# botocore logs request bodies (SecretString included) at DEBUG: keep the SDK loggers quiet whatever the
# root logger level is, so a password can never reach the logs through them.
for _name in ("boto3", "botocore", "urllib3", "s3transfer"):
    logging.getLogger(_name).setLevel(logging.WARNING)

CURRENT = "AWSCURRENT"
PENDING = "AWSPENDING"
PREVIOUS = "AWSPREVIOUS"
CONNECT_TIMEOUT = 5
DEFAULT_PORT = 5432
DEFAULT_DATABASE = "postgres"
DEFAULT_CA_BUNDLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rds-global-bundle.pem")
# PostgreSQL's defaults for a SCRAM-SHA-256 secret (scram_iterations, SCRAM_DEFAULT_SALT_LEN).
SCRAM_ITERATIONS = 4096
SCRAM_SALT_BYTES = 16
# SQLSTATE codes meaning "these credentials were not accepted".
AUTH_FAILURE_CODES = ("28P01", "28000")


class RotationError(Exception):
    """A rotation step cannot proceed. Messages never contain a password."""


def lambda_handler(event, context):
    arn = event["SecretId"]
    token = event["ClientRequestToken"]
    step = event["Step"]
    client = boto3.client("secretsmanager", endpoint_url=os.environ.get("SECRETS_MANAGER_ENDPOINT") or None)

    metadata = client.describe_secret(SecretId=arn)
    if not metadata.get("RotationEnabled"):
        raise RotationError(f"Secret {arn} is not enabled for rotation")
    versions = metadata.get("VersionIdsToStages", {})
    if token not in versions:
        raise RotationError(f"Secret version {token} has no stage for rotation of secret {arn}")
    if CURRENT in versions[token]:
        logger.info("%s: version %s already set as AWSCURRENT for secret %s, nothing to do", step, token, arn)
        return
    if PENDING not in versions[token]:
        raise RotationError(f"Secret version {token} not set as AWSPENDING for rotation of secret {arn}")

    steps = {
        "createSecret": create_secret,
        "setSecret": set_secret,
        "testSecret": test_secret,
        "finishSecret": finish_secret,
    }
    if step not in steps:
        raise RotationError(f"Invalid step parameter {step!r} for secret {arn}")
    logger.info("%s: starting for secret %s version %s", step, arn, token)
    steps[step](client, arn, token)
    logger.info("%s: done for secret %s version %s", step, arn, token)


def create_secret(client, arn, token):
    """Store a new password as AWSPENDING, unless this version already has a value."""
    current = get_secret_dict(client, arn, CURRENT)
    try:
        existing = client.get_secret_value(SecretId=arn, VersionId=token, VersionStage=PENDING)
    except client.exceptions.ResourceNotFoundException:
        existing = {}
    # AWS answers ResourceNotFoundException for a version without a value; some emulators answer without
    # SecretString instead. Either way the value still has to be created.
    if "SecretString" in existing or "SecretBinary" in existing:
        get_secret_dict(client, arn, PENDING, token)  # validates the stored value
        logger.info("createSecret: version %s of secret %s already has a value", token, arn)
        return
    pending = dict(current)
    pending["password"] = generate_password(client)
    client.put_secret_value(
        SecretId=arn, ClientRequestToken=token, SecretString=json.dumps(pending), VersionStages=[PENDING]
    )
    logger.info("createSecret: stored new AWSPENDING version %s for secret %s", token, arn)


def set_secret(client, arn, token):
    """Set the AWSPENDING password in the database."""
    current = get_secret_dict(client, arn, CURRENT)
    pending = get_secret_dict(client, arn, PENDING, token)
    require_same_target(pending, current, CURRENT)

    conn = connect(pending)
    if conn is not None:
        conn.close()
        logger.info(
            "setSecret: AWSPENDING password already set for user %s on %s (secret %s)",
            pending["username"],
            pending["host"],
            arn,
        )
        return

    conn = connect(current)
    used = CURRENT
    if conn is None:
        previous = get_optional_secret_dict(client, arn, PREVIOUS)
        if previous is not None:
            require_same_target(pending, previous, PREVIOUS)
            conn = connect(previous)
            used = PREVIOUS
    if conn is None:
        raise RotationError(
            f"setSecret: cannot log in as user {pending['username']} on {pending['host']} with the AWSPENDING, "
            f"AWSCURRENT or AWSPREVIOUS version of secret {arn}"
        )

    try:
        verifier = scram_verifier(pending["password"])
        conn.run(f"ALTER USER {identifier(pending['username'])} WITH PASSWORD {literal(verifier)}")
    except DatabaseError as exc:
        # Report only the SQLSTATE: the server's message is not needed and must not carry the statement.
        raise RotationError(
            f"setSecret: ALTER USER failed for user {pending['username']} on {pending['host']}: "
            f"SQLSTATE {sqlstate(exc)}"
        ) from None
    finally:
        conn.close()
    logger.info(
        "setSecret: password changed for user %s on %s, logged in with %s (secret %s)",
        pending["username"],
        pending["host"],
        used,
        arn,
    )


def test_secret(client, arn, token):
    """Log in with AWSPENDING and run a trivial query."""
    pending = get_secret_dict(client, arn, PENDING, token)
    conn = connect(pending)
    if conn is None:
        raise RotationError(
            f"testSecret: cannot log in as user {pending['username']} on {pending['host']} "
            f"with version {token} of secret {arn}"
        )
    try:
        conn.run("SELECT 1")
    finally:
        conn.close()
    logger.info("testSecret: logged in as user %s on %s with version %s", pending["username"], pending["host"], token)


def finish_secret(client, arn, token):
    """Move AWSCURRENT to the AWSPENDING version; Secrets Manager labels the old one AWSPREVIOUS."""
    metadata = client.describe_secret(SecretId=arn)
    current_version = None
    for version, stages in metadata.get("VersionIdsToStages", {}).items():
        if CURRENT in stages:
            if version == token:
                logger.info("finishSecret: version %s already AWSCURRENT for secret %s", token, arn)
                return
            current_version = version
            break
    kwargs = {"SecretId": arn, "VersionStage": CURRENT, "MoveToVersionId": token}
    if current_version is not None:
        kwargs["RemoveFromVersionId"] = current_version
    client.update_secret_version_stage(**kwargs)
    logger.info("finishSecret: moved AWSCURRENT from %s to %s for secret %s", current_version, token, arn)


def scram_verifier(password, salt=None, iterations=SCRAM_ITERATIONS):
    """The form in which PostgreSQL stores a SCRAM-SHA-256 password (RFC 5802, RFC 7677), built from the password:
    ``SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>``. Given as the password of ALTER USER, PostgreSQL
    stores it as it is; logging in with the password then works as if the password itself had been sent."""
    salt = os.urandom(SCRAM_SALT_BYTES) if salt is None else salt
    salted = hashlib.pbkdf2_hmac("sha256", saslprep(password), salt, iterations)
    stored_key = hashlib.sha256(hmac.new(salted, b"Client Key", hashlib.sha256).digest()).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(data):
        return base64.b64encode(data).decode("ascii")

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def saslprep(password):
    """The bytes PostgreSQL derives a SCRAM secret from (its pg_saslprep, RFC 4013): an ASCII password as it is;
    otherwise non-ASCII spaces mapped to a space, characters commonly mapped to nothing removed, NFKC, and when the
    result has a prohibited or unassigned character or breaks the bidirectional rules, the password as it is."""
    raw = password.encode("utf-8")
    if password.isascii():
        return raw
    mapped = "".join(" " if stringprep.in_table_c12(ch) else ch for ch in password if not stringprep.in_table_b1(ch))
    text = unicodedata.ucd_3_2_0.normalize("NFKC", mapped)
    prohibited = (
        stringprep.in_table_a1,
        stringprep.in_table_c12,
        stringprep.in_table_c21_c22,
        stringprep.in_table_c3,
        stringprep.in_table_c4,
        stringprep.in_table_c5,
        stringprep.in_table_c6,
        stringprep.in_table_c7,
        stringprep.in_table_c8,
        stringprep.in_table_c9,
    )
    if not text or any(check(ch) for ch in text for check in prohibited):
        return raw
    if any(stringprep.in_table_d1(ch) for ch in text):  # right-to-left text: RFC 3454 section 6
        if any(stringprep.in_table_d2(ch) for ch in text) or not (
            stringprep.in_table_d1(text[0]) and stringprep.in_table_d1(text[-1])
        ):
            return raw
    return text.encode("utf-8")


def generate_password(client):
    kwargs = {
        "PasswordLength": int(os.environ.get("PASSWORD_LENGTH", "32")),
        "ExcludePunctuation": os.environ.get("EXCLUDE_PUNCTUATION", "true").strip().lower() in ("1", "true", "yes"),
    }
    exclude = os.environ.get("EXCLUDE_CHARACTERS")
    if exclude:
        kwargs["ExcludeCharacters"] = exclude
    return client.get_random_password(**kwargs)["RandomPassword"]


def get_secret_dict(client, arn, stage, token=None):
    """Return the secret value of a stage (and version) as a dict, validated for this engine."""
    kwargs = {"SecretId": arn, "VersionStage": stage}
    if token is not None:
        kwargs["VersionId"] = token
    value = client.get_secret_value(**kwargs)
    try:
        secret = json.loads(value["SecretString"])
    except (KeyError, TypeError, ValueError):
        raise RotationError(f"{stage} value of secret {arn} is not a JSON string") from None
    if not isinstance(secret, dict):
        raise RotationError(f"{stage} value of secret {arn} is not a JSON object")
    for key in ("username", "password", "host"):
        if not isinstance(secret.get(key), str) or not secret[key]:
            raise RotationError(f"{stage} value of secret {arn} lacks the {key} key")
    engine = secret.get("engine", "postgres")
    if engine not in ("postgres", "aurora-postgresql"):
        raise RotationError(f"{stage} value of secret {arn} has engine {engine!r}, expected postgres")
    return secret


def get_optional_secret_dict(client, arn, stage):
    try:
        return get_secret_dict(client, arn, stage)
    except client.exceptions.ResourceNotFoundException:
        return None


def require_same_target(pending, other, other_stage):
    for key in ("username", "host"):
        if pending[key] != other[key]:
            raise RotationError(
                f"setSecret: {key} differs between AWSPENDING ({pending[key]}) and {other_stage} ({other[key]}); "
                "refusing to rotate"
            )


def ssl_context():
    """A TLS context that verifies the server certificate and host name. Fails if the CA bundle is missing."""
    cafile = os.environ.get("DB_CA_BUNDLE") or DEFAULT_CA_BUNDLE
    context = ssl.create_default_context(purpose=ssl.Purpose.SERVER_AUTH, cafile=cafile)
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def connect(secret):
    """Open a verified TLS connection with the credentials in secret.

    Returns None when the server rejects the credentials; any other failure (network, TLS, certificate)
    raises, so a server that cannot be verified is never used.
    """
    try:
        return pg8000.native.Connection(
            user=secret["username"],
            password=secret["password"],
            host=secret["host"],
            port=int(secret.get("port") or DEFAULT_PORT),
            database=secret.get("dbname") or DEFAULT_DATABASE,
            ssl_context=ssl_context(),
            timeout=CONNECT_TIMEOUT,
        )
    except DatabaseError as exc:
        if sqlstate(exc) in AUTH_FAILURE_CODES:
            return None
        raise RotationError(
            f"cannot connect as user {secret['username']} to {secret['host']}: SQLSTATE {sqlstate(exc)}"
        ) from None
    except (InterfaceError, OSError) as exc:
        # ssl.SSLError is an OSError. The message names host and port only, never the password.
        raise RotationError(f"cannot connect as user {secret['username']} to {secret['host']}: {exc}") from exc


def sqlstate(exc):
    args = getattr(exc, "args", ())
    if args and isinstance(args[0], dict):
        return args[0].get("C")
    return None
