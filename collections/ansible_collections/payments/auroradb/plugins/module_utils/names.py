# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What the stack is called and where its parts go: resource names, tags, export names, and the stack plan.

Pure computation: no AWS call, no Ansible import. ``derive_names()`` computes every resource name from the
environment suffix, ``resource_tags()`` the tags every taggable resource carries, ``export_names()`` the names
the outputs are exported under, ``instances()`` the DB instances (writer first) with their availability zone and
promotion tier, and ``build_plan()`` assembles the parts of the stack plan that the given settings answer
(the ``auroradb_plan`` fact that preflight publishes and each role's validation extends).
"""

from __future__ import annotations

from ansible_collections.payments.auroradb.plugins.module_utils import restore

MAX_READER_COUNT = 15
DEFAULT_TAGS = {"project": "payments-auroradb", "managed-by": "ansible"}  # plus environment: <suffix>
AZ_LETTERS = ("a", "b", "c")
WRITER_PROMOTION_TIER = 0
READER_PROMOTION_TIER = 2

# Every name derived from the suffix: (key in derive_names(), template, AWS length limit, what it is).
# DB instance names come from INSTANCE_TEMPLATE, one per instance (writer, reader1..readerN).
SFX = "{sfx}"
NAME_TEMPLATES = (
    ("vpc", "payment-db-vpc-{sfx}", 256, "VPC Name tag value"),
    ("cluster", "payment-db-cluster-{sfx}", 63, "DB cluster identifier"),
    ("secret", "payment-db-credentials-{sfx}", 512, "Secrets Manager secret name"),
    ("cpu_alarm", "payment-db-cpu-alarm-{sfx}", 255, "CloudWatch alarm name"),
    ("storage_alarm", "payment-db-storage-alarm-{sfx}", 255, "CloudWatch alarm name"),
    ("replica_lag_alarm", "payment-db-replica-lag-alarm-{sfx}", 255, "CloudWatch alarm name"),
    ("deadlocks_alarm", "payment-db-deadlocks-alarm-{sfx}", 255, "CloudWatch alarm name"),
    ("dashboard", "payment-db-{sfx}", 255, "CloudWatch dashboard name"),
    ("kms_alias", "alias/payment-db-{sfx}", 256, "KMS alias name"),
    ("subnet_group", "payment-db-subnets-{sfx}", 255, "DB subnet group name"),
    ("db_security_group", "payment-db-sg-{sfx}", 255, "security group name"),
    ("rotation_security_group", "payment-db-rotation-sg-{sfx}", 255, "security group name"),
    ("endpoint_security_group", "payment-db-endpoints-sg-{sfx}", 255, "security group name"),
    ("rotation_function", "payment-db-rotation-{sfx}", 64, "Lambda function name"),
    ("rotation_log_group", "/aws/lambda/payment-db-rotation-{sfx}", 512, "CloudWatch Logs group name"),
    ("rotation_role", "payment-db-rotation-{sfx}", 64, "IAM role name"),
    ("parameter_group", "payment-db-params-{sfx}", 255, "DB cluster parameter group name"),
    ("lock_parameter", "/payments-auroradb/{sfx}/lock", 2048, "SSM parameter name (the run lock)"),
    ("monitoring_role", "payment-db-monitoring-{sfx}", 64, "IAM role name (enhanced monitoring)"),
    ("alerts_topic", "payment-db-alerts-{sfx}", 256, "SNS topic name"),
    ("flow_log_group", "/aws/vpc/payment-db-flow-logs-{sfx}", 512, "CloudWatch Logs group name"),
    ("flow_log_role", "payment-db-flow-logs-{sfx}", 64, "IAM role name (VPC flow log delivery)"),
    ("cluster_events", "payment-db-cluster-events-{sfx}", 255, "RDS event subscription name"),
    ("instance_events", "payment-db-instance-events-{sfx}", 255, "RDS event subscription name"),
    ("parameter_group_events", "payment-db-parameter-group-events-{sfx}", 255, "RDS event subscription name"),
    ("security_group_events", "payment-db-security-group-events-{sfx}", 255, "RDS event subscription name"),
    # the teardown's final snapshot is payment-db-final-<sfx>-<UTC timestamp, 14 digits>
    ("final_snapshot_prefix", "payment-db-final-{sfx}", 255 - 15, "DB cluster snapshot identifier prefix"),
)
INSTANCE_TEMPLATE = "payment-db-cluster-{sfx}-{role}"
INSTANCE_LIMIT = 63
# The reference's CfnOutput export names (output key -> template).
EXPORT_TEMPLATES = (
    ("ClusterEndpoint", "payment-db-cluster-endpoint-{sfx}"),
    ("ClusterReaderEndpoint", "payment-db-reader-endpoint-{sfx}"),
    ("SecretArn", "payment-db-secret-arn-{sfx}"),
)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def reader_count_for_names(reader_count):
    """The reader count names are derived for: the given one when valid, else none (the writer's name only).

    The count itself is the aurora role's (``auroradb_aurora_reader_count``); until its validation has run (or
    when the count is invalid, which that validation reports) only the writer is named.
    """
    if _is_int(reader_count) and 0 <= reader_count <= MAX_READER_COUNT:
        return reader_count
    return 0


def instance_roles(reader_count=None):
    """writer, reader1..readerN."""
    return ["writer"] + [f"reader{n}" for n in range(1, reader_count_for_names(reader_count) + 1)]


def name_rules(reader_count=None):
    """Every (template, limit, what) a suffix goes into, DB instances included."""
    rules = [(template, limit, what) for _key, template, limit, what in NAME_TEMPLATES]
    rules.extend(
        (INSTANCE_TEMPLATE.replace("{role}", role), INSTANCE_LIMIT, "DB instance identifier")
        for role in instance_roles(reader_count)
    )
    return rules


def max_env_suffix_length(reader_count=None):
    """Longest suffix every derived name can take: (length, binding template, its limit, what it names).

    With 2 readers the binding name is the DB instance identifier ``payment-db-cluster-<sfx>-reader2``
    (63 characters at most), which leaves 36 characters for the suffix.
    """
    best = None
    for template, limit, what in name_rules(reader_count):
        room = limit - (len(template) - len(SFX))
        if best is None or room <= best[0]:  # on a tie, name the later (longer-looking) template
            best = (room, template.replace(SFX, "<sfx>"), limit, what)
    return best


def derive_names(env_suffix, reader_count=None):
    """Every resource name derived from the environment suffix (docs/design-contract.md)."""
    names = {key: template.replace(SFX, env_suffix) for key, template, _limit, _what in NAME_TEMPLATES}
    instance = INSTANCE_TEMPLATE.replace(SFX, env_suffix)
    ids = [instance.replace("{role}", role) for role in instance_roles(reader_count)]
    names["writer_instance"] = ids[0]
    names["reader_instances"] = ids[1:]
    return names


def export_names(env_suffix):
    """Output key -> the name it is exported under."""
    return {key: template.replace(SFX, env_suffix) for key, template in EXPORT_TEMPLATES}


def resource_tags(env_suffix=None, tags=None):
    """Tags of every taggable resource: environment/project/managed-by, then the extra tags on top."""
    merged = {}
    if env_suffix is not None:
        merged["environment"] = env_suffix
    merged.update(DEFAULT_TAGS)
    merged.update(tags or {})
    return merged


def availability_zones(region, zones=None):
    """The stack's zones: the given ones, or the region's a, b and c."""
    if zones:
        return list(zones)
    return [f"{region}{letter}" for letter in AZ_LETTERS]


def instances(env_suffix, zones, reader_count=None):
    """The DB instances, writer first (the first instance created in a cluster becomes its writer).

    The writer goes to the first zone, the readers round-robin over the others (all in the first zone when
    there is only one); readers get promotion tier 2, the writer 0.
    """
    names = derive_names(env_suffix, reader_count)
    others = list(zones[1:]) or list(zones[:1])
    result = [
        {
            "id": names["writer_instance"],
            "role": "writer",
            "availability_zone": zones[0],
            "promotion_tier": WRITER_PROMOTION_TIER,
        }
    ]
    for index, identifier in enumerate(names["reader_instances"]):
        result.append(
            {
                "id": identifier,
                "role": "reader",
                "availability_zone": others[index % len(others)],
                "promotion_tier": READER_PROMOTION_TIER,
            }
        )
    return result


def connection(region=None, endpoint_url=None, profile=None):
    """Connection settings for module_defaults and lookups, without credentials; unset values left out."""
    settings = {"region": region, "endpoint_url": endpoint_url, "profile": profile}
    return {key: value for key, value in settings.items() if value}


def build_plan(settings):
    """The parts of the stack plan that these settings answer (keys of validate_inputs; None = not given).

    * env_suffix: names (instances for reader_count), tags (with the extra tags), export names, env_suffix
    * region: region and connection (with endpoint_url and profile); availability_zones (given or derived)
    * db_port: db_port
    * protected: protected (a teardown then disables deletion protection and takes a final snapshot)
    * env_suffix with reader_count: instances, with their zones (availability_zones, else the region's)
    * restore_source (restore.yml): restore, the source cluster and the time or snapshot
    """
    plan = {}
    suffix = settings.get("env_suffix")
    region = settings.get("region")
    reader_count = settings.get("reader_count")
    given_zones = settings.get("availability_zones")
    if suffix is not None:
        plan["env_suffix"] = suffix
        plan["names"] = derive_names(suffix, reader_count_for_names(reader_count))
        plan["tags"] = resource_tags(suffix, settings.get("tags"))
        plan["exports"] = export_names(suffix)
    if region is not None:
        plan["region"] = region
        plan["connection"] = connection(region, settings.get("endpoint_url"), settings.get("profile"))
    if given_zones or region is not None:
        plan["availability_zones"] = availability_zones(region, given_zones)
    if settings.get("db_port") is not None:
        plan["db_port"] = settings["db_port"]
    if settings.get("protected") is not None:
        plan["protected"] = bool(settings["protected"])
    if suffix is not None and reader_count is not None and plan.get("availability_zones"):
        plan["instances"] = instances(suffix, plan["availability_zones"], reader_count)
    if settings.get("restore_source"):
        plan["restore"] = restore_plan(settings)
    return plan


def restore_plan(settings):
    """playbooks/restore.yml: the source environment's cluster and what of it is restored (settings validated)."""
    restore_time = str(settings.get("restore_time") or "")
    snapshot = settings.get("restore_snapshot") or ""
    restore_type = settings.get("restore_type") or "full-copy"
    return {
        "source_cluster": derive_names(settings["restore_source"])["cluster"],
        "time": restore_time,
        "snapshot": snapshot,
        "type": restore_type,
        "kind": restore.restore_kind(restore_time, snapshot, restore_type),
    }


def principal_arn(caller_arn: str) -> str:
    """The IAM principal a key policy names for a caller (GetCallerIdentity's ARN): an assumed role's session ARN
    ``arn:aws:sts::123456789012:assumed-role/Deployer/session`` becomes the role ``arn:aws:iam::123456789012:role/
    Deployer``; users and the account root stay as they are."""
    parts = caller_arn.split(":", 5)
    if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("assumed-role/"):
        role = parts[5].split("/")[1]
        return f"arn:{parts[1]}:iam::{parts[4]}:role/{role}"
    return caller_arn
