"""CloudFormation's schedule of a template under the AWS timing table (what ``make bench`` compares us with).

CloudFormation creates every resource as soon as all the resources it depends on are complete, and not before:
a dependency is a ``Ref``, a ``Fn::GetAtt``, a ``${Name}`` inside ``Fn::Sub`` or a ``DependsOn``. Creation is
therefore the longest chain of resource durations along those dependencies (unlimited parallelism); deletion
runs the same graph backwards (a resource is deleted once everything that depends on it is gone).

Each resource type maps to operations of the timing table (``localcloud/data/aws-timings.json``; several add
up); a type mapped to none costs :data:`UNTIMED_SECONDS` (CloudFormation's own per-resource overhead, not
counted: that only flatters CloudFormation).
"""

from __future__ import annotations

import re

from .timing import longest_path

UNTIMED_SECONDS = 0.0

# resource type -> (operation on create, operation on delete); None = no wait of its own worth modelling.
TYPE_OPERATIONS: dict[str, tuple[str | tuple[str, ...] | None, str | tuple[str, ...] | None]] = {
    "AWS::EC2::VPC": ("ec2.vpc.create", "ec2.vpc.delete"),
    "AWS::EC2::Subnet": ("ec2.subnet.create", "ec2.subnet.delete"),
    "AWS::EC2::RouteTable": ("ec2.route-table.create", "ec2.route-table.delete"),
    "AWS::EC2::SubnetRouteTableAssociation": ("ec2.route-table.create", "ec2.route-table.delete"),
    "AWS::EC2::Route": ("ec2.route-table.create", "ec2.route-table.delete"),
    "AWS::EC2::EIP": (None, "ec2.eip.release"),
    "AWS::EC2::NatGateway": ("ec2.nat-gateway.create", "ec2.nat-gateway.delete"),
    "AWS::EC2::InternetGateway": ("ec2.igw.create", "ec2.igw.delete"),
    "AWS::EC2::VPCGatewayAttachment": ("ec2.igw.create", "ec2.igw.delete"),
    "AWS::EC2::SecurityGroup": ("ec2.security-group.create", "ec2.security-group.delete"),
    # a Lambda-backed custom resource (the function is not in a VPC): one invocation, left untimed
    "Custom::VpcRestrictDefaultSG": (None, None),
    "AWS::IAM::Role": ("iam.role.create", None),
    "AWS::Lambda::Function": ("lambda.function.create", "lambda.function.delete"),
    "AWS::KMS::Key": ("kms.key.create", "kms.key.delete"),
    "AWS::SecretsManager::Secret": ("secretsmanager.secret.create", "secretsmanager.secret.delete"),
    "AWS::SecretsManager::SecretTargetAttachment": (None, None),
    "AWS::SecretsManager::ResourcePolicy": (None, None),
    # HostedRotationLambda: a nested stack creates the rotation function (here outside a VPC), then the schedule
    "AWS::SecretsManager::RotationSchedule": (
        ("lambda.function.create", "secretsmanager.rotation.enable"),
        "lambda.function.delete",
    ),
    "AWS::RDS::DBClusterParameterGroup": ("rds.parameter-group.create", "rds.parameter-group.delete"),
    "AWS::RDS::DBSubnetGroup": ("rds.subnet-group.create", "rds.subnet-group.delete"),
    "AWS::RDS::DBCluster": ("rds.cluster.create", "rds.cluster.delete"),
    "AWS::RDS::DBInstance": ("rds.instance.create", "rds.instance.delete"),
    "AWS::CloudWatch::Alarm": ("cloudwatch.alarm.create", "cloudwatch.alarm.delete"),
    "AWS::CDK::Metadata": (None, None),
}

_SUB_NAME = re.compile(r"\$\{([^}!][^}]*)\}")


def references(node) -> set[str]:
    """Every logical id a template fragment refers to (Ref, Fn::GetAtt, Fn::Sub)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else str(value).split(".", 1)[0])
            elif key == "Fn::Sub":
                text, variables = (value, {}) if isinstance(value, str) else (value[0], value[1])
                found |= {name.split(".", 1)[0] for name in _SUB_NAME.findall(text)}
                found |= references(variables)
            else:
                found |= references(value)
    elif isinstance(node, list):
        for item in node:
            found |= references(item)
    return found


def dependencies(template: dict) -> dict[str, list[str]]:
    """Logical id -> the logical ids it waits for (pseudo parameters and template parameters left out)."""
    resources = template.get("Resources", {})
    deps = {}
    for name, resource in resources.items():
        depends_on = resource.get("DependsOn", [])
        depends_on = [depends_on] if isinstance(depends_on, str) else list(depends_on)
        wanted = references(resource.get("Properties", {})) | set(depends_on)
        deps[name] = sorted(wanted & set(resources) - {name})
    return deps


def schedule(template: dict, durations: dict[str, float], action: str = "create") -> tuple[float, list[str]]:
    """Seconds CloudFormation needs to ``create`` or ``delete`` the template's resources, and the chain that sets it.

    ``durations``: operation -> seconds (the timing table, already scaled). Unknown resource types and
    operations missing from the table raise ``KeyError`` naming them, so a new resource is never silently free.
    """
    if action not in ("create", "delete"):
        raise ValueError(f"action must be create or delete, not {action!r}")
    resources = template.get("Resources", {})
    deps = dependencies(template)
    if action == "delete":
        reverse: dict[str, list[str]] = {name: [] for name in resources}
        for name, needs in deps.items():
            for need in needs:
                reverse[need].append(name)
        deps = reverse
    weights = {}
    for name, resource in resources.items():
        kind = resource["Type"]
        if kind not in TYPE_OPERATIONS:
            raise KeyError(f"no timing for resource type {kind} ({name}); add it to cfn.TYPE_OPERATIONS")
        operations = TYPE_OPERATIONS[kind][0 if action == "create" else 1]
        operations = (operations,) if isinstance(operations, str) else operations or ()
        missing = [operation for operation in operations if operation not in durations]
        if missing:
            raise KeyError(f"the timing table has no operation {', '.join(missing)} (for {kind})")
        weights[name] = sum(durations[operation] for operation in operations) if operations else UNTIMED_SECONDS
    return longest_path(weights, deps)
