"""The outbox: messages that leave the building (webhook deliveries, emails, SMS), sent reliably.

A module that has something to send writes :class:`~gridgov.core.models.OutboxMessage` rows with
:func:`enqueue` **inside the transaction of the change** it tells of. So a change rolled back sends nothing,
and a message written is never lost: it stays ``pending`` until a sender delivers it.

Senders (:func:`deliver_due`) claim due messages for a while (``claimed_until``: the claim of a process
killed mid-send runs out and another sender takes the message again — at-least-once; receivers deduplicate
by the message id), send them through their channel's function on a few threads, and settle them (the
loops of :func:`deliver_all` and :func:`run_forever` claim the next batch and settle the previous one while
a batch is on the wire); each try is logged (:class:`~gridgov.core.models.OutboxAttempt`: status,
duration, the answer's first characters); a failure is tried again after the channel's schedule (by
default about three days, exponential with jitter: 5 s, 1 min, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h,
20 h), then the message is given up (``dead``). A channel may give up at once (an answer that says "never
again", e.g. 410 Gone).

Who sends: ``gridgov serve`` runs a sender thread that looks every ``GRIDGOV_OUTBOX_POLL_SECONDS``; with
Celery, each commit that wrote messages queues the ``gridgov.core.deliver_outbox`` task (at most one per
second) and beat runs it every ``GRIDGOV_OUTBOX_POLL_SECONDS`` too; ``gridgov deliver_outbox`` sends from a
shell.

Channels are registered by the modules that own them (:func:`register_channel`, from ``AppConfig.ready``):
``prepare`` loads what a batch needs from the database (in the caller's thread), ``send`` sends one message
with it and must not touch the database (it runs on the sender's threads), ``settled`` sees every batch's
results (a webhook subscription counts its failures there).
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from gridgov.core.models import OutboxAttempt, OutboxMessage
from gridgov.core.outbound import Answer

log = logging.getLogger("gridgov.outbox")

State = OutboxMessage.State

# seconds to wait after the n-th failed try (the last entry: then the message is given up) — ~3 days
SCHEDULE: tuple[float, ...] = (5, 60, 300, 1800, 7200, 18000, 36000, 50400, 72000, 72000)
JITTER = 0.2  # each wait is stretched or shortened by up to this share, so retries do not march in step
LEASE = timedelta(minutes=10)  # how long a sender's claim holds


@dataclass(frozen=True)
class Channel:
    name: str
    send: Callable[[OutboxMessage, object], Answer]
    prepare: Callable[[list[OutboxMessage]], object] = lambda messages: None  # noqa: ARG005
    settled: Callable[[list[tuple[OutboxMessage, Answer]]], None] | None = None
    schedule: tuple[float, ...] = SCHEDULE
    # an answer after which trying again is pointless (e.g. 410 Gone, a refused address)
    final: Callable[[Answer], bool] = lambda answer: False  # noqa: ARG005


CHANNELS: dict[str, Channel] = {}


def register_channel(channel: Channel) -> None:
    CHANNELS[channel.name] = channel


def new_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


def message(
    channel: str,
    target: str | int,
    event_type: str,
    payload: dict,
    *,
    not_before: datetime | None = None,
    urgent: bool = False,
    at: datetime | None = None,
    msg_id: str | None = None,
) -> OutboxMessage:
    """An unsaved message (give a list of them to :func:`enqueue`)."""
    now = at or timezone.now()
    return OutboxMessage(
        channel=channel,
        target=str(target),
        msg_id=msg_id or new_id(),
        event_type=event_type,
        payload=payload,
        urgent=urgent,
        created_at=now,
        next_at=max(now, not_before) if not_before else now,
    )


def enqueue(messages: Iterable[OutboxMessage]) -> list[OutboxMessage]:
    """Write the messages (call inside the change's transaction); senders are woken once it commits."""
    rows = list(messages)
    if not rows:
        return rows
    OutboxMessage.objects.bulk_create(rows)
    transaction.on_commit(wake)
    return rows


# ---------------------------------------------------------------- waking a sender

_wake = threading.Event()


def wake() -> None:
    """Tell a sender there is work: the sender thread of this process at once; with Celery, a task (at most
    one a second across all processes, counted in the cache)."""
    _wake.set()
    if settings.REDIS_URL:
        from django.core.cache import cache

        if cache.add("gridgov:outbox:woken", 1, timeout=1):
            from gridgov.core.tasks import deliver_outbox_task

            deliver_outbox_task.delay()


def wait_for_work(seconds: float) -> bool:
    woke = _wake.wait(seconds)
    _wake.clear()
    return woke


# ---------------------------------------------------------------- sending


def _claim(limit: int, now: datetime) -> list[OutboxMessage]:
    """Take up to ``limit`` due messages for this sender (``claimed_until``: the lease). On PostgreSQL one
    statement (``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING``): senders never wait
    for each other's rows."""
    if connection.vendor == "postgresql":
        return _claim_returning(limit, now)
    with transaction.atomic():
        qs = (
            OutboxMessage.objects.filter(state=State.PENDING, next_at__lte=now)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .order_by("next_at", "id")
        )
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        rows = list(qs[:limit])
        if rows:
            OutboxMessage.objects.filter(pk__in=[m.pk for m in rows]).update(claimed_until=now + LEASE)
    return rows


def _claim_returning(limit: int, now: datetime) -> list[OutboxMessage]:
    meta = OutboxMessage._meta
    table = connection.ops.quote_name(meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in meta.concrete_fields)
    sql = (
        f"UPDATE {table} SET claimed_until = %s WHERE id IN ("  # noqa: S608 (names from the model)
        f"SELECT id FROM {table} WHERE state = %s AND next_at <= %s"
        " AND (claimed_until IS NULL OR claimed_until < %s)"
        " ORDER BY next_at, id LIMIT %s FOR UPDATE SKIP LOCKED)"
        f" RETURNING {columns}"
    )
    params = [now + LEASE, State.PENDING, now, now, limit]
    rows = list(OutboxMessage.objects.raw(sql, params, using=connection.alias))  # a write: never a replica
    rows.sort(key=lambda m: (m.next_at, m.pk))
    return rows


def _wait(channel: Channel, attempts: int, answer: Answer) -> timedelta | None:
    """How long to wait before the next try, or ``None`` to give up."""
    if attempts > len(channel.schedule) or channel.final(answer):
        return None
    base = channel.schedule[attempts - 1]
    if answer.retry_after is not None:
        base = max(base, min(answer.retry_after, channel.schedule[-1]))
    return timedelta(seconds=base * random.uniform(1 - JITTER, 1 + JITTER))  # noqa: S311


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=settings.OUTBOX_THREADS, thread_name_prefix="outbox")
        return _pool


