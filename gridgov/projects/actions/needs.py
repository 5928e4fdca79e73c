"""The needs list: recording, editing, closing and reopening needs."""

from __future__ import annotations

from django.apps import apps as django_apps
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.models import User
from gridgov.core import audit, cleaners
from gridgov.core.cleaners import limit
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.scope import in_scope
from gridgov.core.timeline import step
from gridgov.projects.actions.shared import area_in_scope, plain, require_staff
from gridgov.projects.models import (
    Need,
)
from gridgov.projects.workflow import NEED
from gridgov.services.selectors import active_category

# The sources whose row is checked here (it must exist and be visible to the caller): source → (model
# label, message). The model is looked up by its label, not imported: the apps whose rows become needs
# (visits, orders, wishes) sit above projects and call need_record themselves. The other sources (orders,
# wishes, surveys) are checked by the app that calls.
CHECKED_SOURCES = {Need.Source.VISIT: ("visits.Visit", gettext_lazy("走访记录不存在或不在您的管辖范围内"))}


def _check_source(by, source: str, source_id: int | None) -> None:
    if source not in CHECKED_SOURCES:
        return
    label, message = CHECKED_SOURCES[source]
    rows = django_apps.get_model(label).objects.filter(pk=source_id)
    code = rows.values_list("area_code", flat=True).first()
    if code is None or not in_scope(by, code):
        raise NotFound(str(message), field="source_id")


def need_record_once(
    *,
    by: User,
    title: str,
    category: str,
    area: str,
    description: str = "",
    beneficiaries: int = 1,
    urgency: str = Need.Urgency.NORMAL,
    source: str = Need.Source.MANUAL,
    source_id: int | None = None,
    needed_by=None,
) -> tuple[Need, bool]:
    """:func:`need_record` that also says whether the need was created now (``False``: the source's need)."""
    require_staff(by, _("登记需求"))
    title = cleaners.text(title, "title", limit=limit(Need, "title"), required=True, label=_("需求"))
    description = cleaners.text(description, "description", limit=limit(Need, "description"), label=_("说明"))
    cleaners.choice(source, "source", Need.Source, label=_("来源"))
    cleaners.choice(urgency, "urgency", Need.Urgency, label=_("紧急程度"))
    if source == Need.Source.MANUAL:
        source_id = None
    elif source_id is None:
        raise DomainError("required", _("请注明来源记录"), "source_id")
    beneficiaries = cleaners.integer(
        beneficiaries, "beneficiaries", label=_("受益人数"), low=1, required=True
    )
    needed_by = cleaners.a_date(needed_by, "needed_by")
    cat = active_category(category)
    place = area_in_scope(by, area)
    if source_id is not None:
        _check_source(by, source, source_id)
        existing = Need.objects.filter(source=source, source_id=source_id).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            need = Need.objects.create(
                title=title,
                description=description,
                category=cat,
                area=place,
                area_code=place.code,
                beneficiaries=beneficiaries,
                urgency=urgency,
                source=source,
                source_id=source_id,
                needed_by=needed_by,
                created_by=by if getattr(by, "pk", None) else None,
                created_at=timezone.now(),
            )
            step(need, by, "record", "", data={"source": source, "source_id": source_id})
    except IntegrityError:
        existing = Need.objects.filter(source=source, source_id=source_id).first()
        if existing is None:
            raise
        return existing, False
    return need, True


def need_record(
    *,
    by: User,
    title: str,
    category: str,
    area: str,
    description: str = "",
    beneficiaries: int = 1,
    urgency: str = Need.Urgency.NORMAL,
    source: str = Need.Source.MANUAL,
    source_id: int | None = None,
    needed_by=None,
) -> Need:
    """Record a need. With a ``source``/``source_id`` (a visit, a wish, an order, a survey answer) the same source
    gives the same need: a retry, a double click or a colleague's simultaneous click make one row."""
    return need_record_once(
        by=by,
        title=title,
        category=category,
        area=area,
        description=description,
        beneficiaries=beneficiaries,
        urgency=urgency,
        source=source,
        source_id=source_id,
        needed_by=needed_by,
    )[0]


NEED_FIELDS = ("title", "description", "category", "area", "beneficiaries", "urgency", "needed_by")


def _lock_need(by, need: Need | None) -> Need:
    """Lock the need and check ``by`` may see it (404 on ``need`` otherwise)."""
    return NEED.lock(by, field="need", pk=getattr(need, "pk", None))


def need_update(*, by: User, need: Need, **changes) -> Need:
    """Edit a need (open or planned needs; staff in scope)."""
    if need is None or not NEED.visible(by, need):
        raise NEED.not_found(getattr(need, "pk", ""), "need")
    unknown = set(changes) - set(NEED_FIELDS)
    if unknown:
        raise DomainError(
            "invalid", _("不能修改：%(fields)s") % {"fields": ", ".join(sorted(unknown))}, sorted(unknown)[0]
        )
    data: dict = {}
    if "title" in changes:
        data["title"] = cleaners.text(
            changes["title"], "title", limit=limit(Need, "title"), required=True, label=_("需求")
        )
    if "description" in changes:
        data["description"] = cleaners.text(
            changes["description"], "description", limit=limit(Need, "description"), label=_("说明")
        )
    if "category" in changes:
        data["category"] = active_category(changes["category"])
    if "area" in changes:
        place = area_in_scope(by, changes["area"])
        data["area"], data["area_code"] = place, place.code
    if "beneficiaries" in changes:
        data["beneficiaries"] = cleaners.integer(
            changes["beneficiaries"], "beneficiaries", label=_("受益人数"), low=1, required=True
        )
    if "urgency" in changes:
        data["urgency"] = cleaners.choice(changes["urgency"], "urgency", Need.Urgency, label=_("紧急程度"))
    if "needed_by" in changes:
        data["needed_by"] = cleaners.a_date(changes["needed_by"], "needed_by")
    with transaction.atomic():
        locked = _lock_need(by, need)
        if locked.state not in (Need.State.OPEN, Need.State.PLANNED):
            raise NEED.conflict(
                locked,
                "wrong_state",
                _("需求当前状态为「%(state)s」，不能修改") % {"state": locked.get_state_display()},
            )
        before = {k: plain(getattr(locked, k)) for k in data}
        for name, value in data.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(data) or None)
        audit.record(
            actor=by,
            verb="need.update",
            obj=locked,
            before=before,
            after={k: plain(getattr(locked, k)) for k in data},
        )
    return locked


def need_close(*, by: User, need: Need, reason: str) -> Need:
    """Close a need (no longer needed, met some other way …), with a reason."""
    reason = cleaners.text(reason, "reason", limit=limit(Need, "close_reason"))
    with transaction.atomic():
        locked = _lock_need(by, need)
        with NEED.transition(locked, "close", by=by, reason=reason, fields=["close_reason"]):
            locked.close_reason = reason
    return locked


def need_reopen(*, by: User, need: Need) -> Need:
    """Reopen a closed need."""
    with transaction.atomic():
        locked = _lock_need(by, need)
        with NEED.transition(locked, "reopen", by=by, fields=[]):
            pass
    return locked


def needs_move(needs, *, by: User, action: str, note="") -> None:
    """The needs of a project follow it (project created → planned, project completed → met): a step of each need's machine that
    the project's action takes (no person takes it on the need itself)."""
    t = NEED.by_action[action]
    for need in needs:
        if need.state not in t.sources:
            continue
        with NEED.transition(need, action, by=by, note=note, fields=[], check=False):
            pass
