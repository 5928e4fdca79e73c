"""Small builders for tests: a two-street district with communities and grids, and accounts on it."""

from __future__ import annotations

from dataclasses import dataclass, field

from gridgov.accounts.actions import user_create
from gridgov.accounts.models import Unit, User
from gridgov.areas.actions import area_create
from gridgov.areas.models import Area

PASSWORD = "correct-horse-battery"


def rect(x0: float, y0: float, x1: float, y1: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def make_admin(username: str = "root") -> User:
    return user_create(by=None, username=username, password=PASSWORD, role="admin", validate=False)


def make_user(
    by: User, username: str, role: str, area: Area | None = None, unit: Unit | None = None, phone: str = ""
) -> User:
    return user_create(
        by=by,
        username=username,
        password=PASSWORD,
        role=role,
        area=area,
        unit=unit,
        phone=phone,
        validate=False,
    )


@dataclass
class Tree:
    admin: User
    areas: dict[str, Area] = field(default_factory=dict)

    def __getitem__(self, code: str) -> Area:
        return self.areas[code]


def make_tree(admin: User | None = None) -> Tree:
    """District 610302 = [0,2]x[0,1] (shifted to lng 107, lat 34): two streets side by side, each with two
    communities stacked, each with two grids side by side. Every level tiles its parent exactly."""
    admin = admin or make_admin()
    tree = Tree(admin=admin)
    ox, oy = 107.0, 34.0

    def add(code, name, parent, box, **kw):
        x0, y0, x1, y1 = box
        tree.areas[code] = area_create(
            by=admin,
            code=code,
            name=name,
            parent_code=parent,
            boundary=rect(ox + x0, oy + y0, ox + x1, oy + y1),
            **kw,
        )

    add("610302", "渭滨区", None, (0, 0, 0.2, 0.1))
    for s in range(2):
        sc = f"610302{s + 1:03d}"
        sx = s * 0.1
        add(sc, f"街道{s + 1}", "610302", (sx, 0, sx + 0.1, 0.1))
        for c in range(2):
            cc = f"{sc}{c + 1:03d}"
            cy = c * 0.05
            add(cc, f"社区{s + 1}-{c + 1}", sc, (sx, cy, sx + 0.1, cy + 0.05))
            for g in range(2):
                gx = sx + g * 0.05
                add(
                    f"{cc}{g + 1:03d}",
                    f"网格{s + 1}-{c + 1}-{g + 1}",
                    cc,
                    (gx, cy, gx + 0.05, cy + 0.05),
                    kind="basic",
                    grid_type="residential",
                )
    return tree


def make_ledger(admin: User, grid_code: str = "610302001001001", suffix: str = "A"):
    """A building with one household of two residents (head + spouse) in ``grid_code``."""
    from datetime import date

    from gridgov.core.validators import synthetic_id_number
    from gridgov.ledger.actions import building_create, household_create, resident_create

    building = building_create(by=admin, code=f"B-{grid_code}-{suffix}", name=f"{suffix}号楼", grid=grid_code)
    household = household_create(by=admin, building=building.code, unit="1", room="101")
    head = resident_create(
        by=admin,
        household=household,
        name="王建国",
        id_number=synthetic_id_number("610302", date(1950, 3, 1), 11 + ord(suffix[0]) * 2),
        phone="13912345678",
        relation="head",
    )
    spouse = resident_create(
        by=admin,
        household=household,
        name="李秀英",
        id_number=synthetic_id_number("610302", date(1952, 6, 9), 22 + ord(suffix[0]) * 2),
        relation="spouse",
    )
    household.refresh_from_db()
    return building, household, head, spouse


def urgent_category(code: str, name: str, sort: int = 1):
    """A case category with limits in urgent hours (2 h to respond, 24 h to resolve), so no calendar year is
    needed for its deadlines."""
    from decimal import Decimal

    from gridgov.cases.models import Category

    return Category.objects.create(
        code=code,
        name=name,
        sort=sort,
        response_limit=Decimal(2),
        response_unit="urgent_hours",
        resolution_limit=Decimal(24),
        resolution_unit="urgent_hours",
    )
