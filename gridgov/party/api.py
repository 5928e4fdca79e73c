"""``/api/v1/party``: the organisation tree and its history, members, households' contacts (包联) and
coverage, members' 双报到, co-building agreements, red property and its ratings, duty cards, activities
and 三会一课 compliance. Everything is scoped like the pages; the duty card page itself is public and
lives outside the API (``/card/<token>/``)."""

from datetime import date

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from gridgov.core.cleaners import REASON_LIMIT, limit
from gridgov.core.errors import DomainError
from gridgov.core.pagination import Mapped, Pages
from gridgov.core.scope import is_staff
from gridgov.party import actions, cards, selectors
from gridgov.party.models import (
    Activity,
    Agreement,
    Contact,
    DutyCard,
    Member,
    MemberReport,
    Org,
    PropertyRating,
    RedProperty,
)
from gridgov.party.workflow import MACHINE

router = Router(tags=[gettext_lazy("党建引领")])


# ---------------------------------------------------------------- schemas


class OrgIn(Schema):
    kind: str = Field(
        ...,
        description=gettext_lazy(
            "committee 党委 / joint 联合党委 / general_branch 党总支 / branch 党支部 / group 党小组 / central_household 党员中心户"
        ),
    )
    name: str = Field(..., max_length=limit(Org, "name"))
    area: str = Field(
        ..., description=gettext_lazy("覆盖区域编码（支部设在网格，党小组设在网格并可指定楼栋）")
    )
    parent: int | None = None
    building: int | None = Field(None, description=gettext_lazy("党小组所在楼栋 id"))
    household: int | None = Field(None, description=gettext_lazy("党员中心户所在户 id"))
    liaison: int | None = Field(
        None, description=gettext_lazy("包联人账号 id（支部：街道包联领导；党小组：网格员）")
    )
    units: list[int] = Field(default_factory=list, description=gettext_lazy("成员单位 id（联合党委/大党委）"))
    set_up_on: date | None = None
    note: str = Field("", max_length=limit(Org, "note"))


class OrgUpdateIn(Schema):
    name: str | None = Field(None, max_length=limit(Org, "name"))
    parent: int | None = None
    liaison: int | None = Field(None, description=gettext_lazy("0 清除"))
    units: list[int] | None = None
    note: str | None = Field(None, max_length=limit(Org, "note"))
    reason: str = Field("", max_length=REASON_LIMIT)


class ReasonIn(Schema):
    reason: str = Field("", max_length=REASON_LIMIT)


class MergeIn(Schema):
    into: int
    reason: str = Field("", max_length=REASON_LIMIT)


class OrgOut(Schema):
    id: int
    kind: str
    kind_label: str
    name: str
    parent: int | None
    area: str
    area_name: str
    building: int | None
    household: int | None
    liaison: str | None
    secretary: str
    members: int
    depth: int
    is_active: bool
    set_up_on: date
    dissolved_on: date | None


class OrgChangeOut(Schema):
    kind: str
    kind_label: str
    into: int | None
    reason: str
    at: str
    by: str | None


class OrgDetailOut(OrgOut):
    units: list[str]
    history: list[OrgChangeOut]


class MemberIn(Schema):
    org: int
    status: str = Field(..., description=gettext_lazy("full 正式党员 / probationary 预备党员"))
    resident: int | None = Field(None, description=gettext_lazy("台账中的居民 id（居民党员）"))
    name: str = Field(
        "", description=gettext_lazy("单位党员的姓名（不是本辖区居民时）"), max_length=limit(Member, "name")
    )
    unit: int | None = Field(None, description=gettext_lazy("单位党员的工作单位 id"))
    office: str = "member"
    joined_on: date | None = None
    is_floating: bool = False
    is_in_work: bool = False
    work_unit: int | None = Field(None, description=gettext_lazy("在职党员的工作单位 id"))
    home_community: str | None = Field(None, description=gettext_lazy("居住社区编码（在职党员报到用）"))
    user: int | None = Field(
        None, description=gettext_lazy("关联的账号 id（党员本人使用“我的包联户”“报到”）")
    )


