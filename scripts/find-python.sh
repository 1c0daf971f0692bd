#!/usr/bin/env bash
# Print the path of a Python >= 3.12 interpreter, or fail with a clear message.
# Order: $PYTHON, python3.12/python3.13/python3 on PATH, then pyenv's installed versions.
# pyenv shims on PATH refuse to run unselected versions, so every candidate is actually run.
set -u
ok() { "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
for name in python3.12 python3.13 python3; do
  path=$(command -v "$name" 2>/dev/null) && candidates+=("$path")
done
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root 2>/dev/null)
  for dir in $(ls -d "$root"/versions/3.1[2-9]* 2>/dev/null | sort -V); do
    candidates+=("$dir/bin/python3")
  done
fi
for dir in $(ls -d "$HOME"/.pyenv/versions/3.1[2-9]* 2>/dev/null | sort -V); do
  candidates+=("$dir/bin/python3")
done
for py in "${candidates[@]}"; do
  if ok "$py"; then
    # resolve shims to the real interpreter so the venv does not depend on pyenv's selection
    "$py" -c 'import sys; print(sys.executable)'
    exit 0
  fi
done
echo "error: no Python >= 3.12 found (ansible-core 2.21 needs it). Install python3.12 or newer," \
     "put it on PATH or set PYTHON=/path/to/python3.12, then run 'make setup' again." >&2
exit 1
