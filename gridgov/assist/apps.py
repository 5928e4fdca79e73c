from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistConfig(AppConfig):
    name = "gridgov.assist"
    label = "assist"
    verbose_name = _("智能辅助")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from gridgov.assist import panel, suggest
        from gridgov.assist.models import SuggesterModel
        from gridgov.cases import panels
        from gridgov.core import events

        events.listen(suggest.on_step, suggest.interested)  # offer at intake, settle at dispatch
        post_save.connect(suggest.forget, sender=SuggesterModel, dispatch_uid="assist-forget-active")
        panels.register("assist", panel.case_panel)  # the suggestions on the staff case page

        from gridgov.assist import history, history_tasks  # noqa: F401 - history_tasks: the worker's task
        from gridgov.core.jobs import register_recovery

        register_recovery("history_imports", history.history_import_recover)  # jobs a dead process left

        from gridgov.assist import tasks  # noqa: F401 - the worker's training task

        # (training is imported when a job runs: it brings numpy and scikit-learn, which most processes
        # never need)
        register_recovery("suggester_training", _training_recover)  # trainings a dead process left
        register_recovery("suggester_retrain", _retrain_if_due)  # weekly, with new labels


def _training_recover():
    from gridgov.assist.training import training_recover

    return training_recover()


def _retrain_if_due():
    from gridgov.assist.training import retrain_if_due

    return retrain_if_due()
