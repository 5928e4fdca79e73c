"""Every read of the party organisation module, narrowed to the reader's scope (staff see their subtree; a
member sees their own households and reports; the duty card is public and shows no personal data)."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.models import Role, User
from gridgov.areas.models import Area, Level
from gridgov.core import uploads
from gridgov.core.crypto import mask_phone
from gridgov.core.errors import NotFound
from gridgov.core.models import Upload
from gridgov.core.scope import filter_in_scope, is_staff, staff_in_scope
from gridgov.ledger.models import Household, Resident
from gridgov.party.models import (
    Activity,
    ActivityKind,
    Agreement,
    Contact,
    DutyCard,
    Member,
    MemberReport,
    Office,
    Org,
    OrgKind,
    PropertyRating,
    RedProperty,
    ReportState,
)
from gridgov.points.models import Signup, SignupState
from gridgov.projects.models import Project, UnitYearScore
from gridgov.wishes.models import HOLDING, WishClaim

# ---------------------------------------------------------------- organisations


def orgs_visible(user, *, area: str | None = None, active: bool | None = True) -> QuerySet[Org]:
    if not is_staff(user):
        return Org.objects.none()
    qs = filter_in_scope(Org.objects.select_related("area", "parent", "liaison"), user, "area_code")
    if area:
        qs = qs.filter(area_code__startswith=area)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs


def org_get(user, org_id: int) -> Org:
    org = orgs_visible(user, active=None).filter(pk=org_id).first()
    if org is None:
        raise NotFound(_("党组织 %(id)s 不存在或不在您的管辖范围内") % {"id": org_id}, field="org")
    return org


@dataclass
class TreeNode:
    org: Org
    depth: int
    secretary: str = ""
    members: int = 0


def org_tree(user, *, area: str | None = None) -> list[TreeNode]:
    """The active organisations under ``area`` (default: the reader's scope) in tree order, each with its
    secretary and its number of members; two queries."""
    orgs = list(orgs_visible(user, area=area).order_by("area_code", "name"))
    ids = [o.pk for o in orgs]
    counts = dict(
        Member.objects.filter(org_id__in=ids, is_active=True)
        .values("org_id")
        .annotate(n=Count("id"))
        .values_list("org_id", "n")
    )
    heads = secretaries(ids)
    children: dict[int | None, list[Org]] = defaultdict(list)
    known = set(ids)
    for org in orgs:
        children[org.parent_id if org.parent_id in known else None].append(org)
    out: list[TreeNode] = []

    def walk(parent: int | None, depth: int) -> None:
        for org in children.get(parent, []):
            out.append(TreeNode(org, depth, heads.get(org.pk, ""), counts.get(org.pk, 0)))
            walk(org.pk, depth + 1)

    walk(None, 0)
    return out


def secretaries(org_ids: list[int]) -> dict[int, str]:
    """The secretary's name of each organisation (the group leader's for a group)."""
    rows = (
        Member.objects.filter(
            org_id__in=org_ids, is_active=True, office__in=[Office.SECRETARY, Office.GROUP_LEADER]
        )
        .select_related("resident")
        .order_by("office", "id")
    )
    out: dict[int, str] = {}
    for member in rows:
        out.setdefault(member.org_id, member.display_name)
    return out


# ---------------------------------------------------------------- members


def members_visible(
    user,
    *,
    org: int | None = None,
    area: str | None = None,
    status: str | None = None,
    in_work: bool | None = None,
    active: bool | None = True,
    q: str = "",
) -> QuerySet[Member]:
    if not is_staff(user):
        return Member.objects.none()
    qs = filter_in_scope(
        Member.objects.select_related("resident", "org", "unit", "home_community"), user, "area_code"
    )
    if org:
        qs = qs.filter(org_id=org)
    if area:
        qs = qs.filter(area_code__startswith=area)
    if status:
        qs = qs.filter(status=status)
    if in_work is not None:
        qs = qs.filter(is_in_work=in_work)
    if active is not None:
        qs = qs.filter(is_active=active)
    if q:
        qs = qs.filter(Q(resident__name__contains=q) | Q(name__contains=q))
    return qs.order_by("area_code", "org__name", "id")


def member_get(user, member_id: int) -> Member:
    member = members_visible(user, active=None).filter(pk=member_id).first()
    if member is None:
        raise NotFound(_("党员 %(id)s 不存在或不在您的管辖范围内") % {"id": member_id}, field="member")
    return member


def member_of(user) -> Member | None:
    """The signed-in person's own membership (for the member's pages)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Member.objects.filter(user=user, is_active=True).select_related("org", "resident", "unit").first()


