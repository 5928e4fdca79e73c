"""Writing to the inbox (``notify``, ``tell``), and the messages that repeat it by email, SMS or WeChat
through the outbox, as each recipient's preferences ask (``notify.preferences``, docs/notifications.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.conf import settings
from django.db import models, transaction
from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.core import audit, cleaners, outbox
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.models import OutboxMessage
from gridgov.notify import preferences
from gridgov.notify.models import Kind, Notification, Preference

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
    reference number) goes before the title. Call inside the action's transaction.

    The recipients whose preferences ask for email, SMS or WeChat for this kind also get outbox messages
    (target: the notification's id), in the same transaction; with no such channel configured on this
    server nothing more is read or written."""
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
    send_beyond_inbox(rows, kind)
    return len(rows)


def send_beyond_inbox(rows: list[Notification], kind: str) -> list[OutboxMessage]:
    """Outbox messages for the notifications whose recipients want this kind by email, SMS or WeChat: one
    read of the recipients' preferences; a message that is not urgent and falls inside the recipient's quiet
    hours waits for their end."""
    channels = preferences.offered()
    if not channels:
        return []
    rows = [r for r in rows if preferences.choosable(r.user, channels)]
    if not rows:
        return []
    prefs = Preference.objects.in_bulk({r.user_id for r in rows})
    now = timezone.now()
    urgent = kind in preferences.URGENT_KINDS
    messages = []
    for row in rows:
        pref = prefs.get(row.user_id)
        wanted = preferences.channels_for(row.user, kind, pref, channels)
        if not wanted:
            continue
        later = None if urgent else preferences.quiet_until(pref, now)
        messages += [
            outbox.message(
                c, row.pk, f"notify.{kind}", {"kind": kind}, not_before=later, urgent=urgent, at=now
            )
            for c in wanted
        ]
    return outbox.enqueue(messages)


def outbound_cancel(notifications) -> int:
    """Stop the pending email/SMS/WeChat messages of these notifications (a queryset of them, or ids): they
    no longer matter (read in the app, say)."""
    if isinstance(notifications, models.QuerySet):
        targets = notifications.annotate(target=Cast("pk", CharField())).values("target")
    else:
        targets = [str(pk) for pk in notifications]
    return outbox.cancel(OutboxMessage.objects.filter(channel__in=preferences.CHANNELS, target__in=targets))


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


def notifications_settle(*, case, kinds: Iterable[str], at=None) -> int:
    """Mark done the messages of these ``kinds`` about ``case`` that asked someone to act: the case has moved
    on (someone acted), so they are no longer waiting for anyone. Unread ones become read and what still
    waited to go out by email, SMS or WeChat is cancelled. Call inside the step's transaction."""
    kinds = list(kinds)
    if not kinds:
        return 0
    at = at or timezone.now()
    ids = list(
        Notification.objects.filter(case=case, kind__in=kinds, done_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    if not ids:
        return 0
    Notification.objects.filter(pk__in=ids, read_at__isnull=True).update(read_at=at)
    Notification.objects.filter(pk__in=ids).update(done_at=at)
    outbound_cancel(ids)
    return len(ids)


def notification_mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark one of ``user``'s messages read (or all of them when no id is given); what was still waiting to
    go out by email, SMS or WeChat (quiet hours) is cancelled: it has been seen."""
    with transaction.atomic():
        qs = Notification.objects.filter(user=user, read_at__isnull=True)
        if notification_id is not None:
            if not Notification.objects.filter(user=user, pk=notification_id).exists():
                raise NotFound(_("消息不存在"), field="id")
            qs = qs.filter(pk=notification_id)
        marked = qs.update(read_at=timezone.now())
        if marked:
            if notification_id is not None:
                outbound_cancel([notification_id])
            else:
                outbound_cancel(Notification.objects.filter(user=user))
        return marked


# ---------------------------------------------------------------- preferences


def _time(value, field: str):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    moment = cleaners.a_time(value, field)
    if moment.tzinfo is not None:  # quiet hours are the site's local time: "22:00+08:00" is not one
        raise DomainError("invalid", _("时间「%(value)s」格式不正确（HH:MM）") % {"value": value}, field)
    return moment


def preference_save(
    *,
    by: User,
    kinds: Mapping[str, Iterable[str]] | None = None,
    quiet_start=None,
    quiet_end=None,
) -> Preference:
    """Save ``by``'s own preferences (nobody sets another person's): for each kind in ``kinds``, the channels
    beyond the inbox (kinds left out keep their setting; channels this server does not offer or the account
    has no address for cannot be chosen and keep theirs); quiet hours (both times, or neither)."""
    start, end = _time(quiet_start, "quiet_start"), _time(quiet_end, "quiet_end")
    if (start is None) != (end is None):
        missing = "quiet_end" if end is None else "quiet_start"
        raise DomainError("required", _("免打扰须同时填写开始和结束时间"), missing)
    if start is not None and start == end:
        raise DomainError("invalid", _("免打扰的开始和结束时间不能相同"), "quiet_end")
    able = set(preferences.choosable(by))
    picks: dict[str, set[str]] = {}
    for kind, channels in (kinds or {}).items():
        field = f"kinds.{kind}"[:60]
        if kind not in Kind.values:
            raise DomainError("invalid_choice", _("没有这类消息：%(kind)s") % {"kind": kind[:40]}, field)
        if isinstance(channels, str):
            channels = [channels]
        picked = {str(c) for c in channels} - {"inbox"}
        for channel in sorted(picked - able):
            if channel not in preferences.CHANNELS:
                raise DomainError(
                    "invalid_choice", _("没有这种接收方式：%(channel)s") % {"channel": channel[:40]}, field
                )
            raise DomainError(
                "channel_unavailable",
                _("不能选择%(channel)s：本服务器未开通，或您的账号没有登记相应的地址")
                % {"channel": preferences.CHANNEL_LABELS[channel]},
                field,
            )
        picks[kind] = picked
    with transaction.atomic():
        pref = Preference.objects.select_for_update().filter(user=by).first()
        before = None
        if pref is None:
            pref = Preference(user=by, channels={})
        else:
            before = {"channels": pref.channels, "quiet": _quiet_text(pref)}
        stored = dict(pref.channels or {})
        for kind, picked in picks.items():
            # what the person cannot choose now (not offered, no address) stays as it was
            kept = preferences.chosen(by, kind, pref) - able
            wanted = picked | kept
            if wanted == preferences.default_channels(by, kind):
                stored.pop(kind, None)  # as the defaults: follows them if they change
            else:
                stored[kind] = [c for c in preferences.CHANNELS if c in wanted]
        pref.channels = stored
        pref.quiet_start, pref.quiet_end = start, end
        pref.updated_at = timezone.now()
        pref.save()
        audit.record(
            actor=by,
            verb="notify.preferences",
            obj=pref,
            before=before,
            after={"channels": stored, "quiet": _quiet_text(pref)},
        )
    return pref


def _quiet_text(pref: Preference) -> str:
    if pref.quiet_start is None or pref.quiet_end is None:
        return ""
    return f"{pref.quiet_start:%H:%M}-{pref.quiet_end:%H:%M}"
