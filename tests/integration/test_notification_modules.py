"""payments.auroradb.notification_topic and rds_event_subscriptions against a strict local cloud, through
ansible-playbook: check-mode create (no mutating call) -> create -> no-op re-run -> changes made by hand reported in
check mode and repaired -> delete -> delete again (no change).

    .venv/bin/python -m pytest -q tests/integration/test_notification_modules.py
"""

from __future__ import annotations

TOPIC = "payments.auroradb.notification_topic"
SUBSCRIPTIONS = "payments.auroradb.rds_event_subscriptions"
TAGS = {"environment": "it", "project": "payments"}


def run(localcloud, tmp_path, module, args, *flags):
    return localcloud.run_module(tmp_path, module, args, *flags)[0]


def mutating(localcloud, since: int) -> list[str]:
    return [r["action"] for r in localcloud.requests()[since:] if r["mutating"]]


def test_encrypted_topic_lifecycle(localcloud, tmp_path, suffix):
    kms, sns = localcloud.client("kms"), localcloud.client("sns")
    key, other_key = (kms.create_key()["KeyMetadata"]["Arn"] for _ in range(2))
    name = f"payment-db-alerts-{suffix}"
    args = {
        "name": name,
        "kms_key_id": key,
        "subscriptions": [{"protocol": "https", "endpoint": f"https://hooks.example.com/{suffix}"}],
        "tags": TAGS,
        "purge_tags": False,
    }

    start = len(localcloud.requests())
    plan = run(localcloud, tmp_path, TOPIC, args, "--check", "--diff")
    assert plan["changed"] is True and plan["diff"]["before"] == {}, plan
    assert mutating(localcloud, start) == []

    created = run(localcloud, tmp_path, TOPIC, args)
    arn = created["topic_arn"]
    assert created["changed"] is True and arn.endswith(f":{name}")
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["KmsMasterKeyId"] == key
    listed = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in listed] == [("https", f"https://hooks.example.com/{suffix}")]
    tags = {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=arn)["Tags"]}
    assert tags == TAGS

    start = len(localcloud.requests())
    assert run(localcloud, tmp_path, TOPIC, args)["changed"] is False
    assert mutating(localcloud, start) == []

    # by hand: another key, an extra subscription
    sns.set_topic_attributes(TopicArn=arn, AttributeName="KmsMasterKeyId", AttributeValue=other_key)
    sns.subscribe(TopicArn=arn, Protocol="https", Endpoint="https://elsewhere.example.com/x")
    start = len(localcloud.requests())
    drift = run(localcloud, tmp_path, TOPIC, args, "--check", "--diff")
    assert drift["changed"] is True and mutating(localcloud, start) == []
    assert (
        drift["diff"]["before"]["kms_master_key_id"] == other_key and drift["diff"]["after"]["kms_master_key_id"] == key
    )
    assert run(localcloud, tmp_path, TOPIC, args)["changed"] is True
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["KmsMasterKeyId"] == key
    assert len(sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]) == 1

    absent = {"name": name, "state": "absent"}
    assert run(localcloud, tmp_path, TOPIC, absent, "--check")["changed"] is True
    assert any(t["TopicArn"] == arn for t in sns.list_topics()["Topics"])
    assert run(localcloud, tmp_path, TOPIC, absent)["changed"] is True
    assert not any(t["TopicArn"] == arn for t in sns.list_topics()["Topics"])
    assert run(localcloud, tmp_path, TOPIC, absent)["changed"] is False


def test_event_subscriptions_lifecycle(localcloud, tmp_path, suffix):
    rds, sns = localcloud.client("rds"), localcloud.client("sns")
    topic = sns.create_topic(Name=f"events-{suffix}")["TopicArn"]
    cluster, instance = f"payment-db-cluster-events-{suffix}", f"payment-db-instance-events-{suffix}"
    subscriptions = [
        {
            "name": cluster,
            "source_type": "db-cluster",
            "source_ids": [f"payment-db-cluster-{suffix}"],
            "event_categories": ["failover", "failure", "maintenance", "notification"],
        },
        {"name": instance, "source_type": "db-instance", "event_categories": ["availability", "failure"]},
    ]
    args = {"sns_topic_arn": topic, "subscriptions": subscriptions, "tags": TAGS, "purge_tags": False}

    start = len(localcloud.requests())
    assert run(localcloud, tmp_path, SUBSCRIPTIONS, args, "--check")["changed"] is True
    assert mutating(localcloud, start) == []
    created = run(localcloud, tmp_path, SUBSCRIPTIONS, args)
    assert created["changed"] is True and [s["name"] for s in created["subscriptions"]] == [cluster, instance]
    (live,) = rds.describe_event_subscriptions(SubscriptionName=cluster)["EventSubscriptionsList"]
    assert live["SnsTopicArn"] == topic and live["SourceType"] == "db-cluster" and live["Enabled"] is True
    assert sorted(live["EventCategoriesList"]) == ["failover", "failure", "maintenance", "notification"]
    assert live["SourceIdsList"] == [f"payment-db-cluster-{suffix}"]
    tags = {
        t["Key"]: t["Value"] for t in rds.list_tags_for_resource(ResourceName=live["EventSubscriptionArn"])["TagList"]
    }
    assert tags == TAGS

    start = len(localcloud.requests())
    assert run(localcloud, tmp_path, SUBSCRIPTIONS, args)["changed"] is False
    assert mutating(localcloud, start) == []

    # by hand: a category dropped and the subscription disabled; the other one deleted
    rds.modify_event_subscription(SubscriptionName=cluster, EventCategories=["failover"], Enabled=False)
    rds.delete_event_subscription(SubscriptionName=instance)
    start = len(localcloud.requests())
    plan = run(localcloud, tmp_path, SUBSCRIPTIONS, args, "--check", "--diff")
    assert plan["changed"] is True and mutating(localcloud, start) == []
    assert [s["name"] for s in plan["diff"]["before"]["subscriptions"]] == [cluster]
    assert plan["diff"]["before"]["subscriptions"][0]["enabled"] is False
    assert run(localcloud, tmp_path, SUBSCRIPTIONS, args)["changed"] is True
    (live,) = rds.describe_event_subscriptions(SubscriptionName=cluster)["EventSubscriptionsList"]
    assert live["Enabled"] is True and len(live["EventCategoriesList"]) == 4
    assert rds.describe_event_subscriptions(SubscriptionName=instance)["EventSubscriptionsList"]
    assert run(localcloud, tmp_path, SUBSCRIPTIONS, args)["changed"] is False

    absent = {"subscriptions": [{"name": cluster}, {"name": instance}], "state": "absent"}
    assert run(localcloud, tmp_path, SUBSCRIPTIONS, absent)["changed"] is True
    names = [s["CustSubscriptionId"] for s in rds.describe_event_subscriptions()["EventSubscriptionsList"]]
    assert cluster not in names and instance not in names
    assert run(localcloud, tmp_path, SUBSCRIPTIONS, absent)["changed"] is False
