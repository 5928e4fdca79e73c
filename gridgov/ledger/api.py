"""The ledger under /api/v1: ``/buildings``, ``/households``, ``/residents``, ``/organisations`` (scoped lists
with filters, detail, create, update, retire) and ``/ledger`` (focus tags, tag assignments, reveal).

ID numbers and phones only ever leave as masks; the full value comes from ``POST /ledger/reveal`` with the
permission and a reason, and each reveal is audited.
"""

from datetime import date

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from gridgov.core import ratelimit
from gridgov.core.cleaners import REASON_LIMIT, limit
from gridgov.core.errors import DomainError
from gridgov.core.pagination import Pages
from gridgov.ledger import actions, places, selectors
from gridgov.ledger.exports import PERSONAL_IN_URL
from gridgov.ledger.models import Building, FocusTag, Household, Organisation, Resident, TagAssignment

buildings = Router(tags=["ledger"])
households = Router(tags=["ledger"])
residents = Router(tags=["ledger"])
organisations = Router(tags=["ledger"])
ledger = Router(tags=["ledger"])

PAGE = 50


# ---------------------------------------------------------------- schemas


class LedgerTagOut(Schema):
    id: int
    tag: str
    name: str
    label: str = Field(..., description="标签名称（按当前语言）")
    reason: str
    since: date

    @staticmethod
    def resolve_tag(obj: TagAssignment) -> str:
        return obj.tag.code

    @staticmethod
    def resolve_name(obj: TagAssignment) -> str:
        return obj.tag.name

    @staticmethod
    def resolve_label(obj: TagAssignment) -> str:
        return obj.tag.label


class BuildingOut(Schema):
    id: int
    code: str
    name: str
    grid: str = Field(..., alias="area_code")
    grid_name: str
    address: str
    kind: str
    units: int
    floors: int | None
    lng: float | None
    lat: float | None
    note: str
    is_active: bool
    household_count: int | None = None

    @staticmethod
    def resolve_grid_name(obj: Building) -> str:
        return obj.area.name


class BuildingIn(Schema):
    code: str
    name: str = Field(..., max_length=limit(Building, "name"))
    grid: str = Field(..., description="所在网格编码")
    address: str = Field("", max_length=limit(Building, "address"))
    kind: str = "residential"
    units: int | None = None
    floors: int | None = None
    lng: float | None = None
    lat: float | None = None
    note: str = Field("", max_length=limit(Building, "note"))


class BuildingPatch(Schema):
    name: str | None = Field(None, max_length=limit(Building, "name"))
    grid: str | None = None
    address: str | None = Field(None, max_length=limit(Building, "address"))
    kind: str | None = None
    units: int | None = None
    floors: int | None = None
    lng: float | None = None
    lat: float | None = None
    note: str | None = Field(None, max_length=limit(Building, "note"))


class HouseholdMemberOut(Schema):
    id: int
    name: str
    relation: str
    id_number: str = Field(..., alias="id_number_masked")
    phone: str = Field(..., alias="phone_masked")
    gender: str
    birth_date: date | None
    is_active: bool


class HouseholdOut(Schema):
    id: int
    building: str
    building_name: str
    unit: str
    room: str
    label: str
    grid: str = Field(..., alias="area_code")
    occupancy: str
    head: HouseholdMemberOut | None
    note: str
    is_active: bool
    member_count: int | None = None

    @staticmethod
    def resolve_building(obj: Household) -> str:
        return obj.building.code

    @staticmethod
    def resolve_building_name(obj: Household) -> str:
        return obj.building.name


class HouseholdDetailOut(HouseholdOut):
    members: list[HouseholdMemberOut]
    tags: list[LedgerTagOut]

    @staticmethod
    def resolve_members(obj: Household):
        return list(obj.members.filter(is_active=True).order_by("id"))

    @staticmethod
    def resolve_tags(obj: Household):
        return list(selectors.tags_of_household(obj))


