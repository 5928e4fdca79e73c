"""Demo party organisation of 姜谭路西社区 (610302003001), built on the demo ledger (typing nothing twice):

- the community committee (社区党委), a joint committee (大党委) with two co-building units, a branch on
  each of the six grids, a party group on every building, a central household (党员中心户) in every
  other group;
- every resident the ledger lists as a party member registered as one (the ledger's status is then
  derived from the membership), in the group of their building; secretaries, group leaders; about one in
  six working elsewhere (在职党员), a few floating (流动党员); two unit employees in the joint committee;
- every household's contact (包联户): a member of its building's group, the grid worker for a few, and a
  realistic few without one;
- the demo volunteer 张党员 is an in-work member of 中国银行渭滨支行, reported to the community (confirmed);
- two co-building agreements, one red property company with residents' ratings, a duty card on each grid,
  this quarter's 三会一课 and 月月谈 (the last two branches still short of a meeting).

Rows are written in bulk (a fixture loader); every run builds the same organisation. A second run adds
nothing.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import Role, Unit, User
from gridgov.areas.models import Area, Level
from gridgov.ledger.models import Building, Household, Resident
from gridgov.party.models import (
    Activity,
    ActivityKind,
    Agreement,
    Commitment,
    Contact,
    DutyCard,
    Member,
    MemberReport,
    MemberStatus,
    Office,
    Org,
    OrgChange,
    OrgKind,
    PropertyRating,
    RedProperty,
    ReportState,
)

COMMUNITY = "610302003001"
SEED = 61030200316
PARTNERS = ("中国银行渭滨支行", "渭滨区人民医院")
PROPERTY = "秦川物业服务有限公司"
UNIT_MEMBERS = [("王立军", "中国银行渭滨支行"), ("李春梅", "渭滨区人民医院")]


def _org(kind, name, area, parent=None, on=None, **extra) -> Org:
    org = Org.objects.create(
        kind=kind, name=name, area=area, area_code=area.code, parent=parent, set_up_on=on, **extra
    )
    OrgChange.objects.create(org=org, kind=OrgChange.Kind.SET_UP, after={"name": name}, at=timezone.now())
    return org


def load_demo_party(admin) -> dict[str, int]:
    community = Area.objects.filter(code=COMMUNITY).first()
    if community is None or Org.objects.filter(area_code__startswith=COMMUNITY).exists():
        return {}
    rng = random.Random(SEED)
    today = timezone.localdate()
    set_up = today.replace(year=today.year - 6, month=7, day=1)
    street_staff = User.objects.filter(role=Role.STREET, area__code=COMMUNITY[:9]).first()
    worker = User.objects.filter(role=Role.GRID_WORKER, area__code__startswith=COMMUNITY).first()
    partners = list(Unit.objects.filter(name__in=PARTNERS).order_by("name"))
    with transaction.atomic():
        committee = _org(OrgKind.COMMITTEE, "中共姜谭路西社区委员会", community, on=set_up)
        joint = _org(OrgKind.JOINT, "姜谭路西社区大党委", community, committee, on=set_up)
        joint.units.set(partners)
        grids = list(
            Area.objects.filter(code__startswith=COMMUNITY, level=Level.GRID, is_active=True).order_by("code")
        )
        branches: dict[str, Org] = {}
        groups: dict[int, Org] = {}
        for n, grid in enumerate(grids, start=1):
            branches[grid.code] = _org(
                OrgKind.BRANCH, f"第{n}网格党支部", grid, committee, on=set_up, liaison=street_staff
            )
            for building in Building.objects.filter(area=grid, is_active=True).order_by("code"):
                groups[building.pk] = _org(
                    OrgKind.GROUP,
                    f"{building.name}党小组",
                    grid,
                    branches[grid.code],
                    on=set_up,
                    building=building,
                    liaison=worker if worker and grid.code == worker.area.code else None,
                )
        property_branch = _org(OrgKind.BRANCH, "秦川物业党支部", community, joint, on=set_up)

        # Members: every resident the ledger calls a party member, in their building's group.
        residents = list(
            Resident.objects.filter(
                area_code__startswith=COMMUNITY,
                is_active=True,
                political_status__in=[
                    Resident.PoliticalStatus.PARTY_MEMBER,
                    Resident.PoliticalStatus.PROBATIONARY,
                ],
            )
            .select_related("household")
            .order_by("household__building_id", "household_id", "id")
        )
        members = []
        for r in residents:
            in_work = rng.random() < 0.17
            members.append(
                Member(
                    resident=r,
                    org=groups[r.household.building_id],
                    area_code=r.area_code,
                    status=MemberStatus.PROBATIONARY
                    if r.political_status == Resident.PoliticalStatus.PROBATIONARY
                    else MemberStatus.FULL,
                    joined_on=today - timedelta(days=rng.randint(400, 16000)),
                    is_in_work=in_work,
                    is_floating=not in_work and rng.random() < 0.03,
                    unit=rng.choice(partners) if in_work and partners else None,
                    home_community=community,
                )
            )
        Member.objects.bulk_create(members)
        Resident.objects.filter(pk__in=[r.pk for r in residents]).update(political_status_by_party=True)
        members = list(
            Member.objects.filter(area_code__startswith=COMMUNITY).select_related(
                "org", "resident__household"
            )
        )
        by_group: dict[int, list[Member]] = {}
        for m in members:
            by_group.setdefault(m.org_id, []).append(m)
        # Offices: the first member of a group leads it; the first of each grid is the branch's secretary.
        secretaries = set()
        group_of = {g.pk: g for g in groups.values()}
        for org_id, people in by_group.items():
            people[0].office = Office.GROUP_LEADER
            branch = group_of[org_id].parent
            if branch.pk not in secretaries:
                people[0].office = Office.SECRETARY
                people[0].org = branch
                secretaries.add(branch.pk)
            Member.objects.filter(pk=people[0].pk).update(office=people[0].office, org=people[0].org)
        for name, unit_name in UNIT_MEMBERS:
            unit = next((u for u in partners if u.name == unit_name), None)
            if unit is not None:
                Member.objects.create(
                    name=name,
                    unit=unit,
                    org=joint,
                    area_code=COMMUNITY,
                    status=MemberStatus.FULL,
                    is_in_work=True,
                )

        # Central households: the household of the first member of every other group.
        central = 0
        for i, (_building, group) in enumerate(sorted(groups.items())):
            people = by_group.get(group.pk) or []
            if i % 2 == 0 and len(people) > 1 and people[1].resident_id:
                home = people[1].resident.household
                _org(
                    OrgKind.CENTRAL_HOUSEHOLD,
                    f"{people[1].resident.name}党员中心户",
                    group.area,
                    group,
                    on=set_up,
                    household=home,
                )
                central += 1

        # Contacts: every household gets a member of its building's group, a few the grid worker, a few none.
        contacts = []
        for household in Household.objects.filter(area_code__startswith=COMMUNITY, is_active=True).order_by(
            "id"
        ):
            roll = rng.random()
            if roll < 0.03:
                continue  # a realistic few without a contact yet
            people = by_group.get(groups[household.building_id].pk, [])
            workers_grid = worker is not None and household.area_code == worker.area.code
            if (roll < 0.08 and workers_grid) or not people:
                if workers_grid:
                    contacts.append(
                        Contact(
                            household=household, worker=worker, area_code=household.area_code, since=today
                        )
                    )
                continue
            contacts.append(
                Contact(
                    household=household,
                    member=people[household.pk % len(people)],
                    area_code=household.area_code,
                    since=today,
                )
            )
        Contact.objects.bulk_create(contacts)

        # The demo volunteer 张党员: an in-work member of 中国银行渭滨支行 who reported to the community.
        volunteer = User.objects.filter(username="volunteer").first()
        bank = next((u for u in partners if u.name == "中国银行渭滨支行"), None)
        if volunteer is not None and bank is not None:
            me = next((m for m in members if m.is_in_work and m.unit_id == bank.pk), None)
            if me is not None:
                Member.objects.filter(pk=me.pk).update(user=volunteer)
                now = timezone.now()
                MemberReport.objects.create(
                    member=me,
                    community=community,
                    area_code=COMMUNITY,
                    unit=bank,
                    state=ReportState.CONFIRMED,
                    note="周末可参加志愿服务，擅长金融知识宣传",
                    requested_at=now - timedelta(days=40),
                    decided_at=now - timedelta(days=38),
                )
        for m in [m for m in members if m.is_in_work and m.unit_id][:6]:
            if not MemberReport.objects.filter(member=m).exists():
                MemberReport.objects.create(
                    member=m,
                    community=community,
                    area_code=COMMUNITY,
                    unit=m.unit,
                    requested_at=timezone.now() - timedelta(days=rng.randint(1, 5)),
                )

        # Co-building agreements.
        agreements = 0
        for unit, items in zip(
            partners,
            (
                ["每季度开展一次金融知识进社区", "为老年人提供防诈骗讲座", "认领一个民生实事项目"],
                ["每月一次义诊", "为独居老人建立健康档案", "派驻家庭医生团队"],
            ),
            strict=False,
        ):
            agreement = Agreement.objects.create(
                unit=unit,
                area=community,
                area_code=COMMUNITY,
                title=f"{unit.name}与姜谭路西社区共建协议",
                starts_on=today.replace(month=1, day=1),
                ends_on=today.replace(month=12, day=31),
                created_by=admin,
            )
            Commitment.objects.bulk_create(
                [
                    Commitment(
                        agreement=agreement, text=t, done_on=today - timedelta(days=30) if i == 0 else None
                    )
                    for i, t in enumerate(items)
                ]
            )
            agreements += 1

        # Red property, rated by residents this month.
        company = Unit.objects.filter(name=PROPERTY, kind=Unit.Kind.PROPERTY).first()
        ratings = 0
        if company is not None:
            red = RedProperty.objects.create(
                unit=company, org=property_branch, area_code=COMMUNITY, note="物业党支部书记兼任项目经理"
            )
            red.areas.set(grids[:3])
            raters = list(User.objects.filter(role__in=[Role.RESIDENT, Role.VOLUNTEER]).order_by("pk")[:10])
            month = today.replace(day=1)
            PropertyRating.objects.bulk_create(
                [
                    PropertyRating(
                        property=red,
                        rater=u,
                        month=month,
                        score=rng.choice([3, 4, 4, 5, 5]),
                        at=timezone.now(),
                    )
                    for u in raters
                ]
            )
            ratings = len(raters)

        # A duty card on every grid.
        DutyCard.objects.bulk_create(
            [
                DutyCard(grid=g, area_code=g.code, nonce=DutyCard.new_nonce(), issued_at=timezone.now())
                for g in grids
            ]
        )

        # This quarter's meetings: the first four branches hold all of 三会一课, the last two miss one.
        quarter_start = today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1)
        days = max(0, (today - quarter_start).days)
        activities = 0
        for n, grid in enumerate(grids):
            branch = branches[grid.code]
            plan = [
                (ActivityKind.CONGRESS, 1),
                (ActivityKind.LECTURE, 1),
                (ActivityKind.COMMITTEE_MEETING, 3),
            ]
            plan.append((ActivityKind.GROUP_MEETING, 3 if n < 4 else 1))
            people = [m for m in members if m.area_code == grid.code][:12]
            for kind, times in plan:
                for t in range(times):
                    activity = Activity.objects.create(
                        org=branch,
                        area_code=grid.code,
                        kind=kind,
                        held_on=quarter_start + timedelta(days=min(days, 7 + 25 * t + n)),
                        topic=f"{branch.name}{ActivityKind(kind).label}",
                        place="社区党群服务中心",
                        recorded_by=admin,
                        recorded_at=timezone.now(),
                    )
                    activity.attendees.set(people)
                    activities += 1
        talk = Activity.objects.create(
            org=committee,
            area_code=COMMUNITY,
            kind=ActivityKind.MONTHLY_TALK,
            held_on=today - timedelta(days=min(days, 10)),
            topic="月月谈：小区停车难怎么办",
            place="社区议事亭",
            summary="党员和居民代表议定：清理僵尸车，错时共享驻区单位车位。",
            residents_count=23,
            recorded_by=admin,
            recorded_at=timezone.now(),
        )
        talk.attendees.set(members[:15])
        activities += 1
    return {
        "orgs": Org.objects.filter(area_code__startswith=COMMUNITY).count(),
        "members": Member.objects.filter(area_code__startswith=COMMUNITY, is_active=True).count(),
        "contacts": len(contacts),
        "central": central,
        "agreements": agreements,
        "ratings": ratings,
        "cards": len(grids),
        "activities": activities,
    }
