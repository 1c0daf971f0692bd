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
    # the plan on an empty account (--check --diff): every production resource planned, not one mutating call
    plan = cloud.playbook("site.yml", "-e", f"env_suffix={suffix}", "--check", "--diff", inventory=INVENTORY)
    assert recap(plan.stdout, HOST)["changed"] > 0
    assert [r["action"] for r in cloud.requests() if r["mutating"]] == []
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
    _posture_passes_with_nothing_waived(suffix, verified.stdout)
    _flow_logs_and_audit_are_real(cloud, suffix)
    _each_broken_property_fails_its_control(cloud, suffix)
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
        [
            *(sys.executable, str(REPO / "tests" / "stack_check.py"), "absent", suffix),
            *("--endpoint", cloud.endpoint, "--recoverable"),
        ],
        capture_output=True,
        text=True,
        env=cloud.env,
        check=False,
    )
    left = sorted(line for line in check.stdout.splitlines() if "left behind" in line)
    # the snapshot is the only thing left; the secret and the key are scheduled for deletion (30 days, recoverable)
    assert left == [f"FAIL left behind: cluster snapshot {snapshot['DBClusterSnapshotIdentifier']}"], check.stdout
    secret = cloud.client("secretsmanager").describe_secret(SecretId=f"payment-db-credentials-{suffix}")
    assert "DeletedDate" in secret  # scheduled for deletion, recoverable for 30 days
    kms = cloud.client("kms")
    assert not [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == f"alias/payment-db-{suffix}"]
    key = kms.describe_key(KeyId=secret["KmsKeyId"])["KeyMetadata"]
    assert key["KeyState"] == "PendingDeletion"
    # the teardown names the key that keeps the final snapshot restorable
    assert f"aws kms cancel-key-deletion --key-id {snapshot['KmsKeyId']}" in done.stdout, done.stdout[-3000:]


