"""Real servers for the scale-out tests and ``bench scale``: a private PostgreSQL and a local
Ray cluster, on loopback only, started and stopped by the caller.

PostgreSQL comes from Debian's ``postgresql`` package (``make test`` installs it); as root,
the server runs as the ``postgres`` user, which the package creates.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

# Ray on loopback only. A single-node ``ray.init()`` takes 127.0.0.1 with this (Linux
# otherwise advertises the machine's outward interface), and the throwaway test clusters use
# no auth token. Set before ``ray`` is imported. Multi-node clusters (RayCluster) instead
# give each node its own loopback address (127.0.0.2, .3, ...), which Ray keeps as given.
RAY_ENV = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_AUTH_MODE": "disabled",
    "RAY_USAGE_STATS_ENABLED": "0",
}
os.environ.update(RAY_ENV)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bin() -> Path | None:
    """The folder with ``initdb`` and ``pg_ctl`` (Debian keeps them out of PATH)."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(versions[-1]).parent if versions else None


class Postgres:
    """A throwaway PostgreSQL cluster in a temporary folder, listening on 127.0.0.1."""

    def __init__(self) -> None:
        bindir = postgres_bin()
        if bindir is None:
            raise FileNotFoundError("PostgreSQL is not installed (apt-get install postgresql)")
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="dl-explorer-pg-"))
        self.port = free_port()
        self.url = f"postgresql://dlx@127.0.0.1:{self.port}/postgres"
        self._as = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            shutil.chown(self.root, "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        data = self.root / "data"
        self._run("initdb", "-D", str(data), "-U", "dlx", "--auth=trust", "-E", "UTF8")
        opts = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl", "-D", str(data), "-o", opts, "-l", str(self.root / "log"), "-w", "start"
        )

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self._as, str(self.bindir / tool), *args],
            check=True,
            capture_output=True,
            cwd=self.root,
        )

    def reset(self) -> None:
        """Empty the job tables (between tests)."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as con:
            for table in ("jobs", "events", "requests", "placements"):
                con.execute(f"DROP TABLE IF EXISTS {table}")
        from dl_core.jobs import postgres

        postgres._schema_done.clear()

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


class RayCluster:
    """``ray start --head`` plus worker nodes, each a set of processes on this machine.

    Every node runs in the foreground (``--block``) in a session of its own, with its output in
    ``<temp>/<name>.log``: :meth:`stop` and :meth:`kill_node` end exactly the processes this
    cluster started (never ``ray stop``, which would end every Ray on the machine, a
    developer's own included). Each node is started only once the previous one reports
    "Ray runtime started": two nodes started at once on one machine can race, and the second
    then never joins.
    """

    STARTED = "Ray runtime started"

    def __init__(self, head_cpus: int = 1, head_resources: dict | None = None) -> None:
        self.port = free_port()
        self.address = f"127.0.0.2:{self.port}"
        self.temp = Path(tempfile.mkdtemp(prefix="dlx-ray-"))
        self.env = RAY_ENV | {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "1"}  # several nodes
        self.nodes: list[subprocess.Popen] = []
        self.head = self._start(
            "head",
            "--head",
            f"--port={self.port}",
            f"--num-cpus={head_cpus}",
            "--include-dashboard=false",
            "--node-ip-address=127.0.0.2",
            f"--temp-dir={self.temp}",
            *self._res(head_resources),
            *self._ports(),
        )

    @staticmethod
    def _res(resources: dict | None) -> list[str]:
        import json

        return [f"--resources={json.dumps(resources)}"] if resources else []

    @staticmethod
    def _ports() -> list[str]:
        """Free ports for what Ray would put on a fixed port: several nodes (or clusters) on
        one machine each need their own."""
        return [
            f"--dashboard-agent-listen-port={free_port()}",
            f"--metrics-export-port={free_port()}",
            f"--ray-client-server-port={free_port()}",
        ]

    def _start(self, name: str, *args: str) -> subprocess.Popen:
        """``ray start <args> --block`` in its own session; returns once the node is up."""
        from tests.timeouts import UI_S, wait_until

        ray = str(Path(sys.executable).parent / "ray")
        log = self.temp / f"{name}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [ray, "start", *args, "--num-gpus=0", "--block"],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=os.environ | self.env,
            )

        def up() -> bool:
            if proc.poll() is not None:
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"ray node {name} exited ({proc.returncode}):\n{tail}")
            return self.STARTED in log.read_text(errors="replace")

        try:
            wait_until(up, UI_S, f"Ray node {name} to start", poll=0.2)
        except BaseException:
            self.kill_node(proc)
            raise
        return proc

    def connect(self) -> None:
        """``ray.init`` this process as a driver of the cluster (on the head's address)."""
        import ray

        ray.init(address=self.address, _node_ip_address="127.0.0.2", log_to_driver=False)

    def add_node(self, cpus: int = 1, resources: dict | None = None) -> subprocess.Popen:
        """A worker node in the foreground (``--block``), so that it can be killed alone."""
        ip = f"127.0.0.{3 + len(self.nodes)}"
        proc = self._start(
            f"node-{ip}",
            f"--address={self.address}",
            f"--num-cpus={cpus}",
            f"--node-ip-address={ip}",
            *self._res(resources),
            *self._ports(),
        )
        self.nodes.append(proc)
        return proc

    def wait_nodes(self, n: int) -> None:
        import ray

        from tests.timeouts import UI_S, wait_until

        alive = lambda: sum(1 for x in ray.nodes() if x.get("Alive")) >= n  # noqa: E731
        wait_until(alive, UI_S, f"{n} Ray nodes", poll=0.5)

    @staticmethod
    def kill_node(proc: subprocess.Popen) -> None:
        """Kill a node and every process it started (its raylet and workers)."""
        import signal

        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)

    def stop(self) -> None:
        try:
            for proc in [*self.nodes, self.head]:
                self.kill_node(proc)
        finally:
            shutil.rmtree(self.temp, ignore_errors=True)
