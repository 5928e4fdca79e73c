from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from gridgov.cases import category_cache
from gridgov.cases.models import Category, CategoryAttribute


@receiver([post_save, post_delete], sender=Category)
@receiver([post_save, post_delete], sender=CategoryAttribute)
def categories_changed(sender, **kwargs):  # noqa: ARG001
    category_cache.bump_version()
