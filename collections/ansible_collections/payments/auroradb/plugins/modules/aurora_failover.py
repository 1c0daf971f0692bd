#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aurora_failover
short_description: Fail an Aurora cluster over to a reader and measure how long its writer endpoint was unavailable
author:
  - payments platform team (!UNKNOWN)
version_added: 0.3.0
description:
  - Reads the cluster's members (C(DescribeDBClusters) C(IsClusterWriter), C(PromotionTier)) and their statuses
    (C(DescribeDBInstances)), and refuses, before any change, a O(target_instance) that is not a member of the
    cluster, is not C(available) or is already the writer, a cluster that is not C(available) and a cluster without
    an available reader; the message lists the valid choices (RV(choices)).
  - In check mode returns the plan (RV(old_writer) -> RV(new_writer)) and changes nothing.
  - Otherwise starts a background probe of the writer endpoint (every O(probe_interval) seconds), sends
    C(FailoverDBCluster) (with C(TargetDBInstanceIdentifier) when O(target_instance) is given; without one RDS
    promotes the available reader with the best - lowest - promotion tier, among equals the largest, else any),
    polls C(DescribeDBClusters) until the cluster is C(available) with a new writer (O(target_instance) when given),
    then keeps probing until the endpoint answers as a writable primary again, and returns the old and new writer
    and RV(unavailable_seconds), from the first failed probe to the first successful one after it.
  - The probe (RV(probe_kind)) - C(sql) when O(secret_id) is given and pg8000 is installed - logs in over TLS with
    certificate and host name verification and runs C(SELECT pg_is_in_recovery()), which must be false (a writable
    primary, not the old writer come back as a reader). Without credentials, or when the SQL probe does not succeed
    against the healthy cluster before the failover (a warning says why), C(ssl-request) - sends PostgreSQL's
    SSLRequest and expects its one-byte answer (C(S) or C(N)); a plain TCP connection is not enough, since a proxy may
    accept a connection and close it. That measures reachability only. When the endpoint does not answer at all
    before the failover (on AWS it is reachable only from inside the VPC), the failover still happens, with a
    warning, RV(probe_kind) C(none) and no RV(unavailable_seconds).
  - The password read from O(secret_id) is never returned; it is registered as a value to hide in any output.
  - A failover is always a change; run it again and it fails over again (back to the old writer, or as asked).
  - Supports check mode and diff mode.
