"""Reads of the assessment module: who keeps and who sees a scheme and a round, a pool's members, the
ranking (live for an open round, as kept for a frozen one), a member's scorecard and the rows behind a
number (drill-down). Every read checks who asks: out of scope is 404, as everywhere (decision 3)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import Role, Unit
from gridgov.areas.models import CODE_LENGTH, Area
from gridgov.assessment.formula import parse
from gridgov.assessment.models import (
    Evaluator,
    Exemption,
    Group,
    Indicator,
    Item,
    ItemKind,
    Mark,
    Pool,
    Round,
    RoundState,
    Scheme,
    Score,
    Visibility,
)
from gridgov.assessment.scoring import score_pool
from gridgov.core import elements
from gridgov.core.elements import Basis, Grouping
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.periods import Period
from gridgov.core.scope import command_staff_in_scope, in_scope, is_command_staff, is_staff, scope_q

POOL_LEVEL = {Pool.STREETS: "street", Pool.COMMUNITIES: "community", Pool.GRIDS: "grid"}
CASE = "cases.Case"


# ---------------------------------------------------------------- who


def manages(user, scheme: Scheme) -> bool:
    """Admins, and the command staff whose scope holds the scheme's area."""
    return command_staff_in_scope(user, scheme.area_code)


def may_manage_at(user, area_code: str) -> bool:
    return command_staff_in_scope(user, area_code)


def is_evaluator(user, scheme: Scheme) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return Evaluator.objects.filter(scheme=scheme, user_id=user.pk).exists()


def may_evaluate_at(user, area_code: str) -> bool:
    """Who may be named an evaluator of a scheme: an active evaluator (考核员) or command staff account
    whose scope holds the scheme's area."""
    return bool(
        user is not None
        and user.is_active
        and (user.role == Role.EVALUATOR or is_command_staff(user))
        and in_scope(user, area_code)
    )


def _member_side(user, scheme: Scheme) -> bool:
    """The user works for a member of the scheme's pool (an area inside it, or a ranked unit)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if scheme.pool == Pool.UNITS:
        return user.role == Role.UNIT and bool(user.unit_id) and unit_in_pool(user.unit, scheme)
    return is_staff(user) and bool(user.area_id) and user.area.code.startswith(scheme.area_code)


def unit_in_pool(unit: Unit, scheme: Scheme) -> bool:
    """A unit is ranked by a unit scheme when it serves inside the scheme's area and is of a kind it ranks."""
    return (
        unit.is_active
        and unit.area.code.startswith(scheme.area_code)
        and (not scheme.unit_kinds or unit.kind in scheme.unit_kinds)
    )


def own_key(user, scheme: Scheme, key: str) -> bool:
    """``key`` is the user's own member: a unit's handler for a ranked unit; for areas, staff whose scope
    holds the ranked area or who work inside it."""
    if scheme.pool == Pool.UNITS:
        return user.role == Role.UNIT and str(user.unit_id) == key
    if not is_staff(user):
        return False
    return in_scope(user, key) or (bool(user.area_id) and user.area.code.startswith(key))


def sees_whole_table(user, rnd: Round) -> bool:
    scheme = rnd.scheme
    if manages(user, scheme) or is_evaluator(user, scheme):
        return True
    return (
        rnd.state == RoundState.PUBLISHED
        and scheme.visibility == Visibility.ALL
        and _member_side(user, scheme)
    )


def round_visible(user, rnd: Round) -> bool:
    """Managers and evaluators see every round of their scheme; the ranked see it once published."""
    scheme = rnd.scheme
    if manages(user, scheme) or is_evaluator(user, scheme):
        return True
    return rnd.state == RoundState.PUBLISHED and _member_side(user, scheme)


# ---------------------------------------------------------------- lists


