"""Case KPIs (SPEC M5): response, resolution, satisfaction, on-time closure, closure, rework and extension
rates, plus plain counts, for an area subtree and a period, optionally grouped by child area, lead unit or
category. docs/kpi.md defines every figure; this module is the one place that computes them.

Everything is counted in the database in one statement: conditional aggregates (``COUNT(...) FILTER``)
over the cases of the period, grouped by the requested key, ``UNION ALL`` the missed whistle report-ins
grouped the same way. The cases are found through the scoped selector and narrowed by an area-code range
(the ``area_code, reported_at`` index) and the period. One more query fetches the names of the groups.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Case as SqlCase
from django.db.models import CharField, Count, F, Q, QuerySet, Value, When
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import AREA_ROLES, Role, Unit
from gridgov.areas.models import Area
from gridgov.areas.selectors import area_get_visible, area_scope_roots
from gridgov.cases.models import Category, Rating, Sla, State, WhistleCall
from gridgov.cases.selectors import cases_visible_to
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.scope import scope_q

GROUPINGS = ("child", "unit", "category")
MAX_YEARS = 3
# Rejected and merged cases are never part of a rate: only the reported / rejected / merged counts see them.
EXCLUDED_STATES = (State.REJECTED, State.MERGED)
RESOLVED_STATES = (State.RESOLVED, State.VERIFIED, State.CLOSED)

# The plain counts, in the order the API shows them.
PLAIN = ("reported", "accepted", "rejected", "merged", "closed", "overdue", "escalated", "whistle_missed")
# (rate, numerator count, denominator count)
RATES = (
    ("response_rate", "responded_on_time", "dispatched"),
    ("resolution_rate", "resolved", "accepted"),
    ("satisfaction_rate", "satisfied", "rated"),
    ("on_time_closure_rate", "closed_on_time", "due"),
    ("closure_rate", "closed", "accepted"),
    ("rework_rate", "reworked", "resolved_ever"),
    ("extension_rate", "extended", "dispatched"),
)


def case_conditions(cutoff: datetime) -> dict[str, Q | None]:
    """The condition each count puts on a case of the period (``None``: every case). ``cutoff`` is the
    moment up to which a resolution deadline counts as due: the end of the period, or now if earlier."""
    counted = ~Q(state__in=EXCLUDED_STATES)
    dispatched = Q(first_dispatched_at__isnull=False)
    resolved = Q(resolved_at__isnull=False) | Q(state__in=RESOLVED_STATES)
    closed = Q(state=State.CLOSED)
    return {
        "reported": None,
        "rejected": Q(state=State.REJECTED),
        "merged": Q(state=State.MERGED),
        "accepted": counted & Q(accepted_at__isnull=False),
        "dispatched": counted & dispatched,
        "responded_on_time": counted & dispatched & Q(first_claimed_at__lte=F("first_response_due")),
        "resolved": counted & resolved,
        "resolved_ever": counted & (resolved | Q(rework_count__gt=0) | Q(reopen_count__gt=0)),
        "rated": counted & ~Q(rating=""),
        "satisfied": counted & Q(rating__in=[Rating.SATISFIED, Rating.BASIC]),
        "due": counted & Q(resolution_due__isnull=False) & (Q(resolution_due__lt=cutoff) | closed),
        "closed_on_time": counted
        & closed
        & Q(resolved_at__isnull=False, resolved_at__lte=F("resolution_due")),
        "closed": counted & closed,
        "reworked": counted & Q(rework_count__gt=0),
        "extended": counted & Q(extension_count__gt=0),
        "overdue": counted & Q(sla=Sla.OVERDUE),
        "escalated": counted & Q(escalation_count__gt=0),
    }


# ---------------------------------------------------------------- input


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return date(day.year + years, 3, 1)


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in the platform's time zone (Asia/Shanghai)."""
    if start is None:
        raise DomainError("required", _("请填写开始日期"), "start")
    if end is None:
        raise DomainError("required", _("请填写结束日期"), "end")
    if end < start:
        raise DomainError("invalid", _("结束日期不能早于开始日期"), "end")
    if end >= _add_years(start, MAX_YEARS):
        raise DomainError(
            "period_too_long", (_("统计期间最长 %(max_years)s 年") % {"max_years": MAX_YEARS}), "end"
        )
    tz = timezone.get_default_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
    )


