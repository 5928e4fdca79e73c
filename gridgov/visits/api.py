"""``/api/v1/visits``: visit records, the worklist, coverage, must-visit rules, and turning a visit's
finding into a case. Scoped like everything else: out of scope is 404, the wrong role 403."""

from datetime import date, datetime

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from gridgov.cases.models import Case
from gridgov.core.cleaners import limit
from gridgov.core.errors import DomainError
from gridgov.core.pagination import Pages
from gridgov.core.scope import is_staff, require_staff
from gridgov.ledger.selectors import get_visible, households_visible_to
from gridgov.projects.models import Need
from gridgov.visits import actions, selectors
from gridgov.visits.models import Visit, VisitRule

router = Router(tags=["visits"])


# ---------------------------------------------------------------- schemas


class VisitPersonOut(Schema):
    id: int
    name: str


class VisitHouseholdRef(Schema):
    id: int
    label: str
    area_code: str


class VisitCaseRef(Schema):
    ref: str
    state: str
    state_label: str


class VisitOut(Schema):
    id: int
    household: VisitHouseholdRef
    area_code: str
    visited_at: datetime
    duration_minutes: int
    kind: str
    kind_label: str
    situation: str
    needs: str
    problems: str
    skills: str
    photo_url: str | None
    recorded_by: VisitPersonOut
    visitors: list[VisitPersonOut]
    cases: list[VisitCaseRef]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_household(obj: Visit) -> dict:
        return {"id": obj.household_id, "label": obj.household.label, "area_code": obj.household.area_code}

    @staticmethod
    def resolve_kind_label(obj: Visit) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_photo_url(obj: Visit) -> str | None:
        return reverse("core:file", args=[obj.photo_id]) if obj.photo_id else None

    @staticmethod
    def resolve_recorded_by(obj: Visit) -> dict:
        return {"id": obj.recorded_by_id, "name": str(obj.recorded_by)}

    @staticmethod
    def resolve_visitors(obj: Visit) -> list[dict]:
        return [{"id": u.pk, "name": str(u)} for u in obj.visitors.all()]

    @staticmethod
    def resolve_cases(obj: Visit) -> list[dict]:
        return [
            {"ref": c.ref, "state": c.state, "state_label": str(c.get_state_display())}
            for c in obj.cases.all()
        ]


class VisitIn(Schema):
    household: int = Field(..., description=gettext_lazy("户 id"))
    visited_at: datetime = Field(..., description=gettext_lazy("走访时间（不晚于现在，不早于 90 天前）"))
    duration_minutes: int = Field(20, description=gettext_lazy("时长（分钟，1–600）"))
    kind: str = Field("routine", description=gettext_lazy("routine 日常走访 / must 必访 / special 专项走访"))
    situation: str = Field("", max_length=limit(Visit, "situation"))
    needs: str = Field("", max_length=limit(Visit, "needs"))
    problems: str = Field("", max_length=limit(Visit, "problems"))
    skills: str = Field("", max_length=limit(Visit, "skills"))
    visitors: list[int] = Field(
        default_factory=list, description=gettext_lazy("同行走访人账号 id（记录人自动计入）")
    )


class VisitPatch(Schema):
    visited_at: datetime | None = None
    duration_minutes: int | None = None
    kind: str | None = None
    situation: str | None = Field(None, max_length=limit(Visit, "situation"))
    needs: str | None = Field(None, max_length=limit(Visit, "needs"))
    problems: str | None = Field(None, max_length=limit(Visit, "problems"))
    skills: str | None = Field(None, max_length=limit(Visit, "skills"))
    visitors: list[int] | None = None


class VisitFilters(Schema):
    area: str | None = Field(None, description=gettext_lazy("区域编码（含下级）"))
    household: int | None = None
    kind: str | None = None
    start: date | None = Field(None, description=gettext_lazy("走访日期起（含）"))
    end: date | None = Field(None, description=gettext_lazy("走访日期止（含）"))
    recorded_by: int | None = Field(None, description=gettext_lazy("记录人账号 id"))