class MemberUpdateIn(Schema):
    org: int | None = None
    status: str | None = None
    office: str | None = None
    is_floating: bool | None = None
    is_in_work: bool | None = None
    work_unit: int | None = Field(None, description=gettext_lazy("0 清除"))
    home_community: str | None = Field(None, description=gettext_lazy("空字符串清除"))
    user: int | None = Field(None, description=gettext_lazy("0 清除"))


class LeaveIn(Schema):
    reason: str = Field(
        ...,
        max_length=10,
        description=gettext_lazy("transfer 组织关系转出 / moved_out 迁出 / deceased 去世 / other 其他"),
    )
    on: date | None = None
    note: str = Field("", max_length=REASON_LIMIT)


class MemberOut(Schema):
    id: int
    name: str
    resident: int | None
    household: str = Field(..., description=gettext_lazy("居民党员所在户（地址），单位党员为空"))
    unit: str | None
    org: int
    org_name: str
    status: str
    status_label: str
    office: str
    office_label: str
    joined_on: date | None
    is_floating: bool
    is_in_work: bool
    home_community: str | None
    is_active: bool
    left_on: date | None
    left_reason: str
    households: int = Field(..., description=gettext_lazy("包联户数"))


class MemberFilters(Schema):
    org: int | None = None
    area: str | None = None
    status: str | None = None
    in_work: bool | None = None
    active: bool | None = True
    q: str = Field("", max_length=50)


class AreaFilter(Schema):
    area: str | None = Field(None, description=gettext_lazy("区域编码（含下级），默认本人管辖范围"))


class UnregisteredOut(Schema):
    resident: int
    name: str
    political_status: str
    household: str
    area: str


class CoverageOut(Schema):
    grid: str
    grid_name: str
    households: int
    by_member: int
    by_worker: int
    uncovered: int
    percent: int


class PartyHouseholdOut(Schema):
    id: int
    label: str
    head: str | None
    area: str


class ContactIn(Schema):
    households: list[int]
    member: int | None = None
    worker: int | None = None


class ClearIn(Schema):
    households: list[int]


class CountOut(Schema):
    count: int


class ReportIn(Schema):
    community: str
    note: str = Field("", max_length=limit(MemberReport, "note"))


class ReportOut(Schema):
    id: int
    member: str
    unit: str | None
    community: str
    community_name: str
    state: str
    state_label: str
    note: str
    requested_at: str
    allowed_actions: list[str]


class CreditOut(Schema):
    tasks: int
    hours: float
    wishes: int
    points: int


class PartyMeOut(Schema):
    member: MemberOut
    households: list[PartyHouseholdOut]
    reports: list[ReportOut]
    credit: CreditOut


class AgreementIn(Schema):
    unit: int
    area: str
    title: str = Field(..., max_length=limit(Agreement, "title"))
    starts_on: date
    ends_on: date
    commitments: list[str]
    note: str = Field("", max_length=limit(Agreement, "note"))


class CommitmentOut(Schema):
    id: int
    text: str
    done_on: date | None
    project: int | None
    project_title: str | None


class AgreementOut(Schema):
    id: int
    unit: int
    unit_name: str
    area: str
    area_name: str
    title: str
    starts_on: date
    ends_on: date
    state: str
    state_label: str
    note: str
    commitments: list[CommitmentOut]


class DoneIn(Schema):
    done_on: date | None = None
    project: int | None = None


class PropertyIn(Schema):
    unit: int
    areas: list[str]
    org: int | None = None
    note: str = Field("", max_length=limit(RedProperty, "note"))


class PropertyOut(Schema):
    id: int
    unit: int
    name: str
    org: str | None
    areas: list[str]
    ratings: int
    score: float | None = Field(None, description=gettext_lazy("本月以来的平均分（1–5）"))


