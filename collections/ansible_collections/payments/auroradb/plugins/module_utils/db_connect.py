# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connecting to the cluster's endpoints from the controller (db_verify, db_setup): a TCP probe, the TLS context
(certificate and host name verified), a pg8000 connector that keeps the password in a closure, and the credentials
read from the stack's secret (the password handed to ``hide`` at once, never returned)."""

from __future__ import annotations

import socket
import ssl

try:
    import pg8000.native

    HAS_PG8000 = True
except ImportError:
    HAS_PG8000 = False

from ansible_collections.payments.auroradb.plugins.module_utils import secretsmanager as sm


def tcp_probe(timeout):
    """probe(host, port) -> None when a TCP connection opens, else why not."""

    def probe(host, port):
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return None
        except OSError as e:
            return str(e) or e.__class__.__name__

    return probe


def tls_context(ca_bundle):
    """Certificate and host name verification; the given CA bundle or the system trust store."""
    context = ssl.create_default_context(cafile=ca_bundle or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def pg8000_connector(user, password, database, timeout, context, application_name):
    """connect(host, port, tls); the password stays in this closure."""

    def connect(host, port, tls):
        return pg8000.native.Connection(
            user=user,
            password=password,
            host=host,
            port=port,
            database=database,
            timeout=timeout,
            ssl_context=context if tls else False,
            application_name=application_name,
        )

    return connect


def secret_credentials(client, secret_id, hide):
    """(username, password) of the secret's current JSON value; ``hide`` gets the password first."""
    value = sm.get_current_value(client, secret_id, hide)
    if not value.get("username") or not value.get("password"):
        raise sm.SecretValueError(f"Secret {secret_id} has no JSON value with username and password")
    return value["username"], value["password"]
