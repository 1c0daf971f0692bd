"""The local cloud process: moto's server app in-process, behind LocalCloudApp, on loopback only."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from pathlib import Path


def build_app(state_dir: Path):
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from . import hooks, patches
    from .hooks import dataplane
    from .layers import Faults, Latency, RandomFaults, Recorder
    from .middleware import LocalCloudApp

    patches.apply()
    hooks.register_all()
    dataplane.configure(state_dir)
    moto_app = DomainDispatcherApplication(create_backend_app)
    recorder, faults, latency = Recorder(state_dir / "requests.jsonl"), Faults(), Latency()
    random_faults = RandomFaults()
    random_faults.configure(fault_config_from_env())
    app = LocalCloudApp(moto_app, layers=[recorder, faults, random_faults, latency])
    app.control = {
        "recorder": recorder,
        "faults": faults,
        "random_faults": random_faults,
        "latency": latency,
        "state_dir": state_dir,
    }
    return ControlApp(app)


def fault_config_from_env() -> dict:
    """Random faults from ``localcloud up --fault-rate/--fault-seed/--fault-services`` (passed by environment)."""
    from .layers import parse_rate

    services = os.environ.get("LOCALCLOUD_FAULT_SERVICES", "")
    return {
        "rate": parse_rate(os.environ.get("LOCALCLOUD_FAULT_RATE", "")),
        "seed": int(os.environ.get("LOCALCLOUD_FAULT_SEED") or 0),
        "services": [name.strip() for name in services.split(",") if name.strip()],
    }


class ControlApp:
    """``/_localcloud/*``: health, request log, fault and latency rules, the timing model, the CA, base backups (POST
    ``backup``). Else -> AWS."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/_localcloud/"):
            return self.app(environ, start_response)
        ctl = self.app.control
        method = environ.get("REQUEST_METHOD")
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) if method == "POST" else b""
        name = path[len("/_localcloud/") :]
        if name == "ca":
            from .hooks import dataplane

            pem = dataplane.ca_file(ctl["state_dir"]).read_bytes()
            start_response("200 OK", [("Content-Type", "application/x-pem-file"), ("Content-Length", str(len(pem)))])
            return [pem]
        if name == "health":
            result = {"status": "running", "pid": os.getpid()}
        elif name == "requests":
            result = ctl["recorder"].entries
        elif name == "faults" and method == "POST" and isinstance(json.loads(body or b"[]"), dict):
            # {"rate": {"throttle": 0.2, "server": 0.05}, "seed": 1, "services": ["rds"]}: random faults
            try:
                result = ctl["random_faults"].configure(json.loads(body))
            except (TypeError, ValueError) as exc:
                return _answer(start_response, "400 Bad Request", {"error": str(exc)})
        elif name == "fault-stats":
            result = ctl["random_faults"].describe()
        elif name == "backup" and method == "POST":
            from .hooks import backups

            try:
                result = backups.control(json.loads(body or b"{}"))
            except (TypeError, ValueError) as exc:
                return _answer(start_response, "400 Bad Request", {"error": str(exc)})
        elif name == "timing":
            from . import timing

            result = timing.report(timing.from_env())
        elif name in ("faults", "latency"):
            if method == "POST":
                ctl[name].rules = json.loads(body or b"[]")
            result = ctl[name].rules
        else:
            return _answer(start_response, "404 Not Found", {"error": "unknown control path"})
        return _answer(start_response, "200 OK", result)


def _answer(start_response, status: str, result) -> list[bytes]:
    out = json.dumps(result).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(out)))])
    return [out]


def serve(port: int, state_dir: Path) -> None:
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    os.environ.setdefault("MOTO_PORT", str(port))
    app = build_app(state_dir)
    # Loopback only, by construction: the host is not configurable.
    httpd = make_server("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)

    def stop(signum, frame):
        from . import hooks

        hooks.shutdown()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    (state_dir / "ready").write_text(str(port))
    try:
        httpd.serve_forever()
    finally:
        from . import hooks

        hooks.shutdown()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m localcloud.server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    serve(args.port, args.state_dir)


if __name__ == "__main__":
    sys.exit(main())