def _send(channel: Channel | None, msg: OutboxMessage, context) -> Answer:
    if channel is None:
        return Answer(ok=False, error=f"no channel {msg.channel!r} in this process")
    try:
        return channel.send(msg, context)
    except Exception as exc:  # a channel's fault is a failed try, logged like any other
        log.exception("outbox channel %s failed on %s", msg.channel, msg.msg_id)
        return Answer(ok=False, error=f"{type(exc).__name__}: {exc}"[:300])


def _start(rows: list[OutboxMessage]) -> list[tuple[OutboxMessage, Future | Answer]]:
    """Prepare each channel's messages (in this thread: the database) and hand them to the sender threads;
    the answers come later (:func:`_collect`)."""
    by_channel: dict[str, list[OutboxMessage]] = {}
    for msg in rows:
        by_channel.setdefault(msg.channel, []).append(msg)
    started: list[tuple[OutboxMessage, Future | Answer]] = []
    pool = _executor()
    for name, messages in by_channel.items():
        channel = CHANNELS.get(name)
        try:
            context = channel.prepare(messages) if channel else None
        except Exception as exc:
            log.exception("outbox channel %s could not prepare", name)
            started += [(m, Answer(ok=False, error=f"{type(exc).__name__}: {exc}"[:300])) for m in messages]
            continue
        started += [(m, pool.submit(_send, channel, m, context)) for m in messages]
    return started


