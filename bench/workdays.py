"""Working-day arithmetic: the O(1) ordinal index against a day-by-day loop over chinese_calendar.

Run from the repository root: `.venv/bin/python bench/workdays.py`. Prints one JSON line:
{"adds_per_s", "day_loop_adds_per_s", "ratio", ...}. The calendar is built straight from the
chinese-calendar package (no database), exactly as the database seed stores it.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import chinese_calendar  # noqa: E402

from onetrip.workdays.core import Calendar  # noqa: E402
from onetrip.workdays.package import package_arrangements  # noqa: E402

N = 20
INDEX_ADDS = 500_000
LOOP_ADDS = 20_000
REPEATS = 3
ONE_DAY = dt.timedelta(days=1)


def day_loop_add(start: dt.date, n: int) -> dt.date:
    day, counted = start, 0
    while counted < n:
        day += ONE_DAY
        if chinese_calendar.is_workday(day):
            counted += 1
    return day


def main() -> None:
    rng = random.Random(20260101)
    first = dt.date(2004, 1, 1).toordinal()
    last = dt.date(2026, 11, 15).toordinal()  # N = 20 working days later is still inside the package's 2026
    starts = [dt.date.fromordinal(rng.randint(first, last)) for _ in range(INDEX_ADDS)]

    t0 = time.perf_counter()
    calendar = Calendar(package_arrangements())
    build_s = time.perf_counter() - t0

    add = calendar.add_working_days
    index_s = float("inf")
    for _ in range(REPEATS):  # best of a few runs: the machine is shared
        t0 = time.perf_counter()
        results = [add(d, N) for d in starts]
        index_s = min(index_s, time.perf_counter() - t0)

    sample = starts[:LOOP_ADDS]
    t0 = time.perf_counter()
    loop_results = [day_loop_add(d, N) for d in sample]
    loop_s = time.perf_counter() - t0

    mismatches = sum(r.date != e for r, e in zip(results, loop_results, strict=False))
    if mismatches or any(r.provisional for r in results):
        raise SystemExit(f"index and day loop disagree on {mismatches} of {LOOP_ADDS} additions")
    adds_per_s = INDEX_ADDS / index_s
    loop_per_s = LOOP_ADDS / loop_s
    print(
        json.dumps(
            {
                "adds_per_s": round(adds_per_s),
                "day_loop_adds_per_s": round(loop_per_s),
                "ratio": round(adds_per_s / loop_per_s, 1),
                "n": N,
                "index_adds": INDEX_ADDS,
                "day_loop_adds": LOOP_ADDS,
                "calendar_build_ms": round(build_s * 1000, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
