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


# English names (name_en), shown when English is active.
NAMES_EN = {
    "legal": "Legal services",
    "employment": "Employment services",
    "psychology": "Counselling",
    "notary": "Notary services",
    "meals": "Meal services",
    "elderly": "Elderly care",
    "nursery": "Childcare",
    "repair": "Repairs",
    "culture": "Culture and sports",
}


def load_demo_categories() -> int:
    """Create the demo categories that do not exist yet; returns how many were created."""
    created = 0
    for sort, (code, name) in enumerate(CATEGORIES, start=1):
        cat, made = ServiceCategory.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": NAMES_EN.get(code, ""), "sort": sort}
        )
        if not made and not cat.name_en and NAMES_EN.get(code):
            cat.name_en = NAMES_EN[code]
            cat.save(update_fields=["name_en"])
        created += made
    return created