class HouseholdIn(Schema):
    building: str = Field(..., description="楼栋编码")
    unit: str = ""
    room: str
    occupancy: str = ""
    note: str = Field("", max_length=limit(Household, "note"))


class HouseholdPatch(Schema):
    unit: str | None = None
    room: str | None = None
    occupancy: str | None = None
    note: str | None = Field(None, max_length=limit(Household, "note"))
    head: int | None = Field(None, description="户主（本户居民编号）")


class ResidentOut(Schema):
    id: int
    name: str
    id_number: str = Field(..., alias="id_number_masked", description="脱敏身份证号")
    phone: str = Field(..., alias="phone_masked", description="脱敏电话")
    gender: str
    birth_date: date | None
    household: int = Field(..., alias="household_id")
    address: str
    grid: str = Field(..., alias="area_code")
    relation: str
    residence_type: str
    ethnicity: str
    political_status: str
    workplace: str
    note: str
    is_active: bool
    moved_out_at: date | None

    @staticmethod
    def resolve_address(obj: Resident) -> str:
        return obj.household.label


class ResidentDetailOut(ResidentOut):
    tags: list[LedgerTagOut]

    @staticmethod
    def resolve_tags(obj: Resident):
        return list(selectors.tags_of_resident(obj))


class ResidentIn(Schema):
    household: int
    name: str = Field(..., max_length=limit(Resident, "name"))
    id_number: str = ""
    phone: str = ""
    relation: str = "other"
    residence_type: str = ""
    ethnicity: str = ""
    political_status: str = ""
    workplace: str = ""
    note: str = Field("", max_length=limit(Resident, "note"))


class ResidentPatch(Schema):
    name: str | None = Field(None, max_length=limit(Resident, "name"))
    id_number: str | None = None
    phone: str | None = None
    relation: str | None = None
    residence_type: str | None = None
    ethnicity: str | None = None
    political_status: str | None = None
    workplace: str | None = None
    note: str | None = Field(None, max_length=limit(Resident, "note"))
    household: int | None = Field(None, description="迁到本辖区内另一户")


class OrganisationOut(Schema):
    id: int
    kind: str
    name: str
    credit_code: str
    grid: str = Field(..., alias="area_code")
    building: str | None
    address: str
    industry: str
    contact_name: str
    contact_phone: str = Field(..., alias="contact_phone_masked")
    staff_count: int | None
    note: str
    is_active: bool

    @staticmethod
    def resolve_building(obj: Organisation) -> str | None:
        return obj.building.code if obj.building_id else None


class OrganisationIn(Schema):
    kind: str
    name: str = Field(..., max_length=limit(Organisation, "name"))
    credit_code: str = ""
    grid: str
    building: str = ""
    address: str = Field("", max_length=limit(Organisation, "address"))
    industry: str = ""
    contact_name: str = Field("", max_length=limit(Organisation, "contact_name"))
    contact_phone: str = ""
    staff_count: int | None = None
    note: str = Field("", max_length=limit(Organisation, "note"))


class OrganisationPatch(Schema):
    kind: str | None = None
    name: str | None = Field(None, max_length=limit(Organisation, "name"))
    credit_code: str | None = None
    grid: str | None = None
    building: str | None = None
    address: str | None = Field(None, max_length=limit(Organisation, "address"))
    industry: str | None = None
    contact_name: str | None = Field(None, max_length=limit(Organisation, "contact_name"))
    contact_phone: str | None = None
    staff_count: int | None = None
    note: str | None = Field(None, max_length=limit(Organisation, "note"))


class LedgerReasonIn(Schema):
    reason: str = Field("", max_length=REASON_LIMIT)


class ResidentMoveOutIn(Schema):
    reason: str = Field("", max_length=REASON_LIMIT)
    on: date | None = None


class LedgerTagIn(Schema):
    tag: str = Field(..., description="标签代码或名称")
    reason: str = Field("", max_length=200)
    since: date | None = None
    resident: int | None = None
    household: int | None = None


