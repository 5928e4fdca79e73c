"""The outbox channels that carry messages out of the building: ``email``, ``sms`` and ``wechat``.

An outbox row names its recipient by reference, never by address: ``target`` is a notification's id (the
inbox row the message repeats) or ``<prefix>:<id>`` for recipients another app resolves — ``case:<id>``, the
resident who reported a case by phone (``gridgov.cases.sms``), registered with :func:`register_recipients`.
``prepare`` (the sender's own thread, with the database) resolves each message: the address (phones are
decrypted here and only here), the text in the recipient's language, the link; ``send`` (the sender's worker
threads, no database) delivers it:

- ``email``: Django's mail API over SMTP (``GRIDGOV_EMAIL_*``). A 5xx refusal of the recipient or of the
  message is final; a 4xx reply, a refused connection or a timeout is tried again on the outbox's schedule.
- ``sms`` / ``wechat``: a JSON POST ``{"id", "to", "text", "kind", "url"}`` to the gateway
  (``GRIDGOV_SMS_GATEWAY_URL`` / ``GRIDGOV_WECHAT_GATEWAY_URL``), signed with its secret (Standard Webhooks
  headers, ``core.outbound``). 2xx is accepted; a 4xx other than 408 and 429 is final; anything else (5xx,
  no answer) is tried again.

A message whose notification was read in the app before it went out (it waited for the end of quiet hours)
is not sent: it is settled as delivered with the note ``not needed: …`` in the delivery log, as is one whose
notification or recipient is gone. Marking a notification read also cancels its pending messages at once
(``notify.actions``). Every text that reaches the outbox tables — errors, the answers' excerpts — is scrubbed
of the recipient's address and of anything that looks like an email address or a mobile number.
"""

from __future__ import annotations

import binascii
import json
import re
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from gridgov.core import outbound, outbox
from gridgov.core.models import OutboxMessage
from gridgov.core.outbound import Answer, Destination, Refused
from gridgov.notify.models import Notification
from gridgov.notify.preferences import EMAIL, SMS, WECHAT, offered

SMS_LENGTH = 70  # one SMS segment of Chinese text; longer texts are split (and billed) by the carrier

# notes of the delivery log (stored, read by administrators: not translated)
READ = "not needed: read in the app before it was sent"
GONE = "not needed: the message or its recipient no longer exists"
INACTIVE = "not needed: the account is deactivated"
NO_ADDRESS = "given up: the recipient has no address for this channel now"
NOT_CONFIGURED = "the channel is not configured on this server"
UNKNOWN = "no recipients of this kind in this process"


@dataclass
class Verdict(Answer):
    """An answer that may say trying again is pointless (an SMTP 5xx for a bad address)."""

    final: bool = False


@dataclass(frozen=True)
class Outgoing:
    """One message resolved for sending: the address (only in memory), the text, what it is about."""

    to: str
    text: str
    kind: str
    url: str = ""
    subject: str = ""


@dataclass(frozen=True)
class Unsent:
    """A message that is not sent now: ``ok`` — nothing to send (settled as delivered, with the note);
    ``final`` — given up; neither — a failed try, tried again later."""

    note: str
    ok: bool = False
    final: bool = False

    def answer(self) -> Verdict:
        if self.ok:
            return Verdict(ok=True, response=self.note)
        return Verdict(ok=False, error=self.note, final=self.final)


Resolved = Outgoing | Unsent
# (channel, messages) → {msg_id: Outgoing | Unsent}; runs in prepare, may read the database
Resolver = Callable[[str, list[OutboxMessage]], dict[str, Resolved]]
RESOLVERS: dict[str, Resolver] = {}


def register_recipients(prefix: str, resolver: Resolver) -> None:
    """Let messages whose target is ``<prefix>:<id>`` be resolved by ``resolver`` (from ``AppConfig.ready``)."""
    RESOLVERS[prefix] = resolver


def resolve(channel: str, messages: list[OutboxMessage]) -> dict[str, Resolved]:
    groups: dict[str, list[OutboxMessage]] = {}
    for msg in messages:
        prefix = msg.target.rpartition(":")[0]
        groups.setdefault(prefix, []).append(msg)
    found: dict[str, Resolved] = {}
    for prefix, group in groups.items():
        resolver = RESOLVERS.get(prefix)
        if resolver is None:
            found.update({m.msg_id: Unsent(UNKNOWN) for m in group})
        else:
            found.update(resolver(channel, group))
    return found


