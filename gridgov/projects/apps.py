from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "gridgov.projects"
    label = "projects"
    verbose_name = _("三张清单与项目")

    def ready(self) -> None:
        from gridgov.projects import (
            elements,
            sweep,  # noqa: F401  (registers the project deadline sweep)
        )

        elements.register()
