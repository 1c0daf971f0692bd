# -*- coding: utf-8 -*-
# Copyright: payments platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A JSON file written (or removed) only when it differs: the code of payments.auroradb.json_file and its action."""

from __future__ import annotations

import json
import os
import tempfile

ARGUMENT_SPEC = dict(
    path=dict(type="path", required=True),
    content=dict(type="raw"),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    mode=dict(type="str", default="0644"),
)


class JsonFileError(Exception):
    """The file cannot be written or removed; the message says which and why."""


def _read(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _write(path, text, mode):
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, mode=0o755, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=directory, prefix=".json_file-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(partial, mode)
    os.replace(partial, path)


def converge(params, check_mode=False):
    """The module's result for its parameters (ARGUMENT_SPEC): write ``content`` as indented JSON or remove the file.

    The directory is created when missing; the file is replaced atomically and only when its text would change
    (``changed``); the mode is set when it differs. ``diff`` holds the text before and after.
    """
    path = params["path"]
    try:
        mode = int(str(params["mode"]), 8)
    except ValueError as exc:
        raise JsonFileError(f"mode: {params['mode']!r} is not an octal mode such as 0644") from exc
    before = _read(path)
    after = None
    if params["state"] == "present":
        if params.get("content") is None:
            raise JsonFileError("content: required with state=present")
        after = json.dumps(params["content"], indent=4, sort_keys=True) + "\n"
    changed = before != after
    if not changed and after is not None and (os.stat(path).st_mode & 0o7777) != mode:
        changed = True
        if not check_mode:
            os.chmod(path, mode)
    elif changed and not check_mode:
        try:
            if after is None:
                os.remove(path)
            else:
                _write(path, after, mode)
        except OSError as exc:
            raise JsonFileError(f"cannot {'remove' if after is None else 'write'} {path}: {exc}") from exc
    return dict(
        changed=changed,
        path=path,
        state=params["state"],
        diff=dict(before=before or "", after=after or "", before_header=path, after_header=path),
    )
