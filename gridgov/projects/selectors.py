"""Every read of the three lists, scoped through :mod:`gridgov.core.scope`, and the 双报到 compliance report.

Who sees what:

- needs: staff whose scope holds the need's area;
- resources: staff whose scope holds the resource's area *or* lies under it (a district-wide resource serves
  every community), a unit's handlers their unit's resources, a volunteer their own;
- projects: staff in scope; unit handlers the open projects in their unit's area and their unit's own;
  a party secretary their own; residents and volunteers every completed or closed project (to evaluate).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Avg, Count, Q, QuerySet
from django.utils.translation import gettext as _

from gridgov.accounts.models import Role, Unit
from gridgov.areas.models import Area, Level
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.scope import ALL, filter_in_scope, in_scope, is_staff, scope_prefixes, scope_q
from gridgov.projects.models import CoBuildingRule, Need, Project, ProjectEvaluation, Resource, UnitYearScore
from gridgov.projects.workflow import is_unit_handler

DEFAULT_REQUIRED = 1
DONE_STATES = (Project.State.COMPLETED, Project.State.CLOSED)
TAKEN_STATES = (Project.State.IN_PROGRESS, *DONE_STATES)


def _pk(value, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound(field=field) from None


# ---------------------------------------------------------------- needs


def needs_visible_to(user) -> QuerySet[Need]:
    qs = Need.objects.select_related("category", "area")
    if not is_staff(user):
        return qs.none()
    return filter_in_scope(qs, user, "area_code")


def need_is_visible(user, need: Need) -> bool:
    return needs_visible_to(user).filter(pk=need.pk).exists()


def need_get_visible(user, pk) -> Need:
    need = needs_visible_to(user).filter(pk=_pk(pk, "need")).first()
    if need is None:
        raise NotFound(_("需求不存在或不在您的管辖范围内"), field="need")
    return need


def need_list(
    user,
    *,
    category: str | None = None,
    area: str | None = None,
    urgency: str | None = None,
    state: str | None = None,
    source: str | None = None,
    q: str | None = None,
) -> QuerySet[Need]:
    qs = needs_visible_to(user)
    if category:
        qs = qs.filter(Q(category__code=category) | Q(category__parent__code=category))
    if area:
        qs = qs.filter(area_code__startswith=area)
    if urgency:
        qs = qs.filter(urgency=urgency)
    if state:
        qs = qs.filter(state=state)
    if source:
        qs = qs.filter(source=source)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(description__icontains=q))
    return qs


def need_of_source(user, source: str, source_id: int) -> Need | None:
    return needs_visible_to(user).filter(source=source, source_id=source_id).first()


# ---------------------------------------------------------------- resources


def _ancestors(prefixes: list[str]) -> set[str]:
    out: set[str] = set()
    for p in prefixes:
        for n in (6, 9, 12, 15):
            if n < len(p):
                out.add(p[:n])
    return out


def resources_visible_to(user) -> QuerySet[Resource]:
    qs = Resource.objects.select_related("category", "area", "owner_unit", "owner_user", "owner_org")
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if is_staff(user):
        prefixes = scope_prefixes(user)
        if prefixes is ALL:
            return qs
        return qs.filter(scope_q(user, "area_code") | Q(area_code__in=_ancestors(prefixes)))
    if is_unit_handler(user):
        return qs.filter(owner_unit_id=user.unit_id)
    if user.role == Role.VOLUNTEER:
        return qs.filter(owner_user=user)
    return qs.none()


def resource_get_visible(user, pk) -> Resource:
    res = resources_visible_to(user).filter(pk=_pk(pk, "resource")).first()
    if res is None:
        raise NotFound(_("资源不存在或不在您的管辖范围内"), field="resource")
    return res


def resource_list(
    user,
    *,
    category: str | None = None,
    kind: str | None = None,
    area: str | None = None,
    active: bool | None = None,
    q: str | None = None,
) -> QuerySet[Resource]:
    qs = resources_visible_to(user)
    if category:
        qs = qs.filter(Q(category__code=category) | Q(category__parent__code=category))
    if kind:
        qs = qs.filter(kind=kind)
    if area:
        qs = qs.filter(area_code__startswith=area)
    if active is not None:
        qs = qs.filter(is_active=active)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(description__icontains=q))
    return qs


# ---------------------------------------------------------------- projects


def projects_visible_to(user) -> QuerySet[Project]:
    qs = Project.objects.select_related("area", "owner_unit", "owner_user")
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if is_staff(user):
        return filter_in_scope(qs, user, "area_code")
    if is_unit_handler(user):
        return qs.filter(
            Q(owner_unit_id=user.unit_id) | (Q(state=Project.State.OPEN) & scope_q(user, "area_code"))
        )
    if user.role in (Role.RESIDENT, Role.VOLUNTEER):
        return qs.filter(Q(state__in=DONE_STATES) | Q(owner_user=user))
    return qs.filter(owner_user=user)


def project_is_visible(user, project: Project) -> bool:
    return projects_visible_to(user).filter(pk=project.pk).exists()


def project_get_visible(user, pk) -> Project:
    project = projects_visible_to(user).filter(pk=_pk(pk, "project")).first()
    if project is None:
        raise NotFound(_("项目不存在或不在您的管辖范围内"), field="project")
    return project


def project_get_claimable(user, pk) -> Project:
    """For a claim: a unit handler whose scope holds a published project finds it even when another unit
    has just taken it (so the claim answers 409, not 404); everyone else as ``project_get_visible``."""
    from gridgov.projects.workflow import is_unit_handler

    found = Project.objects.filter(pk=_pk(pk, "project")).exclude(state=Project.State.DRAFT).first()
    if found is not None and is_unit_handler(user) and in_scope(user, found.area_code):
        return found
    return project_get_visible(user, pk)


def project_list(
    user,
    *,
    state: str | None = None,
    area: str | None = None,
    year: int | None = None,
    secretary: bool | None = None,
    mine: bool = False,
    q: str | None = None,
) -> QuerySet[Project]:
    qs = projects_visible_to(user)
    if state:
        qs = qs.filter(state=state)
    if area:
        qs = qs.filter(area_code__startswith=area)
    if year:
        qs = qs.filter(year=year)
    if secretary is not None:
        qs = qs.filter(is_secretary_project=secretary)
    if mine:
        qs = qs.filter(Q(owner_user=user) | (Q(owner_unit_id=user.unit_id) if user.unit_id else Q(pk__in=[])))
    if q:
        qs = qs.filter(title__icontains=q)
    return qs


def evaluation_summary(project: Project) -> dict:
    agg = ProjectEvaluation.objects.filter(project=project).aggregate(avg=Avg("score"), n=Count("id"))
    return {"average": round(agg["avg"], 2) if agg["avg"] is not None else None, "count": agg["n"]}


# ---------------------------------------------------------------- 双报到 compliance


def required_projects(area: Area) -> int:
    """N for ``area``: the nearest rule on the way up (community → street); none → 1."""
    codes = [area.code[:n] for n in (12, 9) if n <= len(area.code)]
    rules = dict(
        CoBuildingRule.objects.filter(area__code__in=codes).values_list("area__code", "required_projects")
    )
    for code in codes:
        if code in rules:
            return rules[code]
    return DEFAULT_REQUIRED


@dataclass
class UnitCompliance:
    unit: Unit
    claimed: int
    completed: int
    required: int
    score: int | None = None
    projects: list[Project] = field(default_factory=list)

    @property
    def compliant(self) -> bool:
        return self.completed >= self.required

    @property
    def status(self) -> str:
        return _("达标") if self.compliant else _("未达标")


@dataclass
class ComplianceReport:
    area: Area
    year: int
    required: int
    rows: list[UnitCompliance]

    @property
    def below(self) -> list[UnitCompliance]:
        return [r for r in self.rows if not r.compliant]


def compliance_report(user, *, area: str | None = None, year: int | None = None, today: date | None = None):
    """双报到 compliance of ``area`` (a street or community) for ``year``: every co-building unit (kind
    partner) serving within the area, and every unit that owns a project there that year, with how many
    projects it claimed (认领 or was assigned: in progress, completed, closed) and completed, against N."""
    from django.utils import timezone

    if not is_staff(user):
        raise DomainError("forbidden", _("只有工作人员可以查看双报到情况"), status=403)
    if not area:
        from gridgov.areas.selectors import area_scope_roots

        root = area_scope_roots(user).order_by("code").first()
        if root is None:
            raise NotFound(field="area")
        area = root.code
    place = Area.objects.filter(code=area).first()
    if place is None or not in_scope(user, place.code):
        raise NotFound((_("区域 %(area)s 不存在或不在您的管辖范围内") % {"area": area}), field="area")
    if place.level not in (Level.DISTRICT, Level.STREET, Level.COMMUNITY):
        raise DomainError("invalid", _("请选择区、街道或社区"), "area")
    year = int(year or (today or timezone.localdate()).year)
    required = required_projects(place)
    projects = list(
        Project.objects.filter(
            area_code__startswith=place.code, year=year, state__in=TAKEN_STATES, owner_unit__isnull=False
        ).select_related("owner_unit")
    )
    by_unit: dict[int, list[Project]] = {}
    for p in projects:
        by_unit.setdefault(p.owner_unit_id, []).append(p)
    units = Unit.objects.filter(
        Q(kind=Unit.Kind.PARTNER, is_active=True, area__code__startswith=place.code) | Q(pk__in=list(by_unit))
    ).order_by("name")
    scores: dict[int, int] = {}
    if place.level == Level.COMMUNITY:
        scores = dict(UnitYearScore.objects.filter(area=place, year=year).values_list("unit_id", "score"))
    rows = []
    for unit in units:
        own = by_unit.get(unit.pk, [])
        rows.append(
            UnitCompliance(
                unit=unit,
                claimed=len(own),
                completed=sum(1 for p in own if p.state in DONE_STATES),
                required=required,
                score=scores.get(unit.pk),
                projects=own,
            )
        )
    return ComplianceReport(area=place, year=year, required=required, rows=rows)


def scores_visible_to(user, *, year: int | None = None) -> QuerySet[UnitYearScore]:
    qs = UnitYearScore.objects.select_related("unit", "area", "scored_by")
    if not is_staff(user):
        return qs.none()
    qs = filter_in_scope(qs, user, "area_code")
    return qs.filter(year=year) if year else qs
