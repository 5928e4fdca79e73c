# Wishes name their category in the services app (same table: see services 0001).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0001_initial"),
        ("wishes", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="wish",
            name="category",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="wishes",
                to="services.servicecategory",
                verbose_name="类别",
            ),
        ),
    ]
