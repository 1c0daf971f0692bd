# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failover drill's decisions (module_utils/failover.py): which reader takes over, which targets are refused
(with the valid choices), when the failover is over, how long the writer endpoint was unavailable, and the probe
thread; no AWS, no network."""

import threading

import pytest

from ansible_collections.payments.auroradb.plugins.module_utils import failover

CLUSTER = "payment-db-cluster-dev"
WRITER, R1, R2 = (f"{CLUSTER}-{role}" for role in ("writer", "reader1", "reader2"))


def cluster(writer=WRITER, status="available", tiers=None):
    tiers = tiers or {}
    return {
        "DBClusterIdentifier": CLUSTER,
        "Status": status,
        "DBClusterMembers": [
            {"DBInstanceIdentifier": i, "IsClusterWriter": i == writer, "PromotionTier": tiers.get(i, 1)}
            for i in (WRITER, R1, R2)
        ],
    }


def instances(**statuses):
    return [
        {"DBInstanceIdentifier": i, "DBInstanceStatus": statuses.get(i.rsplit("-", 1)[-1], "available")}
        for i in (WRITER, R1, R2)
    ]


def test_without_a_target_rds_is_expected_to_choose_the_best_promotion_tier():
    planned = failover.plan(cluster(tiers={R1: 2, R2: 1}), instances(), "")
    assert planned == {"old_writer": WRITER, "new_writer": R2, "candidates": [R2], "choices": [R1, R2]}


def test_equal_tiers_are_all_candidates():
    planned = failover.plan(cluster(), instances(), None)
    assert planned["new_writer"] == R1 and planned["candidates"] == [R1, R2]


def test_an_unavailable_reader_is_no_candidate():
    planned = failover.plan(cluster(tiers={R1: 0}), instances(reader1="rebooting"), "")
    assert planned["candidates"] == [R2] and planned["choices"] == [R2]


def test_an_available_reader_is_a_valid_target_in_any_case():
    planned = failover.plan(cluster(), instances(), R2.upper())
    assert planned["old_writer"] == WRITER and planned["new_writer"] == R2 and planned["candidates"] == [R2]


@pytest.mark.parametrize(
    ("target", "statuses", "words"),
    [
        ("payment-db-cluster-other-reader1", {}, "is not a member of DB cluster payment-db-cluster-dev (members: "),
        (WRITER, {}, "is already the writer of DB cluster"),
        (R1, {"reader1": "modifying"}, f"{R1} is modifying, not available"),
    ],
)
def test_a_target_that_cannot_take_over_is_refused_with_the_choices(target, statuses, words):
    with pytest.raises(failover.FailoverRefused) as refused:
        failover.plan(cluster(), instances(**statuses), target)
    assert words in str(refused.value) and refused.value.target is True
    assert refused.value.choices == [r for r in (R1, R2) if r.rsplit("-", 1)[-1] not in statuses]
    assert "valid choices: " + ", ".join(refused.value.choices) + ", or empty to let RDS choose" in str(refused.value)


def test_the_target_is_checked_before_the_cluster():
    with pytest.raises(failover.FailoverRefused) as refused:
        failover.plan(cluster(status="modifying"), instances(), WRITER)
    assert refused.value.target is True


@pytest.mark.parametrize(
    ("described", "statuses", "words"),
    [
        (cluster(status="backing-up"), {}, "is backing-up, not available"),
        (cluster(writer=None), {}, "has no writer instance"),
        (cluster(), {"reader1": "stopped", "reader2": "rebooting"}, f"readers: {R1} stopped, {R2} rebooting"),
    ],
)
def test_a_cluster_that_cannot_fail_over_is_refused(described, statuses, words):
    with pytest.raises(failover.FailoverRefused) as refused:
        failover.plan(described, instances(**statuses), "")
    assert words in str(refused.value) and refused.value.target is False


def test_a_cluster_without_readers_has_no_choice():
    single = {
        "DBClusterIdentifier": CLUSTER,
        "Status": "available",
        "DBClusterMembers": [cluster()["DBClusterMembers"][0]],
    }
    with pytest.raises(failover.FailoverRefused, match=r"no available reader to fail over to \(readers: none\)"):
        failover.plan(single, instances()[:1], "")


def test_members_read_status_and_tier_from_the_instances_when_missing():
    described = cluster()
    del described["DBClusterMembers"][1]["PromotionTier"]
    found = failover.members(
        described, [{"DBInstanceIdentifier": R1, "DBInstanceStatus": "available", "PromotionTier": 4}]
    )
    assert found[1] == {"id": R1, "writer": False, "status": "available", "tier": 4}
    assert found[2]["status"] == "missing"


@pytest.mark.parametrize(
    ("described", "target", "done"),
    [
        (cluster(), "", None),  # the old writer still
        (cluster(writer=R1, status="failing-over"), "", None),
        (cluster(writer=R1), "", R1),
        (cluster(writer=R1), R2, None),  # RDS chose another than asked: not yet (or never; the timeout says)
        (cluster(writer=R2), R2.upper(), R2),
        (None, "", None),
    ],
)
def test_the_failover_is_done_when_available_with_a_new_writer(described, target, done):
    assert failover.failover_done(described, WRITER, target) == done


@pytest.mark.parametrize(
    ("samples", "seconds"),
    [
        ([], 0.0),
        ([(0.0, True), (0.2, True)], 0.0),
        ([(0.0, True), (0.2, False), (0.4, False), (1.9, True), (2.1, False), (2.3, True)], 1.7),
        ([(0.0, False), (0.5, True)], 0.5),
        ([(0.0, True), (0.2, False), (0.4, False)], None),
    ],
)
def test_unavailability_runs_from_the_first_failure_to_the_first_success_after_it(samples, seconds):
    assert failover.unavailable_seconds(samples) == seconds


def test_the_prober_samples_until_stopped():
    answers = iter([None, "refused", "refused", None])
    enough = threading.Event()

    def probe():
        answer = next(answers, None)
        return answer

    ticks = iter(range(1000))
    prober = failover.Prober(probe, 0.0, clock=lambda: float(next(ticks)), sleep=lambda _s: enough.wait(0.001))
    prober.start()
    while len(prober.samples()) < 5:
        enough.wait(0.001)
    prober.stop()
    samples = prober.samples()
    assert [sample[1] for sample in samples[:4]] == [True, False, False, True]
    assert samples[1][2] == "refused" and prober.last_failure() == "refused"
    assert prober.succeeded_since(samples[3][0]) and not prober.succeeded_since(samples[-1][0] + 1)


def test_a_probe_that_raises_is_a_failed_sample():
    def probe():
        raise OSError("connection reset")

    prober = failover.Prober(probe, 0.01).start()
    while not prober.samples():
        threading.Event().wait(0.001)
    prober.stop()
    assert prober.samples()[0][1:] == (False, "connection reset")
