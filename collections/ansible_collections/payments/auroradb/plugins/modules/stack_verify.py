#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: stack_verify
short_description: Check a deployed payments Aurora stack against the expected settings (control plane)
author:
  - payments platform team (!UNKNOWN)
version_added: 0.2.0
description:
  - Read-only. Checks one part (O(scope)) of the deployed stack against the expected values given, which the
    verify entry point of the role that deploys that part passes from its own variables (C(tasks_from=verify)
    of the network, kms, aurora, monitoring and secret roles; C(playbooks/verify.yml) runs them in deploy order).
  - O(scope=network) - the database security group admits no public range (0.0.0.0/0 or any other public IPv4
    or IPv6 range) beyond O(db_allowed_cidrs); an available NAT gateway in the first public subnet holds the
    stack's elastic IP.
  - O(scope=kms) - the stack's KMS key, found through its alias, is an enabled customer key; its rotation.
  - O(scope=aurora) - the cluster (available, engine and version, port, encrypted with the stack key, backups, log
    exports, deletion protection, the stack's tags, cluster parameters), its members (1 writer + the readers of
    O(names), distinct AZs) and instances (available, private, Performance Insights).
  - O(scope=monitoring) - both CloudWatch alarms (metric, comparison, threshold, statistic, periods, dimension).
  - O(scope=secret) - who owns the master password (O(secret_mode)), then the credentials secret (exists, encrypted
    with the stack key, description, rotation, the resource policy denying C(secretsmanager:DeleteSecret),
    username) and its connection keys (C(host), C(port), C(engine), C(dbClusterIdentifier)) against the cluster,
    which this scope reads too; or, with O(secret_mode=rds_managed), the secret RDS manages. The secret's value is
    read for that; the password is dropped without being returned.
  - The expected values have no defaults. Those of the chosen scope are required and the others refused, with
    a message naming them.
  - Returns one check per property, C({name, passed, expected, found}), and a printable line per check.
    The module itself does not fail when a check fails (so a play can print every result first); it fails
    only when AWS cannot be read or the options do not fit the scope.
  - "Also returns the drift of the scope, RV(drift), one entry per resource and setting whose live value differs
    from the expected one, with its line (C(DRIFT cluster payment-db-cluster-dev backup_retention: 3 -> 7)); in
    diff mode the result carries a diff with the live values before and the expected ones after (the
    C(payments.auroradb.progress) output shows it although nothing changed). The roles run it in their deploy path
    under C(--diff) and C(playbooks/drift.yml) prints the lines."
  - Never changes anything; C(changed) is always false. Runs in check mode like in normal mode.