class VisitToCaseIn(Schema):
    category: str = Field(..., description=gettext_lazy("事项分类代码"))
    description: str | None = Field(
        None,
        description=gettext_lazy("问题描述；省略时取走访的「问题与诉求」"),
        max_length=limit(Case, "description"),
    )
    reporter_phone: str = Field(
        "", description=gettext_lazy("联系电话；省略时取户主电话，户主无电话时取走访人电话")
    )
    lng: float | None = Field(None, description=gettext_lazy("问题位置经度；省略时取该户所在楼栋"))
    lat: float | None = Field(None, description=gettext_lazy("问题位置纬度；省略时取该户所在楼栋"))
    address: str | None = Field(
        None,
        max_length=200,
        description=gettext_lazy("问题所在地址；位置移离楼栋时必填，在楼栋时省略取该户地址"),
    )
    contact: str = Field(
        "household", description=gettext_lazy("联系人：household（户主）或 worker（走访人）")
    )


class VisitLinkCaseIn(Schema):
    case: str = Field(..., max_length=32, description=gettext_lazy("要关联的事件编号"))


class VisitToCaseOut(Schema):
    created: bool
    case: VisitCaseRef
    visit: int


class VisitToNeedIn(Schema):
    category: str = Field(..., description=gettext_lazy("服务类别代码"))
    title: str | None = Field(
        None,
        description=gettext_lazy("需求；省略时取「需求」（或「问题与诉求」）的第一行"),
        max_length=limit(Need, "title"),
    )
    description: str | None = Field(
        None,
        description=gettext_lazy("说明；省略时取走访的「需求」，没有时取「问题与诉求」"),
        max_length=limit(Need, "description"),
    )
    beneficiaries: int = 1
    urgency: str = Field("normal", description=gettext_lazy("low 不急 / normal 一般 / urgent 紧急"))


class VisitNeedRef(Schema):
    id: int
    title: str
    state: str
    area_code: str
    category: str


class VisitToNeedOut(Schema):
    created: bool
    need: VisitNeedRef
    visit: int


class VisitRuleOut(Schema):
    id: int
    district: str
    tag: str | None
    tag_name: str | None
    interval_days: int
    is_active: bool

    @staticmethod
    def resolve_district(obj: VisitRule) -> str:
        return obj.district.code

    @staticmethod
    def resolve_tag(obj: VisitRule) -> str | None:
        return obj.tag.code if obj.tag_id else None

    @staticmethod
    def resolve_tag_name(obj: VisitRule) -> str | None:
        return obj.tag.name if obj.tag_id else None


class VisitRuleIn(Schema):
    district: str = Field(..., description=gettext_lazy("区编码（6 位）"))
    tag: str | None = Field(None, description=gettext_lazy("标签代码或名称；省略表示全部住户"))
    interval_days: int
    is_active: bool = True


class VisitRulePatch(Schema):
    interval_days: int | None = None
    is_active: bool | None = None


class VisitWorkItemOut(Schema):
    household: VisitHouseholdRef
    due: date
    overdue: bool
    days_overdue: int
    days_left: int
    last_visit: date | None
    since: date
    rule: int
    reason: str = Field(..., description=gettext_lazy("适用的规则：标签名称或「全部住户」"))
    tag: str | None
    interval_days: int


class VisitPlanOut(Schema):
    area: str
    households: int = Field(..., description=gettext_lazy("目标户数"))
    period_days: int
    start: date
    end: date
    visited: int = Field(..., description=gettext_lazy("本人本期已走访户数"))


class VisitWorklistOut(Schema):
    count: int
    items: list[VisitWorkItemOut]
    plan: VisitPlanOut | None = Field(
        ..., description=gettext_lazy("本人的走访计划进度（只给本人看，不做排名）")
    )


class VisitWorklistQuery(Schema):
    days: int = Field(7, description=gettext_lazy("包含多少天内到期的户（另含全部已超期的户）"))
    area: str | None = None
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=200)


class VisitCoverageQuery(Schema):
    area: str | None = Field(None, description=gettext_lazy("区域编码；省略时为管辖范围的顶层区域"))
    start: date
    end: date
    group_by: str | None = Field(None, description=gettext_lazy("child：按下一级区域分组"))


class VisitFigures(Schema):
    households: int = Field(..., description=gettext_lazy("在册户数（期末前登记）"))
    visited: int = Field(..., description=gettext_lazy("期间内走访过的户数"))
    coverage: float | None = Field(..., description=gettext_lazy("走访覆盖率 = visited / households"))
    must_households: int = Field(..., description=gettext_lazy("必访户数（期末前已适用标签类必访规则）"))
    must_on_time: int = Field(..., description=gettext_lazy("期间内从未超期的必访户数"))
    must_on_time_rate: float | None = Field(
        ..., description=gettext_lazy("必访按时率 = must_on_time / must_households")
    )