def _notifications_are_wired(cloud, suffix):
    kms, sns, cw, rds = (cloud.client(service) for service in ("kms", "sns", "cloudwatch", "rds"))
    (alias,) = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == f"alias/payment-db-{suffix}"]
    key_arn = kms.describe_key(KeyId=alias["TargetKeyId"])["KeyMetadata"]["Arn"]
    policy = json.loads(kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"])
    # key administrators apart from key users (issue 13 item 5): no kms:* for the account, each statement scoped
    sids = {s["Sid"]: s for s in policy["Statement"]}
    assert "EnableIAMUserPermissions" not in sids and all(s["Action"] != "kms:*" for s in policy["Statement"])
    admins = sids["KeyAdministratorsOnly"]["Condition"]["ArnEquals"]["aws:PrincipalArn"]
    users = sids["KeyUsersOnly"]["Condition"]["ArnEquals"]["aws:PrincipalArn"]
    assert admins == ["arn:aws:iam::123456789012:user/moto", "arn:aws:iam::123456789012:role/PaymentsPlatformAdmin"]
    assert users == [
        "arn:aws:iam::123456789012:user/moto",
        f"arn:aws:iam::123456789012:role/payment-db-rotation-{suffix}",
    ]
    assert not {"kms:Decrypt", "kms:Encrypt"} & set(sids["KeyAdministratorsOnly"]["Action"])
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
    alarms = [
        a
        for a in alarms
        if a["AlarmName"].endswith(f"-alarm-{suffix}") or a["AlarmName"].startswith(f"payment-db-cluster-{suffix}-")
    ]
    # the reference's two, and the production profile's: three per instance, replica lag and deadlocks
    assert len(alarms) == 2 + 3 * 3 + 2, sorted(a["AlarmName"] for a in alarms)
    for alarm in alarms:
        assert alarm["AlarmActions"] == [topic] and alarm["OKActions"] == [topic], alarm["AlarmName"]
    by_name = {a["AlarmName"]: a for a in alarms}
    writer = f"payment-db-cluster-{suffix}-writer"
    # inventories/local-prod runs db.r6g.large: 16 GiB, max_connections LEAST(16 GiB / 9531392, 5000) = 1802
    assert by_name[f"{writer}-memory"]["Threshold"] == int(16 * 1024**3 * 0.10)
    assert by_name[f"{writer}-connections"]["Threshold"] == 1441
    assert by_name[f"{writer}-connections"]["Dimensions"] == [{"Name": "DBInstanceIdentifier", "Value": writer}]
    lag = by_name[f"payment-db-replica-lag-alarm-{suffix}"]
    assert lag["MetricName"] == "AuroraReplicaLagMaximum" and lag["Threshold"] == 2000
    dashboard = json.loads(cw.get_dashboard(DashboardName=f"payment-db-{suffix}")["DashboardBody"])
    graphed = {w["properties"]["metrics"][0][1] for w in dashboard["widgets"]}
    assert graphed == {
        "CPUUtilization",
        "FreeableMemory",
        "DatabaseConnections",
        "FreeLocalStorage",
        "AuroraReplicaLagMaximum",
        "Deadlocks",
    }

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


ISSUE_CONTROLS = (
    [f"securityhub.RDS.{n}" for n in (2, 4, 6, 7, 9, 12, 13, 15, 16, 19, 20, 21, 24, 27, 28, 37, 46, 50)]
    + [f"securityhub.KMS.{n}" for n in (3, 4, 5)]
    + [f"securityhub.SecretsManager.{n}" for n in (1, 2, 4, 5)]
    + [f"securityhub.CloudWatch.{n}" for n in (15, 16, 17)]
    + [f"securityhub.Lambda.{n}" for n in (1, 2, 3, 5)]
    + ["securityhub.EC2.2", "securityhub.EC2.6"]
    + ["pci.force_ssl", "pci.pgaudit", "pci.log_retention_365", "pci.backup_retention"]
)


def _report(suffix):
    return json.loads((REPO / "outputs" / f"{suffix}-verify.json").read_text())


def _posture_passes_with_nothing_waived(suffix, stdout):
    """Issue 13's first acceptance line: every control pass or not_applicable, nothing fail, nothing waived; one
    line per control in the output; the audit checks of the data plane ran and passed."""
    report = _report(suffix)
    statuses = {c["id"]: c["status"] for c in report["controls"]}
    assert set(ISSUE_CONTROLS) <= set(statuses), sorted(set(ISSUE_CONTROLS) - set(statuses))
    assert {c: s for c, s in statuses.items() if s not in ("pass", "not_applicable")} == {}
    assert report["posture"]["waived"] == 0 and report["passed"] is True
    for control in statuses:
        assert re.search(rf"(PASS|N/A) +{re.escape(control)}  ", stdout), control
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["db.pgaudit_extension"]["passed"] and checks["db.audit_logged"]["passed"], checks


def _flow_logs_and_audit_are_real(cloud, suffix):
    """The VPC's flow log goes to its encrypted group through a role that may write there only; pgaudit is loaded
    from the parameter group and the extension exists, and its AUDIT lines are in the exported log."""
    ec2, logs, iam = cloud.client("ec2"), cloud.client("logs"), cloud.client("iam")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"payment-db-vpc-{suffix}"]}])["Vpcs"][0]
    (flow,) = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc["VpcId"]]}])["FlowLogs"]
    group = f"/aws/vpc/payment-db-flow-logs-{suffix}"
    role = iam.get_role(RoleName=f"payment-db-flow-logs-{suffix}")["Role"]
    assert flow["LogGroupName"] == group and flow["TrafficType"] == "ALL"
    assert flow["DeliverLogsPermissionArn"] == role["Arn"]
    (found,) = [g for g in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]]
    assert found["retentionInDays"] == 365 and found["kmsKeyId"].startswith("arn:aws:kms:")
    (policy,) = iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]
    document = iam.get_role_policy(RoleName=role["RoleName"], PolicyName=policy)["PolicyDocument"]
    (statement,) = document["Statement"]
    assert all(resource.split(":log-group:")[1].startswith(group) for resource in statement["Resource"])
    assert "logs:*" not in statement["Action"]

    audit = f"/aws/rds/cluster/payment-db-cluster-{suffix}/postgresql"
    events = logs.filter_log_events(logGroupName=audit, filterPattern='"AUDIT: SESSION"')["events"]
    assert any("auroradb-audit-verify-" in e["message"] for e in events), [e["message"] for e in events][-5:]
    assert {e["logStreamName"] for e in events} == {f"payment-db-cluster-{suffix}-writer"}


