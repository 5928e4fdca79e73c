from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "gridgov.core"
    label = "core"
    verbose_name = _("基础")

    def ready(self) -> None:
        from django.apps import apps
        from django.db.models.signals import pre_save

        from gridgov.core import checks, signals  # noqa: F401  (system checks; the calendar receiver)
        from gridgov.core.cleaners import refuse_text_over_limit
        from gridgov.core.jobs import register_recovery
        from gridgov.core.outbox import prune

        register_recovery("outbox_prune", prune)  # delivered messages leave the table after a while

        for model in apps.get_models():
            if model.__module__.startswith("gridgov."):
                pre_save.connect(
                    refuse_text_over_limit, sender=model, dispatch_uid=f"text-limit-{model._meta.label}"
                )
