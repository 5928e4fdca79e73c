"""A meeting's record as a workbook (会议记录): the meeting and its minutes, the roster with sign-ins, each
item's rule, counts and computed result, and every ballot. Text is written as text, never as a formula."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from gridgov.deliberation import rules, selectors
from gridgov.deliberation.models import Ballot, Meeting
from gridgov.ledger.excel import safe_cell


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def meeting_workbook(meeting: Meeting) -> bytes:
    wb = Workbook(write_only=True)
    head = wb.create_sheet(_("会议"))
    quorum = selectors.quorum_of(meeting)
    for label, value in (
        (_("会议名称"), meeting.title),
        (_("会议类型"), meeting.get_kind_display()),
        (_("开会时间"), _when(meeting.starts_at)),
        (_("地点"), meeting.place),
        (_("应到人数"), quorum["entitled"]),
        (_("实到人数"), quorum["present"]),
        (_("法定人数"), f"{rules.Quorum(meeting.quorum).label}（{quorum['needed']}）"),
        (_("会议纪要"), meeting.minutes),
    ):
        head.append([str(label), safe_cell(str(value)) if isinstance(value, str) else value])
    roster = wb.create_sheet(_("签到"))
    roster.append([_("姓名"), _("身份"), _("签到时间")])
    for p in meeting.roster.all():
        roster.append([safe_cell(p.name), str(p.get_role_display()), _when(p.signed_in_at)])
    votes = wb.create_sheet(_("表决"))
    votes.append(
        [
            _("议题"),
            _("表决规则"),
            _("计票基数"),
            _("赞成"),
            _("反对"),
            _("弃权"),
            _("实到人数"),
            _("应到人数"),
            _("结果"),
        ]
    )
    for item in selectors.agenda_of(meeting):
        votes.append([
            safe_cell(item.topic.title), str(item.get_rule_display()), str(item.get_base_display()),
            item.yes, item.no, item.abstain, item.present, item.entitled, str(item.get_result_display()),
        ])  # fmt: skip
    ballots = wb.create_sheet(_("投票明细"))
    ballots.append([_("议题"), _("姓名"), _("表决意见"), _("时间")])
    for b in (
        Ballot.objects.filter(item__meeting=meeting)
        .select_related("item__topic", "participant")
        .order_by("item_id", "id")
    ):
        ballots.append(
            [
                safe_cell(b.item.topic.title),
                safe_cell(b.participant.name),
                str(b.get_choice_display()),
                _when(b.at),
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
