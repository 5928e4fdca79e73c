"""``/api/v1/needs``, ``/api/v1/resources``, ``/api/v1/projects``: the three lists, matching, the project
workflow (one ``POST /{id}/{action}`` per step) and the 双报到 compliance report and scores. Scoped like
everything else: out of scope is 404, the wrong role 403, the wrong state 409 with ``allowed_actions``."""

import json
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import ValidationError

from gridgov.core.cleaners import limit
from gridgov.core.errors import DomainError
from gridgov.core.pagination import Pages
from gridgov.core.scope import is_staff
from gridgov.core.timeline import timeline_of
from gridgov.projects import actions, selectors
from gridgov.projects.matching import match_resources
from gridgov.projects.models import Milestone, Need, Project, ProjectEvaluation, Resource, UnitYearScore
from gridgov.projects.workflow import NEED, PROJECT

needs = Router(tags=[gettext_lazy("三张清单与项目")])  # /needs
resources = Router(tags=[gettext_lazy("三张清单与项目")])  # /resources
projects = Router(tags=[gettext_lazy("三张清单与项目")])  # /projects


# ---------------------------------------------------------------- schemas


class ListsRef(Schema):
    code: str
    name: str


class ListsTimelineOut(Schema):
    at: datetime
    actor: str
    action: str
    from_state: str
    to_state: str
    note: str
    data: dict

    @staticmethod
    def resolve_actor(obj) -> str:
        return obj.actor_label


class NeedOut(Schema):
    id: int
    title: str
    description: str
    category: ListsRef
    area: ListsRef
    beneficiaries: int
    urgency: str
    urgency_label: str
    source: str
    source_id: int | None
    state: str
    state_label: str
    needed_by: date | None
    close_reason: str
    created_at: datetime

    @staticmethod
    def resolve_category(obj: Need) -> dict:
        return {"code": obj.category.code, "name": obj.category.name}

    @staticmethod
    def resolve_area(obj: Need) -> dict:
        return {"code": obj.area.code, "name": obj.area.name}

    @staticmethod
    def resolve_urgency_label(obj: Need) -> str:
        return str(obj.get_urgency_display())

    @staticmethod
    def resolve_state_label(obj: Need) -> str:
        return str(obj.get_state_display())


class ProjectRef(Schema):
    id: int
    title: str
    state: str


class NeedDetail(NeedOut):
    allowed_actions: list[str]
    projects: list[ProjectRef]
    timeline: list[ListsTimelineOut]

    @staticmethod
    def resolve_projects(obj: Need) -> list[dict]:
        return [{"id": p.pk, "title": p.title, "state": p.state} for p in obj.projects.all()]


class NeedIn(Schema):
    title: str = Field(..., max_length=limit(Need, "title"))
    category: str = Field(..., description=gettext_lazy("服务类别代码"))
    area: str = Field(..., description=gettext_lazy("区域编码（网格或社区）"))
    description: str = Field("", max_length=limit(Need, "description"))
    beneficiaries: int = 1
    urgency: str = Field("normal", description=gettext_lazy("low 不急 / normal 一般 / urgent 紧急"))
    needed_by: date | None = None
    source: str = Field("manual", description="manual / visit / wish / order / survey")
    source_id: int | None = None


class NeedPatch(Schema):
    title: str | None = Field(None, max_length=limit(Need, "title"))
    description: str | None = Field(None, max_length=limit(Need, "description"))
    category: str | None = None
    area: str | None = None
    beneficiaries: int | None = None
    urgency: str | None = None
    needed_by: date | None = None


class NeedFilters(Schema):
    category: str | None = Field(None, description=gettext_lazy("类别代码（含下级）"))
    area: str | None = Field(None, description=gettext_lazy("区域编码（含下级）"))
    urgency: str | None = None
    state: str | None = None
    source: str | None = None
    q: str | None = None


class ListsReasonIn(Schema):
    reason: str = Field("", max_length=limit(Need, "close_reason"))


class ResourceOwnerOut(Schema):
    kind: str
    id: int
    name: str


