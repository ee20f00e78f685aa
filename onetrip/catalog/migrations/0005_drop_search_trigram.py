"""Search now uses the indexed ItemSearchToken prefixes; the trigram indexes of 0003 only slowed writes."""

from django.db import migrations


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS catalog_item_search_trgm")
        schema_editor.execute("DROP INDEX IF EXISTS catalog_item_name_trgm")


def backfill_tokens(apps, schema_editor):
    # Items published before tokens existed get theirs now (the same rule as search_index_replace).
    from onetrip.core.searchtext import search_tokens

    Item = apps.get_model("catalog", "Item")
    Token = apps.get_model("catalog", "ItemSearchToken")
    rows = [
        Token(item_id=pk, token=token)
        for pk, name, text in Item.objects.filter(is_published=True).values_list("id", "name", "search_text")
        for token in sorted(search_tokens(name, text))
    ]
    Token.objects.bulk_create(rows, batch_size=5000)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_search_tokens")]
    operations = [
        migrations.RunPython(forward, migrations.RunPython.noop),
        migrations.RunPython(backfill_tokens, migrations.RunPython.noop),
    ]
