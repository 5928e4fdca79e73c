"""The demo loader: tasks done and open, volunteers with points, rewards, redemptions; nothing doubled."""

from __future__ import annotations

from gridgov.areas.actions import area_create
from gridgov.points import actions, selectors
from gridgov.points.demo import load_demo_points
from gridgov.points.models import PointsEntry, Redemption, Reward, VolunteerTask
from gridgov.testing.factories import make_user


def test_demo_points_load_once(world):
    area_create(by=world.admin, code="610302003", name="姜谭路街道", parent_code="610302")
    community = area_create(by=world.admin, code="610302003001", name="姜谭路西社区", parent_code="610302003")
    make_user(world.admin, "community_demo", "community", community)
    volunteer = make_user(world.admin, "volunteer", "volunteer")
    out = load_demo_points(world.admin)
    assert out["tasks"] == 10 and out["rewards"] == 8 and out["credits"] > 10 and out["redemptions"] >= 1
    assert VolunteerTask.objects.filter(state="finished").count() == 6
    assert VolunteerTask.objects.filter(state__in=["open", "full"]).count() == 4
    assert actions.balance(actions.volunteer_account(volunteer)) > 0
    assert selectors.sum_of_balances() == 0
    assert Reward.objects.filter(stock=0).count() == 1
    counts = (VolunteerTask.objects.count(), PointsEntry.objects.count(), Redemption.objects.count())
    assert load_demo_points(world.admin) == {k: 0 for k in out}
    assert (VolunteerTask.objects.count(), PointsEntry.objects.count(), Redemption.objects.count()) == counts
