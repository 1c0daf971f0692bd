# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """The options of the modules that converge a list of one VPC's resources (vpc_subnets, vpc_route_tables).

    Their argument spec is ``module_utils/vpc.py``'s ``COMMON_ARGUMENTS``."""

    DOCUMENTATION = r"""
options:
  vpc_id:
    description: The VPC.
    type: str
    required: true
  tags:
    description:
      - Tags of every resource of the list; C(Name) is set for each one (see the list option). Tags already on a
        resource and not given here are kept (C(purge_tags=false)).
    type: dict
    default: {}
  purge:
    description:
      - With O(state=absent), remove every resource of this kind in the VPC (the main route table excepted), not
        only those the list names.
    type: bool
    default: false
  state:
    description: C(present) creates or updates the resources; C(absent) removes them.
    type: str
    choices: [present, absent]
    default: present
"""
