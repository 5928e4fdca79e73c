from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "gridgov.orders"
    label = "orders"
    verbose_name = _("服务点单")

    def ready(self) -> None:
        from gridgov.orders import sweep  # noqa: F401  (registers the order deadline sweep)