class RateIn(Schema):
    score: int = Field(..., description="1–5")
    comment: str = Field("", max_length=limit(PropertyRating, "comment"))


class CardIssueIn(Schema):
    grid: str
    duties: str | None = Field(
        None, max_length=limit(DutyCard, "duties"), description=gettext_lazy("每行一条职责")
    )


class CardOut(Schema):
    grid: str
    grid_name: str
    issued: bool
    url: str | None = Field(None, description=gettext_lazy("扫码打开的公开页面地址（含签名令牌）"))
    qr: str | None = Field(None, description=gettext_lazy("二维码 SVG 地址"))
    revoked_count: int


class ActivityIn(Schema):
    org: int
    kind: str
    held_on: date
    topic: str = Field(..., max_length=limit(Activity, "topic"))
    place: str = Field("", max_length=limit(Activity, "place"))
    summary: str = Field("", max_length=limit(Activity, "summary"))
    attendees: list[int] = Field(default_factory=list)
    residents_count: int = 0


class ActivityOut(Schema):
    id: int
    org: int
    org_name: str
    kind: str
    kind_label: str
    held_on: date
    topic: str
    place: str
    summary: str
    attendees: int
    residents_count: int


class ComplianceIn(Schema):
    area: str | None = None
    year: int = Field(..., ge=2000, le=2100)
    quarter: int = Field(..., ge=1, le=4)


class ComplianceOut(Schema):
    org: int
    name: str
    met: bool
    held: dict[str, int]
    missing: list[str]


# ---------------------------------------------------------------- representations


def org_dict(node: selectors.TreeNode) -> dict:
    org = node.org
    return {
        "id": org.pk,
        "kind": org.kind,
        "kind_label": str(org.get_kind_display()),
        "name": org.name,
        "parent": org.parent_id,
        "area": org.area_code,
        "area_name": org.area.name,
        "building": org.building_id,
        "household": org.household_id,
        "liaison": str(org.liaison) if org.liaison_id else None,
        "secretary": node.secretary,
        "members": node.members,
        "depth": node.depth,
        "is_active": org.is_active,
        "set_up_on": org.set_up_on,
        "dissolved_on": org.dissolved_on,
    }


def org_detail(user, org_id: int) -> dict:
    org = selectors.org_get(user, org_id)
    node = selectors.TreeNode(
        org,
        0,
        selectors.secretaries([org.pk]).get(org.pk, ""),
        org.members.filter(is_active=True).count(),
    )
    return {
        **org_dict(node),
        "units": [u.name for u in org.units.all()],
        "history": [
            {
                "kind": c.kind,
                "kind_label": str(c.get_kind_display()),
                "into": c.into_id,
                "reason": c.reason,
                "at": c.at.isoformat(),
                "by": str(c.by) if c.by_id else None,
            }
            for c in org.changes.select_related("by")
        ],
    }


def member_dict(member: Member) -> dict:
    return {
        "id": member.pk,
        "name": member.display_name,
        "resident": member.resident_id,
        "household": member.resident.household.label if member.resident_id else "",
        "unit": member.unit.name if member.unit_id else None,
        "org": member.org_id,
        "org_name": member.org.name,
        "status": member.status,
        "status_label": str(member.get_status_display()),
        "office": member.office,
        "office_label": str(member.get_office_display()),
        "joined_on": member.joined_on,
        "is_floating": member.is_floating,
        "is_in_work": member.is_in_work,
        "home_community": member.home_community.code if member.home_community_id else None,
        "is_active": member.is_active,
        "left_on": member.left_on,
        "left_reason": member.left_reason,
        "households": member.contacts.count(),
    }


def household_dict(contact: Contact) -> dict:
    household = contact.household
    return {
        "id": household.pk,
        "label": household.label,
        "head": household.head.name if household.head_id else None,
        "area": household.area_code,
    }