def _collect(started: list[tuple[OutboxMessage, Future | Answer]]) -> list[tuple[OutboxMessage, Answer]]:
    return [(m, a.result() if isinstance(a, Future) else a) for m, a in started]


def deliver_due(*, limit: int | None = None, now: datetime | None = None) -> dict:
    """Claim up to ``limit`` due messages, send them, settle them. Returns the counts."""
    rows = _claim(limit or settings.OUTBOX_BATCH, now or timezone.now())
    if not rows:
        return {"claimed": 0, "delivered": 0, "failed": 0, "dead": 0}
    return _settle(_collect(_start(rows)))


def _deliver_batches(
    *, rounds: int, now: datetime | None = None, stop: threading.Event | None = None
) -> dict:
    """Send until nothing is due, one batch in flight while the next is claimed and the one before is
    settled: the database's round trips overlap the receivers' answers (docs/performance.md, "Outbound
    webhooks")."""
    total = {"claimed": 0, "delivered": 0, "failed": 0, "dead": 0}

    def add(counts: dict) -> None:
        for key, value in counts.items():
            total[key] += value

    in_flight = None
    for _ in range(rounds):
        if stop is not None and stop.is_set():
            break
        rows = _claim(settings.OUTBOX_BATCH, now or timezone.now())
        started = _start(rows) if rows else None
        if in_flight is not None:
            add(_settle(_collect(in_flight)))
        in_flight = started
        if started is None:
            break
    if in_flight is not None:
        add(_settle(_collect(in_flight)))
    return total


def _kept(text: str | None, limit: int) -> str:
    """What the log keeps of another system's answer: its first characters, without NUL (PostgreSQL refuses
    it in text, and a batch that cannot be settled would be sent again and again)."""
    return (text or "").replace("\x00", "")[:limit]


def _settle(results: list[tuple[OutboxMessage, Answer]]) -> dict:
    now = timezone.now()
    counts = {"claimed": len(results), "delivered": 0, "failed": 0, "dead": 0}
    tries = []
    for msg, answer in results:
        msg.attempts += 1
        msg.claimed_until = None
        msg.last_status = answer.status
        msg.last_error = _kept(answer.error or ("" if answer.ok else answer.response), 300)
        tries.append(
            (
                msg.pk,
                answer.duration_ms,
                answer.ok,
                answer.status,
                _kept(answer.response, 500),
                _kept(answer.error, 300),
            )
        )
        if answer.ok:
            msg.state, msg.delivered_at, msg.next_at = State.DELIVERED, now, None
            counts["delivered"] += 1
            continue
        channel = CHANNELS.get(msg.channel)
        wait = _wait(channel, msg.attempts, answer) if channel else timedelta(minutes=5)
        if wait is None:
            msg.state, msg.next_at = State.DEAD, None
            counts["dead"] += 1
        else:
            msg.next_at = now + wait
            counts["failed"] += 1
    with transaction.atomic():
        _log_tries(tries, now)
        _save_settled(results)
        for name in {m.channel for m, _ in results}:
            channel = CHANNELS.get(name)
            if channel and channel.settled:
                channel.settled([(m, a) for m, a in results if m.channel == name])
    return counts


