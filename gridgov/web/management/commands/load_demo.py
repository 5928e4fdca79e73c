"""``gridgov load_demo``: build (or complete) the demo district. Safe to run again: nothing doubles.

The site app holds it because it sits above every app: it calls each app's demo loader in turn.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.accounts import demo as accounts_demo
from gridgov.areas.demo import load_demo_areas
from gridgov.areas.models import Area
from gridgov.assessment.demo import load_demo_assessment
from gridgov.assist.demo import load_demo_assist
from gridgov.cases import demo as case_demo
from gridgov.cases.demo_history import load_demo_history
from gridgov.dashboards.demo import load_demo_dashboards
from gridgov.deliberation.demo import load_demo_deliberation
from gridgov.ledger.demo import load_demo_ledger
from gridgov.orders.demo import load_demo_orders
from gridgov.party.demo import load_demo_party
from gridgov.points.demo import load_demo_points
from gridgov.projects.demo import load_demo_projects
from gridgov.services.demo import load_demo_categories
from gridgov.visits.demo import load_demo_visits
from gridgov.wishes.demo import load_demo_wishes


class Command(BaseCommand):
    help = "载入演示区（渭滨区 610302：8 个街镇、68 个社区、365 个基础网格）和演示账号"

    def handle(self, *args, **options):
        with transaction.atomic():
            admin = accounts_demo.load_demo_admin()
            created_areas = load_demo_areas(admin)
            accounts_demo.load_demo_accounts(admin)
            case_demo.load_categories()
            case_demo.load_rules()
            load_demo_categories()
        # Sample cases are reported after the transaction above so the lookup index sees the grids.
        sample_cases = case_demo.load_sample_cases(admin)
        ledger = load_demo_ledger(admin)
        visits = load_demo_visits(admin)
        projects = load_demo_projects(admin)
        wishes = load_demo_wishes(admin)
        orders = load_demo_orders(admin)
        points = load_demo_points(admin)
        party = load_demo_party(admin)
        deliberation = load_demo_deliberation(admin)
        history = load_demo_history(admin)
        assessment = load_demo_assessment(admin)
        command = load_demo_dashboards(admin)
        assist = load_demo_assist(admin)
        counts = {
            lvl: Area.objects.filter(level=lvl, is_active=True).count()
            for lvl in ("district", "street", "community", "grid")
        }
        self.stdout.write(
            _(
                "演示区已就绪：%(district)s 个区、%(street)s 个街镇、%(community)s 个社区、%(grid)s 个网格（本次新建 %(created_areas)s 个区域）"
            )
            % {
                "district": counts["district"],
                "street": counts["street"],
                "community": counts["community"],
                "grid": counts["grid"],
                "created_areas": created_areas,
            }
        )
        if sample_cases:
            self.stdout.write(_("已生成 %(sample_cases)s 个演示事件") % {"sample_cases": sample_cases})
        if history:
            self.stdout.write(
                _("已生成过去几个月的 %(history)s 个演示事件（含办理过程）") % {"history": history}
            )
        if assessment.get("rounds"):
            self.stdout.write(
                _("已生成演示考核：%(rounds)s 个考核期，其中 %(frozen)s 个已冻结")
                % {"rounds": assessment["rounds"], "frozen": assessment.get("frozen", 0)}
            )
        self.stdout.write(
            _("指挥中心：统计了 %(days)s 天，发现 %(hotspots)s 个高发问题，生成 %(reports)s 份分析报告")
            % {
                "days": command["days"],
                "hotspots": command["hotspots"]["found"] + command["hotspots"]["updated"],
                "reports": command["reports"],
            }
        )
        if assist["imported"]:
            self.stdout.write(_("已导入 %(n)s 条历史工单（原系统）") % {"n": assist["imported"]})
        if assist["model"]:
            m = assist["model"]
            line = _("智能建议模型 v%(version)s：%(message)s；在最近的 %(test)s 条工单上，分类首选正确率 %(top1)s、前三命中率 %(top3)s、宏平均 F1 %(f1)s，处置单位首选正确率 %(unit)s")  # fmt: skip
            figures = {
                "version": m["version"],
                "message": m["message"],
                "test": m["test"],
                "top1": _share(m["category_top1"]),
                "top3": _share(m["category_top3"]),
                "f1": _share(m["category_macro_f1"]),
                "unit": _share(m["unit_top1"]),
            }
            self.stdout.write(line % figures)
        if ledger:
            self.stdout.write(
                _(
                    "已生成演示台账：%(buildings)s 栋楼、%(households)s 户、%(residents)s 位居民、%(organisations)s 个组织、%(tags)s 条重点人群标签"
                )
                % {
                    "buildings": ledger["buildings"],
                    "households": ledger["households"],
                    "residents": ledger["residents"],
                    "organisations": ledger["organisations"],
                    "tags": ledger["tags"],
                }
            )
        if visits:
            self.stdout.write(_("已生成 %(visits)s 条演示走访记录") % {"visits": visits})
        if orders.get("items") or orders.get("orders"):
            self.stdout.write(
                _("已生成演示服务清单：%(items)s 项服务、%(orders)s 张服务单")
                % {"items": orders["items"], "orders": orders["orders"]}
            )
        if wishes.get("wishes"):
            self.stdout.write(_("已生成 %(wishes)s 个演示微心愿") % {"wishes": wishes["wishes"]})
        if any(projects.values()):
            self.stdout.write(
                _("已生成演示清单：%(needs)s 条需求、%(resources)s 项资源、%(projects)s 个项目")
                % {
                    "needs": projects["needs"],
                    "resources": projects["resources"],
                    "projects": projects["projects"],
                }
            )
        if points.get("tasks"):
            self.stdout.write(
                _("已生成演示志愿任务 %(tasks)s 个、积分入账 %(credits)s 笔、兑换 %(redemptions)s 次")
                % {
                    "tasks": points["tasks"],
                    "credits": points["credits"],
                    "redemptions": points["redemptions"],
                }
            )
        if party:
            self.stdout.write(
                _(
                    "已生成演示党组织：%(orgs)s 个组织、%(members)s 名党员、%(contacts)s 户有联系人、%(agreements)s 份共建协议、%(cards)s 张职责卡"
                )
                % party
            )
        if deliberation:
            self.stdout.write(
                _("已生成演示议事：%(topics)s 个议题、%(meetings)s 次议事会、%(decisions)s 项决定")
                % deliberation
            )
        self.stdout.write(
            _("演示账号（密码均为 %(demo_password)s）：") % {"demo_password": accounts_demo.DEMO_PASSWORD}
        )
        for username, role, area_code, unit_name, display, _phone in accounts_demo.DEMO_USERS:
            where = area_code or unit_name or "—"
            self.stdout.write(f"  {username:<11} {role:<12} {display}（{where}）")


def _share(value) -> str:
    return "—" if value is None else f"{value:.1%}"