def report_dict(user, report: MemberReport) -> dict:
    return {
        "id": report.pk,
        "member": report.member.display_name,
        "unit": report.unit.name if report.unit_id else None,
        "community": report.area_code,
        "community_name": report.community.name,
        "state": report.state,
        "state_label": str(report.get_state_display()),
        "note": report.note,
        "requested_at": report.requested_at.isoformat(),
        "allowed_actions": MACHINE.allowed_actions(user, report),
    }


def credit_dict(credit: selectors.Credit) -> dict:
    return {
        "tasks": credit.tasks,
        "hours": float(credit.hours),
        "wishes": credit.wishes,
        "points": credit.points,
    }


def agreement_dict(item: Agreement) -> dict:
    return {
        "id": item.pk,
        "unit": item.unit_id,
        "unit_name": item.unit.name,
        "area": item.area_code,
        "area_name": item.area.name,
        "title": item.title,
        "starts_on": item.starts_on,
        "ends_on": item.ends_on,
        "state": item.state,
        "state_label": str(item.get_state_display()),
        "note": item.note,
        "commitments": [
            {
                "id": c.pk,
                "text": c.text,
                "done_on": c.done_on,
                "project": c.project_id,
                "project_title": c.project.title if c.project_id else None,
            }
            for c in item.commitments.all()
        ],
    }


def card_dict(request, grid, card: DutyCard | None) -> dict:
    path = cards.card_path(card) if card else None
    return {
        "grid": grid.code,
        "grid_name": grid.name,
        "issued": card is not None,
        "url": request.build_absolute_uri(path) if path else None,
        "qr": f"{path}qr.svg" if path else None,
        "revoked_count": card.revoked_count if card else 0,
    }


# ---------------------------------------------------------------- organisations


@router.get("/orgs", response=list[OrgOut], summary=gettext_lazy("党组织树（本辖区，按层级排列）"))
def list_orgs(request: HttpRequest, q: Query[AreaFilter]):
    return [org_dict(n) for n in selectors.org_tree(request.auth, area=q.area)]


@router.post("/orgs", response={201: OrgDetailOut}, summary=gettext_lazy("成立党组织（绑定覆盖区域）"))
def create_org(request: HttpRequest, payload: OrgIn):
    org = actions.org_create(by=request.auth, **payload.dict())
    return Status(201, org_detail(request.auth, org.pk))


@router.get("/orgs/{org_id}", response=OrgDetailOut, summary=gettext_lazy("党组织详情与变更历史"))
def get_org(request: HttpRequest, org_id: int):
    return org_detail(request.auth, org_id)


@router.post(
    "/orgs/{org_id}",
    response=OrgDetailOut,
    summary=gettext_lazy("修改党组织（更名、调整上级、包联人、成员单位）"),
)
def update_org(request: HttpRequest, org_id: int, payload: OrgUpdateIn):
    actions.org_update(by=request.auth, org_id=org_id, **payload.dict())
    return org_detail(request.auth, org_id)


@router.post("/orgs/{org_id}/dissolve", response=OrgDetailOut, summary=gettext_lazy("撤销党组织"))
def dissolve_org(request: HttpRequest, org_id: int, payload: ReasonIn):
    actions.org_dissolve(by=request.auth, org_id=org_id, reason=payload.reason)
    return org_detail(request.auth, org_id)


@router.post(
    "/orgs/{org_id}/merge",
    response=OrgDetailOut,
    summary=gettext_lazy("合并党组织（党员和下级组织并入目标组织）"),
)
def merge_org(request: HttpRequest, org_id: int, payload: MergeIn):
    target = actions.org_merge(by=request.auth, org_id=org_id, into=payload.into, reason=payload.reason)
    return org_detail(request.auth, target.pk)


# ---------------------------------------------------------------- members


@router.get("/members", response=list[MemberOut], summary=gettext_lazy("党员名册（本辖区）"))
@paginate(Pages, page_size=50)
def list_members(request: HttpRequest, q: Query[MemberFilters]):
    return Mapped(selectors.members_visible(request.auth, **q.dict()), member_dict)


