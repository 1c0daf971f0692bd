# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Data-plane checks of the payments Aurora stack (used by the db_verify module).

The logic is written against small injected callables so it is unit-testable without a database:

* ``connect(host, port, tls)`` returns a connection with ``run(sql, **params)`` and ``close()``
  (``pg8000.native.Connection``) or raises; ``tls=True`` means TLS with certificate and host name
  verification, ``tls=False`` a plaintext connection;
* ``probe(host, port)`` returns None when a TCP connection opens, else the error text;
* ``sleep`` and ``clock`` drive the replication poll (and the audit log poll);
* ``audit_logged(marker)`` (optional) says whether a line holding ``marker`` reached the database's exported log
  (CloudWatch Logs): with it, the checks also find the pgaudit extension and an audited statement in the log.

Errors are classified by their SQLSTATE (pg8000 puts the server's error fields, ``C`` among them, in
``args[0]``). Nothing here sees the password: ``connect`` closes over it.
"""

from __future__ import annotations

import uuid

from ansible_collections.payments.auroradb.plugins.module_utils.verify import check

MODES = ("auto", "true", "false")
SQLSTATE_READ_ONLY = "25006"
# Class 28: invalid authorization specification (28000: no pg_hba.conf entry, e.g. "no encryption").
SQLSTATE_AUTH_CLASS = "28"
TRUE_WORDS = ("true", "yes", "on", "1", "always")
FALSE_WORDS = ("false", "no", "off", "0", "never")


def normalize_mode(value):
    """auto | true | false from a bool or the usual spellings; ValueError otherwise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value if value is not None else "auto").strip().lower()
    if text in ("auto", ""):
        return "auto"
    if text in TRUE_WORDS:
        return "true"
    if text in FALSE_WORDS:
        return "false"
    raise ValueError(f"data_plane must be auto, true or false, not {value!r}")


def sqlstate(error):
    """The SQLSTATE of a server error, or None (network and client-side errors)."""
    args = getattr(error, "args", ())
    if args and isinstance(args[0], dict):
        return args[0].get("C")
    return None


def describe_error(error):
    """Short text of an error: 'SQLSTATE message' for server errors, the exception text otherwise."""
    args = getattr(error, "args", ())
    if args and isinstance(args[0], dict):
        fields = args[0]
        return f"{fields.get('C', '?')} {fields.get('M', '')}".strip()
    text = str(error) or error.__class__.__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _quote_identifier(name):
    return '"' + name.replace('"', '""') + '"'


