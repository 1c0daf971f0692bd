"""payments.auroradb.vpc_subnets and vpc_route_tables against a strict local cloud, through ansible-playbook.

Lifecycle of each: check-mode create (nothing created) -> create -> check-mode re-run and re-run (no change) ->
drift made by hand: check mode reports it and sends no mutating call, a run repairs it -> a re-run under random
throttling and 5xx faults (no change) -> check-mode delete (nothing deleted) -> delete -> delete again (no change).
A route table left by a killed run (tagged, no route, no subnet) is adopted, not duplicated.

    .venv/bin/python -m pytest -q tests/integration/test_vpc_modules.py
"""

from __future__ import annotations

import copy

SUBNETS = "payments.auroradb.vpc_subnets"
ROUTE_TABLES = "payments.auroradb.vpc_route_tables"
ZONES = ["us-east-1a", "us-east-1b"]
TAGS = {"environment": "it", "project": "payments"}


def run(localcloud, tmp_path, module, args, *flags):
    """Run one module once (ignore_errors) and return its registered result."""
    return localcloud.run_module(tmp_path, module, args, *flags)[0]


def mutating_ec2_calls(localcloud) -> list[str]:
    return [r["action"] for r in localcloud.requests() if r.get("service") == "ec2" and r.get("mutating")]


def tags_of(resource) -> dict:
    return {tag["Key"]: tag["Value"] for tag in resource.get("Tags", [])}


def subnets_of(ec2, vpc_id) -> dict:
    """Name tag -> subnet."""
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    return {tags_of(subnet).get("Name", subnet["SubnetId"]): subnet for subnet in subnets}


def tables_of(ec2, vpc_id) -> list:
    """The route tables of the VPC but the main one."""
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
    return [t for t in tables if not any(a.get("Main") for a in t.get("Associations", []))]