def _owner(obj) -> dict | None:
    if getattr(obj, "owner_unit_id", None):
        return {"kind": "unit", "id": obj.owner_unit_id, "name": obj.owner_unit.name}
    if getattr(obj, "owner_user_id", None):
        return {"kind": "user", "id": obj.owner_user_id, "name": str(obj.owner_user)}
    if getattr(obj, "owner_org_id", None):
        return {"kind": "organisation", "id": obj.owner_org_id, "name": obj.owner_org.name}
    return None


class ResourceOut(Schema):
    id: int
    title: str
    description: str
    category: ListsRef
    kind: str
    kind_label: str
    owner: ResourceOwnerOut
    quantity: str
    capacity: int | None
    available_from: date | None
    available_until: date | None
    availability: str
    area: ListsRef
    is_active: bool

    @staticmethod
    def resolve_category(obj: Resource) -> dict:
        return {"code": obj.category.code, "name": obj.category.name}

    @staticmethod
    def resolve_area(obj: Resource) -> dict:
        return {"code": obj.area.code, "name": obj.area.name}

    @staticmethod
    def resolve_kind_label(obj: Resource) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_owner(obj: Resource) -> dict | None:
        return _owner(obj)


class ResourceIn(Schema):
    title: str = Field(..., max_length=limit(Resource, "title"))
    category: str
    kind: str = Field(
        ..., description=gettext_lazy("skill 技能 / venue 场地 / funds 资金 / goods 物资 / hours 服务时长")
    )
    area: str
    owner_unit: int | None = Field(None, description=gettext_lazy("提供单位 id（三选一）"))
    owner_user: int | None = Field(None, description=gettext_lazy("提供人（党员/志愿者）账号 id（三选一）"))
    owner_org: int | None = Field(
        None, description=gettext_lazy("台账中的组织 id（商户、社会组织）（三选一）")
    )
    description: str = Field("", max_length=limit(Resource, "description"))
    quantity: str = Field("", max_length=limit(Resource, "quantity"))
    capacity: int | None = None
    available_from: date | None = None
    available_until: date | None = None
    availability: str = Field(
        "", description=gettext_lazy("例如：每周六上午"), max_length=limit(Resource, "availability")
    )


class ResourcePatch(Schema):
    title: str | None = Field(None, max_length=limit(Resource, "title"))
    description: str | None = Field(None, max_length=limit(Resource, "description"))
    category: str | None = None
    kind: str | None = None
    quantity: str | None = Field(None, max_length=limit(Resource, "quantity"))
    capacity: int | None = None
    available_from: date | None = None
    available_until: date | None = None
    availability: str | None = Field(None, max_length=limit(Resource, "availability"))
    area: str | None = None
    is_active: bool | None = None


class ResourceFilters(Schema):
    category: str | None = None
    kind: str | None = None
    area: str | None = None
    active: bool | None = None
    q: str | None = None


class NeedMatchOut(Schema):
    resource: ResourceOut
    score: float
    reasons: list[str]
    category_fit: str = Field(..., description="same / parent / other")
    rating: float | None
    rated_projects: int


class ProjectMilestoneOut(Schema):
    id: int
    title: str
    due: date | None
    done_at: datetime | None
    note: str


class ProjectMilestoneIn(Schema):
    title: str = Field(..., max_length=limit(Milestone, "title"))
    due: date | None = None
    note: str = Field("", max_length=limit(Milestone, "note"))


class ProjectOut(Schema):
    id: int
    title: str
    description: str
    area: ListsRef
    owner: ResourceOwnerOut | None
    is_secretary_project: bool
    claimed: bool
    plan: str
    budget: Decimal | None
    start_date: date | None
    end_date: date | None
    year: int
    state: str
    state_label: str
    progress: int
    sla: str
    summary: str
    needs: list[int]
    resources: list[int]
    created_at: datetime
    completed_at: datetime | None

    @staticmethod
    def resolve_area(obj: Project) -> dict:
        return {"code": obj.area.code, "name": obj.area.name}

    @staticmethod
    def resolve_owner(obj: Project) -> dict | None:
        return _owner(obj)

    @staticmethod
    def resolve_state_label(obj: Project) -> str:
        return str(obj.get_state_display())

    @staticmethod
    def resolve_needs(obj: Project) -> list[int]:
        return sorted(n.pk for n in obj.needs.all())

    @staticmethod
    def resolve_resources(obj: Project) -> list[int]:
        return sorted(r.pk for r in obj.resources.all())


