from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from gridgov.api import api
from gridgov.web import views as web_views

admin.site.site_header = _("网格化基层治理平台 · 管理后台")
admin.site.site_title = _("gridgov 管理后台")
admin.site.index_title = _("基础数据管理")

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", web_views.set_language, name="set_language"),
    path("files/", include("gridgov.core.urls")),
    path("calendar/", include("gridgov.core.calendar_urls")),
    path("", include("gridgov.cases.urls")),
    path("", include("gridgov.notify.urls")),
    path("ledger/", include("gridgov.ledger.urls")),
    path("visits/", include("gridgov.visits.urls")),
    path("orders/", include("gridgov.orders.urls")),
    path("wishes/", include("gridgov.wishes.urls")),
    path("lists/", include("gridgov.projects.urls")),
    path("volunteer/", include("gridgov.points.urls")),
    path("", include("gridgov.party.urls")),
    path("deliberation/", include("gridgov.deliberation.urls")),
    path("assessment/", include("gridgov.assessment.urls")),
    path("command/", include("gridgov.dashboards.urls")),
    path("hooks/", include("gridgov.hooks.urls")),
    path("open311/v2/", include("gridgov.open311.urls")),
    path("assist/", include("gridgov.assist.urls")),
    path("resident/", include("gridgov.accounts.urls")),
    path("", include("gridgov.web.urls")),
]

handler400 = "gridgov.core.api.bad_request"