def _each_broken_property_fails_its_control(cloud, suffix):
    """Issue 13's third acceptance line, on the production profile: each property broken by hand (one more at each
    step, the earlier ones left broken) makes exactly its own control(s) fail; then site.yml repairs all of them
    and verify.yml passes again."""
    rds, cw, logs, ec2 = (cloud.client(s) for s in ("rds", "cloudwatch", "logs", "ec2"))
    cluster = f"payment-db-cluster-{suffix}"
    vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"payment-db-vpc-{suffix}"]}])["Vpcs"][0]
    alarm = f"payment-db-cpu-alarm-{suffix}"
    (described,) = cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"]

    def remove_alarm_actions():
        keep = ("AlarmName", "AlarmDescription", "Namespace", "MetricName", "Statistic", "Period")
        keep += ("EvaluationPeriods", "Threshold", "ComparisonOperator", "TreatMissingData")
        cw.put_metric_alarm(
            **{k: described[k] for k in keep if k in described},
            Dimensions=described["Dimensions"],
            AlarmActions=[],
            OKActions=[],
        )

    steps = [
        ("alarm actions removed", remove_alarm_actions, {"securityhub.CloudWatch.15"}),
        (
            "alarm actions disabled",
            lambda: cw.disable_alarm_actions(AlarmNames=[f"payment-db-storage-alarm-{suffix}"]),
            {"securityhub.CloudWatch.17"},
        ),
        (
            "cluster event subscription deleted",
            lambda: rds.delete_event_subscription(SubscriptionName=f"payment-db-cluster-events-{suffix}"),
            {"securityhub.RDS.19"},
        ),
        (
            "database log kept 30 days",
            lambda: logs.put_retention_policy(
                logGroupName=f"/aws/rds/cluster/{cluster}/postgresql", retentionInDays=30
            ),
            {"securityhub.CloudWatch.16", "pci.log_retention_365"},
        ),
        (
            "deletion protection off",
            lambda: rds.modify_db_cluster(DBClusterIdentifier=cluster, DeletionProtection=False, ApplyImmediately=True),
            {"securityhub.RDS.7", "cluster.deletion_protection"},
        ),
        (
            "flow log deleted",
            lambda: ec2.delete_flow_logs(
                FlowLogIds=[
                    f["FlowLogId"]
                    for f in ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc["VpcId"]]}])[
                        "FlowLogs"
                    ]
                ]
            ),
            {"securityhub.EC2.6"},
        ),
        (
            "IAM authentication off",
            lambda: rds.modify_db_cluster(
                DBClusterIdentifier=cluster, EnableIAMDatabaseAuthentication=False, ApplyImmediately=True
            ),
            {"securityhub.RDS.12"},
        ),
    ]
    failing = set()
    for what, breaker, controls in steps:
        breaker()
        failing |= controls
        verified = cloud.playbook(
            "verify.yml",
            "-e",
            f"env_suffix={suffix}",
            "-e",
            "auroradb_verify_data_plane=false",
            inventory=INVENTORY,
            check=False,
        )
        report = _report(suffix)
        assert set(report["failed_checks"]) == failing, f"{what}: {sorted(report['failed_checks'])}"
        assert verified.returncode != 0, what
    repaired = cloud.playbook("site.yml", "-e", f"env_suffix={suffix}", inventory=INVENTORY)
    assert recap(repaired.stdout, HOST)["changed"] > 0
    verified = cloud.playbook("verify.yml", "-e", f"env_suffix={suffix}", inventory=INVENTORY)
    assert recap(verified.stdout, HOST)["failed"] == 0
    assert _report(suffix)["posture"]["fail"] == 0


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
