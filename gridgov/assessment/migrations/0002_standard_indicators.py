"""The standard indicators (``gridgov.assessment.catalogue.STANDARD``): the case KPIs of docs/kpi.md and
the figures of the other modules, for every district to start from."""

from django.db import migrations

from gridgov.assessment.catalogue import STANDARD, install


def forwards(apps, schema_editor):
    install(apps.get_model("assessment", "Indicator"))


def backwards(apps, schema_editor):
    Indicator = apps.get_model("assessment", "Indicator")
    Indicator.objects.filter(code__in=[row[0] for row in STANDARD], created_by__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