options:
  scope:
    description: Which part of the stack to check; only the AWS calls this part needs are made.
    type: str
    required: true
    choices: [network, kms, aurora, monitoring, secret]
  names:
    description:
      - Every resource name of the stack, as C(payments.auroradb.validate_inputs) returns them (C(auroradb_names)).
      - Uses C(vpc) and C(db_security_group) (network), C(kms_alias) (kms, aurora, secret), C(cluster) (aurora,
        monitoring, secret), C(writer_instance) and C(reader_instances) (aurora), C(cpu_alarm) and C(storage_alarm)
        (monitoring), C(secret) (secret).
    type: dict
    required: true
  db_port:
    description: The PostgreSQL port the database security group opens. Required for O(scope=network).
    type: int
  db_allowed_cidrs:
    description:
      - The ranges the database security group may admit (besides security groups). Required for O(scope=network).
    type: list
    elements: str
  key_rotation:
    description: Whether the stack key's automatic rotation must be on. Required for O(scope=kms).
    type: bool
  engine:
    description: Expected cluster engine. Required for O(scope=aurora).
    type: str
  engine_version:
    description: Expected engine version. Required for O(scope=aurora).
    type: str
  port:
    description: Expected PostgreSQL port of the cluster. Required for O(scope=aurora).
    type: int
  backup_retention_days:
    description: Expected days automated backups are kept. Required for O(scope=aurora).
    type: int
  backup_window:
    description: Expected daily backup window (UTC). Required for O(scope=aurora).
    type: str
  log_exports:
    description: Expected log types exported to CloudWatch Logs (order does not matter). Required for O(scope=aurora).
    type: list
    elements: str
  cluster_parameters:
    description:
      - Expected values of cluster parameters (name to value), compared as RDS returns them (strings).
      - Required for O(scope=aurora).
    type: dict
  performance_insights:
    description: Whether every instance must have Performance Insights on. Required for O(scope=aurora).
    type: bool
  deletion_protection:
    description: Whether the cluster's deletion protection must be on. Required for O(scope=aurora).
    type: bool
  tags:
    description:
      - Tags the cluster must carry (key to value); other tags are allowed. Required for O(scope=aurora).
    type: dict
  cpu_threshold:
    description:
      - Expected threshold (percent) of the CPUUtilization alarm (GreaterThanThreshold).
      - Required for O(scope=monitoring).
    type: float
  free_local_storage_threshold_bytes:
    description:
      - Expected threshold (bytes) of the FreeLocalStorage alarm (LessThanThreshold).
      - Required for O(scope=monitoring).
    type: float
  alarm_period_seconds:
    description: Expected period of both alarms. Required for O(scope=monitoring).
    type: int
  alarm_evaluation_periods:
    description: Expected evaluation periods of both alarms. Required for O(scope=monitoring).
    type: int
  secret_username:
    description: Expected C(username) in the secret. Required for O(scope=secret).
    type: str
  secret_description:
    description: Expected description of the secret. Required for O(scope=secret).
    type: str
  secret_rotation_enabled:
    description:
      - Whether the secret's rotation must be enabled (with the interval O(secret_rotation_days)) or disabled.
      - Required for O(scope=secret).
    type: bool
  secret_rotation_days:
    description:
      - Expected rotation interval of the secret when O(secret_rotation_enabled). Rotation must be enabled and the
        rules must say every so many days, as C(AutomaticallyAfterDays) or as C(ScheduleExpression) C(rate(N days)).
      - Required for O(scope=secret).
    type: int
  secret_mode:
    description:
      - Who owns the master password, C(rotation_function) or C(rds_managed). Required for O(scope=secret).
      - With C(rds_managed) the secret checked is the cluster's C(MasterUserSecret) (encrypted with the stack key,
        rotated every O(secret_rotation_days), the master user), and no secret named after the stack may remain;
        O(secret_description), O(secret_deny_delete) and the connection keys are RDS's, not checked.
    type: str
    choices: [rotation_function, rds_managed]
    version_added: 0.3.0
  secret_deny_delete:
    description:
      - Whether the secret's resource policy must deny C(secretsmanager:DeleteSecret). Required for O(scope=secret).
    type: bool
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
# roles/monitoring/tasks/verify.yml: the expected values are the role's own variables.
- name: Check the alarms against this role's settings
  payments.auroradb.stack_verify:
    scope: monitoring
    names: "{{ auroradb_names }}"
    cpu_threshold: "{{ auroradb_monitoring_cpu_threshold }}"
    free_local_storage_threshold_bytes: "{{ auroradb_monitoring_free_local_storage_threshold_bytes }}"
    alarm_period_seconds: "{{ auroradb_monitoring_period_seconds }}"
    alarm_evaluation_periods: "{{ auroradb_monitoring_evaluation_periods }}"
  register: monitoring_checks

- name: Print one line per check
  ansible.builtin.debug:
    msg: "{{ monitoring_checks.lines }}"
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
drift:
  description: One entry per resource and setting whose live value differs from the expected one.
  returned: always
  type: list
  elements: dict
  contains:
    resource:
      description: Kind of resource (cluster, instance, parameter_group, alarm, secret, kms_key, security_group,
        nat_gateway, vpc).
      type: str
      sample: cluster
    name:
      description: Its name.
      type: str
      sample: payment-db-cluster-dev
    setting:
      description: The setting (C(exists) when the resource is missing).
      type: str
      sample: backup_retention
    live:
      description: The live value, as text.
      type: str
      sample: "3"
    wanted:
      description: The expected value, as text.
      type: str
      sample: "7"
