"""The sign-in throttle (decision 8), held by the authentication backend so that no way of signing in
checks a password around it.

An attempt is recorded (a ``LoginFailure`` row) *before* its password is checked, and the limits are
then read with that row in place but not counted: of concurrent attempts, the one that reads last sees
all the others, so no burst can slip more guesses through than the limits allow. A refused attempt
takes its row back (refusals do not extend a lock); a wrong password leaves it (the failure); the
right one deletes the failures of its (username, address) pair.

Within ``LOGIN_FAILURE_WINDOW_SECONDS``:

- ``LOGIN_FAILURE_LIMIT`` failures of one (username, address) pair lock that pair;
- ``LOGIN_ADDRESS_FAILURE_LIMIT`` failures from one address, whatever the usernames, lock that address
  (password spraying);
- from ``LOGIN_USERNAME_FAILURE_LIMIT`` failures of one username, from all addresses together, every
  attempt for it must come 1 s, 2 s, 4 s … (at most ``LOGIN_DELAY_MAX_SECONDS``) after its latest
  failure: an attack from many addresses slows the account down but never locks its owner out.

Refusals are ``Throttled`` (429) with ``retry_after``, raised before the password is looked at.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import LoginFailure
from gridgov.core.errors import Throttled

USERNAME_MAX = LoginFailure._meta.get_field("username").max_length


def possible_username(username: str) -> bool:
    """Whether an account could have this name (no control characters, lone surrogates, or excess length)."""
    return len(username) <= USERNAME_MAX and not any(
        unicodedata.category(c) in ("Cc", "Cs") for c in username
    )


def _recorded(username: str) -> str:
    """The username as recorded: cut to the column, with what the database cannot hold replaced."""
    return "".join("?" if unicodedata.category(c) in ("Cc", "Cs") else c for c in username[:USERNAME_MAX])


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt that the throttle let through; its row stands as a failure until it succeeds."""

    pk: int
    username: str
    address: str | None

    def succeeded(self) -> None:
        LoginFailure.objects.filter(username=self.username, ip=self.address).delete()


def _pair(username: str, address: str | None) -> Q:
    return Q(username=username, ip=address) if address else Q(username=username, ip__isnull=True)


def _unlocked_in(rows, over: int, window: timedelta, now: datetime) -> int:
    """Seconds until enough of ``rows`` (``over`` = how many are at or above the limit) leave the window.
    Rows counted a moment ago may be gone now (a concurrent refused attempt takes its own row back): the
    latest still there stands in, and with none left the answer is a second."""
    times = list(rows.order_by("at").values_list("at", flat=True)[: over + 1])
    if not times:
        return 1
    oldest_to_go = times[min(over, len(times) - 1)]
    return max(1, math.ceil((oldest_to_go + window - now).total_seconds()))


def _locked(retry_after: int) -> Throttled:
    minutes = max(1, math.ceil(retry_after / 60))
    return Throttled(
        "too_many_attempts",
        _("登录失败次数过多，请 %(minutes)s 分钟后再试") % {"minutes": minutes},
        "password",
        extra={"retry_after": retry_after},
    )


def attempt_begin(*, username: str, address: str | None) -> Attempt:
    """Record an attempt for ``username`` from ``address``, or refuse it (``Throttled``)."""
    username = _recorded(username)
    now = timezone.now()
    window = timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    row = LoginFailure.objects.create(username=username, ip=address, at=now)
    try:
        _check(username, address, row.pk, now, window)
    except Throttled:
        LoginFailure.objects.filter(pk=row.pk).delete()
        raise
    return Attempt(row.pk, username, address)


def _check(username: str, address: str | None, own: int, now: datetime, window: timedelta) -> None:
    others = LoginFailure.objects.filter(at__gt=now - window).exclude(pk=own)
    pair, by_name = _pair(username, address), Q(username=username)
    by_address = Q(ip=address) if address else Q(pk__in=[])
    seen = others.filter(by_name | by_address).aggregate(
        pair=Count("pk", filter=pair),
        address=Count("pk", filter=by_address),
        name=Count("pk", filter=by_name),
        latest=Max("at", filter=by_name),
    )
    if seen["pair"] >= settings.LOGIN_FAILURE_LIMIT:
        over = seen["pair"] - settings.LOGIN_FAILURE_LIMIT
        raise _locked(_unlocked_in(others.filter(pair), over, window, now))
    if address and seen["address"] >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
        over = seen["address"] - settings.LOGIN_ADDRESS_FAILURE_LIMIT
        raise _locked(_unlocked_in(others.filter(by_address), over, window, now))
    if seen["name"] >= settings.LOGIN_USERNAME_FAILURE_LIMIT:
        steps = seen["name"] - settings.LOGIN_USERNAME_FAILURE_LIMIT
        delay = min(settings.LOGIN_DELAY_MAX_SECONDS, 2 ** min(steps, 30))
        waited = (now - seen["latest"]).total_seconds()
        if waited < delay:
            seconds = max(1, math.ceil(delay - waited))
            raise Throttled(
                "sign_in_delayed",
                _("该账号近期登录失败较多，请 %(seconds)s 秒后再试") % {"seconds": seconds},
                "password",
                extra={"retry_after": seconds},
            )
