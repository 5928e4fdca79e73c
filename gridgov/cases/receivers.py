from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from gridgov.cases import category_cache
from gridgov.cases.models import Category
from gridgov.core.signals import calendar_year_configured


@receiver(calendar_year_configured)
def recompute_deadlines(sender, year: int, **kwargs):  # noqa: ARG001
    from gridgov.cases.tasks import recompute_provisional_task

    recompute_provisional_task.delay(year)


@receiver([post_save, post_delete], sender=Category)
def categories_changed(sender, **kwargs):  # noqa: ARG001
    category_cache.bump_version()
