"""Notification delivery benchmark (issue 8): notifications committed at a steady rate, delivered by the
dispatcher workers to a loopback DingTalk-style webhook; latency = arrival at the receiver − commit.

Run from the repository root: `.venv/bin/python bench/supervision_notify.py [--rate 200] [--seconds 30]
[--workers 2] [--producers 4]`. Prints one JSON line {"events", "rate", "notify_p50_s", "notify_p99_s", …}
(also the achieved rate, max, share within 5 s, missing, and CPU seconds). `bench/supervision.py` imports
`measure`.

PostgreSQL only, in its own database (NOTIFY_BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/onetrip_bench_notify; dropped and created afresh, the name must contain
"bench"). Every part is a separate OS process:
- the receiver: a threaded stdlib HTTP server on 127.0.0.1 (port 0) recording each message's arrival time;
- the workers: `onetrip notify worker` (LISTEN/NOTIFY wake-up, SKIP LOCKED), `--workers` of them;
- the producers: commit one notification per transaction (`notify_send` inside `transaction.atomic()`, as
  an event would) at `--rate` per second in all for `--seconds`, paced against the wall clock, recording
  each commit time. `--producers` processes (default 4) share the rate, as several app processes would;
  one alone is bounded by its commit round trips. Each notification goes to one of 50 handlers of a
  department with a robot (webhook channel only).
Set-up (migrate, department, robot, users; starting the workers and producers, which wait until every
worker is listening) is not timed. CPU time of the workers and the producers is read from the OS (wait4)
and reported beside the latencies. A message that has not arrived 5 s after the last commit counts as
infinitely late.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/onetrip_bench_notify"
HANDLERS = 50
TITLE = "基准事件"


# --- the receiver process ----------------------------------------------------------------------------------


def run_receiver(out_path: str) -> None:
    """Serve until SIGTERM, then write {event number: arrival time} to out_path."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    arrivals: dict[int, float] = {}
    reply = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; without TCP_NODELAY, Nagle's algorithm holds the body
        # until the client's delayed ACK (40 ms) on every keep-alive request.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:  # noqa: N802
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            at = time.time()
            title = json.loads(raw)["markdown"]["title"]
            arrivals.setdefault(int(title.rsplit(" ", 1)[1]), at)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True

    def stop(*_: object) -> None:
        Path(out_path).write_text(json.dumps(arrivals))
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    print(server.server_address[1], flush=True)
    server.serve_forever()


# --- set-up and producer (Django processes) ----------------------------------------------------------------


def run_setup(robot_url: str) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from onetrip.notify.models import DepartmentRobot
    from onetrip.orgs.models import RoleAssignment
    from onetrip.orgs.tests import factories as f

    call_command("migrate", verbosity=0)
    department = f.department(region=f.region_chain()["county"], name="基准测试局")
    DepartmentRobot.objects.create(department=department, url=robot_url, secret="SEC-bench-secret")
    for n in range(HANDLERS):
        user = f.user(username=f"bench-handler-{n}", display_name=f"经办人{n}")
        RoleAssignment.objects.create(user=user, role="handler", department=department)


def run_producer(rate: float, seconds: float, part: int, parts: int, out_path: str) -> None:
    """Say "ready" once set up, read the common start time from stdin, then commit on schedule."""
    import django

    django.setup()
    from django.db import transaction

    from onetrip.notify.services import notify_send
    from onetrip.orgs.models import User

    users = list(User.objects.filter(username__startswith="bench-handler-").values_list("pk", flat=True))
    print("ready", flush=True)
    start = float(sys.stdin.readline())
    events = int(rate * seconds)
    commits: dict[int, float] = {}
    for n in range(part, events, parts):
        delay = start + n / rate - time.time()
        if delay > 0:
            time.sleep(delay)
        with transaction.atomic():  # the event's own transaction; the notification is its outbox row
            notify_send(
                recipient_id=users[n % len(users)],
                kind="task_reminder",
                title=f"{TITLE} {n}",
                body="办理提醒：基准测试办件临近到期。",
                link=f"/work/tasks/{n}/",
                dedup_key=f"bench:{n}",
            )
        commits[n] = time.time()
    Path(out_path).write_text(json.dumps(commits))


# --- the parent --------------------------------------------------------------------------------------------


