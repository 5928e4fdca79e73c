"""Every read of the visits app, scoped through :mod:`gridgov.core.scope`: the visits themselves, the
must-visit due dates and the worklist built from them, a worker's own plan progress, and coverage.

Definitions (docs/visits.md is the reference):

- A household is **subject to a rule** of its district when the household, or one of its *active* members,
  carries the rule's tag (a rule without a tag: every active household). It became subject on the earliest
  ``TagAssignment.since`` of that tag among them (every-household rule: the day the household was created).
- Under one rule the **due date** is ``max(last visit, since) + interval``. A household under several rules
  is due on the earliest of those dates; that rule is the reason shown. When the household has been visited
  since it became subject to each rule, this is the strictest (shortest) interval.
- A household is **overdue** on day *d* when its due date is before *d* (a visit on the due date is on time).

Everything is computed from a fixed number of queries (households, tags, last visits; for coverage the
visits of the window) and plain Python over their rows — never one query per household.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import Role
from gridgov.areas.models import Area
from gridgov.areas.selectors import area_get_visible, area_scope_roots
from gridgov.core import uploads
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.models import Upload
from gridgov.core.scope import filter_in_scope, is_staff, scope_q
from gridgov.ledger.models import Household, TagAssignment
from gridgov.visits.models import Visit, VisitPlan, VisitRule

MAX_PERIOD_DAYS = 366 * 3
# Plans of 7 days run Monday to Sunday; every period length counts from this Monday.
PLAN_EPOCH = date(2024, 1, 1)


# ---------------------------------------------------------------- visits


def visits_visible_to(user) -> QuerySet[Visit]:
    qs = Visit.objects.select_related("household__building", "recorded_by")
    if not is_staff(user):
        return qs.none()
    return filter_in_scope(qs, user, "area_code")


def _with_photo(qs: QuerySet[Visit]) -> QuerySet[Visit]:
    """``photo_id``: the visit's photo (an upload), or None."""
    return qs.annotate(photo_id=uploads.first_id(Visit, Upload.Role.PHOTO))


def visit_files_visible(user, visit_id: int) -> bool:
    """Who may open a visit's photo (registered with core.uploads): whoever may see the visit."""
    return visits_visible_to(user).filter(pk=visit_id).exists()


def visit_get_visible(user, pk) -> Visit:
    try:
        return _with_photo(visits_visible_to(user)).prefetch_related("visitors", "cases").get(pk=int(pk))
    except (TypeError, ValueError, Visit.DoesNotExist):
        raise NotFound(_("走访记录不存在或不在您的管辖范围内"), field="visit") from None


def _local_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    tz = timezone.get_default_timezone()
    begin = datetime.combine(start, time.min, tzinfo=tz) if start else None
    finish = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz) if end else None
    return begin, finish


def visit_list(
    user,
    *,
    area: str | None = None,
    household: int | None = None,
    kind: str | None = None,
    start: date | None = None,
    end: date | None = None,
    recorded_by: int | None = None,
) -> QuerySet[Visit]:
    qs = _with_photo(visits_visible_to(user)).prefetch_related("visitors", "cases")
    if area:
        qs = qs.filter(area_code__startswith=area)
    if household:
        qs = qs.filter(household_id=household)
    if kind:
        qs = qs.filter(kind=kind)
    begin, finish = _local_bounds(start, end)
    if begin:
        qs = qs.filter(visited_at__gte=begin)
    if finish:
        qs = qs.filter(visited_at__lt=finish)
    if recorded_by:
        qs = qs.filter(recorded_by_id=recorded_by)
    return qs


def visits_of_household(user, household: Household) -> QuerySet[Visit]:
    """The household's visit history, newest first (empty when the household is out of ``user``'s scope)."""
    return visit_list(user, household=household.pk)


def visitor_choices(user, household: Household):
    """Colleagues who may be named as visitors: active staff whose scope holds the household."""
    from gridgov.accounts.models import STAFF_ROLES, User

    prefixes = [household.area_code[:n] for n in (6, 9, 12, 15, 18) if n <= len(household.area_code)]
    return (
        User.objects.filter(is_active=True, role__in=STAFF_ROLES, area__code__in=prefixes)
        .exclude(pk=user.pk)
        .select_related("area")
        .order_by("-area__code", "display_name", "username")
    )


