"""The demo district's assessment: the monthly community ranking of 渭滨区 (大排名 of its 68 communities),
weighted as the seeds do — the sinking departments' figures 70 %, the community party organisation 30 %
(周市镇's 70/30), with the residents' satisfaction inside the departments' share and the party
organisation judged on what residents say (乐山's 支部好不好、群众说了算) — over the past months of casework
(``cases.demo_history``): the earlier months frozen and published, the last one frozen awaiting
publication, the current one open; two evaluators' qualitative scores; one exemption."""

from __future__ import annotations

import random

from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.assessment import actions, catalogue, selectors
from gridgov.assessment.models import Round, RoundState, Scheme
from gridgov.cases.models import Case
from gridgov.core.periods import Period

NAME = "渭滨区社区月度综合考核（大排名）"
SEED = 20260301
# (group, weight, [(indicator code or None for qualitative, name, weight, normalisation, target, guidance)])
GROUPS = (
    (
        "下沉部门考核",
        70,
        (
            ("response_rate", "", 20, "target", 95, ""),
            ("on_time_closure_rate", "", 25, "target", 90, ""),
            ("resolution_rate", "", 15, "target", 90, ""),
            ("rework_rate", "", 10, "target", 5, ""),
            ("satisfaction_rate", "群众满意率", 30, "target", 95, ""),
        ),
    ),
    (
        "社区党组织评价",
        30,
        (
            (
                None,
                "支部建设",
                40,
                "target",
                None,
                "组织生活、三会一课是否落实；不看台账材料，以随机访问党员为准",
            ),
            (
                None,
                "为民办事",
                60,
                "target",
                None,
                "支部好不好、群众说了算：随机访问群众、党员服务承诺践诺情况",
            ),
        ),
    ),
)
LOW = ("随机访问群众反映入户少，承诺事项未兑现", "三会一课不规范，支部书记对网格情况不熟悉")


def load_demo_assessment(admin: User) -> dict[str, int]:
    if Scheme.objects.filter(name=NAME).exists():
        return {"rounds": 0}
    catalogue.install()
    district = User.objects.get(username="district")
    scheme = actions.scheme_create(
        by=district,
        name=NAME,
        description="整合区直部门对社区的各类考核，定量考核与定性评价相结合，每月对全区社区大排名。",
        area="610302",
        pool="communities",
        period_kind="month",
        visibility="all",
        freeze_after_days=5,
    )
    for group_name, weight, items in GROUPS:
        group = actions.group_add(by=district, scheme=scheme.pk, name=group_name, weight=weight)
        for code, name, item_weight, normalisation, target, guidance in items:
            if code:
                actions.item_add(
                    by=district, scheme=scheme.pk, kind="quantitative", group=group.pk, indicator=code,
                    name=name, weight=item_weight, normalisation=normalisation, target=target,
                )  # fmt: skip
            else:
                actions.item_add(
                    by=district, scheme=scheme.pk, kind="qualitative", group=group.pk, name=name,
                    weight=item_weight, guidance=guidance,
                )  # fmt: skip
    evaluators = [User.objects.get(username=u) for u in ("evaluator", "evaluator2")]
    for evaluator in evaluators:
        actions.evaluator_add(by=district, scheme=scheme.pk, username=evaluator.username)
    _exempt_one(district)
    today = timezone.localdate()
    months = []
    period = Period.of("month", today)
    for _ in range(6):
        period = period.previous()
        months.append(period)
    months.reverse()
    rounds = 0
    for index, month in enumerate(months):
        rnd = actions.round_open(by=district, scheme=scheme.pk, period=month.key)
        _marks(rnd, evaluators, partial=index == len(months) - 1)
        if index < len(months) - 1:
            actions.round_freeze(by=district, round=rnd.pk)
        if index < len(months) - 2:
            actions.round_publish(by=district, round=rnd.pk)
        rounds += 1
    actions.round_open(by=district, scheme=scheme.pk, period=Period.of("month", today).key)
    return {
        "rounds": rounds + 1,
        "frozen": Round.objects.filter(scheme=scheme).exclude(state=RoundState.OPEN).count(),
    }


def _marks(rnd: Round, evaluators: list[User], *, partial: bool) -> None:
    items = [i for i in rnd.scheme.items.filter(kind="qualitative", is_active=True).order_by("sort", "id")]
    rng = random.Random(f"{SEED}:{rnd.period}")
    members = selectors.members(rnd.scheme)
    for number, evaluator in enumerate(evaluators):
        marks = []
        for key, _name in members:
            base = 62 + random.Random(f"{SEED}:{key}").random() * 33
            for item in items:
                score = max(40, min(100, round(base + rng.uniform(-8, 8))))
                comment = rng.choice(LOW) if score < 60 else ""
                marks.append({"item": item.pk, "key": key, "score": score, "comment": comment})
        if partial and number == 1:
            marks = marks[: len(marks) // 2]  # the second evaluator is half-way through this month
        actions.marks_save(by=evaluator, round=rnd.pk, marks=marks)


def _exempt_one(district: User) -> None:
    """A road repair delayed by the rainstorm: the district takes it out of the counts, with the reason."""
    case = (
        Case.objects.filter(idempotency_key__startswith="demo-history:", category__code="road_repair")
        .exclude(resolved_at__isnull=True)
        .order_by("reported_at")
        .first()
    )
    if case is not None:
        actions.exemption_create(
            by=district, case=case.ref, reason="暴雨导致道路抢修顺延，经区网格指挥中心研判，不计入社区考核"
        )
