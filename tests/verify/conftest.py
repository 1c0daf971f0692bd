"""A real PostgreSQL 15 cluster for db_verify, from the harness plugin (localcloud.testing, ``pg_plane``): a
TLS-only primary (the writer endpoint) and a hot standby streaming from it (the reader endpoint), each on its own
loopback address and the same port, like an Aurora writer and reader. Certificates, base backup and pid handling
are localcloud.postgres's; every server is stopped at the end of the session and none may be left running.
"""

from __future__ import annotations

import pytest

from localcloud.testing import new_password


@pytest.fixture(scope="session")
def pki(pg_plane):
    """The CA that signed the servers' certificates, and one that signed nothing."""
    return {"ca": pg_plane.ca, "wrong_ca": pg_plane.wrong_ca}


@pytest.fixture(scope="session")
def cluster(pg_plane):
    """{'writer': PgServer, 'reader': PgServer, 'port', 'user', 'password'}: dbadmin may create tables in public."""
    password = new_password()
    writer = pg_plane.primary("dbadmin", password)
    reader = pg_plane.standby(writer)
    return {"writer": writer, "reader": reader, "port": writer.port, "user": "dbadmin", "password": password}
