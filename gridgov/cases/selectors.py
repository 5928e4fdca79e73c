"""Reads of cases, always scoped: staff see their area subtree, units what was dispatched or whistled to
them, residents what they reported."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Case as DbCase
from django.db.models import Exists, F, OuterRef, QuerySet, When
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from gridgov.accounts.models import AREA_ROLES, Role, Unit
from gridgov.cases.models import (
    OPEN_STATES,
    Case,
    CaseReporter,
    Category,
    Dispatch,
    RoutingRule,
    State,
    WhistleCall,
)
from gridgov.core.errors import NotFound
from gridgov.core.scope import is_staff, scope_q
from gridgov.core.text import cosine, phrases, profile, shared


def cases_visible_to(user) -> QuerySet[Case]:
    qs = Case.objects.all()
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    if user.is_admin or user.role in AREA_ROLES:
        return qs.filter(scope_q(user, "area_code"))
    if user.role == Role.UNIT and user.unit_id:
        return qs.filter(
            Exists(Dispatch.objects.filter(case=OuterRef("pk"), unit_id=user.unit_id))
            | Exists(WhistleCall.objects.filter(whistle__case=OuterRef("pk"), unit_id=user.unit_id))
        )
    return qs.filter(Exists(CaseReporter.objects.filter(case=OuterRef("pk"), user=user)))


def case_is_visible(user, case: Case) -> bool:
    return cases_visible_to(user).filter(pk=case.pk).exists()


def case_files_visible(user, case_id: int) -> bool:
    """Who may open a case's photos and evidence (registered with core.uploads): whoever sees the case."""
    return cases_visible_to(user).filter(pk=case_id).exists()


def case_get_visible(user, ref: str) -> Case:
    case = (
        cases_visible_to(user)
        .select_related("category", "area", "handling_area", "lead_unit", "merged_into")
        .prefetch_related("dispatches__unit", "whistles__calls__unit", "reporters")
        .filter(ref=ref)
        .first()
    )
    if case is None:
        raise NotFound((_("事件 %(ref)s 不存在或不在您的管辖范围内") % {"ref": ref}), field="ref")
    return case


def case_list(
    user,
    *,
    state: str | None = None,
    category: str | None = None,
    area: str | None = None,
    unit: int | None = None,
    overdue: bool | None = None,
    start=None,
    end=None,
) -> QuerySet[Case]:
    qs = cases_visible_to(user).select_related("category", "area", "lead_unit")
    if state:
        qs = qs.filter(state__in=state.split(","))
    if category:
        qs = qs.filter(category__code=category)
    if area:
        qs = qs.filter(area_code__startswith=area)
    if unit:
        qs = qs.filter(Exists(Dispatch.objects.filter(case=OuterRef("pk"), unit_id=unit)))
    if overdue is not None:
        qs = qs.filter(sla="overdue") if overdue else qs.exclude(sla="overdue")
    if start:
        qs = qs.filter(reported_at__date__gte=start)
    if end:
        qs = qs.filter(reported_at__date__lte=end)
    return qs


def worklist(
    user,
    *,
    state: str | None = None,
    category: str | None = None,
    overdue: bool = False,
    returned: bool = False,
) -> QuerySet[Case]:
    """Open cases in scope, the nearest running deadline first (the response limit until claimed, then the
    resolution limit; cases without one last, oldest report first). For a unit: its pending claims first.
    ``returned``: only cases a unit sent back, waiting to be dispatched again (被退回)."""
    qs = cases_visible_to(user).filter(state__in=OPEN_STATES).select_related("category", "area", "lead_unit")
    if state in OPEN_STATES:
        qs = qs.filter(state=state)
    if category:
        qs = qs.filter(category__code=category)
    if overdue:
        qs = qs.filter(sla="overdue")
    if returned:
        qs = qs.filter(state=State.ACCEPTED, return_count__gt=0)
    due = DbCase(
        When(state=State.DISPATCHED, then=F("response_due")),
        When(state__in=[State.CLAIMED, State.IN_PROGRESS], then=F("resolution_due")),
        default=None,
    )
    order = [F("due").asc(nulls_last=True), "reported_at"]
    if user.role == Role.UNIT and user.unit_id:
        pending = Dispatch.objects.filter(
            case=OuterRef("pk"), unit_id=user.unit_id, state=Dispatch.DState.PENDING
        )
        qs = qs.annotate(pending_claim=Exists(pending.exclude(role=Dispatch.Role.ASSIST)))
        order.insert(0, "-pending_claim")
    return qs.annotate(due=due).order_by(*order)