class FocusTagOut(Schema):
    code: str
    name: str
    name_en: str
    label: str = Field(..., description="名称（按当前语言）")
    applies_to: str
    description: str

    @staticmethod
    def resolve_label(obj: FocusTag) -> str:
        return obj.label


class LedgerRevealIn(Schema):
    kind: str = Field(..., description="resident / organisation")
    id: int
    field: str = Field(..., description="id_number / phone / contact_phone")
    reason: str = Field("", max_length=200)


class LedgerRevealOut(Schema):
    value: str


class BuildingQuery(Schema):
    area: str | None = None
    q: str = ""
    kind: str = ""
    active: bool = True


class HouseholdQuery(Schema):
    area: str | None = None
    building: str = ""
    q: str = ""
    tag: str = ""
    active: bool = True


class ResidentQuery(Schema):
    area: str | None = None
    q: str = Field(
        "",
        max_length=100,
        description="姓名、地址、脱敏号码片段；完整身份证号或手机号只在 POST /residents/search 的请求体中",
    )
    qh: str = Field("", max_length=64, description="完整号码的检索令牌（页面地址中代替号码）")
    tag: str = ""
    residence_type: str = ""
    household: int | None = None
    active: bool = True


class OrganisationQuery(Schema):
    area: str | None = None
    q: str = ""
    kind: str = ""
    active: bool = True


def _set(payload: Schema) -> dict:
    return payload.dict(exclude_unset=True)


# ---------------------------------------------------------------- buildings


@buildings.get("", response=list[BuildingOut], summary="楼栋列表（按管辖范围）")
@paginate(Pages, page_size=PAGE)
def list_buildings(request: HttpRequest, q: Query[BuildingQuery]):
    return selectors.building_list(request.auth, **q.dict()).order_by("area_code", "code")


@buildings.post("", response={201: BuildingOut}, summary="新建楼栋")
def create_building(request: HttpRequest, payload: BuildingIn):
    return Status(201, actions.building_create(by=request.auth, **payload.dict()))


@buildings.get("/{building_id}", response=BuildingOut, summary="楼栋详情")
def get_building(request: HttpRequest, building_id: int):
    return selectors.get_visible(selectors.buildings_visible_to(request.auth), building_id)


@buildings.patch("/{building_id}", response=BuildingOut, summary="修改楼栋")
def update_building(request: HttpRequest, building_id: int, payload: BuildingPatch):
    building = selectors.get_visible(selectors.buildings_visible_to(request.auth), building_id)
    return actions.building_update(by=request.auth, building=building, **_set(payload))


@buildings.post("/{building_id}/retire", response=BuildingOut, summary="注销楼栋（须填原因）")
def retire_building(request: HttpRequest, building_id: int, payload: LedgerReasonIn):
    building = selectors.get_visible(selectors.buildings_visible_to(request.auth), building_id)
    return actions.retire(by=request.auth, obj=building, reason=payload.reason)


# ---------------------------------------------------------------- households


@households.get("", response=list[HouseholdOut], summary="户列表（按管辖范围）")
@paginate(Pages, page_size=PAGE)
def list_households(request: HttpRequest, q: Query[HouseholdQuery]):
    return selectors.household_list(request.auth, **q.dict()).order_by(
        "area_code", "building__code", "unit", "room"
    )


@households.post("", response={201: HouseholdDetailOut}, summary="新建户")
def create_household(request: HttpRequest, payload: HouseholdIn):
    return Status(201, actions.household_create(by=request.auth, **payload.dict()))


@households.get("/{household_id}", response=HouseholdDetailOut, summary="户详情（成员、标签）")
def get_household(request: HttpRequest, household_id: int):
    return selectors.get_visible(selectors.households_visible_to(request.auth), household_id)


