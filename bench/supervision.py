"""Supervision benchmark (issue 8): prints one JSON line
{"tasks", "due", "sweep_s", "dashboard_ms", "notify_p99_s"}.

Run from the repository root on PostgreSQL: `.venv/bin/python bench/supervision.py [--tasks N]`
(default 10,000,000 tasks; `--tasks 1000000` for a quicker trial; `--reuse` keeps the sweep's database of an
earlier run). Each part runs in its own bench database, dropped and created afresh:

- sweep_s       bench/supervision_sweep.py: N generated tasks, 100,000 of them newly due; one full sweep
                (yellow/red states, reminders written to the outbox, statistics facts).
- dashboard_ms  bench/supervision_dashboard.py: rollups built from N synthetic cases through the rollup's
                own upsert; the main dashboard's figures, ranking and trend (median of repeated calls).
- notify_p99_s  bench/supervision_notify.py: notifications committed at 200 per second, delivered by the
                dispatcher to a loopback webhook; 99th percentile of arrival − commit.

Targets: sweep ≤ 10 s, dashboard ≤ 500 ms, notify p99 ≤ 5 s.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--tasks", type=int, default=10_000_000, help="generated tasks (and cases for the dashboard)"
    )
    parser.add_argument("--due", type=int, default=100_000, help="tasks newly due for the sweep")
    parser.add_argument("--notify-seconds", type=int, default=30, help="how long to produce events at 200/s")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="sweep: keep the bench database of an earlier run of the same size (supervision_sweep.py --reuse)",
    )
    parser.add_argument("--threads", type=int, default=2, help="sweep threads (SUPERVISION_SWEEP_THREADS)")
    args = parser.parse_args()

    import supervision_dashboard
    import supervision_notify
    import supervision_sweep

    sweep = supervision_sweep.measure(tasks=args.tasks, due=args.due, reuse=args.reuse, threads=args.threads)
    dashboard = supervision_dashboard.measure(cases=args.tasks)
    notify = supervision_notify.measure(rate=200, seconds=args.notify_seconds)
    print(
        json.dumps(
            {
                "tasks": sweep["tasks"],
                "due": sweep["due"],
                "sweep_s": sweep["sweep_s"],
                "dashboard_ms": dashboard["dashboard_ms"],
                "notify_p99_s": notify["notify_p99_s"],
            }
        )
    )


if __name__ == "__main__":
    main()
