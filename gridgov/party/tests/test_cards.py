"""Duty cards (码上便知): the duty card a QR code opens — signed, revocable, public, and free of personal data."""

from __future__ import annotations

import re

import pytest
from django.core import signing

from gridgov.core.errors import DomainError
from gridgov.party import actions, cards
from gridgov.party.models import DutyCard

from .conftest import COMMUNITY, GRID, GRID2

PHONE = re.compile(r"1[3-9]\d{9}")
ID_NUMBER = re.compile(r"\d{17}[\dXx]")


@pytest.fixture
def card(world, orgs):
    secretary = actions.member_create(
        by=world.community, org=orgs.branch.pk, status="full", resident=world.party[0].pk, office="secretary"
    )
    actions.contacts_assign(
        by=world.community, households=[h.pk for h in world.households], member=secretary.pk
    )
    return actions.card_issue(by=world.community, grid=GRID, duties="巡查走访\n信息采集\n矛盾调解")


def test_the_public_card_shows_the_grid_its_worker_and_branch_but_no_personal_data(client, world, card):
    page = client.get(cards.card_path(card))
    assert page.status_code == 200
    text = page.content.decode()
    assert "网格1-1-1" in text and "王网格员" in text and "第1网格党支部" in text
    assert "书记" in text and world.party[0].name in text  # the secretary shows themselves (亮身份)
    assert "138****1111" in text and "13800001111" not in text
    assert re.findall(r"<li>([^<]+)</li>", text) == ["巡查走访", "信息采集", "矛盾调解"]
    assert PHONE.findall(text) == [] and ID_NUMBER.findall(text) == []
    for person in world.masses + world.party[1:]:  # nobody of the households it covers
        assert person.name not in text
    assert f"?grid={GRID}" in text  # "report a problem here" opens the intake with the grid set
    report = client.get(f"/report/?grid={GRID}")
    assert re.search(r'id="id_lng" value="107\.\d+"', report.content.decode())


def test_a_tampered_or_foreign_code_is_a_clear_404(client, world, card):
    token = cards.token_for(card)
    other = actions.card_issue(by=world.community, grid=GRID2)
    forged = token.replace(GRID, GRID2, 1)  # the other grid's code with this card's signature
    for bad in (forged, token[:-2] + "xx", "not-a-token", cards.token_for(other).split(":")[0]):
        page = client.get(f"/card/{bad}/")
        assert page.status_code == 404
        assert "二维码已失效" in page.content.decode()
    assert client.get(f"/card/{forged}/qr.svg").status_code == 404


def test_revoking_retires_every_printed_code_but_not_the_grid(client, world, card):
    old = cards.card_path(card)
    with pytest.raises(DomainError) as exc:
        actions.card_revoke(by=world.community, grid=GRID, reason="")
    assert exc.value.field == "reason"
    actions.card_revoke(by=world.community, grid=GRID, reason="卡片遗失")
    card.refresh_from_db()
    assert client.get(old).status_code == 404
    assert client.get(cards.card_path(card)).status_code == 200
    assert card.revoked_count == 1


def test_the_qr_code_is_an_svg_of_the_cards_address(client, card):
    path = cards.card_path(card)
    svg = client.get(f"{path}qr.svg")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert svg.content.startswith(b"<?xml") and b"<svg" in svg.content


def test_a_card_names_the_grid_not_a_person(world, card):
    value = signing.Signer(salt=cards.SALT).unsign(cards.token_for(card))
    assert value == f"{GRID}.{card.nonce}"  # the grid and the card's nonce: nothing about a person
    world.worker.display_name = "新网格员"
    world.worker.save(update_fields=["display_name"])
    assert cards.card_for_token(cards.token_for(card)) == card  # the printed code stays right


def test_cards_are_made_by_the_community_for_its_grids(world, card):
    with pytest.raises(DomainError) as exc:
        actions.card_issue(by=world.worker, grid=GRID)
    assert exc.value.status == 403
    with pytest.raises(DomainError) as exc:
        actions.card_issue(by=world.community, grid=COMMUNITY)
    assert exc.value.field == "grid"
    assert DutyCard.objects.count() == 1


def test_the_worker_photo_is_on_the_public_card_and_replaced_by_a_new_one(
    client, world, card, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from gridgov.core.models import Upload
    from gridgov.testing import images

    settings.MEDIA_ROOT = tmp_path / "media"

    def png():
        return SimpleUploadedFile("me.png", images.PNG, content_type="image/png")

    with pytest.raises(DomainError) as exc:
        actions.worker_photo_set(by=world.community, worker=world.worker.pk, photo=None)
    assert exc.value.field == "photo"
    with pytest.raises(DomainError) as exc:
        actions.worker_photo_set(by=world.community, worker=world.resident.pk, photo=png())
    assert exc.value.field == "worker"
    with pytest.raises(DomainError) as exc:
        actions.worker_photo_set(by=world.worker, worker=world.worker.pk, photo=png())
    assert exc.value.status == 403
    first = actions.worker_photo_set(by=world.community, worker=world.worker.pk, photo=png())
    second = actions.worker_photo_set(by=world.community, worker=world.worker.pk, photo=png())
    assert list(Upload.objects.filter(owner="accounts.user").values_list("pk", flat=True)) == [second.pk]
    path = cards.card_path(card)
    page = client.get(path).content.decode()
    assert f"{path}photos/{second.pk}/" in page and f"photos/{first.pk}/" not in page
    photo = client.get(f"{path}photos/{second.pk}/")  # anyone who scans the card, no sign-in
    assert photo.status_code == 200 and photo["Content-Type"] == "image/webp"
    assert client.get(f"{path}photos/{first.pk}/").status_code == 404  # the replaced photo is gone
    assert client.get(f"/files/{second.pk}/thumb/").status_code == 302  # not through the private file view
    actions.card_revoke(by=world.community, grid=GRID, reason="换码")
    assert client.get(f"{path}photos/{second.pk}/").status_code == 404  # nor through a revoked code
