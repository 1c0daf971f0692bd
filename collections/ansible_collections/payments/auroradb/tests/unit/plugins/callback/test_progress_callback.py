# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The progress callback: a retry prints one progress line, never ansible's ``FAILED - RETRYING``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ansible_collections.payments.auroradb.plugins.callback.progress import retry_line, shows_drift

REPO = Path(__file__).resolve().parents[8]

# Done at the third call; the attempt count lives in a file. `fail_first` fails the first call instead.
WAITER = """#!/usr/bin/python
import os
from ansible.module_utils.basic import AnsibleModule

module = AnsibleModule(argument_spec=dict(counter=dict(type="path", required=True), progress=dict(type="bool"),
                                          fail_first=dict(type="bool", default=False)))
path = module.params["counter"]
calls = int(open(path).read()) + 1 if os.path.exists(path) else 1
open(path, "w").write(str(calls))
if module.params["fail_first"] and calls == 1:
    module.fail_json(msg="throttled, try again")
result = dict(changed=False, done=calls >= 3)
if module.params["progress"]:
    result["progress"] = "%d/3 instances available" % calls
module.exit_json(**result)
"""

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Wait with progress
      waiter: {counter: "{{ dir }}/a", progress: true}
      register: r
      until: r.done
      retries: 5
      delay: 0
    - name: Wait without progress
      waiter: {counter: "{{ dir }}/b", progress: false}
      register: r
      until: r.done
      retries: 5
      delay: 0
    - name: Retry a failed attempt
      waiter: {counter: "{{ dir }}/c", fail_first: true}
      register: r
      until: r is succeeded
      retries: 3
      delay: 0
"""


def test_retry_lines():
    # ansible hands v2_runner_retry the number of the next attempt
    assert retry_line("h", "Wait", {"attempts": 3, "retries": 61, "progress": "2/3 instances available"}) == (
        "  [h] Wait: 2/3 instances available (attempt 2 of 61)"
    )
    assert retry_line("h", "Wait", {"attempts": 2, "retries": 4}) == "  [h] Wait: not yet, waiting (attempt 1 of 4)"
    failed = retry_line("h", "Create", {"attempts": 2, "retries": 4, "msg": "throttled"}, failed=True)
    assert failed == "  [h] Create: failed, retrying: throttled (attempt 1 of 4)"


def test_playbook_retries_print_progress_lines_and_no_failed_retrying(tmp_path):
    (tmp_path / "library").mkdir()
    (tmp_path / "library" / "waiter.py").write_text(WAITER)
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),  # the repository's settings: its stdout callback
        ANSIBLE_LIBRARY=str(tmp_path / "library"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
    )
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "play.yml", "-e", f"dir={tmp_path}"]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout + proc.stderr
    assert "FAILED - RETRYING" not in out, out
    assert "  [localhost] Wait with progress: 1/3 instances available (attempt 1 of 6)" in out, out
    assert "  [localhost] Wait with progress: 2/3 instances available (attempt 2 of 6)" in out, out
    assert "  [localhost] Wait without progress: not yet, waiting (attempt 2 of 6)" in out, out
    assert "  [localhost] Retry a failed attempt: failed, retrying: throttled, try again (attempt 1 of 4)" in out
    assert "ok=3" in out and "failed=0" in out, out


# A read-only task that reports drift: changed=false, with a diff of the live and the wanted values.
DRIFTER = """#!/usr/bin/python
from ansible.module_utils.basic import AnsibleModule

module = AnsibleModule(argument_spec=dict(drifted=dict(type="bool")), supports_check_mode=True)
lines = ["DRIFT cluster c backup_retention: 3 -> 7"] if module.params["drifted"] else []
result = dict(changed=False, drift_lines=lines)
if module._diff and lines:
    result["diff"] = {"before": "cluster c backup_retention: 3\\n", "after": "cluster c backup_retention: 7\\n",
                      "before_header": "live", "after_header": "wanted"}
module.exit_json(**result)
"""

DRIFT_PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Drifted
      drifter: {drifted: true}
    - name: Clean
      drifter: {drifted: false}
"""


def test_drift_flag():
    assert shows_drift({"drift_lines": ["DRIFT x"], "diff": {"before": "a", "after": "b"}})
    assert not shows_drift({"drift_lines": [], "diff": {"before": "a", "after": "b"}})
    assert not shows_drift({"drift_lines": ["DRIFT x"]})


def test_an_unchanged_result_with_drift_shows_its_diff_in_diff_mode_only(tmp_path):
    (tmp_path / "library").mkdir()
    (tmp_path / "library" / "drifter.py").write_text(DRIFTER)
    (tmp_path / "play.yml").write_text(DRIFT_PLAYBOOK)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_LIBRARY=str(tmp_path / "library"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCALHOST_WARNING="false",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
    )
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "play.yml"]
    outputs = {}
    for mode in ("--diff", "--check"):
        proc = subprocess.run(
            [*cmd, mode], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        outputs[mode] = proc.stdout
    out = outputs["--diff"]
    assert "--- before: live" in out and "+++ after: wanted" in out, out
    assert "-cluster c backup_retention: 3" in out and "+cluster c backup_retention: 7" in out, out
    assert out.count("--- before") == 1 and "changed=0" in out, out
    assert "before: live" not in outputs["--check"]