def _check_role(user) -> None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise DomainError("unauthenticated", _("需要登录或有效的访问令牌"), status=401)
    if user.is_admin or user.role in AREA_ROLES or (user.role == Role.UNIT and user.unit_id):
        return
    raise DomainError("forbidden", _("您的账号不能查看事件统计"), status=403)


def _roots(user, area: str | None) -> list[Area]:
    """The requested area (404 unless visible), or the top areas of the user's scope."""
    if area:
        try:
            return [area_get_visible(user, area)]
        except NotFound as exc:
            raise NotFound(exc.message, field="area") from None
    roots: list[Area] = []
    for node in sorted(area_scope_roots(user), key=lambda a: (len(a.code), a.code)):
        if not any(node.code.startswith(r.code) for r in roots):
            roots.append(node)
    if not roots:
        raise NotFound(_("您的账号没有管辖区域"), field="area")
    return sorted(roots, key=lambda a: a.code)


def _prefix_q(field: str, prefix: str) -> Q:
    """``field`` starts with ``prefix``. Area codes are digits, so this is the range [prefix, prefix + 1),
    which PostgreSQL walks on the (area_code, reported_at) index whatever the database collation (a LIKE
    uses that index only under the C collation)."""
    upper = str(int(prefix) + 1).zfill(len(prefix)) if prefix.isdigit() else ""
    if len(upper) != len(prefix):
        return Q(**{f"{field}__startswith": prefix})
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": upper})


def _child_key(field: str, roots: list[Area]):
    """The code of the next level under the root holding the case (the root's own code for a case located
    at the root itself)."""
    if len(roots) == 1:
        return Substr(field, 1, len(roots[0].code) + 3)
    return SqlCase(
        *[When(**{f"{field}__startswith": r.code}, then=Substr(field, 1, len(r.code) + 3)) for r in roots],
        output_field=CharField(),
    )


# ---------------------------------------------------------------- output


def _rate(numerator: int, denominator: int) -> dict:
    return {
        "numerator": numerator,
        "denominator": denominator,
        "rate": round(numerator / denominator, 4) if denominator else None,
    }


def kpi_block(counts: dict[str, int]) -> dict:
    """Plain counts plus every rate as {numerator, denominator, rate}."""
    block: dict = {name: counts[name] for name in PLAIN}
    for name, numerator, denominator in RATES:
        block[name] = _rate(counts[numerator], counts[denominator])
    return block


def _names(group_by: str, keys: list, roots: list[Area]) -> dict:
    """key → (public key, name, sort key), in one query."""
    if group_by == "child":
        rows = Area.objects.filter(
            Q(code__in=[k for k in keys if k]) | Q(parent_id__in=[r.pk for r in roots], is_active=True)
        )
        return {code: (code, name, (0, code)) for code, name in rows.values_list("code", "name")}
    ids = [k for k in keys if k is not None]
    if group_by == "unit":
        named = {
            pk: (pk, name, (0, name))
            for pk, name in Unit.objects.filter(pk__in=ids).values_list("pk", "name")
        }
        named[None] = (None, _("未指定主办单位"), (1, ""))
        return named
    rows = Category.objects.filter(pk__in=ids).values_list("pk", "code", "name", "sort")
    return {pk: (code, name, (sort, code)) for pk, code, name, sort in rows}


# ---------------------------------------------------------------- the computation


