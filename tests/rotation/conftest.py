"""Fixtures for the rotation function tests: a real PostgreSQL 15 with TLS required, and Secrets Manager.

Both come from the harness plugin (localcloud.testing): the PostgreSQL server is a ``pg_plane`` primary
(localcloud.postgres: its CA, certificate, pid handling; as the ``postgres`` user when the tests run as root),
Secrets Manager is a local cloud served in this process (``cloud_in_process``), so that ``begin`` can stage the
AWSPENDING version the way RotateSecret does before it invokes createSecret.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import time
import traceback
import uuid
from pathlib import Path

import boto3
import pytest

from localcloud import ACCOUNT_ID as ACCOUNT
from localcloud import DEFAULT_REGION as REGION
from localcloud.testing import create_rotation_stub, new_password

REPO = Path(__file__).resolve().parents[2]
FUNCTION = (
    REPO / "collections/ansible_collections/payments/auroradb/roles/secret/files/rotation/postgres_single_user.py"
)
STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


@pytest.fixture(scope="session")
def pki(pg_plane):
    """The CA that signed the test server's certificate, one that signed nothing, and a directory for paths."""
    return {"dir": pg_plane.state_dir, "ca": pg_plane.ca, "wrong_ca": pg_plane.wrong_ca}


@pytest.fixture(scope="session")
def postgres(pg_plane):
    """A TLS-only PostgreSQL 15 primary (a localcloud.testing.PgServer) with the login role dbadmin."""
    return pg_plane.primary("dbadmin", "initial-not-used")


# --------------------------------------------------------------------------------------------- Secrets Manager
@pytest.fixture(scope="session")
def environment(cloud_in_process, pki):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", REGION)
        mp.setenv("AWS_REGION", REGION)
        mp.delenv("AWS_PROFILE", raising=False)
        mp.setenv("SECRETS_MANAGER_ENDPOINT", cloud_in_process.endpoint)
        mp.setenv("DB_CA_BUNDLE", str(pki["ca"]))
        for name in ("PASSWORD_LENGTH", "EXCLUDE_PUNCTUATION", "EXCLUDE_CHARACTERS", "ALLOW_UNSCHEDULED_ROTATION"):
            mp.delenv(name, raising=False)
        yield


@pytest.fixture(scope="session")
def rotation_function(cloud_in_process, environment) -> str:
    """A function RotateSecret accepts; it never runs (rotation is enabled with RotateImmediately=False)."""
    return create_rotation_stub(cloud_in_process)


@pytest.fixture(scope="session")
def rotation_module():
    spec = importlib.util.spec_from_file_location("postgres_single_user", FUNCTION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class RotationHarness:
    """One secret for dbadmin, and what Secrets Manager does around the rotation function.

    The tests call each step themselves, so `begin` does what RotateSecret does on AWS before it invokes
    createSecret: it attaches AWSPENDING to a new, value-less version whose id is the ClientRequestToken.
    Rotation is enabled through the API (RotateSecret with a 30-day rule, RotateImmediately=False), so the
    function's RotationEnabled check runs unmodified.
    """

    STEPS = STEPS

    def __init__(self, module, postgres, password: str, function_arn: str):
        self.module = module
        self.postgres = postgres
        self.client = boto3.client("secretsmanager", endpoint_url=os.environ["SECRETS_MANAGER_ENDPOINT"])
        self.name = f"rotation-test-{uuid.uuid4().hex[:12]}"
        self.passwords = {password}
        self.value = {
            "username": "dbadmin",
            "password": password,
            "host": postgres.host,
            "port": postgres.port,
            "engine": "postgres",
            "dbClusterIdentifier": "x",
        }
        created = self.client.create_secret(Name=self.name, SecretString=json.dumps(self.value))
        self.arn = created["ARN"]
        self.initial_version = created["VersionId"]
        self.client.rotate_secret(
            SecretId=self.arn,
            RotationLambdaARN=function_arn,
            RotationRules={"AutomaticallyAfterDays": 30},
            RotateImmediately=False,
        )
        assert list(self.stages()) == [self.initial_version]
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
        for step in self.STEPS:
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
def harness(environment, rotation_module, rotation_function, postgres, caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log: noise only
    password = new_password()
    postgres.set_password("dbadmin", password)
    h = RotationHarness(rotation_module, postgres, password, rotation_function)
    yield h
    # Whatever the test did: no password it saw may appear in any captured log record.
    h.remember_passwords()
    # caplog.records/text only hold the current phase (teardown here): read setup and call explicitly.
    records = [r for when in ("setup", "call") for r in caplog.get_records(when)]
    text = "\n".join(f"{r.getMessage()} {r.args} {r.exc_text or ''}" for r in records)
    for pw in h.passwords:
        assert pw not in text, "a password appeared in the logs"