# ---------------------------------------------------------------- texts


def absolute(path: str) -> str:
    """The public address of a page of this site (``GRIDGOV_SITE_URL`` + path); empty when unknown."""
    if not settings.SITE_URL or not path.startswith("/") or path.startswith("//"):
        return ""
    return settings.SITE_URL + path


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def short_text(title: str, body: str, limit: int = SMS_LENGTH - 10) -> str:
    """The title, and the body when it fits, for an SMS or a WeChat card."""
    if not body:
        return shorten(title, limit)
    return shorten(_("%(title)s：%(body)s") % {"title": title, "body": body}, limit)


def compose(channel: str, note: Notification, address: str) -> Outgoing:
    """A notification as this channel carries it (call in the recipient's language)."""
    url = absolute(note.url)
    if channel == EMAIL:
        lines = [note.title, ""]
        if note.body:
            lines += [note.body, ""]
        if url:
            lines += [_("查看详情：%(url)s") % {"url": url}, ""]
        lines.append("-- ")
        lines.append(str(settings.GRIDGOV_SITE_NAME))
        where = absolute(reverse("notify:settings"))
        if where:
            lines.append(_("修改接收方式：%(url)s") % {"url": where})
        return Outgoing(to=address, text="\n".join(lines), kind=note.kind, url=url, subject=note.title)
    text = short_text(note.title, note.body)
    if channel == SMS and url:
        text = f"{text} {url}"
    return Outgoing(to=address, text=text, kind=note.kind, url=url)


def notification_recipients(channel: str, messages: list[OutboxMessage]) -> dict[str, Resolved]:
    """Messages whose target is a notification's id: its recipient's address, its text."""
    ids = {int(m.target) for m in messages if m.target.isdigit()}
    notes = Notification.objects.filter(pk__in=ids).select_related("user").in_bulk()
    found: dict[str, Resolved] = {}
    for msg in messages:
        note = notes.get(int(msg.target)) if msg.target.isdigit() else None
        if note is None:
            found[msg.msg_id] = Unsent(GONE, ok=True)
            continue
        user = note.user
        if note.read_at is not None:
            found[msg.msg_id] = Unsent(READ, ok=True)
        elif not user.is_active:
            found[msg.msg_id] = Unsent(INACTIVE, ok=True)
        else:
            address = user.email if channel == EMAIL else user.phone
            if not address:
                found[msg.msg_id] = Unsent(NO_ADDRESS, final=True)
                continue
            with translation.override(user.language or settings.LANGUAGE_CODE):
                found[msg.msg_id] = compose(channel, note, address)
    return found


# ---------------------------------------------------------------- keeping addresses out of the tables

EMAIL_LIKE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
MOBILE_LIKE = re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d){8}(?!\d)")


def scrub(text: str, address: str = "") -> str:
    """``text`` without ``address`` and without anything that looks like an email or a mobile number."""
    if not text:
        return text
    if address:
        text = text.replace(address, "***")
    return MOBILE_LIKE.sub("***", EMAIL_LIKE.sub("***", text))


def scrubbed(answer: Answer, address: str) -> Answer:
    answer.response = scrub(answer.response, address)
    answer.error = scrub(answer.error, address)
    return answer


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


# ---------------------------------------------------------------- email


def email_prepare(messages: list[OutboxMessage]) -> dict[str, Resolved]:
    if EMAIL not in offered():
        return {m.msg_id: Unsent(NOT_CONFIGURED) for m in messages}
    return resolve(EMAIL, messages)


def _smtp_reply(code: int, text) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"SMTP {code} {text}"


