"""The WSGI middleware around moto: the one place where local-cloud behaviour is added.

Request flow::

    envelope.parse -> before-layers (recorder, faults, latency, ...) -> moto -> after-hooks -> response

* A *layer* is an object with ``before(env)`` (may raise :class:`AwsError` to answer instead of moto)
  and optionally ``after(env, status, body) -> body`` (may rewrite the response, e.g. a transitional
  status). Layers are HTTP-level and switchable.
* A *hook* is a function registered for ``(service, action)`` with :func:`after` or :func:`before`;
  after-hooks run only when moto answered 2xx and work on moto's in-process backend objects.
  Before-hooks may validate (raise :class:`AwsError`) or answer instead of moto (raise :class:`Respond`,
  e.g. for an action moto does not implement). A :class:`Respond` answer skips moto and the remaining
  before-hooks; the after-hooks run on it as on moto's answer (a 2xx answer changed the model the same
  way), and layers see it.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from http import HTTPStatus

from .envelope import Envelope, parse, read_body
from .errors import AwsError, render

log = logging.getLogger("localcloud")
UNSUPPORTED = "LocalCloudUnsupported"  # the error code of an emulator failure (HTTP 501, not retried)

_BEFORE: dict[tuple[str, str], list[Callable]] = defaultdict(list)
_AFTER: dict[tuple[str, str], list[Callable]] = defaultdict(list)


def _register(table: dict[tuple[str, str], list[Callable]], service: str, actions: tuple[str, ...]):
    def deco(fn):
        for action in actions:
            table[(service, action)].append(fn)
        return fn

    return deco


def before(service: str, *actions: str):
    """Register ``fn(env)`` to run before moto for these actions; it may raise AwsError.

    The action ``"*"`` means every request of the service (REST services name their actions by method and
    path, e.g. ``POST /2015-03-31/functions/NAME/invocations``); those hooks run first.
    """
    return _register(_BEFORE, service, actions)


class Respond(Exception):
    """Raised by a before-hook to answer the request itself instead of moto.

    ``body`` is the complete wire response (e.g. query-protocol XML); ``headers`` are added to the
    Content-Type header (Content-Length is set by the middleware).
    """

    def __init__(
        self,
        body: bytes,
        status: int = 200,
        content_type: str = "text/xml",
        headers: list[tuple[str, str]] | None = None,
    ):
        super().__init__(f"{status} answered by a before-hook")
        self.body = body
        self.status = f"{status} {HTTPStatus(status).phrase}"
        self.headers = [("Content-Type", content_type), *(headers or [])]


def after(service: str, *actions: str):
    """Register ``fn(env, body) -> body|None`` to run after moto (or a Respond) answered 2xx for these actions."""
    return _register(_AFTER, service, actions)


class LocalCloudApp:
    def __init__(self, moto_app, layers=()):
        self.moto_app = moto_app
        self.layers = list(layers)

    def __call__(self, environ, start_response):
        body = read_body(environ)
        env = parse(environ, body)
        started = time.monotonic()
        try:
            for layer in self.layers:
                layer.before(env)
            answer = _run_before_hooks(env)
            if answer is not None:
                status, headers, out = answer.status, list(answer.headers), answer.body
            else:
                status, headers, out = self._call_moto(environ)
            if status.startswith("2"):
                for hook in _AFTER.get((env.service, env.action), ()):
                    new = hook(env, out)
                    if new is not None:
                        out = new
            for layer in reversed(self.layers):
                hook_after = getattr(layer, "after", None)
                if hook_after is not None:
                    out = hook_after(env, status, out)
        except AwsError as err:
            status, headers, out = render(err, env.service, env.protocol)
        except Exception as exc:  # an emulator bug (moto or a hook): fail fast, never a retryable 500
            log.exception("local cloud cannot handle %s.%s", env.service, env.action)
            status, headers, out = render(unsupported(env, exc), env.service, env.protocol)
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(out))))
        for layer in self.layers:
            done = getattr(layer, "done", None)
            if done is not None:
                done(env, status, time.monotonic() - started)
        start_response(status, headers)
        return [out]

    def _call_moto(self, environ) -> tuple[str, list, bytes]:
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, list(headers)
            return lambda data: None

        chunks = self.moto_app(environ, capture)
        try:
            out = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close:
                close()
        return captured["status"], captured["headers"], out


def _run_before_hooks(env: Envelope) -> Respond | None:
    """Run the before-hooks in order; the first one that raises :class:`Respond` answers the request."""
    try:
        for hook in (*_BEFORE.get((env.service, "*"), ()), *_BEFORE.get((env.service, env.action), ())):
            hook(env)
    except Respond as answer:
        return answer
    return None


def unsupported(env: Envelope, exc: Exception) -> AwsError:
    """Gap 25: moto (or a hook) raised: answer ``LocalCloudUnsupported`` 501, which no AWS client retries.

    A Python exception here is a bug or a gap of the emulator, never an AWS-side transient fault, so the
    answer must not be one botocore (500/502/503/504, throttling and transient codes) or amazon.aws's
    ``AWSRetry`` (``InternalFailure``, ``ServiceUnavailable``, ...) would retry for minutes. The traceback
    goes to the local cloud's log. AWS-side retryable errors come from the fault layer, as told.
    """
    return AwsError(
        UNSUPPORTED,
        f"The local cloud cannot handle {env.service} {env.action}: {type(exc).__name__}: {exc}"
        " (traceback in the local cloud's log)",
        HTTPStatus.NOT_IMPLEMENTED,
        sender=False,
    )


# Behaviour of the middleware itself that closes a gap (listed in the gap registry like hooks and patches).
BEHAVIOURS: tuple[Callable, ...] = (unsupported,)


def registered() -> list[Callable]:
    """Every hook registered with :func:`before` or :func:`after` (for the gap registry's check)."""
    hooks = [fn for table in (_BEFORE, _AFTER) for fns in table.values() for fn in fns]
    return list(dict.fromkeys(hooks))