options:
  cluster_identifier:
    description: The DB cluster; it must exist.
    type: str
    required: true
  target_instance:
    description:
      - The reader to promote; it must be a member of the cluster, C(available) and not the writer.
      - Empty lets RDS choose (the available reader with the best promotion tier).
    type: str
    default: ""
  writer_endpoint:
    description:
      - Host name of the cluster's writer endpoint to probe; empty takes the cluster's C(Endpoint).
    type: str
    default: ""
  port:
    description: PostgreSQL port of the writer endpoint.
    type: int
    default: 5432
  probe_interval:
    description: Seconds between the starts of two probes of the writer endpoint.
    type: float
    default: 0.2
  connect_timeout:
    description: Seconds one probe may take (connection, TLS, login and query).
    type: float
    default: 2.0
  timeout:
    description:
      - Seconds to wait, from the failover request, for the cluster to be available with its new writer and for the
        writer endpoint to answer as a writable primary again. The module fails when they run out (the failover goes
        on on AWS; see RV(old_writer) and the cluster's events).
    type: int
    default: 900
  secret_id:
    description:
      - Name or ARN of a secret whose JSON value carries C(username) and C(password) to log in with, for the C(sql)
        probe (the usual AWS connection options apply). Empty means the C(ssl-request) probe.
    type: str
    default: ""
  database:
    description: Database the C(sql) probe logs in to.
    type: str
    default: postgres
  ca_bundle:
    description:
      - PEM file of the certificate authorities that sign the server certificates (on AWS, the RDS global bundle),
        for the C(sql) probe. Empty means the system trust store.
    type: path
requirements:
  - pg8000 (for the C(sql) probe)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Plan a failover (reads only)
  payments.auroradb.aurora_failover:
    cluster_identifier: payment-db-cluster-prod
  check_mode: true
  register: planned

- name: Fail over to reader1, probing the writer endpoint with SQL
  payments.auroradb.aurora_failover:
    cluster_identifier: payment-db-cluster-prod
    target_instance: payment-db-cluster-prod-reader1
    writer_endpoint: "{{ planned.writer_endpoint }}"
    port: "{{ planned.port }}"
    secret_id: payment-db-credentials-prod
    ca_bundle: /etc/ssl/rds-global-bundle.pem
  no_log: true
  register: failed_over
"""

RETURN = r"""
old_writer:
  description: The writer before the failover.
  returned: success
  type: str
  sample: payment-db-cluster-prod-writer
new_writer:
  description:
    - The writer after the failover; in check mode the one expected (O(target_instance), or the first of
      RV(candidates)).
  returned: success
  type: str
  sample: payment-db-cluster-prod-reader1
candidates:
  description: The readers RDS may promote (O(target_instance) alone when given; else the available readers of the
    best promotion tier).
  returned: success
  type: list
  elements: str
choices:
  description: The valid values of O(target_instance) (every available reader).
  returned: success, and when O(target_instance) is refused
  type: list
  elements: str
writer_endpoint:
  description: The writer endpoint probed (O(writer_endpoint), or the cluster's C(Endpoint)).
  returned: success
  type: str
port:
  description: The cluster's port (C(Port)).
  returned: success
  type: int
master_user_secret_arn:
  description: The secret RDS manages for the master password (C(MasterUserSecret)), empty when there is none.
  returned: success
  type: str
unavailable_seconds:
  description:
    - Seconds from the first failed probe to the first successful one after it; C(0.0) when no probe failed, null
      when nothing was probed (RV(probe_kind) C(none)).
  returned: success, not in check mode
  type: float
  sample: 1.8
probes:
  description: How many probes ran.
  returned: success, not in check mode
  type: int
failed_probes:
  description: How many of them failed.
  returned: success, not in check mode
  type: int
probe_kind:
  description: C(sql), C(ssl-request) or C(none) (see the description).
  returned: success, not in check mode
  type: str
waited_seconds:
  description: Seconds from the failover request until the new writer was reported and answered.
  returned: success, not in check mode
  type: float
"""

import time

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.payments.auroradb.plugins.module_utils import failover, rds
from ansible_collections.payments.auroradb.plugins.module_utils.db_connect import (
    HAS_PG8000,
    pg8000_connector,
    secret_credentials,
    ssl_request_probe,
    tls_context,
    writable_primary_probe,
)
from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError, run

# Seconds between two DescribeDBClusters while the failover runs (RDS reports it within seconds).
POLL_SECONDS = 2.0
APPLICATION_NAME = "payments.auroradb.aurora_failover"

# The clock and the sleep, replaced by the unit tests.
clock = time.monotonic
sleep = time.sleep


def choose_probe(module, host, port):
    """``(kind, probe(host, port) or None)``: the SQL probe when it works against the cluster now, else the
    SSLRequest probe when the endpoint answers, else none (with a warning saying why)."""
    params = module.params
    if not host:
        module.warn("aurora_failover: the cluster has no writer endpoint: failing over without probing it")
        return "none", None
    why_not_sql = ""
    if params["secret_id"]:
        if not HAS_PG8000:
            why_not_sql = missing_required_lib("pg8000")
        else:
            secrets = module.client("secretsmanager", retry_decorator=AWSRetry.jittered_backoff())
            user, password = secret_credentials(secrets, params["secret_id"], module.no_log_values.add)
            try:
                context = tls_context(params["ca_bundle"])
            except (OSError, ValueError) as e:
                context, why_not_sql = None, f"CA bundle {params['ca_bundle']}: {e}"
            if context is not None:
                connect = pg8000_connector(
                    user, password, params["database"], params["connect_timeout"], context, APPLICATION_NAME
                )
                sql = writable_primary_probe(connect)
                why_not_sql = sql(host, port)
                if why_not_sql is None:
                    return "sql", sql
    handshake = ssl_request_probe(params["connect_timeout"])
    unreachable = handshake(host, port)
    if unreachable is None:
        if why_not_sql:
            module.warn(
                f"aurora_failover: the SQL probe of {host}:{port} did not succeed before the failover ({why_not_sql});"
                " probing with PostgreSQL's SSLRequest instead, which measures reachability, not writability"
            )
        return "ssl-request", handshake
    module.warn(
        f"aurora_failover: the writer endpoint {host}:{port} does not answer from here ({unreachable}): failing over"
        " without measuring its unavailability (on AWS, run from inside the VPC to measure it)"
    )
    return "none", None


def wait_for_new_writer(client, name, old_writer, target, deadline):
    """The new writer once DescribeDBClusters reports it with the cluster available; AuroraDbError at the deadline."""
    while True:
        cluster = rds.describe_cluster(client, name)
        new_writer = failover.failover_done(cluster, old_writer, target)
        if new_writer:
            return new_writer
        if clock() >= deadline:
            raise AuroraDbError(
                f"DB cluster {name} did not report a new writer in time: status "
                f"{(cluster or {}).get('Status', 'not found')}, writer {rds.writer_of(cluster) or 'none'} (was "
                f"{old_writer}); the failover may still be running on AWS: see the cluster's events",
                old_writer=old_writer,
            )
        sleep(POLL_SECONDS)


def wait_for_writable(prober, since, deadline, host, port, old_writer, new_writer):
    """Until a probe started at or after ``since`` succeeded; AuroraDbError at the deadline."""
    while not prober.succeeded_since(since):
        if clock() >= deadline:
            raise AuroraDbError(
                f"{new_writer} is the writer, but the writer endpoint {host}:{port} did not answer as a writable "
                f"primary in time (last probe: {prober.last_failure() or 'none ran'})",
                old_writer=old_writer,
                new_writer=new_writer,
            )
        sleep(min(prober.interval, 0.5))


def ensure(module, client):
    """Plan, then (not in check mode) fail over while probing; the result described in RETURN."""
    params = module.params
    name, target = params["cluster_identifier"], params["target_instance"]
    cluster, instances = rds.describe_cluster_and_members(client, name)
    if cluster is None:
        raise AuroraDbError(f"DB cluster {name} does not exist")
    try:
        planned = failover.plan(cluster, instances, target)
    except failover.FailoverRefused as e:
        # a refused target (not the cluster's state) also returns the valid choices
        raise AuroraDbError(str(e), **({"choices": e.choices} if e.target else {})) from None
    host = params["writer_endpoint"] or cluster.get("Endpoint") or ""
    result = dict(
        planned,
        changed=True,
        writer_endpoint=host,
        port=cluster.get("Port") or params["port"],
        master_user_secret_arn=(cluster.get("MasterUserSecret") or {}).get("SecretArn", ""),
    )
    if module._diff:
        result["diff"] = {"before": {"writer": planned["old_writer"]}, "after": {"writer": planned["new_writer"]}}
    if module.check_mode:
        return result
    port = params["port"]
    kind, probe = choose_probe(module, host, port)
    prober = failover.Prober(lambda: probe(host, port), params["probe_interval"]) if probe else None
    if prober:
        prober.start()
    started = clock()
    deadline = started + params["timeout"]
    try:
        rds.failover_cluster(client, name, target or None)
        new_writer = wait_for_new_writer(client, name, planned["old_writer"], target, deadline)
        if prober:
            wait_for_writable(prober, clock(), deadline, host, port, planned["old_writer"], new_writer)
        waited = round(clock() - started, 3)
    finally:
        if prober:
            prober.stop()
    samples = prober.samples() if prober else []
    result.update(
        new_writer=new_writer,
        unavailable_seconds=failover.unavailable_seconds([sample[:2] for sample in samples]) if prober else None,
        probes=len(samples),
        failed_probes=sum(1 for sample in samples if not sample[1]),
        probe_kind=kind,
        waited_seconds=waited,
    )
    if module._diff:
        result["diff"]["after"]["writer"] = new_writer
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            cluster_identifier=dict(type="str", required=True),
            target_instance=dict(type="str", default=""),
            writer_endpoint=dict(type="str", default=""),
            port=dict(type="int", default=5432),
            probe_interval=dict(type="float", default=0.2),
            connect_timeout=dict(type="float", default=2.0),
            timeout=dict(type="int", default=900),
            secret_id=dict(type="str", default=""),
            database=dict(type="str", default="postgres"),
            ca_bundle=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    run(module, "rds", ensure)


if __name__ == "__main__":
    main()
