#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: validate_inputs
short_description: Check the payments Aurora settings before any AWS call
author:
  - payments platform team (!UNKNOWN)
version_added: 0.1.0
description:
  - >-
    Pure computation, no AWS call and no boto3 needed. Checks the settings of the payments Aurora stack
    and fails with B(all) problems at once, each naming the inventory variable and the rule it breaks,
    for example C(auroradb_env_suffix: must start with a lowercase letter), followed by the value given.
  - Every option is optional; only the options given are checked, so a caller validates what it has.
    Rules that involve several options (subnets inside the VPC, zones of the region, backup window
    versus maintenance window) are checked when those options are given together.
  - On success returns every resource name derived from O(env_suffix), the tags of every taggable
    resource, and the part of the stack plan the options given answer (RV(plan)), so roles never rebuild
    names, zones or instance placements themselves. The preflight role publishes the plan as C(auroradb_plan);
    each role's C(validate) entry point adds its part.
  - Listed in the C(payments.auroradb.aws) action group like the other modules of the collection, so it also
    accepts the common AWS connection options that C(module_defaults) may pass; O(region) is checked,
    O(endpoint_url) and O(profile) go into the plan's connection settings, the others are ignored.
  - Never changes anything; C(changed) is always false.
options:
  env_suffix:
    description:
      - Environment suffix (C(auroradb_env_suffix)) carried by every resource name.
      - Lowercase letters, digits and single hyphens, starting with a letter, not ending with a hyphen.
      - At most as long as the longest derived name allows; with two readers the DB instance identifier
        C(payment-db-cluster-<suffix>-reader2) (63 characters at most) leaves 36 characters.
    type: str
  region:
    description:
      - AWS region of the stack (C(auroradb_aws_region)), like C(us-east-1).
      - The availability zones must belong to it.
      - C(module_defaults) for C(group/payments.auroradb.aws) usually fill it.
    type: str
    aliases: [aws_region]
  vpc_cidr:
    description:
      - VPC CIDR (C(auroradb_network_vpc_cidr)); an IPv4 network address with a prefix from /16 to /21.
    type: str
  availability_zones:
    description:
      - Availability zones (C(auroradb_network_availability_zones)); exactly 3 distinct zones of O(region).
      - An empty list means the region's zones C(a), C(b) and C(c) (not checked, see RV(plan.availability_zones)).
    type: list
    elements: str
  public_subnet_cidrs:
    description:
      - Public subnets (C(auroradb_network_public_subnet_cidrs)); one per availability zone (3), each inside
        O(vpc_cidr), no overlap with any other public or private subnet.
    type: list
    elements: str
  private_subnet_cidrs:
    description:
      - Private subnets (C(auroradb_network_private_subnet_cidrs)); same rules as O(public_subnet_cidrs).
    type: list
    elements: str
  db_allowed_cidrs:
    description:
      - CIDRs allowed to reach PostgreSQL (C(auroradb_network_db_allowed_cidrs)); IPv4 network addresses.
      - C(0.0.0.0/0) is refused, a payments database must not be open to the whole internet.
      - Only private ranges (RFC 1918 C(10.0.0.0/8), C(172.16.0.0/12), C(192.168.0.0/16) and RFC 6598
        C(100.64.0.0/10)) unless O(db_allow_public_cidrs) is true.
    type: list
    elements: str
  db_allow_public_cidrs:
    description:
      - Admit public ranges in O(db_allowed_cidrs) (C(auroradb_network_db_allow_public_cidrs)); the opt-in.
    type: bool
  db_allowed_security_groups:
    description:
      - Security group IDs allowed to reach PostgreSQL (C(auroradb_network_db_allowed_security_groups)),
        like C(sg-0123456789abcdef0).
    type: list
    elements: str
  db_port:
    description:
      - PostgreSQL port (C(auroradb_network_db_port)); 1150 to 65535.
    type: int
  engine_version:
    description:
      - Aurora PostgreSQL version (C(auroradb_aurora_engine_version)); C(15.x), since the cluster parameter
        group family is C(aurora-postgresql15).
    type: str
  instance_class:
    description:
      - DB instance class (C(auroradb_aurora_instance_class)), like C(db.r6g.large), C(db.t3.medium) or
        C(db.serverless).
      - Previous-generation families (C(db.t1), C(db.t2), C(db.m1), C(db.m2), C(db.m3)) and burstable sizes below
        C(medium) are refused.
    type: str
  reader_count:
    description:
      - Number of reader instances (C(auroradb_aurora_reader_count)); 0 to 15.
      - Also decides the longest DB instance identifier, hence the longest allowed O(env_suffix); 2 when not given.
    type: int
  backup_retention_days:
    description:
      - Automated backup retention (C(auroradb_aurora_backup_retention_days)); 1 to 35 days.
    type: int
  backup_window:
    description:
      - Daily backup window in UTC (C(auroradb_aurora_backup_window)), C(HH:MM-HH:MM), at least 30 minutes,
        may cross midnight; must not overlap O(maintenance_window).
    type: str
  maintenance_window:
    description:
      - Weekly maintenance window in UTC (C(auroradb_aurora_maintenance_window)), C(ddd:HH:MM-ddd:HH:MM) with
        lowercase days C(mon) to C(sun), at least 30 minutes.
    type: str
  performance_insights_retention_days:
    description:
      - Performance Insights retention (C(auroradb_aurora_performance_insights_retention_days)); 7, a multiple
        of 31 up to 713, or 731.
    type: int
  kms_pending_window_days:
    description:
      - KMS key deletion waiting period (C(auroradb_kms_pending_window_days)); 7 to 30 days.
    type: int
  lock_expiry_minutes:
    description:
      - Minutes after which a run lock may be broken with C(auroradb_break_lock=true)
        (C(auroradb_lock_expiry_minutes)); 10 to 1440.
    type: int
  secret_recovery_window_days:
    description:
      - Secret recovery window (C(auroradb_secret_recovery_window_days)); 0 (delete without recovery) or 7 to 30.
    type: int
  secret_username:
    description:
      - Master user name (C(auroradb_secret_username)); 1 to 16 lowercase letters, digits or underscores,
        starting with a letter.
      - Names reserved by RDS or PostgreSQL (C(rdsadmin), C(public), C(pg_*), C(rds_*), SQL key words) are
        refused, and so is the well-known C(postgres).
    type: str
  rotation_ca_bundle:
    description:
      - CA bundle the rotation function verifies the database certificate with
        (C(auroradb_secret_rotation_ca_bundle)); a readable file holding PEM certificates.
    type: str
  rotation_days:
    description:
      - Secret rotation interval (C(auroradb_secret_rotation_days)); 1 to 1000 days.
    type: int
  cpu_threshold:
    description:
      - CPU alarm threshold in percent (C(auroradb_monitoring_cpu_threshold)); 1 to 100.
    type: float
  free_local_storage_threshold_bytes:
    description:
      - Free local storage alarm threshold (C(auroradb_monitoring_free_local_storage_threshold_bytes));
        more than 0 bytes.
    type: int
  tags:
    description:
      - >-
        Extra tags (C(auroradb_tags)); string keys of 1 to 128 and string values of at most 256 characters,
        letters, digits, spaces and C(_ . : / = + - @) only, no C(aws:) or C(rds:) prefix.
      - At most 47 of them, since every resource also carries C(environment), C(project) and C(managed-by)
        and AWS allows 50 tags.
    type: dict
  aurora_port:
    description:
      - The cluster's port (C(auroradb_aurora_port)); must equal O(db_port) when both are given, since the security
        groups open O(db_port).
    type: int
  parameters:
    description:
      - Cluster parameters (C(auroradb_aurora_parameters)); a dictionary of parameter names to strings or numbers.
      - C(rds.force_ssl) other than 1 is refused (the payments profile always enforces TLS). Whether the names are
        in the engine's catalogue is checked against AWS by M(payments.auroradb.validate_catalogue).
    type: raw
  log_exports:
    description:
      - Log types exported to CloudWatch Logs (C(auroradb_aurora_log_exports)); distinct values from
        C(postgresql) and C(iam-db-auth-error).
    type: raw
  rotation_log_retention_days:
    description:
      - Retention of the rotation function's log group (C(auroradb_secret_rotation_log_retention_days)); one of
        the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653).
    type: int
  flow_log_retention_days:
    description:
      - Retention of the VPC flow log group (C(auroradb_monitoring_flow_log_retention_days)); one of the values
        CloudWatch Logs accepts.
    type: int
  pgaudit_log:
    description:
      - The classes pgaudit logs (C(auroradb_aurora_pgaudit_log)) - C(ddl), C(function), C(misc), C(misc_set),
        C(read), C(role), C(write), C(all), C(none), each optionally prefixed with C(-).
    type: raw
  key_administrators:
    description: C(auroradb_kms_key_administrators) - IAM role or user ARNs.
    type: raw
  key_users:
    description: C(auroradb_kms_key_users) - IAM role or user ARNs.
    type: raw
  extended_alarms:
    description:
      - C(auroradb_monitoring_extended_alarms); refused when the memory of O(instance_class) is not known.
    type: bool
  freeable_memory_threshold_percent:
    description: C(auroradb_monitoring_freeable_memory_threshold_percent) - above 0, below 100.
    type: raw
  connections_threshold_percent:
    description: C(auroradb_monitoring_connections_threshold_percent) - above 0, below 100.
    type: raw
  replica_lag_threshold_ms:
    description: C(auroradb_monitoring_replica_lag_threshold_ms) - above 0.
    type: raw
  deadlocks_threshold:
    description: C(auroradb_monitoring_deadlocks_threshold) - 0 or more.
    type: raw
  rotation_runtime:
    description:
      - Lambda runtime of the rotation function (C(auroradb_secret_rotation_runtime)), C(python3.9) or later.
    type: str
  secret_description:
    description:
      - Description of the secret (C(auroradb_secret_description)); at most 2048 characters.
    type: str
  secret_connection:
    description:
      - Connection keys merged into the secret (C(auroradb_secret_connection)); a dictionary without
        C(username) and C(password).
    type: raw
  rotation_wait_seconds:
    description:
      - Seconds C(rotate.yml) waits for a rotation (C(auroradb_secret_rotation_wait_seconds)); 1 to 86400.
    type: int
  period_seconds:
    description:
      - Alarm period (C(auroradb_monitoring_period_seconds)); 10, 30 or a multiple of 60.
    type: int
  evaluation_periods:
    description:
      - Alarm evaluation periods (C(auroradb_monitoring_evaluation_periods)); at least 1, and times
        O(period_seconds) at most one day.
    type: int
  alarm_actions:
    description:
      - ARNs notified when an alarm fires (C(auroradb_monitoring_alarm_actions)); SNS topic ARNs (or Lambda
        function / SSM OpsItem ARNs) in O(region) when it is given.
    type: raw
  ok_actions:
    description:
      - ARNs notified when an alarm returns to OK (C(auroradb_monitoring_ok_actions)); same rules as
        O(alarm_actions).
    type: raw
  endpoint_url:
    description:
      - AWS endpoint URL (C(auroradb_aws_endpoint_url)); an http(s) URL. Copied into RV(plan.connection) (with
        O(region) given).
    type: str
    aliases: [aws_endpoint_url]
  state:
    description:
      - The run's C(auroradb_state); with C(absent) (a teardown) and O(protected), O(confirm_destroy) must be
        O(env_suffix).
    type: str
    choices: [present, absent]
  protected:
    description:
      - C(auroradb_protected) - the environment is torn down only when the operator confirms it by name, and then
        with a final snapshot. Copied into RV(plan.protected).
    type: bool
  confirm_destroy:
    description:
      - C(auroradb_confirm_destroy) - the suffix of the environment the operator means to tear down.
    type: str
  notifications:
    description: C(auroradb_monitoring_notifications) - the alerts topic and the RDS event subscriptions.
    type: bool
  log_retention_days:
    description: C(auroradb_aurora_log_retention_days) - a CloudWatch Logs retention period in days.
    type: int
  monitoring_interval:
    description: C(auroradb_aurora_monitoring_interval) - 0 (off), 1, 5, 10, 15, 30 or 60 seconds.
    type: int
  topic_subscriptions:
    description:
      - C(auroradb_monitoring_topic_subscriptions) - who the alerts topic notifies, a list of C(protocol) (C(email),
        C(email-json), C(https), C(sqs), C(lambda); never C(http)) and C(endpoint) (an address, an https URL or an
        ARN of the protocol).
    type: raw
  secret_mode:
    description:
      - C(auroradb_secret_mode) - C(rotation_function) or C(rds_managed); C(rds_managed) needs O(rotation_enabled)
        true (RDS always rotates the secret it manages).
    type: str
  rotation_enabled:
    description: C(auroradb_secret_rotation_enabled) - context of O(secret_mode).
    type: bool
  snapshot_name:
    description: C(auroradb_snapshot_name) - a DB cluster snapshot identifier, or empty.
    type: str
  snapshot_keep:
    description: C(auroradb_snapshot_keep) - manual snapshots to keep, 0 or more; -1 keeps them all.
    type: int
  failover_target:
    description:
      - C(auroradb_failover_target) - empty (RDS chooses) or a DB instance identifier (a letter, then letters, digits
        and single hyphens, at most 63). Whether it is an available reader of the cluster is checked by
        M(payments.auroradb.aurora_failover).
    type: str
    version_added: 0.3.0
  failover_probe_interval:
    description: C(auroradb_failover_probe_interval) - seconds between two probes of the writer endpoint, 0.05 to 10.
    type: float
    version_added: 0.3.0
  failover_timeout:
    description: C(auroradb_failover_timeout) - seconds to wait for the new writer, 60 to 3600.
    type: int
    version_added: 0.3.0
  restore_source:
    description:
      - C(auroradb_restore_source) - the suffix of the environment whose cluster's backups are restored
        (C(playbooks/restore.yml)); another environment than O(env_suffix). With it, O(restore_time),
        O(restore_snapshot) and O(restore_type) are checked together, and RV(plan.restore) is returned.
    type: str
    version_added: 0.3.0
  restore_time:
    description:
      - C(auroradb_restore_time) - a UTC time in ISO 8601 form (C(2026-12-03T07:45:00Z)) or C(latest); exactly one
        of this and O(restore_snapshot).
    type: str
    version_added: 0.3.0
  restore_snapshot:
    description: C(auroradb_restore_snapshot) - a DB cluster snapshot identifier of the source's cluster.
    type: str
    version_added: 0.3.0
  restore_type:
    description: C(auroradb_restore_type) - C(full-copy), or C(copy-on-write) (a clone, with O(restore_time=latest)).
    type: str
    version_added: 0.3.0
  argument_specs:
    description:
      - The parsed C(meta/argument_specs.yml) of every role; their options (all entry points) are the variables
        the roles read, returned with their types as RV(declared).
    type: list
    elements: raw
  published_facts:
    description:
      - The C(auroradb_*) facts the roles and playbooks publish; with the declared variables, the known names.
    type: list
    elements: str
    default: []
  defined_variables:
    description:
      - The names of the C(auroradb_*) variables defined for the host (C(lookup('ansible.builtin.varnames',
        '^auroradb_'))); each one that is not known is refused, with the closest known name.
    type: list
    elements: str
  profile:
    description: AWS profile; only copied into RV(plan.connection) (with O(region) given).
    type: str
    aliases: [aws_profile]
