# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rotation function's deployment package: the function, its CA bundle and a pinned PostgreSQL driver.

The driver (pg8000) and its dependencies are copied from the installed distributions of the interpreter that
runs this code, at exactly the pinned versions (anything else is an error, never a silent substitute). pg8000
and scramp read their own version with importlib.metadata at import time, so their dist-info metadata is
packaged too (minus the installer-specific files). The archive is deterministic (lambda_zip.build_zip).
"""

from __future__ import absolute_import, division, print_function

import base64
import hashlib
import importlib.metadata
import os
import tempfile
from pathlib import Path

from ansible_collections.payments.auroradb.plugins.module_utils.lambda_zip import build_zip

FUNCTION_FILE = "postgres_single_user.py"
HANDLER = "postgres_single_user.lambda_handler"
CA_BUNDLE_FILE = "rds-global-bundle.pem"
# pg8000 (also pinned in the repository's requirements.txt; a test keeps the two equal) and its dependencies:
# pg8000 requires scramp and python-dateutil; scramp requires asn1crypto; python-dateutil requires six.
DRIVER_PINS = {
    "pg8000": "1.31.6",
    "scramp": "1.5.0",
    "asn1crypto": "1.5.1",
    "python-dateutil": "2.9.0.post0",
    "six": "1.17.0",
}
SKIPPED_METADATA = frozenset(("RECORD", "INSTALLER", "REQUESTED", "direct_url.json"))


class PackageError(Exception):
    """The package cannot be built as pinned."""


def distribution_sources(name, expected_version):
    """Archive path -> bytes for every installed file of a distribution (no bytecode, no installer files)."""
    try:
        dist = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        raise PackageError(
            f"{name}=={expected_version} is not installed for this Python; install the collection's "
            f"requirements (pip install {name}=={expected_version})"
        ) from None
    if dist.version != expected_version:
        raise PackageError(f"{name} {dist.version} is installed, the rotation function pins {expected_version}")
    sources = {}
    for file in dist.files or ():
        parts = file.parts
        if not parts or parts[0] == ".." or "__pycache__" in parts or file.suffix in (".pyc", ".pyo"):
            continue
        if parts[0].endswith(".dist-info") and file.name in SKIPPED_METADATA:
            continue
        sources["/".join(parts)] = Path(dist.locate_file(file)).read_bytes()
    if not sources:
        raise PackageError(f"no installed files found for {name}")
    return sources


def collect_sources(function_path, ca_bundle_path=None, pins=None):
    """Every file of the package: the function, the CA bundle (if given) and the pinned distributions."""
    sources = {FUNCTION_FILE: Path(function_path).read_bytes()}
    if ca_bundle_path:
        bundle = Path(ca_bundle_path).read_bytes()
        if b"-----BEGIN CERTIFICATE-----" not in bundle:
            raise PackageError(f"{ca_bundle_path} holds no PEM certificate")
        sources[CA_BUNDLE_FILE] = bundle
    for name, version in (pins or DRIVER_PINS).items():
        for path, content in distribution_sources(name, version).items():
            if path in sources:
                raise PackageError(f"{path} is provided twice")
            sources[path] = content
    return sources


def build_package(function_path, ca_bundle_path=None, pins=None):
    """The deterministic zip (bytes) of the rotation function."""
    return build_zip(collect_sources(function_path, ca_bundle_path, pins))


def code_sha256(data):
    """The digest Lambda reports as CodeSha256 (base64 of the SHA-256)."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


ARGUMENT_SPEC = dict(
    src=dict(type="path", required=True),
    ca_bundle=dict(type="path", required=True),
    dest=dict(type="path"),
)


def write_if_different(path, data):
    """Write ``data`` to ``path`` atomically, unless the file already holds exactly that."""
    try:
        with open(path, "rb") as handle:
            if handle.read() == data:
                return
    except FileNotFoundError:
        pass
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=directory, prefix=".rotation-", suffix=".zip")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(partial, 0o644)
    os.replace(partial, path)


def package(params):
    """The module's result for its parameters (ARGUMENT_SPEC); PackageError with the message on failure."""
    for option in ("src", "ca_bundle"):
        if not os.path.isfile(params[option]):
            raise PackageError(f"{option}: {params[option]} is not a readable file")
    try:
        data = build_package(params["src"], params["ca_bundle"])
    except (PackageError, OSError) as exc:
        raise PackageError(f"cannot build the rotation package: {exc}") from exc
    dest = params.get("dest") or os.path.join(
        tempfile.gettempdir(), f"payments-auroradb-rotation-{hashlib.sha256(data).hexdigest()[:16]}.zip"
    )
    try:
        write_if_different(dest, data)
    except OSError as exc:
        raise PackageError(f"cannot write {dest}: {exc}") from exc
    return dict(changed=False, path=dest, code_sha256=code_sha256(data), handler=HANDLER, size=len(data))