@router.post("/members", response={201: MemberOut}, summary=gettext_lazy("登记党员（台账居民或单位党员）"))
def create_member(request: HttpRequest, payload: MemberIn):
    member = actions.member_create(by=request.auth, **payload.dict())
    return Status(201, member_dict(selectors.member_get(request.auth, member.pk)))


@router.get("/members/{member_id}", response=MemberOut, summary=gettext_lazy("党员详情"))
def get_member(request: HttpRequest, member_id: int):
    return member_dict(selectors.member_get(request.auth, member_id))


@router.post(
    "/members/{member_id}",
    response=MemberOut,
    summary=gettext_lazy("修改党员信息（转正、职务、转组织、在职/流动）"),
)
def update_member(request: HttpRequest, member_id: int, payload: MemberUpdateIn):
    actions.member_update(by=request.auth, member_id=member_id, **payload.dict())
    return member_dict(selectors.member_get(request.auth, member_id))


@router.post(
    "/members/{member_id}/leave", response=MemberOut, summary=gettext_lazy("党员离册（包联户移交网格员）")
)
def leave_member(request: HttpRequest, member_id: int, payload: LeaveIn):
    actions.member_leave(by=request.auth, member_id=member_id, **payload.dict())
    return member_dict(selectors.member_get(request.auth, member_id))


@router.get(
    "/unregistered",
    response=list[UnregisteredOut],
    summary=gettext_lazy("待建档：台账中政治面貌为党员、尚未登记的居民"),
)
@paginate(Pages, page_size=50)
def list_unregistered(request: HttpRequest, q: Query[AreaFilter]):
    return Mapped(
        selectors.unregistered_party_residents(request.auth, area=q.area),
        lambda r: {
            "resident": r.pk,
            "name": r.name,
            "political_status": r.political_status,
            "household": r.household.label,
            "area": r.area_code,
        },
    )


# ---------------------------------------------------------------- contacts


@router.get(
    "/coverage",
    response=list[CoverageOut],
    summary=gettext_lazy("包联覆盖：各网格的户数、已指定联系人的户数"),
)
def get_coverage(request: HttpRequest, q: Query[AreaFilter]):
    return [
        {
            "grid": c.area.code,
            "grid_name": c.area.name,
            "households": c.households,
            "by_member": c.by_member,
            "by_worker": c.by_worker,
            "uncovered": c.uncovered,
            "percent": c.percent,
        }
        for c in selectors.coverage(request.auth, area=q.area)
    ]


@router.get(
    "/coverage/{grid}/uncovered",
    response=list[PartyHouseholdOut],
    summary=gettext_lazy("网格内尚无联系人的户"),
)
@paginate(Pages, page_size=100)
def list_uncovered(request: HttpRequest, grid: str):
    return Mapped(
        selectors.uncovered_households(request.auth, grid=grid),
        lambda h: {
            "id": h.pk,
            "label": h.label,
            "head": h.head.name if h.head_id else None,
            "area": h.area_code,
        },
    )


@router.post("/contacts", response=CountOut, summary=gettext_lazy("指定包联户的联系党员或网格员"))
def assign_contacts(request: HttpRequest, payload: ContactIn):
    return {"count": actions.contacts_assign(by=request.auth, **payload.dict())}


@router.post("/contacts/clear", response=CountOut, summary=gettext_lazy("取消包联"))
def clear_contacts(request: HttpRequest, payload: ClearIn):
    return {"count": actions.contacts_clear(by=request.auth, households=payload.households)}


# ---------------------------------------------------------------- the member's own


@router.get("/me", response=PartyMeOut, summary=gettext_lazy("我的党员信息：包联户、报到、在社区的服务"))
def me(request: HttpRequest):
    member = selectors.member_of(request.auth)
    if member is None:
        raise DomainError("not_member", _("您的账号没有关联在册党员"), status=404)
    return {
        "member": member_dict(member),
        "households": [household_dict(c) for c in selectors.my_households(member)],
        "reports": [
            report_dict(request.auth, r)
            for r in member.reports.select_related("community", "unit", "member__resident")
        ],
        "credit": credit_dict(selectors.member_credit(member)),
    }


