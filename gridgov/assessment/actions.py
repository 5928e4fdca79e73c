"""Every write of the assessment module: the indicator catalogue, schemes with their groups, items and
evaluators, rounds (open, qualitative marks, freeze, reopen, publish) and exemptions. Each checks who acts,
cleans its input with field-named refusals and writes in one transaction with its audit entry."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.models import Role, Unit, User
from gridgov.areas.models import Area
from gridgov.assessment import selectors
from gridgov.assessment.formula import parse
from gridgov.assessment.models import (
    Direction,
    Evaluator,
    Exemption,
    Group,
    Indicator,
    Item,
    ItemKind,
    Mark,
    Normalisation,
    Pool,
    Round,
    RoundState,
    Scheme,
    Score,
    Visibility,
)
from gridgov.assessment.workflow import ROUND
from gridgov.cases.models import Case
from gridgov.core import audit, cleaners, elements
from gridgov.core.cleaners import REASON_LIMIT, limit
from gridgov.core.errors import Conflict, DomainError, NotFound
from gridgov.core.periods import Period, PeriodKind
from gridgov.core.scope import command_staff_in_scope, in_scope
from gridgov.notify.actions import tell
from gridgov.notify.models import Kind

HUNDRED = Decimal(100)
MAX_WEIGHT = Decimal(1000)
POOLS_AT = {
    "district": (Pool.STREETS, Pool.COMMUNITIES, Pool.GRIDS, Pool.UNITS),
    "street": (Pool.COMMUNITIES, Pool.GRIDS, Pool.UNITS),
}


def _signed_in(by) -> None:
    if by is None or not getattr(by, "is_authenticated", False) or not by.is_active:
        raise DomainError("unauthorized", _("请先登录"), status=401)


def _require_catalogue_keeper(by: User) -> None:
    """The indicator catalogue is the district's: admins and district staff keep it."""
    _signed_in(by)
    if not selectors.may_keep_catalogue(by):
        raise DomainError("forbidden", _("只有区级工作人员可以维护考核指标"), status=403)


def _require_manager(by: User, scheme: Scheme) -> None:
    if not selectors.manages(by, scheme):
        raise DomainError("forbidden", _("只有方案所属区、街道的工作人员可以修改考核方案"), status=403)


def _bump(scheme: Scheme, by: User, verb: str, after: Mapping | None = None) -> None:
    """Every change of a scheme makes a new version; rounds frozen before keep the version they used."""
    scheme.version += 1
    scheme.updated_at = timezone.now()
    scheme.save(update_fields=["version", "updated_at"])
    audit.record(actor=by, verb=verb, obj=scheme, after={"version": scheme.version, **(after or {})})


# ---------------------------------------------------------------- indicators


def _formula(value, field: str, *, required: bool) -> str:
    text = cleaners.text(value, field, limit=limit(Indicator, field), required=required)
    if text:
        parse(text, field=field, known=lambda name: elements.element(name) is not None)
    return text


def _indicator_fields(data: Mapping, *, partial: bool) -> dict:
    out: dict = {}

    def given(name: str) -> bool:
        return not partial or name in data

    if given("name"):
        out["name"] = cleaners.text(data.get("name"), "name", limit=limit(Indicator, "name"), required=True)
    if given("description"):
        out["description"] = cleaners.text(
            data.get("description"), "description", limit=limit(Indicator, "description")
        )
    if given("numerator"):
        out["numerator"] = _formula(data.get("numerator"), "numerator", required=True)
    if given("denominator"):
        out["denominator"] = _formula(data.get("denominator"), "denominator", required=False)
    if given("factor"):
        factor = cleaners.decimal(
            data.get("factor"), "factor", low=Decimal("0.0001"), high=Decimal(1_000_000)
        )
        out["factor"] = factor if factor is not None else Decimal(1)
    if given("unit"):
        out["unit"] = cleaners.text(data.get("unit"), "unit", limit=limit(Indicator, "unit"))
    if given("direction"):
        out["direction"] = cleaners.choice(data.get("direction") or Direction.HIGHER, "direction", Direction)
    for name in ("good", "poor"):
        if given(name):
            out[name] = cleaners.decimal(
                data.get(name), name, low=Decimal(-1_000_000), high=Decimal(1_000_000)
            )
    if given("is_active") and data.get("is_active") is not None:
        out["is_active"] = bool(data.get("is_active"))
    return out


