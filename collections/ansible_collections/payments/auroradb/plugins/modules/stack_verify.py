#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: stack_verify
short_description: Check a deployed payments Aurora stack against the expected settings (control plane)
version_added: 0.2.0
description:
  - Read-only. Describes the stack's KMS key (found through its alias), cluster, cluster parameter group,
    instances, CloudWatch alarms and credentials secret, and compares each property with the expected value.
  - Returns one check per property, C({name, passed, expected, found}), and a printable line per check.
    The module itself does not fail when a check fails (so a play can print every result first); it fails
    only when AWS cannot be read.
  - The secret's value is read to compare its connection keys (C(host), C(port), C(engine),
    C(dbClusterIdentifier)) and C(username) with the cluster; the password is dropped without being returned.
  - Never changes anything; C(changed) is always false. Runs in check mode like in normal mode.
options:
  names:
    description:
      - Every resource name of the stack, as C(payments.auroradb.validate_inputs) returns them (C(auroradb_names)).
      - Uses C(kms_alias), C(cluster), C(writer_instance), C(reader_instances), C(cpu_alarm), C(storage_alarm)
        and C(secret).
    type: dict
    required: true
  engine:
    description: Expected cluster engine.
    type: str
    default: aurora-postgresql
  engine_version:
    description: Expected engine version.
    type: str
    default: "15.7"
  port:
    description: Expected PostgreSQL port of the cluster (and of the secret's C(port)).
    type: int
    default: 5432
  backup_retention_days:
    description: Expected days automated backups are kept.
    type: int
    default: 7
  backup_window:
    description: Expected daily backup window (UTC).
    type: str
    default: "03:00-04:00"
  log_exports:
    description: Expected log types exported to CloudWatch Logs (order does not matter).
    type: list
    elements: str
    default: [postgresql]
  cluster_parameters:
    description: Expected values of cluster parameters (name to value), compared as RDS returns them (strings).
    type: dict
    default: {rds.force_ssl: "1"}
  performance_insights:
    description: Whether every instance must have Performance Insights on.
    type: bool
    default: true
  key_rotation:
    description: Whether the stack key's automatic rotation must be on.
    type: bool
    default: true
  cpu_threshold:
    description: Expected threshold (percent) of the CPUUtilization alarm (GreaterThanThreshold).
    type: float
    default: 80
  free_local_storage_threshold_bytes:
    description: Expected threshold (bytes) of the FreeLocalStorage alarm (LessThanThreshold).
    type: float
    default: 10737418240
  alarm_period_seconds:
    description: Expected period of both alarms.
    type: int
    default: 300
  alarm_evaluation_periods:
    description: Expected evaluation periods of both alarms.
    type: int
    default: 2
  secret_username:
    description: Expected C(username) in the secret.
    type: str
    default: dbadmin
  secret_description:
    description: Expected description of the secret.
    type: str
    default: Master credentials for Aurora PostgreSQL cluster
  secret_rotation_days:
    description:
      - Expected rotation interval of the secret. Rotation must be enabled and the rules must say every so many
        days, as C(AutomaticallyAfterDays) or as C(ScheduleExpression) C(rate(N days)).
    type: int
    default: 30
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
author:
  - payments platform team (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Check the control plane of the dev stack
  payments.auroradb.stack_verify:
    names: "{{ auroradb_names }}"
    backup_retention_days: 7
  register: control_plane

- name: Print one line per check
  ansible.builtin.debug:
    msg: "{{ control_plane.lines }}"
"""

RETURN = r"""
checks:
  description: One entry per check, in a stable order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Check name, like C(cluster.backup_retention).
      type: str
      sample: cluster.backup_retention
    passed:
      description: Whether the deployed value matches.
      type: bool
    expected:
      description: The expected value, as text.
      type: str
      sample: 7 days
    found:
      description: What AWS reported, as text.
      type: str
      sample: 3 days
lines:
  description: "One printable line per check, C(PASS  name  found) or C(FAIL  name: expected X, found Y)."
  returned: always
  type: list
  elements: str
summary:
  description: Counts and the names of the failed checks.
  returned: always
  type: dict
  sample: {total: 24, passed: 23, failed: 1, skipped: 0, failed_checks: [secret.rotation]}
cluster:
  description: Endpoints of the cluster for the data-plane checks (empty strings when the cluster is missing).
  returned: always
  type: dict
  contains:
    endpoint:
      description: Writer endpoint.
      type: str
    reader_endpoint:
      description: Reader endpoint.
      type: str
    port:
      description: Port (0 when unknown).
      type: int
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.payments.auroradb.plugins.module_utils import verify

REQUIRED_NAMES = ("kms_alias", "cluster", "writer_instance", "reader_instances", "cpu_alarm", "storage_alarm", "secret")
EXPECTED_OPTIONS = tuple(verify.DEFAULT_EXPECTED)


def expected_from(params):
    expected = {key: params[key] for key in EXPECTED_OPTIONS}
    expected["cluster_parameters"] = dict(params["cluster_parameters"] or {})
    return expected


def cluster_endpoints(facts):
    cluster = facts.get("cluster") or {}
    return {
        "endpoint": cluster.get("Endpoint") or "",
        "reader_endpoint": cluster.get("ReaderEndpoint") or "",
        "port": int(cluster.get("Port") or 0),
    }


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            names=dict(type="dict", required=True),
            engine=dict(type="str", default="aurora-postgresql"),
            engine_version=dict(type="str", default="15.7"),
            port=dict(type="int", default=5432),
            backup_retention_days=dict(type="int", default=7),
            backup_window=dict(type="str", default="03:00-04:00"),
            log_exports=dict(type="list", elements="str", default=["postgresql"]),
            cluster_parameters=dict(type="dict", default={"rds.force_ssl": "1"}),
            performance_insights=dict(type="bool", default=True),
            key_rotation=dict(type="bool", default=True),
            cpu_threshold=dict(type="float", default=80),
            free_local_storage_threshold_bytes=dict(type="float", default=10737418240),
            alarm_period_seconds=dict(type="int", default=300),
            alarm_evaluation_periods=dict(type="int", default=2),
            secret_username=dict(type="str", default="dbadmin", no_log=False),
            secret_description=dict(
                type="str", default="Master credentials for Aurora PostgreSQL cluster", no_log=False
            ),
            secret_rotation_days=dict(type="int", default=30, no_log=False),
        ),
        supports_check_mode=True,
    )
    names = module.params["names"]
    missing = [key for key in REQUIRED_NAMES if key not in names]
    if missing:
        module.fail_json(msg=f"names lacks {', '.join(missing)}: pass auroradb_names from the preflight role")

    retry = AWSRetry.jittered_backoff()
    clients = {
        service: module.client(service, retry_decorator=retry)
        for service in ("kms", "rds", "cloudwatch", "secretsmanager")
    }
    try:
        facts = verify.gather(clients, names)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Failed to read the stack for verification")

    checks = verify.evaluate(facts, names, expected_from(module.params))
    module.exit_json(
        changed=False,
        checks=checks,
        lines=[verify.line(c) for c in checks],
        summary=verify.summary(checks),
        cluster=cluster_endpoints(facts),
    )


if __name__ == "__main__":
    main()