class ProjectEvaluationOut(Schema):
    id: int
    score: int
    rating: str
    comment: str
    created_at: datetime


class ProjectDetail(ProjectOut):
    allowed_actions: list[str]
    milestones: list[ProjectMilestoneOut]
    evaluations: list[ProjectEvaluationOut]
    evaluation_average: float | None
    timeline: list[ListsTimelineOut]

    @staticmethod
    def resolve_milestones(obj: Project) -> list:
        return list(Milestone.objects.filter(project=obj))

    @staticmethod
    def resolve_evaluations(obj: Project) -> list:
        return list(ProjectEvaluation.objects.filter(project=obj))


class ProjectIn(Schema):
    title: str = Field(..., max_length=limit(Project, "title"))
    area: str
    description: str = Field("", max_length=limit(Project, "description"))
    plan: str = Field("", max_length=limit(Project, "plan"))
    budget: Decimal | None = None
    start_date: date | None = None
    end_date: date | None = None
    year: int | None = None
    needs: list[int] = Field(default_factory=list)
    resources: list[int] = Field(default_factory=list)
    milestones: list[ProjectMilestoneIn] = Field(default_factory=list)


class ProjectPatch(Schema):
    title: str | None = Field(None, max_length=limit(Project, "title"))
    description: str | None = Field(None, max_length=limit(Project, "description"))
    plan: str | None = Field(None, max_length=limit(Project, "plan"))
    budget: Decimal | None = None
    start_date: date | None = None
    end_date: date | None = None
    resources: list[int] | None = None


class ProjectFilters(Schema):
    state: str | None = None
    area: str | None = None
    year: int | None = None
    secretary: bool | None = Field(None, description=gettext_lazy("true：只看书记项目"))
    mine: bool = Field(False, description=gettext_lazy("true：本人/本单位负责的项目"))
    q: str | None = None


class ProjectActionIn(Schema):
    reason: str = Field("", description=gettext_lazy("退回、撤回必填"))
    owner_unit: int | None = Field(None, description=gettext_lazy("assign：承办单位 id"))
    owner_user: int | None = Field(None, description=gettext_lazy("assign：负责书记账号 id（书记项目）"))
    summary: str = Field(
        "", description=gettext_lazy("complete：完成情况（必填）"), max_length=limit(Project, "summary")
    )
    milestone: int | None = Field(None, description=gettext_lazy("milestone：完成的节点 id"))
    progress: int | None = Field(None, description=gettext_lazy("milestone：无节点的项目直接设置进度 0–100"))
    note: str = ""
    score: int | None = Field(None, description=gettext_lazy("evaluate：评分 1–5"))
    rating: str | None = Field(
        None, description=gettext_lazy("evaluate：satisfied / basic / unsatisfied（代替评分）")
    )
    comment: str = Field("", max_length=limit(ProjectEvaluation, "comment"))


class ProjectEvaluationIn(Schema):
    score: int | None = Field(None, description="1–5")
    rating: str | None = Field(None, description=gettext_lazy("satisfied / basic / unsatisfied（代替评分）"))
    comment: str = Field("", max_length=limit(ProjectEvaluation, "comment"))


class ReportingComplianceQuery(Schema):
    area: str | None = Field(None, description=gettext_lazy("街道或社区编码；省略时为管辖范围的顶层区域"))
    year: int | None = None


class ReportingUnitRow(Schema):
    unit: int
    unit_name: str
    claimed: int
    completed: int
    required: int
    status: str = Field(..., description=gettext_lazy("达标 / 未达标"))
    compliant: bool
    score: int | None = Field(..., description=gettext_lazy("社区年终评分（社区报表）"))


class ReportingComplianceOut(Schema):
    area: ListsRef
    year: int
    required: int
    units: list[ReportingUnitRow]
    below: list[ReportingUnitRow]


class ReportingScoreIn(Schema):
    unit: int
    community: str = Field(..., description=gettext_lazy("社区编码"))
    year: int
    score: int = Field(..., description=gettext_lazy("0–100；低于 60 须填写评语"))
    comment: str = Field("", max_length=limit(UnitYearScore, "comment"))


