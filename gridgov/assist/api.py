from ninja import Router

from gridgov.assist.history_api import router as history_router
from gridgov.assist.suggest_api import router as suggest_router

router = Router(tags=["assist"])
router.add_router("/history", history_router)
router.add_router("", suggest_router)
