# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drift (module_utils/drift.compare): a good stack has none; each of the changes made by hand that issue 15 lists
is exactly one item (resource, name, setting, live -> wanted), and the diff shows live before and wanted after.
The facts are those of test_verify (dicts shaped like the API answers)."""

from __future__ import annotations

import copy
import json

import pytest
from test_verify import BROKEN, EIP_ID, EXPECTED, NAMES, SUBNET_ID, good_facts

from ansible_collections.payments.auroradb.plugins.module_utils import drift

CID = NAMES["cluster"]


def compare_all(facts, overrides=None):
    items = []
    for scope in ("network", "kms", "secret", "aurora", "monitoring"):
        expected = {k: (overrides or {}).get(k, v) for k, v in EXPECTED[scope].items()}
        items.extend(drift.compare(facts, NAMES, scope, expected))
    return items


def lines(facts, overrides=None):
    return [drift.line(i) for i in compare_all(facts, overrides)]


def test_a_good_stack_has_no_drift():
    assert compare_all(good_facts()) == []


def _drop_reader(facts):
    BROKEN["reader deleted"][0](facts)


# The changes by hand of issue 15 item 5 (the test_verify breakers where they fit) and the one line each gives.
HAND = {
    "backup retention": (
        BROKEN["backup retention"][0],
        f"DRIFT cluster {CID} backup_retention: 3 -> 7",
    ),
    "alarm threshold": (BROKEN["cpu threshold"][0], f"DRIFT alarm {NAMES['cpu_alarm']} threshold: 90 -> 80"),
    "0.0.0.0/0 ingress": (
        BROKEN["db group open to the world"][0],
        f"DRIFT security_group {NAMES['db_security_group']} ingress_cidrs: tcp/5432 0.0.0.0/0 -> none",
    ),
    "force_ssl 0": (
        BROKEN["force_ssl 0"][0],
        f"DRIFT parameter_group {NAMES['parameter_group']} rds.force_ssl: 0 -> 1",
    ),
    "tag removed": (BROKEN["stack tag removed"][0], f"DRIFT cluster {CID} tag environment: absent -> dev"),
    "key rotation": (BROKEN["key rotation off"][0], f"DRIFT kms_key {NAMES['kms_alias']} key_rotation: off -> on"),
    "secret description": (
        BROKEN["secret description"][0],
        f"DRIFT secret {NAMES['secret']} description: 'something else' -> "
        "'Master credentials for Aurora PostgreSQL cluster'",
    ),
    "reader deleted": (_drop_reader, f"DRIFT instance {NAMES['reader_instances'][-1]} exists: no -> yes"),
    "nat deleted": (
        BROKEN["nat gateway deleted"][0],
        f"DRIFT nat_gateway {NAMES['vpc']}/PublicSubnet1 state: absent -> available in {SUBNET_ID} with {EIP_ID}",
    ),
    "rotation removed": (BROKEN["rotation off"][0], f"DRIFT secret {NAMES['secret']} rotation: off -> every 30 days"),
    "log export removed": (BROKEN["no log export"][0], f"DRIFT cluster {CID} log_exports: none -> postgresql"),
    "performance insights off": (
        BROKEN["no performance insights"][0],
        f"DRIFT instance {NAMES['writer_instance']} performance_insights: off -> on",
    ),
    "resource policy removed": (
        BROKEN["secret policy removed"][0],
        f"DRIFT secret {NAMES['secret']} resource_policy: none -> denies secretsmanager:DeleteSecret",
    ),
}


@pytest.mark.parametrize("case", sorted(HAND))
def test_each_change_by_hand_is_one_line(case):
    breaker, expected_line = HAND[case]
    facts = copy.deepcopy(good_facts())
    breaker(facts)
    assert lines(facts) == [expected_line]


def test_deletion_protection_switched_off_where_it_is_wanted():
    assert lines(good_facts(), {"deletion_protection": True}) == [f"DRIFT cluster {CID} deletion_protection: off -> on"]


def test_all_changes_at_once_give_one_line_each_and_a_diff_of_live_and_wanted():
    facts = copy.deepcopy(good_facts())
    for breaker, _line in HAND.values():
        breaker(facts)
    items = compare_all(facts, {"deletion_protection": True})
    assert sorted(drift.line(i) for i in items) == sorted(
        [line for _b, line in HAND.values()] + [f"DRIFT cluster {CID} deletion_protection: off -> on"]
    )
    diff = drift.diff(items)
    assert f"cluster {CID} backup_retention: 3\n" in diff["before"]
    assert f"cluster {CID} backup_retention: 7\n" in diff["after"]
    assert len(diff["before"].splitlines()) == len(diff["after"].splitlines()) == len(items)


def test_a_missing_resource_is_one_item_and_its_settings_are_not_compared():
    facts = good_facts()
    facts["cluster"], facts["instances"], facts["vpc"] = None, [], None
    assert lines(facts) == [f"DRIFT vpc {NAMES['vpc']} exists: no -> yes", f"DRIFT cluster {CID} exists: no -> yes"]


def test_a_configured_range_is_no_drift_and_a_missing_one_is():
    facts = copy.deepcopy(good_facts())
    BROKEN["db group open to a public range"][0](facts)
    assert lines(facts, {"db_allowed_cidrs": ["203.0.113.0/24"]}) == []
    assert lines(good_facts(), {"db_allowed_cidrs": ["10.9.0.0/16"]}) == [
        f"DRIFT security_group {NAMES['db_security_group']} ingress_cidrs: none -> tcp/5432 10.9.0.0/16"
    ]


def test_no_secret_in_the_drift():
    facts = copy.deepcopy(good_facts())
    facts["secret_value"]["password"] = "s3cr3t-Pa55w0rd"
    BROKEN["secret description"][0](facts)
    assert "s3cr3t" not in json.dumps(compare_all(facts))


def test_rotation_wanted_off_is_drift_while_it_is_on_and_none_once_off():
    facts = good_facts()
    off = {"secret_rotation_enabled": False}
    assert lines(facts, off) == [f"DRIFT secret {NAMES['secret']} rotation: every 30 days -> off"]
    facts["secret"]["RotationEnabled"] = False
    assert lines(facts, off) == []
    assert lines(facts) == [f"DRIFT secret {NAMES['secret']} rotation: off -> every 30 days"]


def test_rotation_enabled_without_a_schedule_is_on_not_off():
    facts = good_facts()
    facts["secret"]["RotationRules"] = {}
    assert lines(facts) == [f"DRIFT secret {NAMES['secret']} rotation: on -> every 30 days"]


def test_managed_secret_drift_is_the_mode_and_the_rotation():
    from test_verify import MANAGED_ARN, managed_facts

    managed = {"secret_mode": "rds_managed"}
    assert compare_all(managed_facts(), managed) == []
    facts = managed_facts()
    facts["managed_secret"]["RotationRules"] = {"AutomaticallyAfterDays": 7}
    assert lines(facts, managed) == [f"DRIFT secret {MANAGED_ARN} rotation: every 7 days -> every 30 days"]
    facts = managed_facts()
    facts["cluster"].pop("MasterUserSecret")
    assert lines(facts, managed) == [f"DRIFT cluster {CID} master_password: in our secret -> managed by RDS"]
    assert lines(managed_facts()) == [f"DRIFT cluster {CID} master_password: managed by RDS -> in {NAMES['secret']}"]