def _pg_fresh(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    if "bench" not in name:
        sys.exit(f"refusing to drop database {name!r}: the benchmark database name must contain 'bench'")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _cpu_s(proc: subprocess.Popen[Any]) -> float:
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    return usage.ru_utime + usage.ru_stime


def _quantile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank quantile."""
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def measure(
    *,
    rate: int = 200,
    seconds: int = 30,
    workers: int = 2,
    producers: int = 4,
    database_url: str | None = None,
) -> dict:
    url = database_url or os.environ.get("NOTIFY_BENCH_DATABASE_URL") or PG_DEFAULT
    _pg_fresh(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOTIFY_")}
    env.update(
        DJANGO_SETTINGS_MODULE="onetrip.settings",
        DATABASE_URL=url,
        LOG_LEVEL="ERROR",
        NOTIFY_CHANNELS="webhook",
        NOTIFY_SITE_URL="https://zwfw.example.gov.cn",
    )
    me = [sys.executable, str(Path(__file__).resolve())]
    with tempfile.TemporaryDirectory(prefix="onetrip-bench-notify-") as tmp:
        env["ONETRIP_VAR_DIR"] = tmp
        arrivals_path = f"{tmp}/arrivals.json"
        receiver = subprocess.Popen([*me, "--receiver", arrivals_path], stdout=subprocess.PIPE, text=True)
        procs: list[subprocess.Popen[Any]] = [receiver]
        try:
            port = int(receiver.stdout.readline())  # type: ignore[union-attr]
            robot = f"http://127.0.0.1:{port}/robot/send?access_token=bench"
            subprocess.run([*me, "--setup", robot], env=env, cwd=ROOT, check=True)
            worker_procs = [
                subprocess.Popen(
                    [sys.executable, "-m", "onetrip.cli", "notify", "worker", "--interval", "1"],
                    env=env,
                    cwd=ROOT,
                    stdout=subprocess.PIPE,
                    text=True,
                )
                for _ in range(workers)
            ]
            procs += worker_procs
            for p in worker_procs:
                p.stdout.readline()  # type: ignore[union-attr]  # printed once it is listening
            producer_procs = [
                subprocess.Popen(
                    [*me, "--producer", str(rate), str(seconds), str(k), str(producers)]
                    + [f"{tmp}/commits-{k}.json"],
                    env=env,
                    cwd=ROOT,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
                for k in range(producers)
            ]
            procs += producer_procs
            for p in producer_procs:
                p.stdout.readline()  # type: ignore[union-attr]  # "ready"
            start = time.time() + 0.5
            for p in producer_procs:
                p.stdin.write(f"{start}\n")  # type: ignore[union-attr]
                p.stdin.flush()  # type: ignore[union-attr]
            producer_cpu = sum(_cpu_s(p) for p in producer_procs)
            commits: dict[int, float] = {}
            for k in range(producers):
                commits.update(
                    {int(n): at for n, at in json.loads(Path(f"{tmp}/commits-{k}.json").read_text()).items()}
                )
            time.sleep(5.0)  # let the last deliveries land; anything later counts as missing
            for p in worker_procs:
                p.send_signal(signal.SIGTERM)
            worker_cpu = [round(_cpu_s(p), 2) for p in worker_procs]
            receiver.send_signal(signal.SIGTERM)
            receiver.wait(timeout=30)
            arrivals = {int(k): v for k, v in json.loads(Path(arrivals_path).read_text()).items()}
        finally:
            for p in procs:
                if p.returncode is None and p.poll() is None:
                    p.kill()
    latencies = sorted(arrivals[n] - c for n, c in commits.items() if n in arrivals)
    missing = len(commits) - len(latencies)
    # An event that never arrived counts as infinitely late.
    ranked = latencies + [float("inf")] * missing
    return {
        "events": len(commits),
        "rate": rate,
        "achieved_rate": round(len(commits) / (max(commits.values()) - start), 1),
        "notify_p50_s": round(_quantile(ranked, 0.50), 4),
        "notify_p99_s": round(_quantile(ranked, 0.99), 4),
        "notify_max_s": round(ranked[-1], 4),
        "within_5s": round(sum(1 for v in latencies if v <= 5.0) / len(commits), 4),
        "missing": missing,
        "workers": workers,
        "producers": producers,
        "worker_cpu_s": worker_cpu,
        "producer_cpu_s": round(producer_cpu, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--producers", type=int, default=4)
    parser.add_argument("--receiver", help=argparse.SUPPRESS)
    parser.add_argument("--setup", help=argparse.SUPPRESS)
    parser.add_argument("--producer", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receiver:
        run_receiver(args.receiver)
    elif args.setup:
        run_setup(args.setup)
    elif args.producer:
        rate, seconds, part, parts, out = args.producer
        run_producer(float(rate), float(seconds), int(part), int(parts), out)
    else:
        result = measure(rate=args.rate, seconds=args.seconds, workers=args.workers, producers=args.producers)
        print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
