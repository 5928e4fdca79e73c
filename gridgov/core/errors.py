"""The one domain exception. Actions raise it; the API maps it to JSON, pages to form errors."""

from __future__ import annotations

from django.utils.translation import gettext as _


class DomainError(Exception):
    """A refusal with a machine-readable ``code``, a human ``message`` and the ``field`` at fault.

    ``status`` is the HTTP status the API answers with: 400 bad input, 404 not visible in scope,
    409 wrong state or conflict, 429 throttled.
    """

    status = 400

    def __init__(
        self,
        code: str,
        message: str,
        field: str | None = None,
        *,
        status: int | None = None,
        extra: dict | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = str(message)
        self.field = field
        if status is not None:
            self.status = status
        self.extra = extra or {}

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "field": self.field, **self.extra}


class NotFound(DomainError):
    status = 404

    def __init__(self, message: str | None = None, field: str | None = None) -> None:
        message = message or str(_("不存在或不在您的管辖范围内"))
        super().__init__("not_found", message, field)


class Conflict(DomainError):
    status = 409


class Throttled(DomainError):
    status = 429
