"""``localcloud up|down|status|env``: start and stop a local AWS endpoint on 127.0.0.1."""

from __future__ import annotations

import argparse
import errno
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from . import ACCOUNT_ID, DEFAULT_PORT, DEFAULT_REGION, timing
from .procs import pid_alive


class CliError(Exception):
    pass


# A checkout of payments.auroradb: the directory holding this file, found from the working directory upwards.
CHECKOUT_MARKER = Path("tools") / "localcloud" / "pyproject.toml"


def checkout_state_dir(start: Path | None = None) -> Path | None:
    """``<checkout>/.localcloud`` when ``start`` (default: the working directory) is inside a checkout, else None.

    That is where the Makefile keeps its local cloud (``LOCALCLOUD_STATE_DIR``), so a bare ``localcloud env`` or
    ``status`` run in the checkout finds the cloud ``make localcloud-up`` (or ``make demo``) started.
    """
    try:
        here = (start or Path.cwd()).resolve()
    except OSError:  # the working directory was removed
        return None
    for directory in (here, *here.parents):
        if (directory / CHECKOUT_MARKER).is_file():
            return directory / ".localcloud"
    return None


def default_state_dir() -> Path:
    """``$LOCALCLOUD_STATE_DIR``, else the checkout's ``.localcloud``, else the user's state dir."""
    env = os.environ.get("LOCALCLOUD_STATE_DIR")
    if env:
        return Path(env)
    in_checkout = checkout_state_dir()
    if in_checkout:
        return in_checkout
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "localcloud"


class State:
    def __init__(self, path: Path):
        self.path = path

    @property
    def pid_file(self) -> Path:
        return self.path / "localcloud.pid"

    @property
    def info_file(self) -> Path:
        return self.path / "localcloud.json"

    @property
    def log_file(self) -> Path:
        return self.path / "localcloud.log"

    def info(self) -> dict | None:
        try:
            info = json.loads(self.info_file.read_text())
            info["pid"] = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return info

    def running(self) -> dict | None:
        info = self.info()
        if info and pid_alive(info["pid"]):
            return info
        return None

    def ensure_writable(self) -> None:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            probe = self.path / ".write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise CliError(f"state dir {self.path} is not writable: {exc.strerror or exc}") from exc


def endpoint(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def _check_port_free(port: int) -> None:
    if not 1 <= port <= 65535:
        raise CliError(f"port {port} is out of range (1-65535)")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise CliError(f"port {port} on 127.0.0.1 is already in use; choose another with --port") from exc
        raise CliError(f"cannot bind 127.0.0.1:{port}: {exc.strerror}") from exc
    finally:
        sock.close()


def _healthy(port: int) -> bool:
    try:
        # always http://127.0.0.1:<port>, built by endpoint()
        with urllib.request.urlopen(endpoint(port) + "/_localcloud/health", timeout=2) as resp:  # noqa: S310
            return resp.status == 200
    except OSError:
        return False


def cmd_up(args) -> int:
    state = State(args.state_dir)
    running = state.running()
    if running:
        print(f"localcloud already running (pid {running['pid']}) at {endpoint(running['port'])}")
        return 0
    state.ensure_writable()
    _check_port_free(args.port)
    for stale in (state.pid_file, state.info_file, state.path / "ready"):
        stale.unlink(missing_ok=True)
    log = state.log_file.open("ab")
    child_env = _child_env(args)
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "localcloud.server", "--port", str(args.port), "--state-dir", str(state.path)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        cwd=str(state.path),
        env=child_env,
    )
    state.pid_file.write_text(str(proc.pid))
    state.info_file.write_text(
        json.dumps({"port": args.port, "endpoint": endpoint(args.port), "state_dir": str(state.path.resolve())})
    )
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            state.pid_file.unlink(missing_ok=True)
            tail = state.log_file.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise CliError(f"local cloud exited during start-up: {tail[0]} (log: {state.log_file})")
        if _healthy(args.port):
            print(f"localcloud running (pid {proc.pid}) at {endpoint(args.port)}")
            return 0
        time.sleep(0.2)
    _stop_pid(proc.pid)
    raise CliError(
        f"local cloud did not answer on {endpoint(args.port)} within {args.timeout}s (log: {state.log_file})"
    )


def _child_env(args) -> dict | None:
    """The server's environment: ours plus what ``--strict``, ``--timing``, ``--fault-*`` ask for (None: as ours)."""
    from .layers import parse_rate

    extra = {}
    if getattr(args, "strict", False):
        extra["LOCALCLOUD_STRICT"] = "1"
    if getattr(args, "timing", None):
        extra[timing.ENV_MODE] = args.timing
    if getattr(args, "time_scale", None) is not None:
        if args.time_scale <= 0:
            raise CliError(f"--time-scale must be positive, not {args.time_scale}")
        extra[timing.ENV_SCALE] = str(args.time_scale)
    if getattr(args, "timing_seed", None) is not None:
        extra[timing.ENV_SEED] = str(args.timing_seed)
    if getattr(args, "fault_rate", None):
        try:
            parse_rate(args.fault_rate)
        except ValueError as exc:
            raise CliError(str(exc)) from exc
        extra["LOCALCLOUD_FAULT_RATE"] = args.fault_rate
    if getattr(args, "fault_seed", None) is not None:
        extra["LOCALCLOUD_FAULT_SEED"] = str(args.fault_seed)
    if getattr(args, "fault_services", None):
        extra["LOCALCLOUD_FAULT_SERVICES"] = args.fault_services
    return {**os.environ, **extra} if extra else None


