"""The moto monkey-patches; each names the gap it closes (see :mod:`localcloud.gaps`). Keep this list short.

Everything else is an after-action hook in ``hooks/`` working on moto's backend objects; a patch is
used only where the gap sits inside moto's request handling and no hook can reach it. Every function that
changes moto itself (a setting, a class attribute, a module table) carries :func:`patch`, wherever it lives
(``hooks/parameter_status`` and ``hooks/dataplane`` replace model properties); ``tests/test_gaps.py`` checks
that none is missing and that each is in the gap registry.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable

PATCHES: list[Callable[[], None]] = []


def patch(fn: Callable[[], None]) -> Callable[[], None]:
    """Mark ``fn`` as a moto patch (listed in :data:`PATCHES`); this module's patches run in :func:`apply`."""
    PATCHES.append(fn)
    return fn


def apply() -> None:
    for fn in list(PATCHES):
        if fn.__module__ == __name__:
            fn()


@patch
def _aws_managed_iam_policies() -> None:
    # Gap 1 (IAM): AWS-managed policies (e.g. AWSLambdaBasicExecutionRole) exist on AWS; moto loads them only
    # when this setting is on as its IAM backend is created (after start-up, at the first IAM request).
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")


@patch
def _lambda_without_docker() -> None:
    # Gap 2 (Lambda): moto invokes functions in Docker by default; there is no Docker engine here, and
    # the setting must be in place before any function exists, so set it at start-up.
    from moto.core.config import default_user_config

    default_user_config["lambda"]["use_docker"] = False


@patch
def _nat_gateway_tag_resource_type() -> None:
    # Gap 7 (EC2): moto files NAT gateway tags under resource type "nat-gateway"; AWS uses "natgateway",
    # and ec2_vpc_nat_gateway filters DescribeTags on it, so it saw no tags and re-tagged every run.
    from moto.ec2 import utils

    utils.EC2_PREFIX_TO_RESOURCE["nat"] = "natgateway"


def wrap(cls: type, name: str, around: Callable) -> None:
    """Make ``cls.name(self, ...)`` call ``around(original, self, ...)``, once (patching again changes nothing)."""
    original = getattr(cls, name)
    if getattr(original, "_localcloud_patched", False):
        return

    @functools.wraps(original)
    def wrapper(self, *args, **kwargs):
        return around(original, self, *args, **kwargs)

    wrapper._localcloud_patched = True
    setattr(cls, name, wrapper)


# KmsBackend methods that index the key table with the KeyId as given; every other KMS action of this stack
# resolves a key ARN itself (the gap-8 test sends each of them a key ARN, on plain moto too).
_KMS_RAW_KEY_ID_METHODS = ("schedule_key_deletion", "cancel_key_deletion", "disable_key", "enable_key")


@patch
def _kms_accepts_key_arn() -> None:
    # Gap 8 (KMS): ScheduleKeyDeletion/CancelKeyDeletion/DisableKey/EnableKey index the key table with the raw
    # KeyId, so a key ARN (what kms_key always sends) raised KeyError -> HTTP 500. AWS accepts a key ID or ARN.
    from moto.kms.models import KmsBackend

    def resolve_arn(original, self, key_id, *args, **kwargs):
        return original(self, KmsBackend.get_key_id(key_id), *args, **kwargs)

    for name in _KMS_RAW_KEY_ID_METHODS:
        wrap(KmsBackend, name, resolve_arn)


@patch
def _kms_aws_managed_keys() -> None:
    # Gap 18 (KMS): the keys behind alias/aws/* (created on first use, as AWS does) are AWS managed keys:
    # KeyManager AWS, rotated every year by AWS. moto made them customer managed keys without rotation.
    from moto.kms.models import KmsBackend

    def aws_managed(original, self, alias_name):
        key_id = original(self, alias_name)
        if key_id is not None:
            self.keys[key_id].key_manager = "AWS"
            self.keys[key_id].key_rotation_status = True
        return key_id

    wrap(KmsBackend, "_generate_default_keys", aws_managed)


