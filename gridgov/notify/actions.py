from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from gridgov.core.errors import NotFound
from gridgov.notify.models import Notification


def notify(
    *, users: Iterable, kind: str, title: str, body: str = "", url: str = "", case=None, at=None
) -> int:
    """Put one message in each user's inbox (deduplicated by user). Call inside the action's transaction."""
    at = at or timezone.now()
    seen: set[int] = set()
    rows = []
    for user in users:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        rows.append(
            Notification(
                user=user, kind=kind, title=title[:200], body=body, url=url, case=case, created_at=at
            )
        )
    Notification.objects.bulk_create(rows)
    return len(rows)


def notification_mark_read(*, user, notification_id: int | None = None) -> int:
    """Mark one of ``user``'s messages read (or all of them when no id is given)."""
    with transaction.atomic():
        qs = Notification.objects.filter(user=user, read_at__isnull=True)
        if notification_id is not None:
            if not Notification.objects.filter(user=user, pk=notification_id).exists():
                raise NotFound("消息不存在", field="id")
            qs = qs.filter(pk=notification_id)
        return qs.update(read_at=timezone.now())
