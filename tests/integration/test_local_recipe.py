"""The README's local-cloud recipe works as written: `make localcloud-up && eval "$(.venv/bin/localcloud env)"`.

`make` keeps its cloud in `<checkout>/.localcloud`; a bare `localcloud env` run in the checkout must find it there.
The recipe runs in bash in a throw-away checkout (symlinks to this one's Makefile, scripts, tools and .venv, so
`make` finds its setup done; its own `.localcloud`, so a user's demo is never touched), on a free port given to
make only: `env` has to learn the port from the running cloud, as on a fresh clone. Afterwards boto3, configured by
nothing but the evaluated environment, reaches the cloud, and a bare `localcloud status` finds it.
"""

from __future__ import annotations

import json
import os
import subprocess

from conftest import REPO

from localcloud.testing import free_port, run_cli

LINKED = ("Makefile", "requirements.txt", "scripts", "tools", ".venv")

RECIPE = """
set -e
make --no-print-directory localcloud-up LOCALCLOUD_PORT={port} >/dev/null
eval "$(.venv/bin/localcloud env)"
.venv/bin/python -c '
import json, os, boto3
print(json.dumps({{
    "account": boto3.client("sts").get_caller_identity()["Account"],
    "endpoint": os.environ["AWS_ENDPOINT_URL"],
    "state_dir": os.environ["LOCALCLOUD_STATE_DIR"],
}}))'
.venv/bin/localcloud status
"""


def test_readme_recipe_works_as_written(tmp_path):
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in LINKED:
        (checkout / name).symlink_to(REPO / name)
    port = free_port()
    drop = ("LOCALCLOUD_", "AWS_", "AURORADB_", "MAKE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop) and k != "MFLAGS"}
    env["AWS_EC2_METADATA_DISABLED"] = "true"  # nothing but the recipe's environment may reach an endpoint
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
    try:
        recipe = ["bash", "-c", RECIPE.format(port=port)]
        proc = subprocess.run(recipe, cwd=checkout, env=env, capture_output=True, text=True, timeout=180, check=False)
    finally:
        run_cli("down", "--state-dir", str(checkout / ".localcloud"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    first, status = proc.stdout.strip().splitlines()
    seen = json.loads(first)
    assert seen == {
        "account": "123456789012",
        "endpoint": f"http://127.0.0.1:{port}",
        "state_dir": str(checkout / ".localcloud"),
    }
    assert status.startswith("localcloud running") and status.endswith("healthy")
    assert "warning" not in proc.stderr
