"""payments.auroradb.log_groups against a strict local cloud, through ansible-playbook: check-mode create (no mutating
call) -> create (key, retention, tags) -> no-op re-run -> key removed and retention changed by hand: check mode
reports it, a run repairs it in place -> a group the service created itself is adopted -> delete -> delete again.

    .venv/bin/python -m pytest -q tests/integration/test_log_groups_module.py
"""

from __future__ import annotations

MODULE = "payments.auroradb.log_groups"
TAGS = {"environment": "it", "project": "payments"}


def run(localcloud, tmp_path, args, *flags):
    return localcloud.run_module(tmp_path, MODULE, args, *flags)[0]


def mutating(localcloud, since: int) -> list[str]:
    return [r["action"] for r in localcloud.requests()[since:] if r["mutating"]]


def test_log_groups_lifecycle(localcloud, tmp_path, suffix):
    logs, kms = localcloud.client("logs"), localcloud.client("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    first, adopted = f"/aws/rds/cluster/it-{suffix}/postgresql", f"/aws/lambda/it-{suffix}"
    args = {
        "log_groups": [
            {"name": first, "retention_days": 365, "kms_key_id": key},
            {"name": adopted, "retention_days": 30, "kms_key_id": key},
        ],
        "tags": TAGS,
        "purge_tags": False,
    }
    logs.create_log_group(logGroupName=adopted)  # what a service makes when it writes first: no key, kept forever

    def live(name):
        (group,) = [
            g for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] if g["logGroupName"] == name
        ]
        return group.get("retentionInDays"), group.get("kmsKeyId")

    start = len(localcloud.requests())
    plan = run(localcloud, tmp_path, args, "--check", "--diff")
    assert plan["changed"] is True and mutating(localcloud, start) == []
    assert plan["diff"]["before"]["log_groups"] == [{"name": adopted, "retention_days": None, "kms_key_id": None}]

    assert run(localcloud, tmp_path, args)["changed"] is True
    assert live(first) == (365, key) and live(adopted) == (30, key)
    arn = logs.describe_log_groups(logGroupNamePrefix=first)["logGroups"][0]["arn"].removesuffix(":*")
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == TAGS

    start = len(localcloud.requests())
    assert run(localcloud, tmp_path, args)["changed"] is False
    assert mutating(localcloud, start) == []

    logs.disassociate_kms_key(logGroupName=first)
    logs.put_retention_policy(logGroupName=first, retentionInDays=7)
    start = len(localcloud.requests())
    drift = run(localcloud, tmp_path, args, "--check", "--diff")
    assert drift["changed"] is True and mutating(localcloud, start) == []
    assert {"name": first, "retention_days": 7, "kms_key_id": None} in drift["diff"]["before"]["log_groups"]
    assert run(localcloud, tmp_path, args)["changed"] is True
    assert live(first) == (365, key)

    # names + the module's settings: the same groups, unchanged
    short = {"names": [first, adopted], "retention_days": 365, "kms_key_id": key, "tags": TAGS, "purge_tags": False}
    assert run(localcloud, tmp_path, short, "--check")["changed"] is True  # the second group keeps 30 days
    absent = {"names": [first, adopted], "state": "absent"}
    assert run(localcloud, tmp_path, absent)["changed"] is True
    assert logs.describe_log_groups(logGroupNamePrefix=f"/aws/rds/cluster/it-{suffix}")["logGroups"] == []
    assert run(localcloud, tmp_path, absent)["changed"] is False
