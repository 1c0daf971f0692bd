# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read botocore's data for the roles' AWS services once, in the controller, before the tasks' workers fork."""

from __future__ import annotations

DOCUMENTATION = r"""
name: aws_sdk_preload
type: aggregate
short_description: read the AWS SDK's service data once, in the controller
author:
  - payments platform team (!UNKNOWN)
description:
  - The collection's AWS modules (and, with the project's C(action_plugins/normal.py), the amazon.aws modules the
    roles call) run in the controller's worker on a local connection; each task's worker is a fork of the controller.
  - Every AWS client reads and parses its service's botocore data (service model, endpoint rules, partitions,
    paginators, waiters) again, most of the CPU of a short AWS task. When the playbook starts, this callback reads
    them once for the services the roles use, so that every worker inherits them.
  - It then moves the controller's objects out of the garbage collector's reach (C(gc.freeze())), as Python's
    documentation advises before forking, so that the collections of a worker no longer touch, and so copy, the
    memory pages it shares with the controller.
  - It makes no AWS call and changes no result; without it the same tasks run, only slower.
requirements:
  - enabled in ansible.cfg, e.g. C(callbacks_enabled = payments.auroradb.aws_sdk_preload)
"""

import gc

from ansible.plugins.callback import CallbackBase

from ansible_collections.payments.auroradb.plugins.plugin_utils.local_action import preload_sdk_data


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "payments.auroradb.aws_sdk_preload"
    CALLBACK_NEEDS_ENABLED = True

    def v2_playbook_on_start(self, playbook):
        preload_sdk_data()
        gc.freeze()
