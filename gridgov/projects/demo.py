"""Demo of the three lists in 姜谭路街道 / 姜谭路西社区: needs (by hand; the visits demo adds needs from
visits), resources of units, volunteers and the ledger's shops, projects in every state (one 书记项目),
co-building units of which one falls below the 双报到 rule, the rule itself (N = 1) and some year-end scores.

Everything is written through the actions (so each row has its timeline and audit entries); a second run
adds nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from gridgov.accounts.actions import user_create
from gridgov.accounts.demo import DEMO_PASSWORD
from gridgov.accounts.models import Role, Unit, User
from gridgov.areas.models import Area
from gridgov.projects import actions
from gridgov.projects.models import CoBuildingRule, Need, Project, Resource
from gridgov.services.demo import load_demo_categories

STREET = "610302003"
COMMUNITY = "610302003001"
GRIDS = [f"{COMMUNITY}{i:03d}" for i in (1, 2, 3)]

PARTNERS = [
    # (name, area, handler username, display name)
    ("渭滨区人民医院", COMMUNITY, "yiyuan", "人民医院党办"),
    ("中国银行渭滨支行", STREET, "zhonghang", "中行渭滨支行党支部"),
]
NEEDS = [
    # (title, category, grid index, beneficiaries, urgency, description)
    ("老旧小区加装扶手", "elderly", 0, 36, "urgent", "3 栋无电梯老楼，老人上下楼困难"),
    ("独居老人助餐", "meals", 0, 18, "urgent", "独居老人中午吃饭难，希望有助餐点或送餐"),
    ("楼道照明改造", "repair", 1, 60, "normal", "多处声控灯损坏，晚上出行不安全"),
    ("居民法律咨询", "legal", 1, 40, "normal", "邻里纠纷、继承、租房合同问题多"),
    ("困难家庭就业帮扶", "employment", 2, 12, "normal", "零就业家庭希望推荐岗位、参加技能培训"),
    ("青少年心理疏导", "psychology", 2, 20, "low", "家长反映孩子学习压力大"),
    ("四点半课堂", "nursery", 0, 30, "normal", "双职工家庭孩子放学后无人看管"),
    ("老年人智能手机培训", "culture", 1, 25, "low", "老人不会用手机挂号、扫码"),
    ("遗嘱公证上门服务", "notary", 2, 6, "low", "行动不便老人需上门办理公证"),
    ("小区健身器材维修", "repair", 0, 80, "normal", "健身器材锈蚀损坏"),
    ("高龄老人定期体检", "elderly", 1, 45, "normal", "80 岁以上老人希望每年体检一次"),
    ("社区文艺队排练场地", "culture", 2, 30, "low", "秦腔队、广场舞队缺少排练场地"),
]
RESOURCES = [
    # (title, category, kind, owner: ("unit", name) | ("user", username) | ("org", None), area, note, until)
    ("周三下午律师值班", "legal", "hours", ("unit", "宝鸡市律师协会"), "610302", "每周三下午", None),
    ("义诊与健康讲座", "elderly", "skill", ("unit", "渭滨区人民医院"), COMMUNITY, "每月第一个周六上午", None),
    ("老年人定期体检名额", "elderly", "hours", ("unit", "渭滨区人民医院"), COMMUNITY, "每年 200 人次", None),
    ("金融知识讲座", "culture", "skill", ("unit", "中国银行渭滨支行"), STREET, "每季度一次", None),
    ("党建共建资金", "elderly", "funds", ("unit", "中国银行渭滨支行"), STREET, "年度 5 万元", "2026-12-31"),
    ("网点大厅周末活动场地", "culture", "venue", ("unit", "中国银行渭滨支行"), STREET, "周末全天", None),
    ("物业维修班组", "repair", "hours", ("unit", "秦川物业服务有限公司"), COMMUNITY, "工作日", None),
    ("民政助餐补贴", "meals", "funds", ("unit", "渭滨区民政局"), "610302", "按季度申请", "2026-12-31"),
    ("退休电工义务维修", "repair", "skill", ("user", "volunteer"), GRIDS[0], "每周六上午", None),
    ("党员志愿送餐", "meals", "hours", ("user", "volunteer"), GRIDS[0], "工作日中午", None),
    ("书法与手机课志愿教学", "culture", "skill", ("user", "volunteer"), COMMUNITY, "每周二下午", None),
    ("家政技能培训", "employment", "skill", ("unit", "渭滨区民政局"), "610302", "每月一期", None),
    ("社区心理咨询室", "psychology", "venue", ("unit", "渭滨区人民医院"), COMMUNITY, "每周五下午", None),
]
SHOP_RESOURCES = [
    ("爱心午餐", "meals", "goods", "每天 10 份"),
    ("免费理发", "elderly", "hours", "每月 15 日"),
]


def _handler(admin, unit: Unit, username: str, name: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = user_create(
            by=admin, username=username, password=DEMO_PASSWORD, role=Role.UNIT, unit=unit, validate=False
        )
        user.display_name = name
        user.save(update_fields=["display_name"])
    return user


def _partners(admin) -> dict[str, User]:
    handlers = {}
    for name, code, username, display in PARTNERS:
        unit, _made = Unit.objects.get_or_create(
            name=name, defaults={"kind": Unit.Kind.PARTNER, "area": Area.objects.get(code=code)}
        )
        handlers[name] = _handler(admin, unit, username, display)
    lawyer = User.objects.filter(username="lawyer").first()
    if lawyer is not None:
        handlers["宝鸡市律师协会"] = lawyer
    return handlers


def _owner(spec, area_code: str) -> dict | None:
    kind, key = spec
    if kind == "unit":
        unit = Unit.objects.filter(name=key).first()
        return {"owner_unit": unit.pk} if unit else None
    if kind == "user":
        user = User.objects.filter(username=key).first()
        return {"owner_user": user.pk} if user else None
    return None


def _resources(admin) -> dict[str, Resource]:
    made: dict[str, Resource] = {r.title: r for r in Resource.objects.filter(area_code__startswith="610302")}
    for title, cat, kind, owner, area, note, until in RESOURCES:
        if title in made:
            continue
        who = _owner(owner, area)
        if who is None:
            continue
        made[title] = actions.resource_create(
            by=admin,
            title=title,
            category=cat,
            kind=kind,
            area=area,
            availability=note,
            available_until=until,
            **who,
        )
    try:
        from gridgov.ledger.models import Organisation

        shops = list(
            Organisation.objects.filter(area_code__startswith=COMMUNITY, kind__in=["shop", "social"])[:2]
        )
    except Exception:  # the ledger demo may not be loaded
        shops = []
    for org, (title, cat, kind, note) in zip(shops, SHOP_RESOURCES, strict=False):
        full = f"{org.name}·{title}"
        if full not in made:
            made[full] = actions.resource_create(
                by=admin,
                title=full,
                category=cat,
                kind=kind,
                area=org.area_code,
                availability=note,
                owner_org=org.pk,
            )
    return made


def _needs(admin) -> dict[str, Need]:
    made: dict[str, Need] = {n.title: n for n in Need.objects.filter(area_code__startswith=COMMUNITY)}
    for title, cat, grid, people, urgency, text in NEEDS:
        if title not in made:
            made[title] = actions.need_record(
                by=admin,
                title=title,
                category=cat,
                area=GRIDS[grid],
                description=text,
                beneficiaries=people,
                urgency=urgency,
            )
    return made


def _project(admin, title, need: Need | None, resources: list[Resource], end: date, **kw) -> Project:
    return actions.project_create(
        by=admin,
        title=title,
        area=COMMUNITY,
        description=need.description if need else "",
        needs=[need.pk] if need and need.state == Need.State.OPEN else [],
        resources=[r.pk for r in resources],
        end_date=end,
        **kw,
    )


def _projects(admin, needs: dict[str, Need], res: dict[str, Resource], handlers: dict[str, User]) -> int:
    if Project.objects.filter(area_code__startswith=COMMUNITY).exists():
        return 0
    today = timezone.localdate()
    year_end = date(today.year, 12, 31)
    community = User.objects.filter(username="community").first() or admin
    residents = [u for u in User.objects.filter(username__in=["resident", "volunteer"])]
    count = 0

    def r(*titles):
        return [res[t] for t in titles if t in res]

    # 1. Completed and closed, claimed by the hospital (达标), well rated.
    p = _project(
        admin,
        "高龄老人健康体检",
        needs.get("高龄老人定期体检"),
        r("老年人定期体检名额", "义诊与健康讲座"),
        today,
        budget="8000",
        milestones=[{"title": "摸底名单"}, {"title": "集中体检"}],
    )
    hospital = handlers.get("渭滨区人民医院")
    if hospital:
        actions.project_publish(by=community, project=p)
        actions.project_claim(by=hospital, project=p)
        for m in p.milestones.all():
            actions.milestone_done(by=hospital, project=p, milestone_id=m.pk)
        actions.project_complete(
            by=hospital, project=p, summary="为 186 位 80 岁以上老人完成体检，建立健康档案"
        )
        for i, who in enumerate(residents):
            actions.project_evaluate(by=who, project=p, score=5 - i, comment="医生很耐心")
        Project.objects.filter(pk=p.pk).update(completed_at=timezone.now() - timedelta(days=40))
        actions.project_close(by=community, project=p, note="评价期结束")
    count += 1

    # 2. Completed by the lawyers' association (evaluation under way).
    p = _project(admin, "法律服务进社区", needs.get("居民法律咨询"), r("周三下午律师值班"), today)
    lawyer = handlers.get("宝鸡市律师协会")
    if lawyer:
        actions.project_publish(by=community, project=p)
        actions.project_claim(by=lawyer, project=p)
        actions.project_set_progress(by=lawyer, project=p, progress=80)
        actions.project_complete(
            by=lawyer, project=p, summary="全年值班 48 次，解答咨询 230 人次，调解纠纷 12 起"
        )
        if residents:
            actions.project_evaluate(by=residents[0], project=p, score=4, comment="咨询方便")
    count += 1

    # 3. In progress, claimed by the bank (not yet completed: 未达标), near its end date.
    p = _project(
        admin,
        "老年人智能手机课堂",
        needs.get("老年人智能手机培训"),
        r("金融知识讲座", "网点大厅周末活动场地", "书法与手机课志愿教学"),
        today + timedelta(days=5),
        milestones=[{"title": "招募学员"}, {"title": "开课 8 次"}, {"title": "结业"}],
    )
    bank = handlers.get("中国银行渭滨支行")
    if bank:
        actions.project_publish(by=community, project=p)
        actions.project_claim(by=bank, project=p)
        actions.milestone_done(by=bank, project=p, milestone_id=p.milestones.first().pk)
    count += 1

    # 4. 书记项目: the community secretary leads the handrails, in progress.
    p = _project(
        admin,
        "老旧小区加装扶手（书记项目）",
        needs.get("老旧小区加装扶手"),
        r("党建共建资金", "物业维修班组"),
        year_end,
        budget="50000",
        milestones=[{"title": "入户征求意见"}, {"title": "招标采购"}, {"title": "安装验收"}],
    )
    actions.project_assign(by=admin, project=p, owner_user=community.pk)
    actions.milestone_done(by=community, project=p, milestone_id=p.milestones.first().pk)
    count += 1

    # 5. Open, waiting for a unit to claim it.
    p = _project(
        admin, "独居老人助餐点", needs.get("独居老人助餐"), r("民政助餐补贴", "党员志愿送餐"), year_end
    )
    actions.project_publish(by=community, project=p)
    count += 1

    # 6. Draft.
    _project(
        admin, "四点半课堂", needs.get("四点半课堂"), [], year_end, plan="借用社区活动室，招募大学生志愿者"
    )
    count += 1
    return count


def load_demo_projects(admin) -> dict:
    """Load the demo; returns what was added (all zeros on a second run)."""
    if not Area.objects.filter(code=COMMUNITY).exists():
        return {"needs": 0, "resources": 0, "projects": 0}
    before = (Need.objects.count(), Resource.objects.count())
    load_demo_categories()
    handlers = _partners(admin)
    res = _resources(admin)
    needs = _needs(admin)
    made = _projects(admin, needs, res, handlers)
    CoBuildingRule.objects.get_or_create(
        area=Area.objects.get(code=STREET), defaults={"required_projects": 1}
    )
    community = User.objects.filter(username="community").first()
    year = timezone.localdate().year
    if community is not None:
        for name, score, comment in (
            ("渭滨区人民医院", 95, "体检项目扎实"),
            ("中国银行渭滨支行", 58, "项目推进较慢"),
        ):
            unit = Unit.objects.filter(name=name).first()
            if unit and not unit.year_scores.filter(year=year).exists():
                actions.unit_score(
                    by=community, unit=unit, community=COMMUNITY, year=year, score=score, comment=comment
                )
    return {
        "needs": Need.objects.count() - before[0],
        "resources": Resource.objects.count() - before[1],
        "projects": made,
    }
