"""``/api/v1/services/categories``: the service categories (the catalogue's items are the orders app's)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Field, Router, Schema, Status

from gridgov.core.cleaners import limit
from gridgov.services import actions, selectors
from gridgov.services.models import ServiceCategory

router = Router(tags=[gettext_lazy("服务点单")])  # /services


class ServiceCategoryOut(Schema):
    code: str
    name: str
    name_en: str
    label: str = Field(..., description=gettext_lazy("名称（按当前语言）"))
    parent: str | None
    is_active: bool
    sort: int

    @staticmethod
    def resolve_label(obj: ServiceCategory) -> str:
        return obj.label

    @staticmethod
    def resolve_parent(obj: ServiceCategory) -> str | None:
        return obj.parent.code if obj.parent_id else None


class ServiceCategoryIn(Schema):
    code: str = Field(..., description=gettext_lazy("代码（小写字母、数字、连字符）"))
    name: str = Field(..., max_length=limit(ServiceCategory, "name"))
    name_en: str = Field(
        "", max_length=limit(ServiceCategory, "name_en"), description=gettext_lazy("英文名称（可不填）")
    )
    parent: str | None = Field(None, description=gettext_lazy("上级类别代码"))
    sort: int = 0


@router.get("/categories", response=list[ServiceCategoryOut], summary=gettext_lazy("服务类别"))
def list_categories(request: HttpRequest, include_inactive: bool = False):
    active_only = not (include_inactive and selectors.may_manage_categories(request.auth))
    return list(selectors.categories(active_only=active_only).select_related("parent"))


@router.post(
    "/categories",
    response={201: ServiceCategoryOut},
    summary=gettext_lazy("新增服务类别（区级工作人员、管理员）"),
)
def create_category(request: HttpRequest, payload: ServiceCategoryIn):
    return Status(201, actions.category_create(by=request.auth, **payload.dict()))
