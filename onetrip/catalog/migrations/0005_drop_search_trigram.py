"""The covering index search reads, per database, and tokens for items published before it existed.

PostgreSQL: (token varchar_pattern_ops) INCLUDE (kind, name, item_id), so LIKE 'term%' is an index-only
range scan whatever the database collation. SQLite: a B-tree on (token, kind, name, item_id), which covers
the query; its BINARY collation makes the prefix range exact. The trigram indexes of 0003 go: search no
longer reads catalog_item.search_text with LIKE '%…%', and they slowed every write.
"""

from django.db import migrations

PG_FORWARD = [
    "DROP INDEX IF EXISTS catalog_item_search_trgm",
    "DROP INDEX IF EXISTS catalog_item_name_trgm",
    "CREATE INDEX catalog_searchtoken_lookup ON catalog_itemsearchtoken "
    "(token varchar_pattern_ops) INCLUDE (kind, name, item_id)",
]
SQLITE_FORWARD = [
    "CREATE INDEX catalog_searchtoken_lookup ON catalog_itemsearchtoken (token, kind, name, item_id)",
]


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in PG_FORWARD if vendor == "postgresql" else SQLITE_FORWARD:
        schema_editor.execute(sql)


def drop_index(apps, schema_editor):
    schema_editor.execute("DROP INDEX IF EXISTS catalog_searchtoken_lookup")


def backfill_tokens(apps, schema_editor):
    from onetrip.core.searchtext import search_tokens

    Item = apps.get_model("catalog", "Item")
    Token = apps.get_model("catalog", "ItemSearchToken")
    rows = [
        Token(item_id=pk, token=token, kind=kind, name=name[:200])
        for pk, name, text in Item.objects.filter(is_published=True).values_list("id", "name", "search_text")
        for token, kind in sorted(search_tokens(name, text).items())
    ]
    Token.objects.bulk_create(rows, batch_size=5000)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_search_tokens")]
    operations = [
        migrations.RunPython(create_index, drop_index),
        migrations.RunPython(backfill_tokens, migrations.RunPython.noop),
    ]
