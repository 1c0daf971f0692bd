#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: run_lock
short_description: Take or release an environment's run lock, an SSM parameter held on AWS
author:
  - payments platform team (!UNKNOWN)
version_added: 0.1.0
description:
  - One run at a time per environment. The lock is an SSM String parameter (for the payments stack
    C(/payments-auroradb/<suffix>/lock)) created with C(PutParameter) C(Overwrite=false), which AWS performs atomically,
    so of two runs started together exactly one gets it and the other fails at once with a message naming the
    holder (user@host), the start time, the playbook, the run ID, the expiry and how to break a stale lock.
  - The parameter's value is JSON with C(holder), C(started) (UTC), C(playbook), C(run_id), C(expiry_minutes) and
    C(expires) (UTC).
  - V(released) deletes the parameter only while it still holds O(run_id), so a run never removes a lock another run
    took after breaking its own.
  - A run killed with SIGKILL cannot release its lock; the lock stays until it expires and is broken on purpose
    (O(break_lock=true)), or is broken at once with O(break_lock=force). A lock of an unknown format (not written by
    this module) expires O(expiry_minutes) after its last modification.
  - Check mode reads the lock and reports whether it is free, and never writes.
options:
  name:
    description: Name of the SSM parameter that is the lock.
    type: str
    required: true
  state:
    description: V(acquired) takes the lock (or fails when another run holds it); V(released) gives it back.
    type: str
    choices: [acquired, released]
    default: acquired
  run_id:
    description: ID of this run; the lock is ours while its value carries it.
    type: str
    required: true
  holder:
    description: Who takes the lock; empty = C(user@host) of the machine the module runs on.
    type: str
    default: ""
  playbook:
    description: What takes the lock (the playbook), shown to whoever finds it held.
    type: str
    default: ""
  expiry_minutes:
    description:
      - How long after it was taken the lock counts as stale (may be broken with O(break_lock=true)).
      - Choose more than the longest run takes (a first deploy on AWS takes 30-45 minutes).
    type: int
    default: 120
  break_lock:
    description:
      - What to do with a lock another run holds. V(false) fails naming the holder; V(true) breaks it (deletes
        it and takes it) only when it has expired, and fails otherwise; V(force) breaks it whatever its age.
    type: str
    choices: ["false", "true", "force"]
    default: "false"
  tags:
    description: Tags of the parameter (set when the lock is taken).
    type: dict
    default: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Take the lock of environment dev
  payments.auroradb.run_lock:
    name: /payments-auroradb/dev/lock
    run_id: "{{ run_id }}"
    playbook: site.yml
  register: lock

- name: Give it back
  payments.auroradb.run_lock:
    name: /payments-auroradb/dev/lock
    run_id: "{{ run_id }}"
    state: released
"""

RETURN = r"""
lock:
  description: The lock as found before the task (empty when it was free).
  returned: always
  type: dict
  sample: {"holder": "ci@runner-7", "started": "2026-12-01T08:00:00Z", "playbook": "site.yml",
           "run_id": "3f0c9d1e", "expiry_minutes": 120, "expires": "2026-12-01T10:00:00Z"}
held:
  description: Whether another run held the lock when the task read it (and, without a break, still holds it).
  returned: always
  type: bool
broken:
  description: Whether this task broke another run's lock (O(break_lock)).
  returned: always
  type: bool
ours:
  description: Whether the lock is this run's after the task (V(acquired); in check mode whether it would be).
  returned: always
  type: bool
