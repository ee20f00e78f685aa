"""Intake HTTP load test: 50 concurrent clients submit bundle applications through the REST API to two app
processes (gunicorn) on loopback, PostgreSQL behind them.

Run from the repository root: `.venv/bin/python bench/intake_http.py` (PostgreSQL at DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/onetrip_bench_intake_http, dropped and created afresh; the name must
contain "bench"). Prints one JSON line: {"db", "clients", "requests", "errors", "p50_ms", "p95_ms", "p99_ms",
"requests_per_s", "duration_s"}.

Set-up (not timed): migrate; the bundle of bench/intake.py (10 members, 60 fields, 8 materials); an API key
with scope intake:write; SUBMISSIONS drafts of channel api (started, 60 fields saved, materials marked
uploaded) for 20 applicants. Then two `gunicorn onetrip.wsgi` processes (each 1 worker × 4 threads, DEBUG
off, persistent DB connections) listen on 127.0.0.1:PORT and PORT+1. Timed: 50 client threads (stdlib
http.client, keep-alive), each taking the next draft and sending
`POST /api/v1/intake/applications/{id}/submit` with `X-API-Key` and a fresh `Idempotency-Key`, alternating
between the two servers, until the drafts run out or DURATION_S passes. A response other than 201 counts
as an error. Latency is measured per request at the client (connect excluded after the first request).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/onetrip_bench_intake_http"
CLIENTS = 50
SUBMISSIONS = 1200
DURATION_S = 60
PORT = 8133


def setup_child() -> None:
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
    for n in range(SUBMISSIONS):
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


def setup(env: dict[str, str]) -> tuple[str, list[int]]:
    out = subprocess.run(
        [sys.executable, __file__, "--setup"], env=env, cwd=ROOT, capture_output=True, text=True, check=True
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


def load(key: str, ids: list[int], ports: list[int]) -> dict:
    work: queue.Queue[int] = queue.Queue()
    for pk in ids:
        work.put(pk)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + DURATION_S

    def client(n: int) -> None:
        port = ports[n % len(ports)]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop_at:
            try:
                pk = work.get_nowait()
            except queue.Empty:
                break
            headers = {"X-API-Key": key, "Idempotency-Key": f"bench-http-{pk:010d}", "Content-Length": "0"}
            t = time.perf_counter()
            try:
                conn.request("POST", f"/api/v1/intake/applications/{pk}/submit", headers=headers)
                response = conn.getresponse()
                body = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status, body = 0, str(exc).encode()
            elapsed = (time.perf_counter() - t) * 1000
            with lock:
                latencies.append(elapsed)
                if status != 201:
                    errors.append(f"{status}: {body[:200]!r}")
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    duration = time.perf_counter() - t0
    q = statistics.quantiles(latencies, n=100)
    return {
        "db": "postgresql",
        "clients": CLIENTS,
        "servers": len(ports),
        "requests": len(latencies),
        "errors": len(errors),
        "first_errors": errors[:3],
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(q[94], 1),
        "p99_ms": round(q[98], 1),
        "requests_per_s": round(len(latencies) / duration, 1),
        "duration_s": round(duration, 1),
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
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        setup_child()
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
        key, ids = setup(env)
        ports = [args.port, args.port + 1]
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        try:
            for port in ports:
                servers.append(
                    subprocess.Popen(
                        [gunicorn, "onetrip.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                         "--threads", "4", "--worker-class", "gthread", "--log-level", "warning"],
                        env=env,
                        cwd=ROOT,
                    )
                )  # fmt: skip
            for port in ports:
                _wait_ready(port)
            print(json.dumps(load(key, ids, ports), ensure_ascii=False), flush=True)
        finally:
            for server in servers:
                server.terminate()
            for server in servers:
                server.wait(timeout=30)


if __name__ == "__main__":
    main()