def unregistered_party_residents(user, *, area: str | None = None) -> QuerySet[Resident]:
    """To register (待建档): residents the ledger lists as party members who have no membership yet."""
    if not is_staff(user):
        return Resident.objects.none()
    qs = filter_in_scope(Resident.objects.filter(is_active=True), user, "area_code").filter(
        political_status__in=[Resident.PoliticalStatus.PARTY_MEMBER, Resident.PoliticalStatus.PROBATIONARY],
        party_member__isnull=True,
    )
    if area:
        qs = qs.filter(area_code__startswith=area)
    return qs.select_related("household", "household__building").order_by("area_code", "household_id", "id")


# ---------------------------------------------------------------- contacts


@dataclass
class Coverage:
    area: Area
    households: int = 0
    by_member: int = 0
    by_worker: int = 0

    @property
    def covered(self) -> int:
        return self.by_member + self.by_worker

    @property
    def uncovered(self) -> int:
        return self.households - self.covered

    @property
    def percent(self) -> int:
        return round(100 * self.covered / self.households) if self.households else 100


def coverage(user, *, area: str | None = None) -> list[Coverage]:
    """Contact coverage (包联覆盖): per grid under ``area`` (default: the reader's scope), the active households and how many
    have a contact member or a contact grid worker. Three grouped queries."""
    if not is_staff(user):
        return []
    grids = filter_in_scope(
        Area.objects.filter(is_active=True, level__in=[Level.GRID, Level.MICROGRID]), user, "code"
    )
    if area:
        grids = grids.filter(code__startswith=area)
    rows = {g.code: Coverage(g) for g in grids.order_by("code")}
    households = filter_in_scope(Household.objects.filter(is_active=True), user, "area_code")
    if area:
        households = households.filter(area_code__startswith=area)
    for code, n in households.values("area_code").annotate(n=Count("id")).values_list("area_code", "n"):
        if code in rows:
            rows[code].households = n
    contacts = Contact.objects.filter(household__in=households)
    counted = contacts.values("area_code").annotate(
        members=Count("id", filter=Q(member__isnull=False)),
        workers=Count("id", filter=Q(member__isnull=True)),
    )
    for row in counted:
        if row["area_code"] in rows:
            rows[row["area_code"]].by_member = row["members"]
            rows[row["area_code"]].by_worker = row["workers"]
    return list(rows.values())


def coverage_total(rows: list[Coverage], name: str) -> Coverage:
    """The sum of the rows of :func:`coverage` (the table's last line)."""
    total = Coverage(Area(name=name))
    for r in rows:
        total.households += r.households
        total.by_member += r.by_member
        total.by_worker += r.by_worker
    return total


def uncovered_households(user, *, grid: str) -> QuerySet[Household]:
    if not staff_in_scope(user, grid):
        return Household.objects.none()
    return (
        Household.objects.filter(area_code=grid, is_active=True, party_contact__isnull=True)
        .select_related("building", "head")
        .order_by("building_id", "unit", "room")
    )


def contacts_in(user, *, grid: str) -> QuerySet[Contact]:
    if not staff_in_scope(user, grid):
        return Contact.objects.none()
    return (
        Contact.objects.filter(area_code=grid)
        .select_related("household", "household__building", "member", "member__resident", "worker")
        .order_by("household__building_id", "household__unit", "household__room")
    )


def my_households(member: Member) -> QuerySet[Contact]:
    return (
        Contact.objects.filter(member=member, household__is_active=True)
        .select_related("household", "household__building", "household__head")
        .order_by("household__building_id", "household__unit", "household__room")
    )


def contact_label(contact: Contact) -> str:
    if contact.member_id:
        return _("%(name)s（党员）") % {"name": contact.member.display_name}
    return _("%(name)s（网格员）") % {"name": contact.worker}


def contact_labels(user, household_ids: list[int]) -> dict[int, str]:
    """The contact of each household as the visit worklist shows it (staff only)."""
    if not is_staff(user) or not household_ids:
        return {}
    rows = Contact.objects.filter(household_id__in=household_ids).select_related("member__resident", "worker")
    return {c.household_id: contact_label(c) for c in rows}


@dataclass
class Chain:
    """The chain of responsibility (五级包联) of one household: its contact, the contact's group and branch, and their liaisons."""

    contact: Contact | None
    links: list[tuple[str, str]] = field(default_factory=list)  # (role, name)


