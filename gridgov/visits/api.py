"""``/api/v1/visits``: visit records, the worklist, coverage, must-visit rules."""

from ninja import Router

router = Router(tags=["visits"])