def _check_bands(ind: Indicator) -> None:
    if ind.good is None or ind.poor is None:
        return
    wrong = ind.good < ind.poor if ind.direction == Direction.HIGHER else ind.good > ind.poor
    if wrong:
        raise DomainError(
            "invalid",
            _("良好线应在预警线的好的一侧（越高越好时良好线不低于预警线，越低越好时相反）"),
            "good",
        )


def indicator_create(*, by: User, code: str, **data) -> Indicator:
    _require_catalogue_keeper(by)
    code = cleaners.text(code, "code", limit=limit(Indicator, "code"), required=True).lower()
    if not all(c.isascii() and (c.isalnum() or c in "_-") for c in code):
        raise DomainError("invalid", _("代码只能由字母、数字、下划线和短横线组成"), "code")
    fields = _indicator_fields(data, partial=False)
    ind = Indicator(code=code, created_by=by, **fields)
    _check_bands(ind)
    with transaction.atomic():
        if Indicator.objects.filter(code=code).exists():
            raise Conflict("duplicate", _("指标代码 %(code)s 已存在") % {"code": code}, "code")
        ind.save()
        audit.record(
            actor=by,
            verb="assessment.indicator_create",
            obj=ind,
            after={k: None if v is None else str(v) for k, v in (fields | {"code": code}).items()},
        )
    return ind


def indicator_update(*, by: User, code: str, **data) -> Indicator:
    """Change an indicator. Schemes read it afresh (a new version of each scheme using it); frozen rounds
    keep the formula they used."""
    _require_catalogue_keeper(by)
    fields = _indicator_fields(data, partial=True)
    with transaction.atomic():
        ind = Indicator.objects.select_for_update().filter(code=code).first()
        if ind is None:
            raise NotFound(_("指标 %(code)s 不存在") % {"code": code}, field="code")
        for name, value in fields.items():
            setattr(ind, name, value)
        _check_bands(ind)
        ind.save()
        for scheme in Scheme.objects.filter(items__indicator=ind, items__is_active=True).distinct():
            _bump(scheme, by, "assessment.scheme_indicator_changed", {"indicator": ind.code})
        audit.record(
            actor=by,
            verb="assessment.indicator_update",
            obj=ind,
            after={k: str(v) for k, v in fields.items()},
        )
    return ind


# ---------------------------------------------------------------- schemes


def _scheme_fields(data: Mapping, *, partial: bool) -> dict:
    out: dict = {}

    def given(name: str) -> bool:
        return not partial or name in data

    if given("name"):
        out["name"] = cleaners.text(data.get("name"), "name", limit=limit(Scheme, "name"), required=True)
    if given("description"):
        out["description"] = cleaners.text(
            data.get("description"), "description", limit=limit(Scheme, "description")
        )
    if given("period_kind"):
        out["period_kind"] = cleaners.choice(
            data.get("period_kind") or PeriodKind.MONTH, "period_kind", PeriodKind
        )
        if out["period_kind"] == PeriodKind.CUSTOM:
            raise DomainError("invalid", _("考核方案的周期不能是自定义期间"), "period_kind")
    if given("visibility"):
        out["visibility"] = cleaners.choice(
            data.get("visibility") or Visibility.OWN, "visibility", Visibility
        )
    if given("unit_kinds"):
        kinds = data.get("unit_kinds") or []
        if isinstance(kinds, str):
            kinds = [k for k in kinds.split(",") if k.strip()]
        out["unit_kinds"] = sorted({cleaners.choice(k, "unit_kinds", Unit.Kind) for k in kinds})
    if given("is_active") and data.get("is_active") is not None:
        out["is_active"] = bool(data.get("is_active"))
    if given("freeze_after_days"):
        out["freeze_after_days"] = cleaners.integer(
            data.get("freeze_after_days"), "freeze_after_days", low=0, high=60
        )
    return out


