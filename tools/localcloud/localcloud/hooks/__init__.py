"""After-action hooks on moto's in-process backend objects; one module per concern."""

from __future__ import annotations

_SHUTDOWN = []


def register_all() -> None:
    # Importing a hook module registers its hooks with the middleware.
    from . import (  # noqa: F401
        catalogue,
        compat,
        engine_versions,
        iam_actions,
        lifecycle,
        orderable,
        parameter_status,
        rotation,
        strict,
        timing,
    )


def on_shutdown(fn):
    _SHUTDOWN.append(fn)
    return fn


def shutdown() -> None:
    while _SHUTDOWN:
        fn = _SHUTDOWN.pop()
        try:
            fn()
        except Exception:  # noqa: BLE001, S110 - best effort on the way out
            pass