def schemes_visible(user) -> QuerySet[Scheme]:
    """The schemes ``user`` keeps or evaluates for."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Scheme.objects.none()
    if user.is_admin and user.is_active:
        return Scheme.objects.select_related("area").order_by("-is_active", "-created_at", "-id")
    kept = scope_q(user, "area_code") if is_command_staff(user) else Q(pk__in=[])
    return (
        Scheme.objects.filter(kept | Q(evaluators__user_id=user.pk))
        .distinct()
        .select_related("area")
        .order_by("-is_active", "-created_at", "-id")
    )


def scheme_get(user, scheme_id) -> Scheme:
    scheme = schemes_visible(user).filter(pk=scheme_id).first() if str(scheme_id).isdigit() else None
    if scheme is None:
        raise NotFound(_("考核方案 %(id)s 不存在或不在您的管辖范围内") % {"id": scheme_id}, field="scheme")
    return scheme


def rounds_published_for(user) -> list[Round]:
    """Published rounds in which ``user`` has a ranked row of their own (or may see the whole table)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    qs = Round.objects.filter(state=RoundState.PUBLISHED).select_related("scheme")

    def prefixes(code: str) -> list[str]:
        return [code[:n] for n in (6, 9, 12, 15, 18) if n <= len(code)]

    if user.role == Role.UNIT and user.unit_id:
        qs = qs.filter(scheme__pool=Pool.UNITS, scheme__area_code__in=prefixes(user.unit.area.code))
    elif is_staff(user) and user.area_id:
        qs = qs.filter(scheme__area_code__in=prefixes(user.area.code)).exclude(scheme__pool=Pool.UNITS)
    else:
        return []
    return [r for r in qs.order_by("-start", "-id")[:200] if round_visible(user, r)]


def round_get(user, round_id) -> Round:
    rnd = (
        Round.objects.select_related("scheme", "scheme__area").filter(pk=round_id).first()
        if str(round_id).isdigit()
        else None
    )
    if rnd is None or not round_visible(user, rnd):
        raise NotFound(_("考核期 %(id)s 不存在或不在您的管辖范围内") % {"id": round_id}, field="round")
    return rnd


def rounds_of(user, scheme: Scheme) -> list[Round]:
    return [
        r for r in scheme.rounds.select_related("scheme").order_by("-start", "-id") if round_visible(user, r)
    ]


def indicators_visible(user) -> QuerySet[Indicator]:
    if not is_staff(user) and getattr(user, "role", None) != Role.EVALUATOR:
        return Indicator.objects.none()
    return Indicator.objects.order_by("-is_active", "code")


# ---------------------------------------------------------------- the pool


def members(scheme: Scheme) -> list[tuple[str, str]]:
    """The pool ranked by ``scheme``: (key, name) in code order (units: by name)."""
    if scheme.pool == Pool.UNITS:
        units = Unit.objects.filter(is_active=True, area__code__startswith=scheme.area_code)
        if scheme.unit_kinds:
            units = units.filter(kind__in=scheme.unit_kinds)
        return [(str(pk), name) for pk, name in units.order_by("name").values_list("pk", "name")]
    level = POOL_LEVEL[scheme.pool]
    areas = Area.objects.filter(level=level, is_active=True, code__startswith=scheme.area_code)
    return list(areas.order_by("code").values_list("code", "name"))


def grouping_of(scheme: Scheme, keys: Iterable[str]) -> Grouping:
    if scheme.pool == Pool.UNITS:
        return Grouping.of_units(int(k) for k in keys)
    return Grouping.areas([scheme.area_code], CODE_LENGTH[POOL_LEVEL[scheme.pool]])


def _key(grouping: Grouping, key) -> str:
    return "" if key is None else str(key)


