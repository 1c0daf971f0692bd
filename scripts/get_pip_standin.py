"""Offline stand-in for the get-pip bootstrap script that ansible-test downloads.

ansible-test bootstraps pip into each of its sanity virtual environments with a `get-pip` script
fetched from ci-files.testing.ansible.com, unless a cached copy exists at
``~/.ansible/test/cache/get_pip_<pip version with _>.py``. That host is unreachable here, so
``scripts/sanity.sh`` copies this file to that cache path.

ansible-test runs it as ``__main__`` with get-pip's arguments, e.g.
``--disable-pip-version-check pip==25.2 --no-setuptools --no-wheel``. This script:

1. runs ``python -m ensurepip --upgrade`` in a subprocess (in-process, ensurepip sets
   ``PIP_CONFIG_FILE=/dev/null`` and the next pip call would lose the machine's pip
   configuration, such as its CA certificate and index settings);
2. runs ``python -m pip install`` with the given arguments, minus ``--no-setuptools`` and
   ``--no-wheel`` (get-pip options that pip itself does not know).
"""

from __future__ import annotations

import subprocess
import sys

GET_PIP_ONLY_OPTIONS = frozenset({"--no-setuptools", "--no-wheel"})


def main(argv: list[str]) -> int:
    python = sys.executable
    result = subprocess.run([python, "-m", "ensurepip", "--upgrade"], check=False)
    if result.returncode:
        print(f"get-pip stand-in: ensurepip failed with exit code {result.returncode}", file=sys.stderr)
        return result.returncode
    pip_args = [arg for arg in argv if arg not in GET_PIP_ONLY_OPTIONS]
    result = subprocess.run([python, "-m", "pip", "install", *pip_args], check=False)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
