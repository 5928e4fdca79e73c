from ninja import Router

router = Router(tags=["微心愿"])
