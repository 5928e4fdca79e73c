"""The navigation (主导航): which links each role gets, in one place.

``links_for(user)`` gives the ordered links of the top bar; the first few marked ``tab`` for the role are the
phone-size bottom tab bar, the rest go into the "更多" menu. Templates render what this returns and ask no
role question themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.core.roles import Role

STAFF = frozenset({Role.ADMIN, Role.DISTRICT, Role.STREET, Role.COMMUNITY, Role.GRID_CHIEF, Role.GRID_WORKER})
MANAGERS = frozenset({Role.ADMIN, Role.DISTRICT, Role.STREET, Role.COMMUNITY})
RESIDENTS = frozenset({Role.RESIDENT, Role.VOLUNTEER})


@dataclass(frozen=True)
class Link:
    key: str
    label: str
    url: str
    apps: tuple[str, ...] = ()  # the link is current on any page of these apps
    views: tuple[str, ...] = ()  # ... or on these views ("app:name")
    badge: bool = False  # carries the unread-messages count

    def current(self, match) -> bool:
        if match is None:
            return False
        return match.app_name in self.apps or match.view_name in self.views


def _role(user) -> str:
    return Role.ADMIN if user.is_superuser else user.role


def _link(key, label, name, *, query="", apps=(), views=(), badge=False) -> Link:
    return Link(key, str(label), reverse(name) + query, tuple(apps), tuple(views), badge)


def links_for(user) -> list[Link]:
    """Every link of the main navigation ``user`` gets, in the top bar's order."""
    role = _role(user)
    staff, resident = role in STAFF, role in RESIDENTS
    links = [_link("home", _("首页"), "web:home", views=("web:home",))]
    if staff:
        links.append(_link("command", _("指挥中心"), "dashboards:home", apps=("dashboards",)))
    links.append(
        _link(
            "cases",
            _("我的上报") if resident else _("工作台"),
            "cases:worklist",
            views=("cases:worklist", "cases:detail"),
        )
    )
    if staff:
        links += [
            _link("ledger", _("台账"), "ledger:list", apps=("ledger",)),
            _link("visits", _("走访"), "visits:worklist", apps=("visits",)),
            _link("projects", _("三张清单"), "projects:needs", apps=("projects",)),
        ]
    elif role == Role.UNIT:
        links.append(
            _link("projects", _("项目认领"), "projects:projects", query="?state=open", apps=("projects",))
        )
    else:
        links.append(_link("projects", _("民生项目"), "projects:projects", apps=("projects",)))
    if resident:
        links.append(_link("orders", _("服务点单"), "orders:catalogue", apps=("orders",)))
    elif role == Role.UNIT:
        links.append(_link("orders", _("服务单"), "orders:inbox", apps=("orders",)))
    else:
        links.append(_link("orders", _("服务单"), "orders:worklist", apps=("orders",)))
    links += [
        _link("wishes", _("微心愿"), "wishes:wall", apps=("wishes",)),
        _link("points", _("志愿服务"), "points:tasks", apps=("points",), views=()),
    ]
    if resident:
        links.append(_link("my_points", _("我的积分"), "points:me", views=("points:me",)))
    if staff:
        links.append(_link("party", _("党建"), "party:tree", apps=("party",)))
    elif role == Role.VOLUNTEER:
        links.append(_link("party", _("党员服务"), "party:me", views=("party:me",)))
    links.append(_link("deliberation", _("议事"), "deliberation:topics", apps=("deliberation",)))
    if staff or role == Role.EVALUATOR:
        links.append(_link("assessment", _("考核排名"), "assessment:home", apps=("assessment",)))
    links += [
        _link("areas", _("区域与网格"), "web:areas", views=("web:areas", "web:area")),
        _link("inbox", _("消息"), "notify:inbox", views=("notify:inbox",), badge=True),
        _link("report", _("上报问题"), "cases:report", views=("cases:report",)),
    ]
    if role in MANAGERS or role == Role.UNIT:
        links.append(_link("hooks", _("外部推送"), "hooks:list", apps=("hooks",)))
    if role in MANAGERS:
        links.append(_link("assist", _("智能辅助"), "assist:overview", apps=("assist",)))
    if user.is_staff:
        links.append(_link("admin", _("管理后台"), "admin:index"))
    return links


# The bottom tab bar at phone size: what each kind of account does most (at most five, in this order).
TABS: dict[str, tuple[str, ...]] = {
    "resident": ("home", "report", "cases", "orders", "inbox"),
    "grid": ("home", "visits", "cases", "report", "inbox"),
    "manager": ("home", "command", "cases", "inbox"),
    "unit": ("home", "cases", "orders", "inbox"),
    "other": ("home", "cases", "inbox"),
}


def tab_kind(user) -> str:
    role = _role(user)
    if role in RESIDENTS:
        return "resident"
    if role in (Role.GRID_WORKER, Role.GRID_CHIEF):
        return "grid"
    if role in MANAGERS:
        return "manager"
    if role == Role.UNIT:
        return "unit"
    return "other"


# What the desktop header shows in its one row; the rest of the role's links go into its "更多" menu.
DESK: dict[str, tuple[str, ...]] = {
    "resident": ("home", "report", "cases", "orders", "wishes", "points", "inbox"),
    "grid": ("home", "command", "cases", "visits", "ledger", "inbox", "report"),
    "manager": ("home", "command", "cases", "ledger", "assessment", "inbox", "report"),
    "unit": ("home", "cases", "orders", "projects", "inbox", "report"),
    "other": ("home", "cases", "assessment", "inbox", "report"),
}


def public_links() -> list[Link]:
    """The navigation of a signed-out visitor."""
    return [
        _link("home", _("首页"), "web:home", views=("web:home",)),
        _link("report", _("上报问题"), "cases:report", views=("cases:report",)),
        _link("track", _("进度查询"), "cases:track_lookup", views=("cases:track_lookup", "cases:track")),
        _link("wishes", _("微心愿"), "wishes:wall", apps=("wishes",)),
        _link("deliberation", _("议事"), "deliberation:topics", apps=("deliberation",)),
    ]


PUBLIC_TABS = ("home", "report", "track", "wishes", "deliberation")


def _split(marked: list, keys: tuple[str, ...]) -> tuple[list, list]:
    by_key = {pair[0].key: pair for pair in marked}
    first = [by_key[key] for key in keys if key in by_key]
    chosen = {pair[0].key for pair in first}
    return first, [pair for pair in marked if pair[0].key not in chosen]


def navigation(user, match) -> dict:
    """What the navigation template needs, each link a ``(link, is_current)`` pair: ``links`` (all),
    ``desk`` and ``desk_more`` (the desktop header's row and its "更多" menu), ``tabs`` and ``more`` (the
    phone-size bottom tab bar and its "更多" menu)."""
    if user is not None and user.is_authenticated:
        kind = tab_kind(user)
        links, tab_keys, desk_keys = links_for(user), TABS[kind], DESK[kind]
    else:
        links, tab_keys, desk_keys = public_links(), PUBLIC_TABS, PUBLIC_TABS
    marked = [(link, link.current(match)) for link in links]
    tabs, more = _split(marked, tab_keys)
    desk, desk_more = _split(marked, desk_keys)
    return {"links": marked, "tabs": tabs, "more": more, "desk": desk, "desk_more": desk_more}
