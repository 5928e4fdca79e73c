"""The demo's service categories: the nine of Tianjiao street's service cards. Safe to run again."""

from __future__ import annotations

from gridgov.services.models import ServiceCategory

# (code, name); the sort follows the list.
CATEGORIES = [
    ("legal", "法律服务"),
    ("employment", "就业服务"),
    ("psychology", "心理服务"),
    ("notary", "公证服务"),
    ("meals", "助餐服务"),
    ("elderly", "养老服务"),
    ("nursery", "托育服务"),
    ("repair", "维修服务"),
    ("culture", "文体活动"),
]


def load_demo_categories() -> int:
    """Create the demo categories that do not exist yet; returns how many were created."""
    created = 0
    for sort, (code, name) in enumerate(CATEGORIES, start=1):
        _cat, made = ServiceCategory.objects.get_or_create(code=code, defaults={"name": name, "sort": sort})
        created += made
    return created
