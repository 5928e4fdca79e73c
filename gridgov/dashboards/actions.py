"""Writes of the command centre: the figures' refresh, the search for recurring problems, turning a
recurring problem into a project or a deliberation topic, and generating period reports. Everything the
sweep does runs as the system (``by=None``); a person's request is checked and audited."""

from __future__ import annotations

import logging
import time as clock
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from gridgov.accounts.selectors import area_staff
from gridgov.areas.models import Area
from gridgov.cases.kpis import EXCLUDED_STATES
from gridgov.cases.models import Case, Category
from gridgov.core import audit
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.periods import Period
from gridgov.core.scope import staff_in_scope
from gridgov.dashboards import figures, hotspots, reports
from gridgov.dashboards.models import FiguresMark, Hotspot, HotspotRule, Report
from gridgov.dashboards.selectors import require_viewer
from gridgov.dashboards.workflow import HOTSPOT
from gridgov.deliberation.actions import topic_propose
from gridgov.notify.actions import tell
from gridgov.notify.models import Kind
from gridgov.projects.actions import project_create

log = logging.getLogger(__name__)

REPORT_PERIOD = {Report.Kind.DAILY: "day", Report.Kind.WEEKLY: "week", Report.Kind.MONTHLY: "month"}


# ---------------------------------------------------------------- figures


def figures_refresh(*, by=None, since: date | None = None, now: datetime | None = None) -> dict:
    """Recompute the roll-up (``figures.refresh``): the system's sweep, or an admin from the command line."""
    if by is not None and not getattr(by, "is_admin", False):
        raise DomainError("forbidden", _("只有管理员可以重新计算统计"), status=403)
    return figures.refresh(now, since=since)


# ---------------------------------------------------------------- recurring problems


def _rules() -> tuple[HotspotRule | None, dict[int, HotspotRule]]:
    """The default rule (the documented defaults when no row says otherwise; an inactive default row turns
    detection off for categories without their own rule) and each category's own active rule."""
    default: HotspotRule | None = HotspotRule(category=None)
    own = {}
    for rule in HotspotRule.objects.all():
        if rule.category_id is None:
            default = rule if rule.is_active else None
        elif rule.is_active:
            own[rule.category_id] = rule
    return default, own


def _points(category_id: int, begin: datetime, end: datetime) -> list[hotspots.Point]:
    """The located cases of the category reported in (begin, end] (rejected and merged ones left out)."""
    rows = (
        Case.objects.filter(
            category_id=category_id,
            reported_at__gt=begin,
            reported_at__lte=end,
            lat__isnull=False,
            lng__isnull=False,
        )
        .exclude(state__in=EXCLUDED_STATES)
        .values_list("pk", "lat", "lng", "reported_at", "area_code")
    )
    return [hotspots.Point(pk, lat, lng, at, code) for pk, lat, lng, at, code in rows]


def hotspots_detect(*, now: datetime | None = None) -> dict:
    """Find the recurring problems of every category as of ``now`` and keep them: a cluster that shares a
    case with a kept problem (or lies within the radius of its centre) updates it, so its links survive; a
    kept problem no cluster matches any more is marked quiet."""
    now = now or timezone.now()
    default, own = _rules()
    leaf_ids = list(Category.objects.filter(children__isnull=True).values_list("pk", flat=True))
    found = updated = quiet = 0
    area_ids: dict[str, int] = {}
    with transaction.atomic():
        for category_id in leaf_ids:
            rule = own.get(category_id, default)
            kept = list(Hotspot.objects.select_for_update().filter(category_id=category_id).order_by("pk"))
            matched: set[int] = set()
            if rule is not None:
                window = timedelta(days=rule.window_days)
                groups = hotspots.clusters(
                    _points(category_id, now - window, now), rule.radius_m, rule.min_cases
                )
                before = hotspots.Near(
                    _points(category_id, now - 2 * window, now - window) if groups else [], rule.radius_m
                )
                by_case = {case_id: h for h in kept for case_id in h.case_ids}
                centres = hotspots.Near(kept, rule.radius_m)
                for group in groups:
                    previous = len(before.within(group.lat, group.lng, group.radius_m + rule.radius_m))
                    hotspot = _match(group, by_case, centres, matched, rule.radius_m)
                    values = {
                        "area_id": area_ids.get(group.area_code)
                        or area_ids.setdefault(group.area_code, _area_id(group.area_code)),
                        "area_code": group.area_code,
                        "lat": round(group.lat, 6),
                        "lng": round(group.lng, 6),
                        "radius_m": group.radius_m,
                        "first_at": group.first_at,
                        "last_at": group.last_at,
                        "count": len(group.points),
                        "previous_count": previous,
                        "case_ids": group.ids,
                        "updated_at": now,
                    }
                    if hotspot is None:
                        created = Hotspot.objects.create(category_id=category_id, detected_at=now, **values)
                        HOTSPOT.record(created, None, "detect", "", data={"count": created.count}, at=now)
                        found += 1
                        continue
                    matched.add(hotspot.pk)
                    if hotspot.state == Hotspot.State.QUIET:
                        hotspot_revive(hotspot, values, now=now)
                    else:
                        Hotspot.objects.filter(pk=hotspot.pk).update(**values)
                    updated += 1
            for hotspot in kept:
                if hotspot.pk not in matched and hotspot.state == Hotspot.State.ACTIVE:
                    hotspot_quiet(hotspot, now=now)
                    quiet += 1
    return {"found": found, "updated": updated, "quiet": quiet}


