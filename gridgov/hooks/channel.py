"""The outbox channel ``webhook``: signs and posts each delivery, and keeps the subscriptions' health.

- ``prepare`` (the sender's own thread, with the database): the batch's subscriptions — URL checked and
  resolved once (``core.outbound.check_destination``), the secrets that sign now (the current one, and the
  previous one while a rotation's overlap runs).
- ``send`` (the sender's worker threads, **no database**): the body as stored, signed with those secrets
  (Standard Webhooks headers), posted to the checked address.
- ``final``: 410 Gone, or a destination that may not be used (a private address …): no retry.
- ``settled`` (in the transaction that logs the tries): last success or failure on the subscription; a
  subscription whose message was given up (a 410, a refused address, or the whole retry schedule failing)
  is disabled with its reason, its pending messages cancelled, and its owners told in their inbox.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db.models import F
from django.utils import timezone

from gridgov.core import outbound, outbox
from gridgov.core.models import OutboxMessage
from gridgov.core.outbound import Answer, Destination, Refused
from gridgov.hooks.fanout import CHANNEL

TIMEOUT = 10.0  # seconds a receiver has to answer
INACTIVE = "subscription disabled or deleted"


@dataclass(frozen=True)
class Target:
    id: int
    active: bool
    destination: Destination | None
    refused: str  # why the destination may not be used ("" when it may)
    secrets: tuple[str, ...]
    unresolved: bool = False  # the name did not resolve: tried again later, unlike a forbidden address


def prepare(messages: list[OutboxMessage]) -> dict[int, Target]:
    from gridgov.hooks.models import Subscription

    ids = {int(m.target) for m in messages if m.target.isdigit()}
    now = timezone.now()
    targets: dict[int, Target] = {}
    expired = []
    for sub in Subscription.objects.filter(pk__in=ids).only(
        "id", "url", "is_active", "secret", "previous_secret", "previous_until"
    ):
        secrets = [sub.secret]
        if sub.previous_secret:
            if sub.previous_until and sub.previous_until > now:
                secrets.append(sub.previous_secret)
            else:
                expired.append(sub.pk)
        destination, refused, unresolved = None, "", False
        if sub.is_active:
            try:
                destination = outbound.check_destination(sub.url)
            except Refused as exc:
                refused, unresolved = str(exc), isinstance(exc, outbound.Unresolved)
        targets[sub.pk] = Target(sub.pk, sub.is_active, destination, refused, tuple(secrets), unresolved)
    if expired:  # a rotation's overlap is over: the previous secret is dropped
        Subscription.objects.filter(pk__in=expired, previous_until__lte=now).update(
            previous_secret="", previous_until=None
        )
    return targets


def encode(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def send(msg: OutboxMessage, targets: dict[int, Target]) -> Answer:
    target = targets.get(int(msg.target)) if msg.target.isdigit() else None
    if target is None or not target.active:
        return Answer(ok=False, error=INACTIVE, refused=True)
    if target.destination is None:
        # a name that does not resolve now is tried again later; a forbidden address never
        return Answer(ok=False, error=target.refused[:300], refused=not target.unresolved)
    body = encode(msg.payload)
    headers = outbound.signed_headers(list(target.secrets), msg.msg_id, body)
    return outbound.post(target.destination, body, headers, timeout=TIMEOUT)


def final(answer: Answer) -> bool:
    return answer.status == 410 or answer.refused


def settled(results: list[tuple[OutboxMessage, Answer]]) -> None:
    from gridgov.hooks import actions

    by_sub: dict[int, list[tuple[OutboxMessage, Answer]]] = {}
    for msg, answer in results:
        if msg.target.isdigit() and answer.error != INACTIVE:
            by_sub.setdefault(int(msg.target), []).append((msg, answer))
    if not by_sub:
        return
    from gridgov.hooks.models import Disabled, Subscription

    now = timezone.now()
    healthy: dict[int | None, list[int]] = {}
    for pk in sorted(by_sub):  # one order of row locks in every sender
        tries = by_sub[pk]
        last_msg, last = tries[-1]
        if last.ok:
            healthy.setdefault(last.status, []).append(pk)
        else:
            trailing = 0
            for _msg, answer in reversed(tries):
                if answer.ok:
                    break
                trailing += 1
            Subscription.objects.filter(pk=pk).update(
                failures=(F("failures") if trailing == len(tries) else 0) + trailing,
                last_failure_at=now,
                last_status=last.status,
                last_error=(last.error or last.response or "").replace("\x00", "")[:300],
            )
        gone = [a for m, a in tries if a.status == 410]
        refused = [a for m, a in tries if a.refused and m.state == OutboxMessage.State.DEAD]
        dead = [a for m, a in tries if m.state == OutboxMessage.State.DEAD]
        if gone:
            actions.subscription_give_up(subscription=pk, reason=Disabled.GONE, detail="410 Gone")
        elif refused:
            detail = refused[-1].error.replace("\x00", "")
            actions.subscription_give_up(subscription=pk, reason=Disabled.REFUSED, detail=detail)
        elif dead:
            answer = dead[-1]
            detail = f"{answer.status}" if answer.status else answer.error.replace("\x00", "")
            actions.subscription_give_up(subscription=pk, reason=Disabled.FAILING, detail=detail)
    for status, pks in healthy.items():
        Subscription.objects.filter(pk__in=pks).update(
            failures=0, last_success_at=now, last_status=status, last_error=""
        )


CHANNEL_SPEC = outbox.Channel(name=CHANNEL, send=send, prepare=prepare, settled=settled, final=final)


def register() -> None:
    outbox.register_channel(CHANNEL_SPEC)