def definition_of(scheme: Scheme) -> dict:
    """The scheme as a round keeps it: version, pool, groups, items and their indicators' formulas."""
    groups = list(Group.objects.filter(scheme=scheme, is_active=True).order_by("sort", "id"))
    items = list(
        Item.objects.filter(scheme=scheme, is_active=True, group__is_active=True)
        .select_related("indicator")
        .order_by("group__sort", "group_id", "sort", "id")
    )
    out_items = []
    for item in items:
        row = {
            "id": item.pk,
            "group": item.group_id,
            "kind": item.kind,
            "name": item.name,
            "weight": str(item.weight),
            "normalisation": item.normalisation,
            "target": None if item.target is None else str(item.target),
            "guidance": item.guidance,
        }
        if item.kind == ItemKind.QUANTITATIVE:
            ind = item.indicator
            row["indicator"] = {
                "code": ind.code,
                "name": ind.name,
                "numerator": ind.numerator,
                "denominator": ind.denominator,
                "factor": str(ind.factor),
                "direction": ind.direction,
                "unit": ind.unit,
                "good": None if ind.good is None else str(ind.good),
                "poor": None if ind.poor is None else str(ind.poor),
            }
        out_items.append(row)
    return {
        "version": scheme.version,
        "scheme": scheme.pk,
        "name": scheme.name,
        "pool": scheme.pool,
        "area": scheme.area_code,
        "groups": [{"id": g.pk, "name": g.name, "weight": str(g.weight)} for g in groups],
        "items": out_items,
    }


def element_names(definition: dict) -> list[str]:
    names: list[str] = []
    for item in definition["items"]:
        if item["kind"] == ItemKind.QUANTITATIVE:
            for formula in (item["indicator"]["numerator"], item["indicator"]["denominator"]):
                if formula:
                    names.extend(parse(formula, known=lambda _n: True).names)
    return list(dict.fromkeys(names))


def standing_exemptions(scheme: Scheme) -> list[int]:
    return list(
        Exemption.objects.filter(revoked_at__isnull=True, area_code__startswith=scheme.area_code[:6])
        .order_by("case_id")
        .values_list("case_id", flat=True)
    )


def period_of(rnd: Round) -> Period:
    return Period.parse(rnd.period)


def compute(rnd: Round, *, now: datetime | None = None) -> tuple[dict, list[dict], dict, list[int]]:
    """The round's ranking computed from the data as it stands: (definition, ranked rows, inputs per key,
    exempted case ids). Counting is one grouped query per element source for the whole pool."""
    scheme = rnd.scheme
    now = now or timezone.now()
    definition = definition_of(scheme)
    pool = members(scheme)
    names = element_names(definition)
    exempted = standing_exemptions(scheme)
    grouping = grouping_of(scheme, [k for k, _n in pool])
    available = [
        n for n in names if elements.element(n) is not None and grouping.kind in elements.element(n).kinds
    ]
    counts = elements.count(
        available, grouping, period_of(rnd), Basis(now=now, excluded={CASE: frozenset(exempted)})
    )
    inputs: dict[str, dict] = {key: {"elements": {}, "marks": {}} for key, _n in pool}
    for name, per_key in counts.items():
        for key, value in per_key.items():
            key = _key(grouping, key)
            if key in inputs:
                inputs[key]["elements"][name] = str(value)
    for item_id, key, score in Mark.objects.filter(round=rnd).values_list("item_id", "key", "score"):
        if key in inputs:
            inputs[key]["marks"].setdefault(str(item_id), []).append(str(score))
    for key in inputs:
        for marks in inputs[key]["marks"].values():
            marks.sort(key=Decimal)
    return definition, score_pool(definition, pool, inputs), inputs, exempted


def kept_rows(rnd: Round) -> list[dict]:
    """A frozen round's rows as kept."""
    return [
        {**s.detail["result"], "key": s.key, "name": s.name, "rank": s.rank, "total": _str(s.total)}
        for s in Score.objects.filter(round=rnd).order_by("rank", "key")
    ]


def _str(value) -> str | None:
    return None if value is None else str(value)


