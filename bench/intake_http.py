"""Intake HTTP load test: 50 concurrent clients submit bundle applications through the REST API to two app
processes (gunicorn) on loopback, PostgreSQL behind them.

Run from the repository root: `.venv/bin/python bench/intake_http.py` (PostgreSQL at DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/onetrip_bench_intake_http, dropped and created afresh; the name must
contain "bench"). Options: --requests N (timed submissions, default SUBMISSIONS), --threads, --worker-class,
--port. Prints one JSON line: {"db", "clients", "requests", "errors", "p50_ms", "p95_ms", "p99_ms",
"requests_per_s", "duration_s", and CPU per request: "server_cpu_ms" (both gunicorn processes),
"client_cpu_ms" (the load generator), "db_cpu_ms" (the PostgreSQL backends serving the servers, when the
database runs on this machine), "machine_busy_ms" (all cores, everything else running included)}.

Set-up (not timed): migrate; the bundle of bench/intake.py (10 members, 60 fields, 8 materials); an API key
with scope intake:write; N + WARMUP drafts of channel api (started, 60 fields saved, materials marked
uploaded) for 20 applicants. Then two `gunicorn onetrip.wsgi` processes (each 1 worker × 4 threads, gthread,
DEBUG off, persistent DB connections) listen on 127.0.0.1:PORT and PORT+1. WARMUP submissions at full
concurrency warm both servers up (caches, one database connection per thread), untimed. Timed: 50 clients
in one asyncio event loop in this process (keep-alive connections, raw HTTP/1.1: a light client leaves the
two shared cores to the servers and PostgreSQL), each taking the next draft and sending
`POST /api/v1/intake/applications/{id}/submit` with `X-API-Key` and a fresh `Idempotency-Key` as soon as its
previous answer is in (no think time), clients alternating between the two servers, until the drafts run out
or DURATION_S passes. A response other than 201 counts as an error. Latency is measured per request at the
client (a connection the server closed is reopened inside the next request's time).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/onetrip_bench_intake_http"
CLIENTS = 50
SUBMISSIONS = 2400
WARMUP = 100  # submissions sent before timing starts (caches, connections), not counted
DURATION_S = 60
PORT = 8133
THREADS = 4


def setup_child(count: int) -> None:
    """In the child process with the bench settings: print {"key", "ids"} as JSON."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.intake import build_bundle
    from onetrip.bundles.selectors import merged_form
    from onetrip.intake.models import ApplicationMaterial, Channel, MaterialState
    from onetrip.intake.services.application import application_save, application_start
    from onetrip.intake.services.files import file_store
    from onetrip.intake.tests import factories as itf
    from onetrip.orgs.auth import api_key_create

    call_command("migrate", verbosity=0)
    version = build_bundle()
    values = {f["key"]: f"示范值{n}" for n, f in enumerate(merged_form(version)["fields"])}
    applicants = [itf.make_applicant() for _ in range(20)]
    stored = file_store(data=itf.PDF_BYTES, declared_name="m.pdf")
    ids = []
    for n in range(count + WARMUP):
        app = application_start(applicant=applicants[n % 20], bundle=version.bundle, channel=Channel.API)
        app = application_save(application=app, revision=app.revision, form_data=values).application
        ids.append(app.pk)
    ApplicationMaterial.objects.filter(application_id__in=ids).update(
        state=MaterialState.UPLOADED, file=stored, file_name="m.pdf"
    )
    _, key = api_key_create(name="bench", scopes=["intake:write", "intake:read"], created_by=None)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(json.dumps({"key": key, "ids": ids}))