def chain_of(household: Household) -> Chain:
    contact = (
        Contact.objects.filter(household=household)
        .select_related("member__resident", "member__org", "worker")
        .first()
    )
    chain = Chain(contact)
    if contact is None:
        return chain
    chain.links.append((_("联系人"), contact_label(contact)))
    org = contact.member.org if contact.member_id else None
    seen = set()
    while org is not None and org.pk not in seen:
        seen.add(org.pk)
        chain.links.append((str(org.get_kind_display()), org.name))
        if org.liaison_id:
            chain.links.append((_("包联人"), str(org.liaison)))
        org = org.parent
    return chain


# ---------------------------------------------------------------- 双报到 of members


def reports_visible(user, *, state: str | None = None) -> QuerySet[MemberReport]:
    qs = MemberReport.objects.select_related("member__resident", "member__unit", "community", "unit")
    if is_staff(user):
        qs = filter_in_scope(qs, user, "area_code")
    elif getattr(user, "is_authenticated", False):
        qs = qs.filter(member__user=user)
    else:
        return MemberReport.objects.none()
    if state:
        qs = qs.filter(state=state)
    return qs


@dataclass
class Credit:
    """What reported members did in the communities they reported to: distinct volunteer tasks attended,
    their hours and the points those tasks gave them, distinct wishes claimed (active or fulfilled)."""

    tasks: int = 0
    hours: Decimal = Decimal(0)
    wishes: int = 0
    points: int = 0


def _members_work(pairs: list[tuple[int, str]], start: datetime | None, end: datetime | None):
    """(task ids, hours, points, wish ids) of the accounts in ``pairs`` (user id, community code) inside
    their community; hours and points are each person's."""
    tasks: set[int] = set()
    hours = Decimal(0)
    points = 0
    wishes: set[int] = set()
    for user_id, code in pairs:
        signups = Signup.objects.filter(
            volunteer_id=user_id, state=SignupState.ATTENDED, task__area_code__startswith=code
        )
        claims = WishClaim.objects.filter(
            claimant_id=user_id, state__in=HOLDING, wish__area_code__startswith=code
        )
        if start:
            signups = signups.filter(task__starts_at__gte=start)
            claims = claims.filter(claimed_at__gte=start)
        if end:
            signups = signups.filter(task__starts_at__lt=end)
            claims = claims.filter(claimed_at__lt=end)
        for task_id, h, p in signups.values_list("task_id", "hours", "task__points"):
            tasks.add(task_id)
            hours += h or 0
            points += p or 0
        wishes.update(claims.values_list("wish_id", flat=True))
    return tasks, hours, points, wishes


def member_credit(member: Member, *, start: datetime | None = None, end: datetime | None = None) -> Credit:
    """A reported member's own credit in the communities where their report is confirmed."""
    if not member.user_id:
        return Credit()
    codes = list(
        member.reports.filter(state=ReportState.CONFIRMED).values_list("area_code", flat=True).distinct()
    )
    tasks, hours, points, wishes = _members_work([(member.user_id, c) for c in codes], start, end)
    return Credit(len(tasks), hours, len(wishes), points)


def unit_credit(unit_id: int, *, start: datetime | None = None, end: datetime | None = None) -> Credit:
    """The unit's credit from its reported members and from its own wish claims: a task or a wish counts
    once for the unit however many of its members took part (hours are each person's)."""
    pairs = list(
        MemberReport.objects.filter(unit_id=unit_id, state=ReportState.CONFIRMED, member__user__isnull=False)
        .values_list("member__user_id", "area_code")
        .distinct()
    )
    tasks, hours, points, wishes = _members_work(pairs, start, end)
    own = WishClaim.objects.filter(unit_id=unit_id, state__in=HOLDING)
    if start:
        own = own.filter(claimed_at__gte=start)
    if end:
        own = own.filter(claimed_at__lt=end)
    wishes.update(own.values_list("wish_id", flat=True))
    return Credit(len(tasks), hours, len(wishes), points)


# ---------------------------------------------------------------- agreements, red property


def agreements_visible(user, *, unit: int | None = None) -> QuerySet[Agreement]:
    if is_staff(user):
        qs = filter_in_scope(Agreement.objects.all(), user, "area_code")
    elif getattr(user, "role", None) == Role.UNIT and user.unit_id:
        qs = Agreement.objects.filter(unit_id=user.unit_id)
    else:
        return Agreement.objects.none()
    if unit:
        qs = qs.filter(unit_id=unit)
    return qs.select_related("unit", "area").prefetch_related("commitments__project")


