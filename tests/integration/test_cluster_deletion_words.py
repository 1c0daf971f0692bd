"""The aurora role's cluster deletion (teardown's wait step) prints no warning, and a refused deletion is explained.

amazon.aws's rds_cluster warns "Module did not set no_log for force_update_password" on every call without no_log,
so the task runs with no_log (unless -v); a failure is then described from the cluster's state instead.
"""

from __future__ import annotations

import subprocess

from conftest import REPO, our_warnings

from localcloud.testing import BIN, create_cluster

PLAY = """
- hosts: localhost
  gather_facts: false
  vars:
    auroradb_names:
      cluster: "{{ cluster }}"
      parameter_group: "params-{{ cluster }}"
      monitoring_role: "mon-{{ cluster }}"
    __auroradb_aurora_doomed: []
    __connection: {endpoint_url: "{{ lookup('env', 'AWS_URL') }}", region: us-east-1}
  module_defaults:
    group/aws: "{{ __connection }}"
    group/payments.auroradb.aws: "{{ __connection }}"
  tasks:
    - name: The aurora role's teardown wait step
      ansible.builtin.include_role:
        name: payments.auroradb.aurora
        tasks_from: absent_wait
"""


def _delete(localcloud, tmp_path, cluster: str) -> subprocess.CompletedProcess:
    (tmp_path / "play.yml").write_text(PLAY)
    cmd = [str(BIN / "ansible-playbook"), str(tmp_path / "play.yml"), "-e", f"cluster={cluster}"]
    return subprocess.run(cmd, cwd=REPO, env=localcloud.env, capture_output=True, text=True, timeout=600, check=False)


def test_cluster_deletion_prints_no_warning_and_explains_a_refusal(localcloud, tmp_path):
    rds = localcloud.client("rds")
    gone = create_cluster(rds)
    run = _delete(localcloud, tmp_path, gone)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert our_warnings(run) == [], run.stdout + run.stderr
    assert not rds.describe_db_clusters(Filters=[{"Name": "db-cluster-id", "Values": [gone]}])["DBClusters"]

    kept = create_cluster(rds)  # a member left: AWS refuses DeleteDBCluster
    member = f"{kept}-w"
    rds.create_db_instance(
        DBInstanceIdentifier=member,
        DBClusterIdentifier=kept,
        Engine="aurora-postgresql",
        DBInstanceClass="db.t3.medium",
    )
    run = _delete(localcloud, tmp_path, kept)
    assert run.returncode != 0
    assert f"Deleting {kept} failed; the cluster is available with members ['{member}']" in run.stdout, run.stdout
    assert "Traceback" not in run.stdout + run.stderr
