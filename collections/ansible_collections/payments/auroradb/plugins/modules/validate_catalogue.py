#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: validate_catalogue
short_description: Check the payments Aurora settings against what AWS offers, with read-only calls
author:
  - payments platform team (!UNKNOWN)
version_added: 0.1.0
description:
  - >-
    The second half of the pre-flight validation, after M(payments.auroradb.validate_inputs) (no AWS call) and
    the credentials check: only read-only calls (RDS DescribeDBEngineVersions and
    DescribeEngineDefaultClusterParameters, EC2 DescribeAvailabilityZones). Fails with B(all) problems at once,
    each naming the inventory variable and what AWS accepts, for example
    C(auroradb_aurora_engine_version: 15.99 is not an aurora-postgresql version offered in us-east-1; the 15.x
    versions are 15.2, 15.3, ...).
  - Only the options given are checked. Never changes anything; C(changed) is always false.
options:
  engine_version:
    description:
      - Aurora PostgreSQL version (C(auroradb_aurora_engine_version)); must be one DescribeDBEngineVersions lists
        for its major version in the region.
    type: str
  parameters:
    description:
      - Cluster parameters (C(auroradb_aurora_parameters)); each name must be in the engine's catalogue
        (DescribeEngineDefaultClusterParameters of the version's family), modifiable, with an allowed value.
      - Checked only with a valid O(engine_version), which gives the family.
    type: dict
    default: {}
  log_exports:
    description:
      - Log types exported to CloudWatch Logs (C(auroradb_aurora_log_exports)); each must be one of the version's
        C(ExportableLogTypes). Checked only with a valid O(engine_version).
    type: list
    elements: str
    default: []
  availability_zones:
    description:
      - The stack's availability zones (C(auroradb_network_availability_zones), or the region's a, b and c when
        that is empty); each must be an available zone of the region (DescribeAvailabilityZones).
    type: list
    elements: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Runs the same read-only calls in check mode.
    support: full
  diff_mode:
    description: Nothing to compare.
    support: none
"""

EXAMPLES = r"""
- name: Check the engine version, parameters and zones against AWS (read-only)
  payments.auroradb.validate_catalogue:
    engine_version: "{{ auroradb_plan.engine.version }}"
    parameters: "{{ auroradb_plan.engine.parameters }}"
    log_exports: "{{ auroradb_plan.engine.log_exports }}"
    availability_zones: "{{ auroradb_plan.availability_zones }}"
"""

RETURN = r"""
problems:
  description: Every problem found, each naming the inventory variable; empty on success.
  returned: always
  type: list
  elements: str
  sample: ["auroradb_aurora_parameters: not_a_parameter: unknown parameter"]
family:
  description: The parameter group family of O(engine_version) (empty when not checked or unknown).
  returned: always
  type: str
  sample: aurora-postgresql15
"""

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.payments.auroradb.plugins.module_utils import rds
from ansible_collections.payments.auroradb.plugins.module_utils.errors import failure
from ansible_collections.payments.auroradb.plugins.module_utils.parameter_groups import validate
from ansible_collections.payments.auroradb.plugins.module_utils.validation import VARIABLES

ENGINE = "aurora-postgresql"


def check_engine(module, client):
    """(problems, family): the version against DescribeDBEngineVersions, then parameters and log exports."""
    params = module.params
    version, region = params["engine_version"], module.region
    major = version.split(".")[0]
    offered = rds.describe_engine_versions(client, ENGINE, major)
    found = next((entry for entry in offered if entry.get("EngineVersion") == version), None)
    if found is None:
        listed = ", ".join(entry["EngineVersion"] for entry in offered) or "none"
        return [
            f"{VARIABLES['engine_version']}: {version} is not an {ENGINE} version offered in {region}; the "
            f"{major}.x versions are: {listed} (got {version!r})"
        ], ""
    family = found.get("DBParameterGroupFamily", "")
    problems = []
    if params["parameters"]:
        defaults = rds.describe_engine_defaults(client, family, "cluster")
        problems.extend(
            f"{VARIABLES['parameters']}: {problem} (catalogue of {family})"
            for problem in validate(params["parameters"], defaults)
        )
    exportable = found.get("ExportableLogTypes", [])
    bad = [log for log in params["log_exports"] if log not in exportable]
    if bad:
        problems.append(
            f"{VARIABLES['log_exports']}: {', '.join(bad)} cannot be exported by {ENGINE} {version}; it exports: "
            f"{', '.join(exportable) or 'nothing'}"
        )
    return problems, family


def check_zones(module, client):
    zones, region = module.params["availability_zones"], module.region
    answer = client.describe_availability_zones(aws_retry=True)["AvailabilityZones"]
    available = sorted(z["ZoneName"] for z in answer if z.get("State", "available") == "available")
    missing = [zone for zone in zones if zone not in available]
    if not missing:
        return []
    return [
        f"{VARIABLES['availability_zones']}: {', '.join(missing)} is not an available zone of {region} "
        f"({VARIABLES['region']}); its zones are: {', '.join(available)} (an empty list means the region's a, b, c)"
    ]


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            engine_version=dict(type="str"),
            parameters=dict(type="dict", default={}),
            log_exports=dict(type="list", elements="str", default=[]),
            availability_zones=dict(type="list", elements="str"),
        ),
        supports_check_mode=True,
    )
    problems, family = [], ""
    try:
        if module.params["engine_version"]:
            engine_problems, family = check_engine(
                module, module.client("rds", retry_decorator=AWSRetry.jittered_backoff())
            )
            problems.extend(engine_problems)
        if module.params["availability_zones"]:
            problems.extend(check_zones(module, module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())))
    except AnsibleAWSError as e:
        module.fail_json(**failure(e))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Cannot list the availability zones of the region")
    if problems:
        module.fail_json(msg="; ".join(problems), problems=problems, family=family)
    module.exit_json(changed=False, problems=[], family=family)


if __name__ == "__main__":
    main()
