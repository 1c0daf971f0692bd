"""Gap 3 (Secrets Manager): RotateSecret runs the deployed rotation function, as on AWS.

moto's RotateSecret cannot run a Python function without Docker, checks "previous rotation still in
progress" the wrong way round, and with immediate rotation leaves AWSCURRENT on a version without a value.
This hook answers RotateSecret itself, with AWS's behaviour:

* the function must exist and its resource policy must let ``secretsmanager.amazonaws.com`` invoke it;
* an AWSPENDING label on a version that is not AWSCURRENT means a rotation is not finished: refused;
* the rules (``AutomaticallyAfterDays``, ``ScheduleExpression``, ``Duration``) are stored and returned by
  DescribeSecret; rotation is enabled;
* UpdateSecretVersionStage moving AWSCURRENT also moves what GetSecretValue returns without a stage (moto
  kept serving the old version);
* with ``RotateImmediately`` (the default) a new version without a value gets AWSPENDING (its id is the
  ClientRequestToken), the call returns at once, and the four steps (createSecret, setSecret, testSecret,
  finishSecret) run in the background, like AWS's asynchronous invocation.

The steps run the *deployed* code: the function's zip is unpacked and its handler runs in a child Python
process of the local cloud (one per rotation, like a warm Lambda container), with the function's
environment variables plus what the Lambda runtime provides (region, function name, dummy credentials) and
``AWS_ENDPOINT_URL`` pointing at this local cloud (on AWS the Secrets Manager VPC endpoint's private DNS
plays that part). A child process rather than this server's own interpreter, because the function reads
``os.environ`` (process-wide) and must import the driver pinned in its zip, not the one the local cloud
has. What the function writes to stdout/stderr goes to its log group ``/aws/lambda/<name>``, stream
``<date>/[$LATEST]rotation-<token>``, where tests can read it like CloudWatch Logs.
"""

from __future__ import annotations

import datetime
import fnmatch
import hashlib
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from pathlib import Path

from .. import ACCOUNT_ID
from ..envelope import Envelope
from ..errors import AwsError
from ..middleware import Respond, after, before
from . import on_shutdown

log = logging.getLogger("localcloud.rotation")

STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
PENDING, CURRENT = "AWSPENDING", "AWSCURRENT"
SECRETS_MANAGER_PRINCIPAL = "secretsmanager.amazonaws.com"

# The child process: import the handler from the unpacked zip and run the four steps in order, stopping at
# the first failure (AWS retries a failed step later; the next RotateSecret is refused until then).
_RUNNER = r"""
import importlib, json, logging, sys, traceback
logging.basicConfig(level=logging.INFO, format="[%(levelname)s] %(name)s %(message)s", stream=sys.stdout)
module_name, handler_name = sys.argv[1].rsplit(".", 1)
handler = getattr(importlib.import_module(module_name), handler_name)
event = json.loads(sys.argv[2])
for step in json.loads(sys.argv[3]):
    print(f"START step {step}", flush=True)
    try:
        handler(dict(event, Step=step), None)
    except Exception as exc:
        print(f"[ERROR] {type(exc).__name__}: {exc}", flush=True)
        traceback.print_exc(file=sys.stdout)
        print(f"FAILED step {step}", flush=True)
        sys.exit(1)
    print(f"END step {step}", flush=True)
"""

_LOCK = threading.Lock()
_WORK_DIR: list[Path] = []
_RUNNING: dict[str, threading.Thread] = {}


def _secrets(region: str):
    from moto.secretsmanager.models import secretsmanager_backends

    return secretsmanager_backends[ACCOUNT_ID][region]


def _find_secret(region: str, secret_id: str):
    backend = _secrets(region)
    if not backend._is_valid_identifier(secret_id):
        raise AwsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
    secret = backend.secrets[secret_id]
    if secret.is_deleted():
        raise AwsError(
            "InvalidRequestException",
            "You can't perform this operation on the secret because it was marked for deletion.",
        )
    return secret


def _find_function(region: str, arn: str):
    from moto.awslambda.utils import get_backend

    try:
        return get_backend(ACCOUNT_ID, region).get_function(arn)
    except Exception:  # noqa: BLE001 - any lookup failure is "no such function" to the caller
        raise AwsError("ResourceNotFoundException", f"Resource not found for ARN '{arn}'.") from None


def _allows_secrets_manager(function, secret_arn: str) -> bool:
    for statement in function.policy.statements:
        principal = statement.get("Principal")
        service = principal.get("Service") if isinstance(principal, dict) else principal
        if statement.get("Effect") != "Allow" or service != SECRETS_MANAGER_PRINCIPAL:
            continue
        source = statement.get("Condition", {}).get("ArnLike", {}).get("AWS:SourceArn")
        if source is None or _arn_like(source, secret_arn):
            return True
    return False


def _arn_like(pattern: str, arn: str) -> bool:
    return fnmatch.fnmatchcase(arn, pattern)