@households.patch("/{household_id}", response=HouseholdDetailOut, summary="修改户；指定户主")
def update_household(request: HttpRequest, household_id: int, payload: HouseholdPatch):
    household = selectors.get_visible(selectors.households_visible_to(request.auth), household_id)
    data = _set(payload)
    head = data.pop("head", None)
    if data:
        household = actions.household_update(by=request.auth, household=household, **data)
    if head is not None:
        member = household.members.filter(pk=head).first()
        if member is None:
            raise DomainError("invalid", _("户主必须是本户在册成员"), "head")
        household = actions.household_set_head(by=request.auth, household=household, resident=member)
    return household


@households.post("/{household_id}/retire", response=HouseholdDetailOut, summary="注销户（须填原因）")
def retire_household(request: HttpRequest, household_id: int, payload: LedgerReasonIn):
    household = selectors.get_visible(selectors.households_visible_to(request.auth), household_id)
    return actions.retire(by=request.auth, obj=household, reason=payload.reason)


# ---------------------------------------------------------------- residents


@residents.get(
    "",
    response=list[ResidentOut],
    summary="居民列表（脱敏，按管辖范围；完整号码请用 POST /residents/search）",
)
@paginate(Pages, page_size=PAGE)
def list_residents(request: HttpRequest, q: Query[ResidentQuery]):
    if selectors.personal_number(q.q):
        # a full ID number or phone in a URL ends up in access logs and browser history
        raise DomainError("personal_data_in_url", PERSONAL_IN_URL, "q")
    return selectors.resident_list(request.auth, **q.dict()).order_by("area_code", "household_id", "id")


@residents.post(
    "/search", response=list[ResidentOut], summary="检索居民（可按完整身份证号或手机号，号码在请求体中）"
)
@paginate(Pages, page_size=PAGE)
def search_residents(request: HttpRequest, payload: ResidentQuery):
    return selectors.resident_list(request.auth, **payload.dict()).order_by("area_code", "household_id", "id")


@residents.post("", response={201: ResidentDetailOut}, summary="登记居民")
def create_resident(request: HttpRequest, payload: ResidentIn):
    data = _set(payload)
    household = selectors.get_visible(selectors.households_visible_to(request.auth), data.pop("household"))
    return Status(201, actions.resident_create(by=request.auth, household=household, **data))


@residents.get("/{resident_id}", response=ResidentDetailOut, summary="居民详情（脱敏）")
def get_resident(request: HttpRequest, resident_id: int):
    return selectors.get_visible(selectors.residents_visible_to(request.auth), resident_id)


@residents.patch("/{resident_id}", response=ResidentDetailOut, summary="修改居民信息；迁到另一户")
def update_resident(request: HttpRequest, resident_id: int, payload: ResidentPatch):
    resident = selectors.get_visible(selectors.residents_visible_to(request.auth), resident_id)
    data = _set(payload)
    target = data.pop("household", None)
    if data:
        resident = actions.resident_update(by=request.auth, resident=resident, **data)
    if target is not None and target != resident.household_id:
        household = selectors.get_visible(selectors.households_visible_to(request.auth), target)
        resident = actions.resident_move(by=request.auth, resident=resident, household=household)
    return resident


@residents.post("/{resident_id}/move-out", response=ResidentDetailOut, summary="迁出/注销（须填原因）")
def move_out(request: HttpRequest, resident_id: int, payload: ResidentMoveOutIn):
    resident = selectors.get_visible(selectors.residents_visible_to(request.auth), resident_id)
    return actions.resident_move_out(by=request.auth, resident=resident, reason=payload.reason, on=payload.on)


# ---------------------------------------------------------------- organisations


@organisations.get("", response=list[OrganisationOut], summary="组织列表（驻区单位、商户、社会组织、物业）")
@paginate(Pages, page_size=PAGE)
def list_organisations(request: HttpRequest, q: Query[OrganisationQuery]):
    return selectors.organisation_list(request.auth, **q.dict()).order_by("area_code", "kind", "name")


@organisations.post("", response={201: OrganisationOut}, summary="登记组织")
def create_organisation(request: HttpRequest, payload: OrganisationIn):
    return Status(201, actions.organisation_create(by=request.auth, **payload.dict()))


