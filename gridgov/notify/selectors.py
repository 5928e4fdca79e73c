from __future__ import annotations

from django.db.models import QuerySet

from gridgov.notify import preferences
from gridgov.notify.models import Kind, Notification, Preference


def inbox_for(user, *, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(user=user).select_related("case")
    return qs.filter(read_at__isnull=True) if unread_only else qs


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def preferences_of(user) -> dict:
    """The account's own preferences as the settings page and the API show them: the channels this server
    offers (and whether the account has an address for each), per kind the channels beyond the inbox, and
    the quiet hours."""
    pref = Preference.objects.filter(user=user).first()
    server = preferences.offered()
    able = preferences.choosable(user, server)
    kinds = []
    for kind, label in Kind.choices:
        wanted = preferences.chosen(user, kind, pref)
        kinds.append(
            {
                "kind": kind,
                "label": str(label),
                "urgent": kind in preferences.URGENT_KINDS,
                "channels": [c for c in able if c in wanted],
            }
        )
    return {
        "channels": [
            {"code": c, "label": str(preferences.CHANNEL_LABELS[c]), "available": c in able} for c in server
        ],
        "available": list(able),
        "kinds": kinds,
        "quiet_start": f"{pref.quiet_start:%H:%M}" if pref and pref.quiet_start is not None else None,
        "quiet_end": f"{pref.quiet_end:%H:%M}" if pref and pref.quiet_end is not None else None,
    }