# ---------------------------------------------------------------- due dates


@dataclass
class Due:
    household_id: int
    area_code: str
    due: date
    rule: VisitRule
    last_visit: date | None
    since: date

    def days_overdue(self, today: date) -> int:
        return max(0, (today - self.due).days)

    def days_left(self, today: date) -> int:
        return (self.due - today).days


@dataclass
class Subject:
    """A household with the rules it is subject to: rule → since."""

    household_id: int
    area_code: str
    created: date
    rules: dict[int, tuple[VisitRule, date]] = field(default_factory=dict)


def active_rules(districts: set[str]) -> dict[str, list[VisitRule]]:
    rules: dict[str, list[VisitRule]] = defaultdict(list)
    qs = (
        VisitRule.objects.filter(is_active=True, district__code__in=districts)
        .filter(Q(tag__isnull=True) | Q(tag__is_active=True))
        .select_related("district", "tag")
    )
    for rule in qs:
        rules[rule.district.code].append(rule)
    return rules


def _tag_sinces(household_ids: QuerySet | list, tag_ids: set[int]) -> dict[int, dict[int, date]]:
    """household → tag → the earliest since of that tag on the household or an active member (2 queries)."""
    out: dict[int, dict[int, date]] = defaultdict(dict)
    if not tag_ids:
        return out
    on_household = TagAssignment.objects.filter(
        household_id__in=household_ids, tag_id__in=tag_ids
    ).values_list("household_id", "tag_id", "since")
    on_member = TagAssignment.objects.filter(
        resident__household_id__in=household_ids, resident__is_active=True, tag_id__in=tag_ids
    ).values_list("resident__household_id", "tag_id", "since")
    for rows in (on_household, on_member):
        for hh, tag, since in rows:
            known = out[hh].get(tag)
            if known is None or since < known:
                out[hh][tag] = since
    return out


def subjects(households: QuerySet[Household], *, tag_rules_only: bool = False) -> list[Subject]:
    """Each household of ``households`` (active ones) with the rules it falls under. Households under no
    rule are left out."""
    rows = list(households.filter(is_active=True).values_list("pk", "area_code", "created_at"))
    if not rows:
        return []
    rules = active_rules({code[:6] for _pk, code, _c in rows})
    tag_ids = {r.tag_id for rs in rules.values() for r in rs if r.tag_id}
    ids = households.filter(is_active=True).values("pk")
    sinces = _tag_sinces(ids, tag_ids)
    out = []
    for pk, code, created in rows:
        subject = Subject(pk, code, timezone.localdate(created))
        tags = sinces.get(pk, {})
        for rule in rules.get(code[:6], ()):
            if rule.tag_id is None:
                if not tag_rules_only:
                    subject.rules[rule.pk] = (rule, subject.created)
            elif rule.tag_id in tags:
                subject.rules[rule.pk] = (rule, tags[rule.tag_id])
        if subject.rules:
            out.append(subject)
    return out


def last_visits(household_ids) -> dict[int, date]:
    """household → date of its latest visit (one aggregate query)."""
    rows = (
        Visit.objects.filter(household_id__in=household_ids)
        .values("household_id")
        .annotate(last=Max("visited_at"))
        .values_list("household_id", "last")
    )
    return {hh: timezone.localdate(last) for hh, last in rows}


def due_of(subject: Subject, last: date | None) -> Due:
    best: Due | None = None
    for rule, since in subject.rules.values():
        anchor = max(last, since) if last else since
        due = anchor + timedelta(days=rule.interval_days)
        key = (due, rule.interval_days)
        if best is None or key < (best.due, best.rule.interval_days):
            best = Due(subject.household_id, subject.area_code, due, rule, last, since)
    assert best is not None
    return best


def due_dates(households: QuerySet[Household]) -> dict[int, Due]:
    """household → its due visit (households under no rule are absent)."""
    subs = subjects(households)
    lasts = last_visits(households.filter(is_active=True).values("pk"))
    return {s.household_id: due_of(s, lasts.get(s.household_id)) for s in subs}


