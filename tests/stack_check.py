"""Independent boto3 check of a deployed (or torn-down) payments stack.

    python tests/stack_check.py present SUFFIX [--endpoint URL] [--region R]
    python tests/stack_check.py absent SUFFIX [...]

Prints one line per failed property and exits 1 if any failed. Used by molecule verify and the
integration tests; it reads AWS only through boto3, never through the collection's code.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

import boto3
from botocore.config import Config

REF = {
    "vpc_cidr": "10.0.0.0/16",
    "engine": "aurora-postgresql",
    "engine_version": "15.7",
    "instance_class": "db.t3.medium",
    "backup_retention": 7,
    "backup_window": "03:00-04:00",
    "cpu_threshold": 80.0,
    "storage_threshold": 10737418240.0,
}


SERVICES = ("ec2", "rds", "kms", "secretsmanager", "cloudwatch", "logs", "lambda", "iam", "ssm", "sns")


class Checker:
    def __init__(self, suffix: str, endpoint: str | None, region: str, credentials: dict | None = None):
        # A witness that gives up on a throttled read would report a healthy stack as broken (and the local cloud's
        # fault injection throttles it too): the same retry budget as the roles' modules.
        retries = Config(retries={"mode": "standard", "max_attempts": 10})
        kwargs = {"region_name": region, "config": retries, **(credentials or {})}
        if endpoint:
            kwargs["endpoint_url"] = endpoint
        self.c = {s: boto3.client(s, **kwargs) for s in SERVICES}
        self.sfx = suffix
        self.failures: list[str] = []

    def expect(self, ok: bool, what: str) -> bool:
        if not ok:
            self.failures.append(what)
        return ok

    # ---------- present ----------
    def present(self, expected: dict) -> list[str]:
        ec2, rds, kms, sm, cw = (self.c[s] for s in ("ec2", "rds", "kms", "secretsmanager", "cloudwatch"))
        sfx = self.sfx
        vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"payment-db-vpc-{sfx}"]}])["Vpcs"]
        if not self.expect(len(vpcs) == 1, f"exactly one VPC payment-db-vpc-{sfx} (found {len(vpcs)})"):
            return self.failures
        vpc = vpcs[0]
        vpc_id = self.vpc_id = vpc["VpcId"]
        tags = {t["Key"]: t["Value"] for t in vpc.get("Tags", [])}
        self.expect(vpc["CidrBlock"] == expected["vpc_cidr"], f"VPC CIDR {expected['vpc_cidr']}")
        self.expect(
            tags.get("environment") == sfx and tags.get("managed-by") == "ansible" and "project" in tags,
            f"VPC tags environment/project/managed-by (got {tags})",
        )
        for attr in ("enableDnsSupport", "enableDnsHostnames"):
            value = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=attr)
            self.expect(value[attr[0].upper() + attr[1:]]["Value"], f"VPC {attr}")
        subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
        public = [s for s in subnets if s["MapPublicIpOnLaunch"]]
        private = [s for s in subnets if not s["MapPublicIpOnLaunch"]]
        self.private_subnet_ids = [s["SubnetId"] for s in private]
        self.expect(
            len(public) == 3 and len(private) == 3, f"3 public + 3 private subnets (got {len(public)}+{len(private)})"
        )
        self.expect(len({s["AvailabilityZone"] for s in public}) == 3, "public subnets in 3 AZs")
        self.expect(len({s["AvailabilityZone"] for s in private}) == 3, "private subnets in 3 AZs")
        self.expect(all(s["CidrBlock"].endswith("/24") for s in subnets), "subnets are /24")
        igws = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])
        igw_ids = [g["InternetGatewayId"] for g in igws["InternetGateways"]]
        self.expect(len(igw_ids) == 1, "one internet gateway attached")
        nats = [
            n
            for n in ec2.describe_nat_gateways(Filter=[{"Name": "vpc-id", "Values": [vpc_id]}])["NatGateways"]
            if n["State"] in ("pending", "available")
        ]
        self.expect(len(nats) == 1, f"exactly one NAT gateway (got {len(nats)})")
        if nats:
            self.expect(nats[0]["SubnetId"] in {s["SubnetId"] for s in public}, "NAT gateway in a public subnet")
            allocation = nats[0]["NatGatewayAddresses"][0].get("AllocationId")
            if self.expect(bool(allocation), "NAT gateway has an EIP"):
                eip = ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0]
                eip_tags = {t["Key"]: t["Value"] for t in eip.get("Tags", [])}
                self.expect(eip_tags.get("environment") == sfx, f"NAT gateway's EIP tagged (got {eip_tags})")
        rtbs = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
        by_subnet = {a["SubnetId"]: rt for rt in rtbs for a in rt.get("Associations", []) if a.get("SubnetId")}
        for s in public:
            routes = by_subnet.get(s["SubnetId"], {}).get("Routes", [])
            self.expect(
                any(r.get("DestinationCidrBlock") == "0.0.0.0/0" and r.get("GatewayId") in igw_ids for r in routes),
                f"public subnet {s['CidrBlock']} routes 0.0.0.0/0 to the IGW",
            )
        for s in private:
            routes = by_subnet.get(s["SubnetId"], {}).get("Routes", [])
            self.expect(
                any(
                    r.get("DestinationCidrBlock") == "0.0.0.0/0"
                    and nats
                    and r.get("NatGatewayId") == nats[0]["NatGatewayId"]
                    for r in routes
                ),
                f"private subnet {s['CidrBlock']} routes 0.0.0.0/0 to the NAT gateway",
            )
        self.expect(len({id(rt) for rt in by_subnet.values()}) == 6, "one route table per subnet")
        sgs = {
            g["GroupName"]: g
            for g in ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]
        }
        default = sgs.get("default", {})
        self.expect(
            not default.get("IpPermissions") and not default.get("IpPermissionsEgress"),
            "default security group has no rules",
        )
        db_sg, rot_sg = sgs.get(f"payment-db-sg-{sfx}"), sgs.get(f"payment-db-rotation-sg-{sfx}")
        self.rotation_sg_id = rot_sg and rot_sg["GroupId"]
        if self.expect(db_sg is not None and rot_sg is not None, "DB and rotation security groups exist"):
            perms = db_sg["IpPermissions"]
            sources = [
                (p.get("FromPort"), p.get("ToPort"), pair["GroupId"])
                for p in perms
                for pair in p.get("UserIdGroupPairs", [])
            ]
            cidrs = [r["CidrIp"] for p in perms for r in p.get("IpRanges", [])]
            self.expect(
                sources == [(5432, 5432, rot_sg["GroupId"])] and cidrs == expected.get("db_allowed_cidrs", []),
                f"DB security group admits 5432 only from the rotation SG (got {sources} {cidrs})",
            )
            # issue 13 item 5: the database starts no connection; the rotation function reaches only the Secrets
            # Manager endpoint's group on 443 and the database's group on 5432
            self.expect(
                db_sg["IpPermissionsEgress"] == [], f"DB security group has no egress ({db_sg['IpPermissionsEgress']})"
            )
            endpoint_sg = sgs.get(f"payment-db-endpoints-sg-{sfx}", {}).get("GroupId")
            reached = sorted(
                (p.get("FromPort"), p.get("ToPort"), pair["GroupId"])
                for p in rot_sg["IpPermissionsEgress"]
                for pair in p.get("UserIdGroupPairs", [])
            )
            ranges = [r["CidrIp"] for p in rot_sg["IpPermissionsEgress"] for r in p.get("IpRanges", [])]
            self.expect(
                reached == sorted([(443, 443, endpoint_sg), (5432, 5432, db_sg["GroupId"])]) and ranges == [],
                f"rotation SG reaches only the endpoint SG on 443 and the DB SG on 5432 (got {reached} {ranges})",
            )
        # KMS
        aliases = {a["AliasName"]: a for a in kms.list_aliases()["Aliases"]}
        alias = aliases.get(f"alias/payment-db-{sfx}")
        key_arn = None
        if self.expect(alias is not None, f"KMS alias alias/payment-db-{sfx}"):
            meta = kms.describe_key(KeyId=alias["TargetKeyId"])["KeyMetadata"]
            key_arn = meta["Arn"]
            self.expect(meta["KeyState"] == "Enabled" and meta["KeyManager"] == "CUSTOMER", "CMK enabled")
            self.expect(kms.get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"], "key rotation on")
        # cluster
        cluster_id = f"payment-db-cluster-{sfx}"
        clusters = rds.describe_db_clusters(Filters=[{"Name": "db-cluster-id", "Values": [cluster_id]}])["DBClusters"]
        if self.expect(len(clusters) == 1, f"cluster {cluster_id}"):
            cl = clusters[0]
            self.expect(
                cl["Engine"] == REF["engine"] and cl["EngineVersion"] == expected["engine_version"],
                f"engine {REF['engine']} {expected['engine_version']} (got {cl['Engine']} {cl['EngineVersion']})",
            )
            self.expect(
                cl.get("StorageEncrypted") is True and cl.get("KmsKeyId") == key_arn,
                f"storage encrypted with our key (got {cl.get('KmsKeyId')})",
            )
            self.expect(cl["BackupRetentionPeriod"] == expected["backup_retention"], "backup retention")
            self.expect(cl["PreferredBackupWindow"] == REF["backup_window"], "backup window 03:00-04:00")
            self.expect(cl.get("EnabledCloudwatchLogsExports") == ["postgresql"], "postgresql log export")
            self.expect(cl["MasterUsername"] == "dbadmin", "master user dbadmin")
            self.expect(cl.get("Port") == 5432, "port 5432")
            self.expect(
                [g["VpcSecurityGroupId"] for g in cl.get("VpcSecurityGroups", [])]
                == ([db_sg["GroupId"]] if db_sg else []),
                "cluster uses the DB security group",
            )
            self.expect(cl.get("DBSubnetGroup") == f"payment-db-subnets-{sfx}", "cluster in the DB subnet group")
            pg = cl.get("DBClusterParameterGroup", "")
            # every page: a group lists its engine defaults too, more than one page holds
            pages = rds.get_paginator("describe_db_cluster_parameters").paginate(DBClusterParameterGroupName=pg)
            params = {p["ParameterName"]: p.get("ParameterValue") for page in pages for p in page["Parameters"]}
            self.expect(params.get("rds.force_ssl") == "1", f"rds.force_ssl=1 in {pg}")
            members = cl.get("DBClusterMembers", [])
            writers = [m for m in members if m["IsClusterWriter"]]
            self.expect(len(members) == 3 and len(writers) == 1, f"1 writer + 2 readers (got {len(members)} members)")
            instances = rds.describe_db_instances(Filters=[{"Name": "db-cluster-id", "Values": [cluster_id]}])
            instances = instances["DBInstances"]
            self.expect(len({i["AvailabilityZone"] for i in instances}) == 3, "instances in 3 distinct AZs")
            for inst in instances:
                name = inst["DBInstanceIdentifier"]
                self.expect(inst["DBInstanceClass"] == expected["instance_class"], f"{name} class")
                self.expect(inst.get("PubliclyAccessible") is False, f"{name} private")
                self.expect(inst.get("PerformanceInsightsEnabled") is True, f"{name} Performance Insights")
                self.expect(
                    key_arn is not None and inst.get("PerformanceInsightsKMSKeyId") == key_arn,
                    f"{name} PI encrypted with the stack key ({inst.get('PerformanceInsightsKMSKeyId')})",
                )
                self.expect(inst["DBInstanceStatus"] == "available", f"{name} available")
            # secret
            secret_name = f"payment-db-credentials-{sfx}"
            try:
                desc = sm.describe_secret(SecretId=secret_name)
            except sm.exceptions.ResourceNotFoundException:
                desc = None
            if self.expect(desc is not None, f"secret {secret_name}"):
                self.expect(
                    desc.get("KmsKeyId") in (key_arn, alias and alias["TargetKeyId"]),
                    f"secret encrypted with our key (got {desc.get('KmsKeyId')})",
                )
                value = json.loads(sm.get_secret_value(SecretId=secret_name)["SecretString"])
                self.expect(value.get("username") == "dbadmin", "secret username dbadmin")
                pw = value.get("password", "")
                self.expect(
                    len(pw) == 32 and re.fullmatch(r"[A-Za-z0-9]+", pw) is not None,
                    "secret password: 32 characters, no punctuation",
                )
                self.expect(
                    value.get("host") == cl.get("Endpoint")
                    and int(value.get("port", 0)) == cl.get("Port")
                    and value.get("engine") == "postgres"
                    and value.get("dbClusterIdentifier") == cluster_id,
                    "secret carries host/port/engine/dbClusterIdentifier of the cluster",
                )
            self.rotation(desc, secret_name, key_arn)
        self.secrets_manager_endpoint()
        # alarms
        alarms = {
            a["AlarmName"]: a
            for a in cw.describe_alarms(AlarmNames=[f"payment-db-cpu-alarm-{sfx}", f"payment-db-storage-alarm-{sfx}"])[
                "MetricAlarms"
            ]
        }
        for name, metric, op, threshold in (
            (f"payment-db-cpu-alarm-{sfx}", "CPUUtilization", "GreaterThanThreshold", REF["cpu_threshold"]),
            (f"payment-db-storage-alarm-{sfx}", "FreeLocalStorage", "LessThanThreshold", REF["storage_threshold"]),
        ):
            alarm = alarms.get(name)
            if self.expect(alarm is not None, f"alarm {name}"):
                dims = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
                self.expect(
                    (
                        alarm["Namespace"],
                        alarm["MetricName"],
                        alarm["ComparisonOperator"],
                        alarm["Threshold"],
                        alarm["Period"],
                        alarm["EvaluationPeriods"],
                        alarm.get("Statistic"),
                    )
                    == ("AWS/RDS", metric, op, threshold, 300, 2, "Average"),
                    f"alarm {name} properties",
                )
                self.expect(dims == {"DBClusterIdentifier": cluster_id}, f"alarm {name} dimension")
                tags = {t["Key"]: t["Value"] for t in cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]}
                self.expect(
                    tags.get("environment") == sfx and tags.get("managed-by") == "ansible", f"alarm {name} tags"
                )
        return self.failures

    def rotation(self, desc: dict | None, secret_name: str, key_arn: str | None) -> None:
        """The rotation function, its role, permission, log group, schedule and the secret's resource policy."""
        lam, iam, logs, sm = (self.c[s] for s in ("lambda", "iam", "logs", "secretsmanager"))
        sfx, name = self.sfx, f"payment-db-rotation-{self.sfx}"
        if desc is None:
            return
        rules = desc.get("RotationRules", {})
        self.expect(
            desc.get("RotationEnabled") is True
            and (rules.get("ScheduleExpression") == "rate(30 days)" or rules.get("AutomaticallyAfterDays") == 30),
            f"secret rotation enabled every 30 days (got {desc.get('RotationEnabled')} {rules})",
        )
        try:
            fn = lam.get_function(FunctionName=name)["Configuration"]
        except lam.exceptions.ResourceNotFoundException:
            fn = None
        if self.expect(fn is not None, f"rotation function {name}"):
            self.expect(
                desc.get("RotationLambdaARN", "").split(":")[:7] == fn["FunctionArn"].split(":")[:7],
                "rotation uses our function",
            )
            vpc = fn.get("VpcConfig", {})
            self.expect(
                sorted(vpc.get("SubnetIds", [])) == sorted(self.private_subnet_ids)
                and vpc.get("SecurityGroupIds") == [self.rotation_sg_id],
                "rotation function in the private subnets with the rotation security group",
            )
            self.expect(fn["Handler"] == "postgres_single_user.lambda_handler", "rotation function handler")
            policy = json.loads(lam.get_policy(FunctionName=name)["Policy"])
            self.expect(
                any(
                    st.get("Principal", {}).get("Service") == "secretsmanager.amazonaws.com"
                    and st.get("Condition", {}).get("ArnLike", {}).get("AWS:SourceArn") == desc["ARN"]
                    for st in policy["Statement"]
                ),
                "invoke permission for Secrets Manager limited to this secret",
            )
        role = iam.get_role(RoleName=name)["Role"]
        trust = role["AssumeRolePolicyDocument"]
        trust = json.loads(trust) if isinstance(trust, str) else trust
        self.expect(
            [st["Principal"] for st in trust["Statement"]] == [{"Service": "lambda.amazonaws.com"}],
            "rotation role assumed by Lambda only",
        )
        self.expect(iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"] == [], "no managed policies")
        inline = iam.list_role_policies(RoleName=name)["PolicyNames"]
        if self.expect(len(inline) == 1, f"one inline policy (got {inline})"):
            doc = iam.get_role_policy(RoleName=name, PolicyName=inline[0])["PolicyDocument"]
            doc = json.loads(doc) if isinstance(doc, str) else doc
            resources = {st["Sid"]: st["Resource"] for st in doc["Statement"]}
            self.expect(resources.get("ThisSecretOnly") == desc["ARN"], "role: secret actions on this secret only")
            self.expect(resources.get("ThisKeyThroughSecretsManager") == key_arn, "role: this key only")
        groups = logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{name}")["logGroups"]
        self.expect([g.get("retentionInDays") for g in groups] == [90], "rotation log group, 90 days retention")
        policy = json.loads(sm.get_resource_policy(SecretId=secret_name).get("ResourcePolicy") or "{}")
        statements = policy.get("Statement", [])
        statements = statements if isinstance(statements, list) else [statements]
        self.expect(
            [(st.get("Effect"), st.get("Action")) for st in statements] == [("Deny", "secretsmanager:DeleteSecret")],
            f"secret resource policy denies DeleteSecret (reference row 37, {sfx})",
        )

    def secrets_manager_endpoint(self) -> None:
        ec2 = self.c["ec2"]
        endpoints = ec2.describe_vpc_endpoints(
            Filters=[
                {"Name": "vpc-id", "Values": [self.vpc_id]},
                {"Name": "vpc-endpoint-type", "Values": ["Interface"]},
            ]
        )["VpcEndpoints"]
        ours = [e for e in endpoints if e["ServiceName"].endswith(".secretsmanager")]
        if self.expect(len(ours) == 1, "one Secrets Manager VPC interface endpoint"):
            self.expect(sorted(ours[0]["SubnetIds"]) == sorted(self.private_subnet_ids), "endpoint in private subnets")

    # ---------- absent ----------
    def absent(self, recoverable: bool = False) -> list[str]:
        """What is left of the environment. ``recoverable`` (a protected environment's teardown): a secret scheduled
        for deletion (its recovery window) is gone, as a key pending deletion always is."""
        ec2, rds, kms, sm, cw, logs = (self.c[s] for s in ("ec2", "rds", "kms", "secretsmanager", "cloudwatch", "logs"))
        sfx = self.sfx
        left = []
        if ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"payment-db-vpc-{sfx}"]}])["Vpcs"]:
            left.append("VPC")
        tagged = ec2.describe_tags(
            Filters=[{"Name": "key", "Values": ["environment"]}, {"Name": "value", "Values": [sfx]}]
        )["Tags"]
        live = []
        for t in tagged:
            if t["ResourceType"] == "natgateway":
                nat = ec2.describe_nat_gateways(NatGatewayIds=[t["ResourceId"]])["NatGateways"]
                if nat and nat[0]["State"] in ("deleted", "deleting"):
                    continue
            live.append(f"{t['ResourceType']} {t['ResourceId']}")
        left += sorted(set(live))
        addresses = [
            a
            for a in ec2.describe_addresses()["Addresses"]
            if any(t["Key"] == "environment" and t["Value"] == sfx for t in a.get("Tags", []))
        ]
        left += [f"EIP {a['AllocationId']}" for a in addresses]
        cluster_id = f"payment-db-cluster-{sfx}"
        if rds.describe_db_clusters(Filters=[{"Name": "db-cluster-id", "Values": [cluster_id]}])["DBClusters"]:
            left.append("cluster")
        left += [
            f"instance {i['DBInstanceIdentifier']}"
            for i in rds.describe_db_instances()["DBInstances"]
            if i["DBInstanceIdentifier"].startswith(cluster_id)
        ]
        left += [
            f"cluster snapshot {s['DBClusterSnapshotIdentifier']}"
            for s in rds.describe_db_cluster_snapshots(DBClusterIdentifier=cluster_id)["DBClusterSnapshots"]
        ]
        left += [
            f"subnet group {g['DBSubnetGroupName']}"
            for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]
            if g["DBSubnetGroupName"] == f"payment-db-subnets-{sfx}"
        ]
        left += [
            f"parameter group {g['DBClusterParameterGroupName']}"
            for g in rds.describe_db_cluster_parameter_groups()["DBClusterParameterGroups"]
            if g["DBClusterParameterGroupName"] == f"payment-db-params-{sfx}"
        ]
        if any(a["AliasName"] == f"alias/payment-db-{sfx}" for a in kms.list_aliases()["Aliases"]):
            left.append("KMS alias")
        for key in kms.list_keys()["Keys"]:
            meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
            if meta.get("Description", "").endswith(f"- {sfx}") and meta["KeyState"] != "PendingDeletion":
                left.append(f"KMS key {meta['KeyId']} ({meta['KeyState']})")
        try:
            secret = sm.describe_secret(SecretId=f"payment-db-credentials-{sfx}")
            if not (recoverable and secret.get("DeletedDate")):
                left.append("secret")
        except sm.exceptions.ResourceNotFoundException:
            pass
        left += [
            f"alarm {a['AlarmName']}"
            for a in cw.describe_alarms(AlarmNamePrefix="payment-db-")["MetricAlarms"]
            if a["AlarmName"].endswith(f"-alarm-{sfx}") or a["AlarmName"].startswith(f"{cluster_id}-")
        ]
        left += [
            f"dashboard {d['DashboardName']}"
            for d in cw.list_dashboards()["DashboardEntries"]
            if d["DashboardName"] == f"payment-db-{sfx}"
        ]
        groups = logs.describe_log_groups(logGroupNamePrefix=f"/aws/rds/cluster/{cluster_id}/")["logGroups"]
        groups += logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/payment-db-rotation-{sfx}")["logGroups"]
        groups += logs.describe_log_groups(logGroupNamePrefix=f"/aws/vpc/payment-db-flow-logs-{sfx}")["logGroups"]
        left += [f"log group {g['logGroupName']}" for g in groups]
        lam, iam = self.c["lambda"], self.c["iam"]
        if any(f["FunctionName"] == f"payment-db-rotation-{sfx}" for f in lam.list_functions()["Functions"]):
            left.append("rotation function")
        roles = [r["RoleName"] for r in iam.list_roles()["Roles"]]
        if f"payment-db-rotation-{sfx}" in roles:
            left.append("rotation role")
        if f"payment-db-monitoring-{sfx}" in roles:
            left.append("enhanced monitoring role")
        if f"payment-db-flow-logs-{sfx}" in roles:
            left.append("flow log delivery role")
        sns = self.c["sns"]
        left += [
            f"SNS topic {t['TopicArn']}"
            for t in sns.list_topics()["Topics"]
            if t["TopicArn"].rsplit(":", 1)[-1] == f"payment-db-alerts-{sfx}"
        ]
        left += [
            f"event subscription {s['CustSubscriptionId']}"
            for s in rds.describe_event_subscriptions()["EventSubscriptionsList"]
            if s["CustSubscriptionId"].startswith("payment-db-") and s["CustSubscriptionId"].endswith(f"-events-{sfx}")
        ]
        # The run lock: teardown releases (deletes) it at the end, like every other run.
        ssm = self.c["ssm"]
        lock = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [f"/payments-auroradb/{sfx}/lock"]}])
        left += [f"run lock {p['Name']}" for p in lock["Parameters"]]
        return [f"left behind: {item}" for item in left]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["present", "absent"])
    parser.add_argument("suffix")
    parser.add_argument("--endpoint", default=os.environ.get("AWS_URL") or os.environ.get("AWS_ENDPOINT_URL"))
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    parser.add_argument("--expect", default="{}", help="JSON overrides of the expected reference values")
    parser.add_argument(
        "--recoverable",
        action="store_true",
        help="absent: a secret scheduled for deletion counts as gone",
    )
    args = parser.parse_args(argv)
    checker = Checker(args.suffix, args.endpoint, args.region)
    expected = {**REF, **json.loads(args.expect)}
    failures = checker.present(expected) if args.mode == "present" else checker.absent(args.recoverable)
    for failure in failures:
        print(f"FAIL {failure}")
    print(f"{args.mode} check of suffix {args.suffix}: {'ok' if not failures else f'{len(failures)} failed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
