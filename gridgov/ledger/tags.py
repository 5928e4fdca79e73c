"""The standard focus-group tags (重点人群/特殊人群, SPEC M3). Installed by ``load_demo`` through
:func:`ensure_standard_tags`; districts add their own in the admin."""

from __future__ import annotations

from gridgov.ledger.models import FocusTag

R, H, B = FocusTag.AppliesTo.RESIDENT, FocusTag.AppliesTo.HOUSEHOLD, FocusTag.AppliesTo.BOTH

# (code, name, applies to, description)
STANDARD_TAGS = [
    ("living_alone", "独居老人", R, "60 周岁以上独自居住"),
    ("empty_nest", "空巢老人", R, "子女不在身边的老年人"),
    ("semi_self_care", "半自理老人", R, "生活部分不能自理"),
    ("disabled", "残疾人", R, "持残疾人证"),
    ("needy", "困难家庭", H, "低保、低收入、特困等"),
    ("bereaved", "失独家庭", H, "独生子女死亡或伤残"),
    ("veteran", "退役军人", R, ""),
    ("old_party_member", "老党员", R, "党龄 30 年以上或 70 周岁以上党员"),
    ("representative", "居民代表", R, ""),
    ("petitioner", "信访群众", R, "有信访诉求尚未化解"),
    ("unemployed", "失业人员", R, "登记失业或有就业意向"),
    ("job_seeking", "创业就业意向", R, "创业就业需求意向清单"),
    ("left_behind_child", "留守儿童", R, ""),
]


# English names (name_en), shown when English is active.
NAMES_EN = {
    "living_alone": "Elderly living alone",
    "empty_nest": "Empty-nest elderly",
    "semi_self_care": "Partly dependent elderly",
    "disabled": "People with disabilities",
    "needy": "Families in hardship",
    "bereaved": "Bereaved only-child families",
    "veteran": "Veterans",
    "old_party_member": "Senior party members",
    "representative": "Residents' representatives",
    "petitioner": "Petitioners",
    "unemployed": "Unemployed",
    "job_seeking": "Job or business seekers",
    "left_behind_child": "Left-behind children",
}


def ensure_standard_tags() -> int:
    created = 0
    for sort, (code, name, applies_to, description) in enumerate(STANDARD_TAGS):
        tag, made = FocusTag.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": NAMES_EN.get(code, ""),
                "applies_to": applies_to,
                "description": description,
                "sort": sort,
            },
        )
        if not made and not tag.name_en and NAMES_EN.get(code):
            tag.name_en = NAMES_EN[code]
            tag.save(update_fields=["name_en"])
        created += made
    return created
