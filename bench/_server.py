"""Helpers for the benchmarks that need a database or a running server (``bench.intake``, ``bench.kpi``).

Nothing here imports Django: the benchmark process stays light, and the product runs in its own
processes (``gridgov migrate``, ``gridgov load_demo``, ``gridgov serve``) with the environment set here.
Servers listen on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
_ACCESS_LINE = re.compile(r'"([A-Z]+) (\S+?)(?:\?\S*)? HTTP/1\.[01]" (\d{3}) ')  # gunicorn's default format
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


# ---------------------------------------------------------------- machine


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict:
    info = {
        "cpu_model": cpu_model(),
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            total_kb = int(fh.readline().split()[1])
        info["memory_gb"] = round(total_kb / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return info


def loadavg_1m() -> float | None:
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


# ---------------------------------------------------------------- CPU accounting (from /proc)


def system_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, summed over all CPUs."""
    with open("/proc/stat", encoding="ascii") as fh:
        parts = [int(v) for v in fh.readline().split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)  # idle + iowait
    total = sum(parts[:8])  # guest time is already counted in user
    return float(total - idle), float(total)


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            data = fh.read()
    except OSError:
        return 0.0
    fields = data[data.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _proc_table() -> list[tuple[int, int, str]]:
    """(pid, ppid, comm) of every process we can read."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                data = fh.read()
        except OSError:
            continue
        comm = data[data.index("(") + 1 : data.rindex(")")]
        ppid = int(data[data.rindex(")") + 2 :].split()[1])
        out.append((int(entry), ppid, comm))
    return out


def children_of(pid: int) -> list[int]:
    return [p for p, ppid, _ in _proc_table() if ppid == pid]


def descendants_of(pid: int) -> list[int]:
    table = _proc_table()
    found, frontier = [], {pid}
    while frontier:
        nxt = {p for p, ppid, _ in table if ppid in frontier}
        found.extend(sorted(nxt))
        frontier = nxt
    return found


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def postgres_pids() -> list[int]:
    """Every PostgreSQL process on the machine (other databases' backends included)."""
    return [p for p, _, comm in _proc_table() if comm.startswith("postgres")]


def postgres_pids_for(dbname: str):
    """A callable for :class:`CpuMeter`: the backends connected to ``dbname`` plus PostgreSQL's own
    background processes (WAL writer, checkpointer, …), not other databases' backends."""

    def pids() -> list[int]:
        import psycopg

        with psycopg.connect(pg_dsn(), autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE (datname = %s OR backend_type <> 'client backend')"
                " AND pid <> pg_backend_pid()",
                (dbname,),
            ).fetchall()
        return [r[0] for r in rows]

    return pids


@dataclass
class CpuMeter:
    """CPU used between :meth:`start` and :meth:`stop`: the whole machine, and named groups of processes.

    Groups are callables returning pids, evaluated at both ends: a process alive at both ends counts for
    what it used in between, one born in between counts in full, one that ended in between is missed (so
    the load generator's own CPU is taken from ``resource.getrusage`` or ``os.times`` by the caller)."""

    groups: dict = field(default_factory=dict)
    _t0: float = 0.0
    _sys0: tuple[float, float] = (0.0, 0.0)
    _proc0: dict = field(default_factory=dict)

    def start(self) -> None:
        self._t0 = time.perf_counter()
        self._sys0 = system_cpu()
        self._proc0 = {name: {p: proc_cpu_seconds(p) for p in fn()} for name, fn in self.groups.items()}

    def stop(self) -> dict:
        wall = time.perf_counter() - self._t0
        busy1, total1 = system_cpu()
        busy = busy1 - self._sys0[0]
        total = total1 - self._sys0[1]
        ncpu = os.cpu_count() or 1
        out = {
            "wall_s": round(wall, 2),
            "machine_busy_share": round(busy / total, 3) if total else None,
            "machine_busy_cores": round(busy / total * ncpu, 2) if total else None,
        }
        ours = 0.0
        for name, before in self._proc0.items():
            used = sum(max(0.0, proc_cpu_seconds(p) - c0) for p, c0 in before.items())
            # A process born during the phase (e.g. a database connection opened anew) counts in full.
            used += sum(proc_cpu_seconds(p) for p in self.groups[name]() if p not in before)
            ours += used
            out[f"{name}_cores"] = round(used / wall, 2) if wall else None
        if total and wall:
            # Everything else on the machine (the caller adds its load generator's own figure beside this).
            out["rest_of_machine_cores"] = round(max(0.0, busy / total * ncpu - ours / wall), 2)
        return out


def busy_cores(seconds: float = 1.0) -> float:
    """How many cores the whole machine keeps busy over a short sample."""
    busy0, total0 = system_cpu()
    time.sleep(seconds)
    busy1, total1 = system_cpu()
    total = total1 - total0
    return round((busy1 - busy0) / total * (os.cpu_count() or 1), 2) if total else 0.0


def wait_for_quiet(max_wait: float, threshold: float = 0.25, sample: float = 2.0) -> dict:
    """Wait (at most ``max_wait`` seconds) until the machine is nearly idle; say how it went."""
    start = time.monotonic()
    while True:
        busy = busy_cores(sample)
        waited = time.monotonic() - start
        if busy <= threshold or waited >= max_wait:
            return {"busy_cores_before": busy, "waited_s": round(waited, 1), "quiet": busy <= threshold}


# ---------------------------------------------------------------- PostgreSQL


def pg_dsn(dbname: str = "postgres") -> str:
    return f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={dbname}"


def pg_url(dbname: str) -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{dbname}"


def pg_exists(dbname: str) -> bool:
    import psycopg

    with psycopg.connect(pg_dsn(), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone() is not None


def pg_create(dbname: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(pg_dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))


def pg_drop(dbname: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(pg_dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))


def pg_settings() -> dict:
    import psycopg

    names = (
        "server_version",
        "shared_buffers",
        "work_mem",
        "synchronous_commit",
        "max_connections",
        "jit",
        "max_parallel_workers_per_gather",
        "random_page_cost",
    )
    with psycopg.connect(pg_dsn(), autocommit=True) as conn:
        return {n: conn.execute(f"SHOW {n}").fetchone()[0] for n in names}


# ---------------------------------------------------------------- the product's commands and server


def gridgov_argv(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("gridgov")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-c", "import sys; from gridgov.cli import main; sys.exit(main())", *args]


@dataclass
class Site:
    """One product installation: a database URL and a private ``GRIDGOV_VAR_DIR``."""

    database_url: str
    var_dir: Path
    extra_env: dict = field(default_factory=dict)
    # Another checkout of the product to run instead of this one (e.g. a branch with a candidate fix), with
    # this virtualenv: its directory goes first on PYTHONPATH.
    source_dir: Path = REPO_DIR

    @property
    def env(self) -> dict:
        env = dict(os.environ)
        env.update(
            {
                "GRIDGOV_DATABASE_URL": self.database_url,
                "GRIDGOV_VAR_DIR": str(self.var_dir),
                "DJANGO_SETTINGS_MODULE": "gridgov.settings",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if Path(self.source_dir).resolve() != REPO_DIR:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(self.source_dir), env.get("PYTHONPATH")]))
            env.setdefault("GRIDGOV_NODE_MODULES", str(REPO_DIR / "node_modules"))
        env.update(self.extra_env)
        return env

    def manage(self, *args: str, timeout: float = 600) -> str:
        done = subprocess.run(
            gridgov_argv(*args),
            env=self.env,
            cwd=self.source_dir,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"gridgov {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-4000:]}")
        return done.stdout


@contextlib.contextmanager
def temp_var_dir(prefix: str = "gridgov-bench-"):
    with tempfile.TemporaryDirectory(prefix=prefix) as path:
        yield Path(path)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``gridgov serve`` in a subprocess (gunicorn; ``serve`` execs it, so the pid is the gunicorn master).

    Its output (the access log included, as in production) goes to a file in the site's var dir."""

    def __init__(self, site: Site, *, workers: int = 2, threads: int = 4, port: int | None = None):
        self.site, self.workers, self.threads = site, workers, threads
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = site.var_dir / f"serve-{self.port}.log"

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str = "/api/v1/categories", timeout: float = 60) -> None:
        argv = gridgov_argv(
            "serve",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
        )
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            argv,
            env=self.site.env,
            cwd=self.site.source_dir,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            # Ready when it answers and every worker process exists (the benchmarks warm them up themselves).
            if self._answers(ready_path) and len(self.worker_pids()) >= self.workers:
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not answer within {timeout} s:\n{self.log_tail()}")

    def _answers(self, path: str) -> bool:
        import http.client

        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            conn.request("GET", path)
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except OSError:
            return False

    def gunicorn_pids(self) -> tuple[int | None, list[int]]:
        """(master, workers). ``serve`` either execs gunicorn or runs it as a child (beside its job thread)."""
        if self.proc is None:
            return None, []
        tree = [self.proc.pid, *descendants_of(self.proc.pid)]
        guni = {p for p in tree if "gunicorn" in cmdline(p)}
        parents = {p: ppid for p, ppid, _ in _proc_table() if p in guni}
        masters = [p for p in guni if parents.get(p) not in guni]
        workers = sorted(p for p in guni if parents.get(p) in guni)
        return (masters[0] if masters else None), workers

    def worker_pids(self) -> list[int]:
        return self.gunicorn_pids()[1]

    def all_pids(self) -> list[int]:
        """Every process of the server: ``serve`` itself (its job thread), the gunicorn master, the workers."""
        return [self.proc.pid, *descendants_of(self.proc.pid)] if self.proc else []

    def connections_per_worker(self) -> dict[int, int]:
        """Established client connections each gunicorn worker holds (from /proc, no tool needed).

        Keep-alive connections stay with the worker that accepted them, and gunicorn's workers do not
        share them out evenly: a worker can end up with none, and then sits idle under full load."""
        inodes: set[str] = set()
        for path in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                with open(path, encoding="ascii") as fh:
                    lines = fh.readlines()[1:]
            except OSError:
                continue
            for line in lines:
                parts = line.split()
                if parts[3] == "01" and int(parts[1].rsplit(":", 1)[1], 16) == self.port:  # ESTABLISHED
                    inodes.add(parts[9])
        counts: dict[int, int] = {}
        for pid in self.worker_pids():
            n = 0
            try:
                fds = os.listdir(f"/proc/{pid}/fd")
            except OSError:
                continue
            for fd in fds:
                try:
                    link = os.readlink(f"/proc/{pid}/fd/{fd}")
                except OSError:
                    continue
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    n += 1
            counts[pid] = n
        return counts

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def count_log_statuses(self) -> dict[str, int]:
        """Requests in the access log by method, path and status, e.g. ``{"POST /api/v1/cases 201": 1234}``:
        what the server really answered, to check the client's counts against."""
        counts: dict[str, int] = {}
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    match = _ACCESS_LINE.search(line)
                    if match:
                        key = f"{match[1]} {match[2]} {match[3]}"
                        counts[key] = counts.get(key, 0) + 1
        except OSError:
            pass
        return counts

    def stop(self, timeout: float = 20) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # serve passes it on; gunicorn's master stops its workers
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                # The server runs in a session of its own (start_new_session): end that group only.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._log.close()
        self.proc = None

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
