"""``gridgov open311_key create NAME`` (and ``rotate NAME``, ``revoke NAME``, ``list``): the Open311 client
applications' keys on the command line. A new key is printed once; only its prefix and keyed hash are kept."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gridgov.core.errors import DomainError
from gridgov.open311 import actions
from gridgov.open311.models import ClientApp


class Command(BaseCommand):
    help = "管理 Open311 客户端应用的密钥：create 名称 / rotate 名称 / revoke 名称 / list"

    def add_arguments(self, parser):
        parser.add_argument("operation", choices=["create", "rotate", "revoke", "list"])
        parser.add_argument("name", nargs="?", default="")
        parser.add_argument("--contact", default="", help=_("联系人及联系方式"))
        parser.add_argument(
            "--rate-limit", type=int, default=None, help=_("每分钟最多上报多少件；0 表示不限")
        )
        parser.add_argument("--reason", default="", help=_("吊销原因"))

    def handle(self, *args, **options):
        operation, name = options["operation"], options["name"].strip()
        if operation == "list":
            for app in ClientApp.objects.all():
                state = _("启用") if app.is_active else _("已吊销")
                used = app.last_used_at.isoformat(timespec="seconds") if app.last_used_at else "-"
                self.stdout.write(f"{app.key_prefix}  {state}  {app.rate_limit}/min  {used}  {app.name}")
            return
        if not name:
            raise CommandError(_("请给出应用名称"))
        try:
            if operation == "create":
                app, key = actions.client_app_create(
                    by=None, name=name, contact=options["contact"], rate_limit=options["rate_limit"]
                )
            else:
                app = ClientApp.objects.filter(name=name).first()
                if app is None:
                    raise CommandError(_("没有名为「%(name)s」的应用") % {"name": name})
                if operation == "revoke":
                    actions.client_app_revoke(by=None, app=app, reason=options["reason"])
                    self.stdout.write(_("已吊销「%(name)s」的密钥") % {"name": app.name})
                    return
                key = actions.client_app_rotate_key(by=None, app=app)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(_("「%(name)s」的 api_key（只显示这一次，请妥善交给对方）：") % {"name": app.name})
        self.stdout.write(key)