def _validate_rules(rules: dict) -> None:
    days = rules.get("AutomaticallyAfterDays")
    if days is not None and not 1 <= int(days) <= 1000:
        raise AwsError("InvalidParameterException", "RotationRules.AutomaticallyAfterDays must be within 1-1000.")
    if days is not None and rules.get("ScheduleExpression"):
        raise AwsError(
            "InvalidParameterException",
            "You can't specify both AutomaticallyAfterDays and ScheduleExpression in RotationRules.",
        )


def _days_of(rules: dict) -> int:
    if rules.get("AutomaticallyAfterDays"):
        return int(rules["AutomaticallyAfterDays"])
    expression = (rules.get("ScheduleExpression") or "").strip()
    if expression.startswith("rate(") and expression.endswith(")"):
        number, _, unit = expression[5:-1].strip().partition(" ")
        if unit.strip() in ("day", "days") and number.isdigit():
            return int(number)
    return 0


@before("secretsmanager", "RotateSecret")
def rotate_secret(env: Envelope) -> None:
    secret = _find_secret(env.region, env.param("SecretId") or "")
    from . import dataplane

    cluster = dataplane.cluster_of_managed_secret(env.region, secret.arn)
    if cluster is not None:
        _rotate_managed(env, secret, cluster)
    lambda_arn = env.param("RotationLambdaARN") or secret.rotation_lambda_arn
    if not lambda_arn:
        raise AwsError(
            "InvalidRequestException",
            "No Lambda rotation function ARN is associated with this secret.",
        )
    function = _find_function(env.region, lambda_arn)
    if not _allows_secrets_manager(function, secret.arn):
        raise AwsError(
            "AccessDeniedException",
            "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy "
            "grants access to the principal secretsmanager.amazonaws.com.",
        )
    rules = env.param("RotationRules")
    if rules is not None:
        _validate_rules(rules)
    rotate_immediately = env.param("RotateImmediately", True)

    token = env.param("ClientRequestToken") or str(uuid.uuid4())
    with _LOCK:
        for version_id, version in secret.versions.items():
            stages = version["version_stages"]
            if PENDING in stages and CURRENT not in stages:
                raise AwsError(
                    "InvalidRequestException",
                    f"A previous rotation isn't complete. That rotation will be reattempted. "
                    f"(version {version_id} is still AWSPENDING)",
                )
        secret.rotation_requested = True
        secret.rotation_enabled = True
        secret.rotation_lambda_arn = lambda_arn
        if rules is not None:
            secret.localcloud_rotation_rules = {k: v for k, v in rules.items() if v not in (None, "")}
            secret.auto_rotate_after_days = _days_of(rules)
        days = secret.auto_rotate_after_days
        secret.next_rotation_date = int(time.time()) + days * 86400 if days else None
        if rotate_immediately:
            for version in secret.versions.values():
                if PENDING in version["version_stages"]:
                    version["version_stages"].remove(PENDING)
            secret.versions[token] = {"createdate": int(time.time()), "version_id": token, "version_stages": [PENDING]}
            thread = threading.Thread(
                target=_rotate,
                args=(env.region, secret.arn, function, token),
                name=f"rotation-{token}",
                daemon=True,
            )
            _RUNNING[token] = thread
            thread.start()
    body = {"ARN": secret.arn, "Name": secret.name}
    if rotate_immediately:
        body["VersionId"] = token
    raise Respond(json.dumps(body).encode(), content_type="application/x-amz-json-1.1")


def _rotate_managed(env: Envelope, secret, cluster) -> None:
    """Gap 37: an RDS-managed master secret rotates without a Lambda function - RDS sets a new password on the
    database and in the secret (rotate-now, RotateImmediately), and the schedule (RotationRules) is the secret's."""
    if env.param("RotationLambdaARN"):
        raise AwsError(
            "InvalidRequestException", "You can't specify a rotation function for a secret that RDS manages."
        )
    from . import dataplane

    rules = env.param("RotationRules")
    if rules is not None:
        _validate_rules(rules)
    token = env.param("ClientRequestToken") or str(uuid.uuid4())
    with _LOCK:
        secret.rotation_requested = True
        secret.rotation_enabled = True
        if rules is not None:
            secret.localcloud_rotation_rules = {k: v for k, v in rules.items() if v not in (None, "")}
            secret.auto_rotate_after_days = _days_of(rules)
        days = secret.auto_rotate_after_days
        secret.next_rotation_date = int(time.time()) + days * 86400 if days else None
        rotate = env.param("RotateImmediately", True)
        if rotate:
            dataplane.rotate_managed(env.region, cluster, token)
    body = {"ARN": secret.arn, "Name": secret.name, **({"VersionId": token} if rotate else {})}
    raise Respond(json.dumps(body).encode(), content_type="application/x-amz-json-1.1")


