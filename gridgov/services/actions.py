"""Maintaining the service categories (district staff and admins)."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from gridgov.core import audit
from gridgov.core.errors import Conflict, DomainError
from gridgov.core.validators import clean_text
from gridgov.services.models import ServiceCategory
from gridgov.services.selectors import may_manage_categories


def category_create(*, by, code: str, name: str, parent: str | None = None, sort: int = 0) -> ServiceCategory:
    """新增服务类别 (district staff and admins); the code is a slug and unique."""
    if not may_manage_categories(by):
        raise DomainError("forbidden", "只有区级工作人员或管理员可以维护服务类别", status=403)
    code = clean_text(code, "code", required="请填写类别代码", limit=40)
    name = clean_text(name, "name", required="请填写类别名称", limit=60)
    if slugify(code) != code:
        raise DomainError("invalid", "类别代码只能包含小写字母、数字、连字符和下划线", "code")
    parent_obj = None
    if parent:
        parent_obj = ServiceCategory.objects.filter(code=parent).first()
        if parent_obj is None:
            raise DomainError("invalid", f"上级类别「{parent}」不存在", "parent")
    if ServiceCategory.objects.filter(code=code).exists():
        raise Conflict("duplicate", f"类别代码「{code}」已存在", "code")
    with transaction.atomic():
        cat = ServiceCategory.objects.create(code=code, name=name, parent=parent_obj, sort=sort or 0)
        audit.record(
            actor=by, verb="servicecategory.create", obj=cat, object_id=cat.code, after={"name": name}
        )
    return cat
