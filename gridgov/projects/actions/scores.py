"""Co-building (dual reporting): the rule (projects a unit completes a year) and year-end unit scores."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import Unit, User
from gridgov.areas.models import Area, Level
from gridgov.core import audit, cleaners
from gridgov.core.cleaners import limit
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.scope import command_staff_in_scope
from gridgov.projects.actions.shared import area_in_scope
from gridgov.projects.models import (
    CoBuildingRule,
    UnitYearScore,
)

# A score below this needs a comment saying why.
SCORE_COMMENT_BELOW = 60


def may_score(user, community: Area) -> bool:
    """Community staff (and street, district staff above it; admins) score the units of a community."""
    return command_staff_in_scope(user, community.code)


def cobuilding_rule_set(*, by: User, area: str, required_projects: int) -> CoBuildingRule:
    """Set N for a street or community (staff of that area or above)."""
    place = area_in_scope(by, area)
    if not may_score(by, place):
        raise DomainError("forbidden", _("只有社区及以上工作人员可以设置双报到规则"), status=403)
    if place.level not in (Level.STREET, Level.COMMUNITY):
        raise DomainError("invalid", _("双报到规则设在街道或社区"), "area")
    n = cleaners.integer(
        required_projects, "required_projects", label=_("每年须完成项目数"), low=1, high=50, required=True
    )
    with transaction.atomic():
        rule, created = CoBuildingRule.objects.select_for_update().get_or_create(
            area=place, defaults={"required_projects": n}
        )
        before = None if created else {"required_projects": rule.required_projects}
        rule.required_projects = n
        rule.save(update_fields=["required_projects"])
        audit.record(
            actor=by, verb="cobuilding_rule.set", obj=rule, before=before, after={"required_projects": n}
        )
    return rule


def unit_score(
    *, by: User, unit: Unit | int, community: str, year: int, score: int, comment: str = ""
) -> UnitYearScore:
    """Year-end score of a co-building unit by a community: 0–100, a comment required below 60. Scoring again the
    same unit, community and year replaces the score (the audit log keeps the earlier one)."""
    place = area_in_scope(by, community)
    if not may_score(by, place):
        raise DomainError("forbidden", _("只有社区及以上工作人员可以为共建单位评分"), status=403)
    if place.level != Level.COMMUNITY:
        raise DomainError("invalid", _("请选择社区"), "community")
    if not isinstance(unit, Unit):
        unit = Unit.objects.filter(pk=cleaners.integer(unit, "unit", label=_("单位"), required=True)).first()
        if unit is None:
            raise NotFound(_("单位不存在"), field="unit")
    year = cleaners.integer(year, "year", label=_("年度"), low=2000, high=2100, required=True)
    score = cleaners.integer(score, "score", label=_("评分"), low=0, high=100, required=True)
    comment = cleaners.text(comment, "comment", limit=limit(UnitYearScore, "comment"), label=_("评语"))
    if score < SCORE_COMMENT_BELOW and not comment:
        raise DomainError(
            "required", _("评分低于 %(score)s 分须填写评语") % {"score": SCORE_COMMENT_BELOW}, "comment"
        )
    now = timezone.now()
    with transaction.atomic():
        row = UnitYearScore.objects.select_for_update().filter(unit=unit, area=place, year=year).first()
        before = {"score": row.score, "comment": row.comment} if row else None
        if row is None:
            try:
                with transaction.atomic():
                    row = UnitYearScore.objects.create(
                        unit=unit,
                        area=place,
                        area_code=place.code,
                        year=year,
                        score=score,
                        comment=comment,
                        scored_by=by,
                        scored_at=now,
                    )
            except IntegrityError:
                row = UnitYearScore.objects.select_for_update().get(unit=unit, area=place, year=year)
                before = {"score": row.score, "comment": row.comment}
        if before is not None:
            row.score, row.comment, row.scored_by, row.scored_at = score, comment, by, now
            row.save(update_fields=["score", "comment", "scored_by", "scored_at"])
        audit.record(
            actor=by,
            verb="unit_year_score.set",
            obj=row,
            before=before,
            after={
                "unit": unit.pk,
                "community": place.code,
                "year": year,
                "score": score,
                "comment": comment,
            },
        )
    return row
