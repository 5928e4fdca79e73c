"""Demo micro-wishes: twenty wishes in 姜谭路西社区 in every state — posted online by ``resident`` or taken
from the wish box by the grid worker, vetted by ``community``, claimed by the party member ``volunteer`` and
by units (``unit`` for 城管执法局, ``lawyer`` for 律师协会), fulfilled, confirmed; one moved to the needs
list, one rejected, one flagged by the claim deadline and one warned.

Every step goes through the real actions, so the timelines, audit entries and notifications are the real
ones. Each wish carries an idempotency key: a second run finds them and adds nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.areas.models import Area, Level
from gridgov.services.demo import load_demo_categories
from gridgov.wishes import actions
from gridgov.wishes.models import Wish
from gridgov.wishes.sweep import wishes_sweep

COMMUNITY = "610302003001"  # 姜谭路西社区

# (title, description, category, grid index, box wisher name or "" for online, places, story)
# story: the steps after submission — publish, claim:<who>, fulfil:<who>, confirm:<rating>, reject,
# to_need, withdraw:<who>, flag (claim deadline passed), warn (claim deadline near)
WISHES = [
    (
        "给独居的奶奶送一台收音机",
        "奶奶眼睛不好，想每天听听广播和秦腔",
        "elderly",
        0,
        "",
        1,
        "publish claim:volunteer fulfil:volunteer confirm:satisfied",
    ),
    (
        "孩子想要一套课外书",
        "三年级，喜欢看科普和童话",
        "culture",
        0,
        "",
        1,
        "publish claim:volunteer fulfil:volunteer",
    ),
    ("帮忙修理轮椅", "轮椅刹车失灵，左轮胎漏气", "repair", 1, "王秀兰", 1, "publish claim:unit"),
    (
        "陪老人去医院复查",
        "下周三上午去市中心医院复查，子女在外地",
        "elderly",
        1,
        "赵桂兰",
        1,
        "publish claim:volunteer",
    ),
    ("想学用智能手机视频通话", "想和在外地的孙子视频", "culture", 2, "", 1, "publish"),
    ("希望有人帮忙换个灯泡", "厨房灯坏了，够不着", "repair", 0, "孙大爷", 1, "publish"),
    ("给孙子买一个新书包", "书包背带断了", "culture", 2, "刘桂芝", 1, "publish"),
    (
        "社区老人想要几副象棋",
        "活动室的象棋缺子，老人们每天下午下棋",
        "culture",
        0,
        "",
        3,
        "publish claim:volunteer claim:lawyer",
    ),
    (
        "想请律师讲讲遗嘱怎么写",
        "老两口想提前把房子的事情说清楚",
        "legal",
        1,
        "周阿姨",
        1,
        "publish claim:lawyer",
    ),
    ("家里的电饭煲坏了想修一修", "按键没反应", "repair", 2, "陈奶奶", 1, "publish flag"),
    ("想要一副老花镜", "原来的眼镜摔坏了", "elderly", 0, "", 1, "publish warn"),
    ("帮忙清理楼道杂物", "三单元一楼堆了很多纸箱", "repair", 1, "", 1, ""),
    ("想给老伴过生日订个蛋糕", "老伴八十大寿，腿脚不便出不了门", "meals", 2, "马大爷", 1, ""),
    ("希望有人每周来陪我聊聊天", "一个人住，有时候心里闷", "psychology", 0, "", 1, ""),
    ("小区想建一个老年食堂", "附近没有吃饭的地方，老人做饭不方便", "meals", 1, "", 1, "publish to_need"),
    ("想要一台新冰箱", "家里冰箱用了二十年", "repair", 2, "", 1, "reject"),
    (
        "想学剪纸",
        "年轻时学过一点，想再捡起来",
        "culture",
        0,
        "杨阿姨",
        1,
        "publish claim:unit fulfil:unit confirm:basic",
    ),
    ("给残疾的儿子买一副拐杖", "旧拐杖开裂了", "elderly", 1, "", 1, "publish"),
    (
        "想找人教孩子写毛笔字",
        "孩子放假在家，想练练字",
        "culture",
        2,
        "",
        1,
        "publish claim:volunteer fulfil:volunteer confirm:satisfied",
    ),
    (
        "帮忙把旧衣服捐出去",
        "整理出两大袋冬衣",
        "elderly",
        0,
        "黄奶奶",
        1,
        "publish claim:volunteer withdraw:volunteer",
    ),
]
REJECT_REASON = "超出微心愿范围（价值较高），建议申请临时救助"
NEED_REASON = "涉及场地和长期运营，转入需求清单由项目对接"
WITHDRAW_REASON = "临时要出差两周，请其他志愿者帮忙"


def load_demo_wishes(admin) -> dict:  # noqa: ARG001
    """The demo wishes of 姜谭路西社区. Returns counts; a second run creates nothing."""
    load_demo_categories()
    community_area = Area.objects.filter(code=COMMUNITY, is_active=True).first()
    people = {
        u.username: u
        for u in User.objects.filter(
            username__in=["community", "gridworker", "resident", "volunteer", "unit", "lawyer"]
        )
    }
    if community_area is None or len(people) < 6:
        return {"wishes": 0}
    grids = list(
        Area.objects.filter(parent=community_area, level=Level.GRID, is_active=True).order_by("code")[:3]
    ) or [community_area]
    created = 0
    flag, warn = [], []
    for n, (title, description, category, grid, box_name, places, story) in enumerate(WISHES, start=1):
        area = grids[grid % len(grids)]
        # the grid worker empties the wish box of their own grid; the community office the others
        clerk = people["gridworker"] if grid == 0 else people["community"]
        by = clerk if box_name else people["resident"]
        wish, new = actions.wish_submit(
            by=by,
            title=title,
            description=description,
            category=category,
            area=area.code,
            source="box" if box_name else "online",
            wisher_name=box_name,
            wisher_phone=f"1390917{n:04d}" if box_name else "",
            max_claimants=places,
            idempotency_key=f"demo-wish-{n:02d}",
        )
        if not new:
            continue
        created += 1
        for step in story.split():
            verb, _sep, arg = step.partition(":")
            ref = wish.ref
            if verb == "publish":
                actions.wish_publish(ref=ref, by=people["community"], max_claimants=places)
            elif verb == "reject":
                actions.wish_reject(ref=ref, by=people["community"], reason=REJECT_REASON)
            elif verb == "to_need":
                actions.wish_to_need(ref=ref, by=people["community"], reason=NEED_REASON, beneficiaries=40)
            elif verb == "claim":
                actions.wish_claim(ref=ref, by=people[arg])
            elif verb == "withdraw":
                actions.wish_withdraw(ref=ref, by=people[arg], reason=WITHDRAW_REASON)
            elif verb == "fulfil":
                actions.wish_fulfil(ref=ref, by=people[arg], note=f"已帮忙完成：{title}")
            elif verb == "confirm":
                confirmer = people["community"] if box_name else people["resident"]
                actions.wish_confirm(ref=ref, by=confirmer, rating=arg, comment="谢谢社区和志愿者")
            elif verb == "flag":
                flag.append(wish.pk)
            elif verb == "warn":
                warn.append(wish.pk)
    now = timezone.now()
    # The demo's clocks: one wish has sat on the wall past its claim deadline, one is near it.
    for pk in flag:
        Wish.objects.filter(pk=pk).update(
            claim_due=now - timedelta(days=1), claim_warn_at=now - timedelta(days=3)
        )
    for pk in warn:
        Wish.objects.filter(pk=pk).update(claim_warn_at=now - timedelta(hours=2))
    if flag or warn:
        wishes_sweep(now)
    return {"wishes": created}