def scheme_create(*, by: User, area: str, pool: str, **data) -> Scheme:
    _signed_in(by)
    node = Area.objects.filter(code=(area or "").strip(), is_active=True).first()
    if node is None or not in_scope(by, node.code):
        raise NotFound(_("区域 %(code)s 不存在或不在您的管辖范围内") % {"code": area}, field="area")
    if not command_staff_in_scope(by, node.code):
        raise DomainError("forbidden", _("只有本区、街道的工作人员可以制定考核方案"), status=403)
    if node.level not in POOLS_AT:
        raise DomainError("invalid", _("考核方案只能由区或街道制定"), "area")
    pool = cleaners.choice(pool, "pool", Pool)
    if pool not in POOLS_AT[node.level]:
        raise DomainError("invalid", _("街道的方案不能对街镇排名"), "pool")
    fields = _scheme_fields(data, partial=False)
    now = timezone.now()
    with transaction.atomic():
        scheme = Scheme.objects.create(
            area=node, area_code=node.code, pool=pool, created_by=by, created_at=now, updated_at=now, **fields
        )
        audit.record(
            actor=by,
            verb="assessment.scheme_create",
            obj=scheme,
            after={**fields, "pool": pool, "area": node.code},
        )
    return scheme


def _lock_scheme(by: User, scheme_id) -> Scheme:
    scheme = selectors.scheme_get(by, scheme_id)
    _require_manager(by, scheme)
    return Scheme.objects.select_for_update().get(pk=scheme.pk)


def scheme_update(*, by: User, scheme: int, **data) -> Scheme:
    fields = _scheme_fields(data, partial=True)
    with transaction.atomic():
        row = _lock_scheme(by, scheme)
        for name, value in fields.items():
            setattr(row, name, value)
        row.save()
        _bump(row, by, "assessment.scheme_update", {k: str(v) for k, v in fields.items()})
    return row


def _weight(value, field: str = "weight") -> Decimal:
    return cleaners.decimal(value, field, low=Decimal(0), high=MAX_WEIGHT, required=True)


def group_add(*, by: User, scheme: int, name: str, weight, sort: int | None = None) -> Group:
    name = cleaners.text(name, "name", limit=limit(Group, "name"), required=True)
    weight = _weight(weight)
    with transaction.atomic():
        row = _lock_scheme(by, scheme)
        if row.groups.filter(name=name, is_active=True).exists():
            raise Conflict("duplicate", _("分组「%(name)s」已存在") % {"name": name}, "name")
        group = Group.objects.create(
            scheme=row, name=name, weight=weight, sort=sort if sort is not None else row.groups.count()
        )
        _bump(row, by, "assessment.group_add", {"group": name, "weight": str(weight)})
    return group


def _group_of(row: Scheme, group_id, field: str = "group") -> Group:
    group = row.groups.filter(pk=cleaners.integer(group_id, field, required=True), is_active=True).first()
    if group is None:
        raise NotFound(_("分组 %(id)s 不在该方案中") % {"id": group_id}, field=field)
    return group


def group_update(*, by: User, scheme: int, group: int, name: str | None = None, weight=None) -> Group:
    with transaction.atomic():
        row = _lock_scheme(by, scheme)
        found = _group_of(row, group)
        if name is not None:
            found.name = cleaners.text(name, "name", limit=limit(Group, "name"), required=True)
        if weight is not None:
            found.weight = _weight(weight)
        found.save()
        _bump(row, by, "assessment.group_update", {"group": found.name, "weight": str(found.weight)})
    return found


def group_remove(*, by: User, scheme: int, group: int) -> None:
    with transaction.atomic():
        row = _lock_scheme(by, scheme)
        found = _group_of(row, group)
        if found.items.filter(is_active=True).exists():
            raise Conflict("not_empty", _("请先移除该分组下的考核项"), "group")
        found.is_active = False
        found.save(update_fields=["is_active"])
        _bump(row, by, "assessment.group_remove", {"group": found.name})


