# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""payments.auroradb.aurora_master_user_secret with a stubbed RDS client: hand the password to RDS with the stack's
key, keep a managed cluster as it is, warn on a key RDS cannot change, take it back with a password, check mode
sending nothing; no AWS."""

import pytest

from ansible_collections.payments.auroradb.plugins.module_utils import rds
from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError
from ansible_collections.payments.auroradb.plugins.modules import aurora_master_user_secret as mod

CLUSTER = "payment-db-cluster-prod"
KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
OTHER_KEY = "arn:aws:kms:us-east-1:123456789012:key/99999999-2222-3333-4444-555555555555"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-abc-123456"


class FakeModule:
    def __init__(self, check_mode=False, diff=False, **params):
        self.check_mode, self._diff, self.warnings = check_mode, diff, []
        self.params = {
            "cluster_identifier": CLUSTER,
            "managed": True,
            "kms_key_id": KEY,
            "master_user_password": None,
            "reset_password": False,
            **params,
        }

    def warn(self, message):
        self.warnings.append(message)


def described(stub, secret=None):
    cluster = {"DBClusterIdentifier": CLUSTER, "Status": "available"}
    if secret:
        cluster["MasterUserSecret"] = secret
    stub.add_response("describe_db_clusters", {"DBClusters": [cluster]}, {"DBClusterIdentifier": CLUSTER})


def managed_secret(key=KEY, status="active"):
    return {"SecretArn": SECRET, "SecretStatus": status, "KmsKeyId": key}


def test_password_is_handed_to_rds_with_the_stack_key(aws):
    client, stub = aws("rds")
    described(stub)
    stub.add_response(
        "modify_db_cluster",
        {"DBCluster": {"DBClusterIdentifier": CLUSTER, "MasterUserSecret": managed_secret(status="creating")}},
        {
            "DBClusterIdentifier": CLUSTER,
            "ApplyImmediately": True,
            "ManageMasterUserPassword": True,
            "MasterUserSecretKmsKeyId": KEY,
        },
    )
    result = mod.ensure(FakeModule(diff=True), client)
    assert result["changed"] and result["secret_arn"] == SECRET and result["secret_status"] == "creating"
    assert result["diff"] == {
        "before": {"managed": False, "kms_key_id": ""},
        "after": {"managed": True, "kms_key_id": KEY},
    }


def test_managed_cluster_is_left_alone(aws):
    client, stub = aws("rds")
    described(stub, managed_secret())
    module = FakeModule()
    result = mod.ensure(module, client)  # a modify call would find no stubbed answer and fail
    assert not result["changed"] and result["change"] == {} and result["secret_status"] == "active"
    assert module.warnings == []


def test_a_key_rds_cannot_change_is_a_warning_not_a_change(aws):
    client, stub = aws("rds")
    described(stub, managed_secret(key=OTHER_KEY))
    module = FakeModule()
    result = mod.ensure(module, client)
    assert not result["changed"] and result["kms_key_id"] == OTHER_KEY
    assert len(module.warnings) == 1 and OTHER_KEY in module.warnings[0] and KEY in module.warnings[0]


def test_check_mode_sends_nothing(aws):
    client, stub = aws("rds")
    described(stub)
    result = mod.ensure(FakeModule(check_mode=True), client)
    assert result["changed"] and result["change"]["ManageMasterUserPassword"] is True
    assert result["secret_arn"] == ""


def test_management_is_turned_off_with_a_password_that_is_never_returned(aws):
    client, stub = aws("rds")
    described(stub, managed_secret())
    stub.add_response(
        "modify_db_cluster",
        {"DBCluster": {"DBClusterIdentifier": CLUSTER}},
        {
            "DBClusterIdentifier": CLUSTER,
            "ApplyImmediately": True,
            "ManageMasterUserPassword": False,
            "MasterUserPassword": "s3cretPassw0rd",
        },
    )
    result = mod.ensure(FakeModule(managed=False, master_user_password="s3cretPassw0rd"), client)
    assert result["changed"] and result["secret_arn"] == "" and "s3cretPassw0rd" not in str(result)


def test_turning_management_off_needs_a_password(aws):
    client, stub = aws("rds")
    described(stub, managed_secret())
    with pytest.raises(AuroraDbError, match="master_user_password is required"):
        mod.ensure(FakeModule(managed=False), client)


def test_a_restored_cluster_is_given_the_environments_password(aws):
    """restore.yml: the cluster holds the source's password; reset_password sets this environment's (RDS does not
    manage it, so nothing else would)."""
    client, stub = aws("rds")
    described(stub)
    stub.add_response(
        "modify_db_cluster",
        {"DBCluster": {"DBClusterIdentifier": CLUSTER}},
        {"DBClusterIdentifier": CLUSTER, "ApplyImmediately": True, "MasterUserPassword": "s3cretPassw0rd"},
    )
    module = FakeModule(managed=False, master_user_password="s3cretPassw0rd", reset_password=True)
    result = mod.ensure(module, client)
    assert result["changed"] and "s3cretPassw0rd" not in str(result)
    # without reset_password the same cluster is left alone
    described(stub)
    assert not mod.ensure(FakeModule(managed=False, master_user_password="s3cretPassw0rd"), client)["changed"]


def test_missing_cluster_is_an_error(aws):
    client, stub = aws("rds")
    stub.add_response("describe_db_clusters", {"DBClusters": []}, {"DBClusterIdentifier": CLUSTER})
    with pytest.raises(AuroraDbError, match="does not exist"):
        mod.ensure(FakeModule(), client)


@pytest.mark.parametrize(
    ("live", "wanted", "same"),
    [
        (KEY, KEY, True),
        (KEY, KEY.rsplit("/", 1)[-1], True),
        (KEY, OTHER_KEY, False),
        (None, None, True),
        (KEY, None, False),
    ],
)
def test_same_key(live, wanted, same):
    assert rds.same_key(live, wanted) is same
