"""On PostgreSQL, trigram GIN indexes make substring search on names and search text indexed.
SQLite has no equivalent; its search scans the published items' denormalised column."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS catalog_item_search_trgm ON catalog_item USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS catalog_item_name_trgm ON catalog_item USING gin (name gin_trgm_ops)",
]
BACKWARD = ["DROP INDEX IF EXISTS catalog_item_search_trgm", "DROP INDEX IF EXISTS catalog_item_name_trgm"]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARD:
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_initial")]
    operations = [migrations.RunPython(forward, backward)]