@after("secretsmanager", "UpdateSecretVersionStage")
def follow_current(env: Envelope, body: bytes) -> None:
    # moto moves the AWSCURRENT label but keeps serving the old version to GetSecretValue without a stage
    # (its default version): after finishSecret every client would still read the old password.
    if env.param("VersionStage") != CURRENT or not env.param("MoveToVersionId"):
        return
    secret = _find_secret(env.region, env.param("SecretId") or "")
    version = secret.versions.get(env.param("MoveToVersionId"))
    if version is None:
        return
    secret.default_version_id = version["version_id"]
    if "secret_string" in version:
        secret.secret_string = version["secret_string"]
    if "secret_binary" in version:
        secret.secret_binary = version["secret_binary"]


@after("secretsmanager", "DescribeSecret")
def describe_rules(env: Envelope, body: bytes) -> bytes | None:
    # moto returns only AutomaticallyAfterDays; AWS returns the rules as set (and the window duration).
    try:
        secret = _find_secret(env.region, env.param("SecretId") or "")
    except AwsError:
        return None
    rules = getattr(secret, "localcloud_rotation_rules", None)
    if rules is None or not secret.rotation_requested:
        return None
    data = json.loads(body)
    shown = dict(rules)
    if "ScheduleExpression" not in shown and secret.auto_rotate_after_days:
        shown["AutomaticallyAfterDays"] = secret.auto_rotate_after_days
    data["RotationRules"] = shown
    return json.dumps(data).encode()


def _work_dir() -> Path:
    with _LOCK:
        if not _WORK_DIR:
            _WORK_DIR.append(Path(tempfile.mkdtemp(prefix="localcloud-lambda-")))
        return _WORK_DIR[0]


@on_shutdown
def _remove_work_dir() -> None:
    for thread in list(_RUNNING.values()):
        thread.join(timeout=30)
    while _WORK_DIR:
        shutil.rmtree(_WORK_DIR.pop(), ignore_errors=True)


def _unpack(function) -> Path:
    digest = hashlib.sha256(function.code_bytes).hexdigest()[:16]
    target = _work_dir() / f"{function.function_name}-{digest}"
    if not target.exists():
        partial = target.with_suffix(".partial")
        shutil.rmtree(partial, ignore_errors=True)
        with zipfile.ZipFile(io.BytesIO(function.code_bytes)) as archive:
            archive.extractall(partial)
        partial.rename(target)
    return target


def _function_environment(function, region: str, code_dir: Path) -> dict[str, str]:
    port = os.environ.get("MOTO_PORT", "4566")
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(code_dir),
        "PYTHONDONTWRITEBYTECODE": "1",
        "LAMBDA_TASK_ROOT": str(code_dir),
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        # On AWS the Secrets Manager VPC endpoint answers the regional name; here, this local cloud does.
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
    }
    environment.update({str(k): str(v) for k, v in (function.environment_vars or {}).items()})
    return environment


def _rotate(region: str, secret_arn: str, function, token: str) -> None:
    started = time.time()
    try:
        code_dir = _unpack(function)
        event = {"SecretId": secret_arn, "ClientRequestToken": token}
        timeout = max(int(function.timeout or 3), 1) * len(STEPS) + 10
        try:
            result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
                [sys.executable, "-c", _RUNNER, function.handler, json.dumps(event), json.dumps(STEPS)],
                env=_function_environment(function, region, code_dir),
                cwd=code_dir,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
            output, ok = result.stdout + result.stderr, result.returncode == 0
        except subprocess.TimeoutExpired as exc:
            output = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else exc.stdout or ""
            output += f"\nTask timed out after {timeout} seconds"
            ok = False
        if ok:
            # Like Secrets Manager once a rotation has completed: AWSPENDING comes off the new AWSCURRENT.
            with _LOCK:
                secret = _secrets(region).secrets[secret_arn]
                secret.last_rotation_date = int(time.time())
                stages = secret.versions.get(token, {}).get("version_stages", [])
                if CURRENT in stages and PENDING in stages:
                    stages.remove(PENDING)
        log.info(
            "rotation %s of %s %s in %.1f s", token, secret_arn, "succeeded" if ok else "failed", time.time() - started
        )
        _write_logs(function, region, token, output)
    except Exception:  # noqa: BLE001 - a background thread must not die silently
        log.exception("rotation %s of %s could not run", token, secret_arn)
    finally:
        _RUNNING.pop(token, None)


def _write_logs(function, region: str, token: str, output: str) -> None:
    from moto.logs.models import logs_backends

    logs = logs_backends[ACCOUNT_ID][region]
    group = f"/aws/lambda/{function.function_name}"
    day = datetime.datetime.now(datetime.UTC).strftime("%Y/%m/%d")
    stream = f"{day}/[$LATEST]rotation-{token}"
    if group not in logs.groups:
        logs.create_log_group(group, {})
    logs.create_log_stream(group, stream)
    now = int(time.time() * 1000)
    events = [{"timestamp": now, "message": line} for line in output.splitlines() if line.strip()]
    if events:
        logs.put_log_events(group, stream, events)