"""

import getpass
import json
import socket
from datetime import datetime, timedelta, timezone

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.payments.auroradb.plugins.module_utils import ssm
from ansible_collections.payments.auroradb.plugins.module_utils.errors import AuroraDbError, run

BREAK_VARIABLE = "auroradb_break_lock"
DESCRIPTION = "payments.auroradb run lock: one run at a time for this environment (payments.auroradb.run_lock)"


def utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text) -> datetime | None:
    try:
        return datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def lock_value(params: dict, now: datetime) -> dict:
    """What a new lock says (the parameter's value, as a dict)."""
    minutes = params["expiry_minutes"]
    return {
        "holder": params["holder"] or f"{getpass.getuser()}@{socket.gethostname()}",
        "started": utc(now),
        "playbook": params["playbook"],
        "run_id": params["run_id"],
        "expiry_minutes": minutes,
        "expires": utc(now + timedelta(minutes=minutes)),
    }


def read_lock(parameter: dict | None, expiry_minutes: int) -> dict:
    """The lock a parameter holds; a value that is not ours expires ``expiry_minutes`` after its last change."""
    if not parameter:
        return {}
    try:
        lock = json.loads(parameter["Value"])
    except ValueError:
        lock = None
    if not isinstance(lock, dict):
        lock = {"holder": "unknown (not a payments.auroradb lock)", "value": parameter["Value"]}
    if parse_time(lock.get("expires")) is None:
        changed = parameter.get("LastModifiedDate") or datetime.now(timezone.utc)
        lock["expires"] = utc(changed + timedelta(minutes=expiry_minutes))
        lock.setdefault("started", utc(changed))
    return lock


def expired(lock: dict, now: datetime) -> bool:
    return parse_time(lock["expires"]) <= now


def describe(name: str, lock: dict) -> str:
    return (
        f"the run lock {name}, held by {lock.get('holder', 'unknown')} since {lock.get('started', 'unknown')} "
        f"(playbook {lock.get('playbook') or 'unknown'}, run {lock.get('run_id', 'unknown')}, "
        f"expires {lock['expires']}),"
    )


def refusal(name: str, lock: dict, now: datetime, break_lock: str) -> str:
    """Why we cannot take a lock another run holds, and how to break it when that run is dead."""
    if break_lock == "true":
        return (
            f"Not breaking {describe(name, lock)} because it has not expired yet ({BREAK_VARIABLE}=true breaks only an "
            f"expired lock). Make sure that run is no longer running, then break it now with "
            f"-e {BREAK_VARIABLE}=force, or wait until {lock['expires']}."
        )
    has = " (it has)" if expired(lock, now) else ""
    return (
        f"Another run of this environment is in progress: {describe(name, lock)} is taken. Wait until it finishes. "
        f"If it is dead (a killed run keeps its lock until it expires), break the lock with "
        f"-e {BREAK_VARIABLE}=true once it has expired{has}, or at once with -e {BREAK_VARIABLE}=force."
    )


def may_break(lock: dict, now: datetime, break_lock: str) -> bool:
    return break_lock == "force" or (break_lock == "true" and expired(lock, now))


def acquire(module, client, now: datetime) -> dict:
    """Take the lock: create it, keep it when it is ours already, or break another run's lock when allowed."""
    params = module.params
    name = params["name"]
    lock = read_lock(ssm.get_parameter(client, name), params["expiry_minutes"])
    result = {"changed": False, "lock": lock, "held": False, "broken": False, "ours": False}
    if lock.get("run_id") == params["run_id"]:
        return {**result, "ours": True, "msg": f"{name} is this run's lock already"}
    if lock:
        result["held"] = True
        if not may_break(lock, now, params["break_lock"]):
            if module.check_mode:
                module.warn("Check mode takes no lock. " + refusal(name, lock, now, params["break_lock"]))
                return {**result, "msg": f"{name} is held (check mode takes no lock)"}
            raise AuroraDbError(refusal(name, lock, now, params["break_lock"]), **result)
        result.update(broken=True, held=False)
        module.warn(f"Breaking {describe(name, lock)} as {BREAK_VARIABLE}={params['break_lock']} asks.")
        if not module.check_mode:
            ssm.delete_parameter(client, name)
    if module.check_mode:
        return {**result, "changed": True, "ours": True, "msg": f"{name} is free: a run would take it"}
    value = lock_value(params, now)
    if not ssm.create_parameter(client, name, json.dumps(value, sort_keys=True), DESCRIPTION, params["tags"]):
        # Another run created it between our read and our write: it won.
        winner = read_lock(ssm.get_parameter(client, name), params["expiry_minutes"]) or lock
        raise AuroraDbError(refusal(name, winner, now, "false"), **{**result, "lock": winner, "held": True})
    return {**result, "changed": True, "ours": True, "msg": f"{name} taken by {value['holder']}, run {value['run_id']}"}


def release(module, client, now: datetime) -> dict:
    """Give the lock back: delete it only while it holds our run ID."""
    params = module.params
    name = params["name"]
    lock = read_lock(ssm.get_parameter(client, name), params["expiry_minutes"])
    result = {"changed": False, "lock": lock, "held": False, "broken": False, "ours": False}
    if not lock:
        return {**result, "msg": f"{name} is free"}
    if lock.get("run_id") != params["run_id"]:
        module.warn(f"Leaving {describe(name, lock)} in place: it is not this run's lock (was ours broken?).")
        return {**result, "held": True, "msg": f"{name} is another run's lock"}
    changed = True if module.check_mode else ssm.delete_parameter(client, name)
    return {**result, "changed": changed, "msg": f"{name} released"}


def converge(module, client):
    action = acquire if module.params["state"] == "acquired" else release
    return action(module, client, datetime.now(timezone.utc))


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["acquired", "released"], default="acquired"),
            run_id=dict(type="str", required=True),
            holder=dict(type="str", default=""),
            playbook=dict(type="str", default=""),
            expiry_minutes=dict(type="int", default=120),
            break_lock=dict(type="str", choices=["false", "true", "force"], default="false"),
            tags=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    if module.params["expiry_minutes"] < 1:
        module.fail_json(msg="expiry_minutes must be at least 1")
    run(module, "ssm", converge)


if __name__ == "__main__":
    main()