def agreement_get(user, agreement_id: int) -> Agreement:
    item = agreements_visible(user).filter(pk=agreement_id).first()
    if item is None:
        raise NotFound(_("共建协议不存在或不在您的管辖范围内"), field="agreement")
    return item


def agreement_work(agreement: Agreement):
    """What the agreement's unit did in its area: its projects there, newest first, and its yearly 双报到
    scores there (the agreement itself was found in the reader's scope)."""
    projects = Project.objects.filter(area_code__startswith=agreement.area_code, owner_unit=agreement.unit_id)
    scores = UnitYearScore.objects.filter(unit=agreement.unit_id, area_code__startswith=agreement.area_code)
    return projects.order_by("-id"), scores.order_by("-year")


def properties_for_rating(user) -> QuerySet[RedProperty]:
    """Every red property company (a resident rates the one that manages their home)."""
    return RedProperty.objects.select_related("unit", "org").prefetch_related("areas").order_by("unit__name")


def properties_visible(user) -> QuerySet[RedProperty]:
    if not is_staff(user):
        return RedProperty.objects.none()
    prefixes = filter_in_scope(Area.objects.all(), user, "code")
    return (
        RedProperty.objects.filter(areas__in=prefixes)
        .distinct()
        .select_related("unit", "org")
        .prefetch_related("areas")
    )


def property_scores(property_ids: list[int], *, start: date, end: date) -> dict[int, tuple[int, float]]:
    """(number of ratings, mean score) of each property company for the months ``start``–``end``."""
    rows = (
        PropertyRating.objects.filter(property_id__in=property_ids, month__gte=start, month__lte=end)
        .values("property_id")
        .annotate(n=Count("id"), mean=Avg("score"))
    )
    return {r["property_id"]: (r["n"], round(float(r["mean"]), 2)) for r in rows}


# ---------------------------------------------------------------- activities


def activities_visible(user, *, org: int | None = None, area: str | None = None) -> QuerySet[Activity]:
    if not is_staff(user):
        return Activity.objects.none()
    qs = filter_in_scope(Activity.objects.select_related("org"), user, "area_code")
    if org:
        qs = qs.filter(org_id=org)
    if area:
        qs = qs.filter(area_code__startswith=area)
    return qs.annotate(present=Count("attendees")).order_by("-held_on", "-id")


# 三会一课: what a branch holds in a quarter — a members' congress and a lecture each quarter, a committee
# meeting and a group meeting each month (three in a quarter).
QUARTER_RULE = {
    ActivityKind.CONGRESS: 1,
    ActivityKind.LECTURE: 1,
    ActivityKind.COMMITTEE_MEETING: 3,
    ActivityKind.GROUP_MEETING: 3,
}


@dataclass
class Compliance:
    org: Org
    held: dict[str, int]

    @property
    def met(self) -> bool:
        return all(self.held.get(kind, 0) >= n for kind, n in QUARTER_RULE.items())

    @property
    def missing(self) -> list[str]:
        return [str(ActivityKind(k).label) for k, n in QUARTER_RULE.items() if self.held.get(k, 0) < n]


def compliance(user, *, area: str | None, start: date, end: date) -> list[Compliance]:
    """Meetings and lectures (三会一课) of every branch under ``area`` between ``start`` and ``end`` (a quarter): whether each
    required meeting was held (an outcome: the meeting took place, not how many signed in). Meetings of a
    branch's groups count as its group meetings."""
    branches = list(orgs_visible(user, area=area).filter(kind=OrgKind.BRANCH).order_by("area_code", "name"))
    held = _held([b.pk for b in branches], start, end)
    return [Compliance(b, held.get(b.pk, {})) for b in branches]


def _held(branch_ids: list[int], start: date, end: date) -> dict[int, dict[str, int]]:
    """How many activities of each kind every branch (and its groups) held between ``start`` and ``end``."""
    held: dict[int, dict[str, int]] = defaultdict(dict)
    ids = set(branch_ids)
    rows = (
        Activity.objects.filter(held_on__gte=start, held_on__lte=end)
        .filter(Q(org_id__in=ids) | Q(org__parent_id__in=ids, org__kind=OrgKind.GROUP))
        .values_list("org_id", "org__parent_id", "kind")
    )
    for org_id, parent_id, kind in rows:
        branch = org_id if org_id in ids else parent_id
        held[branch][kind] = held[branch].get(kind, 0) + 1
    return held