class ReportingScoreOut(Schema):
    id: int
    unit: int
    unit_name: str
    community: str
    year: int
    score: int
    comment: str
    scored_at: datetime

    @staticmethod
    def resolve_unit(obj: UnitYearScore) -> int:
        return obj.unit_id

    @staticmethod
    def resolve_unit_name(obj: UnitYearScore) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_community(obj: UnitYearScore) -> str:
        return obj.area_code


class ReportingRuleIn(Schema):
    area: str
    required_projects: int


class ReportingRuleOut(Schema):
    area: str
    required_projects: int


# ---------------------------------------------------------------- needs


def _need_detail(user, need: Need) -> Need:
    need.allowed_actions = NEED.allowed_actions(user, need)
    need.timeline = timeline_of(need)
    return need


@needs.get("", response=list[NeedOut], summary=gettext_lazy("需求清单（按管辖范围，可筛选）"))
@paginate(Pages, page_size=50)
def list_needs(request: HttpRequest, q: Query[NeedFilters]):
    if not is_staff(request.auth):
        raise DomainError("forbidden", _("只有工作人员可以查看需求清单"), status=403)
    return selectors.need_list(request.auth, **q.dict())


@needs.post(
    "",
    response={201: NeedDetail, 200: NeedDetail},
    summary=gettext_lazy("登记需求（同一来源记录只登记一次）"),
)
def create_need(request: HttpRequest, payload: NeedIn):
    need, created = actions.need_record_once(by=request.auth, **payload.dict())
    return Status(201 if created else 200, _need_detail(request.auth, need))


@needs.get(
    "/{need_id}", response=NeedDetail, summary=gettext_lazy("需求详情（含可执行操作、办理记录、关联项目）")
)
def get_need(request: HttpRequest, need_id: int):
    return _need_detail(request.auth, selectors.need_get_visible(request.auth, need_id))


@needs.patch("/{need_id}", response=NeedDetail, summary=gettext_lazy("修改需求"))
def update_need(request: HttpRequest, need_id: int, payload: NeedPatch):
    need = selectors.need_get_visible(request.auth, need_id)
    need = actions.need_update(by=request.auth, need=need, **payload.dict(exclude_unset=True))
    return _need_detail(request.auth, selectors.need_get_visible(request.auth, need.pk))


@needs.post("/{need_id}/close", response=NeedDetail, summary=gettext_lazy("关闭需求（须填原因）"))
def close_need(request: HttpRequest, need_id: int, payload: ListsReasonIn):
    need = selectors.need_get_visible(request.auth, need_id)
    actions.need_close(by=request.auth, need=need, reason=payload.reason)
    return _need_detail(request.auth, selectors.need_get_visible(request.auth, need_id))


@needs.post("/{need_id}/reopen", response=NeedDetail, summary=gettext_lazy("重新打开已关闭的需求"))
def reopen_need(request: HttpRequest, need_id: int):
    need = selectors.need_get_visible(request.auth, need_id)
    actions.need_reopen(by=request.auth, need=need)
    return _need_detail(request.auth, selectors.need_get_visible(request.auth, need_id))


@needs.get(
    "/{need_id}/matches", response=list[NeedMatchOut], summary=gettext_lazy("匹配资源（按得分排序，附理由）")
)
def need_matches(request: HttpRequest, need_id: int, limit: int = 20):
    need = selectors.need_get_visible(request.auth, need_id)
    found = match_resources(
        need,
        today=timezone.localdate(),
        candidates=selectors.resources_visible_to(request.auth),
        limit=max(1, min(limit, 100)),
    )
    return [
        {
            "resource": m.resource,
            "score": m.score,
            "reasons": m.reasons,
            "category_fit": m.category_fit,
            "rating": m.rating,
            "rated_projects": m.rated_projects,
        }
        for m in found
    ]


# ---------------------------------------------------------------- resources


@resources.get("", response=list[ResourceOut], summary=gettext_lazy("资源清单"))
@paginate(Pages, page_size=50)
def list_resources(request: HttpRequest, q: Query[ResourceFilters]):
    return selectors.resource_list(request.auth, **q.dict())


@resources.post(
    "", response={201: ResourceOut}, summary=gettext_lazy("登记资源（工作人员；单位经办人登记本单位资源）")
)
def create_resource(request: HttpRequest, payload: ResourceIn):
    res = actions.resource_create(by=request.auth, **payload.dict())
    return Status(201, selectors.resource_get_visible(request.auth, res.pk))


