from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliberationConfig(AppConfig):
    name = "gridgov.deliberation"
    label = "deliberation"
    verbose_name = _("议事协商")

    def ready(self) -> None:
        from gridgov.core import uploads
        from gridgov.deliberation import actions, elements
        from gridgov.deliberation.models import Meeting, Topic

        uploads.register_owner(Topic, actions.may_see_topic_files)
        uploads.register_owner(Meeting, actions.may_see_meeting_files)
        elements.register()
