from ninja import Router

router = Router(tags=["服务点单"])  # /orders
catalogue = Router(tags=["服务点单"])  # /services: categories and catalogue items