def setup(env: dict[str, str], count: int) -> tuple[str, list[int]]:
    out = subprocess.run(
        [sys.executable, __file__, "--setup", str(count)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(out.stdout.strip().splitlines()[-1])
    return data["key"], data["ids"]


def _wait_ready(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/openapi.json")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server on port {port} did not start")


def _proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its children that were waited for (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime


def _tree_cpu_s(root: int) -> float:
    """CPU seconds of a process and its live descendants (the gunicorn master and its worker)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += _proc_cpu_s(pid)
        todo.extend(children.get(pid, ()))
    return total


def _machine_busy_s() -> float:
    """CPU seconds all cores spent busy since boot (everything but idle and iowait), from /proc/stat."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


async def _load_async(
    key: str, ids: list[int], ports: list[int], clients: int
) -> tuple[list[float], list[str]]:
    """`clients` keep-alive connections in one event loop, each sending its next submission as soon as the
    previous answer is read (no think time). A connection the server closes is opened again inside the next
    request's time."""
    work = collections.deque(ids)
    latencies: list[float] = []
    errors: list[str] = []
    stop_at = time.monotonic() + DURATION_S

    async def client(n: int) -> None:
        port = ports[n % len(ports)]
        writer: asyncio.StreamWriter | None = None
        while work and time.monotonic() < stop_at:
            pk = work.popleft()
            request = (
                f"POST /api/v1/intake/applications/{pk}/submit HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"X-API-Key: {key}\r\nIdempotency-Key: bench-http-{pk:010d}\r\nContent-Length: 0\r\n\r\n"
            ).encode()
            t = time.perf_counter()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                headers = head.decode("latin-1").lower()
                length = int(headers.split("content-length:", 1)[1].split("\r\n", 1)[0])
                body = await reader.readexactly(length)
                closing = "connection: close" in headers
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as exc:
                status, body, closing = 0, repr(exc).encode(), True
            latencies.append((time.perf_counter() - t) * 1000)
            if status != 201:
                errors.append(f"{status}: {body[:200]!r}")
            if closing and writer is not None:
                writer.close()
                writer = None
        if writer is not None:
            writer.close()

    await asyncio.gather(*(client(n) for n in range(clients)))
    return latencies, errors


def _db_backends(url: str) -> list[int]:
    """Process ids of the PostgreSQL backends connected to the benchmark database (the app servers' persistent
    connections), when the server runs on this machine."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [name]).fetchall()
    return [pid for (pid,) in rows]


def load(key: str, ids: list[int], ports: list[int], servers: list[int], threads: int, url: str) -> dict:
    """Warm the servers up (WARMUP submissions at full concurrency, not counted: caches, and every thread's
    database connection), then run the timed load."""
    asyncio.run(_load_async(key, ids[:WARMUP], ports, CLIENTS))
    timed = ids[WARMUP:]
    backends = _db_backends(url)
    client_cpu, server_cpu, db_cpu, busy = (
        time.process_time(),
        sum(_tree_cpu_s(p) for p in servers),
        sum(_proc_cpu_s(p) for p in backends),
        _machine_busy_s(),
    )
    t0 = time.perf_counter()
    latencies, errors = asyncio.run(_load_async(key, timed, ports, CLIENTS))
    duration = time.perf_counter() - t0
    client_cpu = time.process_time() - client_cpu
    server_cpu = sum(_tree_cpu_s(p) for p in servers) - server_cpu
    db_cpu = sum(_proc_cpu_s(p) for p in backends) - db_cpu
    busy = _machine_busy_s() - busy
    n = len(latencies)
    q = statistics.quantiles(latencies, n=100)
    return {
        "db": "postgresql",
        "clients": CLIENTS,
        "servers": len(ports),
        "threads_per_server": threads,
        "requests": n,
        "errors": len(errors),
        "first_errors": errors[:3],
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(q[94], 1),
        "p99_ms": round(q[98], 1),
        "max_ms": round(max(latencies), 1),
        "requests_per_s": round(n / duration, 1),
        "duration_s": round(duration, 1),
        # CPU per request: the app servers, the load generator, the database backends serving them, and the
        # whole machine (anything else running included): shows how much of the cores other work took.
        "server_cpu_ms": round(server_cpu * 1000 / n, 2),
        "client_cpu_ms": round(client_cpu * 1000 / n, 2),
        "db_cpu_ms": round(db_cpu * 1000 / n, 2),
        "machine_busy_ms": round(busy * 1000 / n, 2),
        "machine_cores": os.cpu_count(),
    }


def _pg_fresh(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    if "bench" not in name:
        sys.exit(f"refusing to drop database {name!r}: the benchmark database name must contain 'bench'")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=PORT, help="first of two loopback ports")
    parser.add_argument("--threads", type=int, default=THREADS, help="gthread threads per app process")
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class (gthread, sync)")
    parser.add_argument("--requests", type=int, default=SUBMISSIONS, help="timed submissions (drafts made)")
    parser.add_argument("--setup", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup is not None:
        setup_child(args.setup)
        return
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    url = os.environ.get("DATABASE_URL", PG_DEFAULT)
    _pg_fresh(url)
    servers: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="onetrip-bench-") as var_dir:
        env.update(
            DJANGO_SETTINGS_MODULE="onetrip.settings",
            LOG_LEVEL="ERROR",
            DATABASE_URL=url,
            ONETRIP_VAR_DIR=var_dir,
            DB_CONN_MAX_AGE="600",
        )
        key, ids = setup(env, args.requests)
        ports = [args.port, args.port + 1]
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        try:
            for port in ports:
                servers.append(
                    subprocess.Popen(
                        [gunicorn, "onetrip.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                         "--threads", str(args.threads), "--worker-class", args.worker_class,
                         "--log-level", "warning", "--no-control-socket"],
                        env=env,
                        cwd=ROOT,
                    )
                )  # fmt: skip
            for port in ports:
                _wait_ready(port)
            pids = [server.pid for server in servers]
            result = {"worker_class": args.worker_class, **load(key, ids, ports, pids, args.threads, url)}
            print(json.dumps(result, ensure_ascii=False), flush=True)
        finally:
            for server in servers:
                server.terminate()
            for server in servers:
                server.wait(timeout=30)


if __name__ == "__main__":
    main()
