"""How the objects other systems may subscribe to are told (``core.events.describe``), and the catalogue of
their event types.

An event type is ``<subject>.<the step's action in the past tense>``: ``case.dispatched``,
``order.created``. The actions are the workflow machine's own (its transitions, its other steps, and the
deadline marks of a machine with clocks), so a step added to a workflow appears in the catalogue by itself
(:func:`catalogue`; docs/webhooks.md lists it and a test keeps the two equal). An action the table
:data:`PAST` does not know keeps its name (``wish.to_need``).

A payload is the object as a receiver may see it: references, states, places, units, times — never a
reporter's, wisher's or resident's name, phone or ID number, and no free text a resident wrote before staff
published it. Times are ISO 8601 with their offset; the state label is in the site's language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gridgov.cases.workflow import MACHINE as CASE_MACHINE
from gridgov.core.events import SUBJECTS, Subject, describe
from gridgov.core.workflow import STEP_LABELS, Machine
from gridgov.orders.workflow import MACHINE as ORDER_MACHINE
from gridgov.projects.workflow import PROJECT
from gridgov.wishes.workflow import MACHINE as WISH_MACHINE

# action → its past tense in event types; creation steps (report, submit, order, create …) are "created"
PAST: dict[str, str] = {
    "report": "created",
    "create": "created",
    "submit": "created",
    "order": "created",
    "record": "created",
    "request": "created",
    "propose": "created",
    "detect": "created",
    "accept": "accepted",
    "add_photos": "photos_added",
    "assign": "assigned",
    "attend": "attended",
    "cancel": "cancelled",
    "carry_out": "carried_out",
    "claim": "claimed",
    "close": "closed",
    "complete": "completed",
    "confirm": "confirmed",
    "decline": "declined",
    "deliver": "delivered",
    "dispatch": "dispatched",
    "edit": "edited",
    "end": "ended",
    "escalate": "escalated",
    "evaluate": "evaluated",
    "extend": "extended",
    "fail": "failed",
    "finish": "finished",
    "freeze": "frozen",
    "fulfil": "fulfilled",
    "merge": "merged",
    "recategorise": "recategorised",
    "milestone": "milestone_done",
    "milestone_add": "milestone_added",
    "open": "opened",
    "pass": "passed",
    "progress": "progress_updated",
    "publish": "published",
    "rate": "rated",
    "reject": "rejected",
    "release": "released",
    "remind": "reminded",
    "reopen": "reopened",
    "report_in": "reported_in",
    "resolve": "resolved",
    "return": "returned",
    "rework": "reworked",
    "revive": "revived",
    "signup": "signed_up",
    "start": "started",
    "verify": "verified",
    "warning": "warned",
    "whistle": "whistled",
    "withdraw": "withdrawn",
    "recompute": "recomputed",
}


@dataclass(frozen=True)
class Told:
    """A subject other systems may subscribe to: its model label, the name of its event types, its
    machine, what it is called, and the timeline actions it writes besides the machine's (with their
    labels; an action named here is labelled so even where the machine calls it otherwise)."""

    label: str
    name: str
    machine: Machine
    title: str | Promise
    extra: tuple[tuple[str, str | Promise], ...] = ()

    def actions(self) -> dict[str, str | Promise]:
        machine = self.machine
        labels: dict[str, str | Promise] = {}
        for t in machine.transitions:
            labels[t.action] = t.label
        labels.update(machine.steps)
        if machine.phases:  # the sweep marks a running clock's warning and overdue on the timeline
            labels.update(STEP_LABELS)
        labels.update(self.extra)
        return labels


@dataclass(frozen=True)
class EventType:
    type: str  # "case.dispatched"
    subject: str  # "case"
    subject_label: str | Promise
    action: str  # "dispatch"
    label: str | Promise  # 派遣


def event_type(name: str, action: str) -> str:
    return f"{name}.{PAST.get(action, action)}"


# ---------------------------------------------------------------- payloads


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def _area(area, code: str) -> dict:
    return {"code": code, "name": area.name if area is not None else ""}


def _unit(unit) -> dict | None:
    return {"id": unit.pk, "name": unit.name} if unit is not None else None


def tracking_url(ref: str) -> str:
    """The case's public tracking page (status, category, grid and timeline only)."""
    base = str(getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return base + reverse("cases:track", args=[ref])


def case_payload(case: models.Model) -> dict:
    category = case.category
    return {
        "ref": case.ref,
        "category": {"code": category.code, "name": category.name},
        "state": case.state,
        "state_label": str(case.get_state_display()),
        "level": case.level,
        "description": case.description,
        "address": case.address,
        "lng": case.lng,
        "lat": case.lat,
        "area": _area(case.area, case.area_code),
        "lead_unit": _unit(case.lead_unit),
        "sla": case.sla,
        "reported_at": _iso(case.reported_at),
        "resolution_due": _iso(case.resolution_due),
        "closed_at": _iso(case.closed_at),
        "tracking_url": tracking_url(case.ref),
    }


def case_units(case: models.Model) -> Iterable[int]:
    """The units a case concerns: every unit of its dispatches (lead, assist, candidates; every round) and
    of its whistle calls — the units that see it (decision 15)."""
    from gridgov.cases.models import Dispatch, WhistleCall

    ids = set(Dispatch.objects.filter(case_id=case.pk).values_list("unit_id", flat=True))
    ids |= set(WhistleCall.objects.filter(whistle__case_id=case.pk).values_list("unit_id", flat=True))
    if case.lead_unit_id:
        ids.add(case.lead_unit_id)
    return ids


def order_payload(order: models.Model) -> dict:
    item = order.item
    slot = order.slot
    return {
        "ref": order.ref,
        "item": {"id": item.pk, "name": item.name},
        "state": order.state,
        "state_label": str(order.get_state_display()),
        "area": _area(order.area, order.area_code),
        "provider_unit": _unit(order.provider_unit),
        "slot": (
            {"date": slot.date.isoformat(), "start": slot.start.isoformat(), "end": slot.end.isoformat()}
            if slot is not None
            else None
        ),
        "sla": order.sla,
        "created_at": _iso(order.created_at),
        "dispatched_at": _iso(order.dispatched_at),
        "accept_due": _iso(order.accept_due),
        "accepted_at": _iso(order.accepted_at),
        "deliver_due": _iso(order.deliver_due),
        "delivered_at": _iso(order.delivered_at),
        "rating": order.rating,
        "closed_at": _iso(order.closed_at),
    }


def wish_payload(wish: models.Model) -> dict:
    category = wish.category
    return {
        "ref": wish.ref,
        "title": wish.title,
        # what the wisher wrote is told once the community has published it on the wall, as the wall does
        "description": wish.description if wish.published_at else "",
        "category": {"code": category.code, "name": category.name} if category is not None else None,
        "state": wish.state,
        "state_label": str(wish.get_state_display()),
        "area": _area(wish.area, wish.area_code),
        "max_claimants": wish.max_claimants,
        "claimants_count": wish.claimants_count,
        "created_at": _iso(wish.created_at),
        "published_at": _iso(wish.published_at),
        "claim_due": _iso(wish.claim_due),
        "fulfil_due": _iso(wish.fulfil_due),
        "fulfilled_at": _iso(wish.fulfilled_at),
        "confirmed_at": _iso(wish.confirmed_at),
    }


def wish_units(wish: models.Model) -> Iterable[int]:
    """The units that claimed a place of the wish."""
    from gridgov.wishes.models import WishClaim

    return set(
        WishClaim.objects.filter(wish_id=wish.pk, unit__isnull=False).values_list("unit_id", flat=True)
    )


def project_payload(project: models.Model) -> dict:
    return {
        "id": project.pk,
        "title": project.title,
        "state": project.state,
        "state_label": str(project.get_state_display()),
        "area": _area(project.area, project.area_code),
        "owner_unit": _unit(project.owner_unit),
        "year": project.year,
        "progress": project.progress,
        "start_date": project.start_date.isoformat() if project.start_date else None,
        "end_date": project.end_date.isoformat() if project.end_date else None,
        "created_at": _iso(project.created_at),
        "started_at": _iso(project.started_at),
        "completed_at": _iso(project.completed_at),
        "closed_at": _iso(project.closed_at),
        "url": project.get_absolute_url(),
    }


# ---------------------------------------------------------------- the subjects

TOLD: tuple[Told, ...] = (
    Told(
        "cases.case",
        "case",
        CASE_MACHINE,
        _("事件"),
        # the intake writes "report" (the machine's "report" is a summoned unit's 报到, kept as "report_in")
        extra=(
            ("report", _("上报")),
            ("report_in", _("报到")),
            ("add_photos", _("补充照片")),
            ("report_missed", _("报到超时")),
        ),
    ),
    Told("orders.order", "order", ORDER_MACHINE, _("服务单")),
    Told("wishes.wish", "wish", WISH_MACHINE, _("微心愿")),
    Told("projects.project", "project", PROJECT, _("项目")),
)
BY_LABEL = {t.label: t for t in TOLD}
BY_NAME = {t.name: t for t in TOLD}


def register() -> None:
    """Declare the subjects (from ``HooksConfig.ready``)."""
    describe(
        "cases.case",
        Subject("case", case_payload, lambda c: c.area_code, case_units),
    )
    describe(
        "orders.order",
        Subject(
            "order",
            order_payload,
            lambda o: o.area_code,
            lambda o: [o.provider_unit_id] if o.provider_unit_id else [],
        ),
    )
    describe("wishes.wish", Subject("wish", wish_payload, lambda w: w.area_code, wish_units))
    describe(
        "projects.project",
        Subject(
            "project",
            project_payload,
            lambda p: p.area_code,
            lambda p: [p.owner_unit_id] if p.owner_unit_id else [],
        ),
    )


@cache
def catalogue() -> tuple[EventType, ...]:
    """Every event type a subscription may ask for, grouped by subject in the order of :data:`TOLD`."""
    out: list[EventType] = []
    for told in TOLD:
        seen: dict[str, str] = {}
        actions = sorted(told.actions().items(), key=lambda item: PAST.get(item[0]) != "created")
        for action, label in actions:
            kind = event_type(told.name, action)
            if kind in seen:
                raise ValueError(f"{kind} names both {seen[kind]!r} and {action!r}")
            seen[kind] = action
            out.append(EventType(kind, told.name, told.title, action, label))
    return tuple(out)


@cache
def type_names() -> frozenset[str]:
    return frozenset(e.type for e in catalogue())


def subject_of(label: str) -> Subject | None:
    return SUBJECTS.get(label) if label in BY_LABEL else None