@resources.get("/{resource_id}", response=ResourceOut, summary=gettext_lazy("资源详情"))
def get_resource(request: HttpRequest, resource_id: int):
    return selectors.resource_get_visible(request.auth, resource_id)


@resources.patch("/{resource_id}", response=ResourceOut, summary=gettext_lazy("修改或停用资源"))
def update_resource(request: HttpRequest, resource_id: int, payload: ResourcePatch):
    res = selectors.resource_get_visible(request.auth, resource_id)
    actions.resource_update(by=request.auth, resource=res, **payload.dict(exclude_unset=True))
    return selectors.resource_get_visible(request.auth, resource_id)


# ---------------------------------------------------------------- projects: compliance and scores first


def _row(r) -> dict:
    return {
        "unit": r.unit.pk,
        "unit_name": r.unit.name,
        "claimed": r.claimed,
        "completed": r.completed,
        "required": r.required,
        "status": r.status,
        "compliant": r.compliant,
        "score": r.score,
    }


@projects.get(
    "/compliance",
    response=ReportingComplianceOut,
    summary=gettext_lazy("双报到达标情况（街道或社区，按年度）"),
)
def compliance(request: HttpRequest, q: Query[ReportingComplianceQuery]):
    report = selectors.compliance_report(request.auth, area=q.area, year=q.year)
    return {
        "area": {"code": report.area.code, "name": report.area.name},
        "year": report.year,
        "required": report.required,
        "units": [_row(r) for r in report.rows],
        "below": [_row(r) for r in report.below],
    }


@projects.post(
    "/scores",
    response={201: ReportingScoreOut},
    summary=gettext_lazy("社区为共建单位年终评分（0–100，低于 60 须填评语）"),
)
def score_unit(request: HttpRequest, payload: ReportingScoreIn):
    row = actions.unit_score(by=request.auth, **payload.dict())
    return Status(201, row)


@projects.get(
    "/scores", response=list[ReportingScoreOut], summary=gettext_lazy("共建单位年终评分（按管辖范围）")
)
@paginate(Pages, page_size=100)
def list_scores(request: HttpRequest, year: int | None = None):
    return selectors.scores_visible_to(request.auth, year=year)


@projects.post(
    "/rules",
    response=ReportingRuleOut,
    summary=gettext_lazy("设置双报到规则：每年须完成项目数 N（街道或社区）"),
)
def set_rule(request: HttpRequest, payload: ReportingRuleIn):
    rule = actions.cobuilding_rule_set(by=request.auth, **payload.dict())
    return {"area": rule.area.code, "required_projects": rule.required_projects}


# ---------------------------------------------------------------- projects


def _project_detail(user, project: Project) -> Project:
    project = selectors.project_get_visible(user, project.pk)
    project.allowed_actions = PROJECT.allowed_actions(user, project)
    project.evaluation_average = selectors.evaluation_summary(project)["average"]
    project.timeline = timeline_of(project)
    return project


@projects.get("", response=list[ProjectOut], summary=gettext_lazy("项目清单（民生实事）"))
@paginate(Pages, page_size=50)
def list_projects(request: HttpRequest, q: Query[ProjectFilters]):
    return selectors.project_list(request.auth, **q.dict()).prefetch_related("needs", "resources")


@projects.post(
    "", response={201: ProjectDetail}, summary=gettext_lazy("立项（草稿；关联的需求变为「已立项」）")
)
def create_project(request: HttpRequest, payload: ProjectIn):
    data = payload.dict()
    project = actions.project_create(by=request.auth, **data)
    return Status(201, _project_detail(request.auth, project))


@projects.get(
    "/{project_id}",
    response=ProjectDetail,
    summary=gettext_lazy("项目详情（可执行操作、节点、评价、办理记录）"),
)
def get_project(request: HttpRequest, project_id: int):
    return _project_detail(request.auth, selectors.project_get_visible(request.auth, project_id))


@projects.patch("/{project_id}", response=ProjectDetail, summary=gettext_lazy("修改项目（完成前）"))
def update_project(request: HttpRequest, project_id: int, payload: ProjectPatch):
    project = selectors.project_get_visible(request.auth, project_id)
    actions.project_update(by=request.auth, project=project, **payload.dict(exclude_unset=True))
    return _project_detail(request.auth, project)