@patch
def _kms_rotation_off_while_pending_deletion() -> None:
    # Gap foreign-1 (KMS): AWS's GetKeyRotationStatus answers KeyRotationEnabled false while the key is pending
    # deletion, and the original status again once the deletion is cancelled (API reference, GetKeyRotationStatus:
    # "Pending deletion: While a KMS key is pending deletion, its key rotation status is false"). moto kept
    # answering the stored status. Found by amazon.aws's kms_key integration target (docs/foreign-suite.md).
    from moto.kms.models import KmsBackend

    def pending_is_off(original, self, key_id):
        enabled = original(self, key_id)
        return False if self.keys[self.get_key_id(key_id)].key_state == "PendingDeletion" else enabled

    wrap(KmsBackend, "get_key_rotation_status", pending_is_off)


@patch
def _rds_modify_subnet_group_keeps_it() -> None:
    # Gap 19 (RDS): moto's ModifyDBSubnetGroup pops the group from its table and never puts it back, so the
    # group vanished (DescribeDBSubnetGroups: DBSubnetGroupNotFoundFault), and an unknown name was a KeyError
    # (HTTP 500). AWS keeps the group (same name, tags) with the new description and subnets, and refuses
    # subnets in fewer than two AZs, as it does on create.
    from moto.rds.exceptions import DBSubnetGroupNotFoundError, RDSClientError
    from moto.rds.models import RDSBackend

    def keep(original, self, subnet_name, description, subnets):
        if subnet_name not in self.subnet_groups:
            raise DBSubnetGroupNotFoundError(subnet_name)
        azs = sorted({subnet.availability_zone for subnet in subnets})
        if len(azs) < 2:
            raise RDSClientError(
                "DBSubnetGroupDoesNotCoverEnoughAZs",
                "The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. "
                f"Current AZ coverage: {', '.join(azs)}. Add subnets to cover at least 2 AZs.",
            )
        group = original(self, subnet_name, description, subnets)
        group.vpc_id = subnets[0].vpc_id
        self.subnet_groups[group.name] = group  # moto popped it
        return group

    wrap(RDSBackend, "modify_db_subnet_group", keep)


@patch
def _rds_managed_secret_kept() -> None:
    # Gap 39 (RDS): ModifyDBCluster ManageMasterUserPassword=True on a cluster whose master password RDS already
    # manages made moto create a second secret (new ARN, the default key) and forget the first, which stayed behind
    # in Secrets Manager for good. AWS's answer to that request is not documented; the RDS API reference says the key
    # of a secret RDS already manages can't be changed (ModifyDBCluster, MasterUserSecretKmsKeyId), so here the
    # request changes nothing: the cluster keeps its secret, key and password (idempotent).
    from moto.rds.models import RDSBackend

    def keep(original, self, kwargs):
        cluster = self.clusters.get(kwargs.get("db_cluster_identifier"))
        if kwargs.get("manage_master_user_password") and getattr(cluster, "master_user_secret", None) is not None:
            kwargs = {
                k: v
                for k, v in kwargs.items()
                if k not in ("manage_master_user_password", "master_user_secret_kms_key_id")
            }
        return original(self, kwargs)

    wrap(RDSBackend, "modify_db_cluster", keep)


@patch
def _restored_cluster_password_not_managed() -> None:
    # Gap 41b (RDS): moto's RestoreDBClusterToPointInTime / RestoreDBClusterFromSnapshot copy the source's settings,
    # ManageMasterUserPassword and the source's MasterUserSecretKmsKeyId included, so a restore of a cluster whose
    # password RDS manages got a managed secret of its own, encrypted with the *source's* key. Neither restore takes
    # ManageMasterUserPassword on AWS (RDS manages a password only from CreateDBCluster, ModifyDBCluster or a restore
    # from S3): the restored cluster's password is the one in its data, until ModifyDBCluster hands it to RDS.
    from moto.rds.models import RDSBackend

    def unmanaged(original, self, *args, **kwargs):
        cluster = original(self, *args, **kwargs)
        if getattr(cluster, "master_user_secret", None) is not None:
            cluster.master_user_secret.delete_secret()
            del cluster.master_user_secret
        if hasattr(cluster, "manage_master_user_password"):
            cluster.manage_master_user_password = False
        return cluster

    wrap(RDSBackend, "restore_db_cluster_to_point_in_time", unmanaged)
    wrap(RDSBackend, "restore_db_cluster_from_snapshot", unmanaged)


