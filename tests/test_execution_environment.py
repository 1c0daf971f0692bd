"""The execution environment definition produces a complete ansible-builder build context.

`ansible-builder create` only writes files (no container engine, no network), so this runs anywhere:
    .venv/bin/python -m pytest -q tests/test_execution_environment.py
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
EE_FILE = REPO / "execution-environment.yml"
EE_PYTHON_REQUIREMENTS = REPO / "execution-environment" / "requirements-ee.txt"
TOOLCHAIN_REQUIREMENTS = REPO / "requirements.txt"


def _ansible_builder() -> str:
    # Prefer the one next to the running interpreter (the project's venv), then PATH.
    candidate = Path(sys.executable).parent / "ansible-builder"
    if candidate.is_file():
        return str(candidate)
    found = shutil.which("ansible-builder")
    if not found:
        pytest.fail("ansible-builder is not installed; run 'make setup'")
    return found


def _create(ee_file: Path, context: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            _ansible_builder(),
            "create",
            "-f",
            str(ee_file),
            "--context",
            str(context),
            "--output-filename",
            "Containerfile",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^\s*([A-Za-z0-9_.\-\[\]]+)\s*==\s*([^\s#;]+)", line)
        if match:
            name = re.sub(r"\[.*\]", "", match.group(1)).lower()
            pins[name] = match.group(2)
    return pins


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ctx = tmp_path_factory.mktemp("ee") / "context"
    result = _create(EE_FILE, ctx)
    assert result.returncode == 0, f"ansible-builder create failed:\n{result.stdout}\n{result.stderr}"
    return ctx


def test_definition_is_schema_version_3_with_python_312() -> None:
    ee = yaml.safe_load(EE_FILE.read_text())
    assert ee["version"] == 3
    assert ee["images"]["base_image"]["name"]
    deps = ee["dependencies"]
    assert deps["python_interpreter"] == {"package_system": "python3.12", "python_path": "/usr/bin/python3.12"}
    assert deps["ansible_core"]["package_pip"] == f"ansible-core=={_pins(TOOLCHAIN_REQUIREMENTS)['ansible-core']}"
    assert deps["ansible_runner"]["package_pip"].startswith("ansible-runner")


def test_python_requirements_match_the_toolchain_pins() -> None:
    ee_pins = _pins(EE_PYTHON_REQUIREMENTS)
    toolchain = _pins(TOOLCHAIN_REQUIREMENTS)
    for name in ("boto3", "botocore", "pg8000"):
        assert name in ee_pins, f"{name} missing from {EE_PYTHON_REQUIREMENTS.name}"
        assert ee_pins[name] == toolchain[name], f"{name}: EE pins {ee_pins[name]}, requirements.txt {toolchain[name]}"


def test_context_has_containerfile_and_requirements(context: Path) -> None:
    assert (context / "Containerfile").is_file()
    assert not (context / "Dockerfile").exists()
    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    names = {c["name"] if isinstance(c, dict) else c for c in galaxy["collections"]}
    assert {"amazon.aws", "community.aws"} <= names
    python_reqs = _pins(context / "_build" / "requirements.txt")
    assert "boto3" in python_reqs
    assert "pg8000" in python_reqs
    for script in ("assemble", "install-from-bindep", "introspect.py", "entrypoint"):
        assert (context / "_build" / "scripts" / script).is_file(), script


def test_containerfile_uses_the_requirements_and_interpreter(context: Path) -> None:
    containerfile = (context / "Containerfile").read_text()
    assert re.search(r"-r requirements\.yml", containerfile), "galaxy requirements not installed"
    base = yaml.safe_load(EE_FILE.read_text())["images"]["base_image"]["name"]
    expected = ["ansible-galaxy collection install", "COPY _build/requirements.txt requirements.txt"]
    expected += ["--user-pip=requirements.txt", 'ARG PYCMD="/usr/bin/python3.12"', 'ARG PYPKG="python3.12"']
    expected += ["ansible-core==2.21.5", "ansible-runner", f'ARG EE_BASE_IMAGE="{base}"']
    assert [line for line in expected if line not in containerfile] == []


def test_a_broken_definition_is_rejected(tmp_path: Path) -> None:
    # Guards the guard: ansible-builder must fail (not silently succeed) on an invalid definition.
    ee = yaml.safe_load(EE_FILE.read_text())
    ee["dependencies"]["not_a_dependency_type"] = "x"
    broken = tmp_path / "execution-environment.yml"
    broken.write_text(yaml.safe_dump(ee))
    result = _create(broken, tmp_path / "context")
    assert result.returncode != 0
    assert not (tmp_path / "context" / "Containerfile").exists()
