#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: db_verify
short_description: Check the payments Aurora cluster's endpoints from the database side (data plane)
author:
  - payments platform team (!UNKNOWN)
version_added: 0.2.0
description:
  - Logs in with the master credentials over TLS with certificate and host name verification, writes a probe
    row through the writer endpoint, reads it back through the reader endpoint (polling while replication
    catches up), checks that a write through the reader endpoint is refused as read-only (SQLSTATE 25006) and
    that a plaintext connection is refused. The probe row is deleted afterwards; the probe table is kept.
  - With O(data_plane=auto) it first opens a TCP connection to the writer endpoint with a short timeout and,
    if that fails (on AWS the endpoints are reachable only from inside the VPC), skips every check and says so
    in RV(skipped_reason). O(data_plane=true) reports an unreachable endpoint as a failed check;
    O(data_plane=false) skips at once.
  - Returns one check per property, C({name, passed, expected, found}); the module itself does not fail when a
    check fails. The password is never returned or printed; it is registered as a value to hide in any output.
  - The credentials come from O(login_user)/O(login_password) or are read from the Secrets Manager secret
    O(secret_id) (then the usual AWS connection options, e.g. from C(module_defaults), apply).
  - Writes only the probe row, also in check mode (verification is the point); C(changed) is always false.
options:
  writer_endpoint:
    description: Host name of the writer (cluster) endpoint. Empty means no cluster was found.
    type: str
    default: ""
  reader_endpoint:
    description: Host name of the reader endpoint.
    type: str
    default: ""
  port:
    description: PostgreSQL port of both endpoints.
    type: int
    default: 5432
  database:
    description: Database to log in to.
    type: str
    default: postgres
  login_user:
    description: User to log in as. Required with O(login_password).
    type: str
  login_password:
    description: Password of O(login_user).
    type: str
  secret_id:
    description: Name or ARN of a secret whose JSON value carries C(username) and C(password) to log in with.
    type: str
  ca_bundle:
    description:
      - PEM file of the certificate authorities that sign the server certificates (on AWS, the RDS global bundle
        from U(https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem)).
      - Empty means the system trust store.
    type: path
  data_plane:
    description:
      - C(auto), C(true) or C(false) (booleans and yes/no are accepted). See the description.
    type: raw
    default: auto
  connect_timeout:
    description: Seconds for the reachability probe and for each connection attempt.
    type: int
    default: 3
  replication_timeout:
    description: Seconds to wait for the probe row to appear through the reader endpoint.
    type: int
    default: 15
  probe_table:
    description: Table (in the default schema) holding the probe rows; created when missing.
    type: str
    default: auroradb_verify_probe
  audit_log_group:
    description:
      - The CloudWatch Logs group the cluster exports its C(postgresql) log to (C(/aws/rds/cluster/<id>/postgresql)).
        When given, two more checks - C(db.pgaudit_extension) (the extension is installed in O(database)) and
        C(db.audit_logged) (a comment on the probe table, a DDL statement pgaudit logs, carries a unique marker that
        must appear in the group within O(audit_timeout) seconds).
    type: str
    default: ""
    version_added: 0.3.0
  audit_timeout:
    description: Seconds the audited statement may take to reach the log group (CloudWatch Logs delivery).
    type: int
    default: 120
    version_added: 0.3.0
requirements:
  - pg8000
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Check the endpoints with the credentials from the stack's secret
  payments.auroradb.db_verify:
    writer_endpoint: payment-db-cluster-dev.cluster-abc.us-east-1.rds.amazonaws.com
    reader_endpoint: payment-db-cluster-dev.cluster-ro-abc.us-east-1.rds.amazonaws.com
    port: 5432
    secret_id: payment-db-credentials-dev
    ca_bundle: /etc/ssl/rds-global-bundle.pem
    data_plane: auto
  register: data_plane
"""

RETURN = r"""
checks:
  description: One entry per check (empty when skipped), like those of C(payments.auroradb.stack_verify).
  returned: always
  type: list
  elements: dict
lines:
  description: One printable line per check, or the one skip line.
  returned: always
  type: list
  elements: str
ran:
  description: Whether the checks ran (false when skipped).
  returned: always
  type: bool