@projects.post(
    "/{project_id}/milestones", response={201: ProjectMilestoneOut}, summary=gettext_lazy("添加项目节点")
)
def add_milestone(request: HttpRequest, project_id: int, payload: ProjectMilestoneIn):
    project = selectors.project_get_visible(request.auth, project_id)
    return Status(201, actions.milestone_add(by=request.auth, project=project, **payload.dict()))


@projects.post(
    "/{project_id}/milestones/{milestone_id}/done",
    response=ProjectDetail,
    summary=gettext_lazy("完成项目节点"),
)
def done_milestone(request: HttpRequest, project_id: int, milestone_id: int):
    project = selectors.project_get_visible(request.auth, project_id)
    note = _body(request, ProjectActionIn).note
    actions.milestone_done(by=request.auth, project=project, milestone_id=milestone_id, note=note)
    return _project_detail(request.auth, project)


@projects.post(
    "/{project_id}/evaluations",
    response={201: ProjectEvaluationOut},
    summary=gettext_lazy("居民评价（每人一次）"),
)
def evaluate(request: HttpRequest, project_id: int, payload: ProjectEvaluationIn):
    project = selectors.project_get_visible(request.auth, project_id)
    return Status(201, actions.project_evaluate(by=request.auth, project=project, **payload.dict()))


ACTIONS = {t.action for t in PROJECT.transitions}


def _body(request: HttpRequest, schema):
    """An optional JSON body (steps such as publish or claim are posted without one)."""
    raw = (request.body or b"").strip() if request.content_type == "application/json" else b""
    try:
        data = json.loads(raw) if raw else {}
        return schema.model_validate(data if isinstance(data, dict) else {})
    except json.JSONDecodeError:
        raise DomainError("invalid", _("请求体不是有效的 JSON"), "body") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first.get("loc") else None
        raise DomainError("invalid", first.get("msg", _("输入无效")), field) from None


@projects.post(
    "/{project_id}/{action}",
    response=ProjectDetail,
    summary=gettext_lazy(
        "项目流程操作：publish / claim / assign / return / withdraw / milestone / complete / evaluate / close"
    ),
)
def project_action(request: HttpRequest, project_id: int, action: str):
    """The body (optional JSON) follows ``ProjectActionIn``: reason, owner_unit/owner_user, summary, milestone/progress,
    score/rating/comment, note — whichever the step needs."""
    user = request.auth
    if action not in ACTIONS:
        raise DomainError(
            "not_found", (_("没有「%(action)s」这个操作") % {"action": action}), "action", status=404
        )
    p = _body(request, ProjectActionIn)
    if action == "claim":
        project = selectors.project_get_claimable(user, project_id)
    else:
        project = selectors.project_get_visible(user, project_id)
    if action not in ACTIONS:
        raise DomainError(
            "not_found", (_("没有「%(action)s」这个操作") % {"action": action}), "action", status=404
        )
    if action == "publish":
        actions.project_publish(by=user, project=project)
    elif action == "claim":
        actions.project_claim(by=user, project=project)
        project = Project.objects.get(pk=project.pk)
    elif action == "assign":
        actions.project_assign(by=user, project=project, owner_unit=p.owner_unit, owner_user=p.owner_user)
    elif action == "return":
        actions.project_return(by=user, project=project, reason=p.reason)
    elif action == "withdraw":
        actions.project_withdraw(by=user, project=project, reason=p.reason)
    elif action == "milestone":
        if p.milestone is not None:
            actions.milestone_done(by=user, project=project, milestone_id=p.milestone, note=p.note)
        else:
            if p.progress is None:
                raise DomainError("required", _("请指定完成的节点或进度"), "milestone")
            actions.project_set_progress(by=user, project=project, progress=p.progress, note=p.note)
    elif action == "complete":
        actions.project_complete(by=user, project=project, summary=p.summary)
    elif action == "evaluate":
        actions.project_evaluate(by=user, project=project, score=p.score, rating=p.rating, comment=p.comment)
    elif action == "close":
        actions.project_close(by=user, project=project, note=p.note)
    return _project_detail(user, project)