# ---------------------------------------------------------------- 双报到 of members


@router.get(
    "/reports", response=list[ReportOut], summary=gettext_lazy("在职党员报到（社区：本辖区；党员：本人）")
)
@paginate(Pages, page_size=50)
def list_reports(request: HttpRequest, state: str | None = None):
    user = request.auth
    return Mapped(selectors.reports_visible(user, state=state), lambda r: report_dict(user, r))


@router.post(
    "/reports", response={201: ReportOut}, summary=gettext_lazy("在职党员向居住社区报到（本人申请）")
)
def request_report(request: HttpRequest, payload: ReportIn):
    report = actions.report_request(by=request.auth, **payload.dict())
    return Status(201, report_dict(request.auth, report))


@router.post(
    "/reports/{report_id}/{action}",
    response=ReportOut,
    summary=gettext_lazy("报到的流转：confirm / refuse / withdraw / end"),
)
def move_report(request: HttpRequest, report_id: int, action: str, payload: ReasonIn):
    report = actions.report_move(by=request.auth, report_id=report_id, action=action, reason=payload.reason)
    return report_dict(request.auth, report)


@router.get(
    "/units/{unit_id}/credit",
    response=CreditOut,
    summary=gettext_lazy("单位在职党员在社区的服务合计（不重复计算）"),
)
def get_unit_credit(request: HttpRequest, unit_id: int):
    user = request.auth
    if not (is_staff(user) or (user.unit_id == unit_id)):
        raise DomainError("forbidden", _("只有工作人员或本单位经办人可以查看"), status=403)
    return credit_dict(selectors.unit_credit(unit_id))


# ---------------------------------------------------------------- agreements


@router.get(
    "/agreements", response=list[AgreementOut], summary=gettext_lazy("共建协议（工作人员本辖区；单位本单位）")
)
def list_agreements(request: HttpRequest, unit: int | None = None):
    return [agreement_dict(a) for a in selectors.agreements_visible(request.auth, unit=unit)]


@router.post("/agreements", response={201: AgreementOut}, summary=gettext_lazy("登记共建协议及共建事项"))
def create_agreement(request: HttpRequest, payload: AgreementIn):
    item = actions.agreement_create(by=request.auth, **payload.dict())
    return Status(201, agreement_dict(selectors.agreement_get(request.auth, item.pk)))


@router.get("/agreements/{agreement_id}", response=AgreementOut, summary=gettext_lazy("共建协议详情"))
def get_agreement(request: HttpRequest, agreement_id: int):
    return agreement_dict(selectors.agreement_get(request.auth, agreement_id))


@router.post(
    "/agreements/{agreement_id}/terminate", response=AgreementOut, summary=gettext_lazy("终止共建协议")
)
def terminate_agreement(request: HttpRequest, agreement_id: int, payload: ReasonIn):
    actions.agreement_end(by=request.auth, agreement_id=agreement_id, reason=payload.reason)
    return agreement_dict(selectors.agreement_get(request.auth, agreement_id))


@router.post(
    "/commitments/{commitment_id}/done",
    response=AgreementOut,
    summary=gettext_lazy("共建事项完成（可关联项目）"),
)
def commitment_done(request: HttpRequest, commitment_id: int, payload: DoneIn):
    item = actions.commitment_done(by=request.auth, commitment_id=commitment_id, **payload.dict())
    return agreement_dict(selectors.agreement_get(request.auth, item.agreement_id))


# ---------------------------------------------------------------- red property


def _property_dict(item: RedProperty, scores: dict) -> dict:
    n, mean = scores.get(item.pk, (0, None))
    return {
        "id": item.pk,
        "unit": item.unit_id,
        "name": item.unit.name,
        "org": item.org.name if item.org_id else None,
        "areas": [a.code for a in item.areas.all()],
        "ratings": n,
        "score": mean,
    }


