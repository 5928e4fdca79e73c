"""The ``/api/v1`` NinjaAPI, assembled from every app's routers.

It lives at the top of the package, above the apps, so that no app imports another app's routers and
core depends on no domain app: core gives the error mapping, accounts the authentication.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from gridgov.accounts.api import router as accounts_router
from gridgov.accounts.auth import AUTH
from gridgov.areas.api import router as areas_router
from gridgov.assessment.api import router as assessment_router
from gridgov.assist.api import router as assist_router
from gridgov.cases.api import categories as categories_router
from gridgov.cases.api import public as public_router
from gridgov.cases.api import router as cases_router
from gridgov.cases.kpi_api import router as kpi_router
from gridgov.cases.units_api import router as units_router
from gridgov.core.api import DocumentedAPI, Utf8Renderer, install_error_handlers
from gridgov.core.inputs import JsonParser
from gridgov.core.ratelimit import rate_limited
from gridgov.dashboards.api import router as dashboards_router
from gridgov.deliberation.api import router as deliberation_router
from gridgov.hooks.api import router as webhooks_router
from gridgov.ledger import api as ledger_api
from gridgov.ledger.import_api import exports, imports
from gridgov.notify.api import router as inbox_router
from gridgov.orders import api as orders_api
from gridgov.party.api import router as party_router
from gridgov.points import api as points_api
from gridgov.projects import api as projects_api
from gridgov.services.api import router as services_router
from gridgov.visits.api import router as visits_router
from gridgov.wishes.api import router as wishes_router

api = DocumentedAPI(
    title="gridgov API",
    version="1",
    description=gettext_lazy(
        "党建引领网格化基层治理平台接口。认证：`POST /api/v1/auth/token` 取得令牌后以 "
        "`Authorization: Bearer <token>` 调用。错误统一为 `{code, message, field}`。"
    ),
    urls_namespace="api-1",
    auth=AUTH,
    docs_url="/docs",
    docs_decorator=rate_limited("public"),
    renderer=Utf8Renderer(),
    parser=JsonParser(),
)
install_error_handlers(api)

api.add_router("/", accounts_router)
api.add_router("/areas", areas_router)
api.add_router("/cases", cases_router)
api.add_router("/categories", categories_router)
api.add_router("/public", public_router)
api.add_router("/inbox", inbox_router)
api.add_router("/kpis", kpi_router)
api.add_router("/units", units_router)
api.add_router("/buildings", ledger_api.buildings)
api.add_router("/households", ledger_api.households)
api.add_router("/residents", ledger_api.residents)
api.add_router("/organisations", ledger_api.organisations)
api.add_router("/ledger", ledger_api.ledger)
api.add_router("/imports", imports)
api.add_router("/exports", exports)
api.add_router("/visits", visits_router)
api.add_router("/services", services_router)
api.add_router("/services", orders_api.catalogue)
api.add_router("/orders", orders_api.router)
api.add_router("/wishes", wishes_router)
api.add_router("/needs", projects_api.needs)
api.add_router("/resources", projects_api.resources)
api.add_router("/projects", projects_api.projects)
api.add_router("/tasks", points_api.tasks)
api.add_router("/points", points_api.points)
api.add_router("/rewards", points_api.rewards)
api.add_router("/party", party_router)
api.add_router("/deliberation", deliberation_router)
api.add_router("/assessment", assessment_router)
api.add_router("/command", dashboards_router)
api.add_router("/webhooks", webhooks_router)
api.add_router("/assist", assist_router)
