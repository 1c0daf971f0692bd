"""Strict 9: IAM policy documents whose actions do not exist (an unknown service prefix or action name).

IAM itself accepts a syntactically valid unknown action (``secretsmanager:GetSecretValu``): only IAM Access
Analyzer's ValidatePolicy reports it, as an ERROR finding "Invalid action". A malformed one (no ``vendor:``
prefix) IAM refuses with ``MalformedPolicyDocument``; moto 5.2.5 does that too, strict or not. Under strict mode
these hooks refuse the unknown ones as well, with ``MalformedPolicyDocument`` and a message that says AWS would
accept the document (docs/localcloud.md): a typo in an action is a permission the role silently lacks on AWS.

The known actions come from the installed botocore service models: every model's IAM prefix candidates (its
signing name, endpoint prefix and model name) with its operation names, plus the IAM-only prefixes and actions
below. Action names are checked only for the services in :data:`EXTRA_ACTIONS` (the ones whose IAM actions are
their API operations plus the listed extras); for any other service only the prefix is checked, because IAM
action names there may differ from operation names (s3:ListBucket, s3:GetObjectVersion, ...). Wildcards
(``*``, ``kms:*``, ``ec2:Describe*``) must match at least one known action of a checked service. KMS key
policies (CreateKey / PutKeyPolicy ``Policy``) get the same check, answered as KMS does
(``MalformedPolicyDocumentException``).
"""

from __future__ import annotations

import fnmatch
import json
import os
import tempfile
from functools import cache
from pathlib import Path

from ..envelope import Envelope
from ..errors import AwsError
from ..middleware import before
from .strict import enabled

# IAM action names that are not an API operation of the service's botocore model (Service Authorization
# Reference, "Actions, resources, and condition keys for <service>", docs.aws.amazon.com/service-authorization/).
EXTRA_ACTIONS = {
    "iam": {"PassRole"},
    "sts": {"TagSession", "SetSourceIdentity", "SetContext"},
    "kms": {"ReEncryptFrom", "ReEncryptTo"},
    "lambda": {"InvokeFunction", "InvokeFunctionUrl", "EnableReplication", "DisableReplication"},
    "logs": {
        "Link",
        "Unmask",
        "CreateLogDelivery",
        "DeleteLogDelivery",
        "GetLogDelivery",
        "ListLogDeliveries",
        "UpdateLogDelivery",
    },
    "ec2": set(),
    "rds": {"CrossRegionCommunication"},
    "rds-db": {"connect"},
    "secretsmanager": set(),
    "sns": set(),
    "cloudwatch": set(),
    "xray": set(),
}
# IAM prefixes without a botocore model of their own (or under another name there).
EXTRA_PREFIXES = {
    "rds-db",
    "execute-api",
    "ssmmessages",
    "ec2messages",
    "aws-portal",
    "s3-object-lambda",
    "sso-directory",
    "signin",
    "iq",
    "iq-permission",
    "cloudshell",
    "consolidatedbilling",
    "purchase-orders",
    "tax",
    "billing",
    "payments",
    "invoicing",
    "freetier",
    "support",
    "trustedadvisor",
    "health",
    "elasticmapreduce",
    "mediastore",
    "a4b",
    "awsconnector",
}


@cache
def known_actions() -> dict[str, frozenset[str]]:
    """``{iam prefix: lower-case action names}`` from the installed botocore service models.

    Reading all ~450 models takes a few seconds, so the index is kept in a file per botocore version in the
    temporary directory and read from there by later clouds (it only depends on the installed botocore).
    """
    import botocore

    cache_file = Path(tempfile.gettempdir()) / f"localcloud-iam-actions-botocore-{botocore.__version__}.json"
    try:
        found = json.loads(cache_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        found = _index_models()
        partial = cache_file.with_suffix(f".{os.getpid()}.tmp")
        try:
            partial.write_text(json.dumps(found, sort_keys=True), encoding="utf-8")
            partial.replace(cache_file)
        except OSError:  # no writable temporary directory: index again next time
            partial.unlink(missing_ok=True)
    for prefix in EXTRA_PREFIXES:
        found.setdefault(prefix, [])
    for prefix, extra in EXTRA_ACTIONS.items():
        found.setdefault(prefix, []).extend(action.lower() for action in extra)
    return {prefix.lower(): frozenset(actions) for prefix, actions in found.items()}


def _index_models() -> dict[str, list[str]]:
    import botocore.session

    loader = botocore.session.get_session().get_component("data_loader")
    found: dict[str, set[str]] = {}
    for name in loader.list_available_services("service-2"):
        model = loader.load_service_model(name, "service-2")
        meta = model.get("metadata", {})
        for prefix in {name, meta.get("signingName"), meta.get("endpointPrefix")} - {None}:
            found.setdefault(prefix, set()).update(op.lower() for op in model.get("operations", {}))
    return {prefix: sorted(actions) for prefix, actions in found.items()}


def problem(action: str) -> str | None:
    """Why AWS IAM Access Analyzer would reject ``action`` ("unknown service" / "unknown action"), or None."""
    if action == "*":
        return None
    prefix, _, name = action.partition(":")
    actions = known_actions().get(prefix.lower())
    if actions is None:
        return f"the service prefix {prefix} does not exist"
    if prefix.lower() not in EXTRA_ACTIONS or not name:
        return None
    if any(ch in name for ch in "*?"):
        matched = any(fnmatch.fnmatchcase(known, name.lower()) for known in actions)
        return None if matched else f"no {prefix} action matches {name}"
    return None if name.lower() in actions else f"{prefix} has no action {name}"


def _actions(document: dict) -> list[str]:
    statements = document.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    found = []
    for statement in statements:
        if not isinstance(statement, dict):
            continue
        for key in ("Action", "NotAction"):
            value = statement.get(key, [])
            found.extend(v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str))
    return found


def check(document: str | None, code: str) -> None:
    """Refuse (strict mode) the first unknown action of a policy document; malformed JSON is left to moto/AWS."""
    if not enabled() or not document:
        return
    try:
        parsed = json.loads(document)
    except ValueError:
        return
    if not isinstance(parsed, dict):
        return
    for action in _actions(parsed):
        if ":" not in action and action != "*":
            continue  # malformed: IAM (and moto) refuse it, strict or not, with "Actions/Conditions must be ..."
        why = problem(action)
        if why:
            raise AwsError(
                code,
                f"Policy document contains an invalid action {action} ({why}). AWS IAM would accept the document,"
                ' but IAM Access Analyzer (ValidatePolicy) reports it as an ERROR finding "Invalid action"; the'
                " strict local cloud refuses it.",
            )


_IAM_DOCUMENTS = {
    "PutRolePolicy": "PolicyDocument",
    "PutUserPolicy": "PolicyDocument",
    "PutGroupPolicy": "PolicyDocument",
    "CreatePolicy": "PolicyDocument",
    "CreatePolicyVersion": "PolicyDocument",
    "CreateRole": "AssumeRolePolicyDocument",
    "UpdateAssumeRolePolicy": "PolicyDocument",
}


@before("iam", *_IAM_DOCUMENTS)
def refuse_unknown_iam_actions(env: Envelope) -> None:
    """Strict 9: an IAM policy (or trust policy) naming an action that does not exist."""
    check(env.param(_IAM_DOCUMENTS[env.action]), "MalformedPolicyDocument")


@before("kms", "CreateKey", "PutKeyPolicy")
def refuse_unknown_key_policy_actions(env: Envelope) -> None:
    """Strict 9: a KMS key policy naming an action that does not exist."""
    check(env.param("Policy"), "MalformedPolicyDocumentException")
