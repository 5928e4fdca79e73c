"""``/api/v1/buildings``, ``/households``, ``/residents``, ``/organisations``, ``/tags``, ``/reveal``."""

from ninja import Router

buildings = Router(tags=["ledger"])
households = Router(tags=["ledger"])
residents = Router(tags=["ledger"])
organisations = Router(tags=["ledger"])
ledger = Router(tags=["ledger"])
