"""SMS to residents who reported a case by phone number: its key steps, through the outbox.

A resident who reported without an account — on the public form with a phone number, anonymously with one, or
through the hotline or a grid worker who typed their number in — has no inbox. When an SMS gateway is
configured (``GRIDGOV_SMS_GATEWAY_URL``) they get an SMS when their case is

- accepted (受理), rejected (不予受理, with the reason), closed (结案, with the link to rate it) and reopened
  (重办),

each with the case's reference and its public tracking page (``/track/<ref>``; the page asks for nothing
personal, and no phone number is ever part of a link). The resolution itself (处置反馈) is not sent: it is
checked before closing and may go back for rework, so the resident hears once, at the close.

The listener (``core.events``) writes one outbox message per step inside the step's transaction — target
``case:<id>``, no phone and no text in the row — and ``prepare`` (``notify.channels``) decrypts
``Case.reporter_phone`` and writes the text in the site's language. Messages that would go out inside
``GRIDGOV_RESIDENT_SMS_QUIET_HOURS`` (21:00–08:00 by default) wait for the morning. A case whose phone was
erased meanwhile is given up; a case that has since been linked to an account is not sent (its reporter reads
the inbox).
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from gridgov.cases.models import Case, CaseEvent
from gridgov.core import events, outbox
from gridgov.core.models import OutboxMessage
from gridgov.notify import channels, preferences

PREFIX = "case"
LABEL = "cases.case"
REASON_LENGTH = 30
# the steps told, and the kind the gateway receives for each
STEPS = {
    "accept": "case.accepted",
    "reject": "case.rejected",
    "close": "case.closed",
    "reopen": "case.reopened",
}


def interested(label: str) -> bool:
    """Cheap (the intake's hot path asks): only case steps, only with an SMS gateway."""
    return label == LABEL and bool(settings.SMS_GATEWAY_URL)


def reported_by_phone(case: Case) -> bool:
    return case.reporter_id is None and bool(case.reporter_phone)


def on_step(event: events.Event) -> None:
    """A case step: queue the resident's SMS when it is one they are told of."""
    kind = STEPS.get(event.action)
    if kind is None or event.label != LABEL or not settings.SMS_GATEWAY_URL:
        return
    case = event.obj
    if not reported_by_phone(case):
        return
    later = preferences.resident_quiet_until(event.at)
    outbox.enqueue(
        [
            outbox.message(
                preferences.SMS, f"{PREFIX}:{case.pk}", kind, {"step": event.action}, not_before=later
            )
        ]
    )


def _text(step: str, case: Case, reason: str) -> str:
    if step == "accept":
        return _("您反映的问题已受理，编号%(ref)s。") % {"ref": case.ref}
    if step == "reject":
        return _("您反映的问题%(ref)s不予受理：%(reason)s") % {
            "ref": case.ref,
            "reason": channels.shorten(reason, REASON_LENGTH),
        }
    if step == "close":
        return _("您反映的问题%(ref)s已办结，欢迎评价。") % {"ref": case.ref}
    return _("您反映的问题%(ref)s已重新办理。") % {"ref": case.ref}


def recipients(channel: str, messages: list[OutboxMessage]) -> dict[str, channels.Resolved]:
    """``case:<id>`` → the reporter's phone (decrypted here) and the step's text with the tracking link."""
    ids = {int(ref) for m in messages if (ref := m.target.rpartition(":")[2]).isdigit()}
    cases = Case.objects.filter(pk__in=ids).only("id", "ref", "reporter_id", "reporter_phone").in_bulk()
    reasons: dict[int, str] = {}
    if any(m.payload.get("step") == "reject" for m in messages):
        rows = (
            CaseEvent.objects.filter(case_id__in=ids, action="reject")
            .order_by("case_id", "-at", "-id")
            .values_list("case_id", "note")
        )
        for case_id, note in rows:
            reasons.setdefault(case_id, note)
    found: dict[str, channels.Resolved] = {}
    with translation.override(settings.LANGUAGE_CODE):
        for msg in messages:
            ref = msg.target.rpartition(":")[2]
            case = cases.get(int(ref)) if ref.isdigit() else None
            if case is None:
                found[msg.msg_id] = channels.Unsent(channels.GONE, ok=True)
            elif case.reporter_id is not None:
                found[msg.msg_id] = channels.Unsent("not needed: the reporter now has an account", ok=True)
            elif not case.reporter_phone:
                found[msg.msg_id] = channels.Unsent(channels.NO_ADDRESS, final=True)
            else:
                url = channels.absolute(reverse("cases:track", args=[case.ref]))
                text = _text(msg.payload.get("step", ""), case, reasons.get(case.pk, ""))
                found[msg.msg_id] = channels.Outgoing(
                    to=case.reporter_phone,
                    text=f"{text} {url}" if url and channel == preferences.SMS else text,
                    kind=msg.event_type,
                    url=url,
                )
    return found


def register() -> None:
    """From ``CasesConfig.ready``."""
    events.listen(on_step, interested)
    channels.register_recipients(PREFIX, recipients)
