"""Who gets which message how (接收设置): the channels beyond the inbox, their defaults, and quiet hours.

Every message goes to the inbox. Beyond it a message of one kind may also go by

- ``email`` — offered when this server has an SMTP host (``GRIDGOV_EMAIL_HOST``) and the account an email
  address;
- ``sms`` — offered when an SMS gateway is configured (``GRIDGOV_SMS_GATEWAY_URL``) and the account has a
  phone number;
- ``wechat`` — offered when a WeChat gateway is configured (``GRIDGOV_WECHAT_GATEWAY_URL``) and the account
  has a phone number (the gateway finds the WeChat account by it).

Defaults (an account that chose nothing for a kind): the urgent kinds (``URGENT_KINDS``: a deadline about to
pass or passed, an escalation, a whistle) go by SMS to staff and unit handlers; every other kind stays in the
inbox only. What an account chose is kept per kind (``Preference.channels``) and wins over the defaults; a
channel the server does not offer, or the account has no address for, is never used whatever was chosen.

Quiet hours (免打扰) are a local time window (``Preference.quiet_start`` → ``quiet_end``, across midnight
when the start is later than the end). A message that is not urgent and falls inside them waits for their end
(the outbox's ``not_before``); urgent kinds go at once.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import User
from gridgov.core.roles import Role
from gridgov.core.scope import is_staff
from gridgov.notify.models import Kind, Preference

log = logging.getLogger("gridgov.notify")

EMAIL, SMS, WECHAT = "email", "sms", "wechat"
CHANNELS = (EMAIL, SMS, WECHAT)
CHANNEL_LABELS = {EMAIL: _("邮件"), SMS: _("短信"), WECHAT: _("微信")}
PHONE_CHANNELS = frozenset({SMS, WECHAT})
# Sent at once even inside quiet hours, and by SMS by default to staff and unit handlers.
URGENT_KINDS = frozenset({Kind.WARNING, Kind.OVERDUE, Kind.ESCALATION, Kind.WHISTLE})


def offered() -> tuple[str, ...]:
    """The channels this server can send by (configured in the settings)."""
    found = []
    if settings.EMAIL_HOST:
        found.append(EMAIL)
    if settings.SMS_GATEWAY_URL:
        found.append(SMS)
    if settings.WECHAT_GATEWAY_URL:
        found.append(WECHAT)
    return tuple(found)


def has_address(user: User, channel: str) -> bool:
    if channel == EMAIL:
        return bool(user.email)
    return bool(user.phone)  # sms, wechat (decrypted with the row; only its presence is asked)


def choosable(user: User, channels: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The channels ``user`` may choose: offered here, and the account has an address for them."""
    return tuple(c for c in (offered() if channels is None else channels) if has_address(user, c))


def default_channels(user: User, kind: str) -> set[str]:
    """Beyond the inbox by default: SMS for the urgent kinds to staff and unit handlers; nothing else."""
    if kind in URGENT_KINDS and (is_staff(user) or user.role == Role.UNIT):
        return {SMS}
    return set()


def chosen(user: User, kind: str, pref: Preference | None) -> set[str]:
    """What the account asks for a kind (its own choice, else the default), before availability."""
    if pref is not None and kind in (pref.channels or {}):
        return {c for c in pref.channels[kind] if c in CHANNELS}
    return default_channels(user, kind)


def channels_for(user: User, kind: str, pref: Preference | None, channels: tuple[str, ...]) -> list[str]:
    """The channels a message of ``kind`` to ``user`` goes by now (``channels``: those offered)."""
    wanted = chosen(user, kind, pref)
    return [c for c in channels if c in wanted and has_address(user, c)]


# ---------------------------------------------------------------- quiet hours


def window_end(start: time | None, end: time | None, at: datetime) -> datetime | None:
    """The end of the quiet window ``start``–``end`` (local time) when ``at`` falls inside it, else None."""
    if start is None or end is None or start == end:
        return None
    zone = timezone.get_default_timezone()
    local = at.astimezone(zone)
    now = local.time()
    if start < end:
        inside, day = start <= now < end, local.date()
    else:  # across midnight: 22:00–07:00
        inside = now >= start or now < end
        day = local.date() + timedelta(days=1) if now >= start else local.date()
    if not inside:
        return None
    return timezone.make_aware(datetime.combine(day, end), zone)


def quiet_until(pref: Preference | None, at: datetime) -> datetime | None:
    if pref is None:
        return None
    return window_end(pref.quiet_start, pref.quiet_end, at)


def parse_window(text: str) -> tuple[time, time] | None:
    """``"21:00-08:00"`` → (21:00, 08:00); empty → None (a setting's value, so a fault is an error)."""
    if not text.strip():
        return None
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError(f"quiet hours must look like 21:00-08:00, not {text!r}")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def resident_quiet_until(at: datetime) -> datetime | None:
    """When an SMS to a resident may go, if ``at`` is inside the residents' quiet hours. A malformed setting
    (``gridgov check`` reports it) never stops the case step that is being told: the SMS goes at once."""
    try:
        window = parse_window(settings.RESIDENT_SMS_QUIET_HOURS)
    except ValueError:
        log.warning("GRIDGOV_RESIDENT_SMS_QUIET_HOURS is not HH:MM-HH:MM; residents' SMS are not held back")
        return None
    return window_end(*window, at) if window else None
