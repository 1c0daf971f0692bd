#!/usr/bin/python
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: aurora_parameter_group
version_added: 0.1.0
short_description: Manage an Aurora cluster or instance parameter group declaratively
author:
  - payments platform team (!UNKNOWN)
description:
  - Creates, updates or deletes an RDS DB cluster parameter group (O(scope=cluster)) or DB parameter
    group (O(scope=instance)).
  - O(parameters) maps each parameter name to its value. Values are compared after normalising them (numbers,
    booleans such as V(on)/V(true)/V(1), the case of enumerated values); the apply method is never part of the
    comparison, so a re-run reports no change.
  - With O(purge_parameters=true) a parameter that was set earlier and is no longer listed is reset to the
    engine default.
  - Every name and value is validated against the engine defaults of the family before anything is written, for
    unknown names (the closest known names are suggested), parameters RDS does not let you modify, values of
    the wrong type, values outside the allowed range or list. All problems are reported in one message.
  - The apply method follows each parameter's ApplyType (C(dynamic) is applied immediately, C(static) at the next
    reboot) unless O(apply_method_overrides) says otherwise.
  - Changes are sent in chunks of at most 20 parameters per call, with jittered-backoff retries.
  - The family of an existing group cannot change. The module refuses and explains what to do instead.
  - Supports check mode and diff mode (before and after of the changed parameters only).
options:
  name:
    description:
      - Name of the parameter group.
    type: str
    required: true
  scope:
    description:
      - V(cluster) manages a DB cluster parameter group, V(instance) a DB (instance) parameter group.
    type: str
    choices: [cluster, instance]
    default: cluster
  description:
    description:
      - Description of the group, used when it is created (RDS cannot change it afterwards).
      - Defaults to the name.
    type: str
  family:
    description:
      - Parameter group family, for example V(aurora-postgresql15).
      - Required with O(state=present) unless O(engine) and O(engine_version) are given.
    type: str
  engine:
    description:
      - Engine the family is derived from together with O(engine_version), for example V(aurora-postgresql).
    type: str
  engine_version:
    description:
      - Engine version the family is derived from, for example V(15.7) gives V(aurora-postgresql15).
    type: str
  parameters:
    description:
      - Parameter names mapped to their values. Values may be strings, numbers or booleans.
    type: dict
    default: {}
  apply_method_overrides:
    description:
      - Apply method per parameter name, overriding the one derived from the parameter's ApplyType.
      - V(immediate) is refused for a static parameter.
    type: dict
    default: {}
  purge_parameters:
    description:
      - Reset parameters that were set earlier but are not in O(parameters) to the engine default.
    type: bool
    default: true
  cluster_identifier:
    description:
      - A cluster that uses the group. When given, RV(pending_reboot) lists its members whose parameter apply
        status is C(pending-reboot).
    type: str
  state:
    description:
      - V(present) creates or updates the group, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Cluster parameter group for Aurora PostgreSQL 15, report members waiting for a reboot
  payments.auroradb.aurora_parameter_group:
    name: payment-db-cluster-params-dev
    description: Parameter group for payment processing - dev
    engine: aurora-postgresql
    engine_version: "15.7"
    parameters:
      rds.force_ssl: 1
      log_min_duration_statement: 500
      shared_preload_libraries: pg_stat_statements,pg_cron
    cluster_identifier: payment-db-cluster-dev
    tags:
      Environment: dev
    purge_tags: false
  register: params

- name: Instance parameter group with an explicit family and a parameter applied at the next reboot
  payments.auroradb.aurora_parameter_group:
    name: payment-db-instance-params-dev
    scope: instance
    family: aurora-postgresql15
    parameters:
      log_connections: true
    apply_method_overrides:
      log_connections: pending-reboot

- name: Delete the cluster parameter group
  payments.auroradb.aurora_parameter_group:
    name: payment-db-cluster-params-dev
    state: absent
"""

RETURN = r"""
group:
  description: The parameter group; empty after deletion.
  returned: always
  type: dict
  contains:
    name:
      description: Name of the group.
      type: str
      sample: payment-db-cluster-params-dev
    arn:
      description: ARN of the group (empty in check mode before it exists).
      type: str
      sample: arn:aws:rds:us-east-1:123456789012:cluster-pg:payment-db-cluster-params-dev
    family:
      description: Parameter group family.
      type: str
      sample: aurora-postgresql15
    description:
      description: Description of the group.
      type: str
      sample: Parameter group for payment processing - dev
    tags:
      description: Tags of the group.
      type: dict
      sample: {"Environment": "dev"}
changed_parameters:
  description: Parameters set (or, in check mode, that would be set), with the value before and after.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Parameter name.
      type: str
      sample: rds.force_ssl
    before:
      description: Value before (the engine default when it was not set), or null.
      type: str
      sample: "0"
    after:
      description: Value after, as RDS stores it.
      type: str
      sample: "1"
    apply_method:
      description: C(immediate) or C(pending-reboot).
      type: str
      sample: immediate
reset_parameters:
  description: Parameters reset to the engine default (or that would be), same fields as RV(changed_parameters).
  returned: always
  type: list
  elements: dict
  sample: [{"name": "work_mem", "before": "8192", "after": null, "apply_method": "immediate"}]
