#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: db_setup
short_description: Create extensions and roles in the cluster's database (post-deploy step)
author:
  - payments platform team (!UNKNOWN)
version_added: 0.3.0
description:
  - Connects to the writer endpoint with the master credentials of the Secrets Manager secret O(secret_id), over
    TLS with certificate and host name verification, and creates the O(roles) (C(NOLOGIN)) and the O(extensions)
    that are missing, in that order (C(pgaudit.role) names a role that must exist before pgaudit audits objects).
  - An extension whose library must be preloaded (C(pgaudit)) is not created while C(shared_preload_libraries)
    does not hold it yet (a parameter change waiting for the writer's reboot); RV(skipped_reason) says so.
  - Existing roles and extensions are left as they are; nothing is ever dropped. C(changed) when something was
    (or, in check mode, would be) created.
  - On AWS the endpoint is reachable only from inside the VPC. O(mode=auto) first opens a TCP connection with a
    short timeout and, when that fails, does nothing and says so in RV(skipped_reason); O(mode=true) fails
    instead; O(mode=false) does nothing.
  - The password is never returned or printed.
options:
  endpoint:
    description: The writer endpoint (empty means there is no cluster yet, which O(mode=auto) skips).
    type: str
    default: ""
  port:
    description: The cluster's port.
    type: int
    default: 5432
  database:
    description: The database to create the extensions in.
    type: str
    default: postgres
  secret_id:
    description: The Secrets Manager secret holding the master user name and password (JSON).
    type: str
    required: true
  ca_bundle:
    description: PEM file of the CAs that sign the database certificates; empty uses the system trust store.
    type: path
  mode:
    description: C(auto), C(true) or C(false) (see above).
    type: raw
    default: auto
  connect_timeout:
    description: Seconds for the TCP probe and the connection.
    type: int
    default: 5
  extensions:
    description: Extensions that must exist in O(database).
    type: list
    elements: str
    default: []
  roles:
    description: Roles (C(NOLOGIN)) that must exist.
    type: list
    elements: str
    default: []
requirements:
  - pg8000
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Create the pgaudit extension and the role pgaudit.role names
  payments.auroradb.db_setup:
    endpoint: payment-db-cluster-prod.cluster-abc.us-east-1.rds.amazonaws.com
    secret_id: payment-db-credentials-prod
    ca_bundle: /etc/ssl/rds-global-bundle.pem
    roles: [rds_pgaudit]
    extensions: [pgaudit]
"""

RETURN = r"""
created:
  description: What was (or would be) created, C(role <name>) and C(extension <name>).
  returned: always
  type: list
  elements: str
  sample: ["role rds_pgaudit", "extension pgaudit"]
ran:
  description: Whether the module connected (false when skipped).
  returned: always
  type: bool
skipped_reason:
  description: Why nothing (or not everything) was done, starting with C(skipped:); empty when all is there.
  returned: always
  type: str
"""

import os

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.payments.auroradb.plugins.module_utils.db_connect import (
    HAS_PG8000,
    pg8000_connector,
    secret_credentials,
    tcp_probe,
    tls_context,
)
from ansible_collections.payments.auroradb.plugins.module_utils.errors import failure
from ansible_collections.payments.auroradb.plugins.module_utils.verify_data_plane import (
    describe_error,
    normalize_mode,
)


def quote(name):
    return '"' + name.replace('"', '""') + '"'


# Extensions that can be created only once their library is preloaded (shared_preload_libraries).
PRELOADED = frozenset(["pgaudit"])


def missing(conn, roles, extensions):
    """``(todo, waiting)``: what does not exist yet (``(role, name)`` then ``(extension, name)``), and the missing
    extensions whose library is not loaded yet (a shared_preload_libraries change waits for the writer's reboot)."""
    todo, waiting = [], []
    for role in roles:
        if not conn.run("SELECT 1 FROM pg_roles WHERE rolname = :n", n=role):
            todo.append(("role", role))
    loaded = [lib.strip() for lib in conn.run("SHOW shared_preload_libraries")[0][0].split(",")]
    for extension in extensions:
        if not conn.run("SELECT 1 FROM pg_extension WHERE extname = :n", n=extension):
            if extension in PRELOADED and extension not in loaded:
                waiting.append(extension)
            else:
                todo.append(("extension", extension))
    return todo, waiting


def create(conn, kind, name):
    if kind == "role":
        conn.run(f"CREATE ROLE {quote(name)} NOLOGIN")
    else:
        conn.run(f"CREATE EXTENSION IF NOT EXISTS {quote(name)}")


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            endpoint=dict(type="str", default=""),
            port=dict(type="int", default=5432),
            database=dict(type="str", default="postgres"),
            secret_id=dict(type="str", required=True),
            ca_bundle=dict(type="path"),
            mode=dict(type="raw", default="auto"),
            connect_timeout=dict(type="int", default=5),
            extensions=dict(type="list", elements="str", default=[]),
            roles=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        mode = normalize_mode(p["mode"])
    except ValueError as e:
        module.fail_json(msg=str(e))
    skipped = None
    if mode == "false":
        skipped = "skipped: turned off"
    elif not p["roles"] and not p["extensions"]:
        skipped = "skipped: nothing to create"
    elif not p["endpoint"]:
        skipped = "skipped: no writer endpoint (is the cluster there?)"
    else:
        problem = tcp_probe(p["connect_timeout"])(p["endpoint"], p["port"])
        if problem is not None:
            skipped = f"skipped: {p['endpoint']}:{p['port']} not reachable from here ({problem})"
    if skipped:
        if mode == "true" and not skipped.startswith("skipped: nothing"):
            module.fail_json(msg=f"cannot set up the database: {skipped.removeprefix('skipped: ')}")
        module.exit_json(changed=False, created=[], ran=False, skipped_reason=skipped)
    if not HAS_PG8000:
        module.fail_json(msg=missing_required_lib("pg8000"))
    if p["ca_bundle"] and not os.path.isfile(p["ca_bundle"]):
        module.fail_json(msg=f"CA bundle {p['ca_bundle']} is not a file (ca_bundle)")
    try:
        client = module.client("secretsmanager", retry_decorator=AWSRetry.jittered_backoff())
        user, password = secret_credentials(client, p["secret_id"], module.no_log_values.add)
    except AnsibleAWSError as e:
        module.fail_json(**failure(e))
    connect = pg8000_connector(
        user, password, p["database"], p["connect_timeout"], tls_context(p["ca_bundle"]), "payments.auroradb.db_setup"
    )
    conn = None
    try:
        conn = connect(p["endpoint"], p["port"], True)
        todo, waiting = missing(conn, p["roles"], p["extensions"])
        if not module.check_mode:
            for kind, name in todo:
                create(conn, kind, name)
    except Exception as e:  # noqa: BLE001 - a database error is this module's failure, with its SQLSTATE
        module.fail_json(msg=f"database setup on {p['endpoint']} failed: {describe_error(e)}")
    finally:
        if conn is not None:
            conn.close()
    skipped = (
        f"skipped: {', '.join(waiting)} not loaded yet (shared_preload_libraries applies at the writer's reboot)"
        if waiting
        else ""
    )
    module.exit_json(
        changed=bool(todo), created=[f"{kind} {name}" for kind, name in todo], ran=True, skipped_reason=skipped
    )


if __name__ == "__main__":
    main()
