"""Prefill benchmark: 60 form fields from 5 local sources, the same plus one HTTP source answering in 50 ms,
and access-log write throughput.

Run from the repository root: `.venv/bin/python bench/prefill.py` (PostgreSQL at DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/onetrip_bench_prefill, dropped and created afresh) or `--db sqlite`
(a temporary file). Prints one JSON line:
{"db", "local_ms", "with_http_ms", "access_log_writes_per_s", "access_log_bulk_writes_per_s", ...}.

The child process migrates a fresh database, creates 60 data elements bound 12 apiece to 5 local-table
sources (population, social insurance, housing fund, real estate, staffing) over 5,000 generated people, and
a clerk entitled to them. `local_ms` is the median of 300 prefills (each reads the 5 sources and writes its
5 access-log entries and the daily rollup in one transaction). `with_http_ms` adds a sixth source: an HTTP
JSON server on 127.0.0.1 that answers after 50 ms (median of 40). `access_log_writes_per_s`: 8 worker
threads (own connections, as web workers) each write one prefill's 6 entries + the daily rollup per
transaction for 3 s; `access_log_serial_writes_per_s` is the same from one thread (bound by the commit's
fsync); `access_log_bulk_writes_per_s` writes batches of 1,000 entries per transaction.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/onetrip_bench_prefill"
PEOPLE = 5_000
LOCAL_RUNS = 300
HTTP_RUNS = 40
HTTP_DELAY = 0.05
WORKERS = 8
TABLES = {
    "person": ["id_number", "name", "gender", "birth_date", "ethnicity", "household_register", "address", "marital_status", "phone"],
    "social_insurance": ["card_number", "insured_region", "contribution_months", "medical_category", "bank_account", "phone", "employer_name"],
    "housing_fund": ["account", "employer_name", "status", "opened"],
    "real_estate": ["unit_number", "certificate_no", "location", "area", "registered"],
    "staff": ["unit_name", "unit_uscc", "establishment_type", "position", "retirement_date"],
}  # fmt: skip


class _Slow(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        time.sleep(HTTP_DELAY)
        out = json.dumps({"found": True, "data": {f: f"v-{f}" for f in body["fields"]}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


def _people(rng: random.Random) -> list[str]:
    from stdnum.cn import ric

    numbers: set[str] = set()
    while len(numbers) < PEOPLE:
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 35))
        body = f"332822{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
        numbers.add(body + ric.calc_check_digit(body + "0"))
    return sorted(numbers)


def run_one(db: str) -> dict:
    import django

    django.setup()
    from decimal import Decimal

    from django.core.management import call_command

    from onetrip.catalog.models import DataElement
    from onetrip.catalog.tests import factories as cf
    from onetrip.orgs.models import Role, RoleAssignment
    from onetrip.sharing import models as m
    from onetrip.sharing.services import (
        ElementBinding,
        access_log_write,
        prefill,
        source_register,
        subject_hash,
    )

    call_command("migrate", verbosity=0)
    rng = random.Random(20260501)
    numbers = _people(rng)
    d = dt.date(2000, 1, 1)
    m.PersonRecord.objects.bulk_create(
        [m.PersonRecord(id_number=n, name="王五", gender="1", birth_date=d, household_register="331102001000", address="莲都区中山街1号", marital_status="20", phone="13900000001") for n in numbers],
        batch_size=1000,
    )  # fmt: skip
    m.SocialInsuranceRecord.objects.bulk_create(
        [m.SocialInsuranceRecord(id_number=n, card_number="A12345678", insured_region="331102000000", contribution_months=360, medical_category="employee", bank_account="6217000000000001", phone="13900000001", employer_name="莲都区教育局") for n in numbers],
        batch_size=1000,
    )  # fmt: skip
    m.HousingFundRecord.objects.bulk_create(
        [m.HousingFundRecord(id_number=n, account=f"3311{i:012d}", employer_name="莲都区教育局", status="normal", opened=d) for i, n in enumerate(numbers)],
        batch_size=1000,
    )  # fmt: skip
    m.RealEstateRecord.objects.bulk_create(
        [m.RealEstateRecord(owner_id_number=n, unit_number=f"U{i:027d}", certificate_no=f"C{i}", location="莲都区", area=Decimal("88.50"), registered=d) for i, n in enumerate(numbers)],
        batch_size=1000,
    )  # fmt: skip
    m.StaffRecord.objects.bulk_create(
        [m.StaffRecord(id_number=n, unit_name="莲都区教育局", unit_uscc="11331102MB0000000X", establishment_type="public_institution", position="科员", retirement_date=d) for n in numbers],
        batch_size=1000,
    )  # fmt: skip

    department = cf.make_department(name="示范县公安局")
    codes: list[str] = []
    sources = []
    for t, (table, fields) in enumerate(TABLES.items()):
        bindings = []
        for k in range(12):
            code = f"bench.{table}_{k:02d}"
            DataElement.objects.create(code=code, name=code, data_type="string")
            bindings.append(ElementBinding(code, fields[k % len(fields)], 1, True))
            codes.append(code)
        sources.append(source_register(code=f"local-{t}", name=f"本地源{t}", department=department, kind="local_table",
                                       sensitivity="internal", subject_kind="person", config={"table": table},
                                       elements=bindings, actor=None))  # fmt: skip
    clerk = cf.make_user(display_name="窗口")
    RoleAssignment.objects.create(user=clerk, role=Role.CLERK)
    for s in sources:
        m.SourceEntitlement.objects.create(source=s, role=Role.CLERK)
    assert len(codes) == 60

    def run(element_codes: list[str], n: int) -> tuple[float, object]:
        timings, result = [], None
        for i in range(n):
            t0 = time.perf_counter()
            result = prefill(subject_id_number=numbers[i % PEOPLE], element_codes=element_codes,
                             purpose="acceptance", actor=clerk, task_ref=f"bench-{i}")  # fmt: skip
            timings.append((time.perf_counter() - t0) * 1000)
        return statistics.median(timings), result

    run(codes, 20)  # warm caches and the connection
    local_ms, local_result = run(codes, LOCAL_RUNS)
    assert local_result.complete and len(local_result.values) == 60, local_result  # type: ignore[union-attr]

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    DataElement.objects.create(code="bench.http_00", name="接口字段", data_type="string")
    http = source_register(code="http-0", name="接口源", department=department, kind="http", sensitivity="internal",
                           subject_kind="person", config={"url": f"http://127.0.0.1:{server.server_address[1]}/", "timeout": 1.0},
                           elements=[ElementBinding("bench.http_00", "x", 1, True)], actor=None)  # fmt: skip
    m.SourceEntitlement.objects.create(source=http, role=Role.CLERK)
    run([*codes, "bench.http_00"], 3)
    with_http_ms, http_result = run([*codes, "bench.http_00"], HTTP_RUNS)
    assert http_result.complete and len(http_result.values) == 61, http_result  # type: ignore[union-attr]
    server.shutdown()

    def entries(n: int, i: int) -> list:
        h = subject_hash(numbers[i % PEOPLE])
        return [m.AccessLogEntry(actor=clerk, actor_label="窗口", source=sources[k % 5], subject_hash=h,
                                 elements=codes[k * 12:(k + 1) * 12] if k < 5 else codes[:1], task_ref=f"bench-{i}",
                                 purpose="acceptance", outcome="ok") for k in range(n)]  # fmt: skip

    written, i, t0 = 0, 0, time.perf_counter()
    while time.perf_counter() - t0 < 3.0:
        access_log_write(entries=entries(6, i))
        written, i = written + 6, i + 1
    serial_rate = written / (time.perf_counter() - t0)

    # As a web server writes them: one prefill's 6 entries + rollup per transaction, from 8 workers at once.
    from django.db import connection as conn

    counts = [0] * WORKERS
    stop = time.perf_counter() + 3.0

    def worker(w: int) -> None:
        n = 0
        while time.perf_counter() < stop:
            access_log_write(entries=entries(6, 10_000 * (w + 1) + n))
            n += 1
        counts[w] = n * 6
        conn.close()

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(WORKERS)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    per_prefill_rate = sum(counts) / (time.perf_counter() - t0)
    written, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 3.0:
        access_log_write(entries=entries(1000, i))
        written, i = written + 1000, i + 1
    bulk_rate = written / (time.perf_counter() - t0)
    return {
        "db": db,
        "local_ms": round(local_ms, 2),
        "with_http_ms": round(with_http_ms, 2),
        "access_log_writes_per_s": round(per_prefill_rate),
        "access_log_bulk_writes_per_s": round(bulk_rate),
        "access_log_serial_writes_per_s": round(serial_rate),
        "log_workers": WORKERS,
        "fields": 60,
        "local_sources": 5,
        "people": PEOPLE,
        "http_delay_ms": int(HTTP_DELAY * 1000),
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
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--child", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child), ensure_ascii=False), flush=True)
        return
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="onetrip.settings", LOG_LEVEL="ERROR")
    with tempfile.TemporaryDirectory(prefix="onetrip-bench-") as var_dir:
        env["ONETRIP_VAR_DIR"] = var_dir
        if args.db == "postgresql":
            env["DATABASE_URL"] = os.environ.get("DATABASE_URL", PG_DEFAULT)
            _pg_fresh(env["DATABASE_URL"])
        done = subprocess.run([sys.executable, __file__, "--child", args.db], env=env, cwd=ROOT)
    sys.exit(done.returncode)


if __name__ == "__main__":
    main()
