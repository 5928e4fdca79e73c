"""How the API knows who is calling: a bearer token (looked up in ``ApiToken``) or the page session."""

from __future__ import annotations

from ninja.security import APIKeyCookie, HttpBearer

from gridgov.accounts.actions import token_user


class BearerToken(HttpBearer):
    def authenticate(self, request, token: str):
        user = token_user(token)
        if user is not None:
            request.user = user
        return user


class SessionCookie(APIKeyCookie):
    """The page session (for htmx and the map); unsafe methods need the CSRF token."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def authenticate(self, request, key):  # noqa: ARG002
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else None


AUTH = [BearerToken(), SessionCookie()]