@organisations.get("/{organisation_id}", response=OrganisationOut, summary="组织详情")
def get_organisation(request: HttpRequest, organisation_id: int):
    return selectors.get_visible(selectors.organisations_visible_to(request.auth), organisation_id)


@organisations.patch("/{organisation_id}", response=OrganisationOut, summary="修改组织")
def update_organisation(request: HttpRequest, organisation_id: int, payload: OrganisationPatch):
    org = selectors.get_visible(selectors.organisations_visible_to(request.auth), organisation_id)
    return actions.organisation_update(by=request.auth, organisation=org, **_set(payload))


@organisations.post("/{organisation_id}/retire", response=OrganisationOut, summary="注销组织（须填原因）")
def retire_organisation(request: HttpRequest, organisation_id: int, payload: LedgerReasonIn):
    org = selectors.get_visible(selectors.organisations_visible_to(request.auth), organisation_id)
    return actions.retire(by=request.auth, obj=org, reason=payload.reason)


# ---------------------------------------------------------------- tags and reveal


@ledger.get("/tags", response=list[FocusTagOut], summary="重点人群标签")
def list_tags(request: HttpRequest):  # noqa: ARG001
    return list(selectors.focus_tags())


@ledger.post("/tags", response={201: LedgerTagOut}, summary="给居民或户加标签（须填原因）")
def add_tag(request: HttpRequest, payload: LedgerTagIn):
    resident = household = None
    if payload.resident is not None:
        resident = selectors.get_visible(selectors.residents_visible_to(request.auth), payload.resident)
    if payload.household is not None:
        household = selectors.get_visible(selectors.households_visible_to(request.auth), payload.household)
    assignment = actions.tag_assign(
        by=request.auth,
        tag=payload.tag,
        reason=payload.reason,
        resident=resident,
        household=household,
        since=payload.since,
    )
    return Status(201, assignment)


@ledger.post("/tags/{assignment_id}/remove", response={204: None}, summary="取消标签（须填原因）")
def remove_tag(request: HttpRequest, assignment_id: int, payload: LedgerReasonIn):
    assignment = selectors.get_visible(selectors.tag_assignments_visible_to(request.auth), assignment_id)
    actions.tag_remove(by=request.auth, assignment=assignment, reason=payload.reason)
    return Status(204, None)


@ledger.post("/reveal", response=LedgerRevealOut, summary="查看完整身份证号或电话（需权限与理由，留痕）")
def reveal(request: HttpRequest, payload: LedgerRevealIn):
    value = actions.reveal(
        by=request.auth, kind=payload.kind, pk=payload.id, field=payload.field, reason=payload.reason
    )
    return {"value": value}


# ---------------------------------------------------------------- places (the report map's search)


class LedgerPlaceOut(Schema):
    id: int
    name: str
    address: str
    grid: str
    grid_name: str
    community: str
    lng: float | None
    lat: float | None


class LedgerBuildingPointOut(Schema):
    id: int
    name: str
    lng: float
    lat: float


@ledger.get("/places", response=list[LedgerPlaceOut], auth=None, summary="按楼栋名称或地址查找位置（公开）")
def place_search(request: HttpRequest, q: str = "", limit: int = places.RESULT_LIMIT):
    """Buildings of the district whose name or address contains ``q`` (at most 50 characters), with their
    community, grid and WGS-84 point: what the report page's address search offers. Building names and
    addresses are public; nothing of households or residents is searched or returned."""
    ratelimit.limit(request, "public")
    return places.place_search(q, limit=limit)


@ledger.get(
    "/places/points", response=list[LedgerBuildingPointOut], auth=None, summary="有坐标的楼栋（公开，地图用）"
)
def building_points(request: HttpRequest):
    """Buildings with a point of their own (id, name, WGS-84 lng/lat) for the report map's labels."""
    ratelimit.limit(request, "public")
    return places.building_points()
