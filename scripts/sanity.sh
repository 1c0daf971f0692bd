#!/usr/bin/env bash
# ansible-test sanity for the payments.auroradb collection: no Docker, no internet.
#
# ansible-test bootstraps pip into each sanity venv with a get-pip script it downloads from
# ci-files.testing.ansible.com (unreachable here) unless a cached copy exists at
# ~/.ansible/test/cache/get_pip_<pip version with _>.py. We put our own stand-in there
# (scripts/get_pip_standin.py: ensurepip + pip install from the configured index).
#
# Usage: scripts/sanity.sh [extra ansible-test sanity arguments, e.g. --test pep8]
# Env:   VENV (default: .venv at the repo root)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${VENV:-.venv}
case $venv in /*) ;; *) venv=$repo/$venv ;; esac
coll=$repo/collections/ansible_collections/payments/auroradb

for tool in python ansible-test; do
  if [ ! -x "$venv/bin/$tool" ]; then
    echo "error: $venv/bin/$tool not found; run 'make setup' first" >&2
    exit 1
  fi
done

# The Python version ansible-test should test with is the venv's own (e.g. 3.12).
pyver=$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

# The pip version ansible-test bootstraps into its venvs (25.2 for ansible-core 2.21.5).
pip_version=$("$venv/bin/python" - <<'PY'
import ast
import pathlib

import ansible_test

source = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
tree = ast.parse(source.read_text())
for node in ast.walk(tree):
    if isinstance(node, ast.FunctionDef) and node.name == "get_venv_packages":
        for call in ast.walk(node):
            if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "dict":
                for kw in call.keywords:
                    if kw.arg == "pip" and isinstance(kw.value, ast.Constant):
                        print(kw.value.value)
                        raise SystemExit(0)
raise SystemExit("cannot find the pip version in %s (get_venv_packages)" % source)
PY
)

cache_dir=$HOME/.ansible/test/cache
standin=$cache_dir/get_pip_${pip_version//./_}.py
mkdir -p "$cache_dir"
if ! cmp -s "$repo/scripts/get_pip_standin.py" "$standin"; then
  install -m 0644 "$repo/scripts/get_pip_standin.py" "$standin"
  echo "installed the get-pip stand-in for pip $pip_version: $standin"
fi

# ansible-test only sees the files git lists for the collection: tracked ones plus untracked ones
# that .gitignore does not exclude. Say so when ignored files (other than tests/output and caches)
# would be skipped.
if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
  skipped=$(git -C "$coll" ls-files --others --ignored --exclude-standard --directory . \
    | grep -vE '(^|/)(tests/output/|__pycache__/|\.pytest_cache/|\.ruff_cache/)' || true)
  # tests/output (ansible-test's own output, venvs included) must stay out of git and out of the
  # file list, or the symlinks and line-endings tests trip over it.
  if ! git -C "$coll" check-ignore -q tests/output/probe; then
    echo "warning: tests/output/ is not ignored by git; add" \
      "'collections/ansible_collections/payments/auroradb/tests/output/' to .gitignore" >&2
  fi
  if [ -n "$skipped" ]; then
    echo "note: ansible-test uses git to list the collection's files; these are ignored by git and NOT tested:"
    sed 's/^/  /' <<<"$skipped"
  fi
fi

# ansible-test only finds the collections this one depends on (amazon.aws, community.aws) in the same
# ansible_collections tree, and Galaxy is unreachable. So the run happens in a scratch copy of the
# collection (the files git lists, as above) whose tree also links the copies of the dependencies that
# the pinned `ansible` package installed in the venv (galaxy.yml dependencies, transitively). The
# repository's own collections/ tree is never touched, so playbooks running meanwhile are unaffected.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/auroradb-sanity.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
work=$scratch/ansible_collections/payments/auroradb
mkdir -p "$work"
(cd "$coll" && git ls-files -co --exclude-standard -z . 2>/dev/null || find . -type f -not -path './tests/output/*' -print0) \
  | (cd "$coll" && xargs -0 -r cp --parents -t "$work")
links=$("$venv/bin/python" - "$work" <<'PY'
import json
import pathlib
import sys

import yaml

coll = pathlib.Path(sys.argv[1])
tree = coll.parent.parent  # collections/ansible_collections
sources = []
for entry in sys.path:
    candidate = pathlib.Path(entry or ".") / "ansible_collections"
    if candidate.is_dir() and candidate.resolve() != tree.resolve():
        sources.append(candidate)


def dependencies(path):
    manifest = path / "MANIFEST.json"
    if manifest.is_file():
        return json.loads(manifest.read_text())["collection_info"].get("dependencies") or {}
    galaxy = path / "galaxy.yml"
    if galaxy.is_file():
        return yaml.safe_load(galaxy.read_text()).get("dependencies") or {}
    return {}


todo, seen = list(dependencies(coll)), set()
while todo:
    name = todo.pop()
    if name in seen:
        continue
    seen.add(name)
    namespace, collection = name.split(".", 1)
    target = tree / namespace / collection
    found = next((s / namespace / collection for s in sources if (s / namespace / collection).is_dir()), None)
    if target.is_symlink() and found is not None and target.resolve() == found.resolve():
        print(target)  # left over from an interrupted run: ours to remove
        todo.extend(dependencies(found))
    elif target.exists() or target.is_symlink():
        todo.extend(dependencies(target))
    elif found is None:
        print(f"warning: dependency {name} not found in the venv; ansible-test may fail to import it", file=sys.stderr)
    else:
        target.parent.mkdir(exist_ok=True)
        target.symlink_to(found, target_is_directory=True)
        print(target)
        todo.extend(dependencies(found))
PY
)
for link in $links; do echo "linked dependency ${link#"$scratch"/} -> $(readlink "$link")"; done

cd "$work"
echo "+ ansible-test sanity --local --python $pyver${*:+ $*}  (in a scratch copy of ${coll#"$repo"/})"
start=$SECONDS
rc=0
PATH=$venv/bin:$PATH "$venv/bin/ansible-test" sanity --local --python "$pyver" --color no "$@" || rc=$?
echo "ansible-test sanity finished in $((SECONDS - start))s with exit code $rc"
exit $rc