# ---------------------------------------------------------------- worklist


@dataclass
class WorkItem:
    household: Household
    due: Due
    today: date

    @property
    def overdue(self) -> bool:
        return self.due.due < self.today

    @property
    def days_overdue(self) -> int:
        return self.due.days_overdue(self.today)

    @property
    def days_left(self) -> int:
        return self.due.days_left(self.today)

    @property
    def reason(self) -> str:
        rule = self.due.rule
        return rule.tag.name if rule.tag_id else _("全部住户")

    @property
    def must(self) -> bool:
        return self.due.rule.tag_id is not None


def worklist(user, *, days: int = 7, area: str | None = None, today: date | None = None) -> list[WorkItem]:
    """Households in ``user``'s scope (a grid worker: their grids) due for a visit within ``days`` days or
    overdue, the earliest due first (then the longest overdue, then the strictest rule)."""
    if not is_staff(user):
        return []
    if not 0 <= days <= 366:
        raise DomainError("invalid", _("天数应在 0 到 366 之间"), "days")
    today = today or timezone.localdate()
    households = filter_in_scope(Household.objects.all(), user, "area_code")
    if area:
        households = households.filter(area_code__startswith=area)
    dues = [d for d in due_dates(households).values() if d.due <= today + timedelta(days=days)]
    dues.sort(key=lambda d: (d.due, d.rule.interval_days, d.household_id))
    found = Household.objects.select_related("building", "head").in_bulk([d.household_id for d in dues])
    return [WorkItem(found[d.household_id], d, today) for d in dues if d.household_id in found]


# ---------------------------------------------------------------- plans


@dataclass
class PlanProgress:
    plan: VisitPlan
    start: date
    end: date
    visited: int

    @property
    def target(self) -> int:
        return self.plan.households

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.visited / self.target)) if self.target else 100

    @property
    def reached(self) -> bool:
        return self.visited >= self.target


def plan_for(area: Area | None) -> VisitPlan | None:
    """The plan of ``area`` or of its nearest ancestor that has one."""
    if area is None:
        return None
    prefixes = [area.code[:n] for n in (6, 9, 12, 15, 18) if n <= len(area.code)]
    plans = VisitPlan.objects.filter(area__code__in=prefixes).select_related("area")
    return max(plans, key=lambda p: len(p.area.code), default=None)


def plan_period(plan: VisitPlan, today: date) -> tuple[date, date]:
    """The current period: blocks of ``period_days`` counted from a Monday (so 7 days = Monday–Sunday)."""
    n = (today - PLAN_EPOCH).days // plan.period_days
    start = PLAN_EPOCH + timedelta(days=n * plan.period_days)
    return start, start + timedelta(days=plan.period_days - 1)


def plan_progress(user, *, today: date | None = None) -> PlanProgress | None:
    """The signed-in worker's own progress: distinct households they visited (as recorder or visitor) in
    the current period of their plan. Only ever computed for ``user`` themselves — there is no ranking."""
    if not is_staff(user) or user.area_id is None:
        return None
    plan = plan_for(user.area)
    if plan is None:
        return None
    today = today or timezone.localdate()
    start, end = plan_period(plan, today)
    begin, finish = _local_bounds(start, end)
    visited = (
        Visit.objects.filter(visited_at__gte=begin, visited_at__lt=finish)
        .filter(Q(recorded_by=user) | Q(visitors=user))
        .values("household_id")
        .distinct()
        .count()
    )
    return PlanProgress(plan, start, end, visited)


# ---------------------------------------------------------------- coverage


def on_time(since: date, interval: int, visits: list[date], start: date, end: date) -> bool:
    """Was a household under one rule (subject since ``since``, visited on ``visits``, sorted) never
    overdue on any day of [start, end]? Overdue on day d: the due date (latest visit before d, or since,
    plus interval) is before d."""
    first = max(start, since)
    if first > end:
        return True
    anchor = since
    for v in visits:
        if v < since:
            continue
        if v > end:
            break
        # Days after anchor + interval up to and including v (the visit came that day: late).
        overdue_from = anchor + timedelta(days=interval + 1)
        if overdue_from <= v and v >= first:
            return False
        anchor = max(anchor, v)
    return anchor + timedelta(days=interval + 1) > end


