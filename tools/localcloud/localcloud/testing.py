"""The one test harness (a pytest plugin, entry point ``pytest11: localcloud``): local clouds and PostgreSQL.

Every test folder builds on it: ``tools/localcloud/tests``, ``tests/integration``, ``tests/rotation``,
``tests/verify``. What it offers:

* :class:`LocalCloud` - a local cloud started with ``localcloud up`` on a free port, state dir under tmp:
  ``.endpoint``, ``.env`` (what ``localcloud env`` prints, plus the CA bundle variables), ``.client(svc)``,
  ``.requests()``, ``.faults(rules)`` (``[]`` switches them off), ``.random_faults(rate, seed)``,
  ``.timing()``, ``.run_module()``,
  ``.run_modules()`` (several modules in one ansible-playbook run), ``.playbook()``, ``.down()``. Fixtures:
  ``cloud`` (per session), ``localcloud`` (per module), ``start_cloud`` (a factory: each cloud it starts is stopped
  after the test; ``timing="aws"``, ``time_scale`` for timed ones),
  ``localcloud_repo`` (the repository playbooks run from).
* :func:`recap` - the PLAY RECAP counters of one host; :func:`free_port`, :func:`unique_name`,
  :func:`run_cli`, :func:`create_network`, :func:`create_cluster` for the local cloud's own tests
  (fixture ``network``: a VPC with three subnets and a DB subnet group on ``cloud``).
* :class:`PlainMoto` - plain moto in its own process (fixture ``plain_moto``, per session); the fixture
  ``moto_or_cloud`` runs a test against it and against ``cloud``, so the test keeps proving the gap exists.
* PostgreSQL 15 with TLS built on :mod:`localcloud.postgres` (its CA, certificates, primary, hot standby,
  pid handling): fixture ``pg_plane`` (a :class:`PgPlane`, per session; every server it started is stopped at
  the end and none may be left), :class:`PgServer` (``host``, ``port``, ``connect``, ``can_login``, ``sql``,
  ``set_password``, ``set_force_ssl``, ``stop``, ``start``).

Nothing here imports moto, boto3 or pg8000 at import time: the plugin is loaded by every pytest run of the
virtualenv.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.request
import uuid
from pathlib import Path

import pytest

from . import DEFAULT_REGION, postgres

BIN = Path(sys.executable).parent
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
RESULTS_MARK = "LOCALCLOUD-RESULTS:"  # run_modules: the registered results follow it in the output (base64 JSON)


# --------------------------------------------------------------------------------------------- helpers
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unique_name(prefix: str) -> str:
    """A resource name no other test (or earlier run on the same cloud) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def run_cli(*args: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    """``localcloud ARGS`` with this interpreter; ``env`` adds to (does not replace) the environment."""
    proc = subprocess.run(
        [sys.executable, "-m", "localcloud.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"localcloud {' '.join(args)} failed: {proc.stdout}{proc.stderr}")
    return proc


def new_password() -> str:
    """A random password (letters and digits) for a test database user."""
    import secrets

    return "Pw" + secrets.token_hex(16)


def endpoint_client(endpoint: str, service: str):
    """A boto3 client for ``service`` at ``endpoint`` (the default region, dummy credentials)."""
    import boto3

    return boto3.client(service, endpoint_url=endpoint, region_name=DEFAULT_REGION, **CREDENTIALS)


def recap(output: str, host: str = "payments-local") -> dict[str, int]:
    """The PLAY RECAP counters (ok, changed, failed, ...) of ``host`` in an ansible-playbook output."""
    for line in output.splitlines():
        if line.startswith(host) and "ok=" in line:
            return {k: int(v) for k, v in (item.split("=") for item in line.split(":", 1)[1].split())}
    raise AssertionError(f"no PLAY RECAP line for {host} in:\n{output[-3000:]}")


def find_repo(start: Path) -> Path | None:
    """The first directory from ``start`` up that holds ``ansible.cfg`` and ``playbooks/`` (this repository)."""
    for path in (start, *start.parents):
        if (path / "ansible.cfg").is_file() and (path / "playbooks").is_dir():
            return path
    return None


# --------------------------------------------------------------------------------------------- local cloud
class LocalCloud:
    """A local cloud process on ``port`` with its state in ``state_dir`` (see the module docstring)."""

    plain = False  # see PlainMoto

    def __init__(self, port: int, state_dir: Path, repo: Path | None = None):
        self.port, self.state_dir, self.repo = port, Path(state_dir), repo
        self.endpoint = f"http://127.0.0.1:{port}"
        ca = str(self.state_dir / "dataplane" / "ca.pem")
        self.env = {
            **os.environ,
            "AWS_URL": self.endpoint,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": DEFAULT_REGION,
            "AWS_DEFAULT_REGION": DEFAULT_REGION,
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_NOCOLOR": "1",
            "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
            # The local cloud's CA (what `localcloud env` prints): inventories/local reads the first,
            # the other inventories the second, as users on AWS point it at the RDS bundle.
            "LOCALCLOUD_CA_BUNDLE": ca,
            "AURORADB_DB_CA_BUNDLE": ca,
        }
        if repo is not None:
            self.env["ANSIBLE_CONFIG"] = str(repo / "ansible.cfg")

    @classmethod
    def up(
        cls,
        state_dir: Path,
        port: int | None = None,
        env: dict | None = None,
        repo: Path | None = None,
        timing: str | None = None,
        time_scale: float | None = None,
        timing_seed: int | None = None,
    ):
        """``localcloud up``; ``timing="aws"`` (with ``time_scale``, ``timing_seed``) starts the AWS timing model."""
        port = port or free_port()
        options = [] if timing is None else ["--timing", timing]
        if time_scale is not None:
            options += ["--time-scale", str(time_scale)]
        if timing_seed is not None:
            options += ["--timing-seed", str(timing_seed)]
        run_cli("up", "--port", str(port), "--state-dir", str(state_dir), *options, env=env)
        return cls(port, state_dir, repo)

    def down(self) -> None:
        run_cli("down", "--state-dir", str(self.state_dir))

    def client(self, service: str):
        return endpoint_client(self.endpoint, service)

    def _control(self, name: str, data=None):
        body = None if data is None else json.dumps(data).encode()
        with urllib.request.urlopen(urllib.request.Request(f"{self.endpoint}/_localcloud/{name}", data=body)) as resp:
            return json.load(resp)

    def requests(self) -> list[dict]:
        """The request log: one dict per request (service, action, resource, mutating, status, seconds)."""
        return self._control("requests")

    def timing(self) -> dict:
        """``GET /_localcloud/timing``: mode, time scale, seed, durations, converge/teardown critical paths."""
        return self._control("timing")

    def faults(self, rules: list[dict] | None = None) -> list[dict]:
        """Set the fault rules (``[]``: faults off); without ``rules``, return the current ones."""
        return self._control("faults", rules)

    def random_faults(self, rate: dict[str, float] | None = None, seed: int = 0, services: tuple = ()) -> dict:
        """Random faults (``localcloud up --fault-rate``) from now on: ``rate`` ``{"throttle": 0.2, "server": 0.05}``;
        ``None`` or ``{}`` switches them off. Returns what is in force, with the counts injected so far."""
        return self._control("faults", {"rate": rate or {}, "seed": seed, "services": list(services)})

    def fault_stats(self) -> dict:
        """``GET /_localcloud/fault-stats``: the random-fault settings and what was injected, per kind and service."""
        return self._control("fault-stats")

    def backup(self, cluster: str, region: str = DEFAULT_REGION, shift_seconds: float = 0) -> dict:
        """``POST /_localcloud/backup``: an automated backup of the cluster now (a base backup, an automated snapshot,
        pruning by its retention period), after pretending its archive is ``shift_seconds`` older. Returns the
        archive's base backups, WAL files, earliest and latest restorable times (epoch seconds) and size."""
        return self._control("backup", {"cluster": cluster, "region": region, "shift_seconds": shift_seconds})

    def _repo(self) -> Path:
        if self.repo is None:
            raise AssertionError("this local cloud has no repository to run playbooks from")
        return self.repo

    def run_module(self, tmp_path: Path, module: str, args: dict, *flags: str) -> tuple[dict, str]:
        """Run one module of the collection once through ansible-playbook (ignore_errors).

        Returns its registered result and the run's whole output (stdout + stderr), for no-secret assertions.
        """
        results, output = self.run_modules(tmp_path, [[(module, args)]], *flags)
        return results[0][0], output

    def run_modules(
        self, tmp_path: Path, lanes: list[list[tuple[str, dict]]], *flags: str
    ) -> tuple[list[list[dict]], str]:
        """Run many modules in ONE ansible-playbook run: lanes side by side, each lane's ``(module, args)`` in order.

        Each lane is an inventory host of its own (up to ansible.cfg's ``forks`` run at once, strategy ``free``),
        so modules that do not depend on each other run in parallel, and one that needs another (a cluster member
        after its cluster) shares its lane. Every task is ``ignore_errors``. Returns the registered results in the
        shape of ``lanes`` and the run's whole output; ``flags`` (e.g. ``--check``) apply to every task.
        """
        import yaml

        repo = self._repo()
        names = [[f"result_{lane}_{task}" for task in range(len(modules))] for lane, modules in enumerate(lanes)]
        hosts = [f"lane{lane}" for lane in range(len(lanes))]
        for host, modules, registers in zip(hosts, lanes, names, strict=True):
            tasks = [
                {"name": module, module: args, "register": register, "ignore_errors": True}
                for register, (module, args) in zip(registers, modules, strict=True)
            ]
            (tmp_path / f"{host}.yml").write_text(yaml.safe_dump(tasks), encoding="utf-8")
        collected = ", ".join(
            "[" + ", ".join(f"hostvars['{host}'].{register}" for register in registers) + "]"
            for host, registers in zip(hosts, names, strict=True)
        )
        # Printed by the controller (no module run, unlike a copy to a file), then cut out of the output.
        show = {"msg": RESULTS_MARK + "{{ [" + collected + "] | to_json | b64encode }}"}
        play = [
            {
                "name": "The modules, lane by lane",
                "hosts": "all",
                "strategy": "free",
                **self._local_play(),
                "tasks": [{"name": "This lane", "ansible.builtin.include_tasks": "{{ inventory_hostname }}.yml"}],
            },
            {
                "name": "Their results",
                "hosts": "localhost",
                **self._local_play(),
                "tasks": [{"name": "The results", "ansible.builtin.debug": show}],
            },
        ]
        playbook = tmp_path / "play.yml"
        playbook.write_text(yaml.safe_dump(play, sort_keys=False), encoding="utf-8")
        env = {**self.env, "ANSIBLE_COLLECTIONS_PATH": str(repo / "collections")}
        cmd = [str(BIN / "ansible-playbook"), "-i", ",".join(hosts) + ",", str(playbook), *flags]
        proc = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        found = re.search(re.escape(RESULTS_MARK) + r"([A-Za-z0-9+/=]+)", proc.stdout)
        assert found, f"no results in the output:\n{proc.stdout[-4000:]}"
        output = proc.stdout.replace(found.group(0), RESULTS_MARK) + proc.stderr
        return json.loads(base64.b64decode(found.group(1))), output

    @staticmethod
    def _local_play() -> dict:
        return {"gather_facts": False, "connection": "local", "vars": {"ansible_python_interpreter": sys.executable}}

    def playbook(self, playbook: str, *args: str, check: bool = True, inventory: str | None = "inventories/local"):
        """``ansible-playbook [-i REPO/inventory] REPO/playbooks/PLAYBOOK ARGS``; fails the test unless rc 0."""
        repo = self._repo()
        inventory_args = ["-i", str(repo / inventory)] if inventory else []
        cmd = [str(BIN / "ansible-playbook"), *inventory_args, str(repo / "playbooks" / playbook), *args]
        proc = subprocess.run(cmd, cwd=repo, env=self.env, capture_output=True, text=True, timeout=1800, check=False)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"
            )
        return proc

    def playbook_killed(
        self,
        playbook: str,
        *args: str,
        after: str,
        sig: int,
        inventory: str | None = "inventories/local",
        timeout: float = 600,
    ) -> tuple[int, str]:
        """Start ``playbook`` and send ``sig`` to its whole process group as soon as the request log shows a
        successful ``after`` action (e.g. ``CreateVpc``) sent by this run: a laptop closed, a CI job cancelled.

        Returns ``(returncode, output)``. Fails the test if the run ended before ``after`` was sent. A module that
        was running keeps running (ansible-core starts it in a session of its own), as it would on AWS. A SIGINT is
        sent again while the run goes on 0.3 s later (a user's second Ctrl-C: ansible-core can lose the first, see
        :func:`_interrupt_until_ended`).
        """
        import signal
        import time

        repo = self._repo()
        inventory_args = ["-i", str(repo / inventory)] if inventory else []
        cmd = [str(BIN / "ansible-playbook"), *inventory_args, str(repo / "playbooks" / playbook), *args]
        log = self.state_dir / "requests.jsonl"  # read as it grows: the control API would send the whole log each time
        offset = log.stat().st_size if log.exists() else 0
        out = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # a pipe nobody reads would block the run
        proc = subprocess.Popen(
            cmd,
            cwd=repo,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        deadline, pending = time.monotonic() + timeout, ""
        try:
            while time.monotonic() < deadline and proc.poll() is None:
                with log.open(encoding="utf-8") as fh:
                    fh.seek(offset)
                    pending += fh.read()
                    offset = fh.tell()
                *lines, pending = pending.split("\n")
                entries = [json.loads(line) for line in lines if line.strip()]
                if any(entry["action"] == after and entry["status"] < 400 for entry in entries):
                    os.killpg(proc.pid, sig)
                    break
                time.sleep(0.1)
            else:
                raise AssertionError(f"{playbook} ended or timed out before sending {after}:\n{_read(out)[-4000:]}")
            if sig == signal.SIGINT:
                _interrupt_until_ended(proc)
            proc.wait(timeout=120)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        return proc.returncode, _read(out)


# How long a run interrupted with SIGINT may go on before it is interrupted again. Short: a run whose interrupt was
# lost goes on to its next AWS calls (in 3 s, a run interrupted after CreateSecret had created the cluster), and a
# second SIGINT to a run already stopping changes nothing (its handler is back to the default: it ends at once).
SIGINT_GRACE_SECONDS = 0.3


def _interrupt_until_ended(proc: subprocess.Popen, attempts: int = 3) -> None:
    """A second Ctrl-C, as a user would press it, when the first one was lost.

    ansible-core's SIGINT handler (TaskQueueManager._signal_handler) resets SIGINT to its default and raises
    KeyboardInterrupt in the main thread. When the signal lands while the controller forks a worker, the handler runs
    inside an at-fork callback of CPython (logging's ``_releaseLock``), where an exception is printed as "Exception
    ignored in: <function _releaseLock ...> ... KeyboardInterrupt" and dropped: the run goes on to the end (rc 0).
    Measured: 15 of 120 SIGINTs at random moments of a playbook of 150 short tasks (ansible-core 2.21.5, Python
    3.12.1). The second SIGINT finds the default action and ends the run at once.
    """
    import signal
    import time

    for _ in range(attempts):
        deadline = time.monotonic() + SIGINT_GRACE_SECONDS
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGINT)


def _read(out) -> str:
    out.seek(0)
    return out.read()


class PlainMoto:
    """Plain moto (no local-cloud patches or hooks) in its own process, to prove a gap still exists.

    ``.endpoint``, ``.client(svc)`` and ``.plain`` (True; :class:`LocalCloud` has ``plain = False``), so a
    test parametrized with the ``moto_or_cloud`` fixture asserts the gap on plain moto and the fix on the
    local cloud with the same requests. Its own process: patches applied in this one must not reach it.
    """

    plain = True

    def __init__(self):
        import time

        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "MOTO_PORT": str(self.port)},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=2):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.2)
        self.down()
        raise AssertionError("plain moto server did not start")

    def client(self, service: str):
        return endpoint_client(self.endpoint, service)

    def down(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def create_network(cloud: LocalCloud, cidr: str = "10.20", azs: str = "abc", name: str | None = None) -> dict:
    """A VPC ``<cidr>.0.0/16`` with a subnet per AZ and a DB subnet group over them."""
    ec2 = cloud.client("ec2")
    vpc = ec2.create_vpc(CidrBlock=f"{cidr}.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"{cidr}.{i}.0/24", AvailabilityZone=f"{DEFAULT_REGION}{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate(azs)
    ]
    group = name or unique_name("subnets")
    cloud.client("rds").create_db_subnet_group(
        DBSubnetGroupName=group, DBSubnetGroupDescription="test", SubnetIds=subnets
    )
    return {"vpc": vpc, "subnets": subnets, "subnet_group": group}


def create_cluster(rds, subnet_group: str | None = None, cluster_id: str | None = None, **extra) -> str:
    """An aurora-postgresql 15.7 cluster (in ``subnet_group`` when given); returns its identifier."""
    cluster_id = cluster_id or unique_name("cluster")
    if subnet_group:
        extra["DBSubnetGroupName"] = subnet_group
    rds.create_db_cluster(
        DBClusterIdentifier=cluster_id,
        Engine="aurora-postgresql",
        EngineVersion="15.7",
        MasterUsername="dbadmin",
        MasterUserPassword="p" * 32,
        **extra,
    )
    return cluster_id


def create_rotation_stub(cloud: LocalCloud, name: str | None = None) -> str:
    """A Lambda function Secrets Manager may invoke, whose code never runs; returns its unqualified ARN.

    What RotateSecret needs to enable rotation when a test runs the rotation steps itself, or
    ``RotateImmediately=False`` throughout.
    """
    import io
    import zipfile

    name = name or unique_name("rotation")
    lambda_may_assume = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    trust = {"Version": "2012-10-17", "Statement": [{**lambda_may_assume, "Action": "sts:AssumeRole"}]}
    role = cloud.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    raise RuntimeError('never invoked')\n")
    lam = cloud.client("lambda")
    arn = lam.create_function(
        FunctionName=name, Runtime="python3.12", Role=role, Handler="index.handler", Code={"ZipFile": code.getvalue()}
    )["FunctionArn"]
    lam.add_permission(
        FunctionName=name,
        StatementId="secretsmanager",
        Action="lambda:InvokeFunction",
        Principal="secretsmanager.amazonaws.com",
    )
    return arn.split(":function:")[0] + ":function:" + name  # unqualified, whatever create_function returned


@pytest.fixture(scope="session")
def localcloud_repo(pytestconfig) -> Path | None:
    """The repository playbooks and modules run from (found from the rootdir up); override to change."""
    return find_repo(Path(pytestconfig.rootpath)) or find_repo(Path.cwd())


@pytest.fixture
def start_cloud(tmp_path_factory, localcloud_repo):
    """``start_cloud(env=None, port=None, state_dir=None, timing=None, time_scale=None, timing_seed=None)`` -> a new
    :class:`LocalCloud`, stopped after the test (``timing="aws"``: the AWS timing model at ``time_scale``)."""
    started = []

    def start(env: dict | None = None, port: int | None = None, state_dir: Path | None = None, **timing) -> LocalCloud:
        cloud = LocalCloud.up(state_dir or tmp_path_factory.mktemp("localcloud"), port, env, localcloud_repo, **timing)
        started.append(cloud)
        return cloud

    yield start
    for cloud in started:
        cloud.down()


@pytest.fixture(scope="session")
def cloud(tmp_path_factory, localcloud_repo):
    """A local cloud for the whole session."""
    started = LocalCloud.up(tmp_path_factory.mktemp("localcloud"), repo=localcloud_repo)
    yield started
    started.down()


@pytest.fixture(scope="module")
def localcloud(tmp_path_factory, localcloud_repo):
    """A strict local cloud per test module (integration tests: each module deploys its own stacks).

    Strict (``localcloud up --strict``): what AWS refuses and moto would accept is refused, so the roles are proven
    not to send it."""
    strict = {**os.environ, "LOCALCLOUD_STRICT": "1"}
    started = LocalCloud.up(tmp_path_factory.mktemp("localcloud"), env=strict, repo=localcloud_repo)
    yield started
    started.down()


@pytest.fixture(scope="session")
def cloud_in_process(tmp_path_factory):
    """A local cloud served from a thread of this process (control plane only), for tests that must reach
    moto's backend objects directly (e.g. to stage a secret version the way RotateSecret does)."""
    import threading

    from werkzeug.serving import make_server

    from . import server

    state_dir = tmp_path_factory.mktemp("localcloud-inprocess")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LOCALCLOUD_DATAPLANE", "0")
        app = server.build_app(state_dir)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="localcloud-in-process", daemon=True)
    thread.start()
    try:
        yield LocalCloud(httpd.server_port, state_dir)
    finally:
        httpd.shutdown()
        thread.join(10)


@pytest.fixture(scope="session")
def plain_moto():
    """Plain moto 5.2 in its own process, for the session (see :class:`PlainMoto`)."""
    server = PlainMoto()
    yield server
    server.down()


@pytest.fixture(params=["plain-moto", "localcloud"])
def moto_or_cloud(request):
    """Each test runs twice: against plain moto (``.plain`` True: assert the gap) and ``cloud`` (the fix)."""
    return request.getfixturevalue("plain_moto" if request.param == "plain-moto" else "cloud")


@pytest.fixture(scope="session")
def network(cloud) -> dict:
    """A VPC with a subnet in each of three AZs and a DB subnet group over them (on ``cloud``)."""
    return create_network(cloud)


# --------------------------------------------------------------------------------------------- PostgreSQL
class PgServer:
    """One TLS PostgreSQL 15 server of a :class:`PgPlane` (a :class:`localcloud.postgres.Server`)."""

    def __init__(self, server: postgres.Server, ca_file: Path):
        self.server, self.ca_file = server, ca_file

    @property
    def host(self) -> str:
        return self.server.address

    @property
    def port(self) -> int:
        return self.server.port

    def ssl_context(self):
        import ssl

        return ssl.create_default_context(cafile=str(self.ca_file))

    def connect(self, user: str, password: str, database: str = "postgres", **kwargs):
        """pg8000 connection, TLS verified against the plane's CA unless ``ssl_context`` is given."""
        import pg8000.native

        kwargs.setdefault("ssl_context", self.ssl_context())
        return pg8000.native.Connection(
            user=user, password=password, host=self.host, port=self.port, database=database, timeout=5, **kwargs
        )

    def can_login(self, user: str, password: str) -> bool:
        """True when the login works; False when the password is refused (SQLSTATE 28P01)."""
        import pg8000.native

        try:
            conn = self.connect(user, password)
        except pg8000.native.DatabaseError as exc:
            if exc.args and isinstance(exc.args[0], dict) and exc.args[0].get("C") == "28P01":
                return False
            raise
        try:
            return conn.run("SELECT 1") == [[1]]
        finally:
            conn.close()

    def sql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL as the local superuser (unix socket); returns psql's unaligned output."""
        return self.server.admin(sql, database)

    def set_password(self, user: str, password: str) -> None:
        self.sql(f"ALTER ROLE {postgres.sql_identifier(user)} WITH PASSWORD {postgres.sql_literal(password)};\n")

    def set_force_ssl(self, force_ssl: bool) -> None:
        """``True``: plaintext logins refused (the default); ``False``: accepted. Reloaded at once."""
        self.server.set_force_ssl(force_ssl)

    def stop(self) -> None:
        """Stop the server, keeping its data, address and port (``start`` brings it back)."""
        self.server.stop(remove=False)

    def start(self) -> None:
        self.server.start(self.server.address)


class PgPlane:
    """PostgreSQL servers with TLS for tests: a :class:`localcloud.postgres.DataPlane` in a private state dir."""

    def __init__(self, state_dir: Path):
        self.state_dir = Path(state_dir)
        self.plane = postgres.DataPlane(self.state_dir)
        self.ca = self.plane.pki.ca_file
        self.wrong_ca = postgres.Pki(self.state_dir / "other-ca").ensure()  # a CA that signed nothing here

    def primary(self, user: str, password: str, database: str | None = None, port: int | None = None) -> PgServer:
        """A TLS-only primary on the next free loopback address (127.0.1.x); ``user`` may create in public."""
        server, self.replication_password = self.plane.create_primary(
            owner=f"test primary {user}",
            port=port or free_port(),
            master_user=user,
            master_password=password,
            database=database,
            force_ssl=True,
        )
        return PgServer(server, self.ca)

    def standby(self, primary: PgServer) -> PgServer:
        """A streaming hot standby of ``primary``: same port, its own loopback address."""
        server = self.plane.create_standby(primary.server, self.replication_password, owner="test standby")
        return PgServer(server, self.ca)

    def close(self) -> list[str]:
        """Stop every server; returns the pids of postgres processes still running on its directories."""
        root = str(self.plane.root)
        self.plane.stop_all()
        left = subprocess.run(["pgrep", "-f", "--", root], capture_output=True, text=True, check=False)
        return left.stdout.split()


@pytest.fixture(scope="session")
def pg_plane():
    """A :class:`PgPlane` for the session (skipped without the PostgreSQL 15 binaries); nothing may be left."""
    missing = postgres.available()
    if missing:
        pytest.skip(f"PostgreSQL 15 binaries missing in {postgres.PG_BIN}: {', '.join(missing)}")
    state_dir = Path(tempfile.mkdtemp(prefix="localcloud-test-pg-"))
    plane = PgPlane(state_dir)
    try:
        yield plane
    finally:
        leftovers = plane.close()
        shutil.rmtree(state_dir, ignore_errors=True)
        assert not leftovers, f"postgres processes left behind: {leftovers}"
