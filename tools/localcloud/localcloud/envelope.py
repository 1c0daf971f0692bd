"""Turn a WSGI request into an envelope: service, action, parameters, region, mutating or not."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs

_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
# Read-only verbs; anything else is treated as mutating.
_READ_PREFIXES = ("Describe", "List", "Get", "Batch Get", "Head", "Lookup")


@dataclass
class Envelope:
    service: str
    action: str
    region: str
    params: dict = field(default_factory=dict)
    protocol: str = "query"  # query | json | rest
    method: str = "GET"
    path: str = "/"
    body: bytes = field(default=b"", repr=False)  # the raw request body (REST services' JSON)

    @property
    def mutating(self) -> bool:
        """Whether the request can change anything: REST reads are GET/HEAD, other protocols name the verb."""
        if self.protocol == "rest":
            return self.method not in ("GET", "HEAD")
        return not self.action.startswith(_READ_PREFIXES)

    def param(self, name: str, default=None):
        return self.params.get(name, default)

    def list_param(self, prefix: str) -> list[str]:
        """Collect query-protocol list members (``Prefix.member.N`` or ``Prefix.Item.N``)."""
        items = []
        for key, value in self.params.items():
            m = re.fullmatch(re.escape(prefix) + r"\.(?:member|[A-Za-z]+)\.(\d+)", key)
            if m:
                items.append((int(m.group(1)), value))
        return [v for _, v in sorted(items)]


def read_body(environ: dict) -> bytes:
    """Read the request body and put it back so moto can read it again."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def parse(environ: dict, body: bytes) -> Envelope:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    m = _CREDENTIAL_SCOPE.search(auth)
    region, service = (m.group(1), m.group(2)) if m else ("us-east-1", "")
    method = environ.get("REQUEST_METHOD", "GET")
    path = environ.get("PATH_INFO", "/")
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        action = target.rsplit(".", 1)[-1]
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            params = {}
        return Envelope(service, action, region, params if isinstance(params, dict) else {}, "json", method, path)
    form = {}
    ctype = environ.get("CONTENT_TYPE", "")
    if body and "x-www-form-urlencoded" in ctype:
        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
    query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()}
    params = {**query, **form}
    if "Action" in params:
        return Envelope(service, params["Action"], region, params, "query", method, path)
    # REST services (lambda, ...): the action is method + path, good enough for recording.
    return Envelope(service, f"{method} {path}", region, params, "rest", method, path, body)