def _roots(user, area: str | None) -> Area:
    if area:
        try:
            return area_get_visible(user, area)
        except NotFound as exc:
            raise NotFound(exc.message, field="area") from None
    roots = sorted(area_scope_roots(user), key=lambda a: (len(a.code), a.code))
    if not roots:
        raise NotFound(_("您的账号没有管辖区域"), field="area")
    return roots[0]


def _check_period(start: date | None, end: date | None) -> None:
    if start is None:
        raise DomainError("required", _("请填写开始日期"), "start")
    if end is None:
        raise DomainError("required", _("请填写结束日期"), "end")
    if end < start:
        raise DomainError("invalid", _("结束日期不能早于开始日期"), "end")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise DomainError("period_too_long", _("统计期间最长 3 年"), "end")


def _figures(households: int, visited: int, must: int, must_on_time: int) -> dict:
    def rate(n: int, d: int) -> float | None:
        return round(n / d, 4) if d else None

    return {
        "households": households,
        "visited": visited,
        "coverage": rate(visited, households),
        "must_households": must,
        "must_on_time": must_on_time,
        "must_on_time_rate": rate(must_on_time, must),
    }


def coverage(
    user,
    *,
    area: str | None = None,
    start: date,
    end: date,
    group_by: str | None = None,
    today: date | None = None,
) -> dict:
    """Coverage of ``area`` (default: the top of the user's scope) for [start, end]: active households
    (created by the end of the period), those visited in the period, must-visit households (under a tag
    rule since the end of the period at the latest) and those never overdue during the period (days up to
    today only). ``group_by="child"`` splits by the next level of areas."""
    if not is_staff(user):
        raise DomainError("forbidden", _("只有工作人员可以查看走访覆盖率"), status=403)
    if group_by not in (None, "", "child"):
        raise DomainError("invalid", _("分组方式只能是：child"), "group_by")
    _check_period(start, end)
    root = _roots(user, area)
    today = today or timezone.localdate()
    begin, finish = _local_bounds(start, end)
    key_len = len(root.code) + 3 if group_by == "child" else len(root.code)

    households = Household.objects.filter(
        scope_q(user, "area_code"), area_code__startswith=root.code, is_active=True, created_at__lt=finish
    )
    # Plain coverage: two grouped aggregate queries.
    totals = dict(
        households.annotate(key=Substr("area_code", 1, key_len))
        .values("key")
        .annotate(n=Count("pk"))
        .values_list("key", "n")
    )
    visited = dict(
        households.filter(visits__visited_at__gte=begin, visits__visited_at__lt=finish)
        .annotate(key=Substr("area_code", 1, key_len))
        .values("key")
        .annotate(n=Count("pk", distinct=True))
        .values_list("key", "n")
    )
    # Must-visit on time: the subjects under tag rules, and their visits in the window that matters.
    last_day = min(end, today)
    subs = [
        s
        for s in subjects(households, tag_rules_only=True)
        if any(since <= last_day for _rule, since in s.rules.values())
    ]
    longest = max((r.interval_days for s in subs for r, _since in s.rules.values()), default=0)
    window_begin, _end = _local_bounds(start - timedelta(days=longest + 1), None)
    _begin, window_end = _local_bounds(None, last_day)
    visit_days: dict[int, list[date]] = defaultdict(list)
    if subs:
        rows = (
            Visit.objects.filter(
                household_id__in=households.values("pk"),
                visited_at__gte=window_begin,
                visited_at__lt=window_end,
            )
            .order_by("visited_at")
            .values_list("household_id", "visited_at")
        )
        for hh, at in rows:
            visit_days[hh].append(timezone.localdate(at))
    must: dict[str, int] = defaultdict(int)
    must_ok: dict[str, int] = defaultdict(int)
    for s in subs:
        key = s.area_code[:key_len]
        rules = [(r, since) for r, since in s.rules.values() if since <= last_day]
        must[key] += 1
        days = visit_days.get(s.household_id, [])
        if all(on_time(since, r.interval_days, days, start, last_day) for r, since in rules):
            must_ok[key] += 1

    keys = set(totals) | set(visited) | set(must)
    total = _figures(sum(totals.values()), sum(visited.values()), sum(must.values()), sum(must_ok.values()))
    groups = []
    if group_by == "child":
        names = dict(
            Area.objects.filter(Q(code__in=keys) | Q(parent=root, is_active=True)).values_list("code", "name")
        )
        for code in sorted(set(names) | keys):
            groups.append(
                {
                    "code": code,
                    "name": names.get(code, code),
                    **_figures(
                        totals.get(code, 0), visited.get(code, 0), must.get(code, 0), must_ok.get(code, 0)
                    ),
                }
            )
    return {
        "area": root.code,
        "area_name": root.name,
        "start": start,
        "end": end,
        "group_by": group_by or None,
        "totals": total,
        "groups": groups,
    }


