"""Rate limits: requests per window, per endpoint class and client address (decision 34).

A window opens at the first request counted for a key and lasts the limit's period; the request that
finds the window ended opens the next one. The count must be shared by every web process, so it lives in
Redis when ``RATE_LIMIT_REDIS_URL`` is set (by default ``GRIDGOV_REDIS_URL``; one Lua script per count,
keys expire with their window) and in the database otherwise (``RateCounter``: one ``INSERT … ON CONFLICT
DO UPDATE … RETURNING`` statement; rows of ended windows are pruned). Both are atomic, so concurrent
requests never get the same count. Windows are judged by the web process's clock, in both stores.

``limit(request, name)`` is what the public endpoints call: it counts one request of class ``name``
(``RATE_LIMITS``) from the client's address and raises ``Throttled`` (429, ``Retry-After``) once the
class's allowance for the window is used up. ``hit``/``release`` count anything else under a key of the
caller's choosing (the wrong rating codes of one case).
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


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Hit:
    """One counted request: the count of its window so far (itself included) and when the window ends."""

    scope: str
    ident: str
    count: int
    limit: int
    window_end: int  # ms since the epoch; also names the window
    retry_after: int  # whole seconds until the window ends (at least 1)

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit


class DatabaseCounter:
    """Counts in ``core.RateCounter``, one row per (scope, key)."""

    prune_every_ms = 60_000  # between one process's deletions of ended windows

    def __init__(self) -> None:
        self._next_prune = 0

    def incr(self, scope: str, ident: str, now: int, period: int) -> tuple[int, int]:
        table = connection.ops.quote_name(RateCounter._meta.db_table)
        with connection.cursor() as cursor:
            if now >= self._next_prune:
                self._next_prune = now + self.prune_every_ms
                cursor.execute(f"DELETE FROM {table} WHERE expires <= %s", [now])
            # SET expressions read the row as it was, so both CASEs see the same old window.
            cursor.execute(
                f"INSERT INTO {table} (scope, ident, expires, count) VALUES (%s, %s, %s, 1) "
                "ON CONFLICT (scope, ident) DO UPDATE SET "
                f"count = CASE WHEN {table}.expires <= %s THEN 1 ELSE {table}.count + 1 END, "
                f"expires = CASE WHEN {table}.expires <= %s THEN excluded.expires ELSE {table}.expires END "
                "RETURNING count, expires",
                [scope, ident, now + period, now, now],
            )
            count, window_end = cursor.fetchone()
        return count, window_end

    def decr(self, scope: str, ident: str, window_end: int) -> None:
        RateCounter.objects.filter(scope=scope, ident=ident, expires=window_end, count__gt=0).update(
            count=F("count") - 1
        )


# KEYS[1] the counter (a hash: count, end); ARGV now and period in ms. Returns {count, end}.
_INCR = """
local now = tonumber(ARGV[1])
local ends = tonumber(redis.call('HGET', KEYS[1], 'end'))
if not ends or ends <= now then
  ends = now + tonumber(ARGV[2])
  redis.call('HSET', KEYS[1], 'count', 0, 'end', ends)
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
end
return {redis.call('HINCRBY', KEYS[1], 'count', 1), ends}
"""
# Take one back from the window that ends at ARGV[1], if that window is still the current one.
_DECR = """
if tonumber(redis.call('HGET', KEYS[1], 'end')) == tonumber(ARGV[1])
   and tonumber(redis.call('HGET', KEYS[1], 'count')) > 0 then
  return redis.call('HINCRBY', KEYS[1], 'count', -1)
end
return 0
"""


class RedisCounter:
    """Counts in Redis hashes ``<prefix>:<scope>:<key>`` that expire with their window."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self.prefix = prefix
        self.errors = redis.RedisError
        self._incr = self.client.register_script(_INCR)
        self._decr = self.client.register_script(_DECR)

    def key(self, scope: str, ident: str) -> str:
        return f"{self.prefix}:{scope}:{ident}"

    def incr(self, scope: str, ident: str, now: int, period: int) -> tuple[int, int]:
        try:
            count, window_end = self._incr(keys=[self.key(scope, ident)], args=[now, period])
        except self.errors:
            # The limits guard the service; they must not take it down with them.
            log.warning("rate limit %s not counted: Redis is unavailable", scope, exc_info=True)
            return 0, now + period
        return int(count), int(window_end)

    def decr(self, scope: str, ident: str, window_end: int) -> None:
        try:
            self._decr(keys=[self.key(scope, ident)], args=[window_end])
        except self.errors:
            log.warning("rate limit %s not released: Redis is unavailable", scope, exc_info=True)


_redis_counters: dict[tuple[str, str], RedisCounter] = {}
_database = DatabaseCounter()


def counter() -> RedisCounter | DatabaseCounter:
    """The store the settings name: one Redis client per process (its connection pool), or the database."""
    url = settings.RATE_LIMIT_REDIS_URL
    if not url:
        return _database
    key = (url, settings.RATE_LIMIT_KEY_PREFIX)
    if key not in _redis_counters:
        _redis_counters[key] = RedisCounter(url, settings.RATE_LIMIT_KEY_PREFIX)
    return _redis_counters[key]


def hit(scope: str, ident: str, *, limit: int, seconds: int, store=None) -> Hit:
    """Count one request for ``ident`` under ``scope`` in its current window of ``seconds``."""
    now = _now_ms()
    count, window_end = (store or counter()).incr(scope, ident, now, seconds * 1000)
    return Hit(scope, ident, count, limit, window_end, max(1, math.ceil((window_end - now) / 1000)))


def release(counted: Hit, *, store=None) -> None:
    """Take back one counted request (it turned out not to count: the right rating code)."""
    (store or counter()).decr(counted.scope, counted.ident, counted.window_end)


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


def rate_limited(name: str, *, methods: tuple[str, ...] | None = None):
    """A view decorator: the view runs only while the client is within class ``name``'s limit (counting
    only requests of ``methods`` when given)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if methods is None or request.method in methods:
                try:
                    limit(request, name)
                except Throttled as exc:
                    return too_many_requests(request, exc)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