def hotspot_quiet(hotspot: Hotspot, *, now: datetime) -> None:
    """The system's step: no cluster matches the problem any more."""
    with HOTSPOT.transition(hotspot, "quiet", by=None, at=now, fields=["updated_at"]):
        hotspot.updated_at = now


def hotspot_revive(hotspot: Hotspot, values: dict, *, now: datetime) -> None:
    """The system's step: a quiet problem is found again (with its new figures)."""
    with HOTSPOT.transition(hotspot, "revive", by=None, at=now, fields=list(values)) as step:
        for name, value in values.items():
            setattr(hotspot, name, value)
        step.data = {"count": hotspot.count}


def _match(
    group: hotspots.Cluster, by_case: dict, centres: hotspots.Near, matched: set[int], radius_m: int
) -> Hotspot | None:
    """The kept problem this cluster is: one sharing a case with it, else one whose centre lies within the
    radius of its centre (the nearest), not yet matched by another cluster."""
    for case_id in group.ids:
        hotspot = by_case.get(case_id)
        if hotspot is not None and hotspot.pk not in matched:
            return hotspot
    candidates = [centres.items[i] for i in centres.within(group.lat, group.lng, radius_m)]
    candidates = [h for h in candidates if h.pk not in matched]
    if not candidates:
        return None
    return min(candidates, key=lambda h: (hotspots.distance_m(group.lat, group.lng, h.lat, h.lng), h.pk))


def _area_id(code: str) -> int:
    return Area.objects.filter(code=code).values_list("pk", flat=True).get()


def _describe(hotspot: Hotspot) -> str:
    refs = list(
        Case.objects.filter(pk__in=hotspot.case_ids).order_by("reported_at").values_list("ref", flat=True)
    )
    return _(
        "%(start)s 至 %(end)s，%(area)s附近（半径约 %(radius)s 米）共上报%(category)s类事件 %(count)s 件：%(refs)s"
    ) % {
        "start": f"{timezone.localtime(hotspot.first_at):%Y-%m-%d}",
        "end": f"{timezone.localtime(hotspot.last_at):%Y-%m-%d}",
        "area": hotspot.area.name,
        "radius": max(hotspot.radius_m, 1),
        "category": hotspot.category.name,
        "count": hotspot.count,
        "refs": pgettext("列举", "、").join(refs[:30]),
    }


def _community(hotspot: Hotspot, by) -> str:
    community = hotspot.area_code[:12]
    return community if len(community) == 12 and staff_in_scope(by, community) else hotspot.area_code


def _convert(by, pk, action: str, make) -> Hotspot:
    """Lock the problem (404 out of scope), check the step (409 when already turned, 403 for a grid
    worker), make the project or topic with ``make(hotspot)`` in the same transaction, and record it."""
    with transaction.atomic():
        found = HOTSPOT.lock(by, pk=pk, field="hotspot")
        with HOTSPOT.transition(
            found, action, by=by, fields=["project_id", "topic_ref", "converted_by", "converted_at"]
        ) as step:
            step.data = make(found)
            found.converted_by, found.converted_at = by, step.at
    return found


def hotspot_to_project(*, by, hotspot: int) -> Hotspot:
    """Turn a recurring problem into a draft project (立项治理) of its community, linked both ways."""

    def make(found: Hotspot) -> dict:
        title = _("%(category)s高发问题治理（%(area)s）") % {
            "category": found.category.name,
            "area": found.area.name,
        }
        project = project_create(
            by=by, title=title[:100], area=_community(found, by), description=_describe(found)
        )
        found.project_id = project.pk
        return {"project": project.pk}

    return _convert(by, hotspot, "to_project", make)


def hotspot_to_topic(*, by, hotspot: int) -> Hotspot:
    """Bring a recurring problem to deliberation (商量办): a topic of its community, naming its latest case."""

    def make(found: Hotspot) -> dict:
        latest = (
            Case.objects.filter(pk__in=found.case_ids)
            .order_by("-reported_at")
            .values_list("ref", flat=True)
            .first()
        )
        title = _("%(category)s问题反复发生，怎么解决？（%(area)s）") % {
            "category": found.category.name,
            "area": found.area.name,
        }
        topic = topic_propose(
            by=by, title=title[:100], description=_describe(found), area=_community(found, by), case=latest
        )
        found.topic_ref = topic.ref
        return {"topic": topic.ref}

    return _convert(by, hotspot, "to_topic", make)


# ---------------------------------------------------------------- reports


