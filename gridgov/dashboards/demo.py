"""The demo district's command centre: this month's casework to date (beside the six past months of
``cases.demo_history``), three recurring problems planted where the seeds' districts see them most (garbage
at a market gate, a pavement broken again and again, night building noise), the figures refreshed from the
whole history, the recurring problems found, and the last daily, weekly and monthly reports generated for
the district and its streets."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.areas.models import Area
from gridgov.cases import actions as case_actions
from gridgov.cases.demo_history import load_demo_history
from gridgov.cases.models import Case
from gridgov.dashboards import actions, figures

DISTRICT = "610302"
# (category, grid index among the district's grids, texts): five reports each within about 60 m
PLANTED = (
    (
        "city_appearance",
        7,
        ("菜市场门口垃圾又堆满了", "市场东门垃圾没人清运", "菜场门口垃圾桶满溢，味道很大"),
    ),
    ("road_repair", 41, ("人行道地砖又松动了", "小区门口路面塌陷", "人行道破损，老人容易绊倒")),
    ("construction", 90, ("工地夜间施工噪音扰民", "晚上十一点还在施工", "夜间打桩声音很大")),
)
PHONE = "13800000000"


def _plant(admin: User) -> int:
    grids = list(
        Area.objects.filter(level="grid", is_active=True, code__startswith=DISTRICT)
        .exclude(min_lng__isnull=True)
        .order_by("code")
    )
    if not grids:
        return 0
    now = timezone.now()
    made = 0
    for n, (category, index, texts) in enumerate(PLANTED):
        grid = grids[index % len(grids)]
        lng0 = (grid.min_lng + grid.max_lng) / 2
        lat0 = (grid.min_lat + grid.max_lat) / 2
        for i in range(5):
            key = f"demo-hotspot:{n}:{i}"
            if Case.objects.filter(idempotency_key__endswith=key).exists():
                continue
            case_actions.case_report(
                by=admin,
                category_code=category,
                description=texts[i % len(texts)],
                lng=lng0 + 0.0002 * (i - 2),
                lat=lat0 + 0.0001 * ((i * 7) % 5 - 2),
                reporter_phone=PHONE,
                channel="hotline",
                reported_at=now - timedelta(days=3 + 4 * i, hours=n),
                idempotency_key=key,
            )
            made += 1
    return made


def load_demo_dashboards(admin: User) -> dict:
    today = timezone.localdate()
    next_month = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    recent = load_demo_history(admin, months=1, today=next_month)  # this month up to now
    planted = _plant(admin)
    refreshed = figures.refresh(since=figures.first_event_day())
    found = actions.hotspots_detect()
    reports = actions.reports_due(now=timezone.now())
    return {
        "recent": recent,
        "planted": planted,
        "days": refreshed["days"],
        "hotspots": found,
        "reports": reports,
    }
