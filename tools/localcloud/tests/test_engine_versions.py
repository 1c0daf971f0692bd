"""Gap 26: DescribeDBEngineVersions answers for aurora-postgresql (13.9-16.4) and aurora-mysql 3.0x as on AWS.

Plain moto 5.2.5 lacks the action: its server crashes with NotImplementedError and answers an HTML 500
page that botocore cannot parse. The ``target`` parameter of the first test runs the same request against
plain moto (asserting the gap) and against the local cloud (asserting the fix).
"""

from __future__ import annotations

import time

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

from localcloud.middleware import UNSUPPORTED

POSTGRES = {
    "13": [f"13.{n}" for n in range(9, 17)],
    "14": [f"14.{n}" for n in range(6, 14)],
    "15": [f"15.{n}" for n in range(2, 9)],
    "16": [f"16.{n}" for n in range(1, 5)],
}
CA_CERTIFICATES = ["rds-ca-2019", "rds-ca-ecc384-g1", "rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1"]
DUMMY = {"region_name": "us-east-1", "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture
def rds(cloud):
    return cloud.client("rds")


def _versions(rds, **kwargs) -> list[dict]:
    pages = rds.get_paginator("describe_db_engine_versions").paginate(**kwargs)
    return pages.build_full_result()["DBEngineVersions"]


def _refused(rds, **kwargs) -> dict:
    with pytest.raises(ClientError) as caught:
        rds.describe_db_engine_versions(**kwargs)
    return caught.value.response["Error"]


@pytest.mark.parametrize("target", ["plain-moto", "localcloud"])
def test_aurora_postgresql_versions_as_on_aws(target, request):
    endpoint = request.getfixturevalue("plain_moto_in_process" if target == "plain-moto" else "cloud")
    endpoint = endpoint if isinstance(endpoint, str) else endpoint.endpoint
    rds = boto3.client("rds", endpoint_url=endpoint, **DUMMY)
    if target == "plain-moto":  # the gap: moto has no such action (NotImplementedError -> HTML 500)
        with pytest.raises(ResponseParserError, match="500 Internal Server Error"):
            rds.describe_db_engine_versions(Engine="aurora-postgresql")
        return
    found = _versions(rds, Engine="aurora-postgresql")
    assert [v["EngineVersion"] for v in found] == [v for major in POSTGRES.values() for v in major]
    for version in found:
        major = version["EngineVersion"].split(".")[0]
        assert version["MajorEngineVersion"] == major
        assert version["DBParameterGroupFamily"] == f"aurora-postgresql{major}"
        assert version["SupportedCACertificateIdentifiers"] == CA_CERTIFICATES
        assert (version["Status"], version["ExportableLogTypes"], version["SupportsLogExportsToCloudwatchLogs"]) == (
            "available",
            ["postgresql"],
            True,
        )
        assert (
            version["DBEngineVersionDescription"]
            == f"Aurora PostgreSQL (Compatible with PostgreSQL {version['EngineVersion']})"
        )


def test_valid_upgrade_targets(rds):
    (v157,) = _versions(rds, Engine="aurora-postgresql", EngineVersion="15.7")
    targets = {t["EngineVersion"]: t["IsMajorVersionUpgrade"] for t in v157["ValidUpgradeTarget"]}
    assert targets == {"15.8": False, **{v: True for v in POSTGRES["16"]}}
    assert all(t["Engine"] == "aurora-postgresql" and t["AutoUpgrade"] is False for t in v157["ValidUpgradeTarget"])
    (v1316,) = _versions(rds, Engine="aurora-postgresql", EngineVersion="13.16")
    assert {t["EngineVersion"] for t in v1316["ValidUpgradeTarget"]} == set(
        POSTGRES["14"] + POSTGRES["15"] + POSTGRES["16"]
    )
    assert all(t["IsMajorVersionUpgrade"] for t in v1316["ValidUpgradeTarget"])
    (v164,) = _versions(rds, Engine="aurora-postgresql", EngineVersion="16.4")
    assert v164["ValidUpgradeTarget"] == []


def test_engine_version_family_and_filters_select(rds):
    def listed(**kwargs):
        return [v["EngineVersion"] for v in _versions(rds, **kwargs)]

    assert listed(Engine="aurora-postgresql", EngineVersion="15") == POSTGRES["15"]
    assert listed(DBParameterGroupFamily="aurora-postgresql14") == POSTGRES["14"]
    assert listed(Engine="aurora-postgresql", EngineVersion="15.99") == []
    filters = [{"Name": "engine-version", "Values": ["13", "16.2"]}, {"Name": "status", "Values": ["available"]}]
    assert listed(Engine="aurora-postgresql", Filters=filters) == [*POSTGRES["13"], "16.2"]
    family = [{"Name": "db-parameter-group-family", "Values": ["aurora-postgresql16"]}]
    assert listed(Engine="aurora-postgresql", Filters=family) == POSTGRES["16"]
    error = _refused(rds, Engine="aurora-postgresql", Filters=[{"Name": "colour", "Values": ["blue"]}])
    assert (error["Code"], error["Message"]) == ("InvalidParameterValue", "Unrecognized filter name: colour")
    error = _refused(rds, Engine="aurora-postgres")
    assert (error["Code"], error["Message"]) == ("InvalidParameterValue", "Invalid DB engine: aurora-postgres")


def test_default_only(rds):
    (default,) = _versions(rds, Engine="aurora-postgresql", DefaultOnly=True)
    assert default["EngineVersion"] in POSTGRES["16"]
    for major, minors in POSTGRES.items():
        (major_default,) = _versions(rds, Engine="aurora-postgresql", EngineVersion=major, DefaultOnly=True)
        assert major_default["EngineVersion"] in minors
    (mysql_default,) = _versions(rds, Engine="aurora-mysql", DefaultOnly=True)
    assert mysql_default["DBParameterGroupFamily"] == "aurora-mysql8.0"


def test_pagination(rds):
    first = rds.describe_db_engine_versions(Engine="aurora-postgresql", MaxRecords=20)
    assert len(first["DBEngineVersions"]) == 20 and first["Marker"]
    second = rds.describe_db_engine_versions(Engine="aurora-postgresql", MaxRecords=20, Marker=first["Marker"])
    assert "Marker" not in second
    everything = [v["EngineVersion"] for v in first["DBEngineVersions"] + second["DBEngineVersions"]]
    assert everything == [v for major in POSTGRES.values() for v in major]
    error = _refused(rds, Engine="aurora-postgresql", MaxRecords=10)
    assert error["Code"] == "InvalidParameterValue"


def test_aurora_mysql_minimal(rds):
    found = _versions(rds, Engine="aurora-mysql")
    assert len(found) >= 3
    assert all(v["EngineVersion"].startswith("8.0.mysql_aurora.3.0") for v in found)
    assert {v["DBParameterGroupFamily"] for v in found} == {"aurora-mysql8.0"}
    assert all(v["SupportedCACertificateIdentifiers"] == CA_CERTIFICATES for v in found)
    assert all(not t["IsMajorVersionUpgrade"] for v in found for t in v["ValidUpgradeTarget"])


def test_engines_without_data_are_unsupported_not_empty(rds):
    started = time.monotonic()
    error = _refused(rds, Engine="postgres")
    assert error["Code"] == UNSUPPORTED and "rds DescribeDBEngineVersions: NotImplementedError" in error["Message"]
    assert time.monotonic() - started < 2


def test_rds_engine_versions_info_module(cloud, tmp_path):
    args = {"engine": "aurora-postgresql", "engine_version": "15", "default_only": False}
    result, _ = cloud.run_module(tmp_path, "amazon.aws.rds_engine_versions_info", args)
    assert not result.get("failed"), result
    found = result["db_engine_versions"]
    assert [v["engine_version"] for v in found] == POSTGRES["15"]
    assert found[0]["db_parameter_group_family"] == "aurora-postgresql15"
    assert found[0]["supported_ca_certificate_identifiers"] == CA_CERTIFICATES