def case_dispatchers(case: Case) -> list:
    """Whoever must accept, verify and close ``case``: the staff of its command centre — for a grid-level
    case its grid and the grid's community, else the area it is handled at — with the backups of those
    away, as far as the case workflow lets them dispatch it (``is_dispatcher``)."""
    from gridgov.accounts.selectors import area_staff
    from gridgov.cases.workflow import is_dispatcher

    if case.level in ("grid", "microgrid") and len(case.area_code) >= 15:
        codes = [case.area_code[:15], case.area_code[:12]]
    else:
        codes = [case.handling_area.code]
    found, seen = [], set()
    for code in codes:
        for user in area_staff(code):
            if user.pk not in seen and is_dispatcher(user, case):
                seen.add(user.pk)
                found.append(user)
    return found


# What a resident knows of a case's state (我的上报): four groups instead of the internal states.
RESIDENT_GROUPS: dict[str, tuple[str, ...]] = {
    "waiting": (State.REPORTED,),  # 待受理
    "handling": (
        State.ACCEPTED,
        State.DISPATCHED,
        State.CLAIMED,
        State.IN_PROGRESS,
        State.RESOLVED,
        State.VERIFIED,
    ),  # 办理中
    "done": (State.CLOSED, State.MERGED),  # 已办结 (a merged report is followed on the case it joined)
    "declined": (State.REJECTED,),  # 未受理
}


def resident_reports(user, *, group: str = "") -> QuerySet[Case]:
    """A resident's own reports (我的上报), open and finished: open ones first, then the newest; ``group``
    narrows to one of :data:`RESIDENT_GROUPS`."""
    qs = cases_visible_to(user).select_related("category", "area")
    if group in RESIDENT_GROUPS:
        qs = qs.filter(state__in=RESIDENT_GROUPS[group])
    is_open = DbCase(When(state__in=OPEN_STATES, then=0), default=1)
    return qs.annotate(finished=is_open).order_by("finished", "-reported_at", "-pk")


def timeline(case: Case):
    return case.events.select_related("actor").order_by("at", "id")


def public_case(ref: str) -> Case:
    """For the public tracking page: any case by its reference (what is shown carries no personal data)."""
    case = (
        Case.objects.select_related("category", "area", "area__parent", "merged_into").filter(ref=ref).first()
    )
    if case is None:
        raise NotFound((_("没有编号为 %(ref)s 的事件") % {"ref": ref}), field="ref")
    return case


# the steps whose note the public tracking page (and Open311) shows: reasons given to the reporter
PUBLIC_NOTE_ACTIONS = {"reject", "resolve", "return", "rework", "reopen", "extend", "escalate"}

PUBLIC_ACTIONS = {
    "report",
    "accept",
    "reject",
    "merge",
    "dispatch",
    "claim",
    "return",
    "start",
    "resolve",
    "verify",
    "rework",
    "close",
    "rate",
    "reopen",
    "escalate",
    "whistle",
    "extend",
}


def public_timeline(case: Case):
    return case.events.filter(action__in=PUBLIC_ACTIONS).order_by("at", "id")


def categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).select_related("parent")


def category_groups() -> list[tuple[str | None, list[Category]]]:
    """The categories a resident can choose (those without active sub-categories), grouped under their
    top-level category in the configured order."""
    cats = list(categories())
    by_pk = {c.pk: c for c in cats}
    has_children = {c.parent_id for c in cats if c.parent_id}
    groups: dict[int, list[Category]] = defaultdict(list)
    for c in cats:
        if c.pk in has_children:
            continue
        root = c
        while root.parent_id in by_pk:
            root = by_pk[root.parent_id]
        groups[root.pk].append(c)
    result = []
    for c in cats:
        if c.pk in groups:
            leaves = groups[c.pk]
            result.append((None, leaves) if leaves == [c] else (c.name, leaves))
    return result