drift_lines:
  description: "One line per drift entry, C(DRIFT resource name setting: live -> wanted)."
  returned: always
  type: list
  elements: str
  sample: ["DRIFT cluster payment-db-cluster-dev backup_retention: 3 -> 7"]
scope:
  description: The scope checked.
  returned: always
  type: str
  sample: aurora
cluster:
  description:
    - Endpoints of the cluster for the data-plane checks (empty strings when the cluster is missing or the scope
      does not read it, i.e. kms and monitoring).
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
    master_user_secret_arn:
      description: The secret RDS manages for the master password (C(MasterUserSecret)); empty when none.
      type: str
      version_added: 0.3.0
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.payments.auroradb.plugins.module_utils import drift, verify
from ansible_collections.payments.auroradb.plugins.module_utils.errors import failure

# Option types of the expected values; no defaults (each is required for its scope: verify.SCOPE_EXPECTED).
EXPECTED_TYPES = (
    ("bool", ("key_rotation", "performance_insights", "deletion_protection", "secret_deny_delete")),
    ("bool", ("secret_rotation_enabled",)),
    ("str", ("engine", "engine_version", "backup_window", "secret_username", "secret_description")),
    ("int", ("port", "backup_retention_days", "secret_rotation_days", "db_port")),
    ("int", ("alarm_period_seconds", "alarm_evaluation_periods")),
    ("float", ("cpu_threshold", "free_local_storage_threshold_bytes")),
    ("dict", ("cluster_parameters", "tags")),
)
EXPECTED_SPEC = {
    "log_exports": dict(type="list", elements="str"),
    "db_allowed_cidrs": dict(type="list", elements="str"),
    **{name: dict(type=kind, no_log=False) for kind, names in EXPECTED_TYPES for name in names},
    "secret_mode": dict(type="str", choices=["rotation_function", "rds_managed"]),
}


def cluster_endpoints(facts):
    cluster = facts.get("cluster") or {}
    return {
        "endpoint": cluster.get("Endpoint") or "",
        "reader_endpoint": cluster.get("ReaderEndpoint") or "",
        "port": int(cluster.get("Port") or 0),
        "master_user_secret_arn": (cluster.get("MasterUserSecret") or {}).get("SecretArn") or "",
    }


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            scope=dict(type="str", required=True, choices=sorted(verify.SCOPE_EXPECTED)),
            names=dict(type="dict", required=True),
            **EXPECTED_SPEC,
        ),
        supports_check_mode=True,
    )
    scope, names = module.params["scope"], module.params["names"]
    expected = {key: module.params[key] for key in EXPECTED_SPEC}
    problems = verify.expected_problems(scope, expected)
    missing = [key for key in verify.SCOPE_NAMES[scope] if key not in names]
    if missing:
        problems.append(f"names lacks {', '.join(missing)}: pass auroradb_names from the preflight role")
    if problems:
        module.fail_json(msg="; ".join(problems))

    clients = {
        service: module.client(service, retry_decorator=AWSRetry.jittered_backoff())
        for service in verify.services(scope)
    }
    try:
        facts = verify.gather(clients, names, scope, module.no_log_values.add)
    except AnsibleAWSError as e:
        module.fail_json(**failure(e))

    given = {k: v for k, v in expected.items() if v is not None}
    checks = verify.evaluate(facts, names, scope, given)
    drifted = drift.compare(facts, names, scope, given)
    result = {}
    if module._diff and drifted:
        result["diff"] = drift.diff(drifted)
    module.exit_json(
        changed=False,
        drift=drifted,
        drift_lines=[drift.line(d) for d in drifted],
        **result,
        scope=scope,
        checks=checks,
        lines=[verify.line(c) for c in checks],
        summary=verify.summary(checks),
        cluster=cluster_endpoints(facts),
    )


if __name__ == "__main__":
    main()