def _item_fields(row: Scheme, data: Mapping, *, partial: bool, kind: str) -> dict:
    out: dict = {}

    def given(name: str) -> bool:
        return not partial or name in data

    if given("group"):
        out["group"] = _group_of(row, data.get("group"))
    if given("weight"):
        out["weight"] = _weight(data.get("weight"))
    if given("guidance"):
        out["guidance"] = cleaners.text(data.get("guidance"), "guidance", limit=limit(Item, "guidance"))
    if kind == ItemKind.QUALITATIVE:
        if given("name"):
            out["name"] = cleaners.text(data.get("name"), "name", limit=limit(Item, "name"), required=True)
        return out
    if given("indicator"):
        code = cleaners.text(
            data.get("indicator"), "indicator", limit=limit(Indicator, "code"), required=True
        )
        indicator = Indicator.objects.filter(code=code, is_active=True).first()
        if indicator is None:
            raise NotFound(_("指标 %(code)s 不存在或已停用") % {"code": code}, field="indicator")
        out["indicator"] = indicator
        name = cleaners.text(data.get("name"), "name", limit=limit(Item, "name"))
        out["name"] = name or indicator.name
    if given("normalisation"):
        out["normalisation"] = cleaners.choice(
            data.get("normalisation") or Normalisation.TARGET, "normalisation", Normalisation
        )
    if given("target"):
        out["target"] = cleaners.decimal(
            data.get("target"), "target", low=Decimal(0), high=Decimal(1_000_000)
        )
    return out


def _check_item(item: Item, row: Scheme) -> None:
    if item.kind == ItemKind.QUANTITATIVE:
        if item.normalisation == Normalisation.TARGET and item.target is None:
            raise DomainError("required", _("对标目标值计分须填写目标值"), "target")
        kind = "unit" if row.pool == Pool.UNITS else "area"
        names = [
            *parse(item.indicator.numerator, known=lambda _n: True).names,
            *(
                parse(item.indicator.denominator, known=lambda _n: True).names
                if item.indicator.denominator
                else ()
            ),
        ]
        unfit = [n for n in names if elements.element(n) is None or kind not in elements.element(n).kinds]
        if unfit:
            raise DomainError(
                "invalid",
                _("指标用到的数据项不能按本方案的参评对象统计：%(names)s") % {"names": "、".join(unfit)},
                "indicator",
            )


def item_add(*, by: User, scheme: int, kind: str, **data) -> Item:
    kind = cleaners.choice(kind, "kind", ItemKind)
    with transaction.atomic():
        row = _lock_scheme(by, scheme)
        fields = _item_fields(row, data, partial=False, kind=kind)
        item = Item(scheme=row, kind=kind, sort=row.items.count(), **fields)
        _check_item(item, row)
        item.save()
        _bump(row, by, "assessment.item_add", {"item": item.name, "weight": str(item.weight)})
    return item


def item_update(*, by: User, scheme: int, item: int, **data) -> Item:
    with transaction.atomic():
        row = _lock_scheme(by, scheme)
        found = row.items.filter(pk=cleaners.integer(item, "item", required=True), is_active=True).first()
        if found is None:
            raise NotFound(_("考核项 %(id)s 不在该方案中") % {"id": item}, field="item")
        for name, value in _item_fields(row, data, partial=True, kind=found.kind).items():
            setattr(found, name, value)
        _check_item(found, row)
        found.save()
        _bump(row, by, "assessment.item_update", {"item": found.name, "weight": str(found.weight)})
    return found


def item_remove(*, by: User, scheme: int, item: int) -> None:
    """Take an item out of the scheme (kept for the rounds that used it)."""
    with transaction.atomic():
        row = _lock_scheme(by, scheme)
        found = row.items.filter(pk=cleaners.integer(item, "item", required=True), is_active=True).first()
        if found is None:
            raise NotFound(_("考核项 %(id)s 不在该方案中") % {"id": item}, field="item")
        found.is_active = False
        found.save(update_fields=["is_active"])
        _bump(row, by, "assessment.item_remove", {"item": found.name})


