"""The household page's extension point: sections registered by other apps, in order, each with the
context its function gives for the signed-in user."""

from __future__ import annotations

from gridgov.ledger import sections
from gridgov.ledger.sections import HouseholdSection, household_sections, register_household_section


def test_sections_come_in_order_with_their_own_context(monkeypatch):
    monkeypatch.setattr(sections, "SECTIONS", {})
    seen = []

    def contacts(user, household):
        seen.append((user, household))
        return {"contacts": ["党员甲"]}

    register_household_section(HouseholdSection("contacts", "联系党员", "party/_contacts.html", contacts, 20))
    register_household_section(HouseholdSection("visits", "走访", "visits/_v.html", lambda u, h: {}, 10))
    register_household_section(HouseholdSection("visits", "走访记录", "visits/_v2.html", lambda u, h: {}, 10))
    shown = household_sections("user", "household")
    assert [(s.key, s.title, s.template) for s in shown] == [
        ("visits", "走访记录", "visits/_v2.html"),  # registering a key again replaces it
        ("contacts", "联系党员", "party/_contacts.html"),
    ]
    assert shown[1].context == {"contacts": ["党员甲"]} and seen == [("user", "household")]


def test_the_visits_app_adds_its_section():
    assert sections.SECTIONS["visits"].template == "visits/_household_visits.html"