def ranking(user, rnd: Round, *, now: datetime | None = None) -> dict:
    """The ranking ``user`` may see: every row (managers, evaluators, and the ranked when the scheme shows
    the whole table) or only the user's own rows; with the previous period's rank and total for the trend."""
    if rnd.state == RoundState.OPEN:
        definition, rows, _inputs, exempted = compute(rnd, now=now)
    else:
        definition, rows, exempted = rnd.definition, kept_rows(rnd), rnd.exempted
    whole = sees_whole_table(user, rnd)
    shown = rows if whole else [r for r in rows if own_key(user, rnd.scheme, r["key"])]
    previous = _previous(rnd)
    for row in shown:
        before = previous.get(row["key"])
        row["previous_rank"] = before[0] if before else None
        row["previous_total"] = before[1] if before else None
        row["change"] = (
            str(Decimal(row["total"]) - Decimal(before[1]))
            if before and row["total"] is not None and before[1] is not None
            else None
        )
    return {
        "round": rnd,
        "definition": definition,
        "rows": shown,
        "whole": whole,
        "members": len(rows),
        "exempted": len(exempted),
        "missing_marks": _missing_marks(rnd, definition, rows) if rnd.state == RoundState.OPEN else 0,
    }


def _previous(rnd: Round, keys: list[str] | None = None) -> dict[str, tuple[int | None, str | None]]:
    """The previous period's kept rank and total of each member (of ``keys`` only when given)."""
    before = Round.objects.filter(
        scheme_id=rnd.scheme_id,
        period=period_of(rnd).previous().key,
        state__in=[RoundState.FROZEN, RoundState.PUBLISHED],
    ).first()
    if before is None:
        return {}
    scores = before.scores.all() if keys is None else before.scores.filter(key__in=keys)
    return {key: (rank, _str(total)) for key, rank, total in scores.values_list("key", "rank", "total")}


def _missing_marks(rnd: Round, definition: dict, rows: list[dict]) -> int:
    """How many (qualitative item, member, evaluator) scores are still not given."""
    qualitative = [i["id"] for i in definition["items"] if i["kind"] == ItemKind.QUALITATIVE]
    evaluators = list(Evaluator.objects.filter(scheme_id=rnd.scheme_id).values_list("user_id", flat=True))
    given = Mark.objects.filter(
        round=rnd, item_id__in=qualitative, evaluator_id__in=evaluators, key__in=[r["key"] for r in rows]
    ).count()
    return max(0, len(qualitative) * len(rows) * len(evaluators) - given)


def scorecard(user, rnd: Round, key: str, *, now: datetime | None = None) -> dict:
    """One member's position and every figure behind it (404 unless the user may see that member). A frozen
    round reads the one kept row; an open one is computed for the whole pool (ranks and min–max scores
    depend on every member). Evaluators' comments are shown to whoever sees the row; who gave which
    score, to the scheme's keepers and evaluators only."""
    whole = sees_whole_table(user, rnd)
    if not (whole or own_key(user, rnd.scheme, key)):
        raise NotFound(_("参评对象 %(key)s 不在本期排名中或您无权查看") % {"key": key}, field="key")
    if rnd.state == RoundState.OPEN:
        table = ranking(user, rnd, now=now)
        row = next((r for r in table["rows"] if r["key"] == key), None)
    else:
        kept = Score.objects.filter(round=rnd, key=key).first()
        row = None
        if kept is not None:
            row = {**kept.detail["result"], "key": kept.key, "name": kept.name, "rank": kept.rank}
            row["total"] = _str(kept.total)
            before = _previous(rnd, keys=[key]).get(key)
            row["previous_rank"] = before[0] if before else None
            row["previous_total"] = before[1] if before else None
            row["change"] = (
                str(Decimal(row["total"]) - Decimal(before[1]))
                if before and row["total"] is not None and before[1] is not None
                else None
            )
        table = {
            "round": rnd,
            "definition": rnd.definition,
            "rows": [row] if row else [],
            "whole": whole,
            "members": Score.objects.filter(round=rnd).count(),
            "exempted": len(rnd.exempted),
            "missing_marks": 0,
        }
    if row is None:
        raise NotFound(_("参评对象 %(key)s 不在本期排名中或您无权查看") % {"key": key}, field="key")
    marks = list(
        Mark.objects.filter(round=rnd, key=key)
        .select_related("item", "evaluator")
        .order_by("item_id", "evaluator_id")
    )
    return {
        "table": table,
        "row": row,
        "definition": table["definition"],
        "marks": marks,
        "show_evaluators": manages(user, rnd.scheme) or is_evaluator(user, rnd.scheme),
    }