def evaluator_add(*, by: User, scheme: int, username: str) -> Evaluator:
    username = cleaners.text(username, "username", limit=150, required=True)
    with transaction.atomic():
        row = _lock_scheme(by, scheme)
        user = User.objects.filter(username=username, is_active=True).select_related("area").first()
        if user is None or not selectors.may_evaluate_at(user, row.area_code):
            raise NotFound(
                _("账号 %(username)s 不存在，或不是本辖区的考核员、工作人员") % {"username": username},
                field="username",
            )
        try:
            with transaction.atomic():
                evaluator = Evaluator.objects.create(scheme=row, user=user, added_at=timezone.now())
        except IntegrityError:
            raise Conflict(
                "duplicate", _("%(username)s 已是该方案的考核员") % {"username": username}, "username"
            ) from None
        _bump(row, by, "assessment.evaluator_add", {"evaluator": username})
    return evaluator


def evaluator_remove(*, by: User, scheme: int, username: str) -> None:
    with transaction.atomic():
        row = _lock_scheme(by, scheme)
        deleted, _rows = Evaluator.objects.filter(scheme=row, user__username=username).delete()
        if not deleted:
            raise NotFound(_("%(username)s 不是该方案的考核员") % {"username": username}, field="username")
        _bump(row, by, "assessment.evaluator_remove", {"evaluator": username})


# ---------------------------------------------------------------- rounds


def round_open(*, by: User | None, scheme: int, period: str) -> Round:
    """Open the round of one period of the scheme (its qualitative scoring begins; the ranking is live).
    ``by=None``: the sweep, for a scheme it runs (``freeze_after_days`` set)."""
    with transaction.atomic():
        row = (
            _lock_scheme(by, scheme) if by is not None else Scheme.objects.select_for_update().get(pk=scheme)
        )
        span = Period.parse(period)
        if span.kind != row.period_kind:
            raise DomainError(
                "invalid_period",
                _("本方案按%(kind)s考核，周期应写作如 %(example)s")
                % {
                    "kind": PeriodKind(row.period_kind).label,
                    "example": Period.of(row.period_kind, timezone.localdate()).key,
                },
                "period",
            )
        if span.start > timezone.localdate():
            raise DomainError("invalid_period", _("考核期尚未开始"), "period")
        if not row.is_active:
            raise Conflict("inactive", _("该方案已停用"), "scheme")
        if not row.items.filter(is_active=True).exists():
            raise Conflict("empty", _("方案还没有考核项"), "scheme")
        if Round.objects.filter(scheme=row, period=span.key).exists():
            raise Conflict("duplicate", _("%(period)s 的考核期已开始") % {"period": span.label}, "period")
        rnd = Round.objects.create(
            scheme=row,
            period=span.key,
            start=span.start,
            end=span.end,
            area_code=row.area_code,
            opened_at=timezone.now(),
        )
        ROUND.record(rnd, by, "open", "", note=span.label)
    return rnd


