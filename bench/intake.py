"""Intake benchmark: submitting a bundle application in process, through the applying services.

Run from the repository root: `.venv/bin/python bench/intake.py`. Prints one JSON line per database:
{"db", "submissions_per_s", "submissions", "start_save_submit_per_s", ...}.

Each database runs in its own subprocess: SQLite in a temporary file, PostgreSQL at DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/onetrip_bench_intake, dropped and created afresh; the name must contain
"bench"). Set-up (not timed): migrate; publish 10 items (10 departments, 6 item-specific form fields and one
key material each; members 9 and 10 repeat material 1: 60 merged fields, 8 merged materials) and a bundle
of the 10; start N applications (`application_start`, channel online), fill all 60 fields in one
`application_save`, and mark the 8 materials uploaded with one stored PDF.

Timed (`submissions_per_s`): `application_submit(application, idempotency_key, actor)` for each of the N
prepared drafts, one after another in one process: the draft row locked and read with its applicant, the
full pre-check (60 fields checked, the bundle's material checklist from the material rows and the version's
cached shape), the Case insert, the 5-working-day answer period, the draft marked submitted, the timeline
event and the audit record — each submission its own transaction, committed (synchronous_commit as the
server has it: on). `submit_cpu_ms` is this process's CPU time per submission (time.process_time: less
sensitive than wall time to other work on the machine). `start_save_submit_per_s` times the whole path
start → save (60 fields) → submit for M further applications (materials marked in bulk between save and
submit, untimed).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/onetrip_bench_intake"
MEMBERS = 10
FIELDS_PER_MEMBER = 6
MATERIALS = 8
SUBMISSIONS = 1500
FULL_PATH = 300


def build_bundle():  # type: ignore[no-untyped-def]
    """A published bundle of 10 items: 60 merged form fields, 8 merged materials. Returns the version."""
    from onetrip.bundles.tests import factories as bf
    from onetrip.catalog.models import (
        DataType,
        FormField,
        Material,
        MaterialKind,
        MaterialNecessity,
        MaterialSource,
    )
    from onetrip.catalog.services import item_version_publish
    from onetrip.catalog.tests import factories as f

    region = f.make_region(name="示范县")
    basis = f.make_legal_reference(article="第二十九条")
    items = []
    for i in range(MEMBERS):
        department = f.make_department(name=f"示范县第{i + 1}局", region=region)
        version = f.make_item(department=department, name=f"示范事项{i + 1}").versions.get(version=1)
        f.fill_complete_guide(version)
        # Keep the generated guide valid but make the form and materials exactly what the bench needs.
        version.formfields.all().delete()
        version.materials.all().delete()
        version.situationquestions.all().delete()
        version.situations.all().delete()
        for j in range(FIELDS_PER_MEMBER):
            FormField.objects.create(
                version=version,
                order=j,
                code=f"m{i}_f{j}",
                label=f"事项{i + 1}字段{j + 1}",
                field_type=DataType.STRING,
                max_length=64,
                section=f"事项{i + 1}",
            )
        # Members 9 and 10 ask for material 1 again: the bundle merges it (一套材料), 8 in all.
        material = Material.objects.create(
            version=version,
            order=1,
            code=f"m{i}_material",
            name=f"示范材料{i % MATERIALS + 1}",
            kind=MaterialKind.ORIGINAL,
            necessity=MaterialNecessity.KEY,
            source=MaterialSource.APPLICANT,
        )
        material.legal_basis.add(basis)
        item_version_publish(version=version)
        version.item.refresh_from_db()
        items.append(version.item)
    return bf.make_published_bundle(items=items, lead_department=items[0].department)


def prepare(version, applicants, count: int, stored, values):  # type: ignore[no-untyped-def]
    from onetrip.intake.models import ApplicationMaterial, Channel, MaterialState
    from onetrip.intake.services.application import application_save, application_start

    drafts = []
    for n in range(count):
        app = application_start(
            applicant=applicants[n % len(applicants)], bundle=version.bundle, channel=Channel.ONLINE
        )
        app = application_save(application=app, revision=app.revision, form_data=values).application
        drafts.append(app)
    ApplicationMaterial.objects.filter(application__in=drafts).update(
        state=MaterialState.UPLOADED, file=stored, file_name="材料.pdf"
    )
    return drafts


def run_one(db: str) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from onetrip.bundles.selectors import merged_form, merged_materials
    from onetrip.intake.checklist import checklist_for
    from onetrip.intake.models import Application, ApplicationMaterial, Case, Channel, MaterialState
    from onetrip.intake.services.application import application_save, application_start, application_submit
    from onetrip.intake.services.files import file_store
    from onetrip.intake.tests import factories as itf

    call_command("migrate", verbosity=0)
    version = build_bundle()
    fields = len(merged_form(version)["fields"])
    materials = len(merged_materials(version)["materials"])
    applicants = [itf.make_applicant() for _ in range(20)]
    stored = file_store(data=itf.PDF_BYTES, declared_name="材料.pdf")
    values = {field["key"]: f"示范值{n}" for n, field in enumerate(merged_form(version)["fields"])}
    drafts = prepare(version, applicants, SUBMISSIONS, stored, values)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    asked = [e for e in checklist_for(application=drafts[0]) if e.asked]
    assert len(asked) == MATERIALS and all(e.state == MaterialState.UPLOADED for e in asked), asked

    t0, cpu0 = time.perf_counter(), time.process_time()
    for n, app in enumerate(drafts):
        # The signed-in applicant, as a request carries it (prepare() started draft n for applicants[n % 20]).
        actor = applicants[n % len(applicants)]
        application_submit(application=app, idempotency_key=f"bench-submit-{n:08d}", actor=actor)
    submit_s, submit_cpu_s = time.perf_counter() - t0, time.process_time() - cpu0
    assert Case.objects.count() == SUBMISSIONS

    untimed = 0.0
    t0 = time.perf_counter()
    for n in range(FULL_PATH):
        applicant = applicants[n % len(applicants)]
        app = application_start(applicant=applicant, bundle=version.bundle, channel=Channel.ONLINE)
        app = application_save(application=app, revision=app.revision, form_data=values).application
        t_mark = time.perf_counter()
        ApplicationMaterial.objects.filter(application=app).exclude(state=MaterialState.E_LICENCE).update(
            state=MaterialState.UPLOADED, file=stored, file_name="材料.pdf"
        )
        untimed += time.perf_counter() - t_mark
        application_submit(application=app, idempotency_key=f"bench-full-{n:08d}", actor=applicant)
    full_s = time.perf_counter() - t0 - untimed
    assert Application.objects.filter(status="submitted").count() == SUBMISSIONS + FULL_PATH

    return {
        "db": db,
        "submissions_per_s": round(SUBMISSIONS / submit_s, 1),
        "submissions": SUBMISSIONS,
        "submit_ms": round(submit_s * 1000 / SUBMISSIONS, 2),
        "submit_cpu_ms": round(submit_cpu_s * 1000 / SUBMISSIONS, 2),
        "start_save_submit_per_s": round(FULL_PATH / full_s, 1),
        "members": MEMBERS,
        "fields": fields,
        "materials": materials,
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
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--child", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child), ensure_ascii=False), flush=True)
        return
    failed = False
    for db in [args.only] if args.only else ["sqlite", "postgresql"]:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(DJANGO_SETTINGS_MODULE="onetrip.settings", LOG_LEVEL="ERROR")
        with tempfile.TemporaryDirectory(prefix="onetrip-bench-") as var_dir:
            env["ONETRIP_VAR_DIR"] = var_dir
            if db == "postgresql":
                env["DATABASE_URL"] = os.environ.get("DATABASE_URL", PG_DEFAULT)
                _pg_fresh(env["DATABASE_URL"])
            done = subprocess.run([sys.executable, __file__, "--child", db], env=env, cwd=ROOT)
            failed |= done.returncode != 0
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
