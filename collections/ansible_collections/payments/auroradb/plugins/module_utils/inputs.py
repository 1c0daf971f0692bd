# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What payments.auroradb.validate_inputs checks, shared by the module and its action plugin.

The check makes no AWS call; the only file it reads is the rotation CA bundle, which the rotation_package module
reads on the same host. When the host's connection is local (the stack's inventories: AWS is called from the
controller), the action plugin of the same name runs the check in the controller's worker, without starting a
module process (the preflight validates seven times per host and run); on any other connection it runs the module.
"""

from __future__ import annotations

from ansible_collections.payments.auroradb.plugins.module_utils.names import build_plan, resource_tags
from ansible_collections.payments.auroradb.plugins.module_utils.validation import (
    VARIABLES,
    check_variable_names,
    declared_variables,
    validate,
)

SETTINGS_SPEC = dict(
    env_suffix=dict(type="str"),
    region=dict(type="str", aliases=["aws_region"]),
    vpc_cidr=dict(type="str"),
    availability_zones=dict(type="list", elements="str"),
    public_subnet_cidrs=dict(type="list", elements="str"),
    private_subnet_cidrs=dict(type="list", elements="str"),
    db_allowed_cidrs=dict(type="list", elements="str"),
    db_allowed_security_groups=dict(type="list", elements="str"),
    db_port=dict(type="int"),
    engine_version=dict(type="str"),
    instance_class=dict(type="str"),
    reader_count=dict(type="int"),
    backup_retention_days=dict(type="int"),
    backup_window=dict(type="str"),
    maintenance_window=dict(type="str"),
    performance_insights_retention_days=dict(type="int"),
    kms_pending_window_days=dict(type="int"),
    lock_expiry_minutes=dict(type="int"),
    secret_recovery_window_days=dict(type="int", no_log=False),
    secret_username=dict(type="str", no_log=False),
    rotation_days=dict(type="int"),
    rotation_ca_bundle=dict(type="str"),
    cpu_threshold=dict(type="float"),
    free_local_storage_threshold_bytes=dict(type="int"),
    tags=dict(type="dict"),
    db_allow_public_cidrs=dict(type="bool"),
    aurora_port=dict(type="int"),
    parameters=dict(type="raw"),
    log_exports=dict(type="raw"),
    rotation_log_retention_days=dict(type="int"),
    rotation_runtime=dict(type="str"),
    secret_description=dict(type="str", no_log=False),
    secret_connection=dict(type="raw", no_log=False),
    rotation_wait_seconds=dict(type="int"),
    period_seconds=dict(type="int"),
    evaluation_periods=dict(type="int"),
    alarm_actions=dict(type="raw"),
    ok_actions=dict(type="raw"),
    endpoint_url=dict(type="str", aliases=["aws_endpoint_url"]),
    state=dict(type="str", choices=["present", "absent"]),
    protected=dict(type="bool"),
    confirm_destroy=dict(type="str", no_log=False),
    notifications=dict(type="bool"),
    log_retention_days=dict(type="int"),
    flow_log_retention_days=dict(type="int"),
    pgaudit_log=dict(type="raw"),
    key_administrators=dict(type="raw", no_log=False),
    key_users=dict(type="raw", no_log=False),
    extended_alarms=dict(type="bool"),
    freeable_memory_threshold_percent=dict(type="raw"),
    connections_threshold_percent=dict(type="raw"),
    replica_lag_threshold_ms=dict(type="raw"),
    deadlocks_threshold=dict(type="raw"),
    monitoring_interval=dict(type="int"),
    topic_subscriptions=dict(type="raw"),
    secret_mode=dict(type="str", no_log=False),
    rotation_enabled=dict(type="bool"),
    snapshot_name=dict(type="str"),
    snapshot_keep=dict(type="int"),
    failover_target=dict(type="str"),
    failover_probe_interval=dict(type="float"),
    failover_timeout=dict(type="int"),
    restore_source=dict(type="str"),
    restore_time=dict(type="str"),
    restore_snapshot=dict(type="str"),
    restore_type=dict(type="str"),
)

# The variables themselves (see validation.declared_variables and check_variable_names).
VARIABLES_SPEC = dict(
    argument_specs=dict(type="list", elements="raw"),
    published_facts=dict(type="list", elements="str", default=[]),
    defined_variables=dict(type="list", elements="str"),
)

# Connection settings copied into the plan (never credentials: the module is not in the AWS action group, so
# module_defaults do not reach it, and it makes no AWS call).
CONNECTION_SPEC = dict(
    profile=dict(type="str", aliases=["aws_profile"]),
)


ARGUMENT_SPEC = dict(SETTINGS_SPEC, **CONNECTION_SPEC, **VARIABLES_SPEC)


def run(params):
    """(problems, result) for the module parameters."""
    settings = {option: params.get(option) for option in VARIABLES}
    if settings["availability_zones"] == []:
        settings["availability_zones"] = None  # empty = the region's a, b and c (see the plan)
    problems = validate(settings)
    declared = declared_variables(params.get("argument_specs") or [])
    if params.get("defined_variables") is not None:
        known = list(declared) + list(params.get("published_facts") or [])
        problems.extend(check_variable_names(params["defined_variables"], known))
    if problems:
        return problems, {}
    plan = build_plan(dict(settings, endpoint_url=params.get("endpoint_url"), profile=params.get("profile")))
    return [], dict(
        checked=[VARIABLES[option] for option, value in settings.items() if value is not None],
        names=plan.get("names", {}),
        tags=resource_tags(settings["env_suffix"], settings["tags"]),
        plan=plan,
        declared=declared,
    )