def marks_save(*, by: User, round: int, marks: Iterable[Mapping]) -> int:
    """An evaluator's qualitative scores, all or none: each ``{"item", "key", "score", "comment"}`` (a
    score of 0–100; a comment is required below 60; a blank score takes the evaluator's score back)."""
    rnd = selectors.round_get(by, round)
    if not selectors.is_evaluator(by, rnd.scheme):
        raise DomainError("forbidden", _("只有该方案的考核员可以评分"), status=403)
    if rnd.state != RoundState.OPEN:
        raise ROUND.conflict(rnd, "wrong_state", _("考核期已冻结，不能再评分"))
    qualitative = {
        str(i.pk): i
        for i in Item.objects.filter(scheme_id=rnd.scheme_id, kind=ItemKind.QUALITATIVE, is_active=True)
    }
    keys = {k for k, _n in selectors.members(rnd.scheme)}
    cleaned: list[tuple[Item, str, Decimal | None, str]] = []
    for index, mark in enumerate(marks):
        where = f"marks[{index}]"
        item = qualitative.get(str(mark.get("item")))
        if item is None:
            raise NotFound(
                _("定性考核项 %(id)s 不在该方案中") % {"id": mark.get("item")}, field=f"{where}.item"
            )
        key = str(mark.get("key") or "")
        if key not in keys:
            raise NotFound(_("参评对象 %(key)s 不在本期排名中") % {"key": key}, field=f"{where}.key")
        score = cleaners.decimal(mark.get("score"), f"{where}.score", low=Decimal(0), high=HUNDRED)
        if score is not None and score != score.quantize(Decimal("0.01")):
            raise DomainError("invalid", _("得分最多保留两位小数"), f"{where}.score")
        comment = cleaners.text(mark.get("comment"), f"{where}.comment", limit=limit(Mark, "comment"))
        if score is not None and score < 60 and not comment:
            raise DomainError("required", _("低于 60 分须填写评语，说明扣分理由"), f"{where}.comment")
        cleaned.append((item, key, score, comment))
    now = timezone.now()
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=rnd.pk)
        if locked.state != RoundState.OPEN:
            raise ROUND.conflict(locked, "wrong_state", _("考核期已冻结，不能再评分"))
        changed = 0
        for item, key, score, comment in cleaned:
            existing = Mark.objects.filter(round=locked, item=item, key=key, evaluator=by).first()
            if score is None:
                if existing:
                    existing.delete()
                    changed += 1
                continue
            if existing and existing.score == score and existing.comment == comment:
                continue
            Mark.objects.update_or_create(
                round=locked,
                item=item,
                key=key,
                evaluator=by,
                defaults={"score": score, "comment": comment, "at": now},
            )
            changed += 1
        if changed:
            audit.record(
                actor=by,
                verb="assessment.marks_save",
                obj=locked,
                after=[
                    {"item": i.pk, "key": k, "score": None if s is None else str(s)}
                    for i, k, s, _c in cleaned
                ],
            )
    return changed


def _score_rows(rnd: Round, rows: list[dict], inputs: Mapping[str, Mapping]) -> list[Score]:
    out = []
    for row in rows:
        result = {k: v for k, v in row.items() if k not in ("key", "name", "rank", "total")}
        out.append(
            Score(
                round=rnd,
                key=row["key"],
                name=row["name"][:100],
                rank=row["rank"],
                total=None if row["total"] is None else Decimal(row["total"]),
                detail={"result": result, "inputs": inputs.get(row["key"], {})},
            )
        )
    return out


def round_freeze(*, by: User | None, round: int, now=None) -> Round:
    """Compute the period's ranking and keep it: every member's scores and inputs, the scheme as it stood,
    the moment of counting and the exempted cases. Nothing of it changes afterwards. ``by=None``: the
    sweep, once a scheme's days after the period are over."""
    with transaction.atomic():
        rnd = ROUND.lock(by, pk=round, field="round", visible=_anyone if by is None else None)
        with ROUND.transition(rnd, "freeze", by=by) as step:
            counted_at = now or timezone.now()
            definition, rows, inputs, exempted = selectors.compute(rnd, now=counted_at)
            Score.objects.bulk_create(_score_rows(rnd, rows, inputs), batch_size=2000)
            rnd.definition = definition
            rnd.version = definition["version"]
            rnd.counted_at = counted_at
            rnd.exempted = exempted
            rnd.frozen_at = timezone.now()
            step.data = {"members": len(rows), "version": rnd.version, "exempted": len(exempted)}
    return rnd


def _anyone(_user, _obj) -> bool:
    return True


def round_reopen(*, by: User, round: int, reason: str) -> Round:
    reason = cleaners.text(reason, "reason", limit=REASON_LIMIT)
    with transaction.atomic():
        rnd = ROUND.lock(by, pk=round, field="round")
        with ROUND.transition(rnd, "reopen", by=by, reason=reason):
            Score.objects.filter(round=rnd).delete()
            rnd.definition = None
            rnd.version = None
            rnd.counted_at = None
            rnd.exempted = []
            rnd.frozen_at = None
    return rnd


