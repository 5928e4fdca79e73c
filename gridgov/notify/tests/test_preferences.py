"""Who gets which message how: the defaults, each account's channels per kind, quiet hours, and nothing read
or written beyond the inbox when no channel is configured."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from gridgov.core.errors import DomainError
from gridgov.core.models import OutboxMessage
from gridgov.notify import preferences
from gridgov.notify.actions import notify, preference_save
from gridgov.notify.models import Notification, Preference

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")


def _outbox() -> list[tuple[str, str, str]]:
    return sorted(OutboxMessage.objects.values_list("channel", "target", "event_type"))


def _note(user, kind) -> str:
    return str(Notification.objects.get(user=user, kind=kind).pk)


@pytest.fixture
def channels_on(settings):
    """Email and SMS offered (nothing is sent in these tests: they look at what is queued)."""
    settings.EMAIL_HOST = "127.0.0.1"
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/sms"
    settings.SMS_GATEWAY_SECRET = "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ="


def test_no_channel_configured_means_inbox_only_and_no_extra_query(people, django_assert_num_queries):
    with django_assert_num_queries(1):  # the inbox rows, nothing else
        notify(users=[people.worker, people.bare], kind="overdue", title="已超时")
    assert Notification.objects.count() == 2
    assert not OutboxMessage.objects.exists()


def test_urgent_kinds_go_by_sms_to_staff_with_a_phone_by_default(people, channels_on):
    notify(users=[people.worker, people.bare, people.resident], kind="warning", title="即将超时")
    notify(users=[people.worker, people.resident], kind="order", title="服务单")
    # the worker (staff, phone) gets the urgent one by SMS; the resident and the worker without a phone do not;
    # the ordinary kind stays in the inbox
    assert _outbox() == [("sms", _note(people.worker, "warning"), "notify.warning")]
    msg = OutboxMessage.objects.get()
    assert msg.urgent and msg.payload == {"kind": "warning"}


def test_preferences_of_all_recipients_are_read_in_one_query(people, channels_on, django_assert_num_queries):
    preference_save(by=people.worker, kinds={"order": ["email"]})
    preference_save(by=people.resident, kinds={"order": ["sms"]})
    # inbox rows, the preferences of everyone, the outbox rows
    with django_assert_num_queries(3):
        notify(users=[people.worker, people.resident, people.bare], kind="order", title="服务单")
    assert _outbox() == [
        ("email", _note(people.worker, "order"), "notify.order"),
        ("sms", _note(people.resident, "order"), "notify.order"),
    ]


def test_nobody_with_an_address_means_no_preference_query(people, channels_on, django_assert_num_queries):
    with django_assert_num_queries(1):
        notify(users=[people.bare], kind="warning", title="即将超时")
    assert not OutboxMessage.objects.exists()


def test_a_channel_per_kind(people, channels_on):
    preference_save(by=people.worker, kinds={"order": ["email", "sms"], "warning": [], "wish": ["email"]})
    for kind in ("order", "warning", "wish", "task"):
        notify(users=[people.worker], kind=kind, title=kind)
    assert _outbox() == [
        ("email", _note(people.worker, "order"), "notify.order"),
        ("email", _note(people.worker, "wish"), "notify.wish"),
        ("sms", _note(people.worker, "order"), "notify.order"),
    ]  # warning switched off, task left at its default (inbox only)


def test_a_channel_no_longer_offered_is_not_used(people, channels_on, settings):
    preference_save(by=people.worker, kinds={"order": ["email", "sms"]})
    settings.EMAIL_HOST = ""
    notify(users=[people.worker], kind="order", title="服务单")
    assert [c for c, _t, _e in _outbox()] == ["sms"]


def test_choosing_a_channel_that_is_not_offered_or_has_no_address_is_refused(people, channels_on, settings):
    with pytest.raises(DomainError) as info:
        preference_save(by=people.bare, kinds={"order": ["sms"]})
    assert (info.value.code, info.value.field) == ("channel_unavailable", "kinds.order")
    settings.SMS_GATEWAY_URL = ""
    with pytest.raises(DomainError) as info:
        preference_save(by=people.worker, kinds={"order": ["sms"]})
    assert info.value.code == "channel_unavailable"
    with pytest.raises(DomainError) as info:
        preference_save(by=people.worker, kinds={"order": ["pigeon"]})
    assert (info.value.code, info.value.field) == ("invalid_choice", "kinds.order")
    with pytest.raises(DomainError) as info:
        preference_save(by=people.worker, kinds={"gossip": ["email"]})
    assert (info.value.code, info.value.field) == ("invalid_choice", "kinds.gossip")
    assert not Preference.objects.exists()


def test_a_hidden_channel_keeps_its_setting(people, channels_on, settings):
    """Saving while SMS is not offered does not switch off the SMS the worker gets by default."""
    settings.SMS_GATEWAY_URL = ""
    preference_save(by=people.worker, kinds={"warning": ["email"]})
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/sms"
    notify(users=[people.worker], kind="warning", title="即将超时")
    assert [c for c, _t, _e in _outbox()] == ["email", "sms"]


def test_choices_equal_to_the_defaults_are_not_stored(people, channels_on):
    pref = preference_save(
        by=people.worker, kinds={"warning": ["sms"], "order": [], "wish": ["inbox", "email"]}
    )
    assert pref.channels == {"wish": ["email"]}


# ---------------------------------------------------------------- quiet hours


@pytest.mark.parametrize(
    ("start", "end", "at", "until"),
    [
        (time(22), time(7), datetime(2026, 12, 1, 23, 30), datetime(2026, 12, 2, 7, 0)),  # across midnight
        (time(22), time(7), datetime(2026, 12, 2, 6, 15), datetime(2026, 12, 2, 7, 0)),
        (time(22), time(7), datetime(2026, 12, 2, 7, 0), None),  # the end is outside
        (time(22), time(7), datetime(2026, 12, 2, 12, 0), None),
        (time(22), time(7), datetime(2026, 12, 2, 22, 0), datetime(2026, 12, 3, 7, 0)),
        (time(12), time(14), datetime(2026, 12, 2, 13, 0), datetime(2026, 12, 2, 14, 0)),
        (time(12), time(14), datetime(2026, 12, 2, 11, 59), None),
        (None, None, datetime(2026, 12, 2, 23, 0), None),
    ],
)
def test_quiet_window(start, end, at, until):
    expected = until.replace(tzinfo=TZ) if until else None
    assert preferences.window_end(start, end, at.replace(tzinfo=TZ)) == expected


def test_an_ordinary_message_inside_quiet_hours_waits_for_their_end(people, channels_on):
    preference_save(
        by=people.worker, kinds={"order": ["email", "sms"]}, quiet_start="22:00", quiet_end="07:00"
    )
    with time_machine.travel(datetime(2026, 12, 1, 23, 30, tzinfo=TZ), tick=False):
        notify(users=[people.worker], kind="order", title="服务单")
        notify(users=[people.worker], kind="overdue", title="已超时")
        now = datetime(2026, 12, 1, 23, 30, tzinfo=TZ)
    ordinary = OutboxMessage.objects.filter(event_type="notify.order")
    assert ordinary.count() == 2
    assert {m.next_at for m in ordinary} == {datetime(2026, 12, 2, 7, 0, tzinfo=TZ)}
    urgent = OutboxMessage.objects.get(event_type="notify.overdue")
    assert urgent.urgent and urgent.next_at == now and urgent.channel == "sms"


def test_outside_quiet_hours_a_message_goes_at_once(people, channels_on):
    preference_save(by=people.worker, kinds={"order": ["email"]}, quiet_start="22:00", quiet_end="07:00")
    at = datetime(2026, 12, 2, 10, 0, tzinfo=TZ)
    with time_machine.travel(at, tick=False):
        notify(users=[people.worker], kind="order", title="服务单")
    assert OutboxMessage.objects.get().next_at == at


def test_quiet_hours_need_both_ends_and_differ(people):
    with pytest.raises(DomainError) as info:
        preference_save(by=people.worker, quiet_start="22:00")
    assert (info.value.code, info.value.field) == ("required", "quiet_end")
    with pytest.raises(DomainError) as info:
        preference_save(by=people.worker, quiet_start="07:00", quiet_end="07:00")
    assert info.value.field == "quiet_end"
    with pytest.raises(DomainError) as info:
        preference_save(by=people.worker, quiet_start="25:99", quiet_end="07:00")
    assert (info.value.code, info.value.field) == ("invalid", "quiet_start")
    pref = preference_save(by=people.worker, quiet_start="22:00", quiet_end="06:30")
    assert (pref.quiet_start, pref.quiet_end) == (time(22), time(6, 30))
    assert preference_save(by=people.worker).quiet_start is None  # cleared


def test_a_deactivated_or_departed_recipient_changes_nothing(people, channels_on):
    people.worker.is_active = False
    notify(users=[people.worker], kind="warning", title="即将超时")
    assert not OutboxMessage.objects.exists()
