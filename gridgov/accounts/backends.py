"""The one authentication backend: Django's password check behind the sign-in throttle.

``django.contrib.auth.authenticate`` asks this backend, so every way of signing in — the API token, the
page, the admin, and anything added later — goes through the same throttle (decision 8).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from gridgov.accounts import throttle
from gridgov.core.net import client_address


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        attempt = throttle.attempt_begin(username=username, address=client_address(request))
        if not throttle.possible_username(username):
            return None  # recorded as a failure, never looked up
        user = super().authenticate(request, username=username, password=password)
        if user is not None:
            attempt.succeeded()
        return user
