"""Every write to the area tree. Each action checks permission and input, runs in one transaction,
records the change (``AreaChange``) and the audit log, and moves the geometry version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import shapely
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.areas import lookup
from gridgov.areas.geometry import (
    EDGE_TOLERANCE,
    bbox_fields,
    check_inside,
    check_no_overlap,
    parse_boundary,
    to_geojson,
)
from gridgov.areas.models import CODE_LENGTH, Area, AreaChange, GridKind, GridType, Level, child_level
from gridgov.core import audit
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.scope import in_scope, is_command_staff

AREA_TOLERANCE_RATIO = 1e-6


def _require_manager(user, area: Area | None, *, creating_child: bool = False) -> None:
    """Admins manage the whole tree; district/street/community staff manage strictly below their area
    (they may add children to their own area, not reshape it)."""
    if user.is_admin:
        return
    if area is not None and not in_scope(user, area.code):
        # an area the caller cannot see answers as a missing one, before any other check
        raise NotFound((_("区域 %(code)s 不存在或不在您的管辖范围内") % {"code": area.code}), field="code")
    if area is None or not is_command_staff(user):
        raise DomainError("forbidden", _("您没有调整网格的权限"), status=403)
    if area.code == user.area.code and not creating_child:
        raise DomainError("forbidden", _("只能调整本级以下的区域"), status=403)


def _lock_active(code: str) -> Area:
    area = Area.objects.select_for_update().filter(code=code, is_active=True).first()
    if area is None:
        raise NotFound((_("区域 %(code)s 不存在或已撤销") % {"code": code}), field="code")
    return area


def _siblings(parent: Area | None, exclude: list[int]) -> list[tuple[str, Any]]:
    qs = Area.objects.filter(parent=parent, is_active=True, boundary__isnull=False).exclude(pk__in=exclude)
    return [(a.name, parse_boundary(a.boundary)) for a in qs]


def _check_kinds(level: str, kind: str, grid_type: str) -> tuple[str, str]:
    if level in (Level.GRID, Level.MICROGRID):
        kind = kind or GridKind.BASIC
        grid_type = grid_type or GridType.RESIDENTIAL
        if kind not in GridKind.values:
            raise DomainError(
                "invalid_kind",
                (
                    _("网格类别「%(kind)s」无效，可选：%(values)s")
                    % {"kind": kind, "values": ", ".join(GridKind.values)}
                ),
                "kind",
            )
        if grid_type not in GridType.values:
            raise DomainError(
                "invalid_grid_type",
                (
                    _("网格类型「%(grid_type)s」无效，可选：%(values)s")
                    % {"grid_type": grid_type, "values": ", ".join(GridType.values)}
                ),
                "grid_type",
            )
        return kind, grid_type
    if kind or grid_type:
        raise DomainError("invalid_kind", _("只有网格和微网格有类别和类型"), "kind")
    return "", ""


def _check_boundary(geojson: Any, parent: Area | None, exclude: list[int]):
    geom = parse_boundary(geojson)
    if parent is not None and parent.boundary:
        check_inside(geom, parse_boundary(parent.boundary), parent.name)
    check_no_overlap(geom, _siblings(parent, exclude))
    return geom


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError("required", _("名称不能为空"), "name")
    if len(name) > 100:
        raise DomainError("too_long", _("名称不能超过 100 个字"), "name")
    return name


def _new_area(
    *, code: str, name: str, level: str, parent: Area | None, kind: str, grid_type: str, geom
) -> Area:
    return Area.objects.create(
        code=code,
        name=name,
        level=level,
        parent=parent,
        kind=kind,
        grid_type=grid_type,
        boundary=to_geojson(geom) if geom is not None else None,
        **(bbox_fields(geom) if geom is not None else {}),
    )


def _snapshot(area: Area) -> dict:
    return {
        "code": area.code,
        "name": area.name,
        "level": area.level,
        "kind": area.kind,
        "grid_type": area.grid_type,
        "is_active": area.is_active,
    }


def area_create(
    *,
    by: AbstractBaseUser,
    code: str,
    name: str,
    parent_code: str | None = None,
    boundary: Any = None,
    kind: str = "",
    grid_type: str = "",
    reason: str = "",
) -> Area:
    """Create one area under ``parent_code`` (a district when there is no parent)."""
    code = (code or "").strip()
    name = _check_name(name)
    with transaction.atomic():
        parent = None
        if parent_code:
            parent = Area.objects.select_for_update().filter(code=parent_code).first()
            if parent is None or not (by.is_admin or in_scope(by, parent.code)):
                raise NotFound(
                    (_("上级区域 %(parent_code)s 不存在或不在您的管辖范围内") % {"parent_code": parent_code}),
                    field="parent",
                )
            if not parent.is_active:
                raise DomainError(
                    "parent_retired",
                    (_("上级区域 %(parent_code)s 已撤销") % {"parent_code": parent_code}),
                    "parent",
                )
            level = child_level(parent.level)
            if level is None:
                raise DomainError("too_deep", _("微网格下不能再设下级"), "parent")
            _require_manager(by, parent, creating_child=True)
        else:
            if not by.is_admin:
                raise DomainError("forbidden", _("只有系统管理员可以新建区（县）"), status=403)
            level = Level.DISTRICT
        if not code.isdigit() or len(code) != CODE_LENGTH[level]:
            raise DomainError(
                "invalid_code",
                (
                    _("%(label)s编码必须是 %(value)s 位数字")
                    % {"label": Level(level).label, "value": CODE_LENGTH[level]}
                ),
                "code",
            )
        if parent is not None and not code.startswith(parent.code):
            raise DomainError(
                "code_parent_mismatch",
                (_("编码必须以上级编码 %(code)s 开头") % {"code": parent.code}),
                "code",
            )
        if code.endswith("000") and parent is not None:
            raise DomainError("invalid_code", _("本级序号不能为 000"), "code")
        if Area.objects.filter(code=code).exists():
            raise DomainError(
                "code_taken",
                (_("编码 %(code)s 已被使用（撤销的编码也不再启用）") % {"code": code}),
                "code",
                status=409,
            )
        kind, grid_type = _check_kinds(level, kind, grid_type)
        geom = _check_boundary(boundary, parent, exclude=[]) if boundary is not None else None
        if geom is None and level in (Level.GRID, Level.MICROGRID):
            raise DomainError("required", _("网格必须有边界"), "boundary")
        area = _new_area(
            code=code, name=name, level=level, parent=parent, kind=kind, grid_type=grid_type, geom=geom
        )
        change = AreaChange.objects.create(kind=AreaChange.Kind.CREATE, changed=area, reason=reason, by=by)
        change.created.add(area)
        audit.record(actor=by, verb="area.create", obj=area, after=_snapshot(area), reason=reason)
        if geom is not None:
            lookup.bump_version()
    return area


def area_update(
    *, by: AbstractBaseUser, code: str, name: str | None = None, boundary: Any = None, reason: str = ""
) -> Area:
    """Rename an area and/or redraw its boundary (still inside its parent, covering its children)."""
    with transaction.atomic():
        area = _lock_active(code)
        _require_manager(by, area)
        before = _snapshot(area)
        fields: list[str] = []
        if name is not None and _check_name(name) != area.name:
            area.name = _check_name(name)
            fields.append("name")
        if boundary is not None:
            if not (reason or "").strip():
                raise DomainError("required", _("调整边界必须填写原因"), "reason")
            geom = _check_boundary(boundary, area.parent, exclude=[area.pk])
            for child in area.children.filter(is_active=True, boundary__isnull=False):
                if not geom.buffer(EDGE_TOLERANCE).covers(parse_boundary(child.boundary)):
                    raise DomainError(
                        "boundary_excludes_child",
                        (_("新边界没有覆盖下级区域「%(name)s」") % {"name": child.name}),
                        "boundary",
                    )
            area.boundary = to_geojson(geom)
            for key, value in bbox_fields(geom).items():
                setattr(area, key, value)
            fields += ["boundary", "min_lng", "min_lat", "max_lng", "max_lat"]
        if not fields:
            return area
        area.save(update_fields=[*fields, "updated_at"])
        kind = AreaChange.Kind.BOUNDARY if "boundary" in fields else AreaChange.Kind.RENAME
        AreaChange.objects.create(kind=kind, changed=area, reason=reason, by=by)
        audit.record(
            actor=by, verb=f"area.{kind}", obj=area, before=before, after=_snapshot(area), reason=reason
        )
        if "boundary" in fields or area.level == Level.GRID:  # the index holds grids' names too
            lookup.bump_version()
    return area


@dataclass
class Part:
    name: str
    boundary: Any
    kind: str = ""
    grid_type: str = ""


def _next_codes(parent: Area, count: int) -> list[str]:
    """The next unused sequence numbers under ``parent``: above every code ever issued, so a retired
    code is never handed out again."""
    length = len(parent.code) + 3
    issued = [
        c
        for c in Area.objects.filter(code__startswith=parent.code).values_list("code", flat=True)
        if len(c) == length
    ]
    last = max((int(c[-3:]) for c in issued), default=0)
    if last + count > 999:
        raise DomainError(
            "codes_exhausted", (_("%(name)s 下的编码已用尽") % {"name": parent.name}), "code", status=409
        )
    return [f"{parent.code}{last + i:03d}" for i in range(1, count + 1)]


def _retire(area: Area, at) -> None:
    area.is_active = False
    area.retired_at = at
    area.save(update_fields=["is_active", "retired_at", "updated_at"])


def _move_staff(from_areas: list[Area], to_area: Area, by, reason: str) -> None:
    User = get_user_model()  # accounts sits above areas: the model is looked up, not imported
    for user in User.objects.filter(area__in=from_areas).select_related("area"):
        old = user.area.code
        user.area = to_area
        user.save(update_fields=["area"])
        audit.record(
            actor=by,
            verb="user.area_moved",
            obj=user,
            before={"area": old},
            after={"area": to_area.code},
            reason=reason,
        )


def grid_split(*, by: AbstractBaseUser, code: str, parts: list[Part], reason: str) -> list[Area]:
    """Split one grid into several. The parts must tile the old grid exactly (no gap, no overlap).
    The old grid is retired; new codes are issued; staff bound to it move to the first part."""
    if not (reason or "").strip():
        raise DomainError("required", _("拆分网格必须填写原因"), "reason")
    if len(parts) < 2:
        raise DomainError("too_few_parts", _("拆分至少需要两个部分"), "parts")
    with transaction.atomic():
        area = _lock_active(code)
        if area.level not in (Level.GRID, Level.MICROGRID):
            raise DomainError("not_a_grid", _("只能拆分网格或微网格"), "code")
        _require_manager(by, area)
        if area.children.filter(is_active=True).exists():
            raise DomainError(
                "has_children", _("该网格下还有在用的微网格，请先调整微网格"), "code", status=409
            )
        whole = parse_boundary(area.boundary)
        geoms = []
        for i, part in enumerate(parts):
            try:
                _check_name(part.name)
                geom = parse_boundary(part.boundary)
                check_inside(geom, whole, area.name)
                check_no_overlap(geom, [(p.name, g) for p, g in zip(parts[:i], geoms, strict=True)])
            except DomainError as exc:
                exc.field = f"parts[{i}].{exc.field}"
                raise
            geoms.append(geom)
        covered = sum(g.area for g in geoms)
        if abs(covered - whole.area) > whole.area * AREA_TOLERANCE_RATIO:
            raise DomainError("parts_leave_gap", _("拆分后的各部分必须完整覆盖原网格，不留空隙"), "parts")
        now = timezone.now()
        _retire(area, now)
        codes = _next_codes(area.parent, len(parts))
        created = []
        for new_code, part, geom in zip(codes, parts, geoms, strict=True):
            kind, grid_type = _check_kinds(
                area.level, part.kind or area.kind, part.grid_type or area.grid_type
            )
            created.append(
                _new_area(
                    code=new_code,
                    name=part.name.strip(),
                    level=area.level,
                    parent=area.parent,
                    kind=kind,
                    grid_type=grid_type,
                    geom=geom,
                )
            )
        change = AreaChange.objects.create(kind=AreaChange.Kind.SPLIT, reason=reason, by=by, changed=area)
        change.retired.add(area)
        change.created.add(*created)
        _move_staff([area], created[0], by, reason)
        audit.record(
            actor=by,
            verb="area.split",
            obj=area,
            before=_snapshot(area),
            after={"into": [a.code for a in created]},
            reason=reason,
        )
        lookup.bump_version()
    return created


def grid_merge(*, by: AbstractBaseUser, codes: list[str], name: str, reason: str) -> Area:
    """Merge adjacent sibling grids into one new grid; the old ones are retired."""
    if not (reason or "").strip():
        raise DomainError("required", _("合并网格必须填写原因"), "reason")
    name = _check_name(name)
    codes = list(dict.fromkeys(codes))
    if len(codes) < 2:
        raise DomainError("too_few_parts", _("合并至少需要两个网格"), "codes")
    with transaction.atomic():
        areas = [_lock_active(c) for c in codes]
        for area in areas:
            if area.level not in (Level.GRID, Level.MICROGRID):
                raise DomainError("not_a_grid", (_("%(code)s 不是网格") % {"code": area.code}), "codes")
            _require_manager(by, area)
            if area.children.filter(is_active=True).exists():
                raise DomainError(
                    "has_children",
                    (_("%(name)s 下还有在用的微网格") % {"name": area.name}),
                    "codes",
                    status=409,
                )
        if len({a.parent_id for a in areas}) != 1:
            raise DomainError("not_siblings", _("只能合并同一上级下的网格"), "codes")
        union = shapely.union_all([parse_boundary(a.boundary) for a in areas])
        if union.geom_type != "Polygon":
            raise DomainError("not_adjacent", _("要合并的网格必须彼此相连"), "codes")
        union = union.simplify(0)  # drop collinear vertices left along the shared edges
        parent = areas[0].parent
        now = timezone.now()
        for area in areas:
            _retire(area, now)
        kinds = {a.kind for a in areas}
        types = {a.grid_type for a in areas}
        merged = _new_area(
            code=_next_codes(parent, 1)[0],
            name=name,
            level=areas[0].level,
            parent=parent,
            kind=kinds.pop() if len(kinds) == 1 else GridKind.BASIC,
            grid_type=types.pop() if len(types) == 1 else GridType.RESIDENTIAL,
            geom=union,
        )
        change = AreaChange.objects.create(kind=AreaChange.Kind.MERGE, reason=reason, by=by, changed=merged)
        change.retired.add(*areas)
        change.created.add(merged)
        _move_staff(areas, merged, by, reason)
        audit.record(
            actor=by,
            verb="area.merge",
            obj=merged,
            before={"from": codes},
            after=_snapshot(merged),
            reason=reason,
        )
        lookup.bump_version()
    return merged
