"""Exit 0 when the PostgreSQL server named by the URL accepts a connection, 1 otherwise.

The tests create their own database (test_<name>), so the named database itself need not exist: the
server answering on the maintenance database is enough."""

import sys

import dj_database_url
import psycopg

cfg = dj_database_url.parse(sys.argv[1])
last_error: Exception | None = None
for dbname in (cfg["NAME"], "postgres"):
    try:
        psycopg.connect(
            host=cfg["HOST"], port=cfg["PORT"] or 5432, user=cfg["USER"], dbname=dbname, connect_timeout=3
        ).close()
        sys.exit(0)
    except psycopg.OperationalError as exc:
        last_error = exc
print(f"PostgreSQL not reachable: {last_error}", file=sys.stderr)
sys.exit(1)
