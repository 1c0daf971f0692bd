# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The playbooks' ``normal`` action (ansible.cfg ``action_plugins``): amazon.aws modules without a module process.

Ansible runs every module that has no action plugin of its own through ``ansible.legacy.normal``, which a project
may override with a local ``action_plugins/normal.py`` (ansible-core keeps that lookup for exactly this). This one
runs the amazon.aws modules the roles use - each an AnsibleAWSModule - in the controller's worker when the host's
connection is ``local`` (AWS is called from the controller, as in every inventory of this project): the module's
own ``main()``, with its own argument spec, client settings and retries, under the collection's in-process stand-in
for AnsibleModule (payments.auroradb's plugin_utils/local_action.py). What is saved is a Python process per task
(most of a second of CPU: the interpreter, boto3 and the module_utils compiled again from a zip).

Everything else - another module, another connection, ``async`` - goes the usual way. The roles do not depend on
this file: without it (the collection used from another project), the same tasks run the same code as processes.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import ansible.plugins.action

from ansible_collections.payments.auroradb.plugins.plugin_utils.local_action import (
    LOCAL_TRANSPORT,
    WorkerTask,
    run_main_in_worker,
)

# The amazon.aws modules the collection's roles and playbooks call (each built on AnsibleAWSModule, none starting
# processes or keeping state between runs); tests/integration run each of them through this path.
IN_WORKER = frozenset(
    f"amazon.aws.{name}"
    for name in (
        "aws_caller_info",
        "cloudwatch_metric_alarm",
        "cloudwatchlogs_log_group",
        "cloudwatchlogs_log_group_info",
        "ec2_security_group",
        "ec2_vpc_endpoint",
        "ec2_vpc_endpoint_info",
        "ec2_vpc_igw",
        "ec2_vpc_nat_gateway",
        "ec2_vpc_nat_gateway_info",
        "ec2_vpc_net",
        "ec2_vpc_net_info",
        "iam_policy",
        "iam_role",
        "kms_key",
        "lambda",
        "lambda_info",
        "lambda_policy",
        "rds_cluster",
        "rds_cluster_info",
        "rds_cluster_snapshot",
        "rds_instance",
        "rds_subnet_group",
    )
)


def _builtin_normal():
    """ansible-core's own ``normal`` action class (this file is loaded under its module name, so it is read from
    ansible-core's plugin folder under another name)."""
    path = Path(ansible.plugins.action.__file__).parent / "normal.py"
    spec = importlib.util.spec_from_file_location("ansible.plugins.action._payments_auroradb_builtin_normal", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ActionModule


NormalAction = _builtin_normal()


class ActionModule(NormalAction):
    def run(self, tmp=None, task_vars=None):
        name = self._task.resolved_action
        if name not in IN_WORKER or self._connection.transport != LOCAL_TRANSPORT or self._task.async_val:
            return super().run(tmp, task_vars)
        result = super(NormalAction, self).run(tmp, task_vars)
        namespace, collection, module_name = name.split(".")
        module = importlib.import_module(f"ansible_collections.{namespace}.{collection}.plugins.modules.{module_name}")
        task = WorkerTask(
            module_name, dict(self._task.args), bool(self._play_context.check_mode), bool(self._play_context.diff)
        )
        result.update(run_main_in_worker(module.main, task))
        return result