def _metres(lat1, lng1, lat2, lng2) -> float:
    r = 6371000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


MAX_DUPLICATES = 10
DUPLICATE_WORDS = 5
# Bigrams that say where or how urgent (or label contact details), not what is wrong: every report has
# some, so two reports sharing them are not alike (the place is compared by distance; two reports are not
# alike for both giving a phone number). They are left out of the profiles compared.
GENERIC_WORDS = frozenset((
    "小区", "区门", "门口", "附近", "楼下", "路口", "存在", "在安", "安全", "全隐", "隐患", "问题", "居民", "反映",
    "希望", "尽快", "处理", "解决", "严重", "影响", "经常", "多日", "夜间", "一直", "没有", "无人", "现在", "目前",
    "我们", "我家", "这里", "那里", "时间", "已经", "还是", "请求", "要求", "情况", "发现", "有人", "多天", "好几",
    "几天", "联系", "系人", "电话", "身份", "份证",
))  # fmt: skip


def case_text_profile(text: str, names=()) -> Counter:
    """The bigram profile reports are compared by: :func:`gridgov.core.text.profile` (personal data masked
    and dropped) without :data:`GENERIC_WORDS`."""
    return Counter({g: n for g, n in profile(text, names=names).items() if g not in GENERIC_WORDS})


@dataclass
class Duplicate:
    """A suggested merge and why (docs/assist.md "Text-aware duplicates"): how alike the words are (cosine
    of the character-bigram profiles, personal data masked first), the words both texts use, the distance
    and the time between the two reports."""

    case: Case
    similarity: float
    words: list[str]
    distance_m: float
    days: float
    same_category: bool

    @property
    def reason(self) -> str:
        facts = {
            "similarity": self.similarity,
            "words": pgettext("列举", "、").join(self.words),
            "distance": round(self.distance_m),
            "days": f"{self.days:.0f}" if self.days >= 1 else f"{self.days:.1f}",
        }
        if self.words and self.same_category:
            return _("同一分类，文字相似 %(similarity).2f（%(words)s），相距 %(distance)s 米，相隔 %(days)s 天") % facts  # fmt: skip
        if self.words:
            return _("文字相似 %(similarity).2f（%(words)s），相距 %(distance)s 米，相隔 %(days)s 天") % facts  # fmt: skip
        return _("同一分类，相距 %(distance)s 米，相隔 %(days)s 天") % facts


DUPLICATE_FIELDS = (
    "pk",
    "ref",
    "state",
    "reported_at",
    "description",
    "lat",
    "lng",
    "category_id",
    "reporter_name",
    "area_code",
    "merged_into_id",
)


