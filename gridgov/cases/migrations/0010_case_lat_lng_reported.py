"""Text-aware duplicate suggestions read the open cases of any category in a small lat/lng box and time
window (docs/assist.md "Text-aware duplicates", docs/performance.md)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0009_case_historical"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["lat", "lng", "reported_at"], name="case_lat_lng_reported"),
        ),
    ]