def _log_tries(tries: list[tuple], at: datetime) -> None:
    """The delivery log, without a model instance and seven field conversions per row (``bulk_create`` took a
    third of the time a batch spent settling; docs/performance.md, "Outbound webhooks"): on PostgreSQL one
    ``INSERT … SELECT FROM unnest(<one array per column>)``, elsewhere one statement run for every try
    (``executemany``: SQLite loops in C)."""
    meta = OutboxAttempt._meta
    quote = connection.ops.quote_name
    names = ("message", "duration_ms", "ok", "status", "response", "error", "at")
    columns = ", ".join(quote(meta.get_field(n).column) for n in names)
    table = quote(meta.db_table)
    moment = meta.get_field("at").get_db_prep_save(at, connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            message, duration, ok, status, response, error = (list(c) for c in zip(*tries, strict=True))
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT *, %s FROM unnest("  # noqa: S608 (names from the model)
                "%s::bigint[], %s::integer[], %s::boolean[], %s::integer[], %s::text[], %s::text[])",
                [moment, message, duration, ok, status, response, error],
            )
        else:
            sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s)"  # noqa: S608
            cursor.executemany(sql, [(*row, moment) for row in tries])


SETTLED_FIELDS = (
    "attempts",
    "claimed_until",
    "last_status",
    "last_error",
    "state",
    "delivered_at",
    "next_at",
)


def _save_settled(results: list[tuple[OutboxMessage, Answer]]) -> None:
    """Write the settled rows: the delivered ones of a batch differ only in their status code, so each code
    is one ``UPDATE … WHERE id IN (…)`` (``bulk_update``'s ``CASE WHEN`` per row and field cost 1.5 s per
    500 rows to build: docs/performance.md, "Outbound webhooks"); failed ones — each with its own next try
    — are one ``UPDATE`` each."""
    delivered: dict[tuple, list[int]] = {}
    for msg, _answer in results:
        if msg.state == State.DELIVERED:
            delivered.setdefault((msg.attempts, msg.last_status, msg.delivered_at), []).append(msg.pk)
        else:  # unless it was cancelled meanwhile (its subscription disabled by another batch)
            OutboxMessage.objects.filter(pk=msg.pk, state=State.PENDING).update(
                **{f: getattr(msg, f) for f in SETTLED_FIELDS}
            )
    for (attempts, status, at), pks in delivered.items():
        OutboxMessage.objects.filter(pk__in=pks).update(
            state=State.DELIVERED,
            attempts=attempts,
            claimed_until=None,
            last_status=status,
            last_error="",
            delivered_at=at,
            next_at=None,
        )


def deliver_all(*, rounds: int = 1000, now: datetime | None = None) -> dict:
    """Send until nothing is due (the Celery task, ``gridgov deliver_outbox``, the tests)."""
    return _deliver_batches(rounds=rounds, now=now)


def run_forever(stop: threading.Event) -> None:
    """The sender thread of ``gridgov serve``: send what is due, then wait for a wake-up or the poll."""
    from django.db import close_old_connections

    while not stop.is_set():
        claimed = 0
        try:
            claimed = _deliver_batches(rounds=100, stop=stop)["claimed"]
        except Exception:  # the next round tries again; the messages are still in the table
            log.exception("outbox round failed")
        finally:
            close_old_connections()
        if not claimed:
            wait_for_work(settings.OUTBOX_POLL_SECONDS)


# ---------------------------------------------------------------- the log


def replay(msg: OutboxMessage) -> OutboxMessage:
    """Send a message again (from the delivery log): pending now, with a fresh schedule; the same id, so a
    receiver that already has it can tell. Call inside a transaction with the row locked."""
    msg.state, msg.attempts, msg.next_at, msg.claimed_until = State.PENDING, 0, timezone.now(), None
    msg.save(update_fields=["state", "attempts", "next_at", "claimed_until"])
    transaction.on_commit(wake)
    return msg


def cancel(qs) -> int:
    """Stop sending these messages (a subscription removed, a notification no longer current)."""
    return qs.filter(state=State.PENDING).update(state=State.CANCELLED, next_at=None)


def prune(now: datetime | None = None) -> int:
    """Delete delivered, given-up and cancelled messages older than ``GRIDGOV_OUTBOX_KEEP_DAYS``."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.OUTBOX_KEEP_DAYS)
    deleted, _ = OutboxMessage.objects.filter(~Q(state=State.PENDING), created_at__lt=cutoff).delete()
    return deleted