def default_route(table) -> dict:
    return next(r for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0")


def test_subnets_and_route_tables_lifecycle(localcloud, tmp_path, suffix):
    ec2 = localcloud.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    prefix = f"vpc-{suffix}"
    subnet_args = {
        "vpc_id": vpc_id,
        "subnets": [
            {
                "name_prefix": f"{prefix}/PublicSubnet",
                "cidrs": ["10.60.0.0/24", "10.60.1.0/24"],
                "zones": ZONES,
                "map_public": True,
                "tags": {"tier": "public"},
            },
            {
                "name_prefix": f"{prefix}/PrivateSubnet",
                "cidrs": ["10.60.3.0/24", "10.60.4.0/24"],
                "zones": ZONES,
                "tags": {"tier": "private"},
            },
        ],
        "tags": TAGS,
    }
    names = [f"{prefix}/{tier}Subnet{n}" for tier in ("Public", "Private") for n in (1, 2)]

    # subnets: check-mode create reports every subnet, creates none, sends no mutating call
    before = mutating_ec2_calls(localcloud)
    result = run(localcloud, tmp_path, SUBNETS, subnet_args, "--check", "--diff")
    assert result["changed"] and not result.get("failed"), result
    assert result["subnet_ids"] == ["", "", "", ""]
    assert sorted(result["diff"]["after"]) == sorted(names) and all(v == {} for v in result["diff"]["before"].values())
    assert subnets_of(ec2, vpc_id) == {} and mutating_ec2_calls(localcloud) == before

    # create
    result = run(localcloud, tmp_path, SUBNETS, subnet_args)
    assert result["changed"] and not result.get("failed"), result
    found = subnets_of(ec2, vpc_id)
    assert sorted(found) == sorted(names)
    assert result["subnet_ids"] == [found[name]["SubnetId"] for name in names]
    assert result["groups"] == [result["subnet_ids"][:2], result["subnet_ids"][2:]]
    for index, name in enumerate(names):
        subnet, tier = found[name], "public" if "Public" in name else "private"
        assert subnet["CidrBlock"] == subnet_args["subnets"][index // 2]["cidrs"][index % 2]
        assert subnet["AvailabilityZone"] == ZONES[index % 2]
        assert subnet["MapPublicIpOnLaunch"] is (tier == "public")
        assert tags_of(subnet) == {**TAGS, "tier": tier, "Name": name}
    ids = result["subnet_ids"]

    # check-mode re-run and re-run: no change, same IDs
    for flags in (("--check",), ()):
        result = run(localcloud, tmp_path, SUBNETS, subnet_args, *flags)
        assert not result["changed"] and result["subnet_ids"] == ids, result

    # drift: a public subnet no longer maps public IPs and lost a tag; a tag of our own is kept
    ec2.modify_subnet_attribute(SubnetId=ids[0], MapPublicIpOnLaunch={"Value": False})
    ec2.delete_tags(Resources=[ids[0]], Tags=[{"Key": "environment"}])
    ec2.create_tags(Resources=[ids[0]], Tags=[{"Key": "owner", "Value": "someone"}])
    before = mutating_ec2_calls(localcloud)
    result = run(localcloud, tmp_path, SUBNETS, subnet_args, "--check", "--diff")
    assert result["changed"] and mutating_ec2_calls(localcloud) == before, result
    assert result["diff"]["before"][names[0]]["map_public"] is False
    assert result["diff"]["after"][names[0]]["map_public"] is True
    assert result["diff"]["before"][names[1]] == result["diff"]["after"][names[1]]
    result = run(localcloud, tmp_path, SUBNETS, subnet_args)
    assert result["changed"], result
    subnet = subnets_of(ec2, vpc_id)[names[0]]
    assert subnet["MapPublicIpOnLaunch"] is True
    assert tags_of(subnet) == {**TAGS, "tier": "public", "Name": names[0], "owner": "someone"}

    # a subnet's range cannot change: refused, naming it
    moved = {**subnet_args, "subnets": [{**subnet_args["subnets"][0], "cidrs": ["10.60.8.0/24", "10.60.1.0/24"]}]}
    result = run(localcloud, tmp_path, SUBNETS, moved)
    assert result.get("failed") and ids[0] in result["msg"] and "range cannot change" in result["msg"], result

    # route tables: an internet gateway, a NAT gateway in the first public subnet, and the table of the first
    # public subnet as a killed run leaves it (tagged, no route, no subnet)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=ids[0], AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    left = ec2.create_route_table(
        VpcId=vpc_id,
        TagSpecifications=[{"ResourceType": "route-table", "Tags": [{"Key": "Name", "Value": names[0]}]}],
    )["RouteTable"]["RouteTableId"]
    table_args = {
        "vpc_id": vpc_id,
        "route_tables": [
            {"subnet_ids": ids[:2], "routes": [{"dest": "0.0.0.0/0", "gateway_id": igw}]},
            {"subnet_ids": ids[2:], "routes": [{"dest": "0.0.0.0/0", "nat_gateway_id": nat}]},
        ],
        "tags": TAGS,
    }

    before = mutating_ec2_calls(localcloud)
    result = run(localcloud, tmp_path, ROUTE_TABLES, table_args, "--check", "--diff")
    assert result["changed"] and not result.get("failed"), result
    assert result["route_table_ids"] == [left, "", "", ""]
    assert result["diff"]["after"][names[2]]["routes"] == [{"dest": "0.0.0.0/0", "nat_gateway_id": nat}]
    assert [t["RouteTableId"] for t in tables_of(ec2, vpc_id)] == [left]
    assert mutating_ec2_calls(localcloud) == before

    result = run(localcloud, tmp_path, ROUTE_TABLES, table_args)
    assert result["changed"] and not result.get("failed"), result
    tables = tables_of(ec2, vpc_id)
    assert len(tables) == 4 and result["route_table_ids"][0] == left
    by_name = {tags_of(t)["Name"]: t for t in tables}
    assert sorted(by_name) == sorted(names)
    for index, name in enumerate(names):
        table = by_name[name]
        assert result["route_table_ids"][index] == table["RouteTableId"]
        assert [a["SubnetId"] for a in table["Associations"]] == [ids[index]]
        assert tags_of(table) == {**TAGS, "Name": name}
        route = default_route(table)
        assert (route.get("GatewayId"), route.get("NatGatewayId")) == ((igw, None) if index < 2 else (None, nat))
    table_ids = result["route_table_ids"]

    for flags in (("--check",), ()):
        result = run(localcloud, tmp_path, ROUTE_TABLES, table_args, *flags)
        assert not result["changed"] and result["route_table_ids"] == table_ids, result

    # drift: a private table routed through the internet gateway, a subnet moved to another table
    ec2.replace_route(RouteTableId=table_ids[2], DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    moved_from = next(a for a in by_name[names[3]]["Associations"])["RouteTableAssociationId"]
    ec2.replace_route_table_association(AssociationId=moved_from, RouteTableId=table_ids[0])
    before = mutating_ec2_calls(localcloud)
    result = run(localcloud, tmp_path, ROUTE_TABLES, table_args, "--check", "--diff")
    assert result["changed"] and mutating_ec2_calls(localcloud) == before, result
    assert result["diff"]["before"][names[2]]["routes"] == [{"dest": "0.0.0.0/0", "gateway_id": igw}]
    assert result["diff"]["before"][names[0]]["subnet_ids"] == sorted([ids[0], ids[3]])
    result = run(localcloud, tmp_path, ROUTE_TABLES, table_args)
    assert result["changed"], result
    by_name = {tags_of(t)["Name"]: t for t in tables_of(ec2, vpc_id)}
    assert default_route(by_name[names[2]]).get("NatGatewayId") == nat
    for index, name in enumerate(names):
        assert [a["SubnetId"] for a in by_name[name]["Associations"]] == [ids[index]]

    # re-runs under random throttling and server errors: retried, no change
    localcloud.random_faults({"throttle": 0.25, "server": 0.1}, seed=7, services=("ec2",))
    try:
        results, _output = localcloud.run_modules(tmp_path, [[(SUBNETS, subnet_args), (ROUTE_TABLES, table_args)]])
        injected = localcloud.fault_stats()["injected"]
    finally:
        localcloud.random_faults(None)
    assert [r["changed"] for r in results[0]] == [False, False], results
    assert not any(r.get("failed") for r in results[0]), results
    assert sum(count for kind in injected.values() for count in kind.values()) > 0, injected

    # delete the route tables (every table but the main one), then the subnets
    for module, args, remaining in (
        (ROUTE_TABLES, {"vpc_id": vpc_id, "purge": True, "state": "absent"}, lambda: tables_of(ec2, vpc_id)),
        (SUBNETS, {"vpc_id": vpc_id, "purge": True, "state": "absent"}, lambda: list(subnets_of(ec2, vpc_id))),
    ):
        if module == SUBNETS:  # the NAT gateway holds an interface in the first public subnet
            ec2.delete_nat_gateway(NatGatewayId=nat)
        count = len(remaining())
        before = mutating_ec2_calls(localcloud)
        result = run(localcloud, tmp_path, module, args, "--check", "--diff")
        assert result["changed"] and len(result["diff"]["before"]) == count, result
        assert len(remaining()) == count and mutating_ec2_calls(localcloud) == before
        result = run(localcloud, tmp_path, module, args)
        assert result["changed"] and not result.get("failed"), result
        assert remaining() == []
        result = run(localcloud, tmp_path, module, args)
        assert not result["changed"] and not result.get("failed"), result
    main_tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
    assert len(main_tables) == 1  # the main table stays (it goes with the VPC)


SECURITY_GROUPS = "payments.auroradb.vpc_security_groups"


def groups_of(ec2, vpc_id) -> dict:
    """Group name -> group."""
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]
    return {group["GroupName"]: group for group in groups}


def flat_rules(permissions) -> set:
    """(proto, from, to, source, description) per source of each permission."""
    rules = set()
    for p in permissions:
        ports = (p.get("FromPort"), p.get("ToPort")) if p["IpProtocol"] != "-1" else (None, None)
        for r in p.get("IpRanges", []):
            rules.add((p["IpProtocol"], *ports, r["CidrIp"], r.get("Description")))
        for g in p.get("UserIdGroupPairs", []):
            rules.add((p["IpProtocol"], *ports, g["GroupId"], g.get("Description")))
        for r in p.get("Ipv6Ranges", []) + p.get("PrefixListIds", []):
            rules.add((p["IpProtocol"], *ports, r.get("CidrIpv6") or r.get("PrefixListId"), r.get("Description")))
    return rules


def test_security_groups_lifecycle(localcloud, tmp_path, suffix):
    """Check-mode create, create (adopting a group a killed run left), no-op re-runs, a rule added by hand reported
    in check mode then revoked, the VPC's default group emptied; no deletion (the teardown deletes the groups)."""
    ec2 = localcloud.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.61.0.0/16")["Vpc"]["VpcId"]
    rot, db, endpoint = (f"{kind}-sg-{suffix}" for kind in ("rot", "db", "endpoint"))
    args = {
        "vpc_id": vpc_id,
        "tags": TAGS,
        "security_groups": [
            {
                "name": rot,
                "description": "rotation function",
                "egress": [
                    {"ports": [443], "cidrs": ["0.0.0.0/0"], "description": "Secrets Manager API"},
                    {"ports": ["5432"], "cidrs": ["10.61.0.0/16"], "description": "PostgreSQL inside the VPC"},
                ],
            },
            {
                "name": db,
                "description": "database",
                "ingress": [
                    {"ports": [5432], "group_names": [rot], "description": "rotation function"},
                    {"ports": [5432], "cidrs": ["10.62.0.0/16"], "description": "allowed CIDRs"},
                ],
                "egress": [{"proto": "all", "cidrs": ["0.0.0.0/0"], "description": "all out"}],
            },
            {"name": "default"},
            {
                "name": endpoint,
                "description": "endpoint",
                "ingress": [{"ports": [443], "group_names": [rot], "description": "HTTPS from the function"}],
            },
        ],
    }
    default_id = groups_of(ec2, vpc_id)["default"]["GroupId"]

    # check mode: every group reported, none created, no mutating call
    before = mutating_ec2_calls(localcloud)
    result = run(localcloud, tmp_path, SECURITY_GROUPS, args, "--check", "--diff")
    assert result["changed"] and not result.get("failed"), result
    assert result["group_ids"] == {rot: "", db: "", "default": default_id, endpoint: ""}
    assert result["diff"]["before"][rot] == {} and result["diff"]["after"]["default"]["egress"] == []
    assert result["diff"]["after"][db]["ingress"] == [
        {"proto": "tcp", "ports": "5432", "cidr": "10.62.0.0/16", "description": "allowed CIDRs"},
        {
            "proto": "tcp",
            "ports": "5432",
            "group_id": f"(new group {rot})",
            "group_name": rot,
            "description": "rotation function",
        },
    ]
    assert sorted(groups_of(ec2, vpc_id)) == ["default"] and mutating_ec2_calls(localcloud) == before

    # a killed run left the endpoint group (created with its Name tag, AWS's default egress rule, no ingress)
    spec = [{"ResourceType": "security-group", "Tags": [{"Key": "Name", "Value": endpoint}]}]
    left = ec2.create_security_group(GroupName=endpoint, Description="endpoint", VpcId=vpc_id, TagSpecifications=spec)

    # create: the left group adopted, every group's rules exactly those asked for, tagged, the default group empty
    result = run(localcloud, tmp_path, SECURITY_GROUPS, args)
    assert result["changed"] and not result.get("failed"), result
    groups = groups_of(ec2, vpc_id)
    assert sorted(groups) == sorted([rot, db, endpoint, "default"])
    ids = {name: group["GroupId"] for name, group in groups.items()}
    assert result["group_ids"] == ids and ids[endpoint] == left["GroupId"]
    for name in (rot, db, endpoint):
        assert tags_of(groups[name]) == {**TAGS, "Name": name}
    assert tags_of(groups["default"]) == {}
    assert flat_rules(groups[rot]["IpPermissions"]) == set()
    assert flat_rules(groups[rot]["IpPermissionsEgress"]) == {
        ("tcp", 443, 443, "0.0.0.0/0", "Secrets Manager API"),
        ("tcp", 5432, 5432, "10.61.0.0/16", "PostgreSQL inside the VPC"),
    }
    assert flat_rules(groups[db]["IpPermissions"]) == {
        ("tcp", 5432, 5432, ids[rot], "rotation function"),
        ("tcp", 5432, 5432, "10.62.0.0/16", "allowed CIDRs"),
    }
    assert flat_rules(groups[db]["IpPermissionsEgress"]) == {("-1", None, None, "0.0.0.0/0", "all out")}
    assert flat_rules(groups[endpoint]["IpPermissions"]) == {("tcp", 443, 443, ids[rot], "HTTPS from the function")}
    assert flat_rules(groups[endpoint]["IpPermissionsEgress"]) == set()
    assert groups["default"]["IpPermissions"] == [] and groups["default"]["IpPermissionsEgress"] == []

    # check-mode re-run and re-run: no change, no mutating call
    before = mutating_ec2_calls(localcloud)
    for flags in (("--check",), ()):
        result = run(localcloud, tmp_path, SECURITY_GROUPS, args, *flags)
        assert not result["changed"] and result["group_ids"] == ids, result
    assert mutating_ec2_calls(localcloud) == before

    # a rule added by hand (PostgreSQL from anywhere): reported in check mode, no call; then revoked
    ec2.authorize_security_group_ingress(
        GroupId=ids[db],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    before = mutating_ec2_calls(localcloud)
    result = run(localcloud, tmp_path, SECURITY_GROUPS, args, "--check", "--diff")
    assert result["changed"] and mutating_ec2_calls(localcloud) == before, result
    assert {"proto": "tcp", "ports": "5432", "cidr": "0.0.0.0/0"} in result["diff"]["before"][db]["ingress"]
    assert result["diff"]["after"][db] == result["results"][1]
    assert all(rule.get("cidr") != "0.0.0.0/0" for rule in result["diff"]["after"][db]["ingress"])
    assert result["diff"]["before"][rot] == result["diff"]["after"][rot]
    result = run(localcloud, tmp_path, SECURITY_GROUPS, args)
    assert result["changed"] and not result.get("failed"), result
    assert mutating_ec2_calls(localcloud)[len(before) :] == ["RevokeSecurityGroupIngress"]
    assert flat_rules(groups_of(ec2, vpc_id)[db]["IpPermissions"]) == {
        ("tcp", 5432, 5432, ids[rot], "rotation function"),
        ("tcp", 5432, 5432, "10.62.0.0/16", "allowed CIDRs"),
    }
    result = run(localcloud, tmp_path, SECURITY_GROUPS, args)
    assert not result["changed"], result

    # a rule no longer asked for (with its description) is revoked
    fewer = copy.deepcopy(args)
    fewer["security_groups"][1]["ingress"].pop()
    result = run(localcloud, tmp_path, SECURITY_GROUPS, fewer)
    assert result["changed"] and not result.get("failed"), result
    assert flat_rules(groups_of(ec2, vpc_id)[db]["IpPermissions"]) == {
        ("tcp", 5432, 5432, ids[rot], "rotation function")
    }
