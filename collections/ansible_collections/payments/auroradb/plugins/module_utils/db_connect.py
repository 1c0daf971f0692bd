# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connecting to the cluster's endpoints from the controller (db_verify, db_setup): a TCP probe, the TLS context
(certificate and host name verified), a pg8000 connector that keeps the password in a closure, and the credentials
read from the stack's secret (the password handed to ``hide`` at once, never returned)."""

from __future__ import annotations

import socket
import ssl
import struct

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


# PostgreSQL's SSLRequest: length 8, then the code 80877103; the server answers one byte, S (TLS next) or N.
SSL_REQUEST = struct.pack("!ii", 8, 80877103)


def ssl_request_probe(timeout):
    """probe(host, port) -> None when a PostgreSQL server answers the SSLRequest with S or N, else why not.

    More than a TCP connect: a proxy in front of a server that is down (Aurora's endpoint during a failover, the local
    cloud's endpoint while suspended) may accept the connection and close it without a byte."""

    def probe(host, port):
        try:
            with socket.create_connection((host, port), timeout=timeout) as sock:
                sock.settimeout(timeout)
                sock.sendall(SSL_REQUEST)
                answer = sock.recv(1)
        except OSError as e:
            return str(e) or e.__class__.__name__
        if answer in (b"S", b"N"):
            return None
        return f"no PostgreSQL answer to the SSLRequest (got {answer!r})"

    return probe


def writable_primary_probe(connect):
    """probe(host, port) -> None when a TLS login (``connect(host, port, tls=True)``) reaches a server that is not in
    recovery (a writable primary), else why not."""

    def probe(host, port):
        try:
            conn = connect(host, port, True)
        except Exception as e:  # pylint: disable=broad-except
            return str(e) or e.__class__.__name__
        try:
            in_recovery = conn.run("SELECT pg_is_in_recovery()")[0][0]
        except Exception as e:  # pylint: disable=broad-except
            return str(e) or e.__class__.__name__
        finally:
            try:
                conn.close()
            except Exception:  # pylint: disable=broad-except  # noqa: S110 - the answer is already known
                pass
        return "the server is in recovery (a reader), not a writable primary" if in_recovery else None

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
