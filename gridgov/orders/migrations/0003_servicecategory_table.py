# The service categories move to the services app (0004 and services 0001): first their table takes the
# services app's name, rows and foreign keys unchanged.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0002_catalogue_and_orders"),
    ]

    operations = [
        migrations.AlterModelTable(name="servicecategory", table="services_servicecategory"),
    ]
