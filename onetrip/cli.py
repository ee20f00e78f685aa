"""The `onetrip` console command: manage.py with OneTrip's settings, plus `onetrip serve`."""

import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onetrip.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["onetrip", *(sys.argv[1:] if argv is None else argv)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
