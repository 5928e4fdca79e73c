"""Maintaining the service categories (district staff and admins)."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from gridgov.accounts.models import User
from gridgov.core import audit, cleaners
from gridgov.core.errors import Conflict, DomainError
from gridgov.services.models import ServiceCategory
from gridgov.services.selectors import may_manage_categories


def category_create(
    *, by: User, code: str, name: str, name_en: str = "", parent: str | None = None, sort: int = 0
) -> ServiceCategory:
    """新增服务类别 (district staff and admins); the code is a slug and unique."""
    if not may_manage_categories(by):
        raise DomainError("forbidden", _("只有区级工作人员或管理员可以维护服务类别"), status=403)
    code = cleaners.text(code, "code", limit=40, required=_("请填写类别代码"))
    name = cleaners.text(name, "name", limit=60, required=_("请填写类别名称"))
    name_en = cleaners.text(name_en, "name_en", limit=60)
    if slugify(code) != code:
        raise DomainError("invalid", _("类别代码只能包含小写字母、数字、连字符和下划线"), "code")
    parent_obj = None
    if parent:
        parent_obj = ServiceCategory.objects.filter(code=parent).first()
        if parent_obj is None:
            raise DomainError("invalid", _("上级类别「%(code)s」不存在") % {"code": parent}, "parent")
    if ServiceCategory.objects.filter(code=code).exists():
        raise Conflict("duplicate", _("类别代码「%(code)s」已存在") % {"code": code}, "code")
    with transaction.atomic():
        cat = ServiceCategory.objects.create(
            code=code, name=name, name_en=name_en, parent=parent_obj, sort=sort or 0
        )
        audit.record(
            actor=by,
            verb="servicecategory.create",
            obj=cat,
            object_id=cat.code,
            after={"name": name, "name_en": name_en},
        )
    return cat