class CoverageGroup(VisitFigures):
    code: str
    name: str


class VisitCoverageOut(Schema):
    area: str
    area_name: str
    start: date
    end: date
    group_by: str | None
    totals: VisitFigures
    groups: list[CoverageGroup]


# ---------------------------------------------------------------- helpers


def _household(user, pk: int):
    try:
        return get_visible(households_visible_to(user), pk)
    except DomainError as exc:
        exc.field = "household"
        raise


def _item(item: selectors.WorkItem) -> dict:
    d = item.due
    return {
        "household": {"id": item.household.pk, "label": item.household.label, "area_code": d.area_code},
        "due": d.due,
        "overdue": item.overdue,
        "days_overdue": item.days_overdue,
        "days_left": item.days_left,
        "last_visit": d.last_visit,
        "since": d.since,
        "rule": d.rule.pk,
        "reason": item.reason,
        "tag": d.rule.tag.code if d.rule.tag_id else None,
        "interval_days": d.rule.interval_days,
    }


# ---------------------------------------------------------------- worklist, coverage, rules (before /{id})


@router.get(
    "/worklist",
    response=VisitWorklistOut,
    summary=gettext_lazy("我的走访任务（到期与超期的户，最近到期在前）与本人计划进度"),
)
def worklist(request: HttpRequest, q: Query[VisitWorklistQuery]):
    user = request.auth
    if not is_staff(user):
        raise DomainError("forbidden", _("只有工作人员有走访任务"), status=403)
    items = selectors.worklist(user, days=q.days, area=q.area)
    first = (q.page - 1) * q.page_size
    progress = selectors.plan_progress(user)
    plan = None
    if progress is not None:
        plan = {
            "area": progress.plan.area.code,
            "households": progress.target,
            "period_days": progress.plan.period_days,
            "start": progress.start,
            "end": progress.end,
            "visited": progress.visited,
        }
    return {
        "count": len(items),
        "items": [_item(i) for i in items[first : first + q.page_size]],
        "plan": plan,
    }


@router.get(
    "/coverage",
    response=VisitCoverageOut,
    summary=gettext_lazy("走访覆盖率与必访按时率（按区域、期间，可按下一级分组）"),
)
def coverage(request: HttpRequest, q: Query[VisitCoverageQuery]):
    return selectors.coverage(request.auth, area=q.area, start=q.start, end=q.end, group_by=q.group_by)


@router.get("/rules", response=list[VisitRuleOut], summary=gettext_lazy("必访规则（本区）"))
@paginate(Pages, page_size=100)
def list_rules(request: HttpRequest):
    if not is_staff(request.auth):
        raise DomainError("forbidden", _("只有工作人员可以查看必访规则"), status=403)
    return selectors.rules_visible_to(request.auth)


@router.post(
    "/rules", response={201: VisitRuleOut}, summary=gettext_lazy("新建必访规则（区级工作人员、管理员）")
)
def create_rule(request: HttpRequest, payload: VisitRuleIn):
    rule = actions.rule_create(by=request.auth, **payload.dict())
    return Status(201, rule)


@router.patch("/rules/{rule_id}", response=VisitRuleOut, summary=gettext_lazy("修改必访规则的周期或停用"))
def update_rule(request: HttpRequest, rule_id: int, payload: VisitRulePatch):
    rule = selectors.rule_get_visible(request.auth, rule_id)
    return actions.rule_update(by=request.auth, rule=rule, **payload.dict(exclude_unset=True))


# ---------------------------------------------------------------- visits


@router.get("", response=list[VisitOut], summary=gettext_lazy("走访记录（按管辖范围）"))
@paginate(Pages, page_size=50)
def list_visits(request: HttpRequest, q: Query[VisitFilters]):
    if not is_staff(request.auth):
        raise DomainError("forbidden", _("只有工作人员可以查看走访记录"), status=403)
    return selectors.visit_list(request.auth, **q.dict())


