"""Sections of the household page that other apps fill (the extension point of ``ledger/household.html``).

The ledger sits below the apps that know about households (visits, and later party members who look after
households), so it does not import them: each registers a :class:`HouseholdSection` from its
``AppConfig.ready`` and the page renders every registered section, in ``order``, with the context the
section's function returns for the signed-in user (scoped like any selector).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gridgov.ledger.models import Household


@dataclass(frozen=True)
class HouseholdSection:
    key: str
    title: Any  # a lazy translation: the section's heading
    template: str  # rendered with the page's context plus ``context(user, household)``
    context: Callable[[Any, Household], dict]
    order: int = 100


@dataclass(frozen=True)
class RenderedSection:
    key: str
    title: Any
    template: str
    context: dict


SECTIONS: dict[str, HouseholdSection] = {}


def register_household_section(section: HouseholdSection) -> None:
    """Add ``section`` to every household page; registering a key again replaces it."""
    SECTIONS[section.key] = section


def household_sections(user, household: Household) -> list[RenderedSection]:
    """The registered sections of ``household``'s page as ``user`` sees them, in order."""
    return [
        RenderedSection(s.key, s.title, s.template, s.context(user, household))
        for s in sorted(SECTIONS.values(), key=lambda s: (s.order, s.key))
    ]


# ---------------------------------------------------------------- who looks after a household

# Functions ``(user, household ids) -> {household id: label}`` naming each household's contact person (the
# party module's 包联 member or grid worker); lists such as the visit worklist show them.
CONTACT_SOURCES: list[Callable[[Any, list[int]], dict[int, str]]] = []


def register_contact_source(fn: Callable[[Any, list[int]], dict[int, str]]) -> None:
    if fn not in CONTACT_SOURCES:
        CONTACT_SOURCES.append(fn)


def household_contacts(user, household_ids: list[int]) -> dict[int, str]:
    """The contact of each household (those with one), as the registered sources name them."""
    out: dict[int, str] = {}
    for fn in CONTACT_SOURCES:
        out.update(fn(user, household_ids))
    return out
