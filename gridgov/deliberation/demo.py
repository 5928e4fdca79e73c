"""Demo deliberation in 姜谭路西社区 (610302003001), through the actions: a year of monthly 月月谈 meetings
with their decisions carried out, an estate renovation (加装电梯) decided, objected to, answered and carried out
as a project that residents rate, a meeting that failed quorum, and topics still gathering support.

Meetings and decisions are moved back to the months they stand for after the actions wrote them (a fixture
loader: the actions date everything now). A second run adds nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from gridgov.accounts.models import Role, User
from gridgov.areas.models import Area
from gridgov.deliberation import actions
from gridgov.deliberation.models import AgendaItem, Decision, Meeting, Topic

COMMUNITY = "610302003001"
GRID = "610302003001001"

MONTHLY = [
    ("小区停车难怎么办", "晚上车位不够，消防通道常被占。", "清理僵尸车，与驻区单位错时共享车位。"),
    ("楼道堆物清理", "部分楼道堆放杂物，存在消防隐患。", "每月第一个周六组织党员志愿者清理楼道。"),
    ("垃圾分类投放点调整", "投放点离 5 号楼太近，夏天有异味。", "投放点东移二十米，增设洗手池。"),
    ("广场舞噪音", "晚上九点后仍有音乐，影响休息。", "广场舞九点前结束，音量不超过 60 分贝。"),
    ("老年食堂就餐时间", "老人希望午餐提前到 11 点。", "午餐时间调整为 11:00–12:30。"),
    ("楼顶防水维修", "7 号楼顶楼漏雨。", "申请维修资金，雨季前完成防水。"),
    ("小区门禁改造", "门禁常坏，外来人员随意进出。", "更换门禁，老人可用身份证开门。"),
    ("宠物管理公约", "有犬只不拴绳、随地便溺。", "制定文明养犬公约，楼栋长督促。"),
    ("健身器材更新", "中心广场健身器材老化。", "与驻区单位共建，更新八件健身器材。"),
    ("夜间照明", "北门小路没有路灯。", "北门小路加装六盏太阳能路灯。"),
    ("快递柜位置", "快递柜占用消防通道。", "快递柜移至南门值班室旁。"),
    ("暑期托管", "双职工家庭希望暑期有人照看孩子。", "党群服务中心开设暑期托管班，党员志愿者轮值。"),
]
SUPPORTING = [
    ("增设电动自行车充电桩", "楼道充电有火灾隐患，希望在车棚增设充电桩。"),
    ("小区绿化补种", "中心花园草坪破损，希望补种。"),
]


def load_demo_deliberation(admin) -> dict[str, int]:
    community = Area.objects.filter(code=COMMUNITY).first()
    staff = User.objects.filter(username="community").first()
    if community is None or staff is None or Topic.objects.filter(area_code__startswith=COMMUNITY).exists():
        return {}
    people = list(
        User.objects.filter(role__in=[Role.RESIDENT, Role.VOLUNTEER], is_active=True).order_by("pk")[:12]
    )
    if len(people) < 8:
        return {}
    now = timezone.now()
    with transaction.atomic():
        for months_ago, (title, description, decided) in zip(
            range(len(MONTHLY), 0, -1), MONTHLY, strict=True
        ):
            topic = actions.topic_propose(by=staff, title=title, description=description, area=COMMUNITY)
            actions.topic_place(by=staff, ref=topic.ref)
            meeting = _meeting(staff, people[:9], topic, f"{months_ago} 个月前的月月谈", "party_residents")
            _sign_in(staff, meeting, 7)
            item = meeting.agenda.get()
            actions.decide(by=staff, ref=meeting.ref, item=item.pk, yes=6, no=1, abstain=0, text=decided)
            actions.meeting_close(by=staff, ref=meeting.ref, minutes=f"议定：{decided}")
            _back(meeting, item, months_ago * 30)
            actions.decision_carry_out(by=staff, ref=topic.ref, year=now.year)
            if months_ago > 2:
                actions.decision_finish(by=staff, ref=topic.ref)

        # 加装电梯: proposed by a resident, supported, decided, objected to and answered, carried out.
        lift = actions.topic_propose(
            by=people[0],
            title="三号楼加装电梯",
            description="三号楼住着十几位七十岁以上老人，上下楼困难。",
            area=GRID,
        )
        for person in people[1:11]:
            if Topic.objects.get(pk=lift.pk).state != "proposed":
                break
            actions.topic_support(by=person, ref=lift.ref)
        lift.refresh_from_db()
        if lift.state == "proposed":
            actions.topic_place(by=staff, ref=lift.ref)
        meeting = _meeting(
            staff, people[:10], lift, "三号楼加装电梯协商会", "consultation", rule="three_quarters"
        )
        _sign_in(staff, meeting, 9)
        item = meeting.agenda.get()
        actions.decide(
            by=staff, ref=meeting.ref, item=item.pk, yes=8, no=1, abstain=0,
            text="加装电梯，费用按楼层分摊，一楼住户不分摊；申请老旧小区改造补贴。",
        )  # fmt: skip
        actions.meeting_close(by=staff, ref=meeting.ref, minutes="应到 10 人，实到 9 人，8 票赞成通过。")
        objection = actions.decision_object(
            by=people[10], ref=lift.ref, reason="施工期间噪音太大，希望避开午休时间。"
        )
        actions.objection_answer(
            by=staff, objection=objection.pk, answer="施工安排在 8:30–12:00、14:30–18:00。"
        )
        Decision.objects.filter(topic=lift).update(notice_until=now - timedelta(hours=1))
        actions.decision_carry_out(by=staff, ref=lift.ref, year=now.year)
        for person, score in zip(people[:5], (5, 4, 5, 4, 5), strict=True):
            actions.decision_rate(by=person, ref=lift.ref, score=score)

        # A meeting that could not decide: three of nine came.
        shade = actions.topic_propose(
            by=staff, title="车棚加装遮阳棚", description="夏天车棚暴晒。", area=COMMUNITY
        )
        actions.topic_place(by=staff, ref=shade.ref)
        meeting = _meeting(staff, people[:9], shade, "车棚改造议事会", "residents")
        _sign_in(staff, meeting, 3)
        actions.meeting_close(
            by=staff, ref=meeting.ref, minutes="实到 3 人，未达法定人数，议题顺延到下次会议。"
        )

        for title, description in SUPPORTING:
            topic = actions.topic_propose(by=people[1], title=title, description=description, area=GRID)
            for person in people[2:5]:
                actions.topic_support(by=person, ref=topic.ref)
    return {
        "topics": Topic.objects.filter(area_code__startswith=COMMUNITY).count(),
        "meetings": Meeting.objects.filter(area_code__startswith=COMMUNITY).count(),
        "decisions": Decision.objects.filter(area_code__startswith=COMMUNITY).count(),
    }


def _meeting(staff, people, topic, title, kind, rule="majority"):
    meeting = actions.meeting_create(
        by=staff, kind=kind, title=title, area=COMMUNITY, starts_at=timezone.now(), place="社区议事亭",
        topics=[topic.ref], rule=rule,
    )  # fmt: skip
    for person in people:
        actions.participant_add(by=staff, ref=meeting.ref, role="resident_rep", user=person.pk)
    actions.meeting_open(by=staff, ref=meeting.ref)
    return meeting


def _sign_in(staff, meeting, count: int) -> None:
    for place in meeting.roster.order_by("id")[:count]:
        actions.sign_in(by=staff, ref=meeting.ref, participant=place.pk)


def _back(meeting: Meeting, item: AgendaItem, days: int) -> None:
    """Date a past month's meeting, its vote and its decision back to when it was held."""
    then = timezone.now() - timedelta(days=days)
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=then, created_at=then)
    AgendaItem.objects.filter(pk=item.pk).update(decided_at=then)
    Decision.objects.filter(item=item).update(published_at=then, notice_until=then + timedelta(days=7))
