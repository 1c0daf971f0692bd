# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The RDS service layer against botocore's Stubber (no network): retries, "not found" as a value, pages merged,
errors raised (never a failed module); and its pure helpers (reboot order, chunks)."""

import pytest
from ansible_collections.amazon.aws.plugins.module_utils.rds import AnsibleRDSError

from ansible_collections.payments.auroradb.plugins.module_utils import parameter_groups as pg
from ansible_collections.payments.auroradb.plugins.module_utils import rds


def _entry(name, data_type, allowed, apply_type="dynamic"):
    return {"ParameterName": name, "DataType": data_type, "AllowedValues": allowed, "ApplyType": apply_type}


def _cluster(*members):
    return {
        "DBClusterIdentifier": "c",
        "Status": "available",
        "DBClusterMembers": [
            {"DBInstanceIdentifier": ident, "IsClusterWriter": ident == "c-writer"} for ident in members
        ],
    }


def _instance(ident):
    return {"DBInstanceIdentifier": ident, "DBInstanceStatus": "available"}


# --- service calls ---------------------------------------------------------------------------------------------


def test_missing_cluster_is_none_not_an_error(aws):
    client, stub = aws("rds")
    stub.add_client_error("describe_db_clusters", "DBClusterNotFoundFault", http_status_code=404)
    assert rds.describe_cluster(client, "c") is None
    stub.add_client_error("describe_db_clusters", "DBClusterNotFoundFault", http_status_code=404)
    assert rds.describe_cluster_and_members(client, "c") == (None, [])


def test_throttled_describe_is_retried(aws):
    client, stub = aws("rds")
    stub.add_client_error("describe_db_clusters", "Throttling", http_status_code=400)
    stub.add_response("describe_db_clusters", {"DBClusters": [_cluster()]}, {"DBClusterIdentifier": "c"})
    assert rds.describe_cluster(client, "c")["DBClusterIdentifier"] == "c"


def test_cluster_and_members_merge_every_page_and_retry_the_paginator(aws):
    client, stub = aws("rds")
    stub.add_response("describe_db_clusters", {"DBClusters": [_cluster("c-writer", "c-reader1", "c-reader2")]})
    stub.add_client_error("describe_db_instances", "Throttling", http_status_code=400)  # the first page, retried
    stub.add_response("describe_db_instances", {"DBInstances": [_instance("c-writer")], "Marker": "m1"})
    stub.add_response(
        "describe_db_instances",
        {"DBInstances": [_instance("c-reader1"), _instance("c-reader2")]},
        {
            "Filters": [{"Name": "db-instance-id", "Values": ["c-writer", "c-reader1", "c-reader2"]}],
            "Marker": "m1",
        },
    )
    cluster, instances = rds.describe_cluster_and_members(client, "c")
    assert cluster["DBClusterIdentifier"] == "c"
    assert [i["DBInstanceIdentifier"] for i in instances] == ["c-writer", "c-reader1", "c-reader2"]


def test_other_errors_are_raised_with_what_failed(aws):
    client, stub = aws("rds")
    stub.add_client_error("describe_db_clusters", "AccessDenied", "not allowed", http_status_code=403)
    with pytest.raises(AnsibleRDSError) as e:
        rds.describe_cluster(client, "c")
    assert e.value.message == "Failed to describe DB cluster c" and e.value.exception is not None


def test_parameters_all_or_only_user_ones_and_a_missing_group_is_empty(aws):
    client, stub = aws("rds")
    every = [{"ParameterName": "rds.force_ssl", "ParameterValue": "1", "Source": "engine-default"}]
    stub.add_response("describe_db_cluster_parameters", {"Parameters": every}, {"DBClusterParameterGroupName": "g"})
    assert rds.describe_parameters(client, "g", "cluster") == every
    stub.add_response(
        "describe_db_cluster_parameters", {"Parameters": []}, {"DBClusterParameterGroupName": "g", "Source": "user"}
    )
    assert rds.describe_user_parameters(client, "g", "cluster") == []
    stub.add_client_error("describe_db_cluster_parameters", "DBParameterGroupNotFound", http_status_code=404)
    assert rds.describe_parameters(client, "g", "cluster") == []


def test_no_instances_means_no_call(aws):
    client, _stub = aws("rds")
    assert rds.describe_instances(client, []) == []


def test_engine_defaults_merge_every_page(aws):
    client, stub = aws("rds")
    page1 = {"EngineDefaults": {"Parameters": [{"ParameterName": "a"}], "Marker": "m"}}
    page2 = {"EngineDefaults": {"Parameters": [{"ParameterName": "b"}]}}
    stub.add_response("describe_engine_default_cluster_parameters", page1)
    stub.add_response("describe_engine_default_cluster_parameters", page2)
    names = [p["ParameterName"] for p in rds.describe_engine_defaults(client, "aurora-postgresql15", "cluster")]
    assert names == ["a", "b"]


def test_missing_parameter_group_is_none_and_deleting_it_is_no_change(aws):
    client, stub = aws("rds")
    stub.add_client_error("describe_db_cluster_parameter_groups", "DBParameterGroupNotFound", http_status_code=404)
    assert rds.describe_parameter_group(client, "g", "cluster") is None
    stub.add_client_error("delete_db_parameter_group", "DBParameterGroupNotFound", http_status_code=404)
    assert rds.delete_parameter_group(client, "g", "instance") is False


class FakeClient:
    def __init__(self):
        self.calls = []

    def modify_db_cluster_parameter_group(self, **kwargs):
        self.calls.append(("modify", kwargs))

    def reset_db_parameter_group(self, **kwargs):
        self.calls.append(("reset", kwargs))


def test_modify_and_reset_send_one_call_per_chunk():
    client = FakeClient()
    params = [{"ParameterName": f"p{i}", "ParameterValue": "1", "ApplyMethod": "immediate"} for i in range(45)]
    assert rds.send_parameters(client, "modify", "g", "cluster", params) == 3
    assert [len(kw["Parameters"]) for _call, kw in client.calls] == [20, 20, 5]
    assert all(kw["DBClusterParameterGroupName"] == "g" and kw["aws_retry"] for _call, kw in client.calls)
    client.calls.clear()
    assert rds.send_parameters(client, "reset", "g", "instance", params[:21]) == 2
    assert [kw["DBParameterGroupName"] for _call, kw in client.calls] == ["g", "g"]


# --- pure helpers ----------------------------------------------------------------------------------------------


def test_45_parameters_are_sent_in_chunks_of_20_20_5():
    defaults = [_entry(f"p{i:02d}", "integer", "0-100") for i in range(45)]
    decision = pg.plan({f"p{i:02d}": i for i in range(45)}, [], defaults)
    sizes = [len(chunk) for chunk in rds.chunks(decision["modify"])]
    assert sizes == [20, 20, 5]
    assert [p["ParameterName"] for chunk in rds.chunks(decision["modify"]) for p in chunk] == [
        f"p{i:02d}" for i in range(45)
    ]


def test_pending_reboot_readers_first_writer_last():
    cluster = {
        "DBClusterMembers": [
            {"DBInstanceIdentifier": "w", "IsClusterWriter": True, "DBClusterParameterGroupStatus": "pending-reboot"},
            {"DBInstanceIdentifier": "r2", "IsClusterWriter": False, "DBClusterParameterGroupStatus": "pending-reboot"},
            {"DBInstanceIdentifier": "r1", "IsClusterWriter": False, "DBClusterParameterGroupStatus": "in-sync"},
        ]
    }
    assert rds.pending_reboot(cluster, [], "cluster") == ["r2", "w"]
    instances = [{"DBInstanceIdentifier": "r1", "DBParameterGroups": [{"ParameterApplyStatus": "pending-reboot"}]}]
    assert rds.pending_reboot(cluster, instances, "instance") == ["r1"]
    assert rds.pending_reboot(cluster, instances) == ["r1", "r2", "w"]
    assert rds.pending_reboot(None, [], "cluster") == []


@pytest.mark.parametrize(
    "current, wanted, change",
    [
        (["postgresql"], ["postgresql"], {}),
        ([], ["postgresql"], {"EnableLogTypes": ["postgresql"]}),
        (None, ["postgresql"], {"EnableLogTypes": ["postgresql"]}),
        (["postgresql", "upgrade"], ["postgresql"], {"DisableLogTypes": ["upgrade"]}),
        (["upgrade"], ["postgresql"], {"EnableLogTypes": ["postgresql"], "DisableLogTypes": ["upgrade"]}),
        (["postgresql"], [], {"DisableLogTypes": ["postgresql"]}),
    ],
)
def test_log_exports_change_enables_the_missing_and_disables_the_others(current, wanted, change):
    assert rds.log_exports_change(current, wanted) == change


def test_log_exports_are_sent_in_one_modify_call(aws):
    client, stub = aws("rds")
    change = {"EnableLogTypes": ["postgresql"]}
    stub.add_response(
        "modify_db_cluster",
        {"DBCluster": {"DBClusterIdentifier": "c"}},
        {"DBClusterIdentifier": "c", "CloudwatchLogsExportConfiguration": change, "ApplyImmediately": True},
    )
    rds.modify_log_exports(client, "c", change, True)


@pytest.mark.parametrize(
    ("floor", "current", "asked"),
    [
        ("15.7", None, "15.7"),  # a new cluster
        ("15.7", "", "15.7"),
        ("15.7", "15.7", "15.7"),
        ("15.7", "15.8", "15.8"),  # AWS upgraded it: keep it, never a downgrade
        ("15.7", "15.10", "15.10"),  # numeric, not text, order
        ("15.9", "15.8", "15.9"),  # the floor was raised: a minor upgrade
        ("16.3", "15.8", "16.3"),  # another major: the floor (RDS wants AllowMajorVersionUpgrade for it)
    ],
)
def test_engine_version_floor(floor, current, asked):
    assert rds.engine_version_floor(floor, current) == asked
    assert rds.meets_floor(asked, floor)