# ---------------------------------------------------------------- rules


def rules_visible_to(user) -> QuerySet[VisitRule]:
    """Staff see the rules of the districts their scope lies in; admins every rule."""
    qs = VisitRule.objects.select_related("district", "tag").order_by("district__code", "interval_days", "pk")
    if not is_staff(user):
        return qs.none()
    if user.is_admin:
        return qs
    return qs.filter(district__code=user.area.code[:6]) if user.area_id else qs.none()


def rule_get_visible(user, pk) -> VisitRule:
    try:
        return rules_visible_to(user).get(pk=int(pk))
    except (TypeError, ValueError, VisitRule.DoesNotExist):
        raise NotFound(_("必访规则不存在或不在您的管辖范围内"), field="rule") from None


# ---------------------------------------------------------------- case category suggestion

# (words in the finding, category code) — the first that matches pre-selects the category; a choice only.
CATEGORY_HINTS = [
    (("物业", "电梯", "保洁", "门禁"), "property_service"),
    (("邻居", "邻里", "纠纷", "噪音", "吵"), "neighbour_dispute"),
    (("暖气", "供暖", "停水", "水压", "漏水", "水管"), "heating_water"),
    (("充电",), "charging"),
    (("路面", "道路", "井盖", "坑", "地砖"), "road_repair"),
    (("垃圾", "杂物", "卫生"), "city_appearance"),
    (("广告", "小广告"), "advertising"),
    (("施工",), "construction"),
    (("占道", "摆摊", "停车"), "street_order"),
]


def suggest_category(text: str, categories) -> str:
    """The code of the category a finding most likely belongs to among ``categories`` (leaf categories
    offered on the form): a known word, else a category name found in the text, else empty."""
    codes = {c.code for c in categories}
    for words, code in CATEGORY_HINTS:
        if code in codes and any(w in (text or "") for w in words):
            return code
    for c in categories:
        if c.name and c.name in (text or ""):
            return c.code
    return ""


def is_worker(user) -> bool:
    return user is not None and getattr(user, "role", None) in (Role.GRID_WORKER, Role.GRID_CHIEF)


def case_duplicates(
    user, visit: Visit, *, category_code: str = "", description: str | None = None, lng=None, lat=None
) -> list:
    """Open cases ``user`` can see that may already report what the visit found (the cases' text-aware
    ``duplicate_candidates``): compared as the case would be made now — the description, the category and
    the point chosen (by default the building's). Each carries ``duplicate_reason``."""
    from gridgov.cases import category_cache
    from gridgov.cases.models import Case
    from gridgov.cases.selectors import duplicate_candidates

    building = visit.household.building
    if lng is None or lat is None:
        lng, lat = building.lng, building.lat
    if lng is None or lat is None:
        return []
    category = category_cache.active_category(category_code) if category_code else None
    text = visit.problems if description is None else description
    draft = Case(
        description=text or "",
        lng=float(lng),
        lat=float(lat),
        category_id=category.pk if category else None,
        reported_at=timezone.now(),
        reporter_name="",
    )
    return duplicate_candidates(draft, user)