pending_reboot:
  description:
    - Members of O(cluster_identifier) whose parameter apply status is C(pending-reboot), readers first and the
      writer last. Empty when O(cluster_identifier) is not given.
  returned: always
  type: list
  elements: str
  sample: ["payment-db-cluster-dev-reader1", "payment-db-cluster-dev-writer"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import is_ansible_aws_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.payments.auroradb.plugins.module_utils import rds
from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError, run
from ansible_collections.payments.auroradb.plugins.module_utils.parameter_groups import (
    family_from_engine,
    plan,
    validate,
)


def wanted_family(module):
    params = module.params
    if params["family"]:
        return params["family"]
    if params["engine"] and params["engine_version"]:
        return family_from_engine(params["engine"], params["engine_version"])
    raise AuroraDbError("state=present needs family, or engine and engine_version")


def ensure_present(module, client):
    params = module.params
    name, scope = params["name"], params["scope"]
    family = wanted_family(module)
    group = rds.describe_parameter_group(client, name, scope)
    if group and group.get("DBParameterGroupFamily", "").lower() != family.lower():
        raise AuroraDbError(
            f"Parameter group {name} belongs to family {group['DBParameterGroupFamily']}, not {family}. RDS cannot "
            "change the family of a parameter group. Create a new group under another name with the new family, "
            "switch the cluster (or instances) to it, then delete the old group.",
            group=rds.parameter_group_summary(group, scope),
        )

    # Validate everything before any write.
    defaults = rds.describe_engine_defaults(client, family, scope)
    problems = validate(params["parameters"], defaults, params["apply_method_overrides"])
    if problems:
        raise AuroraDbError(
            f"{len(problems)} problem(s) with the parameters of {name} ({family}); nothing was changed: "
            + "; ".join(problems),
            problems=problems,
        )

    changed = False
    description = params["description"] or (group or {}).get("Description") or name
    current = rds.describe_user_parameters(client, name, scope) if group else []
    decision = plan(
        params["parameters"], current, defaults, params["apply_method_overrides"], params["purge_parameters"]
    )

    if group is None:
        changed = True
        if module.check_mode:
            group = {
                ("DBClusterParameterGroupName" if scope == "cluster" else "DBParameterGroupName"): name,
                "DBParameterGroupFamily": family,
                "Description": description,
            }
        else:
            group = rds.create_parameter_group(client, name, scope, family, description, params["tags"] or {})

    summary = rds.parameter_group_summary(group, scope)
    tags = {}
    if summary["arn"]:
        tags = rds.get_tags(client, summary["arn"])
    if params["tags"] is not None:
        to_add, to_remove = compare_aws_tags(tags, params["tags"], params["purge_tags"])
        if to_add or to_remove:
            changed = True
            if not module.check_mode:
                rds.update_tags(client, summary["arn"], to_add, to_remove)
            tags = {k: v for k, v in tags.items() if k not in to_remove}
            tags.update(to_add)
    summary["tags"] = tags

    if decision["modify"] or decision["reset"]:
        changed = True
        if not module.check_mode:
            if decision["reset"]:
                rds.send_parameters(client, "reset", name, scope, decision["reset"])
            if decision["modify"]:
                rds.send_parameters(client, "modify", name, scope, decision["modify"])

    result = {
        "changed": changed,
        "group": summary,
        "changed_parameters": decision["changed_parameters"],
        "reset_parameters": decision["reset_parameters"],
        "pending_reboot": pending_reboot(module, client),
    }
    if module._diff:
        touched = decision["changed_parameters"] + decision["reset_parameters"]
        result["diff"] = {
            "before": {p["name"]: p["before"] for p in touched},
            "after": {p["name"]: p["after"] for p in touched},
        }
    return result


def pending_reboot(module, client):
    cluster_identifier = module.params["cluster_identifier"]
    if not cluster_identifier:
        return []
    cluster, instances = rds.describe_cluster_and_members(client, cluster_identifier)
    return rds.pending_reboot(cluster, instances, module.params["scope"])


def ensure_absent(module, client):
    name, scope = module.params["name"], module.params["scope"]
    group = rds.describe_parameter_group(client, name, scope)
    result = {"changed": False, "group": {}, "changed_parameters": [], "reset_parameters": [], "pending_reboot": []}
    if group is None:
        return result
    result["changed"] = True
    if module._diff:
        result["diff"] = {"before": rds.parameter_group_summary(group, scope), "after": {}}
    if not module.check_mode:
        try:
            rds.delete_parameter_group(client, name, scope)
        except is_ansible_aws_error_code("InvalidDBParameterGroupState"):
            raise AuroraDbError(
                f"Parameter group {name} is still used by a cluster or an instance; switch them to another "
                "group (or delete them) first, then delete the group."
            ) from None
    return result


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        scope=dict(type="str", choices=["cluster", "instance"], default="cluster"),
        description=dict(type="str"),
        family=dict(type="str"),
        engine=dict(type="str"),
        engine_version=dict(type="str"),
        parameters=dict(type="dict", default={}),
        apply_method_overrides=dict(type="dict", default={}),
        purge_parameters=dict(type="bool", default=True),
        cluster_identifier=dict(type="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[["family", "engine"]],
        required_together=[["engine", "engine_version"]],
        supports_check_mode=True,
    )
    run(module, "rds", ensure_present if module.params["state"] == "present" else ensure_absent)


if __name__ == "__main__":
    main()