def case_kpis(
    user,
    *,
    area: str | None,
    start: date,
    end: date,
    group_by: str | None = None,
    category: str | None = None,
    now: datetime | None = None,
) -> dict:
    """KPIs of the cases reported in [start, end] (local dates) under ``area`` (default: the user's scope
    roots), optionally for one category and grouped by ``child`` area, lead ``unit`` or ``category``.

    Staff and admins see every case of their subtree; a unit handler sees the cases its unit leads (and
    its own missed report-ins); residents and volunteers are refused (403)."""
    _check_role(user)
    group_by = group_by or None
    if group_by is not None and group_by not in GROUPINGS:
        raise DomainError(
            "invalid", (_("分组方式只能是：%(groupings)s") % {"groupings": ", ".join(GROUPINGS)}), "group_by"
        )
    begin, finish = period_bounds(start, end)
    now = now or timezone.now()
    category_id = None
    if category:
        category_id = Category.objects.filter(code=category).values_list("pk", flat=True).first()
        if category_id is None:
            raise DomainError(
                "invalid_category", (_("事项分类「%(category)s」不存在") % {"category": category}), "category"
            )
    roots = _roots(user, area)

    def of_period(path: str = "") -> Q:
        q = Q(**{f"{path}reported_at__gte": begin, f"{path}reported_at__lt": finish})
        in_area = Q()
        for root in roots:
            in_area |= _prefix_q(f"{path}area_code", root.code)
        return q & in_area & (Q(**{f"{path}category_id": category_id}) if category_id is not None else Q())

    unit_only = user.role == Role.UNIT and not user.is_admin
    cases = cases_visible_to(user).filter(of_period(), historical=False)  # history import: not current work
    # Missed report-ins are few: they are counted from the calls side, checking each call's case (the same
    # period, area and category; rejected and merged cases left out). A report-in is missed after its case
    # was reported, so calls missed before the period (less a day's margin) are skipped unread.
    calls = WhistleCall.objects.filter(
        of_period("whistle__case__"),
        ~Q(whistle__case__state__in=EXCLUDED_STATES),
        missed_at__gte=begin - timedelta(days=1),
    )
    if unit_only:  # a unit handler: the cases its unit leads, and its own missed report-ins
        cases = cases.filter(lead_unit_id=user.unit_id)
        calls = calls.filter(unit_id=user.unit_id)
    else:
        calls = calls.filter(scope_q(user, "whistle__case__area_code"))
    rows = _aggregate(cases, calls, group_by, roots, min(finish, now))

    groups: dict = {}
    for row in rows:
        counts = groups.setdefault(row.pop("key"), dict.fromkeys(row, 0))
        for name, value in row.items():
            counts[name] += value or 0
    zero = dict.fromkeys([*case_conditions(now), "whistle_missed"], 0)
    totals = dict(zero)
    for counts in groups.values():
        for name, value in counts.items():
            totals[name] += value

    out_groups = []
    if group_by is not None:
        names = _names(group_by, list(groups), roots)
        if group_by == "child":  # every active child is listed, with zeros when it has no case
            for code in names:
                groups.setdefault(code, dict(zero))
        for key, counts in groups.items():
            public_key, name, sort = names.get(key, (key, str(key), (9, str(key))))
            out_groups.append((sort, {"key": public_key, "name": name, **kpi_block(counts)}))
        out_groups.sort(key=lambda pair: pair[0])
    return {
        "area": roots[0].code if len(roots) == 1 else None,
        "areas": [r.code for r in roots],
        "start": start,
        "end": end,
        "group_by": group_by,
        "category": category or None,
        "totals": kpi_block(totals),
        "groups": [group for _, group in out_groups],
    }


def _aggregate(
    cases: QuerySet, calls: QuerySet, group_by: str | None, roots: list[Area], cutoff: datetime
) -> list[dict]:
    """One statement: the case counts per key, UNION ALL the missed report-ins per key."""
    if group_by == "child":
        case_key, call_key = _child_key("area_code", roots), _child_key("whistle__case__area_code", roots)
    elif group_by == "unit":
        case_key, call_key = F("lead_unit_id"), F("unit_id")  # report-ins: the unit that missed
    elif group_by == "category":
        case_key, call_key = F("category_id"), F("whistle__case__category_id")
    else:
        case_key = call_key = Value("", output_field=CharField())
    conditions = case_conditions(cutoff)
    counts = {name: Count("pk", filter=q) if q is not None else Count("pk") for name, q in conditions.items()}
    by_case = cases.order_by().values(key=case_key).annotate(**counts, whistle_missed=Value(0))
    by_call = (
        calls.order_by()
        .values(key=call_key)
        .annotate(**{name: Value(0) for name in conditions}, whistle_missed=Count("pk"))
    )
    return list(by_case.union(by_call, all=True))
