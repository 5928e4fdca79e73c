"""供需精准对接: the resources that could meet a need, best first, each with its reasons in Chinese.

The score is the sum of four parts (docs/projects.md has the same table):

=================  ==========================================================  =====================
part               rule                                                        points
=================  ==========================================================  =====================
category           same category                                               40
                   same parent category (siblings, or parent/child)            20
                   other category — only when nothing above fits               0
area               where the resource is offered vs. the need's area:          same grid 20,
                   the deepest level both codes share                          community 15,
                                                                               street 10, district 5;
                                                                               other district: excluded
availability       active and available today                                  10
                   starts later, but by the need's date (else within 30 days)  5
                   inactive, expired, or starting after that: excluded
past ratings       average resident score (1–5) of completed projects that     (avg − 3) × 5,
                   used the resource                                           i.e. −10 … +10;
                                                                               unrated 0 (neutral)
words              similarity of the need's and the resource's title and       similarity × 30,
                   description (character bigrams, personal data masked),      i.e. 9 … 30;
                   counted from MATCH_TEXT_MIN_SIMILARITY (0.3)                below: 0
=================  ==========================================================  =====================

A resource of another category is kept beside those of the same or a related category when its words are
alike (another person may have filed the same help under another category); otherwise other categories
are offered only when nothing of the same or a related category fits. The words' reason names the words
both use, with the similarity (docs/assist.md "Needs and resources by words").

Ties go to the resource with the larger capacity, then the older registration (lower id).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Avg, Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from gridgov.core.text import cosine, phrases, profile, shared
from gridgov.projects.models import Need, Project, ProjectEvaluation, Resource

CATEGORY_POINTS = {"same": 40, "parent": 20, "other": 0}
AREA_POINTS = {15: 20, 12: 15, 9: 10, 6: 5}
AREA_LABELS = {
    15: gettext_lazy("同网格"),
    12: gettext_lazy("同社区"),
    9: gettext_lazy("同街道"),
    6: gettext_lazy("同区"),
}
AVAILABLE_NOW = 10
AVAILABLE_SOON = 5
SOON_DAYS = 30
RATING_WEIGHT = 5
NEUTRAL_SCORE = 3


# Bigrams every need and resource may say (what kind of text it is, not what is needed), left out.
# The labels of contact details (contact, phone, ID number) are left out too: two texts are not alike for both
# giving a phone number.
GENERIC_WORDS = frozenset(("服务", "务站", "需要", "提供", "帮助", "希望", "社区", "居民", "联系", "系人", "电话", "身份", "份证"))  # fmt: skip
TEXT_WORDS = 5


@dataclass
class Match:
    resource: Resource
    score: float
    reasons: list[str] = field(default_factory=list)
    category_fit: str = ""
    area_level: int = 0
    rating: float | None = None
    rated_projects: int = 0
    similarity: float = 0.0
    words: list[str] = field(default_factory=list)


def text_profile(title: str, description: str) -> Counter:
    """The bigram profile a need or a resource is compared by (personal data masked and dropped)."""
    words = profile(f"{title}\n{description or ''}")
    return Counter({g: n for g, n in words.items() if g not in GENERIC_WORDS})


def _category_fit(need: Need, resource: Resource) -> str:
    a, b = need.category, resource.category
    if a.pk == b.pk:
        return "same"
    if (a.parent_id and a.parent_id in (b.pk, b.parent_id)) or (b.parent_id and b.parent_id == a.pk):
        return "parent"
    return "other"


def _shared_level(need_code: str, resource_code: str) -> int:
    """The deepest level (6 district, 9 street, 12 community, 15 grid) both codes share; 0 for none. A
    resource offered for a whole street is thus "the same street" as a need in one of its grids."""
    for n in (15, 12, 9, 6):
        if len(need_code) >= n and len(resource_code) >= n and need_code[:n] == resource_code[:n]:
            return n
    return 0


def _ratings(resource_ids: list[int]) -> dict[int, tuple[float, int]]:
    """Per resource: (average score, number of rated projects) over its completed or closed projects."""
    rows = (
        ProjectEvaluation.objects.filter(
            project__resources__in=resource_ids,
            project__state__in=[Project.State.COMPLETED, Project.State.CLOSED],
        )
        .values("project__resources")
        .annotate(avg=Avg("score"), projects=Count("project", distinct=True))
    )
    return {r["project__resources"]: (float(r["avg"]), r["projects"]) for r in rows}


def match_resources(need: Need, *, today: date, candidates=None, limit: int | None = None) -> list[Match]:
    """Resources for ``need`` ranked by the score above (``candidates``: a queryset to choose from)."""
    qs = candidates if candidates is not None else Resource.objects.all()
    qs = qs.filter(is_active=True, area_code__startswith=need.area_code[:6]).select_related(
        "category", "owner_unit", "owner_user", "owner_org"
    )
    window_end = need.needed_by or (today + timedelta(days=SOON_DAYS))
    wanted = text_profile(need.title, need.description)
    min_similarity = float(settings.MATCH_TEXT_MIN_SIMILARITY)
    found: list[Match] = []
    for res in qs:
        if res.available_until and res.available_until < today:
            continue
        starts_later = res.available_from is not None and res.available_from > today
        if starts_later and res.available_from > window_end:
            continue
        level = _shared_level(need.area_code, res.area_code)
        if not level:
            continue
        fit = _category_fit(need, res)
        m = Match(resource=res, score=0, category_fit=fit, area_level=level)
        m.score += CATEGORY_POINTS[fit]
        label = {"same": _("同类别"), "parent": _("相近类别"), "other": _("其他类别")}[fit]
        m.reasons.append(_("%(fit)s：%(category)s") % {"fit": label, "category": res.category.name})
        offered = text_profile(res.title, res.description)
        similarity = cosine(wanted, offered)
        if similarity >= min_similarity:
            common = shared(wanted, offered, limit=50)
            m.similarity = round(similarity, 2)
            m.words = phrases(f"{need.title}\n{need.description or ''}", common, limit=TEXT_WORDS)
            m.score += m.similarity * float(settings.MATCH_TEXT_POINTS)
            m.reasons.append(
                _("文字相似 %(similarity).2f（%(words)s）")
                % {"similarity": m.similarity, "words": pgettext("列举", "、").join(m.words)}
            )
        m.score += AREA_POINTS[level]
        m.reasons.append(str(AREA_LABELS[level]))
        if starts_later:
            m.score += AVAILABLE_SOON
            m.reasons.append(_("%(date)s 起可用") % {"date": res.available_from.isoformat()})
        else:
            m.score += AVAILABLE_NOW
            m.reasons.append(
                _("可用至 %(date)s") % {"date": res.available_until.isoformat()}
                if res.available_until
                else _("长期可用")
            )
        if res.availability:
            m.reasons.append(res.availability)
        found.append(m)
    ratings = _ratings([m.resource.pk for m in found])
    for m in found:
        avg, n = ratings.get(m.resource.pk, (None, 0))
        if avg is None:
            m.reasons.append(_("暂无往期评价"))
        else:
            m.rating, m.rated_projects = round(avg, 2), n
            m.score += (avg - NEUTRAL_SCORE) * RATING_WEIGHT
            m.reasons.append(_("往期项目评价 %(avg).1f/5 (%(n)s 个)") % {"avg": avg, "n": n})
        m.score = round(m.score, 2)
    if any(m.category_fit != "other" for m in found):
        found = [m for m in found if m.category_fit != "other" or m.words]
    found.sort(key=lambda m: (-m.score, -(m.resource.capacity or 0), m.resource.pk))
    return found[:limit] if limit else found
