# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every AWS module of the collection is in the action group ``payments.auroradb.aws`` (meta/runtime.yml), so the
playbooks' module_defaults (region, endpoint, credentials) reach it: a module left out fails with "requires a
region" wherever the environment does not set one (make demo, AWS profiles without a default region)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_every_aws_module_is_in_the_aws_action_group():
    group = set(yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())["action_groups"]["aws"])
    aws_modules = {
        path.stem for path in (ROOT / "plugins" / "modules").glob("*.py") if "AnsibleAWSModule" in path.read_text()
    }
    assert aws_modules - group == set()
    modules = {path.stem for path in (ROOT / "plugins" / "modules").glob("*.py")}
    assert group - modules == set()  # and the group names no module that does not exist