@router.post("", response={201: VisitOut}, summary=gettext_lazy("记录一次入户走访"))
def create_visit(request: HttpRequest, payload: VisitIn):
    user = request.auth
    require_staff(user, _("只有工作人员可以记录走访"))
    data = payload.dict()
    household = _household(user, data.pop("household"))
    visit = actions.visit_record(by=user, household=household, **data)
    return Status(201, selectors.visit_get_visible(user, visit.pk))


@router.get("/{visit_id}", response=VisitOut, summary=gettext_lazy("走访记录详情"))
def get_visit(request: HttpRequest, visit_id: int):
    return selectors.visit_get_visible(request.auth, visit_id)


@router.patch("/{visit_id}", response=VisitOut, summary=gettext_lazy("修改走访记录（记录人或社区工作人员）"))
def update_visit(request: HttpRequest, visit_id: int, payload: VisitPatch):
    visit = selectors.visit_get_visible(request.auth, visit_id)
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None or k == "visitors"}
    if changes.get("visitors") is None:
        changes.pop("visitors", None)
    actions.visit_update(by=request.auth, visit=visit, **changes)
    return selectors.visit_get_visible(request.auth, visit_id)


@router.post(
    "/{visit_id}/photo",
    response=VisitOut,
    summary=gettext_lazy("上传或更换走访照片（multipart，字段 photo）"),
)
def set_photo(request: HttpRequest, visit_id: int, photo: File[UploadedFile]):
    visit = selectors.visit_get_visible(request.auth, visit_id)
    actions.visit_update(by=request.auth, visit=visit, photo=photo)
    return selectors.visit_get_visible(request.auth, visit_id)


@router.delete(
    "/{visit_id}",
    response={204: None},
    summary=gettext_lazy("删除走访记录（记录人 24 小时内或管理员，须填原因）"),
)
def delete_visit(request: HttpRequest, visit_id: int, reason: str = ""):
    visit = selectors.visit_get_visible(request.auth, visit_id)
    actions.visit_delete(by=request.auth, visit=visit, reason=reason)
    return Status(204, None)


@router.post(
    "/{visit_id}/case",
    response={201: VisitToCaseOut, 200: VisitToCaseOut},
    summary=gettext_lazy("把走访发现的问题转为事件（一次点击，重复提交返回同一事件）"),
)
def to_case(request: HttpRequest, visit_id: int, payload: VisitToCaseIn):
    visit = selectors.visit_get_visible(request.auth, visit_id)
    result = actions.visit_to_case(
        by=request.auth,
        visit=visit,
        category_code=payload.category,
        description=payload.description,
        reporter_phone=payload.reporter_phone,
        lng=payload.lng,
        lat=payload.lat,
        address=payload.address,
        contact=payload.contact,
    )
    case = result.case
    body = {
        "created": result.created,
        "case": {"ref": case.ref, "state": case.state, "state_label": str(case.get_state_display())},
        "visit": visit.pk,
    }
    return Status(201 if result.created else 200, body)


@router.post(
    "/{visit_id}/case/link",
    response=VisitToCaseOut,
    summary=gettext_lazy("把走访发现的问题关联到已有事件（可能重复时，代替新建）"),
)
def link_case(request: HttpRequest, visit_id: int, payload: VisitLinkCaseIn):
    visit = selectors.visit_get_visible(request.auth, visit_id)
    case = actions.visit_link_case(by=request.auth, visit=visit, ref=payload.case).case
    return {
        "created": False,
        "case": {"ref": case.ref, "state": case.state, "state_label": str(case.get_state_display())},
        "visit": visit.pk,
    }


@router.post(
    "/{visit_id}/need",
    response={201: VisitToNeedOut, 200: VisitToNeedOut},
    summary=gettext_lazy("把走访了解到的需求登记到需求清单（一次点击，重复提交返回同一需求）"),
)
def to_need(request: HttpRequest, visit_id: int, payload: VisitToNeedIn):
    visit = selectors.visit_get_visible(request.auth, visit_id)
    result = actions.visit_to_need(by=request.auth, visit=visit, **payload.dict())
    need = result.need
    body = {
        "created": result.created,
        "need": {
            "id": need.pk,
            "title": need.title,
            "state": need.state,
            "area_code": need.area_code,
            "category": need.category.code,
        },
        "visit": visit.pk,
    }
    return Status(201 if result.created else 200, body)
