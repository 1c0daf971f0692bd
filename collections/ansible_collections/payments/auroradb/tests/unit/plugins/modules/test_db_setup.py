# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""payments.auroradb.db_setup decisions against a fake connection: what is missing, what waits for the reboot,
what is created (and in which order); no database."""

from ansible_collections.payments.auroradb.plugins.modules import db_setup


class FakeConn:
    def __init__(self, roles=(), extensions=(), preload="pg_stat_statements,pgaudit"):
        self.roles, self.extensions, self.preload = set(roles), set(extensions), preload
        self.sent = []

    def run(self, sql, **params):
        self.sent.append(sql)
        if sql.startswith("SELECT 1 FROM pg_roles"):
            return [[1]] if params["n"] in self.roles else []
        if sql.startswith("SELECT 1 FROM pg_extension"):
            return [[1]] if params["n"] in self.extensions else []
        if sql == "SHOW shared_preload_libraries":
            return [[self.preload]]
        if sql.startswith("CREATE ROLE"):
            self.roles.add(sql.split('"')[1])
            return []
        if sql.startswith("CREATE EXTENSION"):
            self.extensions.add(sql.split('"')[1])
            return []
        raise AssertionError(sql)


def test_missing_role_and_extension_are_created_role_first():
    conn = FakeConn()
    todo, waiting = db_setup.missing(conn, ["rds_pgaudit"], ["pgaudit"])
    assert todo == [("role", "rds_pgaudit"), ("extension", "pgaudit")] and waiting == []
    for kind, name in todo:
        db_setup.create(conn, kind, name)
    assert conn.sent[-2:] == ['CREATE ROLE "rds_pgaudit" NOLOGIN', 'CREATE EXTENSION IF NOT EXISTS "pgaudit"']
    assert db_setup.missing(conn, ["rds_pgaudit"], ["pgaudit"]) == ([], [])


def test_pgaudit_waits_for_the_reboot_that_loads_it():
    conn = FakeConn(roles=["rds_pgaudit"], preload="pg_stat_statements")
    assert db_setup.missing(conn, ["rds_pgaudit"], ["pgaudit"]) == ([], ["pgaudit"])


def test_identifiers_are_quoted():
    assert db_setup.quote('we"ird') == '"we""ird"'
