import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_search_trigram")]

    operations = [
        migrations.CreateModel(
            name="ItemSearchToken",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.CharField(max_length=64)),
                (
                    "kind",
                    models.PositiveSmallIntegerField(
                        choices=[(1, "事项名称"), (2, "名称片段"), (3, "拼音、部门、主题")]
                    ),
                ),
                ("name", models.CharField(max_length=200)),
                (
                    "item",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="search_tokens",
                        to="catalog.item",
                    ),
                ),
            ],
            options={"verbose_name": "检索词", "verbose_name_plural": "检索词"},
        ),
        migrations.AddConstraint(
            model_name="itemsearchtoken",
            constraint=models.UniqueConstraint(fields=("item", "token"), name="item_search_token_unique"),
        ),
    ]
