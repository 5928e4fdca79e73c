"""Saving or deleting a district or a client application drops this process's copy of it (``cache``)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from gridgov.areas.models import Area, Level
from gridgov.open311 import cache
from gridgov.open311.models import ClientApp


@receiver([post_save, post_delete], sender=Area)
def area_changed(sender, instance: Area, **kwargs):  # noqa: ARG001
    if instance.level == Level.DISTRICT:
        cache.drop(lambda key: key == "districts")


@receiver([post_save, post_delete], sender=ClientApp)
def app_changed(sender, **kwargs):  # noqa: ARG001
    cache.drop(lambda key: isinstance(key, tuple) and key[0] == "app")