@router.get("/properties", response=list[PropertyOut], summary=gettext_lazy("红色物业及本月评分"))
def list_properties(request: HttpRequest):
    items = list(selectors.properties_for_rating(request.auth))
    month = selectors.this_month()
    scores = selectors.property_scores([i.pk for i in items], start=month, end=month)
    return [_property_dict(i, scores) for i in items]


@router.post(
    "/properties",
    response={201: PropertyOut},
    summary=gettext_lazy("登记红色物业（物业企业、党组织、服务区域）"),
)
def set_property(request: HttpRequest, payload: PropertyIn):
    item = actions.red_property_set(by=request.auth, **payload.dict())
    return Status(201, _property_dict(item, {}))


@router.post(
    "/properties/{property_id}/rate",
    response=PropertyOut,
    summary=gettext_lazy("居民评价物业（每月一次，1–5 分）"),
)
def rate_property(request: HttpRequest, property_id: int, payload: RateIn):
    rating = actions.property_rate(by=request.auth, property_id=property_id, **payload.dict())
    month = rating.month
    return _property_dict(rating.property, selectors.property_scores([property_id], start=month, end=month))


# ---------------------------------------------------------------- duty cards


@router.get("/cards", response=list[CardOut], summary=gettext_lazy("社区各网格的职责卡（二维码）"))
def list_cards(request: HttpRequest, community: str):
    return [
        card_dict(request, grid, card) for grid, card in selectors.cards_of(request.auth, community=community)
    ]


@router.post("/cards", response=CardOut, summary=gettext_lazy("生成职责卡或修改职责清单"))
def issue_card(request: HttpRequest, payload: CardIssueIn):
    card = actions.card_issue(by=request.auth, grid=payload.grid, duties=payload.duties)
    return card_dict(request, card.grid, card)


@router.post("/cards/{grid}/revoke", response=CardOut, summary=gettext_lazy("作废已印制的二维码（换发新码）"))
def revoke_card(request: HttpRequest, grid: str, payload: ReasonIn):
    card = actions.card_revoke(by=request.auth, grid=grid, reason=payload.reason)
    return card_dict(request, card.grid, card)


# ---------------------------------------------------------------- activities


def activity_dict(a: Activity) -> dict:
    return {
        "id": a.pk,
        "org": a.org_id,
        "org_name": a.org.name,
        "kind": a.kind,
        "kind_label": str(a.get_kind_display()),
        "held_on": a.held_on,
        "topic": a.topic,
        "place": a.place,
        "summary": a.summary,
        "attendees": getattr(a, "present", None)
        if getattr(a, "present", None) is not None
        else a.attendees.count(),
        "residents_count": a.residents_count,
    }


@router.get(
    "/activities",
    response=list[ActivityOut],
    summary=gettext_lazy("党组织活动记录（三会一课、月月谈、中心户活动）"),
)
@paginate(Pages, page_size=50)
def list_activities(request: HttpRequest, org: int | None = None, area: str | None = None):
    return Mapped(selectors.activities_visible(request.auth, org=org, area=area), activity_dict)


@router.post("/activities", response={201: ActivityOut}, summary=gettext_lazy("记录党组织活动及出席党员"))
def record_activity(request: HttpRequest, payload: ActivityIn):
    return Status(201, activity_dict(actions.activity_record(by=request.auth, **payload.dict())))


@router.get(
    "/compliance",
    response=list[ComplianceOut],
    summary=gettext_lazy("三会一课落实情况（按季度，各支部是否按要求召开）"),
)
def get_compliance(request: HttpRequest, q: Query[ComplianceIn]):
    start, end = selectors.quarter_bounds(q.year, q.quarter)
    return [
        {"org": c.org.pk, "name": c.org.name, "met": c.met, "held": c.held, "missing": c.missing}
        for c in selectors.compliance(request.auth, area=q.area, start=start, end=end)
    ]
