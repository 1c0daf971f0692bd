# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the shared botocore data (plugin_utils/local_action.py) and the callback that preloads it."""

import boto3
import botocore.loaders
import botocore.session
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.payments.auroradb.plugins.callback.aws_sdk_preload import CallbackModule
from ansible_collections.payments.auroradb.plugins.plugin_utils import local_action
from ansible_collections.payments.auroradb.plugins.plugin_utils.local_action import (
    WorkerTask,
    preload_sdk_data,
    run_main_in_worker,
    shared_sdk_loader,
)


@pytest.fixture
def fresh_loaders(monkeypatch):
    """Each test starts with no shared loader (as a controller that has not preloaded)."""
    monkeypatch.setattr(local_action, "_SDK_LOADERS", {})
    monkeypatch.delenv("AWS_DATA_PATH", raising=False)


@pytest.fixture
def no_file_reads(monkeypatch):
    """Reading a botocore data file from now on fails the test."""

    def refuse(self, file_path):
        raise AssertionError(f"read {file_path}")

    def arm():
        monkeypatch.setattr(botocore.loaders.JSONFileLoader, "load_file", refuse)

    return arm


def make_clients(session_factory=boto3.session.Session):
    session = session_factory(aws_access_key_id="a", aws_secret_access_key="b", region_name="eu-west-1")
    rds = session.client("rds")
    return rds, rds.get_paginator("describe_db_clusters"), rds.waiter_names


def test_after_the_preload_a_worker_client_reads_no_file(fresh_loaders, no_file_reads):
    preload_sdk_data(services=("rds",))
    no_file_reads()
    found = {}

    def main():
        module = AnsibleAWSModule(argument_spec={}, supports_check_mode=True)
        client, paginator, waiters = make_clients()
        found.update(loader=client._loader, waiters=waiters, paginator=type(paginator).__name__)
        module.exit_json(changed=False)

    assert run_main_in_worker(main, WorkerTask("sample", {}, False, False))["changed"] is False
    assert found["loader"] is shared_sdk_loader(None)
    assert "db_cluster_available" in found["waiters"]
    assert found["paginator"].endswith("DescribeDBClusters")


def test_without_the_preload_the_worker_reads_the_files(fresh_loaders, no_file_reads):
    no_file_reads()

    def main():
        make_clients()

    with pytest.raises(AssertionError, match="read .*botocore"):
        run_main_in_worker(main, WorkerTask("sample", {}, False, False))


def test_outside_a_worker_run_sessions_keep_their_own_loader(fresh_loaders):
    preload_sdk_data(services=("sts",))
    assert botocore.session.create_loader is botocore.loaders.create_loader
    client = make_clients()[0]
    assert client._loader is not shared_sdk_loader(None)


def test_one_loader_per_data_path(fresh_loaders, tmp_path, monkeypatch):
    assert shared_sdk_loader(None) is shared_sdk_loader(None)
    assert shared_sdk_loader(str(tmp_path)) is not shared_sdk_loader(None)
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    seen = {}

    def main():
        seen["loader"] = make_clients()[0]._loader

    with pytest.raises(RuntimeError):  # main() returns without exit_json
        run_main_in_worker(main, WorkerTask("sample", {}, False, False))
    assert seen["loader"] is shared_sdk_loader(str(tmp_path))


def test_the_callback_preloads_every_service_of_the_roles_and_freezes_the_collector(fresh_loaders, monkeypatch):
    frozen = []
    monkeypatch.setattr("gc.freeze", lambda: frozen.append(True))
    CallbackModule().v2_playbook_on_start(playbook=None)
    cached = {key[1] for key in shared_sdk_loader(None)._cache if key[0] == "load_service_model"}
    assert cached == set(local_action.SDK_SERVICES)
    assert frozen == [True]
