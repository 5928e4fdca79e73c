"""Security headers Django 5.2 does not set itself: Content-Security-Policy and Permissions-Policy.

Django's ``SecurityMiddleware`` already sends ``X-Content-Type-Options``, ``Referrer-Policy``,
``Cross-Origin-Opener-Policy`` and, on HTTPS, ``Strict-Transport-Security``; ``XFrameOptionsMiddleware``
sends ``X-Frame-Options``. The policies come from settings (``CONTENT_SECURITY_POLICY``,
``PERMISSIONS_POLICY``) and are rendered once, when the process starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def render_policy(directives: Mapping[str, Sequence[str]]) -> str:
    """``{"script-src": ["'self'"], …}`` → ``"script-src 'self'; …"`` (a directive without sources is a flag)."""
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.headers = {
            "Content-Security-Policy": render_policy(settings.CONTENT_SECURITY_POLICY),
            "Permissions-Policy": settings.PERMISSIONS_POLICY,
        }

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        for name, value in self.headers.items():
            # A view that needs a different policy sets its own header; it is kept.
            if value and name not in response:
                response[name] = value
        return response