# ---------------------------------------------------------------- the duty card (public)


@dataclass
class CardView:
    card: DutyCard
    grid: Area
    community: Area | None
    workers: list[tuple[str, str, int | None]]  # (name, masked phone, photo upload id)
    branch: str
    secretary: str
    duties: list[str]
    outline: list[str]  # SVG polygon point lists of the boundary, in a 0–100 box


def card_view(card: DutyCard) -> CardView:
    """What the public card shows: the grid, its boundary, its grid workers (name and masked phone only),
    its party branch and secretary, the duty list. Nothing else about anyone."""
    grid = card.grid
    people = grid_workers([grid])[grid.pk]
    photos = uploads.by_owner(people, Upload.Role.PHOTO)
    workers = [
        (str(u), mask_phone(u.phone) if u.phone else "", photos[u.pk][-1].pk if photos.get(u.pk) else None)
        for u in people
    ]
    branch = (
        Org.objects.filter(kind=OrgKind.BRANCH, area=grid, is_active=True).order_by("pk").first()
        or Org.objects.filter(kind=OrgKind.BRANCH, area_code=grid.code[:12], is_active=True)
        .order_by("pk")
        .first()
    )
    secretary = secretaries([branch.pk]).get(branch.pk, "") if branch else ""
    duties = [line.strip() for line in (card.duties or "").splitlines() if line.strip()] or DEFAULT_DUTIES()
    return CardView(
        card,
        grid,
        grid.parent,
        workers,
        branch.name if branch else "",
        secretary,
        duties,
        outline(grid.boundary),
    )


def card_photo_ids(card: DutyCard) -> set[int]:
    """The ids of the photos the card shows (its grid's workers' current photos)."""
    return {photo for _name, _phone, photo in card_view(card).workers if photo}


def DEFAULT_DUTIES() -> list[str]:  # noqa: N802 - a constant list, translated when read
    return [
        _("信息采集：掌握网格内人、地、物、事、组织基本情况"),
        _("隐患排查：巡查发现安全隐患、矛盾纠纷并及时上报"),
        _("政策宣传：宣传党的政策和法律法规"),
        _("便民服务：代办、帮办居民需要办理的事项"),
        _("走访联系：定期走访住户，重点关注独居老人、困难家庭"),
    ]


def outline(boundary) -> list[str]:
    """The outer rings of a GeoJSON polygon as SVG ``points`` lists, north up, centred in a 100 × 100 box
    (longitude shrunk by the cosine of the latitude, so the shape is the one on the ground)."""
    if not boundary:
        return []
    polygons = (
        boundary["coordinates"]
        if boundary.get("type") == "MultiPolygon"
        else [boundary.get("coordinates", [])]
    )
    rings = [ring for poly in polygons for ring in poly[:1]]
    points = [pt for ring in rings for pt in ring]
    if not points:
        return []
    squeeze = math.cos(math.radians(sum(p[1] for p in points) / len(points)))
    xs, ys = [p[0] * squeeze for p in points], [p[1] for p in points]
    width, height = max(xs) - min(xs), max(ys) - min(ys)
    scale = 90 / (max(width, height) or 1)
    dx, dy = (100 - width * scale) / 2, (100 - height * scale) / 2
    x0, y1 = min(xs), max(ys)
    return [
        " ".join(
            f"{dx + (x * squeeze - x0) * scale:.2f},{dy + (y1 - y) * scale:.2f}" for x, y, *_rest in ring
        )
        for ring in rings
    ]


def grid_workers(grids: list[Area]) -> dict[int, list[User]]:
    """The active grid workers of each grid (by the grid's id)."""
    out: dict[int, list[User]] = {g.pk: [] for g in grids}
    for u in User.objects.filter(role=Role.GRID_WORKER, area__in=grids, is_active=True).order_by(
        "display_name", "pk"
    ):
        out[u.area_id].append(u)
    return out


def cards_of(user, *, community: str) -> list[tuple[Area, DutyCard | None]]:
    """The grids of a community with their cards (``None``: not made yet)."""
    if not staff_in_scope(user, community):
        return []
    grids = list(
        Area.objects.filter(
            code__startswith=community, level__in=[Level.GRID, Level.MICROGRID], is_active=True
        ).order_by("code")
    )
    cards = {c.grid_id: c for c in DutyCard.objects.filter(grid__in=grids)}
    return [(g, cards.get(g.pk)) for g in grids]


def this_month() -> date:
    return timezone.localdate().replace(day=1)


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return start, end - timedelta(days=1)
