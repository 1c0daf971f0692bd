"""The production profile (issue 13) on inventories/local-prod (prod's settings on the local cloud).

It converges, and a second run changes nothing. Notifications: the alerts topic is encrypted with the stack's key,
whose policy lets CloudWatch and RDS events use it; both alarms notify it on ALARM and on OK; the RDS event
subscriptions send it the cluster's, the instances', the parameter groups' and the security groups' events.
A protected environment's teardown stops before any AWS call unless the operator types its suffix
(-e auroradb_confirm_destroy=<suffix>); confirmed, it turns the cluster's deletion protection off, keeps the final
snapshot payment-db-final-<suffix>-<UTC timestamp> (waited for, never deleted), and keeps the key's and the secret's
recovery windows: the snapshot is the only thing left that is not scheduled for deletion.

    .venv/bin/python -m pytest -q tests/integration/test_teardown_guard.py
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

from conftest import REPO, recap

INVENTORY = "inventories/local-prod"
HOST = "payments-local-prod"


def test_protected_teardown_needs_the_suffix_and_keeps_a_final_snapshot(localcloud, suffix):
    cloud = localcloud
    cloud.playbook("site.yml", "-e", f"env_suffix={suffix}", inventory=INVENTORY)
    rds = cloud.client("rds")
    cluster_id = f"payment-db-cluster-{suffix}"
    (cluster,) = rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"]
    assert cluster["DeletionProtection"] is True and cluster["BackupRetentionPeriod"] == 35
    again = cloud.playbook("site.yml", "-e", f"env_suffix={suffix}", inventory=INVENTORY)
    assert recap(again.stdout, HOST)["changed"] == 0, again.stdout[-4000:]
    _notifications_are_wired(cloud, suffix)
    _logs_are_encrypted_and_kept_a_year(cloud, suffix)
    verified = cloud.playbook("verify.yml", "-e", f"env_suffix={suffix}", inventory=INVENTORY)
    assert recap(verified.stdout, HOST)["failed"] == 0
    _minor_upgrades_are_kept(cloud, suffix)

    for confirm in ([], ["-e", "auroradb_confirm_destroy=prod"]):  # none, and another environment's name
        before = len(cloud.requests())
        refused = cloud.playbook(
            "teardown.yml", "-e", f"env_suffix={suffix}", *confirm, inventory=INVENTORY, check=False
        )
        assert refused.returncode != 0, refused.stdout[-3000:]
        assert f"-e auroradb_confirm_destroy={suffix}" in refused.stdout, refused.stdout[-3000:]
        assert cloud.requests()[before:] == []  # not one AWS call, not even a read
    assert rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]["Status"] == "available"

    before = len(cloud.requests())
    done = cloud.playbook(
        "teardown.yml", "-e", f"env_suffix={suffix}", "-e", f"auroradb_confirm_destroy={suffix}", inventory=INVENTORY
    )
    assert recap(done.stdout, HOST)["failed"] == 0
    mutating = [r["action"] for r in cloud.requests()[before:] if r["mutating"] and r.get("service") == "rds"]
    assert (
        mutating.index("ModifyDBCluster")
        < mutating.index("CreateDBClusterSnapshot")
        < mutating.index("DeleteDBCluster")
    )

    (snapshot,) = rds.describe_db_cluster_snapshots(DBClusterIdentifier=cluster_id)["DBClusterSnapshots"]
    assert re.fullmatch(rf"payment-db-final-{suffix}-\d{{14}}", snapshot["DBClusterSnapshotIdentifier"]), snapshot
    assert snapshot["Status"] == "available" and snapshot["SnapshotType"] == "manual"
    tags = rds.list_tags_for_resource(ResourceName=snapshot["DBClusterSnapshotArn"])["TagList"]
    assert {"Key": "environment", "Value": suffix} in tags

    check = subprocess.run(
        [sys.executable, str(REPO / "tests" / "stack_check.py"), "absent", suffix, "--endpoint", cloud.endpoint],
        capture_output=True,
        text=True,
        env=cloud.env,
        check=False,
    )
    left = sorted(line for line in check.stdout.splitlines() if "left behind" in line)
    # the snapshot, and what prod keeps recoverable: the secret (30-day recovery window) and the key's alias
    assert left == [
        "FAIL left behind: KMS alias",
        f"FAIL left behind: cluster snapshot {snapshot['DBClusterSnapshotIdentifier']}",
        "FAIL left behind: secret",
    ], check.stdout
    secret = cloud.client("secretsmanager").describe_secret(SecretId=f"payment-db-credentials-{suffix}")
    assert "DeletedDate" in secret  # scheduled for deletion, recoverable for 30 days
    kms = cloud.client("kms")
    (alias,) = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == f"alias/payment-db-{suffix}"]
    assert kms.describe_key(KeyId=alias["TargetKeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"


def _notifications_are_wired(cloud, suffix):
    kms, sns, cw, rds = (cloud.client(service) for service in ("kms", "sns", "cloudwatch", "rds"))
    (alias,) = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == f"alias/payment-db-{suffix}"]
    key_arn = kms.describe_key(KeyId=alias["TargetKeyId"])["KeyMetadata"]["Arn"]
    policy = json.loads(kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"])
    services = [s for s in policy["Statement"] if "Service" in s["Principal"]]
    assert services and set(services[0]["Principal"]["Service"]) == {
        "cloudwatch.amazonaws.com",
        "events.rds.amazonaws.com",
    }
    assert set(services[0]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}

    (topic,) = [
        t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(f":payment-db-alerts-{suffix}")
    ]
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["KmsMasterKeyId"] == key_arn
    endpoints = [
        (s["Protocol"], s["Endpoint"]) for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    ]
    assert endpoints == [("https", "https://alerts.payments.example.com/aurora")]  # inventories/local-prod's

    alarms = cw.describe_alarms(AlarmNamePrefix="payment-db-")["MetricAlarms"]
    alarms = [a for a in alarms if a["AlarmName"].endswith(f"-alarm-{suffix}")]
    assert len(alarms) == 2
    for alarm in alarms:
        assert alarm["AlarmActions"] == [topic] and alarm["OKActions"] == [topic], alarm["AlarmName"]

    found = {
        s["CustSubscriptionId"]: s
        for s in rds.describe_event_subscriptions()["EventSubscriptionsList"]
        if s["CustSubscriptionId"].endswith(f"-events-{suffix}")
    }
    cluster, instances = (
        f"payment-db-cluster-{suffix}",
        [f"payment-db-cluster-{suffix}-{r}" for r in ("reader1", "reader2", "writer")],
    )
    expected = {
        f"payment-db-cluster-events-{suffix}": (
            "db-cluster",
            [cluster],
            {"failover", "failure", "maintenance", "notification"},
        ),
        f"payment-db-instance-events-{suffix}": (
            "db-instance",
            instances,
            {"availability", "failure", "maintenance", "configuration change", "low storage", "recovery"},
        ),
        f"payment-db-parameter-group-events-{suffix}": ("db-parameter-group", [], {"configuration change"}),
        f"payment-db-security-group-events-{suffix}": ("db-security-group", [], {"configuration change"}),
    }
    assert sorted(found) == sorted(expected)
    for name, (source_type, source_ids, categories) in expected.items():
        subscription = found[name]
        assert subscription["SnsTopicArn"] == topic and subscription["Enabled"] is True, name
        assert subscription["SourceType"] == source_type and sorted(subscription["SourceIdsList"]) == source_ids, name
        assert set(subscription["EventCategoriesList"]) == categories, name


def _minor_upgrades_are_kept(cloud, suffix):
    """Instances take minor versions automatically and pin their CA; after AWS upgraded the cluster to 15.8 by itself
    (done here through the RDS API, as the maintenance window would), a run keeps 15.8: changed=0 (the local cloud,
    like RDS, refuses the downgrade to the inventory's 15.7) and verify.yml passes."""
    rds = cloud.client("rds")
    cluster_id = f"payment-db-cluster-{suffix}"
    members = rds.describe_db_instances(Filters=[{"Name": "db-cluster-id", "Values": [cluster_id]}])["DBInstances"]
    assert len(members) == 3
    role = cloud.client("iam").get_role(RoleName=f"payment-db-monitoring-{suffix}")["Role"]
    trusted = role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"]
    assert trusted == "monitoring.rds.amazonaws.com"
    attached = cloud.client("iam").list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AmazonRDSEnhancedMonitoringRole"]
    for member in members:
        assert member["MonitoringInterval"] == 60 and member["MonitoringRoleArn"] == role["Arn"]
        assert member["AutoMinorVersionUpgrade"] is True, member["DBInstanceIdentifier"]
        assert member["CACertificateIdentifier"] == "rds-ca-rsa2048-g1", member["DBInstanceIdentifier"]
    rds.modify_db_cluster(DBClusterIdentifier=cluster_id, EngineVersion="15.8", ApplyImmediately=True)
    again = cloud.playbook("site.yml", "-e", f"env_suffix={suffix}", inventory=INVENTORY)
    assert recap(again.stdout, HOST)["changed"] == 0, again.stdout[-4000:]
    assert rds.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]["EngineVersion"] == "15.8"
    verified = cloud.playbook("verify.yml", "-e", f"env_suffix={suffix}", inventory=INVENTORY)
    assert recap(verified.stdout, HOST)["failed"] == 0


def _logs_are_encrypted_and_kept_a_year(cloud, suffix):
    """The cluster's and the rotation function's log groups: created by the roles, with the stack's key, 365 days."""
    kms, logs = cloud.client("kms"), cloud.client("logs")
    (alias,) = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == f"alias/payment-db-{suffix}"]
    key_arn = kms.describe_key(KeyId=alias["TargetKeyId"])["KeyMetadata"]["Arn"]
    policy = json.loads(kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"])
    assert any(s["Principal"].get("Service") == "logs.us-east-1.amazonaws.com" for s in policy["Statement"])
    for name in (
        f"/aws/rds/cluster/payment-db-cluster-{suffix}/postgresql",
        f"/aws/lambda/payment-db-rotation-{suffix}",
    ):
        groups = [
            g for g in logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] if g["logGroupName"] == name
        ]
        assert len(groups) == 1, name
        assert groups[0].get("kmsKeyId") == key_arn and groups[0].get("retentionInDays") == 365, groups[0]
