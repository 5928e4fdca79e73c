"""Rate limits: requests per fixed window, per endpoint class and client address (decision 30).

The count must be shared by every web process, so it lives in Redis when ``RATE_LIMIT_REDIS_URL`` is set
(by default ``GRIDGOV_REDIS_URL``: ``SET NX EX`` + ``INCR`` in one ``MULTI``) and in the database
otherwise (``RateCounter``: one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statement; windows that
have ended are pruned). Both are atomic, so concurrent requests never count the same place twice.

``limit(request, name)`` is what the public endpoints call: it counts one request of class ``name``
(``RATE_LIMITS``) from the client's address and raises ``Throttled`` (429, ``Retry-After``) once the
class's allowance for the window is used up. ``hit``/``release`` count anything else under a key of the
caller's choosing (the attempts with one case's rating code).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError, Throttled
from gridgov.core.models import RateCounter
from gridgov.core.net import address_group, client_address

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    """One counted request: the count of its window so far (itself included) and when the window ends."""

    scope: str
    ident: str
    window_start: int
    count: int
    limit: int
    retry_after: int  # whole seconds until the window ends (at least 1)

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit


class DatabaseCounter:
    """Counts in ``core.RateCounter`` rows, one per (scope, key, window)."""

    prune_every = 60  # seconds between one process's deletions of ended windows

    def __init__(self) -> None:
        self._next_prune = 0.0

    def incr(self, scope: str, ident: str, window_start: int, expires: int) -> int:
        table = connection.ops.quote_name(RateCounter._meta.db_table)
        now = time.time()
        with connection.cursor() as cursor:
            if now >= self._next_prune:
                self._next_prune = now + self.prune_every
                cursor.execute(f"DELETE FROM {table} WHERE expires < %s", [int(now)])
            cursor.execute(
                f"INSERT INTO {table} (scope, ident, window_start, expires, count) VALUES (%s, %s, %s, %s, 1) "
                f"ON CONFLICT (scope, ident, window_start) DO UPDATE SET count = {table}.count + 1 "
                "RETURNING count",
                [scope, ident, window_start, expires],
            )
            (count,) = cursor.fetchone()
        return count

    def decr(self, scope: str, ident: str, window_start: int) -> None:
        RateCounter.objects.filter(scope=scope, ident=ident, window_start=window_start, count__gt=0).update(
            count=F("count") - 1
        )

    def clear(self, scope: str, ident: str) -> None:
        RateCounter.objects.filter(scope=scope, ident=ident).delete()


# Decrement only a counter that still exists: a DECR on a key that has just expired would create a key
# without an expiry.
_DECR_IF_EXISTS = "if redis.call('exists', KEYS[1]) == 1 then return redis.call('decr', KEYS[1]) end return 0"


class RedisCounter:
    """Counts in Redis keys ``<prefix>:<scope>:<key>:<window start>`` that expire with their window."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self.prefix = prefix
        self.errors = redis.RedisError

    def key(self, scope: str, ident: str, window_start: int) -> str:
        return f"{self.prefix}:{scope}:{ident}:{window_start}"

    def incr(self, scope: str, ident: str, window_start: int, expires: int) -> int:
        key = self.key(scope, ident, window_start)
        ttl = max(1, expires - int(time.time()) + 1)
        try:
            pipe = self.client.pipeline(transaction=True)
            pipe.set(key, 0, ex=ttl, nx=True)
            pipe.incr(key)
            _, count = pipe.execute()
        except self.errors:
            # The limits guard the service; they must not take it down with them.
            log.warning("rate limit %s not counted: Redis is unavailable", scope, exc_info=True)
            return 0
        return int(count)

    def decr(self, scope: str, ident: str, window_start: int) -> None:
        try:
            self.client.eval(_DECR_IF_EXISTS, 1, self.key(scope, ident, window_start))
        except self.errors:
            log.warning("rate limit %s not released: Redis is unavailable", scope, exc_info=True)

    def clear(self, scope: str, ident: str) -> None:
        try:
            for key in self.client.scan_iter(match=f"{self.prefix}:{scope}:{ident}:*"):
                self.client.delete(key)
        except self.errors:
            log.warning("rate limit %s not cleared: Redis is unavailable", scope, exc_info=True)


_counters: dict[tuple[str, str], RedisCounter] = {}
_database = DatabaseCounter()


def counter() -> RedisCounter | DatabaseCounter:
    """The store the settings name: one Redis client per process (its connection pool), or the database."""
    url = settings.RATE_LIMIT_REDIS_URL
    if not url:
        return _database
    key = (url, settings.RATE_LIMIT_KEY_PREFIX)
    if key not in _counters:
        _counters[key] = RedisCounter(url, settings.RATE_LIMIT_KEY_PREFIX)
    return _counters[key]


def hit(scope: str, ident: str, *, limit: int, seconds: int, store=None) -> Hit:
    """Count one request for ``ident`` under ``scope`` in the current window of ``seconds``."""
    now = time.time()
    window_start = int(now // seconds) * seconds
    expires = window_start + seconds
    count = (store or counter()).incr(scope, ident, window_start, expires)
    return Hit(scope, ident, window_start, count, limit, max(1, math.ceil(expires - now)))


def release(counted: Hit, *, store=None) -> None:
    """Take back one counted request (it turned out not to count, e.g. the right rating code)."""
    (store or counter()).decr(counted.scope, counted.ident, counted.window_start)


def clear(scope: str, ident: str, *, store=None) -> None:
    """Forget every window counted for ``ident`` under ``scope``."""
    (store or counter()).clear(scope, ident)


def limit(request, name: str) -> None:
    """Count one request of class ``name`` from the client's address; raise ``Throttled`` when over."""
    allowed = settings.RATE_LIMITS[name]
    if not allowed:
        return
    counted = hit(
        name,
        address_group(client_address(request)),
        limit=allowed,
        seconds=settings.RATE_LIMIT_WINDOW_SECONDS,
    )
    if counted.exceeded:
        raise Throttled(
            "rate_limited",
            _("请求过于频繁，请 %(seconds)s 秒后再试") % {"seconds": counted.retry_after},
            None,
            extra={"retry_after": counted.retry_after},
        )


def with_retry_after(response, exc: DomainError):
    """``response`` with the ``Retry-After`` of a 429 refusal (for pages that show it in their form)."""
    if exc.status == 429 and "retry_after" in exc.extra:
        response["Retry-After"] = str(exc.extra["retry_after"])
    return response


def too_many_requests(request, exc: DomainError):
    """The answer to a refused request: the JSON error under ``/api/``, else the 429 page."""
    if request.path.startswith("/api/"):
        response = JsonResponse(
            exc.as_dict(),
            status=429,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        response = render(request, "429.html", {"message": exc.message}, status=429)
    return with_retry_after(response, exc)


def rate_limited(name: str):
    """A view decorator: the view runs only while the client is within class ``name``'s limit."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            try:
                limit(request, name)
            except Throttled as exc:
                return too_many_requests(request, exc)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