def duplicate_suggestions(case: Case, user, radius_m: float = 100, days: int = 7) -> list[Duplicate]:
    """Open cases ``user`` can see that may report the same problem as ``case``, the likeliest first:

    * alike in words (similarity ≥ ``DUPLICATE_TEXT_MIN_SIMILARITY``), any category, within
      ``DUPLICATE_TEXT_RADIUS_M`` metres and ``DUPLICATE_TEXT_DAYS`` days; or
    * the rule before words were compared: the same category within ``radius_m`` metres and ``days`` days.

    One indexed query fetches the open cases in a lat/lng box and time window wide enough for both rules
    (any category, ``case_lat_lng_reported``), at most ``DUPLICATE_TEXT_MAX_CANDIDATES`` of them; the words
    are compared in Python on those. The words shown come from :func:`gridgov.core.text.profile`, which
    masks phone and ID numbers, e-mail addresses and names (both reporters' among them) and drops them."""
    if case.lat is None or case.lng is None or not getattr(user, "is_authenticated", False):
        return []
    text_radius = float(settings.DUPLICATE_TEXT_RADIUS_M)
    text_days = float(settings.DUPLICATE_TEXT_DAYS)
    min_similarity = float(settings.DUPLICATE_TEXT_MIN_SIMILARITY)
    reach_m = max(radius_m, text_radius)
    window = timedelta(days=max(days, text_days))
    dlat = reach_m / 111_000
    dlng = reach_m / (111_000 * max(math.cos(math.radians(case.lat)), 0.01))
    near = list(
        cases_visible_to(user)
        .filter(
            lat__range=(case.lat - dlat, case.lat + dlat),
            lng__range=(case.lng - dlng, case.lng + dlng),
            reported_at__gte=case.reported_at - window,
            reported_at__lte=case.reported_at + window,
            state__in=OPEN_STATES,
            merged_into__isnull=True,
        )
        .exclude(pk=case.pk)
        .only(*DUPLICATE_FIELDS)
        .order_by("-reported_at")[: settings.DUPLICATE_TEXT_MAX_CANDIDATES]
    )
    if not near:
        return []
    # Each text is masked with its own reporter's name and the other's, so a name written in both never
    # becomes a shared word (``mine`` with every candidate's reporter's name at once).
    mine_names = [case.reporter_name, *{c.reporter_name for c in near}]
    mine = case_text_profile(case.description, names=mine_names)
    found = []
    for other in near:
        distance = _metres(case.lat, case.lng, other.lat, other.lng)
        apart = abs((other.reported_at - case.reported_at).total_seconds()) / 86400
        same_category = other.category_id == case.category_id
        by_rule = same_category and distance <= radius_m and apart <= days
        if not by_rule and (distance > text_radius or apart > text_days):
            continue
        theirs = case_text_profile(other.description, names=(other.reporter_name, case.reporter_name))
        similarity = cosine(mine, theirs)
        alike = similarity >= min_similarity
        if not (alike or by_rule):
            continue
        words = (
            phrases(case.description, shared(mine, theirs, limit=50), names=mine_names, limit=DUPLICATE_WORDS)
            if alike
            else []
        )
        found.append(Duplicate(other, round(similarity, 2), words, distance, apart, same_category))
    found.sort(key=lambda d: (-bool(d.words), -d.similarity, d.distance_m, d.case.reported_at, d.case.pk))
    return found[:MAX_DUPLICATES]


def duplicate_candidates(case: Case, user, radius_m: float = 100, days: int = 7) -> list[Case]:
    """The cases of :func:`duplicate_suggestions` (suggested merges), each carrying its suggestion as
    ``case.duplicate`` and the sentence explaining it as ``case.duplicate_reason``."""
    out = []
    for suggestion in duplicate_suggestions(case, user, radius_m=radius_m, days=days):
        suggestion.case.duplicate = suggestion
        suggestion.case.duplicate_reason = suggestion.reason
        out.append(suggestion.case)
    return out


def propose_routing(case: Case) -> tuple[Unit | None, list[Unit]]:
    """The routing rule for the case's category (or its nearest ancestor) and the most specific area."""
    for cat in case.category.ancestors_and_self():
        rules = [
            r
            for r in RoutingRule.objects.filter(category=cat, is_active=True).select_related(
                "area", "lead_unit"
            )
            if case.area_code.startswith(r.area.code)
        ]
        if rules:
            rule = max(rules, key=lambda r: len(r.area.code))
            return rule.lead_unit, list(rule.assist_units.filter(is_active=True))
    return None, []


def units_for_dispatch(case: Case | None = None):
    """The units a case may be dispatched to (every active unit: departments serve the whole district)."""

    return Unit.objects.filter(is_active=True).select_related("area").order_by("kind", "name")


def dispatch_options(user, ref: str | None = None) -> dict:
    """For a dispatcher using the API: the units they may dispatch to and, for a case they can see, the
    routing rules' proposal (lead and assist units). Staff only; a case out of scope is 404."""
    from gridgov.core.errors import DomainError

    if not is_staff(user):
        raise DomainError("forbidden", _("只有工作人员可以查看派遣单位"), status=403)
    proposal = None
    if ref:
        case = case_get_visible(user, ref)
        lead, assists = propose_routing(case)
        proposal = {"case": case.ref, "lead": lead, "assists": assists}
    return {"units": list(units_for_dispatch()), "proposal": proposal}
