#!/usr/bin/env python3
"""Build the deployment package of the PostgreSQL rotation function: <out>/rotation.zip.

The same code as the collection's `payments.auroradb.rotation_package` module (module_utils/rotation_package.py):
postgres_single_user.py, an optional CA bundle (as rds-global-bundle.pem) and pg8000 with its dependencies at
exact pinned versions, copied from this interpreter's site-packages. The zip is deterministic: the same sources
give the same bytes. This script is for inspecting the package and for tests; deployments use the module.

Usage: .venv/bin/python scripts/build_rotation_zip.py [--out DIR] [--ca-bundle PEM]   (default DIR: build/)
"""

import argparse
import hashlib
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "collections"))

from ansible_collections.payments.auroradb.plugins.module_utils import rotation_package  # noqa: E402

COLLECTION = REPO / "collections/ansible_collections/payments/auroradb"
FUNCTION = COLLECTION / "roles/secret/files/rotation/postgres_single_user.py"
REQUIREMENTS = REPO / "requirements.txt"


def requirement_pin(name, requirements=REQUIREMENTS):
    for line in requirements.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.lower().startswith(name.lower() + "=="):
            return line.split("==", 1)[1].strip()
    raise SystemExit(f"error: {name} is not pinned with == in {requirements}")


def build(out_dir, ca_bundle=None):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        data = rotation_package.build_package(FUNCTION, ca_bundle)
    except rotation_package.PackageError as exc:
        raise SystemExit(f"error: {exc}") from None
    target = out_dir / "rotation.zip"
    target.write_bytes(data)
    return target


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--out", default=str(REPO / "build"), help="output directory (default: build/)")
    parser.add_argument("--ca-bundle", help="PEM CA bundle to package as rds-global-bundle.pem")
    args = parser.parse_args(argv)
    target = build(args.out, args.ca_bundle)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    print(f"{target} sha256={digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