attributes:
  check_mode:
    description: Runs the same checks in check mode; it never changes anything anyway.
    support: full
  diff_mode:
    description: Nothing to compare.
    support: none
notes:
  - The rules and their reasons live in C(plugins/module_utils/validation.py) of the collection.
  - On a host whose connection is C(local) (this collection's inventories), the collection's action plugin of the
    same name runs this module's code in the controller's worker, without starting a module process; on any other
    connection the module runs on the host.
"""

EXAMPLES = r"""
- name: Validate every setting before any AWS call
  payments.auroradb.validate_inputs:
    env_suffix: "{{ auroradb_env_suffix }}"
    region: "{{ auroradb_aws_region }}"
    vpc_cidr: "{{ auroradb_network_vpc_cidr }}"
    availability_zones: "{{ auroradb_network_availability_zones }}"
    public_subnet_cidrs: "{{ auroradb_network_public_subnet_cidrs }}"
    private_subnet_cidrs: "{{ auroradb_network_private_subnet_cidrs }}"
    backup_window: "{{ auroradb_aurora_backup_window }}"
    maintenance_window: "{{ auroradb_aurora_maintenance_window }}"
    tags: "{{ auroradb_tags }}"
  register: inputs

- name: Use a derived name
  ansible.builtin.debug:
    msg: "The cluster is {{ inputs.names.cluster }}"

# A bad suffix and an open database fail the task with both problems in one message:
#   auroradb_env_suffix: must start with a lowercase letter (got '1dev'); auroradb_network_db_allowed_cidrs:
#   must not contain 0.0.0.0/0, which would open the payments database port to the whole internet (...)
- name: Validate only what this play has
  payments.auroradb.validate_inputs:
    env_suffix: 1dev
    db_allowed_cidrs: [0.0.0.0/0]
"""

RETURN = r"""
problems:
  description: Every problem found, each naming the inventory variable and the rule; empty on success.
  returned: always
  type: list
  elements: str
  sample: ["auroradb_env_suffix: must start with a lowercase letter (got '1dev')"]
checked:
  description: The inventory variables that were checked (the options given).
  returned: success
  type: list
  elements: str
  sample: [auroradb_env_suffix, auroradb_aws_region]
names:
  description: Every resource name derived from O(env_suffix); empty when O(env_suffix) is not given.
  returned: success
  type: dict
  contains:
    vpc:
      description: Name tag of the VPC.
      type: str
      sample: payment-db-vpc-dev
    cluster:
      description: DB cluster identifier.
      type: str
      sample: payment-db-cluster-dev
    writer_instance:
      description: DB instance identifier of the writer.
      type: str
      sample: payment-db-cluster-dev-writer
    reader_instances:
      description: DB instance identifiers of the readers, one per O(reader_count) (2 when not given).
      type: list
      elements: str
      sample: [payment-db-cluster-dev-reader1, payment-db-cluster-dev-reader2]
    secret:
      description: Secrets Manager secret holding the master credentials.
      type: str
      sample: payment-db-credentials-dev
    cpu_alarm:
      description: CloudWatch CPU alarm.
      type: str
      sample: payment-db-cpu-alarm-dev
    storage_alarm:
      description: CloudWatch free local storage alarm.
      type: str
      sample: payment-db-storage-alarm-dev
    kms_alias:
      description: Alias of the KMS key encrypting the cluster.
      type: str
      sample: alias/payment-db-dev
    subnet_group:
      description: DB subnet group.
      type: str
      sample: payment-db-subnets-dev
    db_security_group:
      description: Security group of the database.
      type: str
      sample: payment-db-sg-dev
    rotation_security_group:
      description: Security group of the secret rotation function.
      type: str
      sample: payment-db-rotation-sg-dev
    endpoint_security_group:
      description: Security group of the Secrets Manager VPC endpoint.
      type: str
      sample: payment-db-endpoints-sg-dev
    rotation_log_group:
      description: CloudWatch Logs group of the rotation function.
      type: str
      sample: /aws/lambda/payment-db-rotation-dev
    rotation_function:
      description: Lambda function rotating the secret.
      type: str
      sample: payment-db-rotation-dev
    rotation_role:
      description: IAM role of the rotation function.
      type: str
      sample: payment-db-rotation-dev
    parameter_group:
      description: DB cluster parameter group.
      type: str
      sample: payment-db-params-dev
tags:
  description:
    - Tags of every taggable resource, C(environment) (when O(env_suffix) is given), C(project) and
      C(managed-by), with O(tags) on top.
  returned: success
  type: dict
  sample: {environment: dev, project: payments-auroradb, managed-by: ansible}
declared:
  description:
    - Every variable declared in O(argument_specs), with its C(type), C(elements), C(choices) (and C(no_log)); the
      argument spec the preflight role checks the variables' types with (M(ansible.builtin.validate_argument_spec)).
  returned: success
  type: dict
  sample: {auroradb_aurora_deletion_protection: {type: bool}}
plan:
  description:
    - The part of the stack plan the options given answer; keys are left out when their options are not given.
  returned: success
  type: dict
  contains:
    env_suffix:
      description: O(env_suffix).
      type: str
    names:
      description: Same as RV(names) (with O(env_suffix)).
      type: dict
    tags:
      description: Same as RV(tags) (with O(env_suffix)).
      type: dict
    exports:
      description: The names the stack outputs are exported under (with O(env_suffix)).
      type: dict
      sample: {ClusterEndpoint: payment-db-cluster-endpoint-dev, ClusterReaderEndpoint: payment-db-reader-endpoint-dev,
               SecretArn: payment-db-secret-arn-dev}
    region:
      description: O(region).
      type: str
    connection:
      description:
        - Connection settings without credentials, O(region), O(endpoint_url), O(profile) (unset ones left out).
      type: dict
      sample: {region: us-east-1}
    availability_zones:
      description: O(availability_zones), or the zones C(a), C(b), C(c) of O(region) when empty or not given.
      type: list
      elements: str
    db_port:
      description: O(db_port).
      type: int
    protected:
      description: O(protected).
      type: bool
    instances:
      description:
        - The DB instances, writer first (with O(env_suffix) and O(reader_count)); the writer in the first zone with
          promotion tier 0, the readers round-robin over the other zones with promotion tier 2.
      type: list
      elements: dict
      sample: [{id: payment-db-cluster-dev-writer, role: writer, availability_zone: us-east-1a, promotion_tier: 0}]
    restore:
      description:
        - With O(restore_source) - the source environment's cluster (C(source_cluster)), C(time), C(snapshot),
          C(type) and C(kind) (C(time), C(latest) or C(snapshot)).
      type: dict
      sample: {source_cluster: payment-db-cluster-prod, time: "2026-12-03T07:45:00Z", snapshot: "", type: full-copy,
               kind: time}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.payments.auroradb.plugins.module_utils.inputs import ARGUMENT_SPEC, run


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    problems, result = run(module.params)
    if problems:
        module.fail_json(msg="; ".join(problems), problems=problems)
    module.exit_json(changed=False, problems=[], **result)


if __name__ == "__main__":
    main()
