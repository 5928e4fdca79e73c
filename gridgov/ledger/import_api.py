"""``/api/v1/imports`` (upload, status, error report) and ``/api/v1/exports``."""

from ninja import Router

imports = Router(tags=["ledger import/export"])
exports = Router(tags=["ledger import/export"])
