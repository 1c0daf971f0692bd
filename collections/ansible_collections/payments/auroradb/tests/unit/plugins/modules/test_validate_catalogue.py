# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of payments.auroradb.validate_catalogue: the decisions against stubbed read-only answers."""

from ansible_collections.payments.auroradb.plugins.modules import validate_catalogue

VERSIONS = [
    {
        "Engine": "aurora-postgresql",
        "EngineVersion": version,
        "DBParameterGroupFamily": "aurora-postgresql15",
        "ExportableLogTypes": ["postgresql"],
    }
    for version in ("15.2", "15.7")
]
DEFAULTS = [
    {"ParameterName": "rds.force_ssl", "DataType": "boolean", "AllowedValues": "0,1", "IsModifiable": True},
    {
        "ParameterName": "log_min_duration_statement",
        "DataType": "integer",
        "AllowedValues": "-1-2147483647",
        "IsModifiable": True,
    },
]


class FakeModule:
    region = "us-east-1"

    def __init__(self, **params):
        self.params = {"engine_version": "15.7", "parameters": {}, "log_exports": [], "availability_zones": None}
        self.params.update(params)


def engine_versions(stub, with_defaults=False):
    """The major's versions, then (with_defaults) the family's catalogue."""
    stub.add_response(
        "describe_db_engine_versions",
        {"DBEngineVersions": VERSIONS},
        {"Engine": "aurora-postgresql", "EngineVersion": "15"},
    )
    if with_defaults:
        stub.add_response(
            "describe_engine_default_cluster_parameters",
            {"EngineDefaults": {"Parameters": DEFAULTS}},
            {"DBParameterGroupFamily": "aurora-postgresql15"},
        )


def test_offered_version_and_known_parameters_pass(aws):
    client, stub = aws("rds")
    engine_versions(stub, with_defaults=True)
    module = FakeModule(parameters={"log_min_duration_statement": 500}, log_exports=["postgresql"])
    assert validate_catalogue.check_engine(module, client) == ([], "aurora-postgresql15")


def test_unknown_version_names_the_variable_and_lists_the_valid_ones(aws):
    client, stub = aws("rds")
    engine_versions(stub)
    problems, family = validate_catalogue.check_engine(FakeModule(engine_version="15.99"), client)
    assert family == "" and len(problems) == 1
    assert problems[0].startswith("auroradb_aurora_engine_version: 15.99 ") and "15.2, 15.7" in problems[0]


def test_unknown_parameter_and_log_type_name_their_variables(aws):
    client, stub = aws("rds")
    engine_versions(stub, with_defaults=True)
    module = FakeModule(parameters={"not_a_parameter": "1"}, log_exports=["audit"])
    problems, _family = validate_catalogue.check_engine(module, client)
    assert [problem.split(":", maxsplit=1)[0] for problem in problems] == [
        "auroradb_aurora_parameters",
        "auroradb_aurora_log_exports",
    ]
    assert "not_a_parameter" in problems[0] and "audit" in problems[1]


def test_zones_must_exist_in_the_region(aws):
    client, stub = aws("ec2")
    zones = [{"ZoneName": f"us-east-1{letter}", "State": "available"} for letter in "abc"]
    stub.add_response("describe_availability_zones", {"AvailabilityZones": zones}, {})
    stub.add_response("describe_availability_zones", {"AvailabilityZones": zones}, {})
    assert validate_catalogue.check_zones(FakeModule(availability_zones=["us-east-1a", "us-east-1b"]), client) == []
    problems = validate_catalogue.check_zones(FakeModule(availability_zones=["us-east-1a", "us-east-1z"]), client)
    assert len(problems) == 1 and problems[0].startswith("auroradb_network_availability_zones: us-east-1z ")