# ---------------------------------------------------------------- drill-down

PARTS = ("numerator", "denominator", "missing")


def drill(
    user, rnd: Round, key: str, item_id, *, part: str = "numerator", element: str | None = None
) -> dict:
    """The rows behind one figure of a member's scorecard: an element of the item's formulas (``element``),
    the numerator's or denominator's rows when that formula is one element, or ``missing`` — the rows of the
    denominator not in the numerator (the cases counted as late, the households not visited). Rows are read
    as they stand now, with the round's counting moment and exemptions; the exempted cases of the member are
    listed beside them."""
    card = scorecard(user, rnd, key)
    item = next((i for i in card["definition"]["items"] if str(i["id"]) == str(item_id)), None)
    if item is None or item["kind"] != ItemKind.QUANTITATIVE:
        raise NotFound(_("考核项 %(id)s 不存在或不是定量指标") % {"id": item_id}, field="item")
    indicator = item["indicator"]
    numerator = parse(indicator["numerator"], known=lambda _n: True)
    denominator = parse(indicator["denominator"], known=lambda _n: True) if indicator["denominator"] else None
    names = list(dict.fromkeys([*numerator.names, *(denominator.names if denominator else ())]))
    scheme = rnd.scheme
    grouping = grouping_of(scheme, [key])
    exempted = rnd.exempted if rnd.state != RoundState.OPEN else standing_exemptions(scheme)
    basis = Basis(now=rnd.counted_at or timezone.now(), excluded={CASE: frozenset(exempted)})
    period = period_of(rnd)
    group_key: str | int = int(key) if scheme.pool == Pool.UNITS else key

    def rows_of(name: str) -> QuerySet:
        if elements.element(name) is None:
            raise NotFound(_("数据项「%(name)s」已不存在") % {"name": name}, field="element")
        return elements.rows(name, grouping, group_key, period, basis)

    if element:
        if element not in names:
            raise DomainError("invalid", _("数据项「%(name)s」不属于该指标") % {"name": element}, "element")
        qs, shown = rows_of(element), element
    elif part not in PARTS:
        raise DomainError("invalid", _("只能查看：分子、分母或未达标的明细"), "part")
    elif part == "numerator" and numerator.single:
        qs, shown = rows_of(numerator.single), numerator.single
    elif part == "denominator" and denominator is not None and denominator.single:
        qs, shown = rows_of(denominator.single), denominator.single
    elif (
        part == "missing"
        and denominator is not None
        and numerator.single
        and denominator.single
        and rows_of(numerator.single).model is rows_of(denominator.single).model
    ):
        counted = rows_of(numerator.single).values("pk")
        qs, shown = rows_of(denominator.single).exclude(pk__in=counted), denominator.single
    else:
        raise DomainError(
            "not_listable",
            _("该公式由多个数据项组成，请分别查看各数据项的明细"),
            "part",
        )
    exempt_rows = []
    if exempted and elements.element(shown).model == CASE:
        exempt_rows = list(
            Exemption.objects.filter(case_id__in=exempted)
            .filter(
                case__reported_at__gte=period.begin,
                case__reported_at__lt=period.finish,
            )
            .filter(
                grouping.key_q(
                    "case__lead_unit_id" if scheme.pool == Pool.UNITS else "case__area_code", group_key
                )
            )
            .select_related("case", "decided_by")
            .order_by("decided_at")
        )
        if rnd.state != RoundState.OPEN:
            exempt_rows = [e for e in exempt_rows if e.case_id in set(exempted)]
    return {
        **card,
        "item": item,
        "element": shown,
        "element_label": elements.element(shown).label,
        "names": [(n, elements.element(n).label if elements.element(n) else n) for n in names],
        "part": None if element else part,
        "rows": qs,
        "exemptions": exempt_rows,
    }


