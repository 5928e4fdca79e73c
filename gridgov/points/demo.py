"""Demo volunteer service in 姜谭路西社区 (610302003001): the community's points pool and exchange station, a
24-month points policy, ten tasks (six done with attendance and points, four still open for sign-up), the
demo volunteer 张党员 and twelve more volunteers, eight rewards with stock and a few redemptions.

Past tasks are written as rows (a fixture loader: their sign-ups happened before "now", which the actions
rightly refuse); their points go through the same ledger entries as the live actions. Upcoming tasks,
sign-ups, rewards and redemptions go through the actions. A second run adds nothing.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.actions import user_create
from gridgov.accounts.models import User
from gridgov.areas.models import Area
from gridgov.core.timeline import step
from gridgov.points import actions
from gridgov.points.models import (
    PointsPolicy,
    Reward,
    Signup,
    SignupState,
    TaskState,
    VolunteerTask,
)

COMMUNITY = "610302003001"
SEED = 6103020039
DEMO_PASSWORD = "gridgov-demo"

# (title, place, hours, slots, points, days from today (negative: done), description)
TASKS = [
    ("楼道清扫", "姜谭路西社区 3 号楼", 2, 8, 10, -75, "清理楼道杂物、擦拭扶手，共建整洁家园。"),
    ("关爱独居老人探访", "社区服务站集合", 2, 6, 15, -60, "两人一组上门看望独居老人，了解生活需求。"),
    ("垃圾分类督导", "小区垃圾分类投放点", 2, 6, 10, -45, "早晚高峰在投放点指导居民分类投放。"),
    ("文明交通劝导", "姜谭路与清姜路交叉口", 3, 8, 12, -30, "劝导行人和非机动车文明出行。"),
    ("义诊", "社区卫生服务站", 3, 4, 20, -20, "协助医生为老人测血压、血糖，登记健康档案。"),
    ("反诈宣传进小区", "社区广场", 2, 6, 10, -8, "发放反诈宣传资料，帮助老人安装国家反诈中心 App。"),
    ("爱心理发", "社区党群服务中心", 3, 3, 15, 3, "为高龄老人义务理发，要求有理发经验。"),
    ("楼道清扫", "姜谭路西社区 7 号楼", 2, 8, 10, 5, "清理楼道小广告和堆放杂物。"),
    ("关爱独居老人探访", "社区服务站集合", 2, 6, 15, 9, "重阳节前走访独居老人，送上慰问品。"),
    ("垃圾分类督导", "小区垃圾分类投放点", 2, 6, 10, 12, "周末投放点值守。"),
]
VOLUNTEERS = [
    "刘建华",
    "陈淑芬",
    "杨志强",
    "赵秀兰",
    "黄德明",
    "周丽华",
    "吴国庆",
    "徐桂英",
    "孙立新",
    "马玉梅",
    "朱海涛",
    "胡春燕",
]
# (name, points, stock, description)
REWARDS = [
    ("毛巾", 20, 40, "纯棉毛巾一条"),
    ("洗衣液", 30, 30, "2kg 装"),
    ("理发券", 30, 20, "社区合作理发店单次理发"),
    ("食用油 1.8L", 50, 15, ""),
    ("大米 5kg", 60, 20, ""),
    ("保温杯", 80, 10, ""),
    ("家政服务券（2 小时）", 100, 8, "秦川物业家政服务"),
    ("电影票", 40, 0, "已兑完，待补货"),
]


def _volunteers(admin) -> list[User]:
    people = []
    demo = User.objects.filter(username="volunteer").first()
    if demo is not None:
        people.append(demo)
    for i, name in enumerate(VOLUNTEERS, start=1):
        username = f"zyz{i:02d}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(
                by=admin,
                username=username,
                password=DEMO_PASSWORD,
                role="volunteer",
                display_name=name,
                validate=False,
            )
        people.append(user)
    return people


def _at(day, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.get_default_timezone())


def _past_task(staff, area: Area, row, people: list[User], rng: random.Random) -> tuple[int, int]:
    title, place, hours, slots, points, days, description = row
    start = _at(timezone.localdate() + timedelta(days=days), rng.choice((8, 9, 14, 15)))
    end = start + timedelta(hours=hours)
    chosen = rng.sample(people[1:], min(slots - 1, len(people) - 1))
    if people and people[0].username == "volunteer" and rng.random() < 0.8:
        chosen = [people[0], *chosen[: slots - 1]]
    task = VolunteerTask.objects.create(
        title=title,
        description=description,
        area=area,
        area_code=area.code,
        place=place,
        starts_at=start,
        ends_at=end,
        slots=slots,
        taken=len(chosen),
        points=points,
        state=TaskState.FINISHED,
        created_by=staff,
        published_at=start - timedelta(days=7),
        finished_at=end + timedelta(hours=2),
        remind_at=start - timedelta(days=1),
        reminded_at=start - timedelta(days=1),
        started_mark=start,
    )
    step(task, staff, "create", "", at=start - timedelta(days=7, minutes=5))
    step(task, staff, "publish", TaskState.DRAFT, at=start - timedelta(days=7))
    credited = 0
    for person in chosen:
        present = person.username == "volunteer" or rng.random() < 0.85
        signup = Signup.objects.create(
            task=task,
            volunteer=person,
            state=SignupState.ATTENDED if present else SignupState.ABSENT,
            signed_at=start - timedelta(days=rng.randint(1, 6)),
            confirmed_at=end + timedelta(hours=1),
            confirmed_by=staff,
            hours=actions.task_hours(task) if present else 0,
        )
        if present:
            actions.credit_signup(signup, task, by=staff, at=end + timedelta(hours=1))
            credited += 1
    step(task, staff, "finish", TaskState.CLOSED, at=end + timedelta(hours=2))
    return len(chosen), credited


def load_demo_points(admin) -> dict:
    """Load the demo (idempotent). Returns what was created."""
    out = {"tasks": 0, "signups": 0, "credits": 0, "rewards": 0, "redemptions": 0}
    area = Area.objects.filter(code=COMMUNITY).first()
    if area is None or VolunteerTask.objects.filter(area_code__startswith=COMMUNITY).exists():
        return out
    staff = User.objects.filter(username="community", area=area).first() or admin
    rng = random.Random(SEED)
    with transaction.atomic():
        people = _volunteers(admin)
        actions.pool_account(COMMUNITY)
        actions.station_account(COMMUNITY)
        PointsPolicy.objects.get_or_create(area=area, defaults={"expiry_months": 24})
        for row in TASKS:
            if row[5] < 0:
                signed, credited = _past_task(staff, area, row, people, rng)
                out["signups"] += signed
                out["credits"] += credited
            else:
                title, place, hours, slots, points, days, description = row
                start = _at(timezone.localdate() + timedelta(days=days), 9)
                task = actions.task_create(
                    by=staff,
                    area=COMMUNITY,
                    title=title,
                    place=place,
                    starts_at=start,
                    ends_at=start + timedelta(hours=hours),
                    slots=slots,
                    points=points,
                    description=description,
                    requirements="请提前 10 分钟到达，佩戴志愿者红马甲。",
                    publish=True,
                )
                for person in rng.sample(people[1:], rng.randint(1, max(1, slots - 1))):
                    actions.signup_create(task_id=task.pk, by=person)
                    out["signups"] += 1
            out["tasks"] += 1
        rewards = []
        for i, (name, cost, stock, description) in enumerate(REWARDS):
            reward = actions.reward_create(
                by=admin, area=COMMUNITY, name=name, cost=cost, stock=stock, description=description
            )
            Reward.objects.filter(pk=reward.pk).update(sort=i)
            rewards.append(reward)
            out["rewards"] += 1
        for person in people[1:6]:
            reward = rewards[rng.randint(0, 2)]
            if actions.balance(actions.volunteer_account(person)) >= reward.cost:
                actions.redeem(reward_id=reward.pk, by=staff, volunteer=person)
                out["redemptions"] += 1
    return out
