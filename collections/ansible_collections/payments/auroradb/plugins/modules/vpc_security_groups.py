#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpc_security_groups
short_description: The security groups of a VPC, with their rules, in one module run
author:
  - payments platform team (!UNKNOWN)
version_added: 0.1.0
description:
  - Converges a whole list of security groups of one VPC in one module run (one C(amazon.aws.ec2_security_group)
    run per group costs a Python start-up each, and that module sleeps 3 s after creating a group).
  - Each group is found by its name in the VPC; a missing one is created with its tags in the same call, so a run
    killed right after the creation leaves a group the next run finds and adopts. Groups are created before any
    rule is set, so a rule may name another group of the list (O(security_groups[].ingress[].group_names)).
  - Its ingress and egress rules are made the ones asked for (purge) - a missing rule is authorized, a rule not
    asked for is revoked (AWS's allow-all egress rule of a new group too, unless asked for), a rule with another
    description gets the one asked for. Missing or different tags are set, other tags are kept
    (C(purge_tags=false)).
  - The VPC's C(default) group can be listed to empty it (no rules) or set its rules; it is never created nor
    recreated, its description is not compared (it cannot change), and it gets only its own
    O(security_groups[].tags), not O(tags) nor a C(Name).
  - A group's description cannot change; a different one is reported as a warning, the group is kept.
  - Nothing is deleted (the teardown removes the groups itself). Every AWS call retries throttling and server errors
    with jittered backoff; there is no fixed sleep.
options:
  vpc_id:
    description: The VPC.
    type: str
    required: true
  tags:
    description:
      - Tags of every group of the list but the VPC's C(default) group; C(Name) is set to each group's name. Tags
        already on a group and not given here are kept (C(purge_tags=false)).
    type: dict
    default: {}
  security_groups:
    description: The groups, in the order they are created and reported.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The group's name (C(default) for the VPC's default group).
        type: str
        required: true
      description:
        description: The group's description, needed to create it (not compared for the C(default) group).
        type: str
      tags:
        description: Tags of this group alone (added to O(tags)).
        type: dict
        default: {}
      ingress:
        description: Its inbound rules; any other is revoked (an empty list revokes all).
        type: list
        elements: dict
        default: []
        suboptions: &rule
          proto:
            description: C(tcp), C(udp) or C(all) (every protocol and port).
            type: str
            default: tcp
          ports:
            description: Ports (C(5432)) or ranges (C(1024-65535)); none with C(all).
            type: list
            elements: raw
            default: []
          cidrs:
            description: IPv4 ranges the rule admits (ingress) or reaches (egress).
            type: list
            elements: str
            default: []
          group_ids:
            description: Security group IDs the rule admits or reaches.
            type: list
            elements: str
            default: []
          group_names:
            description: Names of other groups of O(security_groups) the rule admits or reaches.
            type: list
            elements: str
            default: []
          description:
            description: The rule's description (each of its sources carries it); none keeps the one a rule has.
            type: str
      egress:
        description: Its outbound rules; any other is revoked (an empty list revokes all, AWS's default one too).
        type: list
        elements: dict
        default: []
        suboptions: *rule
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: A function's group, the database's (5432 from the function only), and the VPC's default group emptied
  payments.auroradb.vpc_security_groups:
    vpc_id: vpc-0123456789abcdef0
    security_groups:
      - name: rotation-sg
        description: Secret rotation function
        egress:
          - {ports: [443], cidrs: [0.0.0.0/0], description: Secrets Manager API}
          - {ports: [5432], cidrs: [10.0.0.0/16], description: PostgreSQL inside the VPC}
      - name: db-sg
        description: Aurora PostgreSQL
        ingress:
          - {ports: [5432], group_names: [rotation-sg], description: rotation function}
        egress:
          - {proto: all, cidrs: [0.0.0.0/0], description: Allow all outbound traffic by default}
      - name: default
    tags: {environment: dev}
  register: groups

- name: The database group's ID
  ansible.builtin.debug:
    msg: "{{ groups.group_ids['db-sg'] }}"
"""

RETURN = r"""
group_ids:
  description: Each group's ID by its name (an empty string in check mode for a group to be created).
  returned: always
  type: dict
  sample: {rotation-sg: sg-0123456789abcdef0, db-sg: sg-0123456789abcdef1}
results:
  description: One entry per group, in the order of O(security_groups).
  returned: always
  type: list
  elements: dict
  contains:
    id: {description: The group's ID (empty in check mode when it would be created)., type: str}
    name: {description: Its name., type: str}
    description: {description: Its description., type: str}
    tags: {description: Its tags., type: dict}
    ingress:
      description: >-
        Its inbound rules, one per port range and source: C(proto), C(ports) (but for C(all)), one of C(cidr),
        C(cidr6), C(group_id) (with C(group_name) for a group of the list) or C(prefix_list_id), and C(description).
      type: list
      elements: dict
    egress: {description: Its outbound rules (as C(ingress))., type: list, elements: dict}
diff:
  description: With C(--diff), each group's entry of RV(results) before and after (C({}) before a creation).
  returned: with C(--diff)
  type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.payments.auroradb.plugins.module_utils import security_groups as sg
from ansible_collections.payments.auroradb.plugins.module_utils import vpc
from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError, run


def describe(group, names):
    if not group:
        return {}
    return {
        "id": group.get("GroupId", ""),
        "name": group.get("GroupName", ""),
        "description": group.get("Description", ""),
        "tags": vpc.tags_of(group),
        "ingress": sg.show_rules(sg.current_rules(group, "ingress"), names),
        "egress": sg.show_rules(sg.current_rules(group, "egress"), names),
    }


def wanted_tags(module, item):
    if item["name"] == sg.DEFAULT_GROUP:
        return dict(item["tags"] or {})
    return vpc.wanted_tags(module, item)


def find_or_create(module, client, items, existing):
    """The list's groups by name, created when missing (not in check mode, where a new group is what AWS would make
    of it: no ingress, the allow-all egress rule). Returns ``(found before, current, created)``, each by name."""
    by_name = {group["GroupName"]: group for group in existing}
    found = {item["name"]: by_name.get(item["name"]) for item in items}
    current, created = {}, {}
    for item in items:
        if found[item["name"]] is not None:
            current[item["name"]] = found[item["name"]]
        elif item["name"] == sg.DEFAULT_GROUP:
            raise AuroraDbError(f"VPC {module.params['vpc_id']} has no default security group")
        elif module.check_mode:
            current[item["name"]] = new_group(item, "", wanted_tags(module, item))
        else:
            group_id = sg.create(
                client, module.params["vpc_id"], item["name"], item["description"], wanted_tags(module, item)
            )
            created[group_id] = item["name"]
    if created:
        for group in sg.read_fresh(client, list(created)):
            current[created[group["GroupId"]]] = sg.with_default_egress(group)
    return found, current, set(created.values())


def new_group(item, group_id, tags):
    egress = {sg.AWS_DEFAULT_EGRESS: None}
    return {
        "GroupId": group_id,
        "GroupName": item["name"],
        "Description": item["description"],
        "Tags": vpc.tag_list(tags),
        "IpPermissions": [],
        "IpPermissionsEgress": sg.permissions(egress),
    }


def ensure_one(module, client, item, group, ids, fresh):
    """Converge one group's tags and rules (unless check mode); returns ``(group as it is now, changed)``."""
    group_id = group["GroupId"]
    tags = wanted_tags(module, item)
    missing = vpc.missing_tags(vpc.tags_of(group), tags)
    if item["name"] != sg.DEFAULT_GROUP and item["description"] and group["Description"] != item["description"]:
        module.warn(
            f"security group {item['name']} ({group_id}) has the description {group['Description']!r}, not "
            f"{item['description']!r}: a group's description cannot change (remove the group to recreate it)"
        )
    now = {**group, "Tags": vpc.tag_list({**vpc.tags_of(group), **missing})}
    changed = bool(missing)
    if missing and not module.check_mode:
        vpc.tag(client, group_id, missing)
    for direction, key in sg.DIRECTIONS.items():
        current = sg.current_rules(group, direction)
        wanted = sg.expand_rules(item[direction], ids)
        changes = sg.rule_changes(current, wanted)
        changed |= any(changes.values())
        now[key] = sg.permissions({rule: current.get(rule) if desc is None else desc for rule, desc in wanted.items()})
        if module.check_mode:
            continue
        for action in ("describe", "revoke", "authorize"):
            if changes[action]:
                sg.change_rules(client, action, direction, group_id, changes[action], fresh=fresh)
    return now, changed


def converge(module, client):
    items = module.params["security_groups"]
    sg.check_groups(items)
    existing = sg.groups_of(client, module.params["vpc_id"]) if items else []
    found, current, created = find_or_create(module, client, items, existing)
    ids = {name: group["GroupId"] or f"(new group {name})" for name, group in current.items()}
    names = {group_id: name for name, group_id in ids.items()}
    before, after, results, changed = {}, {}, [], bool(created)
    for item in items:
        name = item["name"]
        now, item_changed = ensure_one(module, client, item, current[name], ids, fresh=name in created)
        changed |= item_changed or found[name] is None
        before[name], after[name] = describe(found[name], names), describe(now, names)
        results.append(after[name])
    result = {
        "changed": changed,
        "results": results,
        "group_ids": {name: current[name]["GroupId"] for name in current},
    }
    if module._diff:
        result["diff"] = {"before": before, "after": after}
    return result


def main():
    rule = dict(
        proto=dict(type="str", default="tcp"),
        ports=dict(type="list", elements="raw", default=[]),
        cidrs=dict(type="list", elements="str", default=[]),
        group_ids=dict(type="list", elements="str", default=[]),
        group_names=dict(type="list", elements="str", default=[]),
        description=dict(type="str"),
    )
    group = dict(
        name=dict(type="str", required=True),
        description=dict(type="str"),
        tags=dict(type="dict", default={}),
        ingress=dict(type="list", elements="dict", default=[], options=rule),
        egress=dict(type="list", elements="dict", default=[], options=rule),
    )
    module = AnsibleAWSModule(
        argument_spec=dict(
            vpc_id=dict(type="str", required=True),
            tags=dict(type="dict", default={}),
            security_groups=dict(type="list", elements="dict", default=[], options=group),
        ),
        supports_check_mode=True,
    )
    run(module, "ec2", converge)


if __name__ == "__main__":
    main()