# ---------------------------------------------------------------- the rest of the reads


def require_reader(user) -> None:
    """The catalogue of elements and indicators is for staff and evaluators."""
    if not (is_staff(user) or (getattr(user, "role", None) == Role.EVALUATOR and user.is_active)):
        raise DomainError("forbidden", _("只有工作人员和考核员可以查看考核指标"), status=403)


def scheme_detail(scheme: Scheme) -> dict:
    return {
        "groups": list(scheme.groups.filter(is_active=True).order_by("sort", "id")),
        "items": list(
            scheme.items.filter(is_active=True)
            .select_related("indicator", "group")
            .order_by("group__sort", "sort", "id")
        ),
        "evaluators": list(scheme.evaluators.select_related("user").order_by("user__username")),
    }


def rounds_for(user) -> list[Round]:
    """Every round ``user`` may see: those of the schemes they keep or evaluate, and the published ones
    that rank them."""
    kept = list(
        Round.objects.filter(scheme__in=schemes_visible(user))
        .select_related("scheme")
        .order_by("-start", "-id")[:200]
    )
    seen = {r.pk for r in kept}
    return kept + [r for r in rounds_published_for(user) if r.pk not in seen]


def marks_of(user, rnd: Round) -> QuerySet[Mark]:
    return Mark.objects.filter(round=rnd, evaluator_id=user.pk).order_by("item_id", "key")


def verify(user, rnd: Round) -> dict:
    """Recompute a frozen round from what it kept (the scheme's definition and every member's inputs) and
    compare with the kept results; an open round is compared with nothing and answers identical."""
    if rnd.state == RoundState.OPEN:
        return {"identical": True, "members": 0, "differences": []}
    if not sees_whole_table(user, rnd):
        raise DomainError("forbidden", _("只有方案管理人员和考核员可以核对整期排名"), status=403)
    kept = Score.objects.filter(round=rnd).order_by("key")
    members = [(s.key, s.name) for s in kept]
    inputs = {s.key: s.detail["inputs"] for s in kept}
    again = {r["key"]: r for r in score_pool(rnd.definition, members, inputs)}
    differences = []
    for s in kept:
        row = again[s.key]
        before = {**s.detail["result"], "rank": s.rank, "total": _str(s.total)}
        after = {k: row[k] for k in before}
        if before != after:
            differences.append({"key": s.key, "kept": before, "recomputed": after})
    return {"identical": not differences, "members": len(members), "differences": differences}


def exemptions_visible(user) -> QuerySet[Exemption]:
    if not is_staff(user):
        return Exemption.objects.none()
    return (
        Exemption.objects.filter(scope_q(user, "area_code"))
        .select_related("case", "decided_by", "revoked_by")
        .order_by("-decided_at", "-id")
    )


# ---------------------------------------------------------------- the pages' reads


def may_keep_catalogue(user) -> bool:
    """Who adds indicators to the catalogue: admins and district staff (as ``actions.indicator_create``)."""
    return is_staff(user) and (user.is_admin or user.role == Role.DISTRICT)


def may_exempt(user) -> bool:
    """Who decides exemptions somewhere in their scope: admins, street and district staff (as
    ``actions.exemption_create``; the action checks the case's area)."""
    return is_command_staff(user) and (user.is_admin or user.role in (Role.DISTRICT, Role.STREET))


