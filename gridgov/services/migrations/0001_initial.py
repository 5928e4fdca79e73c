# ServiceCategory comes from the orders app with its rows: orders 0003 renamed its table to
# services_servicecategory, so here the model is only added to the services app's state. Its content type
# follows (so permissions given on categories, and the admin's history, stay attached).

import django.db.models.deletion
from django.db import migrations, models


def content_type_to_services(apps, schema_editor):
    _move_content_type(apps, schema_editor, "orders", "services")


def content_type_to_orders(apps, schema_editor):
    _move_content_type(apps, schema_editor, "services", "orders")


def _move_content_type(apps, schema_editor, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    types = ContentType.objects.using(schema_editor.connection.alias)
    if not types.filter(app_label=new, model="servicecategory").exists():
        types.filter(app_label=old, model="servicecategory").update(app_label=new)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("orders", "0003_servicecategory_table"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ServiceCategory",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("code", models.SlugField(max_length=40, unique=True, verbose_name="代码")),
                        ("name", models.CharField(max_length=60, verbose_name="名称")),
                        ("is_active", models.BooleanField(default=True, verbose_name="在用")),
                        ("sort", models.PositiveSmallIntegerField(default=0, verbose_name="排序")),
                        (
                            "parent",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="children",
                                to="services.servicecategory",
                                verbose_name="上级类别",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "服务类别",
                        "verbose_name_plural": "服务类别",
                        "ordering": ["sort", "code"],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_type_to_services, content_type_to_orders),
    ]