skipped_reason:
  description: Why the checks were skipped, starting with C(skipped:); empty when they ran.
  returned: always
  type: str
  sample: "skipped: endpoint not reachable from here (db.example:5432: timed out)"
summary:
  description: Counts and the names of the failed checks.
  returned: always
  type: dict
"""

import os
import time

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.payments.auroradb.plugins.module_utils import logs, verify
from ansible_collections.payments.auroradb.plugins.module_utils.db_connect import (
    HAS_PG8000,
    pg8000_connector,
    secret_credentials,
    tcp_probe,
    tls_context,
)
from ansible_collections.payments.auroradb.plugins.module_utils.errors import failure
from ansible_collections.payments.auroradb.plugins.module_utils.verify_data_plane import DataPlane, normalize_mode


def credentials(module):
    """(user, password) from the options or from the secret; the password is hidden from every output."""
    params = module.params
    if params["secret_id"]:
        client = module.client("secretsmanager", retry_decorator=AWSRetry.jittered_backoff())
        return secret_credentials(client, params["secret_id"], module.no_log_values.add)
    return params["login_user"], params["login_password"]


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            writer_endpoint=dict(type="str", default=""),
            reader_endpoint=dict(type="str", default=""),
            port=dict(type="int", default=5432),
            database=dict(type="str", default="postgres"),
            login_user=dict(type="str"),
            login_password=dict(type="str", no_log=True),
            secret_id=dict(type="str"),
            ca_bundle=dict(type="path"),
            data_plane=dict(type="raw", default="auto"),
            connect_timeout=dict(type="int", default=3),
            replication_timeout=dict(type="int", default=15),
            probe_table=dict(type="str", default="auroradb_verify_probe"),
            audit_log_group=dict(type="str", default=""),
            audit_timeout=dict(type="int", default=120),
        ),
        mutually_exclusive=[("secret_id", "login_user"), ("secret_id", "login_password")],
        required_together=[("login_user", "login_password")],
        supports_check_mode=True,
    )
    params = module.params
    try:
        mode = normalize_mode(params["data_plane"])
    except ValueError as e:
        module.fail_json(msg=str(e))
    if mode != "false" and not (params["secret_id"] or params["login_user"]):
        module.fail_json(msg="one of secret_id or login_user/login_password is required")
    probe = tcp_probe(params["connect_timeout"])
    writer, port = params["writer_endpoint"], params["port"]
    lazy = {}

    def connect(host, port, tls):
        # Credentials are read (and pg8000 required) only once the endpoint answered.
        if "connect" not in lazy:
            if not HAS_PG8000:
                module.fail_json(msg=missing_required_lib("pg8000"))
            try:  # the only AWS call; fail here, DataPlane would turn any exception into a failed check
                user, password = credentials(module)
            except AnsibleAWSError as e:
                module.fail_json(**failure(e))
            ca_bundle = params["ca_bundle"]
            # A missing CA bundle fails the TLS login (and what depends on it), not the module: the other checks
            # still run. The plaintext attempt needs no CA.
            context = tls_context(ca_bundle) if not ca_bundle or os.path.isfile(ca_bundle) else None
            lazy["connect"] = pg8000_connector(
                user, password, params["database"], params["connect_timeout"], context, "payments.auroradb.db_verify"
            )
            lazy["context"] = context
        if tls and lazy["context"] is None:
            raise ValueError(f"CA bundle {params['ca_bundle']} is not a file (ca_bundle)")
        return lazy["connect"](host, port, tls)

    audit_logged = None
    if params["audit_log_group"]:
        logs_client = module.client("logs", retry_decorator=AWSRetry.jittered_backoff())

        def audit_logged(marker):
            return logs.contains(logs_client, params["audit_log_group"], marker)

    runner = DataPlane(
        connect,
        probe,
        time.sleep,
        time.monotonic,
        params["replication_timeout"],
        audit_logged=audit_logged,
        audit_timeout=params["audit_timeout"],
    )
    checks, skipped = runner.run(mode, writer, params["reader_endpoint"], port, params["probe_table"])
    lines = [verify.line(c) for c in checks] if not skipped else [f"SKIP  data plane: {skipped}"]
    module.exit_json(
        changed=False,
        checks=checks,
        lines=lines,
        ran=not skipped,
        skipped_reason=skipped or "",
        summary=verify.summary(checks),
    )


if __name__ == "__main__":
    main()
