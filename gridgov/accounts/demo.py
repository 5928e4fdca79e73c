"""The demo accounts and units of the demo district (``gridgov load_demo``). Safe to run again."""

from __future__ import annotations

from gridgov.accounts.actions import user_create
from gridgov.accounts.models import Unit, User
from gridgov.areas.demo import JIANGTAN_STREET, JIANGTAN_WEST
from gridgov.areas.models import Area

# Demo accounts: (username, role, area code or None, unit name or None, display name, phone).
# Password: DEMO_PASSWORD.
DEMO_PASSWORD = "gridgov-demo"
DEMO_UNITS = [
    # (name, kind, area code)
    ("渭滨区城市管理执法局", "department", "610302"),
    ("渭滨区住房和城乡建设局", "department", "610302"),
    ("渭滨区市场监督管理局", "department", "610302"),
    ("渭滨区民政局", "department", "610302"),
    ("姜谭路派出所", "department", JIANGTAN_STREET),
    ("秦川物业服务有限公司", "property", JIANGTAN_WEST),
    ("宝鸡市律师协会", "partner", "610302"),
]
DEMO_USERS = [
    ("admin", "admin", None, None, "系统管理员", "13800000001"),
    ("district", "district", "610302", None, "区网格指挥中心", "13800000002"),
    ("street", "street", JIANGTAN_STREET, None, "姜谭路街道指挥中心", "13800000003"),
    ("community", "community", JIANGTAN_WEST, None, "姜谭路西社区", "13800000004"),
    ("gridworker", "grid_worker", JIANGTAN_WEST + "001", None, "王网格员", "13800000005"),
    ("unit", "unit", None, "渭滨区城市管理执法局", "区城管执法局经办人", "13800000006"),
    ("resident", "resident", None, None, "李居民", "13800000007"),
    ("volunteer", "volunteer", None, None, "张党员", "13800000008"),
    ("lawyer", "unit", None, "宝鸡市律师协会", "律师协会值班律师", "13800000009"),
    ("evaluator", "evaluator", "610302", None, "区考核办考核员", "13800000010"),
    ("evaluator2", "evaluator", "610302", None, "区委组织部考核员", "13800000011"),
]


def load_demo_admin() -> User:
    """The demo's ``admin`` account (created first: it creates everything else)."""
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        admin = user_create(
            by=None,
            username="admin",
            password=DEMO_PASSWORD,
            role="admin",
            display_name="系统管理员",
            phone="13800000001",
            validate=False,
        )
    return admin


def load_demo_accounts(admin: User) -> list[str]:
    """The demo units and accounts (after the areas they are bound to); returns the new usernames."""
    for name, kind, area_code in DEMO_UNITS:
        Unit.objects.get_or_create(
            name=name, defaults={"kind": kind, "area": Area.objects.get(code=area_code)}
        )
    created = []
    for username, role, area_code, unit_name, display, phone in DEMO_USERS:
        if User.objects.filter(username=username).exists():
            continue
        user_create(
            by=admin,
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            area=Area.objects.get(code=area_code) if area_code else None,
            unit=Unit.objects.get(name=unit_name) if unit_name else None,
            display_name=display,
            phone=phone,
            validate=False,
        )
        created.append(username)
    return created