def may_open_assessment(user) -> bool:
    """Who has an assessment page at all: staff, evaluators, and units' handlers (ranked in unit
    schemes); residents and volunteers have none."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return is_staff(user) or user.role == Role.EVALUATOR or (user.role == Role.UNIT and bool(user.unit_id))


def scheme_areas(user) -> QuerySet[Area]:
    """Where ``user`` may set up a scheme: the district and street areas their command scope holds."""
    if not is_command_staff(user):
        return Area.objects.none()
    return (
        Area.objects.filter(is_active=True, level__in=["district", "street"])
        .filter(scope_q(user, "code"))
        .order_by("code")
    )


def overview(user) -> dict:
    """The assessment home: the rounds ``user`` sees, the schemes they keep or evaluate, and where they
    may set up a new scheme."""
    schemes = list(schemes_visible(user)[:200])
    for scheme in schemes:
        scheme.kept = manages(user, scheme)
    return {"rounds": rounds_for(user), "schemes": schemes, "areas": list(scheme_areas(user))}


def catalogue(user) -> dict:
    """The indicator catalogue with the elements each formula reads, and every data element with its
    definition (staff and evaluators: 403 for anyone else)."""
    require_reader(user)
    rows = []
    for ind in indicators_visible(user):
        names: list[str] = []
        for formula in (ind.numerator, ind.denominator):
            if formula:
                names.extend(parse(formula, known=lambda _n: True).names)
        found = [(n, elements.element(n)) for n in dict.fromkeys(names)]
        rows.append({"indicator": ind, "elements": [(n, e.label if e else n) for n, e in found]})
    return {
        "indicators": rows,
        "elements": sorted(elements.elements(), key=lambda e: e.name),
        "keeps": may_keep_catalogue(user),
    }


def scheme_editor(user, scheme_id) -> dict:
    """A scheme with its groups, items, evaluators and rounds (404 unless ``user`` keeps or evaluates
    it); for its keepers, the active indicators to pick from and the current period's key."""
    scheme = scheme_get(user, scheme_id)
    keeps = manages(user, scheme)
    return {
        "scheme": scheme,
        **scheme_detail(scheme),
        "manages": keeps,
        "rounds": rounds_of(user, scheme),
        "indicators": list(Indicator.objects.filter(is_active=True).order_by("code")) if keeps else [],
        "current_period": Period.of(scheme.period_kind, timezone.localdate()).key,
    }


def marks_sheet(user, rnd: Round) -> dict:
    """The evaluator's scoring sheet of a round: one row per member and active qualitative item, with
    the evaluator's own score (404 for anyone who is not an evaluator of the scheme)."""
    if not is_evaluator(user, rnd.scheme):
        raise NotFound(_("只有该方案的考核员可以评分"), field="round")
    items = list(
        Item.objects.filter(scheme_id=rnd.scheme_id, kind=ItemKind.QUALITATIVE, is_active=True)
        .select_related("group")
        .order_by("group__sort", "sort", "id")
    )
    given = {(m.item_id, m.key): m for m in marks_of(user, rnd)}
    rows = [
        {"item": item, "key": key, "name": name, "mark": given.get((item.pk, key))}
        for key, name in members(rnd.scheme)
        for item in items
    ]
    return {"rows": rows, "items": items, "open": rnd.state == RoundState.OPEN}


def drill_page(
    user, rnd: Round, key: str, item_id, *, part: str = "numerator", element: str | None = None
) -> dict:
    """:func:`drill` with the figure the listed rows stand behind: the numerator, the denominator or
    their difference (``missing``) of the member's row, or the element's kept count (frozen rounds)."""
    found = drill(user, rnd, key, item_id, part=part, element=element)
    figures = found["row"]["items"].get(str(found["item"]["id"]), {})
    figure = None
    if element:
        if rnd.state != RoundState.OPEN:
            kept = Score.objects.filter(round=rnd, key=key).values_list("detail", flat=True).first() or {}
            figure = kept.get("inputs", {}).get("elements", {}).get(element, "0")
    elif part in ("numerator", "denominator"):
        figure = figures.get(part)
    elif figures.get("numerator") is not None and figures.get("denominator") is not None:
        figure = str(Decimal(figures["denominator"]) - Decimal(figures["numerator"]))
    return {**found, "figure": figure}