class DataPlane:
    """One run of the data-plane checks; ``run()`` returns ``(checks, skipped_reason)``."""

    def __init__(
        self,
        connect,
        probe,
        sleep,
        clock,
        replication_timeout=15.0,
        poll_interval=0.5,
        audit_logged=None,
        audit_timeout=120.0,
        audit_poll_interval=5.0,
    ):
        self.connect, self.probe, self.sleep, self.clock = connect, probe, sleep, clock
        self.replication_timeout, self.poll_interval = float(replication_timeout), float(poll_interval)
        self.audit_logged, self.audit_timeout = audit_logged, float(audit_timeout)
        self.audit_poll_interval = float(audit_poll_interval)
        self.checks = []

    def _add(self, name, passed, expected, found):
        self.checks.append(check(name, passed, expected, found))
        return passed

    def _open(self, host, port, tls):
        """(connection, None) or (None, error text)."""
        try:
            return self.connect(host, port, tls), None
        except Exception as e:  # noqa: BLE001 - every failure to connect is a check result
            return None, describe_error(e)

    @staticmethod
    def _close(conn):
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001, S110 - closing is best effort
                pass

    def run(self, mode, writer, reader, port, table="auroradb_verify_probe"):
        mode = normalize_mode(mode)
        if mode == "false":
            return [], "skipped: data-plane checks turned off (auroradb_verify_data_plane=false)"
        where = f"{writer}:{port}" if writer else "no writer endpoint"
        if not writer:
            if mode == "auto":
                return [], "skipped: no writer endpoint (is the cluster there?)"
            self._add("db.reachable", False, "a TCP connection to the writer endpoint", where)
            return self.checks, None
        problem = self.probe(writer, port)
        if problem is not None:
            if mode == "auto":
                return [], f"skipped: endpoint not reachable from here ({where}: {problem})"
            self._add("db.reachable", False, f"a TCP connection to {where}", problem)
            return self.checks, None
        self._add("db.reachable", True, f"a TCP connection to {where}", f"{where} accepts connections")

        token = f"verify-{uuid.uuid4().hex}"
        writer_conn = reader_conn = None
        try:
            writer_conn = self._tls_login(writer, port)
            written = self._write(writer_conn, table, token)
            if self.audit_logged is not None:
                self._audited(writer_conn, table, token, written)
            reader_conn = self._read_on_reader(reader, port, table, token, written)
            self._reader_refuses_writes(reader_conn, table)
            self._plaintext_refused(writer, port)
        finally:
            if writer_conn is not None and written_row(self.checks):
                try:
                    writer_conn.run(f"DELETE FROM {_quote_identifier(table)} WHERE token = :t", t=token)  # noqa: S608
                except Exception:  # noqa: BLE001, S110 - the probe row is harmless if left
                    pass
            self._close(writer_conn)
            self._close(reader_conn)
        return self.checks, None

    def _tls_login(self, host, port):
        expected = "login with the secret's credentials over TLS, certificate verified"
        conn, error = self._open(host, port, tls=True)
        if conn is None:
            self._add("db.tls_login", False, expected, f"login failed: {error}")
            return None
        try:
            rows = conn.run("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        except Exception as e:  # noqa: BLE001
            self._add("db.tls_login", False, expected, f"logged in, but pg_stat_ssl failed: {describe_error(e)}")
            return conn
        ssl_on = bool(rows and rows[0][0])
        version = rows[0][1] if rows else None
        self._add("db.tls_login", ssl_on, expected, f"logged in over {version}" if ssl_on else "logged in WITHOUT TLS")
        return conn

    def _write(self, conn, table, token):
        expected = "a row written through the writer endpoint"
        if conn is None:
            self._add("db.writer_write", False, expected, "not run: no writer connection")
            return False
        try:
            in_recovery = conn.run("SELECT pg_is_in_recovery()")[0][0]
            if in_recovery:
                self._add("db.writer_write", False, expected, "the writer endpoint leads to a read-only replica")
                return False
            conn.run(
                f"CREATE TABLE IF NOT EXISTS {_quote_identifier(table)} "
                "(token text PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT now())"
            )
            conn.run(f"INSERT INTO {_quote_identifier(table)} (token) VALUES (:t)", t=token)  # noqa: S608
        except Exception as e:  # noqa: BLE001
            self._add("db.writer_write", False, expected, f"write failed: {describe_error(e)}")
            return False
        return self._add("db.writer_write", True, expected, f"row {token} written to {table}")

    def _audited(self, conn, table, token, written):
        """The pgaudit extension is installed, and an audited statement (DDL: a comment on the probe table carrying
        a unique marker) reaches the exported log within ``audit_timeout``."""
        expected = "the pgaudit extension installed"
        if conn is None or not written:
            self._add("db.pgaudit_extension", False, expected, "not run: no writer connection or no probe table")
            self._add("db.audit_logged", False, "an audited statement in the exported log", "not run")
            return
        try:
            rows = conn.run("SELECT extversion FROM pg_extension WHERE extname = 'pgaudit'")
            found = f"pgaudit {rows[0][0]}" if rows else "no pgaudit extension in this database"
            self._add("db.pgaudit_extension", bool(rows), expected, found)
        except Exception as e:  # noqa: BLE001
            self._add("db.pgaudit_extension", False, expected, describe_error(e))
        marker = f"auroradb-audit-{token}"
        expected = f"an audited statement ({marker}) in the exported log within {self.audit_timeout:g} s"
        try:
            conn.run(f"COMMENT ON TABLE {_quote_identifier(table)} IS '{marker}'")
        except Exception as e:  # noqa: BLE001
            self._add("db.audit_logged", False, expected, f"the statement failed: {describe_error(e)}")
            return
        start = self.clock()
        while True:
            try:
                seen, error = self.audit_logged(marker), None
            except Exception as e:  # noqa: BLE001 - e.g. the log group not there yet: poll again
                seen, error = False, describe_error(e)
            waited = self.clock() - start
            if seen:
                self._add("db.audit_logged", True, expected, f"AUDIT line in the log after {waited:.1f} s")
                return
            if waited >= self.audit_timeout:
                found = f"no AUDIT line after {waited:.1f} s" + (f" (last error: {error})" if error else "")
                self._add("db.audit_logged", False, expected, found)
                return
            self.sleep(self.audit_poll_interval)

    def _read_on_reader(self, reader, port, table, token, written):
        expected = f"the row visible through the reader endpoint within {self.replication_timeout:g} s"
        if not reader:
            self._add("db.reader_reads_row", False, expected, "no reader endpoint")
            return None
        conn, error = self._open(reader, port, tls=True)
        if conn is None:
            self._add("db.reader_reads_row", False, expected, f"login on the reader failed: {error}")
            return None
        if not written:
            self._add("db.reader_reads_row", False, expected, "not run: nothing was written")
            return conn
        start = self.clock()
        sql = f"SELECT count(*) FROM {_quote_identifier(table)} WHERE token = :t"  # noqa: S608
        while True:
            try:
                seen = conn.run(sql, t=token)[0][0] > 0
                error = None
            except Exception as e:  # noqa: BLE001 - e.g. the table not replicated yet (42P01): poll again
                seen, error = False, describe_error(e)
            waited = self.clock() - start
            if seen:
                self._add("db.reader_reads_row", True, expected, f"row visible after {waited:.1f} s")
                return conn
            if waited >= self.replication_timeout:
                found = f"row not visible after {waited:.1f} s" + (f" (last error: {error})" if error else "")
                self._add("db.reader_reads_row", False, expected, found)
                return conn
            self.sleep(self.poll_interval)

    def _reader_refuses_writes(self, conn, table):
        expected = f"a write on the reader endpoint refused as read-only (SQLSTATE {SQLSTATE_READ_ONLY})"
        if conn is None:
            self._add("db.reader_read_only", False, expected, "not run: no reader connection")
            return
        token = f"verify-reader-{uuid.uuid4().hex}"
        try:
            conn.run(f"INSERT INTO {_quote_identifier(table)} (token) VALUES (:t)", t=token)  # noqa: S608
        except Exception as e:  # noqa: BLE001
            state = sqlstate(e)
            self._add("db.reader_read_only", state == SQLSTATE_READ_ONLY, expected, f"refused: {describe_error(e)}")
            return
        try:  # the reader accepted a write: undo it where it landed
            conn.run(f"DELETE FROM {_quote_identifier(table)} WHERE token = :t", t=token)  # noqa: S608
        except Exception:  # noqa: BLE001, S110
            pass
        self._add("db.reader_read_only", False, expected, "the write was accepted")

    def _plaintext_refused(self, host, port):
        expected = "a plaintext (non-TLS) login refused by the server"
        conn, error = None, None
        try:
            conn = self.connect(host, port, False)
        except Exception as e:  # noqa: BLE001
            error = e
        if conn is not None:
            self._close(conn)
            self._add("db.plaintext_refused", False, expected, "a plaintext login succeeded")
            return
        state = sqlstate(error)
        refused = state is not None and state.startswith(SQLSTATE_AUTH_CLASS)
        self._add(
            "db.plaintext_refused",
            refused,
            expected,
            f"refused: {describe_error(error)}" if refused else f"no server refusal: {describe_error(error)}",
        )


def written_row(checks):
    return any(c["name"] == "db.writer_write" and c["passed"] for c in checks)
