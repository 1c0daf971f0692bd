"""CloudFormation's schedule of a template (what `make bench` compares the converge with)."""

import pytest

from localcloud import cfn

DURATIONS = {
    "ec2.vpc.create": 2.0,
    "ec2.vpc.delete": 1.0,
    "ec2.subnet.create": 1.0,
    "ec2.subnet.delete": 1.0,
    "ec2.nat-gateway.create": 100.0,
    "ec2.nat-gateway.delete": 60.0,
    "rds.cluster.create": 200.0,
    "rds.cluster.delete": 150.0,
    "rds.instance.create": 600.0,
    "rds.instance.delete": 400.0,
    "kms.key.create": 1.0,
    "kms.key.delete": 1.0,
}

TEMPLATE = {
    "Resources": {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {}},
        "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}}},
        "Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {"SubnetId": {"Ref": "Subnet"}}},
        "Key": {"Type": "AWS::KMS::Key", "Properties": {}},
        "Cluster": {
            "Type": "AWS::RDS::DBCluster",
            "Properties": {
                "KmsKeyId": {"Fn::GetAtt": ["Key", "Arn"]},
                "DBSubnetGroupName": {"Fn::Sub": "group-${Subnet}-${AWS::Region}"},
            },
        },
        "Writer": {"Type": "AWS::RDS::DBInstance", "Properties": {"DBClusterIdentifier": {"Ref": "Cluster"}}},
        # as CDK writes it: readers wait for the writer, and the instances for the private routes (NAT)
        "Reader": {
            "Type": "AWS::RDS::DBInstance",
            "DependsOn": ["Writer", "Nat"],
            "Properties": {"DBClusterIdentifier": {"Ref": "Cluster"}},
        },
        "Meta": {"Type": "AWS::CDK::Metadata", "Properties": {}},
    }
}


def test_dependencies_come_from_ref_getatt_sub_and_depends_on():
    deps = cfn.dependencies(TEMPLATE)
    assert deps["Cluster"] == ["Key", "Subnet"]  # GetAtt + Fn::Sub (AWS::Region is no resource)
    assert deps["Reader"] == ["Cluster", "Nat", "Writer"]
    assert deps["Vpc"] == [] and deps["Meta"] == []


def test_create_is_the_longest_chain_each_resource_waiting_for_its_dependencies():
    seconds, path = cfn.schedule(TEMPLATE, DURATIONS, "create")
    # Vpc 2 -> Subnet 1 -> Cluster 200 -> Writer 600 -> Reader 600 (the key, 1 s, and the NAT chain are shorter)
    assert seconds == pytest.approx(2 + 1 + 200 + 600 + 600)
    assert path == ["Vpc", "Subnet", "Cluster", "Writer", "Reader"]


def test_delete_runs_the_graph_backwards():
    seconds, path = cfn.schedule(TEMPLATE, DURATIONS, "delete")
    # Reader 400 -> Writer 400 -> Cluster 150 -> Subnet 1 -> Vpc 1 (the key waits for the cluster too: 1 s)
    assert seconds == pytest.approx(400 + 400 + 150 + 1 + 1)
    assert path == ["Reader", "Writer", "Cluster", "Subnet", "Vpc"]


def test_a_resource_without_timing_is_never_silently_free():
    unknown = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {}}}}
    with pytest.raises(KeyError, match="AWS::SNS::Topic"):
        cfn.schedule(unknown, DURATIONS)
    missing = {k: v for k, v in DURATIONS.items() if k != "rds.instance.create"}
    with pytest.raises(KeyError, match="rds.instance.create"):
        cfn.schedule(TEMPLATE, missing)
