"""Pages: the public wall (anonymised, claim button only for those who may claim), posting, my wishes,
my claims with the fulfil form, the detail with only the allowed actions, and the staff lists."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client

from gridgov.core import uploads
from gridgov.testing.factories import PASSWORD
from gridgov.wishes import actions
from gridgov.wishes.models import State, Wish, WishClaim
from gridgov.wishes.sweep import wishes_sweep

from .conftest import GRID, claimed, png, published, submit


def _client(username: str | None) -> Client:
    client = Client()
    if username:
        assert client.login(username=username, password=PASSWORD)
    return client


def test_wall_page_is_public_and_anonymised(world):
    published(world)
    published(world, by=world.worker, source="box", wisher_name="王秀兰", wisher_phone="13800001234")
    html = _client(None).get("/wishes/").content.decode()
    assert "给独居的奶奶送一台收音机" in html and "李**" in html and "王**" in html
    for secret in ("李居民", "王秀兰", "13800001234", "138****1234"):
        assert secret not in html
    assert "登录后认领" in html and 'action="/wishes/' not in html


def test_a_wish_past_its_claim_deadline_no_longer_says_it_can_be_claimed(world, clock):
    wish = published(world)
    before = _client("volunteer").get("/wishes/").content.decode()
    assert "还可认领 1 / 1" in before and "认领已超时" not in before
    clock.move_to(wish.claim_due + timedelta(hours=1))
    wall = _client("volunteer").get("/wishes/").content.decode()
    assert "还可认领" not in wall and "认领已超时" in wall and "空余名额 1 / 1" in wall
    # still on the wall, flagged for the community, and a late claim is still taken
    assert f'action="/wishes/{wish.ref}/claim/"' in wall
    detail = _client("volunteer").get(f"/wishes/{wish.ref}/").content.decode()
    assert "已超时" in detail


def test_wall_shows_claim_buttons_to_volunteers_only(world):
    wish = published(world)
    assert f'action="/wishes/{wish.ref}/claim/"' in _client("volunteer").get("/wishes/").content.decode()
    assert f'action="/wishes/{wish.ref}/claim/"' not in _client("resident2").get("/wishes/").content.decode()


def test_claim_from_the_wall_lands_on_my_claims(world):
    wish = published(world)
    client = _client("volunteer")
    r = client.post(f"/wishes/{wish.ref}/claim/", {"next": "wall"})
    assert r.status_code == 302 and r.url == "/wishes/claims/"
    page = client.get("/wishes/claims/").content.decode()
    assert wish.ref in page and "提交完成情况" in page
    r = _client("volunteer2").post(f"/wishes/{wish.ref}/claim/", {"next": "wall"}, follow=True)
    assert "该心愿已被认领" in r.content.decode()


def test_resident_posts_a_wish_on_the_page(world):
    client = _client("resident")
    assert client.get("/wishes/new/").status_code == 200
    r = client.post("/wishes/new/", {"title": "", "area": "610302001001"})
    assert r.status_code == 400 and "请填写心愿" in r.content.decode()
    r = client.post(
        "/wishes/new/", {"title": "孩子想要一套课外书", "area": "610302001001", "category": "culture"}
    )
    wish = Wish.objects.get()
    assert r.status_code == 302 and r.url == f"/wishes/{wish.ref}/"
    assert wish.ref in client.get("/wishes/mine/").content.decode()


def test_staff_enter_a_box_wish_on_the_page(world):
    client = _client("worker")
    assert client.get("/wishes/new/").url == "/wishes/box/"
    r = client.post(
        "/wishes/box/", {"title": "帮忙修理轮椅", "area": GRID, "wisher_name": "", "max_claimants": "1"}
    )
    assert r.status_code == 400 and "请填写心愿人姓名" in r.content.decode()
    r = client.post(
        "/wishes/box/",
        {
            "title": "帮忙修理轮椅",
            "area": GRID,
            "wisher_name": "王秀兰",
            "wisher_phone": "13800001234",
            "max_claimants": "2",
        },
    )
    wish = Wish.objects.get()
    assert r.status_code == 302 and wish.source == "box" and wish.max_claimants == 2
    detail = client.get(f"/wishes/{wish.ref}/").content.decode()
    assert "王秀兰" in detail and "138****1234" in detail and "13800001234" not in detail


def test_detail_shows_only_allowed_actions(world):
    wish = submit(world)
    community = _client("community").get(f"/wishes/{wish.ref}/").content.decode()
    assert "发布到心愿墙" in community and "不予发布" in community and "转入需求清单" in community
    worker = _client("worker").get(f"/wishes/{wish.ref}/").content.decode()
    assert "发布到心愿墙" not in worker and "不予发布" not in worker
    assert _client("community2").get(f"/wishes/{wish.ref}/").status_code == 404
    assert _client("volunteer").get(f"/wishes/{wish.ref}/").status_code == 404


def test_page_actions_and_field_errors(world):
    wish = submit(world)
    community = _client("community")
    r = community.post(f"/wishes/{wish.ref}/reject/", {"reason": ""})
    assert r.status_code == 400 and "不予发布必须填写原因" in r.content.decode()
    r = community.post(f"/wishes/{wish.ref}/publish/", {"max_claimants": "1"})
    assert r.status_code == 302
    r = community.post(f"/wishes/{wish.ref}/publish/", {})
    assert r.status_code == 409
    volunteer = _client("volunteer")
    volunteer.post(f"/wishes/{wish.ref}/claim/")
    r = volunteer.post(f"/wishes/{wish.ref}/fulfil/", {"note": ""})
    assert r.status_code == 400 and "请填写完成情况" in r.content.decode()
    r = volunteer.post(f"/wishes/{wish.ref}/fulfil/", {"note": "已送到", "photos": png()})
    assert r.status_code == 302
    claim = WishClaim.objects.get(wish=wish)
    resident = _client("resident")
    page = resident.get(f"/wishes/{wish.ref}/").content.decode()
    photo = uploads.of(claim).get()
    assert f'href="/files/{photo.pk}/"' in page and "确认心愿已实现" in page
    assert resident.get(f"/files/{photo.pk}/").status_code == 200
    assert _client("resident2").get(f"/files/{photo.pk}/").status_code == 404
    r = resident.post(f"/wishes/{wish.ref}/confirm/", {"rating": "satisfied"})
    assert r.status_code == 302
    wish.refresh_from_db()
    assert wish.state == State.CLOSED


def test_staff_lists_vetting_and_flagged(world):
    waiting = submit(world)
    late = published(world, title="陪老人去医院复查")
    wishes_sweep(late.claim_due)
    client = _client("community")
    vetting = client.get("/wishes/vetting/").content.decode()
    assert waiting.ref in vetting and late.ref not in vetting
    flagged = client.get("/wishes/flagged/").content.decode()
    assert (
        late.ref in flagged
        and waiting.ref not in flagged
        and "超时未认领" in flagged
        and "sla-overdue" in flagged
    )
    assert _client("resident").get("/wishes/vetting/").status_code == 404


def test_my_claims_shows_released_claims(world):
    wish = claimed(world)
    claim = WishClaim.objects.get(wish=wish)
    wishes_sweep(claim.fulfil_due)
    page = _client("volunteer").get("/wishes/claims/").content.decode()
    assert "超时未完成，认领已释放" in page
    assert actions.wish_claim(ref=wish.ref, by=world.volunteer2).state == "active"


def test_admin_lists_wishes_read_only_without_the_phone(world):
    wish = claimed(world, by=world.handler)
    box = submit(world, by=world.worker, source="box", wisher_name="王秀兰", wisher_phone="13800001234")
    client = _client("root")
    assert wish.ref in client.get("/admin/wishes/wish/").content.decode()
    page = client.get(f"/admin/wishes/wish/{box.pk}/change/").content.decode()
    assert "138****1234" in page and "13800001234" not in page
    assert client.get(f"/admin/wishes/wishclaim/{WishClaim.objects.get().pk}/change/").status_code == 200


def test_fulfil_photos_go_to_the_wisher_staff_and_claimants_only(world):
    wish = submit(world)
    actions.wish_publish(ref=wish.ref, by=world.community, max_claimants=3)
    actions.wish_claim(ref=wish.ref, by=world.volunteer)
    actions.wish_claim(ref=wish.ref, by=world.volunteer3)
    actions.wish_fulfil(ref=wish.ref, by=world.volunteer, note="送了收音机", photos=[png()])
    wish.refresh_from_db()
    assert wish.state == State.PUBLISHED  # a place is still open: the wish stays on the public wall
    photo = uploads.of(WishClaim.objects.get(wish=wish, claimant=world.volunteer)).get()
    for username, status in (
        ("resident", 200),
        ("volunteer", 200),
        ("volunteer3", 200),  # a fellow claimant
        ("community", 200),
        ("volunteer2", 404),  # sees the wish on the wall, not the photos
        ("resident2", 404),
        ("community2", 404),
    ):
        for url in (photo.get_absolute_url(), photo.thumb_url):
            assert _client(username).get(url).status_code == status, (username, url)
