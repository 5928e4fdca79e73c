from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WishesConfig(AppConfig):
    name = "gridgov.wishes"
    label = "wishes"
    verbose_name = _("微心愿")

    def ready(self) -> None:
        from gridgov.core import uploads
        from gridgov.wishes import (
            actions,
            elements,
            sweep,  # noqa: F401  registers the "wishes" deadline sweep
        )
        from gridgov.wishes.models import WishClaim

        uploads.register_owner(WishClaim, actions.may_see_claim_files)
        elements.register()
