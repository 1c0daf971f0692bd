"""`make setup` installs this package quietly: building it prints no setuptools warning, and the wheel carries the data.

setuptools treats ``localcloud/data`` (a directory of JSON files) as a package and warns at every build when package
data reaches into it while it is not declared a package (``pyproject.toml``). The build runs in a copy of the
source (pip builds in the source tree, leaving ``build/`` behind) with the virtualenv's setuptools (no index).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1]


def test_wheel_builds_without_warnings_and_carries_the_data(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(SOURCE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "tests"))
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "wheel")]
        + [str(source)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "warning" not in output.lower(), output
    (wheel,) = (tmp_path / "wheel").glob("localcloud-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    data = {path.name for path in (SOURCE / "localcloud" / "data").glob("*.json")}
    assert data and {f"localcloud/data/{name}" for name in data} <= names
    assert "localcloud/hooks/compat.py" in names
