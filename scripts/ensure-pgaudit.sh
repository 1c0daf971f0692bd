#!/usr/bin/env bash
# The local data plane loads pgaudit for real when a cluster parameter group preloads it (inventories/local-prod,
# prod's profile). Debian ships it apart from postgresql-15: install postgresql-15-pgaudit where it is missing.
set -euo pipefail
PG_LIB=${LOCALCLOUD_PG_LIB:-/usr/lib/postgresql/15/lib}
PACKAGE=postgresql-15-pgaudit
[ -f "$PG_LIB/pgaudit.so" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: $PG_LIB/pgaudit.so is missing and there is no apt-get here: install pgaudit for PostgreSQL 15" >&2
  exit 1
fi
if [ "$(id -u)" = 0 ]; then
  run=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  run=(sudo -n)
else
  echo "setup: $PG_LIB/pgaudit.so is missing; install it as root: apt-get install -y $PACKAGE" >&2
  exit 1
fi
echo "setup: installing $PACKAGE (pgaudit for the local data plane)"
export DEBIAN_FRONTEND=noninteractive
if ! "${run[@]}" apt-get install -y -q "$PACKAGE" >/dev/null 2>&1; then
  "${run[@]}" apt-get update -q >/dev/null
  "${run[@]}" apt-get install -y -q "$PACKAGE" >/dev/null
fi
[ -f "$PG_LIB/pgaudit.so" ] || { echo "setup: $PACKAGE installed but $PG_LIB/pgaudit.so is still missing" >&2; exit 1; }
