"""What notifications are sent to, for real: an SMTP server in this process (aiosmtpd) and an HTTP receiver on
127.0.0.1 standing in for the SMS and WeChat gateways; and a few accounts with and without addresses."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

from gridgov.core import outbound
from gridgov.testing.factories import make_tree, make_user
from gridgov.testing.receiver import Receiver

SITE = "https://grid.example.cn"
WORKER_PHONE = "13911112222"
WORKER_EMAIL = "worker@example.cn"
RESIDENT_PHONE = "13833334444"


@dataclass
class Mailbox:
    """The SMTP server's behaviour and what it received: ``refuse`` maps an address to the reply to its
    RCPT; ``data_replies`` are replies to DATA in turn before it accepts."""

    received: list[Message] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    data_replies: list[str] = field(default_factory=list)
    port: int = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802, ARG002
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802, ARG002
        if self.data_replies:
            return self.data_replies.pop(0)
        message = message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        self.received.append(message)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """A real SMTP server on 127.0.0.1, and the email channel pointed at it."""
    box = Mailbox(port=free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # pytest-django's is locmem
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", box.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "gridgov@example.cn"
    settings.SITE_URL = SITE
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def gateway(settings):
    """An SMS gateway: a real HTTP receiver on 127.0.0.1, with its signing secret (``gateway.secret``)."""
    settings.OUTBOUND_ALLOW = ["127.0.0.1/32"]
    settings.SITE_URL = SITE
    with Receiver() as rx:
        rx.secret = outbound.new_secret()
        settings.SMS_GATEWAY_URL = rx.url("/sms")
        settings.SMS_GATEWAY_SECRET = rx.secret
        yield rx


@pytest.fixture
def wechat(settings):
    settings.OUTBOUND_ALLOW = ["127.0.0.1/32"]
    settings.SITE_URL = SITE
    with Receiver() as rx:
        rx.secret = outbound.new_secret()
        settings.WECHAT_GATEWAY_URL = rx.url("/wechat")
        settings.WECHAT_GATEWAY_SECRET = rx.secret
        yield rx


@dataclass
class People:
    tree: object
    worker: object  # grid worker with a phone and an email
    bare: object  # grid worker with neither
    resident: object  # resident with a phone


@pytest.fixture
def people(db) -> People:  # noqa: ARG001
    tree = make_tree()
    worker = make_user(tree.admin, "worker", "grid_worker", tree["610302001001001"], phone=WORKER_PHONE)
    worker.email = WORKER_EMAIL
    worker.save(update_fields=["email"])
    bare = make_user(tree.admin, "bare", "grid_worker", tree["610302001001002"])
    resident = make_user(tree.admin, "resi", "resident", phone=RESIDENT_PHONE)
    return People(tree, worker, bare, resident)