def _report_area(by, code: str) -> Area:
    area = Area.objects.filter(code=code, is_active=True).first()
    if by is None:
        if area is None:
            raise NotFound(_("区域 %(code)s 不存在或已撤销") % {"code": code}, field="area")
        return area
    if area is None or not staff_in_scope(by, area.code):
        raise NotFound(_("区域 %(code)s 不存在或不在您的管辖范围内") % {"code": code[:18]}, field="area")
    return area


def report_period(kind: str, key: str | None, today: date) -> Period:
    """The report's period: ``key`` (checked to be of the report's kind and over), else the last complete one."""
    if kind not in REPORT_PERIOD:
        raise DomainError("invalid", _("报告类型只能是日反馈、周例会简报或月研判报告"), "kind")
    period_kind = REPORT_PERIOD[kind]
    if not key:
        return Period.of(period_kind, today).previous()
    period = Period.parse(key)
    if period.kind != period_kind:
        raise DomainError("invalid_period", _("统计周期与报告类型不符"), "period")
    if period.start > today:
        raise DomainError("invalid_period", _("统计周期尚未开始"), "period")
    return period


REPORT_TITLE = gettext_lazy("%(area)s %(kind)s（%(period)s）已生成")


def report_generate(
    *, by, area: str, kind: str, period: str | None = None, now: datetime | None = None, notify: bool = True
) -> Report:
    """Generate a report of ``area`` for ``period`` and keep it (a later generation of the same period is a
    new version; the earlier ones stay); the area's staff are told in their inbox."""
    if by is not None:
        require_viewer(by)
    place = _report_area(by, area)
    now = now or timezone.now()
    per = report_period(kind, period, timezone.localdate(now))
    started = clock.monotonic()
    data = reports.compile_report(place, kind, per, now=now)
    seconds = round(clock.monotonic() - started, 3)
    with transaction.atomic():
        latest = (
            Report.objects.select_for_update()
            .filter(kind=kind, area_code=place.code, period_key=per.key)
            .order_by("-version")
            .first()
        )
        report = Report.objects.create(
            kind=kind,
            area=place,
            area_code=place.code,
            period_key=per.key,
            version=(latest.version + 1) if latest else 1,
            data=data,
            generated_at=now,
            generated_by=by,
            seconds=seconds,
        )
        audit.record(
            actor=by,
            verb="dashboards.report_generate",
            obj=report,
            after={"kind": kind, "period": per.key, "area": place.code},
        )
        if notify:
            tell(
                area_staff(place.code),
                Kind.REPORT,
                report,
                REPORT_TITLE,
                params={"area": place.name, "kind": Report.Kind(kind).label, "period": per.key},
            )
    return report


def _report_levels() -> list[str]:
    return [level for level in getattr(settings, "REPORT_LEVELS", ("district", "street")) if level]


def reports_due(*, now: datetime) -> int:
    """Generate the reports whose period ended and that no one generated yet: the daily feedback after the
    day, the weekly brief after the week (Monday), the monthly analysis after the month — for every area of
    the configured levels (``GRIDGOV_REPORT_LEVELS``)."""
    today = timezone.localdate(now)
    made = 0
    areas = list(Area.objects.filter(level__in=_report_levels(), is_active=True).order_by("code"))
    for kind, period_kind in REPORT_PERIOD.items():
        per = Period.of(period_kind, today).previous()
        have = set(
            Report.objects.filter(
                kind=kind, period_key=per.key, area_code__in=[a.code for a in areas]
            ).values_list("area_code", flat=True)
        )
        for area in areas:
            if area.code in have:
                continue
            try:
                report_generate(by=None, area=area.code, kind=kind, period=per.key, now=now)
                made += 1
            except Exception:  # one area's failure does not stop the others; retried at the next sweep
                log.exception("report %s %s %s failed", kind, area.code, per.key)
    return made


def _minutes_since(moment: datetime | None, now: datetime) -> float:
    return float("inf") if moment is None else (now - moment).total_seconds() / 60


def scheduled(*, now: datetime | None = None) -> dict:
    """The sweep's work: refresh the figures every ``GRIDGOV_FIGURES_MINUTES``, look for recurring problems
    every ``GRIDGOV_HOTSPOT_MINUTES``, then generate the reports that are due."""
    now = now or timezone.now()
    out: dict = {}
    mark = FiguresMark.objects.filter(key="cases").first()
    refreshed = mark.refreshed_at if mark else None
    if _minutes_since(refreshed, now) >= settings.FIGURES_MINUTES or (
        refreshed is not None and timezone.localdate(refreshed) != timezone.localdate(now)
    ):
        out["figures"] = figures_refresh(now=now)
    hotspot_mark = FiguresMark.objects.filter(key="hotspots").first()
    if _minutes_since(hotspot_mark.refreshed_at if hotspot_mark else None, now) >= settings.HOTSPOT_MINUTES:
        out["hotspots"] = hotspots_detect(now=now)
        FiguresMark.objects.update_or_create(key="hotspots", defaults={"refreshed_at": now})
    if settings.REPORTS_SCHEDULED:
        out["reports"] = reports_due(now=now)
    return out
