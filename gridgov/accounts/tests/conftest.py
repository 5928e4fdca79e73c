from __future__ import annotations

import pytest

from gridgov.accounts.tests import sender


@pytest.fixture
def sent(settings):
    """Codes go to the test sender; the list of (phone, code) it was asked to send."""
    settings.CODE_SENDER = "gridgov.accounts.tests.sender.Captured"
    sender.SENT.clear()
    yield sender.SENT
    sender.SENT.clear()
