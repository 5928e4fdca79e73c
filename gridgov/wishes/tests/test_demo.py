"""The demo loader: twenty wishes of 姜谭路西社区 in every state, one flagged, claimed by the volunteer and by
units; a second run adds nothing."""

from __future__ import annotations

from collections import Counter

from gridgov.accounts.models import Unit
from gridgov.areas.actions import area_create
from gridgov.testing.factories import make_admin, make_user, rect
from gridgov.wishes.demo import load_demo_wishes
from gridgov.wishes.models import Wish, WishClaim


def _demo_world(db):  # noqa: ARG001
    admin = make_admin()
    for code, name, parent, box in (
        ("610302", "渭滨区", None, (107.0, 34.0, 107.4, 34.4)),
        ("610302003", "姜谭路街道", "610302", (107.0, 34.0, 107.2, 34.2)),
        ("610302003001", "姜谭路西社区", "610302003", (107.0, 34.0, 107.1, 34.1)),
        ("610302003001001", "第一网格", "610302003001", (107.0, 34.0, 107.05, 34.05)),
        ("610302003001002", "第二网格", "610302003001", (107.05, 34.0, 107.1, 34.05)),
    ):
        kw = {"kind": "basic", "grid_type": "residential"} if len(code) == 15 else {}
        area_create(by=admin, code=code, name=name, parent_code=parent, boundary=rect(*box), **kw)
    from gridgov.areas.models import Area

    unit = Unit.objects.create(
        name="渭滨区城市管理执法局", kind="department", area=Area.objects.get(code="610302")
    )
    lawyers = Unit.objects.create(name="宝鸡市律师协会", kind="partner", area=Area.objects.get(code="610302"))
    make_user(admin, "community", "community", Area.objects.get(code="610302003001"))
    make_user(admin, "gridworker", "grid_worker", Area.objects.get(code="610302003001001"))
    make_user(admin, "resident", "resident")
    make_user(admin, "volunteer", "volunteer")
    make_user(admin, "unit", "unit", unit=unit)
    make_user(admin, "lawyer", "unit", unit=lawyers)
    return admin


def test_demo_wishes_cover_every_state_once(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    admin = _demo_world(db)
    assert load_demo_wishes(admin) == {"wishes": 20}
    states = Counter(Wish.objects.values_list("state", flat=True))
    assert set(states) == {
        "submitted",
        "published",
        "claimed",
        "fulfilled",
        "closed",
        "rejected",
        "transferred",
    }
    assert Wish.objects.filter(source="box").count() >= 5
    flagged = Wish.objects.filter(flagged=True)
    assert flagged.count() == 1 and flagged.get().flag_reason == "超时未认领"
    assert Wish.objects.filter(claim_warned_at__isnull=False, claim_overdue_at__isnull=True).count() == 1
    claimants = set(WishClaim.objects.values_list("claimant__username", flat=True))
    assert {"volunteer", "unit", "lawyer"} <= claimants
    assert load_demo_wishes(admin) == {"wishes": 0}
    assert Wish.objects.count() == 20


def test_demo_without_the_demo_district_does_nothing(db):
    assert load_demo_wishes(make_admin()) == {"wishes": 0}
