from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0006_search_filter_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="formfield",
            name="subject",
            field=models.CharField(
                choices=[
                    ("applicant", "申请人本人"),
                    ("child", "子女"),
                    ("spouse", "配偶"),
                    ("deceased", "逝者"),
                    ("principal", "委托人"),
                    ("mother", "母亲"),
                    ("father", "父亲"),
                    ("groom", "男方"),
                    ("bride", "女方"),
                    ("seller", "出卖人"),
                    ("buyer", "买受人"),
                    ("other", "其他人员"),
                ],
                default="applicant",
                help_text="该字段是谁的信息：申请人本人之外的人员（子女、逝者等）不会用申请人本人的信息预填",
                max_length=16,
                verbose_name="信息主体",
            ),
        ),
    ]