def _recipients(rnd: Round) -> list[User]:
    keys = list(rnd.scores.values_list("key", flat=True))
    if rnd.scheme.pool == Pool.UNITS:
        return list(User.objects.filter(role=Role.UNIT, unit_id__in=[int(k) for k in keys], is_active=True))
    staff = User.objects.filter(area__code__in=keys, is_active=True).filter(
        Q(role__in=[Role.COMMUNITY, Role.STREET, Role.GRID_CHIEF, Role.GRID_WORKER, Role.DISTRICT])
    )
    return list(staff)


def round_publish(*, by: User, round: int) -> Round:
    """Publish a frozen ranking: each ranked area's staff (each unit's handlers) are told in their inbox."""
    with transaction.atomic():
        rnd = ROUND.lock(by, pk=round, field="round")
        with ROUND.transition(rnd, "publish", by=by):
            rnd.published_at = timezone.now()
        tell(
            _recipients(rnd),
            Kind.ASSESSMENT,
            rnd,
            gettext_lazy("%(scheme)s %(period)s 排名已发布"),
            gettext_lazy("请查看本单位的名次、得分和明细"),
            params={"scheme": rnd.scheme.name, "period": selectors.period_of(rnd).key},
        )
    return rnd


# ---------------------------------------------------------------- exemptions


def _require_exemption_decider(by: User, case: Case) -> None:
    """Street and district command staff decide exemptions (not the community or unit being assessed)."""
    if not (selectors.may_exempt(by) and in_scope(by, case.area_code)):
        raise DomainError("forbidden", _("只有街道、区级工作人员可以决定免责"), status=403)


def _case(by: User, ref: str) -> Case:
    ref = cleaners.text(ref, "case", limit=40, required=True)
    case = Case.objects.filter(ref=ref).first()
    if case is None or not in_scope(by, case.area_code):
        raise NotFound(_("事件 %(ref)s 不存在或不在您的管辖范围内") % {"ref": ref}, field="case")
    return case


def exemption_create(*, by: User, case: str, reason: str) -> Exemption:
    """Take a case out of the assessment counts (an unreasonable demand, force majeure …), with the reason.
    Rounds frozen before keep what they counted."""
    _signed_in(by)
    found = _case(by, case)
    _require_exemption_decider(by, found)
    reason = cleaners.text(reason, "reason", limit=limit(Exemption, "reason"), required=_("请填写免责理由"))
    with transaction.atomic():
        Case.objects.select_for_update().filter(pk=found.pk).first()
        if Exemption.objects.filter(case=found, revoked_at__isnull=True).exists():
            raise Conflict("duplicate", _("事件 %(ref)s 已免责") % {"ref": found.ref}, "case")
        row = Exemption.objects.create(
            case=found, area_code=found.area_code, reason=reason, decided_by=by, decided_at=timezone.now()
        )
        audit.record(
            actor=by, verb="assessment.exemption_create", obj=row, after={"case": found.ref}, reason=reason
        )
    return row


def exemption_revoke(*, by: User, exemption: int, reason: str) -> Exemption:
    _signed_in(by)
    reason = cleaners.text(
        reason, "reason", limit=limit(Exemption, "revoke_reason"), required=_("请填写撤销理由")
    )
    with transaction.atomic():
        row = (
            Exemption.objects.select_for_update(of=("self",))
            .select_related("case")
            .filter(pk=cleaners.integer(exemption, "exemption", required=True))
            .first()
        )
        if row is None or not in_scope(by, row.area_code):
            raise NotFound(
                _("免责记录 %(id)s 不存在或不在您的管辖范围内") % {"id": exemption}, field="exemption"
            )
        _require_exemption_decider(by, row.case)
        if row.revoked_at is not None:
            raise Conflict("wrong_state", _("该免责已撤销"), "exemption")
        row.revoked_at = timezone.now()
        row.revoked_by = by
        row.revoke_reason = reason
        row.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        audit.record(
            actor=by, verb="assessment.exemption_revoke", obj=row, after={"case": row.case.ref}, reason=reason
        )
    return row
