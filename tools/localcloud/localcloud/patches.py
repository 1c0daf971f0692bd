"""The only moto monkey-patches; each names the gap it closes. Keep this list short."""

from __future__ import annotations


def apply() -> None:
    _lambda_without_docker()


def _lambda_without_docker() -> None:
    # Gap 2 (Lambda): moto invokes functions in Docker by default; there is no Docker engine here, and
    # the setting must be in place before any function exists, so set it at start-up.
    from moto.core.config import default_user_config

    default_user_config["lambda"]["use_docker"] = False