@patch
def _lambda_vpc_id_of_its_subnets() -> None:
    # Gap 38 (Lambda): moto answered every function's VpcConfig.VpcId with a fixed "vpc-123abc"; AWS answers the VPC
    # of the function's subnets (a check that the rotation function runs in the stack's VPC read a VPC that does not
    # exist).
    from moto.awslambda.models import LambdaFunction
    from moto.ec2.models import ec2_backends

    def real_vpc(self):
        config = LambdaFunction._localcloud_vpc_config(self)
        if not config or not config.get("SubnetIds"):
            return config
        subnets = ec2_backends[self.account_id][self.region].subnets
        for zone_subnets in subnets.values():
            subnet = zone_subnets.get(config["SubnetIds"][0])
            if subnet is not None:
                return {**config, "VpcId": subnet.vpc_id}
        return config

    LambdaFunction._localcloud_vpc_config = LambdaFunction.vpc_config.fget
    LambdaFunction.vpc_config = property(real_vpc)


@patch
def _secret_last_accessed_date() -> None:
    # Gap 20b (Secrets Manager): moto always answered LastAccessedDate null (boto3: absent); AWS returns the
    # day of the last GetSecretValue (midnight UTC), which hooks.compat:remember_secret_access records.
    from moto.secretsmanager.models import FakeSecret

    def with_last_access(original, self):
        data = original(self)
        data["LastAccessedDate"] = getattr(self, "localcloud_last_accessed_date", None)
        return data

    wrap(FakeSecret, "to_dict", with_last_access)


@patch
def _ec2_default_dhcp_options() -> None:
    # Gap 21 (EC2): every VPC (the default VPC too) gets the region's default DHCP options set, which
    # DescribeDhcpOptions lists (domain-name-servers AmazonProvidedDNS); moto answered DhcpOptionsId "default"
    # and listed no set. DeleteVpc leaves the VPC's DHCP options set in place, as on AWS (moto deleted it).
    from moto.ec2.models import EC2Backend

    def default_options(backend):
        options = backend.dhcp_options_sets.get(getattr(backend, "localcloud_default_dhcp_options_id", ""))
        if options is None:
            region = backend.region_name
            domain = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
            options = backend.create_dhcp_options(domain_name_servers=["AmazonProvidedDNS"], domain_name=[domain])
            backend.localcloud_default_dhcp_options_id = options.id
        return options

    def with_default_options(original, self, *args, **kwargs):
        vpc = original(self, *args, **kwargs)
        if vpc.dhcp_options is None:
            self.associate_dhcp_options(default_options(self), vpc)
        return vpc

    def keep_options(original, self, vpc_id):
        vpc = self.vpcs.get(vpc_id)
        options = vpc.dhcp_options if vpc is not None else None
        if vpc is not None:
            vpc.dhcp_options = None  # moto would delete the set with the VPC
        try:
            deleted = original(self, vpc_id)
        except Exception:
            if vpc is not None:
                vpc.dhcp_options = options
            raise
        if options is not None and options.vpc is vpc:  # moto records one VPC per set: pick another user
            options.vpc = next((v for v in self.vpcs.values() if v.dhcp_options is options), None)
        return deleted

    wrap(EC2Backend, "create_vpc", with_default_options)
    wrap(EC2Backend, "delete_vpc", keep_options)


_SSM_PUT_LOCK = threading.Lock()


@patch
def _ssm_put_parameter_atomic() -> None:
    # Gap ssm-1 (SSM): PutParameter with Overwrite=false is AWS's atomic create (of two callers exactly one creates
    # the parameter, the other gets ParameterAlreadyExists): the run lock relies on it. moto reads the parameter's
    # versions, then appends the new one without a lock, so two requests served at once by the threaded server could
    # both "create" it. Serialise PutParameter.
    from moto.ssm.models import SimpleSystemManagerBackend

    def one_at_a_time(original, self, *args, **kwargs):
        with _SSM_PUT_LOCK:
            return original(self, *args, **kwargs)

    wrap(SimpleSystemManagerBackend, "put_parameter", one_at_a_time)
