# The catalogue's items name their category in the services app; then ServiceCategory leaves the orders
# app's state (its table, already services_servicecategory, stays: the services app owns it now). This runs
# after needs, resources and wishes point at the services app, so nothing refers to orders.ServiceCategory.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0003_servicecategory_table"),
        ("projects", "0003_servicecategory_in_services"),
        ("services", "0001_initial"),
        ("wishes", "0002_servicecategory_in_services"),
    ]

    operations = [
        migrations.AlterField(
            model_name="serviceitem",
            name="category",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="items",
                to="services.servicecategory",
                verbose_name="服务类别",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ServiceCategory")],
            database_operations=[],
        ),
    ]