def _stop_pid(pid: int, timeout: float = 15) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    except PermissionError:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and pid_alive(pid):
        time.sleep(0.1)
    if pid_alive(pid):
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _stop_databases(state: State) -> None:
    # PostgreSQL servers of the data plane: the server stops them on the way out, but it may have been
    # killed; the records in the state dir are enough.
    from .postgres import stop_recorded

    stopped = stop_recorded(state.path)
    if stopped:
        print(f"localcloud: stopped {stopped} PostgreSQL server(s) left running")


def cmd_down(args) -> int:
    state = State(args.state_dir)
    info = state.info()
    if not info or not pid_alive(info["pid"]):
        for stale in (state.pid_file, state.info_file):
            stale.unlink(missing_ok=True)
        _stop_databases(state)
        print("localcloud not running")
        return 0
    _stop_pid(info["pid"])
    _stop_databases(state)
    for stale in (state.pid_file, state.info_file, state.path / "ready"):
        stale.unlink(missing_ok=True)
    print(f"localcloud stopped (pid {info['pid']})")
    return 0


def cmd_status(args) -> int:
    state = State(args.state_dir)
    info = state.running()
    if not info:
        print(f"localcloud not running (state dir {state.path})")
        return 3
    health = "healthy" if _healthy(info["port"]) else "not answering"
    print(f"localcloud running (pid {info['pid']}) at {endpoint(info['port'])}, {health}")
    return 0 if health == "healthy" else 1


def cmd_env(args) -> int:
    state = State(args.state_dir)
    info = state.running()
    port = info["port"] if info else args.port
    url = endpoint(port)
    lines = {
        "AWS_URL": url,
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": DEFAULT_REGION,
        "AWS_DEFAULT_REGION": DEFAULT_REGION,
        "LOCALCLOUD_STATE_DIR": str(state.path),
        "LOCALCLOUD_ACCOUNT_ID": ACCOUNT_ID,
        # the local CA that signs the data plane's PostgreSQL server certificates (made at start-up)
        "LOCALCLOUD_CA_BUNDLE": str((state.path / "dataplane" / "ca.pem").resolve()),
    }
    for key, value in lines.items():
        print(f"export {key}={shlex.quote(value)}")
    if not info:
        # on stderr: `eval "$(localcloud env)"` runs stdout and would hide anything printed there
        print(
            f"localcloud env: warning: no local cloud is running for state dir {state.path}, so {url} will not "
            f"answer; start one with `make localcloud-up` in the repository or `localcloud up --state-dir "
            f"{shlex.quote(str(state.path))}`, or pass the --state-dir of the one you started",
            file=sys.stderr,
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="localcloud", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, fn, helptext in (
        ("up", cmd_up, "start in the background"),
        ("down", cmd_down, "stop what up started"),
        ("status", cmd_status, "is it running?"),
        ("env", cmd_env, "print export lines"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument(
            "--state-dir",
            type=Path,
            default=default_state_dir(),
            help="pid file, log, request log and data live here (default: %(default)s)",
        )
        p.add_argument("--port", type=int, default=int(os.environ.get("LOCALCLOUD_PORT", DEFAULT_PORT)))
        p.add_argument("--timeout", type=float, default=60, help=argparse.SUPPRESS)
        if name == "up":
            p.add_argument(
                "--strict",
                action="store_true",
                help="refuse, as AWS does, requests AWS refuses but moto accepts (also LOCALCLOUD_STRICT=1)",
            )
            p.add_argument(
                "--fault-rate",
                metavar="KIND=FRACTION,...",
                help="answer this fraction of requests with the service's throttling error (throttle=) or a "
                "500/503 server error (server=), e.g. throttle=0.2,server=0.05",
            )
            p.add_argument("--fault-seed", type=int, help="seed of the fault draws (same seed, same faults)")
            p.add_argument(
                "--fault-services", metavar="SVC,...", help="only these services (signing names: rds,ec2,...)"
            )
            p.add_argument(
                "--timing",
                choices=timing.MODES,
                help="aws: resources stay in AWS's transitional states for AWS's durations / --time-scale"
                " (docs/aws-timings.md; also LOCALCLOUD_TIMING=aws); default instant",
            )
            p.add_argument(
                "--time-scale",
                type=float,
                help=f"AWS seconds per local second with --timing aws (default {timing.DEFAULT_TIME_SCALE:g})",
            )
            p.add_argument(
                "--timing-seed", type=int, help=f"seed of the durations' jitter (default {timing.DEFAULT_SEED})"
            )
        p.set_defaults(func=fn)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CliError as exc:
        print(f"localcloud: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
