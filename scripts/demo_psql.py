#!/usr/bin/env python3
"""Print a ready-to-paste psql command that connects to the demo stack's writer, TLS verified (make demo).

    .venv/bin/python scripts/demo_psql.py SUFFIX             # print the command (no password in it)
    .venv/bin/python scripts/demo_psql.py SUFFIX --password  # print the secret's current password (for PGPASSWORD)

The writer endpoint comes from outputs/<SUFFIX>.json (written by site.yml), the user and password from the stack's
Secrets Manager secret on the local cloud (AWS_URL), the CA from the local cloud's state dir. The printed command
fetches the password itself when it runs, so the password never appears on the screen or in a log.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

import boto3

REPO = Path(__file__).resolve().parent.parent


def secret_value(suffix: str) -> dict:
    client = boto3.client(
        "secretsmanager",
        endpoint_url=os.environ.get("AWS_URL", "http://127.0.0.1:4566"),
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - the local cloud's dummy credentials
    )
    return json.loads(client.get_secret_value(SecretId=f"payment-db-credentials-{suffix}")["SecretString"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("suffix")
    parser.add_argument("--password", action="store_true", help="print the current password only")
    args = parser.parse_args(argv)
    value = secret_value(args.suffix)
    if args.password:
        print(value["password"])
        return 0
    outputs = json.loads((REPO / "outputs" / f"{args.suffix}.json").read_text())
    host, _, port = outputs["ClusterEndpoint"].rpartition(":")
    state_dir = Path(os.environ.get("LOCALCLOUD_STATE_DIR", REPO / ".localcloud"))
    ca = (state_dir / "dataplane" / "ca.pem").resolve()
    conninfo = f"host={host} port={port} dbname=postgres user={value['username']} sslmode=verify-full sslrootcert={ca}"
    fetch = f"AWS_URL={shlex.quote(os.environ.get('AWS_URL', 'http://127.0.0.1:4566'))} " + " ".join(
        shlex.quote(part) for part in (str(REPO / ".venv/bin/python"), str(Path(__file__).resolve()), args.suffix)
    )
    print("Connect to the writer (TLS required; certificate and host name verified against the local CA):")
    print(f'  PGPASSWORD="$({fetch} --password)" psql {shlex.quote(conninfo)}')
    return 0


if __name__ == "__main__":
    sys.exit(main())
