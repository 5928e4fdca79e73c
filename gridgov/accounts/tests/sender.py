"""A code sender for tests (``CODE_SENDER = "gridgov.accounts.tests.sender.Captured"``): keeps what it was
asked to send, so a test reads the code the way a phone would, not from a log."""

from __future__ import annotations

SENT: list[tuple[str, str]] = []


class Captured:
    def send(self, phone: str, code: str) -> None:
        SENT.append((phone, code))


def last_code(phone: str) -> str:
    return next(code for to, code in reversed(SENT) if to == phone)
