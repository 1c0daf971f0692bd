#!/usr/bin/python
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: aurora_instances_wait
version_added: 0.1.0
short_description: Wait a short while for an Aurora cluster and its instances to reach a state
author:
  - payments platform team (!UNKNOWN)
description:
  - Polls DescribeDBClusters and DescribeDBInstances until every listed instance (and, unless
    O(wait_for_cluster=false), the cluster) reaches O(state), or until O(timeout) seconds have passed.
  - Each call is short on purpose. Call it from an C(until) loop (until the result's RV(done) is true) so a long
    wait (creating three instances takes 10 to 20 minutes) shows one C(progress) line per call, for
    example "2/3 instances available (writer available; reader1 creating; reader2 available), cluster available".
    The collection's C(payments.auroradb.progress) callback plugin prints that line on every retry.
  - Never fails because the state was not reached yet; it returns RV(done=false) instead.
    Write the loop condition as C(result is failed or result.done), so that a failure ends the loop
    instead of being retried.
  - Fails at once when the cluster or an instance is in a status that waiting cannot change, such as
    C(failed), C(incompatible-parameters), C(inaccessible-encryption-credentials) or C(storage-full),
    and, when waiting for C(available), C(stopped).
  - Something that does not exist counts as C(deleted) for O(state=deleted) and is reported as
    C(not-found) for O(state=available) (it may not be visible yet, so the module keeps waiting).
  - In check mode it describes once and returns RV(done=true) without waiting.
options:
  cluster_identifier:
    description:
      - The DB cluster identifier.
    type: str
    required: true
  instance_identifiers:
    description:
      - The DB instance identifiers to wait for. May be empty to wait for the cluster alone.
    type: list
    elements: str
    default: []
  state:
    description:
      - The state to wait for. V(deleted) means "does not exist any more".
    type: str
    choices: [available, deleted]
    default: available
  wait_for_cluster:
    description:
      - Whether the cluster itself must reach O(state) too.
      - Use V(false) when waiting for the instances of a cluster to be deleted before deleting the cluster.
    type: bool
    default: true
  timeout:
    description:
      - Seconds this call waits at most before it returns RV(done=false). Keep it short and let the
        caller's C(until) loop provide the overall time limit. V(0) checks once.
    type: int
    default: 30
  poll_interval:
    description:
      - Seconds between two checks within one call.
    type: int
    default: 5
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Wait for the cluster and its three instances to become available
  payments.auroradb.aurora_instances_wait:
    cluster_identifier: payment-db-cluster-dev
    instance_identifiers:
      - payment-db-cluster-dev-writer
      - payment-db-cluster-dev-reader1
      - payment-db-cluster-dev-reader2
    state: available
  register: aurora_wait
  until: aurora_wait is failed or aurora_wait.done
  retries: 120
  delay: 1

- name: Wait for the instances to be gone (the cluster is deleted afterwards)
  payments.auroradb.aurora_instances_wait:
    cluster_identifier: payment-db-cluster-dev
    instance_identifiers: "{{ instance_ids }}"
    state: deleted
    wait_for_cluster: false
  register: aurora_gone
  until: aurora_gone is failed or aurora_gone.done
  retries: 120
  delay: 1

- name: Wait for the cluster itself to be deleted
  payments.auroradb.aurora_instances_wait:
    cluster_identifier: payment-db-cluster-dev
    state: deleted
  register: cluster_gone
  until: cluster_gone is failed or cluster_gone.done
  retries: 120
  delay: 1
"""

RETURN = r"""
done:
  description: Whether everything reached O(state) (always V(true) in check mode).
  returned: always
  type: bool
  sample: false
progress:
  description: One line saying where the wait is.
  returned: always
  type: str
  sample: "2/3 instances available (writer available; reader1 creating; reader2 available), cluster available"
instances:
  description: Status of each listed instance (C(deleted) or C(not-found) when it does not exist).
  returned: always
  type: dict
  sample: {"payment-db-cluster-dev-writer": "available", "payment-db-cluster-dev-reader1": "creating"}
cluster_status:
  description: Status of the cluster (C(deleted) or C(not-found) when it does not exist).
  returned: always
  type: str
  sample: available
writer:
  description: Identifier of the cluster's current writer instance, or null.
  returned: always
  type: str
  sample: payment-db-cluster-dev-writer
pending_reboot:
  description:
    - Instances whose (cluster) parameter group changes wait for a reboot, readers first, the writer last.
  returned: always
  type: list
  elements: str
  sample: ["payment-db-cluster-dev-reader1"]
cluster:
  description: A summary of the cluster; empty when it does not exist.
  returned: always
  type: dict
  contains:
    arn:
      description: The cluster ARN.
      type: str
      sample: arn:aws:rds:us-east-1:123456789012:cluster:payment-db-cluster-dev
    endpoint:
      description: The writer endpoint.
      type: str
      sample: payment-db-cluster-dev.cluster-abcdefghijkl.us-east-1.rds.amazonaws.com
    reader_endpoint:
      description: The reader endpoint.
      type: str
      sample: payment-db-cluster-dev.cluster-ro-abcdefghijkl.us-east-1.rds.amazonaws.com
    port:
      description: The port the cluster listens on.
      type: int
      sample: 5432
    members:
      description: Identifiers of every instance of the cluster.
      type: list
      elements: str
      sample: ["payment-db-cluster-dev-reader1", "payment-db-cluster-dev-writer"]
    deletion_protection:
      description: Whether the cluster has deletion protection on.
      type: bool
      sample: false
"""

import time

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.payments.auroradb.plugins.module_utils.errors import run
from ansible_collections.payments.auroradb.plugins.module_utils.rds import (
    describe_cluster,
    describe_instances,
    evaluate_wait,
)


def check_once(module, client):
    params = module.params
    cluster = describe_cluster(client, params["cluster_identifier"])
    instances = describe_instances(client, params["instance_identifiers"])
    return evaluate_wait(
        params["cluster_identifier"],
        params["instance_identifiers"],
        params["state"],
        cluster,
        instances,
        wait_for_cluster=params["wait_for_cluster"],
    )


def wait(module, client):
    deadline = time.monotonic() + max(module.params["timeout"], 0)
    interval = max(module.params["poll_interval"], 1)
    while True:
        report = check_once(module, client)
        failed = report.pop("failed")
        if failed:
            module.fail_json(msg=failed, changed=False, **report)
        if module.check_mode:
            report["done"] = True
            report["progress"] += " (check mode: not waiting)"
            return report
        remaining = deadline - time.monotonic()
        if report["done"] or remaining <= 0:
            return report
        time.sleep(min(interval, remaining))


def main():
    argument_spec = dict(
        cluster_identifier=dict(type="str", required=True),
        instance_identifiers=dict(type="list", elements="str", default=[]),
        state=dict(type="str", choices=["available", "deleted"], default="available"),
        wait_for_cluster=dict(type="bool", default=True),
        timeout=dict(type="int", default=30),
        poll_interval=dict(type="int", default=5),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    # Identifiers are case-insensitive and RDS reports them in lower case.
    module.params["cluster_identifier"] = module.params["cluster_identifier"].lower()
    module.params["instance_identifiers"] = [i.lower() for i in module.params["instance_identifiers"]]
    run(module, "rds", lambda module, client: {"changed": False, **wait(module, client)})


if __name__ == "__main__":
    main()
