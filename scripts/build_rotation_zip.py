#!/usr/bin/env python3
"""Build the deployment package of the PostgreSQL rotation function: <out>/rotation.zip.

The zip holds postgres_single_user.py and the pure-Python PostgreSQL driver pg8000 with its dependencies
(scramp, asn1crypto, python-dateutil, six), copied from this interpreter's site-packages at exact pinned
versions. pg8000's pin is read from requirements.txt; its dependencies are pinned here. pg8000 and scramp read
their own version with importlib.metadata at import time, so their dist-info METADATA goes into the zip as well
(minus the installer-specific RECORD/INSTALLER/REQUESTED/direct_url.json files).

The zip is deterministic (see plugins/module_utils/lambda_zip.py): the same sources give the same bytes.

Usage: .venv/bin/python scripts/build_rotation_zip.py [--out DIR]   (default DIR: build/)
"""

import argparse
import hashlib
import importlib.metadata
import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COLLECTION = REPO / "collections" / "ansible_collections" / "payments" / "auroradb"
FUNCTION = COLLECTION / "roles" / "secret" / "files" / "rotation" / "postgres_single_user.py"
LAMBDA_ZIP = COLLECTION / "plugins" / "module_utils" / "lambda_zip.py"
REQUIREMENTS = REPO / "requirements.txt"

DRIVER = "pg8000"
# pg8000 1.31.6 requires scramp and python-dateutil; scramp requires asn1crypto; python-dateutil requires six.
DEPENDENCY_PINS = {
    "scramp": "1.5.0",
    "asn1crypto": "1.5.1",
    "python-dateutil": "2.9.0.post0",
    "six": "1.17.0",
}
SKIPPED_METADATA = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


def load_build_zip():
    spec = importlib.util.spec_from_file_location("lambda_zip", LAMBDA_ZIP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build_zip


def requirement_pin(name, requirements=REQUIREMENTS):
    for line in requirements.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.lower().startswith(name.lower() + "=="):
            return line.split("==", 1)[1].strip()
    raise SystemExit(f"error: {name} is not pinned with == in {requirements}")


def pins():
    return {DRIVER: requirement_pin(DRIVER), **DEPENDENCY_PINS}


def distribution_sources(name, expected_version):
    """Archive path -> bytes for every installed file of a distribution (no bytecode, no installer files)."""
    try:
        dist = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        raise SystemExit(f"error: {name}=={expected_version} is not installed in {sys.prefix}") from None
    if dist.version != expected_version:
        raise SystemExit(f"error: {name} {dist.version} is installed, the pin is {expected_version}")
    sources = {}
    for file in dist.files or ():
        parts = file.parts
        if not parts or parts[0] == ".." or "__pycache__" in parts or file.suffix in (".pyc", ".pyo"):
            continue
        if parts[0].endswith(".dist-info") and file.name in SKIPPED_METADATA:
            continue
        sources["/".join(parts)] = Path(dist.locate_file(file)).read_bytes()
    if not sources:
        raise SystemExit(f"error: no files found for {name}")
    return sources


def collect_sources():
    sources = {FUNCTION.name: FUNCTION.read_bytes()}
    for name, version in pins().items():
        for path, content in distribution_sources(name, version).items():
            if path in sources:
                raise SystemExit(f"error: {path} is provided twice")
            sources[path] = content
    return sources


def build(out_dir):
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = load_build_zip()(collect_sources())
    target = out_dir / "rotation.zip"
    target.write_bytes(data)
    return target


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--out", default=str(REPO / "build"), help="output directory (default: build/)")
    args = parser.parse_args(argv)
    target = build(args.out)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    print(f"{target} sha256={digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