def email_send(msg: OutboxMessage, prepared: dict[str, Resolved]) -> Answer:
    item = prepared.get(msg.msg_id) or Unsent(UNKNOWN)
    if isinstance(item, Unsent):
        return item.answer()
    started = time.monotonic()
    email = EmailMessage(
        subject=item.subject,
        body=item.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[item.to],
        # the outbox sends at least once: a repeat carries the same Message-ID, which mail systems recognise
        headers={"Message-ID": f"<{msg.msg_id}@gridgov>", "Auto-Submitted": "auto-generated"},
    )
    try:
        with get_connection(fail_silently=False) as connection:
            email.connection = connection
            email.send()
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()), (0, b""))
        answer = Verdict(ok=False, status=code or None, error=_smtp_reply(code, text), final=code >= 500)
    except smtplib.SMTPDataError as exc:  # the message itself refused (5xx: for good)
        answer = Verdict(
            ok=False,
            status=exc.smtp_code,
            error=_smtp_reply(exc.smtp_code, exc.smtp_error),
            final=exc.smtp_code >= 500,
        )
    except (
        smtplib.SMTPResponseException
    ) as exc:  # the server's own trouble (sign-in, sender, greeting): later
        answer = Verdict(ok=False, status=exc.smtp_code, error=_smtp_reply(exc.smtp_code, exc.smtp_error))
    except (smtplib.SMTPException, OSError, ValueError) as exc:  # no connection, a timeout, TLS: later
        answer = Verdict(ok=False, error=f"{type(exc).__name__}: {exc}")
    else:
        answer = Verdict(ok=True, status=250, response="accepted by the SMTP server")
    answer.duration_ms = _ms(started)
    answer.error = answer.error[:300]
    return scrubbed(answer, item.to)


# ---------------------------------------------------------------- SMS and WeChat gateways


@dataclass(frozen=True)
class Gateway:
    destination: Destination | None
    refused: str
    secrets: tuple[str, ...]
    items: dict[str, Resolved]


def gateway_settings(channel: str) -> tuple[str, tuple[str, ...]]:
    """The gateway's URL and its secrets (several while rotating: the first is the new one)."""
    if channel == SMS:
        url, secrets = settings.SMS_GATEWAY_URL, settings.SMS_GATEWAY_SECRET
    else:
        url, secrets = settings.WECHAT_GATEWAY_URL, settings.WECHAT_GATEWAY_SECRET
    return url, tuple(s for s in re.split(r"[\s,]+", secrets or "") if s)


def gateway_prepare(channel: str) -> Callable[[list[OutboxMessage]], Gateway]:
    def prepare(messages: list[OutboxMessage]) -> Gateway:
        url, secrets = gateway_settings(channel)
        if not url:
            return Gateway(None, NOT_CONFIGURED, secrets, {})
        try:
            destination, refused = outbound.check_destination(url), ""
        except Refused as exc:
            destination, refused = None, str(exc)
        return Gateway(destination, refused, secrets, resolve(channel, messages))

    return prepare


def encode(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def gateway_send(msg: OutboxMessage, gateway: Gateway) -> Answer:
    if gateway.destination is None:
        return Verdict(ok=False, error=gateway.refused[:300])
    item = gateway.items.get(msg.msg_id) or Unsent(UNKNOWN)
    if isinstance(item, Unsent):
        return item.answer()
    if not gateway.secrets:
        return Verdict(ok=False, error="no gateway secret is configured")
    body = encode({"id": msg.msg_id, "to": item.to, "text": item.text, "kind": item.kind, "url": item.url})
    try:
        headers = outbound.signed_headers(list(gateway.secrets), msg.msg_id, body)
    except (ValueError, binascii.Error):
        return Verdict(ok=False, error="the gateway secret is not whsec_ + base64")
    answer = outbound.post(gateway.destination, body, headers, timeout=settings.GATEWAY_TIMEOUT)
    return scrubbed(answer, item.to)


def gateway_final(answer: Answer) -> bool:
    """A refusal that will not change: the gateway's 4xx (but 408 Request Timeout, 429 Too Many Requests)."""
    if getattr(answer, "final", False):
        return True
    return answer.status is not None and 400 <= answer.status < 500 and answer.status not in (408, 429)


def register() -> None:
    """The three channels and the notifications' own recipients (``NotifyConfig.ready``)."""
    register_recipients("", notification_recipients)
    outbox.register_channel(
        outbox.Channel(
            name=EMAIL,
            send=email_send,
            prepare=email_prepare,
            final=lambda answer: getattr(answer, "final", False),
        )
    )
    for name in (SMS, WECHAT):
        outbox.register_channel(
            outbox.Channel(name=name, send=gateway_send, prepare=gateway_prepare(name), final=gateway_final)
        )
