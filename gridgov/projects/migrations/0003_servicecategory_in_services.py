# Needs and resources name their category in the services app (same table: see services 0001).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0002_resources_projects_cobuilding"),
        ("services", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="need",
            name="category",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="needs",
                to="services.servicecategory",
                verbose_name="类别",
            ),
        ),
        migrations.AlterField(
            model_name="resource",
            name="category",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="resources",
                to="services.servicecategory",
                verbose_name="类别",
            ),
        ),
    ]
