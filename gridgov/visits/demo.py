"""Demo visits: the standard must-visit rules of the demo district (三必问 四必访), a plan of ten households a
week, and about four months of visits to the demo ledger's households.

Visits follow the rules the way a real grid does: most must-visit households are visited around their due
date, some a few days late, a few have been left overdue (so the worklist has work on it), and ordinary
households are visited now and then. In 姜谭路西's first grid the demo grid worker ``gridworker`` records
them; elsewhere the community or street account does. Rows are written in bulk (this is a fixture loader);
a second run adds nothing.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.areas.models import Area
from gridgov.ledger.models import FocusTag, Household
from gridgov.ledger.tags import ensure_standard_tags
from gridgov.projects.actions import need_record
from gridgov.projects.models import Need
from gridgov.services.demo import load_demo_categories
from gridgov.visits import selectors
from gridgov.visits.models import Visit, VisitPlan, VisitRule

DISTRICT = "610302"
NEEDS_COMMUNITY = "610302003001"  # 姜谭路西社区, the community of the demo's lists (projects demo)
SEED = 6103020040
MONTHS = 4
# (tag code or None for every household, interval in days)
STANDARD_RULES = [
    ("living_alone", 7),
    ("needy", 30),
    ("old_party_member", 90),
    ("representative", 90),
    ("petitioner", 90),
    (None, 365),
]
PLAN = (10, 7)  # households, days

# What a visitor notes depends on who lives there: the tag of the household's strictest rule picks the pool.
SITUATIONS_BY_TAG = {
    "living_alone": ["老人独居，能自理，每天在楼下活动", "独居老人，子女在外地，每周电话联系"],
    "needy": ["家庭收入主要靠低保，老人有慢性病需长期服药", "低保户，孩子上初中，母亲打零工"],
    "old_party_member": ["老党员，经常参加社区活动，身体硬朗"],
    "representative": ["居民代表，热心楼道事务，常反映邻里意见"],
    "petitioner": ["对小区停车问题有意见，已多次反映"],
    "empty_nest": ["家中两位老人，老伴腿脚不便，日常由老人照顾", "老人身体状况稳定，子女每周回来一次"],
}
GENERAL_SITUATIONS = [
    "一家三口，孩子上小学，家庭和睦",
    "租户，夫妻二人在附近做生意",
    "刚搬来不久，对社区情况还不熟悉",
]
NEEDS = [
    "希望社区食堂能送餐上门",
    "想参加社区的智能手机培训",
    "需要办理高龄补贴",
    "希望有人定期上门测血压",
    "孩子放学后没人看管，希望有托管",
    "想了解廉租房政策",
    "",
    "",
]
PROBLEMS = [
    "楼道声控灯坏了，晚上上下楼不方便",
    "楼上漏水，和邻居协商未果",
    "小区门口占道经营，出行不便",
    "单元门禁损坏，陌生人随意进出",
    "暖气不热，物业说管网问题",
    "楼前路面有坑，下雨积水",
]
SKILLS = ["会理发，愿意为老人义务理发", "退休电工，会修家电", "喜欢唱秦腔", "书法爱好者", "会做面点", ""]


def load_rules(admin=None) -> int:  # noqa: ARG001
    """The standard rules and the plan for the demo district (existing ones are left as configured)."""
    ensure_standard_tags()
    district = Area.objects.filter(code=DISTRICT).first()
    if district is None:
        return 0
    created = 0
    for code, days in STANDARD_RULES:
        tag = FocusTag.objects.get(code=code) if code else None
        _rule, made = VisitRule.objects.get_or_create(
            district=district, tag=tag, defaults={"interval_days": days}
        )
        created += made
    VisitPlan.objects.get_or_create(area=district, defaults={"households": PLAN[0], "period_days": PLAN[1]})
    return created


def _recorders(codes: set[str]) -> dict[str, User]:
    """The account that records visits in each grid: its grid worker, else its community's, else the
    street's staff, else the district's."""
    staff = {
        u.area.code: u for u in User.objects.filter(area__isnull=False, is_active=True).select_related("area")
    }
    out = {}
    for code in codes:
        for n in (15, 12, 9, 6):
            if code[:n] in staff:
                out[code] = staff[code[:n]]
                break
    return out


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(
        day, time(rng.randint(9, 17), rng.choice((0, 15, 30, 45))), tzinfo=timezone.get_default_timezone()
    )


def _visit_days(
    rng: random.Random, interval: int | None, since: date, start: date, today: date
) -> list[date]:
    if interval is None or interval >= 365:  # an ordinary household: now and then
        return [start + timedelta(days=rng.randint(0, (today - start).days))] if rng.random() < 0.3 else []
    day = max(start, since) + timedelta(days=rng.randint(0, max(0, interval // 2)))
    forgotten = rng.random() < 0.1  # left overdue: the worklist's red rows
    days = []
    while day < today:
        days.append(day)
        slip = rng.randint(1, 5) if rng.random() < 0.03 else -rng.randint(0, max(1, interval // 4))
        day = day + timedelta(days=max(1, interval + slip))
        if forgotten and day > today - timedelta(days=interval * 2):
            break
    return days


def load_demo_visits(admin) -> int:
    """Rules, plan and about four months of visits for the demo ledger's households. Returns the number of
    visits created (0 on a second run, or when the ledger is empty)."""
    load_rules(admin)
    households = Household.objects.filter(area_code__startswith=DISTRICT, is_active=True)
    if Visit.objects.filter(area_code__startswith=DISTRICT).exists() or not households.exists():
        return 0
    rng = random.Random(SEED)
    today = timezone.localdate()
    start = today - timedelta(days=30 * MONTHS)
    subjects = {s.household_id: s for s in selectors.subjects(households, tag_rules_only=True)}
    rows = list(households.order_by("pk").values_list("pk", "area_code"))
    recorders = _recorders({code for _pk, code in rows})
    fallback = admin
    visits: list[Visit] = []
    for pk, code in rows:
        subject = subjects.get(pk)
        interval, since = None, start
        pool = GENERAL_SITUATIONS
        if subject is not None:
            rule, since = min(subject.rules.values(), key=lambda pair: pair[0].interval_days)
            interval = rule.interval_days
            pool = SITUATIONS_BY_TAG.get(rule.tag.code if rule.tag_id else "", GENERAL_SITUATIONS)
        by = recorders.get(code, fallback)
        for day in _visit_days(rng, interval, since, start, today):
            problem = rng.choice(PROBLEMS) if rng.random() < 0.12 else ""
            visits.append(
                Visit(
                    household_id=pk,
                    area_code=code,
                    visited_at=_at(day, rng),
                    duration_minutes=rng.choice((10, 15, 20, 20, 30, 45)),
                    kind=Visit.Kind.MUST if interval else Visit.Kind.ROUTINE,
                    situation=rng.choice(pool),
                    needs=rng.choice(NEEDS),
                    problems=problem,
                    skills=rng.choice(SKILLS) if rng.random() < 0.2 else "",
                    recorded_by=by,
                )
            )
    with transaction.atomic():
        created = Visit.objects.bulk_create(visits, batch_size=1000)
        through = Visit.visitors.through
        through.objects.bulk_create(
            [through(visit_id=v.pk, user_id=v.recorded_by_id) for v in created], batch_size=1000
        )
    _needs_from_visits(admin)
    return len(created)


def _needs_from_visits(admin) -> None:
    """The needs list of 姜谭路西社区 gets three findings of its visits (送餐上门, 测血压 …), each with its
    visit as the source (once per visit)."""
    load_demo_categories()
    for visit in (
        Visit.objects.filter(area_code__startswith=NEEDS_COMMUNITY).exclude(needs="").order_by("pk")[:3]
    ):
        category = "meals" if "餐" in visit.needs else ("elderly" if "血压" in visit.needs else "culture")
        need_record(
            by=admin,
            title=visit.needs.splitlines()[0][:100],
            category=category,
            area=visit.area_code,
            description=visit.needs,
            source=Need.Source.VISIT,
            source_id=visit.pk,
        )
