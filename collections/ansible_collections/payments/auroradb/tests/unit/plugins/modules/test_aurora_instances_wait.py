"""Throwaway tests (would live in tests/unit/plugins/...): evaluate_wait and the poll loop, no AWS."""

from __future__ import annotations

import pytest

from ansible_collections.payments.auroradb.plugins.module_utils import rds
from ansible_collections.payments.auroradb.plugins.modules import aurora_instances_wait as mod

CID = "payment-db-cluster-dev"
IDS = [f"{CID}-writer", f"{CID}-reader1", f"{CID}-reader2"]


def cluster(status="available", members=None, **extra):
    members = (
        members
        if members is not None
        else [
            {
                "DBInstanceIdentifier": i,
                "IsClusterWriter": i.endswith("writer"),
                "DBClusterParameterGroupStatus": "in-sync",
            }
            for i in IDS
        ]
    )
    return {
        "Status": status,
        "DBClusterArn": "arn",
        "Endpoint": "w.example",
        "ReaderEndpoint": "r.example",
        "Port": 5432,
        "DBClusterMembers": members,
        **extra,
    }


def inst(ident, status):
    return {"DBInstanceIdentifier": ident, "DBInstanceStatus": status, "DBParameterGroups": []}


def test_progress_line_and_not_done():
    r = rds.evaluate_wait(
        CID,
        IDS,
        "available",
        cluster(),
        [inst(IDS[0], "available"), inst(IDS[1], "creating"), inst(IDS[2], "available")],
    )
    assert r["done"] is False and r["failed"] is None
    assert r["progress"] == (
        "2/3 instances available (writer available; reader1 creating; reader2 available), cluster available"
    )


def test_done_needs_the_cluster_too():
    insts = [inst(i, "available") for i in IDS]
    assert rds.evaluate_wait(CID, IDS, "available", cluster("creating"), insts)["done"] is False
    assert rds.evaluate_wait(CID, IDS, "available", cluster("creating"), insts, wait_for_cluster=False)["done"]
    r = rds.evaluate_wait(CID, IDS, "available", cluster(), insts)
    assert r["done"] and r["writer"] == IDS[0] and r["cluster"]["endpoint"] == "w.example"


def test_missing_instance_is_not_found_while_waiting_for_available():
    r = rds.evaluate_wait(CID, IDS, "available", cluster(), [inst(IDS[0], "available")])
    assert r["instances"][IDS[1]] == "not-found" and not r["done"] and r["failed"] is None


def test_deleted_means_gone():
    r = rds.evaluate_wait(CID, IDS, "deleted", cluster(), [inst(IDS[2], "deleting")], wait_for_cluster=False)
    assert not r["done"] and r["instances"][IDS[0]] == "deleted"
    r = rds.evaluate_wait(CID, IDS, "deleted", cluster(), [], wait_for_cluster=False)
    assert r["done"]
    r = rds.evaluate_wait(CID, [], "deleted", None, [])
    assert r["done"] and r["progress"] == "cluster deleted" and r["cluster"] == {}


@pytest.mark.parametrize("status", sorted(rds.TERMINAL_INSTANCE_STATUSES))
def test_terminal_instance_status_fails(status):
    r = rds.evaluate_wait(CID, IDS, "available", cluster(), [inst(IDS[0], status)])
    assert r["failed"] and f"{IDS[0]} is {status}" in r["failed"]


def test_stopped_fails_only_when_waiting_for_available():
    insts = [inst(i, "stopped") for i in IDS]
    assert "start the cluster" in rds.evaluate_wait(CID, IDS, "available", cluster("stopped"), insts)["failed"]
    assert rds.evaluate_wait(CID, IDS, "deleted", cluster("stopped"), insts, wait_for_cluster=False)["failed"] is None


def test_pending_reboot_readers_first_writer_last():
    members = [
        {"DBInstanceIdentifier": IDS[0], "IsClusterWriter": True, "DBClusterParameterGroupStatus": "pending-reboot"},
        {"DBInstanceIdentifier": IDS[2], "IsClusterWriter": False, "DBClusterParameterGroupStatus": "pending-reboot"},
        {"DBInstanceIdentifier": IDS[1], "IsClusterWriter": False, "DBClusterParameterGroupStatus": "in-sync"},
    ]
    insts = [inst(i, "available") for i in IDS]
    insts[1]["DBParameterGroups"] = [{"ParameterApplyStatus": "pending-reboot"}]
    r = rds.evaluate_wait(CID, IDS, "available", cluster(members=members), insts)
    assert r["pending_reboot"] == [IDS[1], IDS[2], IDS[0]]


class FakeModule:
    def __init__(self, check_mode=False, timeout=30, poll_interval=5):
        self.check_mode = check_mode
        self.params = {
            "cluster_identifier": CID,
            "instance_identifiers": IDS,
            "state": "available",
            "wait_for_cluster": True,
            "timeout": timeout,
            "poll_interval": poll_interval,
        }

    def fail_json(self, **kw):
        raise RuntimeError(kw)


def test_poll_loop_until_available(monkeypatch):
    answers = iter([["creating"] * 3, ["available", "creating", "creating"], ["available"] * 3])
    current = {}

    def fake_instances(client, ids):
        current["s"] = next(answers)
        return [inst(i, s) for i, s in zip(ids, current["s"], strict=True)]

    sleeps = []
    monkeypatch.setattr(mod, "describe_cluster", lambda client, cid: cluster())
    monkeypatch.setattr(mod, "describe_instances", fake_instances)
    monkeypatch.setattr(mod.time, "sleep", sleeps.append)
    r = mod.wait(FakeModule(), None)
    assert r["done"] and len(sleeps) == 2 and "failed" not in r


def test_poll_loop_returns_not_done_at_timeout(monkeypatch):
    monkeypatch.setattr(mod, "describe_cluster", lambda client, cid: cluster("creating"))
    monkeypatch.setattr(mod, "describe_instances", lambda client, ids: [inst(i, "creating") for i in ids])
    r = mod.wait(FakeModule(timeout=0), None)
    assert r["done"] is False and r["progress"].startswith("0/3 instances available")


def test_check_mode_is_done_without_waiting(monkeypatch):
    monkeypatch.setattr(mod, "describe_cluster", lambda client, cid: None)
    monkeypatch.setattr(mod, "describe_instances", lambda client, ids: [])
    r = mod.wait(FakeModule(check_mode=True), None)
    assert r["done"] and "check mode" in r["progress"]


def test_terminal_status_fails_the_module(monkeypatch):
    monkeypatch.setattr(mod, "describe_cluster", lambda client, cid: cluster())
    monkeypatch.setattr(
        mod, "describe_instances", lambda client, ids: [inst(i, "incompatible-parameters") for i in ids]
    )
    with pytest.raises(RuntimeError, match="incompatible-parameters"):
        mod.wait(FakeModule(), None)
