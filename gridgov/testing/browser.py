"""Debian's Chromium for browser tests, through Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections
from playwright.sync_api import Browser, sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium(monkeypatch) -> Iterator[Browser]:
    # Sync Playwright runs an event loop in this thread; the ORM calls made while it runs (the live
    # server's database teardown included) are still plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        # ORM calls made while Playwright runs get their own connection (another context); close it
        # here, or PostgreSQL refuses to drop the test database at the end of the session.
        connections.close_all()
        browser.close()
