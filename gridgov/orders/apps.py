from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "gridgov.orders"
    label = "orders"
    verbose_name = _("服务点单")

    def ready(self) -> None:
        from gridgov.core import uploads
        from gridgov.orders import (
            elements,
            selectors,
            sweep,  # noqa: F401  (registers the order deadline sweep)
        )
        from gridgov.orders.models import Order

        uploads.register_owner(Order, selectors.order_files_visible)
        elements.register()
