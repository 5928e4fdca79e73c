"""The demo loader on a small copy of the demo street: lists, projects in several states, one unit below
the 双报到 rule, scores — and nothing doubled on a second run."""

from __future__ import annotations

from gridgov.accounts.models import Unit
from gridgov.areas.actions import area_create
from gridgov.projects.demo import COMMUNITY, STREET, load_demo_projects
from gridgov.projects.models import Need, Project, Resource, UnitYearScore
from gridgov.projects.selectors import compliance_report
from gridgov.testing.factories import make_admin, make_user, rect


def _demo_street():
    admin = make_admin("admin")
    ox, oy = 107.0, 34.0
    area_create(
        by=admin, code="610302", name="渭滨区", parent_code=None, boundary=rect(ox, oy, ox + 1, oy + 1)
    )
    area_create(
        by=admin, code=STREET, name="姜谭路街道", parent_code="610302", boundary=rect(ox, oy, ox + 1, oy + 1)
    )
    area_create(
        by=admin,
        code=COMMUNITY,
        name="姜谭路西社区",
        parent_code=STREET,
        boundary=rect(ox, oy, ox + 1, oy + 1),
    )
    for i in range(3):
        area_create(
            by=admin,
            code=f"{COMMUNITY}{i + 1:03d}",
            name=f"网格{i + 1}",
            parent_code=COMMUNITY,
            boundary=rect(ox + i * 0.3, oy, ox + i * 0.3 + 0.3, oy + 1),
            kind="basic",
            grid_type="residential",
        )
    from gridgov.areas.models import Area

    district = Area.objects.get(code="610302")
    for name, kind, area in (
        ("宝鸡市律师协会", "partner", district),
        ("渭滨区民政局", "department", district),
        ("秦川物业服务有限公司", "property", Area.objects.get(code=COMMUNITY)),
    ):
        Unit.objects.create(name=name, kind=kind, area=area)
    make_user(admin, "community", "community", Area.objects.get(code=COMMUNITY))
    make_user(admin, "resident", "resident")
    make_user(admin, "volunteer", "volunteer")
    make_user(admin, "lawyer", "unit", unit=Unit.objects.get(name="宝鸡市律师协会"))
    return admin


def test_demo_is_loaded_once(db):
    admin = _demo_street()
    first = load_demo_projects(admin)
    assert first["needs"] >= 12 and first["resources"] >= 12 and first["projects"] == 6
    states = sorted(Project.objects.values_list("state", flat=True))
    assert states == ["closed", "completed", "draft", "in_progress", "in_progress", "open"]
    assert Project.objects.filter(is_secretary_project=True).count() == 1
    assert Need.objects.filter(state="met").count() == 2 and Need.objects.filter(state="planned").count() == 4
    report = compliance_report(admin, area=COMMUNITY)
    assert report.required == 1
    assert [r.unit.name for r in report.below] == ["中国银行渭滨支行"]
    assert UnitYearScore.objects.count() == 2
    counts = (
        Need.objects.count(),
        Resource.objects.count(),
        Project.objects.count(),
        UnitYearScore.objects.count(),
    )
    assert load_demo_projects(admin) == {"needs": 0, "resources": 0, "projects": 0}
    assert counts == (
        Need.objects.count(),
        Resource.objects.count(),
        Project.objects.count(),
        UnitYearScore.objects.count(),
    )
