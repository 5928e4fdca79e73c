from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.core.errors import NotFound
from gridgov.notify.models import Notification

Text = str | Promise


def render(message: Text, params: Mapping[str, object] | None = None) -> str:
    """A message in the active language: a translatable message (``gettext_lazy``) with its ``%(name)s``
    placeholders filled from ``params`` (translated themselves where they are labels); a plain string is
    someone's own words (a reason, a note) and is shown as it is."""
    if not isinstance(message, Promise):
        return message
    text = str(message)
    return text % {name: str(value) for name, value in params.items()} if params else text


def notify(
    *,
    users: Iterable,
    kind: str,
    title: Text,
    body: Text = "",
    params: Mapping[str, object] | None = None,
    prefix: str = "",
    url: str = "",
    case=None,
    at=None,
) -> int:
    """Put one message in each user's inbox (deduplicated by user), written in that user's language.
    ``title`` and ``body`` are ``gettext_lazy`` messages whose placeholders come from ``params`` (someone's
    own words go in ``params``, or as a plain-string body), rendered once per language; ``prefix`` (a
    reference number) goes before the title. Call inside the action's transaction."""
    at = at or timezone.now()
    seen: set[int] = set()
    by_language: dict[str, list] = {}
    for user in users:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        by_language.setdefault(getattr(user, "language", "") or settings.LANGUAGE_CODE, []).append(user)
    rows = []
    for language, recipients in by_language.items():
        with translation.override(language):
            text = render(title, params)
            rendered_title = f"{prefix} {text}" if prefix else text
            rendered_body = render(body, params)
        rows += [
            Notification(
                user=user,
                kind=kind,
                title=rendered_title[:200],
                body=rendered_body,
                url=url,
                case=case,
                created_at=at,
            )
            for user in recipients
        ]
    Notification.objects.bulk_create(rows)
    return len(rows)


def tell(
    users: Iterable,
    kind: str,
    obj: models.Model,
    title: Text,
    body: Text = "",
    *,
    params: Mapping[str, object] | None = None,
    at=None,
    **extra,
) -> int:
    """Tell ``users`` about a step of ``obj``'s workflow: the title after the object's reference number,
    linked to the object's page (``get_absolute_url``)."""
    ref = getattr(obj, "ref", "") or ""
    return notify(
        users=users,
        kind=kind,
        title=title,
        body=body,
        params=params,
        prefix=str(ref),
        url=obj.get_absolute_url(),
        at=at,
        **extra,
    )


def notification_mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark one of ``user``'s messages read (or all of them when no id is given)."""
    with transaction.atomic():
        qs = Notification.objects.filter(user=user, read_at__isnull=True)
        if notification_id is not None:
            if not Notification.objects.filter(user=user, pk=notification_id).exists():
                raise NotFound(_("消息不存在"), field="id")
            qs = qs.filter(pk=notification_id)
        return qs.update(read_at=timezone.now())
